"""formgen check on drafts as people write them (issue 27): a Shanghai 申报书 written in Word
with heading styles and its own numbering ("1. 技术创新", "3. 智慧供应链建设"), with each
numbering style people use, with outline levels on Normal paragraphs, or with styles of
their own based on the headings. The drafts are written here with python-docx, as Word
would save them: styles carry the fonts, the text is the applicant's."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt
from lxml import etree

from formgen.cli import main
from formgen.doors.draft import check_draft, count_docx, fix_draft
from formgen.packs.pack import get_pack
from formgen.record.textcount import word_count

TITLE = "上海市先进级智能工厂申报书"
STRUCTURE_CODES = {"DR010", "DR011", "DR012"}
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

# The annex's parts (shared/sources/000, 附件4 填报说明) as an applicant words them: own
# numbering, no 等, no 的, no parenthesised remarks, 方面 left off.
PARTS = [
    ("一、申报企业基本情况介绍", ["发展历程、行业属性、行业地位", "品牌品质、专业资质、生产经营、财务状况"]),
    ("二、智能工厂建设情况介绍", ["智能工厂建设历程", "智能工厂整体架构", "智能工厂建设要素"]),
    ("三、智能工厂创新情况介绍", ["技术创新", "新技术应用", "智慧供应链建设"]),
    (
        "四、智能工厂建设成效情况介绍",
        ["绿色低碳安全环保节能", "生产效率、运营成本、综合能效", "行业引领性及产业链带动性"],
    ),
]
# the annex's own wording of the same sub-parts (the layout's, forms/shanghai/a4_application.yaml)
ANNEX_SUBS = [
    ["发展历程、行业属性、行业地位", "品牌品质、专业资质、生产经营、财务状况（必填项）"],
    ["智能工厂建设历程", "智能工厂整体架构（必填项）", "智能工厂建设要素（人员、资源、技术、制造）"],
    ["技术创新等", "新技术应用等（如AI+、5G+、工业互联网+、IoT+等）", "智慧供应链建设等"],
    ["绿色、低碳、安全、环保、节能等方面", "生产效率、运营成本、综合能效等方面", "行业的引领性及产业链带动性等方面"],
]
PHRASE = "公司围绕智能工厂建设持续投入数字化改造提升生产效率和产品质量"


def zi(n: int) -> str:
    """n 字 of body text (CJK characters only, so that Word counts exactly n)."""
    text = (PHRASE * (n // len(PHRASE) + 1))[:n]
    assert word_count(text) == n
    return text + "。"[:0]


def body_counts() -> list[list[int]]:
    """The 字 under each sub-part: distinct, so a count under the wrong heading shows."""
    return [[30 + 10 * p + s for s in range(len(subs))] for p, (_, subs) in enumerate(PARTS)]


# -- writing drafts ---------------------------------------------------------------------------


def _east_asia(element, name: str) -> None:
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in list(fonts.attrib):
        if attr.endswith("Theme"):
            del fonts.attrib[attr]
    fonts.set(qn("w:eastAsia"), name)


def _format(style, font: str) -> None:
    _east_asia(style.element, font)
    style.font.size = Pt(16)
    style.font.color.rgb = None
    pf = style.paragraph_format
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = Pt(27)
    pf.space_before = pf.space_after = Pt(0)


def new_document(heading_fonts=("黑体", "楷体_GB2312", "楷体_GB2312")) -> docx.Document:
    """A document whose Normal style is the annex's 仿宋_GB2312 三号 固定值27磅 and whose
    Heading 1/2/3 are 黑体/楷体 三号, as a careful applicant sets them up."""
    d = docx.Document()
    _format(d.styles["Normal"], "仿宋_GB2312")
    for level, font in enumerate(heading_fonts, 1):
        _format(d.styles[f"Heading {level}"], font)
    d.add_paragraph(TITLE)
    return d


def outline(paragraph, level: int) -> None:
    """An outline level set on the paragraph itself (段落→大纲级别), 0 = 1 级."""
    ppr = paragraph._p.get_or_add_pPr()
    lvl = OxmlElement("w:outlineLvl")
    lvl.set(qn("w:val"), str(level))
    ppr.append(lvl)


def write_draft(path: Path, sub_number, part_heading=None, add_heading=None, extra=None) -> Path:
    """A draft with the four parts and 第五部分. ``sub_number(i)`` numbers the i-th
    sub-part (1-based); ``add_heading(d, text, level)`` writes a heading (level 0 part,
    1 sub-part); ``extra(d, part, sub)`` may add paragraphs after a sub-part's text."""
    d = new_document()
    add_heading = add_heading or (lambda d, text, level: d.add_heading(text, level + 1))
    part_heading = part_heading or (lambda p, words: words)
    counts = body_counts()
    for p, (words, subs) in enumerate(PARTS):
        add_heading(d, part_heading(p, words), 0)
        for s, sub in enumerate(subs):
            add_heading(d, f"{sub_number(s + 1)}{sub}", 1)
            d.add_paragraph(zi(counts[p][s]))
            if extra:
                extra(d, p, s)
    add_heading(d, part_heading(4, "五、自评估报告"), 0)
    d.add_paragraph("自评估报告见附件。")
    d.save(str(path))
    return path


