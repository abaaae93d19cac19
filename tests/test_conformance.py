"""The conformance matrix (issue 24): every pack × level × variant (formgen.synth), through
every door, comes back as it went in.

For each record synthesised from the field catalogue (valid, widest, sparse), each door is
asked to carry it and give it back: the YAML writer and loader, the workbook, the web
form's save, the pack's forms filled and imported, the registry, and the blank (the record
cut down to the fields the catalogue offers). The record that comes back must equal the
one that went in for every field the door carries, and ``validate`` must give the same
verdict (finding codes and paths) before and after. The cases are generated: a new field,
level or pack is covered without a new test.

A case that fails on today's code is listed in KNOWN with a one-line description of the
defect and runs as a strict xfail: when the defect is fixed, the case passes, the xfail
fails, and its line here is to be removed.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from formgen import catalogue as F
from formgen import synth
from formgen.app import render_single, validate
from formgen.doors.blank import record_yaml
from formgen.doors.opener import load
from formgen.doors.workbook import read_workbook, record_workbook
from formgen.packs.pack import get_pack
from formgen.record.loader import build
from formgen.record.schema import resolve_path

TODAY = dt.date(2025, 9, 1)  # validate's today, before and after alike
ROUND = "2025"

# --- known defects: (door, pack, level, variant) -> what differs; "*" matches any ----------


def _all(*parts: str) -> str:
    return "; ".join(parts)


KNOWN: dict[tuple[str, str, str, str], str] = {}

# packs that name no level: pack -> the defect
KNOWN_LEVELS: dict[str, str] = {}


def _known(door: str, pack: str, level: str | None, variant: str) -> str | None:
    for (d, p, lv, v), reason in KNOWN.items():
        if d == door and p in (pack, "*") and lv in (level or "", "*") and v in (variant, "*"):
            return reason
    return None


def _cases(door: str, variants=synth.VARIANTS):
    out = []
    for pack, level in synth.cases():
        for variant in variants:
            reason = _known(door, pack, level, variant)
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            out.append(pytest.param(pack, level, variant, id=f"{pack}-{level or '无层级'}-{variant}", marks=marks))
    return out


# --- the records, made once -----------------------------------------------------------------


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """(pack, level, variant) -> (folder, YAML path, loaded record, verdict), made once."""
    root = tmp_path_factory.mktemp("matrix")

    @functools.cache
    def make(pack: str, level: str | None, variant: str):
        s = synth.synthesise(pack, level, variant, today=TODAY)
        folder = root / s.name
        folder.mkdir()
        s.write_files(folder)
        path = folder / "record.yaml"
        loaded = build(path, s.data, {})
        path.write_text(record_yaml(loaded.record), "utf-8")
        return folder, path, loaded, verdict(loaded, pack)

    return make


def verdict(loaded, pack: str) -> Counter:
    """What validate says: each finding's code, severity and path."""
    return Counter((f.code, f.severity, f.path) for f in validate(loaded, get_pack(pack), today=TODAY))


def values(record) -> dict:
    """Concrete path -> value of every filled field of a record."""
    return dict(synth.leaves(record.model_dump()))


def differences(before: dict, after: dict, carried=None) -> list[str]:
    """Fields (of ``carried`` patterns, or all) whose values differ, as readable lines."""
    out = []
    for path in sorted(set(before) | set(after)):
        if carried is not None and not carried(path):
            continue
        a, b = before.get(path), after.get(path)
        if a != b:
            out.append(f"{path}: {a!r} -> {b!r}")
    return out


def same_verdict(before: Counter, after: Counter) -> list[str]:
    lost = before - after
    gained = after - before
    return [f"lost {k}" for k in sorted(lost)] + [f"gained {k}" for k in sorted(gained)]


# --- 1. YAML -----------------------------------------------------------------------------------


@pytest.mark.parametrize("pack,level,variant", _cases("yaml"))
def test_yaml_door(made, pack, level, variant):
    folder, path, loaded, before = made(pack, level, variant)
    back = load(path)
    assert differences(values(loaded.record), values(back.record)) == []
    assert same_verdict(before, verdict(back, pack)) == []


