"""Fuzzing the promise "what validate passes, fill renders" (issue 8).

Hypothesis mutates the example records (a value replaced by hostile text, a number out
of range, a wrong type, a key dropped or invented) and runs the commands a user runs.
Whatever the record holds: the exit code is 0, 1 or 2, nothing escapes as a traceback,
``fill`` succeeds whenever ``validate`` exits 0, and every file written opens again.
The seed is fixed (derandomize) and the examples bounded, so CI runs the same cases.
"""

from __future__ import annotations

import copy
import zipfile

import openpyxl
import pytest
import yaml
from click.testing import CliRunner
from docx import Document

from formgen.cli import main

from .conftest import ROOT

hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies

EXAMPLES = {
    "gansu": ROOT / "data" / "examples" / "gansu-longyuan.yaml",
    "hebei": ROOT / "data" / "examples" / "hebei-jizhong.yaml",
}

HOSTILE_TEXT = [
    "",
    " ",
    "{{ 7*7 }}{% raw %}",
    "=cmd|'/c calc'!A0",
    "<script>alert(1)</script>&amp;",
    "A&B科技有限公司",
    "\u202e右到左",
    "𠀀𠀁𠀂" * 30,
    "字" * 5000,
    "a\tb\r\nc",
    "ＡＢＣ１２３，。",
    "0311-87800803",
    "2024-13-01",
    "2024年3月",
    "１２３４",
    "-0",
    "NaN",
    "1e309",
]
SCALARS = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.text(max_size=40),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.dates().map(str),
)
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3), st.dictionaries(st.text(max_size=8), SCALARS, max_size=2))


def _paths(node, prefix=()):
    """Every path to a value in the YAML tree."""
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


def _mutate(data, path, action, value):
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    key = path[-1]
    if action == "set":
        parent[key] = value
    elif action == "drop" and isinstance(parent, dict):
        del parent[key]
    elif action == "drop":
        parent.pop(key)
    elif action == "invent" and isinstance(parent, dict):
        parent[f"{key}_extra"] = value
    return data


def _get(data, path):
    for part in path:
        data = data[part]
    return data


def _like(draw, old):
    """A value of the same kind as ``old`` (so most records still load and reach fill)."""
    if isinstance(old, bool):
        return draw(st.booleans())
    if isinstance(old, int):
        return draw(st.integers(min_value=-5, max_value=10**12))
    if isinstance(old, float):
        return draw(st.floats(min_value=-1, max_value=1e9, allow_nan=False))
    if isinstance(old, str):
        return draw(st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(min_size=1, max_size=60)))
    return draw(VALUES)


@st.composite
def mutated(draw, base):
    data = copy.deepcopy(base)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = [p for p in _paths(data) if p]
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["like", "like", "like", "set", "drop", "invent"]))
        if action == "like":
            data = _mutate(data, path, "set", _like(draw, _get(data, path)))
        else:
            data = _mutate(data, path, action, draw(VALUES))
    return data


def _opens(path):
    if path.suffix == ".docx":
        Document(str(path))
    elif path.suffix == ".xlsx":
        openpyxl.load_workbook(path, read_only=True).close()
    assert zipfile.is_zipfile(path)


def _invoke(*args):
    # FORMGEN_DEBUG: an unforeseen exception propagates instead of becoming the CLI's one
    # line (exit 2), so a crash cannot hide among the exit codes a user may see
    r = CliRunner(env={"FORMGEN_DEBUG": "1"}).invoke(main, [str(a) for a in args])
    assert "Traceback" not in r.output and "FORMGEN_DEBUG" not in r.output
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        raise r.exception  # hypothesis shows the record that made it
    assert r.exit_code in (0, 1, 2, 3), r.output  # 3: summary wrote its sheets, a record left off
    return r


def _write(tmp_path_factory, data) -> tuple:
    folder = tmp_path_factory.mktemp("fuzz")
    rec = folder / "r.yaml"
    rec.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder, rec


SETTINGS = dict(
    derandomize=True,
    max_examples=60,
    deadline=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)


@pytest.mark.parametrize("pack", ["gansu"])
def test_fill_renders_what_validate_passes(pack, tmp_path_factory):
    base = yaml.safe_load(EXAMPLES[pack].read_text(encoding="utf-8"))

    @hypothesis.settings(**SETTINGS)
    @hypothesis.given(mutated(base))
    def check(data):
        folder, rec = _write(tmp_path_factory, data)
        r = _invoke("validate", rec, "--pack", pack)
        if r.exit_code != 0:
            return
        out = folder / "out"
        r = _invoke("fill", rec, "--pack", pack, "--out", out)
        assert r.exit_code == 0, r.output
        written = list(out.iterdir())
        assert written
        for f in written:
            _opens(f)

    check()


def test_summary_never_crashes(tmp_path_factory):
    base = yaml.safe_load(EXAMPLES["hebei"].read_text(encoding="utf-8"))

    @hypothesis.settings(**SETTINGS)
    @hypothesis.given(mutated(base))
    def check(data):
        folder, rec = _write(tmp_path_factory, data)
        out = folder / "out"
        r = _invoke("summary", rec, "--pack", "hebei", "--unit", "石家庄市工业和信息化局", "--out", out)
        if r.exit_code == 0:
            for f in out.iterdir():
                _opens(f)

    check()
