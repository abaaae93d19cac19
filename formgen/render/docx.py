"""Render a layout (forms/<pack>/<doc>.yaml) into a .docx.

A single-record layout is a list of ``blocks``:

- ``{p: TEXT}`` or ``{p: {expr: ...}}``: a paragraph (keys: font, size, bold, align,
  before, after, indent);
- ``{heading: TEXT, level: 1|2}``;
- ``{text: {field: PATH, optional: bool, label: ...}}``: body text from the record,
  one paragraph per line, first line indented two characters;
- ``{figures: {part: N}}``: the record's figures of part N, numbered 图1, 图2, ...;
- ``{table: {widths_cm: [...], rows: [...]}}``: a bordered table; a row is a list of
  cells (or ``{cells: [...], height_cm, header}``, or ``{repeat: {each, rows}}``);
  a cell is literal text or ``{text|field|expr, note, colspan, rowspan, align,
  checkbox: {field, options}}``;
- ``{repeat: {each: LIST, blocks: [...]}}``: the blocks once per item;
- ``{page_break: true}``.

A multi-record layout has ``title``, ``before``, ``columns`` and ``notes`` and is
rendered as a table, one row per record (see ``render_multi``).
"""

from __future__ import annotations

import io

from docx.enum.text import WD_BREAK
from docx.shared import Cm
from docx.table import _Cell

from ..images import Embedded, embeddable
from ..rules import get
from . import ooxml
from .context import column_value, compile_expr, fmt, namespace

DRAFT_TEXT = "草稿：本文件尚有未改正的错误，不得用于正式申报"


class _State:
    def __init__(self, record, base_dir, font, ns):
        self.record = record
        self.base_dir = base_dir
        self.font = font
        self.ns = ns
        self.figure_no = 0


def _para(container, text: str, font: dict, style: dict | None = None):
    style = style or {}
    p = container.add_paragraph()
    if style.get("align"):
        p.alignment = ooxml.ALIGN[style["align"]]
    ooxml.set_spacing(
        p,
        style.get("line_exact_pt"),
        style.get("before"),
        style.get("after"),
        style.get("indent"),
        ooxml.size_pt(style.get("size") or font.get("size", 12)),
        style.get("line_single", False),
    )
    if text:
        run = p.add_run(text)
        ooxml.set_run_font(
            run,
            style.get("font") or font.get("east_asia"),
            font.get("ascii"),
            style.get("size") or font.get("size"),
            style.get("bold"),
        )
    return p


def _text_of(spec, state: _State, base) -> str:
    if isinstance(spec, str):
        return spec
    if "text" in spec and not spec.get("field") and not spec.get("expr"):
        return spec["text"]
    if spec.get("expr"):
        return fmt(compile_expr(spec["expr"])(**state.ns))
    return fmt(get(base, spec["field"])) if spec.get("field") else ""


def _options(spec, base=None):
    for opt in spec["options"]:
        if not isinstance(opt, dict):
            yield opt, str(opt)
            continue
        label = opt.get("label", str(opt["value"]))
        if opt.get("fill"):
            # e.g. "是（事故名称：{}）": the record's text, or room to write by hand
            label = label.replace("{}", fmt(get(base, opt["fill"])) or "\u3000" * 4)
        yield opt["value"], label


def _checkbox(paragraph, spec: dict, state: _State, base):
    """The annex's □ options as Word check boxes, ticked where the record says so."""
    value = get(base, spec["field"])
    chosen = set(value) if isinstance(value, (list, tuple, set)) else {value}
    sep = spec.get("separator", "  ")
    for i, (val, label) in enumerate(_options(spec, base)):
        if i and sep == "\n":
            paragraph = paragraph._parent.add_paragraph()
        elif i:
            paragraph.add_run(sep)
        ooxml.add_checkbox(paragraph, val in chosen, label, state.font)


def _fill_cell(cell, spec, state: _State, base, table_font: dict):
    cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)
    ooxml.valign_center(cell)
    if isinstance(spec, str):
        spec = {"text": spec, "align": "center"}
    is_value = bool(spec.get("field") or spec.get("expr"))
    align = spec.get("align", "left" if is_value or spec.get("checkbox") else "center")
    style = {"align": align, "bold": spec.get("bold"), "size": spec.get("size")}
    if spec.get("checkbox"):
        p = _para(cell, "", table_font, style)
        _checkbox(p, spec["checkbox"], state, base)
    text = _text_of(spec, state, base) if not spec.get("checkbox") else ""
    for line in text.split("\n") if text else ([] if spec.get("checkbox") else [""]):
        _para(cell, line, table_font, style)
    if spec.get("note"):
        for line in spec["note"].split("\n"):
            _para(
                cell, line, table_font, {"align": spec.get("note_align", align), "size": spec.get("note_size", "五号")}
            )


