"""No silent cut (issue 24): an .xlsx cell holds at most 32,767 characters (UTF-16 units,
as Excel counts them) and XlsxWriter cuts longer text, saying so only in a return code.
Every writer of an .xlsx goes through formgen.render.xlsx: at the limit a text is written
whole (the file re-opened with openpyxl holds all of it), one character over it is a
finding, an error or, in a draft or a bureau's list, a cut the cell itself announces."""

from __future__ import annotations

import doctest
import io
import re
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

import formgen
from formgen.bureau import reports
from formgen.cli import main
from formgen.record.findings import ERROR, Finding
from formgen.render import XLSX_CELL_MAX, cell_len
from formgen.render import xlsx as xlsx_render
from formgen.rules import cells
from formgen.selfeval import scoring as js
from formgen.selfeval import sheets as jiangsu_sheets

from .conftest import EXAMPLE, ROOT, validate_with
from .regfix import record as registry_record

LIMIT = 32_767
NOTE = "个字符，超过 Excel 单元格上限 32,767 个字符】"  # the end of a cut cell's visible note
ADDRESS = "浦东新区康桥镇"  # the Shanghai example's 工厂地址 starts so (附件5 prints it)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def texts_of(path: Path) -> list[str]:
    """Every text cell of every sheet of a workbook, re-opened with openpyxl."""
    wb = openpyxl.load_workbook(path)
    return [c.value for ws in wb for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


def address_of(n: int) -> str:
    return ADDRESS + "址" * (n - len(ADDRESS))


def test_the_limit_is_excel_s():
    assert XLSX_CELL_MAX == LIMIT == xlsx_render.CELL_MAX
    assert cell_len("字" * 10 + "𠀀") == 12  # a character beyond the BMP takes two units


@pytest.mark.parametrize("module", [formgen.render, xlsx_render, cells])
def test_doctests(module):
    result = doctest.testmod(module)
    assert result.attempted and not result.failed


# --- the writing layer ---------------------------------------------------------------------------

WRITES = {
    "write_string": lambda ws, r, text: ws.write_string(r, 0, text),
    "write": lambda ws, r, text: ws.write(r, 0, text),
    "write_row": lambda ws, r, text: ws.write_row(r, 0, ["甲", text]),
    "write_column": lambda ws, r, text: ws.write_column(r, 0, ["甲", text]),
    "merge_range": lambda ws, r, text: ws.merge_range(r, 0, r, 3, text),
    "A1 notation": lambda ws, r, text: ws.write_string(f"A{r + 1}", text),
}


@pytest.mark.parametrize("how", list(WRITES))
def test_every_way_of_writing_a_cell_refuses_what_a_cell_cannot_hold(how):
    buf = io.BytesIO()
    wb = xlsx_render.new_workbook(buf)
    ws = wb.add_worksheet("表")
    WRITES[how](ws, 0, "字" * LIMIT)  # at the limit: written whole
    with pytest.raises(xlsx_render.CellTooLong) as e:
        WRITES[how](ws, 3, "字" * (LIMIT + 1))
    assert "共 32,768 个字符，超过 Excel 单元格上限 32,767 个字符" in str(e.value) and "“表”" in str(e.value)
    with pytest.raises(xlsx_render.CellTooLong):  # 32,767 characters, one of them two units long
        WRITES[how](ws, 6, "字" * (LIMIT - 1) + "𠀀")
    wb.close()
    assert "字" * LIMIT in texts_of(buf)


def test_a_clipping_workbook_says_in_the_cell_what_was_left_off():
    buf = io.BytesIO()
    wb = xlsx_render.new_workbook(buf, clip=True)
    ws = wb.add_worksheet("清单")
    ws.write_string(0, 0, "字" * LIMIT)
    ws.merge_range(1, 0, 1, 2, "甲" * 40_000)
    wb.close()
    whole, cut = texts_of(buf)
    assert whole == "字" * LIMIT
    assert cut.startswith("甲" * 30_000) and cut.endswith("全文共 40,000 " + NOTE) and cell_len(cut) == LIMIT
    assert wb.clipped == [("清单", "A2", 40_000)]


def test_a_return_code_of_xlsxwriter_is_never_passed_over():
    wb = xlsx_render.new_workbook(io.BytesIO())
    ws = wb.add_worksheet()
    with pytest.raises(xlsx_render.CellWriteError, match="超出工作表范围"):
        ws.write_number(1_048_576, 0, 1)  # one row below the sheet: XlsxWriter returns -1
    with pytest.raises(xlsx_render.CellWriteError), pytest.warns(UserWarning, match="single cell"):
        ws.merge_range(0, 0, 0, 0, "一格不能合并")  # -1 with only a warning


def test_every_xlsx_writer_goes_through_the_checked_layer():
    """No module opens an XlsxWriter workbook of its own: each asks render.xlsx.new_workbook."""
    direct = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "formgen").rglob("*.py")
        if p.name != "xlsx.py" and re.search(r"xlsxwriter\.Workbook\(|from xlsxwriter import", p.read_text("utf-8"))
    ]
    assert direct == []


