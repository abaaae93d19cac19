"""The bureau desk (issue 12): validate and fill over many files and folders, records in
any form (YAML, workbooks, filled Word forms, annex sheets), a status table, problems out
as files, and what the 申报材料清单 lacks listed by summary."""

from __future__ import annotations

import copy
import io
import json
import shutil
from pathlib import Path

import docx
import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from formgen import app
from formgen.cli import main
from formgen.doors.workbook import is_record_workbook, record_workbook
from formgen.packs.pack import get_pack
from formgen.record.ids import org_check_char

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "data" / "examples"
GANSU = EXAMPLES / "gansu-longyuan.yaml"
HAND_A3 = EXAMPLES / "附件3_上海申江智能装备_手填.docx"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def gansu_data() -> dict:
    return yaml.safe_load(GANSU.read_text(encoding="utf-8"))


@pytest.fixture
def gansu_record(tmp_path, gansu_data):
    """A Gansu 基础级 record named ``name`` in ``folder`` (another enterprise each)."""
    from stdnum.cn import uscc

    made = []

    def _make(name: str, enterprise: str, edit=None, folder: str = "收件") -> Path:
        d = copy.deepcopy(gansu_data)
        d["enterprise"]["name"] = enterprise
        d["factory"]["excellent_scenarios"] = []
        org = f"71{len(made):02d}2653"
        base = "91620103" + org + org_check_char(org)
        d["pack"] = "gansu"
        d["enterprise"]["credit_code"] = base + uscc.calc_check_digit(base)
        d["enterprise"].pop("org_code", None)
        if edit:
            edit(d)
        p = tmp_path / folder / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(yaml.safe_dump(d, allow_unicode=True, sort_keys=False), encoding="utf-8")
        made.append(p)
        return p

    return _make


def _bad_mobile(d):
    d["people"]["contact"]["mobile"] = "1381234567"  # ten digits: PH001


def _table(output: str) -> list[list[str]]:
    """The status table's rows (序号 | 企业 | 文件 | 错误 | 警告 | 状态), as cells."""
    lines = output.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.strip().startswith("序号 |"))
    rows = []
    for ln in lines[start + 2 :]:
        if " | " not in ln:
            break
        rows.append([c.strip() for c in ln.split(" | ")])
    return rows


def test_a_folder_is_validated_in_natural_order_with_a_status_table(gansu_record):
    gansu_record("c10.yaml", "甘肃十号机械有限公司")
    gansu_record("c2.yaml", "甘肃二号机械有限公司", _bad_mobile)
    folder = gansu_record("c1.yaml", "甘肃一号机械有限公司").parent
    r = run("validate", folder)
    assert r.exit_code == 1, r.output  # one record has an error
    rows = _table(r.output)
    assert [row[0] for row in rows] == ["1", "2", "3"]
    assert [Path(row[2]).name for row in rows] == ["c1.yaml", "c2.yaml", "c10.yaml"]  # c2 before c10
    assert rows[1][1] == "甘肃二号机械有限公司" and rows[1][3] == "1" and rows[1][5] == "有错误"
    assert rows[0][3] == "0" and rows[0][5] in ("通过", "有警告")
    assert "c2.yaml" in r.output and "PH001" in r.output
    assert "共 3 份记录（按此顺序读入）" in r.output


def test_validate_exit_codes_of_a_batch(gansu_record, tmp_path):
    a = gansu_record("a.yaml", "甘肃甲机械有限公司")
    b = gansu_record("b.yaml", "甘肃乙机械有限公司")
    assert run("validate", a, b).exit_code == 0
    broken = tmp_path / "收件" / "c.yaml"
    broken.write_text("enterprise: [\n", encoding="utf-8")
    r = run("validate", a, b, broken)
    assert r.exit_code == 2 and _table(r.output)[2][5] == "无法读取"
    assert "IN003" in r.output


def test_a_single_record_keeps_its_plain_report(gansu_record):
    r = run("validate", gansu_record("a.yaml", "甘肃甲机械有限公司", _bad_mobile))
    assert r.exit_code == 1
    assert "序号 |" not in r.output and "共 1 个错误" in r.output


