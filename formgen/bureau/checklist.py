"""卓越级智能工厂项目申报材料清单 (national/Hebei 附件3, Gansu 附件12) and formgen's 自查表.

A checklist is data (``kind: checklist`` in a manifest). From it ``formgen checklist``
makes two different documents:

- the annex itself, exactly as published (:func:`annex_docx`): heading, title, the
  annex's items (national: the three-column table 序号 | 所需材料 | 具体内容 and the note
  under it; Gansu: four numbered paragraphs) and nothing from the record. It is the
  form the enterprise submits.
- the 申报材料自查表 (:func:`evaluate`, :func:`text_report`, :func:`json_report`,
  :func:`selfcheck_docx`): per item of the annex, the parts of its 具体内容 and what
  the record holds for each, in full (year-months as 2021年1月, amounts with the unit
  of the record's field, names listed with 、), what is missing named by its Chinese
  label, and the parts done on paper (``manual``: a seal, a signature).

``manual_checks`` lists conditions the applicant must meet that no record field can
prove (the 要素条件's 基础要求): the 自查表 lists them after the annex's numbered
materials as 手工核实, and they never make the checklist incomplete.

:func:`documents` gives both files, named …申报材料清单_企业 and …申报材料自查表_企业.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass, field

from pydantic import BaseModel

from ..output import safe_name
from ..record.model import Record
from ..record.paths import get, is_empty
from ..record.refdata import kpi_key, kpis
from ..record.written import fmt, paragraphs, ym
from ..render import ooxml
from ..render.context import code_name
from ..render.docx import text_width_pt

MANUAL_CHECK = "手工核实"
MANUAL_NOTE = "以下条件无法由记录中的数据证明，请申报单位逐项核实；不计入材料是否完整"
SELF_CHECK = "申报材料自查表"
SELF_CHECK_NOTE = "（formgen 生成，供企业自查，不作申报材料）"
ANNEX = "申报材料清单"
BLANK = "未填写"


@dataclass
class Part:
    """One part of an item's 具体内容 (企业名称, 集成商 …) and what the record holds for it."""

    what: str
    found: list[str] = field(default_factory=list)  # full renderings of what the record holds
    missing: list[str] = field(default_factory=list)  # Chinese labels of what is empty
    missing_paths: list[str] = field(default_factory=list)  # the same as record paths (JSON only)
    manual: str = ""
    lines: bool = False  # one found entry a line (scenarios, KPIs) rather than one run of text
    sep: str = "、"  # between found entries on one line
    single: bool = True  # one field: an empty part is 未填写 rather than 缺少：<label>

    @property
    def state(self) -> str:
        if self.manual:
            return "手工完成"
        return "缺" if self.missing else "已有"

    @property
    def missing_text(self) -> str:
        if not self.missing:
            return ""
        if self.single and not self.found:
            return BLANK
        return "缺少：" + "、".join(self.missing)

    @property
    def found_text(self) -> str:
        if self.lines:
            return "\n".join(self.found)
        return self.sep.join([_unstop(f) for f in self.found[:-1]] + self.found[-1:])


@dataclass
class Item:
    no: int | None
    material: str
    content: str
    parts: list[Part]
    manual_check: bool = False  # a 手工核实 condition, not a numbered material of the annex

    @property
    def complete(self) -> bool:
        return self.manual_check or all(p.state != "缺" for p in self.parts)


# --- what the record holds ------------------------------------------------------------


def _type_args(annotation):
    """``annotation`` and every type and metadata object nested in it."""
    yield annotation
    for arg in typing.get_args(annotation):
        yield from _type_args(arg)


def _field(path: str):
    """The record model's field at a dotted path (list indices and ``[]`` ignored)."""
    model: type[BaseModel] | None = Record
    info = None
    for name in re.sub(r"\[\d*\]", "", path).split("."):
        info = model.model_fields.get(name) if model else None
        if info is None:
            return None
        model = next((a for a in _type_args(info.annotation) if isinstance(a, type) and issubclass(a, BaseModel)), None)
    return info


