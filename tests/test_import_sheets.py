"""Multi-record sheets read back into records (formgen.doors.sheetread): the round trip for
every multi-record document of every pack (records -> sheet -> records -> the same
sheet), and sheets made by hand: headers typed with spaces and line breaks, a column
inserted, columns moved, merged cells, a Word table, a bad number, an unknown workbook."""

from __future__ import annotations

import copy
import io
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
import yaml

from formgen import app
from formgen.doors.docxread import Docx, DraftError, read_body
from formgen.doors.importer import to_loaded
from formgen.doors.sheetread import read_sheet, read_sheet_docx, sheet_document
from formgen.packs.pack import _label_text, available, get_pack
from formgen.record.ids import org_check_char
from formgen.record.written import fmt
from formgen.render import docx as docx_render
from formgen.render import xlsx as xlsx_render
from formgen.render.context import rows_for

from .conftest import ROOT
from .test_gansu import _advanced, _zhuoyue

EXAMPLES = ROOT / "data" / "examples"
UNIT = "某市工业和信息化局"


def _code(prefix: str, i: int) -> str:
    """A valid 统一社会信用代码 for the ``i``-th made-up enterprise of a region."""
    from stdnum.cn import uscc

    org = f"7{i:02d}26531"
    code = prefix + org + org_check_char(org)
    return code + uscc.calc_check_digit(code)


def _shanghai(i: int):
    def edit(d):
        d["enterprise"]["name"] = f"上海澄川精密机械{i + 1}号股份有限公司"
        d["enterprise"]["credit_code"] = _code("91310115", i)
        d["factory"]["cmmm"]["score"] = round(3.12 + i / 10, 2)

    return edit


def _hebei(i: int):
    def edit(d):
        d["enterprise"]["name"] = f"河北示例装备{i + 1}号有限公司"
        d["enterprise"]["credit_code"] = _code("91130100", i)
        d["people"]["contact"]["name"] = f"联系人{i + 1}"
        del d["scenarios"][len(d["scenarios"]) - i :]  # 6, 5, 4 scenario instances

    return edit


def _gansu(i: int, level: str):
    def edit(d):
        d["enterprise"]["org_code"] = None  # taken from the credit code
        d["enterprise"]["credit_code"] = _code("91620103", i)
        if level == "基础级":
            d["enterprise"]["name"] = f"甘肃示例机械{i + 1}号有限公司"
            money = dict(total=1250.5, fixed_assets=1100.5, equipment=800, working_capital=150, bank_loan=0)
            second = {**copy.deepcopy(d["projects"][0]), "name": "热处理车间数字化改造项目", **money}
            second.update(self_raised=1250.5, other_funds=0, plan_2025=300, plan_2026=500)
            d["projects"] += [second] * i  # the second enterprise has two projects
        elif level == "先进级":
            _advanced()(d)
            d["projects"] = []
            d["enterprise"]["name"] = "甘肃先进示范有限公司"
        else:
            _zhuoyue(d)
            d["enterprise"]["name"] = ["兰州兰石重工有限公司", "甘肃德福新材料有限公司"][i % 2]

    return edit


def _records(tmp_path: Path, pack: str, write_record) -> list[Path]:
    if pack == "shanghai":
        return [write_record(_shanghai(i), name=f"r{i}.yaml") for i in range(3)]
    if pack in ("national", "hebei"):
        base, edits = "hebei-jizhong", [_hebei(i) for i in range(3)]
    else:
        base = "gansu-longyuan"
        edits = [
            _gansu(0, "基础级"),
            _gansu(1, "基础级"),
            _gansu(2, "先进级"),
            _gansu(3, "卓越级"),
            _gansu(4, "卓越级"),
        ]
    data = yaml.safe_load((EXAMPLES / f"{base}.yaml").read_text(encoding="utf-8"))
    out = []
    for i, edit in enumerate(edits):
        d = copy.deepcopy(data)
        edit(d)
        p = tmp_path / "records" / f"r{i}.yaml"
        p.parent.mkdir(exist_ok=True)
        p.write_text(yaml.safe_dump(d, allow_unicode=True, sort_keys=False), encoding="utf-8")
        out.append(p)
    return out


def _render(pack, doc, paths: list[Path]) -> dict[str, bytes]:
    """The sheet rendered by the app from valid records, by format."""
    batch = app.build_batch(paths, pack, None)
    assert not batch.excluded, [f.text() for e in batch.excluded for f in e.findings if f.is_error]
    return {name.rsplit(".", 1)[1]: data for name, data in app.render_multi(doc, batch, UNIT, False)}


