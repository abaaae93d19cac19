"""Rows that continue on a new page keep their labels, and a table that continues repeats
its header (issue 26).

Gansu 附件3 and 附件4 from the widest records ``formgen.synth`` makes, and 附件3 of the
example with two instances of one scenario, printed by LibreOffice: on every page that
holds rows of a vertically merged group (代表产线有关信息, 生产过程实现实时调度,
产线建设前后经济社会效益情况 …) the group's label prints in its column, and every page
that holds 典型场景 rows shows their column header. Read with ``pdftotext -bbox``: a
column's words, top to bottom, where the document's table grid puts them.

Then the renderer's rules on small layouts: a group that fits on a page is kept on one
page; a longer one is cut into parts, each merged and labelled again; a header row in a
table's middle starts a part of its own whose header repeats."""

from __future__ import annotations

import datetime as dt
import functools
import html
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn

from formgen import app, synth
from formgen.doors.blank import record_yaml
from formgen.doors.opener import load
from formgen.packs.pack import get_pack
from formgen.record.loader import build
from formgen.render import docx as docx_render

from .conftest import ROOT, to_pdf
from .test_gansu import _two_excellent
from .test_print_gansu import _record

TODAY = dt.date(2025, 9, 1)


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> dict[str, tuple[Path, list[list[tuple]]]]:
    """Each document (its .docx) and its PDF pages' words (x0, y0, x1, y1, text)."""
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler 的 pdftotext 未安装：跳过检查打印结果")
    gansu = get_pack("gansu")
    out = tmp_path_factory.mktemp("keeplabels")
    docs = {}
    for level, annex in (("基础级", "附件3"), ("先进级", "附件4")):
        made = synth.synthesise("gansu", level, "widest", today=TODAY)
        folder = out / level
        folder.mkdir()
        made.write_files(folder)
        path = folder / "record.yaml"
        path.write_text(record_yaml(build(path, made.data, {}).record), "utf-8")
        docs[annex] = next(p for p in app.fill(load(path), gansu, folder / "out") if p.name.startswith(annex))
    two = app.fill(load(_record(out, _two_excellent, "two.yaml")), gansu, out / "two")
    docs["附件3_two"] = next(p for p in two if p.name.startswith("附件3"))
    pdfs = to_pdf(list(docs.values()), out / "pdf")
    result = {}
    for (name, docx), pdf in zip(docs.items(), pdfs, strict=True):
        bbox = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True)
        pages = []
        for body in re.findall(r"<page [^>]*>(.*?)</page>", bbox.stdout, re.S):
            words = re.findall(
                r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', body
            )
            pages.append([(*map(float, w[:4]), html.unescape(w[4])) for w in words])
        result[name] = (docx, pages)
    return result


def _grid(docx: Path):
    """The 申请表's cells (every table of the document before the first heading's page:
    a table restarted for its header is one table to the reader) as (row, column, span,
    vMerge, text), and the x of each column edge in points, the table centred between
    the page's margins."""
    doc = Document(docx)
    section = doc.sections[0]
    left, text_width = section.left_margin.pt, (section.page_width - section.left_margin - section.right_margin) / 12700
    cells, r, twips = [], 0, None
    for tbl in doc.element.body.iterchildren(qn("w:tbl")):
        cols = [int(g.get(qn("w:w"))) for g in tbl.iter(qn("w:gridCol"))]
        if twips not in (None, cols):
            break  # another table
        twips = cols
        for tr in tbl.iterchildren(qn("w:tr")):
            c = 0
            for tc in tr.iterchildren(qn("w:tc")):
                span = tc.find(f"{qn('w:tcPr')}/{qn('w:gridSpan')}")
                span = int(span.get(qn("w:val"))) if span is not None else 1
                merge = tc.find(f"{qn('w:tcPr')}/{qn('w:vMerge')}")
                merge = None if merge is None else (merge.get(qn("w:val")) or "continue")
                text = "".join(t.text or "" for t in tc.iter(qn("w:t")))
                cells.append((r, c, span, merge, text))
                c += span
            r += 1
    widths = [w / 20 for w in twips]
    x = left + (text_width - sum(widths)) / 2
    edges = [x]
    for w in widths:
        edges.append(edges[-1] + w)
    return cells, edges


