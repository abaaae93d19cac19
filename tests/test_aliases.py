"""Suggestions by meaning (issue 7): data/aliases.yaml pinned against the catalogues and
enumerations, and the SC001/SC002/EN001 messages it produces."""

import pytest
import yaml
from click.testing import CliRunner

from formgen.cli import main
from formgen.packs.pack import get_pack
from formgen.record import refdata
from formgen.record.findings import ERROR
from formgen.record.refdata import ScenarioAlias, catalogue, enum_alias, scenario_alias

from .conftest import ROOT, validate_with

HEBEI_EXAMPLE = ROOT / "data" / "examples" / "hebei-jizhong.yaml"


def _scenarios():
    return refdata.aliases()["scenarios"]


def _names(edition) -> set[str]:
    return {s.name for s in catalogue(edition).scenarios}


def _unchanged() -> set[str]:
    old, new = catalogue(2024), catalogue(2025)
    return {s.name for s in old.scenarios if new.by_name(s.name) and new.by_name(s.name).stage == s.stage}


# --- the data ---


def test_counts():
    sc = _scenarios()
    assert len(sc["twins"]) == 23
    assert sum(old != new for old, new in sc["twins"].items()) == 13  # renamed; the other 10 moved 环节
    assert len(sc["splits"]) == 4 and sum(len(v) for v in sc["splits"].values()) == 8
    assert len(sc["merged"]) == 5
    assert {k: len(v) for k, v in sc["no_counterpart"].items()} == {2024: 3, 2025: 3}
    assert len(_unchanged()) == 5
    assert len(sc["short_names"]) == 94
    assert len(refdata.aliases()["enums"]["shanghai_district"]) == 15


def test_samples():
    sc = _scenarios()
    assert sc["twins"]["智能仓储"] == "仓储智能管理"
    assert sc["twins"]["弹性供应链"] == "供应链风险预警与调度"
    assert sc["splits"]["质量追溯与分析改进"] == ["质量精准追溯", "质量分析与改进"]
    assert sc["short_names"]["智能仓库"] == {2024: "智能仓储", 2025: "仓储智能管理"}
    assert sc["short_names"]["预测性维护"] == {2024: "设备智能运维", 2025: "设备故障诊断与预测"}
    assert enum_alias("shanghai_district", "南汇区") == ("浦东新区", "并入")
    assert enum_alias("shanghai_district", "闸北区") == ("静安区", "并入")
    assert enum_alias("shanghai_district", "卢湾区") == ("黄浦区", "并入")
    assert enum_alias("shanghai_district", "崇明县") == ("崇明区", "撤县设区")
    assert enum_alias("shanghai_district", "浦东新区") is None


def test_twins_pair_real_catalogue_scenarios_one_to_one():
    old, new = catalogue(2024), catalogue(2025)
    twins = _scenarios()["twins"]
    assert set(twins) <= _names(2024) and set(twins.values()) <= _names(2025)
    assert len(set(twins.values())) == len(twins)
    for a, b in twins.items():  # a twin differs in name or 环节, else it needs no alias
        assert a != b or old.by_name(a).stage != new.by_name(b).stage, a


def test_both_catalogues_are_partitioned():
    """Every scenario of each edition is accounted for exactly once, so the table cannot
    silently miss a scenario or name one that does not exist."""
    sc = _scenarios()
    split_parts = [n for v in sc["splits"].values() for n in v]
    merge_targets = {n for v in sc["merged"].values() for n in v}
    old = [*sc["twins"], *sc["splits"], *sc["merged"], *sc["no_counterpart"][2024], *_unchanged()]
    assert len(old) == len(set(old)) == 40 and set(old) == _names(2024)
    twins_new = set(sc["twins"].values())
    new = [*twins_new, *split_parts, *(merge_targets - twins_new), *sc["no_counterpart"][2025], *_unchanged()]
    assert len(new) == len(set(new)) == 40 and set(new) == _names(2025)


