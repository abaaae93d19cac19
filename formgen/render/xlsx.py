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

The header rows repeat on every page. :func:`set_up_page` writes a sheet's page set-up
(paper, orientation, fit to width, repeated rows and columns, print area, margins, the
第 &P 页，共 &N 页 footer) for every sheet formgen prints: the pack's sheets and the bureau's
问题清单. Fit-to-width shrinks the whole sheet, so the
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
spreadsheet wraps it (a CJK character is as wide as the font size, a Latin letter or
digit as wide as its glyph in the face the sheets print in, :mod:`formgen.render.metrics`;
a run of half-width characters such as a credit code or a mobile number is moved whole
to the next line), and the row gets the tallest cell's lines. A number cannot wrap: its
column widens to show it whole, and so does a column whose half-width run (a
统一社会信用代码, a mobile number) or short line (a name of up to four characters) would
otherwise be broken. The label rows (附件N, the title, 填写单位（盖章）…, the notes)
are merged across the table and sized the same way; no print area is set, so nothing
of the sheet is left off the paper.

Speed (issue 13: a 1000-row sheet within 1.5x of XlsxWriter writing the same cells
directly). A layout is prepared once per process (:func:`prepare`): each column's value
getter (the layout's expressions evaluated without building a Jinja context per cell,
falling back to Jinja wherever its answer could differ), the header cells and merges,
the formats' properties. A render computes a column at a time: the values, the width
over the column's distinct texts, the line counts (shortcuts for a paragraph that fits,
ideographs only, ideographs with letters and digits; paragraphs counted once per sheet),
then writes the cells. ``scripts/bench.py`` measures it against the direct writer and
checks that both files hold the same cells.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
import operator
import re
import unicodedata
from dataclasses import dataclass, replace
from decimal import Decimal

import xlsxwriter
from jinja2 import nodes
from jinja2.exceptions import TemplateSyntaxError
from jinja2.parser import Parser
from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from ..record.paths import get_parts, parse_path
from ..record.written import fmt
from . import XLSX_CELL_MAX, cell_len, metrics
from .context import FILTERS, GLOBALS, PLAIN, compile_expr
from .docx import HEADER_LINES, LISTED_CAP, balance_widths

FORMULA_START = ("=", "+", "-", "@")

TITLE_PT = 18  # the sheet's title
DRAFT_PT = 14  # the 草稿 line
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
# the face the sheets print in (仿宋_GB2312, whose Latin glyphs print the codes; see
# formgen.render.metrics): a character's advance comes from its glyph widths
FACE = metrics.face_of("仿宋_GB2312")
RUN_PAD_PT = 8.0  # spare room beside a run kept on one line (a credit code, a mobile number)
MAX_ROW_PT = 409.0  # Excel's tallest row
BALANCE_PAD_PT = 2.0  # room a balanced column keeps beyond its text (a spreadsheet's own inset)
# A balanced sheet may print smaller than its layout's widths would, not below this: LibreOffice,
# whose column unit is its own digit (5.56 pt against Excel's 5.25), prints it 6 % smaller: 8 pt.
BALANCED_MIN_PT = 8.5
MAX_HEAD_PT = 400.0  # a header is never widened beyond this to keep it in HEADER_LINES
MAX_WHOLE_RUN = 20  # half-width runs up to this long (codes, phones, dates) are kept on one line
SHORT_WHOLE = 4  # a line this short without a space (a person's name, 浦东新区) is kept whole
OPENING = set("（(《〈「『【〔“‘")
CLOSING = set("）)》〉」』】〕”’，。、；：！？,.;:!?%")


def _header_levels(columns):
    levels = [c["header"] if isinstance(c["header"], list) else [c["header"]] for c in columns]
    return levels, max(len(x) for x in levels)


