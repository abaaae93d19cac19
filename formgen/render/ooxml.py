"""The OOXML details python-docx does not expose, kept in one place.

- Chinese fonts: ``w:eastAsia`` on ``w:rFonts`` (python-docx's ``font.name`` sets only
  ``w:ascii``/``w:hAnsi``), on runs and on the Normal style; the theme's East Asian
  font is overridden so Word does not fall back to a Japanese font.
- Exact line spacing (``w:spacing w:lineRule="exact"``).
- Table borders, column widths and merged cells.
- Check boxes as Word content controls (``w14:checkbox``) that a user can still tick.
- The 草稿 (draft) mark.
- Custom document properties (``docProps/custom.xml``), among them the batch mark of the
  files a run writes beside its forms (:data:`BATCH_PROPERTY`), and reading them back.
"""

from __future__ import annotations

import functools
import re
import struct
import zipfile
import zlib
from pathlib import Path
from xml.etree import ElementTree
from xml.sax.saxutils import escape as _xml_escape

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt, RGBColor

from . import ZIHAO

ALIGN = {
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
    "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
}
CHECKED, UNCHECKED = "\u2611", "\u25a1"  # ☑ □ (the annexes print □)


def size_pt(value) -> float:
    return ZIHAO[value] if isinstance(value, str) else float(value)


def set_run_font(
    run,
    east_asia: str | None = None,
    ascii_font: str | None = None,
    size=None,
    bold: bool | None = None,
    color: str | None = None,
):
    rpr = run._r.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    if ascii_font:
        fonts.set(qn("w:ascii"), ascii_font)
        fonts.set(qn("w:hAnsi"), ascii_font)
    if east_asia:
        fonts.set(qn("w:eastAsia"), east_asia)
        if not ascii_font:
            fonts.set(qn("w:ascii"), east_asia)
            fonts.set(qn("w:hAnsi"), east_asia)
    if size is not None:
        run.font.size = Pt(size_pt(size))
    if bold is not None:
        run.font.bold = bold
    if color:
        run.font.color.rgb = RGBColor.from_string(color)


def set_style_font(style, east_asia: str, ascii_font: str, size):
    style.font.name = ascii_font
    style.font.size = Pt(size_pt(size))
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    fonts.set(qn("w:ascii"), ascii_font)
    fonts.set(qn("w:hAnsi"), ascii_font)
    fonts.set(qn("w:eastAsia"), east_asia)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:eastAsia"), "zh-CN")


def set_spacing(
    paragraph,
    line_exact_pt=None,
    before_pt=None,
    after_pt=None,
    first_line_chars=None,
    font_size_pt=None,
    line_single=False,
):
    fmt = paragraph.paragraph_format
    if line_single:
        # Pictures need "single" spacing: under an exact line height Word and
        # LibreOffice clip an inline image to a strip of that height.
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    if line_exact_pt:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(line_exact_pt)
    if before_pt is not None:
        fmt.space_before = Pt(before_pt)
    if after_pt is not None:
        fmt.space_after = Pt(after_pt)
    if first_line_chars:
        # Indent in characters (w:firstLineChars, hundredths of a character) so that
        # "首行缩进2字符" holds whatever the font size.
        # w:firstLine (twips) as well, for readers that ignore firstLineChars.
        ind = paragraph._p.get_or_add_pPr().get_or_add_ind()
        ind.set(qn("w:firstLineChars"), str(int(first_line_chars * 100)))
        ind.set(qn("w:firstLine"), str(int(first_line_chars * (font_size_pt or 12) * 20)))


def new_document(page: dict, font: dict):
    """A blank document with the page set-up and the Normal style's Chinese font."""
    doc = Document()
    section = doc.sections[0]
    if page.get("orientation") == "landscape":
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    else:
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    top, right, bottom, left = page.get("margins_cm", [2.54, 2.5, 2.54, 2.5])
    section.top_margin, section.right_margin = Cm(top), Cm(right)
    section.bottom_margin, section.left_margin = Cm(bottom), Cm(left)
    normal = doc.styles["Normal"]
    set_style_font(
        normal, font.get("east_asia", "仿宋_GB2312"), font.get("ascii", "Times New Roman"), font.get("size", "三号")
    )
    pf = normal.paragraph_format
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)
    if font.get("line_exact_pt"):
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(font["line_exact_pt"])
    else:
        pf.line_spacing = 1.0
    _theme_east_asia(doc, font.get("east_asia", "仿宋_GB2312"))
    # Start from an empty body (the default template carries an empty paragraph).
    body = doc.element.body
    for p in list(body.iterchildren(qn("w:p"))):
        body.remove(p)
    return doc


def new_section(doc, orientation: str):
    """Start a new page in a new section, portrait or landscape (A4), keeping margins."""
    from docx.enum.section import WD_SECTION

    previous = doc.sections[-1]
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    if orientation == "landscape":
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    else:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    for side in ("top_margin", "bottom_margin", "left_margin", "right_margin"):
        setattr(section, side, getattr(previous, side))
    section.different_first_page_header_footer = False  # only a document's cover goes unnumbered
    # python-docx ends the previous section with a paragraph of its own; an empty
    # paragraph just before it (the space after a table) would be a second line that
    # can spill onto a blank page, so the section break moves into it.
    body = doc.element.body
    breaker = body[-2] if len(body) > 1 else None
    before = breaker.getprevious() if breaker is not None else None
    if breaker is not None and breaker.tag == qn("w:p") and _is_empty_paragraph(before):
        sect = breaker.find(qn("w:pPr")).find(qn("w:sectPr"))
        before_ppr = before.find(qn("w:pPr"))
        if before_ppr is None:
            before_ppr = OxmlElement("w:pPr")
            before.insert(0, before_ppr)
        before_ppr.append(sect)
        body.remove(breaker)
    return section


