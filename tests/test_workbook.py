"""The record in Excel (issue 10): a workbook people can fill, read back everywhere a
YAML record is read, tolerant of what people do in Excel, refusing bad files in one line,
converted to and from YAML without loss."""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner
from docx import Document

from formgen.app import validate
from formgen.catalogue import catalogue
from formgen.cli import main
from formgen.doors.blank import record_yaml
from formgen.doors.opener import load
from formgen.doors.workbook import CELL_MAX, MAX_ROWS, _sheet_parts, blank_workbook, read_workbook, record_workbook
from formgen.packs.pack import get_pack
from formgen.record.loader import LoadError
from formgen.record.model import Recommender, Record

from .conftest import EXAMPLE, REPORT, ROOT, link_figures, to_pdf

EXAMPLES = ROOT / "data" / "examples"
TWINS = {"shanghai-chengchuan": "shanghai", "gansu-longyuan": "gansu", "hebei-jizhong": "hebei"}


def record_of(name: str) -> Record:
    return load(EXAMPLES / f"{name}.yaml").record


def xlsx_of(tmp_path: Path, record: Record, name: str = "r.xlsx", pack=None) -> Path:
    p = tmp_path / name
    p.write_bytes(record_workbook(record, pack))
    return p


def where(path: Path, field: str, item: int | None = None) -> tuple[str, str]:
    """(sheet, A1 cell) of a field's value: column C of its row on a rows sheet, its column
    on a table (item = 0-based row of the table)."""
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        if ws["A1"].value == "#字段":
            for row in ws.iter_rows(min_row=2):
                if row[0].value == field:
                    return ws.title, f"C{row[0].row}"
        for cell in ws[1]:
            if cell.value == field:
                return ws.title, f"{cell.column_letter}{3 + (item or 0)}"
    raise KeyError(field)


def edit(path: Path, changes: dict, rename: dict | None = None, extra_sheet: dict | None = None):
    """Change cells of a workbook as a user would in Excel: {(sheet, A1): value}."""
    wb = openpyxl.load_workbook(path)
    for (sheet, cell), value in changes.items():
        wb[sheet][cell].value = value
    for old, new in (rename or {}).items():
        wb[old].title = new
    for title, cells in (extra_sheet or {}).items():
        ws = wb.create_sheet(title)
        for cell, value in cells.items():
            ws[cell].value = value
    wb.save(path)


def patch_sheet(path: Path, sheet: str, change):
    """Rewrite one sheet's XML (for what openpyxl cannot write: cached formula values,
    huge sheets)."""
    with zipfile.ZipFile(path) as zf:
        part = _sheet_parts(zf)[sheet]
        members = [(i, zf.read(i.filename)) for i in zf.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in members:
            if info.filename == part:
                data = change(data.decode("utf-8")).encode("utf-8")
            out.writestr(info.filename, data)
    path.write_bytes(buf.getvalue())


def set_cell_xml(path: Path, sheet: str, cell: str, xml: str):
    """Replace cell ``cell``'s element with ``xml`` (the cell must exist)."""

    def change(text):
        new, n = re.subn(rf'<c r="{cell}"[^>]*?(/>|>.*?</c>)', xml, text, count=1)
        assert n == 1, cell
        return new

    patch_sheet(path, sheet, change)


def refused(cli, path, *expect):
    """A file validate cannot read: exit 2, one line per problem naming the place, no traceback."""
    r = cli("validate", path)
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    lines = [ln for ln in r.output.splitlines() if ln.strip() and not ln.startswith("共 ")]
    assert lines, r.output
    for text in expect:
        assert text in r.output, (text, r.output)
    return lines


def reported(cli, path, *expect):
    """A workbook validate reads, a cell (or sheet) it cannot read left out: exit 1, one line
    per problem naming the place, no traceback."""
    r = cli("validate", path)
    assert r.exit_code == 1, r.output
    assert "Traceback" not in r.output
    lines = [ln for ln in r.output.splitlines() if ln.strip() and not ln.startswith("共 ")]
    for text in expect:
        assert text in r.output, (text, r.output)
    return lines


def findings_set(result_json: str) -> set:
    import json

    return {(f["code"], f["path"], f["message"]) for f in json.loads(result_json)["findings"]}


# --- the blank workbook -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def gansu_blank(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("blank") / "我的企业.xlsx"
    r = CliRunner().invoke(main, ["init", str(p), "--pack", "gansu", "--level", "先进级"])
    assert r.exit_code == 0, r.output
    return p


def test_blank_has_instructions_first_and_a_sheet_per_section(gansu_blank):
    wb = openpyxl.load_workbook(gansu_blank)
    names = wb.sheetnames
    assert names[0] == "填写说明"
    assert names[1:6] == ["企业基本信息", "人员", "近三年主要经济指标", "智能工厂", "智能制造典型场景"]
    assert "项目实施现状（按智能制造模式）" in names
    assert wb["选项"].sheet_state == "hidden"  # the long lists (scenario names)
    help_text = "\n".join(str(c.value) for c in wb["填写说明"]["B"] if c.value)
    for text in ("甘肃省智能工厂梯度培育申报", "先进级", "附件4 甘肃省先进级智能工厂申报书", "空一行", "Alt+Enter"):
        assert text in help_text
    assert "formgen validate 本文件.xlsx" in help_text
    # nothing of Shanghai, and the pack and level recorded
    fields = [c.value for ws in wb.worksheets for c in ws["A"] if c.value]
    assert "enterprise.industry.shanghai" not in fields and "narrative.business" not in fields
    record = load(gansu_blank).record
    assert record.pack == "gansu" and record.factory.level == "先进级"


def test_rows_sheet_layout_locks_labels_and_hides_paths(gansu_blank):
    wb = openpyxl.load_workbook(gansu_blank)
    ws = wb["企业基本信息"]
    assert [c.value for c in ws[1]][:5] == ["#字段", "项目", "内容", "说明", "限制与要求"]
    assert ws.column_dimensions["A"].hidden
    assert ws.freeze_panes == "A2"
    assert ws.protection.sheet and not ws.protection.password
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "enterprise.intro")
    label, value, note, limit = row[1], row[2], row[3], row[4]
    assert label.value == "企业简介" and label.protection.locked and note.protection.locked
    assert not value.protection.locked and value.alignment.wrap_text
    assert "400字左右（300-500字）" in limit.value and "必填（附件4）" in limit.value
    assert "发展历程、主营业务、市场开拓" in note.value
    assert ws.row_dimensions[row[0].row].height >= 90  # a long text gets room


