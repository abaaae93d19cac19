"""Every generated file opens in a real office suite: LibreOffice converts it to PDF,
and the PDF's text carries the annex's labels. Skips, saying why, without LibreOffice."""

import shutil
import subprocess

from formgen import app
from formgen.doors.opener import load

from .conftest import to_pdf


def _pdf_text(pdf):
    if shutil.which("pdftotext") is None:
        return None
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout


def test_every_shanghai_file_converts_to_pdf(write_record, shanghai, tmp_path):
    record = write_record()
    out = tmp_path / "out"
    files = app.fill(load(record), shanghai, out)
    doc = next(d for d in shanghai.documents if not d.single)
    batch = app.build_batch([record], shanghai, 5)
    sheets = app.write_multi(doc, batch, "上海市浦东新区科技和经济委员会", out / "multi", False, False)
    sources = files + sheets
    pdfs = to_pdf(sources, tmp_path / "pdf")
    texts = {src.name.split("_")[0] + src.suffix: _pdf_text(pdf) for src, pdf in zip(sources, pdfs, strict=True)}
    assert set(texts) == {"附件3.docx", "附件4.docx", "附件5.xlsx", "附件5.docx"}
    if all(t is not None for t in texts.values()):
        assert "上海市先进级智能工厂申报单位信息表" in texts["附件3.docx"]
        assert "其他说明事项" in texts["附件3.docx"]
        assert "第五部分" in texts["附件4.docx"]
        assert "推荐排名有先后" in texts["附件5.xlsx"]
        assert "推荐排名有先后" in texts["附件5.docx"]
