"""The record as an Excel workbook, equal to YAML: written with XlsxWriter from the field
catalogue (:mod:`formgen.catalogue`), read back with openpyxl into the same data a YAML file
gives and type-checked by :func:`formgen.record.loader.build`, so every finding points at its
cell (``某企业.xlsx[智能工厂]!C7``).

The workbook: a 填写说明 sheet; one sheet per section of the record in the order of the
forms, single values as rows of 项目 | 内容 | 说明 | 限制与要求; each list (scenarios,
近三年 financials, projects …) a table with one row per item; a hidden 选项 sheet for long
drop-down lists. Reading never depends on label text: a rows sheet carries each field's
path in its hidden column A (marked ``#字段`` in A1), a table its column paths in hidden
row 1. Sheets are recognised by those marks, not by name, so a renamed sheet still reads.

Files from users are untrusted: at most MAX_FILE_BYTES, zip members bounded in number and
unpacked size, XML with a DOCTYPE refused, at most MAX_ROWS rows read per sheet; formulas
are never evaluated (a cached value is used, a formula without one is refused), macros
never run (.xlsm is refused, so is .xls). Every problem is one finding naming the sheet
and cell; nothing is read half-way.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import posixpath
import re
import stat
import unicodedata
import warnings
import zipfile
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from xlsxwriter.utility import xl_rowcol_to_cell

from ..catalogue import MODE_ITEMS, Catalogue, Field, Sheet, catalogue, levels
from ..record.derived import by_year, year_lists
from ..record.findings import ERROR, Finding
from ..record.loader import _ERRNO_ZH, MAX_FILE_BYTES, MAX_FILE_MB, LoadError, build
from ..record.model import Record
from ..record.types import (
    particular_reader,
    read_amount,
    read_bool,
    read_count,
    read_date,
    read_percent,
    read_score,
    read_whole,
    read_year_month,
)
from ..render import XLSX_CELL_MAX as CELL_MAX
from ..render import cell_len

MAX_UNZIPPED = 64 * 1024 * 1024  # all parts together, as unpacked
MAX_MEMBERS = 2_000
MAX_SHEETS = 64
MAX_ROWS = 2_000  # rows read per sheet: a record needs a few hundred at most
MAX_COLS = 64
TABLE_ROWS = 300  # rows of a table given drop-downs and validation below the header

HELP, OPTIONS = "填写说明", "选项"
MARK_HELP, MARK_OPTIONS, MARK_ROWS = "#说明", "#选项", "#字段"
MARK_GROUP = "#分组"  # column A of a group-heading row on a rows sheet: a title, nothing to fill
HEAD = ("项目", "内容", "说明", "限制与要求")
COL_PATH, COL_LABEL, COL_VALUE, COL_NOTE, COL_LIMIT = range(5)


class WorkbookError(ValueError):
    """A record that cannot be written as a workbook (one line, Chinese), with the field."""

    def __init__(self, message: str, path: str = "", label: str = "", source: str = ""):
        super().__init__(message)
        self.path = path
        self.label = label
        self.source = source  # the file the record came from, when the writer's caller knows it

    def finding(self, source: str = "") -> Finding:
        return Finding("XL001", ERROR, self.path, self.label, str(self), source or self.source)


def too_long_for_a_cell(text: str, path: str, label: str) -> WorkbookError | None:
    """The error for a record's text no workbook cell can hold (the limit and how it is
    counted: :mod:`formgen.render`): the YAML record has no such limit."""
    n = cell_len(text)
    if n <= CELL_MAX:
        return None
    return WorkbookError(
        f"共 {n:,} 个字符，超过 Excel 单元格上限 {CELL_MAX:,} 个字符，不能写入工作簿（未写出任何文件）；"
        "YAML 记录没有这一上限，请保留为 YAML 记录",
        path,
        label,
    )


# --- writing --------------------------------------------------------------------------------


def record_catalogue(record, pack=None) -> Catalogue:
    """The catalogue a record is written with: its pack (or ``pack``) at its level, and
    every other field it holds, so nothing is lost."""
    from ..packs.pack import PackError, get_pack

    if isinstance(pack, str) or pack is None:
        try:
            pack = get_pack(pack or record.pack) if (pack or record.pack) else None
        except PackError:
            pack = None
    level = record.factory.level
    if pack is not None and level not in levels(pack):
        level = pack.level
    return catalogue(pack, level).with_record(record)


def record_workbook(record, pack=None) -> bytes:
    """``record`` as a workbook. Raises WorkbookError for a value no cell can hold."""
    return workbook_bytes(record_catalogue(record, pack), record)


def blank_workbook(cat: Catalogue) -> bytes:
    return workbook_bytes(cat, None)


def workbook_bytes(cat: Catalogue, record=None) -> bytes:
    from ..render.xlsx import CellTooLong

    try:
        return _Writer(cat, record).run()
    except CellTooLong as e:  # a text no check above foresaw: refused all the same, never cut
        raise WorkbookError(f"{e}；YAML 记录没有这一上限，请保留为 YAML 记录") from e


def _sheet_name(title: str, taken: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\']", "", title).strip() or "Sheet"
    name = name[:31]
    base, n = name, 2
    while name.casefold() in taken:
        suffix = f"{n}"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    taken.add(name.casefold())
    return name


def _decimal_cell(value: Decimal) -> tuple[float | str, int]:
    """A Decimal as a number Excel holds exactly (with the places to show), or as text
    when a double cannot hold it (more than 15 significant digits)."""
    text = format(value, "f")
    try:
        as_float = float(text)
    except (OverflowError, ValueError):
        return text, 0
    if Decimal(format(as_float, ".15g")) != value:
        return text, 0
    places = len(text.split(".")[1]) if "." in text else 0
    shown = format(as_float, ".15g")
    shown_places = len(shown.split(".")[1]) if "." in shown and "e" not in shown else 0
    return as_float, places if places > shown_places else 0


def _list_text(items) -> str:
    """Several values in one cell, one a line. A single value that holds a separator gets
    a trailing line break, so it is read back as one value."""
    items = [str(x) for x in items]
    text = "\n".join(items)
    if len(items) == 1 and re.search(r"[、；;，,]", items[0]):
        text += "\n"
    return text


def _shortened(text: str, limit: int, mark: str) -> str:
    """``text`` within ``limit`` characters, ending with ``mark`` where it was shortened."""
    return text if len(text) <= limit else text[: limit - len(mark)] + mark


class _Writer:
    def __init__(self, cat: Catalogue, record):
        from ..render.xlsx import new_workbook

        self.cat = cat
        self.record = record
        self.buf = io.BytesIO()
        self.wb = new_workbook(self.buf, default_font=False)
        self.wb.set_properties(
            {"title": "formgen 企业申报记录", "author": "formgen", "comments": "formgen init/convert"}
        )
        self.taken: set[str] = set()
        self.options_sheet = None
        self.options_col = 0
        self.formats: dict = {}
        base = {"font_name": "宋体", "font_size": 11, "valign": "top", "border": 1, "border_color": "#BFBFBF"}
        self.base = base
        self.f_head = self.fmt(bold=True, bg_color="#D9E1F2", text_wrap=True, valign="vcenter", locked=True)
        self.f_label = self.fmt(bg_color="#F2F2F2", text_wrap=True, locked=True)
        self.f_label_req = self.fmt(bg_color="#F2F2F2", text_wrap=True, locked=True, bold=True)
        self.f_group = self.fmt(bold=True, bg_color="#DDEBF7", locked=True)
        self.f_note = self.fmt(bg_color="#F2F2F2", text_wrap=True, locked=True, font_color="#595959", font_size=9)
        self.f_key = self.fmt(text_wrap=True, locked=False, num_format="@")

    def fmt(self, **props):
        key = tuple(sorted(props.items()))
        if key not in self.formats:
            self.formats[key] = self.wb.add_format({**self.base, **props})
        return self.formats[key]

    def value_format(self, f: Field, places: int = 0):
        props = {"locked": False, "text_wrap": f.kind in ("text", "longtext", "texts", "enums", "enum")}
        if f.kind in ("text", "longtext", "texts", "enums", "enum", "bool"):
            props["num_format"] = "@"
        elif f.kind == "date":
            props["num_format"] = "yyyy-mm-dd"
        elif f.kind == "year_month":
            props["num_format"] = "yyyy-mm"
        elif places:
            props["num_format"] = "0." + "0" * places
        return self.fmt(**props)

    # -- sheets

    def run(self) -> bytes:
        sheets = self.cat.sheets()
        help_ws = self.wb.add_worksheet(_sheet_name(HELP, self.taken))
        names = []
        for sheet in sheets:
            name = _sheet_name(sheet.title, self.taken)
            names.append((name, sheet))
        self.numbers: dict[str, dict[int, int]] = {}
        for name, sheet in names:
            ws = self.wb.add_worksheet(name)
            if sheet.is_table:
                self.table(ws, sheet)
            else:
                self.rows(ws, sheet)
        self.help(help_ws, names)
        help_ws.activate()
        self.wb.close()
        return self.buf.getvalue()

    def help(self, ws, names):
        from .blank import header_lines

        ws.set_column(0, 0, 4, None, {"hidden": True})
        ws.set_column(1, 1, 110)
        ws.write_string(0, 0, MARK_HELP)
        title = self.fmt(bold=True, font_size=14, border=0)
        head = self.fmt(bold=True, font_size=11, border=0, bg_color="#DDEBF7")
        body = self.fmt(text_wrap=True, border=0, valign="top")
        lines: list[tuple[str, object]] = []
        if self.cat.pack is not None:
            intro = header_lines(self.cat)
            lines.append((intro[0], title))
            lines += [(x, body) for x in intro[1:]]
        else:
            lines.append(("formgen 企业申报记录（一个企业、一个智能工厂申报，一份记录填写所有表格）", title))
            lines.append(
                (
                    f"完整记录：列出全部 {len(self.cat.fields)} 项；用 formgen init 文件.xlsx --pack 包名 可只列出某个表格包用到的字段。",
                    body,
                )
            )
        heading = next((f.group for f in self.cat.fields if f.group and not f.table), "")
        lines += [
            ("怎么填", head),
            (
                "只在白色的格子里填写：“内容”列，和表格中的各行。灰色的项目、说明、限制已锁定（工作表保护，没有密码：“审阅 → 撤销工作表保护”可解除）。",
                body,
            ),
            ("选中一个格子会提示它的填写要求；带下拉箭头的格子请从列表中选择。不适用的项留空。", body),
            (
                "金额单位为万元，百分比填数字（45.3 表示 45.3%）；日期写 2024-03-01，年月写 2024-03（也可写 2024年3月）。数字可以带千位分隔符。",
                body,
            ),
            (
                "长文本（申报书各部分、企业简介等）：在格子里按 Alt+Enter 换行；空一行（连按两次 Alt+Enter）开始新的段落，段落内的换行会被连接起来（汉字之间不加空格）。",
                body,
            ),
            ("可填多项的格子（系统集成商、供应商、智能制造模式）：每行一项（Alt+Enter 换行）。", body),
            (
                "表格（典型场景、近三年主要经济指标、在建项目等）：每行一项；可以插入、删除、排序行，空行会被忽略。关键装备等表用“所属……的序号”对应到上一级表的序号。",
                body,
            ),
            (
                "请不要改动隐藏的 A 列和第 1 行：formgen 按其中的字段标记读取本工作簿；工作表可以改名。不要写公式，也不要合并单元格。",
                body,
            ),
            (
                "".join(
                    (
                        f"蓝色的分组标题行（如“{heading}”）只是标题，不填写内容。" if heading else "",
                        "关键绩效指标等可自填名称的表可以在其行之间插入行，填写更多项。"
                        if any(f.entry for f in self.cat.fields)
                        else "",
                    )
                ),
                body,
            ),
            ("检查与生成", head),
            (
                "检查：formgen validate 本文件.xlsx（每个问题一行，指明工作表和单元格，如 本文件.xlsx[智能工厂]!C7）",
                body,
            ),
            (
                "生成：formgen fill 本文件.xlsx --out 输出文件夹；转换为 YAML：formgen convert 本文件.xlsx 本文件.yaml",
                body,
            ),
            ("工作表", head),
        ]
        for name, sheet in names:
            n = len(sheet.fields)
            req = sum(1 for f in sheet.fields if f.required)
            what = "表格，每行一项" if sheet.is_table else "每行一项内容"
            lines.append((f"{name}：{what}，{n} 个字段" + (f"（必填 {req} 项）" if req else ""), body))
        lines = [(text, f) for text, f in lines if text]
        for i, (text, f) in enumerate(lines, start=1):
            ws.write_string(i, 1, text, f)
            if len(text) > 55:
                ws.set_row(i, 15 * (len(text) // 55 + 1))
        ws.protect("", {"select_locked_cells": True, "select_unlocked_cells": True})
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.set_paper(9)

    def validation(self, ws, first_row, col, last_row, f: Field, entry_key: bool = False):
        """Drop-down, number or date validation, and the input message (the limits)."""
        message = f.summary() if not entry_key else "指标名称：从列表中选择，或填写其他指标名称"
        if f.required and not entry_key:
            message += f"；必填（{'、'.join(f.documents)}）"
        if f.note and not entry_key:
            message += "\n" + f.note
        opts = {  # Excel's limits for a cell's prompt; the 说明 column holds the whole note
            "input_title": _shortened(f.label if not entry_key else "指标名称", 32, "…"),
            "input_message": _shortened(message, 255, "……（全文见“说明”列）"),
            "ignore_blank": True,
        }
        options = f.options if (f.kind in ("enum", "enums", "bool") or entry_key) else ()
        if options:
            opts.update(self.list_source(options))
            opts["validate"] = "list"
            if f.kind == "enums":
                opts["error_type"] = "information"
            elif f.strict and not entry_key:
                opts["error_type"] = "stop"
            else:
                opts["error_type"] = "warning"
            opts["error_title"] = "不在列表中"
            opts["error_message"] = "请从下拉列表中选择。" + ("可填多项，每行一项。" if f.multiple else "")
        elif f.kind in ("count", "int", "amount", "percent", "decimal", "date", "year_month"):
            # A number is held to its bounds; text passes, since formgen reads values as typed
            # (2023年, 1,280, 45.3%, 三级, 2024年3月: formgen.record.types) and says itself what
            # it cannot read. Excel's own number and date checks would warn on all of those.
            opts.update(validate="custom", value=_typed_formula(f, xl_rowcol_to_cell(first_row, col)))
            opts["error_type"] = "warning"
            opts["error_title"] = "超出范围" if f.kind not in ("date", "year_month") else "应为日期"
            opts["error_message"] = f"应为{f.summary()}"[:255]
        elif f.code_lengths:  # a code (the industry code): as long as its levels' codes
            low, high = f.code_lengths
            opts.update(validate="length", criteria="between", minimum=low, maximum=high, error_type="warning")
            opts["error_title"], opts["error_message"] = "代码位数不对", f"应为{f.summary()}"[:255]
        else:
            opts["validate"] = "any"
        ws.data_validation(first_row, col, last_row, col, opts)

    def list_source(self, options) -> dict:
        """An inline list when short, else a column of the hidden 选项 sheet."""
        joined = ",".join(options)
        if len(joined) <= 250 and not any("," in o or '"' in o for o in options):
            return {"source": list(options)}
        if self.options_sheet is None:
            self.options_sheet = self.wb.add_worksheet(_sheet_name(OPTIONS, self.taken))
            self.options_sheet.hide()
            self.options_sheet.write_string(0, 0, MARK_OPTIONS)
            self.options_col = 1
            self.options_cache: dict = {}
        key = tuple(options)
        if key not in self.options_cache:
            col = self.options_col
            self.options_col += 1
            for i, o in enumerate(options, start=1):
                self.options_sheet.write_string(i, col, o)
            letter = _col_letter(col)
            self.options_cache[key] = f"='{self.options_sheet.name}'!${letter}$2:${letter}${len(options) + 1}"
        return {"source": self.options_cache[key]}

    def put(self, ws, row: int, col: int, f: Field, value, width: float = 48) -> int:
        """Write one value; returns the number of lines it takes in a column ``width``
        wide (for the row height)."""
        if value is None or value == [] or value == "":
            ws.write_blank(row, col, None, self.value_format(f))
            return 1
        if f.multiple:
            value = _list_text(value)
        if isinstance(value, bool):
            value = "是" if value else "否"
        if isinstance(value, Decimal):
            number, places = _decimal_cell(value)
            if isinstance(number, str):
                ws.write_string(row, col, number, self.value_format(f))
            else:
                ws.write_number(row, col, number, self.value_format(f, places))
            return 1
        if isinstance(value, int):
            ws.write_number(row, col, value, self.value_format(f))
            return 1
        if isinstance(value, dt.date):
            ws.write_datetime(row, col, dt.datetime(value.year, value.month, value.day), self.value_format(f))
            return 1
        text = str(value)
        if f.kind == "year_month" and re.fullmatch(r"\d{4}-\d{2}", text):
            y, m = map(int, text.split("-"))
            ws.write_datetime(row, col, dt.datetime(y, m, 1), self.value_format(f))
            return 1
        error = too_long_for_a_cell(text, f.path, f.label)
        if error:
            raise error
        ws.write_string(row, col, text, self.value_format(f))
        return _lines(text, width)

    def rows(self, ws, sheet: Sheet):
        from ..record.paths import get

        long = any(f.kind == "longtext" for f in sheet.fields)
        ws.set_column(COL_PATH, COL_PATH, 30, None, {"hidden": True})
        ws.set_column(COL_LABEL, COL_LABEL, 30)
        self.value_width = 80 if long else 48
        ws.set_column(COL_VALUE, COL_VALUE, self.value_width)
        ws.set_column(COL_NOTE, COL_NOTE, 40)
        ws.set_column(COL_LIMIT, COL_LIMIT, 28)
        ws.write_string(0, COL_PATH, MARK_ROWS, self.f_head)
        for i, text in enumerate(HEAD, start=1):
            ws.write_string(0, i, text, self.f_head)
        ws.freeze_panes(1, 0)
        r = 1
        group = None
        for f in sheet.fields:
            if f.group != group:
                group = f.group
                if group:
                    ws.write_string(r, COL_PATH, MARK_GROUP)
                    ws.write_string(r, COL_LABEL, group, self.f_group)
                    for c in (COL_VALUE, COL_NOTE, COL_LIMIT):
                        ws.write_blank(r, c, None, self.f_group)
                    r += 1
            if f.entry:
                entries = self.entries(f)
                for key, value in entries:
                    self.row(ws, r, f, value, key=key)
                    r += 1
                continue
            value = get(self.record, f.path) if self.record is not None else None
            if f.path.startswith(MODE_ITEMS + ".") and self.record is not None:
                mode, no = f.path[len(MODE_ITEMS) + 1 :].rsplit(".", 1)
                value = (self.record.narrative.mode_items.get(mode) or {}).get(int(no))
            if self.record is None and f.path == "pack" and self.cat.pack is not None:
                value = self.cat.pack.name
            if self.record is None and f.path == "factory.level":
                value = self.cat.level
            self.row(ws, r, f, value)
            r += 1
        ws.protect(
            "",
            {
                "select_locked_cells": True,
                "select_unlocked_cells": True,
                "format_rows": True,
                "format_columns": True,
                # a mapping's rows (关键绩效指标) grow: a row inserted among them is read as one more
                "insert_rows": any(f.entry for f in sheet.fields),
            },
        )
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(0)

    def entries(self, f: Field) -> list[tuple[str, object]]:
        """The rows of a mapping (KPIs): the record's entries, else the known keys; then
        a few free rows for other names."""
        from ..record.paths import get

        if self.record is not None:
            current = get(self.record, f.path[:-2]) or {}
            rows = list(current.items())
        else:
            rows = [(k, None) for k in f.options]
        return rows + [("", None)] * 5

    def row(self, ws, r: int, f: Field, value, key: str | None = None):
        ws.write_string(r, COL_PATH, f.path)
        if key is not None:
            if key:
                error = too_long_for_a_cell(key, f.path, f.label)
                if error:
                    raise error
                ws.write_string(r, COL_LABEL, key, self.f_key)
            else:
                ws.write_blank(r, COL_LABEL, None, self.f_key)
            if f.options:
                self.validation(ws, r, COL_LABEL, r, f, entry_key=True)
        else:
            ws.write_string(r, COL_LABEL, f.label, self.f_label_req if f.required else self.f_label)
        lines = self.put(ws, r, COL_VALUE, f, value, self.value_width)
        ws.write_string(r, COL_NOTE, f.note, self.f_note) if f.note else ws.write_blank(r, COL_NOTE, None, self.f_note)
        limit = f.summary() + (f"\n必填（{'、'.join(f.documents)}）" if f.required else "")
        ws.write_string(r, COL_LIMIT, limit, self.f_note)
        self.validation(ws, r, COL_VALUE, r, f)
        height = max(
            15 * lines, 12 * _lines(f.note, 40 * 11 / 9), 12 * _lines(limit, 28 * 11 / 9), 15 * _lines(f.label, 30)
        )
        if f.kind == "longtext":
            height = max(height, 90)
        ws.set_row(r, min(409, max(20, height)))

    def table(self, ws, sheet: Sheet):
        from ..record.paths import get

        children = [s for s in self.cat.sheets() if s.parent == sheet.key]
        columns: list[tuple[str, str, Field | None]] = []  # (key, label, field)
        if children:
            columns.append((sheet.key + "#", "序号", None))
        if sheet.parent:
            parent_title = self.cat.titles.get(sheet.parent, sheet.parent)
            columns.append((sheet.parent + "#", f"所属{parent_title}的序号", None))
        columns += [(f.path, f.label + ("（必填）" if f.required else ""), f) for f in sheet.fields]
        for c, (key, label, f) in enumerate(columns):
            ws.write_string(0, c, key)
            ws.write_string(1, c, label, self.f_head)
            if f is not None and (f.note or f.limits):  # a table has no 说明 column: the hint as the header's note
                hint = "\n".join(x for x in (f.note, f.summary()) if x)
                ws.write_comment(1, c, _shortened(hint, 2000, "……"), {"x_scale": 2, "y_scale": 2, "author": "formgen"})
            width = 8 if f is None else _width(f)
            ws.set_column(c, c, width, self.value_format(f) if f is not None else self.fmt(locked=False))
        ws.set_row(0, None, None, {"hidden": True})
        ws.set_row(1, 45)
        items = self.items(sheet)
        r = 2
        for parent_no, item in items:
            height = 1
            for c, (key, _label, f) in enumerate(columns):
                if f is None and key == sheet.key + "#":
                    ws.write_number(r, c, self.numbers[sheet.key][id(item)], self.fmt(locked=False))
                elif f is None:
                    ws.write_number(r, c, parent_no, self.fmt(locked=False))
                else:
                    value = get(item, f.key) if item is not None else None
                    height = max(height, self.put(ws, r, c, f, value, _width(f)))
            ws.set_row(r, min(409, 15 * height + 5))
            r += 1
        last = max(r, 2 + TABLE_ROWS)
        for c, (key, label, f) in enumerate(columns):
            if f is not None:
                self.validation(ws, 2, c, last, f)
            else:
                ws.data_validation(
                    2,
                    c,
                    last,
                    c,
                    {
                        "validate": "integer",
                        "criteria": ">=",
                        "value": 1,
                        "error_type": "warning",
                        "input_title": label[:32],
                        "input_message": "序号：从 1 开始的整数，用来对应下级表格中的行"[:255]
                        if key == sheet.key + "#"
                        else f"填写{label}（见该表“序号”列）"[:255],
                    },
                )
        ws.freeze_panes(2, 0)
        ws.autofilter(1, 0, max(r - 1, 2), len(columns) - 1)
        ws.protect(
            "",
            {
                "select_locked_cells": True,
                "select_unlocked_cells": True,
                "insert_rows": True,
                "delete_rows": True,
                "sort": True,
                "autofilter": True,
                "format_rows": True,
                "format_columns": True,
            },
        )
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(1)

    def items(self, sheet: Sheet) -> list[tuple[int, object]]:
        """(parent number, item) for every item of the table's list in the record; items
        of tables with nested tables are numbered 1, 2, … for those to refer to."""
        from ..record.paths import get

        if self.record is None:
            return []
        out: list[tuple[int, object]] = []
        if not sheet.parent:
            lst = get(self.record, sheet.key[:-2]) or []
            if sheet.key[:-2] in year_lists():  # 近三年 in the annexes' order, whatever the record's
                lst = by_year(list(lst))
            out = [(0, x) for x in lst]
        else:
            rel = sheet.key[len(sheet.parent) + 1 : -2]
            for parent in get(self.record, sheet.parent[:-2]) or []:
                no = self.numbers.get(sheet.parent, {}).get(id(parent))
                out += [(no, x) for x in getattr(parent, rel, None) or []]
        self.numbers[sheet.key] = {id(x): i for i, (_, x) in enumerate(out, start=1)}
        return out


def _lines(text: str, width: float) -> int:
    """Lines ``text`` wraps to in a column ``width`` characters wide (a Chinese character
    is two wide)."""
    total = 0
    for part in (text or "").split("\n"):
        wide = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in part)
        total += max(1, -(-int(wide * 1.1) // max(int(width) - 1, 1)))
    return total


def _width(f: Field) -> float:
    if f.kind == "longtext":
        return 50
    if f.kind in ("date", "year_month", "count", "int", "bool"):
        return 12
    if f.kind in ("amount", "percent", "decimal"):
        return 14
    if f.options:
        return min(30, max(12, max(len(o) for o in f.options) * 2 + 2))
    return 22


def _col_letter(col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _cell(row: int, col: int) -> str:
    """0-based row and column -> A1."""
    return f"{_col_letter(col)}{row + 1}"


# --- reading: the file, the zip, the XML -------------------------------------------------------

_CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE compound file: .xls, or an encrypted .xlsx
_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


class _Refused(Exception):
    def __init__(self, message: str, code: str = "WB001", line=None):
        super().__init__(message)
        self.code = code
        self.line = line


def _read_bytes(path: Path) -> bytes:
    """The file's bytes: a regular file of at most MAX_FILE_BYTES, read with a bounded read."""
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise _Refused("这是一个文件夹，不是记录文件：请给出一个 .xlsx 或 .yaml 文件", "IN001")
        if not stat.S_ISREG(info.st_mode):
            raise _Refused("不是普通文件（如管道、设备文件），不能作为记录读取", "IN001")
        if info.st_size > MAX_FILE_BYTES:
            raise _Refused(
                f"工作簿超过 {MAX_FILE_MB} MB 的上限（{info.st_size / 1024 / 1024:.1f} MB），无法读取："
                "记录工作簿只需文字和数字，请删去图片等内容",
                "IN001",
            )
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise _Refused("不是普通文件（如管道、设备文件），不能作为记录读取", "IN001")
            raw = f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise _Refused(f"无法读取文件：{_ERRNO_ZH.get(e.errno, e.strerror or str(e))}", "IN001") from e
    if len(raw) > MAX_FILE_BYTES:
        raise _Refused(f"工作簿超过 {MAX_FILE_MB} MB 的上限，无法读取", "IN001")
    return raw


