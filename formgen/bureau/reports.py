"""Problems out as files: the bureau's 问题清单 (.xlsx) and one 整改通知 (.docx) per
enterprise, from the findings of ``summary`` (a batch) or ``validate`` (one or many
records).

The input is one :class:`ReportEntry` per record (enterprise, credit code, file, its
findings and, for a batch, its state on the sheet: 列入 / 超出名额 / 有错误，未列入 /
未列入). Batch-level findings (BT001/BT002 duplicates, QT001 quota) are passed apart:
one whose ``source`` is a record's file goes with that record, the others get rows of
their own in the 问题清单 and no notice.

Where a problem is, in plain Chinese. The 问题清单 is the clerk's and names the place in
the file (:func:`place_text`): ``第12行`` for a YAML record, ``工作表「基本信息」C7`` for a
workbook record, the place string itself for a Word draft (``表格1 第1行「工厂名称」``).
A 整改通知 is the enterprise's and names the place in the form it filled and printed
(:func:`letter_place`): ``附件3《甘肃省基础级智能工厂申报书》表格「企业基本信息」第6行「手机」``,
found by the pack (:mod:`formgen.packs.where`), never a line of a record file.

What a letter never carries: a command-line option, a folder or file path, another
enterprise or its file, a record path or a raw value. Duplicates are settled first
(:func:`letter_entries`): one letter per enterprise, about the file that was kept.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from docx.shared import Pt

from ..doors.filedate import made_at
from ..output import safe_name
from ..packs.where import FormPlaces, form_name
from ..record.findings import SEVERITY_ZH, Finding
from ..render import ooxml
from ..render import xlsx as xlsx_render

# States a batch gives a record (what `formgen summary` prints).
LISTED, OUTSIDE, DUPLICATE, REFUSED, NOT_LISTED = "列入", "超出名额", "重复，未列入", "有错误，未列入", "未列入"
# Findings no enterprise is told to fix: about the round (DL001), the pack the clerk checks by
# (PK001), or about which of its
# files the bureau keeps (BT001, BT002: a letter says nothing of other files).
NOT_FOR_NOTICE = frozenset({"DL001", "BT001", "BT002", "PK001"})
REQUIRED = "RQ001"  # a field left empty: said once, for a field only the bureau's sheets need
BATCH_NAME = "（整批）"  # the 企业 of a batch-level finding that concerns no one record

_CELL = re.compile(r"^\$?[A-Z]{1,3}\$?[0-9]{1,7}$")


@dataclass
class ReportEntry:
    """One record as the reports see it."""

    name: str  # the enterprise (or the file's name when the record could not be read)
    credit_code: str = ""
    source: str = ""  # the record file, as the findings name it
    findings: list[Finding] = field(default_factory=list)
    state: str = ""  # as Batch.state says (LISTED, OUTSIDE, DUPLICATE, ...); "" outside a batch
    org_code: str = ""  # the 组织机构代码 (from the credit code where it has one): a Word 附件3 prints only it
    # where the record's fields are in the forms the enterprise fills (None: no pack to say)
    places: FormPlaces | None = None
    superseded: bool = False  # another file of the enterprise was kept over it: nobody's to fix
    forms: dict = field(default_factory=dict)  # file name -> the pack's Document a filled form was read as
    made: dt.datetime | None = None  # when the newest of its files was made, where the batch knows it

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.is_error)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if not f.is_error)


def _org_code(enterprise) -> str:
    from ..record.ids import compact, org_code_of

    code = compact(enterprise.credit_code or "")
    if len(code) == 18:
        return org_code_of(code)
    return compact(enterprise.org_code or "")


def entry_for(source, loaded, findings: Iterable[Finding], state: str = "", pack=None) -> ReportEntry:
    """A :class:`ReportEntry` from what ``validate`` has: the path, the loaded record
    (None when it could not be read), its findings and the pack it was checked by."""
    from ..record.ids import compact

    enterprise = loaded.record.enterprise if loaded is not None else None
    name = (enterprise.name if enterprise else "") or Path(source).name
    code = compact(enterprise.credit_code or "") if enterprise else ""
    org = _org_code(enterprise) if enterprise else ""
    places = FormPlaces(pack, loaded.record) if pack is not None and loaded is not None else None
    return ReportEntry(name, code, str(source), list(findings), state, org, places)


def entries_for_batch(entries, state_of, superseded=()) -> list[ReportEntry]:
    """One report entry per record of a batch (:class:`formgen.app.Entry`, checked by
    the pack it names as ``pack``), in the order given; ``state_of(entry)`` gives its state
    (the CLI's own wording, not worked out here); ``superseded``: the entries another file
    of their enterprise was kept over."""
    out = []
    for e in entries:
        r = entry_for(e.source, e.loaded, e.findings, state_of(e), getattr(e, "pack", None))
        r.name, r.credit_code = e.name, e.credit_code
        r.superseded = any(e is x for x in superseded)
        r.forms = dict(getattr(e, "forms", None) or {})
        r.made = getattr(e, "made", None)
        out.append(r)
    return out


def _same_file(a: str, b: str) -> bool:
    if not a or not b:
        return False
    if a == b:
        return True
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


def attach(
    entries: Sequence[ReportEntry], batch_findings: Iterable[Finding]
) -> tuple[list[ReportEntry], list[Finding]]:
    """The entries with each batch-level finding added to the record it names (its
    ``source``), and the batch-level findings that name no record. The inputs are not
    changed."""
    out = [replace(e, findings=list(e.findings)) for e in entries]
    loose = []
    for f in batch_findings:
        owner = next((e for e in out if _same_file(f.source, e.source)), None)
        if owner is None:
            loose.append(f)
        elif f not in owner.findings:
            owner.findings.append(f)
    return out, loose


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    """Errors first, then in the order of the source."""
    return sorted(findings, key=Finding.sort_key)


def place_text(f: Finding) -> str:
    """Where the problem is, as a person looks for it: 第12行 (a YAML record),
    工作表「基本信息」C7 (a workbook record), or the Word place of a draft."""
    line = f.line
    if line is None or line == "":
        return ""
    if isinstance(line, int):
        return f"第{line}行"
    if "!" in line:
        sheet, cell = line.rsplit("!", 1)
        if _CELL.match(cell):
            sheet = sheet.strip("'")
            return f"工作表「{sheet}」{cell.replace('$', '')}"
    return line


# --- the 问题清单 (.xlsx) -----------------------------------------------------------------
# Printed as a clerk files it: A4 landscape, every column on one page across at 100 %
# (the columns' widths are fixed here and add up to less than the printable width, and
# every text wraps, so the body prints at BODY_PT whatever the findings say), the title
# with the unit and the date, the header row on every page, 第 N 页，共 M 页 below.

BODY_PT = 10.5  # 五号; printed at the plan's scale, which must keep it at MIN_PRINTED_PT or more
MIN_PRINTED_PT = 9.0
REPORT_TITLE_PT = 16.0
FONT_NAME = "宋体"
PAPER = {"paper": "A4", "orientation": "landscape", "fit_width": 1}
# (header, width in points): the columns each sheet prints, every one wrapping its text
PROBLEM_COLUMNS = [
    ("序号", 32),
    ("企业", 150),
    ("文件", 104),
    ("位置", 80),
    ("规则", 44),
    ("严重程度", 50),
    ("栏目", 104),
    ("问题", 212),
]
SUMMARY_COLUMNS = [
    ("序号", 32),
    ("企业", 170),
    ("统一社会信用代码", 128),
    ("文件", 150),
    ("错误数", 44),
    ("警告数", 44),
    ("状态", 130),
]
# A batch that wrote no sheet: a record the batch would have listed says so.
NOT_WRITTEN = "未列入（未生成汇总表）"


def unwritten_state(state: str) -> str:
    """A record's state in a batch that wrote nothing: 列入 would say it is on a sheet.

    >>> unwritten_state(LISTED), unwritten_state(REFUSED)
    ('未列入（未生成汇总表）', '有错误，未列入')
    """
    return NOT_WRITTEN if state == LISTED else state


def draft_state(state: str) -> str:
    """A record's state in a batch written as drafts (草稿 on every sheet).

    >>> draft_state(LISTED)
    '列入（草稿）'
    """
    return f"{state}（草稿）" if state == LISTED else state


def file_name(source: str) -> str:
    """The file's name, without its folder (the 问题清单 names the file the enterprise sent).

    >>> file_name("收件/陇秦数控/申报.yaml"), file_name("")
    ('申报.yaml', '')
    """
    return Path(source).name if source else ""


def date_text(date: dt.date) -> str:
    """The date as the sheet prints it.

    >>> date_text(dt.date(2026, 1, 5))
    '2026年1月5日'
    """
    return f"{date.year}年{date.month}月{date.day}日"


def print_plan(columns: Sequence[tuple[str, float]]) -> xlsx_render.PrintPlan:
    """How a sheet of ``columns`` prints (its scale, and the size the body text prints at)."""
    widths = [xlsx_render.column_pt(xlsx_render.width_for(w)) for _, w in columns]
    return xlsx_render.print_plan({**PAPER, "xlsx_size": BODY_PT}, widths)


def problem_report(
    entries: Sequence[ReportEntry],
    batch_findings: Iterable[Finding] = (),
    title: str = "申报材料问题清单",
    author: str = "",
    date: dt.date | None = None,
    outcome: str = "",
    batch: str = "",
) -> bytes:
    """The 问题清单 workbook: sheet 问题清单 (one row per finding: 序号, 企业, 文件, 位置,
    规则, 严重程度, 栏目, 问题) and sheet 汇总 (one row per record: 统一社会信用代码, file,
    counts and, for a batch, its state as written). Each sheet opens with ``title`` and a
    line naming the issuing unit (``author``, where given) and ``date`` (today); the 汇总
    sheet then says ``outcome`` (what the run wrote). Files are named without their
    folders. Every text cell is a string, never a formula. ``batch`` (the run's batch
    identity) is set as its :data:`~formgen.render.ooxml.BATCH_PROPERTY`, so the next run
    of the same batch may replace it."""
    entries, loose = attach(entries, batch_findings)
    date = date or dt.date.today()
    rows: list[list] = []
    for e in entries:
        for f in ordered(e.findings):
            rows.append(
                [e.name, file_name(e.source), place_text(f), f.code, SEVERITY_ZH[f.severity], f.label, f.message]
            )
    for f in ordered(loose):
        rows.append(
            [BATCH_NAME, file_name(f.source), place_text(f), f.code, SEVERITY_ZH[f.severity], f.label, f.message]
        )
    rows = [[i, *r] for i, r in enumerate(rows, 1)]

    buf = io.BytesIO()
    # a text too long for a cell (a value quoted in a finding) is cut with a note in the cell
    wb = xlsx_render.new_workbook(buf, clip=True)
    wb.set_properties(
        {"title": title, "author": author, "created": dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)}
    )
    if batch and wb.set_custom_property(ooxml.BATCH_PROPERTY, batch, "text") != 0:
        raise RuntimeError("the batch mark was not set")
    font = {"font_name": FONT_NAME, "font_size": BODY_PT}
    base = {**font, "border": 1, "valign": "top", "text_wrap": True}
    f_head = wb.add_format({**base, "bold": True, "align": "center", "valign": "vcenter", "bg_color": "#D9D9D9"})
    f_title = wb.add_format(
        {**font, "font_size": REPORT_TITLE_PT, "bold": True, "align": "center", "valign": "vcenter", "text_wrap": True}
    )
    f_line = wb.add_format({**font, "align": "left", "valign": "vcenter", "text_wrap": True})
    f_num = wb.add_format({**base, "align": "center"})
    formats: dict[tuple, object] = {}

    def fmt(quote: bool, error: bool = False):
        key = (quote, error)
        if key not in formats:
            extra = {"quote_prefix": True} if quote else {}
            if error:
                extra["font_color"] = "#C00000"
            formats[key] = wb.add_format({**base, **extra})
        return formats[key]

    made_by = "　　".join(x for x in (f"发出单位：{author}" if author else "", f"日期：{date_text(date)}") if x)

    def sheet(name: str, columns, data: list[list], lines: list[str], severity_col: int | None = None):
        ws = wb.add_worksheet(name)
        plan = print_plan(columns)
        if plan.printed_pt < MIN_PRINTED_PT or plan.fit_width != 1:  # the column widths above are wrong
            raise RuntimeError(f"{name} would print at {plan.printed_pt} pt")
        widths = [xlsx_render.width_for(w) for _, w in columns]
        full = sum(xlsx_render.column_pt(w) for w in widths)
        last_col = len(columns) - 1
        r = 0
        for text, f, size in [(title, f_title, REPORT_TITLE_PT)] + [(t, f_line, BODY_PT) for t in lines]:
            ws.merge_range(r, 0, r, last_col, text, f)
            ws.set_row(r, min(max(xlsx_render.text_height(text, full, size), size * 1.8), xlsx_render.MAX_ROW_PT))
            r += 1
        head = r
        for c, ((h, _), w) in enumerate(zip(columns, widths, strict=True)):
            ws.set_column(c, c, w)
            ws.write_string(head, c, h, f_head)
        ws.set_row(
            head,
            max(
                xlsx_render.text_height(h, xlsx_render.column_pt(w), BODY_PT)
                for (h, _), w in zip(columns, widths, strict=True)
            ),
        )
        for r, row in enumerate(data, head + 1):
            height = BODY_PT * 1.8
            for c, v in enumerate(row):
                if isinstance(v, int):
                    ws.write_number(r, c, v, f_num)
                    continue
                text = str(v)
                error = severity_col is not None and c == severity_col and text == SEVERITY_ZH["error"]
                ws.write_string(r, c, text, fmt(text.startswith(xlsx_render.FORMULA_START), error))
                height = max(height, xlsx_render.text_height(text, xlsx_render.column_pt(widths[c]), BODY_PT))
            ws.set_row(r, min(height, xlsx_render.MAX_ROW_PT))
        last_row = head + max(len(data), 1)
        ws.autofilter(head, 0, last_row, last_col)
        ws.freeze_panes(head + 1, 0)
        xlsx_render.set_up_page(
            ws, plan, footer_pt=BODY_PT, repeat_rows=(head, head), print_area=(0, 0, head + len(data), last_col)
        )
        return ws

    counts = f"共 {len(rows)} 条问题（错误 {sum(r[5] == SEVERITY_ZH['error'] for r in rows)} 条）"
    sheet("问题清单", PROBLEM_COLUMNS, rows, [f"{made_by}　　{counts}"], severity_col=5)
    with_state = any(e.state for e in entries)
    columns = SUMMARY_COLUMNS if with_state else SUMMARY_COLUMNS[:-1]
    summary_rows = [
        [i, e.name, e.credit_code, file_name(e.source), e.errors, e.warnings] + ([e.state] if with_state else [])
        for i, e in enumerate(entries, 1)
    ]
    sheet("汇总", columns, summary_rows, [made_by] + ([outcome] if outcome else []))
    wb.close()
    return buf.getvalue()


# --- the 整改通知 (.docx) -----------------------------------------------------------------

PAGE = {"margins_cm": [3.7, 2.6, 3.5, 2.8]}  # GB/T 9704 公文 margins: top, right, bottom, left
BODY = {"east_asia": "仿宋_GB2312", "ascii": "Times New Roman", "size": "三号", "line_exact_pt": 28}
TITLE_FONT = "方正小标宋简体"
BLANK_DATE = "　　年　　月　　日"
_END = "。？！；：…”）)」"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in _END else text + "。"


def _is_word_place(f: Finding, source: str) -> bool:
    """Whether the finding's place is one in a Word form read back (表格1 第6行「手机」)."""
    line = f.line
    if not isinstance(line, str) or not line or ("!" in line and _CELL.match(line.rsplit("!", 1)[1])):
        return False
    return Path(f.source or source).suffix.casefold() == ".docx"


def letter_place(f: Finding, places: FormPlaces | None, source: str = "", forms=None) -> str:
    """Where the enterprise finds the problem, in the form it filled: the place the pack's
    form prints the field at (:meth:`FormPlaces.place`), the Word place of a form read back
    after the name of the form that file was read as (``forms``: file name -> the pack's
    Document; a place in another form merged in starts with that file's name, which a
    letter does not print), or "" (a record file's line or cell is the clerk's, not the
    enterprise's: it prints the forms)."""
    forms = forms or {}
    if _is_word_place(f, source):
        line = str(f.line)
        doc = forms.get(Path(f.source or source).name)
        for name, other in forms.items():
            if line.startswith(f"{name} "):
                line, doc = line[len(name) + 1 :], other
                break
        if doc is None and places is not None and f.path:
            doc = places.form_of(f.path)
        return form_name(doc) + line if doc is not None else line
    if places is not None and f.path:
        found = places.place(f.path)
        if found is not None:
            return found.text()
    return ""


def problem_line(f: Finding, places: FormPlaces | None = None, source: str = "", forms=None) -> str:
    """One problem, to the enterprise: where to fix it (the form and the place in it, else
    the field's label) and what is wrong. A field only the bureau's sheets print, beside
    forms of the enterprise's own, is said to be for them."""
    place = letter_place(f, places, source, forms)
    # a place names the field by the form's own label (it ends with it): not said twice
    label = f"「{f.label}」" if f.label and not place.endswith("」") and f.label not in place else ""
    if not place and label and places is not None and places.forms and f.path and places.sheet_only(f.path):
        label += "（用于汇总表）"
    where = place if place and not label else f"{place}{label}"
    head = f"{where}：" if where else ""
    return _sentence(f"{head}{f.message}")


def _field_title(f: Finding) -> str:
    """The field as the record model names it (智能制造能力成熟度评估分数): a sheet's column
    header (自评得分) means little alone."""
    from ..record.loader import label_for
    from ..record.model import Record
    from ..record.paths import parse_path

    title = label_for(Record, parse_path(f.path)).split("·")[-1] if f.path else ""
    title = re.sub(r"（[^（）]*附件[^（）]*）$", "", title)  # 所属行业（甘肃附件1）: the model's note of where
    return re.sub(r"第\d+项$", "", title) or f.label


def sheet_asks(findings: Iterable[Finding], places: FormPlaces | None) -> tuple[list[Finding], list[Finding]]:
    """Of the empty fields (RQ001), those only the sheets the bureau compiles print, split
    into (asked of the enterprise, left to the bureau).

    Decided per field from the pack's data: a field no form of the enterprise prints but a
    sheet (kind multi or bureau) does is not an item of its own in a letter. The bureau
    fills the value the pack itself gives (:meth:`FormPlaces.pack_gives`: 省 of a pack whose
    regions all lie in its province); the rest (提交时间, 自评得分, 企业规模 … : the
    enterprise's own facts, which only it knows) are asked for once, in one item, by the
    names the record model gives them (:func:`_field_title`)."""
    if places is None:
        return [], []
    only = [f for f in findings if f.code == REQUIRED and f.path and places.sheet_only(f.path)]
    bureau = [f for f in only if places.pack_gives(f.path)]
    return [f for f in only if f not in bureau], bureau


def letter_items(entry: ReportEntry) -> list[tuple[bool, str]]:
    """(is an error, text) of each item of the enterprise's letter, errors first: every
    finding but those no enterprise fixes (:data:`NOT_FOR_NOTICE`) and the sheets' fields
    (:func:`sheet_asks`), these asked for in one item after the other errors."""
    findings = [f for f in ordered(entry.findings) if f.code not in NOT_FOR_NOTICE]
    asked, bureau = sheet_asks(findings, entry.places)
    rest = [f for f in findings if f not in asked and f not in bureau]
    items = [(True, problem_line(f, entry.places, entry.source, entry.forms)) for f in rest if f.is_error]
    if asked:
        names = "、".join(dict.fromkeys(_field_title(f) for f in asked))
        items.append((True, f"请补充：{names}（用于汇总表）。"))
    items += [(False, problem_line(f, entry.places, entry.source, entry.forms)) for f in rest if not f.is_error]
    return items


def _enterprise_keys(entries: Sequence[ReportEntry]) -> list[tuple[str, str]]:
    """One key per enterprise, whatever its files print: the credit code, else the
    组织机构代码 (a Gansu 附件3 prints only it: joined to the one credit code it is part of),
    else the name."""
    by_org: dict[str, set[str]] = {}
    for e in entries:
        if e.credit_code and e.org_code:
            by_org.setdefault(e.org_code, set()).add(e.credit_code)
    keys = []
    for e in entries:
        if e.credit_code:
            keys.append(("code", e.credit_code))
        elif e.org_code:
            codes = by_org.get(e.org_code, set())
            keys.append(("code", next(iter(codes))) if len(codes) == 1 else ("org", e.org_code))
        else:
            keys.append(("name", e.name))
    return keys


def _made(e: ReportEntry) -> dt.datetime:
    if e.made is not None:
        return e.made
    if not e.source:
        return dt.datetime.min
    try:
        return made_at(Path(e.source))
    except OSError:
        return dt.datetime.min


def letter_entries(entries: Sequence[ReportEntry]) -> tuple[list[ReportEntry], list[tuple[ReportEntry, list]]]:
    """The entries letters are written about, in the order given: one per enterprise.
    A file another was kept over (``superseded``) is never one; of several files still
    open (a duplicate not settled, BT001; or ``validate`` given several), the newest
    (:func:`formgen.doors.filedate.made_at`, the rule ``--prefer newer`` keeps by). Also
    returns (kept, the others) of each enterprise settled here, for the clerk to be told."""
    groups: dict[tuple[str, str], list[ReportEntry]] = {}
    live = [e for e in entries if not e.superseded]
    for e, key in zip(live, _enterprise_keys(live), strict=True):
        groups.setdefault(key, []).append(e)
    kept: list[ReportEntry] = []
    settled = []
    for same in groups.values():
        keep = max(same, key=_made) if len(same) > 1 else same[0]
        kept.append(keep)
        if len(same) > 1:
            settled.append((keep, [e for e in same if e is not keep]))
    return [e for e in entries if any(e is k for k in kept)], settled


def _date_text(date: dt.date | None) -> str:
    return f"{date.year}年{date.month}月{date.day}日" if date else BLANK_DATE


def letter_paragraph(doc, text: str = "", align: str = "left", indent: bool = False, font=None, psize=None):
    """A paragraph of a letter to an enterprise (整改通知, 回执) in the 公文 body (:data:`BODY`):
    ``indent`` two characters, ``font``/``psize`` for a title or a line of its own."""
    p = doc.add_paragraph()
    p.alignment = ooxml.ALIGN[align]
    ooxml.set_spacing(p, first_line_chars=2 if indent else None, font_size_pt=ooxml.size_pt(BODY["size"]))
    if text:
        run = p.add_run(text)
        ooxml.set_run_font(run, font or BODY["east_asia"], BODY["ascii"], psize or BODY["size"])
    return p


def letter_title(doc, text: str):
    """A letter's title: centred, 二号 方正小标宋, its own line height and space after."""
    title = letter_paragraph(doc, text, "center", font=TITLE_FONT, psize="二号")
    ooxml.set_spacing(title, line_exact_pt=40, after_pt=28)
    return title


def notice(entry: ReportEntry, round_title: str, unit: str, date: dt.date | None = None, batch: str = "") -> bytes:
    """One 整改通知: title, the enterprise as addressee, the round, every problem numbered
    (errors first; warnings marked 建议), the bureau and the date (blank for handwriting).
    ``batch`` (the run's batch identity) goes into its properties, as in :func:`problem_report`."""
    size = ooxml.size_pt(BODY["size"])
    doc = ooxml.new_document(PAGE, BODY)
    section = doc.sections[0]
    ooxml.page_numbers(section, "四号")

    def para(text: str = "", align: str = "left", indent: bool = False, font: str | None = None, psize=None):
        return letter_paragraph(doc, text, align, indent, font, psize)

    letter_title(doc, "整改通知")
    para(f"{entry.name}：")
    items = letter_items(entry)
    if any(error for error, _ in items):
        opening = f"你单位报送的《{round_title}》申报材料经审核，存在以下问题，请按要求修改后重新报送："
    else:
        opening = f"你单位报送的《{round_title}》申报材料经审核，有以下事项请核实，如确有不妥请修改后重新报送："
    para(opening, indent=True)
    last = None
    for i, (error, text) in enumerate(items, 1):
        mark = "" if error else "（建议）"
        last = para(f"{i}．{mark}{text}", indent=True)
    if last is not None:  # 特此通知 and the 落款 never stand on a page without the last problem
        ooxml.keep_with_next(last)
    closing = para("特此通知。", indent=True)
    # the signature block stays with the last lines of text: never a page of 落款 alone
    ooxml.keep_with_next(closing)
    for _ in range(2):  # room for the seal
        ooxml.keep_with_next(para())
    signature = para(unit, "right")
    ooxml.keep_with_next(signature)
    dated = para(_date_text(date), "right")
    for p in (signature, dated):
        p.paragraph_format.right_indent = Pt(size * 2)  # 右空二字
    return ooxml.finish(doc, f"整改通知（{entry.name}）", unit, {ooxml.BATCH_PROPERTY: batch} if batch else None)


def notices(
    entries: Sequence[ReportEntry],
    round_title: str,
    unit: str,
    date: dt.date | None = None,
    batch_findings: Iterable[Finding] = (),
    batch: str = "",
) -> list[tuple[str, bytes]]:
    """``(file name, .docx bytes)`` of a 整改通知 for every enterprise with a problem to
    fix or check, about the file kept of it (:func:`letter_entries`), named
    整改通知_<企业>.docx (two enterprises of one name: the second and later also carry
    their file's name)."""
    entries, _ = attach(entries, batch_findings)
    entries, _ = letter_entries(entries)
    out: list[tuple[str, bytes]] = []
    used: set[str] = set()
    for e in entries:
        if not letter_items(e):
            continue
        name = f"整改通知_{safe_name(e.name)}.docx"
        if name.casefold() in used:
            name = f"整改通知_{safe_name(e.name)}_{safe_name(Path(e.source).stem)}.docx"
        k = 2
        while name.casefold() in used:
            name = f"整改通知_{safe_name(e.name)}_{k}.docx"
            k += 1
        used.add(name.casefold())
        out.append((name, notice(e, round_title, unit, date, batch=batch)))
    return out
