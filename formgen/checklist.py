"""申报材料清单: which required material the record already holds and what is missing.

A checklist is data (``kind: checklist`` in a manifest): items, each with the annex's
material and content text and the record paths that satisfy each part of it. A part
marked ``manual`` is done on paper (a seal, a signature) and is listed as such.

``manual_checks`` lists conditions the applicant must meet that no record field can
prove (the 要素条件's 基础要求): they follow the annex's numbered materials in their own
section as 手工核实, and never make the checklist incomplete.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from .render import ooxml
from .render.context import code_name, fmt
from .rules import expand


@dataclass
class Part:
    what: str
    found: list[str] = field(default_factory=list)  # short renderings of what satisfies it
    missing: list[str] = field(default_factory=list)  # dotted paths that are empty
    manual: str = ""

    @property
    def state(self) -> str:
        if self.manual:
            return "手工完成"
        return "缺" if self.missing else "已有"


MANUAL_CHECK = "手工核实"
MANUAL_NOTE = "以下条件无法由记录中的数据证明，请申报单位逐项核实；不计入材料是否完整"


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


def _manual_checks(layout: dict) -> list[Item]:
    checks = layout.get("manual_checks") or {}
    source = checks.get("source", "")
    items = []
    for raw in checks.get("items", []):
        where = f"{source}第{raw['clause']}条" if raw.get("clause") else source
        hint = f"（{raw['hint']}）" if raw.get("hint") else ""
        items.append(Item(None, raw["what"], f"{where}{hint}", [], manual_check=True))
    return items


def _short(value, limit: int = 24) -> str:
    text = fmt(value).replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "…"


def evaluate(layout: dict, record) -> list[Item]:
    items = []
    for raw in layout["items"]:
        parts = []
        for need in raw["needs"]:
            part = Part(need["what"], manual=need.get("manual", ""))
            for pattern in need.get("paths", []):
                pairs = expand(record, pattern)
                if not pairs and "[]" in pattern:
                    part.missing.append(pattern.split("[]")[0])
                for path, value in pairs:
                    if value in (None, "", [], {}):
                        part.missing.append(path)
                    elif isinstance(value, (list, dict)):
                        part.found.append(f"{len(value)} 项")
                    elif need.get("format") == "industry":
                        part.found.append(code_name(value))
                    else:
                        part.found.append(_short(value))
            parts.append(part)
        items.append(Item(raw["seq"], raw["material"], raw["content"], parts))
    return items + _manual_checks(layout)


def _split(items: list[Item]) -> tuple[list[Item], list[Item]]:
    return [i for i in items if not i.manual_check], [i for i in items if i.manual_check]


def _summary(materials: list[Item], checks: list[Item]) -> str:
    done = sum(1 for i in materials if i.complete)
    text = f"共 {len(materials)} 项材料，{done} 项完整，{len(materials) - done} 项不完整。"
    return text + (f"另有 {len(checks)} 项条件须{MANUAL_CHECK}，不影响材料是否完整。" if checks else "")


def text_report(title: str, enterprise: str, items: list[Item]) -> str:
    materials, checks = _split(items)
    lines = [f"{title}：{enterprise}"]
    for item in materials:
        mark = "完整" if item.complete else "不完整"
        lines.append(f"{item.no}. {item.material}（{mark}）：{item.content}")
        for p in item.parts:
            detail = p.manual or ("、".join(p.found[:3]) if p.state == "已有" else "缺少 " + "、".join(p.missing))
            lines.append(f"   [{p.state}] {p.what}：{detail}")
    if checks:
        lines.append(f"{MANUAL_CHECK}（{MANUAL_NOTE}）：")
        lines.extend(f"   [{MANUAL_CHECK}] {c.material}：{c.content}" for c in checks)
    lines.append(_summary(materials, checks))
    return "\n".join(lines)


def docx_report(layout: dict, enterprise: str, items: list[Item], draft: bool = False) -> bytes:
    font = {"east_asia": "仿宋_GB2312", "ascii": "Times New Roman", "size": "小四"}
    doc = ooxml.new_document({"margins_cm": [2.54, 2.2, 2.54, 2.2]}, font)

    def para(text, **style):
        p = doc.add_paragraph()
        if style.get("align"):
            p.alignment = ooxml.ALIGN[style["align"]]
        ooxml.set_spacing(p, after_pt=style.get("after", 4))
        run = p.add_run(text)
        ooxml.set_run_font(
            run, style.get("font", font["east_asia"]), font["ascii"], style.get("size", font["size"]), style.get("bold")
        )
        return p

    for line in layout.get("heading_lines", []):
        para(line, font="黑体", size="三号")
    para(layout["title"], font="方正小标宋简体", size="二号", align="center", after=6)
    para(f"申报单位：{enterprise}", after=8)
    materials, checks = _split(items)
    table = ooxml.new_table(doc, 1 + sum(len(i.parts) for i in materials), [1.2, 3.0, 4.6, 2.6, 4.2, 1.6])
    rows = list(table.rows)
    ooxml.repeat_header(rows[0])
    header = ["序号", "所需材料", "具体内容", "材料要素", "记录中的内容", "状态"]
    for cell, text in zip(rows[0].cells, header, strict=True):
        cell.text = text
    r = 1
    for item in materials:
        first = r
        for part in item.parts:
            cells = rows[r].cells
            cells[3].text = part.what
            cells[4].text = part.manual or (
                "、".join(part.found) if part.state == "已有" else "缺少：" + "、".join(part.missing)
            )
            cells[5].text = part.state
            r += 1
        for col, text in ((0, str(item.no)), (1, item.material), (2, item.content)):
            merged = table.cell(first, col).merge(table.cell(r - 1, col)) if r - 1 > first else table.cell(first, col)
            merged.text = text
    for note in layout.get("notes", []):
        para(note, after=2)
    if checks:
        para(f"{MANUAL_CHECK}事项", font="黑体", size="四号", after=2)
        para(f"{MANUAL_NOTE}。", after=4)
        grid = ooxml.new_table(doc, 1 + len(checks), [7.6, 7.0, 2.6])
        rows = list(grid.rows)
        ooxml.repeat_header(rows[0])
        for cell, text in zip(rows[0].cells, ["核实事项", "出处", "状态"], strict=True):
            cell.text = text
        for row, check in zip(rows[1:], checks, strict=True):
            for cell, text in zip(row.cells, [check.material, check.content, MANUAL_CHECK], strict=True):
                cell.text = text
    para(_summary(materials, checks), bold=True)
    if draft:
        ooxml.mark_draft(doc, "草稿：本文件尚有未改正的错误，不得用于正式申报")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
