"""Reference data transcribed from the sources (in ``data/``), loaded once."""

from __future__ import annotations

import csv
import difflib
import functools
import io
import re
from dataclasses import dataclass
from pathlib import Path

from ..datafiles import compiled, data_dir, read_data_yaml


@dataclass(frozen=True)
class Scenario:
    no: int
    stage: str
    name: str
    area: str | None
    description: str


@dataclass(frozen=True)
class Catalogue:
    edition: int
    title: str
    stages: tuple[str, ...]
    scenarios: tuple[Scenario, ...]

    def by_name(self, name: str) -> Scenario | None:
        return next((s for s in self.scenarios if s.name == name), None)

    def nearest(self, name: str) -> str | None:
        """The official scenario name closest to ``name``, if any is close."""
        names = [s.name for s in self.scenarios]
        hit = difflib.get_close_matches(name, names, n=1, cutoff=0.4)
        if hit:
            return hit[0]
        # A name that contains, or is contained in, an official one.
        for n in names:
            if n in name or name in n:
                return n
        return None

    def stage_area(self, stage: str) -> str | None:
        return next((s.area for s in self.scenarios if s.stage == stage), None)


def _load_yaml(name: str):
    return read_data_yaml(data_dir() / name)


@functools.cache
def catalogue(edition: int) -> Catalogue:
    raw = _load_yaml(f"catalogue-{edition}.yaml")
    scenarios = tuple(
        Scenario(s["no"], st["name"], s["name"], st["area"], s["description"])
        for st in raw["stages"]
        for s in st["scenarios"]
    )
    return Catalogue(raw["edition"], raw["title"], tuple(st["name"] for st in raw["stages"]), scenarios)


@functools.cache
def enums() -> dict[str, list[str]]:
    return _load_yaml("enums.yaml")


@functools.cache
def area_codes() -> dict[str, str]:
    """Province-level division -> its capital's 长途区号 (data/area_codes.yaml)."""
    return {k: str(v) for k, v in _load_yaml("area_codes.yaml").items()}


@functools.cache
def modes() -> list[dict]:
    """附件5: the five manufacturing modes and their numbered items."""
    return _load_yaml("modes.yaml")


@functools.cache
def kpis() -> dict:
    return {str(k): v for k, v in _load_yaml("kpi.yaml").items()}


def kpi_names(edition: str) -> list[str]:
    return [item for group in kpis()[str(edition)] for item in group["items"]]


_UNIT = re.compile(r"[*]*（[^（）]*）$")


def kpi_key(name: str) -> str:
    """A KPI name without its unit and marks, for matching: '生产效率提升*（%）' -> '生产效率提升'."""
    name = name.strip().replace("(", "（").replace(")", "）").replace("₂", "2")
    return _UNIT.sub("", name).rstrip("*")


@dataclass(frozen=True)
class IndustryClass:
    code: str
    name: str
    parent: str | None
    level: str  # 门类 / 大类 / 中类 / 小类


def _industry_table(text: str) -> dict[str, IndustryClass]:
    return {
        row["code"]: IndustryClass(row["code"], row["name"], row["parent"] or None, row["level"])
        for row in csv.DictReader(io.StringIO(text, newline=""))
    }


@functools.cache
def gbt4754() -> dict[str, IndustryClass]:
    return compiled(data_dir() / "gbt4754-2017.csv", _industry_table, "gbt4754")


def industry_chain(code: str) -> list[IndustryClass]:
    """门类 -> ... -> the class of ``code``; empty if the code does not exist."""
    table = gbt4754()
    chain = []
    while code:
        cls = table.get(code)
        if cls is None:
            return []
        chain.append(cls)
        code = cls.parent
    return list(reversed(chain))


@dataclass(frozen=True)
class IndustryLevel:
    """A level of GB/T 4754-2017 as its codes show it (data/gbt4754-2017.csv)."""

    level: str  # 门类 / 大类 / 中类 / 小类
    length: int  # characters of its codes: 门类 a letter, 大类 2 digits, 中类 3, 小类 4
    example: str  # a code of the level, in the 门类 制造业's first chain (C, 13, 131, 1311)

    def text(self) -> str:
        return f"{self.level}（{self.length}位{'' if self.example.isdigit() else '字母'}，如 {self.example}）"


