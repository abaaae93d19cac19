"""Sheets balanced by their content (issue 26): eight Shanghai enterprises, each with
twelve scenarios, half of them the widest records the catalogue allows (long company
names, credit codes of M and W), the others valid ones, summed into 附件5 and printed by LibreOffice from the .docx and the
.xlsx: at most three A4 landscape pages, each numbered, headers in at most three lines,
every scenario name whole, a company name in at most three lines."""

from __future__ import annotations

import copy
import datetime as dt
import html
import re
import subprocess

import pytest
import yaml
from click.testing import CliRunner

from formgen import synth
from formgen.cli import main
from formgen.doors.blank import record_yaml
from formgen.packs.pack import get_pack
from formgen.record.loader import build

from .conftest import to_pdf

TODAY = dt.date.today()  # summary validates as of today
WORDS = ["精工", "恒信", "瑞丰", "华拓", "中联", "宏达", "申源", "东昇"]


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """The eight records (widest and valid in turn, distinct names and codes) and the
    PDFs of their 附件5: {"records": [...], "docx": pdf, "xlsx": pdf}."""
    root = tmp_path_factory.mktemp("balance")
    paths, records = [], []
    widest0 = synth.synthesise("shanghai", None, "widest", seed=0, today=TODAY).data
    for i, word in enumerate(WORDS):
        # the widest record (the longest lists); every other one the valid record's values
        # with the first widest one's scenarios (the valid record of some seeds lacks a 环节)
        s = synth.synthesise("shanghai", None, "widest", seed=i, today=TODAY)
        if i % 2:
            valid = synth.synthesise("shanghai", None, "valid", seed=i, today=TODAY).data
            s.data = {**valid, "scenarios": copy.deepcopy(widest0["scenarios"])}
        long = "智能装备有限公司" if i % 2 else "精密机械智能装备制造股份有限公司"
        s.data["enterprise"]["name"] = "上海" + word + long
        s.data["factory"]["name"] = s.data["factory"]["name"].replace("精密", word, 1)
        folder = root / f"r{i}"
        folder.mkdir()
        s.write_files(folder)
        path = folder / "record.yaml"
        loaded = build(path, s.data, {})
        path.write_text(record_yaml(loaded.record), "utf-8")
        paths.append(path)
        records.append(yaml.safe_load(path.read_text("utf-8")))
    assert len({r["enterprise"]["credit_code"] for r in records}) == 8
    out = root / "out"
    args = ["summary", *map(str, paths), "--pack", "shanghai", "--unit", "上海市浦东新区科技和经济委员会"]
    r = CliRunner().invoke(main, [*args, "--quota", "8", "--out", str(out)])
    assert r.exit_code == 0, r.output
    files = sorted(p for p in out.iterdir() if p.name.startswith("附件5"))
    assert [p.suffix for p in files] == [".docx", ".xlsx"]
    docx_pdf, xlsx_pdf = to_pdf(files, root / "pdf")
    return {"records": records, "docx": docx_pdf, "xlsx": xlsx_pdf}


def _pages(pdf) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def _words(pdf) -> list[list[tuple[str, float, float, float, float]]]:
    """Each page's words: (text, x0, y0, x1, y1)."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    word = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', re.S)
    return [
        [(html.unescape(m[4]), float(m[0]), float(m[1]), float(m[2]), float(m[3])) for m in word.findall(page)]
        for page in re.split(r"<page ", out)[1:]
    ]


def _lines_of(text: str, pages) -> int | None:
    """The fewest lines ``text`` is printed in: words of a page, each on the line under
    the one before within the same column (their x ranges overlap), that spell it
    (None when it is nowhere)."""
    best = None

    def follow(words, at, got, n):
        nonlocal best
        if got == text:
            best = n if best is None else min(best, n)
            return
        _, x0, y0, x1, y1 = words[at]
        for k, (w, a0, b0, a1, _b1) in enumerate(words):
            below = y1 - 1 < b0 < y1 + (y1 - y0) * 1.2
            if below and a0 < x1 and a1 > x0 and text.startswith(got + w):
                follow(words, k, got + w, n + 1)

    for words in pages:
        for i, w in enumerate(words):
            if w[0] and text.startswith(w[0]):
                follow(words, i, w[0], 1)
    return best


def _layout():
    return get_pack("shanghai").document("a5").layout


@pytest.mark.parametrize("kind", ["docx", "xlsx"])
def test_eight_enterprises_on_three_numbered_pages(batch, kind):
    pages = _pages(batch[kind])
    assert 1 <= len(pages) <= 3, f"{kind}: {len(pages)} 页"
    for i, page in enumerate(pages, 1):
        assert page.strip(), f"{kind}: 第 {i} 页是空白页"
        number = rf"—\s*{i}\s*—" if kind == "docx" else rf"第\s*{i}\s*页，共\s*{len(pages)}\s*页"
        assert re.search(number, page), f"{kind}: 第 {i} 页没有页码"
    text = "".join(pages)
    for r in batch["records"]:
        assert r["people"]["contact"]["mobile"] in text


@pytest.mark.parametrize("kind", ["docx", "xlsx"])
def test_headers_in_three_lines_at_most(batch, kind):
    words = _words(batch[kind])
    for col in _layout()["columns"]:
        header = col["header"][-1] if isinstance(col["header"], list) else col["header"]
        n = _lines_of(header.replace("\n", ""), words[:1])
        assert n is not None and n <= 3, f"{kind}: 表头「{header}」印成 {n} 行"


@pytest.mark.parametrize("kind", ["docx", "xlsx"])
def test_scenario_and_company_names_whole(batch, kind):
    """A scenario name stands on one line (it is never broken inside a word); a company
    name and a factory name take at most three lines each."""
    words = _words(batch[kind])
    for r in batch["records"]:
        for s in r["scenarios"]:
            assert _lines_of(s["name"], words) == 1, f"{kind}: 场景名称「{s['name']}」被拆开"
        for label, name in (("单位名称", r["enterprise"]["name"]), ("工厂名称", r["factory"]["name"])):
            n = _lines_of(name, words)
            assert n is not None and n <= 3, f"{kind}: {label}「{name}」印成 {n} 行"