def test_valid_records_pass_validate(made):
    """The generator's promise: every valid and widest record passes validate (no error)."""
    failing = []
    for pack, level in synth.cases():
        for variant in ("valid", "widest"):
            errors = [k for k in made(pack, level, variant)[3] if k[1] == "error"]
            if errors:
                failing.append((pack, level, variant, errors))
    assert failing == []


def test_synthesis_is_seeded():
    """The same pack, level, variant and seed give the same record; another seed another."""
    pack, level = synth.cases()[0]
    one, two = (synth.synthesise(pack, level, "valid", today=TODAY) for _ in range(2))
    assert one.data == two.data and one.files == two.files
    assert synth.synthesise(pack, level, "valid", seed=1, today=TODAY).data != one.data


@pytest.mark.parametrize("pack,level", synth.cases())
def test_widest_is_at_the_limits(pack, level):
    """The widest record writes every limited text at exactly its 字数 limit (counted as the
    rules count) and a credit code of M and W wherever the check digits allow."""
    from formgen.record.ids import uscc_problem
    from formgen.record.textcount import word_count

    data = synth.synthesise(pack, level, "widest", today=TODAY).data
    cat = F.catalogue(pack, level)
    off = [
        (path, word_count(value), cat.find(path).max_chars)
        for path, value in synth.leaves(data)
        if cat.find(path) is not None and cat.find(path).max_chars and word_count(value) != cat.find(path).max_chars
    ]
    assert off == []
    code = data["enterprise"]["credit_code"]
    assert uscc_problem(code) is None and set(code[8:16]) <= set("MW")


# --- 2. workbook -----------------------------------------------------------------------------


@pytest.mark.parametrize("pack,level,variant", _cases("workbook"))
def test_workbook_door(made, pack, level, variant):
    folder, path, loaded, before = made(pack, level, variant)
    xlsx = folder / "record.xlsx"
    xlsx.write_bytes(record_workbook(loaded.record))
    back = read_workbook(xlsx)
    assert differences(values(loaded.record), values(back.record)) == []
    assert same_verdict(before, verdict(back, pack)) == []


@pytest.mark.parametrize("pack,level,variant", _cases("convert", ("valid", "widest")))
def test_convert_door(made, tmp_path, pack, level, variant):
    """``formgen convert`` YAML -> workbook -> YAML gives the record back."""
    from formgen.cli import main

    folder, path, loaded, before = made(pack, level, variant)
    xlsx, back_yaml = tmp_path / "record.xlsx", folder / f"back-{tmp_path.name}.yaml"
    for source, target in ((path, xlsx), (xlsx, back_yaml)):
        result = CliRunner().invoke(main, ["convert", str(source), str(target)])
        assert result.exit_code == 0, result.output
    back = load(back_yaml)
    back_yaml.unlink()
    assert differences(values(loaded.record), values(back.record)) == []


@pytest.mark.parametrize("pack,level,variant", _cases("init", ("valid",)))
@pytest.mark.parametrize("suffix", [".yaml", ".xlsx"])
def test_init_makes_the_blank(tmp_path, pack, level, variant, suffix):
    """``formgen init`` writes the blank of every pack and level the matrix covers."""
    from formgen.cli import main

    args = ["init", str(tmp_path / f"blank{suffix}"), "--pack", pack] + (["--level", level] if level else [])
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert (tmp_path / f"blank{suffix}").stat().st_size > 0


# --- 3. web save ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def web_folder(made, tmp_path_factory):
    """Each case's record (and its files) in one folder the web form serves."""
    from .test_web import served

    root = tmp_path_factory.mktemp("web")

    @functools.cache
    def serve(pack, level, variant):
        folder, path, loaded, before = made(pack, level, variant)
        here = root / path.parent.name
        here.mkdir()
        for f in folder.rglob("*"):
            if f.is_file() and f.suffix != ".xlsx":
                target = here / f.relative_to(folder)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(f.read_bytes())
        client = served(here)
        return client, here / "record.yaml", loaded, before

    return serve