def _theme_east_asia(doc, east_asia: str):
    """Point the document defaults' East Asian font at ``east_asia`` instead of the theme."""
    styles = doc.styles.element
    rpr_default = styles.find(qn("w:docDefaults"))
    if rpr_default is None:
        return
    fonts = rpr_default.find(".//" + qn("w:rFonts"))
    if fonts is not None:
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(attr), None)
        fonts.set(qn("w:eastAsia"), east_asia)
    lang = rpr_default.find(".//" + qn("w:lang"))
    if lang is not None:
        lang.set(qn("w:eastAsia"), "zh-CN")


_AFTER_TBL_BORDERS = frozenset(
    qn(f"w:{t}") for t in ("shd", "tblLayout", "tblCellMar", "tblLook", "tblCaption", "tblDescription")
)


def set_cell_borders(table):
    """Single 0.5 pt borders on every edge and inner line (what the annex tables show)."""
    tbl_pr = table._tbl.tblPr
    borders = tbl_pr.find(qn("w:tblBorders"))
    if borders is None:
        borders = OxmlElement("w:tblBorders")
        # CT_TblPr is a sequence: tblBorders comes before shd, tblLayout, tblCellMar, tblLook
        later = next((el for el in tbl_pr if el.tag in _AFTER_TBL_BORDERS), None)
        if later is None:
            tbl_pr.append(borders)
        else:
            later.addprevious(borders)
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = borders.find(qn(f"w:{edge}"))
        if el is None:
            el = OxmlElement(f"w:{edge}")
            borders.append(el)
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), "4")
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "000000")


def new_table(doc_or_cell, rows: int, widths_cm: list[float], rows_whole: bool = True):
    """A bordered table of fixed column widths; its rows never break across pages unless
    ``rows_whole`` is false (the caller then decides row by row)."""
    table = doc_or_cell.add_table(rows=rows, cols=len(widths_cm))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    set_cell_borders(table)
    # Fixed layout (autofit = False writes w:tblLayout w:type="fixed"): Word and
    # LibreOffice keep the annex's column widths.
    grid = table._tbl.tblGrid
    for col, w in zip(grid.findall(qn("w:gridCol")), widths_cm, strict=True):
        col.set(qn("w:w"), str(int(Cm(w).twips)))
    for row in table.rows:
        for cell, w in zip(row.cells, widths_cm, strict=True):
            cell.width = Cm(w)
        if rows_whole:
            cant_split(row)
    return table


def repeat_header(row):
    """Repeat this table row at the top of every printed page."""
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def row_height(row, cm: float):
    row.height = Cm(cm)


def valign_center(cell):
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER


def add_checkbox(paragraph, checked: bool, label: str, font: dict):
    """A Word check-box content control followed by its label."""
    glyph = CHECKED if checked else UNCHECKED
    half_points = int(size_pt(font.get("size", "三号")) * 2)
    # The glyph run carries the label's size (else it takes the body's, larger than a
    # 小四 table cell) and the font Word draws check boxes with.
    glyph_rpr = (
        '<w:rPr><w:rFonts w:ascii="MS Gothic" w:eastAsia="MS Gothic" w:hAnsi="MS Gothic"/>'
        f'<w:sz w:val="{half_points}"/><w:szCs w:val="{half_points}"/></w:rPr>'
    )
    sdt = parse_xml(
        f'<w:sdt {nsdecls("w")} xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml">'
        "<w:sdtPr><w14:checkbox>"
        f'<w14:checked w14:val="{1 if checked else 0}"/>'
        '<w14:checkedState w14:val="2611" w14:font="MS Gothic"/>'
        '<w14:uncheckedState w14:val="25A1" w14:font="MS Gothic"/>'
        "</w14:checkbox></w:sdtPr>"
        f"<w:sdtContent><w:r>{glyph_rpr}<w:t>{glyph}</w:t></w:r></w:sdtContent></w:sdt>"
    )
    paragraph._p.append(sdt)
    run = paragraph.add_run(label)
    set_run_font(run, font.get("east_asia"), font.get("ascii"), font.get("size"))
    return sdt


def mark_draft(doc, text: str):
    """A red 草稿 line at the top of the first page and in every page header."""
    first = doc.paragraphs[0] if doc.paragraphs else doc.add_paragraph()
    p = first.insert_paragraph_before()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run(text)
    set_run_font(run, "黑体", "Arial", "三号", bold=True, color="C00000")
    for section in doc.sections:
        hp = section.header.paragraphs[0]
        hp.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        hr = hp.add_run("草稿")
        set_run_font(hr, "黑体", "Arial", "小四", bold=True, color="C00000")


# -- navigation, pagination and printing ------------------------------------------------


def heading_style(doc, level: int, font: dict, style: dict):
    """Configure Word's built-in "Heading N" so headings carry an outline level (Word's
    导航窗格, LibreOffice's PDF bookmarks), stay with the next paragraph, and look as the
    layout says: the annex's font and size, black, no theme colour."""
    st = doc.styles[f"Heading {level}"]
    ppr = st.element.get_or_add_pPr()
    for tag in ("w:spacing", "w:outlineLvl", "w:jc", "w:ind"):
        for el in ppr.findall(qn(tag)):
            ppr.remove(el)
    pf = st.paragraph_format
    pf.keep_with_next = True
    pf.keep_together = True
    pf.space_before = Pt(style.get("before", 0))
    pf.space_after = Pt(style.get("after", 0))
    line = style.get("line_exact_pt") or font.get("line_exact_pt")
    if line:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(line)
    else:
        pf.line_spacing = 1.0
    outline = OxmlElement("w:outlineLvl")
    outline.set(qn("w:val"), str(level - 1))
    ppr.append(outline)
    rpr = st.element.get_or_add_rPr()
    for tag in ("w:color", "w:i", "w:iCs", "w:b", "w:bCs", "w:rFonts", "w:sz", "w:szCs"):
        for el in rpr.findall(qn(tag)):
            rpr.remove(el)
    set_style_font(
        st,
        style.get("font") or font.get("east_asia", "仿宋_GB2312"),
        font.get("ascii", "Times New Roman"),
        style.get("size") or font.get("size", "三号"),
    )
    st.font.bold = bool(style.get("bold"))
    st.font.italic = False
    st.font.color.rgb = RGBColor(0, 0, 0)
    return st


