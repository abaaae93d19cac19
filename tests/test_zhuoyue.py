"""卓越级 recommendation sheets (national, Hebei) and the 申报材料清单 (issue 4)."""

import copy
import json

import openpyxl
import pytest
import yaml
from click.testing import CliRunner
from docx import Document

from formgen.app import validate
from formgen.cli import main
from formgen.doors.opener import load
from formgen.packs.pack import get_pack
from formgen.record.ids import org_check_char

from .conftest import ROOT, ZHUOYUE_HEADERS

EXAMPLE = ROOT / "data" / "examples" / "hebei-jizhong.yaml"


@pytest.fixture(scope="module")
def hebei_data():
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


@pytest.fixture
def hebei_records(tmp_path, hebei_data):
    """``n`` distinct valid 卓越级 records, in priority order."""
    from stdnum.cn import uscc

    def _make(n, edit=None):
        out = []
        for i in range(n):
            d = copy.deepcopy(hebei_data)
            org = f"6{i:02d}18273"[:8]
            code = "91130100" + org + org_check_char(org)
            d["enterprise"]["credit_code"] = code + uscc.calc_check_digit(code)
            d["enterprise"]["name"] = f"河北示例装备{i + 1}号有限公司"
            if edit:
                edit(d, i)
            p = tmp_path / "records" / f"r{i + 1:02d}.yaml"
            p.parent.mkdir(exist_ok=True)
            p.write_text(yaml.safe_dump(d, allow_unicode=True, sort_keys=False), encoding="utf-8")
            out.append(p)
        return out

    return _make


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_example_is_valid_for_hebei_and_national():
    for pack in ("hebei", "national"):
        found = validate(load(EXAMPLE), get_pack(pack))
        assert [f.code for f in found if f.is_error] == []


@pytest.mark.parametrize(
    "pack, kind, limit",
    [
        ("hebei", "city", 5),
        ("hebei", "市", 5),  # by its name, as the bureau calls itself
        ("national", "province", 20),
        ("national", "省", 20),
        ("national", "plan-listed", 5),
        ("national", "计划单列市", 5),
        ("national", "bingtuan", 5),
        ("national", "central", 5),
        ("national", "中央企业", 5),
    ],
)
def test_quota_at_limit_and_one_over(hebei_records, tmp_path, pack, kind, limit):
    paths = hebei_records(limit + 1)
    ok = run(
        "summary", *paths[:limit], "--pack", pack, "--unit", "推荐单位", "--unit-kind", kind, "--out", tmp_path / "ok"
    )
    assert ok.exit_code == 0, ok.output
    ws = openpyxl.load_workbook(next((tmp_path / "ok").glob("*.xlsx"))).active
    assert ws.cell(4 + limit, 1).value == limit and ws.cell(5 + limit, 1).value.startswith("注：")
    over = run("summary", *paths, "--pack", pack, "--unit", "推荐单位", "--unit-kind", kind, "--out", tmp_path / "over")
    assert over.exit_code == 1
    assert f"超过上限 {limit} 家" in over.output and f"第{limit + 1}位 河北示例装备{limit + 1}号有限公司" in over.output
    assert not (tmp_path / "over").exists()  # nothing written


def test_quota_override_and_draft(hebei_records, tmp_path):
    paths = hebei_records(3)
    r = run(
        "summary", *paths, "--pack", "hebei", "--unit", "石家庄市", "--quota", 2, "--out", tmp_path / "d", "--draft"
    )
    assert r.exit_code == 3 and "超过上限 2 家" in r.output  # the draft written, records over
    ws = openpyxl.load_workbook(next((tmp_path / "d").glob("*.xlsx"))).active
    assert ws.cell(1, 1).value.startswith("草稿")


def test_national_needs_the_unit_kind(hebei_records, tmp_path):
    r = run("summary", *hebei_records(1), "--pack", "national", "--unit", "河北省工业和信息化厅", "--out", tmp_path)
    assert r.exit_code == 2 and "--unit-kind" in r.output and "省（20个）、计划单列市（5个）" in r.output