@pytest.mark.parametrize("pack,level,variant", _cases("web"))
@pytest.mark.parametrize("suffix", [".yaml", ".xlsx"])
def test_web_save_door(web_folder, pack, level, variant, suffix):
    """Every field as the page draws it, saved in the record's own format (YAML or a
    workbook): the file read back holds the same record."""
    from .test_web import H, page_state

    client, path, loaded, before = web_folder(pack, level, variant)
    path = path.with_suffix(suffix)
    if suffix == ".xlsx" and not path.exists():
        path.write_bytes(record_workbook(loaded.record))
    state = page_state(client, path.name)
    resp = client.post(f"/record/{path.name}/save", json=state, headers=H)
    assert resp.status_code == 200, resp.get_json().get("message")
    back = load(path)
    assert differences(values(loaded.record), values(back.record)) == []
    assert same_verdict(before, verdict(back, pack)) == []


@pytest.mark.parametrize("pack,level,variant", _cases("web-bytes"))
def test_web_noop_save_keeps_the_file(made, tmp_path, pack, level, variant):
    """A save that changes nothing changes no byte of a YAML written by formgen."""
    from .test_web import H, page_state, served

    folder, path, loaded, before = made(pack, level, variant)
    for f in folder.rglob("*"):
        if f.is_file() and f.suffix != ".xlsx":
            target = tmp_path / f.relative_to(folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(f.read_bytes())
    client = served(tmp_path)
    original = (tmp_path / path.name).read_bytes()
    resp = client.post(f"/record/{path.name}/save", json=page_state(client, path.name), headers=H)
    assert resp.status_code == 200, resp.get_json().get("message")
    after = (tmp_path / path.name).read_bytes()
    changed = [
        (a, b) for a, b in zip(original.decode().splitlines(), after.decode().splitlines(), strict=False) if a != b
    ]
    assert (len(original.splitlines()), changed[:3]) == (len(after.splitlines()), [])


# --- 4. forms: fill, then import ----------------------------------------------------------------


def _printed(doc) -> set[str]:
    """The field patterns a single-enterprise document prints: its layout's fields (a list
    named as a whole: the fields named in it, else the keys its expressions read, else all
    of its own), the blocks its expressions name, the level its title states (a document
    for one level) and the key a split document is written for (its title says it)."""
    bases = [f.path for f in F.catalogue(None)]
    text = repr(doc.layout)
    attached = {resolve_path(p) for p in doc.attached}  # required files, no value printed
    named = [resolve_path(p) for p, _, _ in doc.fields()]
    named = [n for n in named + doc.uses()[0] if n and n not in attached]
    out: set[str] = set()
    for n in named:
        if n in bases:
            out.add(n)
        elif any(b.startswith(n + ".") or b.startswith(n + "{}") for b in bases):
            out |= {b for b in bases if b.startswith(n + ".") or b.startswith(n + "{}")}
        elif not any(m.startswith(n + "[].") for m in named):
            own = [b for b in bases if b.startswith(n + "[].") and b.count("[]") == n.count("[]") + 1]
            read = _read_items(n, own, text)
            out |= read or set(own)
    level = (doc.when or {}).get("factory.level")
    if isinstance(level, str):
        out.add("factory.level")
    if doc.split:
        out.add(resolve_path(doc.split["by"]))
    return out


def _read_items(name: str, own: list[str], text: str) -> set[str]:
    """The fields of the list ``name`` a layout's expressions read: ``name[].field`` where
    an expression reads it at no fixed index, else ``name[i].field`` for each index it is
    read at (``financials[-1].profit``: the last year's only)."""
    out: set[str] = set()
    for b in own:
        field = b.rsplit(".", 1)[1]
        indices = set(re.findall(re.escape(name) + r"\[(-?\d*)\]\." + field + r"\b", text))
        if "" in indices:
            out.add(b)
        else:
            out |= {f"{name}[{i}].{field}" for i in indices}
    return out


def _indexed_hit(printed: set[str], path: str, record) -> bool:
    """Whether a concrete path is an item a layout reads at a fixed index (``[0]``, ``[-1]``:
    counted from the list's end in ``record``)."""
    from formgen.record.paths import get

    for p in printed:
        m = re.fullmatch(r"(.+?)\[(-?\d+)\]\.(.+)", p)
        if not m:
            continue
        hit = re.fullmatch(re.escape(m.group(1)) + r"\[(\d+)\]\." + re.escape(m.group(3)), path)
        if hit:
            want = int(m.group(2))
            if want < 0:
                want += len(get(record, m.group(1)) or [])
            if int(hit.group(1)) == want:
                return True
    return False


def _carried_by_forms(pack, record):
    """Whether a concrete path of ``record`` is printed by one of the pack's
    single-enterprise documents that apply to it (a split document: for its items only)."""
    docs = [(d, _printed(d)) for d in pack.documents_for(record, single=True)]

    def carried(path: str) -> bool:
        pattern = synth.pattern(path)
        if pattern.endswith("region.province"):  # import finds the province of a printed city
            return carried(path[: -len("province")] + "city")
        for doc, printed in docs:
            hit = (
                pattern in printed
                or any(p.endswith("{}") and pattern.startswith(p[:-2] + ".") for p in printed)
                or _indexed_hit(printed, path, record)
            )
            if hit and doc.covers(record, path):
                return True
        return False

    return carried


def _printed_as_either(pack, record) -> tuple[list[tuple[str, ...]], set[str]]:
    """The cells ``a or b`` of fields outside lists (the first not empty) that the pack's
    documents for ``record`` print, as their alternatives, and those of the fields that no
    other cell prints: the form shows which value, not always which field it was."""
    from formgen.doors.importer import _value_specs
    from formgen.doors.readback import reading

    eithers, direct = [], set()
    for doc in pack.documents_for(record, single=True):
        for spec in _value_specs(doc.layout.get("blocks") or []):
            r = reading(spec)
            for slot in r.slots if r else []:
                if slot.how == "either" and "[" not in slot.path:
                    eithers.append((slot.path, *slot.key.split("\n")))
                else:
                    direct.add(slot.path)
    cells = list(dict.fromkeys(eithers))
    return cells, {p for alts in cells for p in alts if p not in direct}


def _first(flat: dict, paths: tuple[str, ...]):
    return next((flat[p] for p in paths if flat.get(p) not in (None, "")), None)


@pytest.fixture(scope="module")
def imported(made, tmp_path_factory):
    """(pack, level, variant) -> (forms written by fill, the record formgen import wrote,
    its exit code and output)."""
    from formgen.cli import main

    root = tmp_path_factory.mktemp("forms")

    @functools.cache
    def run(pack, level, variant):
        folder, path, loaded, before = made(pack, level, variant)
        out = root / path.parent.name
        forms = []
        for name, data in render_single(loaded, get_pack(pack), draft=False):
            (out / "forms").mkdir(parents=True, exist_ok=True)
            (out / "forms" / name).write_bytes(data)
            forms.append(out / "forms" / name)
        if not forms:
            return [], None, None, ""
        result = CliRunner().invoke(
            main, ["import", *map(str, forms), "--pack", pack, "--out", str(out / "imported")], catch_exceptions=False
        )
        records = sorted((out / "imported").glob("*.yaml"))
        return forms, records, result.exit_code, result.output

    return run


@pytest.mark.parametrize("pack,level,variant", _cases("forms"))
def test_forms_door(made, imported, pack, level, variant):
    folder, path, loaded, before = made(pack, level, variant)
    forms, records, code, output = imported(pack, level, variant)
    if not forms:
        pytest.skip("no single-enterprise document applies")
    assert len(records) == 1, output
    back = load(records[0])
    pk = get_pack(pack)
    carried = _carried_by_forms(pk, loaded.record)
    before_values = as_printed(_with_derived(values(loaded.record), loaded.record, pk), folder)
    after_values = as_printed(values(back.record), records[0].parent)
    # a cell printed from ``a or b`` carries the value printed, not which field it was when
    # no other cell tells (附件2's 法人代表/负责人电话 of a 基础级 record): compared as printed
    shared, only_there = _printed_as_either(pk, loaded.record)

    def field_by_field(path: str) -> bool:
        return carried(path) and path not in only_there

    assert differences(before_values, after_values, field_by_field) == []
    printed_back = [(alts, _first(before_values, alts), _first(after_values, alts)) for alts in shared]
    assert [f"{' or '.join(alts)}: {a!r} -> {b!r}" for alts, a, b in printed_back if a != b] == []
    # what the forms carry, validated alone, gives the verdict the original gives
    cut = build(path, _cut(_with_derived(values(loaded.record), loaded.record, pk), carried), {})
    assert same_verdict(verdict(cut, pack), verdict(back, pack)) == []


@pytest.mark.parametrize("pack,level,variant", _cases("kpis"))
def test_forms_door_keeps_every_kpi(made, imported, pack, level, variant):
    """Every KPI the record holds comes back from the forms that print KPIs (Gansu 附件2:
    those with no row of its table under 其他成效指标), whatever else the door loses."""
    folder, path, loaded, before = made(pack, level, variant)
    forms, records, code, output = imported(pack, level, variant)
    pk = get_pack(pack)
    carried = _carried_by_forms(pk, loaded.record)
    if not forms or not loaded.record.kpis or not carried("kpis." + next(iter(loaded.record.kpis))):
        pytest.skip("no form of this pack and level prints KPIs")
    back = load(records[0])
    kpis = {k: v for k, v in as_printed(values(loaded.record), folder).items() if k.startswith("kpis.")}
    kpis_back = {k: v for k, v in as_printed(values(back.record), records[0].parent).items() if k.startswith("kpis.")}
    assert differences(kpis, kpis_back) == []


def test_an_item_read_at_a_fixed_index_is_carried_alone(made):
    """Gansu 附件3 prints the last year's 利润 and 税金 (``financials[-1]``) and 附件2 none:
    a 基础级 record's earlier years' are not carried by its forms, the last year's is."""
    folder, path, loaded, before = made("gansu", "基础级", "valid")
    years = loaded.record.enterprise.financials
    assert len(years) > 1
    carried = _carried_by_forms(get_pack("gansu"), loaded.record)
    last = len(years) - 1
    assert [carried(f"enterprise.financials[{i}].profit") for i in range(len(years))] == [False] * last + [True]
    assert carried(f"enterprise.financials[{last}].tax") and not carried("enterprise.financials[0].tax")
    # 附件2 reads financials[0], [1] and [2]: every year's revenue is printed
    assert all(carried(f"enterprise.financials[{i}].revenue") for i in range(len(years)))


def _with_derived(flat: dict, record, pack) -> dict:
    """The values a form prints for a field worked out from another (derived.DERIVED: the
    组织机构代码 from the credit code) where the record leaves it empty."""
    from formgen.record.derived import DERIVED, derived_value

    out = dict(flat)
    for path in DERIVED:
        if "[]" not in path and out.get(path) in (None, ""):
            value = derived_value(record, path, pack)
            if value is not None:
                out[path] = value
    return out


def as_printed(flat: dict, folder: Path) -> dict:
    """Values as a form shows them: a KPI by its reference name without unit and marks
    (生产效率提升 for 生产效率提升*（%）, as the rules match it), a figure by its picture
    (the importer saves pictures under names of its own), an industry code by its 中类
    (the forms ask for the 中类 and print it, 国民经济行业分类具体到中类)."""
    from formgen.record.refdata import industry_chain, kpi_key

    out = {}
    for path, value in flat.items():
        if path.startswith("kpis."):
            path = "kpis." + kpi_key(path[5:])
        elif re.fullmatch(r"figures\[\d+\]\.file", path):
            file = folder / value
            value = hashlib.sha256(file.read_bytes()).hexdigest()[:16] if file.is_file() else f"（缺）{value}"
        elif path == "enterprise.industry.gbt4754":
            value = next((c.code for c in industry_chain(value) if c.level == "中类"), value)
        out[path] = value
    return out


def _cut(flat: dict, keep) -> dict:
    data: dict = {}
    for path, value in flat.items():
        if keep(path) or path in ("pack", "schema_version"):
            synth.put(data, path, value)
    return data


@pytest.mark.parametrize("pack,level,variant", _cases("import-relative", ("valid",)))
def test_import_with_a_relative_out(made, tmp_path, monkeypatch, pack, level, variant):
    """``formgen import FORM --pack P`` with the default (relative) --out ends cleanly."""
    from formgen.cli import main

    folder, path, loaded, before = made(pack, level, variant)
    forms = []
    for name, data in render_single(loaded, get_pack(pack), draft=False):
        (tmp_path / name).write_bytes(data)
        forms.append(name)
    if not forms:
        pytest.skip("no single-enterprise document applies")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["import", *forms, "--pack", pack])
    assert "请报告此问题" not in result.output
    assert result.exit_code in (0, 1), result.output
    assert len(list((tmp_path / "imported").glob("*.yaml"))) == 1


