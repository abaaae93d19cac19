"""要素条件 基础要求 (issue 7): 规模以上, accidents, 近三年 of the round, the registered
province, address against region, construction finished by the deadline, founding date.

Every test writes a record file and validates it with a pack, the way users run
formgen, and checks each boundary both ways."""

import copy
import datetime as dt

import pytest
import yaml

from formgen.app import validate
from formgen.doors.opener import load
from formgen.packs.pack import get_pack
from formgen.record.findings import ERROR, WARNING
from formgen.rules import Context, run

from .conftest import ROOT, validate_with

HEBEI = ROOT / "data" / "examples" / "hebei-jizhong.yaml"
GANSU = ROOT / "data" / "examples" / "gansu-longyuan.yaml"
HEBEI_CODE = "91130100601827353C"  # the Hebei example's: 登记机关 130100 石家庄市
NATIONAL_CODE = "91100000100003962T"  # valid, 登记机关 100000: registered by a national authority


@pytest.fixture
def write_example(tmp_path):
    """Write the Hebei or Gansu example, changed by ``edit(data)``."""

    def _write(example, edit=None, name="r.yaml"):
        data = yaml.safe_load(example.read_text(encoding="utf-8"))
        data = copy.deepcopy(data)
        if edit:
            edit(data)
        p = tmp_path / name
        p.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        return p

    return _write


def only(findings, code):
    return [f for f in findings if f.code == code]


def enterprise(**values):
    return lambda d: d["enterprise"].update(values)


# --- the examples stay clean ------------------------------------------------------


NEW = {"BR001", "BR002", "BR003", "FI004", "RG003", "RG004", "DT002", "DT003"}


@pytest.mark.parametrize("pack, example", [("hebei", HEBEI), ("national", HEBEI), ("gansu", GANSU)])
def test_examples_do_not_trip_the_basic_requirements(pack, example):
    found = validate(load(example), get_pack(pack), today=dt.date(2024, 10, 1))
    assert [f for f in found if f.code in NEW] == []


# --- BR001 规模以上工业企业 -------------------------------------------------------------


def test_latest_year_revenue_at_the_threshold(write_record, shanghai):
    def revenue(value):
        return lambda d: d["enterprise"]["financials"][2].update(revenue=value, profit=None, profit_margin=None)

    assert only(validate_with(write_record(revenue(2000)), shanghai), "BR001") == []
    (f,) = only(validate_with(write_record(revenue(1999.99)), shanghai), "BR001")
    assert f.severity == ERROR and f.path == "enterprise.financials[2].revenue"
    assert "2024年主营业务收入 1999.99 万元" in f.message and "2000 万元及以上" in f.message


def test_the_latest_year_decides_wherever_its_row_is(write_record, shanghai):
    def low(row):
        def edit(d):
            rows = d["enterprise"]["financials"]
            rows[row].update(revenue=1500, profit=None, profit_margin=None)
            rows.reverse()  # 2024 first

        return edit

    assert only(validate_with(write_record(low(0)), shanghai), "BR001") == []  # 2022 below: not the latest
    (f,) = only(validate_with(write_record(low(2)), shanghai), "BR001")
    assert f.path == "enterprise.financials[0].revenue" and "2024年主营业务收入 1500 万元" in f.message


def test_without_financials_the_enterprise_revenue_decides(write_example):
    hebei = get_pack("hebei")
    assert only(validate_with(write_example(HEBEI, enterprise(revenue=2000)), hebei), "BR001") == []
    (f,) = only(validate_with(write_example(HEBEI, enterprise(revenue=1999.99)), hebei), "BR001")
    assert f.path == "enterprise.revenue" and "上年度主营业务收入 1999.99 万元" in f.message


# --- BR002/BR003 近三年无较大及以上事故 ------------------------------------------------------