def test_a_recommender_writes_its_kind_by_name(tmp_path):
    """推荐单位类别 in a recommender YAML by its name (兵团) reads as the quota's key; a name
    that is none of them is one Chinese line naming the five."""
    from formgen.doors.opener import load_recommender

    p = tmp_path / "推荐单位.yaml"
    p.write_text("unit: 新疆生产建设兵团工业和信息化局\nunit_kind: 兵团\n", "utf-8")
    assert load_recommender(p).record.unit_kind == "bingtuan"
    p.write_text("unit: 某市工信局\nunit_kind: 地级市\n", "utf-8")
    got = load_recommender(p)
    (note,) = got.notes
    assert (note.code, note.path, note.line) == ("IN007", "unit_kind", 2) and got.record.unit_kind is None
    assert note.message == "应为 市、省、计划单列市、兵团、中央企业 之一；实际为 地级市"


def test_order_file_and_json(hebei_records, tmp_path):
    paths = hebei_records(3)
    codes = [load(p).record.enterprise.credit_code for p in paths]
    order = tmp_path / "order.txt"
    order.write_text(f"# 优先顺序\n{codes[1]}\n{paths[2].name}\n{codes[0]}\n", encoding="utf-8")
    r = run(
        "summary",
        *paths,
        "--pack",
        "hebei",
        "--unit",
        "石家庄市",
        "--order",
        order,
        "--out",
        tmp_path / "o",
        "--format",
        "json",
    )
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert [x["name"] for x in data["ranked"]] == [
        "河北示例装备2号有限公司",
        "河北示例装备3号有限公司",
        "河北示例装备1号有限公司",
    ]
    assert data["quota"] == 5


def test_unknown_order_entry_is_a_clear_error(hebei_records, tmp_path):
    order = tmp_path / "order.txt"
    order.write_text("911301006018273539\n", encoding="utf-8")
    r = run("summary", *hebei_records(1), "--pack", "hebei", "--unit", "石家庄市", "--order", order, "--out", tmp_path)
    assert r.exit_code == 2 and "找不到对应记录：911301006018273539" in r.output


def test_duplicate_credit_code_names_both_files(hebei_records, tmp_path):
    def same_code(d, i):
        d["enterprise"]["credit_code"] = "91130100601827353C"

    a, b = hebei_records(2, same_code)
    r = run("summary", a, b, "--pack", "hebei", "--unit", "石家庄市", "--out", tmp_path / "x")
    assert r.exit_code == 1 and "BT001" in r.output and f"{a.name}、{b.name}" in r.output
    assert "保留较新的文件" in r.output and not (tmp_path / "x").exists()


def test_record_with_errors_listed_and_left_out(hebei_records, tmp_path):
    def break_second(d, i):
        if i == 1:
            d["scenarios"][0]["name"] = "工厂数字化规划设计"  # a 2025 name: not in the 2024 edition

    paths = hebei_records(3, break_second)
    r = run("summary", *paths, "--pack", "hebei", "--unit", "石家庄市", "--out", tmp_path / "e")
    assert r.exit_code == 3  # the sheet written, the record with errors left off
    assert "河北示例装备2号有限公司" in r.output and "有错误，未列入" in r.output and "SC001" in r.output
    ws = openpyxl.load_workbook(next((tmp_path / "e").glob("*.xlsx"))).active
    assert [ws.cell(row, 2).value for row in (5, 6)] == ["河北示例装备1号有限公司", "河北示例装备3号有限公司"]