def test_short_names_point_at_official_names():
    sc = _scenarios()
    official = _names(2024) | _names(2025)
    stages = set(catalogue(2024).stages) | set(catalogue(2025).stages)
    for short, targets in sc["short_names"].items():
        assert short not in official and short not in stages, short  # those are not aliases
        assert targets and set(targets) <= {2024, 2025}, short
        for edition, name in targets.items():
            assert catalogue(edition).by_name(name), (short, edition, name)


def test_short_names_agree_with_the_twins():
    """A short name given for both editions names the same scenario in each."""
    sc = _scenarios()
    related = {(a, a) for a in _unchanged()} | set(sc["twins"].items())
    related |= {(a, b) for key in ("splits", "merged") for a, bs in sc[key].items() for b in bs}
    for short, t in sc["short_names"].items():
        if len(t) == 2:
            assert (t[2024], t[2025]) in related, short


def test_district_aliases_point_at_current_districts():
    districts = refdata.enums()["shanghai_district"]
    table = refdata.aliases()["enums"]["shanghai_district"]
    for former, entry in table.items():
        assert former not in districts and entry["to"] in districts, former
        assert entry["kind"] in ("并入", "撤县设区")
        assert entry["kind"] != "撤县设区" or former == entry["to"].removesuffix("区") + "县"
    assert set(refdata.aliases()["enums"]) <= set(refdata.enums())


# --- the resolver ---


@pytest.mark.parametrize(
    "edition, name, expected",
    [
        (2025, "智能仓储", ScenarioAlias("twin", ("仓储智能管理",), 2024)),
        (2024, " 仓储智能管理 ", ScenarioAlias("twin", ("智能仓储",), 2025)),
        (2025, "质量追溯与分析改进", ScenarioAlias("split", ("质量精准追溯", "质量分析与改进"), 2024)),
        (2024, "质量精准追溯", ScenarioAlias("part", ("质量追溯与分析改进",), 2025)),
        (2025, "先进工业网络应用", ScenarioAlias("merged", ("数字基础设施建设",), 2024)),
        (
            2024,
            "数字基础设施建设",
            ScenarioAlias("part", ("先进工业网络应用", "工业信息安全管控", "工厂数据资源管理"), 2025),
        ),
        (2024, "数字孪生工厂构建", ScenarioAlias("twin", ("数字孪生工厂运营优化",), 2025)),  # twin before merge
        (2025, "可持续制造", ScenarioAlias("none", (), 2024)),
        (2024, "智能经营决策", ScenarioAlias("none", (), 2025)),
        (2025, "能耗管理", ScenarioAlias("short", ("能源智能管控",), None)),
        (2024, "智能排产", ScenarioAlias("short", ("智能排产调度",), None)),
        (2024, "生产进度", None),  # no 2024 scenario corresponds
        (2024, "智能仓储", None),  # official
        (2025, "随便写的", None),
        (2023, "智能仓储", None),  # an edition the table does not know
    ],
)
def test_scenario_alias(edition, name, expected):
    assert scenario_alias(edition, name) == expected


# --- the rules, run the way users run them ---


