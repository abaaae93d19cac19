"""The field catalogue (formgen/catalogue.py) and the pack-aware YAML blank it writes
(``formgen init FILE.yaml --pack P --level L``), as a form filler meets them."""

from __future__ import annotations

import re

import yaml
from click.testing import CliRunner

from formgen.catalogue import catalogue, levels, record_paths
from formgen.cli import main
from formgen.doors.opener import load
from formgen.packs.pack import get_pack
from formgen.record.refdata import catalogue as scenario_catalogue
from formgen.record.refdata import enums, kpi_names, modes
from formgen.rules import Context, run

from .conftest import ROOT


def paths(cat) -> set[str]:
    return {f.path for f in cat}


# --- which fields -----------------------------------------------------------------------------


def test_gansu_advanced_blank_has_what_annex4_needs_and_not_shanghai():
    cat = catalogue("gansu", "先进级")
    a4 = get_pack("gansu").document("a4")
    needed = {p for p, _label, optional in a4.fields() if not optional}
    for p in needed - {"scenarios", "enterprise.financials"}:  # lists named as a whole
        assert p in cat, p
        asked = cat.get(p).derived_from or p  # 机构代码: the credit code is asked for
        assert cat.get(asked).required and "附件4" in cat.get(p).documents, p
    assert "scenarios[].name" in cat and "enterprise.financials[].revenue" in cat
    # every 附件5 item of every mode, for 三、项目实施现状
    items = {f"narrative.mode_items.{m['mode']}.{i['no']}" for m in modes() for i in m["items"]}
    assert items <= paths(cat)
    # nothing of Shanghai, nothing of the 基础级 申报书 (附件3) or its projects (附件7)
    for p in ("enterprise.industry.shanghai", "narrative.business", "factory.cmmm.report", "enterprise.honors"):
        assert p not in cat
    assert not any(p.startswith(("factory.line.", "factory.benefits.", "projects[]")) for p in paths(cat))
    assert 60 <= len(cat) <= 110, len(cat)  # about 80, not the 250 of the complete record
    assert len(catalogue(None)) > 2.5 * len(cat)


def test_gansu_basic_has_annex3_line_and_projects():
    cat = catalogue("gansu", "基础级")
    assert "factory.line.prompts.auto_repair" in cat and "projects[].filing_no" in cat
    assert not any(p.startswith("narrative.mode_items.") for p in paths(cat))


def test_every_required_field_of_every_applying_document_is_listed():
    for name in ("shanghai", "gansu", "hebei", "national"):
        pack = get_pack(name)
        for level in levels(pack):
            cat = catalogue(pack, level)
            for doc in cat.documents:
                for pattern, _label, _optional in doc.fields():
                    leaves = [p for p in paths(cat) if p == pattern or p.startswith(pattern + "[].")]
                    assert leaves, (name, level, doc.id, pattern)


def test_without_a_pack_every_field_of_the_record():
    cat = catalogue(None)
    from formgen.catalogue import _model_fields

    leaves = {b.path for b in _model_fields()[0] if b.kind != "dict"}
    assert leaves <= paths(cat)
    assert {"kpis{}", "narrative.sections{}"} <= paths(cat)
    assert not any(f.required for f in cat)
    assert cat.get("enterprise.name").label == "企业名称"  # the model's title


def test_levels_of_each_pack():
    assert levels(get_pack("gansu")) == ["基础级", "先进级", "卓越级"]
    assert levels(get_pack("shanghai")) == ["先进级"]
    assert levels(get_pack("hebei")) == ["卓越级"]


def test_checklist_packs_list_what_the_checklist_reads():
    cat = catalogue("hebei")
    for p in ("narrative.integration", "narrative.results", "factory.integrators", "scenarios[].instance", "kpis{}"):
        assert p in cat, p
    assert cat.get("narrative.integration").label == "系统集成情况"


# --- labels, notes, limits, types, options ----------------------------------------------------


def test_labels_are_the_packs_for_the_documents_that_apply():
    sh = catalogue("shanghai")
    assert sh.get("narrative.business").label.startswith("第一部分 2、品牌品质")
    gs = catalogue("gansu", "先进级")
    assert gs.get("people.head.title").label == "职务和职称"  # 附件4's words
    assert gs.get("enterprise.intro").label == "企业简介"
    # one label given to two fields of a block is told apart by the model's title
    assert gs.get("factory.start").label == "起止日期（建设开始时间）"
    assert gs.get("factory.end").label == "起止日期（建设完成时间）"
    # a form label unlike the model's title keeps the title in the note
    assert gs.get("enterprise.org_code").label == "机构代码"
    assert gs.get("enterprise.org_code").note.startswith("组织机构代码")


def test_notes_join_the_models_description_and_the_forms_note():
    f = catalogue("gansu", "先进级").get("enterprise.intro")
    assert "附件4 400字左右" in f.note  # the model's description
    assert "发展历程、主营业务、市场开拓" in f.note  # 附件4's note under the cell
    sh = catalogue("shanghai").get("enterprise.name")
    assert "如有名称变更，请及时报备" in sh.note


