"""Jiangsu 2025 reference data (附件2, 附件3 表2/表3, 对照参考表) and what is computed from it."""

import pytest

from formgen.record import refdata
from formgen.selfeval import scoring as j

# ---- transcribed tables ----------------------------------------------------------------


def test_table2_questions():
    qs = j.questions()
    assert [q["no"] for q in qs] == list(range(1, 11))
    assert len(j.scored_questions()) == 9
    assert j.question(7)["name"] == "数字化投入规模" and j.question(7)["scored"] is False
    assert j.question(7)["latest_year"] == 2024 and j.question(7)["since"] == 2014
    assert [q["no"] for q in qs if q.get("not_applicable")] == [1, 5, 6]
    assert j.question(6)["name"] == "产业链供应链协同数字化水平"
    assert {q["group"] for q in qs if q["no"] <= 7} == {"数字化应用能力"}
    assert {q["group"] for q in qs if q["no"] >= 8} == {"数字化支撑能力"}


def test_table3_bands():
    bs = j.bands()
    assert len(bs) == 16
    assert [b.level for b in bs].count(1) == 1
    for level in range(2, 7):
        lb = j.level_bands(level)
        assert [b.degree for b in lb] == ["基本符合", "比较符合", "非常符合"]
        assert lb[0].low == (level - 2) * 20 and lb[-1].high == (level - 1) * 20
    assert j.level_range_text(2) == "基本符合(0-7)，比较符合[7-14)，非常符合[14-20)"
    assert j.level_bands(6)[-1].text == "[94-100)"


# Every boundary of 表3, both ways: (level, score, 符合程度 or None when outside the level).
BOUNDARIES = [
    (1, 0, None),
    (2, 0, "outside"),
    (2, 0.01, "基本符合"),
    (2, 6.99, "基本符合"),
    (2, 7, "比较符合"),
    (2, 13.99, "比较符合"),
    (2, 14, "非常符合"),
    (2, 19.99, "非常符合"),
    (2, 20, "outside"),
]
for _lv in range(3, 7):
    _lo = (_lv - 2) * 20
    BOUNDARIES += [
        (_lv, _lo - 0.01, "outside"),
        (_lv, _lo, "基本符合"),
        (_lv, _lo + 6.99, "基本符合"),
        (_lv, _lo + 7, "比较符合"),
        (_lv, _lo + 13.99, "比较符合"),
        (_lv, _lo + 14, "非常符合"),
        (_lv, _lo + 19.99, "非常符合"),
        (_lv, _lo + 20, "outside"),
    ]


@pytest.mark.parametrize(("level", "score", "degree"), BOUNDARIES)
def test_band_boundaries(level, score, degree):
    band = j.band_for(level, score)
    if degree == "outside":
        assert band is None
    else:
        assert band is not None and band.degree == degree


def test_level1_only_zero():
    assert j.band_for(1, 0) is not None
    assert j.band_for(1, 0.5) is None


def test_scenario_slashes_on_the_2024_catalogue():
    cat = refdata.catalogue(2024)
    assert len(cat.scenarios) == 40
    slashed = {no: j.slash_levels(no) for no in range(1, 41) if j.slash_levels(no)}
    assert len(slashed) == 15
    assert sum(len(v) for v in slashed.values()) == 23
    assert cat.by_name("供应链物流智能配送").no == 30 and j.slash_levels(30) == ("基础级", "先进级")
    assert j.slash_levels(29) == ()  # 供应商数智化管理: all four levels described
    assert j.slash_levels(cat.by_name("全员数字化管理").no) == ("基础级",)
    assert j.slash_levels(cat.by_name("工厂数字化设计与交付").no) == ("基础级",)
    # no scenario lacks a 卓越级 or 领航级 description
    assert all(set(v) <= {"基础级", "先进级"} for v in slashed.values())


def test_tiers():
    t = {x["level"]: x for x in j.tiers()}
    assert [x["min_scenarios"] for x in j.tiers()] == [8, 15, 20, 25]
    assert [x["min_cmmm"] for x in j.tiers()] == [2, 2, 3, 4]  # 先进级 asks 二级 in Jiangsu
    assert t["基础级"]["areas"] == ["生产作业"]
    assert t["先进级"]["areas"] == ["生产作业", "生产管理", "运营管理"]
    assert len(t["卓越级"]["areas"]) == len(t["领航级"]["areas"]) == 5


# ---- the total and its 不涉及 re-weighting ---------------------------------------------


def test_total_all_apply_is_the_mean():
    answers = {no: (3, 30) for no in (1, 2, 3, 4, 5, 6, 8, 9, 10)}
    assert j.total(answers) == pytest.approx(30)


def test_total_reweights_not_applicable():
    # By hand: q5 and q6 不涉及, 7 questions apply, full marks 7 x 100 = 700.
    # Scores 75 + 62 + 81 + 45 + 68 + 90 + 55 = 476; 476 / 700 x 100 = 68.0.
    answers = {
        1: (5, 75),
        2: (5, 62),
        3: (6, 81),
        4: (4, 45),
        5: (j.NOT_APPLICABLE, None),
        6: (j.NOT_APPLICABLE, None),
        8: (5, 68),
        9: (6, 90),
        10: (4, 55),
    }
    assert j.total(answers) == pytest.approx(68.0)
    # The same scores with q5 and q6 answered at 0 would give 476 / 900 x 100 = 52.89.
    answers[5] = (1, 0)
    answers[6] = (1, 0)
    assert j.total(answers) == pytest.approx(476 / 9)


