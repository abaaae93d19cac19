"""Render a layout (forms/<pack>/<doc>.yaml) into a .docx.

A single-record layout is a list of ``blocks``:

- ``{p: TEXT}`` or ``{p: {expr: ..., fields, label, labels}}``: a paragraph (keys: font,
  size, bold, align, before, after, indent, keep_with_next); ``fields`` are the record
  paths it shows, named in findings by ``label`` or, each, by ``labels: {path: label}``;
- ``{heading: TEXT, level: 1|2|3}``: a Word heading (outline level, kept with the next
  paragraph; Word's 导航窗格 and the PDF's bookmarks list it), styled by the layout's
  ``styles.headingN``;
- ``{text: {field: PATH, optional: bool, label: ..., if_empty: TEXT}}``: body text from
  the record, a paragraph per paragraph of the text (a blank line starts a new one; single
  line breaks are joined: see ``context.paragraphs``), first line indented two characters;
  ``if_empty`` (（无）) stands in its place when the record leaves it empty;
- ``{figures: {part: N}}``: the record's figures of part N, numbered 图1, 图2, ... with
  the caption under each, kept on the figure's page;
- ``{table: {widths_cm: [...], rows: [...]}}``: a bordered table whose rows never
  break across pages, a merged label's rows kept on one page or, longer than a page,
  cut into parts labelled again (``_groups``), a header row repeated on every page it
  continues on (one after other rows starts a part of its own); a row is a list of
  cells (or ``{cells: [...], height_cm, header, can_split, keep_with_next}``, or
  ``{repeat: {each, rows, keep_together}}``); a
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

Each layout is prepared once per process: python-docx builds its package (styles, page
set-up, heading styles, page numbers, the draft header) once, kept compressed
(``ooxml.Skeleton``); the labels, notes and check-box options of its tables are written
once and kept as text. A document is then only its body, written as text with the
record's values escaped into it, and the zip.
"""

from __future__ import annotations

import collections
import functools
import math
import re
import zlib

from ..record.derived import in_year_order
from ..record.paths import get
from ..record.written import fmt, paragraphs
from . import metrics, ooxml
from .context import column_values, compile_expr, kpi_rows, namespace
from .images import Embedded, embeddable

DRAFT_TEXT = "草稿：本文件尚有未改正的错误，不得用于正式申报"


# -- fitting a code into its cell ---------------------------------------------------------

_TOKEN = re.compile(r"^[0-9A-Za-z@._+\-()/#]{6,}$")  # credit codes, phones, fax, e-mail
# dates and date ranges as forms print them: 2021年1月, 2021年1月5日, 2023年3月-2025年6月
_DATE = re.compile(r"^\d{4}年\d{1,2}月(\d{1,2}日)?(-\d{4}年\d{1,2}月(\d{1,2}日)?)?$")
CELL_PADDING_PT = 2 * 5.4 + 1.5  # Word's default cell margins (0.19 cm a side) and a little slack
SHEET_MARGIN_CM = 0.1  # a sheet's cells' margins left and right (many columns share the width)
SHEET_LINE_EM = 1.25  # the line pitch of a sheet's cells
SHEET_PADDING_PT = 2 * SHEET_MARGIN_CM * 72 / 2.54 + 1.5
MIN_FIT_PT = 8.0  # smaller is not readable in print


def text_width_pt(text: str, size_pt: float, font: str | None = None, bold: bool = False) -> float:
    """The printed width of ``text`` at ``size_pt``, from the advance widths of the face its
    Latin characters print in (``font``: Times New Roman when not given; see
    :mod:`formgen.render.metrics`); CJK characters are one em in every face, and the word
    processor's space between ideographs and Latin letters or digits counts.

    >>> round(text_width_pt("MW", 10.0), 2), round(text_width_pt("00", 10.0), 2)
    (18.33, 10.0)
    >>> text_width_pt("2025年6月", 10.0) > text_width_pt("2025", 10.0) + 20
    True
    """
    return (metrics.width_em(text, font, bold) + metrics.autospace_em(text)) * size_pt


def fitted_size(
    text: str, width_cm: float | None, size_pt: float, whole: bool = False, font: str | None = None, bold: bool = False
) -> float | None:
    """A smaller font size at which an unbreakable code (or, with ``whole``, any line that
    must stay whole) fits its cell, or None when it fits already (or is not a code, or the
    width is unknown). ``font``/``bold``: the face the line's Latin characters print in
    (see :func:`text_width_pt`)."""
    if not width_cm or not text or not (whole or _TOKEN.match(text) or _DATE.match(text)):
        return None
    room = width_cm * 72 / 2.54 - CELL_PADDING_PT
    need = text_width_pt(text, size_pt, font, bold)
    if need <= room:
        return None
    return max(MIN_FIT_PT, int(size_pt * room / need * 2) / 2)  # to half points


class _State:
    def __init__(self, record, base_dir, font, ns, prepared: _Prepared | None = None):
        self.record = record
        self.base_dir = base_dir
        self.font = font
        self.ns = ns
        self.prepared = prepared or _Prepared(None)
        self.figure_no = 0
        self.body: list = []  # ooxml.Para, or a table's text
        self.fonts: set[str] = set()  # every font a run names (for the font table)
        self.media: list = []  # (placeholder rId, part name, content type, bytes)
        self.media_by_file: dict = {}
        self.shapes = 0
        self.sections: list[str] = []  # the orientation after each section break
        self.break_next = False  # the next body paragraph starts a new page
        self.spare = None  # an empty paragraph before that break, to drop or shrink


class _Prepared:
    """What is kept of one layout for the process: its tables' fixed cells as text."""

    def __init__(self, layout):
        self.layout = layout  # kept alive: the caches below are keyed by its parts' ids
        self.cells: dict = {}
        self.kpi_rows = kpi_rows(layout) if layout is not None else ()


_CACHE_SIZE = 32  # layouts (and their variants) kept prepared at once
_prepared: collections.OrderedDict = collections.OrderedDict()
_skeletons: collections.OrderedDict = collections.OrderedDict()