def test_lengths_follow_the_level():
    assert catalogue("gansu", "先进级").get("enterprise.intro").limits == ("400字左右（300-500字）",)
    assert catalogue("gansu", "基础级").get("enterprise.intro").limits == ("不超过400字",)
    assert catalogue("gansu", "先进级").get("enterprise.intro_short").limits == ("不超过100字",)
    part = catalogue("shanghai").get("narrative.development")
    assert part.limits == ("与其他部分合计（申报书第一至四部分正文）3000-5000字",)
    assert part.kind == "longtext"


def test_factory_name_rule_from_the_manifest():
    f = catalogue("shanghai").get("factory.name")
    assert f.limits == ("以“智能工厂”结尾，不能以车间、项目结尾，不超过14个汉字（英文字符每3个计1个）",)
    assert f.kind == "text"
    assert "factory.name" not in catalogue("hebei")  # Hebei's forms do not ask for it


def test_types_units_and_bounds_come_from_the_model():
    cat = catalogue(None)
    kinds = {p: cat.get(p).kind for p in cat._by_path}
    assert kinds["factory.investment"] == "amount" and cat.get("factory.investment").unit == "万元"
    assert kinds["enterprise.financials[].debt_ratio"] == "percent"
    assert kinds["factory.cmmm.score"] == "decimal"  # a 0-5 score, not a percentage
    assert kinds["factory.start"] == "year_month" and kinds["enterprise.founded"] == "date"
    assert kinds["enterprise.employees"] == "count" and cat.get("enterprise.employees").minimum == 0
    level = cat.get("factory.cmmm.level")
    assert (level.kind, level.minimum, level.maximum) == ("int", 1, 5)
    assert kinds["scenarios[].ai"] == "bool" and cat.get("scenarios[].ai").options == ("是", "否")
    assert kinds["factory.integrators"] == "texts" and kinds["factory.modes"] == "enums"
    assert cat.get("factory.benefits.output_per_person_before").unit == "元/人/天"
    assert "非负整数（人）" in cat.get("enterprise.employees").summary()


def test_options_from_the_model_the_packs_lists_and_the_catalogue_edition():
    nature = catalogue(None).get("enterprise.nature")
    assert nature.options == ("中央企业", "地方国企", "民营企业", "三资企业") and nature.strict
    district = catalogue("shanghai").get("factory.region.district")
    assert district.kind == "enum" and district.options == tuple(enums()["shanghai_district"]) and not district.strict
    assert catalogue("shanghai").get("enterprise.industry.shanghai").options == tuple(enums()["shanghai_industry"])
    # scenario names from the pack's edition, 环节 as its own list
    sh, hb = catalogue("shanghai"), catalogue("hebei")
    assert sh.get("scenarios[].name").options == tuple(s.name for s in scenario_catalogue(2025).scenarios)
    assert hb.get("scenarios[].name").options == tuple(s.name for s in scenario_catalogue(2024).scenarios)
    assert sh.get("scenarios[].stage").options == scenario_catalogue(2025).stages
    # Gansu's equipment kinds (checks.enums), and the level's own lists
    kinds = catalogue("gansu", "基础级", everything=True).get("scenarios[].equipment[].kind")
    assert kinds.options == tuple(enums()["equipment_kind"])
    assert catalogue("gansu", "卓越级").get("enterprise.name").options == tuple(enums()["gansu_zhuoyue_allowed"])
    assert catalogue("gansu", "先进级").get("enterprise.name").options == ()
    assert catalogue("gansu", "先进级").get("factory.level").options == ("基础级", "先进级", "卓越级")
    # KPI names of the pack's lists
    assert catalogue("hebei").get("kpis{}").options == tuple(kpi_names("2024"))


def test_find_maps_concrete_paths_to_fields():
    cat = catalogue(None)
    assert cat.find("scenarios[3].name").path == "scenarios[].name"
    assert cat.find("scenarios[0].equipment[2].kind").path == "scenarios[].equipment[].kind"
    assert cat.find("kpis.生产效率提升").path == "kpis{}"
    assert cat.find("enterprise.nope") is None


def test_sheets_in_the_order_of_the_forms_nested_tables_after_their_parent():
    sheets = catalogue("gansu", "基础级", everything=True).sheets()
    keys = [s.key for s in sheets]
    assert keys[0] == "enterprise"
    i = keys.index("scenarios[]")
    assert keys[i + 1 : i + 5] == [
        "scenarios[].equipment[]",
        "scenarios[].software[]",
        "scenarios[].processes[]",
        "scenarios[].technologies[]",
    ]
    assert [s.parent for s in sheets if s.key == "scenarios[].equipment[]"] == ["scenarios[]"]


def test_with_record_adds_every_field_the_record_holds():
    record = load(ROOT / "data" / "examples" / "shanghai-chengchuan.yaml").record
    cat = catalogue("gansu", "先进级").with_record(record)
    assert record_paths(record) - {"kpis"} <= paths(cat) | {p for p in record_paths(record) if p.startswith("kpis.")}
    assert "enterprise.industry.shanghai" in cat and not cat.get("enterprise.industry.shanghai").required


