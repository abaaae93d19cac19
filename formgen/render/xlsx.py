"""Render a multi-record layout into an .xlsx, written from the description with
XlsxWriter (never by filling a workbook template: openpyxl loses drop-downs, images
and merged-cell borders of workbooks saved by Excel).

Columns may carry a multi-level ``header`` (a list, top level first): equal
neighbouring top levels merge across, a header with fewer levels merges down, so
grouped headers such as 资金构成 over 总投资/固定资产投资/... come out as in the
annex. Every text cell is written with ``write_string``; text beginning with
``= + - @`` also gets Excel's quote prefix, so it stays text even when edited. A
column with ``type: number`` (序号, amounts, scores) is written with
``write_number`` whenever its value is a number, so Excel sums and sorts it.

Printing (what a clerk gets on paper). Layout keys:

- ``paper``: ``A4`` (default) or ``A3``; ``orientation``: ``landscape`` (default) or
  ``portrait`` (the docx renderer reads the same key).
- ``fit_width``: how many pages wide the sheet prints (default 1); rows run on to as
  many pages as they need. ``repeat_columns``: how many leading columns (序号, 企业名称)
  print again on every page across; give it whenever ``fit_width`` is above 1.
- ``xlsx_size`` (body font size, pt, default 11) and ``xlsx_font``.

The header rows repeat on every page. Fit-to-width shrinks the whole sheet, so the
size text prints at is ``xlsx_size`` x the scale that the column widths imply:
``printable width / total column width`` (Excel takes whole per cents, at most
100 %), where a column of width ``w`` is ``int(w * 7 + 0.5) + 5`` pixels of 0.75 pt
(the workbook's Normal font is Arial 10, whose digit is 7 pixels: the unit Excel and
XlsxWriter measure column widths in; LibreOffice maps Arial onto the metric-equal
Liberation Sans, while Calibri falls back to a font a third wider where Carlito is
missing) and the printable width is the paper's minus the 0.4-inch side margins.
:func:`print_plan` computes it; a layout must print its text at
:data:`MIN_PRINTED_PT` (8 pt) or more (``tests/test_print_sheets.py`` checks every
pack). When a batch's data widens the columns so far that the text would print
smaller, the sheet prints one more page wide (up to four) with the layout's
``repeat_columns`` (two when not given) repeated instead.

Excel cannot fit a row to its text when printing a file it did not lay out, so every
row's height is set here: the text of each cell is broken into lines the way a
spreadsheet wraps it (a CJK character is as wide as the font size, a half-width
character a little over half of it, a run of half-width characters such as a credit
code or a mobile number is moved whole to the next line), and the row gets the
tallest cell's lines. A number cannot wrap: its column widens to show it whole, and so
does a column whose half-width run (a 统一社会信用代码, a mobile number) would
otherwise be broken. The label rows (附件N, the title, 填写单位（盖章）…, the notes)
are merged across the table and sized the same way; no print area is set, so nothing
of the sheet is left off the paper.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

import xlsxwriter

from .context import column_value, compile_expr, fmt

FORMULA_START = ("=", "+", "-", "@")

MIN_PRINTED_PT = 8.0  # the smallest text size a printed sheet may show
MAX_FIT_WIDTH = 4  # pages across that the automatic fallback may go to
# XlsxWriter paper index, and the short and long side in points
PAPERS = {"A4": (9, 595.28, 841.89), "A3": (8, 841.89, 1190.55)}
SIDE_MARGIN_IN = 0.4
TOP_MARGIN_IN = 0.6
NORMAL_FONT = {"font_name": "Arial", "font_size": 10, "font_scheme": False}
DIGIT_PX = 7  # Arial 10's digit at 96 dpi: the unit column widths are counted in
CELL_PAD_PX = 5  # Excel adds this to every column width
H_PAD_PT = 6.0  # text inset left and right inside a cell, together
V_PAD_PT = 5.0  # room above and below the lines of a cell
LINE_EM = 1.45  # a wrapped line's pitch for the CJK faces that print these sheets
HALF_EM = 0.56  # a half-width character's advance (FangSong's is 0.5 em; substitutes' a little more)
RUN_PAD_PT = 8.0  # spare room beside a run kept on one line (a credit code, a mobile number)
MAX_ROW_PT = 409.0  # Excel's tallest row
MAX_WHOLE_RUN = 20  # half-width runs up to this long (codes, phones, dates) are kept on one line
OPENING = set("（(《〈「『【〔“‘")
CLOSING = set("）)》〉」』】〕”’，。、；：！？,.;:!?%")


def _header_levels(columns):
    levels = [c["header"] if isinstance(c["header"], list) else [c["header"]] for c in columns]
    return levels, max(len(x) for x in levels)


def _full(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WFA" or ord(ch) >= 0x2100


def _char_pt(ch: str, size: float) -> float:
    return size if _full(ch) else size * HALF_EM


class _FullWidth(dict):
    """Whether a character is full width, worked out once per character."""

    def __missing__(self, ch: str) -> bool:
        full = self[ch] = _full(ch)
        return full


class _Advances(dict):
    """Each character's advance (pt) at one font size, worked out once per character."""

    def __init__(self, size: float):
        super().__init__()
        self.size = size

    def __missing__(self, ch: str) -> float:
        pt = self[ch] = _char_pt(ch, self.size)
        return pt