def _open_zip(raw: bytes) -> zipfile.ZipFile:
    if raw.startswith(_CFB):
        if "EncryptionInfo".encode("utf-16-le") in raw or b"EncryptedPackage" in raw:
            raise _Refused("工作簿设置了打开密码（已加密），无法读取：请在 Excel 或 WPS 中取消密码后另存为 .xlsx")
        raise _Refused("这是旧版 Excel 格式（.xls），不是 .xlsx：请在 Excel 或 WPS 中“另存为”Excel 工作簿（.xlsx）")
    if not raw:
        raise _Refused("文件是空的，不是 Excel 工作簿")
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
        members = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as e:
        raise _Refused("不是有效的 .xlsx 工作簿（文件已损坏，或不是 Excel 文件）") from e
    if len(members) > MAX_MEMBERS:
        raise _Refused(f"工作簿内部的部件超过 {MAX_MEMBERS} 个，不像一份记录，拒绝读取")
    if sum(m.file_size for m in members) > MAX_UNZIPPED:
        raise _Refused(f"工作簿解压后超过 {MAX_UNZIPPED // 1048576} MB 的上限，拒绝读取")
    names = {m.filename for m in members}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        if "content.xml" in names:
            raise _Refused("这是 OpenDocument 表格（.ods），不是 .xlsx：请另存为 Excel 工作簿（.xlsx）")
        raise _Refused("不是有效的 .xlsx 工作簿（缺少工作簿部件，文件可能已损坏）")
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise _Refused("工作簿含有宏（VBA）：formgen 不读取含宏的工作簿，请另存为不含宏的 Excel 工作簿（.xlsx）")
    for m in members:
        if m.filename.endswith((".xml", ".rels")):
            try:
                with zf.open(m) as f:
                    head = f.read(4096)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as e:
                raise _Refused(f"工作簿已损坏，部件 {m.filename} 无法解压") from e
            probe = head.replace(b"\x00", b"")
            if b"<!DOCTYPE" in probe or b"<!ENTITY" in probe:
                raise _Refused(f"工作簿的部件 {m.filename} 含有 DOCTYPE/ENTITY 声明，拒绝读取（正常的工作簿不含这些）")
    return zf


