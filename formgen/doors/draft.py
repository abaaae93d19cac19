"""``formgen check``: a Word draft of a form checked against its annex's 填报要求, the way
a reviewer will check it, and ``formgen count`` on a .docx.

Most enterprises write the 申报书 in Word. :func:`check_draft` reads such a draft (through
:mod:`formgen.doors.docxread`: bounded, entities never resolved, images measured from their
headers) and says, with the same kind of findings ``validate`` gives for a record:

- which document of the pack it is (its title, or ``--doc``);
- for a document whose annex states its format (``DRAFT_SETTINGS``; Shanghai 附件4): the
  parts and sub-part headings of the layout found in order — first the paragraphs Word
  knows as headings (heading styles, styles based on them, outline levels), then plain
  paragraphs, both by their words matched loosely (numbering, 等, 的, remarks, spaces and
  punctuation aside; the headings are the layout's, not retyped here) — each shown with the
  draft's paragraph taken for it, the text under each counted without the headings;
  the （必填项） sub-parts present and not empty, the body's Chinese font, size and line
  spacing resolved as Word resolves them, and the figures (count, pixels and bytes as
  stored, numbered 图N in order with a caption);
- for every document: the cells of its tables found by the layout's labels, the required
  ones not empty, the 字数 limits of ``checks.lengths`` counted as Word counts, and the
  record rules that apply to what the cells hold (factory name, the pack's lists, codes,
  phone numbers: the same rule functions as for a record, the same codes).

Where a finding is: ``Finding.line`` is a place a Word user can find — the heading the
paragraph stands under, its number there and its first characters to search for with
Ctrl+F (``第二部分 2、智能工厂整体架构（必填项） ¶3「公司于2019年…」``), or a table cell
(``表格1 第1行「工厂名称」``); ``Finding.extra`` holds the same as data.

:func:`fix_draft` writes a copy whose body text has the annex's font, size and line
spacing (direct formatting on the body's paragraphs and runs; the text, the tables, the
figures and every paragraph with a heading style or an outline level untouched), through
:func:`formgen.output.write_all`; the original is never modified.

``check`` and ``count --file`` state the whole document's 字数 in the same words
(:data:`WHOLE_SCOPE`), next to the 字数 the annex's limit is about.
"""

from __future__ import annotations

import difflib
import mmap
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..packs.pack import Document, Limit, Pack, _label_text
from ..record import paths
from ..record.findings import ERROR, WARNING, Finding
from ..record.textcount import word_count
from ..render.ooxml import ZIHAO, size_pt
from ..rules.lengths import judge
from .docxread import (
    Body,
    Docx,
    DraftError,
    Para,
    Styles,
    copy_with,
    image_facts,
    paragraph_elements,
    parse_xml,
    q,
    read_body,
    read_notes,
    runs_of,
    serialize,
    set_paragraph_format,
    set_run_format,
)

__all__ = [
    "DRAFT_RULES",
    "DraftError",
    "DraftSummary",
    "check_draft",
    "count_docx",
    "fix_draft",
]

# The rules only a draft has (code -> severity, title). Rules a record has too keep their
# codes: 字数 WC001-WC003, 工厂名称 FN001-FN003, lists EN001, codes ID001-ID003, phones
# PH001-PH004, figures FG001-FG005.
DRAFT_RULES = {
    "DR001": (ERROR, "Word 文档无法读取：不是 .docx、旧版 .doc、设有密码、已损坏、压缩炸弹、含实体声明或过大"),
    "DR002": (ERROR, "无法判断草稿是表格包中的哪份文档（请用 --doc 指定）"),
    "DR003": (WARNING, "草稿标题与 --doc 指定的文档不一致"),
    "DR004": (ERROR, "文件提到表格的标题，却没有它的任何标题或表格栏目（如整改通知），不是它的草稿"),
    "DR010": (ERROR, "缺少附件规定的部分或小节标题（可以不写内容的小节缺标题为警告）"),
    "DR011": (ERROR, "部分或小节标题的顺序与附件不一致"),
    "DR012": (ERROR, "（必填项）小节缺失或没有正文"),
    "DR020": (ERROR, "正文中文字体不符合填报要求（同属仿宋的“仿宋”“FangSong”为警告）"),
    "DR021": (ERROR, "正文字号不符合填报要求"),
    "DR022": (ERROR, "正文行距不符合填报要求"),
    "DR023": (ERROR, "标题字体既不是正文字体，也不是公文标题常用的黑体、楷体"),
    "DR030": (ERROR, "配图编号不是按顺序的图1、图2……"),
    "DR040": (ERROR, "表格中必填的栏目为空"),
    "DR041": (WARNING, "表格中找不到附件的栏目，未能检查"),
}

# Which documents state their format, structure and figures in their annex. A manifest
# may say the same under ``checks.draft: {DOC_ID: {format: true, structure: true,
# figures: true}}``; these are the built-in ones.
# Shanghai 附件4 填报要求: 1 字数 3000-5000, 2 字体 仿宋GB2312 三号, 3 行间距 固定值27磅,
# 4 配图; 填报说明: the parts and sub-parts, two of them （必填项）.
DRAFT_SETTINGS = {("shanghai", "a4"): {"format": True, "structure": True, "figures": True}}

# 仿宋_GB2312 under its two names; 仿宋 (Windows' own FangSong) is the same design family,
# accepted with a warning. 公文 headings: 黑体 (一级), 楷体 (二级), 仿宋 bold (三级).
SAME_FONT = {"仿宋_gb2312": "仿宋_GB2312", "fangsong_gb2312": "仿宋_GB2312"}
SAME_FAMILY = {"仿宋", "fangsong"}
HEADING_FONTS = {"黑体", "simhei", "楷体_gb2312", "楷体", "kaiti", "kaiti_gb2312"}

MAX_EXCERPT = 12


# -- small text helpers --------------------------------------------------------------------

_CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九", 0)}


def _cn_number(text: str) -> int | None:
    """'3' -> 3, '十二' -> 12, '二十' -> 20."""
    if text.isdigit():
        return int(text)
    if not text or any(c not in _CN_DIGITS and c != "十" for c in text):
        return None
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)
    return _CN_DIGITS[text] if len(text) == 1 else None


def _norm(text: str) -> str:
    """Compared text: NFKC (full-width punctuation and digits to half-width), no white space."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


_NUM = r"(\d+|[一二三四五六七八九十]+)"
# 第一部分 / (一) (1) / 一、 1、 1. 1) / 3.1 (part 3, its 1); white space already gone
_PREFIX = re.compile(rf"^(?:第{_NUM}部分|\({_NUM}\)|(?:\d+\.(?=\d))?{_NUM})[、.:,)]*")


def _split_number(norm: str) -> tuple[str | None, int | None, str]:
    """'第二部分:智能工厂…' -> ('part', 2, '智能工厂…'); '2、品牌…' -> ('num', 2, '品牌…').

    >>> _split_number("(一)技术创新")
    ('num', 1, '技术创新')
    >>> _split_number("3.1技术创新")
    ('num', 1, '技术创新')
    """
    m = _PREFIX.match(norm)
    if not m:
        return None, None, norm
    if m.group(1):
        return "part", _cn_number(m.group(1)), norm[m.end() :]
    return "num", _cn_number(m.group(2) or m.group(3)), norm[m.end() :]


def _main(rest: str) -> str:
    """A heading's words without what stands in parentheses (（必填项）, （亮点、特点）…)."""
    prev = None
    while prev != rest:
        prev, rest = rest, re.sub(r"\([^()]*\)", "", rest)
    return rest.strip(":;。,.").strip()


def _key(text: str) -> str:
    """Compared heading words: punctuation left out (、 , ， ; all alike)."""
    return "".join(ch for ch in text if not unicodedata.category(ch).startswith("P"))


def _excerpt(text: str) -> str:
    t = re.sub(r"\s+", " ", text or "").strip().replace("!", "！")
    return t[:MAX_EXCERPT] + ("…" if len(t) > MAX_EXCERPT else "")


_CJK = re.compile(r"[\u2e80-\u2fff\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0002fa1f]")

_ZIHAO_NAME = {}
for _name, _pt in ZIHAO.items():
    _ZIHAO_NAME.setdefault(float(_pt), _name)


def _size_name(pt: float) -> str:
    name = _ZIHAO_NAME.get(float(pt))
    shown = f"{pt:g}"
    return f"{name}（{shown} 磅）" if name else f"{shown} 磅"