def _lru(cache: collections.OrderedDict, key, anchor, make):
    """``cache[key]``, made by ``make()`` the first time; ``anchor`` (the layout whose id is
    in the key) is kept with the entry so the id cannot be reused while it is cached."""
    hit = cache.get(key)
    if hit is not None and hit[0] is anchor:
        cache.move_to_end(key)
        return hit[1]
    value = make()
    cache[key] = (anchor, value)
    while len(cache) > _CACHE_SIZE:
        cache.popitem(last=False)
    return value


def _prepared_for(layout) -> _Prepared:
    return _lru(_prepared, id(layout), layout, lambda: _Prepared(layout))


# -- paragraphs ---------------------------------------------------------------------------


class _Format:
    __slots__ = ("keep", "spacing", "ind", "jc", "rpr", "fonts")


@functools.lru_cache(maxsize=4096)
def _format(key) -> _Format:
    """Paragraph and run properties of a (font, style) key (see ``_key``)."""
    ea, ascii_font, font_size, font_size12, keep, indent_right, align, line_exact, before, after, indent = key[:11]
    size, line_single, style_font, bold = key[11:]
    f = _Format()
    size_for_spacing = ooxml.size_pt(size or font_size12)
    right = ooxml.twips_pt(indent_right * size_for_spacing) if indent_right else None
    first_chars = first = None
    if indent:
        # 首行缩进 in characters (w:firstLineChars), and w:firstLine for readers that ignore it
        first_chars, first = int(indent * 100), int(indent * (size_for_spacing or 12) * 20)
    f.keep = bool(keep)
    f.spacing = ooxml.paragraph_spacing(line_exact, before, after, line_single)
    f.ind = (right, first_chars, first)
    f.jc = ooxml.JC[align] if align else None
    f.rpr, f.fonts = ooxml.rpr_xml(style_font or ea, ascii_font, size or font_size, bold)
    return f


def _key(font: dict, style: dict) -> tuple:
    g = style.get
    return (
        font.get("east_asia"),
        font.get("ascii"),
        font.get("size"),
        font.get("size", 12),
        g("keep_with_next"),
        g("indent_right"),
        g("align"),
        g("line_exact_pt"),
        g("before"),
        g("after"),
        g("indent"),
        g("size"),
        g("line_single", False),
        g("font"),
        g("bold"),
    )


def _run(f: _Format, text: str, fonts: set) -> str:
    fonts.update(f.fonts)
    return f"<w:r>{f.rpr}{ooxml.run_content(text)}</w:r>"


def _p_xml(text: str, font: dict, style: dict, fonts: set, keep=False, page_break=None, extra="") -> str:
    """A paragraph as text (in a table cell: nothing can change it afterwards)."""
    f = _format(_key(font, style))
    ppr = ooxml.ppr_xml(None, f.keep or keep, page_break, False, f.spacing, f.ind, f.jc)
    content = (_run(f, text, fonts) if text else "") + extra
    return f"<w:p>{ppr}{content}</w:p>" if ppr or content else "<w:p/>"


def _para(state: _State, text: str, font: dict, style: dict | None = None, breaks: bool = False) -> ooxml.Para:
    """A body paragraph; with ``breaks`` it takes a pending page break (see ``_page_break``)."""
    style = style or {}
    f = _format(_key(font, style))
    p = ooxml.Para(_run(f, text, state.fonts) if text else "", None, f.keep, f.spacing, f.ind, f.jc)
    p.empty = not text.strip()
    if breaks and state.break_next:
        p.page_break = True
        if state.spare is not None:
            state.body.remove(state.spare)
        state.break_next, state.spare = False, None
    state.body.append(p)
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


def _checkbox(spec: dict, state: _State, base, size, fonts: set, keep: bool) -> tuple[str, list[str]]:
    """The annex's □ options as Word check boxes, ticked where the record says so: what
    goes into the cell's paragraph, and the paragraphs after it (one option a line)."""
    value = get(base, spec["field"])
    chosen = set(value) if isinstance(value, (list, tuple, set)) else {value}
    sep = spec.get("separator", "  ")
    # the options print at the cell's size (a 小四 table), not the body's 三号
    size = size or state.font.get("size")
    label_rpr, label_fonts = ooxml.rpr_xml(state.font.get("east_asia"), state.font.get("ascii"), size)
    fonts.update(label_fonts)
    fonts.add("MS Gothic")
    first, more = [], []
    current = first
    for i, (val, label) in enumerate(_options(spec, base)):
        if i and sep == "\n":
            current = []
            more.append(current)
        elif i:
            current.append(f"<w:r>{ooxml.run_content(sep)}</w:r>" if sep else "<w:r/>")
        current.append(ooxml.checkbox_xml(val in chosen, size or "三号"))
        current.append(f"<w:r>{label_rpr}{ooxml.run_content(label)}</w:r>")
    ppr = "<w:pPr><w:keepNext/></w:pPr>" if keep else ""
    return "".join(first), [f"<w:p>{ppr}{''.join(runs)}</w:p>" for runs in more]


def note_printed(spec, lines) -> bool:
    """Whether a cell prints its ``note`` under what it holds. A note of a value cell is
    the annex's hint for the blank form (（发展历程…400字左右）, (不超过300字)): printed
    while the value is empty, not under a value (``note_if_empty: false`` keeps it, as for
    an instruction to the signer such as （需加盖公章））; a note of the layout's own text
    (a column header's （可填写多个）) always prints.

    >>> note_printed({"field": "enterprise.intro", "note": "（限400字）"}, ["某企业成立于2001年"])
    False
    >>> note_printed({"field": "enterprise.intro", "note": "（限400字）"}, [""])
    True
    >>> note_printed({"field": "enterprise.name", "note": "（需加盖公章）", "note_if_empty": False}, ["某企业"])
    True
    >>> note_printed({"text": "工艺名称", "note": "（可填写多个）"}, ["工艺名称"])
    True
    """
    if isinstance(spec, str) or not spec.get("note"):
        return False
    only_empty = spec.get("note_if_empty")
    if only_empty is None:
        only_empty = bool(spec.get("field") or spec.get("expr"))
    return not (only_empty and any(ln.strip() for ln in lines))


