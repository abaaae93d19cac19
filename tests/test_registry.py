"""The bureau's registry: versions, statuses, history warnings, schema, nothing lost."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from formgen.bureau.registry import SCHEMA_VERSION, Registry, RegistryError, _url

from .regfix import BACKENDS, PG_URL, database, record


@pytest.fixture(params=BACKENDS)
def reg(request, tmp_path):
    return Registry(database(request.param, tmp_path))


def test_add_unchanged_is_noop_changed_is_new_version(reg, tmp_path):
    p = record(tmp_path, "甲公司", "91620500MA00000001", level="先进级", score=2.5, cmmm_level=2)
    first = reg.add(p, "2026")
    again = reg.add(p, "2026")
    assert (first.new, first.version) == (True, 1)
    assert (again.new, again.version) == (False, 1)
    assert len(reg.list(all_versions=True)) == 1
    p.write_text(p.read_text(encoding="utf-8").replace("2.5", "2.8"), encoding="utf-8")
    changed = reg.add(p, "2026")
    assert (changed.new, changed.version) == (True, 2)
    rows = reg.list(all_versions=True)
    assert [r.version for r in rows] == [1, 2]
    latest = reg.list()
    assert len(latest) == 1 and float(latest[0].cmmm_score) == 2.8
    # the same file in another round is its own application
    assert reg.add(p, "2027").version == 1


def test_facts_registered(reg, tmp_path):
    p = record(
        tmp_path,
        "乙公司",
        "91620500MA00000002",
        district="麦积区",
        level="卓越级",
        score=3.1,
        cmmm_level=3,
        revenue=2500,
        scenarios=["计划调度", "质量追溯"],
    )
    reg.add(p, "2026")
    (row,) = reg.list()
    assert (row.enterprise, row.credit_code, row.city, row.district) == (
        "乙公司",
        "91620500MA00000002",
        "天水市",
        "麦积区",
    )
    assert (row.level, row.cmmm_level, row.above_scale, row.status) == ("卓越级", 3, True, "申报")
    assert "质量追溯" in row.scenarios and row.source == str(p) and len(row.sha256) == 64


def test_above_scale_threshold(reg, tmp_path):
    reg.add(record(tmp_path, "规上", "C1", revenue=2000), "2026")
    reg.add(record(tmp_path, "规下", "C2", revenue=1999.99), "2026")
    reg.add(record(tmp_path, "不详", "C3"), "2026")
    got = {r.enterprise: r.above_scale for r in reg.list()}
    assert got == {"规上": True, "规下": False, "不详": None}


def test_status_filters_and_log(reg, tmp_path):
    import datetime as dt

    reg.add(record(tmp_path, "甲", "C1", level="基础级"), "2026")
    reg.add(record(tmp_path, "乙", "C2", level="先进级", district="麦积区"), "2026")
    reg.set_status("甲", "2026", "推荐", dt.date(2026, 5, 1), "市级推荐")
    reg.set_status("C1", "2026", "认定", dt.date(2026, 9, 1))
    assert [r.enterprise for r in reg.list(status="认定")] == ["甲"]
    assert [r.enterprise for r in reg.list(level="先进级")] == ["乙"]
    assert [r.enterprise for r in reg.list(region="麦积区")] == ["乙"]
    assert len(reg.list(region="天水市")) == 2
    assert reg.list(round_="2025") == []
    apps, log = reg.show("甲")
    assert [e.status for e in log] == ["申报", "推荐", "认定"]
    assert log[1].note == "市级推荐" and apps[0].status_date == dt.date(2026, 9, 1)
    with pytest.raises(RegistryError, match="状态须为"):
        reg.set_status("甲", "2026", "通过")
    with pytest.raises(RegistryError, match="没有 2026 轮次的“丙”"):
        reg.set_status("丙", "2026", "认定")


def test_history_warnings(reg, tmp_path):
    reg.add(record(tmp_path, "甲", "C1", level="先进级", tag="a"), "2024")
    reg.set_status("甲", "2024", "认定")
    again = reg.add(record(tmp_path, "甲", "C1", level="先进级", tag="b"), "2025")
    assert [f.code for f in again.findings] == ["HS001"]
    assert "2024" in again.findings[0].message and not again.findings[0].is_error
    # 卓越级 after 先进级 recognised: no RG002
    up = reg.add(record(tmp_path, "甲", "C1", level="卓越级", tag="c"), "2026")
    assert up.findings == []
    # 卓越级 with no 先进级 recognition on record
    jump = reg.add(record(tmp_path, "乙", "C2", level="卓越级"), "2026")
    assert [f.code for f in jump.findings] == ["HS002"]
    # recognised only as 先进级 *applied* (not 认定) does not count
    reg.add(record(tmp_path, "丙", "C3", level="先进级", tag="a"), "2024")
    assert [f.code for f in reg.add(record(tmp_path, "丙", "C3", level="卓越级", tag="b"), "2026").findings] == [
        "HS002"
    ]


def test_crash_mid_record_leaves_nothing_of_it(reg, tmp_path):
    reg.add(record(tmp_path, "甲", "C1"), "2026")
    with pytest.raises(RuntimeError):
        reg.add(record(tmp_path, "乙", "C2"), "2026", _fail_after_insert=True)
    assert [r.enterprise for r in reg.list(all_versions=True)] == ["甲"]
    _apps, log = reg.show("乙")
    assert log == []


def test_future_and_foreign_databases_refused(tmp_path):
    db = tmp_path / "reg.sqlite"
    Registry(db)
    con = sqlite3.connect(db)
    con.execute("UPDATE formgen_meta SET value='99' WHERE key='schema_version'")
    con.commit()
    con.close()
    with pytest.raises(RegistryError, match="更新版本的 formgen"):
        Registry(db)
    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    with pytest.raises(RegistryError, match="不是 formgen 登记库"):
        Registry(other)
    text = tmp_path / "notes.sqlite"
    text.write_text("hello", encoding="utf-8")
    with pytest.raises(RegistryError, match="不是 formgen 登记库"):
        Registry(text)
    assert text.read_text(encoding="utf-8") == "hello"


def test_version_1_file_upgraded_in_place(tmp_path):
    db = tmp_path / "old.sqlite"
    reg = Registry(db)
    reg.add(record(tmp_path, "甲", "C1"), "2025")
    reg.set_status("甲", "2025", "认定")
    reg.engine.dispose()
    # make it look like a schema-1 file: no status log, no 组织机构代码 or file date
    con = sqlite3.connect(db)
    con.execute("DROP TABLE status_log")
    con.execute("ALTER TABLE applications DROP COLUMN org_code")
    con.execute("ALTER TABLE applications DROP COLUMN made_at")
    con.execute("UPDATE formgen_meta SET value='1' WHERE key='schema_version'")
    con.commit()
    con.close()
    reg = Registry(db)
    assert reg.schema_version() == SCHEMA_VERSION == 3
    _apps, log = reg.show("甲")
    assert [e.status for e in log] == ["认定"]


def test_sqlite_uses_wal(tmp_path):
    db = tmp_path / "reg.sqlite"
    Registry(db)
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()


WORKER = """
import sys
from pathlib import Path
from formgen.bureau.registry import Registry
reg = Registry(sys.argv[1])
for p in sys.argv[3:]:
    reg.add(Path(p), sys.argv[2])