_FULL = _FullWidth()


@functools.lru_cache(maxsize=16)
def _advances(size: float) -> _Advances:
    return _Advances(size)


def _text_pt(text: str, size: float) -> float:
    return sum(map(_advances(size).__getitem__, text))


_HAN = re.compile(r"[\u4e00-\u9fff]+")  # ideographs only: each a token of its own, one em wide
FIT_SLACK_PT = 1e-6  # a paragraph this much narrower than the line surely fits (float sums aside)


def _tokens(paragraph: str) -> list[str]:
    """Pieces a line may break between: a CJK character (with the closing punctuation
    that may not start a line and the opening punctuation that may not end one), a run
    of half-width characters, a space (a run of spaces and tabs counts as one; an
    ideographic space, U+3000, is a character)."""
    out: list[str] = []
    glue_next = False
    after_space = False
    full = _FULL
    for ch in paragraph:
        if ch == " " or ch == "\t":
            if not after_space:
                out.append(" ")
                glue_next, after_space = False, True
            continue
        after_space = False
        if glue_next and out:
            out[-1] += ch
            glue_next = ch in OPENING
        elif out and out[-1] != " " and (ch in CLOSING or (not full[ch] and (not full[out[-1][-1]] or out[-1][-1] in CLOSING))):
            out[-1] += ch  # closing punctuation, or a half-width run kept with the bracket before it: 〔2024〕112
        else:
            out.append(ch)
            glue_next = ch in OPENING
    return out


@functools.lru_cache(maxsize=64)
def _per_line(usable: float, size: float) -> int:
    """How many one-em characters a line of ``usable`` pt holds (added one by one, as
    :func:`_paragraph_lines` adds them)."""
    n, used = 0, 0.0
    while used + size <= usable:
        n, used = n + 1, used + size
    return max(n, 1)


