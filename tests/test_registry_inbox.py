"""The registry's inbox (issue 25): records and filled forms through the same door as summary,
nothing skipped without a word, a form keyed by what it prints (a Gansu 附件3 has the 组织机构代码
and the name, not the credit code), versions ordered by when each file was made."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from stdnum.cn import uscc as stdnum_uscc

from formgen.bureau import registry as registry_module
from formgen.bureau.registry import Registry
from formgen.cli import main
from formgen.record.ids import org_check_char

from .regfix import BACKENDS, database, record

EXAMPLE = Path(__file__).resolve().parent.parent / "data" / "examples" / "gansu-longyuan.yaml"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def credit_code(body: str) -> str:
    """A valid 18-character 统一社会信用代码 whose 组织机构代码 starts with ``body`` (8 characters)."""
    first17 = "91620500" + body + org_check_char(body)
    return first17 + stdnum_uscc.calc_check_digit(first17)


def gansu_record(folder: Path, file: str, name: str, code: str, when: dt.datetime | None = None) -> Path:
    """The Gansu example record as another enterprise (its file dated ``when``)."""
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["pack"] = "gansu"
    data["enterprise"]["name"] = name
    data["enterprise"]["credit_code"] = code
    data["enterprise"].pop("org_code", None)  # taken from the credit code
    path = folder / file
    path.write_text(yaml.safe_dump(data, allow_unicode=True, width=10**6), encoding="utf-8")
    if when:
        os.utime(path, (when.timestamp(), when.timestamp()))
    return path


def annex3(record_file: Path, out: Path) -> Path:
    """The Gansu 附件3 `formgen fill` writes for a record (dated now, as Word would date it)."""
    r = run("fill", record_file, "--pack", "gansu", "--out", out)
    assert r.exit_code == 0, r.output
    (form,) = out.glob("附件3_*.docx")
    return form


def test_mixed_inbox_registers_every_record_and_says_what_it_did_not_read(tmp_path):
    """A Word form in the inbox was skipped without a word; now every record lands and a .pdf
    is one line saying it was not read."""
    inbox = tmp_path / "收件"
    inbox.mkdir()
    gansu_record(inbox, "甲.yaml", "甘肃甲机械有限公司", credit_code("10000001"))
    workbook_src = gansu_record(tmp_path, "乙.yaml", "甘肃乙电子有限公司", credit_code("10000002"))
    assert run("convert", workbook_src, inbox / "乙.xlsx").exit_code == 0
    form_src = gansu_record(tmp_path, "丙.yaml", "甘肃丙化工有限公司", credit_code("10000003"))
    shutil.move(annex3(form_src, tmp_path / "filled"), inbox / "丙_附件3.docx")
    form_src.unlink()  # only the form the enterprise sent is left
    (inbox / "说明.pdf").write_bytes(b"%PDF-1.4\n")
    (inbox / "~$乙.xlsx").write_bytes(b"lock")  # Excel's lock file: nothing to say
    db = tmp_path / "reg.sqlite"
    r = run("registry", "add", inbox, "--round", "2026", "--pack", "gansu", "--db", db)
    assert r.exit_code == 0, r.output
    assert sorted(row.enterprise for row in Registry(db).list()) == [
        "甘肃丙化工有限公司",
        "甘肃乙电子有限公司",
        "甘肃甲机械有限公司",
    ]
    said = [line for line in r.output.splitlines() if "未读入" in line]
    assert said == [f"{inbox / '说明.pdf'}：未读入（不是记录或申报表：formgen 读 .yaml/.yml/.xlsx/.docx）"]
    assert "~$" not in r.output
    listed = run("registry", "list", "--db", db).output.splitlines()
    row = next(line.split("\t") for line in listed if "甘肃丙化工有限公司" in line)
    org_code = credit_code("10000003")[8:17]
    assert row[2] == f"{org_code}（组织机构代码）" and row[-1] == "第1版"  # the form prints no credit code


def test_a_form_without_pack_is_one_line_and_the_records_still_land(tmp_path):
    inbox = tmp_path / "收件"
    inbox.mkdir()
    gansu_record(inbox, "甲.yaml", "甘肃甲机械有限公司", credit_code("10000001"))
    form_src = gansu_record(tmp_path, "丙.yaml", "甘肃丙化工有限公司", credit_code("10000003"))
    form = annex3(form_src, inbox)
    db = tmp_path / "reg.sqlite"
    r = run("registry", "add", inbox, "--round", "2026", "--db", db)
    assert r.exit_code == 2, r.output
    (line,) = [line for line in r.output.splitlines() if form.name in line]
    assert "未读入" in line and "--pack 包名" in line and "formgen check" not in r.output
    assert [row.enterprise for row in Registry(db).list()] == ["甘肃甲机械有限公司"]
    r = run("registry", "add", form, "--round", "2026", "--db", db)  # named alone: the same line
    assert r.exit_code == 2 and "--pack 包名" in r.output and "formgen check" not in r.output


def test_folder_files_not_read_are_said_by_every_command(tmp_path):
    inbox = tmp_path / "收件"
    inbox.mkdir()
    gansu_record(inbox, "甲.yaml", "甘肃甲机械有限公司", credit_code("10000001"))
    (inbox / "附件3.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    (inbox / "附件3.wps").write_bytes(b"\xd0\xcf\x11\xe0")
    (inbox / "说明.txt").write_text("x", encoding="utf-8")
    (inbox / "旧").mkdir()
    (inbox / ".DS_Store").write_bytes(b"")
    r = run("validate", inbox)
    lines = [line for line in r.output.splitlines() if "未读入" in line]
    assert sorted(lines) == sorted(
        [
            f"{inbox / '旧'}：未读入（是文件夹：其中的文件不读入，要读请另外给出这个文件夹）",
            f"{inbox / '附件3.doc'}：未读入（.doc 文件读不了：请用 Word 或 WPS 另存为 .docx）",
            f"{inbox / '附件3.wps'}：未读入（.wps 文件读不了：请用 Word 或 WPS 另存为 .docx）",
            f"{inbox / '说明.txt'}：未读入（不是记录或申报表：formgen 读 .yaml/.yml/.xlsx/.docx）",
        ]
    )
    r = run("registry", "add", inbox, "--round", "2026", "--db", tmp_path / "reg.sqlite")
    assert r.exit_code == 0 and r.output.count("未读入") == 4 and "已登记" in r.output
    bad = inbox / "坏.yaml"
    bad.write_text("enterprise: [\n", encoding="utf-8")
    r = run("registry", "add", bad, inbox / "甲.yaml", "--round", "2026", "--db", tmp_path / "reg.sqlite")
    assert r.exit_code == 2 and "未改动" in r.output
    (line,) = [line for line in r.output.splitlines() if "坏.yaml" in line]  # one line, and the batch went on
    assert "错误" in line and "共 1 个错误" not in r.output
    r = run("registry", "add", inbox / "附件3.doc", "--round", "2026", "--db", tmp_path / "reg.sqlite")
    assert r.exit_code == 2
    assert r.output.splitlines() == [f"{inbox / '附件3.doc'}：未读入（.doc 文件读不了：请用 Word 或 WPS 另存为 .docx）"]


def test_annex3_read_back_joins_the_enterprise_registered_from_its_record(tmp_path):
    """The 附件3 prints the 组织机构代码 and the name, not the credit code: it is the same
    enterprise's second version, not a new enterprise."""
    db = tmp_path / "reg.sqlite"
    code = credit_code("20000001")
    src = gansu_record(tmp_path, "陇秦.yaml", "甘肃陇秦数控有限公司", code, dt.datetime(2026, 3, 1, 9))
    assert run("registry", "add", src, "--round", "2026", "--db", db).exit_code == 0
    form = annex3(src, tmp_path / "filled")  # dated now: newer than the record
    r = run("registry", "add", form, "--round", "2026", "--pack", "gansu", "--db", db)
    assert r.exit_code == 0, r.output
    assert "甘肃陇秦数控有限公司（2026 第2版）" in r.output
    (latest,) = Registry(db).list()
    assert (latest.version, latest.enterprise_key, latest.source) == (2, code, str(form))
    assert (latest.credit_code, latest.org_code) == (None, code[8:17])  # what the form printed
    lines = run("registry", "list", "--db", db).output.splitlines()
    assert len(lines) == 3 and lines[1].split("\t")[2] == code and lines[1].endswith("第2版")
    r = run("registry", "show", code[8:17], "--db", db)  # asked for by its 组织机构代码
    assert r.exit_code == 0 and "2026 第1版" in r.output and "2026 第2版" in r.output