@pytest.fixture(scope="module")
def pack():
    return get_pack("shanghai")


def _subparts(summary):
    return [[sub for sub in part["subparts"]] for part in summary.parts[:4]]


def assert_read_right(findings, summary, counts=None):
    counts = counts or body_counts()
    assert not {"DR010", "DR011", "DR012", "DR020"} & {f.code for f in findings}, [f.text() for f in findings]
    for p, subs in enumerate(_subparts(summary)):
        assert summary.parts[p]["found"], summary.parts[p]
        assert [s["found"] for s in subs] == [True] * len(subs), subs
        assert [s["count"] for s in subs] == counts[p], (p, subs)
        assert summary.parts[p]["count"] == sum(counts[p])
    assert summary.parts[4]["found"]
    assert summary.counted["total"] == sum(map(sum, counts))


# -- heading styles and the applicant's own numbering -------------------------------------------


def test_heading_styles_with_own_numbering(tmp_path, pack):
    """The issue's draft: Heading 1/2, "1. 技术创新", "3. 智慧供应链建设"; an own
    sub-heading (Heading 3) under 第三部分 1, whose words are no body text: 64 字, not 77."""

    def extra(d, p, s):
        if (p, s) == (2, 0):
            d.add_heading("（1）视觉检测系统", 3)
            d.add_paragraph(zi(64 - body_counts()[2][0]))

    path = write_draft(tmp_path / "申报书.docx", lambda i: f"{i}. ", extra=extra)
    _, findings, summary = check_draft(path, pack)
    counts = body_counts()
    counts[2][0] = 64
    assert_read_right(findings, summary, counts)
    assert _subparts(summary)[2][0]["count"] == 64
    # which paragraph was taken for which heading, so that a wrong match would show
    lines = summary.lines()
    assert "    「1. 技术创新」→「1、技术创新等」：64 字（样式“标题 2”）" in lines
    assert "    「3. 智慧供应链建设」→「3、智慧供应链建设等」：52 字（样式“标题 2”）" in lines
    assert any(ln.startswith("  「三、智能工厂创新情况介绍」→「第三部分：") for ln in lines)
    assert any("「（1）视觉检测系统」" in ln and "第三部分 1. 技术创新" in ln for ln in lines)
    # the headings are 黑体/楷体 by their styles: no font finding on any of them
    assert not {"DR020", "DR021", "DR022", "DR023"} & {f.code for f in findings}, [f.text() for f in findings]


# (numbering before the sub-part's words, how the part headings are written)
NUMBERINGS = {
    "一、": lambda i: "一二三"[i - 1] + "、",
    "1.": lambda i: f"{i}.",
    "1、": lambda i: f"{i}、",
    "（1）": lambda i: f"（{i}）",
    "(1)": lambda i: f"({i}) ",
    "（一）": lambda i: "（" + "一二三"[i - 1] + "）",
}


@pytest.mark.parametrize("with_deng", [True, False], ids=["with-等", "without-等"])
@pytest.mark.parametrize("numbering", list(NUMBERINGS))
def test_each_numbering_style_as_plain_paragraphs(tmp_path, pack, numbering, with_deng):
    """Headings typed as plain paragraphs (no heading style), numbered each way people
    number them, with the annex's 等/的/remarks or without them: found by their words."""
    subs = ANNEX_SUBS if with_deng else [[s for s in subs] for _, subs in PARTS]

    def add_heading(d, text, level):
        d.add_paragraph(text)

    def part_heading(p, words):
        return f"第{'一二三四五'[p]}部分：{words[2:]}"

    saved = [list(s) for _, s in PARTS]
    try:
        for p, own in enumerate(subs):
            PARTS[p][1][:] = own
        path = write_draft(tmp_path / "申报书.docx", NUMBERINGS[numbering], part_heading, add_heading)
    finally:
        for p, own in enumerate(saved):
            PARTS[p][1][:] = own
    _, findings, summary = check_draft(path, pack)
    assert_read_right(findings, summary)
    lines = summary.lines()
    first = f"{NUMBERINGS[numbering](1)}{subs[2][0]}".strip()
    taken = f"「{first}」→「1、技术创新等」" if first != "1、技术创新等" else "「1、技术创新等」"
    assert f"    {taken}：{body_counts()[2][0]} 字" in lines, lines