def _extra(path: str) -> dict:
    """The field's unit (``{"unit": "万元"}``) or format (``{"format": "year-month"}``)."""
    info = _field(path)
    for arg in _type_args(info.annotation) if info else ():
        extra = getattr(arg, "json_schema_extra", None)
        if isinstance(extra, dict):
            return extra
    return {}


def _label(path: str) -> str:
    """The field's Chinese title without its unit: 项目总投资（万元） -> 项目总投资."""
    info = _field(path)
    title = info.title if info and info.title else path.rsplit(".", 1)[-1]
    return re.sub(r"（[^（）]*）$", "", title)


def _unstop(text: str) -> str:
    """A list entry without its closing punctuation, so that joining never gives 。、."""
    return re.sub(r"[。；;，,、\s]+$", "", text)


def _show(value, extra: dict) -> str:
    """A value in full as the form names it: 2021年1月, 2021年1月5日, 52000万元, A、B."""
    if isinstance(value, (list, tuple)):
        return "、".join(_unstop(_show(v, extra)) for v in value if not is_empty(v))
    if extra.get("format") == "year-month":
        return ym(value)
    if isinstance(value, str):
        return "\n".join(paragraphs(value))  # a blank line starts a paragraph; wrapped lines joined
    text = fmt(value).strip()
    return f"{text}{extra['unit']}" if extra.get("unit") and text else text


def _fields(part: Part, need: dict, record):
    paths = need["paths"]
    labels = need.get("labels") or [_label(p) for p in paths]
    shown = []
    for path, label in zip(paths, labels, strict=True):
        value = get(record, path)
        if is_empty(value):
            part.missing.append(label)
            part.missing_paths.append(path)
        elif need.get("format") == "industry":
            shown.append((label, code_name(value) or str(value)))
        else:
            shown.append((label, _show(value, _extra(path))))
    part.single = len(paths) == 1
    if need.get("format") == "period" and len(shown) == 2:
        part.found = [f"{shown[0][1]}至{shown[1][1]}"]
    elif len(paths) > 1:
        part.found = [f"{label}：{text}" for label, text in shown]
        part.sep = "；"
    else:
        part.found = [text for _, text in shown]


def _each(part: Part, need: dict, record):
    """One entry per item of a list, named ``item``N（first path's value）."""
    each, (first, *rest) = need["each"], need["paths"]
    word = need.get("item") or _label(each)
    rows = get(record, each) or []
    if not rows:
        part.missing.append(_label(each))
        part.missing_paths.append(each)
        return
    part.single, part.lines = False, True
    for i in range(len(rows)):
        base = f"{each}[{i}]"
        ident = get(record, f"{base}.{first}")
        name = f"{word}{i + 1}"
        if is_empty(ident):
            part.missing.append(f"{name}的{_label(f'{each}[].{first}')}")
            part.missing_paths.append(f"{base}.{first}")
        else:
            name += f"（{_unstop(_show(ident, {}))}）"
        texts = []
        for p in rest:
            value = get(record, f"{base}.{p}")
            if is_empty(value):
                part.missing.append(f"{name}的{_label(f'{each}[].{p}')}")
                part.missing_paths.append(f"{base}.{p}")
            else:
                texts.append(_show(value, _extra(f"{each}[].{p}")))
        body = "；".join([_unstop(t) for t in texts[:-1]] + texts[-1:])
        part.found.append(f"{name}：{body}" if body else name)


_UNIT_SUFFIX = re.compile(r"\**[（(]([^（）()]*)[）)]$")


def _kpi_units() -> dict[str, str]:
    """kpi_key -> unit (%, 个, 家) of every indicator of data/kpi.yaml."""
    units: dict[str, str] = {}
    for groups in kpis().values():
        for group in groups if isinstance(groups, list) else []:
            for name in group.get("items", []) if isinstance(group, dict) else []:
                m = _UNIT_SUFFIX.search(name)
                if m:
                    units.setdefault(kpi_key(name), m.group(1))
    return units