def industry_code_text(coarsest: str | None = None) -> str:
    """What an industry-code field takes, in words, from the code table.

    >>> industry_code_text("中类")
    '中类（3位，如 131）或小类（4位，如 1311）代码'
    """
    texts = [x.text() for x in industry_levels(coarsest)]
    return ("、".join(texts[:-1]) + "或" if len(texts) > 1 else "") + texts[-1] + "代码"


@functools.cache
def industry_levels(coarsest: str | None = None) -> tuple[IndustryLevel, ...]:
    """The levels of GB/T 4754-2017 from ``coarsest`` (a pack's ``checks.industry.min_level``;
    default every level) to the finest, with the length of their codes and an example, as
    the code table gives them: what an industry-code field accepts.

    >>> [x.text() for x in industry_levels("中类")]
    ['中类（3位，如 131）', '小类（4位，如 1311）']
    """
    table = gbt4754()
    order: list[str] = []
    lengths: dict[str, int] = {}
    for cls in table.values():
        if cls.level not in order:
            order.append(cls.level)
            lengths[cls.level] = len(cls.code)
    chain = []  # the first chain of 制造业 (the annexes' industries are manufacturing), else the first
    top = next((c for c in table.values() if c.code == "C"), next(iter(table.values())))
    while top is not None:
        chain.append(top)
        top = next((c for c in table.values() if c.parent == top.code), None)
    examples = {c.level: c.code for c in chain}
    start = order.index(coarsest) if coarsest in order else 0
    return tuple(IndustryLevel(lv, lengths[lv], examples.get(lv, "")) for lv in order[start:])


def data_path(name: str) -> Path:
    return data_dir() / name


# --- Aliases: names people write, mapped to the official ones (data/aliases.yaml) ---

_EDITIONS = (2024, 2025)


@functools.cache
def aliases() -> dict:
    """data/aliases.yaml: scenario twins between the 2024 and 2025 editions, short names,
    former values of enumerations (Shanghai districts)."""
    return _load_yaml("aliases.yaml")


@dataclass(frozen=True)
class ScenarioAlias:
    """What a non-official scenario name corresponds to in an edition.

    ``kind``: ``twin`` (the other edition's name of the same scenario), ``split`` (a 2024
    scenario the 2025 edition divided), ``merged`` (a 2024 scenario a 2025 one absorbed),
    ``part`` (a 2025 scenario made from a split or merge of the 2024 ``names``), ``none``
    (the other edition's scenario has no counterpart), ``short`` (a common short name).
    ``names`` are official in the edition asked about; ``edition`` is the edition the
    name given is official in (None for a short name)."""

    kind: str
    names: tuple[str, ...]
    edition: int | None


def _as_tuple(value) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, list) else (value,)


def scenario_alias(edition: int, name: str) -> ScenarioAlias | None:
    """The official name(s) in ``edition`` for ``name``: a name of the other edition
    suggests its counterpart, a short name its official name. None when ``name`` is
    already official in ``edition`` or nothing is known about it."""
    name = (name or "").strip()
    if edition not in _EDITIONS or not name or catalogue(edition).by_name(name):
        return None
    table = aliases()["scenarios"]
    other = next(e for e in _EDITIONS if e != edition)
    if catalogue(other).by_name(name):
        if other == 2024:
            for key, kind in (("twins", "twin"), ("splits", "split"), ("merged", "merged")):
                if name in table[key]:
                    return ScenarioAlias(kind, _as_tuple(table[key][name]), other)
        else:
            twin = tuple(old for old, new in table["twins"].items() if new == name)
            if twin:
                return ScenarioAlias("twin", twin, other)
            part = tuple(old for key in ("splits", "merged") for old, new in table[key].items() if name in new)
            if part:
                return ScenarioAlias("part", part, other)
        return ScenarioAlias("none", (), other)
    official = (table["short_names"].get(name) or {}).get(edition)
    return ScenarioAlias("short", (official,), None) if official else None


def enum_alias(enum: str, value: str) -> tuple[str, str] | None:
    """(current value, kind) for a former value of ``enum`` (kind 并入 or 撤县设区)."""
    entry = (aliases()["enums"].get(enum) or {}).get((value or "").strip())
    return (entry["to"], entry["kind"]) if entry else None
