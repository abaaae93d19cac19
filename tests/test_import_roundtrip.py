"""One record through the forms and back (issue 24): ``fill`` renders a record's forms,
``import`` reads them back, and the record read back equals the original for every field
the forms print, and ``validate`` says the same of both.

"Every field the forms print" is walked from the layouts themselves: each cell's and
paragraph's reading (:func:`formgen.doors.readback.reading`) names the record paths it prints,
each value compared as the form prints it (the 中类 a 所属行业 path names, the last year of
上年末 figures, a 组织机构代码 worked out from the credit code). The verdict is compared on
the record read back completed with what no form prints (附件1's 企业规模, a scenario's
环节): a field lost or changed on the way is a different verdict.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from formgen.app import validate
from formgen.cli import main
from formgen.doors.imported import document_facts
from formgen.doors.opener import load
from formgen.doors.readback import reading
from formgen.packs.pack import get_pack
from formgen.record.derived import DERIVED, derived_value
from formgen.record.paths import get
from formgen.record.written import fmt
from formgen.render.context import compile_expr, kpi_rows, namespace

from .test_gansu import _advanced

ROOT = Path(__file__).resolve().parent.parent
GANSU = ROOT / "data" / "examples" / "gansu-longyuan.yaml"


# -- what a form prints, walked from its layout --------------------------------------------------


def _at(record, path: str):
    """The value at a concrete path, [-1] the last item (None for an empty list)."""
    if "[-1]" in path:
        head, _, rest = path.partition("[-1]")
        items = get(record, head) or []
        return _at(record, f"{head}[{len(items) - 1}]{rest}") if items else None
    if path in DERIVED:
        return derived_value(record, path)
    return get(record, path)


def _join(base: str, rel: str) -> str:
    return f"{base}.{rel}" if base and rel else base or rel


def _cell_values(record, spec: dict, base: str, ns: dict) -> dict[str, object]:
    """What one cell or paragraph prints, keyed by what it prints: a field's value by its
    path, a computed cell (``fmt(city) ~ fmt(district)``, ``derived.industry_path``) as
    printed, and the fields a computed cell is read back into where the form names them
    in full (a region's city and district; a derived field such as the 组织机构代码)."""
    if spec.get("checkbox"):
        path = _join(base, spec["checkbox"]["field"])
        return {path: _at(record, path)}
    if spec.get("field") and not spec.get("expr"):
        path = _join(base, spec["field"])
        return {path: _at(record, path)}
    if not spec.get("expr"):
        return {}
    out: dict[str, object] = {f"{base}「{spec['expr']}」": fmt(compile_expr(spec["expr"])(**ns))}
    r = reading(spec)
    for slot in r.slots if r is not None else ():
        path = _join(base, slot.path)
        if slot.how == "place":
            out[f"{path}.city"], out[f"{path}.district"] = get(record, f"{path}.city"), get(record, f"{path}.district")
        elif slot.how == "value" and path in DERIVED:
            out[path] = _at(record, path)
    return out


def _rows(record, rows: list, base: str, ns: dict, out: dict) -> None:
    for row in rows:
        if isinstance(row, dict) and "repeat" in row:
            rep = row["repeat"]
            each = _join(base, rep["each"])
            items = get(record, each) or []
            out[f"{each}#"] = len(items)
            for i, item in enumerate(items):
                _rows(record, rep["rows"], f"{each}[{i}]", {**ns, "item": item, "index": i + 1}, out)
            continue
        for cell in row["cells"] if isinstance(row, dict) else row:
            if isinstance(cell, dict):
                out.update(_cell_values(record, cell, base, ns))


def printed(doc, record, pack) -> dict[str, object]:
    """Every value ``doc`` prints of ``record``, by record path (or by the expression that
    prints it)."""
    ns = namespace(record, kpi_rows=kpi_rows(doc.layout))  # as the renderer sees it
    out: dict[str, object] = {}
    for path, _value in document_facts(doc, pack):  # what the document's title says
        out[path] = get(record, path)
    for block in doc.layout.get("blocks") or []:
        for key in ("p", "text"):
            if isinstance(block.get(key), dict):
                out.update(_cell_values(record, block[key], "", ns))
        if "table" in block:
            _rows(record, block["table"].get("rows", []), "", ns, out)
        if "figures" in block:
            part = block["figures"].get("part")
            out[f"figures@{part}"] = [f.caption for f in record.figures if f.part == part]
        if "mode_items" in block:
            chosen = list(record.factory.modes or [])
            out["factory.modes"] = chosen
            items = record.narrative.mode_items or {}
            out["narrative.mode_items"] = {m: {str(k): v for k, v in (items.get(m) or {}).items()} for m in chosen}
    return out


def _views(doc, record) -> dict:
    """The record as each copy of ``doc`` that ``fill`` writes sees it, by its split key."""
    return {k: doc.split_view(record, k) for k in doc.split_keys(record)} if doc.split else {None: record}


# -- the trip ------------------------------------------------------------------------------------


def _complete(back, original):
    """The record read back with what no form printed taken from the original (a list
    item by item): a printed field keeps the value read back."""
    if isinstance(back, dict) and isinstance(original, dict):
        out = dict(original)
        for k, v in back.items():
            out[k] = _complete(v, original.get(k))
        return out
    if isinstance(back, list) and isinstance(original, list) and all(isinstance(x, dict) for x in back + original):
        n = max(len(back), len(original))
        return [_complete(back[i] if i < len(back) else {}, original[i] if i < len(original) else {}) for i in range(n)]
    return original if back is None else back


def _verdict(path: Path, pack) -> list[tuple]:
    return sorted((f.code, f.path, f.severity) for f in validate(load(path), pack))


def round_trip(record: Path, pack_name: str, tmp_path: Path) -> tuple:
    pack = get_pack(pack_name)
    forms = tmp_path / "forms"
    result = CliRunner().invoke(main, ["fill", str(record), "--pack", pack_name, "--out", str(forms)])
    assert result.exit_code == 0, result.output
    written = sorted(forms.rglob("*.docx"))
    back_dir = tmp_path / "back"
    result = CliRunner().invoke(main, ["import", *map(str, written), "--pack", pack_name, "--out", str(back_dir)])
    assert result.exit_code in (0, 1), result.output  # 1: fields no form prints (附件1's) are missing
    assert "IM00" not in result.output, result.output  # nothing unreadable, conflicting or unsplit
    (back,) = sorted(back_dir.glob("*.yaml"))
    return pack, written, back


def _assert_same_printed(pack, written: list[Path], original, back) -> set[str]:
    docs = {d.id: d for d in pack.documents if d.single and "docx" in d.formats}
    seen: set[str] = set()
    for doc in docs.values():
        if not any(p.name.startswith(doc.short_title + "_") for p in written):
            continue
        seen.add(doc.id)
        views_o, views_b = _views(doc, original), _views(doc, back)
        assert set(views_b) == set(views_o), doc.title  # 附件2: one per 优秀场景, each read back
        for key, view_o in views_o.items():
            want, got = printed(doc, view_o, pack), printed(doc, views_b[key], pack)
            assert {k: v for k, v in want.items() if v not in (None, "", [], {})}, doc.id
            diff = {k: (want[k], got.get(k)) for k in want if got.get(k) != want[k]}
            assert not diff, f"{doc.title}: {diff}"
    return seen


CASES = {
    "gansu-基础级": ("gansu", lambda d: None, {"a2", "a3"}),
    # two 附件2, for the second and the first scenario of 附件3's list: each joins its own
    "gansu-基础级-两个优秀场景": (
        "gansu",
        lambda d: d["factory"].update(excellent_scenarios=["设备运行监控", "人机协同作业"]),
        {"a2", "a3"},
    ),
    # 先进级 with a 优秀场景 (附件2 beside 附件4) and no 组织机构代码 of its own: the form
    # prints the one worked out from the credit code, and the import reads it back
    "gansu-先进级": ("gansu", lambda d: (_advanced()(d), d["enterprise"].pop("org_code")), {"a4"}),
    "shanghai": ("shanghai", None, {"a3", "a4"}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_record_survives_its_forms(case, tmp_path, write_record):
    pack_name, edit, docs = CASES[case]
    if pack_name == "shanghai":
        record = write_record()
    else:
        data = yaml.safe_load(GANSU.read_text(encoding="utf-8"))
        edit(data)
        record = tmp_path / "record.yaml"
        record.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    pack, written, back = round_trip(record, pack_name, tmp_path)
    original, read = load(record).record, load(back).record
    assert _assert_same_printed(pack, written, original, read) == docs
    # what the title says, and the pack
    assert (read.pack, read.factory.level) == (pack_name, original.factory.level)
    # the verdict: the original passes; so does what came back, completed with what no form prints
    data = yaml.safe_load(record.read_text(encoding="utf-8"))
    completed = _complete(yaml.safe_load(back.read_text(encoding="utf-8")), copy.deepcopy(data))
    # the figures read back are files beside the record read back (图1.jpg), not the original's
    completed.pop("figures", None)
    if yaml.safe_load(back.read_text(encoding="utf-8")).get("figures"):
        completed["figures"] = yaml.safe_load(back.read_text(encoding="utf-8"))["figures"]
    for f in record.parent.iterdir():  # files no form carries (the CMMM report) beside it too
        if f.is_file() and f.suffix != ".yaml" and not (back.parent / f.name).exists():
            os.link(f, back.parent / f.name)
    path = back.parent / "completed.yaml"
    path.write_text(yaml.safe_dump(completed, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert _verdict(path, pack) == _verdict(record, pack)


def test_a_defect_in_a_printed_field_comes_back_as_the_same_finding(tmp_path):
    """The same verdict on a record with an error: rendered as a draft (``fill --draft``),
    read back, the read-back record fails with the same finding at the same field."""
    data = yaml.safe_load(GANSU.read_text(encoding="utf-8"))
    data["people"]["contact"]["mobile"] = "1399314521"  # ten digits: PH001
    data["enterprise"]["region"]["district"] = "七里河县"  # not a county of 兰州市: RG001
    record = tmp_path / "record.yaml"
    record.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    pack = get_pack("gansu")
    forms = tmp_path / "forms"
    result = CliRunner().invoke(main, ["fill", str(record), "--pack", "gansu", "--out", str(forms), "--draft"])
    assert result.exit_code == 0, result.output
    back_dir = tmp_path / "back"
    result = CliRunner().invoke(main, ["import", str(forms), "--pack", "gansu", "--out", str(back_dir)])
    assert result.exit_code == 1, result.output
    (back,) = sorted(back_dir.glob("*.yaml"))
    completed = _complete(yaml.safe_load(back.read_text(encoding="utf-8")), data)
    path = back.parent / "completed.yaml"
    path.write_text(yaml.safe_dump(completed, allow_unicode=True, sort_keys=False), encoding="utf-8")
    want = _verdict(record, pack)
    assert {(c, p) for c, p, _ in want} >= {
        ("PH001", "people.contact.mobile"),
        ("RG001", "enterprise.region.district"),
    }, want
    assert _verdict(path, pack) == want


def test_forms_of_one_enterprise_join_the_same_in_any_order(tmp_path):
    """附件3 before or after the 附件2 of its second scenario: the same record, the 上年末
    figures in the last year, the scenario's details on its own item, nothing reported."""
    from formgen.doors.importer import import_forms

    data = yaml.safe_load(GANSU.read_text(encoding="utf-8"))
    data["factory"]["excellent_scenarios"] = ["设备运行监控"]
    record = tmp_path / "record.yaml"
    record.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    forms = tmp_path / "forms"
    assert CliRunner().invoke(main, ["fill", str(record), "--pack", "gansu", "--out", str(forms)]).exit_code == 0
    paths = sorted(forms.glob("*.docx"))
    assert [p.name[:3] for p in paths] == ["附件2", "附件3"]
    gansu = get_pack("gansu")
    got = []
    for order in (paths, paths[::-1]):
        (entry,) = import_forms(order, gansu).records
        rec = entry[2]
        assert [f.text() for f in rec.findings] == []
        got.append(entry[3].record)
    for r in got:
        assert [s.name for s in r.scenarios] == [s["name"] for s in data["scenarios"]]
        assert r.scenarios[1].instance == data["scenarios"][1]["instance"]  # 附件2's, on its own item
        assert r.scenarios[0].instance is None
        last = r.enterprise.financials[-1]
        assert (last.year, last.profit, last.tax) == (2024, 2944, 1790)  # 附件3's 上年末, in 2024
        assert r.enterprise.financials[0].profit is None  # not in 2022
        assert r.factory.excellent_scenarios == ["设备运行监控"]
