"""formgen serve saves a YAML record by changing only the bytes of what the user changed
(formgen/web/yamlsave.py): a no-op save is byte-identical, a one-field change touches that
field's lines only, CRLF and a byte-order mark stay, strings YAML would read as something
else are quoted, aliases save."""

from __future__ import annotations

import difflib
import io
import tempfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from ruamel.yaml import YAML

from formgen.cli import main
from formgen.doors.opener import load
from formgen.web.yamlsave import rewrite

from .test_web import EXAMPLES, H, html, page_state, served

hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies

# Words and forms YAML 1.1 or 1.2 reads as something else than the string typed.
AMBIGUOUS = [
    "yes", "No", "on", "OFF", "y", "N", "null", "~", "true", "1:20", "0x1F", "0o17", "1e3", "1_000", ".inf",
    "-.inf", ".NaN", "2024-01-01", "2024-01-01 12:00:00", "12", "-5", "3.14", "@某", "*别名", "&锚", "!标签",
    "%指令", "- 一项", "? 键", "末尾冒号:", "井号 #后面", "#开头", " 前导空格", "末尾空格 ", "a: b", "{花括号}", "[方括号]",
    "'单引号'", '"双引号"', "|竖线", ">大于", "`反引号", "=", "<<", "---", "...", "多行\n文本", "空行\n\n之后",
    "行一\n  缩进的行二", "制表\t符", "回车\r符", "行分隔\u2028符", "NEL\x85符", "\ufeff字节序",
]  # fmt: skip


def _run(*args) -> None:
    r = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert r.exit_code == 0, r.output


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> str:
    """A record as `formgen convert` writes it (indentless lists, quoted codes)."""
    out = tmp_path_factory.mktemp("convert") / "longyuan.yaml"
    _run("convert", EXAMPLES / "gansu-longyuan.xlsx", out)
    return out.read_text("utf-8")


@pytest.fixture(scope="module")
def blank(tmp_path_factory) -> str:
    """A blank from `formgen init`, filled in by hand (values after the colons, before the comments)."""
    out = tmp_path_factory.mktemp("init") / "blank.yaml"
    _run("init", out, "--pack", "gansu", "--level", "先进级")
    text = out.read_text("utf-8")
    for key, value in [
        ("name", "甘肃陇原精工机械有限公司"),
        ("credit_code", "'916201037102653100'"),
        ("employees", "460"),
    ]:
        text = text.replace(f"\n  {key}:  #", f"\n  {key}: {value}  #", 1)
    return text.replace("\n  - name:  #", "\n  - name: 设备运行监控  #", 1)


def _load_text(text: str, name: str = "r.yaml"):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(text.encode("utf-8"))
        return load(path).record


def _save(text: str, change) -> tuple[str, object]:
    """``text`` rewritten after ``change(record)``; asserts it reads back as the changed record."""
    old = _load_text(text)
    new = old.model_copy(deep=True)
    change(new)
    out = rewrite(text, old, new)
    assert _load_text(out) == new
    return out, new


def _changed(before: str, after: str) -> list[tuple[list[str], list[str]]]:
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    return [(a[i1:i2], b[j1:j2]) for tag, i1, i2, j1, j2 in ops if tag != "equal"]


