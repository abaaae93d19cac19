"""Problems out as files: the bureau's 问题清单 (.xlsx) and one 整改通知 (.docx) per
enterprise, from the findings of ``summary`` (a batch) or ``validate`` (one or many
records).

The input is one :class:`ReportEntry` per record (enterprise, credit code, file, its
findings and, for a batch, its state on the sheet: 列入 / 超出名额 / 有错误，未列入 /
未列入). Batch-level findings (BT001/BT002 duplicates, QT001 quota) are passed apart:
one whose ``source`` is a record's file goes with that record, the others get rows of
their own in the 问题清单 and no notice.

Where a problem is, in plain Chinese (:func:`place_text`): ``第12行`` for a YAML record,
``工作表「基本信息」C7`` for a workbook record, the place string itself for a Word draft
(``表格1 第1行「工厂名称」``).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from docx.shared import Pt

from ..output import safe_name
from ..record.findings import SEVERITY_ZH, Finding
from ..render import ooxml
from ..render import xlsx as xlsx_render

# States a batch gives a record (what `formgen summary` prints).
LISTED, OUTSIDE, DUPLICATE, REFUSED, NOT_LISTED = "列入", "超出名额", "重复，未列入", "有错误，未列入", "未列入"
# Findings about the round rather than the material: no enterprise is told to fix them.
NOT_FOR_NOTICE = frozenset({"DL001"})
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

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.is_error)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if not f.is_error)


def entry_for(source, loaded, findings: Iterable[Finding], state: str = "") -> ReportEntry:
    """A :class:`ReportEntry` from what ``validate`` has: the path, the loaded record
    (None when it could not be read) and its findings."""
    from ..record.ids import compact

    enterprise = loaded.record.enterprise if loaded is not None else None
    name = (enterprise.name if enterprise else "") or Path(source).name
    code = compact(enterprise.credit_code or "") if enterprise else ""
    return ReportEntry(name, code, str(source), list(findings), state)


def entries_for_batch(entries, state_of) -> list[ReportEntry]:
    """One report entry per record of a batch (:class:`formgen.app.Entry`), in the order
    given; ``state_of(entry)`` gives its state (the CLI's own wording, not worked out here)."""
    return [ReportEntry(e.name, e.credit_code, str(e.source), list(e.findings), state_of(e)) for e in entries]


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
    out = [ReportEntry(e.name, e.credit_code, e.source, list(e.findings), e.state) for e in entries]
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


def problem_line(f: Finding) -> str:
    """One problem, to the enterprise: where to fix it (the field and the place) and what
    is wrong."""
    place = place_text(f)
    label = f"「{f.label}」" if f.label and f.label not in place else ""
    where = f"{place}{label}" if place else label
    head = f"{where}：" if where else ""
    return _sentence(f"{head}{f.message}")


def _date_text(date: dt.date | None) -> str:
    return f"{date.year}年{date.month}月{date.day}日" if date else BLANK_DATE


def notice(entry: ReportEntry, round_title: str, unit: str, date: dt.date | None = None, batch: str = "") -> bytes:
    """One 整改通知: title, the enterprise as addressee, the round, every problem numbered
    (errors first; warnings marked 建议), the bureau and the date (blank for handwriting).
    ``batch`` (the run's batch identity) goes into its properties, as in :func:`problem_report`."""
    size = ooxml.size_pt(BODY["size"])
    doc = ooxml.new_document(PAGE, BODY)
    section = doc.sections[0]
    ooxml.page_numbers(section, "四号")

    def para(text: str = "", align: str = "left", indent: bool = False, font: str | None = None, psize=None):
        p = doc.add_paragraph()
        p.alignment = ooxml.ALIGN[align]
        ooxml.set_spacing(p, first_line_chars=2 if indent else None, font_size_pt=size)
        if text:
            run = p.add_run(text)
            ooxml.set_run_font(run, font or BODY["east_asia"], BODY["ascii"], psize or BODY["size"])
        return p

    title = para("整改通知", "center", font=TITLE_FONT, psize="二号")
    ooxml.set_spacing(title, line_exact_pt=40, after_pt=28)
    para(f"{entry.name}：")
    findings = [f for f in ordered(entry.findings) if f.code not in NOT_FOR_NOTICE]
    file_name = Path(entry.source).name if entry.source else ""
    material = f"申报材料（{file_name}）" if file_name else "申报材料"
    if any(f.is_error for f in findings):
        opening = f"你单位报送的《{round_title}》{material}经审核，存在以下问题，请按要求修改后重新报送："
    else:
        opening = f"你单位报送的《{round_title}》{material}经审核，有以下事项请核实，如确有不妥请修改后重新报送："
    para(opening, indent=True)
    last = None
    for i, f in enumerate(findings, 1):
        mark = "" if f.is_error else "（建议）"
        last = para(f"{i}．{mark}{problem_line(f)}", indent=True)
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
    """``(file name, .docx bytes)`` of a 整改通知 for every record with a problem to
    fix or check, named 整改通知_<企业>.docx (two files of one enterprise: the second
    and later also carry their file's name)."""
    entries, _ = attach(entries, batch_findings)
    out: list[tuple[str, bytes]] = []
    used: set[str] = set()
    for e in entries:
        if not any(f.code not in NOT_FOR_NOTICE for f in e.findings):
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