"""


def test_parallel_processes_all_land(tmp_path):
    db = tmp_path / "reg.sqlite"
    Registry(db).engine.dispose()
    batches = []
    for w in range(4):
        folder = tmp_path / f"clerk{w}"
        folder.mkdir()
        batches.append([str(record(folder, f"企业{w}-{i}", f"C{w}-{i}")) for i in range(8)])
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(db), "2026", *paths], stderr=subprocess.PIPE)
        for paths in batches
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()
    assert len(Registry(db).list()) == 32


def test_parallel_pg(tmp_path):
    if not PG_URL:
        pytest.skip("FORMGEN_TEST_PG_URL not set: no PostgreSQL server to test against")
    import sqlalchemy as sa

    eng = sa.create_engine(_url(PG_URL))
    with eng.begin() as c:
        c.exec_driver_sql("DROP TABLE IF EXISTS status_log, applications, formgen_meta CASCADE")
    eng.dispose()
    Registry(PG_URL).engine.dispose()
    batches = []
    for w in range(3):
        folder = tmp_path / f"clerk{w}"
        folder.mkdir()
        batches.append([str(record(folder, f"企业{w}-{i}", f"C{w}-{i}")) for i in range(6)])
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, PG_URL, "2026", *paths], stderr=subprocess.PIPE)
        for paths in batches
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()
    assert len(Registry(PG_URL).list()) == 18


def test_unreadable_path_message(tmp_path):
    with pytest.raises(RegistryError, match="无法打开登记库"):
        Registry(Path("/nonexistent-dir/x/reg.sqlite"))


KILLED = """
import os, sys
from pathlib import Path
from formgen.bureau import registry
reg = registry.Registry(sys.argv[1])
reg.add(Path(sys.argv[2]), "2026")
def die():
    os._exit(9)  # the process dies inside the second record's transaction, nothing cleaned up
registry.status_log.insert = die
reg.add(Path(sys.argv[3]), "2026")
"""


def test_process_killed_mid_batch_leaves_whole_records(tmp_path):
    db = tmp_path / "reg.sqlite"
    a, b = record(tmp_path, "甲", "C1"), record(tmp_path, "乙", "C2")
    done = subprocess.run([sys.executable, "-c", KILLED, str(db), str(a), str(b)], capture_output=True, timeout=120)
    assert done.returncode == 9, done.stderr.decode()
    reg = Registry(db)
    assert [r.enterprise for r in reg.list(all_versions=True)] == ["甲"]
    assert [e.status for e in reg.show("甲")[1]] == ["申报"]
    assert reg.add(b, "2026").new  # and the database takes the next write
