"""formgen import reads back every field a form prints (issue 24): the command with a
relative --out, the level a form's title states, 所属地区 split into city and district,
Gansu's 9-character 组织机构代码 as a field of its own."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
import yaml
from click.testing import CliRunner

from formgen.cli import main
from formgen.doors.opener import load
from formgen.packs.pack import get_pack
from formgen.record.derived import derive
from formgen.render import docx as docx_render

ROOT = Path(__file__).resolve().parent.parent
GANSU = ROOT / "data" / "examples" / "gansu-longyuan.yaml"


@pytest.fixture(scope="module")
def gansu():
    return get_pack("gansu")


def _rendered(tmp_path: Path, doc_id: str, edit=None, name: str | None = None) -> Path:
    """A Gansu form rendered from the example record (changed by ``edit(data)``) as fill
    renders it: the fields worked out from others filled in (the 组织机构代码)."""
    data = yaml.safe_load(GANSU.read_text(encoding="utf-8"))
    if edit:
        edit(data)
    record = tmp_path / "record.yaml"
    record.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    loaded = load(record)
    pack = get_pack("gansu")
    doc = pack.document(doc_id)
    form = tmp_path / (name or f"{doc.short_title}.docx")
    printed = derive(loaded.record, pack)
    form.write_bytes(docx_render.render_single(doc.layout, printed, loaded.base_dir, False, {}))
    return form


def _a3(tmp_path: Path, edit=None, name: str = "附件3.docx") -> Path:
    return _rendered(tmp_path, "a3", edit, name)


def _set_cell(form: Path, label: str, text: str) -> None:
    """The value cell right of the cell labelled ``label`` set to ``text`` (as typed by hand)."""
    d = docx.Document(str(form))
    for t in d.tables:
        for row in t.rows:
            cells = list(dict.fromkeys(row.cells))  # a merged cell once
            for i, c in enumerate(cells[:-1]):
                if c.text.strip() == label:
                    cells[i + 1].text = text
                    d.save(str(form))
                    return
    raise AssertionError(label)


# -- the command with a relative --out --------------------------------------------------------


@pytest.mark.parametrize("out", [None, "imported", "sub/records"])
def test_import_into_a_relative_folder_reports_what_it_read(tmp_path, monkeypatch, out):
    _a3(tmp_path)
    monkeypatch.chdir(tmp_path)
    args = ["import", "附件3.docx", "--pack", "gansu", "--report", "问题清单.xlsx"]
    result = CliRunner().invoke(main, args + (["--out", out] if out else []))
    assert "请报告此问题" not in result.output, result.output
    assert result.exit_code in (0, 1), result.output
    folder = tmp_path / (out or "imported")
    record = folder / "甘肃陇原精工机械有限公司.yaml"
    assert record.exists()
    assert f"已读入：附件3.docx → {record}（甘肃陇原精工机械有限公司）" in result.output
    assert (tmp_path / "问题清单.xlsx").exists()


# -- what the form's title says -------------------------------------------------------------------


def _read(form: Path):
    from formgen.doors.importer import import_file

    (rec,) = import_file(form, get_pack("gansu"))
    return rec


def test_the_level_a_gansu_form_is_for_is_read_from_its_title(tmp_path):
    rec = _read(_a3(tmp_path))
    assert rec.data["factory"]["level"] == "基础级"
    assert rec.places["factory.level"] == "标题「甘肃省基础级智能工厂申报书」"
    assert rec.labels["factory.level"] == "申报层级"

    def advanced(d):
        d["factory"].update(level="先进级", excellent_scenarios=[], modes=["离散型智能制造"], start="2023-01")

    data = yaml.safe_load(GANSU.read_text(encoding="utf-8"))
    advanced(data)
    record = tmp_path / "adv.yaml"
    record.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    loaded = load(record)
    doc = get_pack("gansu").document("a4")
    form = tmp_path / "附件4.docx"
    form.write_bytes(docx_render.render_single(doc.layout, loaded.record, loaded.base_dir, False, {}))
    assert _read(form).data["factory"]["level"] == "先进级"


def test_the_imported_record_is_checked_at_its_level(tmp_path):
    """附件3 read back alone: the 基础级 rules run (企业简介 限400字, a 基础级 rule),
    which they did not when the level was lost."""
    from formgen.app import validate
    from formgen.doors.importer import to_loaded

    rec = _read(_a3(tmp_path, lambda d: d["enterprise"].update(intro="甲" * 401)))
    found = [f for f in validate(to_loaded(rec, get_pack("gansu")), get_pack("gansu")) if f.path == "enterprise.intro"]
    assert found and "400" in found[0].message and found[0].line == "表格1 第11行「企业简介」"


# -- 所属地区 split into city and district ---------------------------------------------------------


def test_a_place_is_split_into_city_and_district_within_the_province(tmp_path):
    rec = _read(_a3(tmp_path))
    assert rec.data["enterprise"]["region"] == {"province": "甘肃省", "city": "兰州市", "district": "七里河区"}
    assert rec.places["enterprise.region.city"] == "表格1 第2行「所属地区」"
    assert not [f for f in rec.findings if f.code == "IM007"]


@pytest.mark.parametrize(
    ("typed", "region"),
    [
        ("兰州市 七里河区", {"province": "甘肃省", "city": "兰州市", "district": "七里河区"}),
        ("甘南藏族自治州合作市", {"province": "甘肃省", "city": "甘南藏族自治州", "district": "合作市"}),
        ("嘉峪关市", {"province": "甘肃省", "city": "嘉峪关市"}),  # a city alone
        ("七里河区", {"province": "甘肃省", "district": "七里河区"}),  # a county alone
        ("北京市朝阳区", {"city": "北京市", "district": "朝阳区"}),  # not Gansu's: RG001 says so
    ],
)
def test_places_typed_by_hand_land_in_their_fields(tmp_path, typed, region):
    form = _a3(tmp_path)
    _set_cell(form, "所属地区", typed)
    rec = _read(form)
    assert rec.data["enterprise"]["region"] == region
    assert not [f for f in rec.findings if f.code == "IM007"]


def test_a_place_that_cannot_be_split_is_kept_whole_with_a_warning_at_its_cell(tmp_path):
    form = _a3(tmp_path)
    _set_cell(form, "所属地区", "兰州新区管委会")
    rec = _read(form)
    assert rec.data["enterprise"]["region"] == {"district": "兰州新区管委会"}
    (warning,) = [f for f in rec.findings if f.code == "IM007"]
    assert not warning.is_error and warning.line == "表格1 第2行「所属地区」"
    assert "兰州新区管委会" in warning.message and warning.path == "enterprise.region.district"


# -- 组织机构代码: a field of its own -------------------------------------------------------------


def _cell_right_of(form: Path, label: str) -> str:
    d = docx.Document(str(form))
    for t in d.tables:
        for row in t.rows:
            cells = list(dict.fromkeys(row.cells))
            for i, c in enumerate(cells[:-1]):
                if c.text.strip() == label:
                    return cells[i + 1].text
    raise AssertionError(label)


def test_annex3_prints_the_org_code_worked_out_from_the_credit_code_and_reads_it_back(tmp_path):
    form = _a3(tmp_path, lambda d: d["enterprise"].pop("org_code"))
    assert _cell_right_of(form, "组织机构代码") == "710265310"  # characters 9-17 of 916201037102653100
    rec = _read(form)
    assert rec.data["enterprise"]["org_code"] == "710265310"
    assert "credit_code" not in rec.data["enterprise"]
    assert rec.places["enterprise.org_code"] == "表格1 第3行「组织机构代码」"


def test_the_gansu_basic_blank_asks_for_the_credit_code_by_its_name(tmp_path):
    from formgen.catalogue import catalogue

    cat = catalogue("gansu", "基础级")
    credit, org = cat.get("enterprise.credit_code"), cat.get("enterprise.org_code")
    assert credit.label == "统一社会信用代码" and credit.required and "18位" in credit.note
    assert "组织机构代码取其第9-17位" in credit.note
    assert org.label == "组织机构代码" and not org.required and "9位" in org.note and "18位" not in org.note
    assert org.derived_from == "enterprise.credit_code"
    # the workbook blank as a user sees it: one row per field, label and note
    result = CliRunner().invoke(main, ["init", str(tmp_path / "b.xlsx"), "--pack", "gansu", "--level", "基础级"])
    assert result.exit_code == 0, result.output
    import openpyxl

    rows = {r[0]: r for ws in openpyxl.load_workbook(tmp_path / "b.xlsx") for r in ws.iter_rows(values_only=True)}
    assert rows["enterprise.credit_code"][1] == "统一社会信用代码" and "18位" in rows["enterprise.credit_code"][3]
    assert rows["enterprise.org_code"][1] == "组织机构代码" and "18位" not in rows["enterprise.org_code"][3]
    blank = tmp_path / "b.yaml"
    assert CliRunner().invoke(main, ["init", str(blank), "--pack", "gansu", "--level", "基础级"]).exit_code == 0
    lines = blank.read_text(encoding="utf-8").splitlines()
    assert any(x.strip().startswith("credit_code:  # 统一社会信用代码：18位") for x in lines)
    assert any(x.strip().startswith("org_code:  # 组织机构代码：9位") for x in lines)


def test_a_credit_code_alone_satisfies_annex3_and_neither_asks_for_the_credit_code(tmp_path):
    from formgen.app import validate

    def codes(edit, scenarios=True):
        data = yaml.safe_load(GANSU.read_text(encoding="utf-8"))
        edit(data["enterprise"])
        if not scenarios:
            data["factory"]["excellent_scenarios"] = []  # 附件3 alone, no 附件2
        path = tmp_path / "r.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        return [(f.code, f.path) for f in validate(load(path), get_pack("gansu")) if f.code.startswith(("RQ", "ID"))]

    assert codes(lambda e: e.pop("org_code")) == []
    assert codes(lambda e: (e.pop("org_code"), e.pop("credit_code"))) == [("RQ001", "enterprise.credit_code")]
    assert codes(lambda e: e.pop("credit_code")) == [("RQ001", "enterprise.credit_code")]  # 附件2 prints it
    assert codes(lambda e: e.pop("credit_code"), scenarios=False) == []  # 附件3's own code is enough


def test_an_org_code_read_back_is_checked_against_the_credit_code_of_annex2(tmp_path):
    """附件2 prints the credit code, 附件3 the org code: read back together, a 组织机构代码
    typed wrong on 附件3 is ID003 at its cell."""
    from formgen.app import validate
    from formgen.doors.importer import import_forms

    forms = tmp_path / "forms"
    result = CliRunner().invoke(main, ["fill", str(GANSU), "--pack", "gansu", "--out", str(forms)])
    assert result.exit_code == 0, result.output
    (a3,) = forms.glob("附件3_*.docx")
    _set_cell(a3, "组织机构代码", "79965505-8")  # a valid code, but not this enterprise's
    gansu = get_pack("gansu")
    (entry,) = import_forms(sorted(forms.glob("*.docx")), gansu).records
    (bad,) = [f for f in validate(entry[3], gansu) if f.code == "ID003"]
    assert "710265310" in bad.message and bad.line.endswith("表格1 第3行「组织机构代码」")


def test_check_verifies_the_org_code_typed_into_annex3(tmp_path):
    """The 组织机构代码 cell is a field of its own on the form, so a draft's check digit is
    checked where it was typed (it was an expression, which check does not read)."""
    form = _a3(tmp_path)
    _set_cell(form, "组织机构代码", "71026531X")
    result = CliRunner().invoke(main, ["check", str(form), "--pack", "gansu"])
    assert result.exit_code == 1, result.output
    line = next(x for x in result.output.splitlines() if "ID002" in x)
    assert "表格1 第3行「组织机构代码」" in line and "71026531X 校验位错误" in line


# -- 附件2: KPIs with no row of their own, under 其他成效指标 ------------------------------------

# two indicators of the 2025 list (checks.kpi: [gansu, 2025]) with no row of 附件2's table
EXTRA_KPIS = {"应用人工智能技术场景比例（%）": 0, "一般固废综合利用率（%）": 92.5}
OWN_TEXT = "人均产值提升：18万元\n新产品开发周期缩短三成"


def _with_extra_kpis(data):
    data["kpis"].update(EXTRA_KPIS)
    data["kpi_others"] = OWN_TEXT


def _a2(tmp_path: Path, edit=None) -> Path:
    return _rendered(tmp_path, "a2", edit)


def _others_cell(form: Path) -> str:
    cells = [c.text for t in docx.Document(str(form)).tables for row in t.rows for c in row.cells]
    return next(c for c in cells if c.startswith("（其他成效指标）"))


def test_a2_prints_every_kpi_without_a_row_under_other_indicators(tmp_path):
    form = _a2(tmp_path, _with_extra_kpis)
    assert _others_cell(form).split("\n") == [
        "（其他成效指标）",
        *OWN_TEXT.split("\n"),
        "应用人工智能技术场景比例（%）：0",
        "一般固废综合利用率（%）：92.5",
    ]
    # a KPI with a row of its own prints there only (生产效率提升 is 生产效率提升*（%）'s row)
    assert "生产效率提升" not in _others_cell(form)


def test_a2_other_indicators_cell_only_heading_without_extras(tmp_path):
    assert _others_cell(_a2(tmp_path)) == "（其他成效指标）"


def test_import_reads_the_extra_kpis_back_into_kpis(tmp_path):
    form = _a2(tmp_path, _with_extra_kpis)
    out = tmp_path / "back"
    result = CliRunner().invoke(main, ["import", str(form), "--pack", "gansu", "--out", str(out)])
    assert result.exit_code in (0, 1), result.output
    back = load(next(out.glob("*.yaml"))).record
    assert {k: float(v) for k, v in back.kpis.items()} == {
        "关键设备数控化率（%）": 78,
        "关键设备联网率（%）": 85,
        "生产效率提升*（%）": 22,
        **EXTRA_KPIS,
    }
    assert back.kpi_others == OWN_TEXT


# -- 附件2's 法人代表/负责人电话: printed from the legal representative's phone, else the head's --


def test_the_head_s_phone_printed_for_the_legal_rep_comes_back_as_the_head_s(tmp_path):
    """The example's 法定代表人 has no phone, so 附件2 prints the 企业负责人's under
    法人代表/负责人 电话: read back, it is the head's phone (nothing put into the legal
    representative's), and the imported record is not missing 「法人代表/负责人电话」."""
    from formgen.app import validate
    from formgen.doors.importer import to_loaded

    rec = _read(_rendered(tmp_path, "a2"))
    assert rec.data["people"]["head"]["phone"] == "0931-2345678"
    assert "phone" not in rec.data["people"].get("legal_rep", {})
    gansu = get_pack("gansu")
    missing = [f for f in validate(to_loaded(rec, gansu), gansu) if f.code == "RQ001" and f.path.startswith("people.")]
    assert missing == []