def test_a_record_with_the_credit_code_joins_the_form_registered_before_it(tmp_path):
    reg = Registry(tmp_path / "reg.sqlite")
    code = credit_code("20000002")
    src = gansu_record(tmp_path, "陇秦.yaml", "甘肃陇秦数控有限公司", code, dt.datetime(2026, 3, 1, 9))
    form = annex3(src, tmp_path / "filled")
    assert run("registry", "add", form, "--round", "2026", "--pack", "gansu", "--db", reg.where).exit_code == 0
    assert reg.list()[0].enterprise_key == code[8:17]
    got = reg.add(src, "2026")  # the older file, registered after
    assert (got.new, got.version) == (True, 1)
    rows = reg.list(all_versions=True)
    assert [(r.enterprise_key, r.version, Path(r.source).name) for r in rows] == [
        (code, 1, src.name),
        (code, 2, form.name),
    ]


def test_a_record_known_only_by_name_joins_by_name(tmp_path):
    reg = Registry(tmp_path / "reg.sqlite")
    code = credit_code("20000003")
    first = reg.add(gansu_record(tmp_path, "a.yaml", "甘肃陇秦数控有限公司", code, dt.datetime(2026, 3, 1)), "2026")
    plain = tmp_path / "b.yaml"
    plain.write_text(
        yaml.safe_dump({"pack": "gansu", "enterprise": {"name": " 甘肃陇秦数控有限公司 "}}, allow_unicode=True),
        encoding="utf-8",
    )
    got = reg.add(plain, "2026")
    assert (first.version, got.version) == (1, 2)
    assert {r.enterprise_key for r in reg.list(all_versions=True)} == {code}
    other = record(tmp_path, "别的公司", "")  # neither code nor a name it shares: its own enterprise
    assert reg.add(other, "2026").version == 1 and len(reg.list()) == 2


