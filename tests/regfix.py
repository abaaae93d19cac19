"""Small record files for the registry and annual-report tests."""

from __future__ import annotations

from pathlib import Path

import yaml


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
