"""``formgen import``: filled annex forms read back into records.

The layouts that render the forms are the map (see :mod:`formgen.doors.readback`): a
single-record Word form is read table by table by the labels beside its values
(:func:`formgen.doors.draft.read_table_fields`), its narrative parts by their headings
(:func:`formgen.doors.draft.find_structure`), its cover lines by the text they print around
their values, its figures saved as files beside the record. A multi-record sheet (.xlsx
or .docx) is read a row per record, under its column headers.

Every value keeps where it came from (``表格2 第5行「企业名称」``, ``汇总表!C7``), so
the findings of the imported record point back into the form. What the form shows but
cannot be read back, and what the form lacks, is listed by label; nothing is guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..packs.pack import Document, Pack
from ..record.findings import ERROR, WARNING, Finding
from ..record.paths import join as join_path
from .docxread import Docx, DraftError, Para, read_body
from .draft import (
    CellValue,
    Where,
    _cell_matches,
    _Check,
    _is_literal,
    _label_norm,
    _literal_text,
    _norm,
    _notes,
    find_structure,
    form_found,
    outline,
    read_table_fields,
    stand_ins,
    structured,
)
from .imported import (
    Imported,
    _at,
    _brief,
    _item_keys,
    finish_aggregates,
    finish_document,
    finish_eithers,
    read_spec,
)
from .readback import reading

if TYPE_CHECKING:
    from ..record.loader import Loaded

MAX_IMPORT_BYTES = 200 << 20  # a filled 申报书 with print-quality figures


def _item_bases(values: list[CellValue]) -> dict[int, str]:
    """The concrete base of each list cell: the k-th distinct row a list's cells stand
    in is item k (``scenarios[].`` in the 4th row -> ``scenarios[3]``)."""
    rows: dict[str, list[tuple[int, int]]] = {}
    out: dict[int, str] = {}
    for i, v in enumerate(values):
        if "[]" not in v.prefix or v.missing:
            continue
        seen = rows.setdefault(v.prefix, [])
        key = (v.table, v.row)
        if key not in seen:
            seen.append(key)
        if v.prefix.count("[]") == 1:
            out[i] = v.prefix.replace("[].", f"[{seen.index(key)}]").rstrip(".")
    return out


def read_single(path: Path, docx: Docx, pack: Pack, doc: Document) -> Imported:
    rec = Imported(path, doc)
    check = _Check(docx, pack, doc, str(path))
    body = check.body
    values = read_table_fields(doc, body, exprs=True)
    bases = _item_bases(values)
    nested: set[str] = set()
    for i, v in enumerate(values):
        where = Where.cell(v.table, v.row, v.label).line
        if v.prefix.count("[]") > 1:
            nested.add(v.prefix)
            continue
        if v.missing:
            if not v.optional:
                rec.add("IM001", WARNING, None, v.label, f"表格中找不到「{v.label}」一栏，未读入", v.path)
            continue
        r = reading(v.spec) if v.spec is not None else None
        if r is None:
            continue
        base = bases.get(i, v.prefix.rstrip(".")) if "[]" in v.prefix else ""
        if not v.text.strip() and not (r.checkbox and v.ticked):
            continue
        if not read_spec(rec, v.spec, r, v.text, base, where, v.label):
            rec.add(
                "IM002",
                ERROR,
                where,
                v.label,
                f"「{v.label}」一栏的内容“{_brief(v.text)}”与表格格式不符，未读入",
                v.path,
            )
    _read_structured(rec, doc, body)
    _read_paragraphs(rec, check, doc)
    finish_aggregates(rec)
    finish_eithers(rec, items_only=True)  # the others once the forms of the enterprise are merged
    _unread(rec, doc)
    finish_document(rec, pack)
    return rec


# -- structured lists: an item a block of rows (甘肃附件2 附表2) ------------------------------


def _cells_of(row) -> list:
    return row["cells"] if isinstance(row, dict) else row


def _row_matches(doc_row, spec_row) -> bool:
    """The draft row holds every label of the layout row (at least one)."""
    literals = [c for c in _cells_of(spec_row) if _is_literal(c)]
    if not literals:
        return False
    norms = [_label_norm(c.text) for c in doc_row if not c.continued]
    for c in literals:
        label = _label_norm(_literal_text(c))
        if label and not any(_cell_matches(n, label, _notes(c)) for n in norms):
            return False
    return True


def _read_structured(rec: Imported, doc: Document, body) -> None:
    for block in doc.layout.get("blocks") or []:
        if "table" not in block:
            continue
        for row in block["table"].get("rows", []):
            if isinstance(row, dict) and "repeat" in row and structured(row["repeat"]):
                rep = row["repeat"]
                first = next((r for r in rep["rows"] if not (isinstance(r, dict) and "repeat" in r)), None)
                for t in body.tables:
                    start = next((i for i, r in enumerate(t.rows) if _row_matches(r, first)), None)
                    if start is not None:
                        _walk_items(rec, rep, t, start, "", [])
                        break
                else:
                    label = rep.get("label") or rep["each"]
                    rec.add("IM001", WARNING, None, label, f"表格中找不到「{label}」各项，未读入", rep["each"])


def _walk_items(rec: Imported, rep: dict, t, i: int, base: str, stops: list) -> int:
    path = join_path(base, rep["each"])
    first = next((r for r in rep["rows"] if not (isinstance(r, dict) and "repeat" in r)), None)
    k = 0
    while i < len(t.rows) and first is not None and _row_matches(t.rows[i], first):
        i = _walk_item(rec, rep, t, i, f"{path}[{k}]", stops + [first])
        k += 1
    return i


def _walk_item(rec: Imported, rep: dict, t, i: int, base: str, stops: list) -> int:
    rows = rep["rows"]
    carried: set[int] = set()  # grid columns a merged cell of the item's first row holds
    for n, spec_row in enumerate(rows):
        if i >= len(t.rows):
            break
        if isinstance(spec_row, dict) and "repeat" in spec_row:
            inner = spec_row["repeat"]
            later = [r for r in rows[n + 1 :] if not (isinstance(r, dict) and "repeat" in r)]
            if structured(inner):
                i = _walk_items(rec, inner, t, i, base, stops + later)
                continue
            k = 0
            while i < len(t.rows) and not any(_row_matches(t.rows[i], s) for s in later + stops):
                doc_row = t.rows[i]
                if any(c.text.strip() for c in doc_row if not c.continued and c.col not in carried):
                    _read_row(
                        rec,
                        _cells_of(inner["rows"][0]),
                        doc_row,
                        t,
                        i,
                        f"{join_path(base, inner['each'])}[{k}]",
                        carried,
                    )
                    k += 1
                i += 1
            continue
        if not _row_matches(t.rows[i], spec_row):
            continue  # a row the hand-made form left out
        if n == 0:
            col = 0
            for c in _cells_of(spec_row):
                span = c.get("colspan", 1) if isinstance(c, dict) else 1
                if isinstance(c, dict) and (c.get("rowspan_expr") or c.get("rowspan", 1) > 1):
                    carried.update(range(col, col + span))
                col += span
        _read_row(rec, _cells_of(spec_row), t.rows[i], t, i, base, carried if n else set())
        i += 1
    return i


def _read_row(rec: Imported, cells: list, doc_row, t, i: int, base: str, carried: set) -> None:
    """The value cells of one layout row from the draft row: cell by cell when the draft
    has as many cells, else by grid column."""
    own = [c for c in doc_row if not c.continued and c.col not in carried]
    placed, col = [], min(carried) + len(carried) if carried and min(carried) == 0 else 0
    for c in cells:
        span = c.get("colspan", 1) if isinstance(c, dict) else 1
        placed.append((c, col, span))
        col += span
    for j, (spec, c0, span) in enumerate(placed):
        r = reading(spec)
        if r is None:
            continue
        if len(own) == len(placed):
            texts = [own[j].text]
        else:
            texts = [x.text for x in own if c0 <= x.col < c0 + span]
        text = "\n".join(texts).strip()
        label = spec.get("label") or spec.get("field") or ""
        if text and not read_spec(rec, spec, r, text, base, Where.cell(t.index, i, label).line, label):
            where = Where.cell(t.index, i, label).line
            rec.add("IM002", ERROR, where, label, f"「{label}」一栏的内容“{_brief(text)}”与表格格式不符，未读入")


def _read_paragraphs(rec: Imported, check: _Check, doc: Document) -> None:
    """Cover lines by their frame, narrative texts by their headings, figures by part."""
    body = check.body
    free = [p for p in body.paras if p.table is None and not p.textbox]
    for block in doc.layout.get("blocks") or []:
        spec = block.get("p") if isinstance(block.get("p"), dict) else None
        r = reading(spec) if spec else None
        if r is None or not r.slots:
            continue
        label = spec.get("label") or next((x.strip() for x in r.parts if isinstance(x, str) and x.strip()), "")
        label = re.sub(r"[（(].*?[）)]|[\s　：:]+$", "", label).strip() or label
        for p in free:
            got = r.match(p.text) if p.text.strip() else None
            if got and any(got.values()):
                read_spec(rec, spec, r, p.text, "", check.where(p).line, label)
                break
    headings = outline(doc)
    if not headings:
        return
    s = check.structure = find_structure(body, headings)
    figure_parts = {b["figures"].get("part") for b in doc.layout.get("blocks") or [] if "figures" in b}
    if figure_parts:
        _read_figures(rec, check, figure_parts)
    texts: dict[int, list[Para]] = {}
    for p in free:
        hi = s.section_of.get(p.index)
        if hi is None or p.index in s.heading_paras or p.index in check.captions or not p.text.strip():
            continue
        texts.setdefault(hi, []).append(p)
    framed = {id(p) for p in free if any(_is_framed(p, b) for b in doc.layout.get("blocks") or [])}
    # the annex's own lines under a heading (（突出对…示范价值。）) are not the applicant's
    literal = {_norm(b["p"]) for b in doc.layout.get("blocks") or [] if isinstance(b.get("p"), str)}
    literal |= stand_ins(doc)  # nor is the layout's （无） under an empty optional sub-part
    framed |= {id(p) for p in free if _norm(p.text) in literal}
    for block in doc.layout.get("blocks") or []:
        if "mode_items" in block:
            framed |= _read_mode_items(rec, check, block["mode_items"], free, s)
    for hi, h in enumerate(headings):
        if not h.fields:
            continue
        paras = [p for p in texts.get(hi, []) if id(p) not in framed]
        run_in = s.matches[hi].rest if hi in s.matches else ""
        pieces = ([run_in] if run_in else []) + [p.text.strip() for p in paras]
        if not pieces:
            if hi not in s.matches and not all(opt for _, opt, _ in h.fields):
                rec.add("IM001", WARNING, None, h.text, f"找不到标题「{h.text}」，其下正文未读入", h.fields[0][0])
            continue
        path, _opt, label = h.fields[0]
        where = check.where(paras[0]).line if paras else check.where(body.paras[s.matches[hi].para]).line
        rec.put(path, "\n\n".join(pieces), where, label or h.text)


def _read_mode_items(rec: Imported, check: _Check, spec: dict, free: list[Para], s) -> set[int]:
    """甘肃附件4 三: a heading per manufacturing mode chosen, an item heading (1.项目系统
    模型建立与运行情况) per item with its text under it. Returns the paragraphs used."""
    from ..record.refdata import modes

    chosen_path = spec.get("chosen", "factory.modes")
    texts_path = spec.get("texts", "narrative.mode_items")
    used: set[int] = set()
    mode = None
    item = None
    chosen: list[str] = []
    for p in free:
        norm = _norm(p.text)
        if not norm:
            continue
        if p.index in s.heading_paras:
            mode = item = None
            continue
        hit = next((m for m in modes() if _norm(m["heading"]) == norm), None)
        if hit is not None:
            mode, item = hit, None
            chosen.append(hit["mode"])
            used.add(id(p))
            continue
        if mode is None:
            continue
        heading = next((i for i in mode["items"] if _norm(f"{i['no']}.{i['title']}") == norm), None)
        if heading is not None:
            item = heading
            used.add(id(p))
            continue
        if item is not None:
            used.add(id(p))
            path = f"{texts_path}.{mode['mode']}.{item['no']}"
            old = _at(rec.data, path)
            where = check.where(p).line
            if old:
                node = _at(rec.data, f"{texts_path}.{mode['mode']}")
                node[item["no"] if item["no"] in node else str(item["no"])] = f"{old}\n\n{p.text.strip()}"
            else:
                rec.put(path, p.text.strip(), where, f"{mode['heading']} {item['no']}.{item['title']}")
    if chosen:
        rec.put(chosen_path, chosen, "", "智能制造模式")
    return used


def _is_framed(p: Para, block: dict) -> bool:
    spec = block.get("p") if isinstance(block.get("p"), dict) else None
    r = reading(spec) if spec else None
    return bool(r and r.slots and p.text.strip() and r.match(p.text))


def _read_figures(rec: Imported, check: _Check, parts: set) -> None:
    """Each embedded picture saved as a file (图1.png …) with its caption and part."""
    s = check.structure
    rels = check.docx.rels(check.docx.main)
    used: set[int] = set()
    n = 0
    for p in check.body.paras:
        for pic in p.pictures:
            rel = rels.items.get(pic.rid or "")
            if pic.linked or rel is None or rel[2]:
                continue
            hi = s.section_of.get(p.index)
            part = s.headings[hi].part if hi is not None else None
            if part not in parts:
                continue
            n += 1
            name = rel[1]
            data = check.docx.read(name, 64 << 20)
            ext = Path(name).suffix.lower() or ".png"
            file = f"图{n}{ext}"
            caption = check._caption(p, used)
            words = caption[2] if caption else ""
            if caption:
                check.captions.add(caption[0].index)
            rec.figures.append((file, data))
            where = check.where(p).line
            rec.put(f"figures[{n - 1}].file", file, where, "配图")
            if words:
                rec.put(f"figures[{n - 1}].caption", words, where, "配图")
            rec.put(f"figures[{n - 1}].part", part, where, "配图")


def _unread(rec: Imported, doc: Document) -> None:
    """The fields the form shows that no reading gives back, listed once by label."""
    seen: set[str] = set()
    for spec in _value_specs(doc.layout.get("blocks") or []):
        r = reading(spec)
        if r is None or not r.unread:
            continue
        label = spec.get("label") or "、".join(r.unread)
        if label in seen:
            continue
        seen.add(label)
        rec.add(
            "IM005",
            WARNING,
            None,
            label,
            f"「{label}」由多项数据算出，无法读回记录：请在记录中填写 {'、'.join(r.unread)}",
        )


def _value_specs(blocks):
    for block in blocks:
        if not isinstance(block, dict):
            continue
        if isinstance(block.get("p"), dict):
            yield block["p"]
        if "table" in block:
            yield from _row_specs(block["table"].get("rows", []))


def _row_specs(rows):
    for row in rows:
        if isinstance(row, dict) and "repeat" in row:
            yield from _row_specs(row["repeat"]["rows"])
            continue
        cells = row["cells"] if isinstance(row, dict) else row
        for c in cells:
            if isinstance(c, dict) and (c.get("expr") or c.get("field") or c.get("checkbox")):
                yield c


# -- entry points ----------------------------------------------------------------------------


def import_file(path: str | Path, pack: Pack, doc_id: str | None = None, merging: bool = False) -> list[Imported]:
    """The records a filled form holds: one for a single-record Word form, one per row
    (per enterprise) for a multi-record sheet, in Word or .xlsx (:mod:`formgen.doors.sheetread`).
    ``merging``: the record is to be merged with other forms of its enterprise, so a value
    printed from ``a or b`` waits to be put (:func:`imported.finish_eithers`).
    Raises DraftError (one line of Chinese) for a file that cannot be read."""
    recs = _import_file(Path(path), pack, doc_id)
    if not merging:
        for rec in recs:
            finish_eithers(rec)
    return recs


def _import_file(path: Path, pack: Pack, doc_id: str | None) -> list[Imported]:
    from . import sheetread

    if path.suffix.casefold() == ".xlsx":
        from .workbook import is_record_workbook

        if is_record_workbook(path):
            raise DraftError(
                f"{path.name}：这是 formgen 的记录工作簿，不是填好的申报表，不必读入："
                "直接用 formgen validate / fill / summary",
                "IM006",
            )
        return sheetread.read_sheet(path, pack, doc_id)
    with Docx(path) as docx:
        body = read_body(docx)
        if doc_id is not None:
            named = next((d for d in sheetread.sheets_of(pack) if d.id == doc_id), None)
            doc = named or _identify(body, pack, doc_id, path.name)
        else:
            lines = [p.text for p in body.paras if p.table is None][:80]
            doc = sheetread.sheet_document(lines, pack) or _identify(body, pack, doc_id, path.name)
        if doc.single:
            return [read_single(path, docx, pack, doc)]
        return sheetread.read_sheet_docx(path, docx, body, pack, doc)


def _identify(body, pack: Pack, doc_id: str | None, name: str) -> Document:
    """The form a Word file is: by the title it carries (or ``--doc``), and only when it
    has that form's make as well (:func:`has_form`): a 整改通知 that names 附件3's title
    is no 附件3 (IM006, nothing read)."""
    from .draft import _choose

    doc, _notes = _choose(body, pack, doc_id, name)
    if doc.single and not has_form(body, doc):
        head, _, rest = doc.title.partition(" ")
        title = rest if rest and head.startswith("附件") else doc.title
        raise DraftError(
            f"{name}：不是{pack.title}的申报表：文中提到《{title}》，却没有它的表格栏目和标题，未读入",
            "IM006",
        )
    return doc


STRUCTURE_SHARE = 0.25  # of a form's table labels and headings, found in a file that is that form


def has_form(body, doc: Document) -> bool:
    """Whether a Word file has the make of ``doc``: at least a quarter of the labelled cells
    of its tables and of its headings are found in it (a hand-made form may leave rows out
    or word a heading its own way; a letter that names the form has none of them)."""
    found, total = form_found(body, doc)
    return total == 0 or found >= STRUCTURE_SHARE * total


def to_loaded(rec: Imported, pack: Pack):
    """The imported record type-checked, its findings pointing into the form: a
    :class:`formgen.record.loader.Loaded` whose ``notes`` carry what the reading found and each
    value of the wrong type (left out of the record, at its place in the form)."""
    from ..record.loader import build

    data = {"pack": pack.name, **{k: v for k, v in rec.data.items() if k != "pack"}}
    loaded = build(rec.source, data, rec.places)
    loaded.notes = sorted(rec.findings + loaded.notes, key=Finding.sort_key)
    return loaded


def record_name(rec: Imported, taken: set[str]) -> str:
    """A file stem for an imported record: the enterprise, else the form's file name,
    numbered when two records share it."""
    from ..output import safe_name

    stem = safe_name(rec.name or rec.source.stem)
    name, n = stem, 2
    while name in taken:
        name, n = f"{stem}_{n}", n + 1
    taken.add(name)
    return name


def record_files(rec: Imported, pack: Pack, stem: str, fmt: str = "yaml") -> tuple[list[tuple[str, bytes]], object]:
    """The files one imported record is written as: the record (YAML, or a workbook with
    ``fmt='xlsx'``) and its figures in ``<stem>_配图/``; and the Loaded record (a value
    of the wrong type left out, and said in its notes). A record with a value of the
    wrong type is written as YAML all the same, every value as the form says it (what
    the form says is kept), but never as a workbook."""
    import yaml

    from .blank import record_yaml

    folder = f"{stem}_配图"
    data = rec.data
    if rec.figures:
        data = {**data, "figures": [{**f, "file": f"{folder}/{f['file']}"} for f in data.get("figures", [])]}
    rec = Imported(
        rec.source,
        rec.document,
        data,
        rec.places,
        rec.labels,
        rec.findings,
        rec.figures,
        rec.row,
        rec.extra_sources,
        rec.lasts,
    )
    figures = [(f"{folder}/{name}", blob) for name, blob in rec.figures]
    loaded = to_loaded(rec, pack)
    if loaded.dropped or len(loaded.notes) > len(rec.findings):  # a value the record cannot hold
        head = f"# formgen 企业申报记录（由 formgen import 从 {_sources(rec)} 读入；有错误，须改正）\n"
        text = head + yaml.safe_dump(
            {"pack": pack.name, **data}, allow_unicode=True, sort_keys=False, width=4096, default_flow_style=False
        )
        return [(f"{stem}.yaml", text.encode("utf-8")), *figures], loaded
    if fmt == "xlsx":
        from .workbook import WorkbookError, record_workbook

        try:
            return [(f"{stem}.xlsx", record_workbook(loaded.record, pack)), *figures], loaded
        except WorkbookError as e:  # the caller writes nothing and says which form
            e.source = _sources(rec)
            raise
    text = record_yaml(loaded.record)
    head = f"# formgen 企业申报记录（由 formgen import 从 {_sources(rec)} 读入）\n"
    return [(f"{stem}.yaml", (head + text).encode("utf-8")), *figures], loaded


def _sources(rec: Imported) -> str:
    return "、".join(p.name for p in [rec.source, *rec.extra_sources])


def loaded_records(recs: list[Imported], pack: Pack) -> list:
    """Imported records type-checked and ready for validate, fill and summary, each
    finding pointing into its form: a Loaded each (a value of the wrong type left out
    and said in its notes). Figures are kept in a private folder for the life of the
    process."""
    import atexit
    import shutil
    import tempfile

    out: list = []
    taken: set[str] = set()
    for rec in recs:
        stem = record_name(rec, taken)
        files, got = record_files(rec, pack, stem)
        figures = files[1:]
        if figures:
            folder = Path(tempfile.mkdtemp(prefix="formgen-import-"))
            atexit.register(shutil.rmtree, folder, True)
            for name, blob in figures:
                (folder / name).parent.mkdir(parents=True, exist_ok=True)
                (folder / name).write_bytes(blob)
            got.files_dir = folder
        out.append(got)
    return out


@dataclass
class ImportResult:
    """What ``formgen import`` read from each form: (form, stem, Imported, Loaded) per
    record, the files to write, and the forms that could not be read."""

    records: list[tuple[Path, str, Imported, Loaded]] = field(default_factory=list)
    files: list[tuple[str, bytes]] = field(default_factory=list)
    unreadable: list[Finding] = field(default_factory=list)


FORM_SUFFIXES = (".docx", ".xlsx")


def read_forms(paths: list[Path], pack: Pack, doc_id: str | None = None) -> tuple[list[Imported], list[Finding]]:
    """Every form read, the forms of one enterprise (by its name) merged into one
    record (附件3 and 附件4); a form that cannot be read is one finding, not the end of
    the batch. Records come in the order of the forms."""
    read: list[Imported] = []
    unreadable: list[Finding] = []
    for path in paths:
        try:
            recs = import_file(path, pack, doc_id, merging=True)
        except DraftError as e:
            unreadable.append(e.finding(str(path)))
            continue
        for rec in recs:
            same = next((r for r in read if rec.name and _norm(r.name) == _norm(rec.name)), None)
            if same is not None and rec.document.single and same.document.single:
                merge(same, rec)  # 附件3 and 附件4 of one enterprise: one record
            else:
                read.append(rec)
    for rec in read:
        finish_eithers(rec)
    return read, unreadable


def import_forms(paths: list[Path], pack: Pack, doc_id: str | None = None, fmt: str = "yaml") -> ImportResult:
    """Read every form (:func:`read_forms`) and make the files of each record."""
    result = ImportResult()
    taken: set[str] = set()
    read, result.unreadable = read_forms(paths, pack, doc_id)
    for rec in read:
        stem = record_name(rec, taken)
        files, got = record_files(rec, pack, stem, fmt)
        result.records.append((rec.source, stem, rec, got))
        result.files += files
    return result


def merge(into: Imported, other: Imported) -> None:
    """The values of another form of the same enterprise added to ``into``; a value the
    two forms give differently is reported (IM003), the first form's kept. Findings carry
    their own form's name."""
    shift = len(into.figures)
    _make_room(into, other)
    items, union = _match_items(into, other)
    for path, value in _leaves(other.data):
        if shift and path.startswith("figures["):
            n = int(path[8 : path.index("]")])
            path = f"figures[{n + shift}]{path[path.index(']') + 1 :]}"
        path = _from_end(path, other.lasts)
        for theirs, mine in items.items():
            if path.startswith((theirs + ".", theirs + "[")):
                path = mine + path[len(theirs) :]
                break
        old = _at(into.data, path)
        if path in union and isinstance(old, list) and isinstance(value, list):
            value = old + [x for x in value if x not in old]  # 优秀场景 of two 附件2: both
            _at(into.data, path.rsplit(".", 1)[0])[path.rsplit(".", 1)[1]] = value
            continue
        where = f"{other.source.name} {other.places.get(path, '')}".strip()
        into.put(path, value, where, other.labels.get(path, path))
    into.findings += other.findings
    into.figures += other.figures
    into.extra_sources.append(other.source)
    into.extra_documents.append(other.document)
    # ``a or b`` of fields outside lists (no item moves them), at their place in other's form
    into.eithers += [
        (paths, raw, f"{other.source.name} {where}".strip(), lab) for paths, raw, where, lab in other.eithers
    ]


