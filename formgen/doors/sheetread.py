"""Multi-record sheets read back into records: one record a row.

The sheets (Shanghai 附件5, the 卓越级 汇总表, Gansu 附件1/6/7/13) are rendered from a
layout's ``columns`` (:mod:`formgen.render.xlsx`, :func:`formgen.render.docx.render_multi`);
the same columns read them back. The header row is found by the columns' header texts
(spaces, line breaks, full-width punctuation and footnote marks do not count; grouped
headers are read through their merged cells), so a column moved or added by hand is
still mapped by its header, never by its position. Each row below it, up to the notes
or footer (注：…, 联系人：…), is one record; with ``each: LIST`` (Gansu 附件7, a row per
project) the rows of one enterprise are one record, a list item a row.

A cell is read by its column's reading (:func:`formgen.doors.readback.reading`) into an
:class:`formgen.doors.imported.Imported`, typed as the record model reads the field, and keeps
its place (``推荐汇总表!C7``, ``表格1 第5行「企业名称」``). Workbooks are untrusted: the
bounds of :mod:`formgen.doors.workbook` (file size, zip members, unpacked size, DOCTYPE,
rows, columns) refuse a zip bomb or a huge file with one line of Chinese.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ..packs.pack import Document, Pack, _label_text
from ..record.findings import ERROR, WARNING
from .docxread import Body, Docx, DraftError
from .draft import Where, _label_norm, _main, _norm
from .imported import (
    Imported,
    _at,
    _brief,
    field_of,
    finish_aggregates,
    finish_document,
    finish_eithers,
    read_spec,
    typed,
)
from .readback import Reading, reading, ticked_options

TOP_ROWS = 12  # rows of a workbook searched for the sheet's title
HEADER_ROWS = 40  # rows searched for the header
NUMERIC = ("amount", "percent", "decimal", "count", "int")
_FOOTER = re.compile(r"^(注|说明|联系人|填写单位|填报单位|推荐单位|[\u00b9\u00b2\u00b3\u2070-\u2079]|\d+[.．、]\D)")


# -- which document a sheet is -------------------------------------------------------------------


def sheets_of(pack: Pack) -> list[Document]:
    """The pack's multi-record documents (the ones read a row per record)."""
    return [d for d in pack.documents if d.kind == "multi"]


def _cores(doc: Document) -> set[str]:
    head, _, rest = doc.title.partition(" ")
    return {c for c in (_norm(doc.layout.get("title", "")), _norm(rest if head.startswith("附件") else doc.title)) if c}


def sheet_document(lines: Iterable[str], pack: Pack, doc_id: str | None = None) -> Document | None:
    """The multi-record document whose title (the layout's, or the document's without
    ``附件N``) stands in ``lines``, the text near the top of a sheet or a Word file: the
    first line holding one, the longest title that fits. With ``doc_id``, that document
    (DraftError IM006 when the pack has no such sheet). None when no title fits."""
    docs = sheets_of(pack)
    if doc_id is not None:
        doc = next((d for d in docs if d.id == doc_id), None)
        if doc is None:
            raise DraftError(f"表格包 {pack.name} 没有汇总表 {doc_id}；可选：{_options(pack)}", "IM006")
        return doc
    cores = sorted(((c, d) for d in docs for c in _cores(d)), key=lambda x: -len(x[0]))
    for line in lines:
        norm = _norm(line)
        if norm and len(norm) <= 80:
            hit = next((d for c, d in cores if c in norm), None)
            if hit is not None:
                return hit
    return None


def _options(pack: Pack) -> str:
    return "、".join(f"{d.id}（{d.title}）" for d in sheets_of(pack)) or "（无）"


# -- a table as a grid of texts ------------------------------------------------------------------


