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
from PIL import Image

from formgen.bureau import annual
from formgen.bureau.registry import Registry
from formgen.cli import main

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
