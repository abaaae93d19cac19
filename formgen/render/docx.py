"""Render a layout (forms/<pack>/<doc>.yaml) into a .docx.

A single-record layout is a list of ``blocks``:

- ``{p: TEXT}`` or ``{p: {expr: ...}}``: a paragraph (keys: font, size, bold, align,
  before, after, indent, keep_with_next);
- ``{heading: TEXT, level: 1|2|3}``: a Word heading (outline level, kept with the next
  paragraph; Word's 导航窗格 and the PDF's bookmarks list it), styled by the layout's
  ``styles.headingN``;
- ``{text: {field: PATH, optional: bool, label: ...}}``: body text from the record, a
  paragraph per paragraph of the text (a blank line starts a new one; single line
  breaks are joined: see ``context.paragraphs``), first line indented two characters;
- ``{figures: {part: N}}``: the record's figures of part N, numbered 图1, 图2, ... with
  the caption under each, kept on the figure's page;
- ``{table: {widths_cm: [...], rows: [...]}}``: a bordered table whose rows never
  break across pages; a row is a list of cells (or ``{cells: [...], height_cm,
  header, can_split, keep_with_next}``, or ``{repeat: {each, rows, keep_together}}``); a
  cell is literal text or
  ``{text|field|expr, note, note_if_empty, paras, colspan, rowspan, align,
  checkbox: {field, options}}``. A code or number that does not fit its cell at the
  table's size (a credit code, a phone number) is printed smaller, never broken;
- ``{repeat: {each: LIST, blocks: [...]}}``: the blocks once per item;
- ``{page_break: true}``: the next paragraph starts a new page (no empty page-break
  paragraph, so no blank page).

The layout's top level: ``page`` (size, margins, orientation), ``font``, ``styles``,
``page_numbers: true`` (公文-style "— 1 —" in the footer, for multi-page documents).

A multi-record layout has ``title``, ``before``, ``columns`` and ``notes`` and is
rendered as a table, one row per record (see ``render_multi``).
"""

from __future__ import annotations

import io
import re

from docx.shared import Cm, Pt
from docx.table import _Cell

from ..images import Embedded, embeddable
from ..rules import get
from . import ooxml
from .context import column_value, compile_expr, fmt, namespace, paragraphs

DRAFT_TEXT = "草稿：本文件尚有未改正的错误，不得用于正式申报"


class _State:
    def __init__(self, record, base_dir, font, ns, doc=None):
        self.record = record
        self.base_dir = base_dir
        self.font = font
        self.ns = ns
        self.figure_no = 0
        self.doc = doc
        self.break_next = False  # the next body paragraph starts a new page
        self.spare = None  # an empty paragraph before that break, to drop or shrink


# -- fitting a code into its cell ---------------------------------------------------------

_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")
_TOKEN = re.compile(r"^[0-9A-Za-z@._+\-()/#]{6,}$")  # credit codes, phones, fax, e-mail
# dates and date ranges as forms print them: 2021年1月, 2021年1月5日, 2023年3月-2025年6月
_DATE = re.compile(r"^\d{4}年\d{1,2}月(\d{1,2}日)?(-\d{4}年\d{1,2}月(\d{1,2}日)?)?$")
CELL_PADDING_PT = 2 * 5.4 + 1.5  # Word's default cell margins (0.19 cm a side) and a little slack
MIN_FIT_PT = 8.0  # smaller is not readable in print


def text_width_pt(text: str, size_pt: float) -> float:
    """The printed width of ``text`` at ``size_pt``, from Times/FangSong-like advances:
    CJK 1 em, digits and lower case 0.5 em, capitals 0.67 em, punctuation 0.33 em."""
    em = 0.0
    for c in text:
        if _CJK.match(c):
            em += 1.0
        elif c.isupper():
            em += 0.67
        elif c.isalnum():
            em += 0.5
        else:
            em += 0.33
    return em * size_pt


def fitted_size(text: str, width_cm: float | None, size_pt: float, whole: bool = False) -> float | None:
    """A smaller font size at which an unbreakable code (or, with ``whole``, any line that
    must stay whole) fits its cell, or None when it fits already (or is not a code, or the
    width is unknown)."""
    if not width_cm or not text or not (whole or _TOKEN.match(text) or _DATE.match(text)):
        return None
    room = width_cm * 72 / 2.54 - CELL_PADDING_PT
    need = text_width_pt(text, size_pt)
    if need <= room:
        return None
    return max(MIN_FIT_PT, int(size_pt * room / need * 2) / 2)  # to half points


