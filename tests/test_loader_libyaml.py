"""The record loader reads over libyaml's events where it can (five times faster) and
falls back to the pure-Python loader for anything that path refuses. Wherever both
accept a document, the fast path must read exactly what the pure path reads: the same
data, the same line of every field, the same duplicated keys, the same refused keys.
Texts the two read differently (tags, explicit keys, tabs) or that only libyaml accepts
(a byte-order mark after the start, a comment straight after a block scalar's "|")
never take the fast path, so a record reads the same with or without libyaml.

Hypothesis builds documents from YAML's own pieces (block and flow collections, quoted
and plain scalars, anchors and aliases, merge keys, duplicates, comments, every kind of
line break and the characters near YAML's edges) and splices in random text, so both
the accepted and the refused side are explored; the seed is fixed."""

from __future__ import annotations

from pathlib import Path

import pytest

from formgen.record import loader
from formgen.record.loader import load_yaml
from formgen.record.model import Record

from .conftest import ROOT

hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies

pytestmark = pytest.mark.skipif(loader._FastLoader is None, reason="PyYAML 未带 libyaml")


def read_both(text: str):
    """(fast, pure): each (data, lines, dups, bad keys), or the exception's type; fast is
    None where the text is one the fast path leaves to the pure loader."""
    out = [] if not loader._LIBYAML_DIFFERS.search(text) else [None]
    for cls in (loader._FastLoader, loader._Loader)[len(out) :]:
        got: tuple[dict, list, list] = ({}, [], [])
        try:
            data = loader._compose_and_construct(cls, text, *got)
        except Exception as e:  # noqa: BLE001 - the kind of refusal is what is compared
            out.append(type(e))
        else:
            out.append((data, *got))
    return out


def test_every_shipped_and_test_record_reads_the_same_both_ways():
    files = sorted((ROOT / "data").rglob("*.yaml")) + sorted((ROOT / "tests").rglob("*.yaml"))
    assert len(files) >= 10
    for f in files:
        fast, pure = read_both(f.read_text(encoding="utf-8"))
        if fast is not None:  # a test file may hold a tag or a tab on purpose
            assert fast == pure, f


def test_a_record_is_read_on_the_fast_path(monkeypatch):
    """The example loads without the pure loader being asked (it would cost 5x)."""

    def refuse(*args, **kwargs):
        raise AssertionError("pure-Python loader used")

    monkeypatch.setattr(loader._Loader, "__init__", refuse)
    loaded = load_yaml(ROOT / "data" / "examples" / "gansu-longyuan.yaml")
    assert loaded.record.enterprise.name == "甘肃陇原精工机械有限公司"
    assert loaded.lines["enterprise.name"] > 1


@pytest.mark.parametrize(
    "text, code",
    [
        ("enterprise:\n  name: [a, b\n", "IN003"),  # a syntax error, explained in Chinese
        ("enterprise:\n  name: a\x07b\n", "IN008"),  # a control character, at its field
        ("a: &x [*x, *x]\n" + "b: " + "[" * 70 + "]" * 70 + "\n", "IN009"),  # a limit
        ("enterprise:\n  name: a\n  name: b\n", "IN005"),  # a duplicate key
        ("enterprise:\n  employees: !!int abc\n", "IN003"),  # a value its tag cannot read
        ('enterprise:\n  name: "\\U00110000"\n', "IN003"),  # an escape beyond Unicode (a ValueError in PyYAML)
    ],
)
def test_problems_are_told_as_the_pure_loader_tells_them(tmp_path: Path, text, code):
    p = tmp_path / "r.yaml"
    p.write_text(text, encoding="utf-8")
    try:
        findings = load_yaml(p).notes  # a duplicate key: the file is read, the later value kept
    except loader.LoadError as e:
        findings = e.findings
    assert code in {f.code for f in findings}
    assert all("第" in f.message or f.line for f in findings if f.code == "IN003")