def _from_end(path: str, lasts: set[str]) -> str:
    """A path into an item its form addressed as the last (``financials[0].tax`` read from
    ``financials[-1]``) addressed so again, to be the last item of the record it joins."""
    for item in lasts:
        if path == item or path.startswith(item + ".") or path.startswith(item + "["):
            return item[: item.rindex("[")] + "[-1]" + path[len(item) :]
    return path


def _match_items(into: Imported, other: Imported) -> tuple[dict[str, str], set[str]]:
    """Where the items of a list a split document prints (附件2: the scenario it is for)
    go when it joins a form of the same enterprise: matched by their key (the scenario's
    name), not their place; the items of a form that lists them all (附件3) keep their
    order. Returns other's item paths -> into's, and the split fields whose lists join."""
    split = other.document.split or into.document.split
    if not split:
        return {}, set()
    lst = split["list"]
    theirs = _item_keys(other, split)
    if into.document.split and not other.document.split:  # the full list: into's items go to its places
        moves, later = {}, len(theirs)
        for i, k in enumerate(_item_keys(into, split)):
            if k is not None and k in theirs:
                moves[i] = theirs.index(k)
            else:
                moves[i], later = later, later + 1
        _renumber(into, lst, moves)
        return {}, {split["by"]}  # other's items now go to the same places
    mine = _item_keys(into, split)
    out, extra = {}, len(mine)
    for i, k in enumerate(theirs):
        if k is not None and k in mine:
            j = mine.index(k)
        else:
            j, extra = extra, extra + 1
        out[f"{lst}[{i}]"] = f"{lst}[{j}]"
    # placeholders so that a new item lands at its own index
    items = _at(into.data, lst)
    if isinstance(items, list):
        items += [{} for _ in range(extra - len(items))]
    return out, {split["by"]}