def _spacing_name(value: float, rule: str) -> str:
    if rule == "exact":
        return f"固定值 {value:g} 磅"
    if rule == "atLeast":
        return f"最小值 {value:g} 磅"
    names = {1.0: "单倍行距", 1.5: "1.5 倍行距", 2.0: "2 倍行距"}
    return names.get(round(value, 2), f"多倍行距 {value:g}")


# -- where a finding is ----------------------------------------------------------------------


@dataclass
class Where:
    line: str
    extra: dict

    @staticmethod
    def para(section: str, number: int | None, text: str) -> Where:
        ex = _excerpt(text)
        num = f" ¶{number}" if number else ""
        return Where(f"{section}{num}「{ex}」", {"section": section, "paragraph": number, "excerpt": ex})

    @staticmethod
    def cell(table: int, row: int, label: str) -> Where:
        return Where(f"表格{table + 1} 第{row + 1}行「{label}」", {"table": table + 1, "row": row + 1})


def _finding(code: str, where: Where | None, message: str, source: str, label: str = "", path: str = "", severity=None):
    sev = severity or (DRAFT_RULES[code][0] if code in DRAFT_RULES else ERROR)
    return Finding(
        code, sev, path, label, message, source, where.line if where else None, dict(where.extra) if where else {}
    )


# -- which document it is -------------------------------------------------------------------


def _candidates(pack: Pack) -> list[Document]:
    return [d for d in pack.documents if d.single and "docx" in d.formats]


def _title_core(doc: Document) -> str:
    title = doc.title
    head, _, rest = title.partition(" ")
    return _norm(rest if rest and head.startswith("附件") else title)


def identify(body: Body, pack: Pack) -> Document | None:
    """The document whose title the draft carries near its top (the longest that fits)."""
    cores = sorted(((_title_core(d), d) for d in _candidates(pack)), key=lambda x: -len(x[0]))
    for p in body.paras[:80]:
        norm = _norm(p.text)
        if not norm or len(norm) > 80:
            continue
        for core, doc in cores:
            if core and core in norm:
                return doc
    return None


def _choose(body: Body, pack: Pack, doc_id: str | None, name: str) -> tuple[Document, list[tuple]]:
    found = identify(body, pack)
    options = "、".join(f"{d.id}（{d.title}）" for d in _candidates(pack)) or "（无）"
    if doc_id is None:
        if found is None:
            raise DraftError(
                f"无法从标题判断 {name} 是表格包 {pack.name} 中的哪份文档，请用 --doc 指定：{options}", "DR002"
            )
        return found, []
    doc = next((d for d in _candidates(pack) if d.id == doc_id), None)
    if doc is None:
        raise DraftError(f"表格包 {pack.name} 没有可检查的 Word 文档 {doc_id}；可选：{options}", "DR002")
    notes = []
    if found is not None and found.id != doc.id:
        notes.append(("DR003", f"草稿标题像是 {found.title}，按 --doc 指定的 {doc.title} 检查"))
    return doc, notes


def _settings(pack: Pack, doc: Document) -> dict:
    own = (pack.checks.get("draft") or {}).get(doc.id)
    return dict(own) if isinstance(own, dict) else dict(DRAFT_SETTINGS.get((pack.name, doc.id), {}))


def _doc_stub(doc: Document) -> dict:
    """A record-like mapping for which the document's ``when`` holds, so that the
    manifest's per-level settings (``checks.lengths`` entries with ``when``) can be chosen
    for a draft: Gansu 附件3 is 基础级, so 企业简介 限400字."""
    stub: dict = {}

    def walk(when: dict | None):
        for path, wanted in (when or {}).items():
            if path == "any":
                if wanted:
                    walk(wanted[0])
                continue
            if isinstance(wanted, dict):
                if wanted.get("filled"):
                    paths.put(stub, path, ["…"])
                continue
            paths.put(stub, path, wanted[0] if isinstance(wanted, list) else wanted)

    walk(doc.when)
    return stub


def _limits(pack: Pack, doc: Document) -> list[Limit]:
    """The 字数 limits that apply to the document's records (the pack reads them)."""
    return pack.limits(_doc_stub(doc))


# -- the layout's outline: parts, sub-parts, the fields under them ---------------------------


@dataclass
class Heading:
    text: str  # as the layout has it
    level: int
    part: int  # 1-based part number
    number: int  # its own number: the part's for a part, the sub-part's within its part
    fields: list[tuple[str, bool, str]] = field(default_factory=list)  # (path, optional, label)
    subs: list[int] = field(default_factory=list)  # indexes of its sub-parts (for a part)

    @property
    def rest(self) -> str:
        return _split_number(_norm(self.text))[2]

    @property
    def main(self) -> str:
        return _main(self.rest)

    @property
    def loose(self) -> str:
        return _loose(self.text)

    @property
    def required(self) -> bool:
        return any(not opt for _, opt, _ in self.fields)


def outline(doc: Document) -> list[Heading]:
    """The parts and sub-parts of a document (its headings) with the record's text under
    each, read from the typed layout (:mod:`formgen.packs.layout`)."""
    from ..packs.layout import HeadingBlock, TextBlock

    out: list[Heading] = []
    part = 0
    sub = 0
    for block in getattr(doc.model, "blocks", []):
        if isinstance(block, HeadingBlock):
            if block.level == 1:
                part, sub = part + 1, 0
                out.append(Heading(block.heading, 1, part, part))
            else:
                sub += 1
                out.append(Heading(block.heading, block.level, part, sub))
                for h in reversed(out[:-1]):
                    if h.level == 1:
                        h.subs.append(len(out) - 1)
                        break
        elif isinstance(block, TextBlock) and out:
            t = block.text
            out[-1].fields.append((t.field, t.optional, t.label or ""))
    return out


def stand_ins(doc: Document) -> set[str]:
    """The layout's stand-ins for a text the record left empty (``if_empty``: 上海附件4's
    （无）), normalised: the form's words, neither read back nor counted as the applicant's."""
    blocks = doc.layout.get("blocks") or []
    return {
        _norm(b["text"]["if_empty"]) for b in blocks if isinstance(b.get("text"), dict) and b["text"].get("if_empty")
    }


_CN = "零一二三四五六七八九十"


def _part_name(n: int) -> str:
    return f"第{_CN[n] if n <= 10 else n}部分"


# -- finding the headings in the draft -----------------------------------------------------


@dataclass
class Match:
    heading: int
    para: int  # index in body.paras
    rest: str = ""  # text of a run-in heading's paragraph after the heading words
    how: str = ""  # what made it a heading in Word (样式“标题 2”, 大纲级别 2); "" for its text alone


def _run_in_rest(raw: str, words: str) -> str | None:
    """The raw text after the heading words (``words``, a :func:`_key`) in a paragraph
    that begins with them."""
    acc = ""
    for i, ch in enumerate(raw):
        acc += _key(_norm(ch))
        if words in acc:
            rest = raw[i + 1 :]
            return re.sub(r"^[\s（(][^）)]{0,30}[）)]", "", rest).lstrip(" \t:：。．.、，,;；")
    return None


def _loose(text: str) -> str:
    """A heading's words compared loosely: no numbering, no remarks in parentheses, no
    等 or 的, no punctuation or spaces.

    >>> _loose("2、新技术应用等（如AI+、5G+、工业互联网+、IoT+等）") == _loose("（2） 新技术的应用")
    True
    >>> _loose("第三部分：智能工厂创新情况介绍（亮点、特点）")
    '智能工厂创新情况介绍'
    """
    rest = _split_number(_norm(text))[2]
    return re.sub("[等的]", "", _key(_main(rest)))


def _likeness(draft: str, annex: str) -> int:
    """How well a draft's heading words (:func:`_loose`) fit the annex's: 3 the same, 2 one
    begins the other (绿色低碳安全环保节能 / …节能方面), 1 nearly the same, 0 not."""
    if not draft or not annex:
        return 0
    if draft == annex:
        return 3
    short, long_ = sorted((draft, annex), key=len)
    if len(short) >= 4 and long_.startswith(short) and len(short) >= 0.6 * len(long_):
        return 2
    if len(short) >= 4 and difflib.SequenceMatcher(None, draft, annex).ratio() >= 0.75:
        return 1
    return 0


def _listed(p: Para) -> bool:
    """A paragraph Word numbers itself (a list: w:numPr on it), its number not in its text."""
    ppr = p.el.find(q("w:pPr"))
    return ppr is not None and ppr.find(q("w:numPr")) is not None