def _column(words, edges, c: int, span: int) -> str:
    """The words whose middle falls in columns c … c+span-1, top to bottom."""
    a, b = edges[c], edges[c + span]
    inside = [w for w in words if a <= (w[0] + w[2]) / 2 < b]
    return "".join(w[4] for w in sorted(inside, key=lambda w: (round(w[1]), w[0])))


def _groups(cells):
    """Each vertically merged label: (its text, column, span, the texts that start in the
    rows it spans in the column right of it, each with its own columns)."""
    found = []
    for r, c, span, merge, text in cells:
        if merge != "restart":
            continue
        end = r + 1
        while any(x[:4] == (end, c, span, "continue") for x in cells):
            end += 1
        markers = [
            (_squeeze(t), cc, s)
            for rr, cc, s, m, t in cells
            if r <= rr < end and cc == c + span and m != "continue" and len(_squeeze(t)) >= 2
        ]
        found.append((_squeeze(text), c, span, markers))
    # a text that is part of another cell's (总体描述 in …效益情况总体描述) marks no row
    texts = {_squeeze(x[4]) for x in cells}
    return [
        (label, c, span, [m for m in markers if not any(m[0] != t and m[0] in t for t in texts)])
        for label, c, span, markers in found
    ]


@pytest.mark.parametrize("name", ["附件3", "附件4", "附件3_two"])
def test_every_page_of_a_merged_group_shows_its_label(printed, name):
    docx, pages = printed[name]
    cells, edges = _grid(docx)
    missing, seen = [], {}
    for label, c, span, markers in _groups(cells):
        for n, words in enumerate(pages, 1):
            here = [m for m, cc, s in markers if m in _column(words, edges, cc, s)]
            if not here:
                continue
            seen.setdefault(label, set()).add(n)
            if label not in _column(words, edges, c, span):
                missing.append(f"第{n}页：{here[0]}… 一行没有「{label}」")
    assert not missing, missing
    assert len(seen) >= 2  # the check saw the groups
    if name == "附件3":  # the widest record's groups run over several pages
        assert len(seen["代表产线有关信息"]) >= 3


@pytest.mark.parametrize("name", ["附件3", "附件4", "附件3_two"])
def test_every_page_of_scenarios_shows_their_header(printed, name):
    """The column header over the 典型场景 rows (the layout's row before the scenarios'
    repeat) prints on every page that holds one of them."""
    docx, pages = printed[name]
    _cells, edges = _grid(docx)
    layout = get_pack("gansu").document("a3" if name.startswith("附件3") else "a4").layout
    rows = next(b["table"]["rows"] for b in layout["blocks"] if "table" in b)
    at = next(
        i for i, row in enumerate(rows) if isinstance(row, dict) and row.get("repeat", {}).get("each") == "scenarios"
    )
    header = rows[at - 1]["cells"] if isinstance(rows[at - 1], dict) else rows[at - 1]
    spans, c = [], 0
    for cell in header:
        spans.append((_squeeze(cell["text"]), c, cell.get("colspan", 1)))
        c += cell.get("colspan", 1)
    holding = [n for n, words in enumerate(pages, 1) if re.search(r"典型场景\d+：", _column(words, edges, 0, 3))]
    assert len(holding) >= 2  # the scenarios run over more than one page
    for n in holding:
        for text, c, span in spans:
            assert text in _column(pages[n - 1], edges, c, span), f"{name} 第{n}页的典型场景没有表头「{text}」"


# -- the rules, on small layouts ---------------------------------------------------------

LONG = "智能制造典型场景的建设情况说明" * 12  # about six lines of a 9 cm cell at 小四


def _layout(rows) -> dict:
    return {
        "font": {"east_asia": "仿宋_GB2312", "size": "小四"},
        "page": {"size": "A4", "margins_cm": [2.54, 2.2, 2.54, 2.2]},
        "blocks": [{"table": {"widths_cm": [1.5, 3.0, 12.1], "rows": rows}}],
    }


@functools.cache
def _example():
    return load(ROOT / "data" / "examples" / "gansu-longyuan.yaml").record


def _body(layout: dict):
    data = docx_render.render_single(layout, _example(), None)
    return Document(io.BytesIO(data)).element.body