def test_batch_json_carries_each_record(gansu_record):
    a = gansu_record("a.yaml", "甘肃甲机械有限公司")
    b = gansu_record("b.yaml", "甘肃乙机械有限公司", _bad_mobile)
    r = run("validate", a, b, "--format", "json")
    payload = json.loads(r.output)
    assert [x["name"] for x in payload["records"]] == ["甘肃甲机械有限公司", "甘肃乙机械有限公司"]
    second = payload["records"][1]
    assert second["state"] == "有错误" and second["errors"] == 1 and second["credit_code"]
    assert [f["code"] for f in second["findings"] if f["severity"] == "error"] == ["PH001"]


def test_validate_writes_the_problem_list_and_notices(gansu_record, tmp_path):
    a = gansu_record("a.yaml", "甘肃甲机械有限公司")
    b = gansu_record("b.yaml", "甘肃乙机械有限公司", _bad_mobile)
    report, notices = tmp_path / "问题清单.xlsx", tmp_path / "通知"
    r = run("validate", a, b, "--report", report, "--notices", notices, "--unit", "天水市工业和信息化局")
    assert r.exit_code == 1
    ws = openpyxl.load_workbook(report)["问题清单"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=4)]  # under the title, unit/date and header
    bad = [row for row in rows if row[4] == "PH001"]
    assert bad and bad[0][1] == "甘肃乙机械有限公司" and bad[0][3].startswith("第")  # 位置: the YAML line
    made = sorted(p.name for p in notices.iterdir())
    assert "整改通知_甘肃乙机械有限公司.docx" in made
    text = "\n".join(p.text for p in docx.Document(notices / "整改通知_甘肃乙机械有限公司.docx").paragraphs)
    assert "1381234567" in text and "天水市工业和信息化局" in text
    # asked again, nothing is overwritten without --force
    again = run("validate", a, b, "--report", report)
    assert again.exit_code == 1 and "已存在" in again.output


def test_notices_need_the_unit_that_sends_them(gansu_record, tmp_path):
    r = run("validate", gansu_record("a.yaml", "甘肃甲机械有限公司"), "--notices", tmp_path / "n")
    assert r.exit_code == 2 and "--unit" in r.output and not (tmp_path / "n").exists()


def test_fill_writes_one_folder_per_enterprise_and_leaves_out_the_bad(gansu_record, tmp_path):
    a = gansu_record("a.yaml", "甘肃甲机械有限公司")
    b = gansu_record("b.yaml", "甘肃乙机械有限公司", _bad_mobile)
    c = gansu_record("c.yaml", "甘肃丙机械有限公司")
    out = tmp_path / "out"
    r = run("fill", a, b, c, "--out", out)
    assert r.exit_code == 3, r.output  # written, with one record left off
    assert sorted(p.name for p in out.iterdir()) == ["甘肃丙机械有限公司", "甘肃甲机械有限公司"]
    for folder in out.iterdir():
        (doc,) = folder.glob("附件3_*.docx")
        body = docx.Document(doc)
        cells = {c.text for t in body.tables for row in t.rows for c in row.cells}
        assert folder.name in cells  # the enterprise's own name lands in its own 申报书
    states = {row[1]: row[5] for row in _table(r.output)}
    assert states == {
        "甘肃甲机械有限公司": "已生成",
        "甘肃乙机械有限公司": "有错误，未生成",
        "甘肃丙机械有限公司": "已生成",
    }
    # again without --force: refused, nothing changed
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*.docx")}
    r2 = run("fill", a, c, "--out", out)
    assert r2.exit_code == 1 and "已存在" in r2.output
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.docx")} == before
    # and the table says so: nothing of this run was written
    assert {row[5] for row in _table(r2.output)} == {"未写入"}


def test_fill_writes_nothing_when_every_record_has_errors(gansu_record, tmp_path):
    a = gansu_record("a.yaml", "甘肃甲机械有限公司", _bad_mobile)
    b = gansu_record("b.yaml", "甘肃乙机械有限公司", _bad_mobile)
    r = run("fill", a, b, "--out", tmp_path / "out")
    assert r.exit_code == 1 and not (tmp_path / "out").exists()
    r = run("fill", a, b, "--out", tmp_path / "out", "--draft")
    assert r.exit_code == 0 and len(list((tmp_path / "out").rglob("*.docx"))) == 2
    assert {row[5] for row in _table(r.output)} == {"已生成（草稿）"}


