"""Jiangsu's self-evaluation sheets: `formgen selfeval` writes them, they hold the record's
answers, and LibreOffice prints each on one A4 page with the labels of the annex."""

import re
import shutil
import subprocess

import openpyxl
import pytest
from click.testing import CliRunner

from formgen.cli import main

from .conftest import ROOT, to_pdf

GOOD = ROOT / "data" / "examples" / "jiangsu-xiyun.yaml"
BAD = ROOT / "data" / "examples" / "jiangsu-bad.yaml"


@pytest.fixture(scope="module")
def sheets(tmp_path_factory):
    out = tmp_path_factory.mktemp("js")
    r = CliRunner().invoke(main, ["selfeval", str(GOOD), "--out", str(out)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    dx = out / "江苏省企业数字化转型自评价表_江苏锡云智能装备有限公司.xlsx"
    sc = out / "典型场景自评价表_江苏锡云智能装备有限公司.xlsx"
    assert dx.is_file() and sc.is_file() and dx.with_suffix(".docx").is_file()
    return out, dx, sc


def test_dx_sheet_cells(sheets):
    _, dx, _ = sheets
    ws = openpyxl.load_workbook(dx).active
    assert ws["A1"].value == "表2  江苏省企业数字化转型自评价表"
    assert ws["C4"].value == "研发设计数字化水平"
    assert ws["D4"].value.startswith("□1.  □2.  □3.  □4.  ☑5.  □6.  □不涉及此环节")
    assert ws["E4"].value == "等级为5，打分为72。"
    assert "☑不涉及此环节" in ws["D8"].value and ws["E8"].value == "等级为不涉及，打分为—。"
    assert "不涉及" not in ws["D5"].value  # question 2 does not offer it
    assert "8650万元" in ws["D10"].value and "2024年投入1320万元" in ws["D10"].value
    assert ws["E14"].value.startswith("71.00分 = 568 ÷ 800 × 100（第5题选择“不涉及此环节”")


def test_scenario_sheet_cells(sheets):
    _, _, sc = sheets
    ws = openpyxl.load_workbook(sc).active
    rows = {r[2]: r for r in ws.iter_rows(min_row=4, max_row=43, values_only=True)}
    assert len(rows) == 40
    assert rows["工厂数字化设计与交付"][3:] == ("/", "□", "□", "□")
    assert rows["产线柔性配置"][3:] == ("□", "□", "☑", "□")
    assert rows["可持续制造"][3:] == ("/", "/", "□", "□")
    counts = next(r for r in ws.iter_rows(values_only=True) if r[0] == "达到该等级及以上的场景数（累计）")
    assert counts[3:] == (16, 15, 3, 0)
    need = next(r for r in ws.iter_rows(values_only=True) if r[0] == "要素条件要求的场景数（不低于）")
    assert need[3:] == (8, 15, 20, 25)
    level = next(r for r in ws.iter_rows(values_only=True) if r[0] == "数据支持的参考等级")
    assert level[3] == "先进级"


def test_no_overwrite_without_force(sheets):
    out, dx, _ = sheets
    before = dx.read_bytes()
    r = CliRunner().invoke(main, ["selfeval", str(GOOD), "--out", str(out)])
    assert r.exit_code == 1 and dx.read_bytes() == before


def test_bad_record_still_gets_its_sheets(tmp_path):
    r = CliRunner().invoke(main, ["selfeval", str(BAD), "--out", str(tmp_path)], catch_exceptions=False)
    assert r.exit_code == 0
    ws = openpyxl.load_workbook(next(tmp_path.glob("江苏省企业数字化转型自评价表_*.xlsx"))).active
    assert ws["E12"].value == "等级为4，打分为____。"


def test_sheets_print_on_one_page_each(sheets, tmp_path):
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler (pdftotext) 未安装：跳过 PDF 文字检查")
    _, dx, sc = sheets
    pdfs = to_pdf([dx, sc], tmp_path)
    texts = []
    for pdf in pdfs:
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert re.search(r"^Pages:\s+1$", info, re.M), info
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
        assert text.strip()
        texts.append(re.sub(r"\s+", "", text))  # labels wrap inside their cells
    dx_text, sc_text = texts
    for label in ("江苏省企业数字化转型自评价表", "研发设计数字化水平", "组织战略人才", "数字化投入规模", "综合得分"):
        assert label in dx_text, label
    assert "等级为5，打分为72。" in dx_text and "71.00分=568÷800×100" in dx_text
    for label in ("典型场景自评价表", "工厂数字化设计与交付", "可持续制造", "数据支持的参考等级", "先进级"):
        assert label in sc_text, label


def test_dx_document_table(sheets):
    import docx
    from docx.oxml.ns import qn

    _, dx, _ = sheets
    d = docx.Document(str(dx.with_suffix(".docx")))
    assert d.paragraphs[0].text == "表2  江苏省企业数字化转型自评价表"
    t = d.tables[0]
    assert [c.text for c in t.rows[0].cells] == ["序号", "一级指标", "二级指标", "题目", "企业等级和自主打分"]
    assert len(t.rows) == 12
    row1 = t.rows[1].cells
    assert row1[2].text == "研发设计数字化水平" and row1[4].text == "等级为5，打分为72。"
    assert row1[3].text.replace(" ", "") == "1.2.3.4.5.6.不涉及此环节。"  # labels; the boxes are check-box controls
    checked = [el.get(qn("w14:val")) for el in row1[3]._tc.iter(qn("w14:checked"))]
    assert checked == ["0", "0", "0", "0", "1", "0", "0"]  # level 5 ticked, 不涉及 offered
    assert len(list(t.rows[2].cells[3]._tc.iter(qn("w14:checked")))) == 6  # question 2: no 不涉及
    assert t.rows[5].cells[4].text == "等级为不涉及，打分为—。"
    assert t.rows[11].cells[4].text.startswith("71.00分 = 568 ÷ 800 × 100")


def test_dx_document_prints_on_one_page(sheets, tmp_path):
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler (pdftotext) 未安装：跳过 PDF 文字检查")
    _, dx, _ = sheets
    (pdf,) = to_pdf([dx.with_suffix(".docx")], tmp_path)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+1$", info, re.M), info
    text = re.sub(
        r"\s+", "", subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    )
    for label in (
        "江苏省企业数字化转型自评价表",
        "网络与安全",
        "组织战略人才",
        "投入规模为8650万元",
        "综合得分",
    ):
        assert label in text, label
    assert "☑5." in text and "71.00分=568÷800×100" in text


def test_sheets_name_the_enterprise_and_end_with_seal_and_date(sheets, tmp_path):
    """Issue 26: each sheet names the enterprise and its credit code at the top and ends with
    企业（盖章）and 日期 (left for handwriting), as printed by LibreOffice."""
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler (pdftotext) 未安装：跳过 PDF 文字检查")
    _, dx, sc = sheets
    for pdf in to_pdf([dx, dx.with_suffix(".docx"), sc], tmp_path):
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
        flat = re.sub(r"\s+", "", text)
        top = flat.index("企业名称：江苏锡云智能装备有限公司")
        assert flat.index("统一社会信用代码：91320214MA1XYUN96U") > top
        assert top < flat.index("序号"), pdf.name  # above the table
        seal = flat.index("企业（盖章）：")
        assert seal > flat.rindex("注"), pdf.name  # after the table and its notes
        assert flat.endswith("日期：年月日") or "日期：年月日" in flat[seal:], pdf.name
        lines = [ln for ln in text.splitlines() if ln.strip()]
        assert lines[-1].split() == ["日期：", "年", "月", "日"], lines[-3:]  # the last line, blank for a pen


def test_sheets_file_properties(sheets):
    import docx

    _, dx, sc = sheets
    for path, title in ((dx, "江苏省企业数字化转型自评价表"), (sc, "江苏省智能工厂梯度建设典型场景自评价表")):
        props = openpyxl.load_workbook(path).properties
        assert (props.title, props.creator) == (title, "江苏锡云智能装备有限公司"), path.name
    core = docx.Document(str(dx.with_suffix(".docx"))).core_properties
    assert (core.title, core.author) == ("江苏省企业数字化转型自评价表", "江苏锡云智能装备有限公司")