def _is_fixed(spec) -> bool:
    """A cell of the layout's own text (a label, a note): the same in every document."""
    return isinstance(spec, str) or not (spec.get("field") or spec.get("expr") or spec.get("checkbox"))


def _cell_paras(spec, state: _State, base, table_font: dict, width_cm, keep: bool, page_break=None) -> str:
    """A table cell's paragraphs as text; a fixed cell's are written once per layout."""
    if page_break is None and _is_fixed(spec):
        key = (spec if isinstance(spec, str) else id(spec), width_cm, keep, *table_font.values())
        hit = state.prepared.cells.get(key)
        if hit is None:
            fonts: set = set()
            hit = state.prepared.cells[key] = (
                _fill_cell(spec, state, base, table_font, width_cm, keep, None, fonts),
                fonts,
            )
        state.fonts.update(hit[1])
        return hit[0]
    return _fill_cell(spec, state, base, table_font, width_cm, keep, page_break, state.fonts)


def _fill_cell(spec, state: _State, base, table_font: dict, width_cm, keep, page_break, fonts: set) -> str:
    if isinstance(spec, str):
        spec = {"text": spec, "align": "center"}
    is_value = bool(spec.get("field") or spec.get("expr"))
    align = spec.get("align", "left" if is_value or spec.get("checkbox") else "center")
    size = spec.get("size") or table_font.get("size")
    # single line spacing in cells: the body's exact 27 pt would make a form's table tall
    style = {"align": align, "bold": spec.get("bold"), "size": size, "line_single": True}
    out = []

    def add(text, st, extra=""):
        out.append(_p_xml(text, table_font, st, fonts, keep, page_break if not out else None, extra))

    if spec.get("checkbox"):
        runs, more = _checkbox(spec["checkbox"], state, base, size, fonts, keep)
        add("", style, runs)
        out.extend(more)
    lines = _lines_of(spec, state, base) if not spec.get("checkbox") else []
    latin = table_font.get("ascii") or table_font.get("east_asia")  # as rpr_xml names the run's Latin face
    for line in lines or ([] if spec.get("checkbox") or spec.get("paras") else [""]):
        fit = fitted_size(line, width_cm, ooxml.size_pt(size), bool(spec.get("whole")), latin, bool(spec.get("bold")))
        add(line, {**style, "size": fit} if fit else style)
    for extra in spec.get("paras", []):
        # e.g. the 真实性承诺's 法定代表人签章 / 公章 / 年 月 日, right-aligned with room to sign
        add(extra.get("text", ""), {**style, "align": extra.get("align", align), **extra})
    if note_printed(spec, lines):
        note_style = {
            "align": spec.get("note_align", align),
            "size": spec.get("note_size", "五号"),
            "line_single": True,
        }
        for line in spec["note"].split("\n"):
            add(line, note_style)
    return "".join(out)


# -- tables -------------------------------------------------------------------------------


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


def _empty_p(keep: bool) -> str:
    return "<w:p><w:pPr><w:keepNext/></w:pPr></w:p>" if keep else "<w:p/>"


LINE_EM = 1.44  # a single-spaced line of the forms' faces as LibreOffice prints them (Noto Serif CJK), in em
PAGE_SHARE = 0.9  # of a page's height: what a group may take to be kept on one page (the estimate errs)
FIRST_SHARE = 0.5  # of that: the first part of a cut group, which follows whatever the page holds already


def _cell_height_pt(spec, state: _State, base, table_font: dict, width_cm: float) -> float:
    """About how tall a cell prints (its text wrapped at its width, a line ``LINE_EM``
    of its size, the layout's spacing): enough to tell whether a group of rows fits on
    a page. A fixed cell's is worked out once per layout."""
    if _is_fixed(spec):
        key = ("height", spec if isinstance(spec, str) else id(spec), width_cm, *table_font.values())
        hit = state.prepared.cells.get(key)
        if hit is None:
            hit = state.prepared.cells[key] = _measure_cell(spec, state, base, table_font, width_cm)
        return hit
    return _measure_cell(spec, state, base, table_font, width_cm)


def _measure_cell(spec, state: _State, base, table_font: dict, width_cm: float) -> float:
    if isinstance(spec, str):
        spec = {"text": spec}
    size = ooxml.size_pt(spec.get("size") or table_font.get("size") or 12)
    room = max(width_cm * 72 / 2.54 - CELL_PADDING_PT, size)

    def tall(text: str, at: float) -> float:
        return max(1, math.ceil(text_width_pt(text, at) / room)) * LINE_EM * at

    if spec.get("checkbox"):
        box = spec["checkbox"]
        labels = ["\u2610" + label for _, label in _options(box, base)]
        sep = box.get("separator", "  ")
        total = sum(tall(t, size) for t in (labels if sep == "\n" else [sep.join(labels)]))
        lines: list[str] = []
    else:
        lines = _lines_of(spec, state, base)
        total = sum(tall(t, size) for t in lines or ([] if spec.get("paras") else [""]))
    for extra in spec.get("paras", []):
        at = ooxml.size_pt(extra.get("size") or size)
        total += tall(extra.get("text", ""), at) + extra.get("before", 0) + extra.get("after", 0)
    if note_printed(spec, lines):
        at = ooxml.size_pt(spec.get("note_size", "五号"))
        total += sum(tall(t, at) for t in spec["note"].split("\n"))
    return total


def _row_heights(rows, placed, state: _State, table_font: dict, widths) -> list[float]:
    """Each row's estimated printed height in points (``_cell_height_pt``); a merged cell
    taller than the rows it spans makes its last row taller."""
    heights = [0.0] * len(rows)
    for r, (row, *_rest) in enumerate(rows):
        if isinstance(row, dict) and row.get("height_cm"):
            heights[r] = row["height_cm"] * 72 / 2.54
    saved = state.ns
    merged = []
    for r, c, rs, cs, cell, row_base, ns in placed:
        state.ns = ns
        h = _cell_height_pt(cell, state, row_base, table_font, sum(widths[c : c + cs]))
        if rs == 1:
            heights[r] = max(heights[r], h)
        else:
            merged.append((rs, r, h))
    state.ns = saved
    for rs, r, h in sorted(merged):
        end = min(r + rs, len(rows))
        heights[end - 1] += max(0.0, h - sum(heights[r:end]))
    return heights


