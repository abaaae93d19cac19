"""The registry with many clerks at once, on SQLite and PostgreSQL (issue 25): no record lost, no
internal error; values over a column's size refused in one line; a database that is not formgen's
refused before anything touches it."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from click.testing import CliRunner

from formgen.bureau.registry import Registry, RegistryError, _url
from formgen.cli import main

from .regfix import BACKENDS, PG_URL, database, fresh_pg, record

CLERKS = 8


@pytest.fixture(params=BACKENDS)
def fresh_db(request, tmp_path):
    """Where a registry that does not exist yet will be (nothing created)."""
    return database(request.param, tmp_path)


# Each clerk imports, says it is ready, and waits for the word: all open and write at once.
CLERK = """
import sys, time
from pathlib import Path
from formgen.bureau.registry import Registry
db, round_, ready, go, *paths = sys.argv[1:]
Path(ready).touch()
while not Path(go).exists():
    time.sleep(0.01)
reg = Registry(db)
for p in paths:
    reg.add(Path(p), round_)
"""


def _clerks(tmp_path: Path, db: str, batches: list[list[Path]]) -> None:
    """Run one process per batch, all starting together; each must end well."""
    go = tmp_path / "go"
    ready = [tmp_path / f"ready{i}" for i in range(len(batches))]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CLERK, db, "2026", str(r), str(go), *map(str, paths)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for r, paths in zip(ready, batches, strict=True)
    ]
    try:
        deadline = time.monotonic() + 60
        while not all(r.exists() for r in ready) and time.monotonic() < deadline:
            time.sleep(0.02)
        go.touch()
        errors = []
        for p in procs:
            _, err = p.communicate(timeout=120)
            if p.returncode:
                errors.append(err.decode()[-600:])
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    assert not errors, f"{len(errors)} of {len(procs)} clerks failed:\n" + "\n".join(errors)


def test_versions_of_one_enterprise_at_once_none_lost(fresh_db, tmp_path):
    Registry(fresh_db).engine.dispose()
    files = [record(tmp_path, "甲公司", "91620500MA00000001", tag=f"v{i}") for i in range(CLERKS)]
    _clerks(tmp_path, fresh_db, [[f] for f in files])
    rows = Registry(fresh_db).list(all_versions=True)
    assert sorted(r.version for r in rows) == list(range(1, CLERKS + 1))
    assert sorted(Path(r.source).name for r in rows) == sorted(f.name for f in files)


def test_same_files_by_many_clerks_each_registered_once(fresh_db, tmp_path):
    Registry(fresh_db).engine.dispose()
    files = [record(tmp_path, f"企业{i:02d}", f"C{i:02d}") for i in range(25)]
    # each clerk in its own order, so that they meet on different files
    _clerks(tmp_path, fresh_db, [files[k * 3 :] + files[: k * 3] for k in range(CLERKS)])
    rows = Registry(fresh_db).list(all_versions=True)
    assert sorted(r.enterprise for r in rows) == [f"企业{i:02d}" for i in range(25)]
    assert {r.version for r in rows} == {1}


def test_fresh_database_created_by_many_clerks_at_once(fresh_db, tmp_path):
    files = [record(tmp_path, f"企业{i}", f"C{i}") for i in range(CLERKS)]
    _clerks(tmp_path, fresh_db, [[f] for f in files])
    reg = Registry(fresh_db)
    assert len(reg.list()) == CLERKS and reg.schema_version() == 3
    if reg.engine.dialect.name == "sqlite":
        with reg.engine.connect() as c:
            assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


# -- values over the column sizes -------------------------------------------------


def _named(folder: Path, name: str, code: str) -> Path:
    """A record of an enterprise whose name is too long for a file name."""
    path = record(folder, f"长名{code}", code)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["enterprise"]["name"] = name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, width=10**6), encoding="utf-8")
    return path


@pytest.fixture(params=BACKENDS)
def reg(request, tmp_path):
    return Registry(database(request.param, tmp_path))


def test_values_over_column_size_refused_in_one_line(reg, tmp_path):
    fits = reg.add(_named(tmp_path, "甲" * 200, "C1"), "2026")
    assert fits.new
    with pytest.raises(RegistryError) as e:
        reg.add(_named(tmp_path, "乙" * 201, "C2"), "2026")
    message = str(e.value)
    assert "\n" not in message and "企业名称" in message and "201 个字符" in message and "上限 200" in message
    assert "INSERT" not in message and "乙" * 21 not in message  # the value named, not dumped
    with pytest.raises(RegistryError, match="轮次.*41 个字符.*上限 40"):
        reg.add(record(tmp_path, "丙", "C3"), "2" * 41)
    assert reg.add(record(tmp_path, "丁", "C4"), "2" * 40).new
    deep = tmp_path
    while len(str(deep)) < 500:
        deep = deep / ("目录" * 40)
    deep.mkdir(parents=True)
    with pytest.raises(RegistryError, match="来源文件.*个字符.*上限 500"):
        reg.add(record(deep, "戊", "C5"), "2026")
    with pytest.raises(RegistryError, match="统一社会信用代码.*19 个字符.*上限 18"):
        reg.add(record(tmp_path, "己", "9" * 19), "2026")
    with pytest.raises(RegistryError, match="成熟度评估分数“100”"):
        reg.add(record(tmp_path, "庚", "C7", score=100), "2026")
    assert sorted(r.enterprise for r in reg.list(all_versions=True)) == sorted(["甲" * 200, "丁"])
    # and the registry takes the next write
    assert reg.add(record(tmp_path, "辛", "C8"), "2026").new


def test_cli_round_over_limit_is_usage_error_before_anything(tmp_path):
    db = tmp_path / "reg.sqlite"
    a = record(tmp_path, "甲公司", "C1")
    r = CliRunner().invoke(main, ["registry", "add", str(a), "--round", "2" * 41, "--db", str(db)])
    assert r.exit_code == 2 and "--round" in r.output and "41 个字符" in r.output and "上限 40" in r.output
    assert "Traceback" not in r.output and not db.exists()


def test_cli_oversize_record_said_and_batch_goes_on(tmp_path):
    db = tmp_path / "reg.sqlite"
    long_name = _named(tmp_path, "乙" * 201, "C2")
    good = record(tmp_path, "甲公司", "C1")
    r = CliRunner().invoke(main, ["registry", "add", str(long_name), str(good), "--round", "2026", "--db", str(db)])
    assert r.exit_code == 2, r.output
    assert "企业名称" in r.output and "上限 200" in r.output and "已登记" in r.output and "甲公司" in r.output
    assert "请报告" not in r.output and "Traceback" not in r.output


# -- a database that is not formgen's ---------------------------------------------


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_foreign_sqlite_left_untouched_no_wal(tmp_path):
    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (x)")
    con.execute("INSERT INTO t VALUES (1)")
    con.commit()
    con.close()
    before = _digest(other)
    r = CliRunner().invoke(main, ["registry", "list", "--db", str(other)])
    assert r.exit_code == 2 and "不是 formgen 登记库" in r.output and "未改动" in r.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.sqlite"]  # no -wal, -shm, -journal
    assert _digest(other) == before
    con = sqlite3.connect(other)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    con.close()


def test_sqlite_with_only_a_view_refused(tmp_path):
    other = tmp_path / "views.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE VIEW someone_elses AS SELECT 1 AS x")
    con.commit()
    con.close()
    before = _digest(other)
    with pytest.raises(RegistryError, match="不是 formgen 登记库"):
        Registry(other)
    assert _digest(other) == before
    con = sqlite3.connect(other)
    assert [n for (n,) in con.execute("SELECT name FROM sqlite_master")] == ["someone_elses"]
    con.close()


def test_pg_with_only_a_view_refused():
    if not PG_URL:
        pytest.skip("FORMGEN_TEST_PG_URL not set: no PostgreSQL server to test against")
    fresh_pg()
    eng = sa.create_engine(_url(PG_URL))
    with eng.begin() as c:
        c.exec_driver_sql("CREATE VIEW someone_elses AS SELECT 1 AS x")
    try:
        with pytest.raises(RegistryError, match="不是 formgen 登记库"):
            Registry(PG_URL)
        with eng.connect() as c:
            assert "formgen_meta" not in sa.inspect(c).get_table_names()
    finally:
        with eng.begin() as c:
            c.exec_driver_sql("DROP VIEW IF EXISTS someone_elses")
        eng.dispose()


def test_registry_marked_and_older_unmarked_registry_still_opens(tmp_path):
    db = tmp_path / "reg.sqlite"
    reg = Registry(db)
    reg.add(record(tmp_path, "甲", "C1"), "2026")
    reg.engine.dispose()
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA application_id").fetchone()[0] != 0
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.execute("PRAGMA application_id = 0")  # as a formgen before issue 25 wrote it
    con.commit()
    con.close()
    assert [r.enterprise for r in Registry(db).list()] == ["甲"]
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA application_id").fetchone()[0] != 0
    con.close()
    # a database marked by another application is not formgen's, whatever its tables
    con = sqlite3.connect(db)
    con.execute("PRAGMA application_id = 42")
    con.commit()
    con.close()
    with pytest.raises(RegistryError, match="不是 formgen 登记库"):
        Registry(db)


def test_unique_key_conflict_retried_then_said_in_one_line(reg, tmp_path, monkeypatch):
    """A writer that meets a key another writer took (say an older formgen without the locks)
    runs its transaction again; a database error that persists is one line, not SQL."""
    real = Registry._add
    calls = []

    def conflict_once(self, *args):
        calls.append(1)
        if len(calls) == 1:
            raise sa.exc.IntegrityError("INSERT INTO applications ...", {}, Exception("duplicate key"))
        return real(self, *args)

    monkeypatch.setattr(Registry, "_add", conflict_once)
    got = reg.add(record(tmp_path, "甲", "C1"), "2026")
    assert got.new and got.version == 1 and len(calls) == 2

    def always(self, *args):
        raise sa.exc.IntegrityError("INSERT INTO applications ...", {}, Exception("duplicate key"))

    monkeypatch.setattr(Registry, "_add", always)
    with pytest.raises(RegistryError, match="写入冲突") as e:
        reg.add(record(tmp_path, "乙", "C2"), "2026")
    assert "\n" not in str(e.value) and "INSERT" not in str(e.value)
    monkeypatch.setattr(Registry, "_add", real)
    assert [r.enterprise for r in reg.list()] == ["甲"]
