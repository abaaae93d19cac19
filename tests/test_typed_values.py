"""Values as people type them (issue 27): 2023年, 三级, 45.3%, 1,280, full-width digits,
2024年3月, 1998年9月16日 and 是/否/√ are read alike in a YAML record, a workbook cell and the web form, each kind by one
reader (formgen/record/types.py), and print in the forms as if typed the canonical way; a value
that still cannot be read is one finding naming the field and where it stands."""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
from pathlib import Path

import openpyxl
import pytest
import yaml
from docx import Document
from docx.oxml.ns import qn

from formgen import app as flow
from formgen.catalogue import catalogue
from formgen.doors.opener import load
from formgen.doors.workbook import cell_value, record_workbook
from formgen.packs.pack import get_pack
from formgen.record.paths import generic

from .conftest import ROOT
from .test_web import served

EXAMPLE = ROOT / "data" / "examples" / "gansu-longyuan.yaml"
TOKEN = "test-token-typed-values-0123"
H = {"X-Formgen-Token": TOKEN}

# kind -> (what people type {path: text}, what the record holds {path: value}, a bad value
# (path, text) and what its finding says). Each kind mixes ways of typing it that one door or
# another refused or misread before.
KINDS = {
    "year": (
        {
            "enterprise.financials[0].year": "2022年",
            "enterprise.financials[1].year": "２０２３",
            "enterprise.financials[2].year": "2024 年",
        },
        {
            "enterprise.financials[0].year": 2022,
            "enterprise.financials[1].year": 2023,
            "enterprise.financials[2].year": 2024,
        },
        ("enterprise.financials[1].year", "23", "年份应为四位数"),
    ),
    "grade": (
        {"factory.cmmm.level": "第三级", "factory.cmmm.certified_level": "Ⅲ级"},
        {"factory.cmmm.level": 3, "factory.cmmm.certified_level": 3},
        ("factory.cmmm.level", "三级（优化级）", "三级是集成级，优化级是四级"),
    ),
    "level": (
        {"factory.level": "基础 级"},
        {"factory.level": "基础级"},
        ("factory.level", "初级", "应为以下之一"),
    ),
    "percent": (
        {
            "enterprise.financials[0].debt_ratio": "45.3%",
            "enterprise.financials[0].profit_margin": "7.5 %",
            "enterprise.financials[1].debt_ratio": "４５．３％",
            "factory.line.automated_share": "75",
        },
        {
            "enterprise.financials[0].debt_ratio": "45.3",
            "enterprise.financials[0].profit_margin": "7.5",
            "enterprise.financials[1].debt_ratio": "45.3",
            "factory.line.automated_share": "75",
        },
        ("enterprise.financials[2].debt_ratio", "46万元", "单位应为%，不是万元"),
    ),
    "amount": (
        {
            "enterprise.revenue": "36,800",
            "enterprise.financials[0].total_assets": "52，000",
            "enterprise.financials[0].revenue": "３１２００",
            "factory.line.investment": "1800万元",
            "factory.line.output": "21 600",
            "factory.benefits.output_per_person_before": "6300元",
        },
        {
            "enterprise.revenue": "36800",
            "enterprise.financials[0].total_assets": "52000",
            "enterprise.financials[0].revenue": "31200",
            "factory.line.investment": "1800",
            "factory.line.output": "21600",
            "factory.benefits.output_per_person_before": "6300",
        },
        ("enterprise.financials[1].revenue", "33900元", "单位应为万元：33900元 即 3.39万元，请填 3.39"),
    ),
    "count": (
        {
            "enterprise.employees": "460人",
            "factory.line.equipment_total": "１，２００",
            "factory.line.robots": "14 台",
            "factory.benefits.staff_before": "96",
        },
        {
            "enterprise.employees": 460,
            "factory.line.equipment_total": 1200,
            "factory.line.robots": 14,
            "factory.benefits.staff_before": 96,
        },
        ("enterprise.employees", "460台", "单位应为人，不是台"),
    ),
    "date": (
        {"enterprise.founded": "1998年9月16日", "factory.cmmm.submitted": "２０２５/７/２０"},
        {"enterprise.founded": dt.date(1998, 9, 16), "factory.cmmm.submitted": dt.date(2025, 7, 20)},
        ("enterprise.founded", "1998年2月30日", "没有这一天"),
    ),
    "bool": (
        {"enterprise.accident.occurred": "无", "scenarios[0].ai": "√", "projects[0].in_park": "是"},
        {"enterprise.accident.occurred": False, "scenarios[0].ai": True, "projects[0].in_park": True},
        ("enterprise.accident.occurred", "也许", "应为 是 或 否"),
    ),
    "year_month": (
        {"factory.line.start": "２０２３年３月", "factory.line.end": "2024 年 12 月"},
        {"factory.line.start": "2023-03", "factory.line.end": "2024-12"},
        ("factory.line.end", "2024年13月", "月份应为 1-12"),
    ),
}


