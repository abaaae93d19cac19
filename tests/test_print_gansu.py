"""The Gansu 申报书 (附件2/3/4) and 承诺书 (附件8) as they print (issue 9).

Re-opened: the 申请表 rows as the annex lays them out (shared/sources/003: cells one per
line, a row's cells in order), the signature lines right-aligned with room to sign, the
annex's guidance only under empty values, 附件2's three footnotes, 附件8's unit and date,
附表1/附表2 kept readable across pages. Through LibreOffice: no blank page, codes and
phone numbers whole on a line, 公文 page numbers, the 推荐意见 box whole and never alone,
every page of 附表2 naming its instance."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH

from formgen import app
from formgen.cli import main
from formgen.doors.opener import load
from formgen.packs.pack import get_pack
from formgen.record.model import Recommender

from .conftest import ROOT, to_pdf
from .test_gansu import _advanced, _two_excellent

EXAMPLE = ROOT / "data" / "examples" / "gansu-longyuan.yaml"
UNIT = "兰州市工业和信息化局"


def _record(folder: Path, edit=None, name="g.yaml") -> Path:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    if edit:
        edit(data)
    path = folder / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _summary_a8(record: Path, out: Path, *args) -> Path:
    r = CliRunner().invoke(main, ["summary", str(record), "--pack", "gansu", "--doc", "a8", "--out", str(out), *args])
    assert r.exit_code == 0, r.output
    return next(out.glob("附件8*.docx"))


@pytest.fixture(scope="module")
def gansu():
    return get_pack("gansu")


@pytest.fixture(scope="module")
def docs(tmp_path_factory, gansu) -> dict[str, Path]:
    """附件2 and 附件3 of the example, 附件4 of its 先进级 variant, 附件2 with two instances
    (附表2 over two pages), 附件8 from --unit and from a profile with a date."""
    out = tmp_path_factory.mktemp("print_gansu")
    files = {p.name.split("_")[0]: p for p in app.fill(load(_record(out)), gansu, out / "basic")}
    adv = app.fill(load(_record(out, _advanced(), "adv.yaml")), gansu, out / "adv")
    files["附件4"] = next(p for p in adv if p.name.startswith("附件4"))
    two = app.fill(load(_record(out, _two_excellent, "two.yaml")), gansu, out / "two")
    files["附件2_two"] = next(p for p in two if p.name.endswith("人机协同作业.docx"))
    kpis = app.fill(load(_record(out, _extra_kpis, "kpis.yaml")), gansu, out / "kpis")
    files["附件2_kpis"] = next(p for p in kpis if p.name.startswith("附件2"))
    files["附件8"] = _summary_a8(EXAMPLE, out / "a8", "--unit", UNIT)
    profile = out / "bureau.yaml"
    profile.write_text(f"unit: {UNIT}\ndate: 2026-01-05\n", encoding="utf-8")
    files["附件8_dated"] = _summary_a8(EXAMPLE, out / "a8d", "--recommender", str(profile))
    return files


def annex_rows(table) -> list[list[str]]:
    """Each row's cell texts in order, a merged cell once, in the row where it starts
    (as the annex's text lists them)."""
    seen: list = []
    rows = []
    for row in table.rows:
        texts = []
        for cell in row.cells:
            if any(cell._tc is s for s in seen):
                continue
            seen.append(cell._tc)
            texts.append(cell.text)
        rows.append(texts)
    return rows


def _row_starting(rows, first: str) -> int:
    return next(i for i, r in enumerate(rows) if r and r[0] == first)


# -- 附件2 ---------------------------------------------------------------------------------

# 整体建设成效, two indicators a row, as 003 附件2 lists them
KPI_PAIRS = [
    ("关键设备数控化率（%）", "关键设备联网率（%）"),
    ("生产效率提升*（%）", "资源综合利用率提升*（%）"),
    ("研制周期缩短（%）", "运营成本下降*（%）"),
    ("单位产品成本下降（%）", "产品不良率下降（%）"),
    ("质量损失率下降*（%）", "销售增长率（%）"),
    ("设备综合利用率提升（%）", "库存周转率提升（%）"),
    ("供应商准时交付率提升（%）", "订单准时交付率提升（%）"),
    ("先进过程控制投用率**（%）", "单位产品综合能耗降低（%）"),
    ("单位产品二氧化碳（CO₂）排放量降低（%）", "先进制造模式/解决方案面向供应链上下游复制推广的企业数量（家）"),
]


def test_a2_rows_as_the_annex(docs):
    table = Document(docs["附件2"]).tables[0]
    rows = annex_rows(table)
    for row in [
        ["统一社会信用代码", "916201037102653100", "成立时间", "1998年9月16日"],
        [
            "所属行业²",
            "行业门类\n制造业",
            "行业大类（行业代码大类+名称）\n34-通用设备制造业",
            "行业中类（行业中类代码+名称）\n341-锅炉及原动设备制造",
        ],
        ["法人代表/负责人", "姓名", "马国栋", "电话", "0931-2345678"],
        ["联系人", "姓名", "杨静", "电话", "0931-2345690"],
        ["职务", "信息中心主任", "手机", "13993145210"],
        ["传真", "0931-2345600", "邮箱", "yangj@longyuan.example.cn"],
        ["近三年发展情况", "2022年", "2023年", "2024年"],
    ]:
        assert row in rows
    assert rows[_row_starting(rows, "企业性质") + 1][0] == "企业类型¹"
    assert rows[_row_starting(rows, "利润率（%）") + 1][0] == "企业近三年是否发生过重大安全生产事故、重大环境事故³"
    # 应用建设系统解决方案供应商名称 spans its 联系人 | 联系电话 row
    s = _row_starting(rows, "应用建设系统解决方案供应商名称")
    assert rows[s][1] == "兰州智联工业技术有限公司"  # the annex's hint (可填写多个…) only in a blank form
    assert rows[s + 1] == ["联系人", "杨静", "联系电话", "0931-2345690"]
    assert table.cell(s, 0)._tc is table.cell(s + 1, 0)._tc
    # 整体建设成效: two indicators a row, then the one cell headed （其他成效指标）
    k = _row_starting(rows, "整\n体\n建\n设\n成\n效")
    assert rows[k][1:] == ["关键设备数控化率（%）", "78", "关键设备联网率（%）", "85"]
    assert rows[k + 1] == ["生产效率提升*（%）", "22", "资源综合利用率提升*（%）", ""]
    assert [(r[0], r[2]) for r in [rows[k][1:], *rows[k + 1 : k + 9]]] == KPI_PAIRS
    assert rows[k + 9] == ["（其他成效指标）"]
    assert table.cell(k, 0)._tc is table.cell(k + 9, 0)._tc and rows[k + 10][0] == "真实性\n承诺"


FOOTNOTES = [
    "¹ 根据《统计上大中小微型企业划分办法（2017）》《关于印发中小企业划型标准规定的通知》规定，工业企业大、中、小、微企业划分标准如下：",
    "² 所属行业大类和中类，根据《国民经济行业分类与代码（GB/T 4754-2017）》进行选填。",
    "³ 重大、特大安全生产事故认定标准见《生产安全事故报告和调查处理条例》（中华人民共和国国务院令第493号）第三条（一）（二），",
]


def test_a2_footnotes_under_the_table_they_belong_to(docs):
    doc = Document(docs["附件2"])
    body = list(doc.element.body.iterchildren())
    table_at = body.index(doc.tables[0]._tbl)
    part_two = next(p for p in doc.paragraphs if p.text == "二、场景建设方案及情况")
    notes = [next(p for p in doc.paragraphs if p.text.startswith(n)) for n in FOOTNOTES]
    assert table_at < body.index(notes[0]._p) < body.index(notes[1]._p) < body.index(notes[2]._p)
    assert body.index(notes[2]._p) < body.index(part_two._p)
    assert notes[0].text.endswith("从业人员20人以下或营业收入300万元以下的为微型企业。")
    assert notes[2].text.endswith("《国家突发环境事件应急预案》（国办函〔2014〕119号）附件1第一条、第二条。")


def test_a2_schedules_keep_their_headers_and_instances(docs):
    doc = Document(docs["附件2_two"])
    kept = {p.text for p in doc.paragraphs if p.paragraph_format.keep_with_next}
    assert {"附表1", "场景描述", "附表2", "场景采用的关键装备、软件、工艺、技术情况"} <= kept
    t1, t2 = doc.tables[-2], doc.tables[-1]
    assert t1.rows[0]._tr.trPr.xpath("./w:tblHeader")  # 附表1's header repeats on every page
    starts = [r for r in range(len(t2.rows)) if t2.cell(r, 0).text.startswith("具体场景实例名称")]
    starts = sorted({t2.cell(r, 0)._tc: r for r in reversed(starts)}.values())
    assert len(starts) == 2  # two instances, each kept together and not with the next
    for first, end in zip(starts, [*starts[1:], len(t2.rows)], strict=True):
        for r in range(first, end):
            paras = [p for c in t2.rows[r].cells for p in c.paragraphs]
            assert all(p.paragraph_format.keep_with_next for p in paras) == (r < end - 1), r


# -- 附件3 ---------------------------------------------------------------------------------


def test_a3_rows_as_the_annex(docs):
    table = Document(docs["附件3"]).tables[0]
    rows = annex_rows(table)
    assert rows[0] == ["企业\n基本\n信息", "企业名称", "甘肃陇原精工机械有限公司"]
    assert rows[1] == ["所属行业", "制造业-通用设备制造业-锅炉及原动设备制造", "所属地区", "兰州市七里河区"]
    assert rows[2] == ["组织机构代码", "710265310", "成立时间", "1998年9月16日"]
    assert rows[13] == [
        "代表产线有关信息",
        "产线名称",
        "燃气锅炉筒体焊接装配产线",
        "智能化改造完成投资（万元）",
        "1800",
    ]
    assert rows[14] == ["建设开始时间", "2023年3月", "建设完成时间", "2024年12月"]
    assert rows[18] == [
        "代表产线有关信息",
        "智能装备广泛应用",
        "自动化、智能化设备台套（产线）数",
        "90",
        "自动化、智能化设备占全部设备比重（%)",
        "75",
    ]
    assert rows[19] == [
        "设备实现联网",
        "自动化、智能化设备联网数",
        "77",
        "自动化、智能化设备联网数占自动化、智能化设备总数的比重（%）",
        "85.6",
    ]
    assert "生产\n过程\n实现\n实时\n调度" in rows[20][:2]  # after 代表产线有关信息 where it starts a part
    # the merged blocks: 企业基本信息 13 rows, 代表产线有关信息 5 and 13 (a block longer
    # than a page in parts, each part merged and labelled again: see test_print_keeplabels)
    for top, span, label in [(0, 13, "企业\n基本\n信息"), (13, 5, "代表产线有关信息"), (18, 13, "代表产线有关信息")]:
        assert [table.cell(r, 0).text for r in range(top, top + span)] == [label] * span
        assert table.cell(top, 0)._tc is not table.cell(top - 1, 0)._tc if top else True
        assert table.cell(top + span - 1, 0)._tc is not table.cell(top + span, 0)._tc
    assert table.cell(13, 0)._tc is table.cell(17, 0)._tc  # fits on a page: one merged cell


def _emptied(d):
    d["factory"]["line"].pop("start")
    d["factory"]["line"].pop("end")
    d["enterprise"]["industry"].pop("gbt4754")
    d["enterprise"]["region"] = {"province": "甘肃省"}


GUIDANCE = [
    "（按国民经济行业分类具体到中类，如：制造业-化学纤维制造业-纤维素纤维原料及纤维制造）",
    "填写格式：xx市xx县（市、区）",
]


def test_a3_guidance_only_under_empty_values(docs, gansu, tmp_path):
    filled = annex_rows(Document(docs["附件3"]).tables[0])
    texts = [t for r in filled for t in r]
    assert not any(g in t for g in [*GUIDANCE, "xx年xx月"] for t in texts)
    # the prompts that tell the rows under one label apart stay under real values; the
    # hints of the blank form (字数, what to write about) do not (issue 27)
    assert "（请简要说明关键设备自动调试修复的情况）" in "\n".join(texts)
    assert not any("（发展历程、主营业务、市场销售等方面基本情况，限400字）" in t for t in texts)
    assert not any("(不超过300字)" in t for t in texts)

    paths = app.fill(load(_record(tmp_path, _emptied)), gansu, tmp_path / "out", draft=True)
    rows = annex_rows(Document(next(p for p in paths if p.name.startswith("附件3"))).tables[0])
    assert rows[1] == ["所属行业", f"\n{GUIDANCE[0]}", "所属地区", f"\n{GUIDANCE[1]}"]
    assert rows[14] == ["建设开始时间", "\nxx年xx月", "建设完成时间", "\nxx年xx月"]


# -- 附件4 ---------------------------------------------------------------------------------


def test_a4_rows_as_the_annex(docs):
    table = Document(docs["附件4"]).tables[0]
    rows = annex_rows(table)
    assert ["机构代码", "710265310", "成立时间", "1998年9月16日"] in rows
    h = _row_starting(rows, "企业负责人")
    assert rows[h] == ["企业负责人", "姓  名", "职务和职称", "电话"]  # the annex's header row
    assert rows[h + 1] == ["马国栋", "董事长", "0931-2345678"]  # the values under it
    assert table.cell(h, 0)._tc is table.cell(h + 1, 0)._tc
    assert rows[h + 2][0] == "近三年主要经济指标"


# -- signatures ----------------------------------------------------------------------------


def _cell_starting(doc, text: str):
    return next(c for t in doc.tables for r in t.rows for c in r.cells if c.paragraphs[0].text.startswith(text))


@pytest.mark.parametrize(
    "name, lines",
    [
        ("附件2", ["法定代表人签章：", "公　　　　　章：", "年　　月　　日"]),
        ("附件3", ["法定代表人签字：", "申报单位（公章）", "年　　月　　日"]),
        ("附件4", ["法定代表人签字：", "申报单位（公章）", "年　　月　　日"]),
    ],
)
def test_promise_signed_on_the_right_with_room(docs, name, lines):
    doc = Document(docs[name])
    cell = _cell_starting(doc, "我单位申报的所有材料，均真实、完整，如有不实，愿承担相应的责任。")
    first, *signature = cell.paragraphs
    assert first.alignment == WD_ALIGN_PARAGRAPH.LEFT
    assert [p.text.strip() for p in signature] == lines
    assert all(p.alignment == WD_ALIGN_PARAGRAPH.RIGHT for p in signature)
    assert signature[0].paragraph_format.space_before.pt >= 18  # room above the signature
    # room to sign after the colon: a right indent of eight characters (trailing spaces
    # do not count in a right-aligned line)
    assert signature[0].paragraph_format.right_indent.pt >= 8 * 12
    if name != "附件2":  # the 市（州） box: 推荐单位（公章） and the date low on the right
        box = [c for t in doc.tables for r in t.rows for c in r.cells if c.text.strip().startswith("推荐单位（公章）")]
        stamp, date = box[0].paragraphs
        assert [stamp.text.strip(), date.text.strip()] == ["推荐单位（公章）", "年　　月　　日"]
        assert stamp.alignment == date.alignment == WD_ALIGN_PARAGRAPH.RIGHT
        assert stamp.paragraph_format.space_before.pt >= 48


# -- 附件8 ---------------------------------------------------------------------------------


def test_a8_unit_alone_and_the_profile_date(docs, gansu):
    undated = Document(docs["附件8"]).paragraphs
    assert undated[2].text.startswith(f"{UNIT}谨就申请工业和信息化领域省级专项项目资金申请事宜")
    assert "主管部门" not in undated[2].text
    assert [p.text.strip() for p in undated[-3:]] == ["（单位公章）", "主要负责人签字：", "年　　月　　日"]
    assert all(p.alignment == WD_ALIGN_PARAGRAPH.RIGHT for p in undated[-3:])
    dated = Document(docs["附件8_dated"]).paragraphs
    assert dated[-1].text.strip() == "2026年1月5日" and dated[-1].alignment == WD_ALIGN_PARAGRAPH.RIGHT
    # no unit: the annex's placeholder, for writing in by hand
    ((_, data),) = app.render_bureau(gansu.document("a8"), Recommender(), draft=False)
    blank = Document(io.BytesIO(data)).paragraphs
    assert blank[2].text.startswith("市（州），县（市区）工业和信息化局（主管部门）名称　　谨就申请")


# -- through LibreOffice -------------------------------------------------------------------


@pytest.fixture(scope="module")
def pages(docs, tmp_path_factory) -> dict[str, list[str]]:
    """Each document's pages as ``pdftotext -layout`` reads them."""
    names = list(docs)
    pdfs = to_pdf([docs[n] for n in names], tmp_path_factory.mktemp("print_gansu_pdf"))
    out = {}
    for name, pdf in zip(names, pdfs, strict=True):
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True).stdout
        found = text.decode("utf-8").split("\f")
        out[name] = found[:-1] if found and not found[-1].strip() else found
    return out