def _names(pack, doc, paths: list[Path]) -> list[str]:
    """The enterprises a sheet lists, in order."""
    from formgen.record.paths import applies

    records = [app.load(p).record for p in paths]
    return [r.enterprise.name for r in records if applies(r, doc.when)]


def _read(path: Path, pack, doc_id=None):
    if path.suffix == ".xlsx":
        return read_sheet(path, pack, doc_id)
    with Docx(path) as d:
        body = read_body(d)
        doc = sheet_document([p.text for p in body.paras if p.table is None][:80], pack, doc_id)
        assert doc is not None
        return read_sheet_docx(path, d, body, pack, doc)


def _cells(data: bytes, fmt_: str) -> list[list[str]]:
    """Every line of a sheet as its cells' texts: the worksheet's rows, or the Word
    file's paragraphs (one cell each) and table rows."""
    if fmt_ == "xlsx":
        ws = openpyxl.load_workbook(io.BytesIO(data)).active
        return [[fmt(c.value) if c.value is not None else "" for c in row] for row in ws.iter_rows()]
    d = docx.Document(io.BytesIO(data))
    out = [[p.text] for p in d.paragraphs]
    for t in d.tables:
        out += [[c.text for c in row.cells] for row in t.rows]
    return out


def _blank(rows: list[list[str]], labels: set[str]) -> list[list[str]]:
    """The sheet with the columns headed by ``labels`` left out (what IM005 declares
    derived, which cannot be read back)."""
    head = next(i for i, r in enumerate(rows) if r and r[0] == "序号")
    drop = {c for c, text in enumerate(rows[head]) if _label_text(text) in labels}
    return [[t for c, t in enumerate(r) if c not in drop or i <= head] for i, r in enumerate(rows)]


SHEETS = [
    (name, d.id, f)
    for name in sorted(available())
    for d in get_pack(name).documents
    if d.kind == "multi"
    for f in d.formats
]


def test_every_multi_record_document_has_a_round_trip():
    assert SHEETS == [
        ("gansu", "a1", "xlsx"),
        ("gansu", "a6", "xlsx"),
        ("gansu", "a7", "xlsx"),
        ("gansu", "a13", "xlsx"),
        ("gansu", "a13", "docx"),
        ("hebei", "a4", "xlsx"),
        ("hebei", "a4", "docx"),
        ("national", "a4", "xlsx"),
        ("national", "a4", "docx"),
        ("shanghai", "a5", "xlsx"),
        ("shanghai", "a5", "docx"),
    ]


# what each sheet shows but cannot give back (IM005), by its header
# (申报类型: ☑优秀应用场景, without the scenarios applied for)
DERIVED = {("gansu", "a1"): {"企业规模"}, ("gansu", "a6"): {"申报类型", "是否完成CMMM认证（申报场景企业此项勿填）"}}


@pytest.mark.parametrize(("pack_name", "doc_id", "fmt_"), SHEETS)
def test_round_trip_gives_the_same_sheet(pack_name, doc_id, fmt_, tmp_path, write_record):
    pack = get_pack(pack_name)
    doc = pack.document(doc_id)
    paths = _records(tmp_path, pack_name, write_record)
    first = _render(pack, doc, paths)[fmt_]
    sheet = tmp_path / f"{doc_id}.{fmt_}"
    sheet.write_bytes(first)

    recs = _read(sheet, pack)
    assert {r.document.id for r in recs} == {doc_id}
    assert [f.code for r in recs for f in r.findings if f.code != "IM005"] == []
    derived = {f.label for r in recs for f in r.findings if f.code == "IM005"}
    assert derived == DERIVED.get((pack_name, doc_id), set())
    assert [r.name for r in recs] == _names(pack, doc, paths)  # one record per enterprise

    records = [to_loaded(r, pack).record for r in recs]
    rows = rows_for(doc.layout, records)
    header = {"unit": UNIT, "recommender": None}
    if fmt_ == "xlsx":
        again = xlsx_render.render(doc.layout, rows, header, False, {})
    else:
        again = docx_render.render_multi(doc.layout, rows, header, False, {})
    before, after = _cells(first, fmt_), _cells(again, fmt_)
    assert _blank(after, derived) == _blank(before, derived)
    assert len(before) > 5  # the sheet has its rows


