"""formgen serve, through Flask's test client: every endpoint, what the page shows, saving
in the record's own format, and the safety cases (folder confinement, CSRF token, uploads,
escaping, nothing half-written)."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import lxml.html
import pytest
from flask.testing import FlaskClient
from PIL import Image

from formgen import app as flow
from formgen.doors.opener import load
from formgen.packs.pack import get_pack
from formgen.web import create_app

EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "examples"
TOKEN = "test-token-0123456789"
ROOT = f"/{TOKEN}/"  # the path of the address formgen serve prints
H = {"X-Formgen-Token": TOKEN}


class AtAddress(FlaskClient):
    """Flask's test client as a browser at the address formgen serve prints: a path such as
    ``/record/x.yaml`` is the page's ``/TOKEN/record/x.yaml``; a URL the server gave (a
    link, a download) already carries the prefix and is taken as it is."""

    def open(self, *args, **kwargs):
        if args and isinstance(args[0], str):
            root = "/" + self.application.config["FORMGEN_TOKEN"] + "/"
            if not args[0].startswith(root):
                args = (root + args[0].removeprefix("/"), *args[1:])
        return super().open(*args, **kwargs)


def served(folder: Path, token: str = TOKEN) -> AtAddress:
    """A test client of ``formgen serve`` over ``folder``, at the printed address."""
    app = create_app(folder, token)
    app.test_client_class = AtAddress
    return app.test_client()


def records_folder(tmp_path: Path) -> Path:
    """A folder of records as people keep them (and files that are not records)."""
    root = tmp_path / "records"
    root.mkdir()
    (root / "gansu.yaml").write_text(
        "# 陇原精工的申报记录\npack: gansu  # 甘肃\n"
        + (EXAMPLES / "gansu-longyuan.yaml").read_text("utf-8").replace("\npack: gansu\n", "\n", 1),
        "utf-8",
    )
    shutil.copy(EXAMPLES / "shanghai-bad.yaml", root / "shanghai-bad.yaml")  # it names its pack
    shutil.copy(EXAMPLES / "shanghai-chengchuan.xlsx", root / "chengchuan.xlsx")
    (root / "~$chengchuan.xlsx").write_bytes(b"lock")
    (root / "notes.txt").write_text("not a record", "utf-8")
    (root / ".hidden.yaml").write_text("pack: gansu\n", "utf-8")
    return root


@pytest.fixture
def folder(tmp_path):
    return records_folder(tmp_path)


@pytest.fixture
def client(folder):
    return served(folder)


def html(resp):
    return lxml.html.fromstring(resp.get_data(as_text=True))


_SIMPLE = re.compile(r"^(?P<tag>[a-z0-9]+)?(?:#(?P<id>[^.\[\s]+))?(?P<classes>(?:\.[\w-]+)*)(?:\[(?P<attr>[\w-]+)\])?$")


def css(el, selector: str) -> list:
    """The elements under ``el`` that ``selector`` picks: the few CSS selectors these tests
    use (tag, #id, .class, [attr], descendant and ``>`` child), as XPath."""
    xpath, axis = ".", "//"
    for token in selector.split():
        if token == ">":
            axis = "/"
            continue
        m = _SIMPLE.match(token)
        assert m, token
        conds = []
        if m["id"]:
            conds.append(f"@id='{m['id']}'")
        for c in filter(None, m["classes"].split(".")):
            conds.append(f"contains(concat(' ', normalize-space(@class), ' '), ' {c} ')")
        if m["attr"]:
            conds.append(f"@{m['attr']}")
        xpath += axis + (m["tag"] or "*") + "".join(f"[{c}]" for c in conds)
        axis = "//"
    return el.xpath(xpath)


def page_state(client, name: str) -> dict:
    """What form.js posts for the page as the server drew it (templates left out)."""
    doc = html(client.get(f"/record/{name}"))
    for tpl in doc.xpath("//template"):
        tpl.getparent().remove(tpl)
    values = {}
    for c in doc.xpath('//div[contains(@class,"field") and @data-pattern]/*[@name]'):
        if c.tag == "select":
            chosen = [o.get("value") for o in c.xpath(".//option") if o.get("selected") is not None]
            values[c.get("name")] = (
                "\n".join(chosen) if c.get("multiple") is not None else (chosen[0] if chosen else "")
            )
        elif c.tag == "textarea":
            values[c.get("name")] = c.text_content()
        else:
            values[c.get("name")] = c.get("value") or ""
    entries = []
    for row in doc.xpath('//div[contains(@class,"entry") and @data-entry]'):
        value = row.xpath('.//*[contains(@class,"entry-value")]')[0]
        entries.append(
            {
                "path": row.get("data-entry"),
                "key": row.xpath('.//input[contains(@class,"entry-key")]')[0].get("value") or "",
                "value": value.get("value") or value.text_content() or "",
            }
        )
    items = [
        f"{lst.get('data-path')}[{item.get('data-index')}]"
        for lst in doc.xpath('//div[@class="list"]')
        for item in lst.xpath('./div[@class="items"]/div[@class="item"]')
    ]
    form = doc.get_element_by_id("record")
    return {"values": values, "entries": entries, "items": items, "sha256": form.get("data-sha256")}


def cli_findings(path: Path) -> list[tuple]:
    """What formgen validate says of a record file, as (code, path, message)."""
    loaded = load(path)
    pack = get_pack(loaded.record.pack) if loaded.record.pack else None
    return sorted((f.code, f.path, f.message) for f in flow.validate(loaded, pack))


# --- the session token -------------------------------------------------------------------------


def test_pages_are_under_the_tokens_path_and_set_no_cookie(folder):
    c = create_app(folder, TOKEN).test_client()
    refused = c.get("/")
    assert refused.status_code == 403
    assert "启动时打印的地址" in refused.get_data(as_text=True)
    assert c.get("/record/gansu.yaml").status_code == 403
    assert c.get("/wrong-token/record/gansu.yaml").status_code == 403
    start = c.get(f"/{TOKEN}/")
    assert start.status_code == 200 and "Set-Cookie" not in start.headers
    assert c.get(f"/{TOKEN}/record/gansu.yaml").status_code == 200
    assert c.get(f"/{TOKEN}").headers["Location"] == f"/{TOKEN}/"


def test_a_random_token_when_none_is_given(folder):
    app = create_app(folder)
    token = app.config["FORMGEN_TOKEN"]
    assert len(token) >= 24 and token != create_app(folder).config["FORMGEN_TOKEN"]
    c = app.test_client()
    assert c.get("/").status_code == 403
    assert c.get(f"/{token}/").status_code == 200


POSTS = [
    ("/record/gansu.yaml/validate", "json"),
    ("/record/gansu.yaml/save", "json"),
    ("/record/gansu.yaml/generate", "json"),
    ("/record/gansu.yaml/upload", "file"),
    ("/bureau/generate", "json"),
]


@pytest.mark.parametrize("url,kind", POSTS)
def test_a_post_without_the_token_header_or_with_a_wrong_one_is_refused(client, folder, url, kind):
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    state = page_state(client, "gansu.yaml")
    state["values"]["enterprise.name"] = "被篡改的名称"

    def send(headers):
        if kind == "file":
            return client.post(url, data={"file": (io.BytesIO(_png(8, 8)), "a.png")}, headers=headers)
        return client.post(url, json={**state, "pack": "gansu", "unit": "某单位", "quota": "5"}, headers=headers)

    for headers in ({}, {"X-Formgen-Token": "wrong"}, {"X-Formgen-Token": ""}):
        resp = send(headers)
        assert resp.status_code == 403, url
        assert "口令" in resp.get_json()["message"]
    other = create_app(folder, TOKEN).test_client()  # the header alone, without the token in the path
    assert other.post(url, json=state, headers=H).status_code == 403
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} == before
    assert not (folder / "gansu_配图").exists()