def validations(ws) -> dict[str, object]:
    """A1 of each validated cell range's first cell -> its data validation."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            out[rng.coord.split(":")[0]] = dv
    return out


def test_drop_downs_and_number_and_date_validation(gansu_blank):
    wb = openpyxl.load_workbook(gansu_blank)
    ws = wb["企业基本信息"]
    dvs = validations(ws)
    cell = {r[0].value: f"C{r[0].row}" for r in ws.iter_rows(min_row=2) if r[0].value}
    nature = dvs[cell["enterprise.nature"]]
    assert nature.type == "list" and nature.formula1 == '"中央企业,地方国企,民营企业,三资企业"'
    assert nature.errorStyle in (None, "stop")  # stop (the default): the record model accepts nothing else
    # numbers and dates: text passes (read as typed: 460人, 2023年3月), a number is held to its bounds
    employees = dvs[cell["enterprise.employees"]]
    assert (employees.type, employees.formula1) == (
        "custom",
        f"OR(ISTEXT({cell['enterprise.employees']}),AND("
        f"{cell['enterprise.employees']}>=0,"
        f"{cell['enterprise.employees']}=INT({cell['enterprise.employees']})))",
    )
    assert (
        dvs[cell["enterprise.founded"]].type == "custom"
        and "DATE(1900,1,1)" in dvs[cell["enterprise.founded"]].formula1
    )
    intro = dvs[cell["enterprise.intro"]]
    assert intro.promptTitle == "企业简介" and "400字左右（300-500字）" in intro.prompt and intro.showInputMessage
    factory = wb["智能工厂"]
    fdv = validations(factory)
    fcell = {r[0].value: f"C{r[0].row}" for r in factory.iter_rows(min_row=2) if r[0].value}
    assert fdv[fcell["factory.investment"]].type == "custom"
    assert "ISTEXT" in fdv[fcell["factory.start"]].formula1
    level_cell = fcell["factory.cmmm.level"]
    level = fdv[level_cell]
    assert (
        level.formula1
        == f"OR(ISTEXT({level_cell}),AND({level_cell}>=1,{level_cell}<=5,{level_cell}=INT({level_cell})))"
    )
    assert "应为" in level.error and "万元" not in level.error  # the field's own kinds, no other field's unit
    assert fdv[fcell["factory.level"]].formula1 == '"基础级,先进级,卓越级"'
    # scenario names: a long list on the hidden 选项 sheet; 环节 its own list
    sc = wb["智能制造典型场景"]
    keys = [c.value for c in sc[1]]
    # 是否应用人工智能技术: KP003 compares the declared AI share with it (the blank offers what rules read)
    assert keys == ["scenarios[].name", "scenarios[].ai", "scenarios[].description"]
    assert sc.row_dimensions[1].hidden and sc.freeze_panes == "A3" and sc.auto_filter.ref
    name_dv = validations(sc)["A3"]
    assert name_dv.type == "list" and name_dv.formula1.startswith("'选项'!$")
    assert name_dv.errorStyle == "warning"  # SC001 names the nearest official name
    col, first, last = re.match(r"'选项'!\$([A-Z]+)\$(\d+):\$[A-Z]+\$(\d+)", name_dv.formula1).groups()
    listed = [wb["选项"][f"{col}{i}"].value for i in range(int(first), int(last) + 1)]
    assert listed == list(catalogue("gansu", "先进级").get("scenarios[].name").options)
    assert not sc.column_dimensions["A"].protection.locked and sc["A2"].protection.locked  # rows typed later too
    assert sc.protection.insertRows is False  # False = not prevented: rows may be inserted


def test_every_enumeration_of_a_complete_workbook_has_a_drop_down(tmp_path, cli):
    p = tmp_path / "all.xlsx"
    assert cli("init", p).exit_code == 0
    wb = openpyxl.load_workbook(p)
    cat = catalogue(None)
    for f in cat:
        if f.kind not in ("enum", "bool", "enums"):
            continue
        sheet, cell = where(p, f.path)
        dv = validations(wb[sheet]).get(cell)
        assert dv is not None and dv.type == "list", f.path


# --- read everywhere ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["shanghai-chengchuan", "gansu-longyuan", "hebei-jizhong", "shanghai-bad", "gansu-bad"]
)
def test_round_trip_is_exact(tmp_path, name):
    record = record_of(name)
    p = xlsx_of(tmp_path, record)
    assert load(p).record == record
    y = tmp_path / "back.yaml"
    y.write_text(record_yaml(load(p).record), encoding="utf-8")
    assert load(y).record == record


def test_convert_both_ways_with_the_cli(cli, tmp_path):
    src = EXAMPLES / "gansu-longyuan.yaml"
    x, y = tmp_path / "g.xlsx", tmp_path / "g.yaml"
    r = cli("convert", src, x, "--pack", "gansu")
    assert r.exit_code == 0 and "已转换" in r.output
    assert cli("convert", x, y).exit_code == 0
    assert load(y).record == load(src).record == load(x).record
    # never overwrite unless --force; a refused run leaves the file as it was
    before = y.read_bytes()
    r = cli("convert", x, y)
    assert r.exit_code == 1 and "已存在" in r.output and y.read_bytes() == before
    assert cli("convert", x, y, "--force").exit_code == 0
    r = cli("convert", x, x)
    assert r.exit_code == 2
    r = cli("convert", src, tmp_path / "g.txt")
    assert r.exit_code == 2 and not (tmp_path / "g.txt").exists()


def test_shipped_workbooks_equal_their_yaml_twins():
    for name, pack in TWINS.items():
        twin = EXAMPLES / f"{name}.xlsx"
        assert twin.is_file(), f"formgen convert data/examples/{name}.yaml {twin} --pack {pack}"
        assert load(twin).record == load(EXAMPLES / f"{name}.yaml").record, name
        assert openpyxl.load_workbook(twin)["企业基本信息"]["A1"].value == "#字段"


@pytest.mark.parametrize(
    "name, pack", [("shanghai-bad", "shanghai"), ("gansu-bad", "gansu"), ("hebei-jizhong", "hebei")]
)
def test_a_workbook_validates_exactly_like_its_yaml(cli, tmp_path, name, pack):
    shutil.copy(EXAMPLES / f"{name}.yaml", tmp_path / "r.yaml")
    assert cli("convert", tmp_path / "r.yaml", tmp_path / "r.xlsx", "--pack", pack).exit_code == 0
    a = cli("validate", tmp_path / "r.yaml", "--pack", pack, "--format", "json")
    b = cli("validate", tmp_path / "r.xlsx", "--pack", pack, "--format", "json")
    assert a.exit_code == b.exit_code
    assert findings_set(a.output) == findings_set(b.output)


def test_findings_point_at_the_cell(cli, tmp_path):
    shutil.copy(EXAMPLES / "shanghai-bad.yaml", tmp_path / "某企业.yaml")
    cli("convert", tmp_path / "某企业.yaml", tmp_path / "某企业.xlsx", "--pack", "shanghai")
    x = tmp_path / "某企业.xlsx"
    r = cli("validate", x, "--pack", "shanghai")
    sheet, cell = where(x, "factory.name")
    assert f"某企业.xlsx[{sheet}]!{cell}: 错误 FN003 factory.name「工厂名称」" in r.output
    sheet, cell = where(x, "scenarios[].name", item=0)
    assert f"[{sheet}]!{cell}: 错误 SC001 scenarios[0].name" in r.output
    # findings in the order of the workbook: sheets as they stand, rows as numbers
    places = [ln.split(": ")[0] for ln in r.output.splitlines() if "错误" in ln]
    sheets = openpyxl.load_workbook(x).sheetnames
    order = [
        (sheets.index(m.group(1)), int(m.group(3)))
        for m in (re.search(r"\[(.+)\]!([A-Z]+)(\d+)$", p) for p in places)
        if m
    ]
    assert order == sorted(order)


def test_a_filled_blank_validates_like_the_same_yaml(cli, tmp_path, gansu_blank):
    """A user fills the Gansu 先进级 blank in Excel: it reads as the YAML with the same values."""
    record = record_of("gansu-longyuan").model_copy(deep=True)
    record.pack = "gansu"
    record.factory.level = "先进级"
    record.factory.modes = ["离散型智能制造"]
    record.narrative.mode_items = {"离散型智能制造": {1: "已建成三维设计与仿真平台。", 2: "PDM 已上线。"}}
    p = tmp_path / "filled.xlsx"
    shutil.copy(gansu_blank, p)
    wb = openpyxl.load_workbook(p)
    from formgen.record.paths import get

    for ws in wb.worksheets:
        if ws["A1"].value == "#字段":
            for row in ws.iter_rows(min_row=2):
                path = row[0].value
                if not path or path.endswith("{}"):
                    continue
                if path.startswith("narrative.mode_items."):
                    mode, no = path.split(".")[2:]
                    value = record.narrative.mode_items.get(mode, {}).get(int(no))
                else:
                    value = get(record, path)
                if isinstance(value, list):
                    value = "\n".join(value)
                elif value is not None and not isinstance(value, (int, float)):
                    value = str(value)
                row[2].value = value
        elif ws[1][0].value and ws[1][0].value.endswith("]") is False and "[]" in ws[1][0].value:
            keys = [c.value for c in ws[1]]
            table = keys[0].rsplit("[]", 1)[0]
            for i, item in enumerate(get(record, table) or []):
                for c, key in enumerate(keys):
                    v = getattr(item, key.rsplit(".", 1)[1])
                    ws.cell(row=3 + i, column=c + 1).value = v if isinstance(v, (int, type(None))) else str(v)
    wb.save(p)
    y = tmp_path / "filled.yaml"
    trimmed = load(p).record
    y.write_text(record_yaml(trimmed), encoding="utf-8")
    a = cli("validate", p, "--format", "json")
    b = cli("validate", y, "--format", "json")
    assert a.exit_code == b.exit_code
    assert findings_set(a.output) == findings_set(b.output)
    assert trimmed.narrative.mode_items == record.narrative.mode_items
    assert [y.revenue for y in trimmed.enterprise.financials] == [y.revenue for y in record.enterprise.financials]
    assert trimmed.enterprise.intro == record.enterprise.intro


def test_fill_from_either_gives_the_same_documents(cli, tmp_path, figures_dir):
    folder = tmp_path / "rec"
    folder.mkdir()
    shutil.copy(EXAMPLE, folder / "r.yaml")
    shutil.copy(REPORT, folder / REPORT.name)
    link_figures(figures_dir, folder / "figures")
    assert cli("convert", folder / "r.yaml", folder / "r.xlsx", "--pack", "shanghai").exit_code == 0
    for src, out in (("r.yaml", "oy"), ("r.xlsx", "ox")):
        r = cli("fill", folder / src, "--pack", "shanghai", "--out", tmp_path / out)
        assert r.exit_code == 0, r.output

    def text(path):
        d = Document(path)
        parts = [p.text for p in d.paragraphs]
        parts += [c.text for t in d.tables for row in t.rows for c in row.cells]
        return "\n".join(parts)

    ys = sorted((tmp_path / "oy").iterdir())
    xs = sorted((tmp_path / "ox").iterdir())
    assert [p.name for p in ys] == [p.name for p in xs] and ys
    for a, b in zip(ys, xs, strict=True):
        assert text(a) == text(b), a.name


def test_summary_and_checklist_read_workbooks(cli, tmp_path):
    folder = tmp_path / "records"
    folder.mkdir()
    cli("convert", EXAMPLES / "hebei-jizhong.yaml", folder / "jizhong.xlsx", "--pack", "hebei")
    (folder / "~$jizhong.xlsx").write_bytes(b"\x00lock")  # Excel's lock file while it is open
    r = cli("summary", folder, "--pack", "hebei", "--unit", "石家庄市工业和信息化局", "--out", tmp_path / "o")
    assert "河北冀中精密装备股份有限公司" in r.output and "列入" in r.output
    assert "~$" not in r.output
    assert any(p.suffix == ".xlsx" for p in (tmp_path / "o").iterdir())
    r = cli("checklist", folder / "jizhong.xlsx", "--pack", "hebei")
    assert r.exit_code in (0, 1) and "系统集成情况" in r.output


# --- tolerant of what people do in Excel ---------------------------------------------------------


@pytest.fixture
def gansu_xlsx(tmp_path) -> Path:
    return xlsx_of(tmp_path, record_of("gansu-longyuan"), pack="gansu")


def test_numbers_typed_as_text_full_width_and_with_separators(gansu_xlsx):
    p = gansu_xlsx
    changes = {
        where(p, "enterprise.revenue"): "36,800",
        where(p, "factory.investment"): "４６００．５",
        where(p, "enterprise.employees"): "４６０ ",
        where(p, "factory.line.output"): "21，600万元",
        where(p, "enterprise.financials[].profit", 1): " 2,542.5 ",
        where(p, "factory.line.automated_share"): "75%",
    }
    edit(p, changes)
    r = load(p).record
    assert str(r.enterprise.revenue) == "36800" and str(r.factory.investment) == "4600.5"
    assert r.enterprise.employees == 460 and str(r.factory.line.output) == "21600"
    assert str(r.enterprise.financials[1].profit) == "2542.5" and r.factory.line.automated_share == 75


def test_percent_cells_and_floating_point_noise(gansu_xlsx):
    p = gansu_xlsx
    wb = openpyxl.load_workbook(p)
    sheet, cell = where(p, "factory.line.networked_share")
    wb[sheet][cell].value = 0.856
    wb[sheet][cell].number_format = "0.0%"
    sheet, cell = where(p, "factory.line.automated_share")
    wb[sheet][cell].value = 0.1 + 0.2 + 74.7  # 75.00000000000001 as Excel stores it
    wb.save(p)
    r = load(p).record
    assert str(r.factory.line.networked_share) == "85.6"
    assert str(r.factory.line.automated_share) == "75"


def test_dates_as_excel_dates_or_text(gansu_xlsx):
    p = gansu_xlsx
    edit(
        p,
        {
            where(p, "factory.start"): "2023年3月",
            where(p, "factory.end"): "2025.6",
            where(p, "factory.line.start"): "2023/03/01",
            where(p, "factory.line.end"): dt.datetime(2024, 12, 1),
            where(p, "enterprise.founded"): "1998年9月16日",
            where(p, "factory.cmmm.submitted"): "2025/7/20",
        },
    )
    r = load(p).record
    assert (r.factory.start, r.factory.end, r.factory.line.start, r.factory.line.end) == (
        "2023-03",
        "2025-06",
        "2023-03",
        "2024-12",
    )
    assert r.enterprise.founded == dt.date(1998, 9, 16) and r.factory.cmmm.submitted == dt.date(2025, 7, 20)


def test_ambiguous_year_month_number_is_refused_with_the_cell(cli, gansu_xlsx):
    p = gansu_xlsx
    sheet, cell = where(p, "factory.start")
    wb = openpyxl.load_workbook(p)
    wb[sheet][cell].value = 2024.1  # pasted as a plain number (a date-formatted cell would show 1905-07)
    wb[sheet][cell].number_format = "General"
    wb.save(p)
    reported(cli, p, f"[{sheet}]!{cell}", "2024年10月")


def test_trailing_spaces_booleans_and_list_cells(gansu_xlsx):
    p = gansu_xlsx
    edit(
        p,
        {
            where(p, "enterprise.nature"): "民营企业 ",
            where(p, "enterprise.industry.sector"): "\u3000装备制造",
            where(p, "enterprise.accident.occurred"): "否 ",
            where(p, "scenarios[].ai", 0): True,
            where(p, "scenarios[].ai", 1): "是",
            where(p, "factory.integrators"): "兰州智联工业技术有限公司；自建",
            where(p, "scenarios[].suppliers", 2): "甲公司\n\n乙公司 ",
            where(p, "people.contact.mobile"): 13993145210,  # typed as a number: text again
            where(p, "enterprise.industry.gbt4754"): 3411.0,
        },
    )
    r = load(p).record
    assert r.enterprise.nature == "民营企业" and r.enterprise.industry.sector == "装备制造"
    assert r.enterprise.accident.occurred is False
    assert [s.ai for s in r.scenarios] == [True, True, False]
    assert r.factory.integrators == ["兰州智联工业技术有限公司", "自建"]
    assert r.scenarios[2].suppliers == ["甲公司", "乙公司"]
    assert r.people.contact.mobile == "13993145210" and r.enterprise.industry.gbt4754 == "3411"


def test_a_code_excel_rounded_is_refused(cli, gansu_xlsx):
    p = gansu_xlsx
    sheet, cell = where(p, "enterprise.credit_code")
    wb = openpyxl.load_workbook(p)
    wb[sheet][cell].value = 9.16201037102653e17  # typed into a General cell: 15 digits kept
    wb.save(p)
    reported(cli, p, f"[{sheet}]!{cell}", "超过 15 位", "文本")


def test_carriage_returns_pasted_from_word(gansu_xlsx):
    p = gansu_xlsx
    sheet, cell = where(p, "narrative.tech_level")
    set_cell_xml(p, sheet, cell, f'<c r="{cell}" t="inlineStr"><is><t>第一段_x000D_\n\n第二段</t></is></c>')
    assert load(p).record.narrative.tech_level == "第一段\n\n第二段"


def test_blank_rows_inserted_and_reordered_rows_in_lists(gansu_xlsx):
    p = gansu_xlsx
    original = load(p).record
    wb = openpyxl.load_workbook(p)
    sc = wb["智能制造典型场景"]
    sc.insert_rows(4, 2)  # two blank rows between the first and second scenario
    eq = wb["关键装备"]
    rows = [[c.value for c in row] for row in eq.iter_rows(min_row=3, max_row=eq.max_row)]
    for i, values in enumerate(reversed(rows)):  # equipment rows in reverse order
        for c, v in enumerate(values):
            eq.cell(row=3 + i, column=c + 1).value = v
    # a new scenario typed on a later row with its own number, and equipment for it
    last = sc.max_row + 2
    keys = [c.value for c in sc[1]]
    sc.cell(row=last, column=1).value = 9
    sc.cell(row=last, column=keys.index("scenarios[].stage") + 1).value = "质量管控"
    sc.cell(row=last, column=keys.index("scenarios[].name") + 1).value = "在线智能检测"
    eq.cell(row=eq.max_row + 3, column=1).value = 9
    eq.cell(row=eq.max_row, column=3).value = "视觉检测相机"
    wb.save(p)
    r = load(p).record
    assert [s.name for s in r.scenarios] == [s.name for s in original.scenarios] + ["在线智能检测"]
    assert r.scenarios[0].equipment == list(reversed(original.scenarios[0].equipment))
    assert r.scenarios[1].equipment == original.scenarios[1].equipment
    assert [e.name for e in r.scenarios[3].equipment] == ["视觉检测相机"]


def test_a_renamed_sheet_still_reads(gansu_xlsx):
    p = gansu_xlsx
    edit(p, {}, rename={"企业基本信息": "企业信息", "智能制造典型场景": "场景"})
    assert load(p).record == record_of("gansu-longyuan")


def test_a_formula_with_a_cached_value_is_read_by_that_value(gansu_xlsx):
    p = gansu_xlsx
    sheet, cell = where(p, "factory.investment")
    set_cell_xml(p, sheet, cell, f'<c r="{cell}"><f>2300*2</f><v>4600</v></c>')
    assert load(p).record.factory.investment == 4600


# --- bad input: one line each, exit 2, nothing written --------------------------------------------


def test_formula_without_a_value_is_refused_naming_the_cell(cli, gansu_xlsx):
    p = gansu_xlsx
    sheet, cell = where(p, "factory.investment")
    edit(p, {(sheet, cell): "=2300*2"})  # openpyxl writes no cached value
    reported(cli, p, f"[{sheet}]!{cell}", "WB003", "公式")


def test_error_value_is_refused(cli, gansu_xlsx):
    p = gansu_xlsx
    sheet, cell = where(p, "factory.investment")
    set_cell_xml(p, sheet, cell, f'<c r="{cell}" t="e"><f>A1/0</f><v>#DIV/0!</v></c>')
    reported(cli, p, f"[{sheet}]!{cell}", "#DIV/0!")


def test_hostile_text_is_written_as_text_and_read_back(tmp_path):
    record = record_of("gansu-longyuan").model_copy(deep=True)
    record.enterprise.name = "=cmd|'/c calc'!A0"
    record.enterprise.products = "+1+1"
    record.factory.remarks = "-2"
    record.enterprise.honors = "@SUM(A1)"
    record.factory.integrators = ['=HYPERLINK("http://x")', "自建"]
    p = xlsx_of(tmp_path, record)
    raw = openpyxl.load_workbook(p)  # formulas as written, not values
    sheet, cell = where(p, "enterprise.name")
    assert raw[sheet][cell].data_type == "s" and raw[sheet][cell].value == "=cmd|'/c calc'!A0"
    with zipfile.ZipFile(p) as zf:
        assert not any(b"<f>" in zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/"))
    assert load(p).record == record


def test_xml_illegal_characters_are_refused_naming_the_cell(cli, gansu_xlsx):
    p = gansu_xlsx
    sheet, cell = where(p, "enterprise.products")
    set_cell_xml(p, sheet, cell, f'<c r="{cell}" t="inlineStr"><is><t>bad_x0001_text</t></is></c>')
    lines = reported(cli, p, f"[{sheet}]!{cell}")
    (line,) = [ln for ln in lines if "U+0001" in ln]
    assert f"[{sheet}]!{cell}: 错误 IN007 enterprise.products" in line


def test_an_unknown_sheet_or_column_is_reported_never_dropped(cli, gansu_xlsx):
    p = gansu_xlsx
    edit(p, {}, extra_sheet={"Sheet1": {"B4": "补充说明"}})
    reported(cli, p, "[Sheet1]!B4", "WB002")
    p2 = gansu_xlsx.with_name("col.xlsx")
    p2.write_bytes(record_workbook(record_of("gansu-longyuan"), "gansu"))
    wb = openpyxl.load_workbook(p2)
    sc = wb["智能制造典型场景"]
    col = sc.max_column + 1
    sc.cell(row=1, column=col).value = "scenarios[].colour"
    sc.cell(row=3, column=col).value = "红"
    sc.cell(row=3, column=col + 1).value = "没有字段标记的列"
    wb.save(p2)
    reported(cli, p2, "scenarios[].colour", "没有字段标记")
    # an empty extra sheet is harmless
    p3 = gansu_xlsx.with_name("empty.xlsx")
    p3.write_bytes(record_workbook(record_of("gansu-longyuan"), "gansu"))
    edit(p3, {}, extra_sheet={"Sheet2": {}})
    assert load(p3).record == record_of("gansu-longyuan")


def test_merged_value_cells_are_refused(cli, gansu_xlsx):
    p = gansu_xlsx
    sheet, cell = where(p, "enterprise.name")
    row = int(cell[1:])
    wb = openpyxl.load_workbook(p)
    wb[sheet].merge_cells(f"C{row}:C{row + 1}")
    wb.save(p)
    reported(cli, p, f"[{sheet}]!C{row}", "WB004", "合并单元格")


def test_nested_rows_must_name_an_existing_item(cli, gansu_xlsx):
    p = gansu_xlsx
    edit(p, {("关键装备", "A3"): 42})
    reported(cli, p, "[关键装备]!A3", "WB006", "序号为 42")


def test_a_field_twice_is_refused(cli, gansu_xlsx):
    p = gansu_xlsx
    sheet, cell = where(p, "enterprise.name")
    wb = openpyxl.load_workbook(p)
    ws = wb[sheet]
    last = ws.max_row + 1
    ws.cell(row=last, column=1).value = "enterprise.name"
    ws.cell(row=last, column=3).value = "另一个名称"
    wb.save(p)
    reported(cli, p, "同一字段出现两次", f"{sheet}!{cell} 已填写")


def test_corrupt_truncated_encrypted_and_old_files(cli, tmp_path, gansu_xlsx):
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"PK\x03\x04 not really a zip" * 10)
    refused(cli, junk, "WB001", "不是有效的 .xlsx")
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(gansu_xlsx.read_bytes()[:3000])
    refused(cli, cut, "WB001")
    enc = tmp_path / "enc.xlsx"
    enc.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500 + "EncryptionInfo".encode("utf-16-le"))
    refused(cli, enc, "密码")
    old = tmp_path / "old.xlsx"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500)
    refused(cli, old, ".xls", "另存为")
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    refused(cli, empty, "WB001")
    for suffix, text in ((".xlsm", "宏"), (".xls", "另存为"), (".et", "WPS")):
        f = tmp_path / f"r{suffix}"
        f.write_bytes(gansu_xlsx.read_bytes())
        refused(cli, f, "WB001", text)


def test_a_50_mb_workbook_is_refused_by_its_size(cli, tmp_path):
    big = tmp_path / "big.xlsx"
    with open(big, "wb") as f:
        f.truncate(50 * 1024 * 1024)
    refused(cli, big, "IN001", "5 MB")


def test_a_zip_bomb_is_refused_before_unpacking(cli, tmp_path, gansu_xlsx):
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(gansu_xlsx) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            out.writestr(info.filename, src.read(info.filename))
        out.writestr("xl/media/zeros.bin", b"\x00" * (80 * 1024 * 1024))
    assert bomb.stat().st_size < 5 * 1024 * 1024
    refused(cli, bomb, "WB001", "解压后超过")


def test_a_hundred_thousand_rows_are_not_read(cli, gansu_xlsx):
    p = gansu_xlsx
    rows = "".join(f'<row r="{i}"><c r="B{i}" t="inlineStr"><is><t>x</t></is></c></row>' for i in range(5, 100_005))

    def change(text):
        return text.replace("</sheetData>", rows + "</sheetData>", 1)

    with zipfile.ZipFile(p) as zf:
        name = next(n for n, part in _sheet_parts(zf).items() if n == "关键软件")
    patch_sheet(p, name, change)
    reported(cli, p, "WB005", f"[{name}]!A{MAX_ROWS + 1}", "100,004")


def test_doctype_in_a_part_is_refused(cli, gansu_xlsx):
    p = gansu_xlsx
    patch_sheet(p, "人员", lambda t: t.replace("?>", '?><!DOCTYPE x [<!ENTITY a "b">]>', 1))
    refused(cli, p, "WB001", "DOCTYPE")


def test_a_text_too_long_for_a_cell_is_refused_by_convert(cli, tmp_path):
    data = yaml.safe_load((EXAMPLES / "gansu-longyuan.yaml").read_text(encoding="utf-8"))
    data["narrative"]["tech_level"] = "字" * (CELL_MAX + 1)
    src = tmp_path / "long.yaml"
    src.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    r = cli("convert", src, tmp_path / "long.xlsx")
    assert r.exit_code == 1 and "XL001 narrative.tech_level" in r.output
    assert not (tmp_path / "long.xlsx").exists()


def test_recommender_profiles_stay_yaml(tmp_path, gansu_xlsx):
    with pytest.raises(LoadError) as e:
        read_workbook(gansu_xlsx, model=Recommender)
    assert e.value.findings[0].code == "WB001"


def test_unreadable_workbook_keeps_the_output_untouched(cli, tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    out = tmp_path / "out"
    r = cli("fill", bad, "--pack", "gansu", "--out", out)
    assert r.exit_code == 2 and not out.exists()
    r = cli("convert", bad, tmp_path / "bad.yaml")
    assert r.exit_code == 2 and not (tmp_path / "bad.yaml").exists()


# --- LibreOffice opens it -----------------------------------------------------------------------


def test_libreoffice_opens_the_blank_and_a_filled_workbook(tmp_path, gansu_blank):
    filled = xlsx_of(tmp_path, record_of("gansu-longyuan"), "filled.xlsx", pack="gansu")
    blank = tmp_path / "blank.xlsx"
    shutil.copy(gansu_blank, blank)
    pdfs = to_pdf([blank, filled], tmp_path)
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler) 未安装")
    texts = [subprocess.run(["pdftotext", "-layout", str(p), "-"], capture_output=True, text=True).stdout for p in pdfs]
    for text in texts:
        assert "企业名称" in text and "限制与要求" in text and "怎么填" in text
    assert "甘肃陇原精工机械有限公司" in texts[1] and "锅炉筒体机器人焊接单元" in texts[1]
    assert "scenarios[]" not in texts[1]  # the hidden path row is not printed


def test_blank_of_each_pack_reads_back_as_its_pack_and_level(tmp_path):
    for name in ("shanghai", "hebei", "national"):
        pack = get_pack(name)
        p = tmp_path / f"{name}.xlsx"
        p.write_bytes(blank_workbook(catalogue(pack)))
        record = load(p).record
        assert record.pack == name and record.factory.level == pack.level
        assert copy.deepcopy(record) == record


def test_a_row_inserted_by_hand_on_a_rows_sheet_is_reported(cli, gansu_xlsx):
    p = gansu_xlsx
    sheet, cell = where(p, "enterprise.name")
    wb = openpyxl.load_workbook(p)
    ws = wb[sheet]
    ws.insert_rows(int(cell[1:]) + 1)
    ws.cell(row=int(cell[1:]) + 1, column=2).value = "英文名称"
    ws.cell(row=int(cell[1:]) + 1, column=3).value = "Longyuan Machinery"
    wb.save(p)
    reported(cli, p, f"[{sheet}]!C{int(cell[1:]) + 1}", "没有字段标记")


def test_content_far_to_the_right_is_not_silently_dropped(cli, gansu_xlsx):
    p = gansu_xlsx
    edit(p, {("智能工厂", "CZ5"): "备注写在了很远的地方"})
    reported(cli, p, "[智能工厂]!BM1", "WB005", "列的上限")


def test_an_empty_blank_points_every_finding_at_a_cell(cli, gansu_blank):
    r = cli("validate", gansu_blank)
    assert r.exit_code == 1
    lines = [ln for ln in r.output.splitlines() if " RQ001 " in ln]
    assert len(lines) == sum(1 for f in catalogue("gansu", "先进级") if f.required and not f.table) + 2
    assert all(re.match(r".*我的企业\.xlsx\[.+\]![A-Z]+\d+: 错误 RQ001", ln) for ln in lines), lines
    assert any("[近三年主要经济指标]!A3: 错误 RQ001 enterprise.financials" in ln for ln in lines)
    assert any("[智能制造典型场景]!A3: 错误 RQ001 scenarios「" in ln for ln in lines)


# --- the workbook as people read it (issue 27) ----------------------------------------------------


def _group_rows(ws) -> list[int]:
    """Row numbers of a rows sheet's group headings (a title in B, no field in A)."""
    return [row[0].row for row in ws.iter_rows(min_row=2) if row[1].value and row[0].value in (None, "#分组")]