def keep_with_next(paragraph, keep: bool = True):
    paragraph.paragraph_format.keep_with_next = keep


def page_break_before(paragraph):
    """Start this paragraph on a new page (no empty page-break paragraph that can leave a
    blank page behind)."""
    paragraph.paragraph_format.page_break_before = True


def _is_empty_paragraph(el) -> bool:
    """A w:p with no text, no drawing and no section properties."""
    if el is None or el.tag != qn("w:p"):
        return False
    if "".join(el.itertext()).strip() or el.find(".//" + qn("w:drawing")) is not None:
        return False
    ppr = el.find(qn("w:pPr"))
    return ppr is None or ppr.find(qn("w:sectPr")) is None


def trailing_empty_paragraph(doc):
    """The body's last element if it is an empty paragraph (else None)."""
    body = doc.element.body
    children = [c for c in body if c.tag != qn("w:sectPr")]
    last = children[-1] if children else None
    return last if _is_empty_paragraph(last) else None


def remove_paragraph(el):
    el.getparent().remove(el)


def shrink_paragraph(el):
    """An empty paragraph that must stay (between two tables) but take no room: 1 pt."""
    from docx.text.paragraph import Paragraph

    p = Paragraph(el, None)
    p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    p.paragraph_format.line_spacing = Pt(1)
    p.paragraph_format.space_before = Pt(0)
    p.paragraph_format.space_after = Pt(0)
    p.paragraph_format.page_break_before = False


def cant_split(row):
    """A table row never breaks across pages (w:cantSplit)."""
    tr_pr = row._tr.get_or_add_trPr()
    if tr_pr.find(qn("w:cantSplit")) is None:
        el = OxmlElement("w:cantSplit")
        tr_pr.insert(0, el)


def _field_run(paragraph, instruction: str, placeholder: str = "1"):
    """A run holding a field (PAGE, NUMPAGES) with a cached result."""
    run = paragraph.add_run()
    parts = [("fldChar", "begin"), ("instrText", f" {instruction} "), ("fldChar", "separate"), ("t", placeholder)]
    parts.append(("fldChar", "end"))
    for tag, value in parts:
        el = OxmlElement(f"w:{tag}")
        if tag == "fldChar":
            el.set(qn("w:fldCharType"), value)
        else:
            el.set(qn("xml:space"), "preserve")
            el.text = value
        run._r.append(el)
    return run


def page_numbers(section, size="四号", first_page: bool = True):
    """Page numbers centred in the footer, as 公文 prints them: "— 1 —"; with
    ``first_page`` false the first page (a cover) has none."""
    if not first_page:
        section.different_first_page_header_footer = True
    footer = section.footer
    footer.is_linked_to_previous = False
    p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for run in (p.add_run("— "), _field_run(p, "PAGE"), p.add_run(" —")):
        set_run_font(run, "宋体", "Times New Roman", size)


def finish(doc, title: str, author: str, custom: dict[str, str] | None = None) -> bytes:
    """The .docx bytes of a finished document: its file properties set (title, author,
    dates — not python-docx's template stamp, and the ``custom`` properties) and every
    font it names declared."""
    import io

    set_core_properties(doc, title, author)
    if custom:
        set_custom_properties(doc, custom)
    declare_fonts(doc)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def set_core_properties(doc, title: str, author: str, when=None):
    """文件属性: the document's own title and author (the enterprise or the recommending
    unit) and today's dates, not python-docx's template stamp."""
    import datetime as dt

    when = when or dt.datetime.now(dt.timezone.utc).replace(microsecond=0, tzinfo=None)
    props = doc.core_properties
    props.title = title
    props.author = author
    props.last_modified_by = author
    props.created = when
    props.modified = when
    props.comments = ""
    props.subject = ""
    props.keywords = ""
    props.category = ""
    props.revision = 1


# --- custom properties and the batch mark -------------------------------------------------

# The custom property that marks a file formgen wrote beside a run's forms (a 问题清单, a
# 整改通知) with the batch it belongs to: the next run of the same batch may replace it.
BATCH_PROPERTY = "formgen-batch"
CUSTOM_PART = "docProps/custom.xml"
CORE_PART = "docProps/core.xml"
MAX_PROPS_BYTES = 64 * 1024  # a properties part larger than this is not formgen's
MARKED_SUFFIXES = (".docx", ".xlsx")
_CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
_VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"  # the one Office gives user-defined properties


def custom_properties_xml(props: dict[str, str]) -> bytes:
    """``docProps/custom.xml`` holding ``props`` as text properties (as Word and Excel
    write them: pid from 2, the user-defined fmtid).

    >>> b'name="formgen-batch"><vt:lpwstr>ab&amp;c</vt:lpwstr>' in custom_properties_xml({"formgen-batch": "ab&c"})
    True
    """
    items = "".join(
        f'<property fmtid="{_FMTID}" pid="{pid}" name="{_xml_escape(name, {chr(34): "&quot;"})}">'
        f"<vt:lpwstr>{_xml_escape(value)}</vt:lpwstr></property>"
        for pid, (name, value) in enumerate(props.items(), 2)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Properties xmlns="{_CUSTOM_NS}" xmlns:vt="{_VT_NS}">{items}</Properties>'
    ).encode()


def set_custom_properties(doc, props: dict[str, str]) -> None:
    """Give a python-docx document the custom properties ``props`` (python-docx has no
    API for them): a ``docProps/custom.xml`` part related from the package, replacing
    one the template had."""
    from docx.opc.constants import CONTENT_TYPE as CT
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    package = doc.part.package
    blob = custom_properties_xml(props)
    for rel in package.rels.values():
        if rel.reltype == RT.CUSTOM_PROPERTIES and not rel.is_external:
            rel.target_part._blob = blob
            return
    part = Part(PackURI("/" + CUSTOM_PART), CT.OFC_CUSTOM_PROPERTIES, blob, package)
    package.relate_to(part, RT.CUSTOM_PROPERTIES)