def test_a_legal_rep_s_phone_is_told_from_the_head_s_on_annex4(tmp_path):
    """A 先进级 record with two phones: 附件2 prints the legal representative's, 附件4 the
    head's; read back together, each is in its own field and nothing is reported."""
    from formgen.doors.importer import import_forms

    def advanced(d):
        d["factory"].update(level="先进级", modes=["离散型智能制造"], start="2023-01")
        d["people"]["legal_rep"]["phone"] = "0931-8888777"

    forms = [_rendered(tmp_path, "a2", advanced), _rendered(tmp_path, "a4", advanced)]
    (entry,) = import_forms(forms, get_pack("gansu")).records
    people = entry[2].data["people"]
    assert (people["legal_rep"]["phone"], people["head"]["phone"]) == ("0931-8888777", "0931-2345678")
    assert [f for f in entry[2].findings if f.code == "IM003"] == []


# -- 附件2's 应用建设系统解决方案供应商名称: a list printed joined by 、 -----------------------------


@pytest.mark.parametrize(
    "suppliers,shown",
    [
        (["自建", "兰州智联工业技术有限公司"], "自建、兰州智联工业技术有限公司"),
        (["自建", "华为、中兴联合体"], "自建、“华为、中兴联合体”"),
        (["华为、中兴联合体"], "“华为、中兴联合体”"),
        (["“陇原”智造、自建"], "““陇原”智造、自建”"),
    ],
)
def test_suppliers_printed_joined_come_back_as_their_items(tmp_path, suppliers, shown):
    """附件2 for one 优秀场景 prints its suppliers joined by 、: read back, they are the
    same items, one that holds a 、 itself (printed in “”) included."""

    def edit(d):
        d["scenarios"][0]["suppliers"] = suppliers

    data = yaml.safe_load(GANSU.read_text(encoding="utf-8"))
    edit(data)
    record = tmp_path / "record.yaml"
    record.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    loaded = load(record)
    pack = get_pack("gansu")
    doc = pack.document("a2")
    printed = doc.split_view(derive(loaded.record, pack), data["scenarios"][0]["name"])
    form = tmp_path / "附件2.docx"
    form.write_bytes(docx_render.render_single(doc.layout, printed, loaded.base_dir, False, {}))
    cells = [c.text for t in docx.Document(str(form)).tables for row in t.rows for c in row.cells]
    assert shown in cells
    assert _read(form).data["scenarios"][0]["suppliers"] == suppliers
