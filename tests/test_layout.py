"""Packs checked when they load (issue 24): a misspelt layout key or a field path the
record does not have is refused with the file, the key's place and a suggestion, by
``formgen pack check`` and by every command that loads the pack (FORMGEN_PACKS folders
too); docs/packs.md describes every key of the layout model."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from formgen.cli import main
from formgen.packs import layout
from formgen.packs.pack import PackError, available, load_pack

from .conftest import ROOT


def _pack_copy(tmp_path: Path, source: str = "shanghai", name: str = "myshanghai") -> Path:
    """A copy of a bundled pack, named after its folder, under tmp_path/packs."""
    folder = tmp_path / "packs" / name
    shutil.copytree(ROOT / "forms" / source, folder)
    if not (folder.parent / "national").exists():  # layouts shared from ../national
        shutil.copytree(ROOT / "forms" / "national", folder.parent / "national")
    manifest = folder / "manifest.yaml"
    manifest.write_text(
        re.sub(rf"^name: {source}$", f"name: {name}", manifest.read_text(encoding="utf-8"), flags=re.M),
        encoding="utf-8",
    )
    return folder


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# the enterprise's name in Shanghai 附件4's header table (blocks[2], its first row, 2nd cell)
NAME_CELL = "- cells: [企业名称, {field: enterprise.name, note: （需加盖公章）, note_if_empty: false}"


def test_every_bundled_pack_passes():
    r = CliRunner().invoke(main, ["pack", "check"])
    assert r.exit_code == 0, r.output
    for name in ("gansu", "hebei", "jiangsu", "national", "shanghai"):
        assert f"{name}：通过" in r.output
    assert "5 个通过，0 个有问题" in r.output


def test_a_misspelt_key_fails_naming_the_file_the_place_and_the_key_meant(tmp_path):
    folder = _pack_copy(tmp_path)
    _edit(folder / "a4_application.yaml", NAME_CELL, NAME_CELL.replace("{field:", "{feild:"))
    r = CliRunner().invoke(main, ["pack", "check", str(folder)])
    assert r.exit_code == 1, r.output
    assert (
        f"{folder}/a4_application.yaml: blocks[2].table.rows[0].cells[1]: 未知的键 feild（是否应为 field？）"
        in r.output
    )
    assert "1 处问题" in r.output  # the cell's other keys are fine: one line, no echo of pydantic


def test_an_unknown_field_path_fails_with_the_path_meant(tmp_path):
    folder = _pack_copy(tmp_path)
    _edit(folder / "a4_application.yaml", NAME_CELL, NAME_CELL.replace("enterprise.name", "enterprise.nmae"))
    _edit(folder / "a4_application.yaml", "fmt(factory.cmmm.score)", "fmt(factory.cmmm.scor)")  # inside an expr
    _edit(folder / "a5_summary.yaml", "expr: derived.cmmm_level_l,", "expr: derived.cmmm_levl_l,")
    r = CliRunner().invoke(main, ["pack", "check", str(folder), "shanghai"])
    assert r.exit_code == 1, r.output
    out = r.output
    assert (
        "a4_application.yaml: blocks[2].table.rows[0].cells[1].field: 未知的字段路径 enterprise.nmae（是否应为 enterprise.name？）"
        in out
    )
    assert "blocks[34].p.expr: 未知的字段路径 factory.cmmm.scor（是否应为 factory.cmmm.score？）" in out
    assert "a5_summary.yaml: columns[6].expr: 未知的派生值 derived.cmmm_levl_l（是否应为 cmmm_level_l？）" in out
    assert "shanghai：通过" in out and "1 个通过，1 个有问题" in out


def test_a_pack_folder_with_a_misspelt_key_stops_validate_and_fill(tmp_path, copy_example, monkeypatch):
    folder = _pack_copy(tmp_path)
    _edit(folder / "a4_application.yaml", NAME_CELL, NAME_CELL.replace("{field:", "{feild:"))
    monkeypatch.setenv("FORMGEN_PACKS", str(tmp_path / "packs"))
    record = copy_example()
    runner = CliRunner()
    line = "blocks[2].table.rows[0].cells[1]: 未知的键 feild（是否应为 field？）"
    r = runner.invoke(main, ["validate", str(record), "--pack", "myshanghai"])
    assert r.exit_code == 2 and line in r.output and "检查通过" not in r.output, r.output
    out = tmp_path / "out"
    r = runner.invoke(main, ["fill", str(record), "--pack", "myshanghai", "--out", str(out)])
    assert r.exit_code == 2 and line in r.output, r.output
    assert not out.exists() or not any(out.iterdir())  # 附件4 without the enterprise's name never written
    with pytest.raises(PackError) as e:
        load_pack(folder)
    assert str(e.value).splitlines()[0] == "表格包 myshanghai 有 1 处问题："


def test_the_unchanged_copy_still_loads_and_fills(tmp_path, copy_example, monkeypatch):
    _pack_copy(tmp_path)
    monkeypatch.setenv("FORMGEN_PACKS", str(tmp_path / "packs"))
    r = CliRunner().invoke(main, ["validate", str(copy_example()), "--pack", "myshanghai"])
    assert r.exit_code == 0 and "检查通过" in r.output, r.output


def test_packs_lists_a_broken_pack_and_goes_on(tmp_path, monkeypatch):
    folder = _pack_copy(tmp_path)
    _edit(folder / "a4_application.yaml", NAME_CELL, NAME_CELL.replace("{field:", "{feild:"))
    monkeypatch.setenv("FORMGEN_PACKS", str(tmp_path / "packs"))
    r = CliRunner().invoke(main, ["packs"])
    assert r.exit_code == 0, r.output
    assert "myshanghai\t（表格包 myshanghai 有 1 处问题：见 formgen pack check myshanghai）" in r.output
    assert "shanghai\t上海市先进级智能工厂申报（2025年）" in r.output


def test_the_web_form_says_the_pack_has_problems_not_that_it_is_missing(tmp_path, monkeypatch):
    from formgen.web.form import pack_of

    folder = _pack_copy(tmp_path)
    _edit(folder / "a4_application.yaml", NAME_CELL, NAME_CELL.replace("{field:", "{feild:"))
    monkeypatch.setenv("FORMGEN_PACKS", str(tmp_path / "packs"))
    pack, bad = pack_of("myshanghai")
    assert pack is None and bad.code == "PK001"
    assert bad.message == "表格包“myshanghai”的文件有误，暂不能使用；请联系提供此表格包的人员"
    assert "formgen" not in bad.message and "/" not in bad.message  # a page says no command or path


def test_manifest_problems_are_named_in_the_manifest(tmp_path):
    folder = _pack_copy(tmp_path, "gansu", "mygansu")
    manifest = folder / "manifest.yaml"
    _edit(manifest, "industry: {min_level: 中类}", "industy: {min_level: 中类}")
    _edit(
        manifest,
        'kind: multi\n    formats: [xlsx]\n    filename: "附件1',
        'kind: mutli\n    formats: [xlsx]\n    filename: "附件1',
    )
    _edit(
        manifest,
        "split: {by: factory.excellent_scenarios, list: scenarios, key: name,",
        "split: {by: factory.excellent_scenarios, list: scenarios, key: nmae,",
    )
    _edit(manifest, "when: {factory.level: 基础级}\n    filename", "when: {factory.levl: 基础级}\n    filename")
    _edit(
        manifest,
        "layout_overrides: {heading_lines: [附件13], notes: []}",
        "layout_overrides: {heading_line: [附件13], notes: []}",
    )
    _edit(manifest, "layout: a8_commitment.yaml", "layout: a8_commitments.yaml")
    _edit(manifest, "kpi: [gansu, 2025]", "kpi: [gansu, 2026]")
    problems = layout.check_folder(folder).lines
    where = f"{folder}/manifest.yaml"
    assert f"{where}: checks: 未知的键 industy（是否应为 industry？）" in problems
    assert (
        f"{where}: documents[3].kind: 应为 single、multi、bureau、checklist 之一，却是「mutli」（是否应为 multi？）"
        in problems
    )
    # the layouts are checked all the same, a missing one said in the manifest
    assert f"{where}: documents[8].layout: 找不到版式文件 a8_commitments.yaml" in problems
    # paths in when and split, and a layout key given as an override, once the keys are right
    _edit(manifest, "industy:", "industry:")
    _edit(manifest, "kind: mutli", "kind: multi")
    problems = layout.check_folder(folder).lines
    assert f"{where}: documents[0].split.key: 未知的字段路径 nmae（是否应为 name？）" in problems
    assert f"{where}: documents[1].when: 未知的字段路径 factory.levl（是否应为 factory.level？）" in problems
    assert f"{where}: checks.kpi[1]: 未知的指标表 2026（data/kpi.yaml 有：2025、2024、gansu）" in problems
    assert f"{where}: documents[6].layout_overrides: 未知的键 heading_line（是否应为 heading_lines？）" in problems


def test_paths_are_read_where_the_layout_reads_them(tmp_path):
    """Inside a repeat a field is the item's; a multi sheet's ``each`` makes its columns'
    ``field`` the item's; a bureau's document reads the recommender profile."""
    folder = _pack_copy(tmp_path, "gansu", "mygansu")
    _edit(folder / "a2_scenario.yaml", "{field: pain_points, label:", "{field: pain_point, label:")
    _edit(folder / "a7_projects.yaml", "field: content,", "field: contents,")
    _edit(folder / "a8_commitment.yaml", "fields: [date]", "fields: [dates]")
    _edit(folder / "a3_basic.yaml", "fmt(enterprise.region.city) ~", "fmt(enterprise.regoin.city) ~")
    problems = "\n".join(layout.check_folder(folder).lines)
    assert (
        "a2_scenario.yaml: blocks[25].table.rows[1].repeat.rows[0][4].field: 未知的字段路径 pain_point（是否应为 pain_points？）"
        in problems
    )
    assert "a7_projects.yaml: columns[3].field: 未知的字段路径 contents（是否应为 content？）" in problems
    assert "a8_commitment.yaml: blocks[8].p.fields[0]: 未知的字段路径 dates（是否应为 date？）" in problems
    assert (
        "a3_basic.yaml: blocks[9].table.rows[1][3].expr: 未知的字段路径 enterprise.regoin.city（是否应为 enterprise.region.city？）"
        in problems
    )
    assert len(problems.splitlines()) == 4


def test_values_of_the_wrong_kind_and_unknown_blocks(tmp_path):
    folder = _pack_copy(tmp_path)
    a4 = folder / "a4_application.yaml"
    _edit(a4, "{p: 附件4, font: 黑体, size: 三号}", "{p: 附件4, font: 黑体, size: 大号}")
    _edit(a4, "{figures: {width_cm: 13, part: 1}}", "{figure: {width_cm: 13, part: 1}}")
    _edit(a4, "widths_cm: [2.6, 5.4, 2.6, 5.0]", "widths_cm: [2.6, 五, 2.6, 5.0]")
    _edit(a4, "labels: {factory.cmmm.score:", "labels: {factory.cmmm.scores:")
    problems = "\n".join(layout.check_folder(folder).lines)
    assert (
        "blocks[0].size: 字号应为 初号、小初、一号、小一、二号、小二、三号、小三、四号、小四、五号、小五 之一或磅值，却是「大号」"
        in problems
    )
    assert "blocks[8]: 无法识别的块（键 figure）：块须含 p、heading、text、figures" in problems
    assert "（是否应为 figures？）" in problems
    assert "blocks[2].table.widths_cm[1]: 应为数字，却是「五」" in problems
    assert (
        "blocks[34].p: labels 的 factory.cmmm.scores 不在 fields 或 attached 中（是否应为 factory.cmmm.score？）"
        in problems
    )


def test_a_changed_layout_is_checked_again_an_unchanged_one_is_not(tmp_path, monkeypatch):
    """The check is kept with the parsed files (keyed by their bytes): a second start with
    the same pack does not import the model's classes; a changed file is checked."""
    monkeypatch.setenv("FORMGEN_CACHE", str(tmp_path / "cache"))
    folder = _pack_copy(tmp_path)
    code = textwrap.dedent(
        f"""
        import json, sys
        from pathlib import Path
        from formgen.packs.pack import PackError, load_pack
        try:
            load_pack(Path({str(folder)!r})); said = ""
        except PackError as e:
            said = str(e)
        assert "docx" not in sys.modules and "lxml" not in sys.modules  # checking renders nothing
        print(json.dumps([said, "formgen.packs.layout" in sys.modules]))
        """
    )

    def start():
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        return json.loads(done.stdout.splitlines()[-1])

    assert start() == ["", True]  # checked
    assert start() == ["", False]  # remembered
    _edit(folder / "a4_application.yaml", NAME_CELL, NAME_CELL.replace("{field:", "{feild:"))
    said, imported = start()
    assert "未知的键 feild" in said and imported


