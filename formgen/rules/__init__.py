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
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from ..record.findings import ERROR, WARNING, Finding
from ..record.loader import Loaded, label_for
from ..record.model import Record
from ..record.paths import generic, parse_path


class Hit(NamedTuple):
    path: str
    message: str
    label: str | None = None  # overrides the looked-up label
    severity: str | None = None  # overrides the rule's severity


@dataclass(frozen=True)
class Scope:
    """A pack and a level as the field catalogue asks the rules about them: the pack's
    settings (``checks``) as they apply at that level."""

    pack: object
    level: str | None
    checks: dict

    @property
    def edition(self) -> int | None:
        return getattr(self.pack, "edition", None)


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    title: str
    func: Callable[[Context], Iterable[Hit]]
    # The record fields (patterns, as in the field catalogue) the rule reaches its verdict
    # from, or a function of the Scope giving them; ``check``: the pack setting that turns
    # the rule on (None: every pack). See :func:`rule`.
    reads: tuple[str, ...] | Callable[[Scope], Iterable[str]] = ()
    check: str | None = None

    def reads_for(self, scope: Scope) -> list[str]:
        """The fields this rule reads for records of ``scope`` (none when it is off there)."""
        if self.check is not None and scope.checks.get(self.check) in (None, [], False):
            return []  # the pack does not set it (or not for this level)
        return list((self.reads(scope) if callable(self.reads) else self.reads) or ())


REGISTRY: dict[str, Rule] = {}


def rule(code: str, severity: str, title: str, reads=(), check: str | None = None):
    """Register a rule. ``reads``: the fields a verdict about the enterprise (规模以上, the
    环节 covered, the AI share …) is drawn from; the blank and workbook for a pack and level
    offer each (:func:`formgen.catalogue.catalogue`), so that such a rule never falls silent for
    a record begun from the blank. A rule about a field's own value (a format, a 字数 limit,
    an option) declares nothing: without the field it has nothing to say."""

    def deco(func):
        if code in REGISTRY:
            raise ValueError(f"duplicate rule code {code}")
        REGISTRY[code] = Rule(code, severity, title, func, reads, check)
        return func

    return deco


def reads(scope: Scope) -> dict[str, list[str]]:
    """Field pattern -> the titles of the rules that read it, for records of ``scope``, in
    the order of the rule codes."""
    _load_modules()
    out: dict[str, list[str]] = {}
    for code in sorted(REGISTRY):
        r = REGISTRY[code]
        for path in r.reads_for(scope):
            titles = out.setdefault(path, [])
            if r.title not in titles:
                titles.append(r.title)
    return out


@dataclass
class Context:
    loaded: Loaded
    pack: object = None  # formgen.packs.pack.Pack, or None for pack-independent checks
    documents: list | None = None  # the pack documents whose required fields count
    today: dt.date = field(default_factory=dt.date.today)  # for rules about dates in the past/future

    def __post_init__(self):
        # The rules see the record with its derived fields (a scenario's 环节 from its name)
        # filled where the user left them empty: a copy, the loaded record is not changed.
        from ..record.derived import derive

        record = derive(self.loaded.record, self.pack)
        if record is not self.loaded.record:
            self.loaded = replace(self.loaded, record=record)

    @property
    def record(self) -> Record:
        return self.loaded.record

    def check(self, name: str, default=None):
        """The pack's settings for a rule; entries with a ``when`` that does not hold
        for this record are left out."""
        if self.pack is None:
            return default
        return self.pack.setting(name, self.record, default)

    def applicable_documents(self) -> list:
        """The documents whose fields count for this record: those given (a Word draft's
        check passes its own), else every document of the pack that applies to it (validate
        and fill alike: a field only a bureau's sheet needs is needed for fill too)."""
        if self.documents is not None:
            return self.documents
        return self.pack.documents_for(self.record)

    @property
    def edition(self) -> int | None:
        return getattr(self.pack, "edition", None)

    @functools.cached_property
    def labels(self) -> dict[str, str]:
        """Field pattern -> the label the forms that count for this record give it (those of
        the documents that apply, else every document of the pack): what every finding about
        the record is labelled with, a rule's or a reader's."""
        if self.pack is None:
            return {}
        return self.pack.labels_for(self.applicable_documents() or self.pack.documents)


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


def relabel(findings: list[Finding], labels: dict[str, str]) -> list[Finding]:
    """Findings of a reader (a value of the wrong type, IN007 …) labelled as the forms
    label the field, where the pack's forms print it; others as they are."""
    out = []
    for f in findings:
        label = labels.get(generic(f.path)) if f.path else None
        out.append(replace(f, label=label) if label and label != f.label else f)
    return out


def run(ctx: Context, only: Iterable[str] | None = None) -> Report:
    """Run every registered rule (or those in ``only``) and collect all findings."""
    _load_modules()
    labels = ctx.labels
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
    "Scope",
    "reads",
    "rule",
    "run",
]