@pytest.mark.parametrize("severity", ["较大", "重大", "特别重大"])
def test_serious_accident_is_an_error_an_ordinary_one_is_not(write_record, shanghai, severity):
    def accident(occurred, level):
        return enterprise(accident={"occurred": occurred, "name": "3号车间火灾", "severity": level})

    (f,) = only(validate_with(write_record(accident(True, severity)), shanghai), "BR002")
    assert f.severity == ERROR and f.path == "enterprise.accident.severity"
    assert f"发生过{severity}事故“3号车间火灾”" in f.message and "近三年无较大及以上安全、环保等事故" in f.message
    found = validate_with(write_record(accident(True, "一般")), shanghai)
    assert only(found, "BR002") == [] and only(found, "BR003") == []
    assert only(validate_with(write_record(accident(False, severity)), shanghai), "BR002") == []


def test_accident_without_severity_must_say_it(write_record, shanghai):
    (f,) = only(validate_with(write_record(enterprise(accident={"occurred": True, "name": "火灾"})), shanghai), "BR003")
    assert f.path == "enterprise.accident.severity" and "须填写事故等级（一般、较大、重大、特别重大 之一" in f.message
    assert only(validate_with(write_record(enterprise(accident={"occurred": False})), shanghai), "BR003") == []


# --- FI004 近三年 = the three years before the round -----------------------------------


def years(*ys):
    def edit(d):
        for row, y in zip(d["enterprise"]["financials"], ys, strict=True):
            row["year"] = y

    return edit


def test_2025_round_wants_2022_to_2024(write_record, shanghai):
    found = validate_with(write_record(years(2022, 2023, 2024)), shanghai)
    assert only(found, "FI004") == [] and only(found, "FI001") == []
    for wrong in [(2021, 2022, 2023), (2018, 2019, 2020), (2023, 2024, 2025)]:
        found = validate_with(write_record(years(*wrong)), shanghai)
        (f,) = only(found, "FI004")
        assert only(found, "FI001") == []  # consecutive: one finding, not two
        assert f.severity == ERROR and f.path == "enterprise.financials"
        assert "2025年度申报的前三个年度 2022、2023、2024" in f.message
        assert f"填写为 {'、'.join(map(str, wrong))}" in f.message


def test_2024_round_wants_2021_to_2023(write_record, hebei_pack):
    assert only(validate_with(write_record(years(2021, 2022, 2023)), hebei_pack), "FI004") == []
    (f,) = only(validate_with(write_record(years(2022, 2023, 2024)), hebei_pack), "FI004")
    assert "2021、2022、2023" in f.message


def test_gap_is_reported_once_naming_the_years_wanted(write_record, shanghai):
    found = validate_with(write_record(years(2021, 2023, 2024)), shanghai)
    (f,) = only(found, "FI001")
    assert only(found, "FI004") == []
    assert "本轮应为 2022、2023、2024 年" in f.message


@pytest.fixture(scope="module")
def hebei_pack():
    return get_pack("hebei")


# --- RG003 registered in the pack's province ------------------------------------------


def test_credit_code_registered_in_another_province_warns(write_record, shanghai):
    (f,) = only(validate_with(write_record(enterprise(credit_code=HEBEI_CODE)), shanghai), "RG003")
    assert f.severity == WARNING and f.path == "enterprise.credit_code"
    assert "130100 属于河北省石家庄市，不是上海市" in f.message and "迁址" in f.message


def test_credit_code_of_the_province_passes(write_example, hebei_pack):
    assert only(validate_with(write_example(HEBEI), hebei_pack), "RG003") == []
    shanghai_code = enterprise(credit_code="91310115MA1FL8TQ6C")
    (f,) = only(validate_with(write_example(HEBEI, shanghai_code), hebei_pack), "RG003")
    assert "310115 属于上海市浦东新区，不是河北省" in f.message


def test_no_province_warning_for_national_registries_invalid_codes_or_the_national_pack(
    write_record, write_example, shanghai
):
    def rg003(path, pack):
        return only(validate_with(path, pack), "RG003")

    assert len(rg003(write_record(enterprise(credit_code=HEBEI_CODE)), shanghai)) == 1
    assert rg003(write_record(enterprise(credit_code=NATIONAL_CODE)), shanghai) == []
    found = validate_with(write_record(enterprise(credit_code="91130100601827353D")), shanghai)  # bad check digit
    assert only(found, "RG003") == [] and only(found, "ID001") != []
    shanghai_code = enterprise(credit_code="91310115MA1FL8TQ6C")
    assert len(rg003(write_example(HEBEI, shanghai_code), get_pack("hebei"))) == 1
    assert rg003(write_example(HEBEI, shanghai_code), get_pack("national")) == []  # any province may apply