def _page_pt(state: _State) -> float:
    """The text height of the page the table prints on, in points."""
    layout = state.prepared.layout or {}
    orientation = state.sections[-1] if state.sections else None
    return ooxml.text_height_cm(layout.get("page", {}), orientation) * 72 / 2.54


def _groups(rows, placed, heights, keep: set, spec: dict, page_pt: float) -> tuple[set, set]:
    """Which rows to keep with the next, and where merged labels start again (``cuts``:
    rows that open a new part of every merged cell spanning them).

    A group of rows (a vertically merged label and the rows it spans, or one item of a
    ``keep_together`` repeat) that fits on a page is kept on one page: every row but its
    last kept with the next. A longer group is cut into parts that each fit on a page,
    between the groups it holds that are kept whole; each part is kept on one page and
    its labels print again at its top, so no page holds rows without their label. The
    first part is at most half as tall: it follows what the page holds already (the
    title kept with the table, the rows above), and should not push that onto a page of
    its own. A part rather opens at a row of labels only (附表2's 关键软件种类 | 名称 | …),
    when one is in the later half of the part before, so that it starts with its header."""
    target = page_pt * PAGE_SHARE
    groups = [(r, min(r + rs, len(rows))) for r, _c, rs, *_rest in placed if rs > 1]
    together: dict = {}
    for r, (*_rest, group) in enumerate(rows):
        if group is not None:
            start, _end = together.get(group, (r, r))
            together[group] = (start, r + 1)
    groups += [g for g in together.values() if g[1] - g[0] > 1]
    small = spec.get("keep_span_max", 4)
    whole = {(s, e) for s, e in groups if e - s <= small or sum(heights[s:e]) <= target}
    kept = set(keep)
    for s, e in whole:
        kept.update(range(s, e - 1))
    blocked = {r + 1 for r in kept}  # a page may not break before these rows
    starting: dict = collections.defaultdict(list)
    for r, _c, _rs, _cs, cell, *_rest in placed:
        starting[r].append(_is_fixed(cell))
    heads = {r for r, fixed in starting.items() if len(fixed) > 1 and all(fixed)}  # a row of labels only
    cuts: set[int] = set()
    for s, e in sorted(set(groups) - whole, key=lambda g: (g[0], g[0] - g[1])):
        start = b = s  # the part being filled starts at ``start``
        while b < e:
            u = b + 1
            while u < e and u in blocked:
                u += 1
            if b > s and b in cuts:  # cut already for a group around or inside this one
                start = b
            limit = target if start > s else target * FIRST_SHARE
            if b > start and sum(heights[start:b]) + sum(heights[b:u]) > limit:
                # the new part opens at a row of labels (a sub-header: 关键软件种类 | 名称 | …)
                # in the later half of this one if there is one, so that it starts with its header
                at = [h for h in heads if start < h <= b and h not in blocked and sum(heights[start:h]) >= limit / 2]
                start = max(at, default=b)
                cuts.add(start)
            b = u
    for s, e in set(groups) - whole:
        kept.update(r for r in range(s, e - 1) if r + 1 not in cuts)
    return kept, cuts


def _table(state: _State, spec: dict, base):
    widths = spec["widths_cm"]
    ncols = len(widths)
    rows = list(_expand_rows(spec["rows"], state, base))
    placed = []  # (r, c, rowspan, colspan, cell spec, base, ns)
    occupied = set()
    keep = set()  # rows to keep with the next (see _groups for merged labels and kept items)
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
            placed.append((r, c, rs, cs, cell, row_base, ns))
            c += cs
        if isinstance(row, dict) and row.get("keep_with_next"):
            keep.add(r)  # e.g. the 承诺 row with the 推荐意见 box under it
    header_rows = {r for r, (row, *_rest) in enumerate(rows) if isinstance(row, dict) and row.get("header")}
    # a header row after other rows starts a new part of the table (a table of its own,
    # joined to the one before): Word and LibreOffice repeat only a table's first rows
    parts = [0] + [r for r in sorted(header_rows) if r and r - 1 not in header_rows]
    for b in parts[1:]:
        if any(r < b < r + rs for r, _c, rs, *_rest in placed):
            raise ValueError(f"表格第{b + 1}行是表头，不能落在合并单元格中间")
        keep.add(b - 1)  # the part before stays with the header where the renderer can
    table_font = {**state.font, "size": spec.get("size", state.font.get("size"))}
    heights = _row_heights(rows, placed, state, table_font, widths)
    kept, cuts = _groups(rows, placed, heights, keep | header_rows, spec, _page_pt(state))
    kept = {r for r in kept if r + 1 < len(rows)}
    twips = [ooxml.twips_cm(w) for w in widths]
    first_break = state.break_next  # a table right after a page break starts the new page
    # each row's cells by column: merged cells written at their corner and again at each
    # cut (their label prints on every page they reach), the rows below holding a
    # continuation cell (w:vMerge), the grid's unused places empty
    by_row: list[list] = [[] for _ in rows]
    for r, c, rs, cs, cell, row_base, ns in placed:
        width = sum(twips[c : c + cs])
        end = min(r + rs, len(rows))
        starts = [r, *sorted(b for b in cuts if r < b < end)]
        saved, state.ns = state.ns, ns
        for s, e in zip(starts, [*starts[1:], end], strict=True):
            paras = _cell_paras(
                cell,
                state,
                row_base,
                table_font,
                sum(widths[c : c + cs]),
                s in kept,
                True if first_break and not s and not c else None,
            )
            by_row[s].append((c, ooxml.tc_open(width, cs, "restart" if e - s > 1 else None) + paras + "</w:tc>"))
            for rr in range(s + 1, e):
                cont = ooxml.tc_open(width, cs, "continue", center=False) + _empty_p(rr in kept) + "</w:tc>"
                by_row[rr].append((c, cont))
        state.ns = saved
    for r in range(len(rows)):
        for c in range(ncols):
            if (r, c) not in occupied:
                by_row[r].append((c, ooxml.tc_open(twips[c], center=False) + _empty_p(r in kept) + "</w:tc>"))
    for p, (a, b) in enumerate(zip(parts, [*parts[1:], len(rows)], strict=True)):
        if p:
            state.body.append(ooxml.table_joint())
        out = [ooxml.table_head_xml(tuple(twips))]
        heading = True  # the part's first rows marked header repeat on each page it reaches
        for r in range(a, b):
            row = rows[r][0]
            is_dict = isinstance(row, dict)
            height = ooxml.twips_cm(row["height_cm"]) if is_dict and row.get("height_cm") else None
            heading = heading and r in header_rows
            # a row taller than a page may split (can_split); no other row does
            out.append(ooxml.tr_open(not (is_dict and row.get("can_split")), height, heading))
            out.extend(xml for _, xml in sorted(by_row[r], key=lambda x: x[0]))
            out.append("</w:tr>")
        out.append("</w:tbl>")
        state.body.append("".join(out))
    if first_break:
        if state.spare is not None:  # two tables must not touch (Word would join them)
            state.spare.shrink()
        state.break_next, state.spare = False, None
    if spec.get("after_space", True):
        _para(state, "", state.font)