# --- the pack's sheets (附件5 and the like): XL001, summary --------------------------------------


@pytest.mark.parametrize("units, over", [(LIMIT, False), (LIMIT + 1, True)])
def test_xl001_counts_as_excel_does(write_record, shanghai, units, over):
    """An address ending in 𠀀 (two of Excel's characters): 32,767 characters in Python
    are 32,768 of Excel's, one too many for 附件5."""
    path = write_record(lambda d: d["factory"].update(address=address_of(units - 2) + "𠀀"))
    found = [f for f in validate_with(path, shanghai) if f.code == "XL001"]
    assert [f.severity for f in found] == ([ERROR] if over else [])
    if over:
        (f,) = found
        assert f.path == "factory.address" and f.label == "工厂地址"
        assert "共 32,768 个字符，超过 Excel 单元格上限 32,767 个字符" in f.message and "附件5" in f.message


def test_the_sheet_renderer_writes_a_long_cell_whole_or_refuses_it(shanghai):
    doc = next(d for d in shanghai.documents if d.id == "a5")
    layout = {"title": "表", "columns": [{"header": "工厂地址", "field": "factory.address"}]}
    assert doc.layout["columns"]  # the real sheet's layout is used below as well

    def sheet(text, lay):
        return xlsx_render.render(lay, [{"record": {"factory": {"address": text}}}], {"unit": "某区"})

    assert address_of(LIMIT) in texts_of(io.BytesIO(sheet(address_of(LIMIT), layout)))
    with pytest.raises(xlsx_render.CellTooLong):
        sheet(address_of(LIMIT + 1), layout)


def _summary(path: Path, tmp_path: Path, *extra, unit="上海市浦东新区科技和经济委员会"):
    out = tmp_path / "out"
    r = run("summary", path, "--pack", "shanghai", "--unit", unit, "--quota", "5", "--out", out, *extra)
    return r, out


def test_summary_refuses_a_record_over_the_limit_and_a_draft_shows_the_cut(write_record, tmp_path):
    path = write_record(lambda d: d["factory"].update(address=address_of(40_000)))
    r, out = _summary(path, tmp_path)
    assert r.exit_code == 1 and "XL001 factory.address「工厂地址」" in r.output and not out.exists()
    r, out = _summary(path, tmp_path, "--draft")
    (sheet,) = out.glob("*.xlsx")
    (cell,) = [t for t in texts_of(sheet) if t.startswith(ADDRESS)]
    assert cell_len(cell) == LIMIT and cell.endswith("全文共 40,000 " + NOTE)
    assert cell.startswith(address_of(30_000))
    assert r.exit_code == 3 and "XL001 factory.address「工厂地址」" in r.output  # the finding is shown


def test_summary_writes_a_record_at_the_limit_whole(write_record, tmp_path):
    path = write_record(lambda d: d["factory"].update(address=address_of(LIMIT)))
    r, out = _summary(path, tmp_path)
    assert r.exit_code == 0, r.output
    (sheet,) = out.glob("*.xlsx")
    assert address_of(LIMIT) in texts_of(sheet)


def test_a_unit_too_long_for_the_sheet_is_a_usage_error_before_anything_is_written(copy_example, tmp_path):
    prefix = "推荐单位（盖章）："  # 附件5's label row: the prefix and the unit in one cell
    fits = "单" * (LIMIT - len(prefix))
    r, out = _summary(copy_example(), tmp_path, unit=fits)
    assert r.exit_code == 0, r.output[-500:]
    (sheet,) = out.glob("*.xlsx")
    assert prefix + fits in texts_of(sheet)
    r, out = _summary(copy_example(), tmp_path / "again", unit=fits + "单")
    assert r.exit_code == 2 and not out.exists()
    (line,) = [ln for ln in r.output.splitlines() if "超过" in ln]
    assert "共 32,768 个字符，超过 Excel 单元格上限 32,767 个字符" in line and "--unit" in line


# --- the record workbook: convert, import --format xlsx ------------------------------------------


def _long_record(tmp_path: Path, n: int, tail: str = "") -> Path:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["factory"]["address"] = address_of(n - len(tail)) + tail
    path = tmp_path / f"r{n}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_convert_writes_a_text_at_the_limit_whole(tmp_path):
    target = tmp_path / "r.xlsx"
    r = run("convert", _long_record(tmp_path, LIMIT), target)
    assert r.exit_code == 0, r.output
    assert address_of(LIMIT) in texts_of(target)


@pytest.mark.parametrize("tail", ["", "𠀀"], ids=["ideographs", "one-beyond-the-BMP"])
def test_convert_refuses_a_text_over_the_limit_naming_the_field_and_yaml(tmp_path, tail):
    target = tmp_path / "r.xlsx"
    r = run("convert", _long_record(tmp_path, LIMIT + 1 - len(tail), tail), target)
    assert r.exit_code == 1 and not target.exists()
    (line,) = [ln for ln in r.output.splitlines() if "XL001" in ln]
    assert "factory.address「工厂地址」" in line and "共 32,768 个字符，超过 Excel 单元格上限 32,767 个字符" in line
    assert "YAML" in line


