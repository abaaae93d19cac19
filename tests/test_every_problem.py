"""Every problem at once (issue 24): a value of the wrong type is one finding at its line
or cell, the record is built without it, and every other rule still runs on the rest,
in YAML and in a workbook, through validate, fill, summary, checklist and the registry."""

from __future__ import annotations

import json
import pathlib

import openpyxl
import pytest
from docx import Document

from formgen.doors.opener import load
from formgen.doors.workbook import record_workbook
from formgen.record.loader import LoadError

MOBILE = "1381664512"  # ten digits: PH001


def _many(data):
    """The valid Shanghai example with 从业人员 "很多" and a contact's mobile one digit short."""
    data["enterprise"]["employees"] = "很多"
    data["people"]["contact"]["mobile"] = MOBILE


def _line(path, text: str) -> int:
    """The 1-based line of the first line of ``path`` holding ``text``."""
    return next(i for i, ln in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in ln)


def _findings(output: str) -> list[str]:
    return [ln for ln in output.splitlines() if " 错误 " in ln or " 警告 " in ln]


def test_a_wrong_type_beside_a_bad_mobile_gives_both_with_their_lines(cli, write_record):
    p = write_record(_many)
    r = cli("validate", p, "--pack", "shanghai")
    assert r.exit_code == 1, r.output
    lines = _findings(r.output)
    assert lines == [
        f"{p}:{_line(p, 'employees: 很多')}: 错误 IN007 enterprise.employees「企业基本信息·从业人员（人）」：应为整数；实际为 '很多'",
        f"{p}:{_line(p, MOBILE)}: 错误 PH001 people.contact.mobile「企业联系人（手机号码）」：{MOBILE} 不是11位大陆手机号",
    ]


def test_json_output_has_both(cli, write_record):
    p = write_record(_many)
    r = cli("validate", p, "--pack", "shanghai", "--format", "json")
    assert r.exit_code == 1, r.output
    payload = json.loads(r.output)
    got = {(f["code"], f["path"], f["line"]) for f in payload["findings"]}
    assert got == {
        ("IN007", "enterprise.employees", _line(p, "employees: 很多")),
        ("PH001", "people.contact.mobile", _line(p, MOBILE)),
    }
    assert payload["errors"] == 2


def test_a_required_field_of_the_wrong_type_is_said_once(cli, write_record):
    # 成熟度等级 is required by every Shanghai form: the IN007 says it, no RQ001 beside it,
    # and the rules that read it (CM001 against the score) stay silent rather than guess
    def edit(data):
        data["factory"]["cmmm"]["level"] = "高级"

    p = write_record(edit)
    r = cli("validate", p, "--pack", "shanghai")
    assert r.exit_code == 1, r.output
    (only,) = _findings(r.output)
    assert f"{p}:{_line(p, '高级')}: 错误 IN007 factory.cmmm.level" in only and "应为整数" in only


def test_in_a_workbook_both_findings_name_their_cells(cli, write_record):
    p = write_record().parent / "r.xlsx"  # beside the figures and the CMMM report
    p.write_bytes(record_workbook(load(write_record()).record))
    wb = openpyxl.load_workbook(p)
    cells = {}
    for ws in wb.worksheets:
        if ws["A1"].value == "#字段":
            for row in ws.iter_rows(min_row=2):
                if row[0].value in ("enterprise.employees", "people.contact.mobile"):
                    cells[row[0].value] = (ws.title, f"C{row[0].row}")
    for field, value in (("enterprise.employees", "很多"), ("people.contact.mobile", MOBILE)):
        sheet, cell = cells[field]
        wb[sheet][cell].value = value
    wb.save(p)
    r = cli("validate", p, "--pack", "shanghai")
    assert r.exit_code == 1, r.output
    sheet, cell = cells["enterprise.employees"]
    msheet, mcell = cells["people.contact.mobile"]
    assert _findings(r.output) == [
        f"{p}[{sheet}]!{cell}: 错误 IN007 enterprise.employees「企业基本信息·从业人员（人）」：应为整数；实际为 '很多'",
        f"{p}[{msheet}]!{mcell}: 错误 PH001 people.contact.mobile「企业联系人（手机号码）」：{MOBILE} 不是11位大陆手机号",
    ]


