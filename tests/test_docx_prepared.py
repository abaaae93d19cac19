"""The .docx renderer prepares each layout once per process (its package, its tables'
fixed cells): one document must never carry anything of the one rendered before it."""

from __future__ import annotations

import io
import zipfile

from docx import Document

from formgen.doors.opener import load
from formgen.render import docx as docx_render


def _texts(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    headers = [p.text for s in doc.sections for p in s.header.paragraphs]
    return "\n".join([p.text for p in doc.paragraphs] + cells + headers)


def test_a_prepared_layout_keeps_nothing_of_the_previous_document(write_record, shanghai):
    layout = shanghai.document("a3").layout

    def other(d):
        d["enterprise"]["name"] = 'B&<申江>"智造"有限公司'
        d["factory"]["address"] = "上海市浦东新区张江路1号"

    a = load(write_record(name="a.yaml"))
    b = load(write_record(other, name="b.yaml"))
    first = docx_render.render_single(layout, a.record, a.base_dir, True, {"title": "附件3", "author": "甲"})
    second = docx_render.render_single(layout, b.record, b.base_dir, False, {"title": "附件3", "author": "乙&丙"})
    text = _texts(second)
    assert 'B&<申江>"智造"有限公司' in text and "上海市浦东新区张江路1号" in text
    assert a.record.enterprise.name not in text
    assert a.record.factory.address not in text
    assert "草稿" not in text  # the draft before it left no mark
    assert "草稿" in _texts(first)
    assert Document(io.BytesIO(second)).core_properties.author == "乙&丙"
    again = docx_render.render_single(layout, a.record, a.base_dir, True, {"title": "附件3", "author": "甲"})
    with zipfile.ZipFile(io.BytesIO(first)) as z1, zipfile.ZipFile(io.BytesIO(again)) as z2:
        assert z1.read("word/document.xml") == z2.read("word/document.xml")


def test_pictures_go_into_the_file_as_they_are(write_record, shanghai):
    """A JPEG is compressed already: it is stored, not deflated a second time; the XML is
    deflated; the file is a sound zip that Word's reader opens with every figure."""
    loaded = load(write_record())
    data = docx_render.render_single(shanghai.document("a4").layout, loaded.record, loaded.base_dir)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None
        media = [i for i in z.infolist() if i.filename.startswith("word/media/")]
        assert len(media) == len([f for f in loaded.record.figures if f.file])
        assert {i.compress_type for i in media} == {zipfile.ZIP_STORED}
        assert z.getinfo("word/document.xml").compress_type == zipfile.ZIP_DEFLATED
    assert len(Document(io.BytesIO(data)).inline_shapes) == len(media)


# CT_TblPr's sequence (ECMA-376 Part 1, 17.4.60): each child once, in this order.
_TBLPR_ORDER = [
    "tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize", "tblStyleColBandSize",
    "tblW", "jc", "tblCellSpacing", "tblInd", "tblBorders", "shd", "tblLayout", "tblCellMar", "tblLook",
    "tblCaption", "tblDescription",
]  # fmt: skip


def _tblpr_children(data_or_doc) -> list[list[str]]:
    from lxml import etree

    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    if isinstance(data_or_doc, bytes):
        with zipfile.ZipFile(io.BytesIO(data_or_doc)) as z:
            root = etree.fromstring(z.read("word/document.xml"))
    else:
        root = data_or_doc.element
    return [[el.tag.removeprefix(w) for el in pr] for pr in root.iter(f"{w}tblPr")]


def _in_schema_order(children: list[str]) -> bool:
    return children == sorted(set(children), key=_TBLPR_ORDER.index) and len(children) == len(set(children))


def test_tables_properties_follow_the_schema(write_record, shanghai):
    """Word refuses a w:tblPr whose children repeat or stray from the schema's order
    ("unreadable content"): both ways of writing a table (python-docx for checklists and
    self-evaluations, prepared text for the forms) give tblW, jc, tblBorders, tblLayout, tblLook."""
    from formgen.render import ooxml

    doc = Document()
    ooxml.new_table(doc, 2, [3.0, 4.0])
    loaded = load(write_record())
    rendered = docx_render.render_single(shanghai.document("a3").layout, loaded.record, loaded.base_dir)
    for children in _tblpr_children(doc) + _tblpr_children(rendered):
        assert _in_schema_order(children), children
    assert _tblpr_children(doc)[0] == ["tblW", "jc", "tblBorders", "tblLayout", "tblLook"]
    assert _tblpr_children(rendered)[0] == _tblpr_children(doc)[0]