@dataclass
class _Grid:
    """A sheet or a Word table: the text of every grid cell (a merged cell's text in
    each cell it covers), where a cell is, and what could not be read of a cell."""

    texts: list[list[str]]
    place: Callable[[int, int, str], str]  # (row, column, label) -> where, both 0-based
    origin: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)  # merged -> its first cell
    bad: dict[tuple[int, int], str] = field(default_factory=dict)  # a cell's value that is no text

    def text(self, r: int, c: int) -> str:
        row = self.texts[r]
        return row[c] if c < len(row) else ""

    def where(self, r: int, c: int, label: str) -> str:
        return self.place(*self.origin.get((r, c), (r, c)), label)

    def merge(self, r0: int, c0: int, r1: int, c1: int) -> None:
        value = self.text(r0, c0)
        for r in range(r0, min(r1, len(self.texts) - 1) + 1):
            row = self.texts[r]
            for c in range(c0, c1 + 1):
                if (r, c) == (r0, c0):
                    continue
                while len(row) <= c:
                    row.append("")
                row[c] = value
                self.origin[(r, c)] = (r0, c0)


def _levels(col: dict) -> list[str]:
    """A column's header as normalised levels, top first (a level repeated by a merged
    cell counts once)."""
    header = col["header"] if isinstance(col["header"], list) else [col["header"]]
    return _dedupe([_label_norm(h) for h in header])


def _dedupe(levels: list[str]) -> list[str]:
    out: list[str] = []
    for x in levels:
        if x and (not out or out[-1] != x):
            out.append(x)
    return out


@dataclass
class _Header:
    first: int  # the header's first row
    depth: int  # rows it takes
    columns: dict[int, int]  # layout column -> grid column

    @property
    def end(self) -> int:
        return self.first + self.depth


def _map_columns(grid: _Grid, columns: list[dict], first: int, depth: int) -> dict[int, int]:
    """Layout column -> grid column, by the header text standing over each grid column:
    the whole header path, else its last level, else that level without what stands in
    parentheses (each only where it names one column)."""
    width = max((len(r) for r in grid.texts[first : first + depth]), default=0)
    paths = {c: _dedupe([_label_norm(grid.text(r, c)) for r in range(first, first + depth)]) for c in range(width)}
    want = {i: _levels(col) for i, col in enumerate(columns)}
    out: dict[int, int] = {}
    for key in (lambda p: tuple(p), lambda p: p[-1], lambda p: _main(p[-1])):
        for c, path in paths.items():
            if not path or c in out.values():
                continue
            hits = [i for i, w in want.items() if i not in out and w and key(w) == key(path)]
            if len(hits) == 1:
                out[hits[0]] = c
    return out