def test_pages_forbid_inline_and_foreign_scripts(client):
    resp = client.get("/record/gansu.yaml")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'self'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    doc = html(resp)
    assert not [s for s in doc.xpath("//script") if not s.get("src")]
    assert all(s.get("src").startswith(f"{ROOT}static/") for s in doc.xpath("//script"))
    assert all(x.get("href").startswith(f"{ROOT}static/") for x in doc.xpath("//link[@rel='stylesheet']"))
    assert FlaskClient(client.application).get("/favicon.ico").status_code == 204  # asked for at the root


def test_an_unexpected_failure_is_one_line_and_changes_nothing(client, folder, monkeypatch):
    from formgen.web import store

    before = (folder / "gansu.yaml").read_bytes()
    state = page_state(client, "gansu.yaml")
    state["values"]["factory.name"] = "新工厂"

    def boom(*a, **k):
        raise RuntimeError("出错了")

    monkeypatch.setattr(store.Folder, "_serialise", boom)
    resp = client.post("/record/gansu.yaml/save", json=state, headers=H)
    assert resp.status_code == 500
    assert resp.get_json()["message"] == "服务器内部错误（RuntimeError：出错了），未做任何修改；请报告此问题"
    assert (folder / "gansu.yaml").read_bytes() == before


# --- the record list and the page ---------------------------------------------------------------


def test_the_list_shows_the_folders_records_only(client):
    doc = html(client.get("/"))
    links = {a.text_content(): a.get("href") for a in css(doc, "a.record")}
    assert links == {
        "chengchuan.xlsx": f"{ROOT}record/chengchuan.xlsx",
        "gansu.yaml": f"{ROOT}record/gansu.yaml",
        "shanghai-bad.yaml": f"{ROOT}record/shanghai-bad.yaml",
    }
    assert "甘肃陇原精工机械有限公司" in doc.text_content()


def test_every_page_loads_count_js_before_form_js(client):
    for url in ("/", "/record/gansu.yaml", "/record/chengchuan.xlsx", "/bureau"):
        srcs = [s.get("src") for s in html(client.get(url)).xpath("//script")]
        assert srcs.index(f"{ROOT}static/count.js") < srcs.index(f"{ROOT}static/form.js"), url
    assert client.get("/static/form.js").status_code == 200
    assert b"formgenCount" in client.get("/static/form.js").data


def test_the_page_is_drawn_from_the_catalogue(client):
    from formgen.catalogue import catalogue

    doc = html(client.get("/record/gansu.yaml"))
    cat = catalogue("gansu", "基础级")
    name = doc.get_element_by_id("f-enterprise.name")
    assert name.get("data-path") == "enterprise.name"
    assert css(name, "label")[0].text_content().rstrip("*") == cat.get("enterprise.name").label
    assert css(name, "input")[0].get("name") == "enterprise.name"
    assert css(name, "input")[0].get("value") == "甘肃陇原精工机械有限公司"
    assert css(name, "ul.findings")
    intro = doc.get_element_by_id("f-enterprise.intro")
    count = css(intro, "span.count")[0]
    assert count.get("data-limit") == str(cat.get("enterprise.intro").max_chars) == "400"
    from formgen.record.textcount import word_count

    assert count.text_content() == str(word_count(css(intro, "textarea")[0].text_content()))
    # the sections come in the order of the pack's forms
    titles = [h.text_content() for h in css(doc, "section.section > h2")]
    assert titles.index("企业基本信息") < titles.index("智能制造典型场景")
    # scenarios: one item per scenario, names grouped by 环节, each item's fields by its index
    items = css(doc, "#f-scenarios > .items > .item")
    assert len(items) == 3
    select = css(doc.get_element_by_id("f-scenarios[0].name"), "select")[0]
    assert select.get("name") == "scenarios[0].name"
    groups = [g.get("label") for g in css(select, "optgroup")]
    from formgen.record.refdata import catalogue as scenarios

    assert groups == list(scenarios(2025).stages)
    chosen = css(select, "option[selected]")[0]
    assert chosen.getparent().get("label") == "生产作业" and chosen.get("value") == "人机协同作业"
    assert css(doc, "#f-scenarios > template.item-template")
    assert css(doc, "#save") and css(doc, "#generate") and css(doc, "#status")


def test_enumerations_are_selects_and_options_come_from_the_metadata(client):
    doc = html(client.get("/record/gansu.yaml"))
    nature = css(doc.get_element_by_id("f-enterprise.nature"), "select")[0]
    assert [o.get("value") for o in css(nature, "option")][1:] == ["中央企业", "地方国企", "民营企业", "三资企业"]
    level = css(doc.get_element_by_id("f-factory.level"), "select option[selected]")[0]
    assert level.get("value") == "基础级"


def test_a_workbook_record_has_the_same_page(client):
    doc = html(client.get("/record/chengchuan.xlsx"))
    assert css(doc.get_element_by_id("f-enterprise.name"), "input")[0].get("value") == "上海澄川精密机械股份有限公司"
    assert len(css(doc, "#f-figures > .items > .item")) == 10


def test_findings_are_beside_their_field_and_in_the_summary(client):
    doc = html(client.get("/record/shanghai-bad.yaml"))
    expected = cli_findings(client.application.config["FORMGEN_FOLDER"] / "shanghai-bad.yaml")
    summary = css(doc, "#summary li.finding")
    assert sorted((li.get("data-code"), li.get("data-path")) for li in summary) == sorted(
        (c, p) for c, p, _ in expected
    )
    fn = [li for li in summary if li.get("data-code") == "FN003"][0]
    assert css(fn, "a")[0].get("href") == "#f-factory.name"
    beside = css(doc.get_element_by_id("f-factory.name"), "ul.findings li.finding")
    fn003 = [li for li in beside if li.get("data-code") == "FN003"]
    assert "超过 14 个的上限" in fn003[0].text_content()
    assert {li.get("data-code") for li in beside} == {c for c, p, _ in expected if p == "factory.name"}


