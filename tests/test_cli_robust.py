"""The command line under bad input and a bad environment (issue 8): one line per
problem, exit 2, never a traceback, never an applicant lost without a word."""

import shutil

import pytest
import yaml
from click.testing import CliRunner

from formgen.cli import main

from .conftest import ROOT

HEBEI = ROOT / "data" / "examples" / "hebei-jizhong.yaml"


def run(*args, **kw):
    return CliRunner().invoke(main, [str(a) for a in args], **kw)


def no_traceback(r):
    assert "Traceback" not in r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception


def test_upper_case_suffix_is_read(tmp_path):
    folder = tmp_path / "recs"
    folder.mkdir()
    shutil.copy(HEBEI, folder / "企业A.YAML")
    r = run("summary", folder, "--pack", "hebei", "--unit", "石家庄市", "--out", tmp_path / "o", "--format", "json")
    no_traceback(r)
    assert "企业A.YAML" in r.output and r.exit_code == 0


def test_empty_folder_is_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("x", encoding="utf-8")
    r = run("summary", tmp_path / "empty", "--pack", "hebei", "--unit", "石家庄市", "--out", tmp_path / "o")
    assert r.exit_code == 2 and "文件夹中没有记录文件" in r.output and not (tmp_path / "o").exists()


def test_missing_record_path_is_an_error(tmp_path):
    r = run("summary", tmp_path / "nope.yaml", "--pack", "hebei", "--unit", "石家庄市", "--out", tmp_path / "o")
    assert r.exit_code == 2 and "文件不存在" in r.output


def test_folder_read_in_natural_order(tmp_path):
    from stdnum.cn import uscc

    from formgen.record.ids import org_check_char

    data = yaml.safe_load(HEBEI.read_text(encoding="utf-8"))
    folder = tmp_path / "recs"
    folder.mkdir()
    for i in (10, 2, 1):
        org = f"8{i:02d}18273"[:8]
        code = "91130100" + org + org_check_char(org)
        data["enterprise"]["credit_code"] = code + uscc.calc_check_digit(code)
        data["enterprise"]["name"] = f"河北排序示例{i}号有限公司"
        (folder / f"c{i}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    r = run("summary", folder, "--pack", "hebei", "--unit", "石家庄市", "--out", tmp_path / "o")
    assert r.exit_code == 0, r.output
    order = [ln.split("（")[0].strip() for ln in r.output.splitlines() if "：列入" in ln]
    assert order == ["1. 河北排序示例1号有限公司", "2. 河北排序示例2号有限公司", "3. 河北排序示例10号有限公司"]


@pytest.mark.parametrize("unit", ["石家庄\x07市", "石家庄\udcff市"])
def test_unit_with_control_or_undecodable_characters(tmp_path, unit):
    r = run("summary", HEBEI, "--pack", "hebei", "--unit", unit, "--out", tmp_path / "o")
    no_traceback(r)
    assert r.exit_code == 2 and "推荐单位名称含有不能写入文档的字符" in r.output and not (tmp_path / "o").exists()


def test_count_reads_gbk_text(tmp_path):
    p = tmp_path / "part1.txt"
    p.write_bytes(("智能工厂" * 75).encode("gbk"))
    r = run("count", "--file", p)
    assert r.exit_code == 0 and r.output.strip() == "300"


def test_count_refuses_binary_and_word_files_in_one_line(tmp_path):
    p = tmp_path / "x.bin"
    p.write_bytes(bytes(range(256)) * 4)
    r = run("count", "--file", p)
    no_traceback(r)
    assert r.exit_code == 2 and len(r.output.strip().splitlines()) == 1
    d = tmp_path / "申报书.docx"
    d.write_bytes(b"PK\x03\x04")  # a .docx is counted as Word counts it; a broken one refused in a line
    r = run("count", "--file", d)
    no_traceback(r)
    assert r.exit_code == 2 and len(r.output.strip().splitlines()) == 1


def test_count_from_stdin_is_bounded_and_decoded():
    r = CliRunner().invoke(main, ["count", "--file", "-"], input=("智能工厂" * 10).encode("gbk"))
    assert r.exit_code == 0 and r.output.strip() == "40"
    r = CliRunner().invoke(main, ["count", "--file", "-"], input=b"x" * (5 * 1024 * 1024 + 10))
    assert r.exit_code == 2 and "5 MB" in r.output


def test_order_file_in_gbk_and_undecodable(tmp_path):
    order = tmp_path / "order.txt"
    order.write_bytes("# 优先顺序\n91130100601827353C\n".encode("gbk"))
    r = run("summary", HEBEI, "--pack", "hebei", "--unit", "石家庄市", "--order", order, "--out", tmp_path / "o")
    assert r.exit_code == 0, r.output
    order.write_bytes(b"\xff\xfe\x00\xd8\x00\x00\x81")
    r = run("summary", HEBEI, "--pack", "hebei", "--unit", "石家庄市", "--order", order, "--out", tmp_path / "p")
    no_traceback(r)
    assert r.exit_code == 2 and "排序文件" in r.output and not (tmp_path / "p").exists()


def test_allow_outside_lets_a_figure_elsewhere_through(write_record, figures_dir):
    path = write_record(lambda d: d["figures"][0].update(file=str(figures_dir / "fig01.jpg")))
    assert "FG002" in run("validate", path, "--pack", "shanghai").output
    r = run("validate", path, "--pack", "shanghai", "--allow-outside")
    assert r.exit_code == 0 and "FG002" not in r.output


def test_unexpected_error_is_one_line(monkeypatch, write_record):
    from formgen import app

    def boom(*a, **k):
        raise RuntimeError("模拟的内部错误")

    monkeypatch.setattr(app, "check_entry", boom)
    r = run("validate", write_record(), "--pack", "shanghai")
    assert r.exit_code == 2 and "模拟的内部错误" in r.output and "FORMGEN_DEBUG" in r.output
    assert "Traceback" not in r.output


def test_long_enterprise_name_is_shortened_and_said(tmp_path):
    data = yaml.safe_load((ROOT / "data" / "examples" / "gansu-longyuan.yaml").read_text(encoding="utf-8"))
    data["enterprise"]["name"] = "甘肃" + "𠀀精工机械" * 15 + "有限公司"
    rec = tmp_path / "long.yaml"
    rec.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    r = run("fill", rec, "--pack", "gansu", "--out", tmp_path / "o", "--draft")
    no_traceback(r)
    assert r.exit_code == 0, r.output
    lines = [ln for ln in r.output.splitlines() if ln.startswith("已生成：")]
    assert lines and all("文件名过长，已缩短为 附件" in ln for ln in lines)
    assert all(len(p.name.encode()) <= 255 for p in (tmp_path / "o").iterdir())


def test_out_pointing_at_a_file_is_one_chinese_line(tmp_path):
    f = tmp_path / "out.txt"
    f.write_text("x", encoding="utf-8")
    r = run("fill", ROOT / "data" / "examples" / "gansu-longyuan.yaml", "--pack", "gansu", "--out", f)
    no_traceback(r)
    assert r.exit_code == 1 and "不是文件夹" in r.output and f.read_text(encoding="utf-8") == "x"


def test_validate_a_word_file_points_to_check(tmp_path):
    d = tmp_path / "申报书.docx"
    d.write_bytes(b"PK\x03\x04")
    r = run("validate", d, "--pack", "shanghai")
    assert r.exit_code == 2 and "formgen check" in r.output and "UTF-8" not in r.output
