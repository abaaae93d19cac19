"""Shanghai 附件4 filled from the minimal record (only the two （必填项） sub-parts written),
as LibreOffice prints it (issue 26): an empty sub-part shows （无） under its heading rather
than its heading running into the next, no page is left half empty before a page of
figures that would have fitted on it, and 第五部分's heading is the annex's own words."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import yaml
from click.testing import CliRunner
from docx import Document
from PIL import Image

from formgen.cli import main
from formgen.packs.pack import get_pack

from .conftest import REPORT, ROOT, link_figures, to_pdf

MINIMAL = ROOT / "data" / "examples" / "shanghai-minimal.yaml"
SOURCE = next((ROOT.parent / "shared" / "sources").glob("000_*.txt"))
CM = 72 / 2.54
TOP_CM, BOTTOM_CM = 3.0, 2.8  # the layout's page margins (forms/shanghai/a4_application.yaml)


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _poppler(name: str) -> str:
    tool = shutil.which(name)
    if tool is None:
        pytest.skip(f"poppler ({name}) 未安装：跳过 PDF 检查")
    return tool


@pytest.fixture(scope="module")
def printed(tmp_path_factory, figures_dir):
    """The minimal record's 附件4: (.docx path, .pdf path)."""
    folder = tmp_path_factory.mktemp("min")
    shutil.copy(MINIMAL, folder / MINIMAL.name)
    shutil.copy(REPORT, folder / REPORT.name)
    link_figures(figures_dir, folder / "figures")
    out = folder / "out"
    r = CliRunner().invoke(main, ["fill", str(folder / MINIMAL.name), "--pack", "shanghai", "--out", str(out)])
    assert r.exit_code == 0, r.output
    docx = next(out.glob("附件4_*.docx"))
    (pdf,) = to_pdf([docx], folder / "pdf")
    return docx, pdf


def _headings() -> list[tuple[str, int]]:
    doc = next(d for d in get_pack("shanghai").documents if d.filename.startswith("附件4"))
    return [(b["heading"], b.get("level", 1)) for b in doc.layout["blocks"] if "heading" in b]


def _body_text(pdf) -> str:
    """The printed text after the 填报说明 (which lists every heading in a row), without
    the page numbers, all white space removed."""
    text = subprocess.run([_poppler("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    lines = [ln for ln in text.splitlines() if not re.fullmatch(r"\s*—\s*\d+\s*—\s*", ln)]
    flat = _flat("\n".join(lines))
    end = "编号且附说明性文字"
    assert end in flat
    return flat[flat.index(end) + len(end) :]


def test_no_heading_runs_straight_into_the_next(printed):
    """Between two headings something is printed (the text, （无）, a figure's caption),
    except a part's heading followed by its first sub-heading."""
    _, pdf = printed
    body = _body_text(pdf)
    heads = _headings()
    at = 0
    places = []
    for text, _level in heads:
        at = body.index(_flat(text), at)
        places.append((at, at + len(_flat(text))))
        at += len(_flat(text))
    for (text, level), (nxt, nlevel), (_, end), (start, _) in zip(heads, heads[1:], places, places[1:], strict=False):
        if level == 1 and nlevel == 2:
            continue
        assert body[end:start], f"「{text}」之后紧接「{nxt}」，中间没有内容"
    # the empty optional sub-parts say so
    assert body.count("（无）") == 9  # the nine optional sub-parts the record leaves empty


def test_fifth_part_heading_is_the_annex_text(printed):
    annex = next(ln.strip() for ln in SOURCE.read_text(encoding="utf-8").splitlines() if ln.startswith("第五部分："))
    docx, pdf = printed
    heading = next(p for p in Document(str(docx)).paragraphs if p.text.startswith("第五部分"))
    assert heading.text == annex
    assert heading.style.name.startswith("Heading") or heading.style.name.startswith("heading")
    assert _flat(annex) in _body_text(pdf)


def _pages(pdf, dpi: int = 30) -> list[dict]:
    """Per page: its height (pt), the top of each printed line (pdftotext -bbox) and the
    rows (pt) that hold any ink (a rendering at ``dpi``: pictures included)."""
    bbox = subprocess.run([_poppler("pdftotext"), "-bbox", str(pdf), "-"], capture_output=True, text=True).stdout
    pages = []
    for page in re.findall(r"<page (.*?)</page>", bbox, re.S):
        words = re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)<', page)
        pages.append(
            {
                "h": float(re.search(r'height="([\d.]+)"', page).group(1)),
                "words": [(float(a), float(b), w) for a, b, w in words],
            }
        )
    folder = pdf.parent / "png"
    folder.mkdir(exist_ok=True)
    subprocess.run([_poppler("pdftoppm"), "-r", str(dpi), "-gray", "-png", str(pdf), str(folder / "p")], check=True)
    for page, png in zip(pages, sorted(folder.glob("p-*.png")), strict=True):
        im = Image.open(png).convert("L")
        w, h = im.size
        px = im.load()
        scale = page["h"] / h
        page["ink"] = [y * scale for y in range(h) if any(px[x, y] < 200 for x in range(w))]
    return pages


def test_no_page_half_empty_before_a_figure_that_would_have_fitted(printed):
    """A page printed less than half full before a page that starts with a figure: only
    where the figure and its caption need more room than the page had left."""
    _, pdf = printed
    pages = _pages(pdf)
    figure_pages = 0
    for n, (page, nxt) in enumerate(zip(pages, pages[1:], strict=False), 1):
        top, bottom = TOP_CM * CM, page["h"] - BOTTOM_CM * CM
        ink = [y for y in page["ink"] if y < bottom + 6]  # not the page number in the margin
        following = [y for y in nxt["ink"] if y < bottom + 6]
        first_line = min(a for a, _, _ in nxt["words"])
        if not following or first_line - min(following) < 3 * CM:
            continue  # the next page starts with text, not with a figure
        figure_pages += 1
        caption = next(b for a, b, w in sorted(nxt["words"]) if a == first_line)
        needed = caption - min(following)  # the figure and its caption
        used = max(ink) - top
        if used < (bottom - top) / 2:
            assert max(ink) + needed > bottom, f"第{n}页只用了{used / (bottom - top):.0%}，第{n + 1}页的图放得下"
    assert figure_pages >= 3  # ten figures: the check saw them


def test_minimal_record_reads_back_without_the_placeholders(printed, tmp_path):
    """（无） is the form's, not the applicant's: importing the filled form leaves the
    optional parts empty."""
    docx, _ = printed
    r = CliRunner().invoke(main, ["import", str(docx), "--pack", "shanghai", "--out", str(tmp_path)])
    assert r.exit_code in (0, 1), r.output  # 1: fields only 附件3/5 hold are missing, said and written
    data = yaml.safe_load(next(tmp_path.glob("*.yaml")).read_text(encoding="utf-8"))
    narrative = data.get("narrative") or {}
    assert set(narrative) == {"business", "architecture"}, sorted(narrative)
    assert not any("（无）" in str(v) for v in narrative.values())


def test_placeholders_are_not_counted_as_words(printed):
    """`formgen check` on the filled form counts no 字 under an empty optional sub-part."""
    docx, _ = printed
    r = CliRunner().invoke(main, ["check", str(docx), "--pack", "shanghai"])
    assert r.exit_code == 0, r.output
    assert re.search(r"^\s*「1、技术创新等」：0 字", r.output, re.M), r.output
    assert re.search(
        r"^\s*「第四部分：智能工厂建设成效情况介绍（依据附件2中的典型环节和场景书写）」：0 字", r.output, re.M
    )