def test_a_value_typed_into_a_group_heading_says_what_the_row_is(cli, gansu_xlsx):
    p = gansu_xlsx
    wb = openpyxl.load_workbook(p)
    ws = wb["企业基本信息"]
    row = _group_rows(ws)[0]
    title = ws.cell(row=row, column=2).value
    ws.protection.sheet = False  # as a user who lifted the protection
    ws.cell(row=row, column=3).value = "写在了分组标题行"
    wb.save(p)
    lines = reported(
        cli, p, f"[企业基本信息]!C{row}", f"第 {row} 行是分组标题「{title}」", "请把内容写在其下方的字段行"
    )
    assert not any("没有字段标记" in ln or "插入行" in ln for ln in lines), lines


def test_a_row_inserted_below_a_group_heading_is_told_as_inserted(cli, gansu_xlsx):
    p = gansu_xlsx
    wb = openpyxl.load_workbook(p)
    ws = wb["企业基本信息"]
    r = _group_rows(ws)[0] + 1
    ws.insert_rows(r)
    ws.cell(row=r, column=3).value = "Longyuan Machinery"
    wb.save(p)
    lines = reported(cli, p, f"[企业基本信息]!C{r}", "没有字段标记")
    assert not any("分组标题" in ln for ln in lines), lines


def _blanks():
    from formgen.catalogue import levels
    from formgen.packs.pack import available

    for name in available():
        pack = get_pack(name)
        for level in levels(pack):
            yield name, level, pack


