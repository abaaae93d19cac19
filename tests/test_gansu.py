"""The Gansu pack (shared/sources/003): sheets re-opened cell by cell, and its rules."""

import copy

import openpyxl
import pytest
import yaml
from click.testing import CliRunner
from docx import Document

from formgen.app import validate
from formgen.cli import main
from formgen.doors.opener import load
from formgen.packs.pack import get_pack

from .conftest import ROOT, ZHUOYUE_HEADERS

EXAMPLE = ROOT / "data" / "examples" / "gansu-longyuan.yaml"


@pytest.fixture(scope="module")
def gansu():
    return get_pack("gansu")


@pytest.fixture(scope="module")
def gansu_data():
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


@pytest.fixture
def gansu_record(tmp_path, gansu_data):
    def _write(edit=None, name="g.yaml"):
        data = copy.deepcopy(gansu_data)
        if edit:
            edit(data)
        p = tmp_path / name
        p.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        return p

    return _write


def summary(record, doc, out, unit="兰州市工业和信息化局"):
    """Run ``formgen summary`` for one Gansu document and expect success."""
    r = CliRunner().invoke(
        main, ["summary", str(record), "--pack", "gansu", "--unit", unit, "--doc", doc, "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    return r


def findings(path, pack, code=None):
    found = validate(load(path), pack)
    return [f for f in found if code is None or f.code == code]


def test_example_is_clean(gansu_record, gansu):
    assert findings(gansu_record(), gansu) == []


@pytest.fixture
def sheets(tmp_path, gansu_record):
    out = tmp_path / "out"
    r = CliRunner().invoke(
        main, ["summary", str(gansu_record()), "--pack", "gansu", "--unit", "兰州市工业和信息化局", "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    return {p.name.split("_")[0]: p for p in out.iterdir()}


A1_HEADERS = [
    "序号",
    "评估企业名称",
    "省",
    "市",
    "区",
    "联系方式",
    "提交时间",
    "自评得分",
    "自评等级",
    "企业规模",
    "主营业务收入（万）",
    "所属行业¹",
    "企业性质²",
    "企业类型³",
    "行业大类⁴",
    "行业中类⁴",
    "行业小类⁴",
]


def test_a1_sheet(sheets):
    ws = openpyxl.load_workbook(sheets["附件1"]).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[1][0] == "智能制造能力成熟度自评估汇总表"
    assert rows[2][0].startswith("填写单位（企业）（盖章）：兰州市工业和信息化局") and rows[2][0].endswith(
        "年　　月　　日"
    )
    assert rows[3] == A1_HEADERS
    assert rows[4] == [
        1,  # 序号 a number
        "甘肃陇原精工机械有限公司",
        "甘肃省",
        "兰州市",
        "七里河区",
        "13993145210",
        "2025年7月20日",
        2.36,
        "二级",
        "300-999人",
        36800,
        "装备制造",
        "民营企业",
        "中型企业",
        "34-通用设备制造业",
        "341-锅炉及原动设备制造",
        "3411-锅炉及辅助设备制造",
    ]
    assert rows[5][0].startswith("联系人：") and "联系电话：" in rows[5][0]
    assert [r[0] for r in rows[6:10]] == [
        "¹所属行业请填写:原材料、电子信息、装备制造、消费品；",
        "²企业性质请填写:中央企业、地方国企、民营企业、三资企业；",
        "³企业类型请填写:大型企业、中型企业、小型企业、微型企业；",
        "⁴行业大类、行业中类、行业小类参考《国民经济行业分类》(GB/T4754一2017)填写",
    ]


def test_a7_header_merged_cell_by_cell(sheets):
    ws = openpyxl.load_workbook(sheets["附件7"]).active
    assert ws["A3"].value == "单位：万元"
    top = 4  # header rows 4-6
    merged = {str(m) for m in ws.merged_cells.ranges}
    col = {ws.cell(top + lv, c).value: (lv, c) for lv in range(3) for c in range(1, 27) if ws.cell(top + lv, c).value}
    assert col["资金构成"] == (0, 8) and "H4:N4" in merged
    for name, letter in [("总投资", "H"), ("固定资产投资", "I"), ("其中：设备投资", "J"), ("铺底流动资金", "K")]:
        assert col[name] == (1, "HIJK".index(letter) + 8) and f"{letter}5:{letter}6" in merged
    assert col["资金来源"] == (1, 12) and "L5:N5" in merged
    assert [ws.cell(6, c).value for c in (12, 13, 14)] == ["银行贷款", "自筹", "其他"]
    assert col["预计年新增效益"] == (0, 18) and "R4:T4" in merged
    assert [ws.cell(5, c).value for c in (18, 19, 20)] == ["新增产值", "新增销售收入", "新增利润"]
    assert "R5:R6" in merged and "T5:T6" in merged
    assert col["审批情况"] == (0, 21) and "U4:V4" in merged
    assert [ws.cell(5, c).value for c in (21, 22)] == ["备案（核准）文号", "环评批复文号"]
    for single in ["A4:A6", "B4:B6", "G4:G6", "O4:O6", "Z4:Z6"]:
        assert single in merged
    assert ws["Z4"].value == "项目\n是否\n在园\n区"
    row = [c.value for c in ws[7]]
    assert row[:7] == [
        1,  # 序号 a number
        "甘肃陇原精工机械有限公司",
        "燃气锅炉智能制造产线改造项目",
        "新增焊接机器人8台、数控卷板机2台，建设设备联网和制造执行系统，设备投资2800万元。",
        "兰州市七里河区",
        "2024年9月-2026年6月",
        "智改数转网联",
    ]
    assert row[7:14] == [4600, 4200, 2800, 400, 2000, 2600, 0]
    assert row[23:] == ["杨静 13993145210", "其他", "是"]
    assert all(v not in (None, "") for v in row)  # 不得空项
    assert ws["A8"].value.startswith("说明：1.请严格按照表头格式填报数据")
    assert ws["A10"].value.startswith("3.申报方向")


A6_HEADERS = [
    "序号",
    "企业名称及项目名称",
    "细分行业",
    "所在市县",
    "申报类型",
    "生产模式",
    "企业简介(100字以内)",
    "申报项目简介(100字以内)",
    "主要产品及产能",
    "网络系统及子系统建设及使用情况",
    "数控设备及机器人数量及使用情况",
    "近三年软硬件投资",
    "安全可控的核心智能制造装备（含软件及网络设备）应用情况",
    "国产化智能制造装备（含软件及网络设备）应用情况",
    "上年度主营业务收入",
    "CMMM自评估等级",
    "是否完成CMMM认证（申报场景企业此项勿填）",
    "备注",
]


def test_a6_sheet_with_checkbox_options(sheets):
    assert "附件13" not in sheets  # no 卓越级 applicant: no empty sheet
    ws = openpyxl.load_workbook(sheets["附件6"]).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[3] == A6_HEADERS
    row = rows[4]
    assert row[1] == "甘肃陇原精工机械有限公司\n燃气锅炉智能制造产线改造项目"
    assert row[3] == "兰州市七里河区"
    assert row[4] == "□先进级智能工厂\n☑基础级智能工厂\n☑优秀应用场景"  # a set: 基础级 and 优秀场景
    assert row[5] == "☑离散型\n□流程型"
    assert row[14] == 36800 and row[15] == "二级" and row[16] == "否"


def test_a6_cmmm_certification_empty_for_scenario_entries(gansu_record, gansu, tmp_path):
    def edit(d):
        d["factory"]["level"] = None
        d["factory"]["excellent_scenarios"] = ["人机协同作业"]

    out = tmp_path / "s"
    summary(gansu_record(edit), "a6", out)
    ws = openpyxl.load_workbook(next(out.glob("附件6*"))).active
    assert ws.cell(5, 5).value == "□先进级智能工厂\n□基础级智能工厂\n☑优秀应用场景"
    assert ws.cell(5, 17).value in (None, "")


@pytest.mark.parametrize("n, over", [(100, False), (101, True)])
def test_a6_short_texts_at_most_100(gansu_record, gansu, n, over):
    found = findings(gansu_record(lambda d: d["enterprise"].update(intro_short="字" * n)), gansu, "WC001")
    assert bool(found) == over


def _zhuoyue(d):
    d["enterprise"]["name"] = "兰州兰石重工有限公司"
    d["factory"]["level"] = "卓越级"
    d["factory"]["excellent_scenarios"] = []
    d["factory"]["project_name"] = "兰石重工压力容器卓越级智能工厂"
    d["factory"]["cmmm"].update(score=3.2, level=3)
    d["scenarios"][0]["ai"] = True  # 1 of 3 applies AI: at least 20%


def test_a13_zhuoyue_sheet(gansu_record, gansu, tmp_path):
    edit = _zhuoyue
    out = tmp_path / "z"
    summary(gansu_record(edit), "a13", out, unit="甘肃省工业和信息化厅")
    ws = openpyxl.load_workbook(next(out.glob("附件13*.xlsx"))).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    # the national template (002) that 附件13 reuses; the Gansu print only breaks two
    # headers across lines
    assert rows[3] == ZHUOYUE_HEADERS
    assert rows[0][0] == "附件13" and len(rows) == 5  # no notes under the Gansu table
    assert rows[4][3].split("\n") == [
        "1.生产作业—人机协同作业—锅炉筒体机器人焊接单元",
        "2.生产作业—设备运行监控—焊接与卷板设备联网监控",
        "3.生产管理—生产进度跟踪—锅炉订单生产进度可视化",
    ]
    doc = Document(next(out.glob("附件13*.docx")))
    assert doc.tables[0].rows[1].cells[3].text.startswith("1.生产作业—人机协同作业—")


def test_a8_commitment(sheets):
    doc = Document(sheets["附件8"])
    text = [p.text for p in doc.paragraphs]
    assert text[:2] == ["附件8", "主管部门承诺书"]
    assert text[2].startswith("兰州市工业和信息化局谨就申请工业和信息化领域省级专项项目资金申请事宜")
    assert "1．保证所提交的申请资料全面、真实、准确、有效；" in text
    assert "2．如有隐瞒、虚假等不实情况，愿负相应的责任，并承担由此产生的一切后果。" in text
    assert [t.strip() for t in text[-3:]] == ["（单位公章）", "主要负责人签字：", "年　　月　　日"]


def test_funding_must_add_up(gansu_record, gansu):
    def edit(d):
        d["projects"][0]["other_funds"] = 1

    (f,) = findings(gansu_record(edit), gansu, "CS002")
    assert f.path == "projects[0].total" and "4601" in f.message


def test_composition_warnings(gansu_record, gansu):
    def edit(d):
        d["projects"][0]["working_capital"] = 300
        d["projects"][0]["equipment"] = 4300

    found = [f for f in findings(gansu_record(edit), gansu) if f.code == "CS003"]
    assert {f.path for f in found} == {"projects[0].fixed_assets", "projects[0].equipment"}
    assert all(f.severity == "warning" for f in found)


def test_every_project_cell_required(gansu_record, gansu):
    def edit(d):
        d["projects"][0]["eia_no"] = ""
        d["projects"][0].pop("in_park")

    found = findings(gansu_record(edit), gansu, "RQ001")
    assert {(f.path, f.label) for f in found} == {
        ("projects[0].eia_no", "环评批复文号"),
        ("projects[0].in_park", "项目是否在园区"),
    }


@pytest.mark.parametrize(
    "place, fragment",
    [
        ("兰州市七里河区", None),
        ("天水市秦州区", None),
        ("兰州市秦州区", "“秦州区”不是兰州市的县（市、区）"),
        ("七里河区", "应写作 xx市xx县"),
        ("西安市雁塔区", "不是甘肃省的市（州）"),
        ("临夏回族自治州临夏市", None),
    ],
)
def test_project_place_checked_against_divisions(gansu_record, gansu, place, fragment):
    found = findings(gansu_record(lambda d: d["projects"][0].update(place=place)), gansu, "RG002")
    assert (found[0].message if found else None) == fragment or fragment in found[0].message


def test_region_block(gansu_record, gansu):
    (f,) = findings(gansu_record(lambda d: d["enterprise"]["region"].update(district="秦州区")), gansu, "RG001")
    assert f.path == "enterprise.region.district"


@pytest.mark.parametrize(
    "code, expected", [("3411", []), ("341", []), ("34", ["IC002"]), ("C", ["IC002"]), ("3418", ["IC001"])]
)
def test_industry_to_middle_class(gansu_record, gansu, code, expected):
    found = [
        f
        for f in findings(gansu_record(lambda d: d["enterprise"]["industry"].update(gbt4754=code)), gansu)
        if f.code.startswith("IC")
    ]
    assert [f.code for f in found] == expected


@pytest.mark.parametrize("n, over", [(400, False), (401, True)])
def test_intro_limit_for_jichu(gansu_record, gansu, n, over):
    found = findings(gansu_record(lambda d: d["enterprise"].update(intro="字" * n)), gansu, "WC001")
    assert bool(found) == over


def test_intro_limit_follows_the_application(gansu_record, gansu):
    def advanced(d):
        d["factory"]["level"] = "先进级"
        d["enterprise"]["intro"] = "字" * 450

    found = findings(gansu_record(advanced), gansu)
    assert not [f for f in found if f.code == "WC001" and f.path == "enterprise.intro"]  # 400字左右: 450 is fine


@pytest.mark.parametrize(
    "name, listed",
    [("兰州兰石重工有限公司", True), (" 兰州兰石重工 有限公司", True), ("兰州兰石重工股份有限公司", False)],
)
def test_zhuoyue_applicants_on_list_10(gansu_record, gansu, name, listed):
    def edit(d):
        d["enterprise"]["name"] = name
        d["factory"]["level"] = "卓越级"

    found = findings(gansu_record(edit), gansu, "LS001")
    assert (not found) == listed


def test_equipment_shares(gansu_record, gansu):
    def edit(d):
        d["factory"]["line"] = {
            "equipment_total": 120,
            "automated": 90,
            "automated_share": 75.0,
            "networked": 80,
            "networked_share": 90,
        }

    (f,) = findings(gansu_record(edit), gansu, "CS001")
    assert f.path == "factory.line.networked_share" and "88.89%" in f.message


def test_accident_needs_a_name(gansu_record, gansu):
    (f,) = findings(gansu_record(lambda d: d["enterprise"]["accident"].update(occurred=True)), gansu, "CS004")
    assert f.path == "enterprise.accident.name"


def test_gansu_files_open_in_libreoffice(sheets, tmp_path, gansu_record, gansu):
    from formgen import app

    from .conftest import to_pdf

    files = list(sheets.values()) + app.fill(load(gansu_record(name="single.yaml")), gansu, tmp_path / "single")
    files += [
        p
        for p in app.fill(load(gansu_record(_advanced(), name="adv.yaml")), gansu, tmp_path / "adv")
        if p.name.startswith("附件4")
    ]
    summary(gansu_record(_zhuoyue, name="z.yaml"), "a13", tmp_path / "z", unit="甘肃省工业和信息化厅")
    files += sorted((tmp_path / "z").iterdir())
    assert len(to_pdf(files, tmp_path / "pdf")) == 9  # a1 a6 a7 a8, a2 a3, a4, a13 xlsx+docx


A3_LABELS = [
    "企业\n基本\n信息",
    "企业名称",
    "所属行业",
    "所属地区",
    "组织机构代码",
    "成立时间",
    "详细地址",
    "联系人",
    "姓名",
    "电话",
    "职务",
    "手机",
    "传真",
    "邮箱",
    "上年末总资产（万元）",
    "上年末资产负债率（%）",
    "上年末信用等级",
    "上年销售（万元）",
    "上年税金（万元）",
    "上年利润（万元）",
    "企业简介",
    "CMMM自评估等级",
    "是否有CMMM等级认证",
    "代表产线有关信息",
    "产线名称",
    "智能化改造完成投资（万元）",
    "建设开始时间",
    "建设完成时间",
    "生产产品及产量",
    "上年度产出（万元）",
    "全部设备台套（产线）数",
    "其中工业机器人数量",
    "总体描述",
    "代表产线有关信息",
    "智能装备广泛应用",
    "自动化、智能化设备台套（产线）数",
    "自动化、智能化设备占全部设备比重（%)",
    "设备实现联网",
    "自动化、智能化设备联网数",
    "自动化、智能化设备联网数占自动化、智能化设备总数的比重（%）",
    "生产\n过程\n实现\n实时\n调度",
    "生产设备运行状态监控情况",
    "生产数据采集分析情况",
    "物料\n配送\n实现\n自动化",
    "自动识别技术设施、自动物流设备使用情况",
    "产品\n信息\n实现\n可追溯",
    "关键工序智能化质量检测设备使用情况",
    "产品信息管理情况",
    "产线建设\n前后\n经济\n社会\n效益\n情况",
    "建设前后经济、社会效益情况总体描述",
    "建设前后经济效益情况",
    "建设完成前的企业年销售（万元）",
    "建设完成后的企业年销售（万元）",
    "建设完成前的企业年利润（万元）",
    "建设完成后的企业年利润（万元）",
    "建设完成前的企业年税金（万元）",
    "建设完成后的企业年税金（万元）",
    "人数情况变化",
    "建设完成前产线/车间人数",
    "建设完成前产线/车间人数",
    "生产效率提升情况",
    "建设完成前每人每天产出水平（元/人/天）",
    "建设完成后每人每天产出水平（元/人/天）",
    "产品质量提升情况",
    "建设完成前产品合格率（%）",
    "建设完成后产品合格率（%）",
    "建设完成前优良品率（%）",
    "建设完成后优良品率（%）",
    "智能工厂包含的智能制造典型场景名称",
    "典型场景描述",
    "申  报\n单  位\n真实性\n承  诺",
    "市（州）\n工信部门\n初审\n及推荐\n意见",
]


@pytest.fixture
def basic_doc(tmp_path, gansu_record, gansu):
    from formgen import app

    paths = app.fill(load(gansu_record()), gansu, tmp_path / "f")
    # the 基础级 申报书 and, as the example also applies for 优秀场景, 附件2; not 附件4
    assert [p.name.split("_")[0] for p in paths] == ["附件2", "附件3"]
    return Document(paths[1])


def test_a3_basic_application_table(basic_doc):
    from .test_render import cells_in_order, is_subsequence

    texts = cells_in_order(basic_doc)
    labels = [t for t in texts if t in A3_LABELS]
    # every label in the annex's order; a merged label whose rows run over a page prints
    # again on the next (see test_print_keeplabels)
    assert is_subsequence(A3_LABELS, labels) and set(labels) == set(A3_LABELS)
    paras = [p.text for p in basic_doc.paragraphs]
    for line in [
        "甘肃省基础级智能工厂申报书",
        "申报单位（盖章）　甘肃陇原精工机械有限公司",
        "甘肃省工业和信息化厅编制",
        "甘肃省基础级智能工厂申请表",
        "一、企业情况概述",
        "二、代表产线情况概述",
        "三、代表产线具体情况介绍",
    ]:
        assert line in paras
    table = basic_doc.tables[0]
    assert table.cell(0, 0)._tc is table.cell(12, 0)._tc  # 企业基本信息 spans 13 rows
    assert table.cell(0, 0)._tc is not table.cell(13, 0)._tc
    # 所属行业 | 所属地区 on one row; the annex's guidance is gone under real values
    assert table.cell(1, 3).text == "制造业-通用设备制造业-锅炉及原动设备制造"
    assert table.cell(1, 4).text == "所属地区" and table.cell(1, 5).text == "兰州市七里河区"
    assert table.cell(2, 3).text == "710265310"
    assert table.cell(4, 2).text == "姓名" and table.cell(4, 3).text == "杨静"
    assert any("典型场景1：人机协同作业" == t for t in texts)
    promise = next(t for t in texts if t.startswith("我单位申报的所有材料"))
    assert "法定代表人签字" in promise and "申报单位（公章）" in promise
    assert any(t.strip().startswith("推荐单位（公章）") for t in texts)


def test_a3_cmmm_check_boxes(basic_doc):
    from .test_layout_features import _checkboxes

    table = basic_doc.tables[0]
    assert _checkboxes(table.cell(11, 3)) == [
        ("5级", False),
        ("4级", False),
        ("3级", False),
        ("2级", True),
        ("1级", False),
    ]
    assert _checkboxes(table.cell(12, 3))[-1] == ("无认证", True)


def test_a3_prompt_answers_required(gansu_record, gansu):
    found = findings(gansu_record(lambda d: d["factory"]["line"]["prompts"].pop("logistics")), gansu, "RQ001")
    assert [(f.path, f.label) for f in found] == [
        ("factory.line.prompts.logistics", "车间物流自动挑选、实时配送和自动输送情况")
    ]
    assert "附件3" in found[0].message


@pytest.mark.parametrize("n, over", [(300, False), (301, True)])
def test_a3_typical_scenario_at_most_300(gansu_record, gansu, n, over):
    found = findings(gansu_record(lambda d: d["scenarios"][1].update(description="字" * n)), gansu, "WC001")
    assert [f.path for f in found] == (["scenarios[1].description"] if over else [])


def _advanced(items=7, modes=("离散型智能制造",)):
    def edit(d):
        d["factory"]["level"] = "先进级"
        d["factory"]["excellent_scenarios"] = []
        d["factory"]["modes"] = list(modes)
        d["factory"]["summary"] = "项目简述" * 100
        d["factory"]["project_address"] = "兰州市七里河区建西东路318号"
        d["enterprise"]["intro"] = "企业简介" * 100
        d["scenarios"].append(
            {
                "stage": "运营管理",
                "name": "数智精益管理",
                "instance": "精益看板",
                "ai": False,
                "description": "精益管理看板",
            }
        )
        d["narrative"].update(
            project_overview="项目概述正文",
            advancement="先进性正文",
            demonstration="示范作用正文",
            mode_items={m: {n: f"{m}第{n}项正文" for n in range(1, items + 1)} for m in modes},
        )

    return edit


def test_a4_advanced_application(gansu_record, gansu, tmp_path):
    from formgen import app

    from .test_layout_features import _checkboxes
    from .test_render import cells_in_order, is_subsequence

    path = gansu_record(_advanced())
    assert findings(path, gansu) == []
    doc_path = next(p for p in app.fill(load(path), gansu, tmp_path / "a4") if p.name.startswith("附件4"))
    assert doc_path.name.startswith("附件4_甘肃省先进级智能工厂申报书")
    doc = Document(doc_path)
    texts = cells_in_order(doc)
    assert is_subsequence(
        [
            "（一）企业基本信息",
            "企业名称",
            "机构代码",
            "成立时间",
            "单位地址",
            "联系人",
            "企业负责人",
            "姓  名",
            "职务和职称",
            "近三年主要经济指标",
            "2022年",
            "2023年",
            "2024年",
            "总资产（万元）",
            "总负债（万元）",
            "主营业务收入（万元）",
            "利润（万元）",
            "税金（万元）",
            "企业\n简介",
            "（二）先进级智能工厂基本信息",
            "智能制造模式",
            "CMMM自评估等级",
            "是否有CMMM等级认证",
            "项目名称",
            "项目地址",
            "起止日期",
            "项目投资（万元）",
            "项\n目\n简\n述",
            "智能工厂包含的智能制造典型场景名称",
            "典型场景描述",
        ],
        texts,
    )
    cell = next(c for row in doc.tables[0].rows for c in row.cells if c.text.startswith("离散型智能制造模式"))
    assert _checkboxes(cell) == [
        ("离散型智能制造模式", True),
        ("流程型智能制造模式", False),
        ("网络协同制造模式", False),
        ("大规模个性化定制模式", False),
        ("远程运维服务模式", False),
    ]
    paras = [p.text for p in doc.paragraphs]
    assert is_subsequence(
        [
            "二、智能工厂基本情况",
            "（一）项目概述",
            "项目概述正文",
            "三、项目实施现状",
            "模式一：离散型智能制造",
            "1.项目系统模型建立与运行情况",
            "离散型智能制造第1项正文",
            "7.信息安全保障情况",
            "离散型智能制造第7项正文",
            "四、示范作用",
            "示范作用正文",
        ],
        paras,
    )
    assert "模式二：流程型智能制造" not in paras  # only the chosen modes


def test_a4_missing_mode_item_names_mode_and_item(gansu_record, gansu):
    found = findings(gansu_record(_advanced(items=6)), gansu, "MD001")
    assert [f.message for f in found] == ["模式一：离散型智能制造 第7项“信息安全保障情况”未填写"]
    found = findings(gansu_record(_advanced(items=4, modes=("离散型智能制造", "大规模个性化定制"))), gansu, "MD001")
    assert len(found) == 3  # 离散型 items 5-7; 大规模个性化定制 has exactly 4


def test_a4_unknown_mode_or_item(gansu_record, gansu):
    def edit(d):
        _advanced()(d)
        d["narrative"]["mode_items"]["离散型智能制造"][8] = "多余"
        d["narrative"]["mode_items"]["流程型"] = {1: "x"}

    msgs = [f.message for f in findings(gansu_record(edit), gansu, "MD002")]
    assert "离散型智能制造没有第8项（共 7 项）" in msgs and any("“流程型”不是附件5中的智能制造模式" in m for m in msgs)


def test_modes_reference_data():
    from formgen.record.refdata import modes

    assert [len(m["items"]) for m in modes()] == [7, 7, 6, 4, 5]
    assert modes()[1]["items"][4]["title"] == "健康安全环境监控情况"
    assert modes()[4]["heading"] == "模式五：远程运维服务"


@pytest.fixture
def scenario_doc(tmp_path, gansu_record, gansu):
    from formgen import app

    paths = app.fill(load(gansu_record()), gansu, tmp_path / "f2")
    return Document(next(p for p in paths if p.name.startswith("附件2_甘肃省智能制造优秀场景申报书")))


A2_LABELS = [
    "（一）申报主体基本信息",
    "企业名称",
    "统一社会信用代码",
    "成立时间",
    "企业性质",
    "企业类型¹",
    "所属行业²",
    "行业门类",
    "行业大类（行业代码大类+名称）",
    "行业中类（行业中类代码+名称）",
    "法人代表/负责人",
    "联系人",
    "信用等级",
    "近三年发展情况",
    "资产总额（万元）",
    "资产负债率（%）",
    "主营业务收入（万元）",
    "利润率（%）",
    "企业近三年是否发生过重大安全生产事故、重大环境事故³",
    "企业\n简介",
    "CMMM自评估等级",
    "（二）申报场景基本信息",
    "环节名称",
    "场景名称",
    "应用建设起止日期",
    "应用建设投资（万元）",
    "应用建设系统解决方案供应商名称",
    "联系人",
    "联系电话",
    "整\n体\n建\n设\n成\n效",
]


def test_a2_basic_information(scenario_doc):
    from .test_layout_features import _checkboxes
    from .test_render import cells_in_order, is_subsequence

    texts = cells_in_order(scenario_doc)
    assert is_subsequence(A2_LABELS, texts)
    paras = [p.text for p in scenario_doc.paragraphs]
    assert "场景名称　　　　　人机协同作业" in paras  # one 优秀场景 per 申报书
    assert is_subsequence(
        [
            "二、场景建设方案及情况",
            "三、下一步提升和推广计划",
            "（一）提升计划",
            "（二）推广应用计划",
            "四、相关附件",
            "附表1",
            "场景描述",
            "附表2",
            "场景采用的关键装备、软件、工艺、技术情况",
        ],
        paras,
    )
    table = scenario_doc.tables[0]
    nature = next(c for row in table.rows for c in row.cells if c.text.startswith("中央企业"))
    assert _checkboxes(nature) == [("中央企业", False), ("地方国企", False), ("民营企业", True), ("三资企业", False)]
    accident = next(c for row in table.rows for c in row.cells if c.text.startswith("是（事故名称："))
    assert _checkboxes(accident) == [("是（事故名称：　　　　）", False), ("否", True)]
    # 行业门类 | 行业大类 | 行业中类 on one row, each value under the annex's label
    assert is_subsequence(
        [
            "所属行业²",
            "行业门类\n制造业",
            "行业大类（行业代码大类+名称）\n34-通用设备制造业",
            "行业中类（行业中类代码+名称）\n341-锅炉及原动设备制造",
        ],
        texts,
    )


def test_a2_kpi_grid_has_every_indicator(scenario_doc):
    from formgen.record.refdata import kpi_names

    texts = [c.text for row in scenario_doc.tables[0].rows for c in row.cells]
    for name in kpi_names("gansu"):
        assert name in texts
    assert "（其他成效指标）" in texts
    row = next(r for r in scenario_doc.tables[0].rows if r.cells[1].text == "关键设备数控化率（%）")
    assert row.cells[3].text == "78" and row.cells[-1].text == "85"  # two indicators a row


def test_a2_accident_name_printed(gansu_record, gansu, tmp_path):
    from formgen import app

    from .test_layout_features import _checkboxes

    def edit(d):
        d["enterprise"]["accident"] = {"occurred": True, "name": "2023年3月锅炉车间火灾"}

    paths = app.fill(load(gansu_record(edit)), gansu, tmp_path / "acc", draft=True)
    doc = Document(next(p for p in paths if p.name.startswith("附件2")))
    cell = next(c for row in doc.tables[0].rows for c in row.cells if c.text.startswith("是（事故名称："))
    assert _checkboxes(cell) == [("是（事故名称：2023年3月锅炉车间火灾）", True), ("否", False)]


def test_a2_schedule_tables(scenario_doc):
    t1, t2 = scenario_doc.tables[-2], scenario_doc.tables[-1]
    assert len(t1.columns) == 11
    assert [c.text for c in t1.rows[0].cells] == [
        "序号",
        "环节名称",
        "场景名称",
        "应用描述（结合要素条件进行描述，300字以内，可配图）",
        "解决的痛点问题描述（300字以内）",
        "采用的技术方案（包括供应商）（300字以内，可以配图）",
        "保障要素（如人、管理机制、组织标准、培训等，200字以内，选填）",
        "已实施成效（最好通过量化指标描述，300字以内）",
        "其他（如对于其他车间、工厂的带动效应等，300字以内，选填）",
        "经济性和可推广性",
        "备注",
    ]
    # only the instances of this 申报书's 优秀场景 (人机协同作业: one instance in the example)
    assert len(t1.rows) == 1 + 1 and t1.rows[1].cells[2].text == "人机协同作业"
    assert scenario_doc.sections[-1].orientation == 1  # the schedules print landscape
    # 附表2: the first instance spans its header rows and its 2 equipment, 1 software, 1 process, 1 technology rows
    first = t2.cell(0, 0)
    assert first.text == "具体场景实例名称（与附表1表格对应）\n锅炉筒体机器人焊接单元"
    assert t2.cell(8, 0)._tc is first._tc and len(t2.rows) == 9
    assert [t2.cell(1, c).text for c in (1, 2, 3)] == ["高档数控机床与工业机器人", "弧焊机器人", "RH-20 六轴"]
    assert t2.cell(1, 0)._tc is first._tc
    assert t2.cell(0, 1).text.startswith("关键装备种类\n（在系统中选择高档数控机床与工业机器人")
    assert "焊接与卷板设备联网监控" not in [c.text for row in t2.rows for c in row.cells]


def _two_excellent(d):
    """Two 优秀场景; 人机协同作业 with a second instance."""
    second = copy.deepcopy(d["scenarios"][0])
    second.update(
        instance="管板机器人装配工位",
        start="2022-11",
        end="2024-09",
        investment=140.5,
        suppliers=["兰州智联工业技术有限公司", "甘肃长风自动化有限公司"],
    )
    d["scenarios"].append(second)
    d["factory"]["excellent_scenarios"] = ["人机协同作业", "设备运行监控"]


def test_a2_one_application_per_excellent_scenario(gansu_record, gansu, tmp_path):
    from formgen import app

    paths = app.fill(load(gansu_record(_two_excellent)), gansu, tmp_path / "two")
    a2 = sorted(p.name for p in paths if p.name.startswith("附件2"))
    assert a2 == [
        "附件2_甘肃省智能制造优秀场景申报书_甘肃陇原精工机械有限公司_人机协同作业.docx",
        "附件2_甘肃省智能制造优秀场景申报书_甘肃陇原精工机械有限公司_设备运行监控.docx",
    ]
    doc = Document(next(p for p in paths if p.name.endswith("人机协同作业.docx")))
    rows = {}
    for r in doc.tables[0].rows:  # the first row of each label (供应商名称 spans its 联系人 row)
        rows.setdefault(r.cells[0].text, r.cells[-1].text)
    assert rows["环节名称"] == "生产作业" and rows["场景名称"] == "人机协同作业"
    assert rows["应用建设起止日期"] == "2022年11月-2024年9月"  # earliest start to latest end of its instances
    assert rows["应用建设投资（万元）"] == "1000.5"  # 860 + 140.5
    assert rows["应用建设系统解决方案供应商名称"].startswith("兰州智联工业技术有限公司、甘肃长风自动化有限公司")
    t1 = doc.tables[-2]
    assert [r.cells[3].text for r in t1.rows[1:]] != [] and len(t1.rows) == 1 + 2  # both instances, nothing else
    other = Document(next(p for p in paths if p.name.endswith("设备运行监控.docx")))
    assert len(other.tables[-2].rows) == 1 + 1 and other.tables[-2].rows[1].cells[2].text == "设备运行监控"


def test_a2_excellent_scenario_must_name_a_scenario(gansu_record, gansu):
    (f,) = findings(gansu_record(lambda d: d["factory"].update(excellent_scenarios=["智能仓储"])), gansu, "SC003")
    assert f.path == "factory.excellent_scenarios[0]" and "人机协同作业" in f.message


def test_a2_fields_required_only_for_chosen_scenarios(gansu_record, gansu):
    def edit(d):
        d["scenarios"][2]["economics"] = None  # 生产进度跟踪 is not applied for as 优秀场景

    assert [f.path for f in findings(gansu_record(edit), gansu, "RQ001")] == []
    d_edit = lambda d: d["scenarios"][0].update(economics=None)  # noqa: E731
    assert [f.path for f in findings(gansu_record(d_edit), gansu, "RQ001")] == ["scenarios[0].economics"]


def test_a2_equipment_kind_from_its_six(gansu_record, gansu):
    def edit(d):
        d["scenarios"][0]["equipment"][0]["kind"] = "工业机器人"

    (f,) = findings(gansu_record(edit), gansu, "EN001")
    assert f.path == "scenarios[0].equipment[0].kind"


@pytest.mark.parametrize("field, limit", [("pain_points", 300), ("enablers", 200)])
def test_a2_schedule_column_limits(gansu_record, gansu, field, limit):
    ok = findings(gansu_record(lambda d: d["scenarios"][0].update({field: "字" * limit})), gansu, "WC001")
    over = findings(gansu_record(lambda d: d["scenarios"][0].update({field: "字" * (limit + 1)})), gansu, "WC001")
    assert ok == [] and [f.path for f in over] == [f"scenarios[0].{field}"]


def test_bad_example_trips_the_gansu_rules(gansu):
    found = {f.code for f in findings(ROOT / "data" / "examples" / "gansu-bad.yaml", gansu)}
    expected = {
        "BR001",
        "BR003",
        "SC003",
        "LS001",
        "ID002",
        "ID003",
        "SZ001",
        "RG001",
        "RG002",
        "IC002",
        "WC001",
        "CS001",
        "CS002",
        "CS003",
        "CS004",
        "FI002",
        "PH001",
        "EL001",
        "EL003",
        "EN001",
        "RQ001",
    }
    assert expected <= found, expected - found


def _batch_rows(paths, out, doc):
    """Run summary over several records; the data rows of one sheet (after its header)."""
    r = CliRunner().invoke(
        main,
        [
            "summary",
            *map(str, paths),
            "--pack",
            "gansu",
            "--unit",
            "兰州市工业和信息化局",
            "--doc",
            doc,
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    ws = openpyxl.load_workbook(next(out.glob("*.xlsx"))).active
    return [[c.value for c in row] for row in ws.iter_rows() if str(row[0].value or "").isdigit()]


def _advanced_no_project(d):
    _advanced()(d)
    d["projects"] = []
    d["enterprise"]["name"] = "甘肃先进示范有限公司"
    d["enterprise"]["org_code"] = None  # taken from the credit code


def test_projects_required_only_where_listed(gansu_record, gansu):
    """附件7 lists a 基础级 applicant's projects: a 先进级 or 优秀场景-only applicant
    with no project is not an error."""
    assert [f.path for f in findings(gansu_record(_advanced_no_project), gansu, "RQ001")] == []
    basic = findings(gansu_record(lambda d: d.update(projects=[])), gansu, "RQ001")
    assert [f.path for f in basic] == ["projects"] and "附件7" in basic[0].message


def test_eco_benefit_is_optional(gansu_record, gansu):
    assert findings(gansu_record(lambda d: d["projects"][0].update(eco_benefit=None)), gansu, "RQ001") == []


def _code(body: str) -> str:
    from stdnum.cn import uscc

    return body + uscc.calc_check_digit(body)


def test_a7_lists_only_basic_level_projects(gansu_record, gansu_data, tmp_path):
    basic = gansu_record()

    def advanced_with_project(d):
        _advanced_no_project(d)
        d["enterprise"]["credit_code"] = _code("91620100MA71XAMP2")
        d["projects"] = copy.deepcopy(gansu_data["projects"])

    rows = _batch_rows([basic, gansu_record(advanced_with_project, name="adv.yaml")], tmp_path / "a7", "a7")
    assert [r[1] for r in rows] == ["甘肃陇原精工机械有限公司"]


def test_a6_and_a1_keep_applicants_without_projects_and_drop_zhuoyue(gansu_record, tmp_path):
    def advanced(d):
        _advanced_no_project(d)
        d["enterprise"]["credit_code"] = _code("91620100MA71XAMP2")

    def zhuoyue(d):
        _zhuoyue(d)
        d["enterprise"]["org_code"] = None
        d["enterprise"]["credit_code"] = _code("91620100MA71XAMQ0")

    paths = [gansu_record(), gansu_record(advanced, name="adv.yaml"), gansu_record(zhuoyue, name="zy.yaml")]
    a6 = _batch_rows(paths, tmp_path / "a6", "a6")
    assert [r[1].split("\n")[0] for r in a6] == ["甘肃陇原精工机械有限公司", "甘肃先进示范有限公司"]
    assert a6[1][4] == "☑先进级智能工厂\n□基础级智能工厂\n□优秀应用场景"
    a1 = _batch_rows(paths, tmp_path / "a1", "a1")
    assert [r[1] for r in a1] == ["甘肃陇原精工机械有限公司", "甘肃先进示范有限公司", "兰州兰石重工有限公司"]


def test_labels_one_per_field_without_footnote_marks(gansu):
    labels = gansu.labels_for(gansu.documents)
    assert labels["enterprise.industry.sector"] == "所属行业"  # 附件1 prints 所属行业¹
    assert labels["enterprise.nature"] == "企业性质"


def _value_notes(layout: dict) -> list[str]:
    """The notes of the value cells of a single layout (the annex's hints in the blank form)."""
    out = []

    def walk(node):
        if isinstance(node, dict):
            if (node.get("field") or node.get("expr")) and node.get("note") and node.get("note_if_empty") is not False:
                out.append(node["note"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(layout)
    return out


def test_a3_filled_values_print_without_the_annex_hints(basic_doc, gansu_data, gansu):
    """（发展历程…限400字）, (不超过300字) and the other hints of 附件3 print in a blank form's
    empty cells only: under a filled value the cell holds the value alone (issue 27)."""
    from .test_render import cells_in_order

    notes = _value_notes(gansu.document("a3").layout)
    assert "（发展历程、主营业务、市场销售等方面基本情况，限400字）" in notes and "(不超过300字)" in notes
    texts = cells_in_order(basic_doc)
    for note in notes:
        assert not any(note in t for t in texts), note
    intro = gansu_data["enterprise"]["intro"]
    assert any(t == intro.strip() for t in texts)
    described = [t for t in texts if t == gansu_data["scenarios"][0]["description"].strip()]
    assert described  # the scenario's description alone in its cell


def test_a3_blank_cells_keep_the_annex_hint(gansu_record, gansu, tmp_path):
    from formgen import app

    from .test_render import cells_in_order

    def edit(d):
        d["enterprise"].pop("intro")

    paths = app.fill(load(gansu_record(edit)), gansu, tmp_path / "f", draft=True)
    texts = cells_in_order(Document(next(p for p in paths if p.name.startswith("附件3"))))
    assert "（发展历程、主营业务、市场销售等方面基本情况，限400字）" in [t.strip() for t in texts]


def _years_typed_out_of_order(d):
    f = d["enterprise"]["financials"]
    d["enterprise"]["financials"] = [f[2], f[0], f[1]]  # 2024, 2022, 2023


def _row_after(texts: list[str], label: str, n: int) -> list[str]:
    i = texts.index(label)
    return texts[i + 1 : i + 1 + n]


def test_recent_years_print_in_ascending_order_whatever_the_order_typed(gansu_record, gansu, tmp_path, gansu_data):
    """近三年 typed 2024, 2022, 2023: every form lists them 2022 | 2023 | 2024 as the annexes
    do, each value under its own year; 上年末 is 2024's (issue 27)."""
    from formgen import app

    from .test_render import cells_in_order

    years = {y["year"]: y for y in gansu_data["enterprise"]["financials"]}

    def advanced(d):
        _advanced()(d)
        _years_typed_out_of_order(d)

    a4 = next(p for p in app.fill(load(gansu_record(advanced)), gansu, tmp_path / "a4") if p.name.startswith("附件4"))
    texts = cells_in_order(Document(a4))
    assert _row_after(texts, "近三年主要经济指标", 3) == ["2022年", "2023年", "2024年"]
    assert _row_after(texts, "总资产（万元）", 3) == [str(years[y]["total_assets"]) for y in (2022, 2023, 2024)]

    paths = app.fill(load(gansu_record(_years_typed_out_of_order)), gansu, tmp_path / "a2a3")
    a2 = cells_in_order(Document(next(p for p in paths if p.name.startswith("附件2"))))
    assert _row_after(a2, "近三年发展情况", 3) == ["2022年", "2023年", "2024年"]
    assert _row_after(a2, "资产总额（万元）", 3) == [str(years[y]["total_assets"]) for y in (2022, 2023, 2024)]
    a3 = cells_in_order(Document(next(p for p in paths if p.name.startswith("附件3"))))
    assert _row_after(a3, "上年末总资产（万元）", 1) == [str(years[2024]["total_assets"])]