def _kpis(part: Part, path: str, record):
    """One line per indicator, its value with the unit its name gives (or the reference's)."""
    values = get(record, path) or {}
    if not values:
        part.missing.append(_label(path))
        part.missing_paths.append(path)
        return
    units = _kpi_units()
    part.single, part.lines = False, True
    for name, value in values.items():
        m = _UNIT_SUFFIX.search(name.strip())
        shown = name.strip()[: m.start()] if m else name.strip()
        unit = m.group(1) if m else units.get(kpi_key(name), "")
        if value is None:
            part.missing.append(f"{shown}的数值")
            part.missing_paths.append(f"{path}.{name}")
        else:
            part.found.append(f"{shown}：{fmt(value)}{unit}")


def _part(need: dict, record) -> Part:
    part = Part(need["what"], manual=need.get("manual", ""))
    if part.manual:
        return part
    if need.get("each"):
        _each(part, need, record)
    elif need.get("format") == "kpis":
        _kpis(part, need["paths"][0], record)
    else:
        _fields(part, need, record)
    return part


def _manual_checks(layout: dict) -> list[Item]:
    checks = layout.get("manual_checks") or {}
    source = checks.get("source", "")
    items = []
    for raw in checks.get("items", []):
        where = f"{source}第{raw['clause']}条" if raw.get("clause") else source
        hint = f"（{raw['hint']}）" if raw.get("hint") else ""
        items.append(Item(None, raw["what"], f"{where}{hint}", [], manual_check=True))
    return items


def evaluate(layout: dict, record) -> list[Item]:
    """The annex's items with what the record holds for each part, then the 手工核实 checks."""
    items = [
        Item(raw["seq"], raw["material"], raw["content"], [_part(need, record) for need in raw["needs"]])
        for raw in layout["items"]
    ]
    return items + _manual_checks(layout)


def findings(layout: dict, loaded, title: str) -> list:
    """What the record lacks for the materials of the checklist ``title``, as warnings
    (CL001) a batch lists with the record's other problems: one per incomplete part, in
    the annex's words, at the place of the first field it lacks."""
    from ..record.findings import WARNING, Finding

    out = []
    for item in evaluate(layout, loaded.record):
        for part in item.parts:
            if part.state != "缺":
                continue
            path = part.missing_paths[0] if part.missing_paths else ""
            why = BLANK if part.missing_text == BLANK else "缺少" + "、".join(part.missing)
            out.append(
                Finding(
                    "CL001",
                    WARNING,
                    path,
                    part.what,
                    f"{title}第{item.no}项「{item.material}」不完整：{part.what}{why}",
                    str(loaded.path),
                    loaded.line_of(path) if path else None,
                )
            )
    return out


def _split(items: list[Item]) -> tuple[list[Item], list[Item]]:
    return [i for i in items if not i.manual_check], [i for i in items if i.manual_check]


def _summary(materials: list[Item], checks: list[Item]) -> str:
    done = sum(1 for i in materials if i.complete)
    text = f"共 {len(materials)} 项材料，{done} 项完整，{len(materials) - done} 项不完整。"
    return text + (f"另有 {len(checks)} 项条件须{MANUAL_CHECK}，不影响材料是否完整。" if checks else "")


def selfcheck_title(annex_title: str) -> str:
    """附件3 卓越级智能工厂项目申报材料清单 -> 卓越级智能工厂项目申报材料自查表."""
    return re.sub(r"^附件\s*\d+\s*", "", annex_title).replace(ANNEX, SELF_CHECK)


# --- the 自查 report as text and JSON ---------------------------------------------------


