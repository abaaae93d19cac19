"""The commands as a user runs them (click's CliRunner)."""

import json

import pytest
from click.testing import CliRunner

from formgen.cli import main

from .conftest import BAD


@pytest.fixture
def run():
    def _run(*args):
        return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)

    return _run


def test_packs_lists_documents(run):
    r = run("packs")
    assert r.exit_code == 0
    assert "附件3 上海市先进级智能工厂申报单位信息表" in r.output and "多个企业" in r.output


def test_validate_clean_record_exits_0(run, write_record):
    r = run("validate", write_record(), "--pack", "shanghai")
    assert r.exit_code == 0 and "检查通过" in r.output


def test_validate_bad_record_lists_every_problem_at_once(run):
    r = run("validate", BAD, "--pack", "shanghai")
    assert r.exit_code == 1
    lines = [ln for ln in r.output.splitlines() if " 错误 " in ln]
    assert len(lines) >= 20
    assert any("FN001 factory.name「工厂名称」" in ln for ln in lines)


def test_validate_json_findings(run):
    r = run("validate", BAD, "--pack", "shanghai", "--format", "json")
    data = json.loads(r.output)
    assert r.exit_code == 1 and data["errors"] > 0
    f = next(x for x in data["findings"] if x["code"] == "ID001")
    assert set(f) >= {"code", "severity", "path", "label", "message"}
    assert f["path"] == "enterprise.credit_code" and f["severity"] == "error"


def test_validate_unreadable_exits_2_one_line(run, tmp_path):
    p = tmp_path / "broken.yaml"
    p.write_text("enterprise: [\n", encoding="utf-8")
    r = run("validate", p)
    assert r.exit_code == 2
    assert r.output.splitlines()[0].startswith(f"{p}:1: 错误 IN003")  # the line to edit: the unclosed [


def test_fill_refuses_with_errors_and_writes_nothing(run, tmp_path):
    out = tmp_path / "out"
    r = run("fill", BAD, "--pack", "shanghai", "--out", out)
    assert r.exit_code == 1 and not out.exists()


def test_fill_draft_writes_marked_files(run, tmp_path):
    from docx import Document

    out = tmp_path / "out"
    r = run("fill", BAD, "--pack", "shanghai", "--out", out, "--draft")
    assert r.exit_code == 0
    files = sorted(out.iterdir())
    assert len(files) == 2
    assert all(Document(f).paragraphs[0].text.startswith("草稿") for f in files)


def test_fill_never_overwrites_without_force(run, write_record, tmp_path):
    record = write_record()
    out = tmp_path / "out"
    assert run("fill", record, "--pack", "shanghai", "--out", out).exit_code == 0
    a4 = next(out.glob("附件4*"))
    a3 = next(out.glob("附件3*"))
    a3.write_bytes(b"user's own edits")
    a4_before = a4.stat().st_mtime_ns
    r = run("fill", record, "--pack", "shanghai", "--out", out)
    assert r.exit_code == 1 and "已存在" in r.output
    assert a3.read_bytes() == b"user's own edits" and a4.stat().st_mtime_ns == a4_before  # all or nothing
    assert run("fill", record, "--pack", "shanghai", "--out", out, "--force").exit_code == 0
    assert a3.read_bytes() != b"user's own edits"
    assert not list(out.glob(".formgen-*"))


def test_summary_requires_quota_for_shanghai(run, write_record, tmp_path):
    r = run("summary", write_record(), "--pack", "shanghai", "--unit", "浦东新区", "--out", tmp_path)
    assert r.exit_code == 2 and "--quota" in r.output


def _records(write_record, n):
    from stdnum.cn import uscc

    from formgen.record.ids import org_check_char

    paths = []
    for i in range(n):
        body = f"9131011{i}"
        org = f"5{i}12345{i}"[:8]
        code = body + org + org_check_char(org)
        code += uscc.calc_check_digit(code)

        def edit(d, i=i, code=code):
            d["enterprise"]["name"] = f"示例企业{i + 1}有限公司"
            d["enterprise"]["credit_code"] = code

        paths.append(write_record(edit, name=f"r{i + 1}.yaml"))
    return paths