def _expand_rows(rows, state: _State, base):
    """Rows with ``repeat`` expanded (repeats may nest): (row spec, base object for its
    fields, namespace)."""
    for row in rows:
        if isinstance(row, dict) and "repeat" in row:
            rep = row["repeat"]
            items = get(base, rep["each"]) or []
            saved = state.ns.get("item"), state.ns.get("index")
            for i, item in enumerate(items):
                state.ns["item"], state.ns["index"] = item, i + 1
                yield from _expand_rows(rep["rows"], state, item)
            state.ns["item"], state.ns["index"] = saved
        else:
            yield row, base, dict(state.ns)


def _span(cell, key: str, ns: dict) -> int:
    """colspan/rowspan of a cell: a number, or ``rowspan_expr`` computed from the data."""
    if not isinstance(cell, dict):
        return 1
    if cell.get(f"{key}_expr"):
        return max(1, int(compile_expr(cell[f"{key}_expr"])(**ns) or 1))
    return cell.get(key, 1)


def _table(container, spec: dict, state: _State, base):
    widths = spec["widths_cm"]
    ncols = len(widths)
    rows = list(_expand_rows(spec["rows"], state, base))
    placed = []  # (r, c, rowspan, colspan, cell spec, base, ns)
    occupied = set()
    for r, (row, row_base, ns) in enumerate(rows):
        cells = row["cells"] if isinstance(row, dict) else row
        c = 0
        for cell in cells:
            while (r, c) in occupied:
                c += 1
            cs = _span(cell, "colspan", ns)
            rs = _span(cell, "rowspan", ns)
            if c + cs > ncols:
                raise ValueError(f"表格第{r + 1}行超出 {ncols} 列：{cells}")
            for dr in range(rs):
                for dc in range(cs):
                    occupied.add((r + dr, c + dc))
            placed.append((r, c, rs, cs, cell, row_base, ns))
            c += cs
    table = ooxml.new_table(container, len(rows), widths)
    table_font = {**state.font, "size": spec.get("size", state.font.get("size"))}
    table_rows = list(table.rows)
    for row_el, (row, _, _) in zip(table_rows, rows, strict=True):
        if isinstance(row, dict):
            if row.get("height_cm"):
                ooxml.row_height(row_el, row["height_cm"])
            if row.get("header"):
                ooxml.repeat_header(row_el)
    # Take every cell of the still-regular grid once: table.cell(r, c) rebuilds the
    # whole grid on each call (quadratic on a 60-row form). The merge regions are
    # disjoint, so each region's corner cells survive the merges made before it.
    grid = [[_Cell(tc, table) for tc in tr.tc_lst] for tr in table._tbl.tr_lst]
    for r, c, rs, cs, cell, row_base, ns in placed:
        target = grid[r][c]
        if rs > 1 or cs > 1:
            target = target.merge(grid[r + rs - 1][c + cs - 1])
        saved, state.ns = state.ns, ns
        _fill_cell(target, cell, state, row_base, table_font)
        state.ns = saved
    if spec.get("after_space", True):
        _para(container, "", state.font)
    return table