def _detail(part: Part) -> str:
    """A part on one line (its found entries go on lines of their own when ``lines``)."""
    if part.manual:
        return part.manual
    shown = [] if part.lines or not part.found else [part.found_text]
    if part.missing:
        shown = [_unstop(s) for s in shown] + [part.missing_text]
    return "；".join(shown)


def text_report(title: str, enterprise: str, items: list[Item]) -> str:
    """The 自查 report for the terminal; ``title`` is the annex's (附件3 …申报材料清单)."""
    materials, checks = _split(items)
    lines = [f"{selfcheck_title(title)}{SELF_CHECK_NOTE}", f"申报单位：{enterprise}", f"对照：{title}"]
    for item in materials:
        mark = "完整" if item.complete else "不完整"
        lines.append(f"{item.no}. {item.material}（{mark}）：{item.content}")
        for p in item.parts:
            lines.append(f"   [{p.state}] {p.what}：{_detail(p)}".replace("\n", "\n      "))
            if p.lines:
                lines.extend(f"      {entry}".replace("\n", "\n      ") for entry in p.found)
    if checks:
        lines.append(f"{MANUAL_CHECK}（{MANUAL_NOTE}）：")
        lines.extend(f"   [{MANUAL_CHECK}] {c.material}：{c.content}" for c in checks)
    lines.append(_summary(materials, checks))
    return "\n".join(lines)


def json_report(title: str, enterprise: str, items: list[Item]) -> dict:
    """The 自查 report as data: every part with its state, what is there and what is missing
    (as labels, and as record paths for tools)."""
    materials, checks = _split(items)
    return {
        "title": selfcheck_title(title),
        "annex": title,
        "enterprise": enterprise,
        "complete": all(i.complete for i in materials),
        "items": [
            {
                "no": i.no,
                "material": i.material,
                "content": i.content,
                "complete": i.complete,
                "parts": [
                    {
                        "what": p.what,
                        "state": p.state,
                        "found": p.found,
                        "missing": p.missing,
                        "missing_paths": p.missing_paths,
                        "manual": p.manual,
                    }
                    for p in i.parts
                ],
            }
            for i in materials
        ],
        "manual_checks": [{"what": c.material, "source": c.content} for c in checks],
        "summary": _summary(materials, checks),
    }


# --- the two documents ------------------------------------------------------------------

BODY = "仿宋_GB2312"
ASCII = "Times New Roman"
WIDTH_CM = 16.6  # A4 less the margins below
MARGINS = [2.54, 2.2, 2.54, 2.2]
# a web address with the brackets around it: it is printed whole, never broken at a / or -
_URL = re.compile(r"[（(]?https?://[^\s（）()]+[）)]?")


def url_break(text: str, size_pt: float, width_pt: float, indent_pt: float = 0.0) -> int | None:
    """Where a line break goes so that the web address in ``text`` starts a line of its
    own: the address's index when it would not fit on the line its first character is on
    (the line filled character by character, as CJK text wraps), else None.

    >>> note = "具体模板和填写要求请登录智能制造数据资源公共服务平台（https://www.miit-imps.com）进行查看。"
    >>> note[url_break(note, 14, 470, 28) :][:9]
    '（https://'
    >>> url_break("请登录（https://www.miit-imps.com）查看。", 14, 470) is None
    True
    """
    m = _URL.search(text)
    if m is None or m.start() == 0:
        return None
    x = indent_pt
    for ch in text[: m.start()]:
        w = text_width_pt(ch, size_pt)
        x = w if x + w > width_pt else x + w
    return m.start() if x + text_width_pt(m.group(0), size_pt) > width_pt else None