# --- 5. registry ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def registry_rows(made, tmp_path_factory):
    """Every case's record added with ``formgen registry add``; the rows stored, by file."""
    from formgen.bureau.registry import Registry
    from formgen.cli import main

    db = tmp_path_factory.mktemp("registry") / "registry.db"
    paths = [made(p, lv, v)[1] for p, lv in synth.cases() for v in synth.VARIANTS]
    result = CliRunner().invoke(main, ["registry", "add", *map(str, paths), "--round", ROUND, "--db", str(db)])
    return {Path(r.source): r for r in Registry(db).list(all_versions=True)}, result.output


@pytest.mark.parametrize("pack,level,variant", _cases("registry"))
def test_registry_door(made, registry_rows, pack, level, variant):
    folder, path, loaded, before = made(pack, level, variant)
    rows, output = registry_rows
    r = loaded.record
    if not r.enterprise.name and not r.enterprise.credit_code:  # nothing to register it by: said so
        assert path not in rows and f"错误：{path}：记录没有企业名称和统一社会信用代码" in output
        return
    row = rows[path]
    region = r.factory.region if (r.factory.region.city or r.factory.region.district) else r.enterprise.region
    expected = {
        "enterprise": r.enterprise.name,
        "credit_code": r.enterprise.credit_code,
        "city": region.city or r.enterprise.region.city,
        "district": region.district or r.enterprise.region.district,
        "level": r.factory.level,
        "cmmm_score": r.factory.cmmm.score,
        "cmmm_level": r.factory.cmmm.level,
        "scenarios": [s.name for s in r.scenarios if s.name],
    }
    import json

    stored = {k: getattr(row, k) for k in expected}
    stored["scenarios"] = json.loads(stored["scenarios"])
    stored["cmmm_score"] = None if stored["cmmm_score"] is None else type(r.factory.cmmm.score)(stored["cmmm_score"])
    assert stored == expected
    # 规模以上 as the registry counts it is what validate says of it (BR001)
    if r.enterprise.revenue is not None or r.enterprise.financials:
        assert row.above_scale == (not any(k[0] == "BR001" for k in before))