# -- figures, text, headings ---------------------------------------------------------------


def _figures(spec: dict, state: _State):
    """The record's figures of ``spec["part"]``, each scaled to ``width_cm`` (at most
    ``max_height_cm`` high) with 图N and its caption under it, in the annex's size
    (``caption_size``, 三号 by default), kept on the figure's page, with room before the
    next figure. A figure that cannot be embedded (only possible in a draft: validate
    reports it as FG002) becomes a boxed paragraph saying why. The picture's bytes go
    into the file as they are (stored, not compressed again)."""
    part = spec.get("part")
    width = ooxml.Cm(spec.get("width_cm", 14.5))
    max_height = ooxml.Cm(spec.get("max_height_cm", 20))
    for fig in state.record.figures:
        if part is not None and (fig.part or 2) != part:
            continue
        state.figure_no += 1
        image = embeddable(state.base_dir, fig.file) if fig.file else Embedded(problem="未填写图片文件")
        frame = {"align": "center", "line_single": True, "before": 6, "keep_with_next": True}
        if image.data:
            p = _para(state, "", state.font, frame, True)
            tall = width * image.height / image.width > max_height
            cx, cy, ext, ctype = ooxml.picture_size(image.data, None if tall else width, max_height if tall else None)
            media = state.media_by_file.get(fig.file)
            if media is None:
                rid = f"\x00R{len(state.media)}\x00"  # numbered once the package's own are known
                data = image.data if len(image.data) < LARGE_PICTURE else _reader(state.base_dir, fig.file, image.data)
                media = (rid, f"media/image{len(state.media) + 1}.{ext}", ctype, data)
                state.media.append(media)
                state.media_by_file[fig.file] = media
            state.shapes += 1
            p.content = ooxml.picture_xml(state.shapes, media[0], f"image.{ext}", cx, cy)
            p.empty = False
        else:
            where = f"（{fig.file}）" if fig.file else ""
            p = _para(state, f"图片无法插入：{image.problem}{where}", state.font, frame, True)
            p.box = True
        _para(
            state,
            f"图{state.figure_no} {fig.caption or ''}".rstrip(),
            state.font,
            {"align": "center", "size": spec.get("caption_size", "三号"), "after": spec.get("caption_after", 12)},
        )


LARGE_PICTURE = 1 << 20  # bytes: a larger picture is read again when the zip is written


def _reader(base_dir, name: str, data: bytes):
    """The picture's bytes read again when they are written into the zip, so a document's
    large pictures are not all in memory at once beside the file being made; the same
    bytes, or a one-line error if the file changed meanwhile."""
    size, crc = len(data), zlib.crc32(data)

    def read() -> tuple[bytes, int]:
        again = embeddable(base_dir, name).data
        if again is None or len(again) != size or zlib.crc32(again) != crc:
            raise ValueError(f"图片 {name} 在生成文档时被改动，请重新运行")
        return again, crc

    return read


def _body(value, state: _State, style: dict, keep_empty: bool):
    """Body text from the record, a paragraph per paragraph of the text (see
    ``context.paragraphs``)."""
    for text in paragraphs(value) or ([""] if keep_empty else []):
        _para(state, text, state.font, style, True)


def _heading(text: str, level: int, state: _State, styles: dict, extra: dict | None = None):
    style = {**styles.get(f"heading{level}", {}), **(extra or {})}
    p = _para(state, text, state.font, style, True)
    p.style = f"Heading{level}"  # Word's built-in "Heading N" (see ooxml.heading_style)
    return p


def _trailing_empty(state: _State):
    """The body's last element if it is an empty paragraph (else None)."""
    last = state.body[-1] if state.body else None
    return last if isinstance(last, ooxml.Para) and last.empty and not last.sect else None


def _page_break(state: _State):
    """The next paragraph (or table) starts a new page. No page-break paragraph is added,
    and an empty paragraph left at the end (the space after a table) is set aside: it
    could otherwise spill onto a page of its own and print blank."""
    state.break_next = True
    state.spare = _trailing_empty(state)


def _section(state: _State, orientation: str):
    """Start a new page in a new section (see ``ooxml.new_section``): the section break
    goes into an empty paragraph just before it, if there is one, else into a paragraph
    of its own. Its w:sectPr is the prepared package's."""
    mark = f"\x00S{len(state.sections)}\x00"
    state.sections.append(orientation)
    spare = _trailing_empty(state)
    if spare is not None:
        spare.sect = mark
    else:
        p = ooxml.Para()
        p.sect, p.empty = mark, False
        state.body.append(p)
    state.break_next = False  # a new section starts a new page already