def _xml(zf: zipfile.ZipFile, name: str):
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    with zf.open(name) as f:
        return etree.parse(f, parser).getroot()


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its part in the zip, from xl/workbook.xml and its relationships."""
    try:
        book = _xml(zf, "xl/workbook.xml")
        rels = _xml(zf, "xl/_rels/workbook.xml.rels")
    except Exception as e:  # noqa: BLE001 - any XML or zip failure is one finding
        raise _Refused("工作簿已损坏：无法读取其工作表目录") from e
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_PKG_REL}Relationship")}
    out = {}
    for s in book.iter(f"{_NS}sheet"):
        target = targets.get(s.get(f"{_REL_NS}id"), "")
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        out[s.get("name", "")] = part
    return out


class _Scan:
    """What openpyxl's values do not say: formula cells (with or without a cached value),
    merged ranges, and how many rows hold anything."""

    def __init__(self):
        self.formulas: dict[str, bool] = {}  # A1 -> has a cached value
        self.merges: list[tuple[int, int, int, int, str]] = []  # min_row, min_col, max_row, max_col (0-based), ref
        self.last_row = 0  # 1-based, the last row holding a value
        self.last_col = 0  # 1-based, the last column holding a value


def _scan_sheet(zf: zipfile.ZipFile, part: str) -> _Scan:
    from lxml import etree
    from openpyxl.utils.cell import column_index_from_string, range_boundaries

    scan = _Scan()
    if part not in zf.namelist():
        return scan
    with zf.open(part) as f:
        for _event, el in etree.iterparse(
            f, events=("end",), tag=(f"{_NS}row", f"{_NS}mergeCell"), resolve_entities=False, no_network=True
        ):
            if el.tag == f"{_NS}row":
                row_no = int(el.get("r") or 0) or scan.last_row + 1
                for c in el.iter(f"{_NS}c"):
                    v = c.find(f"{_NS}v")
                    has_value = (v is not None and v.text not in (None, "")) or c.find(f"{_NS}is") is not None
                    if c.find(f"{_NS}f") is not None and row_no <= MAX_ROWS + 2:
                        scan.formulas[c.get("r", "")] = has_value
                    if has_value:
                        scan.last_row = max(scan.last_row, row_no)
                        letters = re.match(r"[A-Z]*", c.get("r", "")).group()
                        if letters:
                            scan.last_col = max(scan.last_col, column_index_from_string(letters))
                el.clear()
                while el.getprevious() is not None:
                    del el.getparent()[0]
            else:
                ref = el.get("ref", "")
                try:
                    min_col, min_row, max_col, max_row = range_boundaries(ref)
                    scan.merges.append((min_row - 1, min_col - 1, max_row - 1, max_col - 1, ref))
                except (ValueError, TypeError):
                    pass
                el.clear()
    return scan


# --- reading: values, tolerant of what people do in Excel ----------------------------------------


class CellRef(str):
    """A place in a workbook, "SHEET!C7", that sorts in the workbook's order (sheets as
    they stand, then rows and columns as numbers: C9 before C10), so the findings of a
    workbook are listed as its user reads it."""

    def __new__(cls, text: str, key: tuple = ()):
        obj = super().__new__(cls, text)
        obj.key = key
        return obj

    def __getnewargs__(self):
        return (str(self), self.key)

    def __deepcopy__(self, memo):
        return self

    def __copy__(self):
        return self

    __hash__ = str.__hash__

    def _pair(self, other):
        return (self.key, other.key) if isinstance(other, CellRef) else (str(self), other)

    def __lt__(self, other):
        a, b = self._pair(other)
        return a < b

    def __le__(self, other):
        a, b = self._pair(other)
        return a <= b

    def __gt__(self, other):
        a, b = self._pair(other)
        return a > b

    def __ge__(self, other):
        a, b = self._pair(other)
        return a >= b


class _Bad(ValueError):
    """A cell that cannot be read as its field (the message names what to write)."""


def _float_decimal(value: float, number_format: str) -> Decimal:
    """A cell's number as Excel shows it: 15 significant digits (so 0.1+0.2 is 0.3), as a
    percentage when the cell is formatted so, with the decimal places the format shows."""
    d = Decimal(format(value, ".15g"))
    fmt = number_format or ""
    if "%" in fmt:
        d = Decimal(format(value * 100, ".15g"))
    m = re.search(r"\.(0+)", fmt)
    if m:
        places = len(m.group(1))
        exp = d.as_tuple().exponent
        if isinstance(exp, int) and -exp < places:
            d = d.quantize(Decimal(1).scaleb(-places))
    return d


_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(text: str) -> str:
    """Cell text as Excel shows it: OOXML writes characters XML cannot hold as _xHHHH_
    (a carriage return pasted from Word is _x000D_), which openpyxl leaves in; a control
    character so decoded is then refused by the record model, naming the cell. Line
    breaks become \n, as Alt+Enter writes them."""
    if "_x" in text:
        text = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _convert(f: Field, value, number_format: str = ""):
    """The value of a cell as the record model reads it, or None for an empty cell."""
    if value is None:
        return None
    if isinstance(value, str):
        value = _unescape(value).strip(" \t\n\u3000")
        if value == "":
            return None
    kind = f.kind
    if f.multiple:
        if not isinstance(value, str):
            value = _plain(value)
        parts = value.split("\n") if "\n" in value else re.split(r"[；;]" if kind == "texts" else r"[、；;，,]", value)
        return [p.strip(" \t\r\u3000") for p in parts if p.strip(" \t\r\u3000")]
    if kind in ("amount", "percent", "decimal"):
        if isinstance(value, bool):
            raise _Bad("应为数字，不是 是/否")
        if isinstance(value, (int, float)):
            return _float_decimal(float(value), number_format) if abs(value) < 2**53 else Decimal(value)
        if isinstance(value, dt.datetime):
            raise _Bad("应为数字，不是日期")
        reader = {"amount": lambda v: read_amount(v, f.unit or "万元"), "percent": read_percent}.get(kind, read_score)
        return _typed(reader, str(value))
    if kind in ("count", "int"):
        if isinstance(value, bool):
            raise _Bad("应为整数，不是 是/否")
        if isinstance(value, float):
            return int(value) if value.is_integer() else value
        if isinstance(value, int):
            return value
        if isinstance(value, dt.datetime):
            raise _Bad("应为整数，不是日期")
        reader = particular_reader(f.reads) or (lambda v: read_count(v, f.unit) if kind == "count" else read_whole(v))
        return _typed(reader, str(value))
    if kind == "date":
        return _typed(read_date, value if isinstance(value, (dt.date, dt.datetime)) else str(value))
    if kind == "year_month":
        return _typed(read_year_month, value)  # a date, 2024年3月, the number 2024.3 (2024.1 is refused)
    if kind == "bool":
        return _typed(read_bool, value)
    return _plain(value)


def _typed(reader, value):
    """``value`` as the record's reader of its kind reads it (formgen.record.types): the one
    place where 2023年, 三级, 45.3%, 1,280 and full-width digits are read."""
    try:
        return reader(value)
    except ValueError as e:
        raise _Bad(str(e)) from None


def cell_value(f: Field, value, number_format: str = ""):
    """A cell's value (or text typed into a form) as the record model reads field ``f``;
    raises ValueError naming what to write when it cannot be (是/否 for a number)."""
    return _convert(f, value, number_format)


def _plain(value) -> str:
    """A cell read as text: numbers as written (13812345678, not 13812345678.0)."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer() and abs(value) >= 1e15:
            raise _Bad(
                f"数字超过 15 位，Excel 只保存了近似值 {value:.15g}：请把该格设为“文本”格式后重新输入（如统一社会信用代码）"
            )
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, str):
        return _unescape(value).strip(" \t\n\u3000")
    return str(value)