@pytest.mark.parametrize("name, level", [(n, lv) for n, lv, _ in _blanks()])
def test_every_sheet_is_protected_with_every_value_cell_open(tmp_path, name, level):
    """Labels, notes and group headings locked (sheet protection, no password); every value
    cell, a mapping's name cells and every column of a table open; tables let rows be added,
    deleted and sorted."""
    p = tmp_path / "b.xlsx"
    p.write_bytes(blank_workbook(catalogue(get_pack(name), level)))
    wb = openpyxl.load_workbook(p)
    for ws in wb.worksheets:
        if ws.sheet_state == "hidden":
            continue
        assert ws.protection.sheet and not ws.protection.password, ws.title
        if ws["A1"].value == "#字段":
            mapping = any(str(c.value or "").endswith("{}") for c in ws["A"])
            assert ws.protection.insertRows == (not mapping), ws.title  # only a mapping's rows grow
            groups = _group_rows(ws)
            for row in ws.iter_rows(min_row=2):
                if row[0].row in groups:
                    assert all(c.protection.locked for c in row[1:5]), (ws.title, row[0].row)
                elif row[0].value:
                    assert not row[2].protection.locked, (ws.title, row[0].row)
                    assert row[3].protection.locked and row[4].protection.locked
                    assert row[1].protection.locked == (not row[0].value.endswith("{}"))
        elif ws["A1"].value and ws["A1"].value != "#说明":
            assert not ws.protection.insertRows and not ws.protection.deleteRows and not ws.protection.sort
            assert ws.row_dimensions[1].hidden
            for cell in ws[2]:
                if cell.value:
                    assert cell.protection.locked
                    # the column's format (what a typed cell takes), its span as openpyxl groups it
                    dims = next(d for d in ws.column_dimensions.values() if (d.min or 0) <= cell.column <= (d.max or 0))
                    assert not dims.protection.locked, (ws.title, cell.column_letter)