def _para(container, text: str, font: dict, style: dict | None = None, state: _State | None = None):
    style = style or {}
    p = container.add_paragraph()
    if state is not None and state.break_next:
        ooxml.page_break_before(p)
        if state.spare is not None:
            ooxml.remove_paragraph(state.spare)
        state.break_next, state.spare = False, None
    if style.get("keep_with_next"):
        ooxml.keep_with_next(p)
    if style.get("indent_right"):  # characters of room on the right (a line to sign on)
        p.paragraph_format.right_indent = Pt(
            style["indent_right"] * ooxml.size_pt(style.get("size") or font.get("size", 12))
        )
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


def _lines_of(spec, state: _State, base) -> list[str]:
    """A cell's paragraphs: a record field's text by the paragraph convention; the
    layout's own text (and expressions it composes) by its line breaks."""
    text = _text_of(spec, state, base)
    if isinstance(spec, dict) and spec.get("field") and not spec.get("expr"):
        return paragraphs(text)
    return text.split("\n") if text else []


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


def _checkbox(paragraph, spec: dict, state: _State, base, size=None):
    """The annex's □ options as Word check boxes, ticked where the record says so."""
    value = get(base, spec["field"])
    chosen = set(value) if isinstance(value, (list, tuple, set)) else {value}
    sep = spec.get("separator", "  ")
    for i, (val, label) in enumerate(_options(spec, base)):
        if i and sep == "\n":
            paragraph = paragraph._parent.add_paragraph()
        elif i:
            paragraph.add_run(sep)
        # the options print at the cell's size (a 小四 table), not the body's 三号
        ooxml.add_checkbox(paragraph, val in chosen, label, {**state.font, "size": size or state.font.get("size")})


def _fill_cell(cell, spec, state: _State, base, table_font: dict, width_cm: float | None = None):
    cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)
    ooxml.valign_center(cell)
    if isinstance(spec, str):
        spec = {"text": spec, "align": "center"}
    is_value = bool(spec.get("field") or spec.get("expr"))
    align = spec.get("align", "left" if is_value or spec.get("checkbox") else "center")
    size = spec.get("size") or table_font.get("size")
    # single line spacing in cells: the body's exact 27 pt would make a form's table tall
    style = {"align": align, "bold": spec.get("bold"), "size": size, "line_single": True}
    if spec.get("checkbox"):
        p = _para(cell, "", table_font, style)
        _checkbox(p, spec["checkbox"], state, base, size)
    lines = _lines_of(spec, state, base) if not spec.get("checkbox") else []
    for line in lines or ([] if spec.get("checkbox") or spec.get("paras") else [""]):
        fit = fitted_size(line, width_cm, ooxml.size_pt(size), bool(spec.get("whole")))
        _para(cell, line, table_font, {**style, "size": fit} if fit else style)
    for extra in spec.get("paras", []):
        # e.g. the 真实性承诺's 法定代表人签章 / 公章 / 年 月 日, right-aligned with room to sign
        _para(cell, extra.get("text", ""), table_font, {**style, "align": extra.get("align", align), **extra})
    if spec.get("note") and not (spec.get("note_if_empty") and any(ln.strip() for ln in lines)):
        for line in spec["note"].split("\n"):
            _para(
                cell,
                line,
                table_font,
                {"align": spec.get("note_align", align), "size": spec.get("note_size", "五号"), "line_single": True},
            )