def test_the_hand_filled_example_is_read_whole():
    """The shipped hand-typed 附件3: spaced labels, a note left in, a split cell."""
    (entry,) = app.load_entries([HAND_A3], get_pack("shanghai"))
    rec = entry.loaded.record
    assert rec.enterprise.name == "上海申江智能装备有限公司"  # 「企 业 名 称」, the annex's note dropped
    assert rec.factory.name == "申江智能装备电控柜智能工厂"  # 「工厂名称：」
    assert rec.factory.address == "闵行区江川路街道东川路1688号"  # typed over a cell split in two
    assert (rec.people.contact.name, rec.people.contact.title) == ("赵雅琴", "信息化部经理")
    assert rec.factory.cmmm.level == 3
    assert entry.loaded.line_of("people.filler.mobile") == "表格1 第11行「企业填表人（手机号码）」"


def test_forms_need_a_pack(tmp_path):
    r = run("validate", HAND_A3)
    assert r.exit_code == 2 and "--pack" in r.output


def _mixed_inbox(write_record) -> Path:
    """A folder of the README's walk-through: a formgen record (澄川), a record workbook
    of the bad Shanghai example and the hand-filled 附件3."""
    from formgen.record.loader import build

    inbox = write_record(name="澄川.yaml").parent
    bad = yaml.safe_load((EXAMPLES / "shanghai-bad.yaml").read_text(encoding="utf-8"))
    loaded = build(inbox / "x.yaml", bad, {})
    (inbox / "问题企业.xlsx").write_bytes(record_workbook(loaded.record, get_pack("shanghai")))
    shutil.copy(HAND_A3, inbox / HAND_A3.name)
    return inbox


def test_a_folder_of_mixed_applications_to_sheet_report_and_notices(write_record, tmp_path):
    """The README's walk-through: a formgen record, a workbook and a hand-filled 附件3."""
    inbox = _mixed_inbox(write_record)
    out, report, notices = tmp_path / "out", tmp_path / "问题清单.xlsx", tmp_path / "整改通知"
    r = run(
        "summary", inbox, "--pack", "shanghai", "--unit", "上海市浦东新区科技和经济委员会", "--quota", "5",
        "--report", report, "--notices", notices, "--out", out,
    )  # fmt: skip
    assert r.exit_code == 3, r.output  # the sheet written, two records left off
    (sheet,) = out.glob("附件5_*.xlsx")
    names = [c.value for row in openpyxl.load_workbook(sheet).active.iter_rows() for c in row]
    assert "上海澄川精密机械股份有限公司" in names and "上海申江智能装备有限公司" not in names
    ws = openpyxl.load_workbook(report)["问题清单"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=4)]  # under the title, unit/date and header
    mobile = next(row for row in rows if row[4] == "PH001" and row[1] == "上海申江智能装备有限公司")
    assert mobile[3] == "表格1 第11行「企业填表人（手机号码）」" and mobile[2] == HAND_A3.name  # the name, no folder
    wb_rows = [row for row in rows if row[1] == "上海示例问题企业有限公司"]
    assert wb_rows and any("!" in (row[3] or "") or "工作表" in (row[3] or "") for row in wb_rows)  # sheet!cell
    assert sorted(p.name for p in notices.iterdir()) == [
        "整改通知_上海申江智能装备有限公司.docx",
        "整改通知_上海示例问题企业有限公司.docx",
    ]


