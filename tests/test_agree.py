"""One record through every door (issue 24): the blank offers what the rules read, a
scenario's 环节 is derived from its name, every pack's levels, validate and fill agree."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from formgen import app
from formgen.catalogue import catalogue, levels
from formgen.cli import main
from formgen.doors.opener import load
from formgen.packs.pack import available, get_pack
from formgen.record import derived
from formgen.record.levels import LEVELS

from .conftest import REPORT, ROOT, link_figures

EXAMPLES = ROOT / "data" / "examples"
# A valid bundled record for each pack (national: the Hebei record, the same 卓越级 form).
EXAMPLE_OF = {
    "gansu": "gansu-longyuan.yaml",
    "shanghai": "shanghai-chengchuan.yaml",
    "hebei": "hebei-jizhong.yaml",
    "national": "hebei-jizhong.yaml",
    "jiangsu": "jiangsu-xiyun.yaml",
}
TODAY = dt.date(2025, 1, 2)  # before every bundled deadline
GANSU = EXAMPLES / "gansu-longyuan.yaml"


def cli(*args):
    r = CliRunner().invoke(main, [str(a) for a in args])
    assert r.exception is None or isinstance(r.exception, SystemExit), r.output
    return r


def example(name: str) -> dict:
    return yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))


def write(folder: Path, data: dict, figures_dir: Path | None = None, name: str = "record.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if figures_dir is not None:
        link_figures(figures_dir, folder / "figures")
        shutil.copy(REPORT, folder / REPORT.name)
    path = folder / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def found(path: Path, pack) -> list[tuple[str, str]]:
    """(code, path) of every finding validate gives, deadlines left out."""
    return sorted((f.code, f.path) for f in app.validate(load(path), pack, today=TODAY) if f.code != "DL001")


def cut(node, cat, prefix: str = ""):
    """``node`` (a record as YAML data) with only the fields the catalogue ``cat`` offers."""
    out = {}
    for key, value in node.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if key in ("schema_version", "pack"):
            out[key] = value
        elif isinstance(value, dict) and cat.find(path) is None:
            inner = cut(value, cat, path)
            if inner:
                out[key] = inner
        elif isinstance(value, list) and value and all(isinstance(x, dict) for x in value):
            items = [cut(x, cat, path + "[]") for x in value]
            if any(items):
                out[key] = items
        elif cat.find(path) is not None:
            out[key] = value
    return out


# ---------------------------------------------------------------- levels


def test_every_pack_offers_its_levels_and_jiangsu_takes_all_four(tmp_path):
    for name in available():
        assert levels(get_pack(name)), name
    assert levels(get_pack("jiangsu")) == list(LEVELS)
    assert levels(get_pack("gansu")) == ["基础级", "先进级", "卓越级"]
    r = cli("init", tmp_path / "j.yaml", "--pack", "jiangsu")
    assert r.exit_code == 2 and "请加 --level（基础级、先进级、卓越级、领航级）" in r.output
    r = cli("init", tmp_path / "j.yaml", "--pack", "jiangsu", "--level", "基础级")
    assert r.exit_code == 0, r.output
    blank = yaml.safe_load((tmp_path / "j.yaml").read_text(encoding="utf-8"))
    assert blank["factory"]["level"] == "基础级"
    assert set(blank["dx"]) >= {"q1", "q10", "investment_total"} and "enterprise" in blank
    r = cli("init", tmp_path / "j2.yaml", "--pack", "jiangsu", "--level", "五级")
    assert r.exit_code == 2 and "可选：基础级、先进级、卓越级、领航级" in r.output


def test_jiangsu_tiers_are_the_levels():
    from formgen.selfeval import scoring as jiangsu

    assert [t["level"] for t in jiangsu.tiers()] == list(LEVELS)
    assert jiangsu.LEVELS is LEVELS


# ---------------------------------------------------------------- the 环节, derived


def _gansu_without_stages(level: str | None = None) -> dict:
    data = example("gansu-longyuan.yaml")
    data["pack"] = "gansu"
    for s in data["scenarios"]:
        s.pop("stage", None)
    if level:
        data["factory"]["level"] = level
    return data


def test_stage_is_declared_derived_in_the_catalogue():
    table = derived.DERIVED
    assert "scenarios[].stage" in table and table["scenarios[].stage"].source == "scenarios[].name"
    cat = catalogue("gansu", "先进级")
    assert "scenarios[].name" in cat  # what EL002 needs, through the name
    stage = catalogue("shanghai").get("scenarios[].stage")
    assert stage.derived_from == "scenarios[].name" and not stage.required and "按场景名称" in stage.note


def test_scenarios_without_stage_cover_their_stages_through_every_door(tmp_path):
    """The 环节 comes from the name for YAML, the workbook and the web form alike."""
    from formgen.web.form import check

    pack = get_pack("gansu")
    path = write(tmp_path, _gansu_without_stages())
    assert "EL002" not in [c for c, _ in found(path, pack)]
    # the workbook door
    xlsx = tmp_path / "record.xlsx"
    assert cli("convert", path, xlsx).exit_code == 0
    assert "EL002" not in [c for c, _ in found(xlsx, pack)]
    # the web form's check
    _, web = check(path, _gansu_without_stages(), pack, today=TODAY)
    assert "EL002" not in [f.code for f in web]
    # the record file is never changed, and validate says 检查通过 where it did before
    assert "stage" not in path.read_text(encoding="utf-8")
    assert cli("validate", path).exit_code == 0


def test_a_stage_the_user_gave_is_never_overridden(tmp_path):
    data = _gansu_without_stages()
    data["scenarios"][0]["stage"] = "仓储物流"  # not the catalogue's 环节 for its name
    path = write(tmp_path, data)
    got = found(path, get_pack("gansu"))
    assert ("SC002", "scenarios[0].stage") in got


def test_a_gansu_advanced_applicant_from_the_blank_covers_the_stages(tmp_path):
    """The blank's fields only (scenario names, no 环节) for five scenarios across
    生产作业, 生产管理 and 运营管理: no EL002."""
    blank = tmp_path / "blank.yaml"
    assert cli("init", blank, "--pack", "gansu", "--level", "先进级").exit_code == 0
    cat = catalogue("gansu", "先进级")
    assert "scenarios[].stage" not in cat or not cat.get("scenarios[].stage").required
    data = _gansu_without_stages("先进级")
    names = ["人机协同作业", "柔性产线快速换产", "生产计划优化", "能源智能管控", "数智精益管理"]
    data["scenarios"] = [{"name": n, "description": "说明"} for n in names]
    from formgen.record.refdata import catalogue as scenarios

    cat25 = scenarios(2025)
    areas = {cat25.stage_area(cat25.by_name(n).stage) for n in names}
    assert {"生产作业", "生产管理", "运营管理"} <= areas
    path = write(tmp_path, data)
    assert "EL002" not in [c for c, _ in found(path, get_pack("gansu"))]


# ---------------------------------------------------------------- the blank offers what the rules read


def _cases():
    return [(name, level) for name in sorted(available()) for level in levels(get_pack(name))]


@pytest.mark.parametrize(("pack_name", "level"), _cases())
def test_a_record_cut_to_its_blank_validates_the_same(tmp_path, figures_dir, pack_name, level):
    pack = get_pack(pack_name)
    data = example(EXAMPLE_OF[pack_name])
    data["pack"] = pack_name
    data.setdefault("factory", {})["level"] = level
    figs = figures_dir if pack_name == "shanghai" else None
    whole = write(tmp_path / "whole", data, figs)
    cat = catalogue(pack, level)
    part = write(tmp_path / "part", cut(data, cat), figs)
    assert found(part, pack) == found(whole, pack)


@pytest.mark.parametrize(("pack_name", "level"), _cases())
def test_a_small_enterprise_cut_to_its_blank_still_gets_br001(tmp_path, figures_dir, pack_name, level):
    pack = get_pack(pack_name)
    data = example(EXAMPLE_OF[pack_name])
    data["pack"] = pack_name
    data.setdefault("factory", {})["level"] = level
    data["enterprise"]["revenue"] = 1500
    for year in data["enterprise"].get("financials", []):
        year["revenue"] = 1500
    figs = figures_dir if pack_name == "shanghai" else None
    part = write(tmp_path, cut(data, catalogue(pack, level)), figs)
    assert "BR001" in [c for c, _ in found(part, pack)]


def test_the_blank_says_which_check_a_rule_field_is_for(tmp_path):
    blank = tmp_path / "g.yaml"
    assert cli("init", blank, "--pack", "gansu", "--level", "先进级").exit_code == 0
    text = blank.read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.strip().startswith("revenue:"))
    assert "用于检查：不是规模以上工业企业" in line
    for path in ("factory.region.city", "enterprise.revenue", "scenarios[].name"):
        assert path in catalogue("gansu", "先进级"), path
    assert "scenarios[].ai" in catalogue("gansu", "卓越级")


# ---------------------------------------------------------------- validate and fill agree


def _gansu_without(field: str) -> dict:
    data = example("gansu-longyuan.yaml")
    data["pack"] = "gansu"
    del data["factory"][field]
    return data


def test_fill_refuses_what_validate_rejects_for_a_bureau_sheet_and_says_it_the_same_way(tmp_path):
    path = write(tmp_path, _gansu_without("it_investment"))
    checked = cli("validate", path)
    out = tmp_path / "out"
    filled = cli("fill", path, "--out", out)
    assert checked.exit_code == 1 and filled.exit_code == 1, filled.output
    assert not out.exists()  # nothing written unmarked
    line = next(x for x in checked.output.splitlines() if "RQ001" in x)
    assert "factory.it_investment" in line and "附件6；推荐单位汇总的表要用，申报书不印此项" in line
    assert line in filled.output.splitlines()
    drafted = cli("fill", path, "--out", out, "--draft")
    assert drafted.exit_code == 0 and line in drafted.output.splitlines()
    from docx import Document

    for docx in out.glob("*.docx"):  # written only as drafts
        assert "草稿" in "\n".join(p.text for p in Document(docx).paragraphs), docx.name


def test_batch_fill_leaves_out_what_validate_rejects(tmp_path):
    folder = tmp_path / "in"
    write(folder, _gansu_without("it_investment"), name="a.yaml")
    write(folder, example("gansu-longyuan.yaml") | {"pack": "gansu"}, name="b.yaml")
    r = cli("fill", folder / "a.yaml", folder / "b.yaml", "--out", tmp_path / "out")
    assert r.exit_code == 3, r.output  # one written, one left out
    assert "有错误，未生成" in r.output and "附件6；推荐单位汇总的表要用" in r.output


# ---------------------------------------------------------------- figures: validate and check agree


@pytest.mark.parametrize(
    ("sigma", "quality", "passes"),
    [(4, 90, False), (14, 65, True)],  # ~6 MB CMYK: ~2.6 MB as RGB; ~6 MB CMYK: ~6.2 MB as RGB
)
def test_a_cmyk_figure_validate_accepts_is_a_figure_check_accepts(
    tmp_path, figures_dir, example_data, sigma, quality, passes
):
    """Shanghai 附件4 needs figures of 5 MB: a CMYK JPEG over 5 MB that fill embeds as a
    smaller RGB JPEG is refused by validate, as check refuses the filled document."""
    from PIL import Image

    from formgen.doors.draft import check_draft

    pack = get_pack("shanghai")
    data = yaml.safe_load(yaml.safe_dump(example_data))
    data["figures"][0]["file"] = "odd/cmyk.jpg"
    path = write(tmp_path, data, figures_dir)
    (tmp_path / "odd").mkdir()
    bands = [Image.effect_noise((3400, 2450), sigma) for _ in range(4)]  # noise: JPEG cannot shrink it
    Image.merge("CMYK", bands).save(tmp_path / "odd" / "cmyk.jpg", "JPEG", quality=quality)
    assert (tmp_path / "odd" / "cmyk.jpg").stat().st_size > 5 << 20

    checked = [f for f in app.validate(load(path), pack, today=TODAY) if f.code.startswith("FG")]
    out = app.fill(load(path), pack, tmp_path / "out", draft=bool(checked))
    a4 = next(p for p in out if p.name.startswith("附件4"))
    _, in_document, _ = check_draft(a4, pack)
    in_document = [f for f in in_document if f.code.startswith("FG")]
    assert (not checked) == (not in_document) == passes, ([f.text() for f in checked], [f.text() for f in in_document])
    if not passes:
        (f,) = checked
        assert f.code == "FG004" and f.path == "figures[0].file"
        assert "CMYK 色彩的 JPEG 须转换为 RGB" in f.message and "请另存为RGB 色彩的 JPEG" in f.message


def test_the_summary_sheet_prints_the_derived_stage(tmp_path):
    """国家/河北 推荐汇总表 lists 环节—场景—实例: a 环节 left empty is printed from the name."""
    import openpyxl

    data = example("hebei-jizhong.yaml")
    data["pack"] = "hebei"
    for s in data["scenarios"]:
        s.pop("stage")
    path = write(tmp_path, data)
    out = tmp_path / "out"
    r = cli("summary", path, "--pack", "hebei", "--unit", "石家庄市工业和信息化局", "--out", out)
    assert r.exit_code == 0, r.output
    (xlsx,) = out.glob("*.xlsx")
    cells = [str(c) for row in openpyxl.load_workbook(xlsx).active.iter_rows(values_only=True) for c in row if c]
    (listed,) = [c for c in cells if "泵阀工厂三维数字化设计与交付" in c]
    assert listed.startswith("1.工厂建设—工厂数字化设计与交付—泵阀工厂三维数字化设计与交付")


def test_gansu_a2_prints_the_derived_stage(tmp_path):
    from docx import Document

    path = write(tmp_path, _gansu_without_stages())
    r = cli("fill", path, "--out", tmp_path / "out")
    assert r.exit_code == 0, r.output
    (a2,) = (tmp_path / "out").glob("附件2_*.docx")
    rows = [[c.text for c in row.cells] for t in Document(a2).tables for row in t.rows]
    (row,) = [r for r in rows if r[0] == "环节名称"][:1]
    assert row[-1] == "生产作业"  # 人机协同作业's 环节 in the 2025 catalogue


@pytest.mark.parametrize(("pack_name", "level"), _cases())
def test_every_field_a_rule_reads_is_a_record_field_the_blank_offers(pack_name, level):
    from formgen.catalogue import sample_record
    from formgen.record.schema import resolve_path as _resolve
    from formgen.rules import Scope, reads

    pack = get_pack(pack_name)
    cat = catalogue(pack, level)
    for path in reads(Scope(pack, level, pack.checks_for(sample_record(pack_name, level)))):
        resolved = _resolve(path)
        assert resolved, f"{path}: not a field of the record"
        offered = derived.DERIVED[path].source if path in derived.DERIVED and path not in cat else resolved
        assert offered in cat or any(f.path.startswith(offered + ".") for f in cat), (pack_name, level, path)


@pytest.mark.parametrize(
    "pack,level,command",
    [
        ("gansu", "先进级", "生成：formgen fill 本文件"),
        ("shanghai", None, "生成：formgen fill 本文件"),
        ("jiangsu", "先进级", "生成自评价表：formgen selfeval 本文件"),
        ("national", None, "生成：formgen checklist 本文件"),
    ],
)
def test_the_yaml_blank_names_the_command_that_makes_its_packs_documents(tmp_path, pack, level, command):
    """A Jiangsu blank told its user to run fill, which makes nothing for Jiangsu."""
    out = tmp_path / "x.yaml"
    args = ["init", str(out), "--pack", pack] + (["--level", level] if level else [])
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    head = [line for line in out.read_text("utf-8").splitlines() if line.startswith("# 检查：")]
    assert len(head) == 1 and command in head[0]
    if pack in ("jiangsu", "national"):
        assert "formgen fill" not in head[0]  # fill makes nothing for these packs