def test_values_land_with_their_cells(tmp_path, write_record, shanghai):
    doc = shanghai.document("a5")
    sheet = tmp_path / "a5.xlsx"
    sheet.write_bytes(_render(shanghai, doc, _records(tmp_path, "shanghai", write_record))["xlsx"])
    recs = read_sheet(sheet, shanghai)
    assert [r.row for r in recs] == [5, 6, 7]
    r = to_loaded(recs[1], shanghai).record
    assert r.enterprise.name == "上海澄川精密机械2号股份有限公司"
    assert r.factory.cmmm.level == 3  # printed as L3
    assert str(r.factory.cmmm.score) == "3.22"
    assert recs[1].places["enterprise.credit_code"] == "推荐汇总表!D6"
    assert recs[2].places["people.contact.mobile"] == "推荐汇总表!K7"


def test_rows_of_one_enterprise_are_one_record(tmp_path):
    """附件7, a row per project: an enterprise's projects are the items of its record,
    also when its 企业名称 cell is merged down over them by hand."""
    pack = get_pack("gansu")
    paths = _records(tmp_path, "gansu", None)
    sheet = tmp_path / "a7.xlsx"
    sheet.write_bytes(_render(pack, pack.document("a7"), paths)["xlsx"])
    wb = openpyxl.load_workbook(sheet)
    ws = wb.active
    first = next(r for r in range(1, 20) if ws.cell(r, 2).value == "甘肃示例机械2号有限公司")
    assert ws.cell(first + 1, 2).value == "甘肃示例机械2号有限公司"
    ws.cell(first + 1, 2).value = None
    ws.merge_cells(start_row=first, start_column=2, end_row=first + 1, end_column=2)
    wb.save(sheet)
    recs = read_sheet(sheet, pack)
    assert [(r.name, len(r.data["projects"])) for r in recs] == [
        ("甘肃示例机械1号有限公司", 1),
        ("甘肃示例机械2号有限公司", 2),
    ]
    projects = to_loaded(recs[1], pack).record.projects
    assert [p.name for p in projects] == ["燃气锅炉智能制造产线改造项目", "热处理车间数字化改造项目"]
    assert str(projects[1].total) == "1250.5" and projects[1].in_park is True
    assert recs[1].places["projects[1].total"] == f"在建项目汇总表!H{first + 1}"


# -- sheets made by hand ---------------------------------------------------------------------------


def _hand_made(source: bytes, path: Path, edit_header, order=None, extra=None, numbered: int = 0) -> Path:
    """The sheet typed again by hand in a new workbook: no merged cells, the header cells
    changed by ``edit_header(text)``, the columns in ``order`` (by their first index), a
    column ``extra`` = (position, header, text) inserted, ``numbered`` rows left empty but
    for their 序号, the notes typed in column A."""
    rows = _cells(source, "xlsx")
    head = next(i for i, r in enumerate(rows) if r and r[0] == "序号")
    order = order or list(range(len(rows[head])))
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    for i, row in enumerate(rows):
        if i > head and not row[0].isdigit() and numbered:
            last = max(int(r[0]) for r in rows if r[0].isdigit())
            for n in range(numbered):
                ws.append([last + n + 1])
            numbered = 0
        if i < head or not row[0].isdigit() and i > head:
            out = [row[0]]  # a line above or under the table, in column A
        else:
            out = [edit_header(row[c]) if i == head else row[c] for c in order]
            if extra:
                pos, title, text = extra
                out.insert(pos, title if i == head else text)
        ws.append(out)
    wb.save(path)
    return path


def _data(recs):
    return [r.data for r in recs]


def test_headers_typed_with_spaces_line_breaks_and_other_punctuation(tmp_path):
    pack = get_pack("gansu")
    sheet = tmp_path / "a1.xlsx"
    sheet.write_bytes(_render(pack, pack.document("a1"), _records(tmp_path, "gansu", None))["xlsx"])

    def typed(text: str) -> str:
        for a, b in (
            ("评估企业名称", "评估企业\n名 称"),
            ("（万）", "(万)"),
            ("¹", ""),
            ("序号", "序 号"),
            ("联系方式", "联系\u3000方式"),
        ):
            text = text.replace(a, b)
        return text

    hand = _hand_made(sheet.read_bytes(), tmp_path / "hand.xlsx", typed, numbered=3)
    rows = _cells(hand.read_bytes(), "xlsx")
    assert rows[3][1] == "评估企业\n名 称" and rows[9][:2] == ["6", ""]  # 序号 6-8 typed for more
    assert _data(read_sheet(hand, pack)) == _data(read_sheet(sheet, pack))