def test_a_row_inserted_among_the_kpis_is_one_more_kpi(tmp_path):
    record = record_of("hebei-jizhong")
    p = xlsx_of(tmp_path, record, pack="hebei")
    sheet, cell = where(p, "kpis{}")
    wb = openpyxl.load_workbook(p)
    ws = wb[sheet]
    assert not ws.protection.insertRows  # Excel lets the user insert a row here
    r = int(cell[1:]) + 1
    ws.insert_rows(r)
    ws.cell(row=r, column=2).value = "单位产值能耗下降"
    ws.cell(row=r, column=3).value = 12.5
    wb.save(p)
    kpis = load(p).record.kpis
    assert kpis["单位产值能耗下降"] == 12.5 and len(kpis) == len(record.kpis) + 1


def test_recent_years_are_written_and_read_back_in_ascending_order(cli, tmp_path):
    record = record_of("gansu-longyuan")
    years = list(record.enterprise.financials)
    shuffled = record.model_copy(
        update={"enterprise": record.enterprise.model_copy(update={"financials": [years[2], years[0], years[1]]})}
    )
    p = xlsx_of(tmp_path, shuffled, pack="gansu")
    sheet, cell = where(p, "enterprise.financials[].year")
    col = re.match(r"[A-Z]+", cell).group()
    wb = openpyxl.load_workbook(p)
    assert [wb[sheet][f"{col}{r}"].value for r in (3, 4, 5)] == [2022, 2023, 2024]
    # typed in the workbook as 2024, 2022, 2023 (the 2022 row with a bad 总资产): read back in
    # ascending order, the finding still at the cell it was typed in
    assets = where(p, "enterprise.financials[].total_assets")[1]
    acol = re.match(r"[A-Z]+", assets).group()
    ws = wb[sheet]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=3, max_row=5)]
    for r, values in zip((3, 4, 5), [rows[2], rows[0], rows[1]], strict=True):
        for c, v in enumerate(values, start=1):
            ws.cell(row=r, column=c).value = v
    ws[f"{acol}4"].value = "五万二"  # the 2022 row, now the second
    wb.save(p)
    loaded = load(p)
    assert [y.year for y in loaded.record.enterprise.financials] == [2022, 2023, 2024]
    lines = reported(cli, p, f"[{sheet}]!{acol}4")
    assert any(f"[{sheet}]!{acol}4" in ln and "enterprise.financials[0].total_assets" in ln for ln in lines), lines