def _paragraph_lines(paragraph: str, usable: float, size: float) -> int:
    advance = _advances(size).__getitem__
    if sum(map(advance, paragraph)) <= usable - FIT_SLACK_PT:
        return 1  # the whole paragraph fits on a line
    if _HAN.fullmatch(paragraph):
        return -(-len(paragraph) // _per_line(usable, size))
    lines, used = 1, 0.0
    for tok in _tokens(paragraph):
        w = sum(map(advance, tok))
        if tok == " ":
            if used:
                used += w
            continue
        if used + w <= usable:
            used += w
        elif w <= usable:
            lines, used = lines + 1, w
        else:  # longer than a line: broken character by character
            for ch in tok:
                cw = advance(ch)
                if used + cw > usable and used:
                    lines, used = lines + 1, 0.0
                used += cw
    return lines


@functools.lru_cache(maxsize=8192)
def _lines(text: str, usable: float, size: float) -> int:
    return sum(_paragraph_lines(p, usable, size) for p in text.split("\n"))


def text_lines(text: str, width_pt: float, size: float) -> int:
    """How many lines ``text`` wraps into in a cell ``width_pt`` wide."""
    return _lines(str(text), max((width_pt - H_PAD_PT) * 0.97, size), size)


def text_height(text: str, width_pt: float, size: float) -> float:
    """The row height (pt) that shows every line of ``text``."""
    return text_lines(text, width_pt, size) * size * LINE_EM + V_PAD_PT


def column_pt(width: float) -> float:
    """A column's width in points, as Excel lays it out (XlsxWriter's pixel rule)."""
    px = int(width * DIGIT_PX + 0.5) + CELL_PAD_PX if width >= 1 else int(width * (DIGIT_PX + CELL_PAD_PX) + 0.5)
    return px * 0.75


def width_for(points: float) -> float:
    """The narrowest column width (Excel units) at least ``points`` wide."""
    px = math.ceil(points / 0.75 - 1e-9)
    return max(1.0, (px - CELL_PAD_PX) / DIGIT_PX)


@dataclass(frozen=True)
class PrintPlan:
    paper: str
    landscape: bool
    fit_width: int
    repeat_columns: int
    scale: float  # 0.1-1.0, whole per cents as Excel fits
    printed_pt: float  # the body font size as printed

    @property
    def printable_pt(self) -> float:
        return printable_width(self.paper, self.landscape)


def printable_width(paper: str, landscape: bool) -> float:
    _, short, long = PAPERS[paper]
    return (long if landscape else short) - 2 * SIDE_MARGIN_IN * 72


def pages_wide(widths_pt: list[float], avail_pt: float, repeat: int) -> int:
    """Pages across that columns of ``widths_pt`` take with ``avail_pt`` on each page,
    the first ``repeat`` columns printed again at the left of every further page."""
    repeated = sum(widths_pt[:repeat])
    pages, used = 1, 0.0
    for i, w in enumerate(widths_pt):
        if used + w > avail_pt and used > (repeated if pages > 1 else 0):
            pages, used = pages + 1, (repeated if i >= repeat else 0.0)
        used += w
    return pages


def fit_scale(widths_pt: list[float], avail_pt: float, fit_width: int, repeat: int) -> float:
    """The scale fit-to-width prints at: the largest whole per cent (at most 100 %) at
    which the columns take ``fit_width`` pages across."""
    for pct in range(100, 9, -1):
        if pages_wide(widths_pt, avail_pt * 100 / pct, repeat) <= fit_width:
            return pct / 100
    return 0.1


def print_plan(layout: dict, widths_pt: list[float] | None = None) -> PrintPlan:
    """Paper, pages across and the size text prints at, for ``layout`` with columns
    ``widths_pt`` wide (the layout's own widths when not given)."""
    if widths_pt is None:
        widths_pt = [column_pt(c.get("width", 12)) for c in layout["columns"]]
    paper = str(layout.get("paper", "A4")).upper()
    if paper not in PAPERS:
        raise ValueError(f"paper: {paper} (A4 or A3)")
    landscape = layout.get("orientation", "landscape") != "portrait"
    size = float(layout.get("xlsx_size", 11))
    fit = int(layout.get("fit_width", 1))
    repeat = int(layout.get("repeat_columns", 0))
    avail = printable_width(paper, landscape)
    while True:
        scale = fit_scale(widths_pt, avail, fit, repeat)
        if size * scale >= MIN_PRINTED_PT or fit >= MAX_FIT_WIDTH:
            return PrintPlan(paper, landscape, fit, repeat, scale, round(size * scale, 2))
        fit += 1
        repeat = repeat or 2


def _run_pt(text: str, size: float) -> float:
    """The room the widest half-width run of ``text`` that must stay on one line needs,
    counted generously (capitals of a credit code are wider than digits)."""
    runs = [r for r in re.findall(r"[!-~]+", text) if len(r) <= MAX_WHOLE_RUN]
    em = {**dict.fromkeys("0123456789", HALF_EM), **dict.fromkeys("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 0.72)}
    return max((sum(em.get(ch, 0.6) for ch in r) * size + RUN_PAD_PT for r in runs), default=0.0)


def new_workbook(buf, default_font: bool = True):
    """An in-memory XlsxWriter workbook that never turns text into a formula, a number or
    a link (text from records is written as it is); with the sheets' default font."""
    options = {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
    if default_font:
        options["default_format_properties"] = dict(NORMAL_FONT)
    return xlsxwriter.Workbook(buf, options)


def render(layout: dict, rows: list[dict], header_ns: dict, draft: bool = False, meta: dict | None = None) -> bytes:
    """The sheet as .xlsx; ``meta``: the file's title and author (the recommending unit)."""
    buf = io.BytesIO()
    wb = new_workbook(buf)
    meta = meta or {}
    wb.set_properties(
        {
            "title": meta.get("title", layout.get("title", "")),
            "author": meta.get("author", ""),
            "created": dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
        }
    )
    ws = wb.add_worksheet(layout.get("sheet", "Sheet1")[:31])
    size = float(layout.get("xlsx_size", 11))
    font = {"font_name": layout.get("xlsx_font", "仿宋_GB2312"), "font_size": size}
    border = {"border": 1, "text_wrap": True, "valign": "vcenter"}
    title_size = 18
    f_title = wb.add_format(
        {
            **font,
            "bold": True,
            "font_size": title_size,
            "align": "center",
            "valign": "vcenter",
            "text_wrap": True,
            "font_name": "方正小标宋简体",
        }
    )
    f_line = wb.add_format({**font, "align": "left", "valign": "vcenter", "text_wrap": True})
    f_head = wb.add_format({**font, **border, "bold": True, "align": "center"})
    f_note = wb.add_format({**font, "align": "left", "valign": "top", "text_wrap": True})
    draft_size = 14
    f_draft = wb.add_format({**font, "bold": True, "font_color": "#C00000", "font_size": draft_size})
    cell_formats = {}

    def cell_format(align: str, quote: bool, number: bool):
        key = (align, quote, number)
        if key not in cell_formats:
            extra = {"quote_prefix": True} if quote else {}
            if number:
                extra["num_format"] = "General"
            cell_formats[key] = wb.add_format({**font, **border, "align": align, **extra})
        return cell_formats[key]

    columns = layout["columns"]
    ncols = len(columns)

    # the values first: a number or a code must show whole, which may widen its column
    values = []
    widths = [column_pt(c.get("width", 12)) for c in columns]
    for ns in rows:
        shown = []
        for i, col in enumerate(columns):
            value = column_value(col, ns)
            if col.get("type") == "number" and isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
                text = fmt(value)
                shown.append((float(value), text))
                widths[i] = max(widths[i], _text_pt(text, size) + H_PAD_PT)
            else:
                text = fmt(value) if not isinstance(value, str) else value
                shown.append((None, text))
                widths[i] = max(widths[i], _run_pt(text, size))
                if col.get("nowrap"):  # a factory name of at most 14 字: each line whole
                    longest = max(text.split("\n"), key=lambda t: _text_pt(t, size))
                    widths[i] = max(widths[i], _text_pt(longest, size) + H_PAD_PT)
        values.append(shown)
    xl_widths = [max(c.get("width", 12), width_for(w)) for c, w in zip(columns, widths, strict=True)]
    widths = [column_pt(w) for w in xl_widths]
    for i, w in enumerate(xl_widths):
        ws.set_column(i, i, w)
    full = sum(widths)

    def label_row(r: int, text: str, fmt_, text_size: float, min_height: float) -> None:
        ws.merge_range(r, 0, r, ncols - 1, text, fmt_)
        ws.set_row(r, min(max(text_height(text, full, text_size), min_height), MAX_ROW_PT))

    r = 0
    if draft:
        label_row(r, "草稿：本文件尚有未改正的错误，不得用于正式申报", f_draft, draft_size, 0)
        r += 1
    for line in layout.get("heading_lines", []):
        label_row(r, line, f_line, size, size * 1.8)
        r += 1
    label_row(r, layout["title"], f_title, title_size, 36)
    r += 1
    for line in layout.get("before", []):
        label_row(r, fmt(compile_expr(line)(**header_ns)), f_line, size, 24)
        r += 1

    head_top = r
    levels, depth = _header_levels(columns)
    spans = []  # (first row, last row, width) of every header cell, for the row heights
    for lv in range(depth):
        c = 0
        while c < ncols:
            names = levels[c]
            if lv >= len(names):
                c += 1
                continue
            last_level = lv == len(names) - 1
            text = names[lv]
            # extend across neighbours that share this level (and everything above it)
            end = c
            while (
                end + 1 < ncols
                and len(levels[end + 1]) > lv
                and levels[end + 1][: lv + 1] == names[: lv + 1]
                and not last_level
            ):
                end += 1
            bottom = r + lv + (depth - len(names) if last_level else 0)
            if end > c or bottom > r + lv:
                ws.merge_range(r + lv, c, bottom, end, text, f_head)
            else:
                ws.write_string(r + lv, c, text, f_head)
            spans.append((lv, bottom - r, text_height(text, sum(widths[c : end + 1]), size)))
            c = end + 1
    heights = [size * 1.8] * depth
    for first, last, need in sorted(spans, key=lambda s: s[1] - s[0]):
        have = sum(heights[first : last + 1])
        if need > have:
            heights[last] += need - have  # a cell merged down grows its lowest row
    for lv, h in enumerate(heights):
        ws.set_row(r + lv, min(h, MAX_ROW_PT))
    r += depth
    ws.repeat_rows(head_top, r - 1)

    for shown in values:
        need = size * 1.8
        for i, (number, text) in enumerate(shown):
            align = columns[i].get("align", "center")
            if number is not None:
                ws.write_number(r, i, number, cell_format(align, False, True))
            else:
                ws.write_string(r, i, text, cell_format(align, text.startswith(FORMULA_START), False))
                if text:
                    need = max(need, text_height(text, widths[i], size))
        ws.set_row(r, min(need, MAX_ROW_PT))
        r += 1
    for line in layout.get("after", []):
        label_row(r, fmt(compile_expr(line)(**header_ns)), f_line, size, 24)
        r += 1
    for line in layout.get("notes", []):
        label_row(r, line, f_note, size, 20)
        r += 1

    plan = print_plan(layout, widths)
    if plan.landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.set_paper(PAPERS[plan.paper][0])
    ws.fit_to_pages(plan.fit_width, 0)
    if plan.repeat_columns:
        ws.repeat_columns(0, plan.repeat_columns - 1)
    ws.center_horizontally()
    ws.set_margins(left=SIDE_MARGIN_IN, right=SIDE_MARGIN_IN, top=TOP_MARGIN_IN, bottom=TOP_MARGIN_IN)
    # the page number at the body's size: LibreOffice shrinks it with the sheet all the same
    ws.set_footer(f"&C&{math.ceil(size)}第 &P 页，共 &N 页", {"scale_with_doc": False})
    if draft:
        ws.set_header('&R&"黑体,Bold"&14草稿', {"scale_with_doc": False})
    wb.close()
    return buf.getvalue()