def _value_lines(text: str, path: list) -> range:
    """The lines (0-based) the value at ``path`` (keys and indexes) takes in ``text``."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    for step in path:
        if isinstance(step, int):
            node = node.value[step]
        else:
            node = next(v for k, v in node.value if k.value == step)
    end = node.end_mark
    return range(node.start_mark.line, end.line + (1 if end.column else 0))


def _only_lines_changed(before: str, after: str, lines: range) -> None:
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    for tag, i1, i2, _, _ in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            assert lines.start <= i1 and i2 <= max(lines.stop, lines.start + 1), (tag, i1, i2, lines)


# --- a no-op save changes nothing --------------------------------------------------------------


def _serve(tmp_path, files: dict[str, bytes]):
    root = tmp_path / "records"
    root.mkdir()
    for name, data in files.items():
        (root / name).write_bytes(data)
    return root, served(root)


def test_a_no_op_save_of_converted_and_filled_blank_records_is_byte_identical(tmp_path, converted, blank):
    files = {"converted.yaml": converted.encode(), "blank.yaml": blank.encode()}
    files |= {p.name: p.read_bytes() for p in EXAMPLES.glob("*.yaml")}
    root, client = _serve(tmp_path, files)
    for name, data in files.items():
        resp = client.post(f"/record/{name}/save", json=page_state(client, name), headers=H)
        assert resp.status_code == 200, (name, resp.get_json())
        assert (root / name).read_bytes() == data, name
        assert resp.get_json()["message"] == f"没有改动，{name} 未改写"
    assert not (root / ".formgen-备份").exists()  # nothing written, so nothing backed up
    # Jiangsu's level is on the page, chosen among the four levels its 自评价 takes (it was
    # once offered as 是/否 and dropped by a save)
    level = html(client.get("/record/jiangsu-xiyun.yaml")).get_element_by_id("c-factory.level")
    assert [(o.get("value"), o.get("selected") is not None) for o in level.xpath(".//option")] == [
        ("", False),
        ("基础级", False),
        ("先进级", True),
        ("卓越级", False),
        ("领航级", False),
    ]


@pytest.mark.parametrize("source", ["converted", "blank", "gansu-longyuan.yaml", "jiangsu-xiyun.yaml"])
def test_a_one_field_change_changes_only_that_fields_line(source, converted, blank):
    text = {"converted": converted, "blank": blank}.get(source) or (EXAMPLES / source).read_text("utf-8")
    out, _ = _save(text, lambda r: setattr(r.enterprise, "name", "改过的名称有限公司"))
    (change,) = _changed(text, out)
    assert len(change[0]) == len(change[1]) == 1
    assert change[0][0].replace(_load_text(text).enterprise.name, "改过的名称有限公司") == change[1][0]


def test_list_items_changed_added_and_removed_keep_the_files_indentation(converted):
    """`formgen convert` writes lists with the dash at the key's column; a changed item,
    a new item and a removed one keep that, and every other line."""
    old = _load_text(converted)

    def change(r):
        r.enterprise.financials[1].revenue = 40000
        r.scenarios.append(r.scenarios[0].model_copy(update={"name": "工厂数字化设计"}))
        del r.scenarios[1]

    out, new = _save(converted, change)
    assert [s.name for s in new.scenarios] == [
        old.scenarios[0].name,
        *[s.name for s in old.scenarios[2:]],
        "工厂数字化设计",
    ]
    assert "  - year: 2023\n" in out and "\n- stage: 生产作业\n  name: 工厂数字化设计\n" in out
    removed = [line for a, b in _changed(converted, out) for line in a if line not in b]
    assert "    revenue: 36800\n" not in removed  # the other years' lines stay
    assert sum(1 for a, _ in _changed(converted, out) for line in a if "revenue" in line) == 1


def test_a_value_emptied_in_a_blank_keeps_its_line_and_comment(blank):
    out, new = _save(blank, lambda r: setattr(r.enterprise, "employees", None))
    ((before,), (after,)) = _changed(blank, out)[0]
    assert before.startswith("  employees: 460  # ") and after == before.replace(" 460", "", 1)


# --- line ends and byte-order mark -----------------------------------------------------------------


def test_crlf_and_bom_stay_through_the_save_endpoint(tmp_path):
    text = "# 记录\n" + (EXAMPLES / "gansu-longyuan.yaml").read_text("utf-8").replace(
        "甘肃陇原精工机械有限公司", "陇原", 1
    )
    data = b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8")
    root, client = _serve(tmp_path, {"win.yaml": data})
    state = page_state(client, "win.yaml")
    state["values"]["enterprise.name"] = "yes"
    state["values"]["scenarios[0].description"] = "第一段\n\n第二段"
    resp = client.post("/record/win.yaml/save", json=state, headers=H)
    assert resp.status_code == 200, resp.get_json()
    raw = (root / "win.yaml").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf# \xe8") and raw.count(b"\xef\xbb\xbf") == 1
    assert b"\r\r" not in raw and raw.count(b"\n") == raw.count(b"\r\n")
    assert b"  name: 'yes'\r\n" in raw
    record = load(root / "win.yaml").record
    assert record.enterprise.name == "yes" and record.scenarios[0].description == "第一段\n\n第二段"
    changed = _changed(data.decode("utf-8"), raw.decode("utf-8"))
    assert [len(a) for a, _ in changed] == [1, 1]  # the name's line, the description's line


# --- strings YAML would read as something else --------------------------------------------------


@pytest.mark.parametrize("value", AMBIGUOUS)
def test_a_text_reads_back_as_the_same_string_in_yaml_1_1_and_1_2(value, converted):
    def change(r):
        r.enterprise.name = value
        r.enterprise.credit_rating = value  # a plain value before
        r.scenarios[0].description = value  # a literal block before

    out, new = _save(converted, change)
    for data in (yaml.safe_load(out), YAML(typ="safe", pure=True).load(io.StringIO(out))):
        assert data["enterprise"]["name"] == new.enterprise.name
        assert data["enterprise"]["credit_rating"] == new.enterprise.credit_rating
        assert data["scenarios"][0]["description"] == new.scenarios[0].description
    assert len(_changed(converted, out)) == 3


def test_a_yaml_word_saves_through_the_endpoint(tmp_path):
    root, client = _serve(tmp_path, {"g.yaml": (EXAMPLES / "gansu-longyuan.yaml").read_bytes()})
    state = page_state(client, "g.yaml")
    for path, value in [("enterprise.name", "No"), ("factory.name", "on"), ("people.contact.title", "1:20")]:
        state["values"][path] = value
    resp = client.post("/record/g.yaml/save", json=state, headers=H)
    assert resp.status_code == 200, resp.get_json()
    record = load(root / "g.yaml").record
    assert (record.enterprise.name, record.factory.name, record.people.contact.title) == ("No", "on", "1:20")


def test_a_changed_value_keeps_its_quoting_style(converted):
    text = converted.replace("  credit_rating: AA", '  credit_rating: "AA"', 1)
    out, _ = _save(
        text,
        lambda r: (
            setattr(r.enterprise, "credit_code", "91620103710265310X"),
            setattr(r.enterprise, "credit_rating", "AAA"),
        ),
    )
    assert "  credit_code: '91620103710265310X'\n" in out and '  credit_rating: "AAA"\n' in out
    assert "  org_code: '710265310'\n" in out


# --- aliases ---------------------------------------------------------------------------------------------

ALIASED = """\
pack: gansu
enterprise:
  name: &name 甘肃陇原精工机械有限公司
  address: &addr 甘肃省兰州市七里河区建西东路318号
  region: &region
    province: 甘肃省
    city: 兰州市
