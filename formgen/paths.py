"""Where the shipped data and packs live: beside the package in a checkout or an
editable install, inside it in a wheel. ``FORMGEN_PACKS`` adds pack folders."""

from __future__ import annotations

import os
from pathlib import Path

_HERE = Path(__file__).resolve().parent


def _first(*candidates: Path) -> Path:
    for c in candidates:
        if c.is_dir():
            return c
    return candidates[0]


def data_dir() -> Path:
    return _first(_HERE / "data", _HERE.parent / "data")


def pack_dirs() -> list[Path]:
    extra = [Path(p) for p in os.environ.get("FORMGEN_PACKS", "").split(os.pathsep) if p]
    return [*extra, _first(_HERE / "forms", _HERE.parent / "forms")]


def read_data_yaml(path: Path):
    """A shipped data or pack file (reference tables, manifests, layouts), parsed with
    libyaml's C loader where PyYAML has it (several times faster), else the pure-Python
    one; both build the same values. Never used for records: users' files go through
    :mod:`formgen.loader`, bounded and with line numbers."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 - a safe loader
