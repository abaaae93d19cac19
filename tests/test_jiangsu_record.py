"""The jiangsu pack on records: JS rules, the validate summary, the shipped examples."""

import copy

import pytest
import yaml
from click.testing import CliRunner

from formgen.cli import main
from formgen.packs.pack import get_pack

from .conftest import ROOT, codes, validate_with

GOOD = ROOT / "data" / "examples" / "jiangsu-xiyun.yaml"
BAD = ROOT / "data" / "examples" / "jiangsu-bad.yaml"


@pytest.fixture(scope="module")
def good_data():
    return yaml.safe_load(GOOD.read_text(encoding="utf-8"))


@pytest.fixture
def check(tmp_path, good_data):
    def _check(edit):
        data = copy.deepcopy(good_data)
        edit(data)
        path = tmp_path / "r.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return validate_with(path, get_pack("jiangsu"))

    return _check


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_good_example_is_clean_and_summarised():
    r = run("validate", GOOD, "--pack", "jiangsu")
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0] == "检查通过：没有发现问题。"
    assert "数字化转型自评价得分：71.00分（568/800×100，第5题不涉及，权重平均分配到其余8题）" in lines
    assert "建议开展先进级智能工厂的场景自评价（得分高于70分）" in lines
    assert (
        "典型场景自评价（累计，高等级场景计入低等级）：基础级16个（需8个），先进级15个（需15个），"
        "卓越级3个（需20个），领航级0个（需25个）"
    ) in lines
    assert lines[-2] == "数据支持的参考等级：先进级"
    assert lines[-1].startswith("卓越级未满足：") and "卓越级场景3个，不足20个" in lines[-1]


def test_bad_example_names_each_problem():
    r = run("validate", BAD, "--pack", "jiangsu")
    assert r.exit_code == 1
    out = r.output
    for code in ("JS001", "JS002", "JS003", "JS005", "JS006", "JS007", "JS009", "BR001"):
        assert f" {code} " in out, code
    assert "jiangsu-bad.yaml:18: 错误 JS001 dx.q2.score" in out
    assert "基本符合[20-27)，比较符合[27-34)，非常符合[34-40)" in out and "45分属于等级4的基本符合分段" in out
    assert "“供应链物流智能配送”在典型场景对照参考表中基础级为“/”" in out
    assert "数据支持的参考等级：无（未达基础级）" in out
    # the "/" choice counts nowhere
    assert "基础级1个（需8个）" in out


def test_json_output_has_no_summary_lines():
    r = run("validate", GOOD, "--pack", "jiangsu", "--format", "json")
    assert r.output.lstrip().startswith(("{", "["))


def test_other_packs_print_no_summary(tmp_path):
    from .conftest import EXAMPLE

    r = run("validate", EXAMPLE, "--pack", "hebei")
    assert "数字化转型自评价得分" not in r.output


def test_score_band_both_ways(check):
    def at(score):
        return lambda d: d["dx"].__setitem__("q2", {"level": 5, "score": score})

    assert "JS001" not in codes(check(at(60)))
    assert "JS001" not in codes(check(at(79.9)))
    assert "JS001" in codes(check(at(80)))
    assert "JS001" in codes(check(at(59.9)))


def test_level1_scores_zero(check):
    assert "JS001" not in codes(check(lambda d: d["dx"].__setitem__("q4", {"level": 1, "score": 0})))
    assert "JS001" in codes(check(lambda d: d["dx"].__setitem__("q4", {"level": 1, "score": 1})))


def test_not_applicable_only_on_1_5_6(check):
    for no in (1, 5, 6):
        assert "JS002" not in codes(check(lambda d, no=no: d["dx"].__setitem__(f"q{no}", {"level": "不涉及"})))
    for no in (2, 3, 4, 8, 9, 10):
        assert "JS002" in codes(check(lambda d, no=no: d["dx"].__setitem__(f"q{no}", {"level": "不涉及"})))