def _find_header(grid: _Grid, columns: list[dict]) -> _Header | None:
    """The header rows: where the most columns are found by their header text (a
    shallower header wins a tie, so a data row is never taken as a header level)."""
    depth = max(len(_levels(c)) for c in columns)
    best: _Header | None = None
    for first in range(min(len(grid.texts), HEADER_ROWS)):
        for d in range(1, depth + 1):
            if first + d > len(grid.texts):
                break
            got = _map_columns(grid, columns, first, d)
            if best is None or len(got) > len(best.columns):
                best = _Header(first, d, got)
    need = min(len(columns), max(2, (len(columns) + 1) // 2))
    return best if best is not None and len(best.columns) >= need else None


def _is_footer(texts: list[str], notes: set[str]) -> bool:
    """A line under the table: a note, 联系人：…, 填写单位…, one text across the table."""
    filled = [t for t in texts if t.strip()]
    if not filled or len(set(filled)) != 1:
        return False
    norm = _norm(filled[0])
    return len(filled) > 1 or norm in notes or bool(_FOOTER.match(norm))


# -- reading the rows ------------------------------------------------------------------------------


def _label(col: dict) -> str:
    header = col["header"][-1] if isinstance(col["header"], list) else col["header"]
    return _label_text(header)


def _first_field(col: dict, r: Reading | None) -> str:
    if col.get("field"):
        return col["field"]
    if col.get("fields"):
        return col["fields"][0]
    return r.slots[0].path if r is not None and r.slots else ""


def _item_relative(col: dict, each: str | None) -> bool:
    """With ``each: LIST``, a ``field`` and an expression naming ``item`` are the item's;
    any other expression reads the record."""
    return bool(each) and (bool(col.get("field")) or bool(re.search(r"\bitem\b", col.get("expr") or "")))


def _bad_number(r: Reading, text: str, base: str) -> str | None:
    """The value that is no number, in a cell whose field is a number (自评得分 'abc')."""
    for slot, raw in (r.match(text) or {}).items():
        path = f"{base}.{slot.path}" if base and slot.path else base or slot.path
        f = field_of(path)
        if slot.how != "value" or f is None or f.kind not in NUMERIC or not raw.strip():
            continue
        try:
            value = typed(path, raw)
        except ValueError:
            continue  # read_spec names it
        if isinstance(value, str):
            try:
                Decimal(value)
            except InvalidOperation:
                return raw
    return None


def _no_header(source: Path, doc: Document, where: str, pack: Pack) -> DraftError:
    heads = "、".join(_label(c) for c in doc.layout["columns"][:4])
    return DraftError(
        f"{source.name}：{where}找不到{doc.title}的表头（{heads}…）：请确认是这份汇总表，或用 --doc 指定：{_options(pack)}",
        "IM006",
    )


def _read_grid(grid: _Grid, header: _Header, source: Path, doc: Document) -> list[Imported]:
    layout = doc.layout
    columns = layout["columns"]
    each = layout.get("each")
    notes = {_norm(n) for n in layout.get("notes") or []}
    readings = {i: reading(col) for i, col in enumerate(columns)}
    keys = [
        i
        for i in header.columns
        if not _item_relative(columns[i], each)
        and readings[i] is not None
        and any(s.path in ("enterprise.name", "enterprise.credit_code") for s in readings[i].slots)
    ]
    values = [c for i, c in header.columns.items() if readings[i] and any(s.how != "index" for s in readings[i].slots)]
    groups: list[tuple[Imported, list[int]]] = []  # a record and its rows
    by_key: dict[tuple, tuple[Imported, list[int]]] = {}  # with ``each``: an enterprise's rows
    for row in range(header.end, len(grid.texts)):
        texts = grid.texts[row]
        if _is_footer(texts, notes):
            break
        if not any(grid.text(row, c).strip() for c in values):
            continue  # an empty row, or one with its 序号 alone
        key = tuple(_norm(grid.text(row, header.columns[i])) for i in keys)
        if each and any(key) and key in by_key:
            rec, rows = by_key[key]
        else:
            rec, rows = Imported(source, doc, row=row + 1), []
            groups.append((rec, rows))
            if any(key):
                by_key[key] = (rec, rows)
        item = f"{each}[{len(rows)}]" if each else ""
        rows.append(row)
        for i, col in enumerate(columns):  # in the layout's order, wherever the column stands
            r = readings[i]
            c = header.columns.get(i)
            if r is None or c is None or not r.slots:
                continue
            label = _label(col)
            where = grid.where(row, c, label)
            text = grid.text(row, c)
            base = item if _item_relative(col, each) else ""
            if (row, c) in grid.bad:
                rec.add("IM002", ERROR, where, label, f"「{label}」{grid.bad[(row, c)]}", _first_field(col, r))
                continue
            if not text.strip():
                continue
            bad = _bad_number(r, text, base)
            if bad is not None:
                msg = f"「{label}」应为数字，实际为“{_brief(bad)}”：未读入"
                rec.add("IM002", ERROR, where, label, msg, _first_field(col, r))
                continue
            if not read_spec(rec, col, r, text, base, where, label):
                msg = f"「{label}」一栏的内容“{_brief(text)}”与表格格式不符，未读入"
                rec.add("IM002", ERROR, where, label, msg, _first_field(col, r))
            _boxes(rec, r, text, base, where, label)
    for rec, rows in groups:
        _finish(rec, rows, grid, header, columns, readings)
    return [rec for rec, _ in groups]


def _boxes(rec: Imported, r: Reading, text: str, base: str, where: str, label: str) -> None:
    """Ticked options read back as the record holds them: ``boxes(field, options)`` into
    a field of one option (甘肃附件6 生产模式 ☑离散型 □流程型) is the option, not a list of
    it (two ticked is an error); a 申报类型 option that is no level (☑优秀应用场景: which
    scenarios, the sheet does not say) is listed as not read back (IM005)."""
    for slot, raw in (r.match(text) or {}).items():
        if slot.how == "app_type":
            other = [x for x in ticked_options(raw, slot.key.split("\n")) if not x.endswith("智能工厂")]
            for x in other:
                msg = f"「{label}」勾选的“{x}”无法从汇总表读回记录：请在记录中填写所申报的{x}"
                rec.add("IM005", WARNING, where, label, msg)
    for slot in (s for s in r.slots if s.how == "boxes"):
        path = f"{base}.{slot.path}" if base else slot.path
        f = field_of(path)
        parent, _, key = path.rpartition(".")
        node = _at(rec.data, parent) if parent else rec.data
        if f is None or f.multiple or not isinstance(node, dict):
            continue
        chosen = node.get(key)
        if isinstance(chosen, list) and len(chosen) == 1:
            node[key] = chosen[0]
        elif isinstance(chosen, list):
            del node[key]
            shown = "、".join(map(str, chosen))
            rec.add("IM004", ERROR, where, label, f"「{label}」只能勾选一项，却勾选了 {shown}：未读入", path)


def _finish(rec: Imported, rows: list[int], grid: _Grid, header: _Header, columns, readings) -> None:
    finish_aggregates(rec)
    finish_eithers(rec)
    for i, col in enumerate(columns):
        r = readings[i]
        label = _label(col)
        c = header.columns.get(i)
        if r is not None and c is None and not col.get("optional"):
            rec.add("IM001", WARNING, None, label, f"表格中找不到「{label}」一栏，未读入", _first_field(col, r))
        elif r is not None and r.unread and c is not None:
            shown = [row for row in rows if grid.text(row, c).strip()]
            if shown:
                rec.add(
                    "IM005",
                    WARNING,
                    grid.where(shown[0], c, label),
                    label,
                    f"「{label}」由多项数据算出，无法读回记录：请在记录中填写 {'、'.join(r.unread)}",
                )


# -- workbooks -------------------------------------------------------------------------------------


def _sheet_grid(ws, scan, sheet_no: int) -> _Grid:
    from openpyxl.utils.cell import coordinate_to_tuple

    from .workbook import CellRef, _cell, _plain

    texts: list[list[str]] = []
    bad: dict[tuple[int, int], str] = {}
    for r, values in enumerate(ws.iter_rows(max_row=scan.last_row, max_col=scan.last_col, values_only=True)):
        row = []
        for c, value in enumerate(values):
            try:
                row.append("" if value is None else _plain(value))
            except ValueError as e:
                row.append("")
                bad[(r, c)] = str(e)
        texts.append(row)
    for ref, cached in scan.formulas.items():
        if not cached:  # formulas are never evaluated
            r, c = coordinate_to_tuple(ref)
            bad[(r - 1, c - 1)] = "是没有计算结果的公式：请在 Excel 或 WPS 中打开并保存后再读入，或改为填写数值"
    name = ws.title
    grid = _Grid(texts, lambda r, c, _label: CellRef(f"{name}!{_cell(r, c)}", (sheet_no, r, c)), bad=bad)
    for r0, c0, r1, c1, _ref in scan.merges:
        if r0 < len(texts):
            grid.merge(r0, c0, r1, c1)
    return grid


def read_sheet(path: Path, pack: Pack, doc_id: str | None = None) -> list[Imported]:
    """The records of a multi-record sheet saved as .xlsx: a record per row (per
    enterprise, for a sheet of one row per project), from every worksheet that is one of
    the pack's sheets (by its title, or by its header for ``doc_id``). Raises DraftError
    (IM006, one line of Chinese) for a workbook that cannot be read or is no such sheet."""
    from .workbook import MAX_COLS, MAX_ROWS, MAX_SHEETS, _open_zip, _read_bytes, _Refused, _scan_sheet, _sheet_parts

    path = Path(path)
    chosen = sheet_document([], pack, doc_id)  # the doc named, or None
    try:
        raw = _read_bytes(path)
        zf = _open_zip(raw)
        parts = _sheet_parts(zf)
        if len(parts) > MAX_SHEETS:
            raise _Refused(f"工作簿有 {len(parts)} 个工作表，超过 {MAX_SHEETS} 个的上限")
        import openpyxl

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True, keep_links=False)
    except _Refused as e:  # too large, a zip bomb, not a workbook, macros, DOCTYPE
        raise DraftError(f"{path.name}：{e}", "IM006") from e
    except Exception as e:  # noqa: BLE001 - a workbook openpyxl cannot open is one line
        raise DraftError(f"{path.name}：工作簿已损坏，无法读取（{e.__class__.__name__}）", "IM006") from e
    out: list[Imported] = []
    missed: list[tuple[str, Document]] = []  # sheets titled as a sheet of the pack, without its header
    try:
        for i, ws in enumerate(wb.worksheets):
            scan = _scan_sheet(zf, parts.get(ws.title, ""))
            if scan.last_row > MAX_ROWS or scan.last_col > MAX_COLS:
                raise DraftError(
                    f"{path.name}：工作表“{ws.title}”超过 {MAX_ROWS:,} 行或 {MAX_COLS} 列的上限，拒绝读取", "IM006"
                )
            if not scan.last_row:
                continue
            grid = _sheet_grid(ws, scan, i)
            doc = chosen or sheet_document((t for row in grid.texts[:TOP_ROWS] for t in row), pack)
            header = _find_header(grid, doc.layout["columns"]) if doc is not None else None
            if header is not None:
                out += _read_grid(grid, header, path, doc)
            elif doc is not None:
                missed.append((ws.title, doc))
    except DraftError:
        raise
    except Exception as e:  # noqa: BLE001
        raise DraftError(f"{path.name}：工作簿已损坏，无法读取（{e.__class__.__name__}）", "IM006") from e
    finally:
        wb.close()
    if out:
        for rec in out:
            finish_document(rec, pack)
        return out
    if missed:
        raise _no_header(path, missed[0][1], "工作簿中" if chosen else f"工作表“{missed[0][0]}”中", pack)
    raise DraftError(
        f"{path.name}：不是表格包 {pack.name} 的汇总表（找不到表名），请用 --doc 指定：{_options(pack)}", "IM006"
    )


# -- Word tables -----------------------------------------------------------------------------------


def _table_grid(table) -> _Grid:
    texts: list[list[str]] = []
    origin: dict[tuple[int, int], tuple[int, int]] = {}
    for r, row in enumerate(table.rows):
        line: list[str] = []
        for cell in row:
            for c in range(cell.col, cell.col + cell.span):
                while len(line) <= c:
                    line.append("")
                if cell.continued and r:  # a vertically merged cell: its text above
                    above = texts[r - 1]
                    line[c] = above[c] if c < len(above) else ""
                    origin[(r, c)] = origin.get((r - 1, c), (r - 1, c))
                else:
                    line[c] = cell.text
                    if c != cell.col:
                        origin[(r, c)] = (r, cell.col)
        texts.append(line)
    return _Grid(texts, lambda r, c, label: Where.cell(table.index, r, label).line, origin)


def read_sheet_docx(path: Path, docx: Docx, body: Body, pack: Pack, doc: Document) -> list[Imported]:
    """The records of a multi-record sheet in a Word file (附件5 or 附件4 as a table): a
    record per row of the table whose header is the layout's. ``docx`` is open and
    ``body`` read (:func:`formgen.doors.docxread.read_body`); ``doc`` as found by
    :func:`sheet_document`."""
    del docx  # the text is all in ``body``
    columns = doc.layout["columns"]
    best = None
    for t in body.tables:
        grid = _table_grid(t)
        header = _find_header(grid, columns)
        if header is not None and (best is None or len(header.columns) > len(best[1].columns)):
            best = (grid, header)
    if best is None:
        raise _no_header(Path(path), doc, "表格中", pack)
    out = _read_grid(*best, Path(path), doc)
    for rec in out:
        finish_document(rec, pack)
    return out


__all__ = ["read_sheet", "read_sheet_docx", "sheet_document", "sheets_of"]
