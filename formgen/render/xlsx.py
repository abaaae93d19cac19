"""Render a multi-record layout into an .xlsx, written from the description with
XlsxWriter (never by filling a workbook template: openpyxl loses drop-downs, images
and merged-cell borders of workbooks saved by Excel).

Columns may carry a multi-level ``header`` (a list, top level first): equal
neighbouring top levels merge across, a header with fewer levels merges down, so
grouped headers such as 资金构成 over 总投资/固定资产投资/... come out as in the
annex. Every text cell is written with ``write_string``; text beginning with
``= + - @`` also gets Excel's quote prefix, so it stays text even when edited.
"""

from __future__ import annotations

import io
import math
import unicodedata
from decimal import Decimal

import xlsxwriter

from .context import column_value, compile_expr, fmt

FORMULA_START = ("=", "+", "-", "@")


def _header_levels(columns):
    levels = [c["header"] if isinstance(c["header"], list) else [c["header"]] for c in columns]
    return levels, max(len(x) for x in levels)


def _display_width(text: str) -> int:
    """Width in Excel column units: CJK and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _lines(text: str, width: float) -> int:
    usable = max(width - 1, 1)
    return sum(max(1, math.ceil(_display_width(part) / usable)) for part in text.split("\n"))


def _row_height(texts_widths, font_size: float) -> float:
    """XlsxWriter cannot autofit: size the row for its most wrapped cell, so that
    every line prints."""
    lines = max((_lines(t, w) for t, w in texts_widths if t), default=1)
    return max(lines * font_size * 1.4 + 4, font_size * 1.8)


def render(layout: dict, rows: list[dict], header_ns: dict, draft: bool = False) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(
        buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
    )
    ws = wb.add_worksheet(layout.get("sheet", "Sheet1")[:31])
    font = {"font_name": layout.get("xlsx_font", "仿宋_GB2312"), "font_size": layout.get("xlsx_size", 11)}
    border = {"border": 1, "text_wrap": True, "valign": "vcenter"}
    f_title = wb.add_format(
        {**font, "bold": True, "font_size": 18, "align": "center", "valign": "vcenter", "font_name": "方正小标宋简体"}
    )
    f_line = wb.add_format({**font, "align": "left", "valign": "vcenter"})
    f_head = wb.add_format({**font, **border, "bold": True, "align": "center"})
    f_note = wb.add_format({**font, "align": "left", "valign": "top", "text_wrap": True})
    f_draft = wb.add_format({**font, "bold": True, "font_color": "#C00000", "font_size": 14})
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
    for i, col in enumerate(columns):
        ws.set_column(i, i, col.get("width", 12))
    r = 0
    if draft:
        ws.write_string(r, 0, "草稿：本文件尚有未改正的错误，不得用于正式申报", f_draft)
        r += 1
    for line in layout.get("heading_lines", []):
        ws.write_string(r, 0, line, f_line)
        r += 1
    ws.merge_range(r, 0, r, ncols - 1, layout["title"], f_title)
    ws.set_row(r, 36)
    r += 1
    for line in layout.get("before", []):
        ws.merge_range(r, 0, r, ncols - 1, fmt(compile_expr(line)(**header_ns)), f_line)
        ws.set_row(r, 24)
        r += 1
    head_top = r
    levels, depth = _header_levels(columns)
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
            c = end + 1
    size = font["font_size"]
    for lv in range(depth):
        texts = [
            (lev[lv], columns[i].get("width", 12))
            for i, lev in enumerate(levels)
            if len(lev) == lv + 1 and lv == depth - 1 or (len(lev) > lv and lv < depth - 1)
        ]
        ws.set_row(r + lv, _row_height(texts, size))
    r += depth
    ws.repeat_rows(head_top, r - 1)
    for ns in rows:
        shown = []
        for i, col in enumerate(columns):
            value = column_value(col, ns)
            align = col.get("align", "center")
            if col.get("type") == "number" and isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
                ws.write_number(r, i, float(value), cell_format(align, False, True))
            else:
                text = fmt(value) if not isinstance(value, str) else value
                ws.write_string(r, i, text, cell_format(align, text.startswith(FORMULA_START), False))
                shown.append((text, col.get("width", 12)))
        ws.set_row(r, _row_height(shown, size))
        r += 1
    for line in layout.get("after", []):
        ws.merge_range(r, 0, r, ncols - 1, fmt(compile_expr(line)(**header_ns)), f_line)
        r += 1
    for line in layout.get("notes", []):
        ws.merge_range(r, 0, r, ncols - 1, line, f_note)
        ws.set_row(r, 20 * (1 + line.count("\n")))
        r += 1
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.center_horizontally()
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_footer("&C第 &P 页，共 &N 页")
    if draft:
        ws.set_header('&R&"黑体,Bold"&14草稿')
    wb.close()
    return buf.getvalue()
