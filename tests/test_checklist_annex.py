"""Issue 9: the 申报材料清单 as the annex prints it, and the 自查表 as a separate document.

The annex (national/Hebei 附件3 from 002, Gansu 附件12 from 003) is pinned against the
source text line by line; the 自查表 shows what the record holds in full. Both are
converted with LibreOffice and read back with ``pdftotext -layout``.
"""

from __future__ import annotations

import copy
import io
import json
import re
import shutil
import subprocess

import pytest
import yaml
from click.testing import CliRunner
from docx import Document

from formgen.bureau import checklist as cl
from formgen.cli import main
from formgen.doors.opener import load
from formgen.packs.pack import get_pack

from .conftest import ROOT, to_pdf

HEBEI = ROOT / "data" / "examples" / "hebei-jizhong.yaml"
SOURCES = ROOT.parent / "shared" / "sources"
ENTERPRISE = "河北冀中精密装备股份有限公司"
# Long enough to be cut by any "…" shortening, ending with 。 so that a careless join gives 。、
LONG = (
    "基于三维模型完成工厂规划和产线布局仿真，建立覆盖铸造、机加、装配、试验四个车间的数字化交付平台，"
    "实现设备、管线、仓储设施的数字孪生建模与工艺路线仿真验证，设计变更响应时间由两周缩短至三天。"
)


def _source(name: str) -> list[str]:
    """A source text's lines, stripped, empty lines dropped."""
    path = next(SOURCES.glob(f"{name}_*.txt"))
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _annex_002() -> tuple[str, str, list[list[str]], str]:
    """002's 附件3 as extracted: heading, title, table rows (cells), the note."""
    lines = _source("002")
    start = lines.index("附件 3")
    title, header = lines[start + 1], lines[start + 2]
    assert header.split("\t") == ["序号", "所需材料", "具体内容"]
    rows = [line.split("\t") for line in lines[start + 3 : start + 7]]
    return lines[start], title, rows, lines[start + 7]


def _annex_003() -> tuple[str, str, list[str]]:
    """003's 附件12 as extracted: heading, title, the four numbered paragraphs."""
    lines = _source("003")
    start = lines.index("附件12")
    return lines[start], lines[start + 1], lines[start + 2 : start + 6]


def _reading(line: str) -> str:
    """The readings of the extraction the layout documents: 附件 3 is 附件3, and a link
    printed " (<URL>) " is the notice's （URL）."""
    line = re.sub(r"^附件 (\d+)$", r"附件\1", line)
    return re.sub(r"\s*\(<(https?://[^>]+)>\)\s*", r"（\1）", line)


