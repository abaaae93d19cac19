"""formgen registry add/list/show/set-status/export through the command line."""

from __future__ import annotations

import openpyxl
from click.testing import CliRunner

from formgen.cli import main

from .regfix import record


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_season(tmp_path):
    db = tmp_path / "reg.sqlite"
    a = record(tmp_path, "甲公司", "C1", level="先进级", cmmm_level=2, revenue=3000)
    b = record(tmp_path, "乙公司", "C2", level="卓越级", district="麦积区", cmmm_level=3)
    r = run("registry", "add", a, b, "--round", "2026", "--db", db)
    assert r.exit_code == 0, r.output
    assert "已登记" in r.output and "甲公司（2026 第1版）" in r.output
    assert "警告 HS002" in r.output  # 乙 applies 卓越级 with no 先进级 on record
    r = run("registry", "add", a, "--round", "2026", "--db", db)
    assert r.exit_code == 0 and "未改动" in r.output and "检查通过" not in r.output
    r = run(
        "registry",
        "set-status",
        "甲公司",
        "推荐",
        "--round",
        "2026",
        "--date",
        "2026-05-10",
        "--note",
        "市推荐",
        "--db",
        db,
    )
    assert r.exit_code == 0 and "甲公司（2026）→ 推荐" in r.output
    r = run("registry", "list", "--status", "推荐", "--db", db)
    assert "甲公司" in r.output and "乙公司" not in r.output and "共 1 条" in r.output
    r = run("registry", "list", "--region", "麦积区", "--db", db)
    assert "乙公司" in r.output and "共 1 条" in r.output
    r = run("registry", "show", "C1", "--db", db)
    assert "状态：推荐 2026-05-10（市推荐）" in r.output
    out = tmp_path / "登记库.xlsx"
    r = run("registry", "export", "--out", out, "--db", db)
    assert r.exit_code == 0, r.output
    ws = openpyxl.load_workbook(out)["登记库"]
    assert ws["B1"].value == "企业名称"
    col = {c.value: c.column for c in ws[1]}
    names = {ws.cell(row=i, column=2).value: ws.cell(row=i, column=col["状态"]).value for i in (2, 3)}
    assert names == {"甲公司": "推荐", "乙公司": "申报"}
    assert ws.cell(row=2, column=col["规模以上"]).value in ("是", "")
    r = run("registry", "export", "--out", out, "--db", db)
    assert r.exit_code != 0 and "--force" in r.output + str(r.stderr_bytes or b"")


def test_bad_inputs(tmp_path):
    db = tmp_path / "reg.sqlite"
    bad = tmp_path / "bad.yaml"
    bad.write_text("enterprise: [\n", encoding="utf-8")
    good = record(tmp_path, "甲公司", "C1")
    r = run("registry", "add", bad, good, "--round", "2026", "--db", db)
    assert r.exit_code == 2 and "已登记" in r.output  # the good one still lands
    r = run("registry", "set-status", "丙", "认定", "--round", "2026", "--db", db)
    assert r.exit_code == 1 and "没有 2026 轮次的“丙”" in r.output
    r = run("registry", "show", "丙", "--db", db)
    assert r.exit_code == 1
    junk = tmp_path / "junk.sqlite"
    junk.write_text("not a db", encoding="utf-8")
    r = run("registry", "list", "--db", junk)
    assert r.exit_code == 2 and "不是 formgen 登记库" in r.output


def test_list_has_a_header_row_and_the_credit_code(tmp_path):
    """registry list printed rows without a header and without the credit code."""
    db = tmp_path / "r.sqlite"
    src = record(tmp_path, "甲公司", "C1", level="先进级", cmmm_level=2, revenue=3000)
    assert run("registry", "add", src, "--round", "2026", "--db", db).exit_code in (0, 1)
    lines = run("registry", "list", "--db", db).output.splitlines()
    assert lines[0].split("\t") == [
        "轮次",
        "企业名称",
        "统一社会信用代码",
        "市（州）",
        "区/县",
        "申报层级",
        "成熟度等级",
        "状态",
        "版本",
    ]
    row = lines[1].split("\t")
    assert (row[1], row[2], row[5], row[-1]) == ("甲公司", "C1", "先进级", "第1版")
    assert lines[-1] == "共 1 条"