def test_import_as_a_workbook_refuses_a_text_over_the_limit_and_writes_nothing(tmp_path):
    forms = tmp_path / "forms"
    record = _long_record(tmp_path, 40_000)
    r = run("fill", record, "--pack", "shanghai", "--out", forms, "--draft")
    assert r.exit_code == 0, r.output[-400:]
    out = tmp_path / "imported"
    r = run("import", *sorted(forms.glob("*.docx")), "--pack", "shanghai", "--format", "xlsx", "--out", out)
    assert r.exit_code == 1 and not out.exists(), r.output[-400:]
    (line,) = [ln for ln in r.output.splitlines() if "XL001" in ln]
    assert "附件3" in line and "「工厂地址」" in line and "超过 Excel 单元格上限 32,767 个字符" in line
    assert "YAML" in line


def test_a_prompt_shortened_to_excel_s_limit_says_so():
    """The record workbook's input prompts (a title of 32, a message of 255 characters at
    most): one cut short ends with a mark, the whole note stays in the 说明 column."""
    from formgen.catalogue import catalogue
    from formgen.doors.workbook import blank_workbook

    cat = catalogue(None)
    wb = openpyxl.load_workbook(io.BytesIO(blank_workbook(cat)))
    prompts = [dv for ws in wb for dv in ws.data_validations.dataValidation]
    titles = {dv.promptTitle for dv in prompts}
    long_labels = {f.label for f in cat.fields if len(f.label) > 32}
    assert long_labels and all(label[:31] + "…" in titles for label in long_labels)
    messages = [dv.prompt for dv in prompts if dv.prompt and len(dv.prompt) == 255]
    assert all(m.endswith("……（全文见“说明”列）") for m in messages)


# --- the bureau's workbooks: 问题清单, registry export, Jiangsu's sheets -------------------------


def test_the_problem_list_cuts_a_long_text_with_a_note_in_the_cell():
    name = "某" * 40_000  # an enterprise name that no rule let through, quoted in every row
    entry = reports.ReportEntry(
        name, source="r.yaml", findings=[Finding("EN001", ERROR, "enterprise.name", "企业名称", "过长", "r.yaml")]
    )
    data = reports.problem_report([entry])
    cut = [t for t in texts_of(io.BytesIO(data)) if t.startswith("某某")]
    assert cut and all(cell_len(t) == LIMIT and t.endswith("全文共 40,000 " + NOTE) for t in cut)
    entry = reports.ReportEntry("某" * LIMIT, source="r.yaml", findings=entry.findings)
    assert "某" * LIMIT in texts_of(io.BytesIO(reports.problem_report([entry])))


def test_the_registry_refuses_a_note_no_cell_holds_and_its_export_never_cuts_silently(tmp_path):
    from formgen.bureau.registry import Registry

    db = tmp_path / "reg.sqlite"
    a = registry_record(tmp_path, "甲公司", "C1", level="先进级", cmmm_level=2, revenue=3000)
    assert run("registry", "add", a, "--round", "2026", "--db", db).exit_code == 0
    r = run("registry", "set-status", "甲公司", "推荐", "--round", "2026", "--note", "注" * (LIMIT + 1), "--db", db)
    assert r.exit_code == 2 and "备注共 32,768 个字符，超过 Excel 单元格上限 32,767 个字符" in r.output
    assert Registry(db).list("2026")[0].status == "申报"  # nothing was set
    r = run("registry", "set-status", "甲公司", "推荐", "--round", "2026", "--note", "注" * LIMIT, "--db", db)
    assert r.exit_code == 0, r.output
    out = tmp_path / "登记库.xlsx"
    assert run("registry", "export", "--out", out, "--db", db).exit_code == 0
    assert "注" * LIMIT in texts_of(out)
    Registry(db).set_status("甲公司", "2026", "推荐", note="注" * 40_000)  # written before the limit was checked
    assert run("registry", "export", "--out", out, "--force", "--db", db).exit_code == 0
    (note,) = [t for t in texts_of(out) if t.startswith("注注")]
    assert cell_len(note) == LIMIT and note.endswith("全文共 40,000 " + NOTE)


def test_jiangsu_sheets_never_cut_a_text(monkeypatch):
    """The 自评价表 holds the guide's texts and the record's levels and amounts: a text of
    any of them over the limit is refused, never cut (a question made that long here)."""
    from formgen.doors.opener import load

    loaded = load(ROOT / "data" / "examples" / "jiangsu-xiyun.yaml")
    questions = js.questions()
    long = [{**questions[0], "name": "题" * (LIMIT + 1)}, *questions[1:]]
    monkeypatch.setattr(js, "questions", lambda: long)
    with pytest.raises(xlsx_render.CellTooLong, match="超过 Excel 单元格上限 32,767 个字符"):
        jiangsu_sheets.dx_sheet(loaded.record)
    long[0]["name"] = "题" * LIMIT
    assert "题" * LIMIT in texts_of(io.BytesIO(jiangsu_sheets.dx_sheet(loaded.record)))