def test_sheet_layout_and_instance_lines(tmp_path):
    r = run("summary", EXAMPLE, "--pack", "hebei", "--unit", "石家庄市工业和信息化局", "--out", tmp_path)
    assert r.exit_code == 0, r.output
    ws = openpyxl.load_workbook(next(tmp_path.glob("*.xlsx"))).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0][0] == "附件4" and rows[1][0] == "卓越级智能工厂项目推荐汇总表"
    assert rows[2][0] == "推荐单位（盖章）：石家庄市工业和信息化局"
    assert rows[3] == ZHUOYUE_HEADERS
    lines = rows[4][3].split("\n")
    assert lines[0] == "1.工厂建设—工厂数字化设计与交付—泵阀工厂三维数字化设计与交付"
    assert lines[2] == "3.质量管控—在线智能检测—阀体铸件缺陷机器视觉检测"
    assert rows[5][0] == "注：1.推荐的卓越级智能工厂项目按优先次序排名；2.推荐数量不能超过通知中规定的上限。"
    doc = Document(next(tmp_path.glob("*.docx")))
    assert [c.text for c in doc.tables[0].rows[0].cells] == rows[3]
    assert doc.tables[0].rows[1].cells[3].text.split("\n") == lines


def test_instances_checked_against_the_pack_edition(tmp_path, hebei_data):
    d = copy.deepcopy(hebei_data)
    d["scenarios"][0].update(stage="生产作业", name="柔性产线快速换产")  # 2025 name; 2024 has 产线柔性配置
    p = tmp_path / "r.yaml"
    p.write_text(yaml.safe_dump(d, allow_unicode=True), encoding="utf-8")
    hebei = [f for f in validate(load(p), get_pack("hebei")) if f.code == "SC001"]
    assert len(hebei) == 1 and "2024年版" in hebei[0].message
    gansu = [f.path for f in validate(load(p), get_pack("gansu")) if f.code.startswith("SC")]
    assert "scenarios[0].name" not in gansu  # the same name is official in the 2025 edition
    assert "scenarios[1].name" in gansu  # while 产品数字化研发设计 is a 2024 name only
    d["scenarios"][0].update(name="产线柔性配置")
    p.write_text(yaml.safe_dump(d, allow_unicode=True), encoding="utf-8")
    assert [f for f in validate(load(p), get_pack("hebei")) if f.code.startswith("SC")] == []


def test_deadline_warnings_do_not_fail_validation():
    r = run("validate", EXAMPLE, "--pack", "hebei")
    assert r.exit_code == 0 and "DL001" in r.output and "2024年11月22日" in r.output


def test_checklist_complete(tmp_path):
    r = run("checklist", EXAMPLE, "--pack", "hebei", "--out", tmp_path)
    assert r.exit_code == 0
    assert "[已有] 行业：3441-泵及真空设备制造" in r.output
    assert "[手工完成] 真实性承诺：纸质申报书加盖申报单位公章" in r.output
    assert "共 4 项材料，4 项完整，0 项不完整。" in r.output
    doc = Document(next(tmp_path.glob("附件3_卓越级智能工厂项目申报材料清单_*.docx")))
    (t,) = doc.tables  # the annex as published: three columns, one row per material
    assert [c.text for c in t.rows[0].cells] == ["序号", "所需材料", "具体内容"]
    assert [row.cells[1].text for row in t.rows[1:]] == [
        "申报单位基本信息",
        "智能工厂基本情况",
        "智能工厂场景建设情况",
        "智能工厂建设成效",
    ]


def test_checklist_incomplete_names_what_is_missing(tmp_path, hebei_data):
    d = copy.deepcopy(hebei_data)
    del d["narrative"]["integration"]
    d["scenarios"][1]["description"] = ""
    p = tmp_path / "r.yaml"
    p.write_text(yaml.safe_dump(d, allow_unicode=True), encoding="utf-8")
    r = run("checklist", p, "--pack", "hebei")
    assert r.exit_code == 1
    assert "3. 智能工厂场景建设情况（不完整）" in r.output
    assert "[缺] 系统集成情况：未填写" in r.output
    assert "[缺] 具体场景建设情况：缺少：场景2（泵阀水力模型仿真优化设计）的应用描述" in r.output
    assert "共 4 项材料，3 项完整，1 项不完整。" in r.output


