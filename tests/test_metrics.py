"""Widths from glyph metrics (issue 26): the shipped table of advance widths, and what it
buys in print. A 统一社会信用代码 or 组织机构代码 of the wide letters M and W (allowed, and
real: 91310115MA1FL0162M), a date range and the 项目投资（万元） label print whole on one
line at 8 pt or more: Shanghai 附件5 (.docx and .xlsx, eight enterprises with such codes),
Gansu 附件2/3/4 from the widest record, each converted by LibreOffice."""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from formgen import synth
from formgen.app import validate
from formgen.cli import main
from formgen.doors.blank import record_yaml
from formgen.packs.pack import get_pack
from formgen.record.loader import build
from formgen.render import metrics
from formgen.render import xlsx as xlsx_render
from formgen.render.docx import MIN_FIT_PT, fitted_size, text_width_pt

from .conftest import ROOT, to_pdf
from .test_print_sheets import _font_sizes, _pdf_text_pages

TODAY = dt.date(2025, 9, 1)


# --- the table ------------------------------------------------------------------------------


def test_the_table_holds_the_faces_and_their_widths():
    table = metrics.table()
    assert list(table) == ["serif", "serif_bold", "sans", "sans_bold", "cjk", "cjk_bold"]
    # printable ASCII and Latin-1 (95 + 96) and 22 of the general punctuation in Liberation;
    # the Noto CJK faces also have the full-width forms
    assert {f: len(v) for f, v in table.items()} == {
        "serif": 213,
        "serif_bold": 213,
        "sans": 213,
        "sans_bold": 213,
        "cjk": 310,
        "cjk_bold": 310,
    }
    serif = table["serif"]
    assert (serif["M"], serif["W"], serif["0"], serif["i"], serif[" "]) == (0.8892, 0.9438, 0.5, 0.2778, 0.25)
    assert (table["sans"]["M"], table["serif_bold"]["W"], table["cjk"]["W"]) == (0.833, 1.0, 1.053)


def test_m_and_w_are_wider_than_digits_in_every_face():
    for face in metrics.table():
        widths = metrics.advances(face)
        assert widths["W"] > widths["M"] > widths["0"] > widths["i"], face


def test_ideographs_and_unknown_characters_count_a_full_em():
    assert metrics.width_em("智能工厂（万元）", "Times New Roman") == 8.0
    assert metrics.advance_em("“") == 1.0  # printed from the East Asian font
    assert metrics.advance_em("\u0416") == metrics.FALLBACK_EM  # not in the table: counted wide
    assert metrics.face_of("Arial") == "sans" and metrics.face_of("黑体", bold=True) == "cjk_bold"


def test_the_table_is_what_the_installed_fonts_say():
    """data/glyph_widths.csv is scripts/make_glyph_widths.py's output for these fonts."""
    spec = importlib.util.spec_from_file_location("make_glyph_widths", ROOT / "scripts" / "make_glyph_widths.py")
    maker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(maker)
    missing = maker.missing_fonts()
    if missing:
        pytest.skip(f"字体未安装，无法核对字宽表：{', '.join(p.name for p in missing)}")
    assert maker.table() == (ROOT / "data" / "glyph_widths.csv").read_text(encoding="utf-8")


def test_a_code_of_m_and_w_is_measured_wider_than_one_of_digits():
    wide, narrow = "91310115MA1FL0162M", "913101156012345678"
    assert text_width_pt(wide, 10.5) > text_width_pt(narrow, 10.5) * 1.1
    assert text_width_pt("91310101WWMWMWWMXW", 10.5) > text_width_pt(narrow, 10.5) * 1.4
    # 2.54 cm is just too narrow for the wide code at 五号 (by its glyphs, not by an average)
    need_cm = (text_width_pt(wide, 10.5) + 12.3) * 2.54 / 72
    assert fitted_size(wide, need_cm + 0.05, 10.5) is None
    assert MIN_FIT_PT <= fitted_size(wide, need_cm - 0.3, 10.5) < 10.5
    # the sheets' face: the Chinese font's Latin glyphs (wider still in the stand-in faces)
    assert xlsx_render._run_pt("MWMWMWMW", 11) > xlsx_render._run_pt("01234567", 11) + 0.35 * 8 * 11


# --- in print --------------------------------------------------------------------------------


def _write(folder: Path, s, pack: str) -> Path | None:
    """The record written with its files, or None when it does not pass validate."""
    folder.mkdir(parents=True)
    s.write_files(folder)
    path = folder / "record.yaml"
    loaded = build(path, s.data, {})
    if any(f.is_error for f in validate(loaded, get_pack(pack), today=TODAY)):
        return None
    path.write_text(record_yaml(loaded.record), "utf-8")
    return path


