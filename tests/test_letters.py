"""The 整改通知 letters as the enterprise reads them: each item names the form it filled
and the place in it, fields only the bureau's sheets need are asked for once (or left to
the bureau), duplicates are settled first (one letter per enterprise, about the kept
file), and nothing in a letter is an option, a path, another enterprise or a raw value.
Every batch is run through ``formgen summary`` / ``validate`` and its letters opened again."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import openpyxl
from click.testing import CliRunner
from docx import Document

from formgen.cli import main
from formgen.doors.opener import load

from .conftest import ROOT

EXAMPLES = ROOT / "data" / "examples"
GANSU_UNIT = "兰州市工业和信息化局"
SHANGHAI_UNIT = "浦东新区科技和经济委员会"
A3 = "附件3《甘肃省基础级智能工厂申报书》"
MOBILE = "13993145210"  # 陇原's contact mobile in the example; one digit short below
BAD_MOBILE = "1399314521"


def _run(*args) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, [str(a) for a in args])
    return r.exit_code, r.stdout, r.stderr


def _items(path: Path) -> list[str]:
    """A letter's numbered items."""
    return [p.text for p in Document(path).paragraphs if re.match(r"\d+．", p.text)]


def _letters(folder: Path) -> dict[str, list[str]]:
    """Enterprise (from the 称呼 line) -> every paragraph of its letter."""
    out = {}
    for p in sorted(folder.glob("整改通知_*.docx")):
        paras = [x.text for x in Document(p).paragraphs]
        out[paras[1].rstrip("：")] = paras
    return out


def _longyuan_text(**changes) -> str:
    text = (EXAMPLES / "gansu-longyuan.yaml").read_text(encoding="utf-8")
    for old, new in changes.items():
        assert old in text
        text = text.replace(old, new, 1)
    return text


def _longyuan(folder: Path, name: str = "陇原精工.yaml") -> Path:
    """陇原精工 with a bad mobile, no 省 in its region, no CMMM score or 提交时间 (the last
    three only 附件1, the bureau's 汇总表, prints)."""
    p = folder / name
    p.write_text(
        _longyuan_text(
            **{
                MOBILE: BAD_MOBILE,
                "region: {province: 甘肃省, city: 兰州市, district: 七里河区}": "region: {city: 兰州市, district: 七里河区}",
                "cmmm: {score: 2.36, level: 2, submitted: 2025-07-20}": "cmmm: {level: 2}",
            }
        ),
        encoding="utf-8",
    )
    return p


def _longxi_form(folder: Path, tmp: Path, annex: str = "附件3") -> Path:
    """A filled Gansu form (Word; 附件3 unless ``annex`` says) of another enterprise, 陇西精工,
    its mobile one digit short."""
    record = tmp / "陇西.yaml"
    text = _longyuan_text(**{"916201037102653100": "91620103710265329W", "710265310": "710265329"})
    record.write_text(text.replace("陇原", "陇西"), encoding="utf-8")
    code, out, err = _run("fill", record, "--pack", "gansu", "--out", tmp / "filled")
    assert code == 0, out + err
    (form,) = (tmp / "filled").glob(f"{annex}_*.docx")
    doc = Document(form)
    cells = [c for t in doc.tables for r in t.rows for c in r.cells if c.text.strip() == MOBILE]
    for run in cells[0].paragraphs[0].runs:
        run.text = run.text.replace(MOBILE, BAD_MOBILE)
    target = folder / f"陇西精工_{annex}.docx"
    doc.save(target)
    return target


def _summary(inbox: Path, pack: str, unit: str, tmp: Path, *extra) -> tuple[int, str, str, Path]:
    notices = tmp / f"通知_{pack}_{len(list(tmp.iterdir()))}"
    code, out, err = _run(
        "summary", inbox, "--pack", pack, "--unit", unit, "--quota", 9, "--out", tmp / f"out_{notices.name}",
        "--report", tmp / f"{notices.name}.xlsx", "--notices", notices, *extra,
    )  # fmt: skip
    return code, out, err, notices