def test_the_walkers_give_what_the_forms_show():
    """The layout model's walkers over Shanghai 附件4 and Gansu 附件7 (an ``each`` sheet)."""
    shanghai = load_pack(available()["shanghai"])
    a4 = shanghai.document("a4")
    assert ("enterprise.name", "企业名称", False) in list(a4.fields())
    assert ("narrative.development", "第一部分 1、发展历程、行业属性、行业地位", True) in list(a4.fields())
    used, notes = a4.uses()
    assert "figures" in used and "factory.cmmm.score" in used
    assert notes["enterprise.name"] == "（需加盖公章）"
    assert list(a4.fields()) == list(a4.model.fields())  # kept between runs = walked afresh
    gansu = load_pack(available()["gansu"])
    a7 = list(gansu.document("a7").fields())
    assert (
        a7[0] == ("projects", "在建项目", False)
        and ("projects[].content", "主要建设内容（重点介绍设备和技术投入资金、规模等情况）", False) in a7
    )
    assert ("enterprise.name", "企业名称") in gansu.document("a12").uses()  # a checklist's needs


def _model_keys() -> set[str]:
    keys: set[str] = set()
    seen: set[type] = set()

    def walk(model):
        if model in seen:
            return
        seen.add(model)
        for name, info in model.model_fields.items():
            keys.add(name)
            for sub in _models_in(info.annotation):
                walk(sub)

    for model in (layout.Manifest, layout.SingleLayout, layout.MultiLayout, layout.ChecklistLayout):
        walk(model)
    for model in [getattr(layout, n) for n in dir(layout)]:  # the block kinds (in a union)
        if isinstance(model, type) and issubclass(model, layout.Spec) and not model.__name__.startswith("_"):
            walk(model)
    return keys