# KPIs of the 2025 list (checks.kpi: [gansu, 2025]) with no row of 附件2's table, the
# longest name of them among them, and the applicant's own 其他成效指标
EXTRA_KPIS = {
    "应用人工智能技术场景比例（%）": 0,
    "一般固废综合利用率（%）": 92.5,
    "单位产值二氧化碳（CO₂）排放量降低（%）": 12,
    "先进制造模式/解决方案向产业链供应链上下游复制推广的企业数量（家）": 6,
}


def _extra_kpis(data):
    data["kpis"].update(EXTRA_KPIS)
    data["kpi_others"] = "新产品开发周期缩短三成"


def test_a2_kpis_without_a_row_print_whole_under_other_indicators(pages):
    """Through LibreOffice: each KPI with no row prints on a line of its own under
    （其他成效指标）, after the applicant's text and before 真实性承诺, nothing cut."""
    (page,) = [p for p in pages["附件2_kpis"] if "（其他成效指标）" in p]
    lines = [re.sub(r"\s+", "", x) for x in page.split("\n") if x.strip()]
    at = lines.index("（其他成效指标）")
    printed = [f"{k}：{v}" for k, v in EXTRA_KPIS.items()]
    assert lines[at + 1] == "新产品开发周期缩短三成"
    assert "".join(lines[at + 2 :]).startswith("".join(printed) + "我单位申报的所有材料")