# --- 6. the blank ----------------------------------------------------------------------------


@pytest.mark.parametrize("pack,level,variant", _cases("blank"))
def test_blank_offers_what_the_rules_read(made, pack, level, variant):
    """A record cut down to the fields its blank offers (the catalogue of its pack and
    level) validates with the same verdict as the whole record."""
    folder, path, loaded, before = made(pack, level, variant)
    cat = F.catalogue(pack, level)
    offered = lambda p: cat.find(p) is not None  # noqa: E731
    cut = build(path, _cut(values(loaded.record), offered), {})
    assert same_verdict(before, verdict(cut, pack)) == []


@pytest.mark.parametrize(
    "pack",
    [
        pytest.param(
            name,
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN_LEVELS[name])] if name in KNOWN_LEVELS else [],
        )
        for name in sorted({p for p, _ in synth.cases()})
    ],
)
def test_every_pack_offers_its_levels(pack):
    """Each pack names the levels it receives, so that a blank can be made for each."""
    pk = get_pack(pack)
    assert F.levels(pk), f"{pack}: no level to make a blank for"
    for level in F.levels(pk):
        assert len(F.catalogue(pk, level)) > 2


# --- validate, fill and check agree ---------------------------------------------------------


@pytest.mark.parametrize("pack,level,variant", _cases("fill"))
def test_fill_agrees_with_validate(made, tmp_path, pack, level, variant):
    """``formgen fill`` (no --draft) writes the documents of a record validate passes, and
    nothing for one validate rejects."""
    from formgen.cli import main

    folder, path, loaded, before = made(pack, level, variant)
    if not render_single(loaded, get_pack(pack), draft=True):
        pytest.skip("no single-enterprise document applies")
    errors = sorted(k for k in before if k[1] == "error")
    result = CliRunner().invoke(main, ["fill", str(path), "--out", str(tmp_path / "out")])
    written = sorted(p.name for p in (tmp_path / "out").glob("*")) if (tmp_path / "out").exists() else []
    assert (result.exit_code == 0, bool(written)) == (not errors, not errors), (errors[:5], result.output[-500:])