def _models_in(annotation) -> list[type]:
    import typing

    if isinstance(annotation, type) and issubclass(annotation, layout.Spec):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def test_docs_describe_every_key_of_the_model():
    doc = (ROOT / "docs" / "packs.md").read_text(encoding="utf-8")
    described = set(re.findall(r"`([a-z_0-9]+)`", doc))
    missing = sorted(_model_keys() - described)
    assert not missing, f"docs/packs.md 未描述：{missing}"
    assert set(layout.BLOCK_KINDS) <= described


def test_every_key_the_bundled_packs_use_is_modelled():
    """The bundled files' keys are all in the model (none passes through unchecked)."""
    keys = _model_keys()
    for folder in available().values():
        for f in folder.glob("*.yaml"):
            data = yaml.safe_load(f.read_text(encoding="utf-8"))
            for key in _keys(data, f.name == "manifest.yaml"):
                assert key in keys, (f, key)


def _keys(node, manifest: bool, under: str = ""):
    if isinstance(node, dict):
        for k, v in node.items():
            # free mappings: a when's paths, a paragraph's labels by path, the unit kinds
            if under in ("when", "labels", "by_unit_kind", "layout_overrides", "draft") or "." in str(k):
                continue
            yield str(k)
            yield from _keys(v, manifest, str(k))
    elif isinstance(node, list):
        for x in node:
            yield from _keys(x, manifest, under)