def test_an_unreadable_record_says_why(client, folder):
    (folder / "broken.yaml").write_text("enterprise:\n  name：甲公司\n", "utf-8")
    resp = client.get("/record/broken.yaml")
    assert resp.status_code == 200
    assert "IN00" in resp.get_data(as_text=True) and "无法读取" in resp.get_data(as_text=True)


# --- validation ---------------------------------------------------------------------------------


def test_validate_gives_what_the_cli_gives(client, folder):
    state = page_state(client, "shanghai-bad.yaml")
    resp = client.post("/record/shanghai-bad.yaml/validate", json=state, headers=H)
    got = sorted((f["code"], f["path"], f["message"]) for f in resp.get_json()["findings"])
    assert got == cli_findings(folder / "shanghai-bad.yaml")
    assert resp.get_json()["changed_on_disk"] is False


def test_validate_runs_the_rules_on_what_is_typed(client):
    state = page_state(client, "gansu.yaml")
    assert client.post("/record/gansu.yaml/validate", json=state, headers=H).get_json()["findings"] == []
    state["values"]["scenarios[0].description"] = "很" * 301
    state["values"]["enterprise.revenue"] = "三万"
    state["values"]["scenarios[1].name"] = "设备运行监视"
    found = client.post("/record/gansu.yaml/validate", json=state, headers=H).get_json()["findings"]
    by = {(f["code"], f["path"]): f for f in found}
    assert "共 301 字，超过 300 字的上限" in by[("WC001", "scenarios[0].description")]["message"]
    assert ("IN007", "enterprise.revenue") in by  # a type error, and still every other rule
    assert "最接近的是“设备运行监控”" in by[("SC001", "scenarios[1].name")]["message"]
    sc001 = by[("SC001", "scenarios[1].name")]
    assert sc001["text"] == "错误 SC001 「典型场景名称」第 2 项：" + sc001["message"]  # the page's words, no path


def test_validate_refuses_a_field_the_form_does_not_have(client):
    state = page_state(client, "gansu.yaml")
    state["values"]["enterprise.nonsense"] = "x"
    resp = client.post("/record/gansu.yaml/validate", json=state, headers=H)
    assert resp.status_code == 400 and "enterprise.nonsense" in resp.get_json()["message"]
    assert client.post("/record/gansu.yaml/validate", data="not json", headers=H).status_code == 400


# --- saving ---------------------------------------------------------------------------------------


def test_saving_yaml_changes_only_what_changed(client, folder):
    path = folder / "gansu.yaml"
    before = path.read_text("utf-8")
    state = page_state(client, "gansu.yaml")
    state["values"]["enterprise.name"] = "甘肃陇原精工机械股份有限公司"
    resp = client.post("/record/gansu.yaml/save", json=state, headers=H)
    assert resp.status_code == 200, resp.get_json()
    after = path.read_text("utf-8")
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b]
    assert changed == [("  name: 甘肃陇原精工机械有限公司", "  name: 甘肃陇原精工机械股份有限公司")]
    assert after.startswith("# 陇原精工的申报记录\npack: gansu  # 甘肃\n")
    backups = list((folder / ".formgen-备份").iterdir())
    assert [b.read_text("utf-8") for b in backups] == [before]
    assert load(path).record.enterprise.name == "甘肃陇原精工机械股份有限公司"
    assert resp.get_json()["sha256"] != state["sha256"]
    # the page reloaded shows the value
    doc = html(client.get("/record/gansu.yaml"))
    assert css(doc.get_element_by_id("f-enterprise.name"), "input")[0].get("value") == "甘肃陇原精工机械股份有限公司"


def test_saving_a_section_the_file_does_not_have_yet(client, folder):
    """A value typed into a section absent from the YAML (here all of people:) is saved
    as a new mapping, the rest of the file untouched."""
    path = folder / "gansu.yaml"
    lines = path.read_text("utf-8").splitlines(keepends=True)
    start = lines.index("people:\n")
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith(" "))
    path.write_text("".join(lines[:start] + lines[end:]), "utf-8")
    before = path.read_text("utf-8")
    state = page_state(client, "gansu.yaml")
    assert state["values"]["people.contact.name"] == ""
    state["values"]["people.contact.name"] = "杨静"
    resp = client.post("/record/gansu.yaml/save", json=state, headers=H)
    assert resp.status_code == 200, resp.get_json()
    after = path.read_text("utf-8")
    assert load(path).record.people.contact.name == "杨静"
    assert after.startswith(before[: before.index("factory:")].rstrip("\n"))
    assert after.count("\n") > before.count("\n") and "杨静" in after


def test_saving_lists_added_removed_and_reordered(client, folder):
    path = folder / "gansu.yaml"
    old = load(path).record
    state = page_state(client, "gansu.yaml")
    v = state["values"]

    def item(i):
        return {k: x for k, x in v.items() if k.startswith(f"scenarios[{i}].")}

    first, third = item(0), item(2)
    for k in [*first, *third]:
        del v[k]
    v.update({k.replace("scenarios[0].", "scenarios[2].", 1): x for k, x in first.items()})
    v.update({k.replace("scenarios[2].", "scenarios[0].", 1): x for k, x in third.items()})
    v.update({"scenarios[3].stage": "工厂建设", "scenarios[3].name": "工厂数字化设计"})
    swap = {"scenarios[0]": "scenarios[2]", "scenarios[2]": "scenarios[0]"}
    state["items"] = [
        swap.get(p[:12], p[:12]) + p[12:] if p.startswith(("scenarios[0]", "scenarios[2]")) else p
        for p in state["items"]
    ] + ["scenarios[3]"]
    assert client.post("/record/gansu.yaml/save", json=state, headers=H).status_code == 200
    new = load(path).record
    assert [s.name for s in new.scenarios] == [
        old.scenarios[2].name,
        old.scenarios[1].name,
        old.scenarios[0].name,
        "工厂数字化设计",
    ]
    assert new.scenarios[0] == old.scenarios[2] and new.scenarios[2] == old.scenarios[0]
    # removed: the fourth goes again
    state = page_state(client, "gansu.yaml")
    state["values"] = {k: x for k, x in state["values"].items() if not k.startswith("scenarios[3].")}
    state["items"].remove("scenarios[3]")
    assert client.post("/record/gansu.yaml/save", json=state, headers=H).status_code == 200
    assert len(load(path).record.scenarios) == 3