# --- reading: sheets into the record's data ---------------------------------------------------


class _Reader:
    def __init__(self, path: Path):
        self.path = path
        self.source = str(path)
        self.cat = catalogue(None)  # every field: a workbook may hold any of them
        self.groups = {f.group for f in self.cat.fields if f.group}  # the titles of group-heading rows
        self.data: dict = {}
        self.lines: dict = {}
        self.problems: list[Finding] = []
        self.seen: dict[str, str] = {}  # path -> first cell
        self.tables: dict[str, list] = {}  # table pattern -> [(row cells, item, number, parent number)]
        self.sheet_no: dict[str, int] = {}
        self.bad: dict[str, int] = {}  # a value cell that could not be read -> its finding (an index of problems)
        self.left_out: list[str] = []  # the paths of those values: no rule speaks of them again

    def at(self, sheet: str, row: int, col: int) -> CellRef:
        """Where a cell stands, "SHEET!A1", ordered as the workbook is (sheet, row, column)."""
        return CellRef(f"{sheet}!{_cell(row, col)}", (self.sheet_no.get(sheet, 0), row, col))

    def problem(self, code: str, where: str | None, message: str, path: str = "", label: str = ""):
        self.problems.append(Finding(code, ERROR, path, label, message, self.source, where))

    def set_line(self, path: str, where: str):
        self.lines.setdefault(path, where)
        parts = re.split(r"\.|(?=\[)", path)
        for i in range(1, len(parts)):
            prefix = "".join(p if p.startswith("[") else ("." + p if j else p) for j, p in enumerate(parts[:i]))
            self.lines.setdefault(prefix, where)

    def read(self, raw: bytes) -> tuple[dict, dict, list[Finding]]:
        zf = _open_zip(raw)
        parts = _sheet_parts(zf)
        if len(parts) > MAX_SHEETS:
            raise _Refused(f"工作簿有 {len(parts)} 个工作表，超过 {MAX_SHEETS} 个的上限")
        try:
            import openpyxl
        except ImportError as e:
            raise _Refused("读取 .xlsx 记录需要 openpyxl：请运行 pip install openpyxl") from e
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True, keep_links=False)
        except Exception as e:  # noqa: BLE001 - a workbook openpyxl cannot open is one finding
            raise _Refused(f"工作簿已损坏，无法读取（{e.__class__.__name__}）") from e
        try:
            for i, ws in enumerate(wb.worksheets):
                self.sheet_no[ws.title] = i
                scan = _scan_sheet(zf, parts.get(ws.title, ""))
                self.sheet(ws, scan)
        except (_Refused, LoadError):
            raise
        except Exception as e:  # noqa: BLE001
            raise _Refused(f"工作簿已损坏，无法读取（{e.__class__.__name__}）") from e
        finally:
            wb.close()
        self.assemble()
        return self.data, self.lines, self.problems

    def sheet(self, ws, scan: _Scan):
        name = ws.title
        if scan.last_row > MAX_ROWS:
            self.problem(
                "WB005",
                self.at(name, MAX_ROWS, 0),
                f"工作表“{name}”有内容的行超过 {MAX_ROWS:,} 行的上限（最后一行是第 {scan.last_row:,} 行），未读取；"
                "一份记录用不了这么多行，请删去多余的行",
            )
            return
        if scan.last_col > MAX_COLS:
            self.problem(
                "WB005",
                self.at(name, 0, MAX_COLS),
                f"工作表“{name}”有内容的列超过 {MAX_COLS} 列的上限（到第 {_col_letter(scan.last_col - 1)} 列），未读取",
            )
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rows = [
                list(row)
                for row in ws.iter_rows(min_row=1, max_row=min(scan.last_row, MAX_ROWS) or 1, max_col=MAX_COLS)
            ]
        first = rows[0] if rows else []
        a1 = _plain(first[0].value) if first and first[0].value is not None else ""
        if a1 in (MARK_HELP, MARK_OPTIONS):
            return
        if a1 == MARK_ROWS:
            self.rows_sheet(name, rows, scan)
            return
        keys = [_plain(c.value) if c.value is not None else "" for c in first]
        if any(self.table_key(k) for k in keys if k):
            self.table_sheet(name, rows, keys, scan)
            return
        filled = next(((r, c) for r, row in enumerate(rows) for c, cell in enumerate(row) if _filled(cell)), None)
        if filled is not None:
            self.problem(
                "WB002",
                self.at(name, *filled),
                f"工作表“{name}”不是 formgen 记录的工作表（第 1 行/A 列没有字段标记），其中的内容无法读取：请把内容移到对应的工作表，"
                "或删去此工作表",
            )

    def table_key(self, key: str) -> bool:
        if key.endswith("#"):
            return key[:-1].endswith("[]")
        f = self.cat.get(key)
        return f is not None and bool(f.table)

    # -- cells

    def value(self, name: str, cell, f: Field, r: int, c: int, scan: _Scan, path: str):
        """The converted value of a value cell, or None; problems are recorded."""
        where = self.at(name, r, c)
        coord = _cell(r, c)
        if coord in scan.formulas and not scan.formulas[coord]:
            self.unread(
                "WB003", where, "是公式，且没有计算结果：请直接填写内容，或在 Excel 中打开并保存后再试", path, f.label
            )
            return None
        if cell is None:
            return None
        if getattr(cell, "data_type", None) == "e":
            self.unread("WB003", where, f"单元格的值是错误值 {cell.value}（公式出错）：请直接填写内容", path, f.label)
            return None
        try:
            return _convert(f, cell.value, getattr(cell, "number_format", "") or "")
        except _Bad as e:
            self.unread("IN007", where, str(e), path, f.label)
            return None

    def unread(self, code: str, where: str, message: str, path: str, label: str):
        """A value cell that cannot be read: one finding, the value left out (a table's
        cell is given its item's path when the item is placed: :meth:`placed_at`)."""
        self.problem(code, where, message, path, label)
        self.bad[where] = len(self.problems) - 1
        if "[]" not in path:
            self.left_out.append(path)

    def placed_at(self, where: str, path: str):
        """The value cell ``where``, if it could not be read, is the value at ``path``."""
        i = self.bad.get(where)
        if i is not None:
            self.problems[i] = replace(self.problems[i], path=path)
            self.left_out.append(path)

    def merged(self, name: str, scan: _Scan, r: int, c: int) -> bool:
        for min_r, min_c, max_r, max_c, ref in scan.merges:
            if min_r <= r <= max_r and min_c <= c <= max_c and (max_r > min_r or max_c > min_c):
                self.problem(
                    "WB004",
                    self.at(name, min_r, min_c),
                    f"{ref} 是合并单元格：内容须逐格填写，请取消合并，把内容填在各自的格子里",
                )
                scan.merges.remove((min_r, min_c, max_r, max_c, ref))
                return True
        return False

    def claim(self, path: str, where: str, label: str) -> bool:
        first = self.seen.get(path)
        if first is not None:
            self.problem("WB002", where, f"同一字段出现两次（{first} 已填写）：请只保留一处", path, label)
            return False
        self.seen[path] = where
        return True

    # -- a sheet of single values: path in A, value in C

    def rows_sheet(self, name: str, rows: list, scan: _Scan):
        entry_above = ""  # the mapping (kpis{}) of the rows just above: a row inserted among them is one more
        for r, row in enumerate(rows[1:], start=1):
            cells = row + [None] * (COL_LIMIT + 1 - len(row))
            path = (
                _plain(cells[COL_PATH].value).strip()
                if cells[COL_PATH] is not None and cells[COL_PATH].value is not None
                else ""
            )
            where = self.at(name, r, COL_VALUE)
            label_cell = cells[COL_LABEL]
            heading = _plain(label_cell.value) if label_cell is not None and label_cell.value is not None else ""
            if path == MARK_GROUP or (not path and heading in self.groups):
                filled = next((c for c in (COL_VALUE, COL_NOTE, COL_LIMIT) if _filled(cells[c])), None)
                if filled is not None:  # typed where the sheet's protection was lifted: say what the row is
                    self.problem(
                        "WB002",
                        self.at(name, r, filled),
                        f"第 {r + 1} 行是分组标题「{heading}」，不填写内容，此格的内容未读入："
                        "请把内容写在其下方的字段行",
                    )
                entry_above = ""
                continue
            if not path and entry_above:
                path = entry_above  # a row inserted among a mapping's rows (another 指标)
            if not path:
                if _filled(cells[COL_VALUE]):  # a row inserted by hand: its content would be lost
                    self.problem(
                        "WB002",
                        where,
                        f"第 {r + 1} 行没有字段标记（隐藏的 A 列为空），内容无法读取：请不要在此表中插入行",
                    )
                continue
            f = (
                self.cat.find(path)
                if not path.startswith(MODE_ITEMS + ".")
                else self.cat.get(path) or _mode_field(path)
            )
            if f is None or f.table:
                self.problem(
                    "WB002",
                    self.at(name, r, COL_PATH),
                    f"第 {r + 1} 行的字段标记“{path}”不是记录中的字段，内容无法读取",
                )
                continue
            entry_above = f.path if f.entry else ""
            if self.merged(name, scan, r, COL_VALUE):
                continue
            if f.entry:
                key_cell = cells[COL_LABEL]
                key = _plain(key_cell.value) if key_cell is not None and key_cell.value is not None else ""
                value = self.value(name, cells[COL_VALUE], f, r, COL_VALUE, scan, f.path)
                if not key:
                    if value is not None:
                        self.problem("WB002", where, f"填写了数值，但没有填写{f.label}的名称（B 列）", f.path, f.label)
                    continue
                concrete = f"{f.path[:-2]}.{key}"
                if not self.claim(concrete, where, key):
                    continue
                self.placed_at(where, concrete)
                _put_path(self.data, f.path[:-2].split(".") + [key], value)
                self.set_line(concrete, where)
                continue
            value = self.value(name, cells[COL_VALUE], f, r, COL_VALUE, scan, path)
            if not self.claim(path, where, f.label):
                continue
            self.set_line(path, where)
            if path.startswith(MODE_ITEMS + "."):
                mode, no = path[len(MODE_ITEMS) + 1 :].rsplit(".", 1)
                self.set_line(f"{MODE_ITEMS}.{mode}[{no}]", where)
                if value is not None:
                    _put_path(self.data, ["narrative", "mode_items", mode, int(no) if no.isdigit() else no], value)
                continue
            if value is not None:
                _put_path(self.data, path.split("."), value)

    # -- a table: paths in row 1, labels in row 2, one item per row

    def table_sheet(self, name: str, rows: list, keys: list[str], scan: _Scan):
        columns: list[tuple[int, str, Field | None]] = []
        table = None
        for c, key in enumerate(keys):
            if not key:
                continue
            if key.endswith("#"):
                columns.append((c, key, None))
                continue
            f = self.cat.get(key)
            if f is None or not f.table:
                self.problem(
                    "WB002",
                    self.at(name, 0, c),
                    f"第 {_col_letter(c)} 列的字段标记“{key}”不是表格中的字段，此列无法读取",
                )
                continue
            if table is None:
                table = f.table
            elif f.table != table:
                self.problem(
                    "WB002", self.at(name, 0, c), f"第 {_col_letter(c)} 列属于另一个表格（{f.table}），此列无法读取"
                )
                continue
            columns.append((c, key, f))
        if table is None:
            return
        parent = table[: table[:-2].rfind("[]") + 2] if table[:-2].rfind("[]") >= 0 else ""
        if not parent:  # a list left empty is still found: at its table's first row
            self.lines.setdefault(table[:-2], self.at(name, 2, 0))
        for c, key, f in list(columns):
            if f is None and key not in (table + "#", parent + "#"):
                self.problem(
                    "WB002", self.at(name, 0, c), f"第 {_col_letter(c)} 列的序号标记“{key}”与此表格不符，此列无法读取"
                )
                columns.remove((c, key, f))
        labels = (
            [_plain(x.value) if x is not None and x.value is not None else "" for x in rows[1]] if len(rows) > 1 else []
        )
        known = {c for c, _, _ in columns}
        for r, row in enumerate(rows[2:], start=2):
            values = [_plain(x.value) if x is not None and x.value is not None else "" for x in row]
            if not any(values) or values[: len(keys)] == keys[: len(values)] or values == labels[: len(values)]:
                continue  # a blank row, or the header rows sorted into the data
            for c, v in enumerate(values):
                if v and c not in known:
                    self.problem(
                        "WB002",
                        self.at(name, r, c),
                        f"第 {_col_letter(c)} 列没有字段标记（隐藏的第 1 行为空），内容无法读取：请不要插入列",
                    )
            item: dict = {}
            cells: dict[str, str] = {}
            number = parent_no = None
            for c, key, f in columns:
                cell = row[c] if c < len(row) else None
                where = self.at(name, r, c)
                if self.merged(name, scan, r, c):
                    continue
                if f is None:
                    no = self.number(name, cell, r, c)
                    if key == table + "#":
                        number = no
                    elif key == parent + "#":
                        parent_no = (no, where)
                    continue
                value = self.value(name, cell, f, r, c, scan, f.path)
                cells[f.key] = where
                if value is not None:
                    item[f.key] = value
            if not item and number is None:
                continue
            self.tables.setdefault(table, []).append(
                {
                    "item": item,
                    "cells": cells,
                    "number": number,
                    "parent": parent_no,
                    "row": self.at(name, r, 0),
                    "sheet": name,
                }
            )

    def number(self, name, cell, r, c):
        if cell is None or cell.value in (None, ""):
            return None
        try:
            value = _convert(Field("#", "序号", "序号", kind="int"), cell.value)
            if isinstance(value, int):
                return value
        except _Bad:
            pass
        self.problem("IN007", self.at(name, r, c), f"序号应为整数；实际为 {cell.value!r}")
        return None

    def assemble(self):
        """Put each table's items into the data: top-level lists in row order, nested
        rows under the item their parent number names."""
        placed: dict[str, dict[int, tuple[dict, str]]] = {}  # table -> number -> (item, concrete path)
        for table in sorted(self.tables, key=lambda t: t.count("[]")):
            rows = self.tables[table]
            if table[:-2] in year_lists():  # 近三年 read in the annexes' order, whatever the rows'
                rows = by_year(rows, lambda row: row["item"].get("year"))
            parent = table[: table[:-2].rfind("[]") + 2] if table[:-2].rfind("[]") >= 0 else ""
            numbers: dict[int, tuple[dict, str]] = {}
            counters: dict[str, int] = {}
            for row in rows:
                if not parent:
                    lst_path = table[:-2]
                    container = _list_at(self.data, lst_path.split("."))
                    concrete = f"{lst_path}[{len(container)}]"
                    container.append(row["item"])
                else:
                    if row["parent"] is None or row["parent"][0] is None:
                        self.problem(
                            "WB006",
                            row["row"],
                            f"没有填写所属{self.cat.titles.get(parent, parent)}的序号，此行无法归入任何一项",
                        )
                        continue
                    no, where = row["parent"]
                    owner = placed.get(parent, {}).get(no)
                    if owner is None:
                        self.problem(
                            "WB006",
                            where,
                            f"{self.cat.titles.get(parent, parent)}中没有序号为 {no} 的一项，此行无法归入",
                        )
                        continue
                    owner_item, owner_path = owner
                    rel = table[len(parent) + 1 : -2]
                    lst = owner_item.setdefault(rel, [])
                    concrete = f"{owner_path}.{rel}[{len(lst)}]"
                    lst.append(row["item"])
                    counters[owner_path] = counters.get(owner_path, 0) + 1
                self.set_line(concrete, row["row"])
                for key, where in row["cells"].items():
                    self.set_line(f"{concrete}.{key}", where)
                    self.placed_at(where, f"{concrete}.{key}")
                if row["number"] is not None:
                    if row["number"] in numbers:
                        self.problem("WB006", row["row"], f"序号 {row['number']} 重复，下级表格无法对应到唯一的一项")
                    numbers[row["number"]] = (row["item"], concrete)
            placed[table] = numbers