class _Writer:
    def __init__(self, size: str):
        self.size = size
        self.doc = ooxml.new_document({"margins_cm": MARGINS}, {"east_asia": BODY, "ascii": ASCII, "size": size})

    def para(self, text, container=None, *, font=BODY, size=None, bold=None, align=None, before=0, after=0, **kw):
        p = (container or self.doc).add_paragraph()
        if align:
            p.alignment = ooxml.ALIGN[align]
        ooxml.set_spacing(p, before_pt=before, after_pt=after, **kw)
        ooxml.set_run_font(p.add_run(text), font, ASCII, size or self.size, bold)
        return p

    def cell(self, cell, lines: list[tuple[str, bool]], size: str, align=None):
        """Write ``lines`` (text, bold) into an empty cell, one paragraph each (a text's
        own paragraphs, split at its line breaks, each a paragraph too)."""
        first = cell.paragraphs[0]
        lines = [(text, bold) for whole, bold in lines for text in whole.split("\n")]
        for n, (text, bold) in enumerate(lines):
            p = first if n == 0 else cell.add_paragraph()
            if align:
                p.alignment = ooxml.ALIGN[align]
            ooxml.set_run_font(p.add_run(text), BODY if not bold else "黑体", ASCII, size, bold or None)
        ooxml.valign_center(cell)

    def note(self, text: str, size: str, **kw):
        """A first-line-indented paragraph whose web address, if any, is never broken: it
        starts a new line when it would not fit at the end of the line before."""
        size_pt = ooxml.size_pt(size)
        at = url_break(text, size_pt, WIDTH_CM / 2.54 * 72, 2 * size_pt)
        p = self.para(text if at is None else text[:at], size=size, first_line_chars=2, font_size_pt=size_pt, **kw)
        if at is not None:
            p.alignment = ooxml.ALIGN["left"]  # a justified line before the break would be stretched
            p.runs[-1].add_break()
            ooxml.set_run_font(p.add_run(text[at:]), BODY, ASCII, size)
        return p

    def heading(self, layout: dict, title: str, after=18):
        for line in layout.get("heading_lines", []):
            self.para(line, font="黑体", size="三号")
        self.para(title, font="方正小标宋简体", size="二号", align="center", before=12, after=after)

    def bytes(self, title: str = "", author: str = "") -> bytes:
        return ooxml.finish(self.doc, title, author)


def annex_docx(layout: dict, enterprise: str = "") -> bytes:
    """The annex as published: heading, title, the items (a 序号 | 所需材料 | 具体内容 table,
    or numbered paragraphs where the annex prints them so), the notes. Nothing else. Its
    author (文件属性) is ``enterprise``: the copy is the one the enterprise submits, as
    every form formgen fills is the enterprise's, though nothing of the record is in it."""
    spec = layout.get("annex") or {}
    w = _Writer("三号")
    w.heading(layout, layout["title"])
    if spec.get("form", "table") == "table":
        rows = layout["items"]
        table = ooxml.new_table(w.doc, 1 + len(rows), [1.6, 4.4, WIDTH_CM - 6.0])
        ooxml.repeat_header(table.rows[0])
        for cell, text in zip(table.rows[0].cells, spec.get("header", ["序号", "所需材料", "具体内容"]), strict=True):
            w.cell(cell, [(text, True)], "四号", align="center")
        for row, raw in zip(table.rows[1:], rows, strict=True):
            no, material, content = row.cells
            w.cell(no, [(str(raw["seq"]), False)], "四号", align="center")
            w.cell(material, [(raw["material"], False)], "四号", align="center")
            w.cell(content, [(raw["content"], False)], "四号", align="left")
            ooxml.row_height(row, 1.4)
        for note in spec.get("notes", []):
            w.note(note, "四号", before=8)
    else:
        for raw in layout["items"]:
            w.para(
                f"{raw['seq']}.{raw['material']}。{raw['content']}",
                line_exact_pt=28,
                first_line_chars=2,
                font_size_pt=ooxml.size_pt("三号"),
            )
        for note in spec.get("notes", []):
            w.note(note, "三号", line_exact_pt=28)
    return w.bytes(layout["title"], enterprise)