def _figures(doc, spec: dict, state: _State):
    """The record's figures of ``spec["part"]``, each scaled to ``width_cm`` (at most
    ``max_height_cm`` high) with 图N and its caption under it. A figure that cannot be
    embedded (only possible in a draft: validate reports it as FG002) becomes a boxed
    paragraph saying why."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    part = spec.get("part")
    width = Cm(spec.get("width_cm", 14.5))
    max_height = Cm(spec.get("max_height_cm", 20))
    for fig in state.record.figures:
        if part is not None and (fig.part or 2) != part:
            continue
        state.figure_no += 1
        image = embeddable(state.base_dir, fig.file) if fig.file else Embedded(problem="未填写图片文件")
        if image.data:
            p = _para(doc, "", state.font, {"align": "center", "line_single": True})
            tall = width * image.height / image.width > max_height
            size = {"height": max_height} if tall else {"width": width}
            p.add_run().add_picture(io.BytesIO(image.data), **size)
        else:
            where = f"（{fig.file}）" if fig.file else ""
            p = _para(
                doc, f"图片无法插入：{image.problem}{where}", state.font, {"align": "center", "line_single": True}
            )
            borders = OxmlElement("w:pBdr")
            for side in ("top", "left", "bottom", "right"):
                edge = OxmlElement(f"w:{side}")
                for k, v in (("val", "single"), ("sz", "8"), ("space", "4"), ("color", "auto")):
                    edge.set(qn(f"w:{k}"), v)
                borders.append(edge)
            # w:pBdr goes before these in w:pPr (ECMA-376 CT_PPrBase order)
            after = "shd tabs suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE "
            after += "autoSpaceDN bidi adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents "
            after += "suppressOverlap jc textDirection textAlignment textboxTightWrap outlineLvl divId cnfStyle "
            after += "rPr sectPr pPrChange"
            p._p.get_or_add_pPr().insert_element_before(borders, *(f"w:{t}" for t in after.split()))
        _para(
            doc,
            f"图{state.figure_no} {fig.caption or ''}".rstrip(),
            state.font,
            {"align": "center", "size": spec.get("caption_size", "四号")},
        )


def _body(doc, value, state: _State, style: dict, keep_empty: bool):
    """Body text from the record: one paragraph per non-empty line."""
    lines = [x.strip() for x in str(value or "").split("\n") if x.strip()]
    for line in lines or ([""] if keep_empty else []):
        _para(doc, line, state.font, style)


def _blocks(doc, blocks, state: _State, base, styles: dict):
    for block in blocks or []:
        if "p" in block:
            p = block["p"]
            text = p if isinstance(p, str) else _text_of(p, state, base)
            _para(doc, text, state.font, block)
        elif "heading" in block:
            style = {
                **styles.get(f"heading{block.get('level', 1)}", {}),
                **{k: v for k, v in block.items() if k != "heading"},
            }
            _para(doc, block["heading"], state.font, style)
        elif "text" in block:
            t = block["text"]
            _body(doc, get(base, t["field"]), state, {**styles.get("body", {}), **t.get("style", {})}, True)
        elif "figures" in block:
            _figures(doc, block["figures"], state)
        elif "table" in block:
            _table(doc, block["table"], state, base)
        elif "repeat" in block:
            rep = block["repeat"]
            for i, item in enumerate(get(base, rep["each"]) or []):
                state.ns["item"], state.ns["index"] = item, i + 1
                _blocks(doc, rep["blocks"], state, item, styles)
        elif "mode_items" in block:
            _mode_items(doc, block["mode_items"], state, base, styles)
        elif "section" in block:
            ooxml.new_section(doc, block["section"].get("orientation", "portrait"))
        elif block.get("page_break"):
            doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        else:
            raise ValueError(f"未知的版式块：{block}")


def _mode_items(doc, spec: dict, state: _State, base, styles: dict):
    """For each manufacturing mode the record chose, every item heading of 附件5 with the
    record's text under it."""
    from ..refdata import modes

    chosen = get(base, spec.get("chosen", "factory.modes")) or []
    texts = get(base, spec.get("texts", "narrative.mode_items")) or {}
    for mode in modes():
        if mode["mode"] not in chosen:
            continue
        _para(doc, mode["heading"], state.font, styles.get("heading2", {}))
        answers = texts.get(mode["mode"], {})
        for item in mode["items"]:
            _para(doc, f"{item['no']}.{item['title']}", state.font, styles.get("heading3", styles.get("heading2", {})))
            _body(doc, answers.get(item["no"]), state, styles.get("body", {}), False)


def _finish(doc, draft: bool) -> bytes:
    if draft:
        ooxml.mark_draft(doc, DRAFT_TEXT)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def render_single(layout: dict, record, base_dir, draft: bool = False) -> bytes:
    font = layout.get("font", {})
    doc = ooxml.new_document(layout.get("page", {}), font)
    state = _State(record, base_dir, font, namespace(record))
    _blocks(doc, layout.get("blocks"), state, record, layout.get("styles", {}))
    return _finish(doc, draft)


def render_multi(layout: dict, rows: list[dict], header_ns: dict, draft: bool = False) -> bytes:
    """A ranked sheet as a Word table: title, lines before, header, one row per
    record (``rows``: the per-record namespaces), notes after."""
    font = layout.get("font", {"east_asia": "仿宋_GB2312", "size": "小四"})
    doc = ooxml.new_document({**layout.get("page", {}), "orientation": layout.get("orientation", "landscape")}, font)
    for line in layout.get("heading_lines", []):
        _para(doc, line, font, {"font": "黑体", "size": "三号"})
    _para(doc, layout["title"], font, {"align": "center", "font": "方正小标宋简体", "size": "二号", "after": 6})
    for line in layout.get("before", []):
        _para(doc, fmt(compile_expr(line)(**header_ns)), font, {"after": 6})
    columns = layout["columns"]
    widths = [c.get("docx_width_cm", c.get("width", 10) * 0.2) for c in columns]
    section = doc.sections[0]
    usable = (section.page_width - section.left_margin - section.right_margin) / 360000  # EMU -> cm
    widths = [w * usable / sum(widths) for w in widths]
    table = ooxml.new_table(doc, 1 + len(rows), widths)
    # Walk the rows once: python-docx's table.cell(r, c) rebuilds the cell grid on
    # every call, which made a 200-row sheet take a minute.
    table_rows = list(table.rows)
    ooxml.repeat_header(table_rows[0])
    state = _State(None, None, font, {})
    for cell, col in zip(table_rows[0].cells, columns, strict=True):
        _fill_cell(cell, {"text": col["header"], "align": "center", "bold": True}, state, None, font)
    for row, ns in zip(table_rows[1:], rows, strict=True):
        for cell, col in zip(row.cells, columns, strict=True):
            _fill_cell(
                cell, {"text": fmt(column_value(col, ns)), "align": col.get("align", "center")}, state, None, font
            )
    for line in layout.get("notes", []):
        _para(doc, line, font, {"before": 6})
    return _finish(doc, draft)


__all__ = ["render_single", "render_multi"]