def test_total_ignores_question7_and_needs_scores():
    answers = {no: (4, 50) for no in (1, 2, 3, 4, 5, 6, 8, 9, 10)}
    answers[7] = (None, 99999)
    assert j.total(answers) == pytest.approx(50)
    del answers[9]
    assert j.total(answers) is None


# ---- scenario counts, conditions, supported level --------------------------------------

PRODUCTION = [9, 10, 11, 12, 13, 14, 15, 16, 17]  # 生产作业 (生产作业, 质量管控, 设备管理)
MANAGEMENT = [7, 8, 18, 19, 20, 21, 22, 23, 24]  # 生产管理
OPERATIONS = [25, 26, 27, 28, 29, 30]  # 运营管理
FACTORY = [1, 2, 31, 32, 33]  # 工厂建设
DESIGN = [3, 4, 5, 6]  # 研发设计
OK_BASICS = {"above_scale": True, "designation": None, "accidents": []}


def test_counts_are_cumulative():
    chosen = {9: "卓越级", 10: "先进级", 11: "基础级", 12: "领航级"}
    assert j.counts(chosen) == {"基础级": 4, "先进级": 3, "卓越级": 2, "领航级": 1}


@pytest.mark.parametrize(("level", "need"), [("基础级", 8), ("先进级", 15), ("卓越级", 20), ("领航级", 25)])
def test_scenario_thresholds_both_ways(level, need):
    pool = PRODUCTION + MANAGEMENT + OPERATIONS + FACTORY + DESIGN
    # enough areas first, then filler, so only the count decides
    order = [9, 7, 25, 1, 3] + [n for n in pool if n not in (9, 7, 25, 1, 3)]
    cmmm = {"基础级": 2, "先进级": 2, "卓越级": 3, "领航级": 4}[level]
    at = {no: level for no in order[:need]}
    assert not [m for m in j.assess(80, at, cmmm, OK_BASICS).unmet[level] if "场景" in m]
    short = {no: level for no in order[: need - 1]}
    miss = j.assess(80, short, cmmm, OK_BASICS).unmet[level]
    assert f"{level}场景{need - 1}个，不足{need}个" in miss


@pytest.mark.parametrize(("level", "need"), [("基础级", 2), ("先进级", 2), ("卓越级", 3), ("领航级", 4)])
def test_cmmm_thresholds_both_ways(level, need):
    chosen = {no: "领航级" for no in PRODUCTION + MANAGEMENT + OPERATIONS + FACTORY}
    assert not [m for m in j.assess(95, chosen, need, OK_BASICS).unmet[level] if "成熟度" in m]
    assert [m for m in j.assess(95, chosen, need - 1, OK_BASICS).unmet[level] if "成熟度" in m]


def test_areas_condition():
    only_production = {no: "先进级" for no in PRODUCTION + [18, 19, 20, 21, 22, 23]}
    a = j.assess(75, only_production, 2, OK_BASICS)
    assert "未覆盖运营管理环节" in a.unmet["先进级"]
    assert a.supported == "基础级"
    # 多环节模式创新 counts toward the number, no area
    assert j.areas_covered({34: "卓越级"}, "基础级") == set()


def test_total_above_60_both_ways():
    chosen = {no: "基础级" for no in PRODUCTION}
    assert j.assess(60.01, chosen, 2, OK_BASICS).supported == "基础级"
    a = j.assess(60, chosen, 2, OK_BASICS)
    assert a.supported is None
    assert "数字化转型自评价得分60.00分，未高于60分" in a.unmet["基础级"]


def test_designation_stands_in_for_scale_and_accidents_block():
    chosen = {no: "基础级" for no in PRODUCTION}
    small = {"above_scale": False, "designation": None, "accidents": []}
    assert j.assess(65, chosen, 2, small).supported is None
    small["designation"] = "省级专精特新中小企业"
    assert j.assess(65, chosen, 2, small).supported == "基础级"
    hit = j.assess(65, chosen, 2, {**OK_BASICS, "accidents": ["质量"]})
    assert hit.supported is None and "近三年发生重大（含）以上质量事故（事件）" in hit.unmet["基础级"]


def test_supported_is_the_highest_level_whose_every_condition_holds():
    chosen = {no: "卓越级" for no in PRODUCTION + MANAGEMENT + OPERATIONS + FACTORY[:1] + DESIGN[:1]}
    assert len(chosen) == 26
    a = j.assess(85, chosen, 3, OK_BASICS)
    assert a.supported == "卓越级"
    assert a.unmet["领航级"] == [
        "未覆盖工厂建设、研发设计、生产作业、生产管理、运营管理环节",
        "领航级场景0个，不足25个",
        "智能制造能力成熟度三级，未达四级",
    ]


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (60, None),
        (60.5, "基础级"),
        (70, "基础级"),
        (70.5, "先进级"),
        (80, "先进级"),
        (80.5, "卓越级"),
        (90, "卓越级"),
        (90.5, "领航级"),
    ],
)
def test_advice_both_ways(score, level):
    assert j.advice(score) == level