def test_saving_a_workbook_writes_a_workbook(client, folder):
    path = folder / "chengchuan.xlsx"
    state = page_state(client, "chengchuan.xlsx")
    state["values"]["factory.name"] = "澄川精密新工厂"
    resp = client.post("/record/chengchuan.xlsx/save", json=state, headers=H)
    assert resp.status_code == 200, resp.get_json()
    assert path.read_bytes()[:2] == b"PK"
    record = load(path).record
    assert record.factory.name == "澄川精密新工厂"
    assert record.scenarios == load(EXAMPLES / "shanghai-chengchuan.xlsx").record.scenarios
    assert len(list((folder / ".formgen-备份").glob("chengchuan.*.xlsx"))) == 1


def test_a_workbook_is_not_saved_with_a_text_no_cell_holds(client, folder):
    """A 工厂地址 of 32,768 characters: refused naming the field and the limit, the file
    unchanged; 32,767 are saved whole."""
    path = folder / "chengchuan.xlsx"
    before = path.read_bytes()
    state = page_state(client, "chengchuan.xlsx")
    state["values"]["factory.address"] = "址" * 32_768
    resp = client.post("/record/chengchuan.xlsx/save", json=state, headers=H)
    assert resp.status_code == 422 and path.read_bytes() == before
    text = json.dumps(resp.get_json(), ensure_ascii=False)
    assert "「工厂地址」" in text and "超过 Excel 单元格上限 32,767 个字符" in text
    state["values"]["factory.address"] = "址" * 32_767
    assert client.post("/record/chengchuan.xlsx/save", json=state, headers=H).status_code == 200
    assert load(path).record.factory.address == "址" * 32_767


def test_a_file_changed_on_disk_is_never_overwritten(client, folder):
    path = folder / "gansu.yaml"
    state = page_state(client, "gansu.yaml")
    outside = path.read_text("utf-8").replace("甘肃陇原精工机械有限公司", "别人改过的名称", 1)
    path.write_text(outside, "utf-8")
    check = client.post("/record/gansu.yaml/validate", json=state, headers=H).get_json()
    assert check["changed_on_disk"] is True
    state["values"]["factory.name"] = "我的修改"
    resp = client.post("/record/gansu.yaml/save", json=state, headers=H)
    assert resp.status_code == 409
    assert "已被其他程序修改" in resp.get_json()["message"]
    assert path.read_text("utf-8") == outside
    assert not (folder / ".formgen-备份").exists()


def test_a_value_that_is_not_its_type_saves_nothing(client, folder):
    path = folder / "gansu.yaml"
    before = path.read_bytes()
    state = page_state(client, "gansu.yaml")
    state["values"]["enterprise.employees"] = "很多"
    resp = client.post("/record/gansu.yaml/save", json=state, headers=H)
    assert resp.status_code == 422
    assert "IN007" in [f["code"] for f in resp.get_json()["findings"] if f["path"] == "enterprise.employees"]
    assert path.read_bytes() == before


def test_a_failed_write_leaves_the_file_whole(client, folder, monkeypatch):
    from formgen import output

    path = folder / "gansu.yaml"
    before = path.read_bytes()
    state = page_state(client, "gansu.yaml")
    state["values"]["enterprise.name"] = "新名称有限公司"
    real = output._commit

    def failing(temps, existed):
        if any(t[1].name == "gansu.yaml" for t in temps):
            raise OSError(28, "No space left on device")
        return real(temps, existed)

    monkeypatch.setattr(output, "_commit", failing)
    resp = client.post("/record/gansu.yaml/save", json=state, headers=H)
    assert resp.status_code == 500 and "No space left on device" in resp.get_json()["message"]
    assert path.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and p.name != ".formgen-备份") == [
        ".hidden.yaml"
    ]


# --- the folder is the limit --------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "../secret.yaml",
        "..%2Fsecret.yaml",
        "%2e%2e%2fsecret.yaml",
        "%2E%2E/secret.yaml",
        "sub/../../secret.yaml",
        "%2Ftmp%2Fsecret.yaml",
        "..%5Csecret.yaml",
        ".hidden.yaml",
        "notes.txt",
        "outside.yaml",
        "missing.yaml",
    ],
)
def test_only_records_inside_the_folder_are_served(client, folder, name):
    secret = folder.parent / "secret.yaml"
    secret.write_text("pack: gansu\nenterprise: {name: 机密公司}\n", "utf-8")
    (folder / "outside.yaml").symlink_to(secret)
    for url in (f"/record/{name}", f"/record/{name}/image?file=x.png"):
        resp = client.get(url, follow_redirects=True)
        assert resp.status_code in (403, 404), url
        assert "机密公司" not in resp.get_data(as_text=True)
    state = {"values": {"enterprise.name": "改写"}, "entries": [], "items": [], "sha256": "x"}
    for action in ("validate", "save", "generate"):
        resp = client.post(f"/record/{name}/{action}", json=state, headers=H, follow_redirects=True)
        assert resp.status_code in (403, 404)
    assert secret.read_text("utf-8") == "pack: gansu\nenterprise: {name: 机密公司}\n"


def test_figure_facts_only_for_files_inside_the_folder(client, folder, tmp_path):
    (folder / "figs").mkdir()
    (folder / "figs" / "a.png").write_bytes(_png(40, 30))
    (tmp_path / "private.png").write_bytes(_png(10, 10))
    (folder / "figs" / "link.png").symlink_to(tmp_path / "private.png")
    ok = client.get("/record/gansu.yaml/image?file=figs/a.png").get_json()
    assert (ok["width"], ok["height"], ok["format"]) == (40, 30, "PNG")
    for bad in ("../private.png", str(tmp_path / "private.png"), "figs/link.png", "figs/../../private.png"):
        resp = client.get("/record/gansu.yaml/image", query_string={"file": bad})
        assert resp.status_code == 403, bad
        assert "width" not in resp.get_json()
    missing = client.get("/record/gansu.yaml/image?file=figs/none.png").get_json()
    assert missing["problem"] == "没有这个文件：figs/none.png" and missing["width"] == 0


# --- uploads ---------------------------------------------------------------------------------------


def _png(w: int, h: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), (10, 120, 200)).save(buf, "PNG")
    return buf.getvalue()


def test_an_uploaded_figure_is_kept_beside_the_record_and_measured(client, folder):
    resp = client.post(
        "/record/gansu.yaml/upload", data={"file": (io.BytesIO(_png(400, 300)), "../../车间 全景.png")}, headers=H
    )
    assert resp.status_code == 200, resp.get_json()
    got = resp.get_json()
    assert got["file"] == "gansu_配图/车间 全景.png"
    assert (got["width"], got["height"], got["megapixels"]) == (400, 300, 0.12)
    assert (folder / got["file"]).read_bytes() == _png(400, 300)
    again = client.post(
        "/record/gansu.yaml/upload", data={"file": (io.BytesIO(_png(10, 10)), "车间 全景.png")}, headers=H
    )
    assert again.get_json()["file"] == "gansu_配图/车间 全景_2.png"  # never over an existing file
    assert (folder / got["file"]).read_bytes() == _png(400, 300)


