"""The 问题清单 as a clerk prints and files it (issue 25): A4 landscape, every text at
9 pt or more as printed (the font size times the fit-to-width scale the column widths
imply), the title with the issuing unit and the date, the header row on every page,
page numbers, file names rather than paths, wrapped text; and its 汇总 sheet says what
the run actually wrote."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from formgen import app
from formgen.bureau import reports
from formgen.cli import main
from formgen.doors.opener import load
from formgen.packs.pack import get_pack

from .conftest import ROOT, to_pdf
from .test_print_sheets import _font_sizes, _page_sizes, _pdf_text_pages, _squeeze

EXAMPLES = ROOT / "data" / "examples"
UNIT = "兰州市工业和信息化局"
TODAY = dt.date(2026, 1, 5)
TITLE = "甘肃省智能工厂梯度培育 问题清单"
A4_LONG, A4_SHORT = 841.89, 595.28
MIN_PT = 9.0


def _entry(name: str, pack: str) -> reports.ReportEntry:
    path = EXAMPLES / f"{name}.yaml"  # an absolute path: the sheet must name the file only
    loaded = load(path)
    return reports.entry_for(path, loaded, app.validate(loaded, get_pack(pack)), reports.REFUSED)


@pytest.fixture(scope="module")
def long_report(tmp_path_factory) -> Path:
    """Every problem of the bundled bad examples: a list of several pages."""
    entries = [_entry("shanghai-bad", "shanghai"), _entry("gansu-bad", "gansu")]
    path = tmp_path_factory.mktemp("report") / "问题清单.xlsx"
    path.write_bytes(reports.problem_report(entries, (), TITLE, UNIT, TODAY))
    return path


def _column_points(ws) -> list[float]:
    """Each column's width in points as Excel lays it out (the Normal font is Arial 10,
    whose digit is 7 pixels of 0.75 pt)."""
    widths = {}
    for dim in ws.column_dimensions.values():
        for c in range(dim.min, dim.max + 1):
            widths[c] = dim.width
    return [round(widths.get(c, 8.43 + 5 / 7) * 7) * 0.75 for c in range(1, ws.max_column + 1)]


def _scale(ws) -> float:
    """The scale fit to one page wide prints at: the largest whole per cent, at most 100."""
    avail = A4_LONG - 72 * (ws.page_margins.left + ws.page_margins.right)
    total = sum(_column_points(ws))
    return next((pct / 100 for pct in range(100, 9, -1) if total <= avail * 100 / pct), 0.1)


def _header_row(ws) -> int:
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "序号")


@pytest.mark.parametrize("name", ["问题清单", "汇总"])
def test_page_setup_prints_at_9pt_or_more(long_report, name):
    ws = openpyxl.load_workbook(long_report)[name]
    setup = ws.page_setup
    assert setup.orientation == "landscape" and int(setup.paperSize) == 9  # A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert int(setup.fitToWidth or 1) == 1 and int(setup.fitToHeight) == 0  # one page wide, as long as it runs
    head = _header_row(ws)
    assert ws.print_title_rows == f"${head}:${head}"  # the header row on every page
    last_col = openpyxl.utils.get_column_letter(ws.max_column)
    assert ws.print_area == f"'{name}'!$A$1:${last_col}${ws.max_row}"
    footer = ws.oddFooter.center
    assert "&P" in footer.text and "&N" in footer.text
    scale = _scale(ws)
    sizes = [c.font.sz for row in ws.iter_rows() for c in row if c.value not in (None, "")]
    assert min(sizes) * scale >= MIN_PT, (min(sizes), scale)
    assert (footer.size or 11) * scale >= MIN_PT
    # the title, then the issuing unit and the date
    assert ws["A1"].value == TITLE
    assert UNIT in ws["A2"].value and "2026年1月5日" in ws["A2"].value
    # file names, not paths; every text cell wraps
    files = [ws.cell(r, 3 if name == "问题清单" else 4).value for r in range(head + 1, ws.max_row + 1)]
    assert set(files) == {"shanghai-bad.yaml", "gansu-bad.yaml"}
    texts = [c for row in ws.iter_rows(min_row=head + 1) for c in row if isinstance(c.value, str)]
    assert texts and all(c.alignment.wrap_text for c in texts)


def test_printed_by_libreoffice(long_report, tmp_path):
    """LibreOffice prints the title, unit and date on page 1, the header again on page 2
    and every later page, 第 n 页，共 N 页 on each, nothing under 9 pt."""
    (pdf,) = to_pdf([long_report], tmp_path)
    sizes = _page_sizes(pdf)
    pages = _pdf_text_pages(pdf)
    assert len(pages) == len(sizes) >= 3  # the 汇总 sheet prints after the list
    assert all(abs(w - A4_LONG) < 1 and abs(h - A4_SHORT) < 1 for w, h in sizes), sizes  # A4 landscape
    first = _squeeze(pages[0])
    assert _squeeze(TITLE) in first and UNIT in first and "2026年1月5日" in first
    ws = openpyxl.load_workbook(long_report)["问题清单"]
    header = "".join(ws.cell(_header_row(ws), c).value for c in range(1, ws.max_column + 1))
    list_pages = [p for p in pages if "统一社会信用代码" not in p]  # the 汇总 sheet prints last, on a page
    assert len(list_pages) >= 2
    for page in list_pages:
        assert header in _squeeze(page)  # 序号企业文件位置规则严重程度栏目问题, on page 2 too
    numbers = [re.search(r"第(\d+)页，共(\d+)页", _squeeze(p)) for p in pages]
    assert all(numbers), "a page without its number"
    assert min(_font_sizes(pdf)) >= MIN_PT


def _gansu_inbox(folder: Path, duplicate: bool) -> Path:
    """A clean Gansu record (甘肃陇西精工), one with errors (gansu-bad) and, with
    ``duplicate``, a second file of gansu-bad's enterprise, which refuses the batch."""
    folder.mkdir()
    text = (EXAMPLES / "gansu-longyuan.yaml").read_text(encoding="utf-8")
    text = text.replace("916201037102653100", "91620103710265329W").replace("710265310", "710265329")
    (folder / "gansu-longxi.yaml").write_text(text.replace("陇原", "陇西"), encoding="utf-8")
    (folder / "gansu-bad.yaml").write_bytes((EXAMPLES / "gansu-bad.yaml").read_bytes())
    if duplicate:  # the same credit code as gansu-bad: BT001
        (folder / "gansu-longyuan.yaml").write_bytes((EXAMPLES / "gansu-longyuan.yaml").read_bytes())
    return folder


