"""formgen import: filled Word forms read back into records by the layouts that render
them. The round trip (record -> form -> record -> form) gives the same form for every
single-record document of every pack; hand-typed annexes are read too."""

from __future__ import annotations

import copy
import io
from pathlib import Path

import docx
import pytest
import yaml
from click.testing import CliRunner

from formgen.cli import main
from formgen.doors.importer import import_file, to_loaded
from formgen.doors.opener import load
from formgen.packs.pack import available, get_pack
from formgen.render import docx as docx_render

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "data" / "examples"


def _texts(data: bytes) -> list[str]:
    """Every paragraph and every table cell (a merged cell once), in order."""
    d = docx.Document(io.BytesIO(data))
    out = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            seen = set()
            for c in row.cells:
                if id(c._tc) not in seen:
                    seen.add(id(c._tc))
                    out.append(c.text)
    return out


def _gansu_advanced(tmp_path: Path) -> Path:
    data = yaml.safe_load((EXAMPLES / "gansu-longyuan.yaml").read_text(encoding="utf-8"))
    data["factory"].update(
        level="先进级", excellent_scenarios=[], modes=["离散型智能制造"], start="2023-01", end="2025-06"
    )
    data["narrative"].update(
        project_overview="项目概述第一段。\n\n项目概述第二段。",
        advancement="与实施前相比，效率提高。",
        demonstration="可在省内同行业推广。",
        mode_items={"离散型智能制造": {1: "建立了工厂总体设计模型。", 2: "应用三维设计。"}},
    )
    path = tmp_path / "gansu-advanced.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _record_for(pack: str, doc: str, tmp_path: Path, write_record) -> Path:
    if pack == "shanghai":
        return write_record()
    if doc == "a4":
        return _gansu_advanced(tmp_path)
    return EXAMPLES / "gansu-longyuan.yaml"


SINGLE = [
    (name, d.id) for name in sorted(available()) for d in get_pack(name).documents if d.single and "docx" in d.formats
]


def test_every_single_record_document_has_a_round_trip():
    assert SINGLE == [("gansu", "a2"), ("gansu", "a3"), ("gansu", "a4"), ("shanghai", "a3"), ("shanghai", "a4")]


@pytest.mark.parametrize(("pack_name", "doc_id"), SINGLE)
def test_round_trip_gives_the_same_form(pack_name, doc_id, tmp_path, write_record):
    pack = get_pack(pack_name)
    doc = next(d for d in pack.documents if d.id == doc_id)
    loaded = load(_record_for(pack_name, doc_id, tmp_path, write_record))
    record = loaded.record
    views = [doc.split_view(record, k) for k in doc.split_keys(record)] if doc.split else [record]
    assert views
    for view in views:
        first = docx_render.render_single(doc.layout, view, loaded.base_dir, False, {})
        form = tmp_path / f"{doc_id}.docx"
        form.write_bytes(first)
        (rec,) = import_file(form, pack)
        assert rec.document.id == doc_id
        assert not [f for f in rec.findings if f.is_error], [f.text() for f in rec.findings]
        for name, blob in rec.figures:
            (tmp_path / name).write_bytes(blob)
        back = to_loaded(rec, pack)
        again = docx_render.render_single(doc.layout, back.record, tmp_path, False, {})
        assert _texts(again) == _texts(first)
        assert back.record.enterprise.name == view.enterprise.name


def test_values_land_in_their_fields_with_their_places(tmp_path, write_record, shanghai):
    loaded = load(write_record())
    doc = next(d for d in shanghai.documents if d.id == "a3")
    form = tmp_path / "附件3.docx"
    form.write_bytes(docx_render.render_single(doc.layout, loaded.record, loaded.base_dir, False, {}))
    (rec,) = import_file(form, shanghai)
    r = to_loaded(rec, shanghai).record
    assert r.people.head.name == "陈启航" and r.people.head.title == "董事长"  # one cell: 姓名　职务
    assert r.factory.cmmm.level == 3  # printed as L3
    assert r.factory.region.district == "浦东新区"
    assert rec.places["enterprise.name"] == "表格1 第1行「企业名称」"


def test_gansu_a4_reads_modes_check_boxes_and_financials(tmp_path):
    pack = get_pack("gansu")
    loaded = load(_gansu_advanced(tmp_path))
    doc = next(d for d in pack.documents if d.id == "a4")
    form = tmp_path / "附件4.docx"
    form.write_bytes(docx_render.render_single(doc.layout, loaded.record, loaded.base_dir, False, {}))
    (rec,) = import_file(form, pack)
    r = to_loaded(rec, pack).record
    assert r.factory.modes == ["离散型智能制造"]
    assert r.narrative.mode_items["离散型智能制造"][2] == "应用三维设计。"
    assert r.factory.cmmm.level == loaded.record.factory.cmmm.level
    assert [f.revenue for f in r.enterprise.financials] == [f.revenue for f in loaded.record.enterprise.financials]
    assert r.narrative.demonstration == "可在省内同行业推广。"  # the annex's own line under it left out