@pytest.mark.parametrize("pack,level,variant", _cases("fill-other-document", ("valid",)))
def test_fill_refuses_a_record_missing_what_only_a_bureau_sheet_needs(made, tmp_path, pack, level, variant):
    """A valid record without the required fields that only the multi-record sheets use
    (附件1, 附件6 …): validate rejects it, so fill writes no unmarked document either."""
    from formgen.cli import main

    folder, path, loaded, before = made(pack, level, variant)
    pk = get_pack(pack)
    cat = F.catalogue(pk, level)
    docs = pk.documents_for(loaded.record, single=True)
    if not docs:
        pytest.skip("no single-enterprise document applies")
    single = {d.short_title for d in docs}
    printed = set().union(*(_printed(d) for d in docs))
    other = {f.path for f in cat if f.required and f.documents and not set(f.documents) & single} - printed
    if not other:
        pytest.skip("every required field is on a single-enterprise document")
    flat = {p: v for p, v in values(loaded.record).items() if synth.pattern(p) not in other}
    cut = build(path, _cut(flat, lambda p: True), {})
    target = folder / f"cut-{tmp_path.name}.yaml"
    target.write_text(record_yaml(cut.record), "utf-8")
    errors = sorted(k for k in verdict(load(target), pack) if k[1] == "error")
    result = CliRunner().invoke(main, ["fill", str(target), "--out", str(tmp_path / "out")])
    target.unlink()
    written = sorted(p.name for p in (tmp_path / "out").glob("*")) if (tmp_path / "out").exists() else []
    assert errors, sorted(other)
    assert (result.exit_code != 0, written) == (True, []), (errors[:3], result.output[-300:])


