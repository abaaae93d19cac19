"""Problems out as files: the 问题清单 workbook and the 整改通知 letters, built from the
findings of the bundled bad examples and opened again."""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from docx import Document

from formgen import app
from formgen.bureau import reports
from formgen.doors.opener import load
from formgen.packs.pack import get_pack
from formgen.record.findings import ERROR, WARNING, Finding

from .conftest import ROOT, to_pdf

EXAMPLES = ROOT / "data" / "examples"
ROUND = "甘肃省智能工厂梯度培育申报（2025年）"
UNIT = "兰州市工业和信息化局"
TODAY = dt.date(2026, 1, 5)


def _entry(name: str, pack: str, state: str) -> reports.ReportEntry:
    path = EXAMPLES / f"{name}.yaml"
    loaded = load(path)
    return reports.entry_for(path, loaded, app.validate(loaded, get_pack(pack)), state, get_pack(pack))


@pytest.fixture(scope="module")
def entries() -> list[reports.ReportEntry]:
    shanghai = _entry("shanghai-bad", "shanghai", reports.REFUSED)
    # a workbook place, and a message that would be a formula if written carelessly
    shanghai.findings.append(
        Finding("XL999", WARNING, "x", "测试栏目", "=SUM(A1:A2) 应为文字", shanghai.source, "基本信息!C7")
    )
    return [shanghai, _entry("gansu-bad", "gansu", reports.REFUSED)]


@pytest.fixture(scope="module")
def batch_findings(entries) -> list[Finding]:
    return [
        Finding(
            "BT001", ERROR, "enterprise.credit_code", "统一社会信用代码", "同一企业出现在多个文件中", entries[1].source
        ),
        Finding("QT001", ERROR, "", "推荐数量", "推荐 3 家，超过上限 2 家"),
    ]


@pytest.fixture(scope="module")
def workbook(entries, batch_findings):
    data = reports.problem_report(entries, batch_findings, title="问题清单", author=UNIT)
    return data, openpyxl.load_workbook(io.BytesIO(data))


def test_place_text():
    f = Finding("X", ERROR, "", "", "")
    assert reports.place_text(f) == ""
    assert reports.place_text(Finding("X", ERROR, "", "", "", line=12)) == "第12行"
    assert reports.place_text(Finding("X", ERROR, "", "", "", line="基本信息!C7")) == "工作表「基本信息」C7"
    word = "表格1 第1行「工厂名称」"
    assert reports.place_text(Finding("X", ERROR, "", "", "", line=word)) == word


def _table(ws) -> tuple[int, list[tuple]]:
    """The header row's number (1-based) and the rows from it on: the title and its lines
    come first."""
    rows = list(ws.iter_rows(values_only=True))
    head = next(i for i, r in enumerate(rows) if r[0] == "序号")
    return head + 1, rows[head:]


def test_problem_sheet(entries, batch_findings, workbook):
    _, wb = workbook
    assert wb.sheetnames == ["问题清单", "汇总"]
    ws = wb["问题清单"]
    head, rows = _table(ws)
    assert head == 3  # the title, the unit and date line, then the header
    assert rows[0] == ("序号", "企业", "文件", "位置", "规则", "严重程度", "栏目", "问题")
    body = [r[1:] for r in rows[1:]]
    total = sum(len(e.findings) for e in entries) + len(batch_findings)
    assert len(body) == total
    assert [r[0] for r in rows[1:]] == list(range(1, total + 1))
    # each finding of an enterprise is a row with its file's name, its place and its rule code
    for e in entries:
        mine = [r for r in body if r[0] == e.name]
        assert len(mine) == len(e.findings) + (1 if e is entries[1] else 0)  # + BT001 on its file
        assert {r[1] for r in mine} == {Path(e.source).name}
        for f in e.findings:
            row = (reports.place_text(f), f.code, "错误" if f.is_error else "警告", f.label, f.message)
            assert row in [r[2:] for r in mine]
        severities = [r[4] for r in mine]
        assert severities == sorted(severities, key=lambda s: s != "错误")  # errors first
    first = next(f for f in entries[0].findings if f.code == "ID001")
    assert (first.line, f"第{first.line}行") == (9, next(r[2] for r in body if r[3] == "ID001"))
    assert ("BT001", entries[1].name) in [(r[3], r[0]) for r in body]
    assert ("QT001", reports.BATCH_NAME) in [(r[3], r[0]) for r in body]
    xl = next(r for r in body if r[3] == "XL999")
    assert xl[2] == "工作表「基本信息」C7"
    assert xl[6] == "=SUM(A1:A2) 应为文字"
    assert ws.freeze_panes == "A4"
    assert ws.auto_filter.ref == f"A3:H{total + 3}"
    assert all(ws.cell(4, c).alignment.wrap_text for c in range(2, 9))  # every text wraps