# -- hand-typed annexes ---------------------------------------------------------------------


def _hand_typed_a3(path: Path, rows: list[list[str]], widths_cm=(2.0, 3.0, 5.0, 6.0)) -> Path:
    """附件3 as someone types it into Word: their own table, widths, spacing and ticks."""
    from docx.shared import Cm

    d = docx.Document()
    d.add_paragraph("附件3")
    d.add_paragraph("上海市先进级智能工厂申报单位信息表")
    t = d.add_table(rows=len(rows), cols=max(len(r) for r in rows))
    for i, row in enumerate(rows):
        for j, text in enumerate(row):
            t.cell(i, j).text = text
            t.cell(i, j).width = Cm(widths_cm[j])
    d.save(path)
    return path


HAND_ROWS = [
    ["1", "企 业 名 称", "上海澄川精密机械股份有限公司\n（从填表之日起，如有名称变更，请及时报备）", ""],
    ["2", "工厂名称：", "澄川精密汽车零部件智能工厂", ""],
    ["3", "所属行业", "汽车", ""],
    ["4", "所属区域", "浦东新区", ""],
    ["6", "工厂地址", "浦东新区康桥镇秀浦路2588号", ""],
    ["7", "成熟度等级\n（自评估）", "L3", ""],
    ["8", "企业负责人", "陈启航 董事长", "13901762288"],
    ["9", "企业联系人", "林晓雯　数字化中心主任", "13816645120"],
    ["10", "企业填表人", "周子衡 工程师", "1592108337"],
]


def test_a_hand_typed_annex_is_read_by_its_labels(tmp_path, shanghai):
    form = _hand_typed_a3(tmp_path / "手填附件3.docx", HAND_ROWS)
    (rec,) = import_file(form, shanghai)
    r = to_loaded(rec, shanghai).record
    assert r.enterprise.name == "上海澄川精密机械股份有限公司"  # label with spaces, note left in the cell
    assert r.factory.name == "澄川精密汽车零部件智能工厂"  # label with a colon
    assert r.factory.cmmm.level == 3
    assert (r.people.head.name, r.people.head.title) == ("陈启航", "董事长")  # a half-width space
    assert r.people.contact.mobile == "13816645120"
    # the value cells of a merged cell split in two (the second left empty) read as one
    assert r.factory.address == "浦东新区康桥镇秀浦路2588号"


def test_other_widths_and_a_missing_row_are_reported_by_label(tmp_path, shanghai):
    rows = [r for r in HAND_ROWS if r[1] != "工厂地址"]
    form = _hand_typed_a3(tmp_path / "a3.docx", rows, widths_cm=(1.0, 4.5, 4.5, 4.0))
    (rec,) = import_file(form, shanghai)
    missing = [f for f in rec.findings if f.code == "IM001"]
    assert [f.label for f in missing] == ["工厂地址"]
    assert "factory" in rec.data and "address" not in rec.data["factory"]


def test_findings_on_an_imported_record_point_into_the_form(tmp_path, shanghai):
    from formgen.app import validate

    form = _hand_typed_a3(tmp_path / "a3.docx", HAND_ROWS)
    (rec,) = import_file(form, shanghai)
    findings = validate(to_loaded(rec, shanghai), shanghai)
    bad = [f for f in findings if f.path == "people.filler.mobile"]
    assert bad and bad[0].line == "表格1 第9行「企业填表人（手机号码）」"  # 10 digits
    assert bad[0].source == str(form)


def test_a_ticked_box_reads_its_option(tmp_path):
    pack = get_pack("gansu")
    loaded = load(EXAMPLES / "gansu-longyuan.yaml")
    doc = next(d for d in pack.documents if d.id == "a3")
    data = docx_render.render_single(doc.layout, loaded.record, loaded.base_dir, False, {})
    d = docx.Document(io.BytesIO(data))
    # a hand-filled form: the box typed as □/√ text instead of Word's check-box control
    for p in (p for t in d.tables for row in t.rows for c in row.cells for p in c.paragraphs):
        if "5级" in p.text and "4级" in p.text and "无认证" not in p.text:
            for run in list(p._p):
                if run.tag.endswith("sdt") or run.tag.endswith("}r"):
                    p._p.remove(run)
            p.add_run("□5级  √4级  □3级  □2级  □1级")
            break
    form = tmp_path / "a3.docx"
    d.save(form)
    (rec,) = import_file(form, pack)
    assert rec.data["factory"]["cmmm"]["level"] == 4


# -- the command ----------------------------------------------------------------------------