def test_an_older_file_registered_after_a_newer_one_is_version_1_as_summary_keeps_the_newer(tmp_path):
    inbox = tmp_path / "收件"
    inbox.mkdir()
    code = credit_code("30000001")
    newer = gansu_record(inbox, "陇秦_更新版.yaml", "甘肃陇秦数控有限公司", code, dt.datetime(2026, 4, 2, 10))
    older = gansu_record(tmp_path, "陇秦.yaml", "甘肃陇秦数控有限公司", code, dt.datetime(2026, 3, 1, 10))
    older.write_text(older.read_text(encoding="utf-8") + "# 初稿\n", encoding="utf-8")
    os.utime(older, (dt.datetime(2026, 3, 1, 10).timestamp(),) * 2)
    db = tmp_path / "reg.sqlite"
    r = run("registry", "add", newer, "--round", "2026", "--db", db)
    assert "第1版" in r.output
    r = run("registry", "add", older, "--round", "2026", "--db", db)
    assert r.exit_code == 0 and f"已登记：{older} → 甘肃陇秦数控有限公司（2026 第1版）" in r.output
    lines = run("registry", "list", "--db", db).output.splitlines()
    assert len(lines) == 3 and lines[1].endswith("第2版")
    (latest,) = Registry(db).list()
    assert latest.source == str(newer)
    shutil.copy2(older, inbox / older.name)  # both files of the enterprise in one batch
    r = run(
        "summary",
        inbox,
        "--pack",
        "gansu",
        "--unit",
        "天水市工信局",
        "--prefer",
        "newer",
        "--format",
        "json",
        "--out",
        tmp_path / "out",
    )
    got, _ = json.JSONDecoder().raw_decode(r.stdout[r.stdout.index("{") :])
    assert [e["source"] for e in got["ranked"]] == [str(newer)] == [latest.source]