def test_no_cell_is_a_formula(workbook):
    data, wb = workbook
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name)
    ws = wb["问题清单"]
    cell = next(c for row in ws.iter_rows() for c in row if c.value == "=SUM(A1:A2) 应为文字")
    assert cell.data_type == "s"
    assert cell.quotePrefix  # stays text when edited in Excel


def test_summary_sheet(entries, workbook):
    _, wb = workbook
    ws = wb["汇总"]
    head, rows = _table(ws)
    assert rows[0] == ("序号", "企业", "统一社会信用代码", "文件", "错误数", "警告数", "状态")
    assert len(rows) == 1 + len(entries)
    for i, (e, row) in enumerate(zip(entries, rows[1:], strict=True), 1):
        bt = 1 if e is entries[1] else 0
        errors = sum(1 for f in e.findings if f.is_error) + bt
        warnings = sum(1 for f in e.findings if not f.is_error)
        assert row == (i, e.name, e.credit_code, Path(e.source).name, errors, warnings, "有错误，未列入")
        assert errors > 0
    assert ws.freeze_panes == f"A{head + 1}"
    assert ws.auto_filter.ref == f"A{head}:G{head + len(entries)}"
    assert wb.properties.title == "问题清单" and wb.properties.creator == UNIT


def test_summary_without_state_has_no_state_column(entries):
    plain = [reports.ReportEntry(e.name, e.credit_code, e.source, e.findings) for e in entries]
    wb = openpyxl.load_workbook(io.BytesIO(reports.problem_report(plain)))
    assert _table(wb["汇总"])[1][0] == ("序号", "企业", "统一社会信用代码", "文件", "错误数", "警告数")


def _text(data: bytes) -> list[str]:
    return [p.text for p in Document(io.BytesIO(data)).paragraphs]


def test_notices(entries, batch_findings):
    files = reports.notices(entries, ROUND, UNIT, TODAY, batch_findings)
    assert [n for n, _ in files] == [f"整改通知_{e.name}.docx" for e in entries]
    for e, (_, data) in zip(entries, files, strict=True):
        paras = _text(data)
        assert paras[0] == "整改通知"
        assert paras[1] == f"{e.name}："
        assert f"《{ROUND}》" in paras[2] and "存在以下问题" in paras[2]
        items = [p for p in paras if re.match(r"\d+．", p)]
        expected = reports.letter_items(e)
        assert len(items) == len(expected) > 0
        for i, (p, (error, text)) in enumerate(zip(items, expected, strict=True), 1):
            assert p == f"{i}．" + ("" if error else "（建议）") + text
        errors = [i for i, (error, _) in enumerate(expected) if error]
        assert errors == list(range(len(errors)))  # errors before warnings
        # every finding but the batch's (BT001: about other files) is an item or in the one 请补充
        asked = next((p for p in items if "请补充：" in p), "")
        for f in e.findings:
            if f.code == "BT001":
                assert not any(f.message[:10] in p for p in items)
            elif f.code == "RQ001" and e.places.sheet_only(f.path) and not e.places.pack_gives(f.path):
                assert reports._field_title(f) in asked
            elif not (f.code == "RQ001" and e.places.sheet_only(f.path)):
                assert any(f.message[:20] in p for p in items), f
        assert not any(re.search(r"(?<![表格」 \d])第\d+行", p) for p in items)  # never a record's line
        assert paras[-2:] == [UNIT, "2026年1月5日"]
        doc = Document(io.BytesIO(data))
        assert doc.core_properties.title == f"整改通知（{e.name}）"
        assert doc.core_properties.author == UNIT
        assert "方正小标宋简体" in doc.paragraphs[0].runs[0]._r.xml
        assert "仿宋_GB2312" in doc.paragraphs[2].runs[0]._r.xml


