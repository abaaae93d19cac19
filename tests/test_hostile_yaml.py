"""Hostile YAML: every input is refused with one Chinese line, bounded work, no traceback.

Each case is loaded through formgen.doors.opener.load and through `formgen validate FILE
--pack shanghai`: a file that cannot be read exits 2 with the finding on the first line;
a value (or key) that cannot be read is left out of a record that is read, and exits 1
with the finding on the first line, the other rules run after it. The bombs are refused
before anything is expanded: running them here is the test that they finish.
"""

from __future__ import annotations

import os
import re

import pytest
from click.testing import CliRunner

import formgen.record.loader
from formgen.cli import main
from formgen.doors.opener import load
from formgen.record.loader import LoadError

LAUGHS = "\n".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(
            f"{k}: &{k} [{','.join([f'*{p}'] * 9)}]"
            for p, k in zip("abcdefgh", "bcdefghi", strict=True)  # each level nine times the one before
        ),
    ]
)

# name -> (file text, code, path of the finding or "", words the message holds)
CASES = {
    "billion_laughs": (LAUGHS, "IN009", "", "展开别名后超过 100,000 个节点的上限"),
    "merge_key_bomb": (
        "a: &a {x: 1, y: 2, z: 3}\n"
        + "".join(
            f"{k}: &{k} {{<<: [{', '.join([f'*{p}'] * 9)}]}}\n" for p, k in zip("abcdefgh", "bcdefghi", strict=True)
        ),
        "IN009",
        "",
        "展开别名后超过 100,000 个节点的上限",
    ),
    "deep_flow_lists": ("kpis: " + "[" * 100_000 + "]" * 100_000 + "\n", "IN009", "", "嵌套超过 64 层的上限"),
    "deep_flow_maps": ("kpis: " + "{a: " * 5_000 + "1" + "}" * 5_000 + "\n", "IN009", "", "嵌套超过 64 层的上限"),
    "deep_block_maps": (
        "".join(f"{' ' * i}k{i}:\n" for i in range(200)) + " " * 200 + "x: 1\n",
        "IN009",
        "",
        "嵌套超过 64 层的上限",
    ),
    "deep_through_aliases": (
        "a: &a " + "[" * 40 + "]" * 40 + "\nb: " + "[" * 40 + "*a" + "]" * 40 + "\n",
        "IN009",
        "",
        "展开别名后嵌套超过 64 层的上限",
    ),
    "alias_to_itself": ("kpis: &a [1, *a]\n", "IN009", "", "循环引用"),
    "int_over_4300_digits": (
        "enterprise:\n  employees: " + "9" * 5_000 + "\n",
        "IN007",
        "enterprise.employees",
        "数字过长（5000 位）",
    ),
    "int_over_4300_digits_amount": (
        "factory:\n  investment: " + "9" * 5_000 + "\n",
        "IN007",
        "factory.investment",
        "数字过长（5000 位）",
    ),
    "hex_int_too_long_to_print": (
        "enterprise:\n  financials:\n    - year: 0x" + "f" * 4_000 + "\n",
        "IN007",
        "enterprise.financials[0].year",
        "数字过长",
    ),
    "tiny_exponent": ("factory:\n  investment: 1e-999999999\n", "IN007", "factory.investment", "小数位数过多"),
    "huge_exponent": ("factory:\n  investment: 1e999999999\n", "IN007", "factory.investment", "数值过大"),
    "many_decimals": (
        "factory:\n  investment: '0." + "0" * 5_000 + "1'\n",  # quoted: unquoted, YAML reads it as the float 0.0
        "IN007",
        "factory.investment",
        "小数位数过多",
    ),
    "many_digits": ("factory:\n  investment: '1." + "5" * 5_000 + "'\n", "IN007", "factory.investment", "数字位数过多"),
    "nan": ("factory:\n  investment: .nan\n", "IN007", "factory.investment", "应为有限数字"),
    "nan_text": ("factory:\n  investment: NaN\n", "IN007", "factory.investment", "应为有限数字"),
    "signalling_nan": ("factory:\n  investment: sNaN\n", "IN007", "factory.investment", "应为有限数字"),
    "infinity": ("factory:\n  investment: .inf\n", "IN007", "factory.investment", "应为有限数字"),
    "minus_infinity_percent": (
        "factory:\n  line:\n    automated_share: -Infinity\n",
        "IN007",
        "factory.line.automated_share",
        "应为有限数字",
    ),
    "kpi_value_nan": ("kpis:\n  生产效率提升: .nan\n", "IN007", "kpis.生产效率提升", "应为有限数字"),
    "surrogate_in_value": ('enterprise:\n  name: "甲\\ud800乙"\n', "IN007", "enterprise.name", "U+D800"),
    "surrogate_in_kpi_name": (
        'kpis:\n  "\\ud800": 5\n',
        "IN008",
        "kpis.\\ud800",
        "字段名含有文档不允许的控制字符 U+D800",
    ),
    "surrogate_in_unknown_key": ('"\\udfff": 1\n', "IN008", "\\udfff", "U+DFFF"),
    "control_char_in_kpi_name": ('kpis:\n  "效率\\x01提升": 5\n', "IN008", "kpis.效率\\x01提升", "U+0001"),
    "raw_control_char_in_kpi_name": (
        "kpis:\n  效率\x02提升: 5\n",
        "IN008",
        "kpis.效率\\x02提升",
        "字段名含有文档不允许的控制字符 U+0002",
    ),
    "employees_true": ("enterprise:\n  employees: true\n", "IN007", "enterprise.employees", "不是 true/false"),
    "binary_as_text": ("enterprise:\n  name: !!binary AAE=\n", "IN007", "enterprise.name", "应为文本"),
    "timestamp_tag_on_text": ("enterprise:\n  founded: !!timestamp 很早\n", "IN003", "", "不符合标签 !!timestamp"),
    "value_not_its_tag": ("enterprise:\n  employees: !!float 很多\n", "IN003", "", "不符合标签 !!float"),
    "python_object_tag": (
        "enterprise:\n  name: !!python/object/apply:os.system [ls]\n",
        "IN003",
        "",
        "不支持 YAML 标签",
    ),
}

