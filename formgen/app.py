"""The flow, one direction: load record -> validate -> map onto a pack -> render ->
write atomically. The CLI is a thin shell over these functions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from .doors.filedate import made_at
from .doors.opener import load
from .output import plan, safe_name, write_all
from .packs.pack import Document, Pack
from .record.findings import ERROR, WARNING, Finding
from .record.ids import compact
from .record.loader import Loaded, LoadError
from .record.model import read_user_text
from .record.paths import applies
from .rules import Context, relabel, run


def validate(
    loaded: Loaded, pack: Pack | None, documents: list[Document] | None = None, today: dt.date | None = None
) -> list[Finding]:
    today = today or dt.date.today()
    ctx = Context(loaded, pack, documents, today)
    findings = relabel(list(getattr(loaded, "notes", [])), ctx.labels) + run(ctx).findings
    if pack is None:
        findings.insert(0, no_pack_finding(str(loaded.path)))
    else:
        findings += deadline_findings(pack, today, str(loaded.path))
    return findings


def pack_summary(loaded: Loaded, pack: Pack | None) -> list[str]:
    """Lines a pack prints after validate's findings: Jiangsu's computed self-evaluation
    total, scenario counts and the level the data support."""
    if pack is not None and "jiangsu" in pack.checks:
        from .selfeval import scoring as jiangsu

        return jiangsu.summary_lines(loaded.record, pack.checks)
    return []


# What only a pack can check (the rule families whose settings come from a manifest).
PACK_CHECKS = (
    "必填项、字数、工厂名称、取值范围（行业、区县）、场景名称与环节、配图与附件、规模以上、近三年年度、注册地、截止日期"
)


def no_pack_finding(source: str = "") -> Finding:
    """Said instead of 检查通过 when a record was checked without knowing its pack."""
    from .packs.pack import available

    return Finding(
        "PK001",
        ERROR,
        "pack",
        "表格包",
        f"未指定表格包，只做了与省份无关的检查（代码校验位、电话、日期先后、财务勾稽等）；未检查：{PACK_CHECKS}。"
        f"请在记录中写 pack: 包名，或加 --pack（可用：{'、'.join(available())}）",
        source,
    )


def deadline_findings(pack: Pack, today: dt.date, source: str = "") -> list[Finding]:
    from .record.written import fmt

    out = []
    for d, left in pack.deadlines_near(today):
        date = fmt(d["date"])  # 2024年11月22日, as every date a person reads
        if left < 0:
            msg = f"{d['what']}截止日期 {date} 已过 {-left} 天"
        elif left == 0:
            msg = f"{d['what']}今天（{date}）截止"
        else:
            msg = f"{d['what']}将于 {date} 截止，还剩 {left} 天"
        out.append(Finding("DL001", WARNING, "", pack.title, msg, source))
    return out


def _file_name(doc: Document, fmt_: str, **values) -> str:
    name = doc.filename
    for k, v in values.items():
        name = name.replace("{" + k + "}", safe_name(v or "未命名"))
    return f"{name}.{fmt_}"


def render_single(loaded: Loaded, pack: Pack, draft: bool) -> list[tuple[str, bytes]]:
    """Every single-record document that applies to the record; a ``split`` document
    once per chosen item (Gansu 附件2: one 申报书 per 优秀场景)."""
    from .record.derived import derive
    from .render import docx as docx_render  # the rendering libraries load when something is rendered

    out = []
    whole = derive(loaded.record, pack)  # as the rules saw it: derived fields filled
    name = whole.enterprise.name or loaded.path.stem
    for doc in pack.documents_for(whole, single=True):
        for fmt_ in doc.formats:
            if fmt_ != "docx":
                raise ValueError(f"{doc.title}: 单份文档暂只支持 docx")
            if doc.split:
                views = [(doc.split_view(whole, key), key) for key in doc.split_keys(whole)]
            else:
                views = [(whole, "")]
            for record, key in views:
                title = f"{doc.title}（{key}）" if key else doc.title
                data = docx_render.render_single(
                    doc.layout, record, loaded.base_dir, draft, {"title": title, "author": name}
                )
                values = {"enterprise": name}
                if doc.split:
                    values[doc.split.get("name", "item")] = key
                out.append((_file_name(doc, fmt_, **values), data))
    return out


def fill(
    loaded: Loaded, pack: Pack, out_dir: Path, draft: bool = False, force: bool = False, pdf: bool = False
) -> list[Path]:
    files = render_single(loaded, pack, draft)
    return write_files(with_pdf_copies(files) if pdf else files, out_dir, force)


def with_pdf_copies(files: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """The documents and a PDF of each, made by LibreOffice in one run before anything is
    written (so a failed conversion writes nothing). Raises formgen.render.pdf.PdfError."""
    from .render import pdf

    copies = pdf.convert(files)
    return files + list(zip(pdf.pdf_names([n for n, _ in files]), copies, strict=True))


@dataclass(eq=False)  # entries are compared by identity
class Entry:
    """One record of a batch: a record file, or what filled forms hold (a single-record
    form, the forms of one enterprise merged, or one row of a sheet)."""

    source: Path
    loaded: Loaded | None = None
    findings: list[Finding] = field(default_factory=list)
    also: list[Path] = field(default_factory=list)  # other forms merged into this record
    row: int | None = None  # the sheet row (1-based) of a record read from a sheet
    unread: bool = False  # a record file not read yet: a batch step reads it (:func:`batch_steps`)
    pack: Pack | None = None  # the pack it was checked by (set by :func:`batch_steps`)
    forms: dict[str, Document] = field(default_factory=dict)  # file name -> that form, for each form merged in

    def read(self) -> Entry:
        """Read the record file, if it has not been read: ``loaded``, or ``findings``
        saying why it cannot be read."""
        if self.unread:
            self.unread = False
            try:
                self.loaded = load(self.source)
            except LoadError as e:
                self.findings = e.findings
        return self

    @property
    def files(self) -> str:
        """The file(s) the record came from, as a clerk names them."""
        text = "、".join(str(p) for p in [self.source, *self.also])
        return f"{text} 第{self.row}行" if self.row else text

    @property
    def made(self) -> dt.datetime:
        """When the newest of its files was made (:func:`formgen.doors.filedate.made_at`):
        the forms of one enterprise merged are as new as the newest of them."""
        times = []
        for p in [self.source, *self.also]:
            try:
                times.append(made_at(p))
            except OSError:
                pass
        return max(times, default=dt.datetime.min)

    @property
    def name(self) -> str:
        if self.loaded and self.loaded.record.enterprise.name:
            return self.loaded.record.enterprise.name
        return self.source.name

    @property
    def credit_code(self) -> str:
        return compact(self.loaded.record.enterprise.credit_code or "") if self.loaded else ""

    def check_state(self) -> str:
        """A checked record's state, as validate and the bureau page list it:
        无法读取, 有错误, 有警告 or 通过."""
        from .record.findings import has_errors

        if self.loaded is None:
            return "无法读取"
        if has_errors(self.findings):
            return "有错误"
        return "有警告" if self.findings else "通过"

    @property
    def ok(self) -> bool:
        return self.loaded is not None and not any(f.is_error for f in self.findings)


@dataclass
class Batch:
    entries: list[Entry]  # every record, in the bureau's order
    ranked: list[Entry]  # those that go on the sheet, in order
    outside: list[Entry]  # ranked beyond the quota
    problems: list[Finding]  # batch-level problems (duplicates, quota)
    quota: int | None
    duplicates: list[Entry] = field(default_factory=list)  # left out as another file of the same enterprise
    # of the duplicates, those another file of the enterprise was kept over (--order, --prefer):
    # superseded, nobody's to fix
    superseded: list[Entry] = field(default_factory=list)

    def state(self, e: Entry) -> str:
        """What became of a record: 列入, 超出名额, 重复，未列入, 有错误，未列入, 未列入."""
        if e in self.ranked:
            return "列入"
        if e in self.outside:
            return "超出名额"
        if e in self.duplicates:
            return "重复，未列入"
        if any(f.is_error for f in e.findings):
            return "有错误，未列入"
        return "未列入"

    def problems_of(self, e: Entry) -> list[Finding]:
        """The batch-level findings (duplicates) that concern this record's file."""
        return [f for f in self.problems if f.source == str(e.source)]

    @property
    def excluded(self) -> list[Entry]:
        """Records in the batch that are not on the sheet (errors, duplicates, over quota)."""
        return [e for e in self.entries if e not in self.ranked]

    @property
    def blocked(self) -> bool:
        return any(f.is_error for f in self.problems)