def test_items_name_the_form_and_the_place_in_it(tmp_path):
    """A YAML record's item and a Word 附件3's item both point into 附件3 as printed: its
    table part 「企业基本信息」 (or the Word table) and row, the form's label; never a line
    of the record file."""
    inbox = tmp_path / "收件"
    inbox.mkdir()
    _longyuan(inbox)
    _longxi_form(inbox, tmp_path)
    code, out, err, notices = _summary(inbox, "gansu", GANSU_UNIT, tmp_path)
    letters = _letters(notices)
    assert set(letters) == {"甘肃陇原精工机械有限公司", "甘肃陇西精工机械有限公司"}, out + err
    yaml_items = letters["甘肃陇原精工机械有限公司"]
    assert f"1．{A3}表格「企业基本信息」第6行「手机」：{BAD_MOBILE} 不是11位大陆手机号。" in yaml_items
    word_items = letters["甘肃陇西精工机械有限公司"]
    assert f"1．{A3}表格1 第6行「手机」：{BAD_MOBILE} 不是11位大陆手机号。" in word_items
    for paras in letters.values():
        assert not any(re.search(r"(?<![表格」\d ])第\d+行", p) for p in paras)


def test_a_word_form_is_named_as_the_form_it_was_read_as(tmp_path):
    """A 附件2 read back: its own table and row, after 附件2's name (not 附件3's, which
    prints the same field first)."""
    form = _longxi_form(tmp_path, tmp_path, "附件2")
    code, out, err = _run("validate", form, "--pack", "gansu", "--notices", tmp_path / "n", "--unit", GANSU_UNIT)
    (letter,) = (tmp_path / "n").glob("*.docx")
    (mobile,) = [p for p in _items(letter) if BAD_MOBILE in p]
    assert re.search(r"．附件2《甘肃省智能制造优秀场景申报书》表格1 第\d+行「手机」：", mobile), mobile


def test_a_place_in_a_form_merged_in_names_that_form_not_its_file(tmp_path):
    """One enterprise's 附件3 and 附件2 read as one record: a problem in 附件2 is named by
    附件2's title and its own table and row, never by the .docx's file name (nor as 附件3's)."""
    code, out, err = _run("fill", EXAMPLES / "gansu-longyuan.yaml", "--pack", "gansu", "--out", tmp_path / "f")
    assert code == 0, out + err
    (a3,) = (tmp_path / "f").glob("附件3_*.docx")
    (a2,) = (tmp_path / "f").glob("附件2_*.docx")
    doc = Document(a2)
    phone = "0931-2345678"  # the head's phone, which only 附件2 prints
    (cell,) = {c._tc: c for t in doc.tables for r in t.rows for c in r.cells if c.text.strip() == phone}.values()
    for run in cell.paragraphs[0].runs:
        run.text = run.text.replace(phone, "12345")
    doc.save(tmp_path / "陇原_附件2.docx")
    code, out, err = _run(
        "validate",
        a3,
        tmp_path / "陇原_附件2.docx",
        "--pack",
        "gansu",
        "--notices",
        tmp_path / "n",
        "--unit",
        GANSU_UNIT,
    )
    (letter,) = (tmp_path / "n").glob("*.docx")
    (item,) = [p for p in _items(letter) if "12345 " in p]
    assert re.match(r"\d+．附件2《甘肃省智能制造优秀场景申报书》表格1 第\d+行「法人代表/负责人电话」：12345 ", item), (
        item
    )
    assert ".docx" not in item


def test_a_workbook_record_points_at_the_form_not_the_cell(tmp_path):
    """The enterprise prints the forms: an item about a workbook record names 附件3's place,
    not the workbook's cell (the clerk's 问题清单 keeps the cell)."""
    book = tmp_path / "陇原精工.xlsx"
    book.write_bytes((EXAMPLES / "gansu-longyuan.xlsx").read_bytes())
    sheet, cell = load(book).lines["people.contact.mobile"].rsplit("!", 1)
    wb = openpyxl.load_workbook(book)
    wb[sheet.strip("'")][cell] = BAD_MOBILE
    wb.save(book)
    code, out, err = _run(
        "validate", book, "--pack", "gansu", "--notices", tmp_path / "n", "--unit", GANSU_UNIT,
        "--report", tmp_path / "r.xlsx",
    )  # fmt: skip
    (letter,) = (tmp_path / "n").glob("*.docx")
    items = _items(letter)
    mobile = next(p for p in items if BAD_MOBILE in p)
    assert f"{A3}表格「企业基本信息」第6行「手机」" in mobile and cell not in mobile and "工作表" not in mobile
    rows = list(openpyxl.load_workbook(tmp_path / "r.xlsx")["问题清单"].iter_rows(values_only=True))
    assert any(r[3] == f"工作表「{sheet.strip(chr(39))}」{cell}" and BAD_MOBILE in r[7] for r in rows)


