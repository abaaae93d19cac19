"""Issue 7: KPI values that cannot be true (KP002, KP003) and the 手工核实 items of the
卓越级 申报材料清单."""

import copy
import io

import pytest
import yaml
from click.testing import CliRunner
from docx import Document

from formgen.cli import main
from formgen.record import refdata

from .conftest import ROOT, codes, validate_with

HEBEI = ROOT / "data" / "examples" / "hebei-jizhong.yaml"
MANUAL = [
    "无不良信用记录、无违法违规行为",
    "工厂使用的关键技术装备、工业软件、工业操作系统、系统解决方案等安全可控，网络安全和数据安全风险可控",
    "企业应建立智能工厂统筹规划、建设和运营的组织机制",
    "拥有一批智能制造专业人才",
]


def _kpi_findings(write_record, pack, **kpis):
    def edit(d):
        d["kpis"].update(kpis)

    return [f for f in validate_with(write_record(edit), pack) if f.code in ("KP002", "KP003")]


# --- KP002 ---------------------------------------------------------------------------


def test_every_percent_indicator_has_a_range():
    """Each （%） name of the three lists has exactly one class; no other name has one."""
    classes = refdata.kpis()["ranges"]
    keys = [refdata.kpi_key(k) for c in classes for k in c["items"]]
    percent = {
        refdata.kpi_key(n) for e in ("2025", "2024", "gansu") for n in refdata.kpi_names(e) if n.endswith("（%）")
    }
    assert len(keys) == len(set(keys)) and set(keys) == percent
    assert {c["kind"]: (c["min"], c["max"]) for c in classes} == {
        "占比": (0, 100),
        "降幅": (0, 100),
        "增幅": (0, None),
        "增长率": (-100, None),
    }


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("关键设备数控化率", 100),
        ("关键设备数控化率", 0),
        ("数字化生产设备普及率（%）", 99.9),
        ("产品不良率下降", 100),
        ("生产效率提升", 120),
        ("生产效率提升", 250),
        ("销售增长率", -12.5),
        ("销售增长率", 180),
    ],
)
def test_possible_values_pass(write_record, shanghai, name, value):
    assert _kpi_findings(write_record, shanghai, **{name: value}) == []


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("关键设备数控化率", 100.1, "应在 0% 到 100% 之间"),
        ("关键设备数控化率（%）", -0.1, "应在 0% 到 100% 之间"),
        ("水资源重复利用率", 101, "部分占全部的比例"),
        ("产品不良率下降", 100.1, "改造后的数值小于零"),
        ("单位产值综合能耗降低", -3, "不降反升"),
        ("生产效率提升", -0.1, "不能为负数"),
        ("销售增长率", -100.5, "不能低于 -100%"),
    ],
)
def test_impossible_values_are_errors(write_record, shanghai, name, value, says):
    (f,) = _kpi_findings(write_record, shanghai, **{name: value})
    assert f.code == "KP002" and f.severity == "error"
    assert f.path == f"kpis.{name}" and f.label == name and f.line
    assert f"填写为 {value}%" in f.message and says in f.message
    assert f"“{refdata.kpi_key(name)}（%）”" in f.message  # the reference name, unit included


def test_range_error_fails_validate_on_the_command_line(write_record):
    def edit(d):
        d["kpis"]["关键设备数控化率"] = 100.1

    r = CliRunner().invoke(main, ["validate", str(write_record(edit)), "--pack", "shanghai"])
    assert r.exit_code == 1 and "错误 KP002 kpis.关键设备数控化率" in r.output


def test_range_uses_the_packs_lists(write_record):
    """关键设备联网率 is a Gansu indicator: checked with the Gansu pack, only KP001 in Shanghai's."""
    from formgen.packs.pack import get_pack

    def edit(d):
        d["kpis"]["关键设备联网率"] = 120

    path = write_record(edit)
    assert "KP002" in codes(validate_with(path, get_pack("gansu")))
    shanghai = codes(validate_with(path, get_pack("shanghai")))
    assert "KP002" not in shanghai and "KP001" in shanghai


# --- KP003 ---------------------------------------------------------------------------


def test_ai_share_agrees_within_rounding(write_record, shanghai):
    # the example: 3 of 7 scenarios apply AI = 42.857%
    for ok in (42.9, 43, 42.86):
        assert _kpi_findings(write_record, shanghai, 应用人工智能技术场景比例=ok) == []


@pytest.mark.parametrize("declared", [42.8, 44, 42.84, 60])
def test_ai_share_disagreeing_warns(write_record, shanghai, declared):
    (f,) = _kpi_findings(write_record, shanghai, 应用人工智能技术场景比例=declared)
    assert f.code == "KP003" and f.severity == "warning" and f.path == "kpis.应用人工智能技术场景比例"
    assert f"填写为 {declared}%" in f.message and "7 个典型场景中" in f.message and "有 3 个" in f.message
    assert "42.86%" in f.message
    # in the words of the form, never the record's raw field (a letter printed 「（ai: true）」)
    assert "「是否应用人工智能技术」为“是”" in f.message and "ai" not in f.message