def test_a_workbook_cell_it_cannot_read_is_not_said_twice(cli, write_record):
    # 是 in 成熟度等级 (a number): the reader's own IN007 at the cell, no RQ001 for the same field
    p = write_record().parent / "r.xlsx"  # beside the figures and the CMMM report
    p.write_bytes(record_workbook(load(write_record()).record))
    wb = openpyxl.load_workbook(p)
    (sheet, cell) = next(
        (ws.title, f"C{row[0].row}")
        for ws in wb.worksheets
        if ws["A1"].value == "#字段"
        for row in ws.iter_rows(min_row=2)
        if row[0].value == "factory.cmmm.level"
    )
    wb[sheet][cell].value = True
    wb.save(p)
    r = cli("validate", p, "--pack", "shanghai")
    assert r.exit_code == 1, r.output
    (only,) = _findings(r.output)
    assert f"[{sheet}]!{cell}: 错误 IN007 factory.cmmm.level" in only


def test_fill_refuses_and_draft_writes_without_the_bad_value(cli, tmp_path, write_record):
    p = write_record(_many)
    out = tmp_path / "out"
    r = cli("fill", p, "--pack", "shanghai", "--out", out)
    assert r.exit_code == 1 and "IN007 enterprise.employees" in r.output and "PH001" in r.output
    assert not out.exists()
    r = cli("fill", p, "--pack", "shanghai", "--out", out, "--draft")
    assert r.exit_code == 0, r.output
    written = sorted(out.glob("*.docx"))
    assert [w.name[:3] for w in written] == ["附件3", "附件4"]
    texts = []
    for w in written:
        doc = Document(str(w))
        text = "\n".join(par.text for par in doc.paragraphs)
        text += "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
        assert "草稿" in text
        texts.append(text)
    assert "上海澄川精密机械股份有限公司" in texts[0]
    assert MOBILE in texts[0] and "很多" not in "".join(texts)


def test_summary_lists_the_record_with_its_findings(cli, tmp_path, write_record):
    write_record(name="a.yaml")

    def bad(data):
        _many(data)
        data["enterprise"]["credit_code"] = None  # another enterprise than a.yaml (no BT001)

    write_record(bad, name="b.yaml")
    folder = write_record(name="a.yaml").parent
    out = tmp_path / "o"
    r = cli(
        "summary", folder, "--pack", "shanghai", "--unit", "浦东新区", "--quota", 5, "--out", out, "--format", "json"
    )
    assert r.exit_code == 3, r.output  # the sheet is written, b.yaml left off
    assert ".xlsx" in {f.suffix for f in out.iterdir()}
    records = {rec["source"].rsplit("/", 1)[-1]: rec for rec in json.loads(r.stdout)["records"]}
    assert records["a.yaml"]["state"] == "列入" and not records["b.yaml"]["listed"]
    assert (
        records["b.yaml"]["state"] == "有错误，未列入" and records["b.yaml"]["name"] == "上海澄川精密机械股份有限公司"
    )
    codes = {(f["code"], f["path"]) for f in records["b.yaml"]["findings"]}
    assert {("IN007", "enterprise.employees"), ("PH001", "people.contact.mobile")} <= codes
    assert ("RQ001", "enterprise.credit_code") in codes


def test_validate_over_a_folder_lists_it_as_with_errors_not_unreadable(cli, write_record):
    write_record(_many, name="b.yaml")
    folder = write_record(name="a.yaml").parent
    r = cli("validate", folder, "--pack", "shanghai", "--format", "json")
    assert r.exit_code == 1, r.output
    states = {rec["source"].rsplit("/", 1)[-1]: rec["state"] for rec in json.loads(r.stdout)["records"]}
    assert states == {"a.yaml": "通过", "b.yaml": "有错误"}