def _match_heading(p: Para, headings: list[Heading], styled: bool = False, context=None) -> Match | None:
    """The annex heading a paragraph is, if any. Text alone: the annex's words (numbering,
    spaces, punctuation, 等 and 的 aside) or a 第N部分 line; a numbered line (typed, or
    Word's list numbering) may leave words off the end (…节能 for …节能等方面); a
    paragraph Word knows as a heading (``styled``: a heading style or an outline level) may
    also be worded a little differently or numbered its own way. Among equal fits: one not
    found yet, of the part being read, after the last one found (``context``: (current
    part, last heading index, headings already found))."""
    norm = _norm(p.text)
    if not norm:
        return None
    kind, num, rest = _split_number(norm)
    key, main = _key(rest), _key(_main(rest))
    loose = re.sub("[等的]", "", main)
    part, last, taken = context or (None, -1, set())
    best, best_score = None, None
    for i, h in enumerate(headings):
        if kind == "part" and h.level != 1:
            continue
        if h.level == 1 and kind == "part" and num == h.number and len(norm) <= 160:
            tier = 4
        elif not styled and kind is None and len(norm) > len(_norm(h.text)) + 40:
            continue
        elif key == _key(h.rest) or (main and main == _key(h.main)):
            tier = 4
        elif styled or ((kind is not None or _listed(p)) and len(loose) <= len(h.loose) + 10):
            tier = _likeness(loose, h.loose)
        elif loose and loose == h.loose:
            tier = 3
        else:
            continue  # a body paragraph: only the annex's words make it a heading
        if tier == 0:
            continue
        if num is not None and num != h.number and (tier < 3 or not styled):
            continue  # another number: only a heading Word knows, worded as the annex's
        score = (tier, i not in taken, h.part == part, i > last, -i)
        if best_score is None or score > best_score:
            best, best_score = i, score
    if best is not None:
        return Match(best, p.index)
    if kind is not None and num is not None:  # "2、智能工厂整体架构：公司……" (run-in)
        for i, h in enumerate(headings):
            words = _key(h.main)
            if num == h.number and (kind == "part") == (h.level == 1) and words and key.startswith(words):
                tail = _run_in_rest(p.text, words)
                if tail is not None and len(key) > len(words) + 2:
                    return Match(i, p.index, tail)
    return None


def _instructions(paras: list[Para]) -> set[int]:
    """Paragraphs of a 填报说明/填报要求 block copied into the body (its list of headings
    is not the draft's own headings)."""
    out: set[int] = set()
    inside = False
    items = taken = 0
    for p in paras:
        if p.table is not None:
            continue
        norm = _norm(p.text)
        if not inside and re.match(r"^(?:[一二三四五六七八九十]+[、.])?填报说明", norm):
            inside, items, taken = True, -1, 0
        if inside:
            out.add(p.index)
            taken += 1
            if taken > 40:  # no 填报要求 after it: the list has ended long before
                inside = False
            if "填报要求" in norm:
                items = 0
            elif items >= 0 and norm:
                items += 1
                if items >= 4 or not re.match(r"^\d", norm):
                    if not re.match(r"^\d", norm):
                        out.discard(p.index)
                    inside = False
    return out


def _increasing(values: list[int]) -> set[int]:
    """Positions of a longest increasing subsequence: the headings in the annex's order;
    the others are out of place (one heading moved is one finding, not every one after)."""
    best: list[list[int]] = []
    for i, v in enumerate(values):
        prev = max((best[j] for j in range(i) if values[j] < v), key=len, default=[])
        best.append([*prev, i])
    return set(max(best, key=len, default=[]))


@dataclass
class Structure:
    headings: list[Heading]
    matches: dict[int, Match]  # heading index -> where it was found first
    order: list[Match]  # every heading paragraph, in document order
    section_of: dict[int, int | None]  # para index -> heading index it stands under
    heading_paras: set[int]  # the headings found, and every other paragraph Word knows as a heading
    disorder: list[Match]
    others: dict[int, str] = field(default_factory=dict)  # para index -> how Word knows it as a heading
    outside: dict[int, int] = field(default_factory=dict)  # para index -> the unknown part heading it is under


def _skipped_style(styles, p: Para) -> bool:
    """A table of contents line (TOC 1 / 目录 1): it repeats the headings."""
    return any(re.match(r"(?i)(?:toc|目录)\s*\d", st.name or "") for st in styles.chain(styles.para_style(p.el)))


def find_structure(body: Body, headings: list[Heading], styles: Styles | None = None) -> Structure:
    """The annex's headings found in a draft. With ``styles``, a paragraph Word knows as a
    heading (heading style, or an outline level on it or its style) comes first: it is
    matched to the annex's headings more loosely than a plain paragraph, and one that fits
    none is still a heading (its text is no body text): at the level of the parts it ends
    the part before it, at the level of the sub-parts the sub-part before it (what follows
    is the part's own), deeper it is the applicant's own sub-heading."""
    skip = _instructions(body.paras)
    levels: dict[int, tuple[int, str]] = {}
    found: list[Match] = []
    part, last, taken = None, -1, set()
    for p in body.paras:
        if p.table is not None or p.textbox or p.index in skip:
            continue
        if styles is not None and _skipped_style(styles, p):
            continue
        got = styles.heading_level(p.el) if styles is not None else None
        if got is not None and p.text.strip():
            levels[p.index] = (got.value, got.source)
        m = _match_heading(p, headings, got is not None, (part, last, taken))
        if m:
            m.how = got.source if got is not None else ""
            found.append(m)
            part, last = headings[m.heading].part, max(last, m.heading)
            taken.add(m.heading)
    # a part heading Word knows, at the parts' level, numbered as a part the annex words
    # otherwise (五、自评估报告 for the annex's long 第五部分 sentence)
    part_levels = [levels[m.para][0] for m in found if m.para in levels and headings[m.heading].level == 1]
    sub_levels = [levels[m.para][0] for m in found if m.para in levels and headings[m.heading].level > 1]
    part_level = min(part_levels) if part_levels else None
    sub_level = min((x for x in sub_levels if part_level is None or x > part_level), default=None)
    if part_level is not None:
        matched = {m.para for m in found}
        for index, (level, how) in levels.items():
            if index in matched or level != part_level:
                continue
            kind, num, _ = _split_number(_norm(body.paras[index].text))
            hit = next((i for i, h in enumerate(headings) if h.level == 1 and h.number == num), None)
            if kind is not None and hit is not None and hit not in taken:
                found.append(Match(hit, index, how=how))
                taken.add(hit)
        found.sort(key=lambda m: m.para)
    matches: dict[int, Match] = {}
    for m in found:
        matches.setdefault(m.heading, m)  # the same heading again: the first stands
    firsts = sorted(matches.values(), key=lambda m: m.para)
    keep = _increasing([m.heading for m in firsts])
    disorder = [m for i, m in enumerate(firsts) if i not in keep]
    by_para = {m.para: m for m in found if matches.get(m.heading) is m}
    others = {i: how for i, (_, how) in levels.items() if i not in by_para}
    section_of: dict[int, int | None] = {}
    outside: dict[int, int] = {}
    current: int | None = None
    beyond: int | None = None  # an unknown heading at the parts' level stands over what follows
    for p in body.paras:
        if p.index in by_para:
            current, beyond = by_para[p.index].heading, None
        elif p.index in others:
            level = levels[p.index][0]
            if part_level is not None and level <= part_level:
                current, beyond = None, p.index
            elif current is not None and sub_level is not None and level <= sub_level:
                h = headings[current]
                current = next(i for i, x in enumerate(headings) if x.level == 1 and x.part == h.part)
        section_of[p.index] = current
        if beyond is not None:
            outside[p.index] = beyond
    heads = set(by_para) | set(others)
    return Structure(headings, matches, found, section_of, heads, disorder, others, outside)


# -- the check ------------------------------------------------------------------------------