factory:
  name: *name  # 同企业名称
  address: *addr
  region: *region
"""


def test_an_unchanged_alias_stays_and_a_changed_one_is_written_out(tmp_path):
    out, new = _save(ALIASED, lambda r: setattr(r.factory, "name", "陇原智能工厂"))
    assert _changed(ALIASED, out) == [(["  name: *name  # 同企业名称\n"], ["  name: 陇原智能工厂  # 同企业名称\n"])]
    out, new = _save(ALIASED, lambda r: setattr(r.factory.region, "city", "天水市"))
    assert "  address: *addr\n" in out and "  name: &name 甘肃陇原精工机械有限公司\n" in out
    assert new.enterprise.region.city == "兰州市"
    root, client = _serve(tmp_path, {"a.yaml": ALIASED.encode()})  # through the endpoint, as reported
    state = page_state(client, "a.yaml")
    state["values"]["factory.address"] = "甘肃省天水市秦州区"
    resp = client.post("/record/a.yaml/save", json=state, headers=H)
    assert resp.status_code == 200, resp.get_json()
    record = load(root / "a.yaml").record
    assert (record.factory.address, record.enterprise.address) == (
        "甘肃省天水市秦州区",
        "甘肃省兰州市七里河区建西东路318号",
    )


def test_an_anchors_value_changed_leaves_its_aliases_as_they_were():
    out, new = _save(
        ALIASED, lambda r: (setattr(r.enterprise, "name", "新名称"), setattr(r.enterprise.region, "city", "天水市"))
    )
    assert new.factory.name == "甘肃陇原精工机械有限公司" and new.factory.region.city == "兰州市"
    assert "  address: *addr\n" in out  # an alias whose anchor did not change stays


# --- the property: any text saved reads back, nothing else moves -----------------------------------

_TEXT = st.one_of(
    st.sampled_from(AMBIGUOUS),
    st.text(alphabet=" \n\t\r:#-?!&*%@|>'\",[]{}~.01eExyYnNo=<\u2028\x85\ufeff中文", max_size=24),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=40),
)
# (where in which file, the path in the YAML)
_PLACES = [
    ("converted", ["enterprise", "name"]),  # a plain scalar with siblings
    ("converted", ["scenarios", 0, "description"]),  # in a list item written by convert
    ("blank", ["people", "contact", "name"]),  # an empty value followed by a comment
    ("jiangsu-xiyun.yaml", ["enterprise", "region", "city"]),  # inside a flow mapping
    ("shanghai-chengchuan.yaml", ["narrative", "business"]),  # a literal block
]


def _set(record, path: list, value) -> None:
    *parents, last = path
    for step in parents:
        record = record[step] if isinstance(step, int) else getattr(record, step)
    setattr(record, last, value)


@pytest.mark.parametrize(("source", "path"), _PLACES)
def test_any_text_saved_reads_back_and_only_its_lines_change(source, path, converted, blank):
    text = {"converted": converted, "blank": blank}.get(source) or (EXAMPLES / source).read_text("utf-8")
    old = _load_text(text)
    lines = _value_lines(text, path)

    @hypothesis.settings(derandomize=True, max_examples=120, deadline=None)
    @hypothesis.given(_TEXT)
    def check(value):
        new = old.model_copy(deep=True)
        try:
            _set(new, path, value)
        except ValueError:  # characters a document cannot hold: the form refuses them first
            hypothesis.assume(False)
        out = rewrite(text, old, new)
        assert _load_text(out) == new
        _only_lines_changed(text, out, lines)

    check()


# --- other shapes a hand-written file has ------------------------------------------------------------------

_SHAPES = [
    (  # a file without a final line break: a key added after the last one
        "pack: gansu\nenterprise:\n  name: 甲",
        lambda r: setattr(r.enterprise, "address", "乙"),
        "pack: gansu\nenterprise:\n  name: 甲\n  address: 乙",
    ),
    (  # a block scalar replaced by a one-line value: the comment after its header stays
        "enterprise:\n  intro: |  # 简介\n    第一段\n\n    第二段\n  address: 乙\n",
        lambda r: setattr(r.enterprise, "intro", "新简介"),
        "enterprise:\n  intro: 新简介  # 简介\n  address: 乙\n",
    ),
    (  # a flow list keeps its style; an empty one becomes a block list under its comment
        "factory:\n  modes: [离散型智能制造]  # 模式\n  integrators: []  # 集成商\n",
        lambda r: (
            setattr(r.factory, "modes", ["离散型智能制造", "远程运维服务"]),
            setattr(r.factory, "integrators", ["@甲"]),
        ),
        "factory:\n  modes: [离散型智能制造, 远程运维服务]  # 模式\n  integrators:  # 集成商\n    - '@甲'\n",
    ),
    (  # a value of a merged (<<) mapping changed: a key of its own overrides it
        "enterprise:\n  region: &r\n    province: 甘肃省\n    city: 兰州市\nfactory:\n  region:\n    <<: *r\n",
        lambda r: setattr(r.factory.region, "city", "天水市"),
        "enterprise:\n  region: &r\n    province: 甘肃省\n    city: 兰州市\nfactory:\n  region:\n    city: 天水市\n    <<: *r\n",
    ),
]


@pytest.mark.parametrize(("text", "change", "expected"), _SHAPES)
def test_hand_written_shapes(text, change, expected):
    out, _ = _save(text, change)
    assert out == expected


def test_the_modules_examples():
    import doctest

    from formgen.web import yamlsave

    assert doctest.testmod(yamlsave).failed == 0