def test_notice_blank_date_and_who_gets_one(entries):
    clean = reports.ReportEntry("无问题企业", "", "ok.yaml", [Finding("DL001", WARNING, "", ROUND, "将于某日截止")])
    files = reports.notices([clean, entries[1]], ROUND, UNIT)
    assert [n for n, _ in files] == [f"整改通知_{entries[1].name}.docx"]  # a deadline is nobody's to fix
    assert _text(files[0][1])[-1] == reports.BLANK_DATE
    # two enterprises of one name: two notices, two names
    twice = [entries[1], reports.ReportEntry(entries[1].name, "", "other/副本.yaml", entries[1].findings[:1])]
    twice[1].credit_code = "91620100MA0000000X"
    names = [n for n, _ in reports.notices(twice, ROUND, UNIT)]
    assert len(set(names)) == 2 and names[1] == f"整改通知_{entries[1].name}_副本.docx"
    # only warnings: asked to check, not told it has errors
    warn = reports.ReportEntry("某企业", "", "w.yaml", [f for f in entries[0].findings if not f.is_error])
    ((_, data),) = reports.notices([warn], ROUND, UNIT)
    assert "存在以下问题" not in _text(data)[2] and "请核实" in _text(data)[2]


def _pages(pdf) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True).stdout
    return text.rstrip("\f").split("\f")


def test_notices_print(entries, tmp_path):
    """A notice of a few problems prints on one or two pages, the 落款 with the text; a
    long one runs on with no blank page."""
    shanghai = entries[0]
    errors = [f for f in shanghai.findings if f.is_error][:6]
    warnings = [f for f in shanghai.findings if not f.is_error][:2]
    short = reports.ReportEntry(shanghai.name, shanghai.credit_code, shanghai.source, errors + warnings)
    files = reports.notices([short, entries[1]], ROUND, UNIT, TODAY)
    paths = []
    for name, data in files:
        p = tmp_path / name
        p.write_bytes(data)
        paths.append(p)
    pdfs = to_pdf(paths, tmp_path)
    pages = _pages(pdfs[0])
    assert 1 <= len(pages) <= 2
    for pdf in pdfs:
        pages = _pages(pdf)
        assert all(len("".join(pg.split())) > 20 for pg in pages), "a blank page"
        last = "".join(pages[-1].split())
        assert "2026年1月5日" in last and "特此通知" in last  # the 落款 is not alone
    assert "整改通知" in "".join(_pages(pdfs[0])[0].split())


def test_summary_writes_the_problem_list_and_notices(tmp_path):
    """A refused batch (a duplicate) still gets its 问题清单 and 整改通知; a written one
    gets them with the sheets, all or nothing."""
    from click.testing import CliRunner

    from formgen.cli import main

    hebei = ROOT / "data" / "examples" / "hebei-jizhong.yaml"
    bad = ROOT / "data" / "examples" / "gansu-bad.yaml"
    out, report, notices_dir = tmp_path / "o", tmp_path / "问题清单.xlsx", tmp_path / "通知"
    r = CliRunner().invoke(
        main,
        [
            "summary",
            str(hebei),
            str(bad),
            "--pack",
            "hebei",
            "--unit",
            "石家庄市工业和信息化局",
            "--out",
            str(out),
            "--report",
            str(report),
            "--notices",
            str(notices_dir),
        ],
    )
    assert r.exit_code == 3, r.output  # the sheet written, gansu-bad left off
    assert any(p.suffix == ".xlsx" for p in out.iterdir())
    states = {r[1]: r[-1] for r in _table(openpyxl.load_workbook(report)["汇总"])[1][1:]}
    assert "有错误，未列入" in states.values() and "列入" in states.values()
    names = [p.name for p in notices_dir.iterdir()]
    assert names == ["整改通知_甘肃示例问题装备有限公司.docx"]
    dup = tmp_path / "dup.yaml"
    dup.write_bytes(hebei.read_bytes())
    r = CliRunner().invoke(
        main,
        [
            "summary",
            str(hebei),
            str(dup),
            "--pack",
            "hebei",
            "--unit",
            "石家庄市工业和信息化局",
            "--out",
            str(tmp_path / "o2"),
            "--report",
            str(tmp_path / "dup.xlsx"),
        ],
    )
    assert r.exit_code == 1 and not (tmp_path / "o2").exists() and (tmp_path / "dup.xlsx").exists()