def test_summary_lists_what_the_materials_checklist_lacks(tmp_path):
    data = yaml.safe_load((EXAMPLES / "hebei-jizhong.yaml").read_text(encoding="utf-8"))
    data["narrative"].pop("results", None)
    rec = tmp_path / "r.yaml"
    rec.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    r = run(
        "summary",
        rec,
        "--pack",
        "hebei",
        "--unit",
        "石家庄市工业和信息化局",
        "--out",
        tmp_path / "o",
        "--format",
        "json",
    )
    (record,) = json.loads(r.stdout)["records"]
    lack = [f for f in record["findings"] if f["code"] == "CL001"]
    assert [f["label"] for f in lack] == ["实施成效"]
    assert lack[0]["severity"] == "warning" and "第4项「智能工厂建设成效」" in lack[0]["message"]
    assert "narrative" not in lack[0]["message"]  # Chinese labels, never record paths
    whole = run("summary", EXAMPLES / "hebei-jizhong.yaml", "--pack", "hebei", "--unit", "石家庄市工业和信息化局",
                "--out", tmp_path / "o2", "--format", "json")  # fmt: skip
    assert not [f for f in json.loads(whole.stdout)["records"][0]["findings"] if f["code"] == "CL001"]


def test_forms_of_one_enterprise_are_one_entry(write_record, tmp_path):
    """附件3 and 附件4 of one enterprise in a folder: one record, both files named."""
    rec = write_record()
    forms = tmp_path / "forms"
    assert run("fill", rec, "--pack", "shanghai", "--out", forms).exit_code == 0
    entries = app.load_entries(sorted(forms.glob("*.docx")), get_pack("shanghai"))
    (entry,) = entries
    assert entry.loaded is not None and len(entry.also) == 1
    assert "附件3" in entry.files and "附件4" in entry.files


def test_record_workbooks_are_told_from_annex_sheets(tmp_path, write_record):
    from formgen.doors.opener import load

    record = load(GANSU).record
    wb = tmp_path / "r.xlsx"
    wb.write_bytes(record_workbook(record, get_pack("gansu")))
    assert is_record_workbook(wb)
    resaved = tmp_path / "resaved.xlsx"  # saved again by another program (inline strings)
    openpyxl.load_workbook(wb).save(resaved)
    assert is_record_workbook(resaved)
    rec = write_record()
    assert (
        run("summary", rec, "--pack", "shanghai", "--unit", "浦东", "--quota", "5", "--out", tmp_path / "o").exit_code
        == 0
    )
    (sheet,) = (tmp_path / "o").glob("*.xlsx")
    assert not is_record_workbook(sheet)
    (entry,) = app.load_entries([sheet], get_pack("shanghai"))  # an annex sheet: read a row per record
    assert entry.loaded.record.enterprise.name == "上海澄川精密机械股份有限公司" and entry.row


def test_import_reads_an_annex_sheet_and_refuses_a_record_workbook(tmp_path, write_record):
    rec = write_record()
    assert (
        run("summary", rec, "--pack", "shanghai", "--unit", "浦东", "--quota", "5", "--out", tmp_path / "o").exit_code
        == 0
    )
    (sheet,) = (tmp_path / "o").glob("*.xlsx")
    r = run("import", sheet, "--pack", "shanghai", "--out", tmp_path / "rec")
    assert "上海澄川精密机械股份有限公司" in r.output
    assert (tmp_path / "rec" / "上海澄川精密机械股份有限公司.yaml").exists()
    wb = tmp_path / "r.xlsx"
    wb.write_bytes(record_workbook(load_record(GANSU), get_pack("gansu")))
    r = run("import", wb, "--pack", "gansu", "--out", tmp_path / "rec2")
    assert r.exit_code == 2 and "记录工作簿" in r.output and "IM006" in r.output


def test_import_writes_notices(tmp_path):
    notices = tmp_path / "n"
    r = run(
        "import", HAND_A3, "--pack", "shanghai", "--out", tmp_path / "rec", "--notices", notices, "--unit", "闵行区经委"
    )
    assert r.exit_code == 1
    (notice,) = notices.iterdir()
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(notice.read_bytes())).paragraphs)
    assert "上海申江智能装备有限公司" in text and "表格1 第11行" in text and "闵行区经委" in text


def load_record(path: Path):
    from formgen.doors.opener import load

    return load(path).record


