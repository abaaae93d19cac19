"""Every generated file opens in a real office suite: LibreOffice converts it to PDF,
and the PDF's text carries the annex's labels. Skips, saying why, without LibreOffice."""

import shutil
import subprocess

import pytest

from formgen import app
from formgen.loader import load

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) 未安装：跳过用办公软件打开文件的检查")


def _convert(files, outdir):
    profile = outdir / "profile"
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(outdir),
            *map(str, files),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )


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
    # the xlsx and docx of 附件5 share a name: convert them into separate folders
    pdf_dir = tmp_path / "pdf"
    _convert(files + [p for p in sheets if p.suffix == ".docx"], pdf_dir)
    _convert([p for p in sheets if p.suffix == ".xlsx"], pdf_dir / "xlsx")
    pdfs = sorted(pdf_dir.rglob("*.pdf"))
    assert len(pdfs) == 4
    for pdf in pdfs:
        assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 1000
    texts = {p.name.split("_")[0] + p.parent.name: _pdf_text(p) for p in pdfs}
    if all(t is not None for t in texts.values()):
        assert "上海市先进级智能工厂申报单位信息表" in texts["附件3pdf"]
        assert "其他说明事项" in texts["附件3pdf"]
        assert "第五部分" in texts["附件4pdf"]
        assert "推荐排名有先后" in texts["附件5xlsx"]
