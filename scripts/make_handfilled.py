"""Make data/examples/附件3_上海申江智能装备_手填.docx: Shanghai 附件3 as an enterprise
types it into Word by hand — not formgen's output. Its own table (three columns, other
widths), labels typed with spaces and colons, the annex's notes left in some value
cells, the address cell split in two, python-docx's default styles. One mistake a
bureau should catch: the filler's mobile has ten digits.

    .venv/bin/python scripts/make_handfilled.py      # rewrites the example

The bureau walk-through in the README reads it with the records and workbooks."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import docx
from docx.shared import Cm, Pt

OUT = Path(__file__).resolve().parent.parent / "data" / "examples" / "附件3_上海申江智能装备_手填.docx"

ROWS = [
    ["1", "企 业 名 称", "上海申江智能装备有限公司\n（从填表之日起，如有名称变更，请及时报备）"],
    ["2", "工厂名称：", "申江智能装备电控柜智能工厂"],
    ["3", "所属行业", "高端装备"],
    ["4", "所属区域", "闵行区"],
    ["5", "所属集团", "无"],
    ["6", "工厂地址", "闵行区江川路街道", "东川路1688号"],  # one cell split in two by hand
    ["7", "成熟度等级（自评估）", "L3"],
    ["8", "所获荣誉", "2023年上海市专精特新中小企业"],
    ["8", "企业负责人", "王立新 总经理", "13917703366"],
    ["9", "企业联系人", "赵雅琴　信息化部经理", "13761886520"],
    ["10", "企业填表人", "孙浩 工程师", "1581652709"],  # ten digits: the mistake
    ["其他说明事项", "", "无"],
]


def build() -> bytes:
    d = docx.Document()
    d.core_properties.author = "赵雅琴"
    d.core_properties.title = "附件3"
    style = d.styles["Normal"]
    style.font.size = Pt(12)
    d.add_paragraph("附件3")
    title = d.add_paragraph("上海市先进级智能工厂申报单位信息表")
    title.alignment = 1
    t = d.add_table(rows=len(ROWS), cols=4)
    t.style = "Table Grid"
    widths = (Cm(1.5), Cm(4.0), Cm(5.5), Cm(5.0))
    for i, row in enumerate(ROWS):
        cells = t.rows[i].cells
        for j, w in enumerate(widths):
            cells[j].width = w
        if len(row) == 3:
            cells[0].text, cells[1].text = row[0], row[1]
            merged = cells[2].merge(cells[3])
            merged.text = row[2]
        else:
            for j, text in enumerate(row):
                cells[j].text = text
    last = t.rows[len(ROWS) - 1].cells
    last[0].merge(last[1]).text = "其他说明事项"
    d.add_paragraph("")
    d.add_paragraph("填表日期：2026年11月20日")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


if __name__ == "__main__":
    OUT.write_bytes(build())
    print(f"已生成：{OUT}", file=sys.stderr)