_CT_CUSTOM = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
_RT_CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"


def mark_package(data: bytes, props: dict[str, str]) -> bytes:
    """The bytes of a finished .docx/.xlsx with the custom properties ``props`` (its
    ``docProps/custom.xml``: replaced where it has one, else added with its content type
    and package relationship), every other part as it was. For files a renderer made
    (the summary sheets), so a re-run of their batch knows them as its own."""
    import io

    src = zipfile.ZipFile(io.BytesIO(data))
    names = src.namelist()
    blob = custom_properties_xml(props)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            part = src.read(info)
            if info.filename == CUSTOM_PART:
                part = blob
            elif info.filename == "[Content_Types].xml" and CUSTOM_PART not in names:
                override = f'<Override PartName="/{CUSTOM_PART}" ContentType="{_CT_CUSTOM}"/>'
                part = part.replace(b"</Types>", override.encode() + b"</Types>")
            elif info.filename == "_rels/.rels" and CUSTOM_PART not in names:
                rel = f'<Relationship Id="rIdFormgenCustom" Type="{_RT_CUSTOM}" Target="{CUSTOM_PART}"/>'
                part = part.replace(b"</Relationships>", rel.encode() + b"</Relationships>")
            z.writestr(info, part)
        if CUSTOM_PART not in names:
            z.writestr(zipfile.ZipInfo(CUSTOM_PART, date_time=src.infolist()[0].date_time), blob)
    return out.getvalue()


def read_package_part(path: Path, name: str) -> str | None:
    """A small member (``docProps/core.xml``, ``docProps/custom.xml``) of the OOXML package
    at ``path``, with the bounds of every file from a user (see :func:`_read_part`); None
    for a file that is not a readable zip or lacks the member.

    >>> read_package_part(Path("记录.yaml"), CORE_PART) is None
    True
    """
    try:
        with zipfile.ZipFile(path) as z:
            return _read_part(z, name)
    except (OSError, zipfile.BadZipFile, RuntimeError, NotImplementedError, ValueError, EOFError):
        return None


def _read_part(z: zipfile.ZipFile, name: str) -> str | None:
    """A small member of an OOXML package as text, read at most MAX_PROPS_BYTES; None
    when it is missing, larger, or carries a DOCTYPE (not formgen's, never expanded)."""
    try:
        info = z.getinfo(name)
    except KeyError:
        return None
    if info.file_size > MAX_PROPS_BYTES:
        return None
    with z.open(info) as f:
        data = f.read(MAX_PROPS_BYTES + 1)
    if len(data) > MAX_PROPS_BYTES:
        return None
    text = data.decode("utf-8", "replace")
    return None if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper() else text


def custom_property(text: str, name: str) -> str | None:
    """The text value of the custom property ``name`` in a ``docProps/custom.xml`` text.

    >>> custom_property(custom_properties_xml({"a": "1", "formgen-batch": "x"}).decode(), "formgen-batch")
    'x'
    >>> custom_property("<Properties/>", "formgen-batch") is None
    True
    """
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError:
        return None
    for prop in root.iter(f"{{{_CUSTOM_NS}}}property"):
        if prop.get("name") == name:
            value = prop.find(f"{{{_VT_NS}}}lpwstr")
            return value.text or "" if value is not None else None
    return None


_CORE_TIME = re.compile(r"<dcterms:(created|modified)\b[^>]*>([^<]*)</dcterms:\1>")


def saved_since_made(core: str | None) -> bool:
    """Whether a ``docProps/core.xml`` text says the file was saved after it was made:
    formgen writes the same created and modified time; Word, WPS, Excel and LibreOffice
    move modified on every save.

    >>> saved_since_made("<dcterms:created>2026-01-05T08:00:00Z</dcterms:created>"
    ...                  "<dcterms:modified>2026-01-05T08:00:00Z</dcterms:modified>")
    False
    >>> saved_since_made("<dcterms:created>2026-01-05T08:00:00Z</dcterms:created>"
    ...                  "<dcterms:modified>2026-01-06T09:12:00Z</dcterms:modified>")
    True
    """
    times = {m.group(1): m.group(2).strip() for m in _CORE_TIME.finditer(core or "")}
    return not times.get("created") or times.get("created") != times.get("modified")


def batch_mark(path: Path) -> tuple[str | None, bool]:
    """The batch mark an existing .docx/.xlsx carries (:data:`BATCH_PROPERTY`), and
    whether it is as formgen wrote it (not saved since). ``(None, False)`` for any other
    file, one that cannot be read, or one without the mark. Read with the bounds of every
    file from a user: two small members of a zip, at most MAX_PROPS_BYTES each.

    >>> batch_mark(Path("问题清单.csv"))
    (None, False)
    """
    if Path(path).suffix.casefold() not in MARKED_SUFFIXES:
        return None, False
    try:
        with zipfile.ZipFile(path) as z:
            custom = _read_part(z, CUSTOM_PART)
            mark = custom_property(custom, BATCH_PROPERTY) if custom else None
            if not mark:
                return None, False
            return mark, not saved_since_made(_read_part(z, CORE_PART))
    except (OSError, zipfile.BadZipFile, RuntimeError, NotImplementedError, ValueError, EOFError):
        return None, False


# Windows metrics of the Chinese fonts the annexes name: charset 86 (GB2312), and an
# alternative name Word uses when the exact family is missing on a PC.
CJK_FONTS = {
    "仿宋_GB2312": ("仿宋", "02010609030101010101", "modern", "fixed"),
    "仿宋": ("FangSong", "02010609060101010101", "modern", "fixed"),
    "楷体_GB2312": ("楷体", "02010609030101010101", "modern", "fixed"),
    "楷体": ("KaiTi", "02010609060101010101", "modern", "fixed"),
    "黑体": ("SimHei", "02010609060101010101", "modern", "fixed"),
    "宋体": ("SimSun", "02010600030101010101", "auto", "variable"),
    "方正小标宋简体": ("宋体", "02000000000000000000", "auto", "variable"),
}