@pytest.mark.parametrize("name, level", [(n, lv) for n, lv, _ in _blanks()] + [(None, None)])
def test_no_two_rows_of_a_workbook_share_a_label(tmp_path, name, level):
    """One label per row across the rows sheets, group headings included (the Gansu
    workbook had 所属行业 as a heading and as a field); within a table, one per column."""
    cat = catalogue(get_pack(name), level) if name else catalogue(None)
    p = tmp_path / "b.xlsx"
    p.write_bytes(blank_workbook(cat))
    wb = openpyxl.load_workbook(p)
    rows: dict[str, str] = {}
    for ws in wb.worksheets:
        if ws["A1"].value == "#字段":
            for row in ws.iter_rows(min_row=2):
                label, path = row[1].value, row[0].value
                if path and str(path).endswith("{}"):
                    continue  # a mapping's names are the user's (指标名称)
                where = f"{ws.title}!B{row[0].row}"
                assert label not in rows, (label, rows.get(label), where)
                rows[label] = where
        elif ws["A1"].value and ws["A1"].value not in ("#说明", "#选项"):
            labels = [c.value for c in ws[2] if c.value]
            assert len(labels) == len(set(labels)), (ws.title, labels)


def test_the_industry_code_row_asks_for_the_code_it_holds(tmp_path):
    """The row once labelled 行业大类 held the whole code: it is asked for by its name, with
    the levels the pack accepts (中类 or 小类, checks.industry.min_level) and their lengths
    from GB/T 4754-2017's table; 门类/大类/中类/小类 are parts of it the forms print."""
    from formgen.record.refdata import gbt4754

    lengths = {c.level: len(c.code) for c in gbt4754().values()}
    assert (lengths["大类"], lengths["中类"], lengths["小类"]) == (2, 3, 4)
    for level in ("基础级", "先进级", "卓越级"):
        p = tmp_path / f"{level}.xlsx"
        p.write_bytes(blank_workbook(catalogue(get_pack("gansu"), level)))
        wb = openpyxl.load_workbook(p)
        ws = wb["企业基本信息"]
        row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "enterprise.industry.gbt4754")
        label, limit = row[1].value, row[4].value
        assert "大类" not in label and "国民经济行业代码" in label, label
        assert "中类（3位，如 131）或小类（4位，如 1311）代码" in limit and "4位，如 3011）或中类" not in limit
        dv = validations(ws)[row[2].coordinate]
        assert (dv.type, dv.operator or "between", dv.formula1, dv.formula2) == ("textLength", "between", "3", "4")
        assert "中类（3位" in dv.prompt
    # the rule says the same, from the same table
    found = validate(load(_gansu_with_code(tmp_path, "34")), get_pack("gansu"))
    ic002 = [f for f in found if f.code == "IC002"]
    assert ic002 and "须填中类（3位，如 131）或小类（4位，如 1311）代码" in ic002[0].message


