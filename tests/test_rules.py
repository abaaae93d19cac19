"""Each rule at its boundary, run the way a user runs it: on a record file, with a pack."""

from decimal import Decimal

import pytest

from formgen.record.model import cmmm_level_for as level_for
from formgen.rules import REGISTRY
from formgen.rules.size import size_for

from .conftest import codes, validate_with


def test_example_record_is_clean(write_record, shanghai):
    assert validate_with(write_record(), shanghai) == []


def test_every_rule_has_code_title_and_severity():
    assert len(REGISTRY) >= 30
    for code, r in REGISTRY.items():
        assert code == r.code and r.title and r.severity in ("error", "warning")


def set_name(name):
    def edit(d):
        d["factory"]["name"] = name

    return edit


@pytest.mark.parametrize(
    "name, expected",
    [
        ("澄川精密汽车零部件智能工厂", []),
        ("智" * 10 + "智能工厂", []),  # exactly 14
        ("智" * 11 + "智能工厂", ["FN003"]),  # 15
        ("AI" + "智" * 8 + "智能工厂", []),  # 12.67 -> 13
        ("ABCD" + "智" * 9 + "智能工厂", ["FN003"]),  # 13 + 1.33 -> 15
        ("澄川精密智能车间", ["FN002"]),
        ("澄川精密智能化项目", ["FN002"]),
        ("澄川精密数字化工厂", ["FN001"]),
    ],
)
def test_factory_name(write_record, shanghai, name, expected):
    found = [f for f in validate_with(write_record(set_name(name)), shanghai) if f.code.startswith("FN")]
    assert codes(found) == expected
    for f in found:
        assert f.path == "factory.name" and f.label == "工厂名称" and f.severity == "error"


def test_factory_name_message_shows_computed_length(write_record, shanghai):
    (f,) = [
        f for f in validate_with(write_record(set_name("ABCD" + "智" * 9 + "智能工厂")), shanghai) if f.code == "FN003"
    ]
    assert "14.33" in f.message and "15" in f.message and "14 个的上限" in f.message


def test_bad_suffix_is_named_specifically(write_record, shanghai):
    (f,) = [f for f in validate_with(write_record(set_name("澄川精密智能车间")), shanghai) if f.code == "FN002"]
    assert "不能以“车间”结尾" in f.message


def _narrative_total(n):
    """Set the Shanghai parts to exactly ``n`` 字 in total."""

    def edit(d):
        keys = [
            "development",
            "business",
            "build_history",
            "architecture",
            "elements",
            "tech_innovation",
            "new_tech",
            "supply_chain",
            "green",
            "efficiency",
            "leadership",
        ]
        for k in keys:
            d["narrative"][k] = "字" * 10
        d["narrative"]["development"] = "字" * (n - 100)

    return edit


@pytest.mark.parametrize("total, expected", [(2999, ["WC002"]), (3000, []), (5000, []), (5001, ["WC001"])])
def test_application_length_3000_to_5000(write_record, shanghai, total, expected):
    found = [f for f in validate_with(write_record(_narrative_total(total)), shanghai) if f.code.startswith("WC")]
    assert codes(found) == expected
    if found:
        assert found[0].label == "申报书第一至四部分正文" and str(total) in found[0].message


def test_limit_fires_at_301_not_300(write_record, tmp_path, shanghai):
    from formgen.app import validate
    from formgen.doors.opener import load

    pack = shanghai
    original = pack.checks
    pack.checks = {"lengths": [{"path": "scenarios[].description", "max": 300}]}
    try:

        def edit(d):
            d["scenarios"][0]["description"] = "字" * 300
            d["scenarios"][1]["description"] = "字" * 299 + "，"
            d["scenarios"][2]["description"] = "字" * 300 + "A"

        found = [f for f in validate(load(write_record(edit)), pack) if f.code == "WC001"]
    finally:
        pack.checks = original
    assert [f.path for f in found] == ["scenarios[2].description"]
    assert "共 301 字" in found[0].message


@pytest.mark.parametrize(
    "score, level",
    [
        ("0.79", None),
        ("0.8", 1),
        ("1.79", 1),
        ("1.8", 2),
        ("2.79", 2),
        ("2.8", 3),
        ("3.38", 3),
        ("3.8", 4),
        ("4.79", 4),
        ("4.8", 5),
        ("5", 5),
    ],
)
def test_cmmm_bands(score, level):
    assert level_for(Decimal(score)) == level