@dataclass
class DraftSummary:
    document: str
    title: str
    counted: dict | None = None  # {"label", "total", "min", "max"}: 字数 over the counted parts
    # {"heading", "found", "count", "drafted", "how", "subparts": [...]}: "drafted" the draft's
    # paragraph that was taken for the heading, "how" what makes it a heading in Word
    parts: list[dict] = field(default_factory=list)
    figures: int | None = None
    fields: list[dict] = field(default_factory=list)  # table cells with a 字数 limit
    fonts: dict = field(default_factory=dict)  # body font, size, spacing: what was found
    whole: int | None = None  # 字数 of the whole document as Word's 字数统计 gives it
    others: list[dict] = field(default_factory=list)  # {"drafted", "how", "under"}: headings the annex has not

    def as_dict(self) -> dict:
        return {
            "document": self.document,
            "title": self.title,
            "whole": self.whole,
            "counted": self.counted,
            "parts": self.parts,
            "other_headings": self.others,
            "figures": self.figures,
            "fields": self.fields,
            "fonts": self.fonts,
        }

    def count_lines(self) -> list[str]:
        """The 字数 lines: the whole document's (what ``formgen count --file`` gives), the
        counted parts', and each heading's with the draft's paragraph taken for it."""
        out = [] if self.whole is None else [whole_line(self.whole)]
        if self.counted:
            c = self.counted
            limit = "-".join(str(x) for x in (c.get("min"), c.get("max")) if x is not None)
            out.append(
                f"字数（{c['label']}，不含标题和图题）：{c['total']}" + (f"（要求 {limit} 字）" if limit else "")
            )
        for part in self.parts:
            out.append("  " + _heading_line(part))
            out += ["    " + _heading_line(sub) for sub in part["subparts"]]
        for o in self.others:
            out.append(f"  附件没有的标题「{o['drafted']}」（{o['how']}），其下文字计入：{o['under']}")
        return out

    def lines(self) -> list[str]:
        out = [f"文档：{self.title}", *self.count_lines()]
        if self.figures is not None:
            out.append(f"配图：{self.figures} 张")
        for f in self.fields:
            out.append(f"{f['where']}「{f['label']}」：{f['count']} 字（{f['limit']}）")
        return out


# The scope of ``formgen count --file``, said the same way by ``check``.
WHOLE_SCOPE = "全文，按 Word“字数统计”：正文、标题、表格、文本框、脚注和尾注，不含页眉页脚"


def whole_line(total: int) -> str:
    return f"字数（{WHOLE_SCOPE}）：{total}"


