"""Gansu 附件14: every number of part 一 against a hand-computed fixture registry."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from decimal import Decimal

import docx
import pytest
from click.testing import CliRunner
from docx.enum.text import WD_ALIGN_PARAGRAPH
from PIL import Image

from formgen.bureau import annual
from formgen.bureau.registry import Registry
from formgen.cli import main
from formgen.record.levels import LEVELS

from .regfix import record

N = 40


@pytest.fixture
def season(tmp_path):
    """天水市 2026, hand-counted:
    甲 秦州区 基础级 L2 规上 认定 | 乙 秦州区 先进级 L1→L3 (registered twice) 规上 推荐
    丙 麦积区 基础级 L1 规上 未通过 | 丁 麦积区 卓越级 L4 规下 认定 | 戊 甘谷县 基础级 no CMMM 规上 申报
    left out: 己 定西市 (another city), 庚 秦州区 round 2025."""
    db = tmp_path / "reg.sqlite"
    reg = Registry(db)
    y = "2026"
    reg.add(record(tmp_path, "甲", "C1", level="基础级", cmmm_level=2, revenue=3000), y)
    b = record(tmp_path, "乙", "C2", level="先进级", cmmm_level=1, revenue=5000)
    reg.add(b, y)
    b.write_text(b.read_text(encoding="utf-8").replace("level: 1", "level: 3"), encoding="utf-8")
    assert reg.add(b, y).version == 2
    reg.add(record(tmp_path, "丙", "C3", district="麦积区", level="基础级", cmmm_level=1, revenue=2500), y)
    reg.add(record(tmp_path, "丁", "C4", district="麦积区", level="卓越级", cmmm_level=4, revenue=1000), y)
    reg.add(record(tmp_path, "戊", "C5", district="甘谷县", level="基础级", revenue=3000), y)
    reg.add(record(tmp_path, "己", "C6", city="定西市", district="安定区", cmmm_level=2, revenue=3000), y)
    reg.add(record(tmp_path, "庚", "C7", cmmm_level=3, revenue=3000), "2025")
    reg.set_status("甲", y, "认定", dt.date(2026, 10, 1))
    reg.set_status("乙", y, "推荐")
    reg.set_status("丙", y, "未通过")
    reg.set_status("丁", y, "推荐")
    reg.set_status("丁", y, "认定")
    return reg, db


def test_part_one_numbers(season):
    reg, _ = season
    fig = annual.compute(reg, "天水市", 2026, N)
    assert fig.by_level == {"基础级": (3, 1, 1), "先进级": (1, 1, 0), "卓越级": (1, 1, 1), "领航级": (0, 0, 0)}
    assert fig.counties == ["秦州区", "麦积区", "清水县", "秦安县", "甘谷县", "武山县", "张家川回族自治县"]
    assert fig.by_county["秦州区"]["基础级"] == (1, 1, 1) and fig.by_county["秦州区"]["先进级"] == (1, 1, 0)
    assert fig.by_county["麦积区"]["基础级"] == (1, 0, 0) and fig.by_county["麦积区"]["卓越级"] == (1, 1, 1)
    assert fig.by_county["甘谷县"]["基础级"] == (1, 0, 0)
    assert all(v == (0, 0, 0) for v in fig.by_county["清水县"].values())  # a county with nothing
    assert (fig.assessed, fig.assessed_above_scale) == (4, 3)
    assert fig.distribution == {1: 1, 2: 1, 3: 1, 4: 1, 5: 0}  # 乙 counted once, at its newest level 3
    assert fig.coverage == Decimal("7.50")
    assert fig.level2_above_scale == 2 and fig.penetration == Decimal("5.00")


def test_county_region_and_no_self_assessments(season, tmp_path):
    reg, _ = season
    fig = annual.compute(reg, "麦积区", 2026, 10)
    assert fig.counties == [] and fig.by_level["卓越级"] == (1, 1, 1)
    assert fig.assessed == 2 and fig.assessed_above_scale == 1 and fig.coverage == Decimal("10.00")
    assert fig.penetration == Decimal("0.00")  # 丙 is L1, 丁 is not 规上
    empty = Registry(tmp_path / "empty.sqlite")
    empty.add(record(tmp_path, "戊", "C5", district="甘谷县"), "2026")
    fig = annual.compute(empty, "天水市", 2026, N)
    assert fig.assessed == 0 and fig.distribution == dict.fromkeys(range(1, 6), 0)
    assert fig.coverage == Decimal("0.00") and fig.penetration == Decimal("0.00")
    data, _draft = annual.render(fig, {})
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
    assert "没有制造企业的智能制造能力成熟度自评估记录" in text


def _doc_text(path):
    d = docx.Document(path)
    paras = "\n".join(p.text for p in d.paragraphs)
    tables = [[[c.text for c in r.cells] for r in t.rows] for t in d.tables]
    return d, paras, tables


def test_report_cli(season, tmp_path):
    _, db = season
    text = tmp_path / "bureau.yaml"
    text.write_text("推进举措: |\n  出台梯度培育实施细则。\n  组织自评估培训12场。\n", encoding="utf-8")
    out = tmp_path / "out"
    args = ["report", "annual", "--pack", "gansu", "--region", "天水市", "--year", "2026"]
    args += ["--enterprises-above-scale", str(N), "--text", str(text), "--out", str(out), "--db", str(db)]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    assert "草稿" in r.output  # part 三 left empty
    path = out / "天水市_2026年度智能工厂梯度培育情况报告.docx"
    d, paras, tables = _doc_text(path)
    assert "2026年度智能工厂梯度培育情况报告" in paras
    assert "一、整体情况" in paras and "二、推进举措" in paras and "三、下一步工作考虑" in paras
    assert "出台梯度培育实施细则。" in paras and "组织自评估培训12场。" in paras
    assert "【草稿：待填写】提出本地区下一步推进智能工厂梯度培育的工作考虑。" in paras
    assert "共有4家制造企业参加" in paras and "规模以上企业3家" in paras and "7.50%" in paras
    assert "智能工厂普及率为5.00%：达到成熟度二级及以上的规模以上企业2家 ÷ 规模以上工业企业总数40家" in paras
    assert tables[0][1] == ["基础级", "3", "1", "1"] and tables[0][-1] == ["合计", "5", "3", "2"]
    assert tables[1][1][0] == "秦州区" and tables[1][1][1:3] == ["1/1/1", "1/1/0"]
    assert tables[1][0] == ["县（市、区）", "基础级", "先进级", "卓越级", "领航级"]
    assert tables[1][3] == ["清水县", "0/0/0", "0/0/0", "0/0/0", "0/0/0"]
    cmmm = dict((row[0], row[1]) for row in tables[2])
    assert cmmm["规上企业自评估覆盖度"] == "7.50%" and cmmm["成熟度三级（家）"] == "1"
    assert cmmm["智能工厂普及率"] == "5.00%"
    # three charts, at print resolution (300 dpi over 15 cm ≈ 1770 px and more)
    blobs = [rel.target_part.blob for rel in d.part.rels.values() if "image" in rel.reltype]
    assert len(blobs) == 3
    assert all(Image.open(io.BytesIO(b)).size[0] >= 1700 for b in blobs)
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 2 and "--force" in r.output
    full = tmp_path / "full.txt"
    full.write_text("二、推进举措\n措施一\n三、下一步工作考虑\n考虑一\n", encoding="utf-8")
    args2 = [a if a != str(text) else str(full) for a in args] + ["--force", "--unit", "天水市工业和信息化局"]
    r = CliRunner().invoke(main, args2)
    assert r.exit_code == 0 and "草稿" not in r.output
    _, paras, _ = _doc_text(path)
    assert "措施一" in paras and "考虑一" in paras and "草稿" not in paras


def test_bad_text_and_total(season, tmp_path):
    _, db = season
    bad = tmp_path / "bureau.yaml"
    bad.write_text("举措: x\n", encoding="utf-8")
    base = ["report", "annual", "--pack", "gansu", "--region", "天水市", "--year", "2026", "--db", str(db)]
    r = CliRunner().invoke(main, [*base, "--enterprises-above-scale", "5", "--text", str(bad), "--out", str(tmp_path)])
    assert r.exit_code == 2 and "不认识的项“举措”" in r.output
    r = CliRunner().invoke(main, [*base, "--enterprises-above-scale", "0", "--out", str(tmp_path)])
    assert r.exit_code == 2
    assert not list(tmp_path.glob("*.docx"))


@pytest.mark.skipif(
    not shutil.which("soffice") or not shutil.which("pdftotext"), reason="needs LibreOffice and poppler"
)
def test_report_prints(season, tmp_path):
    _, db = season
    out = tmp_path / "out"
    args = ["report", "annual", "--pack", "gansu", "--region", "天水市", "--year", "2026"]
    r = CliRunner().invoke(main, [*args, "--enterprises-above-scale", str(N), "--out", str(out), "--db", str(db)])
    assert r.exit_code == 0, r.output
    src = next(out.glob("*.docx"))
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(out), str(src)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = src.with_suffix(".pdf")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")
    assert all(p.strip() for p in pages if p is not pages[-1])
    flat = "".join(text.split())
    for label in ("一、整体情况", "二、推进举措", "三、下一步工作考虑", "表1", "图1", "图3", "智能工厂普及率为5.00%"):
        assert label in flat
    assert "张家川回族自治县" in flat


def test_unknown_region_refused(season, tmp_path):
    _, db = season
    args = ["report", "annual", "--pack", "gansu", "--region", "天水", "--year", "2026"]
    r = CliRunner().invoke(main, [*args, "--enterprises-above-scale", "5", "--out", str(tmp_path), "--db", str(db)])
    assert r.exit_code == 2 and "“天水”不是甘肃省的市（州）或县（市、区）" in r.output


# -- every application placed: regions as clerks and enterprises write them ------------------


@pytest.fixture
def variants(tmp_path):
    """天水市 2026, regions written every which way:
    A 天水市/秦州区 基础级 推荐 | B 天水/秦州 先进级 推荐 | H "甘肃省天水市秦州区" as the city 基础级
    C (no city) 甘肃省天水市麦积区 基础级 认定 | D 天水市/张家川县 卓越级 推荐
    unplaced: E no region 基础级 推荐, F 天水市/安定区 先进级 | out: G 定西市/安定区."""
    db = tmp_path / "var.sqlite"
    reg = Registry(db)
    y = "2026"
    reg.add(record(tmp_path, "A企业", "V1", level="基础级"), y)
    reg.add(record(tmp_path, "B企业", "V2", city="天水", district="秦州", level="先进级"), y)
    reg.add(record(tmp_path, "H企业", "V8", city="甘肃省天水市秦州区", district=None, level="基础级"), y)
    reg.add(record(tmp_path, "C企业", "V3", city=None, district="甘肃省天水市麦积区", level="基础级"), y)
    reg.add(record(tmp_path, "D企业", "V4", district="张家川县", level="卓越级"), y)
    reg.add(record(tmp_path, "E企业", "V5", city=None, district=None, level="基础级"), y)
    reg.add(record(tmp_path, "F企业", "V6", district="安定区", level="先进级"), y)
    reg.add(record(tmp_path, "G企业", "V7", city="定西市", district="安定区", level="基础级"), y)
    for name in ("A企业", "B企业", "D企业", "E企业"):
        reg.set_status(name, y, "推荐")
    reg.set_status("C企业", y, "认定")
    return reg, db


def test_every_application_placed_or_listed(variants):
    reg, _ = variants
    fig = annual.compute(reg, "天水市", 2026, N)
    assert fig.by_county["秦州区"]["基础级"] == (2, 1, 0)  # A, H
    assert fig.by_county["秦州区"]["先进级"] == (1, 1, 0)  # B: "天水" "秦州"
    assert fig.by_county["麦积区"]["基础级"] == (1, 1, 1)  # C: the whole address as its district
    assert fig.by_county["张家川回族自治县"]["卓越级"] == (1, 1, 0)  # D: "张家川县"
    assert [(u.enterprise, u.reason) for u in fig.unplaced] == [
        ("E企业", "未填写所属地区"),
        ("F企业", "区县不属于本市"),
    ]
    assert fig.by_level == {"基础级": (4, 3, 1), "先进级": (2, 1, 0), "卓越级": (1, 1, 0), "领航级": (0, 0, 0)}
    for level in LEVELS:  # the level totals are the counties plus the unplaced, nothing else
        parts = [fig.by_county[c][level] for c in fig.counties] + [fig.by_unplaced[level]]
        assert fig.by_level[level] == tuple(sum(p[i] for p in parts) for i in range(3))
    assert fig.by_unplaced["基础级"] == (1, 1, 0) and fig.by_unplaced["先进级"] == (1, 0, 0)
    # a county's report: its own applications, and the city's that no county holds
    fig = annual.compute(reg, "秦州区", 2026, N)
    assert fig.by_level["基础级"] == (3, 2, 0) and fig.by_level["先进级"] == (2, 1, 0)
    assert [u.enterprise for u in fig.unplaced] == ["E企业", "F企业"]


def test_unplaced_in_report_and_on_stderr(variants, tmp_path):
    _, db = variants
    out = tmp_path / "out"
    args = ["report", "annual", "--pack", "gansu", "--region", "天水市", "--year", "2026", "--db", str(db)]
    r = CliRunner().invoke(main, [*args, "--enterprises-above-scale", str(N), "--out", str(out)])
    assert r.exit_code == 0, r.output
    lines = [line for line in r.stderr.splitlines() if line.startswith("未归入区县")]
    assert lines == [
        "未归入区县：E企业（基础级，推荐）：未填写所属地区",
        "未归入区县：F企业（先进级，申报）：区县不属于本市（登记的地区：天水市安定区）",
    ]
    _, paras, tables = _doc_text(next(out.glob("*.docx")))
    assert "另有2家企业的申报未能归入县（市、区）" in paras
    assert "E企业（基础级，推荐：未填写所属地区）" in paras and "F企业（先进级，申报：区县不属于本市）" in paras
    assert "安定区" not in paras and "G企业" not in paras
    assert tables[0][-1] == ["合计", "7", "5", "1"]
    county = {row[0]: row[1:] for row in tables[1]}
    assert county["秦州区"] == ["2/1/0", "1/1/0", "0/0/0", "0/0/0"]
    assert county["未归入县（市、区）"] == ["1/1/0", "1/0/0", "0/0/0", "0/0/0"]
    assert county["合计"] == ["4/3/1", "2/1/0", "1/1/0", "0/0/0"]


# -- the report as a document -----------------------------------------------------------------

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
UNIT = "天水市工业和信息化局"


def _annual(db, out, *extra):
    args = ["report", "annual", "--pack", "gansu", "--region", "天水市", "--year", "2026", "--db", str(db)]
    r = CliRunner().invoke(main, [*args, "--enterprises-above-scale", str(N), "--out", str(out), *extra])
    assert r.exit_code == 0, r.output
    return next(out.glob("*.docx"))


def _runs_without_east_asia(part_element):
    return [
        "".join(t.text or "" for t in r.iter(f"{W}t"))
        for r in part_element.iter(f"{W}r")
        if "".join(t.text or "" for t in r.iter(f"{W}t")).strip()
        and not any(f.get(f"{W}eastAsia") for f in r.iter(f"{W}rFonts"))
    ]


def test_report_is_a_document(season, tmp_path):
    _, db = season
    full = tmp_path / "full.yaml"
    full.write_text(f"推进举措: 措施一\n下一步工作考虑: 考虑一\n报告单位: {UNIT}\n", encoding="utf-8")
    d = docx.Document(_annual(db, tmp_path / "final", "--text", str(full), "--date", "2026-12-07"))
    by_style = {}
    for p in d.paragraphs:
        by_style.setdefault(p.style.name, []).append(p.text)
    assert by_style["Heading 1"] == ["一、整体情况", "二、推进举措", "三、下一步工作考虑"]
    assert by_style["Heading 2"] == ["（一）智能工厂梯度培育进展", "（二）智能制造能力成熟度自评估情况"]
    for name, font in (("Heading 1", "黑体"), ("Heading 2", "楷体_GB2312")):
        style = d.styles[name].element
        assert style.find(f".//{W}rFonts").get(f"{W}eastAsia") == font
        assert style.find(f".//{W}outlineLvl") is not None  # Word's 导航窗格, the PDF's bookmarks
    footer = d.sections[0].footer._element
    assert any("PAGE" in (t.text or "") for t in footer.iter(f"{W}instrText"))
    paras = d.paragraphs
    texts = [p for p in paras if p.text.strip()]
    assert [p.text for p in texts[-3:]] == ["考虑一", UNIT, "2026年12月7日"]
    assert all(p.alignment == WD_ALIGN_PARAGRAPH.RIGHT for p in texts[-2:])
    last = paras.index(texts[-3])
    assert all(p.paragraph_format.keep_with_next for p in paras[last:-1])  # 落款 with the last text
    assert d.core_properties.title == "2026年度智能工厂梯度培育情况报告（天水市）"
    assert d.core_properties.author == UNIT
    assert not any("草稿" in s.header._element.xpath("string(.)") for s in d.sections)
    assert "草稿" not in "\n".join(p.text for p in d.paragraphs)
    parts = [d.element.body] + [s.footer._element for s in d.sections]
    assert not [r for part in parts for r in _runs_without_east_asia(part)]


def test_draft_marked_in_every_header(season, tmp_path):
    _, db = season
    d = docx.Document(_annual(db, tmp_path / "draft"))
    assert d.sections and all("草稿" in s.header._element.xpath("string(.)") for s in d.sections)
    assert all(not s.header.is_linked_to_previous or i for i, s in enumerate(d.sections))
    texts = [p.text for p in d.paragraphs if p.text.strip()]
    assert texts[0] == "草稿"
    assert texts[-2:] == ["【草稿：待填写】报告单位", "\u3000\u3000年\u3000\u3000月\u3000\u3000日"]  # dated by hand
    header = d.sections[0].header._element
    assert not _runs_without_east_asia(header) and not _runs_without_east_asia(d.element.body)


def _hex_title(text: str) -> bytes:
    return ("FEFF" + text.encode("utf-16-be").hex()).upper().encode()


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler's pdftotext")
def test_report_pdf_numbered_bookmarked(variants, tmp_path):
    from formgen.render import pdf

    _, db = variants
    src = _annual(db, tmp_path / "out", "--unit", UNIT)
    try:
        (data,) = pdf.convert([src])
    except pdf.SofficeNotFound:
        pytest.skip("LibreOffice (soffice) 未安装：跳过 PDF 检查")
    target = tmp_path / "report.pdf"
    target.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(target), "-"], capture_output=True, text=True, check=True).stdout
    pages = ["".join(p.split()) for p in text.split("\f")][:-1]  # pdftotext ends every page with \f
    assert len(pages) >= 3
    for i, page in enumerate(pages, 1):
        assert f"—{i}—" in page  # the footer's number, printed
        assert page.replace(f"—{i}—", "").replace("草稿", "")  # no page blank but for its number
        assert "草稿" in page  # the header's mark on every page (parts 二、三 left empty)
    assert UNIT in pages[-1] and "三、下一步工作考虑" in "".join(pages[-2:])
    assert "F企业（先进级，申报：区县不属于本市）" in "".join(pages)
    assert b"/Outlines" in data
    for heading in (
        "一、整体情况",
        "（一）智能工厂梯度培育进展",
        "（二）智能制造能力成熟度自评估情况",
        "三、下一步工作考虑",
    ):
        assert _hex_title(heading) in data.upper(), heading


def test_region_readings_doctests():
    import doctest

    result = doctest.testmod(annual)
    assert result.failed == 0 and result.attempted >= 8
