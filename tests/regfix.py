"""Small record files for the registry and annual-report tests."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

PG_URL = os.environ.get("FORMGEN_TEST_PG_URL")


def fresh_pg() -> str:
    """The test PostgreSQL database emptied of formgen's tables (and the foreign view a
    test leaves behind): its URL, for a registry that does not exist yet."""
    import sqlalchemy as sa

    from formgen.bureau.registry import _url

    eng = sa.create_engine(_url(PG_URL))
    with eng.begin() as c:
        c.exec_driver_sql("DROP VIEW IF EXISTS someone_elses")
        c.exec_driver_sql(
            "DROP TABLE IF EXISTS intake_files, intake_submissions, intake_invites, intake_clerks, intake_audit,"
            " intake_logins, intake_sessions, status_log, applications, formgen_meta CASCADE"
        )
    eng.dispose()
    return PG_URL


BACKENDS = ["sqlite", "postgresql"]  # the params of a fixture that runs a test on each database


def database(backend: str, tmp_path: Path) -> str:
    """Where a registry that does not exist yet will be, on ``backend``: an SQLite file in
    ``tmp_path``, or the test PostgreSQL database emptied (:func:`fresh_pg`); the test is
    skipped where no PostgreSQL server is given."""
    if backend == "sqlite":
        return str(tmp_path / "reg.sqlite")
    if not PG_URL:
        import pytest

        pytest.skip("FORMGEN_TEST_PG_URL not set: no PostgreSQL server to test against")
    return fresh_pg()


def record(
    folder: Path,
    name: str,
    code: str,
    *,
    city="天水市",
    district="秦州区",
    level="基础级",
    score=None,
    cmmm_level=None,
    revenue=None,
    scenarios=(),
    tag="",
) -> Path:
    data = {
        "pack": "gansu",
        "enterprise": {
            "name": name,
            "credit_code": code,
            "region": {"province": "甘肃省", "city": city, "district": district},
        },
        "factory": {"level": level, "cmmm": {}},
        "scenarios": [{"name": s} for s in scenarios],
    }
    if revenue is not None:
        data["enterprise"]["revenue"] = revenue
    if score is not None:
        data["factory"]["cmmm"]["score"] = score
    if cmmm_level is not None:
        data["factory"]["cmmm"]["level"] = cmmm_level
    if tag:
        data["factory"]["remarks"] = tag
    path = folder / f"{name}{'-' + tag if tag else ''}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path