def _blocks(blocks, state: _State, base, styles: dict):
    for block in blocks or []:
        if "p" in block:
            p = block["p"]
            text = p if isinstance(p, str) else _text_of(p, state, base)
            _para(state, text, state.font, block, True)
        elif "heading" in block:
            extra = {k: v for k, v in block.items() if k not in ("heading", "level")}
            _heading(block["heading"], block.get("level", 1), state, styles, extra)
        elif "text" in block:
            t = block["text"]
            value = get(base, t["field"])
            value = value if paragraphs(value) or not t.get("if_empty") else t["if_empty"]
            _body(value, state, {**styles.get("body", {}), **t.get("style", {})}, True)
        elif "figures" in block:
            _figures(block["figures"], state)
        elif "table" in block:
            _table(state, block["table"], base)
        elif "repeat" in block:
            rep = block["repeat"]
            for i, item in enumerate(get(base, rep["each"]) or []):
                state.ns["item"], state.ns["index"] = item, i + 1
                _blocks(rep["blocks"], state, item, styles)
        elif "mode_items" in block:
            _mode_items(block["mode_items"], state, base, styles)
        elif "section" in block:
            _section(state, block["section"].get("orientation", "portrait"))
        elif block.get("page_break"):
            _page_break(state)
        else:
            raise ValueError(f"未知的版式块：{block}")


def _mode_items(spec: dict, state: _State, base, styles: dict):
    """For each manufacturing mode the record chose, every item heading of 附件5 with the
    record's text under it."""
    from ..record.refdata import modes

    chosen = get(base, spec.get("chosen", "factory.modes")) or []
    texts = get(base, spec.get("texts", "narrative.mode_items")) or {}
    item_level = 3 if "heading3" in styles else 2
    for mode in modes():
        if mode["mode"] not in chosen:
            continue
        _heading(mode["heading"], 2, state, styles)
        answers = texts.get(mode["mode"], {})
        for item in mode["items"]:
            _heading(f"{item['no']}.{item['title']}", item_level, state, styles)
            _body(answers.get(item["no"]), state, styles.get("body", {}), False)


# -- the package ---------------------------------------------------------------------------


def _new_document(layout: dict, orientation: str | None = None):
    """A new python-docx document with the layout's page, font, heading styles and page
    numbers (built once per layout: see ``_skeleton``)."""
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
    return doc


def _skeleton(anchor, layout: dict, orientation, draft: bool, sections: tuple) -> ooxml.Skeleton:
    """The layout's package, prepared once per (orientation, draft, section breaks)."""

    def make():
        doc = _new_document(layout, orientation)
        for o in sections:
            ooxml.new_section(doc, o)
        if draft:
            ooxml.mark_draft(doc, DRAFT_TEXT)  # its page headers; the body's line is written below
        return ooxml.Skeleton(doc)

    return _lru(_skeletons, (id(anchor), orientation, draft, sections), anchor, make)


def _finish(state: _State, anchor, layout: dict, orientation, draft: bool, meta: dict | None) -> bytes:
    meta = meta or {}
    skeleton = _skeleton(anchor, layout, orientation, draft, tuple(state.sections))
    # the paragraph a document must end with after its last table takes no room: at a
    # full page's foot it would otherwise spill onto a page of its own (a draft's line is
    # enough to push it)
    last = _trailing_empty(state)
    if last is not None:
        last.shrink()
    elif state.body and isinstance(state.body[-1], str) and state.body[-1].endswith("</w:tbl>"):
        end = ooxml.Para()
        end.shrink()
        state.body.append(end)
    body = state.body
    if draft:
        # a red 草稿 line before the first paragraph (see ooxml.mark_draft)
        rpr, fonts = ooxml.rpr_xml("黑体", "Arial", "三号", True, "C00000")
        state.fonts.update(fonts)
        mark = ooxml.Para(f"<w:r>{rpr}{ooxml.run_content(DRAFT_TEXT)}</w:r>", jc="center")
        at = next((i for i, item in enumerate(body) if isinstance(item, ooxml.Para)), None)
        if at is None:
            body = [*body, mark, ooxml.Para()]
        else:
            body = [*body[:at], mark, *body[at:]]
    text = "".join(item if isinstance(item, str) else item.xml() for item in body)
    if state.sections or state.media:
        marks = {f"\x00S{i}\x00": sect for i, sect in enumerate(skeleton.section_breaks)}
        rids = skeleton.free_rids(len(state.media))
        marks.update({m[0]: rid for m, rid in zip(state.media, rids, strict=True)})
        text = re.sub("\x00[SR]\\d+\x00", lambda m: marks[m.group(0)], text)
        media = [(rid, name, ctype, data) for (_, name, ctype, data), rid in zip(state.media, rids, strict=True)]
        state.media.clear()  # the package lets each picture go once written
        state.media_by_file.clear()
    else:
        media = []
    return skeleton.package(text, frozenset(state.fonts), meta.get("title", ""), meta.get("author", ""), media)


def render_single(layout: dict, record, base_dir, draft: bool = False, meta: dict | None = None) -> bytes:
    """One record's document. ``meta``: title and author for the file's properties."""
    font = layout.get("font", {})
    prepared = _prepared_for(layout)
    record = in_year_order(record)  # 近三年 as the annexes list them: 2022 | 2023 | 2024
    state = _State(record, base_dir, font, namespace(record, kpi_rows=prepared.kpi_rows), prepared)
    _blocks(layout.get("blocks"), state, record, layout.get("styles", {}))
    return _finish(state, layout, layout, None, draft, meta)


def _unbreakable(text: str) -> str:
    """What in a sheet's cell must not wrap: a code or number, or a short name (up to
    four characters, a person's name); the longest such line of the cell."""
    best = ""
    for line in str(text or "").split("\n"):
        line = line.strip()
        if _TOKEN.match(line) or _DATE.match(line) or (0 < len(line) <= 4 and " " not in line):
            best = max(best, line, key=len)
    return best