def test_ai_share_counts_scenarios_without_an_answer_as_not_ai(write_record, shanghai):
    def edit(d):
        d["kpis"]["应用人工智能技术场景比例（%）"] = d["kpis"].pop("应用人工智能技术场景比例")
        d["scenarios"][1]["ai"] = None  # 2 of 7 now

    (f,) = [f for f in validate_with(write_record(edit), shanghai) if f.code == "KP003"]
    assert "有 2 个" in f.message and "28.57%" in f.message and "1 个场景未填写「是否应用人工智能技术」" in f.message


def test_ai_share_silent_without_scenarios(write_record, shanghai):
    def edit(d):
        d["scenarios"] = []
        d["kpis"]["应用人工智能技术场景比例"] = 90

    assert "KP003" not in codes(validate_with(write_record(edit), shanghai))


# --- 手工核实 in the 申报材料清单 ------------------------------------------------------------


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_checklist_lists_manual_checks_and_stays_complete(tmp_path):
    r = run("checklist", HEBEI, "--pack", "hebei", "--out", tmp_path)
    assert r.exit_code == 0, r.output
    out = r.output
    assert "共 4 项材料，4 项完整，0 项不完整。" in out and "另有 4 项条件须手工核实，不影响材料是否完整。" in out
    assert "不计入材料是否完整" in out
    for what in MANUAL:
        assert f"[手工核实] {what}：《智能工厂梯度培育要素条件》一、基础要求第" in out
    assert "第2条（如未被列入严重失信主体名单" in out
    # after the annex's numbered items, never numbered like them
    assert out.index("4. 智能工厂建设成效") < out.index("[手工核实]")
    assert "5. " not in out

    doc = Document(next(tmp_path.glob("附件3_卓越级智能工厂项目申报材料清单_*.docx")))
    (annex,) = doc.tables  # the annex as published: the 手工核实 items are not in it
    assert {row.cells[0].text for row in annex.rows[1:]} == {"1", "2", "3", "4"}
    assert not any("基础要求" in c.text for row in annex.rows for c in row.cells)
    assert not any("手工核实" in p.text for p in doc.paragraphs)

    # they are in the 自查表, after the materials
    from formgen.bureau import checklist as cl
    from formgen.doors.opener import load
    from formgen.packs.pack import get_pack

    layout = next(d for d in get_pack("hebei").documents if d.kind == "checklist")
    items = cl.evaluate(layout.layout, load(HEBEI).record)
    doc = Document(io.BytesIO(cl.selfcheck_docx(layout.layout, layout.title, "企业", items)))
    _, manual = doc.tables
    assert [c.text for c in manual.rows[0].cells] == ["核实事项", "出处", "状态"]
    assert [row.cells[0].text for row in manual.rows[1:]] == MANUAL
    assert {row.cells[2].text for row in manual.rows[1:]} == {"手工核实"}
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "手工核实事项" in text and "不计入材料是否完整" in text
    assert "另有 4 项条件须手工核实，不影响材料是否完整。" in text


def test_manual_checks_do_not_hide_missing_material(tmp_path):
    d = yaml.safe_load(HEBEI.read_text(encoding="utf-8"))
    d = copy.deepcopy(d)
    del d["narrative"]["integration"]
    p = tmp_path / "r.yaml"
    p.write_text(yaml.safe_dump(d, allow_unicode=True), encoding="utf-8")
    r = run("checklist", p, "--pack", "hebei")
    assert r.exit_code == 1 and "共 4 项材料，3 项完整，1 项不完整。" in r.output and "[手工核实]" in r.output


def test_gansu_and_national_checklists_list_them_too():
    gansu = run("checklist", HEBEI, "--pack", "gansu").output
    assert "《卓越级智能工厂梯度培育要素条件》（附件9）一、基础要求第3条" in gansu
    national = run("checklist", HEBEI, "--pack", "national")
    assert all(f"[手工核实] {what}" in national.output for what in MANUAL)


def test_ai_share_is_checked_in_the_2025_edition_only(tmp_path):
    """The Hebei example (2024 round) declares 40% for 3 of 6 scenarios: silent there,
    a warning when the same record is checked against a 2025 pack."""
    from formgen.app import validate
    from formgen.doors.opener import load
    from formgen.packs.pack import get_pack

    loaded = load(HEBEI)
    assert "KP003" not in codes(validate(loaded, get_pack("hebei")))
    (f,) = [f for f in validate(loaded, get_pack("gansu")) if f.code == "KP003"]
    assert "6 个典型场景中" in f.message and "有 3 个" in f.message and "50.00%" in f.message


def test_co2_written_either_way_is_the_same_indicator(write_record, shanghai):
    """CO₂ (subscript) and CO2, half-width brackets: the same reference indicator."""
    found = _kpi_findings(write_record, shanghai, **{"单位产值二氧化碳(CO2)排放量降低(%)": 120})
    assert [f.code for f in found] == ["KP002"]