FORM_SUFFIXES = (".docx",)  # always a filled form; an .xlsx is a form unless it is a record workbook


def is_form(path: Path) -> bool:
    """A filled annex form (Word, or an annex sheet in .xlsx) rather than a record file."""
    suffix = path.suffix.casefold()
    if suffix in FORM_SUFFIXES:
        return True
    if suffix == ".xlsx" and path.is_file():
        from .doors.workbook import is_record_workbook

        return not is_record_workbook(path)
    return False


class FormsNeedPack(ValueError):
    """Filled forms were given without a pack to read them by."""


def load_entries(paths: list[Path], pack: Pack | None, doc_id: str | None = None, read: bool = True) -> list[Entry]:
    """Every record the files hold, in the order given: record files (YAML, workbooks)
    loaded as they are, filled forms read back through the pack's layouts (the forms of
    one enterprise merged into one record, a sheet a record per row). A file that cannot
    be read is an entry with its findings, never the end of the batch. ``read=False``
    leaves record files unread, for :func:`batch_steps` to read in its workers."""
    form_of = {p: is_form(p) for p in paths}  # an .xlsx is opened once to tell
    forms = [p for p in paths if form_of[p]]
    if forms and pack is None:
        raise FormsNeedPack(
            "读入填好的申报表（"
            + "、".join(p.name for p in forms[:3])
            + ("等" if len(forms) > 3 else "")
            + "）须用 --pack 指定表格包"
        )
    from_forms: dict[Path, list[Entry]] = {}
    if forms:
        from .doors.importer import loaded_records, read_forms

        read_, unreadable = read_forms(forms, pack, doc_id)
        for f in unreadable:
            from_forms.setdefault(Path(f.source), []).append(Entry(Path(f.source), findings=[f]))
        for rec, got in zip(read_, loaded_records(read_, pack), strict=True):
            entry = Entry(rec.source, loaded=got, also=list(rec.extra_sources), row=rec.row)
            files = [rec.source, *rec.extra_sources]
            entry.forms = {p.name: d for p, d in zip(files, [rec.document, *rec.extra_documents], strict=True)}
            from_forms.setdefault(rec.source, []).append(entry)
    entries: list[Entry] = []
    for p in paths:
        if p in from_forms:
            entries += from_forms.pop(p)
        elif not form_of[p]:
            entry = Entry(p, unread=True)
            entries.append(entry.read() if read else entry)
    return entries