# keys written with an escape YAML reads: the record is read without them
KEYS_LEFT_OUT = {"surrogate_in_kpi_name", "surrogate_in_unknown_key", "control_char_in_kpi_name"}
CJK = re.compile("[\u4e00-\u9fff]")


def _write(tmp_path, text: str):
    p = tmp_path / "hostile.yaml"
    p.write_text(text, encoding="utf-8", errors="surrogatepass")
    return p


def _refused(path) -> list:
    with pytest.raises(LoadError) as e:
        load(path)
    return e.value.findings


def _findings(path) -> tuple[list, bool]:
    """The findings, and whether the file was read (a value left out) or refused."""
    try:
        return load(path).notes, True
    except LoadError as e:
        return e.findings, False


def _cli(path):
    return CliRunner().invoke(main, ["validate", str(path), "--pack", "shanghai"])


def _assert_one_clean_line(result, code, read=False):
    assert result.exit_code == (1 if read else 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    first = result.output.splitlines()[0]
    assert f"错误 {code}" in first and CJK.search(first.split(code, 1)[1])
    if read:  # the other rules ran on the rest of the record
        assert result.output.count(f"错误 {code}") == 1 and "错误 RQ001" in result.output
    else:
        assert result.output.splitlines()[1] == "共 1 个错误，0 个警告。"


@pytest.mark.parametrize("name", CASES)
def test_hostile_input_is_one_chinese_finding(tmp_path, name):
    text, code, path, words = CASES[name]
    found, read = _findings(_write(tmp_path, text))
    (f,) = found
    assert (f.code, f.path) == (code, path) and words in f.message, f.text()
    assert read == (code == "IN007" or name in KEYS_LEFT_OUT)
    assert f.text().count("\n") == 0 and CJK.search(f.message) and len(f.text()) < 300
    f.text().encode("utf-8")  # printable: no lone surrogate left in any part
    _assert_one_clean_line(_cli(_write(tmp_path, text)), code, read)


def test_billion_laughs_is_the_340_byte_bomb_and_names_its_line(tmp_path):
    assert len(LAUGHS.encode()) < 400
    (f,) = _refused(_write(tmp_path, LAUGHS))
    assert f.line == 6  # the anchor whose expansion first passes the limit (9^6 nodes)


def test_node_limit_applies_while_composing(tmp_path, monkeypatch):
    # the same limit without aliases: stop composing at MAX_NODES (lowered here to keep the test fast)
    monkeypatch.setattr(formgen.record.loader, "MAX_NODES", 1_000)
    (f,) = _refused(_write(tmp_path, "kpis: [" + "1, " * 2_000 + "]\n"))
    assert f.code == "IN009" and "超过 1,000 个节点的上限" in f.message


def test_within_the_limits_aliases_still_load(tmp_path):
    p = _write(tmp_path, "factory:\n  integrators: &who [甲公司, 乙公司]\nscenarios:\n  - suppliers: *who\n")
    r = load(p).record
    assert r.scenarios[0].suppliers == ["甲公司", "乙公司"] == r.factory.integrators


def test_nesting_at_the_limit_is_fine(tmp_path):
    deep = "[" * 63 + "]" * 63  # 63 lists under the top-level mapping: 64 levels
    found, read = _findings(_write(tmp_path, f"kpis: {deep}\n"))
    assert read and [f.code for f in found] == ["IN007"]  # read, its value refused for its type: not a size problem


def test_long_number_in_a_text_field_stays_text(tmp_path):
    p = _write(tmp_path, "people:\n  head:\n    mobile: " + "1" * 5_000 + "\n")
    assert load(p).record.people.head.mobile == "1" * 5_000


def test_file_over_the_size_cap(tmp_path):
    p = tmp_path / "big.yaml"
    p.write_bytes(b"enterprise:\n  intro: " + b"x" * (5 * 1024 * 1024) + b"\n")
    (f,) = _refused(p)
    assert f.code == "IN001" and "记录文件超过 5 MB 的上限" in f.message
    _assert_one_clean_line(_cli(p), "IN001")


def test_directory_is_not_a_record(tmp_path):
    (f,) = _refused(tmp_path)
    assert f.code == "IN001" and "文件夹" in f.message
    # the CLI's own argument check (click) refuses a directory before the loader sees it
    r = _cli(tmp_path)
    assert r.exit_code == 2 and "Traceback" not in r.output


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)  # no writer: opening it for reading would wait forever
    (f,) = _refused(fifo)
    assert f.code == "IN001" and "不是普通文件" in f.message
    _assert_one_clean_line(_cli(fifo), "IN001")


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_device_is_refused_without_reading_it():
    (f,) = _refused("/dev/zero")
    assert f.code == "IN001" and "不是普通文件" in f.message
    _assert_one_clean_line(_cli("/dev/zero"), "IN001")


def test_missing_file_in_chinese(tmp_path):
    (f,) = _refused(tmp_path / "none.yaml")
    assert f.code == "IN001" and f.message == "无法读取文件：文件不存在"


def test_deep_unclosed_nesting_is_refused_for_depth_first(tmp_path):
    (f,) = _refused(_write(tmp_path, "kpis: " + "[" * 100_000 + "\n"))
    assert f.code == "IN009" and "嵌套超过 64 层的上限" in f.message