def _expand_rows(rows, state: _State, base, group=None):
    """Rows with ``repeat`` expanded (repeats may nest): (row spec, base object for its
    fields, namespace, keep-together group). The rows of one item of a repeat marked
    ``keep_together`` share a group: they print on one page when they fit on one."""
    for row in rows:
        if isinstance(row, dict) and "repeat" in row:
            rep = row["repeat"]
            items = get(base, rep["each"]) or []
            saved = state.ns.get("item"), state.ns.get("index")
            for i, item in enumerate(items):
                state.ns["item"], state.ns["index"] = item, i + 1
                inner = (id(rep), i) if rep.get("keep_together") and group is None else group
                yield from _expand_rows(rep["rows"], state, item, inner)
            state.ns["item"], state.ns["index"] = saved
        else:
            yield row, base, dict(state.ns), group


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
    keep = set()  # rows to keep with the next: a merged label and the rows it spans
    for r, (row, row_base, ns, _group) in enumerate(rows):
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
            if rs > 1 and rs <= spec.get("keep_span_max", 4):
                keep.update(range(r, r + rs - 1))  # a small merged block (联系人's three rows) stays whole
            placed.append((r, c, rs, cs, cell, row_base, ns))
            c += cs
        if isinstance(row, dict) and row.get("keep_with_next"):
            keep.add(r)  # e.g. the 承诺 row with the 推荐意见 box under it
    for r in range(len(rows) - 1):
        if rows[r][3] is not None and rows[r][3] == rows[r + 1][3]:
            keep.add(r)
    table = ooxml.new_table(container, len(rows), widths, rows_whole=False)
    table_font = {**state.font, "size": spec.get("size", state.font.get("size"))}
    table_rows = list(table.rows)
    for row_el, (row, _, _, _) in zip(table_rows, rows, strict=True):
        if not (isinstance(row, dict) and row.get("can_split")):  # a row taller than a page may
            ooxml.cant_split(row_el)
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
        _fill_cell(target, cell, state, row_base, table_font, sum(widths[c : c + cs]))
        state.ns = saved
    header_rows = {r for r, (row, *_rest) in enumerate(rows) if isinstance(row, dict) and row.get("header")}
    for r in sorted(keep | header_rows):
        if r + 1 < len(rows):
            for paragraph in (p for tc in table_rows[r]._tr.tc_lst for p in _Cell(tc, table).paragraphs):
                ooxml.keep_with_next(paragraph)
    if state.break_next:  # a table right after a page break starts the new page
        ooxml.page_break_before(grid[0][0].paragraphs[0])
        if state.spare is not None:  # two tables must not touch (Word would join them)
            ooxml.shrink_paragraph(state.spare)
        state.break_next, state.spare = False, None
    if spec.get("after_space", True):
        _para(container, "", state.font)
    return table


def _figures(doc, spec: dict, state: _State):
    """The record's figures of ``spec["part"]``, each scaled to ``width_cm`` (at most
    ``max_height_cm`` high) with 图N and its caption under it, in the annex's size
    (``caption_size``, 三号 by default), kept on the figure's page, with room before the
    next figure. A figure that cannot be embedded (only possible in a draft: validate
    reports it as FG002) becomes a boxed paragraph saying why."""
    part = spec.get("part")
    width = Cm(spec.get("width_cm", 14.5))
    max_height = Cm(spec.get("max_height_cm", 20))
    for fig in state.record.figures:
        if part is not None and (fig.part or 2) != part:
            continue
        state.figure_no += 1
        image = embeddable(state.base_dir, fig.file) if fig.file else Embedded(problem="未填写图片文件")
        frame = {"align": "center", "line_single": True, "before": 6, "keep_with_next": True}
        if image.data:
            p = _para(doc, "", state.font, frame, state)
            tall = width * image.height / image.width > max_height
            size = {"height": max_height} if tall else {"width": width}
            p.add_run().add_picture(io.BytesIO(image.data), **size)
        else:
            where = f"（{fig.file}）" if fig.file else ""
            p = _para(doc, f"图片无法插入：{image.problem}{where}", state.font, frame, state)
            ooxml.box_paragraph(p)
        _para(
            doc,
            f"图{state.figure_no} {fig.caption or ''}".rstrip(),
            state.font,
            {"align": "center", "size": spec.get("caption_size", "三号"), "after": spec.get("caption_after", 12)},
        )


def _body(doc, value, state: _State, style: dict, keep_empty: bool):
    """Body text from the record, a paragraph per paragraph of the text (see
    ``context.paragraphs``)."""
    for text in paragraphs(value) or ([""] if keep_empty else []):
        _para(doc, text, state.font, style, state)


def _heading(doc, text: str, level: int, state: _State, styles: dict, extra: dict | None = None):
    style = {**styles.get(f"heading{level}", {}), **(extra or {})}
    p = _para(doc, text, state.font, style, state)
    p.style = doc.styles[f"Heading {level}"]
    return p


def _page_break(doc, state: _State):
    """The next paragraph (or table) starts a new page. No page-break paragraph is added,
    and an empty paragraph left at the end (the space after a table) is set aside: it
    could otherwise spill onto a page of its own and print blank."""
    state.break_next = True
    state.spare = ooxml.trailing_empty_paragraph(doc)