def _widest(pack: str, level: str | None, count: int, root: Path) -> list[Path]:
    """``count`` widest records that pass validate, with different credit codes (M and W
    wherever the check digits allow)."""
    paths, codes, seed = [], set(), 0
    while len(paths) < count:
        assert seed < 4 * count, f"{pack}: only {len(paths)} valid widest records with different codes"
        s = synth.synthesise(pack, level, "widest", seed=seed, today=TODAY)
        seed += 1
        code = s.data["enterprise"]["credit_code"]
        if code not in codes:
            codes.add(code)
            path = _write(root / f"{pack}{level or ''}{seed}", s, pack)
            if path is not None:
                paths.append(path)
    return paths


def _run(*args) -> None:
    r = CliRunner().invoke(main, [*map(str, args)])
    assert r.exit_code == 0, r.output


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> dict[str, tuple[Path, list[str]]]:
    """name -> (PDF, the credit codes of its records)."""
    root = tmp_path_factory.mktemp("metrics")
    shanghai = _widest("shanghai", None, 8, root / "rec")
    _run(
        "summary",
        *shanghai,
        "--pack",
        "shanghai",
        "--unit",
        "上海市浦东新区科技和经济委员会",
        "--quota",
        8,
        "--out",
        root / "sh",
    )
    files: dict[str, tuple[Path, list[str]]] = {}
    sh_codes = [re.search(r"credit_code: (\S+)", p.read_text("utf-8")).group(1) for p in shanghai]
    for f in sorted((root / "sh").glob("附件5*")):
        files[f"shanghai/附件5{f.suffix}"] = (f, sh_codes)
    for level, out in (("基础级", "g3"), ("先进级", "g4")):
        (record,) = _widest("gansu", level, 1, root / "rec")
        _run("fill", record, "--pack", "gansu", "--out", root / out)
        code = re.search(r"credit_code: (\S+)", record.read_text("utf-8")).group(1)
        for f in sorted((root / out).glob("附件*.docx")):
            files[f"gansu/{out}/{f.stem}"] = (f, [code])
    pdfs = to_pdf([f for f, _ in files.values()], root / "pdf")
    return {name: (pdf, codes) for (name, (_, codes)), pdf in zip(files.items(), pdfs, strict=True)}


def _lines(pdf: Path) -> list[str]:
    return [re.sub(r"\s+", "", line) for page in _pdf_text_pages(pdf) for line in page.split("\n")]


def test_codes_print_whole_on_one_line(printed):
    """Every 统一社会信用代码 (附件5, 附件2) and 组织机构代码 (its characters 9-17: 附件3,
    附件4) on one line of the page, and nothing printed under 8 pt."""
    annexes = {n.split("/")[-1][:3] for n in printed}
    assert annexes == {"附件2", "附件3", "附件4", "附件5"}
    assert {n for n in printed if n.startswith("shanghai")} == {"shanghai/附件5.docx", "shanghai/附件5.xlsx"}
    broken, small = [], []
    for name, (pdf, codes) in printed.items():
        lines = _lines(pdf)
        org_code = "/附件3" in name or "/附件4" in name
        for code in codes:
            assert code.count("M") + code.count("W") >= 7, code  # the widest the check digits allow
            wanted = code[8:17] if org_code else code
            if not any(wanted in line for line in lines):
                broken.append(f"{name}: {wanted}")
        if min(_font_sizes(pdf)) < 8.0:
            small.append(f"{name}: {min(_font_sizes(pdf))} pt")
    assert broken == [] and small == []


def test_gansu_a4_prints_its_dates_and_the_investment_label_whole(printed):
    """附件4's 起止日期 (2022年3月-2024年6月) and 项目投资（万元） each on one line."""
    (pdf, _codes) = next(v for n, v in printed.items() if "/附件4" in n)
    lines = _lines(pdf)
    row = next(line for line in lines if line.startswith("起止日期"))
    assert re.search(r"起止日期\d{4}年\d{1,2}月-\d{4}年\d{1,2}月项目投资（万元）\d+", row), row


def test_a_four_character_name_widens_its_sheet_column():
    """A name of up to four characters is kept on one line of a .xlsx column (never 欧阳明/轩),
    whatever width the sheet's balancing gives the other columns."""
    import io

    import openpyxl

    layout = {
        "title": "测试表",
        "columns": [
            {"header": "联系人", "expr": "person", "width": 5},
            {"header": "单位名称", "expr": "unit", "width": 5},
        ],
    }
    data = xlsx_render.render(layout, [{"person": "欧阳明轩", "unit": "甘肃陇原精工机械制造股份有限公司"}], {})
    dims = openpyxl.load_workbook(io.BytesIO(data)).active.column_dimensions
    person, unit = (round(dims[c].width * 7) * 0.75 for c in "AB")  # as Excel lays it out (pt)
    assert person >= metrics.width_em("欧阳明轩", "仿宋_GB2312") * 11 + xlsx_render.H_PAD_PT
    assert unit > 0