def _full(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WFA" or ord(ch) >= 0x2100


def _char_pt(ch: str, size: float) -> float:
    """A character's advance (pt) at ``size`` in the sheets' face (a CJK character one em,
    a Latin one its glyph's width)."""
    return size * metrics.advances(FACE)[ch]


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
        elif (
            out
            and out[-1] != " "
            and (ch in CLOSING or (not full[ch] and (not full[out[-1][-1]] or out[-1][-1] in CLOSING)))
        ):
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


# Ideographs with Latin letters and digits only: an ideograph is a token, a run of letters
# and digits another (what _tokens makes of such a paragraph, found by one regex).
_SIMPLE = re.compile(r"[\u4e00-\u9fff0-9A-Za-z]+")
_SIMPLE_TOKEN = re.compile(r"[\u4e00-\u9fff]|[0-9A-Za-z]+")


def _greedy_lines(tokens: list[str], usable: float, size: float) -> int:
    """Lines that ``tokens`` fill, each put on the current line while it fits (a space
    at the start of a line takes no room; a token longer than a line is broken)."""
    advance = _advances(size).__getitem__
    lines, used = 1, 0.0
    for tok in tokens:
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


def _paragraph_lines(paragraph: str, usable: float, size: float) -> int:
    """:func:`_greedy_lines` of the paragraph's tokens, with shortcuts for what most cells
    hold: a paragraph that fits, ideographs only, ideographs with letters and digits."""
    if len(paragraph) * size * metrics.widest_em(FACE) <= usable - FIT_SLACK_PT:
        return 1  # fits even were every character as wide as the widest glyph
    if sum(map(_advances(size).__getitem__, paragraph)) <= usable - FIT_SLACK_PT:
        return 1  # the whole paragraph fits on a line
    if _HAN.fullmatch(paragraph):
        return -(-len(paragraph) // _per_line(usable, size))
    tokens = _SIMPLE_TOKEN.findall(paragraph) if _SIMPLE.fullmatch(paragraph) else _tokens(paragraph)
    return _greedy_lines(tokens, usable, size)


def _lines(text: str, usable: float, size: float, memo: dict | None = None) -> int:
    """Lines of ``text`` (paragraphs split at line breaks); ``memo``: paragraph -> lines
    already counted at this width (a sheet's rows repeat scenario names, levels …)."""
    if memo is None:
        return sum(_paragraph_lines(p, usable, size) for p in text.split("\n"))
    total = 0
    for p in text.split("\n"):
        n = memo.get(p)
        if n is None:
            n = memo[p] = _paragraph_lines(p, usable, size)
        total += n
    return total


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
    fit_height: int = 0  # pages down it is fitted to (0: as many as it takes; see fewest_pages)

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


def page_count(plan: PrintPlan, scale: float, before: list[float], head: list[float], rows: list[float]) -> int:
    """How many pages a sheet one page across prints on at ``scale``: the rows ``before``
    the header on the first page only, the ``head`` rows on every page, each of ``rows``
    (heights in points, as set) whole on one page.

    >>> plan = PrintPlan("A4", True, 1, 0, 1.0, 11.0)
    >>> page_count(plan, 1.0, [40], [30], [160] * 8), page_count(plan, 0.8, [40], [30], [160] * 8)
    (4, 3)
    """
    paper = PAPERS[plan.paper]
    tall = (paper[1] if plan.landscape else paper[2]) - 2 * TOP_MARGIN_IN * 72
    room = tall / scale
    pages, used = 1, sum(before) + sum(head)
    for h in rows:
        if used + h > room and used > sum(head):
            pages, used = pages + 1, sum(head)
        used += h
    return pages


def fewest_pages(plan: PrintPlan, size: float, before: list[float], head: list[float], rows: list[float]) -> PrintPlan:
    """The plan, or one fitted to fewer pages down where printing smaller (never under
    ``BALANCED_MIN_PT`` as planned: LibreOffice prints a little smaller still) saves a
    page: a sheet whose tall rows (a dozen scenario names each) leave most of every
    page's foot empty. Fitted one page across and N down, the program printing it picks
    the scale, so the sheet never spills onto a page across."""
    least = page_count(plan, plan.scale, before, head, rows)
    best = plan
    scale = plan.scale
    while True:
        scale = round(scale - 0.01, 2)
        if size * scale < BALANCED_MIN_PT or scale < 0.1:
            return best
        n = page_count(plan, scale, before, head, rows)
        if n < least:
            least = n
            best = replace(plan, scale=scale, printed_pt=round(size * scale, 2), fit_height=n)


def set_up_page(
    ws,
    plan: PrintPlan,
    *,
    footer_pt: float,
    repeat_rows: tuple[int, int] | None = None,
    print_area: tuple[int, int, int, int] | None = None,
    draft: bool = False,
) -> None:
    """How a sheet prints, in one place: the plan's paper, orientation and fit to
    ``plan.fit_width`` pages across (as many down as needed) with its repeated columns,
    centred between 0.4-inch side margins; ``repeat_rows`` (first, last; 0-based) printed
    at the top of every page; ``print_area`` (first row, first column, last row, last
    column) when given; 第 &P 页，共 &N 页 in the footer at ``footer_pt`` (LibreOffice
    shrinks it with the sheet all the same); a draft's 草稿 mark in the page header."""
    if plan.landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.set_paper(PAPERS[plan.paper][0])
    ws.fit_to_pages(plan.fit_width, plan.fit_height)
    if plan.repeat_columns:
        ws.repeat_columns(0, plan.repeat_columns - 1)
    if repeat_rows is not None:
        ws.repeat_rows(*repeat_rows)
    if print_area is not None:
        ws.print_area(*print_area)
    ws.center_horizontally()
    ws.set_margins(left=SIDE_MARGIN_IN, right=SIDE_MARGIN_IN, top=TOP_MARGIN_IN, bottom=TOP_MARGIN_IN)
    ws.set_footer(f"&C&{math.ceil(footer_pt)}第 &P 页，共 &N 页", {"scale_with_doc": False})
    if draft:
        ws.set_header('&R&"黑体,Bold"&14草稿', {"scale_with_doc": False})


_RUN = re.compile(r"[!-~]+")


def _run_pt(text: str, size: float) -> float:
    """The room the widest half-width run of ``text`` that must stay on one line needs,
    from its glyphs' widths (M and W of a credit code nearly twice a digit's)."""
    em = metrics.advances(FACE).__getitem__
    runs = {r for r in _RUN.findall(text) if len(r) <= MAX_WHOLE_RUN}
    return max((sum(map(em, r)) * size + RUN_PAD_PT for r in runs), default=0.0)


# --- the cells: nothing written is ever cut without saying so --------------------------------
# XlsxWriter cuts a string longer than an .xlsx cell holds and only returns -2; a cell out
# of the sheet's bounds is dropped with -1. Every workbook formgen writes comes from
# :func:`new_workbook`, whose sheets check each string's length before XlsxWriter sees it
# and every return code after: a text too long is refused (:class:`CellTooLong`), or, in a
# workbook opened with ``clip=True`` (a draft, the bureau's lists), cut with a note in the
# cell itself that says how long the full text is (:func:`clip`).

CELL_MAX = XLSX_CELL_MAX


class CellTooLong(ValueError):
    """A text longer than an .xlsx cell holds (one line, Chinese): the sheet, the cell and
    its length."""

    def __init__(self, sheet: str, cell: str, length: int):
        self.sheet, self.cell, self.length = sheet, cell, length
        super().__init__(
            f"共 {length:,} 个字符，超过 Excel 单元格上限 {CELL_MAX:,} 个字符，无法完整写入（工作表“{sheet}”{cell} 单元格）"
        )


class CellWriteError(RuntimeError):
    """XlsxWriter refused a write (a negative return code): never passed over silently."""


CLIP_NOTE = "……【以下文字未写入：全文共 {total:,} 个字符，超过 Excel 单元格上限 {limit:,} 个字符】"


def clip(text: str) -> str:
    """``text`` as a cell can hold it: whole when it fits, else its beginning followed by a
    visible note of the full length and the limit (never a character pair split).

    >>> clip("短文本")
    '短文本'
    >>> cut = clip("字" * 40000)
    >>> cell_len(cut), cut.endswith("全文共 40,000 个字符，超过 Excel 单元格上限 32,767 个字符】")
    (32767, True)
    """
    total = cell_len(text)
    if total <= CELL_MAX:
        return text
    note = CLIP_NOTE.format(total=total, limit=CELL_MAX)
    room = CELL_MAX - cell_len(note)
    head = text.encode("utf-16-le")[: room * 2].decode("utf-16-le", errors="ignore")
    return head + note


_CODES = {
    -1: "单元格超出工作表范围（或合并区域只有一格）",
    -2: "内容超过 Excel 的长度上限",
    -3: "链接过长",
    -4: "链接参数无效",
}


def _refused(sheet: str, cell: str, code: int) -> CellWriteError:
    return CellWriteError(f"工作表“{sheet}”{cell} 未写入：{_CODES.get(code, f'XlsxWriter 返回 {code}')}")


def _checked(name: str, private: bool):
    """XlsxWriter's ``name``, raising where it returns a negative code. The private
    writers (``_write_number`` …) take (row, col) as numbers: everything public ends in one."""
    method = getattr(Worksheet, name)

    @functools.wraps(method)
    def checked(self, *args, **kwargs):
        code = method(self, *args, **kwargs)
        if code.__class__ is int and code < 0:
            if private:
                where = xl_rowcol_to_cell(args[0], args[1])
            else:
                where = (
                    f"{name}({', '.join(map(str, args[:4]))})" if args and args[0].__class__ is int else str(args[0])
                )
            raise _refused(self.name, where, code)
        return code

    return checked


class CheckedSheet(Worksheet):
    """An XlsxWriter worksheet whose every string is checked against :data:`CELL_MAX`
    before it is written and whose every write's return code is checked. ``write``,
    ``write_string``, ``write_row``, ``write_column`` and ``merge_range`` all end in the
    private ``_write_string`` (and the other types' ``_write_number`` …), checked here;
    the public writers that return a code of their own are checked as they return."""

    clip = False  # set by the workbook: cut with a visible note instead of refusing
    clipped: list  # (cell, full length) of each text cut, in a clipping workbook

    def _write_string(self, row, col, string, cell_format=None):
        if len(string) > CELL_MAX // 2:  # shorter text cannot reach the limit in UTF-16 units
            n = cell_len(string)
            if n > CELL_MAX:
                if not self.clip:
                    raise CellTooLong(self.name, xl_rowcol_to_cell(row, col), n)
                string = clip(string)
                self.clipped.append((xl_rowcol_to_cell(row, col), n))
        code = super()._write_string(row, col, string, cell_format)
        if code:
            raise _refused(self.name, xl_rowcol_to_cell(row, col), code)
        return code

    # the writers of a sheet's body, without the A1-notation decorator's cost per cell
    def write_string(self, row, *args):
        if row.__class__ is int:
            return self._write_string(row, *args)
        return super().write_string(row, *args)

    def write_number(self, row, *args):
        if row.__class__ is int:
            return self._write_number(row, *args)
        return super().write_number(row, *args)


for _name in (
    "_write_number",
    "_write_blank",
    "_write_datetime",
    "_write_boolean",
    "_write_formula",
    "_write_array_formula",
    "_write_url",
    "_write_rich_string",
):
    setattr(CheckedSheet, _name, _checked(_name, private=True))
for _name in ("merge_range", "data_validation", "write_comment", "conditional_format", "insert_image"):
    setattr(CheckedSheet, _name, _checked(_name, private=False))


class CheckedBook(xlsxwriter.Workbook):
    """A workbook of :class:`CheckedSheet`; ``clipped``: every text cut (clip mode)."""

    worksheet_class = CheckedSheet

    def __init__(self, filename, options=None, clip: bool = False):
        super().__init__(filename, options)
        self.clip = clip

    def add_worksheet(self, name=None, worksheet_class=None):
        ws = super().add_worksheet(name, worksheet_class)
        ws.clip, ws.clipped = self.clip, []
        return ws

    @property
    def clipped(self) -> list[tuple[str, str, int]]:
        """(sheet, cell, full length) of every text cut to fit."""
        return [(ws.name, cell, n) for ws in self.worksheets() for cell, n in getattr(ws, "clipped", [])]


def new_workbook(buf, default_font: bool = True, clip: bool = False) -> CheckedBook:
    """An in-memory XlsxWriter workbook that never turns text into a formula, a number or
    a link (text from records is written as it is); with the sheets' default font. Its
    sheets refuse a text longer than a cell holds (:class:`CellTooLong`), or with ``clip``
    cut it with a visible note (:func:`clip`); every write's return code is checked."""
    options = {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
    if default_font:
        options["default_format_properties"] = dict(NORMAL_FONT)
    return CheckedBook(buf, options, clip)


# --- column values -------------------------------------------------------------------
# A sheet evaluates each column's expression once per row: thousands of times a sheet.
# Jinja builds a context for every call (the record's names merged with the globals),
# which costs more than writing the cell. The expressions layouts use (names, dotted
# attributes, indexes, join/fmt/length filters, ~, calls of the layout functions,
# if/else, and/or/not, comparisons) are evaluated here directly, with Jinja's sandboxed
# semantics for every value that is there; anything else (a name or attribute that is
# missing, None in the middle of a path, a method, a construct not listed) is handed to
# the compiled Jinja expression for that cell, so the value is always Jinja's.


class _Jinja(Exception):
    """Let Jinja evaluate this cell."""


_DICT_ATTRS = frozenset(dir(dict))
_SAFE_CALLS = {id(f): f for f in GLOBALS.values()}
_COMPARE = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "gteq": operator.ge,
    "lt": operator.lt,
    "lteq": operator.le,
    "in": lambda a, b: a in b,
    "notin": lambda a, b: a not in b,
}


def _expr_fn(node):
    """A function of the row's names computing ``node``; raises _Jinja where it cannot
    be sure to give what Jinja gives. Raises _Jinja at once for a node it does not handle."""
    if isinstance(node, nodes.Const):
        value = node.value
        return lambda ns: value
    if isinstance(node, nodes.Name) and node.ctx == "load":
        name, env_globals = node.name, PLAIN.globals

        def name_fn(ns):
            if name in ns:
                return ns[name]
            if name in env_globals:
                return env_globals[name]
            raise _Jinja

        return name_fn
    if isinstance(node, nodes.Getattr):
        attr, inner = node.attr, _expr_fn(node.node)
        if attr.startswith("_") or attr in _DICT_ATTRS:
            raise _Jinja

        def getattr_fn(ns):
            obj = inner(ns)
            if type(obj) is dict:
                if attr in obj:
                    return obj[attr]
                raise _Jinja
            if callable(obj):
                raise _Jinja
            value = getattr(obj, attr, _Jinja)
            if value is _Jinja or callable(value):
                raise _Jinja
            return value

        return getattr_fn
    if isinstance(node, nodes.Getitem):
        inner = _expr_fn(node.node)
        if isinstance(node.arg, nodes.Slice):
            parts = [
                _expr_fn(p) if p is not None else (lambda ns: None)
                for p in (node.arg.start, node.arg.stop, node.arg.step)
            ]
            key_fn = lambda ns: slice(*(p(ns) for p in parts))  # noqa: E731
        else:
            key_fn = _expr_fn(node.arg)

        def getitem_fn(ns):
            obj, key = inner(ns), key_fn(ns)
            if callable(obj):
                raise _Jinja
            try:
                return obj[key]
            except (TypeError, LookupError):
                raise _Jinja from None

        return getitem_fn
    if (
        isinstance(node, nodes.Filter)
        and node.node is not None
        and not (node.kwargs or node.dyn_args or node.dyn_kwargs)
    ):
        inner, args = _expr_fn(node.node), [_expr_fn(a) for a in node.args]
        if node.name == "join" and len(args) <= 1:
            sep = args[0] if args else (lambda ns: "")

            def join_fn(ns):
                value = inner(ns)
                if not isinstance(value, (list, tuple)):
                    raise _Jinja
                return str(sep(ns)).join(map(str, value))

            return join_fn
        if node.name in ("length", "count") and not args:

            def length_fn(ns):
                value = inner(ns)
                if not isinstance(value, (list, tuple, str, dict)):
                    raise _Jinja
                return len(value)

            return length_fn
        func = FILTERS.get(node.name)
        if func is not None and PLAIN.filters.get(node.name) is func:
            return lambda ns: func(inner(ns), *(a(ns) for a in args))
        raise _Jinja
    if isinstance(node, nodes.Concat):
        parts = [_expr_fn(n) for n in node.nodes]
        return lambda ns: "".join([str(p(ns)) for p in parts])
    if isinstance(node, nodes.Call) and not (node.kwargs or node.dyn_args or node.dyn_kwargs):
        callee, args = _expr_fn(node.node), [_expr_fn(a) for a in node.args]

        def call_fn(ns):
            func = callee(ns)
            if _SAFE_CALLS.get(id(func)) is not func:
                raise _Jinja
            try:
                return func(*[a(ns) for a in args])
            except StopIteration:
                raise _Jinja from None

        return call_fn
    if isinstance(node, nodes.CondExpr):
        test, yes = _expr_fn(node.test), _expr_fn(node.expr1)
        no = _expr_fn(node.expr2) if node.expr2 is not None else None

        def cond_fn(ns):
            if test(ns):
                return yes(ns)
            if no is None:
                raise _Jinja  # Jinja's undefined
            return no(ns)

        return cond_fn
    if isinstance(node, nodes.Or):
        left, right = _expr_fn(node.left), _expr_fn(node.right)
        return lambda ns: left(ns) or right(ns)
    if isinstance(node, nodes.And):
        left, right = _expr_fn(node.left), _expr_fn(node.right)
        return lambda ns: left(ns) and right(ns)
    if isinstance(node, nodes.Not):
        inner = _expr_fn(node.node)
        return lambda ns: not inner(ns)
    if isinstance(node, nodes.Compare):
        first = _expr_fn(node.expr)
        ops = [(_COMPARE[op.op], _expr_fn(op.expr)) for op in node.ops if op.op in _COMPARE]
        if len(ops) != len(node.ops):
            raise _Jinja

        def compare_fn(ns):
            left, result = first(ns), True
            for op, right_fn in ops:
                right = right_fn(ns)
                result = op(left, right)
                if not result:
                    return result
                left = right
            return result

        return compare_fn
    if isinstance(node, (nodes.List, nodes.Tuple)):
        items = [_expr_fn(n) for n in node.items]
        if isinstance(node, nodes.List):
            return lambda ns: [i(ns) for i in items]
        return lambda ns: tuple(i(ns) for i in items)
    raise _Jinja


def _expr_getter(source: str):
    compiled = compile_expr(source)
    try:
        parser = Parser(PLAIN, source, state="variable")
        fast = _expr_fn(parser.parse_expression())
        if not parser.stream.eos:
            raise _Jinja
    except (_Jinja, TemplateSyntaxError):
        return lambda ns: compiled(**ns)

    def getter(ns):
        try:
            return fast(ns)
        except _Jinja:
            return compiled(**ns)

    return getter


def _field_getter(path: str):
    parts = parse_path(path)

    def getter(ns):  # record.paths.get over the row's item or record, the path parsed once
        return get_parts(ns["item"] if ns.get("item") is not None else ns["record"], parts)

    return getter


def column_getter(col: dict):
    """``context.column_value`` for one column, prepared once: a function of the row."""
    if col.get("expr"):
        return _expr_getter(col["expr"])
    if col.get("field"):
        return _field_getter(col["field"])
    return lambda ns: None


# --- the sheet ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    get: object  # the row's namespace -> the raw value
    number: bool  # type: number
    nowrap: bool
    align: str
    width: float  # the layout's width (Excel units)


@dataclass(frozen=True)
class _HeaderCell:
    level: int  # first header row (0 = top)
    bottom: int  # last header row it covers
    first: int  # first and last column
    last: int
    text: str


class Sheet:
    """A multi-record layout prepared once per process: its columns' value getters, the
    header cells and their merges, the label lines and the formats' properties. A
    render then only computes the rows' values, widths and heights and writes them."""

    def __init__(self, layout: dict):
        self.layout = layout
        self.size = size = float(layout.get("xlsx_size", 11))
        font = {"font_name": layout.get("xlsx_font", "仿宋_GB2312"), "font_size": size}
        border = {"border": 1, "text_wrap": True, "valign": "vcenter"}
        self.formats = {  # created in this order in every workbook (the styles' order)
            "title": {
                **font,
                "bold": True,
                "font_size": TITLE_PT,
                "align": "center",
                "valign": "vcenter",
                "text_wrap": True,
                "font_name": "方正小标宋简体",
            },
            "line": {**font, "align": "left", "valign": "vcenter", "text_wrap": True},
            "head": {**font, **border, "bold": True, "align": "center"},
            "note": {**font, "align": "left", "valign": "top", "text_wrap": True},
            "draft": {**font, "bold": True, "font_color": "#C00000", "font_size": DRAFT_PT},
        }
        self.cell_props = {
            (align, quote, number): {
                **font,
                **border,
                "align": align,
                **({"quote_prefix": True} if quote else {}),
                **({"num_format": "General"} if number else {}),
            }
            for align in {c.get("align", "center") for c in layout["columns"]}
            for quote in (False, True)
            for number in (False, True)
        }
        self.columns = [
            _Column(
                column_getter(c),
                c.get("type") == "number",
                bool(c.get("nowrap")),
                c.get("align", "center"),
                c.get("width", 12),
            )
            for c in layout["columns"]
        ]
        self.before = [compile_expr(line) for line in layout.get("before", [])]
        self.after = [compile_expr(line) for line in layout.get("after", [])]
        levels, self.depth = _header_levels(layout["columns"])
        self.header = []
        ncols = len(levels)
        for lv in range(self.depth):
            c = 0
            while c < ncols:
                names = levels[c]
                if lv >= len(names):
                    c += 1
                    continue
                last_level = lv == len(names) - 1
                # extend across neighbours that share this level (and everything above it)
                end = c
                while (
                    end + 1 < ncols
                    and len(levels[end + 1]) > lv
                    and levels[end + 1][: lv + 1] == names[: lv + 1]
                    and not last_level
                ):
                    end += 1
                bottom = lv + (self.depth - len(names) if last_level else 0)
                self.header.append(_HeaderCell(lv, bottom, c, end, names[lv]))
                c = end + 1


_SHEETS: dict[int, tuple[dict, Sheet]] = {}
MAX_SHEETS = 256


def prepare(layout: dict) -> Sheet:
    """The prepared :class:`Sheet` of ``layout`` (built on first use; a layout is not
    changed once loaded)."""
    hit = _SHEETS.get(id(layout))
    if hit is not None and hit[0] is layout:
        return hit[1]
    if len(_SHEETS) >= MAX_SHEETS:
        _SHEETS.clear()
    sheet = Sheet(layout)
    _SHEETS[id(layout)] = (layout, sheet)
    return sheet


def label_overflow(layout: dict, header_ns: dict) -> list[tuple[str, int]]:
    """The label rows (``before``/``after``: 填写单位（盖章）…, 联系人…) that the header's
    texts (the recommending unit, its profile) make too long for a cell: (the row's
    beginning, its length). The command line says so before anything is written."""
    sheet = prepare(layout)
    out = []
    for line in (*sheet.before, *sheet.after):
        text = fmt(line(**header_ns))
        if cell_len(text) > CELL_MAX:
            out.append((text[:12], cell_len(text)))
    return out


def _cells(sheet: Sheet, rows: list[dict]) -> tuple[list[tuple[list, list[str]]], list[float]]:
    """Each column's cells, as (the numbers written as numbers, None for a text cell;
    the texts shown), and the width (pt) its values need: a number or a code must show
    whole, which may widen its column beyond the layout's width."""
    size = sheet.size
    columns, widths = [], []
    for col in sheet.columns:
        values = list(map(col.get, rows))
        texts = [v if isinstance(v, str) else fmt(v) for v in values]
        need = 0.0
        if col.number:
            numbers = [
                float(v) if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool) else None for v in values
            ]
            shown = {t for t, n in zip(texts, numbers, strict=True) if n is not None}
            need = max(need, max((_text_pt(t, size) + H_PAD_PT for t in shown), default=need))
            plain = {t for t, n in zip(texts, numbers, strict=True) if n is None}
        else:
            numbers = None
            plain = set(texts)
        joined = "\n".join(plain)  # a run or a line never crosses a line break
        need = max(need, _run_pt(joined, size))
        short = {ln for ln in map(str.strip, joined.split("\n")) if 0 < len(ln) <= SHORT_WHOLE and " " not in ln}
        if short:  # a name of up to four characters on one line, never 欧阳明/轩
            need = max(need, max(_text_pt(ln, size) for ln in short) + H_PAD_PT)
        if col.nowrap and plain:  # a factory name of at most 14 字: each line whole
            need = max(need, max(_text_pt(line, size) for line in set(joined.split("\n"))) + H_PAD_PT)
        columns.append((numbers, texts))
        widths.append(need)
    return columns, widths


def _balanced(
    layout: dict, sheet: Sheet, rows: list[dict], columns, need: list[float], layout_widths: list[float]
) -> list[float]:
    """A sheet one page across, its columns balanced by what the rows hold (headers in
    at most three lines, names in three, listed items and codes whole: as the Word
    copy's, ``docx.balance_widths``) instead of the layout's widths; where they need
    more than the paper, fit-to-width prints the sheet smaller, so the layout's widths
    stay where balancing would print it below ``BALANCED_MIN_PT`` and smaller than they
    do."""
    need = list(need)
    for i, (_, texts) in enumerate(columns):  # items listed one a line: whole as this module wraps them
        listed = {ln for t in texts if "\n" in t for ln in t.split("\n") if len(ln.strip()) <= LISTED_CAP}
        if listed:
            need[i] = max(need[i], max(_text_pt(ln, sheet.size) for ln in listed) / 0.97 + H_PAD_PT + FIT_SLACK_PT)
    for i, col in enumerate(layout["columns"]):  # the header in three lines as this module wraps it
        head = col["header"][-1] if isinstance(col["header"], list) else str(col["header"])
        if text_lines(head, need[i], sheet.size) > HEADER_LINES:  # the narrowest whole point that holds it
            lo, hi = need[i], MAX_HEAD_PT
            while hi - lo > 1.0:
                mid = (lo + hi) / 2
                lo, hi = (lo, mid) if text_lines(head, mid, sheet.size) <= HEADER_LINES else (mid, hi)
            need[i] = hi
    texts = [[c[1][j] for c in columns] for j in range(len(rows))]
    avail = print_plan(layout).printable_pt - 0.75 * len(columns)  # a pixel each for rounding up
    # what stays whole: codes, numbers and nowrap lines are in ``need`` (every row's, from
    # _cells); a name of up to four characters (a contact's) here
    short = [{t for t in col_texts if len(t) <= 4 and "\n" not in t} for _, col_texts in columns]
    fair, _ = balance_widths(layout["columns"], texts, avail, sheet.size, H_PAD_PT + BALANCE_PAD_PT, short)
    widths = [width_for(max(f, w)) for f, w in zip(fair, need, strict=True)]
    now = print_plan(layout, [column_pt(w) for w in layout_widths]).printed_pt
    then = print_plan(layout, [column_pt(w) for w in widths])
    one_across = then.fit_width == 1  # never a second page across for a balanced sheet
    return widths if one_across and then.printed_pt >= min(now, BALANCED_MIN_PT) else layout_widths


def render(layout: dict, rows: list[dict], header_ns: dict, draft: bool = False, meta: dict | None = None) -> bytes:
    """The sheet as .xlsx; ``meta``: the file's title and author (the recommending unit)."""
    sheet = prepare(layout)
    buf = io.BytesIO()
    wb = new_workbook(buf, clip=draft)  # a draft shows a cut where a record text is too long
    meta = meta or {}
    wb.set_properties(
        {
            "title": meta.get("title", layout.get("title", "")),
            "author": meta.get("author", ""),
            "created": dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
        }
    )
    ws = wb.add_worksheet(layout.get("sheet", "Sheet1")[:31])
    row_pt: dict[int, float] = {}  # each row's height as set, for counting the pages

    def set_row(row: int, height: float) -> None:
        row_pt[row] = height
        ws.set_row(row, height)

    size = sheet.size
    formats = {name: wb.add_format(props) for name, props in sheet.formats.items()}
    cell_formats: dict = {}

    def cell_format(key):
        if key not in cell_formats:
            cell_formats[key] = wb.add_format(sheet.cell_props[key])
        return cell_formats[key]

    columns, need = _cells(sheet, rows)
    ncols = len(columns)
    xl_widths = [max(c.width, width_for(w)) for c, w in zip(sheet.columns, need, strict=True)]
    if print_plan(layout).fit_width == 1 and rows:
        xl_widths = _balanced(layout, sheet, rows, columns, need, xl_widths)
    widths = [column_pt(w) for w in xl_widths]
    for i, w in enumerate(xl_widths):
        ws.set_column(i, i, w)
    full = sum(widths)

    def label_row(r: int, text: str, fmt_, text_size: float, min_height: float) -> None:
        if ncols > 1:
            ws.merge_range(r, 0, r, ncols - 1, text, fmt_)
        else:  # XlsxWriter merges no single cell (it would drop the text)
            ws.write_string(r, 0, text, fmt_)
        set_row(r, min(max(text_height(text, full, text_size), min_height), MAX_ROW_PT))

    r = 0
    if draft:
        label_row(r, "草稿：本文件尚有未改正的错误，不得用于正式申报", formats["draft"], DRAFT_PT, 0)
        r += 1
    for line in layout.get("heading_lines", []):
        label_row(r, line, formats["line"], size, size * 1.8)
        r += 1
    label_row(r, layout["title"], formats["title"], TITLE_PT, 36)
    r += 1
    for line in sheet.before:
        label_row(r, fmt(line(**header_ns)), formats["line"], size, 24)
        r += 1

    head_top, depth = r, sheet.depth
    spans = []  # (first row, last row, height) of every header cell, for the row heights
    for h in sheet.header:
        if h.last > h.first or h.bottom > h.level:
            ws.merge_range(r + h.level, h.first, r + h.bottom, h.last, h.text, formats["head"])
        else:
            ws.write_string(r + h.level, h.first, h.text, formats["head"])
        spans.append((h.level, h.bottom, text_height(h.text, sum(widths[h.first : h.last + 1]), size)))
    heights = [size * 1.8] * depth
    for first, last, need_pt in sorted(spans, key=lambda s: s[1] - s[0]):
        have = sum(heights[first : last + 1])
        if need_pt > have:
            heights[last] += need_pt - have  # a cell merged down grows its lowest row
    for lv, h in enumerate(heights):
        set_row(r + lv, min(h, MAX_ROW_PT))
    r += depth

    # the rows, a column at a time: its cells written, each text cell's lines counted
    top = r
    lines = [0] * len(rows)
    write_string, write_number = ws.write_string, ws.write_number
    for i, (col, (numbers, texts), width) in enumerate(zip(sheet.columns, columns, widths, strict=True)):
        usable, memo = max((width - H_PAD_PT) * 0.97, size), {}
        plain, quoted = cell_format((col.align, False, False)), None
        for j, text in enumerate(texts):
            if numbers is not None and numbers[j] is not None:
                write_number(top + j, i, numbers[j], cell_format((col.align, False, True)))
                continue
            if text.startswith(FORMULA_START):
                quoted = quoted or cell_format((col.align, True, False))
                write_string(top + j, i, text, quoted)
            else:
                write_string(top + j, i, text, plain)
            if text:
                n = _lines(text, usable, size, memo)
                if n > lines[j]:
                    lines[j] = n
    least = size * 1.8
    for n in lines:
        set_row(r, min(max(least, n * size * LINE_EM + V_PAD_PT), MAX_ROW_PT))
        r += 1
    for line in sheet.after:
        label_row(r, fmt(line(**header_ns)), formats["line"], size, 24)
        r += 1
    for line in layout.get("notes", []):
        label_row(r, line, formats["note"], size, 20)
        r += 1

    plan = print_plan(layout, widths)
    if plan.fit_width == 1 and rows:
        heights = [row_pt.get(i, 15.0) for i in range(r)]
        plan = fewest_pages(plan, size, heights[:head_top], heights[head_top:top], heights[top:])
    set_up_page(ws, plan, footer_pt=size, repeat_rows=(head_top, head_top + depth - 1), draft=draft)
    wb.close()
    return buf.getvalue()