def _typed_formula(f: Field, cell: str) -> str:
    """The custom validation of a number or date cell: text (a value as typed, read by
    formgen) or a number within the field's bounds; a date between 1900 and 2100.

    >>> _typed_formula(Field("x", "从业人员", "", kind="count", minimum=0), "C5")
    '=OR(ISTEXT(C5),AND(C5>=0,C5=INT(C5)))'
    """
    if f.kind in ("date", "year_month"):
        return f"=OR(ISTEXT({cell}),AND({cell}>=DATE(1900,1,1),{cell}<=DATE(2100,12,31)))"
    checks = []
    if f.minimum is not None:
        checks.append(f"{cell}>={_num_formula(f.minimum)}")
    if f.maximum is not None:
        checks.append(f"{cell}<={_num_formula(f.maximum)}")
    if f.kind in ("count", "int"):
        checks.append(f"{cell}=INT({cell})")
    checks = checks or [f"ISNUMBER({cell})"]
    return f"=OR(ISTEXT({cell}),AND({','.join(checks)}))"


def _num_formula(value) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


def _mode_field(path: str) -> Field | None:
    """A 附件5 item the catalogue does not list (a mode or number not in 附件5): read as
    text so that MD002 names it."""
    return Field(path, path.rsplit(".", 2)[-2], "", kind="longtext")