def test_a3_hints_not_printed_under_filled_values(pages):
    """As printed: 企业简介 and the 典型场景 descriptions without the annex's hints under them;
    the （请简要说明…） prompts that name the rows kept (issue 27)."""
    text = "".join(pages["附件3"])
    flat = re.sub(r"\s+", "", text)
    for hint in ("（发展历程、主营业务、市场销售等方面基本情况，限400字）", "(不超过300字)", "（从智能装备应用及联网"):
        assert hint not in flat, hint
    assert "（请简要说明关键设备自动调试修复的情况）" in flat


def test_no_blank_page_and_page_numbers(pages):
    for name, texts in pages.items():
        if name.startswith("附件8"):
            assert len(texts) == 1 and texts[0].strip()
            continue
        assert len(texts) > 1
        for n, page in enumerate(texts, 1):
            footer = re.compile(rf"—\s*{n}\s*—")  # "— 1 —" in the footer
            if n == 1:  # the cover carries no page number
                assert not footer.search(page) and page.strip(), f"{name} 封面"
                continue
            assert footer.search(page), f"{name} 第{n}页没有页码"
            assert footer.sub("", page).strip(), f"{name} 第{n}页是空白页"


def test_codes_phones_and_email_whole_on_a_line(pages):
    whole = {
        "附件2": ["916201037102653100", "0931-2345678", "0931-2345690", "13993145210", "0931-2345600"],
        "附件3": ["710265310", "0931-2345690", "13993145210", "0931-2345600"],
        "附件4": ["710265310", "0931-2345690", "13993145210", "0931-2345600", "0931-2345678"],
    }
    for name, codes in whole.items():
        codes = [*codes, "yangj@longyuan.example.cn"]
        lines = "\n".join(pages[name]).splitlines()
        for code in codes:
            assert any(code in line for line in lines), f"{name}：{code} 被拆开了"


