"""formgen check: Word drafts checked against the annex's 填报要求 (formgen/doors/draft.py,
formgen/doors/docxread.py).

Drafts are made several ways so that the resolution logic is really exercised: the
generated Shanghai 附件4 (formgen fill on the example), the same with its XML edited (the
font only on the style, only on the runs, from the theme; sizes, spacing, headings,
figures, text), drafts written by LibreOffice from HTML and ODT, the generated Gansu
附件2/3/4; and hostile files (old .doc, encrypted, corrupt, zip bombs, XXE, 300 MB)."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import os
import shutil
import struct
import subprocess
import tracemalloc
import zipfile
from pathlib import Path

import pytest
import yaml
from lxml import etree
from PIL import Image

from formgen import app
from formgen.doors.docxread import DraftError
from formgen.doors.draft import DRAFT_RULES, check_draft, count_docx, fix_draft
from formgen.doors.opener import load
from formgen.packs.pack import get_pack
from formgen.record.textcount import word_count

from .conftest import EXAMPLE, REPORT, link_figures

ROOT = Path(__file__).resolve().parent.parent
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W, "a": "http://schemas.openxmlformats.org/drawingml/2006/main"}
FORMAT_CODES = {"DR020", "DR021", "DR022", "DR023"}


def w(tag: str) -> str:
    return f"{{{W}}}{tag}"


def codes(findings) -> list[str]:
    return [f.code for f in findings]


def errors(findings) -> list[str]:
    return [f.code for f in findings if f.is_error]


# -- making drafts -----------------------------------------------------------------------------


def rewrite(src: Path, dst: Path, edits=None, replace=None, drop=()) -> Path:
    """A copy of a .docx with XML parts edited (``edits``: part -> function(root)), parts
    replaced by bytes (``replace``) or dropped. Media are stored (cheap to write and read)."""
    edits, replace = edits or {}, replace or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            if info.filename in drop:
                continue
            data = replace.get(info.filename)
            if data is None:
                data = zin.read(info)
                if info.filename in edits:
                    root = etree.fromstring(data)
                    edits[info.filename](root)
                    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            media = info.filename.startswith("word/media/")
            zi = zipfile.ZipInfo(info.filename, info.date_time)
            zi.compress_type = zipfile.ZIP_STORED if media else zipfile.ZIP_DEFLATED
            zout.writestr(zi, data)
    return dst


def body_paras(root) -> list:
    return root.findall(f"{w('body')}/{w('p')}")


def text_of(p) -> str:
    return "".join(t.text or "" for t in p.iter(w("t")))


def para_starting(root, prefix: str):
    return next(p for p in body_paras(root) if text_of(p).startswith(prefix))


def after(root, prefix: str, n: int = 1):
    paras = body_paras(root)
    i = paras.index(para_starting(root, prefix))
    return paras[i + n]


def set_text(p, text: str):
    ts = list(p.iter(w("t")))
    ts[0].text = text
    for t in ts[1:]:
        t.text = ""


def run_fonts(root):
    return [f for f in root.iter(w("rFonts")) if f.getparent().getparent().tag == w("r")]


def style(root, style_id: str):
    return root.find(f"{w('style')}[@{w('styleId')}='{style_id}']")


def set_rfonts(rpr, east_asia: str | None = None, theme: str | None = None):
    fonts = rpr.find(w("rFonts"))
    if fonts is None:
        fonts = etree.SubElement(rpr, w("rFonts"))
        rpr.insert(0, fonts)
    for attr in ("eastAsia", "eastAsiaTheme"):
        fonts.attrib.pop(w(attr), None)
    if east_asia:
        fonts.set(w("eastAsia"), east_asia)
    if theme:
        fonts.set(w("eastAsiaTheme"), theme)


def defaults_rpr(styles_root):
    return styles_root.find(f"{w('docDefaults')}/{w('rPrDefault')}/{w('rPr')}")


def pad_jpeg(width: int, height: int, size: int) -> bytes:
    """A JPEG of ``width`` x ``height`` pixels that is exactly ``size`` bytes long: a flat
    image padded with COM segments (the pixel count is in the header, the bytes are what
    the file holds)."""
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (128, 140, 150)).save(buf, "JPEG", quality=50)
    data = buf.getvalue()
    need = size - len(data)
    assert need >= 8
    segs = []
    while need > 0:
        n = min(need, 65535 + 2)
        if need - n in (1, 2, 3):  # the last segment must hold its 4-byte head
            n -= 4
        segs.append(b"\xff\xfe" + struct.pack(">H", n - 2) + b"\x00" * (n - 4))
        need -= n
    out = data[:2] + b"".join(segs) + data[2:]
    assert len(out) == size
    return out


@pytest.fixture(scope="session")
def shanghai_pack():
    return get_pack("shanghai")


@pytest.fixture(scope="session")
def gansu_pack():
    return get_pack("gansu")


@pytest.fixture(scope="session")
def generated(tmp_path_factory, figures_dir, example_data) -> Path:
    """The example's 附件4 as ``formgen fill`` writes it (ten 8.25 MP figures > 5 MB)."""
    folder = tmp_path_factory.mktemp("draft-record")
    link_figures(figures_dir, folder / "figures")
    shutil.copy(REPORT, folder / REPORT.name)
    record = folder / EXAMPLE.name
    record.write_text(yaml.safe_dump(example_data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    paths = app.fill(load(record), get_pack("shanghai"), folder / "out")
    return next(p for p in paths if p.name.startswith("附件4"))


@pytest.fixture(scope="session")
def base(generated, tmp_path_factory) -> Path:
    """The generated 附件4 with its media stored: the start of every edited draft."""
    return rewrite(generated, tmp_path_factory.mktemp("base") / "附件4_申报书.docx")


@pytest.fixture
def draft(base, tmp_path):
    """``draft(document=fn, styles=fn, ...)`` -> a copy of the base with those parts edited."""

    def _make(name="申报书.docx", replace=None, drop=(), **edits) -> Path:
        parts = {
            {"document": "word/document.xml", "styles": "word/styles.xml", "theme": "word/theme/theme1.xml"}.get(
                k, "word/settings.xml" if k == "settings" else k
            ): v
            for k, v in edits.items()
        }
        return rewrite(base, tmp_path / name, parts, replace, drop)

    return _make


# -- the generated 附件4 ------------------------------------------------------------------------


def test_generated_draft_passes_and_counts_like_validate(generated, shanghai_pack, example_data):
    doc_id, findings, summary = check_draft(generated, shanghai_pack)
    assert doc_id == "a4"
    assert findings == [], [f.text() for f in findings]
    narrative = example_data["narrative"]
    lengths = next(e for e in shanghai_pack.checks["lengths"] if "paths" in e)
    expected = sum(word_count(narrative.get(p.split(".")[1])) for p in lengths["paths"])
    assert summary.counted["total"] == expected == 3143
    assert summary.counted["min"] == 3000 and summary.counted["max"] == 5000
    assert summary.figures == 10
    parts = summary.parts
    assert [p["heading"][:4] for p in parts] == ["第一部分", "第二部分", "第三部分", "第四部分", "第五部分"]
    assert sum(p["count"] for p in parts[:4]) == 3143
    assert parts[1]["subparts"][1]["heading"] == "2、智能工厂整体架构（必填项）"
    assert parts[1]["subparts"][1]["count"] == word_count(narrative["architecture"])
    lines = summary.lines()
    assert any("3143" in ln for ln in lines) and "配图：10 张" in lines
    json.dumps(summary.as_dict(), ensure_ascii=False)


def test_headings_come_from_the_layout(shanghai_pack):
    from formgen.doors.draft import outline

    headings = outline(shanghai_pack.document("a4"))
    layout = [b["heading"] for b in shanghai_pack.document("a4").layout["blocks"] if "heading" in b]
    assert [h.text for h in headings] == layout
    assert [h.text for h in headings if h.required] == [
        "2、品牌品质、专业资质、生产经营、财务状况（必填项）",
        "2、智能工厂整体架构（必填项）",
    ]


def test_every_rule_code_has_a_title():
    for code, (severity, title) in DRAFT_RULES.items():
        assert code.startswith("DR") and severity in ("error", "warning") and title
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    if "DR0" in readme:  # once the README's table carries them
        for code in DRAFT_RULES:
            assert code in readme, code


# -- fonts, resolved the way Word resolves them ---------------------------------------------------


def _strip_run_fonts(root):
    for f in run_fonts(root):
        f.attrib.pop(w("eastAsia"), None)


def test_font_only_on_the_style(draft, shanghai_pack):
    def styles(root):
        set_rfonts(defaults_rpr(root), "宋体")  # the defaults say otherwise: the style wins

    path = draft(document=_strip_run_fonts, styles=styles)
    _, findings, _ = check_draft(path, shanghai_pack)
    assert not FORMAT_CODES & set(codes(findings)), [f.text() for f in findings]

    def wrong(root):
        styles(root)
        set_rfonts(style(root, "Normal").find(w("rPr")), "宋体")

    path = draft("宋体.docx", document=_strip_run_fonts, styles=wrong)
    _, findings, _ = check_draft(path, shanghai_pack)
    dr020 = [f for f in findings if f.code == "DR020"]
    assert dr020 and all(f.is_error for f in dr020)
    assert "宋体" in dr020[0].message and "段落样式“正文”" in dr020[0].message
    # one finding per sub-part, naming the first paragraph and how many are affected
    first = dr020[0]
    assert first.line.startswith("第一部分 1、发展历程、行业属性、行业地位 ¶1「")
    assert first.extra["paragraph"] == 1 and first.extra["excerpt"]
    assert "段如此" in first.message


def test_font_based_on_chain_and_character_style(draft, shanghai_pack):
    """A paragraph style based on a style based on Normal; a character style; the font
    defined only at the far end of each chain."""

    def styles(root):
        set_rfonts(style(root, "Normal").find(w("rPr")), "宋体")
        base = etree.SubElement(root, w("style"), {w("type"): "paragraph", w("styleId"): "BodyBase"})
        etree.SubElement(base, w("name"), {w("val"): "Body Base"})
        etree.SubElement(base, w("basedOn"), {w("val"): "Normal"})
        rpr = etree.SubElement(base, w("rPr"))
        set_rfonts(rpr, "仿宋_GB2312")
        body = etree.SubElement(root, w("style"), {w("type"): "paragraph", w("styleId"): "Body"})
        etree.SubElement(body, w("name"), {w("val"): "Body"})
        etree.SubElement(body, w("basedOn"), {w("val"): "BodyBase"})
        char = etree.SubElement(root, w("style"), {w("type"): "character", w("styleId"): "Fang"})
        etree.SubElement(char, w("name"), {w("val"): "Fang"})
        set_rfonts(etree.SubElement(char, w("rPr")), "仿宋_GB2312")

    def document(root):
        _strip_run_fonts(root)
        for p in body_paras(root):
            ppr = p.find(w("pPr"))
            if ppr is not None and ppr.find(w("pStyle")) is None:
                ps = etree.Element(w("pStyle"), {w("val"): "Body"})
                ppr.insert(0, ps)
        # the headings get the character style instead
        for p in body_paras(root):
            ppr = p.find(w("pPr"))
            ps = ppr.find(w("pStyle")) if ppr is not None else None
            if ps is not None and ps.get(w("val")).startswith("Heading"):
                for r in p.findall(w("r")):
                    rpr = r.find(w("rPr"))
                    rpr.insert(0, etree.Element(w("rStyle"), {w("val"): "Fang"}))

    path = draft(document=document, styles=styles)
    _, findings, _ = check_draft(path, shanghai_pack)
    assert not FORMAT_CODES & set(codes(findings)), [f.text() for f in findings]


def test_font_only_on_the_runs(draft, shanghai_pack):
    def styles(root):
        set_rfonts(defaults_rpr(root), "宋体")
        set_rfonts(style(root, "Normal").find(w("rPr")), "宋体")

    _, findings, _ = check_draft(draft(styles=styles), shanghai_pack)
    assert not FORMAT_CODES & set(codes(findings)), [f.text() for f in findings]


def _theme(script_font: str, lang: str):
    def styles(root):
        set_rfonts(defaults_rpr(root), theme="minorEastAsia")
        set_rfonts(style(root, "Normal").find(w("rPr")), None)
        for sid in ("Heading1", "Heading2"):
            set_rfonts(style(root, sid).find(w("rPr")), "黑体")

    def theme(root):
        minor = root.find(".//a:minorFont", NS)
        minor.find("a:ea", NS).set("typeface", "")
        minor.find("a:font[@script='Hans']", NS).set("typeface", script_font)

    def settings(root):
        root.find(w("themeFontLang")).set(w("eastAsia"), lang)

    return {"document": _strip_run_fonts, "styles": styles, "theme": theme, "settings": settings}


def test_font_from_the_theme(draft, shanghai_pack):
    _, findings, _ = check_draft(draft(**_theme("仿宋_GB2312", "zh-CN")), shanghai_pack)
    assert not FORMAT_CODES & set(codes(findings)), [f.text() for f in findings]
    # the same theme read for Japanese: its Jpan font, not the Hans one
    _, findings, _ = check_draft(draft("ja.docx", **_theme("仿宋_GB2312", "ja-JP")), shanghai_pack)
    dr020 = [f for f in findings if f.code == "DR020"]
    assert dr020 and "ＭＳ 明朝" in dr020[0].message and "主题字体" in dr020[0].message


def test_no_chinese_font_anywhere(draft, shanghai_pack):
    def styles(root):
        for rpr in [defaults_rpr(root), style(root, "Normal").find(w("rPr"))]:
            set_rfonts(rpr, None)

    _, findings, _ = check_draft(draft(document=_strip_run_fonts, styles=styles), shanghai_pack)
    dr020 = [f for f in findings if f.code == "DR020"]
    assert dr020 and "未指定" in dr020[0].message


def test_fangsong_is_the_same_family_with_a_warning(draft, shanghai_pack):
    def document(root):
        for f in run_fonts(root):
            if f.get(w("eastAsia")) == "仿宋_GB2312":
                f.set(w("eastAsia"), "仿宋")
        next(after(root, "1、技术创新等").iter(w("rFonts"))).set(w("eastAsia"), "FangSong")

    _, findings, _ = check_draft(draft(document=document), shanghai_pack)
    dr020 = [f for f in findings if f.code == "DR020"]
    assert len(dr020) == 1 and dr020[0].severity == "warning"
    assert "仿宋" in dr020[0].message and "FangSong" in dr020[0].message and "可以接受" in dr020[0].message
    assert not errors(findings)
    # FangSong_GB2312 is 仿宋_GB2312's English name: no warning at all
    _, findings, _ = check_draft(
        draft(
            "en.docx",
            document=lambda r: [
                f.set(w("eastAsia"), "FangSong_GB2312") for f in run_fonts(r) if f.get(w("eastAsia")) == "仿宋_GB2312"
            ],
        ),
        shanghai_pack,
    )
    assert findings == []


def test_heading_font(draft, shanghai_pack):
    """Headings may use the body font or a 公文 heading font (黑体, 楷体); 宋体 is neither."""

    def document(root):
        p = para_starting(root, "2、智能工厂整体架构")
        for f in p.iter(w("rFonts")):
            f.set(w("eastAsia"), "宋体")

    _, findings, _ = check_draft(draft(document=document), shanghai_pack)
    assert codes(findings) == ["DR023"], [f.text() for f in findings]
    f = findings[0]
    assert f.line.startswith("第二部分 2、智能工厂整体架构（必填项）") and "宋体" in f.message

    def fangsong(root):
        for f in para_starting(root, "2、智能工厂整体架构").iter(w("rFonts")):
            f.set(w("eastAsia"), "仿宋_GB2312")

    _, findings, _ = check_draft(draft("fs.docx", document=fangsong), shanghai_pack)
    assert findings == []


# -- size and line spacing -------------------------------------------------------------------


def test_size_both_ways(draft, shanghai_pack):
    def small(root):
        p = after(root, "2、智能工厂整体架构")
        for sz in p.iter(w("sz")):
            sz.set(w("val"), "31")  # 15.5 pt

    _, findings, _ = check_draft(draft(document=small), shanghai_pack)
    assert codes(findings) == ["DR021"]
    assert "15.5 磅" in findings[0].message and "三号（16 磅）" in findings[0].message
    assert findings[0].line.startswith("第二部分 2、智能工厂整体架构（必填项） ¶1「")

    def from_style(root):  # size only on the Normal style (16 pt): passes
        for sz in root.iter(w("sz")):
            if sz.getparent().getparent().tag == w("r") and sz.get(w("val")) == "32":
                sz.getparent().remove(sz)

    _, findings, _ = check_draft(draft("style.docx", document=from_style), shanghai_pack)
    assert findings == []

    def four(root):
        for sz in style(root, "Normal").iter(w("sz")):
            sz.set(w("val"), "28")

    _, findings, _ = check_draft(draft("four.docx", document=from_style, styles=four), shanghai_pack)
    dr021 = [f for f in findings if f.code == "DR021"]
    assert dr021 and "四号（14 磅）" in dr021[0].message and "段落样式“正文”" in dr021[0].message


def _spacing(p, line: str | None, rule: str | None):
    ppr = p.find(w("pPr"))
    if ppr is None:
        ppr = etree.Element(w("pPr"))
        p.insert(0, ppr)
    sp = ppr.find(w("spacing"))
    if sp is None:
        sp = etree.SubElement(ppr, w("spacing"))
    for k, v in (("line", line), ("lineRule", rule)):
        if v is None:
            sp.attrib.pop(w(k), None)
        else:
            sp.set(w(k), v)


def test_line_spacing_both_ways(draft, shanghai_pack):
    for line, rule, shown in (
        ("360", "auto", "1.5 倍行距"),
        ("540", "atLeast", "最小值 27 磅"),
        ("539", "exact", "固定值 26.95 磅"),
    ):
        path = draft(f"{rule}.docx", document=lambda r, a=line, b=rule: _spacing(after(r, "1、技术创新等"), a, b))
        _, findings, _ = check_draft(path, shanghai_pack)
        assert codes(findings) == ["DR022"], (rule, [f.text() for f in findings])
        assert shown in findings[0].message and "应为固定值 27 磅" in findings[0].message
        assert findings[0].line.startswith("第三部分 1、技术创新等 ¶1「")
    # exact 27 pt given directly, or only by the style: both pass
    path = draft("direct.docx", document=lambda r: _spacing(after(r, "1、技术创新等"), "540", "exact"))
    assert check_draft(path, shanghai_pack)[1] == []

    def normal_only(root):  # the generated body takes 27 pt from Normal; make it the only source
        sp = style(root, "Normal").find(f"{w('pPr')}/{w('spacing')}")
        assert sp.get(w("lineRule")) == "exact" and sp.get(w("line")) == "540"

    assert check_draft(draft("normal.docx", styles=normal_only), shanghai_pack)[1] == []

    def normal_single(root):
        style(root, "Normal").find(f"{w('pPr')}/{w('spacing')}").set(w("lineRule"), "auto")
        style(root, "Normal").find(f"{w('pPr')}/{w('spacing')}").set(w("line"), "240")

    _, findings, _ = check_draft(draft("single.docx", styles=normal_single), shanghai_pack)
    assert {"DR022"} == set(codes(findings)) and "段落样式“正文”" in findings[0].message


# -- structure ----------------------------------------------------------------------------------


def test_headings_tolerate_numbering_spaces_and_punctuation(draft, shanghai_pack):
    def document(root):
        set_text(para_starting(root, "第一部分"), "第一部分  申报企业基本情况介绍")
        set_text(para_starting(root, "1、发展历程"), "（1）发展历程，行业属性，行业地位")
        set_text(para_starting(root, "2、品牌品质"), "2. 品牌品质、专业资质、生产经营、财务状况")  # （必填项） left off
        set_text(para_starting(root, "第二部分"), "二、智能工厂建设情况介绍")
        set_text(para_starting(root, "1、智能工厂建设历程"), "智能工厂建设历程")  # Word's own numbering
        set_text(para_starting(root, "2、智能工厂整体架构"), "２．智能工厂整体架构（必填项）")
        set_text(para_starting(root, "3、智能工厂建设要素"), "3、智能工厂建设要素(人员、资源、技术、制造)")
        set_text(para_starting(root, "第五部分"), "第五部分：自评估报告")

    doc_id, findings, summary = check_draft(draft(document=document), shanghai_pack)
    assert findings == [], [f.text() for f in findings]
    assert summary.counted["total"] == 3143


def test_run_in_heading(draft, shanghai_pack):
    def document(root):
        heading = para_starting(root, "2、智能工厂整体架构")
        body = after(root, "2、智能工厂整体架构")
        text = text_of(body)
        set_text(heading, "2、智能工厂整体架构（必填项）：" + text)
        heading.getparent().remove(body)

    _, findings, summary = check_draft(draft(document=document), shanghai_pack)
    assert not {"DR010", "DR011", "DR012"} & set(codes(findings)), [f.text() for f in findings]
    assert summary.counted["total"] == 3143


def test_missing_required_part_both_ways(draft, shanghai_pack):
    def no_heading(root):
        para_starting(root, "2、品牌品质").getparent().remove(para_starting(root, "2、品牌品质"))

    _, findings, _ = check_draft(draft(document=no_heading), shanghai_pack)
    dr012 = [f for f in findings if f.code == "DR012"]
    assert (
        len(dr012) == 1 and "缺少必填项小节「2、品牌品质、专业资质、生产经营、财务状况（必填项）」" in dr012[0].message
    )
    assert "DR010" not in codes(findings)  # said once, as the 必填项 rule

    def empty(root):
        paras = body_paras(root)
        i = paras.index(para_starting(root, "2、智能工厂整体架构"))
        for p in paras[i + 1 :]:
            if text_of(p).startswith("3、智能工厂建设要素") or p.find(".//" + w("drawing")) is not None:
                break
            p.getparent().remove(p)

    _, findings, _ = check_draft(draft("empty.docx", document=empty), shanghai_pack)
    dr012 = [f for f in findings if f.code == "DR012"]
    assert len(dr012) == 1 and "下没有正文" in dr012[0].message
    assert dr012[0].line.startswith("第二部分 2、智能工厂整体架构（必填项）")
    # an optional sub-part without its heading: a warning; a part without its heading: an error
    _, findings, _ = check_draft(
        draft("opt.docx", document=lambda r: r.find(w("body")).remove(para_starting(r, "3、智慧供应链"))), shanghai_pack
    )
    assert [(f.code, f.severity) for f in findings] == [("DR010", "warning")]
    _, findings, _ = check_draft(
        draft("part.docx", document=lambda r: r.find(w("body")).remove(para_starting(r, "第三部分"))), shanghai_pack
    )
    assert [(f.code, f.severity) for f in findings] == [("DR010", "error")]


def test_headings_out_of_order(draft, shanghai_pack):
    def document(root):
        a = para_starting(root, "1、技术创新等")
        b = para_starting(root, "3、智慧供应链建设等")
        ta, tb = text_of(a), text_of(b)
        set_text(a, tb)
        set_text(b, ta)

    _, findings, _ = check_draft(draft(document=document), shanghai_pack)
    dr011 = [f for f in findings if f.code == "DR011"]
    assert dr011 and all(f.line.startswith("第三部分") for f in dr011)
    assert any("1、技术创新等" in f.message or "3、智慧供应链建设等" in f.message for f in dr011)

    def moved(root):  # part four's heading moved to the top of part one: one finding
        body = root.find(w("body"))
        four = para_starting(root, "第四部分")
        body.remove(four)
        para_starting(root, "第一部分").addprevious(four)

    _, findings, _ = check_draft(draft("moved.docx", document=moved), shanghai_pack)
    assert [f.code for f in findings if f.code.startswith("DR01")] == ["DR011"], [f.text() for f in findings]


def test_instructions_copied_into_the_body_are_not_the_headings(draft, shanghai_pack):
    """A draft that pastes the 填报说明 as paragraphs (not in the header table): its list
    of headings is not taken for the draft's own."""

    def document(root):
        table = root.find(f"{w('body')}/{w('tbl')}")
        cell = table.findall(w("tr"))[2].find(w("tc"))
        for p in reversed(cell.findall(w("p"))):
            table.addnext(copy.deepcopy(p))
        table.findall(w("tr"))[2].getparent().remove(table.findall(w("tr"))[2])
        # the real part one heading removed: the list above must not stand in for it
        real = [p for p in body_paras(root) if text_of(p) == "第一部分：申报企业基本情况介绍"][-1]
        root.find(w("body")).remove(real)

    _, findings, _ = check_draft(draft(document=document), shanghai_pack)
    assert [f.code for f in findings if f.code.startswith("DR01")] == ["DR010"], [f.text() for f in findings]


# -- 字数 ----------------------------------------------------------------------------------------


def _total_to(target: int, current: int = 3143):
    """Sub-part 第二部分 2 rewritten so that parts 一-四 count ``target`` 字."""

    def document(root):
        paras = body_paras(root)
        i = paras.index(para_starting(root, "2、智能工厂整体架构"))
        own = []
        for p in paras[i + 1 :]:
            if text_of(p).startswith("3、智能工厂建设要素"):
                break
            own.append(p)
        n = sum(word_count(text_of(p)) for p in own) + target - current
        assert n > 0
        set_text(own[0], "字" * n)
        for p in own[1:]:
            set_text(p, "")

    return document


@pytest.mark.parametrize(("target", "code"), [(2999, "WC002"), (3000, None), (5000, None), (5001, "WC001")])
def test_word_count_limits(draft, shanghai_pack, target, code):
    _, findings, summary = check_draft(draft(f"{target}.docx", document=_total_to(target)), shanghai_pack)
    assert summary.counted["total"] == target
    assert codes(findings) == ([code] if code else []), [f.text() for f in findings]
    if code:
        assert findings[0].label == "申报书第一至四部分正文" and str(target) in findings[0].message


def test_part_five_and_captions_do_not_count(draft, shanghai_pack):
    def document(root):
        set_text(after(root, "第五部分"), "字" * 4000)
        cap = next(p for p in body_paras(root) if text_of(p).startswith("图3 "))
        set_text(cap, "图3 " + "说" * 100)

    _, findings, summary = check_draft(draft(document=document), shanghai_pack)
    assert summary.counted["total"] == 3143 and findings == []


def test_tables_in_a_part_count(draft, shanghai_pack):
    def document(root):
        header = root.find(f"{w('body')}/{w('tbl')}")
        t = copy.deepcopy(header)
        for tr in t.findall(w("tr"))[1:]:
            t.remove(tr)
        after(root, "1、技术创新等").addnext(t)  # 企业名称 | 上海澄川… | 工厂名称 | 澄川…智能工厂

    _, findings, summary = check_draft(draft(document=document), shanghai_pack)
    added = sum(
        word_count(x)
        for x in (
            "企业名称",
            "上海澄川精密机械股份有限公司",
            "（需加盖公章）",
            "工厂名称",
            "澄川精密汽车零部件智能工厂",
        )
    )
    assert summary.counted["total"] == 3143 + added == 3143 + 42 and findings == []


# -- figures ----------------------------------------------------------------------------------------


def _drop_last_figure(root):
    paras = body_paras(root)
    pic = [p for p in paras if p.find(".//" + w("drawing")) is not None][-1]
    cap = paras[paras.index(pic) + 1]
    assert text_of(cap).startswith("图10")
    pic.getparent().remove(pic)
    cap.getparent().remove(cap)


def test_figure_count_both_ways(draft, shanghai_pack):
    _, findings, summary = check_draft(draft(document=_drop_last_figure), shanghai_pack)
    assert codes(findings) == ["FG001"] and summary.figures == 9
    assert "9 张" in findings[0].message and "10 张" in findings[0].message


@pytest.mark.parametrize(
    ("width", "height", "size", "code"),
    [
        (3160, 2500, 6 << 20, "FG003"),  # 7.9 megapixels
        (3200, 2500, 6 << 20, None),  # 8.0 megapixels exactly
        (3300, 2500, (5 << 20) - 1, "FG004"),  # one byte short of 5 MB
        (3300, 2500, 5 << 20, None),  # 5 MB exactly
    ],
)
def test_figure_pixels_and_bytes_both_ways(draft, shanghai_pack, width, height, size, code):
    image = pad_jpeg(width, height, size)
    path = draft(f"{width}-{size}.docx", replace={"word/media/image4.jpg": image})
    _, findings, _ = check_draft(path, shanghai_pack)
    assert codes(findings) == ([code] if code else []), [f.text() for f in findings]
    if code == "FG003":
        assert "3160×2500 = 7,900,000 像素 < 8,000,000" in findings[0].message
        assert "不压缩文件中的图像" in findings[0].message
    if code == "FG004":
        assert f"{size:,} 字节 < 5,242,880 字节" in findings[0].message
    if code:
        assert "第4张图片" in findings[0].message and findings[0].line.startswith("第二部分")


def test_figures_numbered_in_order_with_a_caption(draft, shanghai_pack):
    def skip_number(root):  # 图1-图3, 图5-图11: one number skipped
        for n in range(10, 3, -1):
            cap = next(p for p in body_paras(root) if text_of(p).startswith(f"图{n} "))
            set_text(cap, text_of(cap).replace(f"图{n}", f"图{n + 1}"))

    _, findings, _ = check_draft(draft(document=skip_number), shanghai_pack)
    assert codes(findings) == ["DR030"]
    assert "图5" in findings[0].message and "应为 图4" in findings[0].message

    def no_words(root):
        set_text(next(p for p in body_paras(root) if text_of(p).startswith("图6 ")), "图6")

    _, findings, _ = check_draft(draft("nowords.docx", document=no_words), shanghai_pack)
    assert codes(findings) == ["FG005"] and "没有说明性文字" in findings[0].message

    def no_caption(root):
        cap = next(p for p in body_paras(root) if text_of(p).startswith("图7 "))
        cap.getparent().remove(cap)

    _, findings, _ = check_draft(draft("nocap.docx", document=no_caption), shanghai_pack)
    assert "FG005" in codes(findings) and "第7张图片没有“图7 说明文字”" in findings[0].message

    def word_caption(root):  # Word's 插入题注: "图 {SEQ 图} 说明" — the field result is the number
        cap = next(p for p in body_paras(root) if text_of(p).startswith("图2 "))
        set_text(cap, "图 ")
        r = cap.findall(w("r"))[0]
        parts = [("begin", None), (None, " SEQ 图 \\* ARABIC "), ("separate", None), (None, "2"), ("end", None)]
        for kind, text in parts:
            nr = etree.SubElement(cap, w("r"))
            if kind:
                etree.SubElement(nr, w("fldChar"), {w("fldCharType"): kind})
            elif text.startswith(" SEQ"):
                etree.SubElement(nr, w("instrText")).text = text
            else:
                etree.SubElement(nr, w("t")).text = text
        etree.SubElement(etree.SubElement(cap, w("r")), w("t")).text = " 智能工厂整体架构图"
        assert r is not None

    _, findings, _ = check_draft(draft("seq.docx", document=word_caption), shanghai_pack)
    assert findings == [], [f.text() for f in findings]


def test_linked_picture(draft, shanghai_pack):
    def document(root):
        blip = list(root.iter("{http://schemas.openxmlformats.org/drawingml/2006/main}blip"))[0]
        rid = blip.attrib.pop("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}embed")
        blip.set("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}link", rid)

    _, findings, _ = check_draft(draft(document=document), shanghai_pack)
    assert codes(findings) == ["FG002"] and "链接" in findings[0].message


# -- the header table: the record rules on what its cells hold -----------------------------------


def _cell(root, label: str):
    table = root.find(f"{w('body')}/{w('tbl')}")
    for tr in table.findall(w("tr")):
        tcs = tr.findall(w("tc"))
        for i, tc in enumerate(tcs):
            if "".join(t.text or "" for t in tc.iter(w("t"))) == label:
                return tcs[i + 1]
    raise AssertionError(label)


def test_header_table_rules(draft, shanghai_pack):
    def document(root):
        set_text(_cell(root, "工厂名称").find(w("p")), "Chengchuan精密机械股份有限公司数字化工厂")
        set_text(_cell(root, "所属区域").find(w("p")), "南汇区")
        set_text(_cell(root, "所属行业").find(w("p")), "汽车制造")

    _, findings, _ = check_draft(draft(document=document), shanghai_pack)
    by = {f.code: f for f in findings}
    assert set(by) >= {"FN001", "FN003", "EN001"}, [f.text() for f in findings]
    assert by["FN003"].line == "表格1 第1行「工厂名称」" and by["FN003"].path == "factory.name"
    assert "19 个汉字" in by["FN003"].message and "18.33" in by["FN003"].message
    en = [f for f in findings if f.code == "EN001"]
    assert any("浦东新区" in f.message for f in en) and any("汽车制造" in f.message for f in en)

    def ok14(root):  # "AI" + 12 CJK = 12.67 -> 13: allowed, as for a record
        set_text(_cell(root, "工厂名称").find(w("p")), "AI澄川精密汽车零部件智能工厂")

    assert check_draft(draft("ok.docx", document=ok14), shanghai_pack)[1] == []

    def empty(root):
        set_text(_cell(root, "企业名称").find(w("p")), "")

    _, findings, _ = check_draft(draft("empty.docx", document=empty), shanghai_pack)
    assert codes(findings) == ["DR040"] and findings[0].line == "表格1 第1行「企业名称」"


# -- which document it is --------------------------------------------------------------------


def test_document_recognised_or_named(draft, shanghai_pack, gansu_pack, generated):
    path = draft(document=lambda r: set_text(para_starting(r, "上海市先进级智能工厂申报书"), "申报材料"))
    with pytest.raises(DraftError) as e:
        check_draft(path, shanghai_pack)
    assert e.value.code == "DR002" and "--doc" in str(e.value) and "a4" in str(e.value)
    assert check_draft(path, shanghai_pack, "a4")[0] == "a4"
    with pytest.raises(DraftError, match="没有可检查的 Word 文档 a9"):
        check_draft(generated, shanghai_pack, "a9")
    _, findings, _ = check_draft(generated, shanghai_pack, "a3")
    assert "DR003" in codes(findings)
    with pytest.raises(DraftError, match="无法从标题判断"):
        check_draft(generated, gansu_pack)


def test_findings_are_json(draft, shanghai_pack):
    from formgen.doors.draft import summary_json

    _, findings, summary = check_draft(draft(document=_drop_last_figure), shanghai_pack)
    payload = json.loads(json.dumps(summary_json("a4", findings, summary, "x.docx"), ensure_ascii=False))
    assert payload["errors"] == 1 and payload["findings"][0]["code"] == "FG001"
    assert set(payload["findings"][0]) >= {"code", "severity", "path", "label", "message", "source", "line"}


# -- drafts written by LibreOffice ------------------------------------------------------------------


def _soffice():
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        pytest.skip("LibreOffice (soffice) 未安装：跳过 LibreOffice 写出的草稿")
    return exe


def _convert(src: Path, target: str, outdir: Path) -> Path:
    outdir.mkdir(exist_ok=True)
    subprocess.run(
        [
            _soffice(),
            f"-env:UserInstallation=file://{outdir / 'profile'}",
            "--headless",
            "--convert-to",
            target,
            "--outdir",
            str(outdir),
            str(src),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    out = outdir / (src.stem + "." + target.split(":")[0])
    assert out.exists()
    return out


def _html(shanghai_pack, body_font="仿宋_GB2312") -> str:
    """The 附件4 as a web page: headings from the layout, a paragraph of text under each."""
    blocks = shanghai_pack.document("a4").layout["blocks"]
    rows = "<tr><td>企业名称</td><td>上海澄川精密机械股份有限公司</td><td>工厂名称</td><td>澄川精密汽车零部件智能工厂</td></tr>"
    rows += "<tr><td>所属行业</td><td>汽车</td><td>所属区域</td><td>浦东新区</td></tr>"
    out = [
        "<html><head><meta charset='utf-8'><style>",
        f"p.body {{ font-family: '{body_font}'; font-size: 16pt; line-height: 27pt; }}",
        "h1 { font-family: '黑体'; font-size: 16pt; line-height: 27pt; }",
        "h2 { font-family: '楷体_GB2312'; font-size: 16pt; line-height: 27pt; }",
        "</style></head><body>",
        "<p>上海市先进级智能工厂申报书</p>",
        f"<table border='1'>{rows}</table>",
    ]
    for b in blocks:
        if "heading" in b:
            tag = "h1" if b.get("level", 1) == 1 else "h2"
            out.append(f"<{tag}>{b['heading']}</{tag}>")
            out.append("<p class='body'>" + "公司推进智能工厂建设，" * 30 + "</p>")
    out.append("</body></html>")
    return "\n".join(out)


def test_libreoffice_from_html(tmp_path, shanghai_pack):
    """LibreOffice turns CSS line-height into 最小值 (at least): a reviewer's Word shows
    最小值 27 磅, not 固定值. Fonts and sizes sit on styles based on others."""
    html = tmp_path / "申报书.html"
    html.write_text(_html(shanghai_pack), encoding="utf-8")
    docx = _convert(html, "docx:MS Word 2007 XML", tmp_path / "lo")
    _, findings, summary = check_draft(docx, shanghai_pack)
    fmt = [f for f in findings if f.code in FORMAT_CODES]
    assert {f.code for f in fmt} == {"DR022"}, [f.text() for f in findings]
    assert all("最小值 27 磅" in f.message for f in fmt)
    assert not {"DR010", "DR011", "DR012", "DR040"} & set(codes(findings)), [f.text() for f in findings]
    assert summary.fonts["east_asia"].get("仿宋_GB2312")
    fixed = tmp_path / "修正.docx"
    fix_draft(docx, shanghai_pack, None, fixed)
    _, after_fix, _ = check_draft(fixed, shanghai_pack)
    # what is left is on Word's headings (their style), which --fix leaves as they are
    left = [f for f in after_fix if f.code in FORMAT_CODES]
    assert all(f.extra.get("heading") for f in left), [f.text() for f in left]


def test_libreoffice_from_odt(tmp_path, shanghai_pack):
    """HTML -> ODT (LibreOffice) with the body style's line height made fixed, then ODT ->
    DOCX: styles structured as LibreOffice writes them from its own document."""
    for font, bad in (("仿宋_GB2312", False), ("宋体", True)):
        work = tmp_path / font
        work.mkdir()
        html = work / "申报书.html"
        html.write_text(_html(shanghai_pack, font), encoding="utf-8")
        odt = _convert(html, "odt", work / "odt")
        fixed_odt = work / "申报书.odt"
        with zipfile.ZipFile(odt) as zin, zipfile.ZipFile(fixed_odt, "w") as zout:
            for info in zin.infolist():
                data = zin.read(info)
                if info.filename in ("styles.xml", "content.xml"):
                    data = data.replace(b"style:line-height-at-least=", b"fo:line-height=")
                zout.writestr(info, data)
        docx = _convert(fixed_odt, "docx:MS Word 2007 XML", work / "docx")
        _, findings, _ = check_draft(docx, shanghai_pack)
        fmt = {f.code for f in findings if f.code in FORMAT_CODES}
        assert fmt == ({"DR020"} if bad else set()), [f.text() for f in findings]


# -- fixing -------------------------------------------------------------------------------------


def _messy(root):
    """Body in 宋体 小四 at 1.5 lines, one heading in 宋体, one run on a theme font."""
    for f in run_fonts(root):
        if f.get(w("eastAsia")) == "仿宋_GB2312":
            f.set(w("eastAsia"), "宋体")
    for sz in root.iter(w("sz")):
        if sz.get(w("val")) == "32":
            sz.set(w("val"), "24")
    for p in body_paras(root)[5:]:
        if p.find(".//" + w("drawing")) is None:
            _spacing(p, "360", "auto")
    for f in para_starting(root, "1、智能工厂建设历程").iter(w("rFonts")):
        f.set(w("eastAsia"), "宋体")
    f = next(iter(run_fonts(after(root, "1、技术创新等"))))
    f.set(w("eastAsiaTheme"), "minorEastAsia")


def _texts(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        root = etree.fromstring(z.read("word/document.xml"))
    return [text_of(p) for p in root.iter(w("p"))]


def test_fix_draft(draft, shanghai_pack, tmp_path):
    messy = draft("messy.docx", document=_messy)
    _, findings, _ = check_draft(messy, shanghai_pack)
    assert {"DR020", "DR021", "DR022", "DR023"} <= set(codes(findings))
    before = hashlib.sha256(messy.read_bytes()).hexdigest()
    out = tmp_path / "out" / "申报书_修正.docx"
    doc_id, changed, kept = fix_draft(messy, shanghai_pack, None, out)
    assert doc_id == "a4" and changed > 40 and kept == 16
    assert hashlib.sha256(messy.read_bytes()).hexdigest() == before  # the original untouched
    _, findings, summary = check_draft(out, shanghai_pack)
    # the body is fixed; Word's headings (Heading 1/2) are left as they are, and said to be
    assert findings and all(f.extra.get("heading") for f in findings), [f.text() for f in findings]
    assert summary.counted["total"] == 3143 and summary.figures == 10
    assert _texts(out) == _texts(messy)
    with zipfile.ZipFile(messy) as a, zipfile.ZipFile(out) as b:
        assert a.namelist() == b.namelist()
        for name in a.namelist():
            if name != "word/document.xml":
                assert a.getinfo(name).CRC == b.getinfo(name).CRC, name
    # python-docx opens it (schema order kept)
    import docx

    assert docx.Document(str(out)).paragraphs
    # never over the original, never over an existing file without force
    with pytest.raises(DraftError, match="不能覆盖原稿"):
        fix_draft(messy, shanghai_pack, None, messy)
    with pytest.raises(DraftError, match="已存在"):
        fix_draft(messy, shanghai_pack, None, out)
    fix_draft(messy, shanghai_pack, None, out, force=True)
    with pytest.raises(DraftError, match=r"\.docx"):
        fix_draft(messy, shanghai_pack, None, tmp_path / "x.doc")


def test_fix_keeps_picture_paragraphs_unclipped(draft, shanghai_pack, tmp_path):
    out = tmp_path / "f.docx"
    fix_draft(draft("messy.docx", document=_messy), shanghai_pack, None, out)
    with zipfile.ZipFile(out) as z:
        root = etree.fromstring(z.read("word/document.xml"))
    for p in body_paras(root):
        if p.find(".//" + w("drawing")) is not None:
            sp = p.find(f"{w('pPr')}/{w('spacing')}")
            assert sp is None or sp.get(w("lineRule")) != "exact"


def test_gansu_draft_cannot_be_fixed(gansu_drafts, gansu_pack, tmp_path):
    with pytest.raises(DraftError, match="无需修正"):
        fix_draft(gansu_drafts["a3"], gansu_pack, None, tmp_path / "x.docx")


# -- count --------------------------------------------------------------------------------------


def test_count_docx_like_word(generated, draft):
    import docx as pydocx

    total, parts = count_docx(generated)
    d = pydocx.Document(str(generated))
    expected = sum(word_count(p.text) for p in d.paragraphs)
    for t in d.tables:  # merged cells appear once per grid column in python-docx
        seen = set()  # the elements themselves: ids of dropped proxies are reused
        for row in t.rows:
            for cell in row.cells:
                if cell._tc not in seen:
                    seen.add(cell._tc)
                    expected += sum(word_count(p.text) for p in cell.paragraphs)
    assert total == expected == sum(n for _, n in parts)
    assert parts[0][0] == "（标题前）"
    assert parts[1] == ("第一部分：申报企业基本情况介绍", word_count("第一部分：申报企业基本情况介绍"))
    assert "2、智能工厂整体架构（必填项）" in [h for h, _ in parts]

    # headers and footers are not counted
    def footer(root):
        for t in root.iter(w("t")):
            t.text = (t.text or "") + "页脚文字很多很多"

    assert count_docx(draft(**{"word/footer1.xml": footer}))[0] == total


def test_count_text_boxes_once_and_not_deleted_text_or_field_codes(draft):
    box = (
        f'<w:r xmlns:w="{W}" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
        'xmlns:v="urn:schemas-microsoft-com:vml"><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing>'
        "<wps:txbx><w:txbxContent><w:p><w:r><w:t>文本框</w:t></w:r></w:p></w:txbxContent></wps:txbx>"
        "</w:drawing></mc:Choice><mc:Fallback><w:pict><v:textbox><w:txbxContent><w:p><w:r><w:t>文本框</w:t>"
        "</w:r></w:p></w:txbxContent></v:textbox></w:pict></mc:Fallback></mc:AlternateContent></w:r>"
    )

    def document(root):
        p = after(root, "第五部分")
        p.append(etree.fromstring(box))
        extra = etree.fromstring(
            f'<w:p xmlns:w="{W}"><w:del><w:r><w:delText>删除的文字</w:delText></w:r></w:del>'
            '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGE </w:instrText></w:r>'
            '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>7</w:t></w:r>'
            '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
        )
        p.addnext(extra)

    before = count_docx(draft("a.docx"))[0]
    assert count_docx(draft("b.docx", document=document))[0] == before + 3 + 1


def test_count_without_heading_styles(tmp_path):
    import docx as pydocx

    d = pydocx.Document()
    d.add_paragraph("封面文字")
    d.add_paragraph("第一部分 基本情况")
    d.add_paragraph("公司成立于2006年。")
    d.add_paragraph("一、建设情况")
    d.add_paragraph("AI+5G 应用")
    path = tmp_path / "plain.docx"
    d.save(str(path))
    total, parts = count_docx(path)
    assert parts == [("（标题前）", 4), ("第一部分 基本情况", 8 + 8), ("一、建设情况", 6 + 3)]
    assert total == 29


# -- Gansu: the table cells by label ------------------------------------------------------------


@pytest.fixture(scope="session")
def gansu_drafts(tmp_path_factory) -> dict[str, Path]:
    """The example's Gansu 附件2 and 附件3 (基础级), and 附件4 for the record applying for
    先进级 (written as a draft: that record lacks what 先进级 asks)."""
    folder = tmp_path_factory.mktemp("gansu")
    src = ROOT / "data" / "examples" / "gansu-longyuan.yaml"
    data = yaml.safe_load(src.read_text(encoding="utf-8"))
    shutil.copy(src, folder / src.name)
    pack = get_pack("gansu")
    out = {}
    for name, data_ in (
        (src.name, None),
        ("advanced.yaml", {**data, "factory": {**data["factory"], "level": "先进级"}}),
    ):
        if data_ is not None:
            (folder / name).write_text(yaml.safe_dump(data_, allow_unicode=True, sort_keys=False), encoding="utf-8")
        for fname, blob in app.render_single(load(folder / name), pack, draft=data_ is not None):
            key = fname.split("_")[0].replace("附件", "a")
            out.setdefault(key, folder / fname)
            (folder / fname).write_bytes(blob)
    return out


def _gansu_cell(root, label: str):
    for tr in root.iter(w("tr")):
        tcs = tr.findall(w("tc"))
        for i, tc in enumerate(tcs):
            if "".join(t.text or "" for t in tc.iter(w("t"))).replace("\n", "") == label and i + 1 < len(tcs):
                return tcs[i + 1]
    raise AssertionError(label)


def test_gansu_generated_drafts_pass(gansu_drafts, gansu_pack):
    for key in ("a2", "a3"):
        doc_id, findings, summary = check_draft(gansu_drafts[key], gansu_pack)
        assert doc_id == key and findings == [], [f.text() for f in findings]
        assert summary.fields and summary.counted is None


@pytest.mark.parametrize(("key", "limit"), [("a3", 400), ("a2", 500)])
def test_gansu_intro_limit_both_ways(gansu_drafts, gansu_pack, tmp_path, key, limit):
    for n, code in ((limit, None), (limit + 1, "WC001")):
        path = rewrite(
            gansu_drafts[key],
            tmp_path / f"{key}-{n}.docx",
            {"word/document.xml": lambda r, n=n: set_text(_gansu_cell(r, "企业简介").find(w("p")), "字" * n)},
        )
        _, findings, _ = check_draft(path, gansu_pack)
        assert codes(findings) == ([code] if code else []), [f.text() for f in findings]
        if code:
            f = findings[0]
            assert f.label == "企业简介" and f.path == "enterprise.intro"
            assert f.line.startswith("表格1 第") and f.line.endswith("「企业简介」")
            assert f"{n} 字，超过 {limit} 字的上限" in f.message


def test_gansu_advanced_intro_target_is_a_warning(gansu_drafts, gansu_pack):
    doc_id, findings, _ = check_draft(gansu_drafts["a4"], gansu_pack)
    assert doc_id == "a4"
    wc = [f for f in findings if f.code == "WC003"]
    assert wc and wc[0].severity == "warning" and "400 字左右" in wc[0].message
    empty = {f.label for f in findings if f.code == "DR040"}
    assert {"项目简述", "项目地址"} <= empty


def test_gansu_required_cells_and_list_rows(gansu_drafts, gansu_pack, tmp_path):
    def document(root):
        set_text(_gansu_cell(root, "企业名称").find(w("p")), "")
        set_text(_gansu_cell(root, "详细地址").find(w("p")), "")
        # a scenario row with a name but no description; an extra row left empty is fine
        rows = [tr for tr in root.iter(w("tr")) if "典型场景2：" in "".join(t.text or "" for t in tr.iter(w("t")))]
        desc = rows[0].findall(w("tc"))[-1]
        for t in desc.iter(w("t")):
            t.text = ""
        blank = copy.deepcopy(rows[0])
        for t in blank.iter(w("t")):
            t.text = ""
        rows[0].addnext(blank)

    path = rewrite(gansu_drafts["a3"], tmp_path / "a3.docx", {"word/document.xml": document})
    _, findings, _ = check_draft(path, gansu_pack)
    got = sorted((f.code, f.label, f.line) for f in findings)
    assert [(c, lab) for c, lab, _ in got] == [
        ("DR040", "企业名称"),
        ("DR040", "典型场景描述"),
        ("DR040", "详细地址"),
    ], got
    # the 典型场景 rows are the 申请表's second part (a table of its own, whose header repeats)
    assert [line.split(" ")[0] for _, _, line in sorted(got)] == ["表格1", "表格2", "表格1"]


def test_gansu_scenario_description_limit(gansu_drafts, gansu_pack, tmp_path):
    for n, expected in ((300, []), (301, ["WC001"])):

        def document(root, n=n):
            rows = [tr for tr in root.iter(w("tr")) if "典型场景1：" in "".join(t.text or "" for t in tr.iter(w("t")))]
            set_text(rows[0].findall(w("tc"))[-1].find(w("p")), "字" * n)

        path = rewrite(gansu_drafts["a3"], tmp_path / f"a3-{n}.docx", {"word/document.xml": document})
        _, findings, _ = check_draft(path, gansu_pack)
        assert codes(findings) == expected, [f.text() for f in findings]
    assert findings[0].label == "典型场景描述" and "301 字，超过 300 字" in findings[0].message


def test_shanghai_info_form_draft(generated, shanghai_pack):
    """附件3 (one cell per value, two values after one label): its generated draft passes."""
    a3 = next(generated.parent.glob("附件3_*.docx"))
    doc_id, findings, _ = check_draft(a3, shanghai_pack)
    assert doc_id == "a3" and findings == [], [f.text() for f in findings]


def test_gansu_record_rules_on_cells(gansu_drafts, gansu_pack, tmp_path):
    def document(root):
        set_text(_gansu_cell(root, "统一社会信用代码").find(w("p")), "916201037102653101")
        set_text(_gansu_cell(root, "手机").find(w("p")), "1399314521")

    path = rewrite(gansu_drafts["a2"], tmp_path / "a2.docx", {"word/document.xml": document})
    _, findings, _ = check_draft(path, gansu_pack)
    assert sorted(codes(findings)) == ["ID001", "PH001"], [f.text() for f in findings]
    assert all(f.line and f.line.startswith("表格1 第") for f in findings)


# -- bad input ------------------------------------------------------------------------------------


def _ole(names: list[str]) -> bytes:
    """A minimal OLE compound file whose directory holds ``names``."""
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<I", header, 0x2C, 1)  # one FAT sector
    struct.pack_into("<I", header, 0x30, 1)  # directory at sector 1
    struct.pack_into("<III", header, 0x38, 4096, 0xFFFFFFFE, 0)
    struct.pack_into("<II", header, 0x44, 0xFFFFFFFE, 0)
    difat = [0] + [0xFFFFFFFF] * 108
    struct.pack_into("<109I", header, 0x4C, *difat)
    fat = bytearray(b"\xff" * 512)
    struct.pack_into("<II", fat, 0, 0xFFFFFFFD, 0xFFFFFFFE)
    directory = bytearray(512)
    for i, name in enumerate(["Root Entry", *names][:4]):
        raw = name.encode("utf-16-le") + b"\x00\x00"
        directory[i * 128 : i * 128 + len(raw)] = raw
        struct.pack_into("<H", directory, i * 128 + 0x40, len(raw))
    return bytes(header + fat + directory)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("申报书.txt", "第一部分：申报企业基本情况介绍".encode(), "纯文本"),
        ("申报书.pdf", b"%PDF-1.7\n...", "PDF"),
        ("申报书.docx", b"", "空文件"),
        ("申报书.rtf", b"{\\rtf1\\ansi ...}", "RTF"),
        ("申报书.doc", _ole(["WordDocument", "1Table"]), "另存为 .docx"),
        ("申报书.docx", _ole(["EncryptionInfo", "EncryptedPackage"]), "密码"),
        ("申报书.docx", b"\x00\x01garbage" * 10, "不是 Word 文档"),
    ],
)
def test_not_a_docx(tmp_path, shanghai_pack, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DraftError) as e:
        check_draft(path, shanghai_pack)
    assert expected in str(e.value) and "\n" not in str(e.value) and e.value.code == "DR001"
    with pytest.raises(DraftError):
        count_docx(path)


def test_real_old_doc(tmp_path, shanghai_pack):
    """A .doc written by LibreOffice (Word 97-2003 format)."""
    import docx as pydocx

    d = pydocx.Document()
    d.add_paragraph("上海市先进级智能工厂申报书")
    src = tmp_path / "申报书.docx"
    d.save(str(src))
    doc = _convert(src, "doc", tmp_path / "doc")
    with pytest.raises(DraftError, match="旧版 Word 97-2003 文档（.doc），请在 Word 或 WPS 中另存为 .docx"):
        check_draft(doc, shanghai_pack)


def test_other_zips(tmp_path, shanghai_pack):
    odt = tmp_path / "a.docx"
    with zipfile.ZipFile(odt, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", "<x/>")
    with pytest.raises(DraftError, match="OpenDocument"):
        check_draft(odt, shanghai_pack)
    xlsx = tmp_path / "b.docx"
    with zipfile.ZipFile(xlsx, "w") as z:
        z.writestr("xl/workbook.xml", "<x/>")
    with pytest.raises(DraftError, match="Excel"):
        check_draft(xlsx, shanghai_pack)
    folder = tmp_path / "c.docx"
    folder.mkdir()
    with pytest.raises(DraftError, match="文件夹"):
        check_draft(folder, shanghai_pack)
    with pytest.raises(DraftError, match="不存在"):
        check_draft(tmp_path / "none.docx", shanghai_pack)


def test_corrupt_zip(base, tmp_path, shanghai_pack):
    data = base.read_bytes()
    cut = tmp_path / "cut.docx"
    cut.write_bytes(data[: len(data) // 2])  # central directory lost
    with pytest.raises(DraftError, match="已损坏"):
        check_draft(cut, shanghai_pack)
    # document.xml's compressed bytes damaged: found when it is read
    with zipfile.ZipFile(base) as z:
        info = z.getinfo("word/document.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    broken = bytearray(data)
    for i in range(start + 100, start + 400):
        broken[i] ^= 0x5A
    bad = tmp_path / "crc.docx"
    bad.write_bytes(bytes(broken))
    with pytest.raises(DraftError, match="已损坏|XML"):
        check_draft(bad, shanghai_pack)


def test_zip_bomb_refused_before_inflating(tmp_path, shanghai_pack, base):
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(base) as zin, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if not info.filename.startswith("word/media/"):
                zout.writestr(info.filename, zin.read(info))
        zout.writestr("word/media/zeros.bin", b"\x00" * (64 << 20))  # 64 MB of zeros: ~64 KB stored
    assert bomb.stat().st_size < 2 << 20
    tracemalloc.start()
    try:
        with pytest.raises(DraftError, match="压缩炸弹"):
            check_draft(bomb, shanghai_pack)
        assert tracemalloc.get_traced_memory()[1] < 16 << 20
    finally:
        tracemalloc.stop()


def test_document_xml_over_its_cap(tmp_path, shanghai_pack, base):
    """An incompressible document.xml over 32 MB: refused from its declared size, before
    it is read."""
    import base64

    big = tmp_path / "big.docx"
    filler = base64.b64encode(os.urandom(25 << 20))
    with zipfile.ZipFile(base) as zin, zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "word/document.xml":
                data = data.replace(b"</w:body>", b"<w:p><w:r><w:t>" + filler + b"</w:t></w:r></w:p></w:body>")
            if not info.filename.startswith("word/media/"):
                zout.writestr(info.filename, data)
    with pytest.raises(DraftError, match="32 MB"):
        check_draft(big, shanghai_pack)


def test_external_entities_never_resolved(tmp_path, shanghai_pack, base):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-TOKEN", encoding="utf-8")
    for kind, dtd in (
        ("xxe", f'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file://{secret}">]>'),
        (
            "laughs",
            '<!DOCTYPE w:document [<!ENTITY a "哈哈哈哈哈哈哈哈"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
            '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>',
        ),
    ):
        path = tmp_path / f"{kind}.docx"
        with zipfile.ZipFile(base) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                data = zin.read(info)
                if info.filename == "word/document.xml":
                    head, rest = data.split(b"?>", 1)
                    ref = b"&xxe;" if kind == "xxe" else b"&d;"
                    rest = rest.replace(
                        "上海市先进级智能工厂申报书".encode(), "上海市先进级智能工厂申报书".encode() + ref, 1
                    )
                    data = head + b"?>" + dtd.encode() + rest
                zout.writestr(info.filename, data)
        with pytest.raises(DraftError) as e:
            check_draft(path, shanghai_pack)
        assert "DTD" in str(e.value) and "TOP-SECRET" not in str(e.value)
        with pytest.raises(DraftError):
            count_docx(path)


def test_300_mb_draft_stays_small_in_memory(tmp_path, shanghai_pack, base):
    """Thirty 10 MB images: measured from their headers, never read whole."""
    buf = io.BytesIO()
    Image.new("RGB", (3300, 2500), (90, 90, 90)).save(buf, "JPEG", quality=50)
    head = buf.getvalue()
    big = tmp_path / "big.docx"
    chunk = os.urandom(1 << 20)
    with zipfile.ZipFile(base) as zin, zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as zout:
        media = [i for i in zin.infolist() if i.filename.startswith("word/media/")]
        for info in zin.infolist():
            if info in media:
                continue
            zout.writestr(info.filename, zin.read(info))
        for i, info in enumerate(media * 3):
            name = info.filename if i < len(media) else f"word/media/extra{i}.jpg"
            zi = zipfile.ZipInfo(name)
            zi.compress_type = zipfile.ZIP_STORED
            with zout.open(zi, "w") as f:
                f.write(head)
                for _ in range(10):
                    f.write(chunk)
    assert big.stat().st_size > 300e6
    tracemalloc.start()
    try:
        _, findings, _ = check_draft(big, shanghai_pack)
        total, _ = count_docx(big)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert findings == [], [f.text() for f in findings]
    assert total > 3000
    assert peak < 40 << 20, peak


def test_format_checked_without_any_heading(draft, shanghai_pack, tmp_path):
    """A draft whose headings are all unrecognisable still has its body checked (from the
    title on), and can still be fixed."""

    def document(root):
        for p in body_paras(root):
            ppr = p.find(w("pPr"))
            style = ppr.find(w("pStyle")) if ppr is not None else None
            if style is not None and style.get(w("val")).startswith("Heading"):
                set_text(p, "（标题）")
        for f in run_fonts(root):
            if f.get(w("eastAsia")) == "仿宋_GB2312":
                f.set(w("eastAsia"), "宋体")

    path = draft(document=document)
    _, findings, _ = check_draft(path, shanghai_pack)
    assert "DR020" in codes(findings) and "DR010" in codes(findings)
    out = tmp_path / "fixed.docx"
    fix_draft(path, shanghai_pack, None, out)
    assert "DR020" not in codes(check_draft(out, shanghai_pack)[1])


# -- the command line (once cli.py has `check` and the new `count`) --------------------------


def _cli(*args):
    from click.testing import CliRunner

    from formgen.cli import main

    if "check" not in main.commands:
        pytest.skip("formgen check 尚未接入 cli.py")
    return CliRunner().invoke(main, [str(a) for a in args])


def test_cli_check(generated, draft, tmp_path):
    r = _cli("check", generated, "--pack", "shanghai")
    assert r.exit_code == 0 and "检查通过" in r.output and "3143" in r.output
    r = _cli("check", draft(document=_drop_last_figure), "--pack", "shanghai", "--format", "json")
    payload = json.loads(r.output)
    assert r.exit_code == 1 and payload["findings"][0]["code"] == "FG001" and payload["summary"]["figures"] == 9
    bad = tmp_path / "x.doc"
    bad.write_bytes(_ole(["WordDocument"]))
    r = _cli("check", bad, "--pack", "shanghai")
    assert r.exit_code == 2 and "另存为 .docx" in r.output and "Traceback" not in r.output
    messy = draft("messy.docx", document=_messy)
    r = _cli("check", messy, "--pack", "shanghai", "--fix", tmp_path / "fixed.docx")
    assert (tmp_path / "fixed.docx").exists()
    # the headings (Heading 1/2) are not touched: what is left is listed, one line each
    lines = r.output.splitlines()
    head = next(i for i, ln in enumerate(lines) if ln.startswith("修正稿仍有"))
    left = lines[head + 1 :]
    _, findings, _ = check_draft(tmp_path / "fixed.docx", get_pack("shanghai"))
    assert r.exit_code == 1 and f"修正稿仍有 {len(left)} 个错误" in lines[head]
    assert len(left) == len([f for f in findings if f.is_error]) > 0
    assert all(f"：{f.code} " in ln and ln.strip().startswith(f.line) for ln, f in zip(left, findings, strict=True))


def test_cli_count_docx(generated):
    r = _cli("count", "--file", generated)
    lines = r.output.splitlines()
    assert r.exit_code == 0 and lines[0].endswith(f"）：{count_docx(generated)[0]}") and "全文" in lines[0]
    assert any(ln.strip().startswith("2、智能工厂整体架构（必填项）：") for ln in lines)