def _parts(folder: Path) -> dict:
    """Every file under ``folder`` by relative path, as its zip parts but the properties
    (which carry the time the file was made)."""
    import zipfile

    out = {}
    for p in sorted(folder.rglob("*.docx")):
        with zipfile.ZipFile(p) as z:
            out[str(p.relative_to(folder))] = {n: z.read(n) for n in z.namelist() if not n.startswith("docProps/")}
    return out


@pytest.fixture
def forked(monkeypatch):
    """Batches go to worker processes however small (normally only from ~100 ms of work),
    and so do a summary's sheets (normally from 400 rows)."""
    monkeypatch.setattr(app, "PARALLEL_MIN_MS", 0.0)
    monkeypatch.setattr(app, "PARALLEL_MIN_ROWS", 0)


def _xlsx_parts(folder: Path) -> dict:
    import zipfile

    out = {}
    for p in sorted(folder.rglob("*.xlsx")):
        with zipfile.ZipFile(p) as z:
            out[p.name] = {n: z.read(n) for n in z.namelist() if not n.startswith("docProps/")}
    return out


def test_parallel_and_serial_batches_give_the_same_output(gansu_record, tmp_path, forked, monkeypatch):
    """--jobs 2 against --jobs 1: the same report, order and files, byte for byte."""
    forks = []
    real = app._forked

    def spy(func, *args):
        forks.append(func.__name__)
        return real(func, *args)

    monkeypatch.setattr(app, "_forked", spy)
    names = [
        "甘肃甲机械有限公司",
        "甘肃乙机械有限公司",
        "甘肃丙机械有限公司",
        "甘肃丁机械有限公司",
        "甘肃戊机械有限公司",
    ]
    for i, name in enumerate(names):
        gansu_record(f"r{i + 1}.yaml", name, _bad_mobile if i == 2 else None)
    folder = tmp_path / "收件"
    for fmt in ("text", "json"):
        one = run("validate", folder, "--jobs", "1", "--format", fmt)
        two = run("validate", folder, "--jobs", "2", "--format", fmt)
        assert one.exit_code == two.exit_code == 1 and one.output == two.output
    one = run("fill", folder, "--jobs", "1", "--out", tmp_path / "o1")
    two = run("fill", folder, "--jobs", "2", "--out", tmp_path / "o2")
    assert one.exit_code == two.exit_code == 3
    assert one.output.replace("o1", "o") == two.output.replace("o2", "o")
    assert _parts(tmp_path / "o1") == _parts(tmp_path / "o2") and len(_parts(tmp_path / "o1")) == 4
    unit = ("--pack", "gansu", "--unit", "天水市工业和信息化局", "--format", "json")
    a, b = (run("summary", folder, *unit, "--jobs", n, "--out", tmp_path / f"s{n}") for n in ("1", "2"))
    assert a.exit_code == b.exit_code and a.stdout == b.stdout
    assert _xlsx_parts(tmp_path / "s1") == _xlsx_parts(tmp_path / "s2") and _xlsx_parts(tmp_path / "s1")
    assert _parts(tmp_path / "s1") == _parts(tmp_path / "s2") and _parts(tmp_path / "s1")  # 附件8, a .docx
    assert set(forks) == {"_step", "_render_document"}  # records and sheets both went to workers


def _where(entry, pack, tag, pause=0.0):
    """A batch step that says which process ran it (after ``pause`` seconds of "work")."""
    import os
    import time

    time.sleep(pause)
    return (entry.source.name, tag, os.getpid())


def _entries(n: int) -> list:
    return [app.Entry(Path(f"r{i}.yaml")) for i in range(n)]


def test_a_forked_batch_runs_in_other_processes_and_keeps_the_order(forked):
    import os

    entries = _entries(23)
    got = list(app.batch_map(_where, entries, [None] * 23, ("t", 0.01), jobs=2))
    assert [name for name, _, _ in got] == [f"r{i}.yaml" for i in range(23)]
    assert all(tag == "t" for _, tag, _ in got)
    pids = {pid for _, _, pid in got[2:]}
    assert os.getpid() not in pids and len(pids) == 2  # both workers did their share


def test_a_quick_batch_stays_in_this_process():
    import os

    got = list(app.batch_map(_where, _entries(40), [None] * 40, ("t",), jobs=2))
    assert {pid for _, _, pid in got} == {os.getpid()}