@pytest.mark.parametrize(
    "data,name,status",
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "a.png", 415),
        (b"GIF89a" + b"\0" * 20, "a.gif", 415),
        (b"", "a.png", 400),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "broken.png", 415),
    ],
)
def test_uploads_are_images_only(client, folder, data, name, status):
    if name == "a.gif":
        buf = io.BytesIO()
        Image.new("P", (4, 4)).save(buf, "GIF")
        data = buf.getvalue()
    resp = client.post("/record/gansu.yaml/upload", data={"file": (io.BytesIO(data), name)}, headers=H)
    assert resp.status_code == status
    assert resp.get_json()["ok"] is False and resp.get_json()["message"]
    assert not (folder / "gansu_配图").exists()


def test_uploads_are_capped_in_size(client, folder):
    client.application.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    big = _png(10, 10) + b"\0" * (2 * 1024 * 1024)
    resp = client.post("/record/gansu.yaml/upload", data={"file": (io.BytesIO(big), "big.png")}, headers=H)
    assert resp.status_code == 413
    assert "上限" in resp.get_json()["message"]
    assert not (folder / "gansu_配图").exists()


# --- escaping --------------------------------------------------------------------------------------


def test_text_is_escaped_everywhere(client, folder):
    evil = "<script>alert(1)</script>&\"'"
    text = (
        (folder / "gansu.yaml")
        .read_text("utf-8")
        .replace("name: 甘肃陇原精工机械有限公司", f"name: '{evil.replace(chr(39), chr(39) * 2)}'", 1)
    )
    (folder / "gansu.yaml").write_text(text, "utf-8")
    assert load(folder / "gansu.yaml").record.enterprise.name == evil
    for url in ("/", "/record/gansu.yaml", "/bureau"):
        body = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)" not in body, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body, url
    doc = html(client.get("/record/gansu.yaml"))
    assert css(doc.get_element_by_id("f-enterprise.name"), "input")[0].get("value") == evil
    state = page_state(client, "gansu.yaml")
    state["values"]["factory.name"] = "<img src=x onerror=alert(1)>"
    found = client.post("/record/gansu.yaml/validate", json=state, headers=H)
    assert found.mimetype == "application/json"  # form.js sets every text as textContent


# --- generating ---------------------------------------------------------------------------------------


def test_generate_offers_the_packs_documents(client):
    state = page_state(client, "gansu.yaml")
    resp = client.post("/record/gansu.yaml/generate", json=state, headers=H)
    assert resp.status_code == 200, resp.get_json()
    files = resp.get_json()["files"]
    names = [f["name"] for f in files]
    assert names == [
        n
        for n, _ in flow.render_single(
            load(client.application.config["FORMGEN_FOLDER"] / "gansu.yaml"), get_pack("gansu"), False
        )
    ]
    got = client.get(files[0]["url"])
    assert got.status_code == 200
    assert "attachment" in got.headers["Content-Disposition"]
    import docx

    text = "\n".join(p.text for p in docx.Document(io.BytesIO(got.data)).paragraphs)
    assert "甘肃陇原精工机械有限公司" in text or any(
        "甘肃陇原精工机械有限公司" in c.text
        for t in docx.Document(io.BytesIO(got.data)).tables
        for r in t.rows
        for c in r.cells
    )
    assert client.get(files[0]["url"].replace("/0/", "/9/")).status_code == 404
    assert client.get("/download/nope/0/x.docx").status_code == 404


def test_generate_refuses_a_record_with_errors_unless_draft(client):
    state = page_state(client, "gansu.yaml")
    state["values"]["enterprise.credit_code"] = "91620103710265310X"
    refused = client.post("/record/gansu.yaml/generate", json=state, headers=H)
    assert refused.status_code == 422 and "未生成" in refused.get_json()["message"]
    assert "files" not in refused.get_json()
    draft = client.post("/record/gansu.yaml/generate", json={**state, "draft": True}, headers=H)
    assert draft.status_code == 200 and draft.get_json()["draft"] is True
    assert draft.get_json()["files"]


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) 未安装")
def test_generate_with_pdf_copies(client):
    state = page_state(client, "gansu.yaml")
    files = client.post("/record/gansu.yaml/generate", json={**state, "pdf": True}, headers=H).get_json()["files"]
    pdfs = [f for f in files if f["name"].endswith(".pdf")]
    assert len(pdfs) == len(files) // 2 >= 1
    assert client.get(pdfs[0]["url"]).data[:5] == b"%PDF-"


# --- the bureau -------------------------------------------------------------------------------------


def test_the_bureau_page_lists_every_records_state(client):
    doc = html(client.get("/bureau"))
    rows = {css(r, "a.record")[0].text_content(): css(r, ".state")[0].text_content() for r in css(doc, "tr.state-row")}
    assert rows == {"chengchuan.xlsx": "有错误", "gansu.yaml": "通过", "shanghai-bad.yaml": "有错误"}
    assert "FG002" in doc.text_content()  # chengchuan.xlsx's figures are not in the folder


def test_the_bureau_ranks_and_downloads_as_summary_does(client, folder):
    settings = {"pack": "gansu", "unit": "兰州市工业和信息化局"}
    doc = html(client.get("/bureau", query_string=settings))
    ranked = {css(r, "td")[2].text_content(): css(r, ".state")[0].text_content() for r in css(doc, "tr.rank-row")}
    assert ranked == {"chengchuan.xlsx": "有错误，未列入", "gansu.yaml": "列入", "shanghai-bad.yaml": "有错误，未列入"}
    gen = client.post("/bureau/generate", json=settings, headers=H)
    assert gen.status_code == 200, gen.get_json()
    names = [f["name"] for f in gen.get_json()["files"]]
    assert names[0] == "问题清单.xlsx"
    assert "附件6_甘肃省智能工厂评价推荐表_兰州市工业和信息化局.xlsx" in names
    assert "附件8_主管部门承诺书_兰州市工业和信息化局.docx" in names
    import openpyxl

    report = [f for f in gen.get_json()["files"] if f["name"] == "问题清单.xlsx"][0]
    wb = openpyxl.load_workbook(io.BytesIO(client.get(report["url"]).data))
    assert any("上海示例问题企业" in str(c.value) for row in wb["问题清单"].iter_rows() for c in row)
    sheet = [f for f in gen.get_json()["files"] if f["name"].startswith("附件6")][0]
    cells = openpyxl.load_workbook(io.BytesIO(client.get(sheet["url"]).data)).active.iter_rows()
    assert any("甘肃陇原精工机械有限公司" in str(c.value) for row in cells for c in row)