def test_a_column_inserted_and_columns_moved_by_hand(tmp_path, write_record, shanghai):
    sheet = tmp_path / "a5.xlsx"
    sheet.write_bytes(_render(shanghai, shanghai.document("a5"), _records(tmp_path, "shanghai", write_record))["xlsx"])
    order = [0, 1, 3, 2, 4, 5, 6, 7, 8, 10, 9]  # 信用代码 before 工厂名称, 联系方式 before 联系人

    def short(text: str) -> str:  # the headers' notes in parentheses left out
        return {"联系方式\n（手机号）": "联系方式", "工厂地址": "工厂地址(注册地)"}.get(text, text)

    hand = _hand_made(sheet.read_bytes(), tmp_path / "hand.xlsx", short, order, (5, "区县", "浦东新区"))
    rows = _cells(hand.read_bytes(), "xlsx")
    assert rows[3][9:] == ["工厂地址(注册地)", "联系方式", "联系人"]
    assert rows[3][:6] == [
        "序号",
        "单位名称",
        "统一社会信用代码",
        "工厂名称",
        "所属行业（电子信息、汽车、高端装备、生命健康、先进材料、时尚消费品）",
        "区县",
    ]
    recs = read_sheet(hand, shanghai)
    assert _data(recs) == _data(read_sheet(sheet, shanghai))
    assert recs[0].places["enterprise.credit_code"] == "Sheet1!C5"  # where it stands now
    assert not [f for r in recs for f in r.findings]


def test_a_missing_column_is_reported_by_its_header(tmp_path, write_record, shanghai):
    sheet = tmp_path / "a5.xlsx"
    sheet.write_bytes(_render(shanghai, shanghai.document("a5"), _records(tmp_path, "shanghai", write_record))["xlsx"])
    hand = _hand_made(sheet.read_bytes(), tmp_path / "hand.xlsx", str, [0, 1, 2, 3, 4, 5, 6, 7, 9, 10])
    recs = read_sheet(hand, shanghai)
    assert {(f.code, f.label) for r in recs for f in r.findings} == {("IM001", "工厂地址")}
    assert all("address" not in r.data["factory"] for r in recs)


def test_rows_in_a_word_table(tmp_path, shanghai):
    """附件5 typed into Word: the heading, a table with the header's own line breaks and
    a spaced label, the rows, the notes after."""
    d = docx.Document()
    d.add_paragraph("附件5")
    d.add_paragraph("上海市先进级智能工厂推荐汇总表")
    d.add_paragraph("推荐单位（盖章）：浦东新区科经委")
    header = [_label_text(c["header"]) for c in shanghai.document("a5").layout["columns"]]
    header[1] = "单 位 名 称"
    header[6] = "智能制造能力成熟度\n评估结果"
    rows = [
        [
            "1",
            "上海甲精密有限公司",
            "甲智能工厂",
            "91310115MA1FL8TQ6C",
            "汽车",
            "3.2",
            "L3",
            "智能排产\n在线检测",
            "浦东新区秀浦路1号",
            "林晓雯",
            "13816645120",
        ],
        [
            "2",
            "上海乙电子有限公司",
            "乙智能工厂",
            "91310115MA1FL8TQ6C",
            "电子信息",
            "2.9",
            "三级",
            "",
            "浦东新区秀浦路2号",
            "周子衡",
            "15921083371",
        ],
    ]
    t = d.add_table(rows=1 + len(rows), cols=len(header))
    for i, row in enumerate([header, *rows]):
        for j, text in enumerate(row):
            t.cell(i, j).text = text
    t.cell(1, 4).merge(t.cell(2, 4)).text = "汽车"  # one 所属行业 merged down over both rows
    d.add_paragraph("注：1.推荐排名有先后；2.推荐数量不能超过规定的上限。")
    path = tmp_path / "附件5.docx"
    d.save(path)
    recs = _read(path, shanghai)
    assert [r.name for r in recs] == ["上海甲精密有限公司", "上海乙电子有限公司"]
    a, b = (to_loaded(r, shanghai).record for r in recs)
    assert [s.name for s in a.scenarios] == ["智能排产", "在线检测"]
    assert (a.factory.cmmm.level, b.factory.cmmm.level) == (3, 3)  # L3, 三级
    assert recs[1].places["people.contact.mobile"] == "表格1 第3行「联系方式（手机号）」"
    assert b.enterprise.industry.shanghai == "汽车"
    assert recs[1].places["enterprise.industry.shanghai"].startswith("表格1 第2行「所属行业")  # the merged cell
    assert recs[0].row == 2