def test_a_file_that_is_not_yaml_is_one_line(tmp_path):
    folder = _pack_copy(tmp_path)
    (folder / "a3_info.yaml").write_text("blocks:\n  - {p: [unclosed\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["pack", "check", str(folder)])
    assert r.exit_code == 1
    assert f"{folder}/a3_info.yaml: YAML 格式有误（第 3 行第 1 列）" in r.output, r.output


def test_a_row_wider_than_its_table_is_found_before_anything_is_rendered(tmp_path):
    folder = _pack_copy(tmp_path)
    _edit(
        folder / "a3_info.yaml",
        "{field: enterprise.industry.shanghai, colspan: 2,",
        "{field: enterprise.industry.shanghai, colspan: 3,",
    )
    gansu = _pack_copy(tmp_path, "gansu", "mygansu")  # 联系人 spans three rows: the next two start one column in
    _edit(
        gansu / "a3_basic.yaml",
        "[职务, {field: people.contact.title}, 手机,",
        "[职务, 职务, {field: people.contact.title}, 手机,",
    )
    problems = layout.check_folder(folder).lines + layout.check_folder(gansu).lines
    assert problems == [
        f"{folder}/a3_info.yaml: blocks[2].table.rows[2].cells: 格子占到第 5 列，超出 widths_cm 的 4 列（已计入上面各行跨行的格子）",
        f"{gansu}/a3_basic.yaml: blocks[9].table.rows[5]: 格子占到第 7 列，超出 widths_cm 的 6 列（已计入上面各行跨行的格子）",
    ]