def declare_fonts(doc):
    """Declare every font the document uses in word/fontTable.xml, the CJK ones with their
    charset and a substitute, so a PC without 仿宋_GB2312 falls back to 仿宋, not at random."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    table_part = next(r.target_part for r in doc.part.rels.values() if r.reltype == RT.FONT_TABLE)
    table_part._blob = font_table_xml(table_part.blob, used_fonts(doc))


def used_fonts(doc) -> set[str]:
    """The fonts the document's runs, styles and own headers and footers name."""
    used: set[str] = set()
    for root_el in (doc.element, doc.styles.element):
        for el in root_el.iter(qn("w:rFonts")):
            for attr in ("w:ascii", "w:hAnsi", "w:eastAsia"):
                if el.get(qn(attr)):
                    used.add(el.get(qn(attr)))
    for section in doc.sections:
        for hf in (section.header, section.footer):
            if not hf.is_linked_to_previous:
                for el in hf._element.iter(qn("w:rFonts")):
                    used.update(v for k, v in el.attrib.items() if k.endswith("}eastAsia") or k.endswith("}ascii"))
    return used


def font_table_xml(blob: bytes, used) -> bytes:
    """word/fontTable.xml (``blob``) with every font of ``used`` it lacks declared."""
    from lxml import etree

    root = etree.fromstring(blob)
    have = {f.get(qn("w:name")) for f in root.findall(qn("w:font"))}
    for name in sorted(set(used) - have):
        font = etree.SubElement(root, qn("w:font"))
        font.set(qn("w:name"), name)
        alt, panose, family, pitch = CJK_FONTS.get(name, (None, None, "roman", "variable"))
        if alt:
            etree.SubElement(font, qn("w:altName")).set(qn("w:val"), alt)
        if panose:
            etree.SubElement(font, qn("w:panose1")).set(qn("w:val"), panose)
        etree.SubElement(font, qn("w:charset")).set(qn("w:val"), "86" if name in CJK_FONTS else "00")
        etree.SubElement(font, qn("w:family")).set(qn("w:val"), family)
        etree.SubElement(font, qn("w:pitch")).set(qn("w:val"), pitch)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def box_paragraph(paragraph):
    """A single-line border round a paragraph (a note that stands in for something)."""
    borders = OxmlElement("w:pBdr")
    for side in ("top", "left", "bottom", "right"):
        edge = OxmlElement(f"w:{side}")
        for k, v in (("val", "single"), ("sz", "8"), ("space", "4"), ("color", "auto")):
            edge.set(qn(f"w:{k}"), v)
        borders.append(edge)
    # w:pBdr goes before these in w:pPr (ECMA-376 CT_PPrBase order)
    after = (
        "shd tabs suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE "
        "autoSpaceDN bidi adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents "
        "suppressOverlap jc textDirection textAlignment textboxTightWrap outlineLvl divId cnfStyle "
        "rPr sectPr pPrChange"
    )
    paragraph._p.get_or_add_pPr().insert_element_before(borders, *(f"w:{t}" for t in after.split()))


# -- prepared documents: the fixed parts serialized once, the body written as text -------
#
# python-docx builds a layout's package once (styles, numbering, settings, theme, page
# set-up, page-number footer, draft header) and it is kept, its parts compressed, per
# process. Each document is then its body, written here as WordprocessingML text (the
# same elements python-docx writes), its file properties and font table, and the zip.


JC = {"left": "left", "center": "center", "right": "right", "justify": "both"}
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def esc(text: str) -> str:
    """Text as XML character data (what lxml writes for an element's text)."""
    return text.translate(_ESCAPES)


def twips_pt(points: float) -> int:
    return Pt(points).twips


def twips_cm(cm: float) -> int:
    return Cm(cm).twips


def _t(text: str) -> str:
    space = ' xml:space="preserve"' if len(text.strip()) < len(text) else ""
    return f"<w:t{space}>{esc(text)}</w:t>"


def run_content(text: str) -> str:
    """A run's text as python-docx writes it: tabs as w:tab, line breaks as w:br."""
    if "\t" not in text and "\n" not in text and "\r" not in text:
        return _t(text)
    out, chunk = [], []
    for ch in text:
        if ch in "\t\r\n":
            if chunk:
                out.append(_t("".join(chunk)))
                chunk = []
            out.append("<w:tab/>" if ch == "\t" else "<w:br/>")
        else:
            chunk.append(ch)
    if chunk:
        out.append(_t("".join(chunk)))
    return "".join(out)


@functools.lru_cache(maxsize=512)
def rpr_xml(east_asia=None, ascii_font=None, size=None, bold=None, color=None) -> tuple[str, tuple[str, ...]]:
    """A run's w:rPr as ``set_run_font`` writes it, and the fonts it names."""
    attrs, fonts = [], []
    if ascii_font:
        attrs += [f'w:ascii="{ascii_font}"', f'w:hAnsi="{ascii_font}"']
        fonts.append(ascii_font)
    if east_asia:
        if not ascii_font:
            attrs += [f'w:ascii="{east_asia}"', f'w:hAnsi="{east_asia}"']
        attrs.append(f'w:eastAsia="{east_asia}"')
        fonts.append(east_asia)
    parts = ["<w:rFonts" + "".join(" " + a for a in attrs) + "/>"]
    if bold is not None:
        parts.append("<w:b/>" if bold else '<w:b w:val="0"/>')
    if color:
        parts.append(f'<w:color w:val="{color}"/>')
    if size is not None:
        parts.append(f'<w:sz w:val="{int(Pt(size_pt(size)).pt * 2)}"/>')
    return "<w:rPr>" + "".join(parts) + "</w:rPr>", tuple(fonts)


