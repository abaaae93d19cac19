"""Forms that print right (issue 9): the Shanghai set converted with LibreOffice and read
back page by page, and the .docx checked for what Word shows a reader (outline levels,
rows that never split, repeated headers, file properties, declared fonts)."""

from __future__ import annotations

import re
import subprocess
import zipfile

import pytest
from click.testing import CliRunner
from docx import Document
from docx.oxml.ns import qn

from formgen.cli import main
from formgen.record.written import fmt, paragraphs

from .conftest import to_pdf


def _summary(records, out):
    """formgen summary of Shanghai records into ``out`` (附件5, quota 5), expecting success."""
    args = ["summary", *map(str, records), "--pack", "shanghai", "--unit", "上海市浦东新区科技和经济委员会"]
    r = CliRunner().invoke(main, [*args, "--quota", "5", "--out", str(out)])
    assert r.exit_code == 0, r.output


@pytest.fixture(scope="module")
def shanghai_set(tmp_path_factory, figures_dir):
    """附件3/4 for the example and 附件5 (.docx/.xlsx) for two records, plus their PDFs."""
    import shutil

    import yaml

    from .conftest import EXAMPLE, REPORT, link_figures

    folder = tmp_path_factory.mktemp("sh")
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    rec = folder / "rec.yaml"
    rec.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    shutil.copy(REPORT, folder / REPORT.name)
    link_figures(figures_dir, folder / "figures")
    out = folder / "out"
    r = CliRunner().invoke(main, ["fill", str(rec), "--pack", "shanghai", "--out", str(out)])
    assert r.exit_code == 0, r.output
    _summary([rec], out)
    files = {p.name.split("_")[0] + p.suffix: p for p in out.iterdir()}
    return files


@pytest.fixture(scope="module")
def pdfs(shanghai_set, tmp_path_factory):
    names = ["附件3.docx", "附件4.docx", "附件5.docx"]
    found = to_pdf([shanghai_set[n] for n in names], tmp_path_factory.mktemp("pdf"))
    return dict(zip(names, found, strict=True))


def pages(pdf) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def test_a3_is_one_page(pdfs):
    assert len(pages(pdfs["附件3.docx"])) == 1


def test_no_blank_page_and_page_numbers_in_order(pdfs):
    body = pages(pdfs["附件4.docx"])
    assert len(body) > 5
    for i, page in enumerate(body, 1):
        assert page.strip(), f"第 {i} 页是空白页"
        assert re.search(rf"—\s*{i}\s*—", page), f"第 {i} 页没有页码 — {i} —"


def test_codes_whole_on_one_line(pdfs):
    text = "\n".join(pages(pdfs["附件5.docx"]))
    assert "91310115MA1FL8TQ6C" in text  # the credit code, unbroken
    assert "13816645120" in text  # the contact's mobile, unbroken
    first = pages(pdfs["附件5.docx"])[0]
    assert "统一社会信用代码" in first and "91310115MA1FL8TQ6C" in first  # not a page holding only the header


def test_a4_headings_are_word_headings(shanghai_set):
    doc = Document(str(shanghai_set["附件4.docx"]))
    by_level = {}
    for p in doc.paragraphs:
        if p.style.name.startswith("Heading"):
            by_level.setdefault(p.style.name, []).append(p.text)
    assert by_level["Heading 1"][0] == "第一部分：申报企业基本情况介绍" and len(by_level["Heading 1"]) == 5
    assert "2、智能工厂整体架构（必填项）" in by_level["Heading 2"]
    h1 = doc.styles["Heading 1"]
    assert h1.element.pPr.find(qn("w:outlineLvl")).get(qn("w:val")) == "0"
    assert h1.paragraph_format.keep_with_next
    assert h1.font.color.rgb is not None and str(h1.font.color.rgb) == "000000"


def test_a4_captions_in_the_annex_size(shanghai_set):
    doc = Document(str(shanghai_set["附件4.docx"]))
    caption = next(p for p in doc.paragraphs if p.text.startswith("图1 "))
    assert caption.runs[0].font.size.pt == 16  # 三号, as the whole 申报书
    assert caption.paragraph_format.space_after.pt == 12  # room before the next figure
    picture = caption._p.getprevious()
    assert picture.find(".//" + qn("w:drawing")) is not None  # kept with its caption
    assert picture.find(qn("w:pPr")).find(qn("w:keepNext")) is not None


def test_sheet_rows_never_split_and_header_repeats(shanghai_set):
    table = Document(str(shanghai_set["附件5.docx"])).tables[0]
    for row in table.rows:
        assert row._tr.trPr.find(qn("w:cantSplit")) is not None
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None


def test_file_properties_and_font_table(shanghai_set):
    for name, author in [
        ("附件4.docx", "上海澄川精密机械股份有限公司"),
        ("附件5.docx", "上海市浦东新区科技和经济委员会"),
    ]:
        doc = Document(str(shanghai_set[name]))
        props = doc.core_properties
        assert props.author == author and props.title.startswith(name.split(".")[0])
        assert props.comments == "" and props.created.year >= 2025
        fonts = zipfile.ZipFile(shanghai_set[name]).read("word/fontTable.xml").decode()
        entry = re.search(r'<w:font w:name="仿宋_GB2312">(.*?)</w:font>', fonts, re.S).group(1)
        assert 'w:altName w:val="仿宋"' in entry and 'w:charset w:val="86"' in entry