def test_word_list_numbering_on_plain_paragraphs(tmp_path, pack):
    """Sub-headings numbered by Word's own list numbering (the number is not in the text),
    worded without 等 and 方面: found, and counted under their headings."""

    def add_heading(d, text, level):
        para = d.add_paragraph(text)
        if level == 1:
            ppr = para._p.get_or_add_pPr()
            num = OxmlElement("w:numPr")
            for tag, value in (("w:ilvl", "0"), ("w:numId", "1")):
                el = OxmlElement(tag)
                el.set(qn("w:val"), value)
                num.append(el)
            ppr.append(num)

    def part_heading(p, words):
        return f"第{'一二三四五'[p]}部分：{words[2:]}"

    path = write_draft(tmp_path / "申报书.docx", lambda i: "", part_heading, add_heading)
    _, findings, summary = check_draft(path, pack)
    assert_read_right(findings, summary)
    assert f"    「绿色低碳安全环保节能」→「1、绿色、低碳、安全、环保、节能等方面」：{body_counts()[3][0]} 字" in (
        summary.lines()
    )


def test_outline_levels_on_normal_paragraphs(tmp_path, pack):
    """No heading style at all: Normal paragraphs with an outline level (段落→大纲级别),
    one level deeper for the applicant's own sub-headings, whose words are not counted."""

    def add_heading(d, text, level):
        outline(d.add_paragraph(text), level)

    def extra(d, p, s):
        if s == 0:
            outline(d.add_paragraph("（一）主要做法"), 2)
            d.add_paragraph(zi(5))

    path = write_draft(tmp_path / "申报书.docx", lambda i: f"{i}、", add_heading=add_heading, extra=extra)
    _, findings, summary = check_draft(path, pack)
    counts = body_counts()
    for p in range(4):
        counts[p][0] += 5
    assert_read_right(findings, summary, counts)
    assert "    「1、技术创新」→「1、技术创新等」：" + f"{counts[2][0]} 字（大纲级别 2）" in summary.lines()


def test_styles_of_ones_own_based_on_headings(tmp_path, pack):
    """A style of the applicant's own based on Heading 2, and one named 标题 1 (as WPS or a
    copied template names it) that is no built-in heading."""
    d = new_document()
    mine = d.styles.add_style("申报书小标题", WD_STYLE_TYPE.PARAGRAPH)
    mine.base_style = d.styles["Heading 2"]
    named = d.styles.add_style("标题 1", WD_STYLE_TYPE.PARAGRAPH)
    named.base_style = d.styles["Normal"]
    _format(named, "黑体")
    counts = body_counts()
    for p, (words, subs) in enumerate(PARTS):
        d.add_paragraph(words, style=named)
        for s, sub in enumerate(subs):
            d.add_paragraph(f"{s + 1}. {sub}", style=mine)
            d.add_paragraph(zi(counts[p][s]))
    d.add_paragraph("五、自评估报告", style=named)
    path = tmp_path / "申报书.docx"
    d.save(str(path))
    _, findings, summary = check_draft(path, pack)
    assert_read_right(findings, summary)
    lines = summary.lines()
    assert "    「1. 技术创新」→「1、技术创新等」：" + f"{counts[2][0]} 字（样式“申报书小标题”）" in lines
    assert any(ln.startswith("  「一、申报企业基本情况介绍」→") and "样式“标题 1”" in ln for ln in lines)


def test_an_unknown_sub_heading_ends_the_sub_part_before_it(tmp_path, pack):
    """A Heading 2 the annex does not have ("4. 其他创新") is no body text, and what
    follows it is the part's own, not the sub-part's before it."""

    def extra(d, p, s):
        if (p, s) == (2, 2):
            d.add_heading("4. 其他创新", 2)
            d.add_paragraph(zi(11))

    path = write_draft(tmp_path / "申报书.docx", lambda i: f"{i}. ", extra=extra)
    _, findings, summary = check_draft(path, pack)
    third = summary.parts[2]
    assert [s["count"] for s in third["subparts"]] == body_counts()[2]
    assert third["count"] == sum(body_counts()[2]) + 11
    assert summary.counted["total"] == sum(map(sum, body_counts())) + 11
    assert any("「4. 其他创新」（样式“标题 2”），其下文字计入：第三部分" in ln for ln in summary.lines())


