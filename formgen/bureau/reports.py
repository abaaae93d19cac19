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
import unicodedata
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

FONT = {"font_name": "宋体", "font_size": 11}
MAX_WIDTH = {"问题": 60, "栏目": 30, "位置": 40, "文件": 50, "企业": 36}


def _text_pt(text: str) -> float:
    """The printed width of one line: a CJK (wide) character as wide as the font size,
    a half-width one (a credit code's capitals included) a little over half of it."""
    size = FONT["font_size"]
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.62 for ch in text)


def _fit(header: str, values: Iterable) -> float:
    """A column width (Excel units) that shows the longest line whole, the header with
    its filter button, up to the column's cap (beyond it the text wraps)."""
    longest = max(
        [_text_pt(header) + 16]  # the filter button
        + [max((_text_pt(p) for p in str(v).split("\n")), default=0.0) for v in values]
    )
    return min(xlsx_render.width_for(longest + 10), MAX_WIDTH.get(header, 50))


def problem_report(
    entries: Sequence[ReportEntry],
    batch_findings: Iterable[Finding] = (),
    title: str = "申报材料问题清单",
    author: str = "",
) -> bytes:
    """The 问题清单 workbook: sheet 问题清单 (one row per finding: 企业, 统一社会信用代码,
    文件, 位置, 规则, 严重程度, 栏目, 问题) and sheet 汇总 (one row per record: counts and,
    for a batch, its state). Every text cell is a string, never a formula."""
    entries, loose = attach(entries, batch_findings)
    rows: list[list] = []
    for e in entries:
        for f in ordered(e.findings):
            rows.append(
                [e.name, e.credit_code, e.source, place_text(f), f.code, SEVERITY_ZH[f.severity], f.label, f.message]
            )
    for f in ordered(loose):
        rows.append([BATCH_NAME, "", f.source, place_text(f), f.code, SEVERITY_ZH[f.severity], f.label, f.message])

    buf = io.BytesIO()
    # a text too long for a cell (a value quoted in a finding) is cut with a note in the cell
    wb = xlsx_render.new_workbook(buf, clip=True)
    wb.set_properties(
        {"title": title, "author": author, "created": dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)}
    )
    base = {**FONT, "border": 1, "valign": "top"}
    f_head = wb.add_format({**base, "bold": True, "align": "center", "valign": "vcenter", "bg_color": "#D9D9D9"})
    formats: dict[tuple, object] = {}

    def fmt(wrap: bool, quote: bool, error: bool = False):
        key = (wrap, quote, error)
        if key not in formats:
            extra = {"text_wrap": True} if wrap else {}
            if quote:
                extra["quote_prefix"] = True
            if error:
                extra["font_color"] = "#C00000"
            formats[key] = wb.add_format({**base, **extra})
        return formats[key]

    f_num = wb.add_format({**base, "align": "center"})

    def sheet(name: str, headers: list[str], data: list[list], wrap: set[str], severity_col: int | None = None):
        ws = wb.add_worksheet(name)
        widths = [_fit(h, [r[i] for r in data]) for i, h in enumerate(headers)]
        for c, (h, w) in enumerate(zip(headers, widths, strict=True)):
            ws.set_column(c, c, w)
            ws.write_string(0, c, h, f_head)
        ws.set_row(0, FONT["font_size"] * xlsx_render.LINE_EM + xlsx_render.V_PAD_PT)
        for r, row in enumerate(data, 1):
            height = 0.0
            for c, v in enumerate(row):
                if isinstance(v, int):
                    ws.write_number(r, c, v, f_num)
                    continue
                text = str(v)
                wrapped = headers[c] in wrap
                error = severity_col is not None and c == severity_col and text == SEVERITY_ZH["error"]
                ws.write_string(r, c, text, fmt(wrapped, text.startswith(xlsx_render.FORMULA_START), error))
                if wrapped:
                    col_pt = xlsx_render.column_pt(widths[c])
                    height = max(height, xlsx_render.text_height(text, col_pt, FONT["font_size"]))
            if height:
                ws.set_row(r, min(max(height, 18.0), xlsx_render.MAX_ROW_PT))
        ws.autofilter(0, 0, max(len(data), 1), len(headers) - 1)
        ws.freeze_panes(1, 0)
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(0)
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        return ws

    headers = ["企业", "统一社会信用代码", "文件", "位置", "规则", "严重程度", "栏目", "问题"]
    sheet("问题清单", headers, rows, {"问题", "栏目", "位置"}, severity_col=5)
    with_state = any(e.state for e in entries)
    summary_headers = ["企业", "统一社会信用代码", "文件", "错误数", "警告数"] + (["状态"] if with_state else [])
    summary_rows = [
        [e.name, e.credit_code, e.source, e.errors, e.warnings] + ([e.state] if with_state else []) for e in entries
    ]
    sheet("汇总", summary_headers, summary_rows, {"企业"})
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


def notice(entry: ReportEntry, round_title: str, unit: str, date: dt.date | None = None) -> bytes:
    """One 整改通知: title, the enterprise as addressee, the round, every problem numbered
    (errors first; warnings marked 建议), the bureau and the date (blank for handwriting)."""
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
    return ooxml.finish(doc, f"整改通知（{entry.name}）", unit)


def notices(
    entries: Sequence[ReportEntry],
    round_title: str,
    unit: str,
    date: dt.date | None = None,
    batch_findings: Iterable[Finding] = (),
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
        out.append((name, notice(e, round_title, unit, date)))
    return out