_NAMED_PACKS: dict[str, Pack] = {}  # packs records name, loaded once per batch (and per worker)


def pack_of(entry: Entry, pack: Pack | None) -> Pack | None:
    """The pack an entry is checked by: ``pack`` (``--pack``), else the one its record
    names (``pack:``); None when neither (PK001). A name no pack has raises PackError."""
    if pack is not None or entry.loaded is None or entry.loaded.record.pack is None:
        return pack
    name = entry.loaded.record.pack
    if name not in _NAMED_PACKS:
        from .packs.pack import get_pack

        _NAMED_PACKS[name] = get_pack(name)
    return _NAMED_PACKS[name]


def batch_steps(func, entries: list[Entry], pack: Pack | None, args: tuple = (), jobs: int = 1):
    """``func(entry, its pack, *args)`` for every entry of a batch, in order, in ``jobs``
    processes (:func:`batch_map`), each record file read in the same step (so reading,
    the larger part of checking a record, is shared out too) and its pack resolved there
    (:func:`pack_of`). Yields (entry, its pack, result), the entry's record and findings
    set here as the step left them. Raises PackError for a record naming no pack."""
    _NAMED_PACKS.clear()  # a pack edited, or FORMGEN_PACKS changed, since the last batch
    steps = batch_map(_step, entries, [pack] * len(entries), (func, args), jobs)
    for entry, (loaded, findings, result) in zip(entries, steps, strict=True):
        entry.unread, entry.loaded, entry.findings = False, loaded, findings
        entry.pack = pack_of(entry, pack)
        yield entry, entry.pack, result