def _labels(tbl, column_text: str) -> list[int]:
    """The rows (of ``tbl``) where a merged cell holding ``column_text`` starts."""
    out = []
    for r, tr in enumerate(tbl.iterchildren(qn("w:tr"))):
        for tc in tr.iterchildren(qn("w:tc")):
            merge = tc.find(f"{qn('w:tcPr')}/{qn('w:vMerge')}")
            if merge is not None and merge.get(qn("w:val")) == "restart":
                if "".join(t.text for t in tc.iter(qn("w:t"))) == column_text:
                    out.append(r)
    return out


def _kept(tr) -> bool:
    paras = list(tr.iter(qn("w:p")))
    return all(p.find(f"{qn('w:pPr')}/{qn('w:keepNext')}") is not None for p in paras)


def test_a_group_that_fits_on_a_page_is_kept_together():
    rows = [[{"text": "短组", "rowspan": 6}, "项目", "内容"], *[["项目", "内容"]] * 5, ["其后", "", "内容"]]
    (tbl,) = _body(_layout(rows)).iterchildren(qn("w:tbl"))
    trs = list(tbl.iterchildren(qn("w:tr")))
    assert _labels(tbl, "短组") == [0]  # one merged cell
    assert [_kept(tr) for tr in trs] == [True] * 5 + [False, False]
    assert all(tr.find(f"{qn('w:trPr')}/{qn('w:cantSplit')}") is not None for tr in trs)


def test_a_group_longer_than_a_page_is_labelled_again_on_each_part():
    rows = [[{"text": "长组", "rowspan": 12}, "项目", LONG], *[["项目", LONG]] * 11]
    (tbl,) = _body(_layout(rows)).iterchildren(qn("w:tbl"))
    trs = list(tbl.iterchildren(qn("w:tr")))
    starts = _labels(tbl, "长组")
    assert len(starts) >= 2 and starts[0] == 0  # the label in every part
    ends = [*starts[1:], len(trs)]
    for s, e in zip(starts, ends, strict=True):
        # a part is kept on one page (its rows but the last kept with the next) and fits on one
        assert [_kept(trs[r]) for r in range(s, e)] == [True] * (e - s - 1) + [False]
        assert e - s <= 7


def test_a_header_row_in_the_middle_starts_a_part_that_repeats_it():
    rows = [
        ["甲", "乙", "丙"],
        {"cells": ["序号", "名称", "描述"], "header": True},
        *[["1", "名称", "描述"]] * 3,
    ]
    body = _body(_layout(rows))
    first, second = body.iterchildren(qn("w:tbl"))
    between = first.getnext()
    assert between.tag == qn("w:p") and between.getnext() is second  # the two parts do not touch
    assert between.find(f"{qn('w:pPr')}/{qn('w:spacing')}").get(qn("w:line")) == "20"  # 1 pt
    # each part closed by its own borders (a part may end at a page's foot)
    for part in (first, second):
        assert part.find(f"{qn('w:tblPr')}/{qn('w:tblBorders')}/{qn('w:bottom')}").get(qn("w:val")) == "single"
    trs = list(second.iterchildren(qn("w:tr")))
    assert [tr.find(f"{qn('w:trPr')}/{qn('w:tblHeader')}") is not None for tr in trs] == [True, False, False, False]
    assert _kept(list(first.iterchildren(qn("w:tr")))[-1]) and _kept(trs[0])  # never a header alone
    with pytest.raises(ValueError, match="表头"):
        _body(_layout([[{"text": "跨", "rowspan": 2}, "a", "b"], {"cells": ["c", "d"], "header": True}]))


def test_a_part_opens_at_a_row_of_labels_in_the_later_half():
    """附表2's way: an instance's name over its sub-headed lists; cut where a sub-header
    (a row of labels only) opens a list, not just under it, when that is in the later half."""
    value = [{"expr": "'项'"}, {"expr": repr(LONG)}]
    rows = [[{"text": "实例", "rowspan": 8}, "种类", "说明"], value, value, ["种类二", "说明"], *[value] * 4]
    (tbl,) = _body(_layout(rows)).iterchildren(qn("w:tbl"))
    assert _labels(tbl, "实例") == [0, 3]