def _gansu_with_code(tmp_path, code: str) -> Path:
    data = yaml.safe_load((EXAMPLES / "gansu-longyuan.yaml").read_text(encoding="utf-8"))
    data["enterprise"]["industry"]["gbt4754"] = code
    p = tmp_path / "code.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return p


def test_a_tables_hints_are_its_headers_notes(tmp_path):
    """A table has no 说明 column: each column's hint (the form's note, the limits) is the
    header cell's note (a comment), besides the input message of its cells."""
    p = tmp_path / "b.xlsx"
    p.write_bytes(blank_workbook(catalogue(get_pack("gansu"), "基础级")))
    ws = openpyxl.load_workbook(p)["智能制造典型场景"]
    keys = [c.value for c in ws[1]]
    head = ws.cell(row=2, column=keys.index("scenarios[].description") + 1)
    assert head.comment is not None and "300" in head.comment.text
    f = catalogue(get_pack("gansu"), "基础级").get("scenarios[].description")
    assert f.summary() in head.comment.text


def test_the_workbooks_notes_speak_as_people_type(tmp_path):
    """A 是/否 field is typed 是 or 否 (formgen reads both); no 说明 or input message speaks of
    YAML's true/false."""
    from formgen.catalogue import levels
    from formgen.packs.pack import get_pack

    for name in ("gansu", "shanghai", "hebei"):
        for level in levels(get_pack(name)) or [None]:
            wb = openpyxl.load_workbook(io.BytesIO(blank_workbook(catalogue(get_pack(name), level))))
            said = [
                str(c.value)
                for ws in wb
                for row in ws.iter_rows()
                for c in row
                if isinstance(c.value, str) and re.search(r"\btrue\b|\bfalse\b", c.value)
            ]
            assert said == [], (name, level, said[:3])