def test_a_refused_batch_s_problem_list_lists_no_one(client, folder):
    """A duplicate refuses the batch: only the 问题清单 is made, and its 汇总 sheet marks no
    enterprise 列入 (issue 25)."""
    text = (folder / "gansu.yaml").read_text("utf-8")
    text = text.replace("916201037102653100", "91620103710265329W").replace("710265310", "710265329")
    (folder / "longxi.yaml").write_text(text.replace("陇原", "陇西"), "utf-8")
    shutil.copy(EXAMPLES / "gansu-bad.yaml", folder / "gansu-bad.yaml")
    gen = client.post("/bureau/generate", json={"pack": "gansu", "unit": "兰州市工业和信息化局"}, headers=H)
    files = gen.get_json()["files"]
    assert [f["name"] for f in files] == ["问题清单.xlsx"]
    import openpyxl

    ws = openpyxl.load_workbook(io.BytesIO(client.get(files[0]["url"]).data))["汇总"]
    states = {row[1]: row[-1] for row in ws.iter_rows(values_only=True) if isinstance(row[0], int)}
    assert states["甘肃陇西精工机械有限公司"] == "未列入（未生成汇总表）"
    assert "列入" not in states.values()


def test_the_bureau_says_what_is_missing(client):
    doc = html(client.get("/bureau", query_string={"pack": "shanghai", "unit": "某单位"}))
    assert "推荐名额" in doc.get_element_by_id("status").text_content()
    bad = client.post("/bureau/generate", json={"pack": "nope", "unit": "x"}, headers=H)
    assert bad.status_code == 422 and bad.get_json()["message"]


# --- formgen serve ----------------------------------------------------------------------------------