def test_a_file_that_cannot_be_read_still_exits_2(cli, tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text("enterprise:\n  name: [甲\n", encoding="utf-8")
    r = cli("validate", p, "--pack", "shanghai")
    assert r.exit_code == 2 and "IN003" in r.output


def test_an_unknown_key_is_one_finding_and_the_rest_is_checked(cli, write_record):
    def edit(data):
        data["enterprise"]["employes"] = 300
        data["people"]["contact"]["mobile"] = MOBILE

    p = write_record(edit)
    r = cli("validate", p, "--pack", "shanghai")
    assert r.exit_code == 1, r.output
    assert [ln.split(" 错误 ")[1][:5] for ln in _findings(r.output)] == ["IN006", "PH001"]
    assert "未知字段 employes，是否想写 employees？" in r.output


@pytest.mark.parametrize(
    "path, typed, value",
    [
        (("enterprise", "financials", 0, "year"), "2022年", 2022),
        (("enterprise", "financials", 0, "year"), "2022年度", 2022),
        (("factory", "cmmm", "level"), "3级", 3),
        (("factory", "cmmm", "level"), "三级", 3),
        (("factory", "cmmm", "level"), "L3", 3),
        (("enterprise", "employees"), "1,260", 1260),
        (("enterprise", "employees"), "1260人", 1260),
        (("enterprise", "financials", 0, "debt_ratio"), "45.0%", 45),
    ],
)
def test_what_people_type_with_one_meaning_is_read(cli, write_record, path, typed, value):
    def edit(data):
        node = data
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = typed

    p = write_record(edit)
    loaded = load(p)
    assert loaded.notes == []
    node = loaded.record
    for part in path:
        node = node[part] if isinstance(part, int) else getattr(node, part)
    assert node == value
    assert cli("validate", p, "--pack", "shanghai").exit_code == 0


@pytest.mark.parametrize(
    "path, typed, expected",
    [
        (("enterprise", "employees"), "很多", "应为整数"),
        (("enterprise", "employees"), "约300人", "应为整数"),
        (("enterprise", "financials", 0, "year"), "去年", "应为整数"),
        (("factory", "cmmm", "level"), "6级", "应≤5"),  # a level 6, which CMMM does not have
        (("factory", "cmmm", "level"), "高级", "应为整数"),
        (("enterprise", "financials", 0, "year"), "23", "年份应为四位数"),
        (("factory", "cmmm", "level"), "7", "应≤5"),
    ],
)
def test_what_could_mean_several_things_stays_an_error(write_record, path, typed, expected):
    def edit(data):
        node = data
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = typed

    (f,) = load(write_record(edit)).notes
    assert f.code == "IN007" and expected in f.message and f.line


def test_a_list_item_of_the_wrong_type_keeps_the_places_of_the_others(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text(
        "factory:\n  modes:\n    - 离散型\n    - 网络协同制造\n"
        "scenarios:\n  - 质量追溯\n  - name: 工厂数字化设计\n    stage: 工厂建设\n",
        encoding="utf-8",
    )
    loaded = load(p)
    assert [(f.code, f.path, f.line) for f in loaded.notes] == [
        ("IN007", "factory.modes[0]", 3),
        ("IN007", "scenarios[0]", 6),
    ]
    assert loaded.record.factory.modes == ["网络协同制造"] and loaded.line_of("factory.modes[0]") == 4
    assert loaded.record.scenarios[1].name == "工厂数字化设计" and loaded.line_of("scenarios[1].name") == 7
    assert loaded.left_out("scenarios[0].name") and not loaded.left_out("scenarios[1].name")


def test_what_must_not_lose_a_value_still_refuses(cli, tmp_path, write_record):
    from formgen.record.loader import strict

    p = write_record(_many)
    with pytest.raises(LoadError) as e:
        strict(load(p))
    assert [f.code for f in e.value.findings] == ["IN007"]
    r = cli("convert", p, tmp_path / "r.xlsx")
    assert r.exit_code == 1 and "IN007 enterprise.employees" in r.output
    assert not (tmp_path / "r.xlsx").exists()


def test_checklist_says_the_value_left_out(cli, write_record):
    p = write_record(_many)
    r = cli("checklist", p, "--pack", "national", "--format", "json")
    assert r.exit_code == 1, r.output
    payload = json.loads(r.stdout)
    assert payload["complete"] is False
    assert [(f["code"], f["path"]) for f in payload["findings"]] == [("IN007", "enterprise.employees")]


def test_registry_registers_the_record_and_says_the_value_left_out(cli, tmp_path, write_record):
    p = write_record(_many)
    r = cli("registry", "add", p, "--round", "2026", "--db", tmp_path / "reg.sqlite")
    assert r.exit_code == 1, r.output
    assert "已登记" in r.output and "IN007 enterprise.employees" in r.output


def test_a_value_of_the_wrong_type_carries_the_label_the_form_gives_it(tmp_path):
    """IN007 is labelled like every other finding about the field: by the pack's form
    (Gansu 附件1's 企业规模 column for 从业人员), not by the record model's title."""
    import yaml

    from formgen.app import validate
    from formgen.packs.pack import get_pack

    root = pathlib.Path(__file__).resolve().parent.parent
    data = yaml.safe_load((root / "data" / "examples" / "gansu-longyuan.yaml").read_text("utf-8"))
    data["pack"] = "gansu"
    data["enterprise"]["employees"] = "很多"
    data["people"]["contact"]["mobile"] = MOBILE
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    pack = get_pack("gansu")
    found = {f.code: f for f in validate(load(path), pack)}
    assert found["IN007"].label == pack.labels["enterprise.employees"] == "企业规模"
    assert found["PH001"].label == "手机"
    assert "企业基本信息·" not in found["IN007"].label