@functools.lru_cache(maxsize=2048)
def ppr_xml(style=None, keep_next=False, page_break=None, box=False, spacing=None, ind=None, jc=None, sect="") -> str:
    """A paragraph's w:pPr in schema order (empty when it sets nothing). ``spacing``:
    (line, lineRule, before, after); ``ind``: (right, firstLineChars, firstLine); twips or
    None each; ``page_break``: True, False (written as off) or None."""
    parts = []
    if style:
        parts.append(f'<w:pStyle w:val="{style}"/>')
    if keep_next:
        parts.append("<w:keepNext/>")
    if page_break is not None:
        parts.append("<w:pageBreakBefore/>" if page_break else '<w:pageBreakBefore w:val="0"/>')
    if box:
        edge = 'w:val="single" w:sz="8" w:space="4" w:color="auto"'
        parts.append("<w:pBdr>" + "".join(f"<w:{s} {edge}/>" for s in ("top", "left", "bottom", "right")) + "</w:pBdr>")
    if spacing and any(v is not None for v in spacing):
        names = ("line", "lineRule", "before", "after")
        parts.append(
            "<w:spacing" + "".join(f' w:{n}="{v}"' for n, v in zip(names, spacing, strict=True) if v is not None) + "/>"
        )
    if ind and any(v is not None for v in ind):
        names = ("right", "firstLineChars", "firstLine")
        parts.append(
            "<w:ind" + "".join(f' w:{n}="{v}"' for n, v in zip(names, ind, strict=True) if v is not None) + "/>"
        )
    if jc:
        parts.append(f'<w:jc w:val="{jc}"/>')
    if sect:
        parts.append(sect)
    return "<w:pPr>" + "".join(parts) + "</w:pPr>" if parts else ""


def paragraph_spacing(line_exact_pt=None, before_pt=None, after_pt=None, line_single=False):
    """The (line, lineRule, before, after) ``set_spacing`` writes."""
    line = rule = None
    if line_single:
        line, rule = 240, "auto"
    if line_exact_pt:
        line, rule = twips_pt(line_exact_pt), "exact"
    before = twips_pt(before_pt) if before_pt is not None else None
    after = twips_pt(after_pt) if after_pt is not None else None
    return (line, rule, before, after)


class Para:
    """A body paragraph still open to what comes after it (a page break before the next
    block, a section break moving in, the shrinking of an empty one between tables)."""

    __slots__ = ("style", "keep_next", "page_break", "box", "spacing", "ind", "jc", "sect", "content", "empty")

    def __init__(self, content="", style=None, keep_next=False, spacing=None, ind=None, jc=None, box=False):
        self.style, self.keep_next, self.page_break, self.box = style, keep_next, None, box
        self.spacing, self.ind, self.jc, self.sect = spacing, ind, jc, ""
        self.content = content  # the runs
        self.empty = not content  # no text, no drawing (see _is_empty_paragraph)

    def xml(self) -> str:
        ppr = ppr_xml(self.style, self.keep_next, self.page_break, self.box, self.spacing, self.ind, self.jc, self.sect)
        return f"<w:p>{ppr}{self.content}</w:p>" if ppr or self.content else "<w:p/>"

    def shrink(self):
        """An empty paragraph that must stay (between two tables) but take no room: 1 pt
        (see ``shrink_paragraph``)."""
        self.page_break = False
        self.spacing = (twips_pt(1), "exact", 0, 0)


GLYPH_RPR = '<w:rPr><w:rFonts w:ascii="MS Gothic" w:eastAsia="MS Gothic" w:hAnsi="MS Gothic"/>'


@functools.lru_cache(maxsize=64)
def checkbox_xml(checked: bool, size) -> str:
    """The w:sdt of ``add_checkbox`` (a Word check-box content control)."""
    half_points = int(size_pt(size) * 2)
    glyph = CHECKED if checked else UNCHECKED
    return (
        '<w:sdt xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml">'
        "<w:sdtPr><w14:checkbox>"
        f'<w14:checked w14:val="{1 if checked else 0}"/>'
        '<w14:checkedState w14:val="2611" w14:font="MS Gothic"/>'
        '<w14:uncheckedState w14:val="25A1" w14:font="MS Gothic"/>'
        "</w14:checkbox></w:sdtPr>"
        f'<w:sdtContent><w:r>{GLYPH_RPR}<w:sz w:val="{half_points}"/><w:szCs w:val="{half_points}"/></w:rPr>'
        f"<w:t>{glyph}</w:t></w:r></w:sdtContent></w:sdt>"
    )


@functools.lru_cache(maxsize=64)
def table_head_xml(widths_twips: tuple[int, ...], side_margin_twips: int | None = None) -> str:
    """w:tbl's opening, w:tblPr and w:tblGrid as ``new_table`` makes them: centred, fixed
    layout, single 0.5 pt borders; ``side_margin_twips``: the cells' left and right
    margins, when not Word's default (0.19 cm)."""
    margins = (
        f'<w:tblCellMar><w:left w:w="{side_margin_twips}" w:type="dxa"/>'
        f'<w:right w:w="{side_margin_twips}" w:type="dxa"/></w:tblCellMar>'
        if side_margin_twips is not None
        else ""
    )
    edge = 'w:val="single" w:sz="4" w:space="0" w:color="000000"'
    borders = "".join(f"<w:{e} {edge}/>" for e in ("top", "left", "bottom", "right", "insideH", "insideV"))
    return (
        '<w:tbl><w:tblPr><w:tblW w:type="auto" w:w="0"/><w:jc w:val="center"/>'
        f'<w:tblBorders>{borders}</w:tblBorders><w:tblLayout w:type="fixed"/>{margins}'
        '<w:tblLook w:firstColumn="1" w:firstRow="1" w:lastColumn="0" w:lastRow="0" w:noHBand="0" '
        'w:noVBand="1" w:val="04A0"/></w:tblPr><w:tblGrid>'
        + "".join(f'<w:gridCol w:w="{w}"/>' for w in widths_twips)
        + "</w:tblGrid>"
    )