def _dies_in_a_worker(entry, pack, parent):
    import os

    if os.getpid() != parent and entry.source.name == "r5.yaml":
        os._exit(9)  # as if killed by the system (out of memory)
    return []


def test_a_dead_worker_stops_the_batch_with_a_clear_error(forked):
    import os

    with pytest.raises(app.BatchError, match="工作进程意外退出"):
        list(app.batch_map(_dies_in_a_worker, _entries(12), [None] * 12, (os.getpid(),), jobs=2))


def test_validate_says_a_dead_worker_in_one_line(gansu_record, tmp_path, forked, monkeypatch):
    import os

    parent = os.getpid()

    def checked(entry, pack, today):
        if os.getpid() != parent:
            os._exit(9)
        return []

    monkeypatch.setattr(app, "checked", checked)
    for i in range(4):
        gansu_record(f"r{i + 1}.yaml", f"甘肃{'甲乙丙丁'[i]}机械有限公司")
    r = CliRunner().invoke(main, ["validate", str(tmp_path / "收件"), "--jobs", "2"])
    assert r.exit_code == 2
    assert r.output.strip().splitlines()[-1].startswith("错误：批量处理的工作进程意外退出")
    assert "Traceback" not in r.output


@pytest.mark.parametrize("command", ["validate", "fill"])
def test_a_record_naming_no_pack_stops_the_batch_as_a_usage_error_in_workers(gansu_record, tmp_path, forked, command):
    """Records are read (and their packs found) in the worker processes; a record that
    names a pack formgen does not have still stops the batch in one line, exit 2."""
    for i in range(5):
        edit = (lambda d: d.update(pack="gansuu")) if i == 3 else None
        gansu_record(f"r{i + 1}.yaml", f"甘肃{'甲乙丙丁戊'[i]}机械有限公司", edit)
    out = ("--out", tmp_path / "out") if command == "fill" else ()
    r = run(command, tmp_path / "收件", "--jobs", "2", *out)
    assert r.exit_code == 2 and "没有名为 gansuu 的表格包" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "out").exists()


def test_records_are_read_in_the_workers(gansu_record, tmp_path, forked, monkeypatch):
    """The parent reads no record file of a forked batch beyond the first two (done
    here to measure the batch): reading is most of checking a record."""
    import os

    from formgen.doors import opener

    parent, read_here = os.getpid(), []
    real = opener.load

    def load(path, *a, **k):
        if os.getpid() == parent:
            read_here.append(Path(path).name)
        return real(path, *a, **k)

    monkeypatch.setattr(app, "load", load)
    for i in range(6):
        gansu_record(f"r{i + 1}.yaml", f"甘肃{'甲乙丙丁戊己'[i]}机械有限公司")
    r = run("validate", tmp_path / "收件", "--jobs", "2")
    assert r.exit_code == 0, r.output
    assert read_here == ["r1.yaml", "r2.yaml"]


def test_mixed_applications_give_the_same_results_in_worker_processes(write_record, tmp_path, forked):
    """A record, a record workbook and a hand-filled 附件3 (read in this process, then
    checked in the workers): --jobs 2 says and writes exactly what --jobs 1 does."""
    inbox = _mixed_inbox(write_record)
    common = ("--pack", "shanghai", "--unit", "上海市浦东新区科技和经济委员会")
    outputs = {}
    for jobs in ("1", "2"):
        v = run("validate", inbox, *common, "--jobs", jobs, "--format", "json")
        s = run("summary", inbox, *common, "--quota", "5", "--jobs", jobs, "--out", tmp_path / f"s{jobs}")
        outputs[jobs] = (v.exit_code, v.stdout, s.exit_code, s.output.replace(f"s{jobs}", "s"))
    assert outputs["1"] == outputs["2"]
    assert outputs["1"][0] == 1 and outputs["1"][2] == 3  # errors found; the sheet written with records left off
    assert _xlsx_parts(tmp_path / "s1") == _xlsx_parts(tmp_path / "s2") and _xlsx_parts(tmp_path / "s1")
