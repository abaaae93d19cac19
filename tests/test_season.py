"""A Gansu city bureau's season end to end (issue 25), as a clerk runs it from the README:
a mixed inbox into the registry, statuses, the summary refused for a duplicate and run
again with --prefer newer, the letters, the 问题清单 as printed and the annual report.

The inbox (tests/seasonfix.py): six enterprises of 天水市 in YAML, workbooks and one filled
附件3, a newer second file of one, a bad mobile, a district written without 县, a PDF."""

from __future__ import annotations

import re
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner

from formgen.cli import main

from . import seasonfix
from .conftest import to_pdf
from .test_print_sheets import _font_sizes, _pdf_text_pages, _squeeze

UNIT = "天水市工业和信息化局"
MIN_PT = 9.0


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], prog_name="formgen")


def _letter(path: Path) -> str:
    return "\n".join(p.text for p in docx.Document(path).paragraphs)


def _states(report: Path) -> dict[tuple[str, str], str]:
    ws = openpyxl.load_workbook(report)["汇总"]
    head = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "序号")
    cols = {ws.cell(head, c).value: c for c in range(1, ws.max_column + 1)}
    return {
        (ws.cell(r, cols["企业"]).value, ws.cell(r, cols["文件"]).value): ws.cell(r, cols["状态"]).value
        for r in range(head + 1, ws.max_row + 1)
    }


@pytest.fixture(scope="module")
def season(tmp_path_factory):
    """The whole season run once, in order; each test reads what one step left."""
    root = tmp_path_factory.mktemp("season")
    import os

    cwd = os.getcwd()
    os.chdir(root)
    try:
        folder, apps = seasonfix.inbox(root, run)
        (root / "推荐单位.yaml").write_text(
            f"unit: {UNIT}\nunit_kind: city\ncontact: 王明\nphone: 0938-8211000\n", encoding="utf-8"
        )
        db = root / "登记库.sqlite"
        steps = {"apps": {a.short: a for a in apps}, "root": root}
        steps["add"] = run("registry", "add", "收件", "--round", seasonfix.ROUND, "--pack", "gansu", "--db", db)
        steps["list"] = run("registry", "list", "--round", seasonfix.ROUND, "--all-versions", "--db", db)
        for short in ("麦积精工", "甘谷电气"):
            r = run("registry", "set-status", steps["apps"][short].name, "推荐", "--round", "2026", "--db", db)
            assert r.exit_code == 0, r.output
        summary = ["summary", "收件", "--pack", "gansu", "--recommender", "推荐单位.yaml"]
        summary += ["--report", "问题清单.xlsx", "--notices", "通知", "--out", "汇总表"]
        steps["refused"] = run(*summary)
        steps["refused_letters"] = sorted(p.name for p in (root / "通知").iterdir())
        steps["again"] = run(*summary, "--prefer", "newer")
        steps["annual"] = run(
            "report", "annual", "--pack", "gansu", "--region", "天水市", "--year", "2026", "--db", db,
            "--enterprises-above-scale", "120", "--unit", UNIT, "--out", "年报",
        )  # fmt: skip
        yield steps
    finally:
        os.chdir(cwd)


def test_the_registry_takes_every_form_and_says_what_it_did_not_read(season):
    r = season["add"]
    assert "说明.pdf：未读入" in r.stderr
    lines = season["list"].output.strip().splitlines()
    assert lines[0].split("\t")[:3] == ["轮次", "企业名称", "统一社会信用代码"]
    rows = [line.split("\t") for line in lines[1:] if "\t" in line]
    names = {row[1] for row in rows}
    assert names == {a.name for a in season["apps"].values()}  # all six, 附件3 and workbooks included
    longqin = season["apps"]["陇秦数控"]
    versions = {row[-1] for row in rows if row[1] == longqin.name}
    assert versions == {"第1版", "第2版"}
    # 秦安纺织 sent only its 附件3, which prints the 组织机构代码, not the credit code
    qinan = next(row for row in rows if row[1] == season["apps"]["秦安纺织"].name)
    assert qinan[2] == f"{season['apps']['秦安纺织'].code[8:17]}（组织机构代码）"


def test_versions_follow_the_file_dates_as_summary_does(season):
    """The workbook carries 2026-03-01, the YAML was saved 2026-04-01: the YAML is 第2版
    (the latest), and it is the file summary --prefer newer keeps."""
    show = run("registry", "show", season["apps"]["陇秦数控"].name, "--db", season["root"] / "登记库.sqlite")
    assert show.exit_code == 0, show.output
    text = show.output
    assert text.index("陇秦数控.xlsx") < text.index("陇秦数控_更新版.yaml")
    states = _states(season["root"] / "问题清单.xlsx")
    name = season["apps"]["陇秦数控"].name
    assert states[(name, "陇秦数控_更新版.yaml")] == "列入"
    assert states[(name, "陇秦数控.xlsx")] == "重复，未列入"