def _summary_sheet(report: Path) -> tuple[list[str], dict[str, str]]:
    ws = openpyxl.load_workbook(report)["汇总"]
    head = _header_row(ws)
    lines = [ws.cell(r, 1).value for r in range(1, head)]
    return lines, {ws.cell(r, 2).value: ws.cell(r, 7).value for r in range(head + 1, ws.max_row + 1)}


def test_refused_batch_lists_no_one(tmp_path):
    """A refused batch writes no sheet: its 汇总 sheet says so and marks no one 列入."""
    inbox = _gansu_inbox(tmp_path / "收件", duplicate=True)
    report = tmp_path / "问题清单.xlsx"
    args = ["summary", str(inbox), "--pack", "gansu", "--unit", UNIT, "--out", str(tmp_path / "out")]
    r = CliRunner().invoke(main, [*args, "--report", str(report)])
    assert r.exit_code == 1, r.output
    assert not (tmp_path / "out").exists()
    lines, states = _summary_sheet(report)
    assert "列入" not in states.values()
    assert states["甘肃陇西精工机械有限公司"] == "未列入（未生成汇总表）"
    assert states["甘肃示例问题装备有限公司"] == "有错误，未列入"
    assert any("未生成汇总表" in line for line in lines)


def test_written_batch_says_what_it_wrote(tmp_path):
    inbox = _gansu_inbox(tmp_path / "收件", duplicate=False)
    report, out = tmp_path / "问题清单.xlsx", tmp_path / "out"
    r = CliRunner().invoke(
        main, ["summary", str(inbox), "--pack", "gansu", "--unit", UNIT, "--out", str(out), "--report", str(report)]
    )
    assert r.exit_code == 3, r.output  # written, gansu-bad left off
    lines, states = _summary_sheet(report)
    assert states == {"甘肃示例问题装备有限公司": "有错误，未列入", "甘肃陇西精工机械有限公司": "列入"}
    written = next(line for line in lines if line.startswith("本次生成"))
    made = sorted(p.name for p in out.iterdir())
    assert len(made) == 4  # 附件1, 附件6, 附件7, 附件8
    for name in made:  # 附件1_智能制造能力成熟度自评估汇总表_兰州市….xlsx: 「附件1 智能制造能力成熟度自评估汇总表」
        assert " ".join(name.split("_")[:2]) in written