HEADER_LINES = 3  # a sheet's header wraps into at most three lines
NAME_LINES = 3  # a name (a company's, an address) of a sheet's cell wraps into at most three lines
NAME_CHARS = 40  # a one-line cell up to this long is a name; longer texts share what is left
LISTED_CAP = 16  # an item listed one a line (a scenario name) is kept whole up to this many characters
WRAP_SLACK = 1.04  # a wrapped line is never filled to the last point
BALANCE_ROWS = 100  # rows a large sheet's widths are balanced on (evenly picked)


def _wrapped(width: float, inner: float) -> int:
    """Lines a paragraph ``width`` pt wide takes in a line of ``inner`` pt."""
    return 1 if width <= inner else math.ceil(width * WRAP_SLACK / inner)


def _whole_em(room: float, em: float) -> float:
    """``room`` rounded up to whole characters of ``em`` (a CJK line holds whole ones)."""
    return math.ceil(room / em - 1e-6) * em * 1.01


WIDEST_EM = 1.0  # no character is wider than an em (a bound: the widest of many texts is found early)


def _widest(texts, size_pt: float, part=None) -> float:
    """The widest of ``texts`` (or of each one's ``part``, never longer than the text) at
    ``size_pt``, measured from the longest down while a longer one could still be wider."""
    best = 0.0
    shapes = set()  # texts that differ only in ideographs or digits measure once
    for t in sorted(texts, key=len, reverse=True):
        if len(t) * size_pt * WIDEST_EM <= best:
            break
        shape = (part(t) if part else t).translate(_SHAPES)
        if shape not in shapes:
            shapes.add(shape)
            best = max(best, text_width_pt(shape, size_pt))
    return best


# ideographs are one em each and digits of one width (tabular figures): a text's shape
_SHAPES = dict.fromkeys(range(0x4E00, 0xA000), "一") | dict.fromkeys(range(0x30, 0x3A), "0")


def _header_room(lines: list[float], em: float) -> float:
    """The narrowest room, in whole characters of ``em``, that holds header lines
    ``lines`` (their widths) in at most ``HEADER_LINES`` lines."""
    if not lines:
        return 0.0
    k = 1
    while sum(math.ceil(w / (k * em) - 0.01) for w in lines) > HEADER_LINES and k * em < max(lines):
        k += 1
    return min(k * em, max(lines)) * 1.01


def balance_widths(
    columns: list[dict],
    rows: list[list[str]],
    avail_pt: float,
    size_pt: float,
    pad_pt: float,
    wholes: list[list[str]] | None = None,
    head_pt: float | None = None,
) -> tuple[list[float], list[float]]:
    """Column widths (pt, padding included) balanced by what a sheet's rows hold, and the
    least each column needs: (widths, least).

    The least: the header (its last level) in at most three lines; what must stay on one
    line (a code, a number, a short name, each line of a ``nowrap`` column: ``wholes``)
    whole; each item of a list printed one a line (a scenario name) whole up to
    ``LISTED_CAP`` characters; a name (a one-line cell up to ``NAME_CHARS`` characters)
    in at most three lines. What ``avail_pt`` leaves beyond it goes, a piece at a time, to
    the column whose widening saves the most lines of the rows (the header row counting
    thrice: it prints on every page); the rest in proportion. When the least is more than
    ``avail_pt`` the widths are the least (the caller prints smaller)."""
    head_pt = head_pt or size_pt
    ncols = len(columns)
    least: list[float] = []
    heads: list[list[float]] = []
    for i, col in enumerate(columns):  # what every row needs
        header = col["header"][-1] if isinstance(col["header"], list) else col["header"]
        head = [text_width_pt(line, head_pt) for line in header.split("\n")]
        heads.append(head)
        need = _header_room(head, head_pt)
        need = max(need, *(w for w, line in zip(head, header.split("\n"), strict=True) if len(line) <= 4), 0.0)
        texts = {str(r[i] or "") for r in rows}
        if wholes is not None:
            need = max(need, _widest(set(wholes[i]), size_pt))
        else:
            need = max(need, _widest(texts, size_pt, lambda t, col=col: _whole_line(t, col)))
        listed = {ln for t in texts if "\n" in t for ln in t.split("\n") if len(ln.strip()) <= LISTED_CAP}
        need = max(need, _widest(listed, size_pt))
        names = _widest({t for t in texts if "\n" not in t and len(t) <= NAME_CHARS}, size_pt)
        need = max(need, _whole_em(names * WRAP_SLACK / NAME_LINES, size_pt) if names else 0.0)
        least.append(need + pad_pt)
    if len(rows) > BALANCE_ROWS:  # the rest is shared by what a sample of the rows holds
        step = len(rows) / BALANCE_ROWS
        rows = [rows[int(i * step)] for i in range(BALANCE_ROWS)]
    # each column's rows: the widths of the cell's lines
    memo: dict[str, float] = {}

    def width(line: str) -> float:
        shape = line.translate(_SHAPES)
        got = memo.get(shape)
        if got is None:
            got = memo[shape] = text_width_pt(shape, size_pt)
        return got

    cells = [[[width(ln) for ln in str(r[i] or "").split("\n")] for r in rows] for i in range(ncols)]
    spare = avail_pt - sum(least)
    if spare <= 0:
        return least, least
    widths = list(least)

    def counts(c: int, width: float) -> list[int]:
        inner = max(width - pad_pt, 1.0)
        return [sum(_wrapped(w, inner) for w in cell) or 1 for cell in cells[c]] + [
            3 * sum(_wrapped(w, inner) for w in heads[c])
        ]

    now = [counts(c, widths[c]) for c in range(ncols)]
    nrows = len(rows) + 1
    while spare > 1e-6:
        top = [sorted((now[c][r] for c in range(ncols)), reverse=True)[:2] + [0] for r in range(nrows)]
        tallest = [t[0] for t in top]
        base = sum(tallest)
        best = None  # (lines saved per pt, column, widening)
        for c in range(ncols):
            inner = widths[c] - pad_pt
            # the widenings at which one of the column's lines fits one line fewer
            steps = set()
            for cell in cells[c] + [heads[c]]:
                for w in cell:
                    n = _wrapped(w, inner)
                    if n > 1:
                        steps.add(w * WRAP_SLACK / (n - 1) - inner + 1e-6)
            # each row's tallest cell but this column's
            others = [t[1] if now[c][r] == t[0] else t[0] for r, t in enumerate(top)]
            for d in sorted(steps)[:6]:
                if d > spare:
                    break
                new = counts(c, widths[c] + d)
                saved = base - sum(max(o, n) for o, n in zip(others, new, strict=True))
                if saved > 0 and (best is None or saved / d > best[0]):
                    best = (saved / d, c, d)
        if best is None:
            break
        _, c, d = best
        widths[c] += d
        spare -= d
        now[c] = counts(c, widths[c])
    total = sum(widths)
    return [w * avail_pt / total for w in widths], least