def test_paragraph_convention():
    text = "第一段第一行\n第一段第二行，含 AI\n and 5G。\n\n第二段\n"
    assert paragraphs(text) == ["第一段第一行第一段第二行，含 AI and 5G。", "第二段"]
    assert paragraphs("") == [] and paragraphs("  \n\n ") == []


def test_dates_and_lists_as_a_form_prints_them():
    import datetime as dt

    assert fmt("2021-01") == "2021年1月" and fmt(dt.date(2021, 1, 5)) == "2021年1月5日"
    assert fmt(["甲公司。", "乙公司"]) == "甲公司、乙公司"  # no "。、"
    assert fmt("91310115MA1FL8TQ6C") == "91310115MA1FL8TQ6C"


def test_body_text_joined_by_the_convention(write_record, tmp_path):
    def edit(d):
        d["narrative"]["development"] = "公司成立于2006年，\n总部位于浦东新区。\n\n" + d["narrative"]["development"]

    r = CliRunner().invoke(main, ["fill", str(write_record(edit)), "--pack", "shanghai", "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    doc = Document(str(next((tmp_path / "o").glob("附件4*.docx"))))
    texts = [p.text for p in doc.paragraphs]
    start = texts.index("1、发展历程、行业属性、行业地位") + 1
    assert texts[start] == "公司成立于2006年，总部位于浦东新区。"


def test_a4_headings_are_pdf_bookmarks(shanghai_set, tmp_path):
    """fill --pdf's copy of 附件4 lists its parts as bookmarks (outline entries)."""
    import shutil
    import xml.etree.ElementTree as ET

    from formgen.render import pdf

    if not (shutil.which("soffice") or shutil.which("libreoffice")) or not shutil.which("pdftohtml"):
        pytest.skip("LibreOffice 或 poppler 未安装：跳过 PDF 书签检查")
    (data,) = pdf.convert([shanghai_set["附件4.docx"]])
    f = tmp_path / "a4.pdf"
    f.write_bytes(data)
    xml = subprocess.run(["pdftohtml", "-xml", "-i", "-q", "-stdout", str(f)], capture_output=True, check=True).stdout
    titles = [" ".join(item.itertext()).strip() for item in ET.fromstring(xml).iter("item")]
    for heading in [
        "第一部分：申报企业基本情况介绍",
        "2、智能工厂整体架构（必填项）",
        "第五部分：请企业依据国家标准《智能制造能力成熟度模型》（GB/T39116-2020）,通过智能制造评估评价公共服务平台（www.c3mep.cn）开展智能制造评估评价（免费）。完成评估后，下载并提交L3级及以上自评估报告（不计入文档字数内）。",
    ]:
        assert heading in titles


def test_sheet_file_properties(shanghai_set):
    import openpyxl

    props = openpyxl.load_workbook(shanghai_set["附件5.xlsx"]).properties
    assert props.title == "附件5 上海市先进级智能工厂推荐汇总表"
    assert props.creator == "上海市浦东新区科技和经济委员会" and props.created.year >= 2025


def _long_batch(write_record, n=5):
    """Five valid Shanghai records with the longest names and codes the rules allow."""
    from stdnum.cn import uscc

    from formgen.record.ids import org_check_char

    paths = []
    for i in range(n):

        def edit(d, i=i):
            org = f"M{i}A1FL8T"[:8]
            body = "91310115" + org + org_check_char(org)
            d["enterprise"]["credit_code"] = body + uscc.calc_check_digit(body)
            d["enterprise"]["name"] = f"上海澄川精密机械{'零部件' * 4}集团股份有限公司第{i + 1}号"
            d["factory"]["name"] = f"澄川{'精' * 3}新能源汽车智能工厂"[:10] + "智能工厂"  # exactly 14 字
            d["people"]["contact"]["mobile"] = f"1391234{i:04d}"
            d["people"]["contact"]["name"] = "欧阳建国"

        paths.append(write_record(edit, name=f"r{i}.yaml"))
    return paths


def test_long_names_and_codes_print_whole(write_record, tmp_path):
    """Every credit code and mobile number of a five-enterprise batch stands whole on one
    line of the printed 附件5, in Word and in Excel (a factory name wraps like a company
    name, in at most three lines: tests/test_print_balance.py)."""
    paths = _long_batch(write_record)
    out = tmp_path / "o"
    _summary(paths, out)
    files = sorted(out.iterdir())
    pdfs = to_pdf(files, tmp_path / "pdf")
    import yaml

    records = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in paths]
    for pdf_file in pdfs:
        lines = "\n".join(pages(pdf_file))
        for d in records:
            assert d["enterprise"]["credit_code"] in lines
            assert d["people"]["contact"]["mobile"] in lines
            assert "欧阳建国" in lines
        for page in pages(pdf_file):
            assert page.strip()