def test_a_table_of_contents_is_not_the_headings(tmp_path, pack):
    """Word's 目录 (TOC 1/TOC 2 lines repeating the headings, page numbers after a tab)
    before the parts: the headings are the ones below it, and the text under them counts."""
    d = new_document()
    toc = [d.styles.add_style(f"toc {n}", WD_STYLE_TYPE.PARAGRAPH) for n in (1, 2)]
    for p, (words, subs) in enumerate(PARTS):
        d.add_paragraph(f"{words}\t{p + 2}", style=toc[0])
        for s, sub in enumerate(subs):
            d.add_paragraph(f"{s + 1}. {sub}\t{p + 2}", style=toc[1])
    counts = body_counts()
    for p, (words, subs) in enumerate(PARTS):
        d.add_heading(words, 1)
        for s, sub in enumerate(subs):
            d.add_heading(f"{s + 1}. {sub}", 2)
            d.add_paragraph(zi(counts[p][s]))
    d.add_heading("五、自评估报告", 1)
    path = tmp_path / "申报书.docx"
    d.save(str(path))
    _, findings, summary = check_draft(path, pack)
    assert_read_right(findings, summary)


def test_a_body_paragraph_is_not_taken_for_a_heading(tmp_path, pack):
    """Loose matching is for headings: a numbered body paragraph that begins like one stays
    body text, counted under its heading."""
    sentence = "1、技术创新方面，公司建成视觉检测平台"

    def extra(d, p, s):
        if (p, s) == (2, 0):
            d.add_paragraph(sentence)

    path = write_draft(tmp_path / "申报书.docx", lambda i: f"{i}. ", extra=extra)
    _, findings, summary = check_draft(path, pack)
    counts = body_counts()
    counts[2][0] += word_count(sentence)
    assert_read_right(findings, summary, counts)


# -- --fix leaves headings alone and says what it could not do ----------------------------------


def _heading_xml(path: Path) -> list[bytes]:
    with zipfile.ZipFile(path) as z:
        root = etree.fromstring(z.read("word/document.xml"))
    out = []
    for p in root.iter(f"{{{W}}}p"):
        style = p.find(f"{{{W}}}pPr/{{{W}}}pStyle")
        if (style is not None and style.get(f"{{{W}}}val").startswith("Heading")) or p.find(
            f"{{{W}}}pPr/{{{W}}}outlineLvl"
        ) is not None:
            out.append(etree.tostring(p))
    return out


def _messy(tmp_path: Path, add_heading=None) -> Path:
    """The issue's draft with its body typed in 宋体 小四 (direct formatting on the runs)
    and the headings' own size set on them (小二 on Heading 1, directly)."""

    def extra(d, p, s):
        for para in d.paragraphs[-1:]:
            for run in para.runs:
                _east_asia(run._r, "宋体")
                run.font.size = Pt(12)

    def heading(d, text, level):
        h = d.add_heading(text, level + 1)
        if level == 0:
            for run in h.runs:
                run.font.size = Pt(18)

    return write_draft(tmp_path / "申报书.docx", lambda i: f"{i}. ", add_heading=add_heading or heading, extra=extra)


def test_fix_leaves_heading_paragraphs_as_they_are(tmp_path, pack):
    messy = _messy(tmp_path)
    _, findings, _ = check_draft(messy, pack)
    assert {"DR020", "DR021"} <= {f.code for f in findings}
    out = tmp_path / "修正稿.docx"
    result = fix_draft(messy, pack, None, out)
    before, after = _heading_xml(messy), _heading_xml(out)
    assert len(before) == 16 and after == before  # style, runs and text byte for byte
    assert result[1:] == (11 + 1, 5 + 11)  # body paragraphs changed, headings left
    _, left, summary = check_draft(out, pack)
    assert "DR020" not in {f.code for f in left}
    # what is left on the headings is theirs (小二 on the five parts' headings), said to be a heading
    heading_left = [f for f in left if f.code in {"DR021", "DR022", "DR023"}]
    assert len(heading_left) == 5 and all(f.extra.get("heading") for f in heading_left)
    assert_read_right([f for f in left if f.code != "DR020"], summary)


def test_fix_with_outline_levels_leaves_them_too(tmp_path, pack):
    def heading(d, text, level):
        outline(d.add_paragraph(text), level)

    messy = _messy(tmp_path, heading)
    out = tmp_path / "修正稿.docx"
    result = fix_draft(messy, pack, None, out)
    assert _heading_xml(out) == _heading_xml(messy) and result[2] == 16