def table_joint() -> Para:
    """The paragraph between two parts of one table (a table restarted so that a header
    row in its middle can repeat on every page: w:tblHeader counts only a table's first
    rows). Two tables must not touch (Word would join them), so it stays, 1 pt high, kept
    with the part after it. Each part keeps its borders: where the parts share a page
    the joint prints as a double rule; where they do not, each part is closed (an open
    bottom edge, to be closed by the next part, would stay open at a page's foot when
    the part after moves on: LibreOffice does not keep a table with the next table)."""
    p = Para(keep_next=True)
    p.shrink()
    p.empty = False  # not a spare empty paragraph to drop or move a section break into
    return p


def text_height_cm(page: dict, orientation: str | None = None) -> float:
    """The height an A4 page of the layout's ``page`` set-up leaves between its top and
    bottom margins (see ``new_document``), portrait or landscape."""
    landscape = (orientation or page.get("orientation")) == "landscape"
    top, _right, bottom, _left = page.get("margins_cm", [2.54, 2.5, 2.54, 2.5])
    return (21.0 if landscape else 29.7) - top - bottom


@functools.lru_cache(maxsize=256)
def tr_open(cant_split: bool = True, height_twips: int | None = None, header: bool = False) -> str:
    parts = []
    if cant_split:
        parts.append("<w:cantSplit/>")
    if height_twips is not None:
        parts.append(f'<w:trHeight w:val="{height_twips}"/>')
    if header:
        parts.append('<w:tblHeader w:val="true"/>')
    return "<w:tr><w:trPr>" + "".join(parts) + "</w:trPr>" if parts else "<w:tr>"


@functools.lru_cache(maxsize=1024)
def tc_open(width_twips: int, span: int = 1, vmerge: str | None = None, center: bool = True) -> str:
    """w:tc's opening and w:tcPr; ``vmerge``: "restart" or "continue"."""
    parts = [f'<w:tcW w:type="dxa" w:w="{width_twips}"/>']
    if span > 1:
        parts.append(f'<w:gridSpan w:val="{span}"/>')
    if vmerge == "restart":
        parts.append('<w:vMerge w:val="restart"/>')
    elif vmerge:
        parts.append("<w:vMerge/>")
    if center:
        parts.append('<w:vAlign w:val="center"/>')
    return "<w:tc><w:tcPr>" + "".join(parts) + "</w:tcPr>"


def picture_xml(shape_id: int, rid: str, filename: str, cx: int, cy: int) -> str:
    """The w:drawing run of an inline picture (python-docx's ``new_pic_inline``)."""
    return (
        "<w:r><w:drawing><wp:inline "
        'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
        'xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        f'<wp:extent cx="{cx}" cy="{cy}"/><wp:docPr id="{shape_id}" name="Picture {shape_id}"/>'
        '<wp:cNvGraphicFramePr><a:graphicFrameLocks noChangeAspect="1"/></wp:cNvGraphicFramePr>'
        '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        f'<pic:pic><pic:nvPicPr><pic:cNvPr id="0" name="{filename}"/><pic:cNvPicPr/></pic:nvPicPr>'
        f'<pic:blipFill><a:blip r:embed="{rid}"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>'
        f'<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm>'
        '<a:prstGeom prst="rect"/></pic:spPr></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r>'
    )


def picture_size(data: bytes, width_emu: int | None, height_emu: int | None):
    """(cx, cy, ext, content type) of a picture scaled as python-docx scales it."""
    from docx.image.image import Image

    image = Image.from_blob(data)
    cx, cy = image.scaled_dimensions(width_emu, height_emu)
    return int(cx), int(cy), image.ext, image.content_type


# -- the zip ---------------------------------------------------------------------------


class _Entry:
    __slots__ = ("name", "method", "crc", "data", "size")

    def __init__(self, name: str, data: bytes, compress: bool, crc: int | None = None):
        self.name = name.encode("utf-8")
        self.crc = zlib.crc32(data) if crc is None else crc
        self.size = len(data)
        if compress:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            self.data, self.method = c.compress(data) + c.flush(), 8
        else:
            self.data, self.method = data, 0


