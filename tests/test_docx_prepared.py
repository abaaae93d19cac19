"""The .docx renderer prepares each layout once per process (its package, its tables'
fixed cells): one document must never carry anything of the one rendered before it."""

from __future__ import annotations

import io
import zipfile

from docx import Document

from formgen.loader import load
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