@pytest.mark.parametrize(
    "score, level, expected",
    [
        (2.8, 3, []),
        (2.79, 3, ["CM001"]),
        (3.12, 2, ["CM001", "CM002"]),
        (4.8, 5, []),
        (4.79, 5, ["CM001"]),
    ],
)
def test_cmmm_score_and_level_agree(write_record, shanghai, score, level, expected):
    def edit(d):
        d["factory"]["cmmm"].update(score=score, level=level)

    found = [f for f in validate_with(write_record(edit), shanghai) if f.code.startswith("CM")]
    assert sorted(codes(found)) == expected


@pytest.mark.parametrize(
    "people, revenue, size",
    [
        (1000, 40000, "大型"),
        (999, 40000, "中型"),
        (1000, 39999, "中型"),
        (300, 2000, "中型"),
        (299, 2000, "小型"),
        (300, 1999, "小型"),
        (20, 300, "小型"),
        (19, 300, "微型"),
        (20, 299, "微型"),
    ],
)
def test_size_thresholds(people, revenue, size):
    assert size_for(people, Decimal(revenue)) == size


def test_declared_size_must_agree(write_record, shanghai):
    def edit(d):
        d["enterprise"].update(employees=999, size="大型")

    (f,) = [f for f in validate_with(write_record(edit), shanghai) if f.code == "SZ001"]
    assert f.path == "enterprise.size" and "应为中型企业" in f.message


def test_credit_code_and_phones(write_record, shanghai):
    def edit(d):
        d["enterprise"]["credit_code"] = "91310115MA1FL8TQ6D"
        d["people"]["head"]["mobile"] = "1390176228"
        d["people"]["contact"]["phone"] = "58123478"
        d["people"]["contact"]["email"] = "linxw@"

    found = validate_with(write_record(edit), shanghai)
    by_code = {f.code: f for f in found}
    assert by_code["ID001"].label == "统一社会信用代码"
    assert by_code["PH001"].path == "people.head.mobile"
    assert by_code["PH001"].label == "企业负责人（手机号码）"
    assert by_code["PH002"].path == "people.contact.phone"
    assert by_code["PH004"].path == "people.contact.email"


@pytest.mark.parametrize("phone", ["0311-87800803", "021-58123478", "13901762288", "010 6820 5630"])
def test_landline_or_mobile_accepted(write_record, shanghai, phone):
    def edit(d):
        d["people"]["contact"]["phone"] = phone

    assert "PH002" not in codes(validate_with(write_record(edit), shanghai))


def test_shanghai_enumerations(write_record, shanghai):
    def edit(d):
        d["enterprise"]["industry"]["shanghai"] = "汽车制造"
        d["factory"]["region"]["district"] = "南汇区"

    found = [f for f in validate_with(write_record(edit), shanghai) if f.code == "EN001"]
    assert [f.path for f in found] == ["enterprise.industry.shanghai", "factory.region.district"]
    assert "是否为“汽车”" in found[0].message
    assert found[1].label == "所属区域"


def test_scenario_near_miss_suggests_official_name(write_record, shanghai):
    def edit(d):
        d["scenarios"][1]["name"] = "在线智能检查"
        d["scenarios"][2]["stage"] = "生产管理"

    found = validate_with(write_record(edit), shanghai)
    (sc1,) = [f for f in found if f.code == "SC001"]
    assert sc1.path == "scenarios[1].name" and "最接近的是“在线智能检测”" in sc1.message
    (sc2,) = [f for f in found if f.code == "SC002"]
    assert "属于“生产作业”环节" in sc2.message


def test_financial_consistency(write_record, shanghai):
    def edit(d):
        d["enterprise"]["financials"][1]["year"] = 2025
        d["enterprise"]["financials"][0]["debt_ratio"] = 45.1  # actual 45.00
        d["enterprise"]["financials"][2]["profit_margin"] = 10.15  # actual 10.2000, tol 0.005

    found = codes(validate_with(write_record(edit), shanghai))
    assert {"FI001", "FI002", "FI003"} <= set(found)