def selfcheck_docx(layout: dict, title: str, enterprise: str, items: list[Item]) -> bytes:
    """The 申报材料自查表: per material, each part with what the record holds, in full."""
    materials, checks = _split(items)
    w = _Writer("小四")
    w.para(selfcheck_title(title), font="方正小标宋简体", size="二号", align="center", before=6)
    w.para(SELF_CHECK_NOTE, align="center", after=12)
    w.para(f"申报单位：{enterprise}", after=2)
    w.para(f"对照：{title}（申报材料清单另见同时生成的文件）", after=8)
    widths = [1.3, 2.4, 2.8, WIDTH_CM - 8.5, 2.0]
    table = ooxml.new_table(w.doc, 1 + sum(len(i.parts) for i in materials), widths)
    rows = list(table.rows)
    ooxml.repeat_header(rows[0])
    for cell, text in zip(rows[0].cells, ["序号", "所需材料", "材料要素", "记录中的内容", "状态"], strict=True):
        w.cell(cell, [(text, True)], "五号", align="center")
    r = 1
    for item in materials:
        first = r
        for part in item.parts:
            cells = rows[r].cells
            w.cell(cells[2], [(part.what, False)], "五号", align="center")
            if part.manual:
                shown = [(part.manual, False)]
            else:
                shown = [(entry, False) for entry in part.found] if part.lines else []
                shown = shown or ([(part.found_text, False)] if part.found else [])
                shown += [(part.missing_text, True)] if part.missing else []
            w.cell(cells[3], shown, "五号", align="left")
            w.cell(cells[4], [(part.state, part.state == "缺")], "五号", align="center")
            r += 1
        last = r - 1
        for col, lines in (
            (0, [(str(item.no), False)]),
            (1, [(item.material, False), ("（完整）" if item.complete else "（不完整）", not item.complete)]),
        ):
            cell = table.cell(first, col).merge(table.cell(last, col)) if last > first else table.cell(first, col)
            w.cell(cell, lines, "五号", align="center")
    if checks:
        w.para(f"{MANUAL_CHECK}事项", font="黑体", size="四号", before=12, after=2)
        w.para(f"{MANUAL_NOTE}。", after=4)
        grid = ooxml.new_table(w.doc, 1 + len(checks), [7.0, WIDTH_CM - 9.0, 2.0])
        grid_rows = list(grid.rows)
        ooxml.repeat_header(grid_rows[0])
        for cell, text in zip(grid_rows[0].cells, ["核实事项", "出处", "状态"], strict=True):
            w.cell(cell, [(text, True)], "五号", align="center")
        for row, check in zip(grid_rows[1:], checks, strict=True):
            w.cell(row.cells[0], [(check.material, False)], "五号", align="left")
            w.cell(row.cells[1], [(check.content, False)], "五号", align="left")
            w.cell(row.cells[2], [(MANUAL_CHECK, False)], "五号", align="center")
    w.para(_summary(materials, checks), bold=True, before=10)
    ooxml.page_numbers(w.doc.sections[0], size="小四")
    # titled as what it is (not the annex: it is no 申报材料), with the enterprise it checks
    return w.bytes(selfcheck_title(title) + (f"（{enterprise}）" if enterprise else ""), enterprise)


def _name(pattern: str, enterprise: str) -> str:
    return pattern.replace("{enterprise}", safe_name(enterprise or "未命名")) + ".docx"


def documents(doc, enterprise: str, items: list[Item]) -> list[tuple[str, bytes]]:
    """(file name, .docx bytes) of the annex and of the 自查表, for the pack's checklist
    document ``doc``: 附件3_…申报材料清单_企业.docx and …申报材料自查表_企业.docx."""
    selfcheck = re.sub(r"^附件\s*\d+_", "", doc.filename).replace(ANNEX, SELF_CHECK)
    return [
        (_name(doc.filename, enterprise), annex_docx(doc.layout, enterprise)),
        (_name(selfcheck, enterprise), selfcheck_docx(doc.layout, doc.title, enterprise, items)),
    ]