def _short(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[:n] + "…"


def _heading_line(h: dict) -> str:
    """「1. 技术创新」→「1、技术创新等」：9 字（样式“标题 2”）: which paragraph was taken for
    the annex's heading, so that a wrong match shows."""
    annex = f"「{_short(h['heading'])}」"
    if not h["found"]:
        return f"{annex}：未找到"
    drafted = h.get("drafted") or ""
    shown = annex if _norm(drafted) == _norm(h["heading"]) else f"「{_short(drafted)}」→{annex}"
    how = f"（{h['how']}）" if h.get("how") else ""
    return f"{shown}：{h['count']} 字{how}"


class _Check:
    def __init__(self, docx: Docx, pack: Pack, doc: Document, source: str):
        self.docx = docx
        self.pack = pack
        self.doc = doc
        self.source = source
        self.styles = Styles(docx)
        self.body = read_body(docx)
        self.findings: list[Finding] = []
        self.settings = _settings(pack, doc)
        self.summary = DraftSummary(doc.id, doc.title)
        self.captions: set[int] = set()
        self.structure: Structure | None = None

    def add(self, code, where, message, label="", path="", severity=None):
        self.findings.append(_finding(code, where, message, self.source, label, path, severity))

    # -- places -----------------------------------------------------------------------------

    def section_name(self, para_index: int) -> str:
        s = self.structure
        if s is None:
            return "正文"
        hi = s.section_of.get(para_index)
        if hi is None and para_index in s.outside:
            return f"「{_excerpt(self.body.paras[s.outside[para_index]].text)}」"
        if hi is None:
            return "正文开头"
        h = s.headings[hi]
        if h.level == 1:
            return _part_name(h.part)
        drafted = self.body.paras[s.matches[hi].para].text.strip() if hi in s.matches else h.text
        if s.matches.get(hi) and s.matches[hi].rest:
            drafted = h.text
        return f"{_part_name(h.part)} {drafted[:30]}"

    def where(self, p: Para) -> Where:
        if p.table is not None:
            t = self.body.tables[p.table]
            row = p.cell[0] if p.cell else 0
            return Where(
                f"表格{t.index + 1} 第{row + 1}行「{_excerpt(p.text)}」", {"table": t.index + 1, "row": row + 1}
            )
        number = None
        s = self.structure
        if s is not None:
            hi = s.section_of.get(p.index)
            start = s.matches[hi].para if hi is not None else s.outside.get(p.index, -1)
            number = sum(
                1
                for q_ in self.body.paras[start + 1 : p.index + 1]
                if q_.table is None and q_.text.strip() and q_.index not in s.heading_paras
            )
        return Where.para(self.section_name(p.index), number or None, p.text)

    # -- structure and 字数 ------------------------------------------------------------------

    def check_structure(self):
        headings = outline(self.doc)
        if not headings:
            return
        s = self.structure = find_structure(self.body, headings, self.styles)
        for m in s.disorder:
            h = headings[m.heading]
            before = next(
                (headings[i] for i in sorted(s.matches) if i > m.heading and s.matches[i].para < m.para), None
            )
            after = f"，却出现在「{before.text}」之后" if before else ""
            self.add("DR011", self.where(self.body.paras[m.para]), f"「{h.text}」应在附件规定的位置{after}", h.text)
        for i, h in enumerate(headings):
            if i in s.matches or h.required:
                continue
            if h.level == 1:
                self.add("DR010", None, f"缺少{_part_name(h.part)}的标题「{h.text}」", h.text)
            else:
                part = next((x for x in headings if x.level == 1 and x.part == h.part), None)
                self.add(
                    "DR010",
                    None,
                    f"{_part_name(h.part)}缺少小节标题「{h.text}」（该小节可以不写内容，但附件列出了它，建议保留标题）"
                    if part
                    else f"缺少小节标题「{h.text}」",
                    h.text,
                    severity=WARNING,
                )

    def section_counts(self) -> dict[int, int]:
        """字数 under each heading (its own paragraphs, not its sub-parts'), headings and
        figure captions and the layout's （无） excluded; tables and text boxes under it included."""
        s = self.structure
        counts = {i: 0 for i in range(len(s.headings))}
        placeholders = stand_ins(self.doc)
        for p in self.body.paras:
            hi = s.section_of.get(p.index)
            if hi is None or p.index in self.captions or (placeholders and _norm(p.text) in placeholders):
                continue
            if p.index in s.heading_paras:
                m = next((m for m in s.matches.values() if m.para == p.index), None)
                counts[hi] += word_count(m.rest) if m else 0
                continue
            counts[hi] += word_count(p.text)
        return counts

    def check_parts(self, limits: list[Limit]):
        s = self.structure
        counts = self.section_counts()
        total_of = {}
        for i, h in enumerate(s.headings):
            total_of[i] = counts[i] + sum(counts[j] for j in h.subs)
        for i, h in enumerate(s.headings):
            if not h.required or h.level == 1:
                continue
            if i not in s.matches:
                self.add("DR012", None, f"{_part_name(h.part)}缺少必填项小节「{h.text}」", h.text)
            elif counts[i] == 0:
                p = self.body.paras[s.matches[i].para]
                self.add("DR012", self.where(p), f"必填项小节「{h.text}」下没有正文", h.text)

        def entry(i: int, count: int) -> dict:
            m = s.matches.get(i)
            drafted = ""
            if m is not None:
                drafted = self.body.paras[m.para].text.strip()
                if m.rest:  # a run-in heading: the words before its text
                    drafted = drafted[: max(0, len(drafted) - len(m.rest.strip()))].strip()
            how = m.how if m is not None else ""
            return {
                "heading": s.headings[i].text,
                "found": m is not None,
                "count": count,
                "drafted": drafted,
                "how": how,
            }

        parts = []
        for i, h in enumerate(s.headings):
            if h.level != 1:
                continue
            parts.append({**entry(i, total_of[i]), "subparts": [entry(j, counts[j]) for j in h.subs]})
        self.summary.parts = parts
        others = []
        first = min((m.para for m in s.matches.values()), default=None)
        for index, how in sorted(s.others.items()):
            if first is None or index < first:
                continue  # the title, a cover: before the annex's parts
            p = self.body.paras[index]
            hi = s.section_of.get(index)
            under = self.section_name(index) if hi is not None else "不计入（不在附件的任何部分之下）"
            others.append({"drafted": _short(p.text.strip()), "how": how, "under": under})
        self.summary.others = others
        # 字数 limits over the text fields of the parts (Shanghai: parts 一-四, 3000-5000)
        for limit in limits:
            named = limit.paths
            covered = [i for i, h in enumerate(s.headings) if any(f[0] in named for f in h.fields)]
            if not covered:
                continue
            parts_covered = {s.headings[i].part for i in covered}
            total = 0
            for i, h in enumerate(s.headings):
                if h.part in parts_covered and (i in covered or (h.level == 1 and not h.fields)):
                    total += counts[i]
            label = limit.label or s.headings[covered[0]].text
            self.summary.counted = {"label": label, "total": total, "min": limit.min, "max": limit.max}
            self._limit(limit, total, None, label, "")

    def _limit(self, limit: Limit, n: int, where: Where | None, label: str, path: str):
        for code, severity, message in judge(limit, n):
            self.add(code, where, message, label, path, severity)

    def scope(self) -> list[Para]:
        """The body text the annex's format applies to: from the first part heading on,
        outside tables and text boxes, paragraphs holding text."""
        s = self.structure
        start = min((m.para for m in s.matches.values()), default=None) if s else None
        if start is None:  # no heading of the annex found: everything after the title
            core = _title_core(self.doc)
            title = next((p.index for p in self.body.paras[:80] if core and core in _norm(p.text)), None)
            if title is None:
                return []
            start = title + 1
        skip = _instructions(self.body.paras)
        return [
            p
            for p in self.body.paras[start:]
            if p.table is None and not p.textbox and p.text.strip() and p.index not in skip
        ]

    def check_format(self):
        font = self.doc.layout.get("font", {})
        want_font = font.get("east_asia")
        want_size = size_pt(font["size"]) if font.get("size") else None
        want_line = font.get("line_exact_pt")
        groups: dict[tuple, list] = {}
        family: list[tuple[Para, str]] = []
        seen_fonts: dict[str, int] = {}
        for p in self.scope():
            heading = p.index in self.structure.heading_paras
            # a paragraph Word knows as a heading is told apart: its style is the place to fix it
            section = (self.section_name(p.index), self.styles.heading_level(p.el) is not None)
            if want_line and not p.pictures:
                got = self.styles.line_spacing(p.el, p.table_style)
                (value, rule), src = got.value, got.source
                if not (rule == "exact" and abs(value - want_line) < 0.05):
                    key = ("DR022", section, (round(value, 2), rule))
                    groups.setdefault(key, []).append((p, _spacing_name(value, rule), src))
            for r, text in p.runs:
                if not text.strip():
                    continue
                if want_size:
                    got = self.styles.size_pt(p.el, r, p.table_style)
                    if abs(got.value - want_size) > 0.01:
                        key = ("DR021", section, got.value)
                        groups.setdefault(key, []).append((p, _size_name(got.value), got.source))
                if want_font and _CJK.search(text):
                    got = self.styles.east_asia_font(p.el, r, p.table_style)
                    name = (got.value or "").strip()
                    seen_fonts[name or "（未指定）"] = seen_fonts.get(name or "（未指定）", 0) + 1
                    verdict = _font_verdict(name, want_font, heading)
                    if verdict == "family":
                        family.append((p, name))
                    elif verdict == "bad":
                        code = "DR023" if heading else "DR020"
                        key = (code, section, name)
                        shown = f"“{name}”" if name else "未指定（Word 将用系统默认的中文字体，通常为宋体）"
                        groups.setdefault(key, []).append((p, shown, got.source))
        self.summary.fonts = {"east_asia": seen_fonts}
        want = {
            "DR020": f"应为{want_font}（填报要求：仿宋GB2312）",
            "DR021": f"应为{_size_name(want_size)}" if want_size else "",
            "DR022": f"应为固定值 {want_line:g} 磅" if want_line else "",
            "DR023": f"标题应为正文字体{want_font}，或公文标题常用的黑体、楷体_GB2312",
        }
        what = {"DR020": "中文字体为", "DR021": "字号为", "DR022": "行距为", "DR023": "标题中文字体为"}
        for (code, (_section, styled), _value), items in groups.items():
            paras = list(dict.fromkeys(p.index for p, _, _ in items))
            p, shown, src = items[0]
            more = f"；本节共 {len(paras)} 段如此" if len(paras) > 1 else ""
            where = self.where(p)
            if styled:  # --fix leaves it as it is
                more += "；这是 Word 的标题段落（自动修正不改动标题），请在 Word 中修改"
                where.extra["heading"] = True
            self.add(code, where, f"{what[code]}{shown}（来自{src}），{want[code]}{more}")
        if family:
            names = "、".join(dict.fromkeys(n for _, n in family))
            paras = len(dict.fromkeys(p.index for p, _ in family))
            self.add(
                "DR020",
                self.where(family[0][0]),
                f"中文字体为“{names}”（共 {paras} 段），与{want_font}同属仿宋字体，可以接受；"
                f"如需与填报要求字面一致，可改为{want_font}",
                severity=WARNING,
            )

    # -- figures --------------------------------------------------------------------------

    def check_figures(self):
        cfg = self.pack.checks.get("figures") or {}
        rels = self.docx.rels(self.docx.main)
        pics = [(p, pic) for p in self.body.paras for pic in p.pictures]
        self.summary.figures = len(pics)
        need = cfg.get("min_count")
        if need and len(pics) < need:
            self.add("FG001", None, f"文档中共 {len(pics)} 张图片，不少于 {need} 张", "配图")
        measured: dict[str, object] = {}
        expected = 1
        used: set[int] = set()
        hint = "（Word 默认保存时压缩图片：文件→选项→高级→勾选“不压缩文件中的图像”，再重新插入原图）"
        for k, (p, pic) in enumerate(pics, 1):
            where = self.where(p) if p.text.strip() else self._figure_where(p, k)
            name = f"第{k}张图片"
            rel = rels.items.get(pic.rid or "")
            if pic.linked or (rel and rel[2]):
                self.add(
                    "FG002", where, f"{name}以链接方式插入，未嵌入文档：请用“插入→图片”插入，不要选“链接到文件”", "配图"
                )
            elif rel is None:
                self.add("FG002", where, f"{name}在文档中缺失（引用 {pic.rid} 不存在）", "配图")
            else:
                part = rel[1]
                if part not in measured:
                    measured[part] = image_facts(self.docx, part)
                info = measured[part]
                if info.problem:
                    self.add("FG002", where, f"{name}（{part.rsplit('/', 1)[-1]}）{info.problem}", "配图")
                else:
                    mp = cfg.get("min_megapixels")
                    floor = int(mp * 1_000_000) if mp else 0
                    if mp and info.pixels < floor:
                        self.add(
                            "FG003",
                            where,
                            f"{name}为 {info.width}×{info.height} = {info.pixels:,} 像素 < {floor:,}（不低于 {mp} 百万像素）{hint}",
                            "配图",
                        )
                    mb = cfg.get("min_mb")
                    floor = int(mb * 1024 * 1024) if mb else 0
                    if mb and info.bytes < floor:
                        self.add(
                            "FG004",
                            where,
                            f"{name}在文档中保存为 {info.bytes:,} 字节 < {floor:,} 字节（不低于 {mb} MB，1 MB = 1,048,576 字节）{hint}",
                            "配图",
                        )
            caption = self._caption(p, used)
            if caption is None:
                self.add("FG005", where, f"{name}没有“图{expected} 说明文字”形式的图题（编号且附说明性文字）", "配图")
                expected += 1
                continue
            cp, number, words = caption
            self.captions.add(cp.index)
            if not words:
                self.add("FG005", self.where(cp), f"图{number} 只有编号，没有说明性文字", "配图")
            if number != expected:
                self.add(
                    "DR030", self.where(cp), f"第{k}张图片的图题编号为 图{number}，按顺序应为 图{expected}", "配图"
                )
            expected = number + 1

    def _figure_where(self, p: Para, k: int) -> Where:
        w = self.where(p)
        line = w.line.replace("「」", f"「第{k}张图片」")
        return Where(line, {**w.extra, "figure": k})

    _CAPTION = re.compile(r"^\s*图\s*(\d+|[一二三四五六七八九十]+)(?:\s*[-—－.．]\s*\d+)?\s*[:：.．、]?\s*(.*)$", re.S)

    def _caption(self, p: Para, used: set[int]):
        """(paragraph, number, words) of the caption of the picture in ``p``: in its own
        paragraph, one of the two paragraphs after it, or the one before it."""
        paras = self.body.paras
        near = [p]
        nxt = [x for x in paras[p.index + 1 : p.index + 6] if x.text.strip() or x.pictures]
        for x in nxt[:2]:
            if x.pictures:
                break
            near.append(x)
        prev = [x for x in paras[max(0, p.index - 3) : p.index] if x.text.strip() and not x.pictures]
        near += prev[-1:]
        for x in near:
            if x.index in used:
                continue
            m = self._CAPTION.match(x.text.strip())
            if m and len(x.text.strip()) <= 120:
                number = _cn_number(m.group(1))
                if number is not None:
                    used.add(x.index)
                    return x, number, m.group(2).strip()
        return None

    # -- tables -------------------------------------------------------------------------------

    def check_tables(self, field_limits: list[Limit]):
        values = read_table_fields(self.doc, self.body)
        limits: dict[str, list[Limit]] = {}
        for e in field_limits:
            if not e.total:
                limits.setdefault(e.path, []).append(e)
        record: dict = {}
        places: dict[str, Where] = {}
        for v in values:
            where = Where.cell(v.table, v.row, v.label)
            if v.missing:
                if not v.optional:
                    self.add("DR041", None, f"草稿的表格中找不到「{v.label}」一栏，未能检查", v.label, v.path)
                continue
            if v.empty:
                if not v.optional:
                    what = "未勾选" if v.checkbox else "为空"
                    self.add("DR040", where, f"「{v.label}」{what}", v.label, v.path)
                continue
            for e in limits.get(v.path, []):
                n = word_count(v.text)
                limit = (
                    f"不超过 {e.max} 字" if e.max is not None else f"{e.target[0]}-{e.target[1]} 字" if e.target else ""
                )
                self.summary.fields.append(
                    {"label": v.label, "where": where.line.split("「")[0], "count": n, "limit": limit}
                )
                self._limit(e, n, where, v.label, v.path)
            if v.direct and "[]" not in v.path:
                paths.put(record, v.path, v.text.strip())
                places[v.path] = where
        self.record_rules(record, places)

    def record_rules(self, data: dict, places: dict[str, Where]):
        """The record rules whose input a table cell holds, run as for a record."""
        if not data:
            return
        from ..record.loader import build
        from ..rules import Context, run

        keep = {p: v for p, v in _flatten(data).items() if p in _RULE_INPUTS or _enum_path(self.pack, p)}
        if not keep:
            return
        record: dict = {}
        for p, v in keep.items():
            paths.put(record, p, v)
        loaded = build(Path(self.source), record, {p: w.line for p, w in places.items()})
        self.findings += loaded.notes  # a value of the wrong type, left out: the other rules still run
        for f in run(Context(loaded, self.pack, [self.doc]), only=_CELL_RULES).findings:
            self.add(f.code, places.get(f.path), f.message, f.label, f.path, f.severity)


def _font_verdict(name: str, want: str, heading: bool) -> str:
    key = name.casefold()
    if name == want or SAME_FONT.get(key) == want:
        return "ok"
    if key in SAME_FAMILY and SAME_FONT.get(want.casefold()) == want:
        return "family"
    if heading and key in HEADING_FONTS:
        return "ok"
    return "bad"


_CELL_RULES = {"FN001", "FN002", "FN003", "EN001", "ID001", "ID002", "ID003", "PH001", "PH002", "PH003", "PH004"}
_RULE_INPUTS = {"factory.name", "enterprise.credit_code", "enterprise.org_code"}
_RULE_INPUTS |= {
    f"people.{who}.{k}"
    for who in ("legal_rep", "head", "contact", "filler")
    for k in ("mobile", "phone", "fax", "email")
}


def _enum_path(pack: Pack, path: str) -> bool:
    return any(isinstance(e, dict) and e.get("path") == path for e in pack.checks.get("enums", []) or [])


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


# -- table cells by the layout's labels -------------------------------------------------------


@dataclass
class CellValue:
    path: str
    label: str
    optional: bool
    text: str = ""
    table: int = 0
    row: int = 0
    checkbox: bool = False
    ticked: bool = False
    missing: bool = False
    direct: bool = False  # a plain field (not an expression): the cell holds the record's value
    spec: object = None  # the layout's cell (to read an expression back)
    prefix: str = ""  # the list pattern it stands in ("scenarios[].")

    @property
    def empty(self) -> bool:
        return not self.ticked if self.checkbox else not self.text.strip()


@dataclass
class _LayoutCell:
    spec: object
    col: int
    span: int


def _is_literal(spec) -> bool:
    return isinstance(spec, str) or (
        isinstance(spec, dict)
        and "text" in spec
        and not spec.get("field")
        and not spec.get("expr")
        and not spec.get("checkbox")
    )


def _literal_text(spec) -> str:
    return spec if isinstance(spec, str) else spec.get("text", "")


def _layout_tables(doc: Document, skip_structured: bool = False):
    """Each table of the layout as rows of (cells with grid columns, path prefix, in
    repeat, repeat optional); a repeat's rows once. With ``skip_structured``, the rows
    of a structured repeat are left out (``formgen import`` walks them row by row)."""
    for block in doc.layout.get("blocks") or []:
        if "table" in block:
            rows: list[tuple[list[_LayoutCell], str, bool, bool]] = []
            _layout_rows(block["table"].get("rows", []), "", False, False, rows, set(), skip_structured)
            yield rows


def structured(rep: dict) -> bool:
    """A repeat whose item is a block of rows with labels of their own or lists inside
    (甘肃附件2 附表2), not one row under a header."""
    for row in rep["rows"]:
        if isinstance(row, dict) and "repeat" in row:
            return True
        cells = row["cells"] if isinstance(row, dict) else row
        if any(_is_literal(c) for c in cells):
            return True
    return False


def _layout_rows(spec_rows, prefix: str, in_rep: bool, opt: bool, rows: list, occupied: set, skip=False) -> None:
    for row in spec_rows:
        if isinstance(row, dict) and "repeat" in row:
            rep = row["repeat"]
            if skip and structured(rep):
                continue
            _layout_rows(
                rep["rows"], f"{prefix}{rep['each']}[].", True, opt or bool(rep.get("optional")), rows, occupied, skip
            )
            continue
        cells = row["cells"] if isinstance(row, dict) else row
        r, c = len(rows), 0
        placed = []
        for cell in cells:
            while (r, c) in occupied:
                c += 1
            cs = cell.get("colspan", 1) if isinstance(cell, dict) else 1
            rs = cell.get("rowspan", 1) if isinstance(cell, dict) else 1
            occupied.update((r + dr, c + dc) for dr in range(rs) for dc in range(cs))
            placed.append(_LayoutCell(cell, c, cs))
            c += cs
        rows.append((placed, prefix, in_rep, opt))


def _label_norm(text: str) -> str:
    return _norm(_label_text(text)).rstrip(":")


def _notes(spec) -> list[str]:
    out = []
    if isinstance(spec, dict):
        for key in ("note",):
            if spec.get(key):
                out += [_norm(x) for x in str(spec[key]).split("\n") if x.strip()]
    return out


def _strip_notes(text: str, notes: list[str]) -> str:
    kept = []
    for line in text.split("\n"):
        norm = _norm(line)
        if not norm or any(norm == n for n in notes):
            continue
        for n in notes:
            if n and n in norm:  # the note in the same paragraph as the text: drop it
                line = _drop_normalized(line, n)
                norm = _norm(line)
        if norm:
            kept.append(line)
    return "\n".join(kept)


def _drop_normalized(raw: str, needle: str) -> str:
    """``raw`` without the stretch whose normalised form is ``needle``."""
    norms = [_norm(ch) for ch in raw]
    joined = "".join(norms)
    at = joined.find(needle)
    if at < 0:
        return raw
    pos, start, end = 0, None, None
    for i, n in enumerate(norms):
        if start is None and pos >= at and n:
            start = i
        pos += len(n)
        if pos >= at + len(needle):
            end = i + 1
            break
    return raw[: start or 0] + raw[end or len(raw) :]


def _cell_matches(norm: str, label: str, notes: list[str]) -> bool:
    if not label:
        return False
    if norm == label:
        return True
    if norm.startswith(label):
        rest = norm[len(label) :]
        return rest.startswith("(") or any(rest == n for n in notes)
    return False


def _value_spec(spec, exprs: bool) -> bool:
    """A cell the record fills: a field, a check box, or (``exprs``) an expression."""
    return isinstance(spec, dict) and bool(
        spec.get("field") or spec.get("checkbox") or (exprs and spec.get("expr") and not _is_literal(spec))
    )


def read_table_fields(doc: Document, body: Body, exprs: bool = False) -> list[CellValue]:
    """The values of the layout's table fields as the draft's tables hold them, found by
    the labels beside them (the k-th 「姓名」 of the layout is the k-th in the draft) or, for
    the rows of a list, by the column header above them. With ``exprs``, the cells an
    expression prints too (``formgen import`` reads them back); a value cell with no label
    before it in its row is found by the literal text it prints with its value."""
    draft_cells = []  # (norm, table, row index, position in row, cell)
    for t in body.tables:
        for r, row in enumerate(t.rows):
            for i, cell in enumerate(row):
                if not cell.continued:
                    draft_cells.append((_label_norm(cell.text), t, r, i, cell))
    layout_tables = list(_layout_tables(doc, skip_structured=exprs))
    literals = {
        _label_norm(_literal_text(c.spec))
        for rows in layout_tables
        for cells, *_ in rows
        for c in cells
        if _is_literal(c.spec)
    }
    literals.discard("")
    out: list[CellValue] = []
    used_label: dict[str, int] = {}
    for rows in layout_tables:
        for ri, (cells, prefix, in_rep, opt) in enumerate(rows):
            if in_rep:
                if not opt or exprs:
                    out += _column_values(cells, prefix, rows, ri, draft_cells, literals, exprs)
                continue
            i = 0
            while i < len(cells):
                spec = cells[i].spec
                if not _is_literal(spec):
                    if exprs and i == 0:
                        if not any(_is_literal(c.spec) for c in cells):
                            # values under a header row (企业负责人: 姓名 | 职务和职称 | 电话)
                            out += _header_row_values(cells, prefix, rows, ri, draft_cells, literals)
                            break
                        while i < len(cells) and not _is_literal(cells[i].spec):
                            out += _framed_value(cells[i].spec, prefix, draft_cells)
                            i += 1
                        continue
                    i += 1
                    continue
                values = []
                j = i + 1
                while j < len(cells) and not _is_literal(cells[j].spec):
                    values.append(cells[j])
                    j += 1
                i = j
                fields = [v for v in values if _value_spec(v.spec, exprs)]
                label = _label_norm(_literal_text(spec))
                k = used_label.get(label, 0)
                used_label[label] = k + 1  # a label with no value after it counts too (联系人 twice)
                if not fields:
                    continue
                notes = [n for v in values for n in _notes(v.spec)] + _notes(spec)
                hits = [d for d in draft_cells if _cell_matches(d[0], label, notes)]
                taken: list = []
                t = r = None
                if k < len(hits):
                    _, t, r, pos, _cell = hits[k]
                    for cell in t.rows[r][pos + 1 :]:
                        if _label_norm(cell.text) in literals and cell.text.strip():
                            break
                        if len(taken) >= len(values) and not (exprs and len(values) == 1):
                            break
                        taken.append(cell)  # reading a form: one value typed over a cell split in two
                out += _pair_values(values, fields, taken, t, r, prefix, _label_text(_literal_text(spec)), notes)
    return out


def _pair_values(values, fields, taken, t, r, prefix, shown, notes) -> list[CellValue]:
    """One value per field cell after a label: the draft's cell in the same position when
    the draft has as many cells as the layout, else all of them together."""
    out = []
    aligned = len(taken) == len(values)
    for j, v in enumerate(values):
        spec = v.spec
        if v not in fields:
            continue
        path = prefix + _spec_path(spec)
        name = spec.get("label") or shown
        optional = bool(spec.get("optional"))
        checkbox = bool(spec.get("checkbox"))
        if t is None:
            out.append(CellValue(path, name, optional, missing=True, checkbox=checkbox))
            continue
        cells = [taken[j]] if aligned else taken
        own = _notes(spec) + (notes if not aligned else [])
        parts = [_strip_notes(c.text, own).strip() for c in cells]
        # one value over the cells of a split cell reads as one text; several values, a line each
        text = ("" if len(values) == 1 else "\n").join(p for p in parts if p).strip()
        exact = aligned or len(fields) == 1
        out.append(
            CellValue(
                path,
                name,
                optional,
                text,
                t.index,
                r,
                checkbox,
                any(c.ticked for c in cells),
                direct=bool(spec.get("field")) and exact and not checkbox and not spec.get("expr"),
                spec=spec,
                prefix=prefix,
            )
        )
    return out


def _spec_path(spec: dict) -> str:
    """The record path a value cell stands for (an expression's first field)."""
    if spec.get("field"):
        return spec["field"]
    if spec.get("checkbox"):
        return spec["checkbox"]["field"]
    from .readback import reading

    r = reading(spec)
    shown = list(spec.get("fields") or []) + [s.path for s in (r.slots if r else [])] + list(r.unread if r else [])
    return next((p for p in shown if p), spec.get("label", ""))


def _header_row_values(cells, prefix, rows, ri, draft_cells, literals) -> list[CellValue]:
    """A row of values with no label of its own: each by its own frame or note, else
    under the header above it (the first row under it)."""
    out: list[CellValue] = []
    for c in cells:
        got = _framed_value(c.spec, prefix, draft_cells)
        if not got and ri > 0:
            under = _column_values([c], prefix, rows, ri, draft_cells, literals, True)
            got = [v for v in under if not v.missing][:1] or under[:1]
        out += got
    return out


def _framed_value(spec, prefix: str, draft_cells) -> list[CellValue]:
    """A value cell with no label before it, found by the literal text it prints around
    its value ('行业门类' above the 门类)."""
    from .readback import reading

    r = reading(spec)
    if r is None:
        return []
    notes = [] if spec.get("note_if_empty") else _notes(spec)
    framed = any(isinstance(p, str) and _norm(p) for p in r.parts)
    if not framed and not notes:
        return []
    first = next((p for p in r.parts if isinstance(p, str) and p.strip()), "")
    label = spec.get("label") or _label_text(first.strip() or spec.get("note", ""))
    for _norm_text, t, r_i, _pos, cell in draft_cells:
        if notes and all(n in _norm(cell.text) for n in notes):
            text = _strip_notes(cell.text, notes)
            return [
                CellValue(
                    prefix + _spec_path(spec),
                    label,
                    bool(spec.get("optional")),
                    text,
                    t.index,
                    r_i,
                    spec=spec,
                    prefix=prefix,
                )
            ]
        if framed and r.match(cell.text) is not None:
            return [
                CellValue(
                    prefix + _spec_path(spec),
                    label,
                    bool(spec.get("optional")),
                    cell.text,
                    t.index,
                    r_i,
                    spec=spec,
                    prefix=prefix,
                )
            ]
    return [
        CellValue(prefix + _spec_path(spec), label, bool(spec.get("optional")), missing=True, spec=spec, prefix=prefix)
    ]


def _header_match(norm: str, header: str) -> bool:
    main = header.split("(")[0]
    return norm == header or (len(main) >= 4 and norm.startswith(main))


def _column_values(cells, prefix, rows, ri, draft_cells, literals, exprs: bool = False) -> list[CellValue]:
    """Fields of a list's rows, found under their column header in the draft: the draft
    row that holds most of the layout's header row, then the cells under the header."""
    out = []
    for c in cells:
        spec = c.spec
        if not (isinstance(spec, dict) and (spec.get("field") or (exprs and _value_spec(spec, exprs)))):
            continue
        header_row = None
        for prev_cells, _p, _in, _o in reversed(rows[:ri]):
            if any(_is_literal(x.spec) and x.col <= c.col < x.col + x.span for x in prev_cells):
                header_row = prev_cells
                break
        if header_row is None:
            continue
        header = _label_norm(
            next(_literal_text(x.spec) for x in header_row if _is_literal(x.spec) and x.col <= c.col < x.col + x.span)
        )
        names = [_label_norm(_literal_text(x.spec)) for x in header_row if _is_literal(x.spec)]
        best, best_score = None, 0
        for norm, t, r, _pos, cell in draft_cells:
            if not _header_match(norm, header):
                continue
            score = sum(1 for x in t.rows[r] if any(_header_match(_label_norm(x.text), n) for n in names))
            if score > best_score:
                best, best_score = (t, r, cell), score
        path = prefix + _spec_path(spec)
        label = spec.get("label") or _label_text(
            next(_literal_text(x.spec) for x in header_row if _is_literal(x.spec) and x.col <= c.col < x.col + x.span)
        )
        optional = bool(spec.get("optional"))
        if best is None or (len(names) > 1 and best_score < 2):
            out.append(CellValue(path, label, optional, missing=True, spec=spec, prefix=prefix))
            continue
        t, r, hcell = best
        notes = _notes(spec)
        filled = 0
        for rr in range(r + 1, len(t.rows)):
            row = t.rows[rr]
            first = next((x for x in row if not x.continued), None)
            if first is not None and _label_norm(first.text) in literals and first.text.strip():
                break
            under = next((x for x in row if x.col <= hcell.col < x.col + x.span and not x.continued), None)
            if under is None:
                continue
            text = _strip_notes(under.text, notes).strip()
            others = [x for x in row if x is not under and not x.continued]
            row_filled = bool(text) or any(
                _strip_notes(x.text, notes).strip() and not _numbering_only(x.text) for x in others
            )
            if not row_filled:
                continue
            filled += 1
            out.append(
                CellValue(
                    path, label, optional, text, t.index, rr, direct=not spec.get("expr"), spec=spec, prefix=prefix
                )
            )
        if not filled:
            out.append(CellValue(path, label, optional, "", t.index, r + 1, spec=spec, prefix=prefix))
    return out


def _numbering_only(text: str) -> bool:
    """A cell holding only a row's number or the annex's prefilled prefix ('典型场景1：')."""
    return bool(re.fullmatch(r"\s*(?:\d+|典型场景\s*\d+\s*[:：]?)\s*", text))


# -- entry points ---------------------------------------------------------------------------


def form_found(body: Body, doc: Document) -> tuple[int, int]:
    """How many of ``doc``'s labelled table cells and headings a Word file has, of how many."""
    cells = read_table_fields(doc, body, exprs=True)
    headings = outline(doc)
    found = sum(not v.missing for v in cells)
    if headings:
        found += len(find_structure(body, headings).matches)
    return found, len(cells) + len(headings)


def _not_a_draft(body: Body, doc: Document, name: str) -> None:
    """A file that names ``doc``'s title but has none of its headings or labelled cells (a
    整改通知, a cover letter) is no draft of it: said in one line (DR004) instead of every
    heading and cell reported missing."""
    found, total = form_found(body, doc)
    if total and not found:
        raise DraftError(
            f"不是《{_title_words(doc)}》的草稿：文中提到它，却没有它的任何标题或表格栏目"
            "（如整改通知、函件），未检查；若确是刚开始写的草稿，请用 --doc 指定后再检查",
            "DR004",
        )


def _title_words(doc: Document) -> str:
    head, _, rest = doc.title.partition(" ")
    return rest if rest and head.startswith("附件") else doc.title


def check_draft(path, pack: Pack, doc_id: str | None = None) -> tuple[str, list[Finding], DraftSummary]:
    """Check the Word draft at ``path`` against the pack document it is (``doc_id``, or
    recognised by its title). Returns (document id, findings, summary). Raises
    :class:`DraftError` (one line of Chinese) for a file that cannot be read or a
    document that cannot be told."""
    path = Path(path)
    with Docx(path) as docx:
        body = read_body(docx)
        doc, notes = _choose(body, pack, doc_id, path.name)
        if doc_id is None:
            _not_a_draft(body, doc, path.name)
        c = _Check(docx, pack, doc, str(path))
        for code, message in notes:
            c.add(code, None, message, doc.title)
        limits = _limits(pack, doc)
        if c.settings.get("structure"):
            c.check_structure()
        if c.settings.get("figures"):
            c.check_figures()
        if c.structure is not None:
            c.check_parts([e for e in limits if e.total])
        if c.settings.get("format") and c.structure is not None:
            c.check_format()
        c.check_tables([e for e in limits if not e.total])
        c.summary.whole = _whole(body, read_notes(docx))
        findings = sorted(c.findings, key=lambda f: not f.is_error)
        return doc.id, findings, c.summary


def count_docx(path) -> tuple[int, list[tuple[str, int]]]:
    """字数 of a .docx as Word's 字数统计 counts it (body text, tables, text boxes,
    footnotes and endnotes; not headers and footers), with the count under each heading
    (outline levels; failing those, lines such as 第一部分…, 一、…). Text before the first
    heading is under "（标题前）"."""
    path = Path(path)
    with Docx(path) as docx:
        styles = Styles(docx)
        body = read_body(docx)
        notes = read_notes(docx)
    heads = {
        p.index
        for p in body.paras
        if p.table is None and not p.textbox and p.text.strip() and styles.outline_level(p.el) is not None
    }
    if not heads:
        pattern = re.compile(r"^\s*(?:第[一二三四五六七八九十]+部分|[一二三四五六七八九十]+、)")
        heads = {
            p.index
            for p in body.paras
            if p.table is None and not p.textbox and pattern.match(p.text) and len(p.text.strip()) <= 60
        }
    buckets: list[list] = [["（标题前）", 0]]
    for p in body.paras:
        if p.index in heads:
            buckets.append([p.text.strip(), 0])
        buckets[-1][1] += word_count(p.text)
    if notes:
        buckets.append(["（脚注和尾注）", sum(word_count(p.text) for p in notes)])
    out = [(h, n) for h, n in buckets if not (h == "（标题前）" and n == 0)]
    return sum(n for _, n in out), out


def _whole(body: Body, notes: list[Para]) -> int:
    """字数 of a whole document as Word's 字数统计 gives it (:data:`WHOLE_SCOPE`)."""
    return sum(word_count(p.text) for p in body.paras) + sum(word_count(p.text) for p in notes)


def count_lines(total: int, parts: list[tuple[str, int]]) -> list[str]:
    """``formgen count --file``'s lines: the whole document's 字数 in the words ``check``
    uses for it, then each heading's (its own words included)."""
    return [whole_line(total), "各标题下（含标题本身）：", *(f"  {h}：{n}" for h, n in parts)]


def fix_draft(path, pack: Pack, doc_id: str | None, out_path, force: bool = False) -> tuple[str, int, int]:
    """Write a copy of the draft whose body text (from the first part heading on, outside
    tables) has the annex's Chinese font, size and exact line spacing, set as direct
    formatting on each paragraph and run; a paragraph Word knows as a heading (a heading
    style, or an outline level on it or its style) is left exactly as it is (its style is
    the place to change it), a heading found by its words keeps a 黑体/楷体 font, pictures'
    paragraphs keep their spacing (an exact height would clip them). Nothing else changes:
    the text, tables, figures and every other part are copied as they are. Written through
    :func:`formgen.output.write_all` (atomic; an existing file only with ``force``); the
    original is never modified. Returns (document id, paragraphs changed, heading
    paragraphs left as they are)."""
    from ..output import OutputError, write_all

    path, out_path = Path(path), Path(out_path)
    if out_path.suffix.casefold() != ".docx":
        raise DraftError(f"修正稿的文件名须以 .docx 结尾：{out_path.name}")
    try:
        same = out_path.exists() and os.path.samefile(path, out_path)
    except OSError:
        same = False
    if same or out_path.resolve() == path.resolve():
        raise DraftError("修正稿不能覆盖原稿，请另给一个文件名（原稿保持不变）")
    with Docx(path) as docx:
        body = read_body(docx)
        doc, _ = _choose(body, pack, doc_id, path.name)
        c = _Check(docx, pack, doc, str(path))
        if not c.settings.get("format"):
            raise DraftError(f"{doc.title} 的附件没有规定字体、字号和行距，无需修正")
        c.check_structure()
        # a fresh parse that keeps everything (comments, processing instructions)
        root = parse_xml(docx.read(docx.main, 32 << 20), f"{docx.name} 的 {docx.main}", keep_all=True)
        mine = paragraph_elements(root)
        font = doc.layout.get("font", {})
        want_font, want_size, want_line = (
            font.get("east_asia"),
            size_pt(font.get("size", "三号")),
            font.get("line_exact_pt"),
        )
        changed = kept = 0
        scope = c.scope()
        if not scope:
            raise DraftError(f"{path.name} 中找不到附件的部分标题（如“第一部分”），不知从哪里开始修正")
        for p in scope:
            if c.styles.heading_level(p.el) is not None:
                kept += 1
                continue
            el = mine[p.index]
            heading = p.index in c.structure.heading_paras
            set_paragraph_format(el, None if p.pictures else want_line, want_font, want_size)
            for (r_orig, text), r in zip(p.runs, runs_of(el), strict=False):
                if not text.strip():
                    continue
                keep = (
                    heading
                    and _font_verdict((c.styles.east_asia_font(p.el, r_orig).value or ""), want_font, True) == "ok"
                )
                set_run_format(r, None if keep else want_font, want_size)
            changed += 1
        data = serialize(root)
        with tempfile.TemporaryFile() as tmp:
            copy_with(docx, tmp, {docx.main: data})
            tmp.flush()
            size = tmp.seek(0, os.SEEK_END)
            with mmap.mmap(tmp.fileno(), size, access=mmap.ACCESS_READ) as mm:
                try:
                    write_all([(out_path, mm)], force=force)
                except OutputError as e:
                    raise DraftError(str(e)) from None
    return doc.id, changed, kept


def summary_json(doc_id: str, findings: Iterable[Finding], summary: DraftSummary, draft: str) -> dict:
    findings = list(findings)
    return {
        "draft": draft,
        "document": doc_id,
        "summary": summary.as_dict(),
        "findings": [f.as_dict() for f in findings],
        "errors": sum(1 for f in findings if f.is_error),
        "warnings": sum(1 for f in findings if not f.is_error),
    }