def _step(entry: Entry, pack: Pack | None, func, args: tuple):
    """One step of :func:`batch_steps`, in whichever process runs it: what the parent
    needs back is the record (pickled, about 0.3 ms against 3-15 ms to read it), the
    findings and ``func``'s result (the parent finds the record's pack again, cached)."""
    entry.read()
    result = func(entry, pack_of(entry, pack), *args)
    return entry.loaded, entry.findings, result


def check_entry(entry: Entry, pack: Pack | None, today: dt.date, documents: list[Document] | None = None) -> None:
    """Validate one loaded entry in place: what reading its forms found, then every rule
    (deadlines are the caller's, said once for the batch)."""
    if entry.loaded is None:
        return
    ctx = Context(entry.loaded, pack, documents, today)
    found = run(ctx).findings
    entry.loaded = ctx.loaded  # as the rules saw it (derived fields filled): what the batch's sheets print
    entry.findings = list(getattr(entry.loaded, "notes", [])) + found
    if pack is None:
        entry.findings.insert(0, no_pack_finding(str(entry.loaded.path)))


def default_jobs() -> int:
    """Worker processes for a batch: one per core this process may use."""
    import os

    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


# A batch goes to worker processes only when what is left after its first records would
# take at least this long in one process: forking the workers and collecting their
# results costs about 10-12 ms (2 cores, a parent holding the loaded packs), so below
# ~100 ms of work the second core saves too little. Tests set 0 to force the workers.
PARALLEL_MIN_MS = 100.0
_SPANS_PER_JOB = 4  # at least this many spans per worker, so that they finish together
_SPAN_MS = 50.0  # and spans of about this much work at most, so that the progress bar moves

# What forked workers inherit instead of receiving it: (func, entries, packs, args,
# allow-outside). Set only while a batch runs in processes.
_SHARED: tuple | None = None


class BatchError(RuntimeError):
    """A worker process of a batch ended without finishing its records (killed, out of
    memory): the batch is stopped, nothing is written; one line of Chinese."""


def _run_span(span: tuple[int, int]) -> list:
    """In a forked worker: ``func(entry, pack, *args)`` for the entries ``start:stop``
    of the batch the parent set up (inherited, nothing pickled but the results)."""
    from .record.model import ALLOW_OUTSIDE

    func, entries, packs, args, allow_outside = _SHARED
    ALLOW_OUTSIDE.set(allow_outside)
    return [func(entries[i], packs[i], *args) for i in range(*span)]