def test_the_refused_summary_says_what_to_type_and_the_rerun_needs_no_force(season):
    refused, again = season["refused"], season["again"]
    assert refused.exit_code == 1, refused.output
    assert "：列入" not in refused.stdout and "：未列入（未生成汇总表）" in refused.stdout  # no sheet, nobody on it
    assert refused.stderr.strip().splitlines()[-1].endswith("--prefer newer")
    assert "formgen summary 收件 --pack gansu" in refused.stderr
    assert again.exit_code == 3, again.output  # written; 武山, 清水, 秦安 left off with errors
    assert "已存在" not in again.output
    made = sorted(p.name.split("_")[0] for p in (season["root"] / "汇总表").iterdir())
    assert made == ["附件1", "附件6", "附件7", "附件8"]
    listed = {n for (n, _), s in _states(season["root"] / "问题清单.xlsx").items() if s == "列入"}
    apps = season["apps"]
    assert listed == {apps["陇秦数控"].name, apps["麦积精工"].name, apps["甘谷电气"].name}


def test_one_letter_per_enterprise_with_something_to_fix(season):
    apps = season["apps"]
    expected = sorted(f"整改通知_{apps[s].name}.docx" for s in ("武山食品", "清水建材", "秦安纺织"))
    assert season["refused_letters"] == expected  # 陇秦数控's newest file is clean: no letter
    assert sorted(p.name for p in (season["root"] / "通知").iterdir()) == expected


def test_letters_name_the_form_and_the_place_in_its_words(season):
    apps = season["apps"]
    wushan = _letter(season["root"] / "通知" / f"整改通知_{apps['武山食品'].name}.docx")
    assert "附件3《甘肃省基础级智能工厂申报书》表格「企业基本信息」第6行「手机」" in wushan
    assert "不是11位大陆手机号" in wushan
    assert UNIT in wushan
    # 秦安纺织 sent 附件3 alone: what only the bureau's sheets need is asked once, plainly
    qinan = _letter(season["root"] / "通知" / f"整改通知_{apps['秦安纺织'].name}.docx")
    asks = [line for line in qinan.splitlines() if "请补充" in line]
    assert len(asks) == 1 and "自评估提交时间" in asks[0] and "（用于汇总表）" in asks[0]
    for bare in ("「省」", "「提交时间」", "「自评得分」", "必填（附件1"):
        assert bare not in qinan


def test_no_letter_carries_what_its_reader_should_not_see(season):
    apps = season["apps"]
    for path in (season["root"] / "通知").iterdir():
        text = _letter(path)
        own = next(a for a in apps.values() if a.name in path.name)
        for other in apps.values():
            if other is not own:
                assert other.name not in text and other.short not in text, path.name
        assert "--" not in text and "\\" not in text, path.name
        assert not re.search(r"[A-Za-z0-9_.~-]/|/[A-Za-z0-9_.~-]", text), path.name  # 区/县 is a label, not a path
        for raw in (".yaml", ".xlsx", ".docx", "enterprise.", "people.", "factory.", ": true", "收件"):
            assert raw not in text, (path.name, raw)
        assert not re.search(r"\d{4}-\d{2}", text), path.name
        assert not re.search(r"(?<![」）])第\d+行", text), path.name  # a row only inside a named table


def test_the_problem_list_prints_at_a_readable_size(season, tmp_path):
    report = season["root"] / "问题清单.xlsx"
    wb = openpyxl.load_workbook(report)
    title = wb["问题清单"].cell(1, 1).value
    assert "问题清单" in title and UNIT in wb["问题清单"].cell(2, 1).value
    files = {wb["问题清单"].cell(r, 3).value for r in range(4, wb["问题清单"].max_row + 1)} - {None}
    assert files and all("/" not in f for f in files)  # file names, never paths
    (pdf,) = to_pdf([report], tmp_path)
    pages = _pdf_text_pages(pdf)
    assert pages and all(_squeeze(p) for p in pages), "a blank page"
    assert all(re.search(r"第\d+页，共\d+页", _squeeze(p)) for p in pages)
    assert min(_font_sizes(pdf)) >= MIN_PT


def test_the_annual_report_counts_every_application(season):
    r = season["annual"]
    assert r.exit_code in (0, 3), r.output
    (report,) = (season["root"] / "年报").glob("*.docx")
    d = docx.Document(report)
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in d.tables]
    by_level = {row[0]: row[1:] for row in tables[0]}
    assert by_level["基础级"][:2] == ["4", "1"]  # 麦积, 秦安, 武山, 清水; 麦积 推荐
    assert by_level["先进级"][:2] == ["2", "1"]  # 陇秦 (one application, two versions), 甘谷 推荐
    county = {row[0]: row[1:] for row in tables[1]}
    assert county["清水县"][0].startswith("1/")  # written 「清水」 in its record
    assert county["秦安县"][0].startswith("1/")  # from its 附件3 alone
    assert "未归入县（市、区）" not in county  # every application placed
    text = "\n".join(p.text for p in d.paragraphs)
    assert UNIT in text.splitlines()[-2:][0] or UNIT in text[-80:]