@pytest.mark.parametrize("pack,level,variant", _cases("check", ("valid", "widest")))
def test_check_passes_what_fill_writes(made, imported, pack, level, variant):
    """Each document fill writes for a record validate passes also passes ``formgen check``."""
    from formgen.doors.draft import check_draft

    forms = imported(pack, level, variant)[0]
    if not forms:
        pytest.skip("no single-enterprise document applies")
    errors = []
    for form in forms:
        _, findings, _ = check_draft(form, get_pack(pack))
        errors += [f"{form.name[:12]} {f.code} {f.path} {f.message[:80]}" for f in findings if f.is_error]
    assert errors == []


# --- layouts --------------------------------------------------------------------------------


def _layouts():
    from formgen.packs.pack import available

    out = []
    for name, folder in available().items():
        for layout in sorted(folder.glob("*.yaml")):
            if layout.name != "manifest.yaml" and "field:" in layout.read_text("utf-8"):
                reason = KNOWN_LAYOUTS.get("*")
                marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
                out.append(pytest.param(name, layout.name, id=f"{name}-{layout.name}", marks=marks))
    return out


KNOWN_LAYOUTS: dict[str, str] = {}


@pytest.mark.parametrize("pack,layout", _layouts())
def test_a_misspelt_layout_key_fails_to_load(tmp_path, pack, layout):
    """Every bundled layout, with its first ``field:`` misspelt ``feild:``, is refused when
    its pack loads, naming the file."""
    import shutil

    from formgen.packs.pack import PackError, available, load_pack

    source = available()[pack]
    folder = tmp_path / pack
    shutil.copytree(source, folder)
    for other in source.parent.iterdir():  # layouts shared with another pack (../national/…)
        if other != source and other.is_dir():
            shutil.copytree(other, tmp_path / other.name, dirs_exist_ok=True)
    text = (folder / layout).read_text("utf-8")
    (folder / layout).write_text(re.sub(r"\bfield:", "feild:", text, count=1), "utf-8")
    with pytest.raises(PackError) as e:
        load_pack(folder)
    assert layout in str(e.value)