def test_fields_only_the_bureau_sheets_need(tmp_path):
    """附件1's 省, 提交时间, 自评得分 are no form the enterprise fills: 省 is the bureau's
    (the pack's province), the others are asked for once, by the names the record model
    gives them; none is an item 「…」：必填（附件1）."""
    inbox = tmp_path / "收件"
    inbox.mkdir()
    _longyuan(inbox)
    _, out, err, notices = _summary(inbox, "gansu", GANSU_UNIT, tmp_path)
    (paras,) = _letters(notices).values()
    items = [p for p in paras if re.match(r"\d+．", p)]
    assert not any("必填（附件1" in p or "汇总的表要用" in p for p in items), items
    assert not any("「省」" in p or "「提交时间」" in p or "「自评得分」" in p for p in items)
    (asked,) = [p for p in items if "请补充：" in p]
    assert "智能制造能力成熟度评估分数" in asked and "自评估提交时间" in asked and "（用于汇总表）" in asked
    assert "省" not in asked.split("：", 1)[1]  # the province is the bureau's
    # the clerk's 问题清单 still lists each (the bureau fills the province)
    report = next(tmp_path.glob("通知_*.xlsx"))
    messages = [r[6] for r in openpyxl.load_workbook(report)["问题清单"].iter_rows(values_only=True)]
    assert "省" in messages and "自评得分" in messages


def _duplicate_inbox(tmp_path) -> tuple[Path, Path, Path]:
    """陇原精工's record and, older, gansu-bad (the same credit code, another name and many
    problems): a duplicate."""
    inbox = tmp_path / "收件"
    inbox.mkdir()
    newer = _longyuan(inbox, "陇原精工_更新版.yaml")
    older = inbox / "陇原精工_初版.yaml"
    older.write_bytes((EXAMPLES / "gansu-bad.yaml").read_bytes())
    now = time.time()
    os.utime(older, (now - 86400, now - 86400))
    os.utime(newer, (now, now))
    return inbox, newer, older


def test_a_settled_duplicate_gets_one_letter_about_the_kept_file(tmp_path):
    inbox, newer, older = _duplicate_inbox(tmp_path)
    code, out, err, notices = _summary(inbox, "gansu", GANSU_UNIT, tmp_path, "--prefer", "newer")
    letters = _letters(notices)
    assert list(letters) == ["甘肃陇原精工机械有限公司"], out + err
    text = "\n".join(letters["甘肃陇原精工机械有限公司"])
    # nothing of the superseded file: its name, its problems (秦州区, 卓越级), the choice made
    for word in ("甘肃示例问题装备有限公司", "秦州区", "卓越级", "初版", "更新版", "保留", "prefer", "重复"):
        assert word not in text
    assert BAD_MOBILE in text
    # the clerk's 问题清单 says which was kept, by file names only
    report = next(tmp_path.glob("通知_*.xlsx"))
    rows = list(openpyxl.load_workbook(report)["问题清单"].iter_rows(values_only=True))
    (bt002,) = [r for r in rows if r[4] == "BT002"]
    assert f"保留较新的 {newer.name}，未列入 {older.name}" in bt002[7]
    assert str(inbox) not in bt002[7] and "--" not in bt002[7]


def test_an_unsettled_duplicate_gets_one_letter_about_the_newest_file(tmp_path):
    inbox, newer, older = _duplicate_inbox(tmp_path)
    code, out, err, notices = _summary(inbox, "gansu", GANSU_UNIT, tmp_path)
    assert code == 1 and "BT001" in out
    letters = _letters(notices)
    assert list(letters) == ["甘肃陇原精工机械有限公司"]
    text = "\n".join(letters["甘肃陇原精工机械有限公司"])
    assert "秦州区" not in text and "甘肃示例问题装备有限公司" not in text and BAD_MOBILE in text
    # the clerk is told which file the letter is about
    assert f"整改通知按最新的 {newer.name} 写出" in err and older.name in err
    (bt001,) = [line for line in out.splitlines() if "BT001" in line]
    message = bt001.split("：", 1)[1]
    assert f"{older.name}、{newer.name}" in message and str(inbox) not in message and "--" not in message


def _no_table_before(text: str) -> bool:
    return bool(re.search(r"(?<![表格」\d ])第\d+行", text))