# --- the YAML blank of a pack and level -------------------------------------------------------


def test_init_yaml_for_gansu_advanced(cli, tmp_path):
    p = tmp_path / "我的企业.yaml"
    r = cli("init", p, "--pack", "gansu", "--level", "先进级")
    assert r.exit_code == 0, r.output
    assert "先进级" in r.output and "必填" in r.output
    text = p.read_text(encoding="utf-8")
    assert "空一行开始新的段落" in text  # the paragraph convention stays in the header
    assert "\npack: gansu  #" in text and "  level: 先进级  #" in text
    assert "附件4 甘肃省先进级智能工厂申报书" in text
    assert "  intro:  # 企业简介：" in text and "400字左右（300-500字）" in text
    assert "shanghai:" not in text and "honors:" not in text and "line:" not in text
    complete = CliRunner().invoke(main, ["init", str(tmp_path / "all.yaml")])
    assert complete.exit_code == 0
    assert len(text.splitlines()) < len((tmp_path / "all.yaml").read_text(encoding="utf-8").splitlines())
    loaded = load(p)
    assert loaded.record.pack == "gansu" and loaded.record.factory.level == "先进级"
    report = run(Context(loaded, get_pack("gansu")))
    missing = {f.path for f in report.findings if f.code == "RQ001"}
    assert {"enterprise.name", "factory.project_name", "narrative.demonstration"} <= missing
    assert "PK001" not in {f.code for f in report.findings}


def test_every_field_of_the_yaml_blank_is_commented_with_its_limits(cli, tmp_path):
    p = tmp_path / "b.yaml"
    cli("init", p, "--pack", "gansu", "--level", "先进级")
    text = p.read_text(encoding="utf-8")
    cat = catalogue("gansu", "先进级")
    from formgen.doors.blank import field_comment

    for f in cat:
        if f.path.startswith("narrative.mode_items."):
            continue
        key = f.path.split(".")[-1].replace("[]", "").replace("{}", "")
        assert re.search(rf"^\s*(- )?{re.escape(key)}:( \S+| \[\])?  # {re.escape(field_comment(f))}", text, re.M), (
            f.path
        )
        assert f.label in field_comment(f) and all(limit in field_comment(f) for limit in f.limits)
    # 附件5's items as a commented template, ready to uncomment
    assert "    # 离散型智能制造:  # 模式一：离散型智能制造" in text
    body = yaml.safe_load(text)
    assert body["narrative"]["mode_items"] == {}


def test_uncommenting_a_mode_gives_a_valid_record(tmp_path):
    from formgen.doors.blank import pack_blank

    text = pack_blank(catalogue("gansu", "先进级"))
    lines = text.splitlines()
    out = []
    mode = False
    for ln in lines:
        if ln.strip().startswith("mode_items: {}"):
            ln = ln.replace("mode_items: {}", "mode_items:")
        if ln.startswith("    # 离散型智能制造:"):
            mode = True
        elif ln.startswith("    # ") and not ln.startswith("    #   ") and mode:
            mode = ln.startswith("    # 离散型")
        if mode and ln.startswith("    # "):
            ln = "    " + ln[6:]
            ln = ln.replace("（在此填写）", "已建成覆盖全厂的系统。")
        out.append(ln)
    p = tmp_path / "m.yaml"
    p.write_text("\n".join(out) + "\n", encoding="utf-8")
    record = load(p).record
    assert record.narrative.mode_items["离散型智能制造"][1] == "已建成覆盖全厂的系统。"


def test_init_refuses_what_it_cannot_do(cli, tmp_path):
    r = cli("init", tmp_path / "a.yaml", "--pack", "gansu")
    assert r.exit_code == 2 and "--level" in r.output and "先进级" in r.output
    r = cli("init", tmp_path / "a.yaml", "--pack", "shanghai", "--level", "基础级")
    assert r.exit_code == 2 and "不受理" in r.output
    r = cli("init", tmp_path / "a.yaml", "--level", "先进级")
    assert r.exit_code == 2 and "--pack" in r.output
    r = cli("init", tmp_path / "a.txt")
    assert r.exit_code == 2 and ".yaml" in r.output
    assert not list(tmp_path.iterdir())
    # a pack with one level needs no --level
    r = cli("init", tmp_path / "s.yaml", "--pack", "shanghai")
    assert r.exit_code == 0 and "level: 先进级" in (tmp_path / "s.yaml").read_text(encoding="utf-8")


def test_a_fields_summary_says_each_thing_once():
    """What a cell's input message and the web page say of a field (type, bounds, options)
    never repeats itself: a 是/否 field is not also told 是 或 否."""
    for name in ("gansu", "shanghai", "hebei", "national"):
        for level in levels(get_pack(name)) or [None]:
            for f in catalogue(get_pack(name), level):
                parts = [p.strip() for p in f.summary().split("；")]
                words = [w for p in parts for w in re.split(r"[/ ]或?", p) if w in ("是", "否")]
                assert len(words) == len(set(words)), (f.path, f.summary())