BREAKS = ["\n", "\r\n", "\r", "\x85", "\u2028", "\u2029"]
EDGE = ["\t", " ", "\ufeff", "\xa0", "#", ":", "-", "?", "&a", "*a", "!", "|", ">", "'", '"', "\\", "%", "@", "`"]
KEYS = st.sampled_from(["name", "名称", "a", "b", "<<", "'q'", '"d"', "1", "null", "~", "? k", "x y"])
PLAIN = st.one_of(
    st.sampled_from(["1", "0x1F", "0o17", "1_000", "3.5e2", ".inf", "yes", "No", "~", "2024-03-01", "12:30", "'s'"]),
    st.lists(st.sampled_from(list("abc甲乙 ,.-:#'\"{}[]&*!|>%@`") + EDGE), max_size=8).map("".join),
)


@st.composite
def documents(draw, depth=0):
    """A YAML-like document made of lines, at an indentation."""
    lines = []
    for _ in range(draw(st.integers(1, 5))):
        key = draw(KEYS)
        kind = draw(st.sampled_from(["plain", "flow", "block", "list", "alias", "anchor", "comment"]))
        ind = "  " * depth
        if kind == "plain":
            lines.append(f"{ind}{key}: {draw(PLAIN)}")
        elif kind == "flow":
            lines.append(f"{ind}{key}: [{draw(PLAIN)}, {{{draw(KEYS)}: {draw(PLAIN)}}}]")
        elif kind == "block" and depth < 3:
            lines.append(f"{ind}{key}:")
            lines.append(draw(documents(depth + 1)))
        elif kind == "list":
            lines.append(f"{ind}{key}:")
            lines += [f"{ind}- {draw(PLAIN)}" for _ in range(draw(st.integers(0, 3)))]
        elif kind == "alias":
            lines.append(f"{ind}{key}: *a")
        elif kind == "anchor":
            lines.append(f"{ind}{key}: &a {{x: {draw(PLAIN)}}}")
        else:
            lines.append(f"{ind}# {draw(PLAIN)}")
    brk = draw(st.sampled_from(BREAKS))
    return brk.join(lines)


@hypothesis.settings(max_examples=600, derandomize=True, deadline=None)
@hypothesis.given(documents(), st.text(max_size=6), st.integers(0, 200))
def test_what_the_fast_path_accepts_the_pure_path_reads_the_same(doc, noise, at):
    text = doc[:at] + noise + doc[at:] if noise else doc
    fast, pure = read_both(text)
    if fast is None or isinstance(fast, type):
        return  # left to the pure loader, or refused and read again by it: its answer stands
    assert fast == pure  # read by libyaml: accepted by the pure loader too, and read alike


@pytest.mark.parametrize(
    "text",
    [
        "null: !\nname: 1\n",  # the non-specific tag on an empty value: '' in libyaml, None in PyYAML
        "? k",  # an explicit key at the end: its empty value stands on another line in libyaml
        "a:\tb\n",  # a tab PyYAML refuses and libyaml takes
        "name: &a {x: a?}\n",  # a plain scalar ending in ? inside a flow mapping
        "a: 1\n\ufeff# c\n",  # a byte-order mark after the start
        "a: |#c\n  x\n",  # a comment straight after a block scalar's indicator
    ],
)
def test_texts_the_two_read_differently_are_read_as_the_pure_loader_reads_them(tmp_path, text):
    """Each of these reads differently (or only) with libyaml, which is why the fast path
    leaves it alone; formgen reads it as the pure loader does, whether it accepts it or not."""
    raw = []
    for cls in (loader._FastLoader, loader._Loader):
        got: tuple[dict, list, list] = ({}, [], [])
        try:
            raw.append((loader._compose_and_construct(cls, text, *got), got[0]))
        except Exception as e:  # noqa: BLE001
            raw.append(type(e).__name__)
    assert raw[0] != raw[1]  # the reason for the rule
    assert loader._LIBYAML_DIFFERS.search(text)
    p = tmp_path / "r.yaml"
    p.write_text(text, encoding="utf-8")
    try:
        got = ("read", loader._parse(p, text, Record, {}, [], []))
    except loader.LoadError as e:
        got = ("refused", [f.code for f in e.findings])
    if isinstance(raw[1], str):
        assert got[0] == "refused"
    else:
        assert got == ("read", raw[1][0])


def test_the_record_model_is_the_loaders_own():
    assert load_yaml(ROOT / "data" / "examples" / "gansu-longyuan.yaml").record.__class__ is Record
