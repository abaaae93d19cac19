"""Layout features beyond the Shanghai pack: check boxes, row spans, repeated rows and
multi-level merged headers, on small layouts written here as data."""

import io

import openpyxl
from docx import Document
from docx.oxml.ns import qn

from formgen.doors.opener import load
from formgen.render import docx as docx_render
from formgen.render import xlsx as xlsx_render
from formgen.render.context import namespace

W14 = "{http://schemas.microsoft.com/office/word/2010/wordml}"

LAYOUT = {
    "font": {"east_asia": "仿宋_GB2312", "size": "小四"},
    "blocks": [
        {
            "table": {
                "widths_cm": [2.5, 3, 10],
                "rows": [
                    [
                        {"text": "企业\n基本\n信息", "rowspan": 2},
                        "企业性质",
                        {
                            "checkbox": {
                                "field": "enterprise.nature",
                                "options": ["中央企业", "地方国企", "民营企业", "三资企业"],
                            }
                        },
                    ],
                    [
                        "企业类型",
                        {
                            "checkbox": {
                                "field": "enterprise.size",
                                "options": [
                                    {"value": "大型", "label": "大型企业"},
                                    {"value": "中型", "label": "中型企业"},
                                    {"value": "小型", "label": "小型企业"},
                                    {"value": "微型", "label": "微型企业"},
                                ],
                            }
                        },
                    ],
                    {
                        "repeat": {
                            "each": "scenarios",
                            "rows": [[{"expr": "'典型场景' ~ index"}, {"field": "name"}, {"field": "instance"}]],
                        }
                    },
                ],
            }
        },
    ],
}


def _checkboxes(cell):
    out = []
    for sdt in cell._tc.iter(qn("w:sdt")):
        checked = sdt.find(f".//{W14}checked").get(f"{W14}val")
        label = sdt.getnext().xpath("string(.)")
        out.append((label, checked == "1"))
    return out


def test_checkboxes_rowspan_and_repeat(write_record):
    loaded = load(write_record())
    doc = Document(io.BytesIO(docx_render.render_single(LAYOUT, loaded.record, loaded.base_dir)))
    table = doc.tables[0]
    assert table.cell(0, 0)._tc is table.cell(1, 0)._tc  # 企业基本信息 spans two rows
    assert table.cell(0, 0).text == "企业\n基本\n信息"
    assert _checkboxes(table.cell(0, 2)) == [
        ("中央企业", False),
        ("地方国企", False),
        ("民营企业", True),
        ("三资企业", False),
    ]
    assert _checkboxes(table.cell(1, 2))[0] == ("大型企业", True)
    assert len(table.rows) == 2 + 7  # one row per scenario
    assert table.cell(3, 0).text == "典型场景2"
    assert table.cell(3, 1).text == "在线智能检测"
    assert table.cell(3, 2).text == "铝合金壳体铸造缺陷深度学习视觉检测"


def test_multilevel_header_merges_like_the_annex(write_record):
    loaded = load(write_record())
    layout = {
        "title": "在建项目汇总表",
        "columns": [
            {"header": ["序号"], "expr": "index"},
            {"header": ["资金构成", "总投资"], "field": "factory.investment"},
            {"header": ["资金构成", "资金来源", "银行贷款"]},
            {"header": ["资金构成", "资金来源", "自筹"]},
            {"header": ["备注"]},
        ],
    }
    rows = [{"record": loaded.record, "index": 1, **namespace(loaded.record)}]
    ws = openpyxl.load_workbook(io.BytesIO(xlsx_render.render(layout, rows, {}))).active
    merged = {str(m) for m in ws.merged_cells.ranges}
    # 序号 and 备注 run down all three header rows; 资金构成 spans four columns;
    # 总投资 runs down two rows; 资金来源 spans two columns
    assert {"A2:A4", "E2:E4", "B2:D2", "B3:B4", "C3:D3"} <= merged
    assert [ws.cell(4, c).value for c in (3, 4)] == ["银行贷款", "自筹"]
    assert ws.cell(5, 2).value == "18600"