def test_no_letter_carries_an_option_a_path_another_enterprise_or_a_raw_value(tmp_path, figures_dir):
    """Every letter of a mixed season (Shanghai and Gansu; records full of problems, a
    Word form, a duplicate settled) scanned for what a letter must never say."""
    gansu = tmp_path / "甘肃收件"
    gansu.mkdir()
    _longyuan(gansu, "陇原精工_更新版.yaml")
    older = gansu / "陇原精工_初版.yaml"
    older.write_bytes((EXAMPLES / "gansu-bad.yaml").read_bytes())
    os.utime(older, (time.time() - 86400,) * 2)
    _longxi_form(gansu, tmp_path)
    shanghai = tmp_path / "上海收件"
    shanghai.mkdir()
    for name in ("shanghai-bad.yaml", "shanghai-chengchuan.yaml"):
        (shanghai / name).write_bytes((EXAMPLES / name).read_bytes())
    batches = [
        _summary(gansu, "gansu", GANSU_UNIT, tmp_path, "--prefer", "newer"),
        _summary(shanghai, "shanghai", SHANGHAI_UNIT, tmp_path),
    ]
    letters: dict[str, list[str]] = {}
    for *_, notices in batches:
        letters.update(_letters(notices))
    assert len(letters) == 4, letters.keys()  # 陇原 (once), 陇西, two in Shanghai
    names = ["甘肃示例问题装备有限公司", *letters]
    forbidden = {
        "an option": re.compile(r"--|pack:"),
        "a path": re.compile(r"[/\\][\w.-]+\.\w+|\.ya?ml\b|\.xlsx\b|\.docx\b|" + re.escape(str(tmp_path))),
        "a record path": re.compile(r"\b(enterprise|factory|people|scenarios|narrative|figures|projects)[.\[]"),
        "a raw value": re.compile(r":\s*(true|false|null|True|False|None)\b|\b\w+: \w+"),
        "an ISO date": re.compile(r"(?<![\d-])(?:19|20)\d{2}-(?:0[1-9]|1[0-2])\b"),
    }
    for name, paras in letters.items():
        text = "\n".join(paras)
        for what, pattern in forbidden.items():
            hit = pattern.search(text)
            assert hit is None, f"{name}: {what}: {hit and text[max(0, hit.start() - 40) : hit.end() + 20]}"
        for p in paras:
            assert not _no_table_before(p), f"{name}: a line without its table: {p}"
        for other in names:
            if other != name:
                assert other not in text, f"{name}'s letter names {other}"
        if "上海" in name:  # a Shanghai letter's landline example is Shanghai's
            assert "0311" not in text and "0931" not in text


def test_the_scan_finds_a_bare_line():
    assert _no_table_before("1．第64行「手机」：…")
    assert not _no_table_before(f"1．{A3}表格「企业基本信息」第6行「手机」")
    assert not _no_table_before(f"1．{A3}表格1 第6行「手机」")
    assert not _no_table_before("1．附件3《上海市先进级智能工厂申报单位信息表》表格第3行「所属行业」")


def test_where_a_field_sits_in_the_forms():
    """The packs layer's answer, from the layouts: 附件3's parts and rows for 陇原精工's
    record, an item of the repeated scenario rows, a text section; which fields only the
    bureau's sheets show, and which of those the pack itself gives."""
    from formgen.packs.pack import get_pack
    from formgen.packs.where import FormPlaces

    record = load(EXAMPLES / "gansu-longyuan.yaml").record
    places = FormPlaces(get_pack("gansu"), record)
    assert [d.id for d in places.forms] == ["a3", "a2"]  # the form printed once per 优秀场景 last
    text = {p: places.place(p).text() for p in ("people.contact.mobile", "factory.line.start")}
    assert text == {
        "people.contact.mobile": f"{A3}表格「企业基本信息」第6行「手机」",
        "factory.line.start": f"{A3}表格「代表产线有关信息」第2行「建设开始时间」",
    }
    first, second = places.place("scenarios[0].name"), places.place("scenarios[1].description")
    assert (first.label, second.label, second.row - first.row) == ("典型场景名称", "典型场景描述", 1)
    assert places.place("narrative.company_overview").text() == f"{A3}「一（一）申报单位概况」"
    assert places.place("factory.cmmm.score") is None and places.sheet_only("factory.cmmm.score")
    assert places.sheet_only("enterprise.region.province") and places.pack_gives("enterprise.region.province")
    assert not places.sheet_only("people.contact.mobile") and not places.pack_gives("factory.cmmm.submitted")