def test_a_bad_number_is_reported_at_its_cell(tmp_path, write_record, shanghai):
    sheet = tmp_path / "a5.xlsx"
    sheet.write_bytes(_render(shanghai, shanghai.document("a5"), _records(tmp_path, "shanghai", write_record))["xlsx"])
    wb = openpyxl.load_workbook(sheet)
    assert wb.active["F4"].value == "智能制造能力成熟度评估分数得分"
    wb.active["F6"] = "二点六分"
    wb.active["B7"] = "上海丙有限公司"
    wb.active["F7"] = "=F5+1"  # a formula never calculated (no cached value)
    wb.save(sheet)
    recs = read_sheet(sheet, shanghai)
    bad = [(r.row, f.code, f.line, f.path) for r in recs for f in r.findings]
    assert bad == [
        (6, "IM002", "推荐汇总表!F6", "factory.cmmm.score"),
        (7, "IM002", "推荐汇总表!F7", "factory.cmmm.score"),
    ]
    assert "没有计算结果的公式" in recs[2].findings[0].message
    assert "score" not in recs[1].data["factory"]["cmmm"] and recs[1].data["factory"]["cmmm"]["level"] == 3
    assert recs[2].name == "上海丙有限公司"  # the rest is read


def test_an_unknown_workbook_is_one_clear_error(tmp_path, shanghai):
    with pytest.raises(DraftError) as e:
        read_sheet(EXAMPLES / "shanghai-chengchuan.xlsx", shanghai)  # a record, not a sheet
    assert e.value.code == "IM006"
    msg = str(e.value)
    # its 填写说明 names 附件5, but no sheet has the header
    assert msg.startswith("shanghai-chengchuan.xlsx：工作表“填写说明”中找不到附件5") and "\n" not in msg
    assert "（序号、单位名称、工厂名称、统一社会信用代码…）" in msg and "a5（附件5" in msg
    with pytest.raises(DraftError, match="不是表格包 gansu 的汇总表.*a1（附件1"):
        read_sheet(EXAMPLES / "shanghai-chengchuan.xlsx", get_pack("gansu"))


def test_a_workbook_that_is_no_sheet_of_the_doc_named(tmp_path, shanghai):
    with pytest.raises(DraftError, match="工作簿中找不到附件5.*表头"):
        read_sheet(EXAMPLES / "shanghai-chengchuan.xlsx", shanghai, "a5")
    with pytest.raises(DraftError, match="没有汇总表 a9"):
        read_sheet(EXAMPLES / "shanghai-chengchuan.xlsx", shanghai, "a9")


def test_unsafe_workbooks_are_refused_with_one_line(tmp_path, shanghai):
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/big.xml", b"\0" * (65 << 20))  # unpacks to 65 MB
    text = tmp_path / "text.xlsx"
    text.write_text("序号,单位名称\n1,某公司\n", encoding="utf-8")
    for path, words in ((bomb, "解压后超过"), (text, "不是有效的 .xlsx")):
        with pytest.raises(DraftError) as e:
            read_sheet(path, shanghai)
        assert e.value.code == "IM006" and words in str(e.value) and "\n" not in str(e.value)


def test_a_grouped_header_is_matched_by_its_whole_path():
    """Two groups with a column of the same name (资金来源/其他, 效益/其他): each is
    found under its own group, wherever the groups stand."""
    from formgen.doors.sheetread import _find_header, _Grid

    columns = [
        {"header": ["序号"], "expr": "index"},
        {"header": ["资金来源", "自筹"], "field": "self_raised"},
        {"header": ["资金来源", "其他"], "field": "other_funds"},
        {"header": ["效益", "其他"], "field": "new_profit"},
    ]
    texts = [
        ["表名", "表名", "表名", "表名"],
        ["序号", "效益", "资金 来源", "资金来源"],
        ["序号", "其他", "其 他", "自筹"],
    ]
    header = _find_header(_Grid(texts, lambda r, c, label: f"{r},{c}"), columns)
    assert (header.first, header.depth, header.columns) == (1, 2, {0: 0, 1: 3, 2: 2, 3: 1})