def _spans(first: int, n: int, jobs: int, each_ms: float) -> list[tuple[int, int]]:
    """``first:n`` cut into consecutive spans: at least ``_SPANS_PER_JOB`` per worker,
    each of about ``_SPAN_MS`` of work (at ``each_ms`` a record) or less."""
    size = max(1, min(-(-(n - first) // (jobs * _SPANS_PER_JOB)), int(_SPAN_MS / max(each_ms, 0.01))))
    return [(i, min(i + size, n)) for i in range(first, n, size)]


def batch_map(func, entries: list[Entry], packs: list[Pack | None], args: tuple = (), jobs: int = 1):
    """``func(entry, pack, *args)`` for every entry, in order, in ``jobs`` processes (one:
    here, in this process). Results come back in the entries' order, so a batch's output
    is the same whatever the number of processes; yields as they are ready, for the
    progress bar.

    Workers are forked from this process and inherit the loaded records, packs and
    everything already loaded (the first two records are done here, so the rules,
    reference tables and layouts are loaded once, before the fork); each is sent a span
    of indices and sends back its results. The batch stays here when the rest of it
    would take under :data:`PARALLEL_MIN_MS` (estimated from the second record, the
    first with everything loaded), and on a platform without fork. A worker that dies
    raises :class:`BatchError`."""
    import multiprocessing
    import time

    n = len(entries)
    if len(packs) != n:
        raise ValueError("batch_map: entries and packs differ in length")
    forking = jobs > 1 and n > 2 and "fork" in multiprocessing.get_all_start_methods()
    for done in range(1, n + 1):
        started = time.perf_counter()
        result = func(entries[done - 1], packs[done - 1], *args)
        took_ms = (time.perf_counter() - started) * 1000
        yield result
        if forking and done == 2:
            if took_ms * (n - done) >= PARALLEL_MIN_MS:
                yield from _forked(func, entries, packs, args, jobs, done, took_ms)
                return


def _forked(func, entries, packs, args, jobs, first, each_ms):
    """``batch_map`` from entry ``first`` on, in ``jobs`` forked workers."""
    import gc
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    from .record.model import ALLOW_OUTSIDE

    global _SHARED
    spans = _spans(first, len(entries), jobs, each_ms)
    _SHARED = (func, entries, packs, args, bool(ALLOW_OUTSIDE.get()))
    gc.freeze()  # what the parent holds stays out of the workers' collections: pages stay shared
    try:
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=min(jobs, len(spans)), mp_context=ctx) as ex:
            try:
                for results in ex.map(_run_span, spans):
                    yield from results
            except BrokenProcessPool as e:
                raise BatchError(
                    "批量处理的工作进程意外退出（可能是内存不足被系统终止），未写出任何文件；"
                    "可加 --jobs 1 在单个进程中重试"
                ) from e
    finally:
        _SHARED = None
        gc.unfreeze()


def checked(entry: Entry, pack: Pack | None, today: dt.date) -> list[Finding]:
    """An entry's findings (:func:`check_entry`), as a batch step."""
    check_entry(entry, pack, today)
    return entry.findings


def filled(entry: Entry, pack: Pack | None, today: dt.date, draft: bool) -> tuple[str, list[Finding], list]:
    """One record of a ``fill`` batch: (state, findings, rendered files). The state is
    已生成, 已生成（草稿）, 有错误，未生成, 无适用文档, 未指定表格包 or 无法读取."""
    if entry.loaded is None:
        return "无法读取", entry.findings, []
    if pack is None:
        check_entry(entry, None, today)
        return "未指定表格包", entry.findings, []
    singles = pack.documents_for(entry.loaded.record, single=True)
    # checked as validate checks it (every document that applies, a bureau's sheet too): a
    # record validate rejects is never written unmarked
    check_entry(entry, pack, today)
    if not singles:
        return "无适用文档", entry.findings, []
    errors = any(f.is_error for f in entry.findings)
    if errors and not draft:
        return "有错误，未生成", entry.findings, []
    files = render_single(entry.loaded, pack, draft and errors)
    return ("已生成（草稿）" if errors else "已生成"), entry.findings, files


def _batch_findings(entry: Entry, pack: Pack, today: dt.date) -> list[Finding]:
    """A summary record's findings: every rule, then what its 申报材料清单 lacks."""
    check_entry(entry, pack, today)
    return entry.findings + material_findings(entry, pack)


def material_findings(entry: Entry, pack: Pack) -> list[Finding]:
    """The pack's 申报材料清单 run on a batch record: what it lacks, by the annex's labels
    (CL001 warnings). Nothing for a pack without a checklist, or one that does not apply."""
    if entry.loaded is None:
        return []
    docs = [d for d in pack.documents_for(entry.loaded.record) if d.kind == "checklist"]
    if not docs:
        return []
    from .bureau import checklist

    out: list[Finding] = []
    for doc in docs:
        out += checklist.findings(doc.layout, entry.loaded, doc.title)
    return out


def _apply_order(entries: list[Entry], order_file: Path | None) -> tuple[list[Entry], list[Entry]]:
    """Apply ``--order``: one credit code or record file per line, first = highest
    priority; records the file does not name follow in the order given. Also returns the
    entries named by their file (which settles which of two same-code files to keep)."""
    if order_file is None:
        return entries, []
    keys = [
        ln.strip()
        for ln in read_user_text(order_file, "排序文件").splitlines()
        if ln.strip() and not ln.lstrip().startswith("#")
    ]
    by_key: dict[str, Entry] = {}
    for e in entries:
        by_key[str(e.source)] = e
        by_key[e.source.name] = e
        if e.credit_code:
            by_key[e.credit_code] = e
    ordered: list[Entry] = []
    by_file: list[Entry] = []
    unknown = []
    for k in keys:
        e = by_key.get(k) or by_key.get(compact(k))
        if e is None:
            unknown.append(k)
            continue
        if k in (str(e.source), e.source.name):
            by_file.append(e)
        if e not in ordered:
            ordered.append(e)
    if unknown:
        raise ValueError("排序文件中以下条目找不到对应记录：" + "、".join(unknown))
    return ordered + [e for e in entries if e not in ordered], by_file


def quota_for(pack: Pack, unit_kind: str | None, override: int | None) -> int | None:
    if override is not None:
        return override
    limits = pack.quota.get("by_unit_kind", {})
    if unit_kind and unit_kind in limits:
        return limits[unit_kind]
    return pack.quota.get("default")


def build_batch(
    paths: list[Path],
    pack: Pack,
    quota: int | None,
    draft: bool = False,
    progress=None,
    order_file: Path | None = None,
    over_quota_ok: bool = False,
    prefer: str | None = None,
    jobs: int = 1,
) -> Batch:
    """Load and validate every record once, put them in the bureau's order, then apply
    duplicates and the quota. The round's deadlines are reported once by the caller.
    ``over_quota_ok`` (a quota the pack states as "原则上"): going over is a warning and
    every candidate is listed. Two files of one enterprise (credit code): the one the
    order file names by file name is kept, else with ``prefer="newer"`` the more recently
    modified (the date a Word form or workbook carries, else the file's time:
    :func:`formgen.doors.filedate.made_at`); otherwise both are refused (BT001) with how to settle it."""
    today = dt.date.today()
    entries = load_entries(paths, pack, read=False)
    for i, (entry, _, found) in enumerate(batch_steps(_batch_findings, entries, pack, (today,), jobs)):
        entry.findings = found
        if progress:
            progress(i + 1, len(entries), entry)
    entries, named = _apply_order(entries, order_file)
    problems: list[Finding] = []
    duplicates: list[Entry] = []
    groups: dict[str, list[Entry]] = {}
    for e in entries:
        if e.credit_code:
            groups.setdefault(e.credit_code, []).append(e)
    superseded: list[Entry] = []
    for code, same in groups.items():
        if len(same) < 2:
            continue
        # the clerk's 问题清单 names the files by their names, never a folder or an option
        files = "、".join(e.source.name for e in same)
        chosen = [e for e in same if e in named]
        if len(chosen) == 1:
            keep, why = chosen[0], "按排序文件保留"
        elif prefer == "newer":
            keep, why = max(same, key=lambda e: e.made), "保留较新的"
        else:
            problems.append(
                Finding(
                    "BT001",
                    ERROR,
                    "enterprise.credit_code",
                    "统一社会信用代码",
                    f"同一企业（{code}）报送了 {len(same)} 个文件：{files}；须确定保留哪一个才能列入"
                    "（删去多余的文件，或在排序文件中写上要保留的文件名，或选择保留较新的文件）",
                    str(same[-1].source),
                )
            )
            duplicates.extend(same[1:])
            continue
        dropped = [e for e in same if e is not keep]
        duplicates.extend(dropped)
        superseded.extend(dropped)
        problems.append(
            Finding(
                "BT002",
                WARNING,
                "enterprise.credit_code",
                "统一社会信用代码",
                f"同一企业（{code}）报送了 {len(same)} 个文件：{why} {keep.source.name}，"
                f"未列入 {'、'.join(e.source.name for e in dropped)}",
                str(dropped[0].source),
            )
        )
    candidates = [e for e in entries if e.loaded is not None and e not in duplicates and (e.ok or draft)]
    outside: list[Entry] = []
    if quota is not None and len(candidates) > quota:
        over = candidates[quota:]
        names = "、".join(f"第{quota + i + 1}位 {e.name}" for i, e in enumerate(over))
        if over_quota_ok:
            problems.append(
                Finding(
                    "QT001",
                    WARNING,
                    "",
                    "推荐数量",
                    f"推荐 {len(candidates)} 家，超过“原则上不超过 {quota} 家”（按 --allow-over-quota 全部列入）；超出的是：{names}",
                )
            )
        else:
            outside = over
            problems.append(
                Finding(
                    "QT001",
                    ERROR,
                    "",
                    "推荐数量",
                    f"推荐 {len(candidates)} 家，超过上限 {quota} 家；超出的是：{names}",
                )
            )
    ranked = candidates if (draft or over_quota_ok) else candidates[: quota if quota is not None else None]
    return Batch(entries, ranked, outside, problems, quota, duplicates, superseded)


def render_multi(doc: Document, batch: Batch, unit: str, draft: bool, recommender=None) -> list[tuple[str, bytes]]:
    from .render import docx as docx_render
    from .render import xlsx as xlsx_render
    from .render.context import rows_for

    rows = rows_for(doc.layout, [e.loaded.record for e in batch.ranked if applies(e.loaded.record, doc.when)])
    if not rows and not doc.layout.get("write_empty"):
        return []  # no record this sheet applies to (e.g. no 卓越级 applicant)
    header = {"unit": unit, "recommender": recommender}
    out = []
    for fmt_ in doc.formats:
        if fmt_ == "xlsx":
            data = xlsx_render.render(doc.layout, rows, header, draft, {"title": doc.title, "author": unit})
        else:
            data = docx_render.render_multi(doc.layout, rows, header, draft, {"title": doc.title, "author": unit})
        out.append((_file_name(doc, fmt_, unit=unit), data))
    return out


# A summary's documents (sheets of a row per record) go to worker processes, one each,
# when there are several and together they hold at least this many rows: a sheet of a
# thousand rows takes about 0.2 s, forking costs about 15 ms.
PARALLEL_MIN_ROWS = 400


def render_documents(docs: list[Document], batch: Batch, unit: str, draft: bool, recommender, jobs: int = 1):
    """Every document of a summary, in order, as (doc, files): the pack's sheets
    (:func:`render_multi`) and the bureau's own (:func:`render_bureau`); in ``jobs``
    processes when the sheets are large (:data:`PARALLEL_MIN_ROWS`), the same files as
    in one."""
    import multiprocessing

    args = (batch, unit, draft, recommender)
    rows = len(batch.ranked) * sum(1 for d in docs if d.kind == "multi")
    if jobs > 1 and len(docs) > 1 and rows >= PARALLEL_MIN_ROWS and "fork" in multiprocessing.get_all_start_methods():
        done = _forked(_render_document, docs, [None] * len(docs), args, jobs, 0, _SPAN_MS)
    else:
        done = (_render_document(doc, None, *args) for doc in docs)
    return list(zip(docs, done, strict=True))


def _render_document(doc: Document, _pack, batch: Batch, unit: str, draft: bool, recommender):
    if doc.kind == "bureau":
        return render_bureau(doc, recommender, draft)
    return render_multi(doc, batch, unit, draft, recommender)


def render_bureau(doc: Document, recommender, draft: bool) -> list[tuple[str, bytes]]:
    """A document of the bureau's own (a letter, a commitment), from its profile."""
    from .render import docx as docx_render

    unit = recommender.unit or "推荐单位"
    data = docx_render.render_single(doc.layout, recommender, Path("."), draft, {"title": doc.title, "author": unit})
    return [(_file_name(doc, "docx", unit=unit), data)]


def write_files(files: list[tuple[str, bytes]], out_dir: Path, force: bool) -> list[Path]:
    """Write rendered files into ``out_dir``: all or none, never over existing files
    unless ``force`` (see :mod:`formgen.output` for what is guaranteed).

    Returns the paths written, in the order of ``files``, as an
    :class:`~formgen.output.Planned` list: its ``shortened`` maps each path whose name
    was too long (over 240 bytes; file systems allow 255) and was shortened to the full
    name it stands for. Raises :class:`~formgen.output.OutputError`, one line of Chinese naming
    the file and the problem."""
    paths = plan(out_dir, [n for n, _ in files])
    write_all(list(zip(paths, [d for _, d in files], strict=True)), force=force)
    return paths


def write_multi(
    doc: Document, batch: Batch, unit: str, out_dir: Path, draft: bool, force: bool, recommender=None
) -> list[Path]:
    return write_files(render_multi(doc, batch, unit, draft, recommender), out_dir, force)


# -- Word drafts: formgen check, formgen count --file ----------------------------------------


@dataclass
class DraftFix:
    """What ``check --fix`` did: the copy written, the paragraphs given the annex's format,
    the heading paragraphs left as they are, and the copy's own findings."""

    path: Path
    changed: int
    kept: int
    findings: list[Finding]

    @property
    def left(self) -> list[Finding]:
        """The errors the copy still has: what the fix could not do."""
        return [f for f in self.findings if f.is_error]

    def lines(self) -> list[str]:
        """The report: what was written, then one line per error left, with its place
        (paragraph or table cell) and rule code."""
        head = f"已生成：{self.path}（{self.changed} 段正文改为附件规定的字体、字号和行距"
        if self.kept:
            head += f"；{self.kept} 段 Word 标题（标题样式或大纲级别）未改动"
        head += "；文字未改动，原稿未改动）"
        left = self.left
        if not left:
            return [head, "修正稿检查通过"]
        out = [head, f"修正稿仍有 {len(left)} 个错误未能自动修正，需手工修改："]
        for f in left:
            place = f.line or (f"「{f.label}」" if f.label else "全文")
            out.append(f"  {place}：{f.code} {f.message}")
        return out


def check_draft(path: Path, pack: Pack, doc_id: str | None = None):
    """A Word draft checked against its annex: (document id, findings, summary)."""
    from .doors.draft import check_draft as check

    return check(path, pack, doc_id)


def fix_draft(path: Path, pack: Pack, doc_id: str | None, out: Path, force: bool = False) -> DraftFix:
    """A copy of the draft in the annex's format (see :func:`formgen.doors.draft.fix_draft`),
    checked again. Raises DraftError or OutputError (one line) when nothing was written."""
    from .doors.draft import fix_draft as fix

    doc_id, changed, kept = fix(path, pack, doc_id, out, force)
    _, findings, _ = check_draft(out, pack, doc_id)
    return DraftFix(out, changed, kept, findings)


def count_document(path: Path, pack: Pack | None = None, doc_id: str | None = None) -> list[str]:
    """``formgen count --file`` on a .docx: the whole document's 字数 as Word counts it, in
    the words ``check`` uses for the same figure, then each heading's; with a pack, the
    same 字数 lines as ``check`` (the whole document, the counted parts, each heading)."""
    from .doors.draft import count_docx, count_lines

    if pack is not None:
        return check_draft(path, pack, doc_id)[2].count_lines()
    return count_lines(*count_docx(path))