def test_formgen_serve_prints_an_address_with_the_token_in_its_path_and_it_works(folder):
    """The address formgen serve prints, opened as a browser would: the list, a record's
    page by its link, a check posted by the page's script; nothing without the address."""
    import signal
    import urllib.error
    import urllib.request

    proc = subprocess.Popen(
        [sys.executable, "-m", "formgen", "serve", str(folder), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )

    def status(url, data=None, headers=None):
        try:
            with urllib.request.urlopen(urllib.request.Request(url, data, headers or {}), timeout=30) as resp:
                return resp.status, resp.headers, resp.read().decode("utf-8")
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode("utf-8")

    try:
        m = None
        for line in proc.stdout:
            m = re.search(r"请在浏览器中打开：(http://127\.0\.0\.1:(\d+))/([\w-]{24,})/$", line.strip())
            if "请在浏览器中打开" in line or "已停止" in line:
                break
        assert m, "no address printed"
        origin, port, token = m.group(1), m.group(2), m.group(3)
        code, headers, body = status(f"{origin}/{token}/")
        assert code == 200 and "Set-Cookie" not in headers
        link = {a.text_content(): a.get("href") for a in css(lxml.html.fromstring(body), "a.record")}["gansu.yaml"]
        assert link == f"/{token}/record/gansu.yaml"
        code, _, page = status(origin + link)
        assert code == 200 and "甘肃陇原精工机械有限公司" in page
        secret = lxml.html.fromstring(page).xpath('//meta[@name="formgen-token"]/@content')
        assert secret == [token]
        check = json.dumps({"values": {"enterprise.name": "某公司"}, "entries": [], "items": []}).encode()
        posted = {"Content-Type": "application/json", "Origin": origin, "Sec-Fetch-Site": "same-origin"}
        code, _, answer = status(f"{origin}{link}/validate", check, {**posted, "X-Formgen-Token": token})
        assert code == 200 and json.loads(answer)["ok"] is True
        assert status(f"{origin}{link}/validate", check, posted)[0] == 403  # without the header
        assert status(f"{origin}/")[0] == 403
        assert status(f"{origin}/record/gansu.yaml")[0] == 403
        assert status(f"{origin}/{token}/", headers={"Host": f"attacker.example:{port}"})[0] == 400
        assert status(f"{origin}/{token}/", headers={"Host": f"localhost:{port}"})[0] == 200
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert "已停止" in out


def test_serve_help_and_cli_stays_light():
    out = subprocess.run([sys.executable, "-m", "formgen", "serve", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "--port" in out.stdout
    probe = "import sys, formgen.cli; print('flask' in sys.modules, 'ruamel' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stdout.split() == [
        "False",
        "False",
    ]


def test_json_endpoints_answer_in_chinese_json(client):
    resp = client.post("/record/gansu.yaml/validate", json={"values": []}, headers=H)
    assert resp.status_code == 400
    assert json.loads(resp.data)["message"] == "表单数据格式不正确"


def test_a_limit_over_several_parts_has_a_total_counter(client, folder):
    shutil.copy(EXAMPLES / "shanghai-chengchuan.yaml", folder / "chengchuan.yaml")
    doc = html(client.get("/record/chengchuan.yaml"))
    (total,) = css(doc, "#s-narrative div.total")
    assert total.get("data-paths").split()[0] == "narrative.development"
    assert total.get("data-min") == "3000"
    count = css(total, "span.count")[0]
    assert (count.text_content(), count.get("data-limit")) == ("3143", "5000")  # README: its parts total 3143 字
    assert "over" not in count.get("class") and "under" not in count.get("class")


def test_a_windows_file_keeps_its_line_ends(client, folder):
    path = folder / "gansu.yaml"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    state = page_state(client, "gansu.yaml")
    state["values"]["factory.name"] = "新工厂"
    assert client.post("/record/gansu.yaml/save", json=state, headers=H).status_code == 200
    raw = path.read_bytes()
    assert raw.count(b"\r\n") == raw.count(b"\n") and "新工厂".encode() in raw


def test_a_value_typed_wrong_is_said_once_beside_its_field(client):
    # the page builds its record as the loader builds a file: the value left out is not
    # also "必填" (RQ001), whether the model refuses it (三万) or the page cannot read it (是 for a number)
    state = page_state(client, "gansu.yaml")
    state["values"]["enterprise.revenue"] = "三万"
    state["values"]["factory.cmmm.level"] = "是"
    state["values"]["enterprise.name"] = ""
    found = client.post("/record/gansu.yaml/validate", json=state, headers=H).get_json()["findings"]
    got = sorted((f["code"], f["path"]) for f in found)
    assert ("RQ001", "enterprise.name") in got  # every other rule still runs
    assert [c for c, p in got if p == "enterprise.revenue"] == ["IN007"]
    assert [c for c, p in got if p == "factory.cmmm.level"] == ["IN007"]


# --- bounded work per request ------------------------------------------------------------------


def test_a_list_index_beyond_any_record_is_refused_at_once(client):
    from formgen.web.form import MAX_LIST_ITEMS

    for items in (["scenarios[1000000]"], [f"scenarios[{MAX_LIST_ITEMS}]"], ["scenarios[" + "9" * 40 + "]"]):
        resp = client.post("/record/gansu.yaml/validate", json={"items": items}, headers=H)
        assert resp.status_code == 400, items
        assert "序号超出上限" in resp.get_json()["message"]
    values = {"scenarios[999999].name": "x"}
    resp = client.post("/record/gansu.yaml/save", json={"values": values, "sha256": "x"}, headers=H)
    assert resp.status_code == 400 and "序号超出上限" in resp.get_json()["message"]
    ok = client.post("/record/gansu.yaml/validate", json={"items": [f"scenarios[{MAX_LIST_ITEMS - 1}]"]}, headers=H)
    assert ok.status_code == 200 and ok.get_json()["ok"] is True


def test_json_nested_too_deep_is_a_400_in_chinese(client, folder):
    before = (folder / "gansu.yaml").read_bytes()
    for url in ("/record/gansu.yaml/validate", "/record/gansu.yaml/save", "/bureau/generate"):
        body = '{"values": ' + "[" * 100000 + "]" * 100000 + "}"
        resp = client.post(url, data=body, content_type="application/json", headers=H)
        assert resp.status_code == 400, url
        assert "嵌套" in resp.get_json()["message"]
    assert (folder / "gansu.yaml").read_bytes() == before


def test_a_json_body_over_the_limit_is_a_413_in_chinese(client, folder):
    from formgen.web.form import MAX_JSON_BYTES

    before = (folder / "gansu.yaml").read_bytes()
    body = {"values": {"enterprise.name": "甲" * (MAX_JSON_BYTES // 3 + 10)}, "sha256": "x"}
    for url in ("/record/gansu.yaml/validate", "/record/gansu.yaml/save"):
        resp = client.post(url, json=body, headers=H)
        assert resp.status_code == 413, url
        assert "上限" in resp.get_json()["message"]
    assert (folder / "gansu.yaml").read_bytes() == before


def test_too_many_posted_values_are_refused(client):
    from formgen.web.form import MAX_POSTED_VALUES

    items = ["scenarios[0]"] * (MAX_POSTED_VALUES + 1)
    resp = client.post("/record/gansu.yaml/validate", json={"items": items}, headers=H)
    assert resp.status_code == 400 and "上限" in resp.get_json()["message"]


# --- the page in plain Chinese (issue 27) -----------------------------------------------------


def visible(el) -> bool:
    """Neither the element nor one holding it is drawn hidden."""
    return not el.xpath("ancestor-or-self::*[@hidden]")


def test_packs_are_offered_and_listed_by_their_titles(client):
    doc = html(client.get("/record/gansu.yaml"))
    options = {o.get("value"): o.text_content() for o in doc.xpath('//select[@name="pack"]/option[@value!=""]')}
    assert options == {name: get_pack(name).title for name in options} and len(options) >= 5
    assert options["gansu"] == "甘肃省智能工厂梯度培育申报（2025年）"
    rows = {
        css(r, "a.record")[0].text_content(): r.xpath("./td")[2].text_content()
        for r in css(html(client.get("/")), "tbody tr")
    }
    assert rows["gansu.yaml"] == get_pack("gansu").title and "gansu" not in rows.values()


def test_the_bureau_offers_unit_kinds_in_chinese(client):
    doc = html(client.get("/bureau"))
    kinds = {o.get("value"): o.text_content() for o in doc.xpath('//select[@name="unit_kind"]/option[@value!=""]')}
    assert kinds == {
        "city": "市",
        "province": "省",
        "plan-listed": "计划单列市",
        "bingtuan": "兵团",
        "central": "中央企业",
    }
    packs = [o.text_content() for o in doc.xpath('//select[@name="pack"]/option')]
    assert get_pack("shanghai").title in packs and "shanghai" not in packs


def test_findings_are_told_in_the_page_s_words(client, folder):
    """A scenario's description left empty: 「典型场景描述」第 N 项 (the label and the item the
    page shows), no record path, beside the field and in the list."""
    text = (folder / "gansu.yaml").read_text("utf-8")
    data = load(folder / "gansu.yaml").record
    assert len(data.scenarios) >= 1
    state = page_state(client, "gansu.yaml")
    state["values"]["scenarios[0].description"] = ""
    found = client.post("/record/gansu.yaml/validate", json=state, headers=H).get_json()["findings"]
    [rq] = [f for f in found if f["code"] == "RQ001" and f["path"] == "scenarios[0].description"]
    assert rq["text"] == "错误 RQ001 「典型场景描述」第 1 项：" + rq["message"]
    assert not [f["text"] for f in found if re.search(r"[a-z_]+(\[\d+\])?\.[a-z_]+", f["text"])]
    (folder / "bad.yaml").write_text(text.replace("employees: 460", "employees: -3"), "utf-8")
    doc = html(client.get("/record/bad.yaml"))
    said = [li.text_content() for li in doc.xpath('//li[contains(@class,"finding")]')]
    assert said and not [t for t in said if re.search(r"enterprise\.|scenarios\[", t)]


def test_a_gansu_page_carries_no_note_of_another_province(client):
    doc = html(client.get("/record/gansu.yaml"))
    notes = [p.text_content() for p in doc.xpath('//p[@class="note"]')]
    assert not [n for n in notes if "上海用" in n or "上海只受理" in n or n.startswith("上海附件")]
    assert any("须为所用版本指引中的场景名称" in n for n in notes)  # the rest of the note stays
    shanghai = html(client.get("/record/shanghai-bad.yaml"))
    assert any("上海用2025年版" in p.text_content() for p in shanghai.xpath('//p[@class="note"]'))


def repeated(label: str) -> bool:
    """项目建设期(**年**月-**年**月)·项目建设期（起）: the words before · said again after it."""
    head, dot, tail = label.partition("·")
    stem = re.sub(r"[（(][^（）()]*[）)]", "", head).strip()
    return bool(dot and stem and tail.startswith(stem))


def test_labels_are_not_repeated(client, folder):
    shutil.copy(EXAMPLES / "shanghai-chengchuan.yaml", folder / "chengchuan.yaml")
    for name in ("gansu.yaml", "chengchuan.yaml"):
        doc = html(client.get(f"/record/{name}"))
        labels = [lb.text_content().rstrip("*") for lb in doc.xpath("//div[@data-pattern]/label")]
        assert "应用建设起止日期（起）" in labels and not [x for x in labels if repeated(x)], name
    for pack, level in (("gansu", "基础级"), ("gansu", "先进级"), ("gansu", "卓越级"), ("shanghai", ""), ("hebei", "")):
        layout = client.get("/record/gansu.yaml/layout", query_string={"pack": pack, "level": level}).get_json()
        assert not [s["label"] for s in layout["fields"].values() if repeated(s["label"])], (pack, level)


def test_the_page_is_drawn_for_its_pack_and_level_and_knows_the_others(client):
    """Every field is on the page, those the pack and level do not ask hidden; /layout gives the
    page what another pack or level asks, from the catalogue."""
    doc = html(client.get("/record/gansu.yaml"))  # gansu 基础级
    figures = doc.get_element_by_id("s-figures[]")
    assert not visible(figures)  # Shanghai's 配图: on the page, hidden
    assert visible(doc.get_element_by_id("f-enterprise.intro_short"))
    gansu = client.get("/record/gansu.yaml/layout", query_string={"pack": "gansu", "level": "基础级"}).get_json()
    shanghai = client.get("/record/gansu.yaml/layout", query_string={"pack": "shanghai", "level": "基础级"}).get_json()
    assert shanghai["level"] == "先进级" and gansu["level"] == "基础级"  # Shanghai takes 先进级 only
    assert not any(p.startswith("figures[]") for p in gansu["fields"])
    assert any(p.startswith("figures[]") for p in shanghai["fields"])
    assert gansu["fields"]["enterprise.intro_short"]["limit"] == 100
    assert "enterprise.intro_short" not in shanghai["fields"]
    assert gansu["names"]["gansu"] == get_pack("gansu").title
    assert [t["max"] for t in shanghai["totals"]] == [5000] and not gansu["totals"]
    stage = gansu["fields"]["scenarios[].stage"]  # worked out from the name, shown filled in
    assert "生产作业" in [v for _, group in stage["options"] for v in group]
    everything = client.get("/record/gansu.yaml/layout").get_json()
    assert len(everything["fields"]) > len(gansu["fields"]) and not everything["pack"]


def test_a_scenario_s_stage_stands_before_its_description(client):
    doc = html(client.get("/record/gansu.yaml"))
    item = doc.xpath('//div[@id="f-scenarios"]//div[@class="item"]')[0]
    order = [f.get("data-pattern") for f in item.xpath('./div[contains(@class,"field")]')]
    assert order.index("scenarios[].stage") < order.index("scenarios[].description")
    assert visible(doc.get_element_by_id("f-scenarios[0].stage"))
    groups = doc.xpath('//select[@name="scenarios[0].name"]/optgroup/@label')
    assert set(groups) <= {o.get("value") for o in doc.xpath('//select[@name="scenarios[0].stage"]/option')}


@pytest.mark.parametrize(
    "example", sorted(p.name for p in EXAMPLES.glob("*.yaml")) + sorted(p.name for p in EXAMPLES.glob("*.xlsx"))
)
def test_every_bundled_example_opens_without_pk001(tmp_path, example):
    shutil.copy(EXAMPLES / example, tmp_path / example)
    c = served(tmp_path)
    doc = html(c.get(f"/record/{example}"))
    assert load(EXAMPLES / example).record.pack
    assert not [li.text_content() for li in doc.xpath('//li[@data-code="PK001"]')]
    assert doc.xpath('//select[@name="pack"]/option[@selected]')[0].get("value") == load(EXAMPLES / example).record.pack


def test_notes_speak_of_the_page_not_of_files(client):
    """No command option, true/false or YYYY-MM-DD in a note, and packs by their titles only."""
    doc = html(client.get("/record/gansu.yaml"))
    notes = [p.text_content() for p in doc.xpath('//p[@class="note"]')]
    assert notes and not [n for n in notes if re.search(r"--pack|true=|false=|YYYY-MM|\bgansu\b|\bshanghai\b", n)]


def test_what_the_record_holds_decides_which_documents_fields_are_shown(client, folder):
    """Gansu 附件2 applies when 优秀场景 are named: its fields are shown on the page of a
    record naming them; values no document of the pack asks for are hidden, counted, and kept."""
    doc = html(client.get("/record/gansu.yaml"))
    assert visible(doc.get_element_by_id("f-factory.excellent_scenarios"))
    assert visible(doc.get_element_by_id("f-narrative.improvement_plan"))  # 附件2 三（一）
    kept = doc.get_element_by_id("kept")
    n = int(re.search(r"另有 (\d+) 项", kept.text_content()).group(1))
    assert visible(kept) and n > 0
    state = page_state(client, "gansu.yaml")
    before = (folder / "gansu.yaml").read_text("utf-8")
    assert client.post("/record/gansu.yaml/save", json=state, headers=H).get_json()["ok"]
    assert (folder / "gansu.yaml").read_text("utf-8") == before  # the hidden values saved as they were


def _pieces(note: str) -> list[str]:
    """A note's pieces between ；/。 (a bracket kept whole), compared without punctuation."""
    note = re.sub(r"（附件[^（）]*）$", "", note)  # the documents that use the field
    out, depth, cur = [], 0, ""
    for ch in note:
        depth += (ch == "（") - (ch == "）")
        if ch in "；。" and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return [re.sub(r"[（）()\s，,、：:。；“”]|请简要说明", "", p) for p in out if p.strip()]


def test_no_note_says_a_thing_twice(client):
    """生产设备运行状态监控: the catalogue's note and the annex's hint (请简要说明…) both said it;
    总体描述 said 不超过500字 three times; 细分行业's note was 甘肃附件6 before (附件6)."""
    for pack, level in (("gansu", "基础级"), ("gansu", "先进级"), ("shanghai", ""), ("jiangsu", "基础级")):
        fields = client.get("/record/gansu.yaml/layout", query_string={"pack": pack, "level": level}).get_json()
        for path, spec in fields["fields"].items():
            pieces = _pieces(spec.get("note") or "")
            twice = [p for i, p in enumerate(pieces) for j, q in enumerate(pieces) if i != j and len(p) >= 2 and p in q]
            assert not twice, (pack, level, path, spec["note"])
            assert not re.fullmatch(r"甘肃附件[\d/]+", pieces[0] if pieces else ""), (path, spec["note"])
    gansu = client.get("/record/gansu.yaml/layout", query_string={"pack": "gansu", "level": "基础级"}).get_json()
    notes = {p: s.get("note") or "" for p, s in gansu["fields"].items()}
    assert notes["factory.line.prompts.equipment_monitoring"].count("生产设备运行状态实时监控") == 1
    assert notes["factory.line.overview"].count("不超过500字") == 1
    assert "（从智能装备应用及联网" in notes["factory.line.overview"]  # the annex's hint kept


def test_no_note_repeats_its_field_s_label(client):
    """应用建设起止日期（起）'s note ended with 应用建设起止日期（起） again."""
    for pack, level in (("gansu", "基础级"), ("gansu", "先进级"), ("shanghai", "")):
        fields = client.get("/record/gansu.yaml/layout", query_string={"pack": pack, "level": level}).get_json()
        for path, spec in fields["fields"].items():
            label = re.sub(r"[（）()\s，,、：:。；“”]", "", spec["label"])
            assert label not in _pieces(spec.get("note") or ""), (pack, path, spec["note"])