def test_ratios_within_rounding_pass(write_record, shanghai):
    def edit(d):
        d["enterprise"]["financials"][0]["debt_ratio"] = 45  # 45.00 exactly
        d["enterprise"]["financials"][1]["debt_ratio"] = 43.51  # 43.5062 rounds to 43.51

    assert not {"FI002"} & set(codes(validate_with(write_record(edit), shanghai)))


def test_required_fields_name_the_form(write_record, shanghai):
    def edit(d):
        del d["factory"]["address"]
        d["narrative"]["architecture"] = ""
        d["enterprise"]["group"] = None  # optional (如有)

    found = [f for f in validate_with(write_record(edit), shanghai) if f.code == "RQ001"]
    assert [f.path for f in found] == ["factory.address", "narrative.architecture"]
    assert found[0].label == "工厂地址" and "附件3" in found[0].message
    assert "必填项" in found[1].label and "附件4" in found[1].message


def test_eligibility_areas_and_cmmm(write_record, shanghai):
    def edit(d):
        d["scenarios"] = [s for s in d["scenarios"] if s["stage"] != "生产管理"]

    (f,) = [f for f in validate_with(write_record(edit), shanghai) if f.code == "EL002"]
    assert "尚缺生产管理" in f.message


def test_ai_share_for_zhuoyue(write_record, shanghai):
    def edit(d):
        d["factory"]["level"] = "卓越级"
        for s in d["scenarios"]:
            s["ai"] = False
        d["scenarios"][0]["ai"] = True  # 1 of 7 = 14.3% < 20%

    found = validate_with(write_record(edit), shanghai)
    assert "EL003" in codes(found)
    el2 = [f for f in found if f.code == "EL002"]
    assert el2 and el2[0].severity == "warning"  # 卓越级: 原则上 all five areas


def test_kpi_name_typo_warns(write_record, shanghai):
    def edit(d):
        d["kpis"]["生产效率提高"] = 3

    (f,) = [f for f in validate_with(write_record(edit), shanghai) if f.code == "KP001"]
    assert f.severity == "warning" and "生产效率提升" in f.message


def test_figures_rules(write_record, shanghai, tmp_path):
    from PIL import Image

    small = tmp_path / "rec" / "small.png"
    small.parent.mkdir(exist_ok=True)
    Image.new("RGB", (1000, 800)).save(small)
    (tmp_path / "rec" / "not-an-image.jpg").write_text("hello")

    def edit(d):
        d["figures"] = d["figures"][:8]
        d["figures"][0]["file"] = "small.png"
        d["figures"][1]["file"] = "not-an-image.jpg"
        d["figures"][2]["file"] = "missing.jpg"
        d["figures"][3]["caption"] = ""

    found = [f for f in validate_with(write_record(edit), shanghai) if f.code.startswith("FG")]
    got = {(f.code, f.path) for f in found}
    assert ("FG001", "figures") in got
    assert ("FG003", "figures[0].file") in got and ("FG004", "figures[0].file") in got
    assert ("FG002", "figures[1].file") in got and ("FG002", "figures[2].file") in got
    assert ("FG005", "figures[3].caption") in got
    assert any("共 8 张" in f.message for f in found)


def test_bad_example_trips_every_shanghai_rule(shanghai):
    from .conftest import BAD

    found = set(codes(validate_with(BAD, shanghai)))
    expected = {
        "AT001",
        "BR001",
        "BR002",
        "DT003",
        "KP002",
        "KP003",
        "RG004",
        "FN001",
        "FN003",
        "WC002",
        "ID001",
        "PH001",
        "PH002",
        "PH004",
        "EN001",
        "CM001",
        "CM002",
        "SZ001",
        "FI001",
        "FI002",
        "FI003",
        "RQ001",
        "SC001",
        "SC002",
        "FG001",
        "FG002",
        "EL001",
        "EL002",
        "KP001",
        "DT001",
    }
    assert expected <= found, expected - found