def _record(edit=None):
    data = yaml.safe_load(HEBEI.read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    data["scenarios"][0]["description"] = LONG
    data["factory"]["integrators"] = ["石家庄数智工业互联网有限公司。", "自建"]
    if edit:
        edit(data)
    return data


def _write(tmp_path, data, name="r.yaml"):
    p = tmp_path / name
    p.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return p


def _documents(tmp_path, pack: str, data=None):
    loaded = load(_write(tmp_path, data or _record()))
    doc = next(d for d in get_pack(pack).documents if d.kind == "checklist")
    items = cl.evaluate(doc.layout, loaded.record)
    files = cl.documents(doc, loaded.record.enterprise.name, items)
    for name, blob in files:
        (tmp_path / name).write_bytes(blob)
    return doc, items, [tmp_path / name for name, _ in files]


def _texts(docx) -> list[str]:
    return [p.text for p in docx.paragraphs if p.text.strip()]


def _all_text(docx) -> str:
    cells = [c.text for t in docx.tables for row in t.rows for c in row.cells]
    return "\n".join(_texts(docx) + cells)


# --- the annex, exactly as published ---------------------------------------------------


@pytest.mark.parametrize("pack", ["national", "hebei"])
def test_national_annex_is_the_published_table(tmp_path, pack):
    heading, title, rows, note = _annex_002()
    _, _, (annex, _) = _documents(tmp_path, pack)
    assert annex.name == f"附件3_卓越级智能工厂项目申报材料清单_{ENTERPRISE}.docx"
    d = Document(annex)
    (table,) = d.tables
    assert len(table.columns) == 3 and all(len(r.cells) == 3 for r in table.rows)
    assert [[c.text for c in r.cells] for r in table.rows] == [["序号", "所需材料", "具体内容"], *rows]
    # the paragraphs are the heading, the title and the note, and nothing else; the note's
    # web address starts a line of its own (a line break, not a word of the annex)
    assert _texts(d)[-1].endswith("平台\n（https://www.miit-imps.com）进行查看。")
    texts = [t.replace("\n", "") for t in _texts(d)]
    assert texts == [_reading(heading), title, _reading(note)]
    assert texts == [
        "附件3",
        "卓越级智能工厂项目申报材料清单",
        "具体模板和填写要求请登录智能制造数据资源公共服务平台（https://www.miit-imps.com）进行查看。",
    ]
    assert ENTERPRISE not in _all_text(d) and "基础要求" not in _all_text(d)


def test_gansu_annex_is_the_published_list(tmp_path):
    heading, title, items = _annex_003()
    _, _, (annex, _) = _documents(tmp_path, "gansu")
    assert annex.name == f"附件12_卓越级智能工厂项目申报材料清单_{ENTERPRISE}.docx"
    d = Document(annex)
    assert d.tables == []  # 003 prints numbered paragraphs, no table and no note
    assert _texts(d) == [heading, title, *items]
    assert (
        items[2] == "3.智能工厂场景建设情况。包括项目总体情况、重点环节建设情况、具体场景建设情况、系统集成情况等信息。"
    )


def test_layout_items_are_the_sources(tmp_path):
    """The items the 自查表 reports on are the annex's, word for word."""
    _, _, rows, _ = _annex_002()
    national = get_pack("national").documents
    layout = next(d for d in national if d.kind == "checklist").layout
    assert [[str(i["seq"]), i["material"], i["content"]] for i in layout["items"]] == rows
    _, _, items = _annex_003()
    gansu = next(d for d in get_pack("gansu").documents if d.kind == "checklist").layout
    assert [f"{i['seq']}.{i['material']}。{i['content']}" for i in gansu["items"]] == items


# --- the 自查表 ----------------------------------------------------------------------------


def _check_selfcheck_text(text: str):
    assert "…" not in text and "。、" not in text and "。；" not in text
    assert "2021-01" not in text and "2024-06" not in text
    assert "2021年1月至2024年6月" in text
    assert "52000万元" in text
    assert "石家庄数智工业互联网有限公司、自建" in text
    assert LONG in text  # never cut
    assert "关键设备数控化率：93%" in text
    for path in ("narrative.", "scenarios[", "factory.", "people.", "kpis"):
        assert path not in text


def test_selfcheck_shows_full_values(tmp_path):
    doc, items, (_, selfcheck) = _documents(tmp_path, "hebei")
    assert selfcheck.name == f"卓越级智能工厂项目申报材料自查表_{ENTERPRISE}.docx"
    d = Document(selfcheck)
    texts = _texts(d)
    assert texts[:2] == ["卓越级智能工厂项目申报材料自查表", "（formgen 生成，供企业自查，不作申报材料）"]
    assert f"申报单位：{ENTERPRISE}" in texts
    materials, manual = d.tables
    assert [c.text for c in materials.rows[0].cells] == ["序号", "所需材料", "材料要素", "记录中的内容", "状态"]
    by_part = {row.cells[2].text: row.cells[3].text for row in materials.rows[1:]}
    assert by_part["集成商"] == "石家庄数智工业互联网有限公司、自建"
    assert by_part["建设起止时间"] == "2021年1月至2024年6月"
    assert by_part["总投资"] == "52000万元"
    assert by_part["联系方式"] == "联系人：赵明远；手机：13931166208"
    assert by_part["具体场景建设情况"].splitlines()[0] == f"场景1（泵阀工厂三维数字化设计与交付）：{LONG}"
    assert by_part["真实性承诺"] == "纸质申报书加盖申报单位公章"
    assert [c.text for c in manual.rows[0].cells] == ["核实事项", "出处", "状态"]
    assert len(manual.rows) == 5
    _check_selfcheck_text(_all_text(d))
    assert texts[-1] == "共 4 项材料，4 项完整，0 项不完整。另有 4 项条件须手工核实，不影响材料是否完整。"
    _check_selfcheck_text(cl.text_report(doc.title, ENTERPRISE, items))


def _incomplete(data):
    del data["narrative"]["integration"]
    data["scenarios"][1]["description"] = ""
    data["scenarios"][2]["instance"] = ""
    del data["people"]["contact"]["mobile"]
    del data["factory"]["end"]


def test_missing_parts_are_named_by_their_labels(tmp_path):
    doc, items, (_, selfcheck) = _documents(tmp_path, "gansu", _record(_incomplete))
    text = cl.text_report(doc.title, ENTERPRISE, items)
    assert "[缺] 系统集成情况：未填写" in text
    assert "[缺] 重点环节建设情况：未填写" in text
    assert "[缺] 联系方式：联系人：赵明远；缺少：手机" in text
    assert "[缺] 建设起止时间：建设开始时间：2021年1月；缺少：建设完成时间" in text
    assert "[缺] 具体场景建设情况：缺少：场景2（泵阀水力模型仿真优化设计）的应用描述、场景3的场景实例名称" in text
    assert "      场景3：深度学习视觉检测识别铸件表面缺陷。" in text
    assert "共 4 项材料，1 项完整，3 项不完整。" in text
    d = Document(selfcheck)
    rows = {row.cells[2].text: row for row in d.tables[0].rows[1:]}
    assert rows["系统集成情况"].cells[3].text == "未填写" and rows["系统集成情况"].cells[4].text == "缺"
    assert rows["联系方式"].cells[3].text == "联系人：赵明远\n缺少：手机"
    assert "（不完整）" in rows["联系方式"].cells[1].text
    for shown in (text, _all_text(d)):
        assert not re.search(r"narrative\.|scenarios\[|people\.|factory\.", shown)


def test_kpis_carry_their_units_and_a_value_left_empty_is_named(tmp_path):
    def edit(data):
        data["kpis"] = {"工厂应用智能决策模型数量": 5, "生产效率提升（%）": 32, "产品不良率下降": None}

    doc, items, _ = _documents(tmp_path, "hebei", _record(edit))
    (part,) = [p for i in items for p in i.parts if p.what == "建设成效"]
    assert part.found == ["工厂应用智能决策模型数量：5个", "生产效率提升：32%"]
    assert part.missing == ["产品不良率下降的数值"] and part.state == "缺"


def test_json_report(tmp_path):
    doc, items, _ = _documents(tmp_path, "gansu", _record(_incomplete))
    report = json.loads(json.dumps(cl.json_report(doc.title, ENTERPRISE, items), ensure_ascii=False))
    assert report["title"] == "卓越级智能工厂项目申报材料自查表" and report["complete"] is False
    assert report["annex"] == "附件12 卓越级智能工厂项目申报材料清单"
    parts = {p["what"]: p for i in report["items"] for p in i["parts"]}
    assert parts["系统集成情况"] == {
        "what": "系统集成情况",
        "state": "缺",
        "found": [],
        "missing": ["系统集成情况"],
        "missing_paths": ["narrative.integration"],
        "manual": "",
    }
    assert parts["总投资"]["found"] == ["52000万元"]
    assert len(report["manual_checks"]) == 4


def test_cli_writes_the_annex_and_keeps_its_exit_codes(tmp_path):
    ok = CliRunner().invoke(
        main, ["checklist", str(_write(tmp_path, _record())), "--pack", "hebei", "--out", str(tmp_path / "o")]
    )
    assert ok.exit_code == 0, ok.output
    _check_selfcheck_text(ok.output)
    d = Document(next((tmp_path / "o").glob("附件3_卓越级智能工厂项目申报材料清单_*.docx")))
    assert len(d.tables[0].columns) == 3 and ENTERPRISE not in _all_text(d)
    bad = _write(tmp_path, _record(_incomplete), "bad.yaml")
    assert CliRunner().invoke(main, ["checklist", str(bad), "--pack", "hebei"]).exit_code == 1


# --- printed: nothing cut, no blank page ------------------------------------------------

CM = 72 / 2.54  # PDF points per cm


def _pdftotext(pdf, *crop) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler (pdftotext) 未安装：跳过 PDF 文本检查")
    args = ["pdftotext", "-layout"]
    if crop:
        x, w = crop
        args += ["-x", str(int(x * CM)), "-y", "0", "-W", str(int(w * CM)), "-H", str(int(29.7 * CM))]
    return subprocess.run([*args, str(pdf), "-"], check=True, capture_output=True, text=True).stdout


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _pages(pdf) -> list[str]:
    pages = _pdftotext(pdf).split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    assert pages and all(p.strip() for p in pages), "a blank page"
    return pages


def test_printed_national_annex_and_selfcheck(tmp_path):
    doc, items, files = _documents(tmp_path, "hebei")
    annex_pdf, self_pdf = to_pdf(files, tmp_path / "pdf")
    _, _, rows, note = _annex_002()

    (page,) = _pages(annex_pdf)  # the annex fits one page
    assert _flat(_reading(note)) in _flat(page)
    # the 具体内容 column (from 2.2 + 1.6 + 4.4 cm, 10.6 cm wide) holds each row in full
    column = _flat(_pdftotext(annex_pdf, 8.25, 10.5))
    assert "具体内容" + "".join(r[2] for r in rows) in column

    pages = _pages(self_pdf)
    assert len(pages) >= 2
    # the 记录中的内容 column (from 2.2 + 6.5 cm, 8.1 cm wide), its header repeated per page
    column = _flat(_pdftotext(self_pdf, 8.75, 8.0)).replace("记录中的内容", "")
    for part in (p for i in items for p in i.parts):
        for entry in part.found or [part.manual]:
            assert _flat(entry) in column, entry
    flat = _flat("".join(pages))
    assert "…" not in flat and "。、" not in flat
    assert _flat("共 4 项材料，4 项完整，0 项不完整。另有 4 项条件须手工核实，不影响材料是否完整。") in flat


def test_printed_gansu_annex_and_selfcheck(tmp_path):
    _, items, files = _documents(tmp_path, "gansu", _record(_incomplete))
    annex_pdf, self_pdf = to_pdf(files, tmp_path / "pdf")
    heading, title, paras = _annex_003()
    (page,) = _pages(annex_pdf)
    assert _flat(page) == _flat("".join([heading, title, *paras]))
    _pages(self_pdf)
    column = _flat(_pdftotext(self_pdf, 8.75, 8.0)).replace("记录中的内容", "")
    for part in (p for i in items for p in i.parts):
        for entry in [*part.found, part.missing_text] if not part.manual else [part.manual]:
            assert _flat(entry) in column, entry


def test_annex_bytes_do_not_depend_on_the_record(tmp_path):
    """The annex is filled with nothing but what the annex prints."""
    doc = next(d for d in get_pack("hebei").documents if d.kind == "checklist")
    a = Document(io.BytesIO(cl.annex_docx(doc.layout)))
    _, _, (annex, _) = _documents(tmp_path, "hebei", _record(_incomplete))
    b = Document(annex)
    assert _all_text(a) == _all_text(b)


def test_a_long_text_keeps_its_paragraphs(tmp_path):
    """A blank line starts a paragraph; a line wrapped by hand is joined (the forms' rule)."""

    def edit(data):
        data["narrative"]["project_overview"] = (
            "项目分三期建设，完成研发设计平台\n和智能产线建设。\n\n二期建设工业互联网平台。"
        )

    doc, items, (_, selfcheck) = _documents(tmp_path, "hebei", _record(edit))
    (part,) = [p for i in items for p in i.parts if p.what == "项目总体情况"]
    assert part.found == ["项目分三期建设，完成研发设计平台和智能产线建设。\n二期建设工业互联网平台。"]
    text = cl.text_report(doc.title, ENTERPRISE, items)
    assert (
        "   [已有] 项目总体情况：项目分三期建设，完成研发设计平台和智能产线建设。\n      二期建设工业互联网平台。"
        in text
    )
    (row,) = [r for r in Document(selfcheck).tables[0].rows[1:] if r.cells[2].text == "项目总体情况"]
    assert [p.text for p in row.cells[3].paragraphs] == [
        "项目分三期建设，完成研发设计平台和智能产线建设。",
        "二期建设工业互联网平台。",
    ]


def test_cli_writes_both_files_and_json(tmp_path):
    out = tmp_path / "o"
    r = CliRunner().invoke(main, ["checklist", str(HEBEI), "--pack", "hebei", "--out", str(out), "--format", "json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert report["complete"] is True and report["checklists"][0]["title"] == "卓越级智能工厂项目申报材料自查表"
    assert sorted(p.name for p in out.iterdir()) == [
        f"卓越级智能工厂项目申报材料自查表_{ENTERPRISE}.docx",
        f"附件3_卓越级智能工厂项目申报材料清单_{ENTERPRISE}.docx",
    ]
    bad = _write(tmp_path, _record(_incomplete), "bad.yaml")
    r = CliRunner().invoke(main, ["checklist", str(bad), "--pack", "gansu", "--format", "json"])
    assert r.exit_code == 1 and json.loads(r.stdout)["complete"] is False


def test_both_files_carry_their_properties_and_fonts(tmp_path):
    import zipfile

    out = tmp_path / "o"
    r = CliRunner().invoke(main, ["checklist", str(HEBEI), "--pack", "hebei", "--out", str(out)])
    assert r.exit_code == 0, r.output
    for f in out.iterdir():
        props = Document(str(f)).core_properties
        assert props.title and "python-docx" not in (props.author + props.comments) and props.created.year >= 2025
        fonts = zipfile.ZipFile(f).read("word/fontTable.xml").decode()
        assert 'w:name="仿宋_GB2312"' in fonts


def _pdf_title(pdf) -> str:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return re.search(r"^Title:\s*(.*)$", info, re.M).group(1).strip()


@pytest.mark.parametrize("pack", ["national", "hebei", "gansu"])
def test_printed_selfcheck_is_numbered_and_titled_as_what_it_is(tmp_path, pack):
    """Issue 26: the 自查表 prints "— n —" on every page and is titled (文件属性, and so the
    PDF's title) 申报材料自查表（企业）, not as the annex; the annex's author is the enterprise."""
    data = _record()
    name = data["enterprise"]["name"]
    _, _, (annex, selfcheck) = _documents(tmp_path, pack, data)
    annex_pdf, self_pdf = to_pdf([annex, selfcheck], tmp_path / "pdf")
    pages = _pages(self_pdf)
    assert len(pages) >= 2
    for n, page in enumerate(pages, 1):
        assert _flat([ln for ln in page.splitlines() if ln.strip()][-1]) == f"—{n}—", page[-200:]
    title = f"卓越级智能工厂项目申报材料自查表（{name}）"
    assert _pdf_title(self_pdf) == title and "附件" not in title
    core = Document(selfcheck).core_properties
    assert (core.title, core.author) == (title, name)
    annex_core = Document(annex).core_properties
    assert (annex_core.title, annex_core.author) == ("卓越级智能工厂项目申报材料清单", name)
    assert not any(re.fullmatch(r"—\s*\d+\s*—", ln.strip()) for ln in _pdftotext(annex_pdf).splitlines())


@pytest.mark.parametrize("pack", ["national", "hebei"])
def test_printed_annex_keeps_the_web_address_on_one_line(tmp_path, pack):
    """Issue 26: the note's https://www.miit-imps.com is printed whole, not broken after https://."""
    _, _, (annex, _) = _documents(tmp_path, pack)
    (annex_pdf,) = to_pdf([annex], tmp_path / "pdf")
    (page,) = _pages(annex_pdf)
    assert any("（https://www.miit-imps.com）" in ln.replace(" ", "") for ln in page.splitlines()), page
    _, _, _, note = _annex_002()
    assert _flat(_reading(note)) in _flat(page)  # the note's words as the annex has them
