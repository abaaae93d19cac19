"""Validation rules.

Every rule is one small function with one stable code, a severity and a one-line
title, registered with :func:`rule`. A rule receives a :class:`Context` and yields
``Hit`` tuples; the runner turns them into findings carrying the label the pack's
forms give the field. Rules that need settings read them from the pack manifest's
``checks`` (``ctx.check("factory_name")``) and stay silent when the pack gives none,
so a new pack turns rules on with data, not code.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from ..findings import ERROR, WARNING, Finding
from ..loader import Loaded, label_for
from ..record import Record
from ..recpaths import applies, generic, parse_path


class Hit(NamedTuple):
    path: str
    message: str
    label: str | None = None  # overrides the looked-up label
    severity: str | None = None  # overrides the rule's severity


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    title: str
    func: Callable[[Context], Iterable[Hit]]


REGISTRY: dict[str, Rule] = {}


def rule(code: str, severity: str, title: str):
    def deco(func):
        if code in REGISTRY:
            raise ValueError(f"duplicate rule code {code}")
        REGISTRY[code] = Rule(code, severity, title, func)
        return func

    return deco


@dataclass
class Context:
    loaded: Loaded
    pack: object = None  # formgen.packs.Pack, or None for pack-independent checks
    documents: list | None = None  # the pack documents whose required fields count
    today: dt.date = field(default_factory=dt.date.today)  # for rules about dates in the past/future

    @property
    def record(self) -> Record:
        return self.loaded.record

    def check(self, name: str, default=None):
        """The pack's settings for a rule; entries with a ``when`` that does not hold
        for this record are left out."""
        if self.pack is None:
            return default
        value = self.pack.checks.get(name, default)
        if isinstance(value, list):
            return [v for v in value if not isinstance(v, dict) or applies(self.record, v.get("when"))]
        if isinstance(value, dict) and not applies(self.record, value.get("when")):
            return default
        return value

    def applicable_documents(self) -> list:
        """The documents whose fields count for this record: those given (``fill`` passes
        the documents it writes), else every document of the pack that applies to it."""
        if self.documents is not None:
            return self.documents
        return self.pack.documents_for(self.record)

    @property
    def edition(self) -> int | None:
        return getattr(self.pack, "edition", None)


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.is_error]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if not f.is_error]


@functools.cache
def _load_modules():
    """Import every rule module once, so each registers its rules."""
    for mod in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{mod.name}")


def run(ctx: Context, only: Iterable[str] | None = None) -> Report:
    """Run every registered rule (or those in ``only``) and collect all findings."""
    _load_modules()
    # labels from the documents that count, else from every document of the pack
    labels = ctx.pack.labels_for(ctx.applicable_documents() or ctx.pack.documents) if ctx.pack is not None else {}
    report = Report()
    left_out = getattr(ctx.loaded, "left_out", None) or (lambda path: False)
    for code in sorted(REGISTRY):
        if only is not None and code not in only:
            continue
        r = REGISTRY[code]
        for hit in r.func(ctx):
            if left_out(hit.path):
                continue  # a value left out on reading (wrong type): its reading finding says it
            label = hit.label or labels.get(generic(hit.path)) or label_for(Record, parse_path(hit.path))
            report.findings.append(
                Finding(
                    r.code,
                    hit.severity or r.severity,
                    hit.path,
                    label,
                    hit.message,
                    str(ctx.loaded.path),
                    ctx.loaded.line_of(hit.path),
                )
            )
    report.findings.sort(key=Finding.sort_key)
    return report


__all__ = [
    "ERROR",
    "WARNING",
    "Context",
    "Hit",
    "REGISTRY",
    "Report",
    "rule",
    "run",
]