def _hebei(tmp_path, edit):
    data = yaml.safe_load(HEBEI_EXAMPLE.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "hebei.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _messages(found, code):
    return [(f.path, f.message) for f in found if f.code == code]


def test_shanghai_2024_name_suggests_its_2025_twin(write_record, shanghai):
    def edit(d):
        d["scenarios"][4]["name"] = "智能仓储"  # 生产管理 / 仓储智能管理 in the example

    (msg,) = _messages(validate_with(write_record(edit), shanghai), "SC001")
    assert msg == (
        "scenarios[4].name",
        "“智能仓储”不是智能制造典型场景参考指引（2025年版）中的场景名称：这是2024年版的名称，2025年版中对应“仓储智能管理”",
    )


def test_shanghai_short_name_split_and_no_counterpart(write_record, shanghai):
    def edit(d):
        d["scenarios"][0]["name"] = "数字孪生"
        d["scenarios"][1]["name"] = "在线智能检查"  # no alias: spelling is the fallback
        d["scenarios"][2]["name"] = "设备智能运维"
        d["scenarios"][5]["name"] = "可持续制造"

    found = dict(_messages(validate_with(write_record(edit), shanghai), "SC001"))
    assert found["scenarios[0].name"].endswith("中的场景名称，应写作“数字孪生工厂构建”（常用简称）")
    assert found["scenarios[2].name"].endswith(
        "这是2024年版的名称，2025年版中已拆分为“设备故障诊断与预测”、“设备维修维护”，请按内容选择"
    )
    assert found["scenarios[5].name"].endswith("这是2024年版的名称，2025年版中没有对应的场景")
    assert found["scenarios[1].name"].endswith("，最接近的是“在线智能检测”")
    assert [p for p, m in found.items() if "最接近" in m] == ["scenarios[1].name"]


def test_hebei_2025_names_suggest_the_2024_ones(tmp_path):
    def edit(d):
        d["scenarios"][4]["name"] = "仓储智能管理"  # 仓储物流 / 智能仓储 in the example
        d["scenarios"][2]["name"] = "质量精准追溯"  # a part of 2024's 质量追溯与分析改进
        d["scenarios"][1]["name"] = "预测性维护"

    found = dict(_messages(validate_with(_hebei(tmp_path, edit), get_pack("hebei")), "SC001"))
    tail = "：这是2025年版的名称，2024年版中对应"
    assert (
        found["scenarios[4].name"]
        == f"“仓储智能管理”不是智能制造典型场景参考指引（2024年版）中的场景名称{tail}“智能仓储”"
    )
    assert found["scenarios[2].name"].endswith(f"{tail}“质量追溯与分析改进”")
    assert found["scenarios[1].name"].endswith("应写作“设备智能运维”（常用简称）")


def test_hebei_2025_stage_names_the_scenario_stage(tmp_path):
    def edit(d):
        d["scenarios"][4].update(stage="生产管理", name="仓储智能管理")  # both 2025

    found = validate_with(_hebei(tmp_path, edit), get_pack("hebei"))
    ((path, msg),) = _messages(found, "SC002")
    assert path == "scenarios[4].stage" and msg.endswith("；场景“智能仓储”属于“仓储物流”环节")


@pytest.mark.parametrize(
    "former, message",
    [
        ("南汇区", "“南汇区”已并入浦东新区，请填写“浦东新区”"),
        ("闸北区", "“闸北区”已并入静安区，请填写“静安区”"),
        ("卢湾区", "“卢湾区”已并入黄浦区，请填写“黄浦区”"),
        ("崇明县", "“崇明县”已撤县设区为崇明区，请填写“崇明区”"),
    ],
)
def test_former_shanghai_district(write_record, shanghai, former, message):
    def edit(d):
        d["factory"]["region"]["district"] = former

    found = [f for f in validate_with(write_record(edit), shanghai) if f.code == "EN001"]
    assert [(f.path, f.severity, f.message) for f in found] == [("factory.region.district", ERROR, message)]


def test_validate_command_prints_the_alias(write_record):
    def edit(d):
        d["factory"]["region"]["district"] = "闸北区"
        d["scenarios"][3]["name"] = "智能排产"

    path = write_record(edit)
    r = CliRunner().invoke(main, ["validate", str(path), "--pack", "shanghai"], catch_exceptions=False)
    assert r.exit_code == 1
    assert "错误 EN001 factory.region.district「所属区域」：“闸北区”已并入静安区，请填写“静安区”" in r.output
    assert "SC001 scenarios[3].name" in r.output and "应写作“车间智能排产”（常用简称）" in r.output