def _filled(cell) -> bool:
    return cell is not None and cell.value is not None and str(cell.value).strip() != ""


def _put_path(data: dict, parts: list, value):
    node = data
    for p in parts[:-1]:
        node = node.setdefault(p, {})
    node[parts[-1]] = value


def _list_at(data: dict, parts: list) -> list:
    node = data
    for p in parts[:-1]:
        node = node.setdefault(p, {})
    return node.setdefault(parts[-1], [])


def is_record_workbook(path: str | Path) -> bool:
    """Whether an .xlsx file is a formgen record (a sheet's A1 holds one of the field
    marks ``#字段``/``#说明``/``#选项`` that :func:`record_workbook` writes) rather than a
    filled annex sheet. Read within the same bounds as a record; a file that cannot be
    read at all counts as a record, so that the record reader says what is wrong with it."""
    try:
        zf = _open_zip(_read_bytes(Path(path)))
        marks = (MARK_ROWS, MARK_HELP, MARK_OPTIONS)
        shared = None
        for part in _sheet_parts(zf).values():
            kind, text = _first_cell(zf, part)
            if kind == "s":
                if shared is None:
                    shared = _shared_strings(zf)
                text = shared[int(text)] if text.isdigit() and int(text) < len(shared) else ""
            if text in marks:
                return True
        return False
    except _Refused:
        return True
    except Exception:  # noqa: BLE001 - unreadable XML: the record reader will say so
        return True