def _blocks(doc, blocks, state: _State, base, styles: dict):
    for block in blocks or []:
        if "p" in block:
            p = block["p"]
            text = p if isinstance(p, str) else _text_of(p, state, base)
            _para(doc, text, state.font, block, state)
        elif "heading" in block:
            extra = {k: v for k, v in block.items() if k not in ("heading", "level")}
            _heading(doc, block["heading"], block.get("level", 1), state, styles, extra)
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
            state.break_next = False  # a new section starts a new page already
        elif block.get("page_break"):
            _page_break(doc, state)
        else:
            raise ValueError(f"未知的版式块：{block}")


def _mode_items(doc, spec: dict, state: _State, base, styles: dict):
    """For each manufacturing mode the record chose, every item heading of 附件5 with the
    record's text under it."""
    from ..refdata import modes

    chosen = get(base, spec.get("chosen", "factory.modes")) or []
    texts = get(base, spec.get("texts", "narrative.mode_items")) or {}
    item_level = 3 if "heading3" in styles else 2
    for mode in modes():
        if mode["mode"] not in chosen:
            continue
        _heading(doc, mode["heading"], 2, state, styles)
        answers = texts.get(mode["mode"], {})
        for item in mode["items"]:
            _heading(doc, f"{item['no']}.{item['title']}", item_level, state, styles)
            _body(doc, answers.get(item["no"]), state, styles.get("body", {}), False)


def _finish(doc, draft: bool, meta: dict | None) -> bytes:
    meta = meta or {}
    if draft:
        ooxml.mark_draft(doc, DRAFT_TEXT)
    return ooxml.finish(doc, meta.get("title", ""), meta.get("author", ""))


def _prepare(layout: dict, orientation: str | None = None):
    """A new document with the layout's page, font, heading styles and page numbers."""
    font = layout.get("font", {})
    page = layout.get("page", {})
    if orientation:
        page = {**page, "orientation": orientation}
    doc = ooxml.new_document(page, font)
    for level in (1, 2, 3):
        ooxml.heading_style(doc, level, font, layout.get("styles", {}).get(f"heading{level}", {}))
    numbers = layout.get("page_numbers")
    if numbers:
        # ``page_numbers: {cover: false}``: no number on a cover page (the 申报书 of Gansu)
        ooxml.page_numbers(
            doc.sections[0], first_page=not (isinstance(numbers, dict) and numbers.get("cover") is False)
        )
    return doc, font


def render_single(layout: dict, record, base_dir, draft: bool = False, meta: dict | None = None) -> bytes:
    """One record's document. ``meta``: title and author for the file's properties."""
    doc, font = _prepare(layout)
    state = _State(record, base_dir, font, namespace(record), doc)
    _blocks(doc, layout.get("blocks"), state, record, layout.get("styles", {}))
    return _finish(doc, draft, meta)


def _unbreakable(text: str) -> str:
    """What in a sheet's cell must not wrap: a code or number, or a short name (up to
    four characters, a person's name); the longest such line of the cell."""
    best = ""
    for line in str(text or "").split("\n"):
        line = line.strip()
        if _TOKEN.match(line) or _DATE.match(line) or (0 < len(line) <= 4 and " " not in line):
            best = max(best, line, key=len)
    return best


def _listed(text: str) -> str:
    """The longest line of a cell that lists short items one per line (scenario names):
    better kept whole, though not at any price."""
    lines = [ln.strip() for ln in str(text or "").split("\n") if ln.strip()]
    return max((ln for ln in lines if len(ln) <= 12), key=len, default="") if len(lines) > 1 else ""


HEADER_LINES = 6  # a header may wrap, but not into a column of single characters