@pytest.mark.parametrize("name", ["附件3", "附件4"])
def test_recommendation_box_whole_and_with_the_promise(pages, name):
    (page,) = [p for p in pages[name] if "推荐单位（公章）" in p]
    for part in ["市（州）", "工信部门", "及推荐", "意见", "年", "我单位申报的所有材料"]:
        assert part in page


def test_every_page_of_schedule_2_names_its_instance(pages):
    texts = pages["附件2_two"]
    first = next(i for i, p in enumerate(texts) if "场景采用的关键装备、软件、工艺、技术情况" in p)
    assert len(texts) - first >= 2  # the two instances take two pages
    for page in texts[first:]:
        assert "具体场景实例名称" in page


def test_excellent_only_and_zhuoyue_records_print(tmp_path, gansu):
    """An applicant for a 优秀场景 alone gets 附件2 only, printed without a blank page;
    a 卓越级 applicant's 附件13 sheets print their codes whole."""
    from .test_gansu import _zhuoyue

    def excellent_only(d):
        d["factory"]["level"] = None
        d["projects"] = []

    paths = app.fill(load(_record(tmp_path, excellent_only, "ex.yaml")), gansu, tmp_path / "ex")
    assert [p.name.split("_")[0] for p in paths] == ["附件2"]
    zy = _record(tmp_path, _zhuoyue, "zy.yaml")
    r = CliRunner().invoke(
        main,
        [
            "summary",
            str(zy),
            "--pack",
            "gansu",
            "--doc",
            "a13",
            "--unit",
            "甘肃省工业和信息化厅",
            "--out",
            str(tmp_path / "zy"),
        ],
    )
    assert r.exit_code == 0, r.output
    sheets = sorted((tmp_path / "zy").iterdir())
    pdfs = to_pdf([*paths, *sheets], tmp_path / "pdf")
    for pdf in pdfs:
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
        assert all(page.strip() for page in text.split("\f")[:-1]), pdf.name
    for pdf in pdfs[1:]:
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
        assert "13993145210" in text  # the contact's mobile, whole