def test_org_code_rules(write_record, shanghai):
    def edit(d):
        d["enterprise"]["org_code"] = "MA1FL8TQ7"  # wrong check character

    found = {f.code: f for f in validate_with(write_record(edit), shanghai)}
    assert "ID002" in found and "第9位应为 6" in found["ID002"].message

    def edit2(d):
        d["enterprise"]["org_code"] = "79965505-8"  # valid, but not the credit code's

    found = {f.code: f for f in validate_with(write_record(edit2), shanghai)}
    assert "ID002" not in found and "MA1FL8TQ6" in found["ID003"].message


def test_fax_format(write_record, shanghai):
    def edit(d):
        d["people"]["contact"]["fax"] = "58123400"

    (f,) = [f for f in validate_with(write_record(edit), shanghai) if f.code == "PH003"]
    assert f.path == "people.contact.fax"


@pytest.mark.parametrize("n, warned", [(299, True), (300, False), (500, False), (501, True)])
def test_soft_target_warns_but_never_refuses(write_record, shanghai, n, warned):
    original = shanghai.checks
    shanghai.checks = {"lengths": [{"path": "enterprise.intro", "target": [300, 500]}]}
    try:
        found = validate_with(write_record(lambda d: d["enterprise"].update(intro="字" * n)), shanghai)
    finally:
        shanghai.checks = original
    hits = [f for f in found if f.code == "WC003"]
    assert bool(hits) == warned
    assert all(f.severity == "warning" for f in hits) and not any(f.is_error for f in found)
    if hits:
        assert "建议 400 字左右" in hits[0].message


def test_pack_deadlines_warn_within_three_days(tmp_path, write_record, monkeypatch):
    import datetime as dt
    import shutil

    import yaml

    from formgen.app import validate
    from formgen.doors.opener import load
    from formgen.packs.pack import get_pack

    from .conftest import ROOT

    folder = tmp_path / "packs" / "shanghai-test"
    shutil.copytree(ROOT / "forms" / "shanghai", folder)
    manifest = yaml.safe_load((folder / "manifest.yaml").read_text(encoding="utf-8"))
    manifest["name"] = "shanghai-test"
    manifest["deadlines"] = [{"what": "线上申报", "date": "2024-11-22"}]
    (folder / "manifest.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("FORMGEN_PACKS", str(tmp_path / "packs"))
    pack = get_pack("shanghai-test")  # a new pack from data alone
    loaded = load(write_record())

    def dl(day):
        return [f for f in validate(loaded, pack, today=dt.date(2024, 11, day)) if f.code == "DL001"]

    assert dl(18) == []
    assert "还剩 3 天" in dl(19)[0].message
    assert "今天（2024年11月22日）" in dl(22)[0].message  # a date as a person reads it
    assert "截止日期 2024年11月22日 已过 1 天" in dl(23)[0].message and dl(23)[0].severity == "warning"


@pytest.mark.parametrize(
    "pack,province,example", [("shanghai", "上海市", "021-12345678"), ("gansu", "甘肃省", "0931-1234567")]
)
def test_a_bad_phone_is_shown_an_example_from_the_enterprises_province(write_record, pack, province, example):
    """A Shanghai letter showed a Hebei number (0311-…) as the example of a landline."""
    from formgen.app import validate
    from formgen.doors.opener import load
    from formgen.packs.pack import get_pack

    def edit(d):
        d["people"]["contact"]["phone"] = "12345"
        d["enterprise"]["region"]["province"] = province

    found = [f for f in validate(load(write_record(edit)), get_pack(pack)) if f.code == "PH002"]
    assert found and f"（如 {example}）" in found[0].message and "0311" not in found[0].message


def test_dates_in_findings_are_written_as_the_forms_write_them(write_record, shanghai):
    """A 整改通知 quoted 2023-01 and 2099-01-01: findings say 2023年1月 and 2099年1月1日."""
    from formgen.app import validate
    from formgen.doors.opener import load

    def edit(d):
        d["factory"]["start"], d["factory"]["end"] = "2024-06", "2023-01"
        d["enterprise"]["founded"] = "2099-01-01"

    found = {f.code: f.message for f in validate(load(write_record(edit)), shanghai)}
    assert "完成时间 2023年1月 早于开始时间 2024年6月" in found["DT001"]
    assert "成立时间 2099年1月1日 晚于今天" in found["DT003"]
    assert not any("2023-01" in m or "2099-01-01" in m for m in found.values())