def sheet_plan(
    columns: list[dict], rows: list[list[str]], usable_cm: float, size_pt: float, wholes: list[list[str]] | None = None
) -> tuple[float, list[float]]:
    """The size a sheet printed as a Word table prints at and its column widths (cm),
    filling the text width: ``balance_widths`` at the sheet's size, or half a point
    smaller at a time (never below 8 pt) until what the columns need fits."""
    avail = usable_cm * 72 / 2.54
    size = size_pt
    while True:
        widths, least = balance_widths(columns, rows, avail, size, SHEET_PADDING_PT, wholes)
        if sum(least) <= avail or size <= MIN_FIT_PT:
            total = sum(widths)
            return size, [w * usable_cm / total for w in widths]
        size = max(MIN_FIT_PT, size - 0.5)


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
    namespaces; no row breaks across pages), notes after; the columns balanced by what
    the rows hold (``sheet_plan``), the pages numbered."""
    anchor = layout
    # 11 columns and more on A4: 五号, 1.8 cm margins (1.3 cm at the sides) unless the layout says otherwise
    layout = {
        "font": {"east_asia": "仿宋_GB2312", "ascii": "Times New Roman", "size": "五号"},
        "page": {"margins_cm": [1.8, 1.3, 1.8, 1.3]},
        "page_numbers": True,  # "— 1 —" under every page of a sheet that runs on
        **layout,
    }
    orientation = layout.get("orientation", "landscape")
    font = layout.get("font", {})
    latin = font.get("ascii") or font.get("east_asia")  # the face of the values' Latin characters
    state = _State(None, None, font, {}, _prepared_for(anchor))
    for line in layout.get("heading_lines", []):
        _para(state, line, font, {"font": "黑体", "size": "三号"})
    _para(state, layout["title"], font, {"align": "center", "font": "方正小标宋简体", "size": "二号", "after": 6})
    for line in layout.get("before", []):
        _para(state, fmt(compile_expr(line)(**header_ns)), font, {"after": 6})
    columns = layout["columns"]
    texts = [[fmt(v) for v in column_values(columns, ns)] for ns in rows]
    usable = _skeleton(anchor, layout, orientation, draft, ()).usable_cm
    wholes = [[_whole_line(row[i], col) for row in texts] for i, col in enumerate(columns)]
    # the columns balanced by what the rows hold; the whole table smaller where they need it
    size, widths = sheet_plan(columns, texts, usable, ooxml.size_pt(font.get("size", "五号")), wholes)
    font = {**font, "size": size}
    line_pt = round(size * SHEET_LINE_EM * 2) / 2  # a cell's lines at an exact pitch (single is 1.45 em in CJK faces)
    twips = [ooxml.twips_cm(w) for w in widths]
    opens = [ooxml.tc_open(t) for t in twips]
    out = [ooxml.table_head_xml(tuple(twips), ooxml.twips_cm(SHEET_MARGIN_CM)), ooxml.tr_open(True, None, True)]
    # fitted_size and _fill_cell count Word's default margins: a cell's width as they see it
    widths = [w + (CELL_PADDING_PT - SHEET_PADDING_PT) * 2.54 / 72 for w in widths]
    for col, w, tc in zip(columns, widths, opens, strict=True):
        header = col["header"][-1] if isinstance(col["header"], list) else col["header"]
        short = "\n" not in header and len(header) <= 4
        spec = {"text": col["header"], "align": "center", "bold": True, "whole": short}
        # kept with the first row: never a page holding only the header
        out.append(tc + _fill_cell(spec, state, None, font, w, True, None, state.fonts) + "</w:tc>")
    out.append("</w:tr>")
    row_open = ooxml.tr_open(True)
    aligns = [col.get("align", "center") for col in columns]
    nowrap = [bool(col.get("nowrap")) for col in columns]
    opening: dict = {}  # (align, fitted size): a value paragraph's properties and run's, as text
    for r, values in enumerate(texts):
        out.append(row_open)
        for i, value in enumerate(values):
            align, w, tc = aligns[i], widths[i], opens[i]
            # as _fill_cell writes {text: value, align, whole}: a paragraph per line, a code
            # or a short name that must not wrap printed smaller when it does not fit
            # (a cell's _whole_line is its _unbreakable line unless the column is nowrap)
            whole = nowrap[i] or ("\n" not in value and wholes[i][r] == value.strip())
            out.append(tc)
            for line in value.split("\n") if value else [""]:
                fit = fitted_size(line, w, size, whole, latin)
                key = (align, fit)
                hit = opening.get(key)
                if hit is None:
                    style = {"align": align, "bold": None, "size": fit or size, "line_exact_pt": line_pt}
                    f = _format(_key(font, style))
                    state.fonts.update(f.fonts)
                    ppr = ooxml.ppr_xml(None, f.keep, None, False, f.spacing, f.ind, f.jc)
                    hit = opening[key] = (f"<w:p>{ppr}<w:r>{f.rpr}", f"<w:p>{ppr}</w:p>")
                out.append(f"{hit[0]}{ooxml.run_content(line)}</w:r></w:p>" if line else hit[1])
            out.append("</w:tc>")
        out.append("</w:tr>")
    out.append("</w:tbl>")
    state.body.append("".join(out))
    for line in layout.get("notes", []):
        _para(state, line, font, {"before": 6})
    return _finish(state, anchor, layout, orientation, draft, meta)


__all__ = ["render_single", "render_multi"]