def _render_all(record: Path, pack: str, out: Path) -> list[Path]:
    result = CliRunner().invoke(main, ["fill", str(record), "--pack", pack, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return sorted(out.glob("*.docx"))


def test_import_merges_one_enterprises_forms_into_one_record(tmp_path):
    forms = tmp_path / "收件"
    _render_all(EXAMPLES / "gansu-longyuan.yaml", "gansu", forms)
    out = tmp_path / "records"
    result = CliRunner().invoke(
        main, ["import", str(forms), "--pack", "gansu", "--out", str(out), "--report", str(tmp_path / "问题清单.xlsx")]
    )
    assert result.exit_code in (0, 1), result.output
    (record,) = sorted(out.glob("*.yaml"))
    assert record.name == "甘肃陇原精工机械有限公司.yaml"
    assert "附件2" in record.read_text(encoding="utf-8").splitlines()[0]  # its sources named
    back = load(record).record
    original = load(EXAMPLES / "gansu-longyuan.yaml").record
    assert back.enterprise.name == original.enterprise.name
    assert back.factory.line.overview == original.factory.line.overview
    assert (tmp_path / "问题清单.xlsx").exists()
    # nothing overwritten unless asked
    again = CliRunner().invoke(main, ["import", str(forms), "--pack", "gansu", "--out", str(out)])
    assert again.exit_code == 1 and "已存在" in again.output


def test_import_names_an_unreadable_form_and_reads_the_others(tmp_path, shanghai):
    folder = tmp_path / "收件"
    folder.mkdir()
    _hand_typed_a3(folder / "b2.docx", HAND_ROWS)
    (folder / "a1.docx").write_text("不是 Word 文档", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["import", str(folder), "--pack", "shanghai", "--out", str(out)])
    assert result.exit_code == 2
    assert "a1.docx" in result.output
    assert (out / "上海澄川精密机械股份有限公司.yaml").exists()


def test_conflicting_values_in_two_forms_are_reported(tmp_path, shanghai):
    rows = copy.deepcopy(HAND_ROWS)
    first = _hand_typed_a3(tmp_path / "a.docx", rows)
    rows[3][2] = "闵行区"
    second = _hand_typed_a3(tmp_path / "b.docx", rows)
    from formgen.doors.importer import import_forms

    result = import_forms([first, second], shanghai)
    (entry,) = result.records
    rec = entry[2]
    assert rec.data["factory"]["region"]["district"] == "浦东新区"
    (conflict,) = [f for f in rec.findings if f.code == "IM003"]
    assert "闵行区" in conflict.message and "b.docx" in conflict.line


# -- a 整改通知 that names a form is no form ------------------------------------------------------


def test_a_letter_naming_a_form_is_not_read_as_that_form(tmp_path):
    """The 整改通知 formgen writes names 附件3's title in every item; `formgen import` says in
    one line that it is no 申报表 (IM006) and writes no record, where it took it for 附件3
    with every field missing. The forms filled from the same record are still read."""
    record = tmp_path / "陇原.yaml"
    text = (EXAMPLES / "gansu-longyuan.yaml").read_text(encoding="utf-8")
    record.write_text(text.replace('"13993145210"', '"1399314521"'), encoding="utf-8")
    args = ["--pack", "gansu", "--notices", tmp_path / "通知", "--unit", "兰州市工业和信息化局"]
    CliRunner().invoke(main, ["validate", str(record), *map(str, args)])
    (letter,) = (tmp_path / "通知").glob("整改通知_*.docx")
    assert "附件3《甘肃省基础级智能工厂申报书》" in "\n".join(p.text for p in docx.Document(letter).paragraphs)

    result = CliRunner().invoke(main, ["import", str(letter), "--pack", "gansu", "--out", str(tmp_path / "读入")])
    lines = [x for x in result.output.splitlines() if x.strip()]
    assert result.exit_code == 2 and len(lines) == 1, result.output
    assert "IM006" in lines[0] and "不是甘肃省智能工厂梯度培育申报（2025年）的申报表" in lines[0]
    assert "《甘肃省基础级智能工厂申报书》" in lines[0]
    assert not (tmp_path / "读入").exists() or not any((tmp_path / "读入").iterdir())

    CliRunner().invoke(
        main, ["fill", str(EXAMPLES / "gansu-longyuan.yaml"), "--pack", "gansu", "--out", str(tmp_path / "表")]
    )
    forms = sorted((tmp_path / "表").glob("*.docx"))
    result = CliRunner().invoke(main, ["import", *map(str, forms), "--pack", "gansu", "--out", str(tmp_path / "读入")])
    assert result.exit_code in (0, 1) and "IM006" not in result.output, result.output
    assert [p.name for p in (tmp_path / "读入").glob("*.yaml")] == ["甘肃陇原精工机械有限公司.yaml"]