def test_version_numbers_follow_the_files_dates_whatever_the_order_of_registration(tmp_path):
    reg = Registry(tmp_path / "reg.sqlite")
    days = [5, 1, 3, 2, 4]
    files = []
    for i, day in enumerate(days):
        p = record(tmp_path, "甲公司", "91620500MA00000001", tag=f"v{i}")
        os.utime(p, (dt.datetime(2026, 3, day).timestamp(),) * 2)
        files.append(p)
    for p in files:
        assert reg.add(p, "2026").new
    rows = reg.list(all_versions=True)
    assert [Path(r.source).name for r in rows] == [files[days.index(d)].name for d in sorted(days)]
    assert [r.version for r in rows] == [1, 2, 3, 4, 5]
    assert reg.add(files[0], "2026").version == 5  # unchanged: a no-op that says its version


# -- the registry a command only reads ---------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["list"],
        ["show", "甲公司"],
        ["export", "--out", "登记库.xlsx"],
        ["set-status", "甲公司", "推荐", "--round", "2026"],
    ],
)
def test_a_mistyped_db_is_not_created(tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    r = run("registry", *args, "--db", "typo.sqlite")
    assert r.exit_code == 2
    assert r.output.splitlines() == [
        "错误：登记库 typo.sqlite 不存在（请检查路径；登记库由 formgen registry add 新建）"
    ]
    assert list(tmp_path.iterdir()) == []


def test_sqlite_reads_do_not_wait_for_a_writer(tmp_path, monkeypatch):
    db = tmp_path / "reg.sqlite"
    Registry(db).add(record(tmp_path, "甲公司", "C1"), "2026")
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another clerk in the middle of a registration
    try:
        monkeypatch.setattr(registry_module, "BUSY_TIMEOUT_MS", 300)
        r = run("registry", "list", "--db", db)
        assert r.exit_code == 0 and "甲公司" in r.output, r.output
        r = run("registry", "show", "C1", "--db", db)
        assert r.exit_code == 0 and "第1版" in r.output
        r = run("registry", "set-status", "甲公司", "推荐", "--round", "2026", "--db", db)  # a write waits
        assert r.exit_code == 2 and len(r.output.splitlines()) == 1 and "Traceback" not in r.output
    finally:
        writer.execute("ROLLBACK")
        writer.close()


# -- the upgrade, and many clerks at once ------------------------------------------


@pytest.fixture(params=BACKENDS)
def db(request, tmp_path):
    return database(request.param, tmp_path)


def test_a_version_2_registry_is_upgraded_with_the_org_codes(db, tmp_path):
    code = credit_code("40000001")
    reg = Registry(db)
    reg.add(record(tmp_path, "甲公司", code), "2025")
    reg.add(record(tmp_path, "乙公司", "C2"), "2025")
    with reg.engine.begin() as c:  # as formgen wrote it before schema 3
        c.exec_driver_sql("ALTER TABLE applications DROP COLUMN org_code")
        c.exec_driver_sql("ALTER TABLE applications DROP COLUMN made_at")
        c.exec_driver_sql("UPDATE formgen_meta SET value = '2' WHERE key = 'schema_version'")
    reg.engine.dispose()
    reg = Registry(db)
    assert reg.schema_version() == 3
    assert {r.enterprise: r.org_code for r in reg.list()} == {"甲公司": code[8:17], "乙公司": None}
    form = tmp_path / "附件3读回.yaml"  # what a 附件3 read back holds: the 组织机构代码, no credit code
    form.write_text(
        yaml.safe_dump({"enterprise": {"name": "甲公司（改名）", "org_code": code[8:17]}}, allow_unicode=True),
        encoding="utf-8",
    )
    assert reg.add(form, "2025").version == 2
    assert [r.enterprise_key for r in reg.list(all_versions=True) if r.enterprise != "乙公司"] == [code, code]
    reg.engine.dispose()


CLERK = """
import sys, time
from pathlib import Path
from formgen.bureau.registry import Registry
db, ready, go, path = sys.argv[1:]
Path(ready).touch()
while not Path(go).exists():
    time.sleep(0.01)
Registry(db).add(Path(path), "2026")
"""


def test_clerks_at_once_with_files_keyed_each_way_make_one_enterprise_in_date_order(db, tmp_path):
    """8 clerks register 8 files of one enterprise at once: some carry the credit code, some only
    the 组织机构代码, some only the name. One enterprise, versions 1-8 by the files' dates."""
    code = credit_code("50000001")
    Registry(db).engine.dispose()
    files = []
    for i in range(8):
        ent = {"name": "甘肃陇秦数控有限公司"}
        if i % 3 == 0:
            ent["credit_code"] = code
        elif i % 3 == 1:
            ent["org_code"] = code[8:17]
        p = tmp_path / f"v{i}.yaml"
        p.write_text(yaml.safe_dump({"enterprise": ent, "factory": {"remarks": f"v{i}"}}, allow_unicode=True))
        os.utime(p, (dt.datetime(2026, 3, 8 - i).timestamp(),) * 2)  # v7 the oldest
        files.append(p)
    go = tmp_path / "go"
    ready = [tmp_path / f"ready{i}" for i in range(8)]
    procs = [
        subprocess.Popen([sys.executable, "-c", CLERK, db, str(r), str(go), str(f)], stderr=subprocess.PIPE)
        for r, f in zip(ready, files, strict=True)
    ]
    deadline = time.monotonic() + 60
    while not all(r.exists() for r in ready) and time.monotonic() < deadline:
        time.sleep(0.02)
    go.touch()
    errors = [p.communicate(timeout=120)[1].decode()[-600:] for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, errors
    reg = Registry(db)
    rows = reg.list(all_versions=True)
    assert [(r.enterprise_key, r.version, Path(r.source).name) for r in rows] == [
        (code, v, f"v{8 - v}.yaml") for v in range(1, 9)
    ]
    reg.engine.dispose()


def test_forms_merged_into_one_record_are_as_new_as_the_newest_of_them(tmp_path):
    """An enterprise's 附件2 (dated 2026-03-01) and 附件3 (2026-04-01) read as one record
    are newer than its YAML of 2026-03-15: --prefer newer keeps the forms, and the
    registry makes them the latest version, whichever form the record is named by."""
    from .seasonfix import _dated

    inbox = tmp_path / "收件"
    inbox.mkdir()
    code = credit_code("30000002")
    src = gansu_record(tmp_path, "源.yaml", "甘肃陇秦数控有限公司", code)
    r = run("fill", src, "--pack", "gansu", "--out", tmp_path / "filled")
    assert r.exit_code == 0, r.output
    (a2,) = (tmp_path / "filled").glob("附件2_*.docx")
    (a3,) = (tmp_path / "filled").glob("附件3_*.docx")
    shutil.copy(a2, inbox / "a_附件2.docx")
    shutil.copy(a3, inbox / "b_附件3.docx")
    _dated(inbox / "a_附件2.docx", dt.datetime(2026, 3, 1, 9))
    _dated(inbox / "b_附件3.docx", dt.datetime(2026, 4, 1, 9))
    text = src.read_text(encoding="utf-8") + "# 3月中旬版\n"
    (inbox / "c_记录.yaml").write_text(text, encoding="utf-8")
    os.utime(inbox / "c_记录.yaml", (dt.datetime(2026, 3, 15).timestamp(),) * 2)
    r = run(
        "summary", inbox, "--pack", "gansu", "--unit", "天水市工信局", "--prefer", "newer",
        "--format", "json", "--out", tmp_path / "out",
    )  # fmt: skip
    got, _ = json.JSONDecoder().raw_decode(r.stdout[r.stdout.index("{") :])
    states = {Path(e["source"]).name: e["state"] for e in got["records"]}
    assert states["c_记录.yaml"] == "重复，未列入", r.output  # the forms were kept (with their own problems)
    assert states["a_附件2.docx"] != "重复，未列入"
    db = tmp_path / "reg.sqlite"
    run("registry", "add", inbox, "--round", "2026", "--pack", "gansu", "--db", db)
    (latest,) = Registry(db).list()
    assert latest.source.endswith(".docx") and latest.version == 2