def test_summary_over_quota_names_who_falls_outside(run, write_record, tmp_path):
    paths = _records(write_record, 3)
    out = tmp_path / "sum"
    r = run("summary", *paths, "--pack", "shanghai", "--unit", "浦东新区", "--quota", 2, "--out", out)
    assert r.exit_code == 1
    assert "超过上限 2 家" in r.output and "第3位 示例企业3有限公司" in r.output
    assert not out.exists()
    r = run("summary", *paths, "--pack", "shanghai", "--unit", "浦东新区", "--quota", 3, "--out", out)
    assert r.exit_code == 0 and len(list(out.iterdir())) == 2


def test_summary_order_file_and_duplicates(run, write_record, tmp_path):
    import openpyxl

    paths = _records(write_record, 3)
    order = tmp_path / "order.txt"
    from formgen.doors.opener import load

    codes = [load(p).record.enterprise.credit_code for p in paths]
    order.write_text(f"{codes[2]}\n{paths[0].name}\n", encoding="utf-8")
    out = tmp_path / "sum"
    r = run("summary", *paths, "--pack", "shanghai", "--unit", "浦东新区", "--quota", 5, "--order", order, "--out", out)
    assert r.exit_code == 0, r.output
    ws = openpyxl.load_workbook(next(out.glob("*.xlsx"))).active
    assert [ws.cell(row, 2).value for row in (5, 6, 7)] == [
        "示例企业3有限公司",
        "示例企业1有限公司",
        "示例企业2有限公司",
    ]
    dup = write_record(lambda d: d["enterprise"].update(credit_code=codes[0]), name="dup.yaml")
    r = run("summary", paths[0], dup, "--pack", "shanghai", "--unit", "浦东新区", "--quota", 5, "--out", tmp_path / "x")
    assert r.exit_code == 1 and "BT001" in r.output and f"{paths[0].name}、{dup.name}" in r.output


def test_summary_excludes_record_with_errors(run, write_record, tmp_path):
    good = _records(write_record, 1)[0]
    r = run(
        "summary",
        good,
        BAD,
        "--pack",
        "shanghai",
        "--unit",
        "浦东新区",
        "--quota",
        5,
        "--out",
        tmp_path / "s",
        "--format",
        "json",
    )
    data = json.loads(r.stdout if hasattr(r, "stdout") else r.output.split("已生成")[0])
    assert [x["name"] for x in data["ranked"]] == ["示例企业1有限公司"]
    bad = next(x for x in data["records"] if x["source"] == str(BAD))
    assert not bad["listed"] and any(f["code"] == "FN001" for f in bad["findings"])
    assert r.exit_code == 3  # written, with a record left off


@pytest.mark.parametrize("args, expected", [(["智能工厂，AI+5G"], "6"), (["hello world 你好"], "4")])
def test_count(run, args, expected):
    r = run("count", *args)
    assert r.exit_code == 0 and r.output.strip() == expected


def test_count_file(run, tmp_path):
    p = tmp_path / "t.txt"
    p.write_text("字" * 300 + "\n", encoding="utf-8")
    assert run("count", "--file", p).output.strip() == "300"


def test_init_writes_commented_blank_and_never_overwrites(run, tmp_path):
    p = tmp_path / "new.yaml"
    r = run("init", p)
    assert r.exit_code == 0
    text = p.read_text(encoding="utf-8")
    assert "name:  # 工厂名称：以“智能工厂”结尾" in text
    assert run("init", p).exit_code == 1
    assert run("validate", p, "--pack", "shanghai").exit_code == 1  # loads, then required fields fail


def test_schema_is_json_schema(run):
    data = json.loads(run("schema").output)
    assert data["properties"]["enterprise"]
    assert data["additionalProperties"] is False