def _renumber(rec: Imported, lst: str, moves: dict[int, int]) -> None:
    """Items of the list at ``lst`` moved (old index -> new), with their places and labels."""
    items = _at(rec.data, lst)
    if not isinstance(items, list) or all(i == j for i, j in moves.items()):
        return
    moved: list = [{} for _ in range(max([len(items) - 1, *moves.values()]) + 1)]
    for i, item in enumerate(items):
        moved[moves.get(i, i)] = item
    items[:] = moved
    for table in (rec.places, rec.labels):
        renamed = {}
        for k in list(table):
            for i, j in moves.items():
                old = f"{lst}[{i}]"
                if k == old or k.startswith((old + ".", old + "[")):
                    renamed[f"{lst}[{j}]" + k[len(old) :]] = table.pop(k)
                    break
        table.update(renamed)


def _make_room(into: Imported, other: Imported) -> None:
    """Items ``into`` holds as its lists' last moved to the end of the items ``other``
    gives in full (附件3's 上年末 figures after 附件2's 近三年: the last year's)."""
    for item in sorted(into.lasts):
        list_path, k = item[: item.rindex("[")], int(item[item.rindex("[") + 1 : -1])
        mine, theirs = _at(into.data, list_path), _at(other.data, list_path)
        full = [x for x in other.lasts if x.startswith(list_path + "[")]
        if not isinstance(mine, list) or not isinstance(theirs, list) or full or k != len(mine) - 1:
            continue
        n = len(theirs)
        if n <= len(mine):
            continue
        mine[k:k] = [{} for _ in range(n - len(mine))]  # the last item now at n - 1
        old, new = item, f"{list_path}[{n - 1}]"
        for table in (into.places, into.labels):
            for key in [x for x in table if x == old or x.startswith((old + ".", old + "["))]:
                table[new + key[len(old) :]] = table.pop(key)
        into.lasts.discard(old)
        into.lasts.add(new)


def _leaves(data, prefix: str = ""):
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _leaves(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(data, list) and any(isinstance(x, dict) for x in data):
        for i, v in enumerate(data):
            yield from _leaves(v, f"{prefix}[{i}]")
    elif data is not None:
        yield prefix, data