def test_not_applicable_with_a_score(check):
    f = check(lambda d: d["dx"].__setitem__("q5", {"level": "不涉及", "score": 10}))
    assert "JS003" in codes(f)


def test_total_exactly_60_is_not_above(check):
    def edit(d):
        for no in (1, 2, 3, 4, 6, 8, 9, 10):
            d["dx"][f"q{no}"] = {"level": 5, "score": 60}

    assert "JS004" in codes(check(edit))

    def edit2(d):
        edit(d)
        d["dx"]["q1"] = {"level": 5, "score": 61}

    assert "JS004" not in codes(check(edit2))  # 481/800 = 60.125


def test_scenario_count_both_ways(check):
    # 15 at 先进级 and above: the example holds; drop one and JS007 fires.
    assert "JS007" not in codes(check(lambda d: None))
    f = check(lambda d: d["scenarios"].pop(1))
    assert "JS007" in codes(f)


def test_slash_level_refused(check):
    def edit(d):
        d["scenarios"].append({"stage": "多环节模式创新", "name": "弹性供应链", "level": "先进级"})

    f = check(edit)
    assert "JS005" in codes(f)
    assert "JS005" not in codes(check(lambda d: d["scenarios"][-1].update(level="先进级")))  # 工艺数字化设计


def test_advice_is_a_warning(check):
    def edit(d):
        d["dx"]["q2"] = {"level": 5, "score": 60}
        d["dx"]["q4"] = {"level": 5, "score": 60}

    f = check(edit)  # 536/800 = 67.0: 建议基础级, 申报先进级
    hit = [x for x in f if x.code == "JS008"]
    assert hit and hit[0].severity == "warning" and "仅为建议" in hit[0].message
    assert not [x for x in f if x.is_error]


def test_designation_stands_in_for_scale(check):
    def small(d):
        d["enterprise"]["revenue"] = 1500
        d["enterprise"]["financials"] = []

    assert "BR001" in codes(check(small))

    def designated(d):
        small(d)
        d["enterprise"]["designation"] = "省级专精特新中小企业"

    assert "BR001" not in codes(check(designated))


def test_major_quality_accident_blocks(check):
    def edit(d):
        d["enterprise"]["accident"] = {"occurred": True, "name": "批次质量事件", "severity": "重大"}

    f = check(edit)
    hit = [x for x in f if x.code == "BR002"]
    assert hit and "安全、环保、质量" in hit[0].message
    f = check(lambda d: d["enterprise"].__setitem__("accident", {"occurred": True, "severity": "较大"}))
    assert "BR002" not in codes(f)


def test_cmmm_for_advanced_is_level_two(check):
    assert "EL001" not in codes(check(lambda d: None))
    assert "EL001" in codes(check(lambda d: d["factory"].__setitem__("cmmm", {"level": 1})))


def test_area_must_be_covered_at_the_applied_level(check):
    assert "JS010" not in codes(check(lambda d: None))

    def edit(d):  # the only 运营管理 scenarios drop to 基础级
        for s in d["scenarios"]:
            if s["name"] in ("智慧营销管理", "供应商数智化管理"):
                s["level"] = "基础级"

    f = check(edit)
    hit = [x for x in f if x.code == "JS010"]
    assert hit and "运营管理环节的场景均未达到先进级描述" in hit[0].message
    assert "EL002" not in codes(f)


def test_fill_points_to_selfeval(tmp_path):
    r = CliRunner().invoke(main, ["fill", str(GOOD), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2
    assert "formgen selfeval RECORD" in r.output
    assert not (tmp_path / "o").exists()


def test_workbook_record_round_trip(tmp_path):
    book = tmp_path / "x.xlsx"
    assert run("convert", GOOD, book).exit_code == 0
    r = run("validate", book, "--pack", "jiangsu")
    assert r.exit_code == 0, r.output
    assert "数字化转型自评价得分：71.00分" in r.output and "数据支持的参考等级：先进级" in r.output