# --- RG004 the district in the address agrees with the region ---------------------------


def test_address_naming_another_district_warns_naming_none_does_not(write_record, shanghai):
    moved = lambda d: d["factory"].update(address="上海市闵行区莘庄工业区春中路88号")  # noqa: E731
    (f,) = only(validate_with(write_record(moved), shanghai), "RG004")
    assert f.severity == WARNING and f.path == "factory.address"
    assert "地址中写的是“闵行区”，所属区域填写为“浦东新区”" in f.message
    street = lambda d: d["factory"].update(address="康桥镇秀浦路2588号")  # noqa: E731
    assert only(validate_with(write_record(street), shanghai), "RG004") == []  # names no district


def test_longest_name_wins_and_same_names_in_other_cities(write_example):
    gansu = get_pack("gansu")

    def place(city, district, address):
        def edit(d):
            d["enterprise"].update(address=address, region={"province": "甘肃省", "city": city, "district": district})

        return edit

    # 静宁县 (平凉市) holds 宁县 (庆阳市): read as 静宁县
    ok = place("平凉市", "静宁县", "甘肃省平凉市静宁县城关镇成纪大道1号")
    assert only(validate_with(write_example(GANSU, ok), gansu), "RG004") == []
    wrong = place("平凉市", "庄浪县", "甘肃省平凉市静宁县城关镇成纪大道1号")
    (f,) = only(validate_with(write_example(GANSU, wrong), gansu), "RG004")
    assert f.path == "enterprise.address" and "“平凉市静宁县”，所属区域填写为“平凉市庄浪县”" in f.message


def test_address_naming_another_city_warns(write_example, hebei_pack):
    # 桥西区 is a district of 石家庄市 and of 张家口市: the city tells them apart
    def edit(city):
        return lambda d: d["enterprise"].update(
            address=f"河北省{city}桥西区胜利北街1号",
            region={"province": "河北省", "city": "石家庄市", "district": "桥西区"},
        )

    assert only(validate_with(write_example(HEBEI, edit("石家庄市")), hebei_pack), "RG004") == []
    (f,) = only(validate_with(write_example(HEBEI, edit("张家口市")), hebei_pack), "RG004")
    assert "“张家口市桥西区”，所属区域填写为“石家庄市桥西区”" in f.message


# --- DT002 construction finished by the online deadline --------------------------------


@pytest.mark.parametrize("pack", ["hebei", "national"])
def test_construction_finished_by_the_deadline_month(write_example, pack):
    def end(value):
        return lambda d: d["factory"].update(end=value)

    assert only(validate_with(write_example(HEBEI, end("2024-11")), get_pack(pack)), "DT002") == []
    (f,) = only(validate_with(write_example(HEBEI, end("2024-12")), get_pack(pack)), "DT002")
    assert f.severity == ERROR and f.path == "factory.end"
    assert (
        "2024年12月 晚于申报主体线上申报截止日期 2024年11月22日" in f.message
        and "申报主体须已完成智能工厂建设" in f.message
    )


def test_no_completion_deadline_in_shanghai(write_record, write_example, shanghai, hebei_pack):
    late = lambda d: d["factory"].update(end="2026-12")  # noqa: E731
    assert only(validate_with(write_record(late), shanghai), "DT002") == []
    assert len(only(validate_with(write_example(HEBEI, late), hebei_pack), "DT002")) == 1


# --- DT003 founding date not in the future ----------------------------------------------


def test_founded_in_the_future(write_record, shanghai):
    today = dt.date(2025, 5, 1)

    def check(founded):
        loaded = load(write_record(enterprise(founded=founded)))
        return only(run(Context(loaded, shanghai, today=today)).findings, "DT003")

    assert check("2025-05-01") == []
    (f,) = check("2025-05-02")
    assert f.severity == ERROR and f.path == "enterprise.founded"
    assert "成立时间 2025年5月2日 晚于今天（2025年5月1日）" in f.message and "营业执照" in f.message