def _dos_time(when) -> tuple[int, int]:
    return (
        (when[3] << 11) | (when[4] << 5) | (when[5] // 2),
        ((when[0] - 1980) << 9) | (when[1] << 5) | when[2],
    )


def zip_parts(entries) -> bytes:
    """A zip of prepared entries (deflated or stored), as zipfile writes one. ``entries``
    may be a generator: each is written as it comes and can be let go (a document's
    pictures are not all held twice, as input and in the output)."""
    import io
    import time

    dtime, ddate = _dos_time(time.localtime())
    out, central, offset, count = io.BytesIO(), [], 0, 0
    for e in entries:
        if e.size > 0xFFFFFFFF or offset > 0xFFFFFFFF:
            raise ValueError("文档超过 4 GB，无法写出")
        flags = 0x800 if not e.name.isascii() else 0
        head = struct.pack(
            "<4s2B4HL2L2H",
            b"PK\003\004",
            20,
            0,
            flags,
            e.method,
            dtime,
            ddate,
            e.crc,
            len(e.data),
            e.size,
            len(e.name),
            0,
        )
        out.write(head)
        out.write(e.name)
        out.write(e.data)
        central.append(
            struct.pack(
                "<4s4B4HL2L5H2L",
                b"PK\001\002",
                20,
                3,
                20,
                0,
                flags,
                e.method,
                dtime,
                ddate,
                e.crc,
                len(e.data),
                e.size,
                len(e.name),
                0,
                0,
                0,
                0,
                0o600 << 16,
                offset,
            )
            + e.name
        )
        offset += len(head) + len(e.name) + len(e.data)
        count += 1
    directory = b"".join(central)
    out.write(directory)
    out.write(struct.pack("<4s4H2LH", b"PK\005\006", 0, 0, count, count, len(directory), offset, 0))
    return out.getvalue()  # the buffer itself, not a copy


# -- the package of a layout, prepared once --------------------------------------------

_CORE_TITLE, _CORE_AUTHOR = "FORMGEN-TITLE-4f1c", "FORMGEN-AUTHOR-4f1c"
_CORE_WHEN = "2000-01-01T00:00:00Z"
_MEDIA_STORED = (".jpeg", ".jpg", ".png", ".gif")  # compressed already: stored, not deflated again


class Skeleton:
    """A layout's package with an empty body: every part but the body, the file properties
    and the font table compressed once; the section breaks' w:sectPr as text."""

    def __init__(self, doc):
        import datetime as dt
        import io
        import zipfile

        set_core_properties(doc, _CORE_TITLE, _CORE_AUTHOR, dt.datetime(2000, 1, 1))
        self.fonts = frozenset(used_fonts(doc))
        body = doc.element.body
        sects = body.findall(f"{qn('w:p')}/{qn('w:pPr')}/{qn('w:sectPr')}")
        from lxml import etree

        self.section_breaks = [_plain(etree.tostring(s, encoding="unicode")) for s in sects if s is not None]
        for child in list(body):
            if child.tag != qn("w:sectPr"):
                body.remove(child)
        section = doc.sections[0]
        self.usable_cm = (section.page_width - section.left_margin - section.right_margin) / 360000
        buf = io.BytesIO()
        doc.save(buf)
        self.static: list[_Entry] = []
        self.tail: list[_Entry] = []
        with zipfile.ZipFile(buf) as z:
            for name in z.namelist():
                data = z.read(name)
                if name == "word/document.xml":
                    text = data.decode("utf-8")
                    head, rest = text.split("<w:body>", 1)
                    self.doc_head = head + "<w:body>"
                    self.doc_tail = rest  # the final w:sectPr, </w:body></w:document>
                elif name == "word/_rels/document.xml.rels":
                    self.rels = data.decode("utf-8")
                elif name == "[Content_Types].xml":
                    self.content_types = data.decode("utf-8")
                elif name == "docProps/core.xml":
                    self.core = data.decode("utf-8")
                elif name == "word/fontTable.xml":
                    self.font_table = data
                else:
                    (self.tail if name.startswith(("docProps/thumb",)) else self.static).append(
                        _Entry(name, data, not name.lower().endswith(_MEDIA_STORED))
                    )

        self.used_rids = {int(n) for n in re.findall(r'Id="rId(\d+)"', self.rels)}
        self._font_tables: dict = {}
        self._types: dict = {}

    def free_rids(self, n: int) -> list[str]:
        """The next ``n`` relationship ids, as python-docx numbers them (the lowest unused)."""
        out, i = [], 1
        while len(out) < n:
            if i not in self.used_rids:
                out.append(f"rId{i}")
            i += 1
        return out

    def font_table_entry(self, fonts: frozenset) -> _Entry:
        key = fonts | self.fonts
        entry = self._font_tables.get(key)
        if entry is None:
            if len(self._font_tables) > 32:
                self._font_tables.clear()
            entry = self._font_tables[key] = _Entry("word/fontTable.xml", font_table_xml(self.font_table, key), True)
        return entry

    def content_types_entry(self, exts: frozenset) -> _Entry:
        entry = self._types.get(exts)
        if entry is None:
            defaults = dict(re.findall(r'<Default Extension="([^"]+)" ContentType="([^"]+)"/>', self.content_types))
            for ext, ctype in exts:
                defaults.setdefault(ext, ctype)
            head, rest = self.content_types.split("<Default ", 1)
            overrides = rest[rest.index("<Override ") :] if "<Override " in rest else "</Types>"
            text = head + "".join(f'<Default Extension="{e}" ContentType="{c}"/>' for e, c in sorted(defaults.items()))
            entry = self._types[exts] = _Entry("[Content_Types].xml", (text + overrides).encode("utf-8"), True)
        return entry

    def package(self, body: str, fonts: frozenset, title: str, author: str, media: list) -> bytes:
        """The .docx: ``body`` (the w:body's content before its final w:sectPr), ``media``
        as (rId, part name, content type, bytes or a function that reads them and
        returns them with their CRC-32)."""
        import datetime as dt

        when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        core = (
            self.core.replace(_CORE_TITLE, title.translate(_ESCAPES))
            .replace(_CORE_AUTHOR, author.translate(_ESCAPES))
            .replace(_CORE_WHEN, when)
        )
        rels = self.rels
        if media:
            image = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"
            extra = "".join(f'<Relationship Id="{rid}" Type="{image}" Target="{name}"/>' for rid, name, _, _ in media)
            rels = rels.replace("</Relationships>", extra + "</Relationships>")
        exts = frozenset((name.rsplit(".", 1)[1], ctype) for _, name, ctype, _ in media)
        document = (self.doc_head + body + self.doc_tail).encode("utf-8")
        del body

        def entries():
            yield self.content_types_entry(exts)
            yield _Entry("docProps/core.xml", core.encode("utf-8"), True)
            yield _Entry("word/document.xml", document, True)
            yield _Entry("word/_rels/document.xml.rels", rels.encode("utf-8"), True)
            yield self.font_table_entry(fonts)
            yield from self.static
            media.reverse()
            while media:  # each picture let go once it is written
                _, name, _, data = media.pop()
                crc = None
                if callable(data):  # a large picture, read only now
                    data, crc = data()
                yield _Entry("word/" + name, data, not name.lower().endswith(_MEDIA_STORED), crc)
                del data
            yield from self.tail

        return zip_parts(entries())


def _plain(xml: str) -> str:
    """An element serialized alone, without the namespace declarations lxml repeats on it
    (they are declared on w:document)."""

    return re.sub(r' xmlns:\w+="[^"]*"', "", xml, count=0)