def test_gansu_checklist_adds_key_stages(tmp_path, hebei_data):
    d = copy.deepcopy(hebei_data)
    p = tmp_path / "r.yaml"
    p.write_text(yaml.safe_dump(d, allow_unicode=True), encoding="utf-8")
    r = run("checklist", p, "--pack", "gansu")
    assert "附件12 卓越级智能工厂项目申报材料清单" in r.output
    assert "[缺] 重点环节建设情况：未填写" in r.output and r.exit_code == 1


def test_zhuoyue_files_open_in_libreoffice(tmp_path):
    from .conftest import to_pdf

    for pack, unit_kind in (("hebei", "city"), ("national", "province")):
        assert (
            run(
                "summary",
                EXAMPLE,
                "--pack",
                pack,
                "--unit",
                "推荐单位",
                "--unit-kind",
                unit_kind,
                "--out",
                tmp_path / pack,
            ).exit_code
            == 0
        )
    assert run("checklist", EXAMPLE, "--pack", "hebei", "--out", tmp_path / "cl").exit_code == 0
    files = [p for d in ("hebei", "national", "cl") for p in sorted((tmp_path / d).iterdir())]
    assert len(files) >= 5 and len(to_pdf(files, tmp_path / "pdf")) == len(files)


@pytest.mark.parametrize("tty", [True, False])
def test_progress_on_a_large_batch_only_on_a_terminal(hebei_records, tmp_path, monkeypatch, tty):
    from formgen import cli

    monkeypatch.setattr(cli, "_stderr_is_tty", lambda: tty)
    paths = hebei_records(10)
    r = CliRunner().invoke(
        main,
        [
            "summary",
            *map(str, paths),
            "--pack",
            "national",
            "--unit",
            "河北省工业和信息化厅",
            "--unit-kind",
            "province",
            "--out",
            str(tmp_path / "p"),
        ],
    )
    assert r.exit_code == 0
    if tty:
        assert "] 1/10 河北示例装备1号有限公司" in r.stderr and "] 10/10 " in r.stderr
    else:  # a log or a pipe: no progress lines in it
        assert "1/10" not in r.stderr and "10/10" not in r.stderr


def test_duplicate_settled_by_order_or_newer(hebei_records, tmp_path):
    import os
    import time

    def same_code(d, i):
        d["enterprise"]["credit_code"] = "91130100601827353C"

    a, b = hebei_records(2, same_code)
    order = tmp_path / "order.txt"
    order.write_text(f"{b.name}\n", encoding="utf-8")
    r = run("summary", a, b, "--pack", "hebei", "--unit", "石家庄市", "--order", order, "--out", tmp_path / "o1")
    assert r.exit_code == 3 and "警告 BT002" in r.output and f"按排序文件保留 {b.name}，" in r.output
    assert f"未列入 {a.name}" in r.output and "重复，未列入" in r.output
    now = time.time()
    os.utime(a, (now, now))
    os.utime(b, (now - 3600, now - 3600))
    r = run("summary", a, b, "--pack", "hebei", "--unit", "石家庄市", "--prefer", "newer", "--out", tmp_path / "o2")
    assert r.exit_code == 3 and f"保留较新的 {a.name}，" in r.output and f"未列入 {b.name}" in r.output


def test_exit_codes_and_json_per_record(hebei_records, tmp_path):
    (a,) = hebei_records(1)
    r = run("summary", a, "--pack", "hebei", "--unit", "石家庄市", "--out", tmp_path / "ok")
    assert r.exit_code == 0  # everything written, nothing left off
    r = run("summary", a, "--pack", "hebei", "--unit", "石家庄市", "--format", "json", "--out", tmp_path / "j")
    rec = json.loads(r.stdout)["records"][0]
    assert rec["credit_code"] and rec["state"] == "列入"