def sheet_widths(columns: list[dict], rows: list[list[str]], usable_cm: float, size_pt: float) -> list[float]:
    """Column widths for a sheet printed as a Word table, filling the text width.

    Each column has a hard minimum: what must stay on one line (a code, a short name,
    every line of a ``nowrap`` column) at the smallest readable size, 8 pt. It wishes for
    more: that at the sheet's size, the layout's proportion, its header in at most six
    lines, listed items one per line. Wishes are granted in full when they fit; else every
    column keeps its minimum and shares the rest in proportion to what it wished beyond
    it, and a line that must stay whole prints smaller in its cell (``fitted_size``)."""

    def cm(pt: float) -> float:
        return (pt + CELL_PADDING_PT) * 2.54 / 72

    def widest(texts, size):
        return max((text_width_pt(t, size) for t in texts), default=0.0)

    base = [c.get("docx_width_cm", c.get("width", 10) * 0.2) for c in columns]
    base = [w * usable_cm / sum(base) for w in base]
    hard, wish = [], []
    for i, col in enumerate(columns):
        cells = [r[i] for r in rows]
        whole = [_whole_line(t, col) for t in cells]
        listed = [_listed(t) for t in cells]
        header = col["header"][-1] if isinstance(col["header"], list) else col["header"]
        head = max(header.split("\n"), key=len)
        short_head = [line for line in header.split("\n") if len(line) <= 4]  # 序号, 联系人: never 序/号
        h = cm(max(widest(whole + short_head, MIN_FIT_PT), MIN_FIT_PT))
        hard.append(h)
        wish.append(
            max(
                h,
                base[i],
                cm(widest(whole, size_pt)),
                cm(widest(listed, size_pt)),
                cm(text_width_pt(head, size_pt) / HEADER_LINES),
            )
        )
    if sum(wish) <= usable_cm:
        return [w * usable_cm / sum(wish) for w in wish]
    room = usable_cm - sum(hard)
    if room <= 0:
        return [h * usable_cm / sum(hard) for h in hard]
    extra = [w - h for w, h in zip(wish, hard, strict=True)]
    return [h + e * room / sum(extra) for h, e in zip(hard, extra, strict=True)]


def _whole_line(text: str, col: dict) -> str:
    """The longest line of a cell that must not wrap (see ``_unbreakable``; every line of a
    ``nowrap`` column)."""
    if col.get("nowrap"):
        return max(str(text or "").split("\n"), key=len)
    return _unbreakable(text)


def render_multi(
    layout: dict, rows: list[dict], header_ns: dict, draft: bool = False, meta: dict | None = None
) -> bytes:
    """A ranked sheet as a Word table: title, lines before, header (repeated on every
    page and kept with the first row), one row per record (``rows``: the per-record
    namespaces; no row breaks across pages), notes after."""
    # 11 columns and more on A4: 五号 and 1.8 cm margins unless the layout says otherwise
    layout = {
        "font": {"east_asia": "仿宋_GB2312", "size": "五号"},
        "page": {"margins_cm": [1.8, 1.8, 1.8, 1.8]},
        **layout,
    }
    doc, font = _prepare(layout, layout.get("orientation", "landscape"))
    for line in layout.get("heading_lines", []):
        _para(doc, line, font, {"font": "黑体", "size": "三号"})
    _para(doc, layout["title"], font, {"align": "center", "font": "方正小标宋简体", "size": "二号", "after": 6})
    for line in layout.get("before", []):
        _para(doc, fmt(compile_expr(line)(**header_ns)), font, {"after": 6})
    columns = layout["columns"]
    texts = [[fmt(column_value(col, ns)) for col in columns] for ns in rows]
    section = doc.sections[0]
    usable = (section.page_width - section.left_margin - section.right_margin) / 360000  # EMU -> cm
    size = ooxml.size_pt(font.get("size", "五号"))
    widths = sheet_widths(columns, texts, usable, size)
    table = ooxml.new_table(doc, 1 + len(rows), widths)
    # Walk the rows once: python-docx's table.cell(r, c) rebuilds the cell grid on
    # every call, which made a 200-row sheet take a minute.
    table_rows = list(table.rows)
    ooxml.repeat_header(table_rows[0])
    state = _State(None, None, font, {})
    for cell, col, w in zip(table_rows[0].cells, columns, widths, strict=True):
        header = col["header"][-1] if isinstance(col["header"], list) else col["header"]
        short = "\n" not in header and len(header) <= 4
        _fill_cell(cell, {"text": col["header"], "align": "center", "bold": True, "whole": short}, state, None, font, w)
        for paragraph in cell.paragraphs:
            ooxml.keep_with_next(paragraph)  # never a page holding only the header
    for row, values in zip(table_rows[1:], texts, strict=True):
        for cell, col, value, w in zip(row.cells, columns, values, widths, strict=True):
            whole = bool(col.get("nowrap")) or ("\n" not in value and _unbreakable(value) == value.strip())
            _fill_cell(cell, {"text": value, "align": col.get("align", "center"), "whole": whole}, state, None, font, w)
    for line in layout.get("notes", []):
        _para(doc, line, font, {"before": 6})
    return _finish(doc, draft, meta)


__all__ = ["render_single", "render_multi"]