def _parts(path: str) -> list:
    return [int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", path)]


def _set(data: dict, path: str, value) -> None:
    *head, last = _parts(path)
    for p in head:
        data = data[p]
    data[last] = value


def _get(obj, path: str):
    for p in _parts(path):
        obj = obj[p] if isinstance(p, int) else getattr(obj, p)
    return obj


def _data() -> dict:
    return yaml.safe_load(EXAMPLE.read_text("utf-8")) | {"pack": "gansu"}


# --- the three doors: each takes {path: typed text} and gives what was loaded -------------------


def _yaml(tmp_path: Path, typed: dict):
    data = _data()
    for path, text in typed.items():
        _set(data, path, text)
    tmp_path.mkdir(parents=True, exist_ok=True)
    p = tmp_path / "r.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return load(p), p


def _cell_of(ws_path: Path, path: str) -> tuple[str, str]:
    """(sheet, A1) of a value in the workbook: column C of its row on a rows sheet, its
    column on a table sheet (row 3 is the first item)."""
    generic = re.sub(r"\[\d+\]", "[]", path)
    item = int(m.group(1)) if (m := re.search(r"\[(\d+)\]", path)) else 0
    wb = openpyxl.load_workbook(ws_path)
    for ws in wb.worksheets:
        if ws["A1"].value == "#字段":
            for row in ws.iter_rows(min_row=2):
                if row[0].value == generic:
                    return ws.title, f"C{row[0].row}"
        for cell in ws[1]:
            if cell.value == generic:
                return ws.title, f"{cell.column_letter}{3 + item}"
    raise KeyError(path)


def _workbook(tmp_path: Path, typed: dict):
    tmp_path.mkdir(parents=True, exist_ok=True)
    p = tmp_path / "r.xlsx"
    p.write_bytes(record_workbook(load(EXAMPLE).record, get_pack("gansu")))
    cells = {path: _cell_of(p, path) for path in typed}
    wb = openpyxl.load_workbook(p)
    for path, text in typed.items():
        sheet, a1 = cells[path]
        wb[sheet][a1].value = text  # typed into the cell: a text cell, as Excel keeps 2023年
        wb[sheet][a1].number_format = "@"
    wb.save(p)
    return load(p), cells


def _client(tmp_path: Path):
    root = tmp_path / "records"
    root.mkdir(parents=True)
    (root / "r.yaml").write_text(yaml.safe_dump(_data(), allow_unicode=True, sort_keys=False), "utf-8")
    c = served(root, TOKEN)
    assert c.get("/").status_code == 200
    return c, root


def _page_values(client) -> tuple[dict, dict]:
    """The body form.js posts for the page as drawn (values, entries, items, sha256)."""
    import lxml.html

    doc = lxml.html.fromstring(client.get("/record/r.yaml").get_data(as_text=True))
    for tpl in doc.xpath("//template"):
        tpl.getparent().remove(tpl)
    values = {}
    for c in doc.xpath('//div[contains(@class,"field") and @data-pattern]/*[@name]'):
        if c.tag == "select":
            chosen = [o.get("value") for o in c.xpath(".//option") if o.get("selected") is not None]
            values[c.get("name")] = "\n".join(chosen) if c.get("multiple") is not None else (chosen[:1] or [""])[0]
        elif c.tag == "textarea":
            values[c.get("name")] = c.text_content()
        else:
            values[c.get("name")] = c.get("value") or ""
    entries = [
        {
            "path": row.get("data-entry"),
            "key": row.xpath('.//input[contains(@class,"entry-key")]')[0].get("value") or "",
            "value": (lambda v: v.get("value") or v.text_content() or "")(
                row.xpath('.//*[contains(@class,"entry-value")]')[0]
            ),
        }
        for row in doc.xpath('//div[contains(@class,"entry") and @data-entry]')
    ]
    items = [
        f"{lst.get('data-path')}[{item.get('data-index')}]"
        for lst in doc.xpath('//div[@class="list"]')
        for item in lst.xpath('./div[@class="items"]/div[@class="item"]')
    ]
    form = doc.get_element_by_id("record")
    return {"values": values, "entries": entries, "items": items, "sha256": form.get("data-sha256")}


def _web(tmp_path: Path, typed: dict):
    client, root = _client(tmp_path)
    body = _page_values(client)
    for path, text in typed.items():
        assert path in body["values"], path  # the page has the field
        body["values"][path] = text
    resp = client.post("/record/r.yaml/save", json=body, headers=H)
    assert resp.status_code == 200, resp.get_json()
    return load(root / "r.yaml"), client, body


def _texts(files) -> dict[str, str]:
    """Each .docx's text, check boxes included (their glyph sits in a content control)."""
    out = {}
    for name, blob in files:
        if name.endswith(".docx"):
            body = Document(io.BytesIO(blob)).element.body
            out[name.split("_")[0]] = "\n".join(
                "".join(t.text or "" for t in p.iter(qn("w:t"))) for p in body.iter(qn("w:p"))
            )
    return out


def _printed(loaded) -> dict[str, str]:
    return _texts(flow.render_single(loaded, get_pack("gansu"), draft=True))


@pytest.fixture(scope="module")
def canonical_print(tmp_path_factory) -> dict:
    """kind -> the forms printed from the record with that kind's values written canonically."""
    out = {}
    for kind, (_typed, values, _bad) in KINDS.items():
        data = _data()
        for path, value in values.items():
            _set(data, path, value)
        p = tmp_path_factory.mktemp(kind) / "c.yaml"
        p.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
        out[kind] = _printed(load(p))
    return out


def _holds(loaded, values: dict) -> None:
    assert not [n for n in loaded.notes if n.code.startswith("IN")], loaded.notes
    for path, want in values.items():
        got = _get(loaded.record, path)
        assert (str(got) if isinstance(want, str) else got) == want, (path, got)


@pytest.mark.parametrize("kind", KINDS)
def test_values_as_typed_read_alike_by_every_door(tmp_path, kind, canonical_print):
    """Typed into a YAML record, a workbook cell or the web form, each value lands as its
    canonical value and the forms print as if it had been written so; a bad value is one
    IN007 finding naming the field, at its line or sheet!cell, and the web form saves nothing."""
    typed, values, (path, text, says) = KINDS[kind]
    for door in (_yaml, _workbook, _web):
        loaded = door(tmp_path / door.__name__, typed)[0]
        _holds(loaded, values)
        assert _printed(loaded) == canonical_print[kind], door.__name__

    field = catalogue("gansu", "基础级").find(path)
    names = (field.label, field.title)  # the form's label or the record's title, with its block

    loaded, p = _yaml(tmp_path / "bad-yaml", {path: text})
    (f,) = [n for n in loaded.notes if n.path == path]
    line = next(i for i, s in enumerate(p.read_text("utf-8").splitlines(), 1) if text in s)
    assert (f.code, f.line) == ("IN007", line) and any(n in f.label for n in names) and says in f.message, f

    loaded, cells = _workbook(tmp_path / "bad-xlsx", {path: text})
    # the workbook reads 近三年 back in year order, so the row typed second may be another item
    (f,) = [n for n in loaded.notes if generic(n.path) == generic(path)]
    sheet, a1 = cells[path]
    assert f.code == "IN007" and f.line == f"{sheet}!{a1}" and any(n in f.label for n in names), f
    assert says in f.message, f

    client, _ = _client(tmp_path / "bad-web")
    body = _page_values(client)
    body["values"][path] = text
    found = client.post("/record/r.yaml/validate", json=body, headers=H).get_json()["findings"]
    (f,) = [x for x in found if x["path"] == path]
    assert f["code"] == "IN007" and any(n in f["label"] for n in names) and says in f["message"], f
    assert client.post("/record/r.yaml/save", json=body, headers=H).status_code == 422  # nothing saved


def test_what_the_forms_print_from_typed_values(tmp_path):
    """The annex's own way of printing each: 2023年 over a 近三年 column, ☑3级, 2023年3月,
    45.3 in a （%） row, 1800 in a （万元） cell."""
    typed = {k: v for kind in ("year", "grade", "percent", "amount", "year_month") for k, v in KINDS[kind][0].items()}
    loaded, _ = _yaml(tmp_path, typed)
    a2, a3 = _printed(loaded)["附件2"], _printed(loaded)["附件3"]
    assert "2022年\n2023年\n2024年" in a2  # the 近三年 header cells
    assert "☑3级" in a3 and "□2级" in a3  # CMMM自评估等级
    assert "资产负债率（%）\n45.3\n45.3\n" in a2
    assert "智能化改造完成投资（万元）\n1800\n" in a3 and "2023年3月" in a3 and "2024年12月" in a3


def test_each_door_reads_a_fields_unit_as_the_model_does():
    """A number with the field's own unit (万元, 元/人/天, 人, %) is read by the web form and
    the workbook (catalogue unit) exactly as by the record model (its type's unit)."""
    from formgen.record.loader import build

    cat = catalogue(None)
    seen = set()
    for f in cat:
        if f.kind not in ("amount", "percent", "count") or f.table or f.entry or "{" in f.path:
            continue
        typed = f"12{f.unit}"
        data: dict = {}
        node = data
        *head, last = f.path.split(".")
        for p in head:
            node = node.setdefault(p, {})
        node[last] = typed
        by_model = _get(build(Path("x"), copy.deepcopy(data), {}).record, f.path)
        node[last] = cell_value(f, typed)
        by_door = _get(build(Path("x"), data, {}).record, f.path)
        assert str(by_model) == str(by_door) == "12", (f.path, typed)
        seen.add(f.unit)
    assert {"万元", "元/人/天", "人", "%"} <= seen


def test_a_door_reads_a_year_or_a_grade_as_the_model_does():
    """A field the model reads as a year (2023年) or a CMMM grade (三级) is read by the same
    reader in the workbook, the web form and a filled sheet (cell_value), not left as text
    for the model to read later: a sheet's number check and the 近三年 order see the number."""
    cat = catalogue(None)
    year, grade = cat.find("enterprise.financials[].year"), cat.find("factory.cmmm.level")
    assert (year.reads, grade.reads) == ("year", "grade")
    assert cell_value(year, "２０２３年") == 2023 and cell_value(grade, "三级") == 3 and cell_value(grade, "L4") == 4
    with pytest.raises(ValueError, match="四位数"):
        cell_value(year, "23")
    assert [f.path for f in cat if f.reads == "year"] and all(f.kind == "int" for f in cat if f.reads)


@pytest.mark.parametrize("path", ["enterprise.employees", "factory.line.robots"])
def test_a_number_too_long_to_be_one_is_one_finding_in_chinese(tmp_path, path):
    loaded, _ = _yaml(tmp_path, {path: "9" * 5000})
    (f,) = [n for n in loaded.notes if n.path == path]
    assert f.code == "IN007" and "数字过长" in f.message and not re.search(r"[A-Za-z]{4}", f.message), f