def _first_cell(zf: zipfile.ZipFile, part: str) -> tuple[str, str]:
    """The type and raw text of a sheet's cell A1 ("", "" when it has none)."""
    from lxml import etree

    try:
        f = zf.open(part)
    except KeyError:
        return "", ""
    with f:
        for _, el in etree.iterparse(f, events=("end",), resolve_entities=False, no_network=True, load_dtd=False):
            tag = el.tag.rsplit("}", 1)[-1]
            if tag == "c":
                if el.get("r") != "A1":
                    return "", ""
                kind = el.get("t", "n")
                text = "".join(t.text or "" for t in el.iter(f"{_NS}t")) if kind == "inlineStr" else ""
                v = el.find(f"{_NS}v")
                return kind, text or (v.text or "" if v is not None else "")
            if tag == "row":
                return "", ""
    return "", ""


def _shared_strings(zf: zipfile.ZipFile) -> list[str]:
    try:
        root = _xml(zf, "xl/sharedStrings.xml")
    except KeyError:
        return []
    return ["".join(t.text or "" for t in si.iter(f"{_NS}t")) for si in root.iter(f"{_NS}si")]


def read_workbook(path: str | Path, model=Record, raw: bytes | None = None):
    """Read a workbook record (formgen.doors.opener.READERS['.xlsx']): the same data a YAML file
    gives, type-checked by loader.build with each finding at its sheet and cell; a cell
    that cannot be read is a finding and its value left out (the record's notes). Raises
    LoadError for a file that cannot be read at all."""
    path = Path(path)
    if model is not Record:
        raise LoadError(
            [
                Finding(
                    "WB001",
                    ERROR,
                    "",
                    "",
                    "推荐单位资料请写成 YAML：formgen init 推荐单位.yaml --recommender 写出空白的推荐单位资料",
                    str(path),
                )
            ]
        )
    try:
        if raw is None:
            raw = _read_bytes(path)
        reader = _Reader(path)
        data, lines, problems = reader.read(raw)
    except _Refused as e:
        raise LoadError([Finding(e.code, ERROR, "", "", str(e), str(path), e.line)]) from e
    return build(path, data, lines, model, problems, left_out=reader.left_out)


__all__ = [
    "CELL_MAX",
    "MAX_ROWS",
    "WorkbookError",
    "blank_workbook",
    "is_record_workbook",
    "read_workbook",
    "record_catalogue",
    "record_workbook",
    "workbook_bytes",
]