def test_cli_fix_lists_what_it_could_not_fix(tmp_path):
    messy = _messy(tmp_path)
    out = tmp_path / "修正稿.docx"
    r = CliRunner().invoke(main, ["check", str(messy), "--pack", "shanghai", "--fix", str(out)])
    assert r.exit_code == 1, r.output
    lines = r.output.splitlines()
    head = next(i for i, ln in enumerate(lines) if ln.startswith("修正稿仍有"))
    listed = lines[head + 1 :]
    assert re.fullmatch(r"修正稿仍有 (\d+) 个错误未能自动修正，需手工修改：", lines[head])
    assert int(re.search(r"\d+", lines[head]).group()) == len(listed) == 5 + 2  # 5 headings, FG001, WC002
    assert "段 Word 标题（标题样式或大纲级别）未改动" in lines[head - 1]
    for ln in listed:  # one line each: where, then the rule code
        assert re.match(r"  \S.*：(DR|FG|WC)\d{3} ", ln), ln
    assert sum(1 for ln in listed if ln.startswith("  第") and "：DR021 " in ln and "¶" not in ln) == 5
    assert any("：FG001 " in ln for ln in listed) and any("「申报书第一至四部分正文」：WC002 " in ln for ln in listed)


# -- check and count --file state the same 字数 ----------------------------------------------------


def _figure(output: str, prefix: str) -> tuple[str, int]:
    line = next(ln for ln in output.splitlines() if ln.startswith(prefix))
    return line.rsplit("：", 1)[0], int(re.match(r"\d+", line.rsplit("：", 1)[1]).group())


def test_check_and_count_file_state_the_same_total(tmp_path):
    path = write_draft(tmp_path / "申报书.docx", lambda i: f"{i}. ")
    check = CliRunner().invoke(main, ["check", str(path), "--pack", "shanghai"])
    count = CliRunner().invoke(main, ["count", "--file", str(path)])
    assert count.exit_code == 0, count.output
    whole = "字数（全文，"
    assert _figure(check.output, whole) == _figure(count.output, whole)
    assert _figure(count.output, whole)[1] == count_docx(path)[0]
    # the counted parts, the same scope: the same figure and words
    counted = "字数（申报书第一至四部分正文"
    with_pack = CliRunner().invoke(main, ["count", "--file", str(path), "--pack", "shanghai"])
    assert with_pack.exit_code == 0, with_pack.output
    assert _figure(check.output, counted) == _figure(with_pack.output, counted)
    assert _figure(with_pack.output, counted)[1] == sum(map(sum, body_counts()))
    assert _figure(check.output, whole) == _figure(with_pack.output, whole)
    # plain text has no pack
    r = CliRunner().invoke(main, ["count", "智能工厂", "--pack", "shanghai"])
    assert r.exit_code == 2 and "只用于 Word 文档" in r.output


# -- a letter is not a draft -----------------------------------------------------------------------


def test_a_rectification_letter_is_not_a_draft(tmp_path):
    """formgen's own 整改通知 names 附件3《…申报单位信息表》 in its lines: check says it is no
    draft of that form (DR004, exit 2), not "检查通过" with every table cell unfound."""
    from formgen.doors.docxread import DraftError

    from .conftest import EXAMPLE

    notices = tmp_path / "整改通知"
    r = CliRunner().invoke(
        main,
        ["validate", str(EXAMPLE.with_name("shanghai-bad.yaml")), "--pack", "shanghai"]
        + ["--notices", str(notices), "--unit", "上海市浦东新区科技和经济委员会"],
    )
    (letter,) = notices.glob("*.docx")
    assert "上海市先进级智能工厂申报单位信息表" in "".join(p.text for p in docx.Document(str(letter)).paragraphs)
    r = CliRunner().invoke(main, ["check", str(letter), "--pack", "shanghai"])
    assert r.exit_code == 2, r.output
    assert "DR004" in r.output and "不是《上海市先进级智能工厂申报单位信息表》的草稿" in r.output, r.output
    assert "DR041" not in r.output and "未找到" not in r.output
    with pytest.raises(DraftError) as e:
        check_draft(letter, get_pack("shanghai"))
    assert e.value.code == "DR004"
    # a draft that has the form's headings is still checked, and --doc checks the letter anyway
    draft = write_draft(tmp_path / "申报书.docx", lambda i: f"{i}. ")
    assert CliRunner().invoke(main, ["check", str(draft), "--pack", "shanghai"]).exit_code in (0, 1)
    assert CliRunner().invoke(main, ["check", str(letter), "--pack", "shanghai", "--doc", "a3"]).exit_code in (0, 1)
