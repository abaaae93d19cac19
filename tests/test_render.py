"""Re-open every generated file and check it against the annex."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt

from formgen import app
from formgen.doors.opener import load


def cells_in_order(doc) -> list[str]:
    """Texts of the table cells in reading order, each merged cell once."""
    out = []
    for table in doc.tables:
        seen = []
        for row in table.rows:
            for cell in row.cells:
                if any(cell._tc is s for s in seen):
                    continue
                seen.append(cell._tc)
                out.append(cell.text)
    return out


def is_subsequence(needles, haystack) -> bool:
    it = iter(haystack)
    return all(any(n == h or h.startswith(n + "\n") for h in it) for n in needles)


@pytest.fixture
def filled(write_record, shanghai, tmp_path):
    def _fill(edit=None, draft=False) -> dict[str, Path]:
        loaded = load(write_record(edit))
        out = tmp_path / "out"
        paths = app.fill(loaded, shanghai, out, draft=draft, force=True)
        return {p.name.split("_")[0]: p for p in paths}

    return _fill


A3_LABELS = [
    "1",
    "企业名称",
    "2",
    "工厂名称",
    "3",
    "所属行业",
    "4",
    "所属区域",
    "5",
    "所属集团",
    "6",
    "工厂地址",
    "7",
    "成熟度等级\n（自评估）",
    "8",
    "所获荣誉",
    "8",
    "企业负责人",
    "9",
    "企业联系人",
    "10",
    "企业填表人",
    "其他说明事项",
]


def test_a3_labels_in_annex_order_and_values_in_place(filled):
    doc = Document(filled()["附件3"])
    texts = cells_in_order(doc)
    labels = [t for t in texts if t in A3_LABELS]
    assert labels == A3_LABELS  # both rows numbered 8, as the annex has them
    table = doc.tables[0]
    assert len(table.rows) == 12 and len(table.columns) == 4
    # a filled value without the annex's hint under it (the hint is for the blank form)
    assert table.cell(0, 2).text == "上海澄川精密机械股份有限公司"
    assert table.cell(1, 2).text == "澄川精密汽车零部件智能工厂"
    assert table.cell(6, 2).text == "L3"
    assert table.cell(8, 2).text == "陈启航　董事长"
    assert table.cell(8, 3).text == "13901762288"
    assert table.cell(10, 3).text == "15921083376"
    # merged cells: item 1's value spans two columns; 其他说明事项 spans 序号 and 项目
    assert table.cell(0, 2)._tc is table.cell(0, 3)._tc
    assert table.cell(11, 0)._tc is table.cell(11, 1)._tc
    assert table.cell(11, 2).text == "无"


A3_NOTES = {  # (field, the annex's hint printed in its cell while it is empty)
    ("factory.region.district", "（行政区）"),
    ("enterprise.group", "（如有）"),
    ("factory.address", "（行政区、街镇、路、门牌号）"),
    ("factory.cmmm.level", "此处请注明成熟度评估等级（L3-L5)"),
    ("factory.name", "2、字数控制在14个汉字以内（含14个）;英文字符每3个计一个汉字字节。"),
    ("enterprise.industry.shanghai", "（电子信息、汽车、高端装备、生命健康、先进材料、时尚消费品以上六选一）"),
}


def test_a3_hints_print_in_empty_cells_only(filled):
    """The annex's hints stand in the empty cells of a blank form; under a filled value
    they are not printed (issue 27)."""
    text = "\n".join(cells_in_order(Document(filled()["附件3"])))
    for _path, note in A3_NOTES:
        assert note not in text

    def empty(d):
        for path, _note in A3_NOTES:
            head, _, last = path.rpartition(".")
            node = d
            for part in head.split("."):
                node = node.get(part) or {}
            node.pop(last, None)

    text = "\n".join(cells_in_order(Document(filled(empty, draft=True)["附件3"])))
    for _path, note in A3_NOTES:
        assert note in text


def test_a4_format_font_spacing_and_parts(filled):
    doc = Document(filled()["附件4"])
    normal = doc.styles["Normal"]
    fonts = normal.element.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert normal.font.size == Pt(16)  # 三号
    assert normal.paragraph_format.line_spacing == Pt(27)
    assert str(normal.paragraph_format.line_spacing_rule).startswith("EXACTLY")
    section = doc.sections[0]
    assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7
    header = cells_in_order(doc)
    assert is_subsequence(
        [
            "企业名称",
            "上海澄川精密机械股份有限公司\n（需加盖公章）",
            "工厂名称",
            "澄川精密汽车零部件智能工厂",
            "所属行业",
            "汽车",
            "所属区域",
            "浦东新区",
        ],
        header,
    )
    paras = [p.text for p in doc.paragraphs]
    headings = [
        "第一部分：申报企业基本情况介绍",
        "2、品牌品质、专业资质、生产经营、财务状况（必填项）",
        "第二部分：智能工厂建设情况介绍",
        "2、智能工厂整体架构（必填项）",
        "第三部分：智能工厂创新情况介绍（亮点、特点）",
        "第四部分：智能工厂建设成效情况介绍（依据附件2中的典型环节和场景书写）",
        "3、行业的引领性及产业链带动性等方面",
        "第五部分：请企业依据国家标准《智能制造能力成熟度模型》（GB/T39116-2020）,通过智能制造评估评价公共服务平台（www.c3mep.cn）开展智能制造评估评价（免费）。完成评估后，下载并提交L3级及以上自评估报告（不计入文档字数内）。",
    ]
    assert is_subsequence(headings, paras)
    first_body = paras.index("1、发展历程、行业属性、行业地位") + 1
    assert paras[first_body].startswith("公司成立于2006年")
    # body runs carry the East Asian font through the style; headings set theirs on the run
    h = next(p for p in doc.paragraphs if p.text == "第一部分：申报企业基本情况介绍")
    assert h.runs[0]._r.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "黑体"


def test_a4_figures_numbered_and_captioned(filled):
    doc = Document(filled()["附件4"])
    assert len(doc.inline_shapes) == 10
    captions = [p.text for p in doc.paragraphs if p.text.startswith("图") and p.text[1:2].isdigit()]
    assert captions[0] == "图1 公司厂区全景" and captions[-1] == "图10 屋顶分布式光伏"
    assert [int(c.split(" ")[0][1:]) for c in captions] == list(range(1, 11))


def test_draft_is_marked_on_first_page(filled):
    doc = Document(filled(draft=True)["附件3"])
    assert doc.paragraphs[0].text.startswith("草稿")
    assert "草稿" in doc.sections[0].header.paragraphs[0].text


def test_template_tags_and_xml_characters_printed_literally(filled):
    name = "A&B<{{ enterprise.credit_code }}>{% if 1 %}科技有限公司"

    def edit(d):
        d["enterprise"]["name"] = name

    path = filled(edit)["附件3"]
    assert Document(path).tables[0].cell(0, 2).text == name
    assert path.name.startswith("附件3_") and "/" not in path.name.split("_", 2)[-1]


def summary_files(paths, shanghai, tmp_path, unit="上海市浦东新区科技和经济委员会", quota=5):
    doc = next(d for d in shanghai.documents if not d.single)
    batch = app.build_batch(paths, shanghai, quota)
    written = app.write_multi(doc, batch, unit, tmp_path / "sum", False, True)
    return {p.suffix: p for p in written}, batch


A5_HEADERS = [
    "序号",
    "单位名称",
    "工厂名称",
    "统一社会信用代码",
    "所属行业（电子信息、汽车、高端装备、生命健康、先进材料、时尚消费品）",
    "智能制造能力成熟度评估分数得分",
    "智能制造能力成熟度\n评估结果",
    "智能制造典型场景名称\n（场景名称须来自附件2）",
    "工厂地址",
    "联系人",
    "联系方式\n（手机号）",
]


def test_a5_xlsx_layout_rows_and_print_setup(write_record, shanghai, tmp_path):
    first = write_record(name="a.yaml")

    def second_edit(d):
        d["enterprise"]["name"] = '=HYPERLINK("http://x","点我")'
        d["enterprise"]["credit_code"] = "91310114730258169D"

    second = write_record(second_edit, name="b.yaml")
    files, batch = summary_files([second, first], shanghai, tmp_path)
    wb = openpyxl.load_workbook(files[".xlsx"])
    ws = wb.active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[0][0] == "附件5"
    assert values[1][0] == "上海市先进级智能工厂推荐汇总表"
    assert values[2][0] == "推荐单位（盖章）：上海市浦东新区科技和经济委员会"
    assert values[3] == A5_HEADERS
    # rows in the order given: b first
    assert values[4][0] == 1 and values[4][1].startswith("=HYPERLINK")  # 序号 a number
    assert ws.cell(5, 2).data_type == "s"  # text, never a formula
    assert values[5][:4] == [2, "上海澄川精密机械股份有限公司", "澄川精密汽车零部件智能工厂", "91310115MA1FL8TQ6C"]
    assert values[5][5] == 3.12 and values[5][6] == "L3"
    assert values[5][7].split("\n")[:2] == ["数字孪生工厂构建", "在线智能检测"]
    assert values[6][0] == "注：1.推荐排名有先后；2.推荐数量不能超过规定的上限。"
    merged = {str(m) for m in ws.merged_cells.ranges}
    assert {"A2:K2", "A3:K3", "A7:K7"} <= merged
    assert ws.page_setup.orientation == "landscape"
    # fit to one page wide (OOXML's default fitToWidth is 1), any number of pages tall
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows == "$4:$4"  # the header row repeats on every page


def test_a5_docx_table(write_record, shanghai, tmp_path):
    files, _ = summary_files([write_record()], shanghai, tmp_path)
    doc = Document(files[".docx"])
    assert doc.sections[0].orientation == 1  # landscape
    table = doc.tables[0]
    assert [c.text for c in table.rows[0].cells] == A5_HEADERS
    assert table.rows[1].cells[1].text == "上海澄川精密机械股份有限公司"
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    paras = [p.text for p in doc.paragraphs]
    assert "推荐单位（盖章）：上海市浦东新区科技和经济委员会" in paras
    assert paras[-1] == "注：1.推荐排名有先后；2.推荐数量不能超过规定的上限。"


def test_output_names_cannot_leave_folder(write_record, shanghai, tmp_path):
    def edit(d):
        d["enterprise"]["name"] = "../../etc/passwd"

    paths = app.fill(load(write_record(edit)), shanghai, tmp_path / "o", force=True)
    for p in paths:
        assert p.parent == (tmp_path / "o").resolve()


# --- the bureau sheets' columns, as the .xlsx renderer reads them ---------------------------

EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "examples"


def _typed(value):
    return (type(value).__name__, value)


def test_sheet_columns_read_what_the_layouts_say():
    """Every column of every bureau sheet of every pack, over every example record: the
    value the .xlsx renderer's prepared column gives is the layout expression's (Jinja's)."""
    from formgen.packs.pack import available, get_pack
    from formgen.render import xlsx as xlsx_render
    from formgen.render.context import column_value, rows_for

    records = [load(p).record for p in sorted(EXAMPLES.glob("*.yaml"))]
    compared = 0
    for name in available():
        for doc in get_pack(name).documents:
            if doc.kind != "multi":
                continue
            sheet = xlsx_render.prepare(doc.layout)
            for ns in rows_for(doc.layout, records):
                for col, prepared in zip(doc.layout["columns"], sheet.columns, strict=True):
                    expected = column_value(col, ns)
                    assert _typed(prepared.get(ns)) == _typed(expected), (name, doc.id, col.get("expr") or col["field"])
                    compared += 1
    assert compared > 500


@pytest.mark.parametrize(
    "expr",
    [
        "enterprise.name | upper",  # a filter the renderer leaves to Jinja
        "no_such_name",  # undefined: empty
        "enterprise.no_such_field",
        "fmt(people.contact.name) ~ '/' ~ no_such_name",  # undefined prints as nothing
        "factory.cmmm.level if false",  # no else: undefined
        "enterprise.name.upper()",  # a method
        "derived.items",  # a dict's method, not a key
        "enterprise.financials[9].revenue",  # past the end
        "(enterprise.credit_code or '')[8:17]",
        "enterprise.financials | length > 2 and enterprise.financials[-1].revenue",
        "boxes(factory.level, ['先进级', '基础级'])",
        "'A&B' ~ index",
    ],
)
def test_expressions_the_renderer_cannot_be_sure_of_give_jinjas_value(expr):
    from formgen.render import xlsx as xlsx_render
    from formgen.render.context import column_value, rows_for

    ns = rows_for({}, [load(EXAMPLES / "shanghai-chengchuan.yaml").record])[0]
    col = {"expr": expr}

    def outcome(fn):
        try:
            return _typed(fn())
        except Exception as exc:  # the same error as Jinja's, where Jinja refuses
            return ("raises", type(exc).__name__)

    assert outcome(lambda: xlsx_render.column_getter(col)(ns)) == outcome(lambda: column_value(col, ns))
