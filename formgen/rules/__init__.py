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
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from ..findings import ERROR, WARNING, Finding
from ..loader import Loaded, label_for
from ..record import Record


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
    offer each (:func:`formgen.fields.catalogue`), so that such a rule never falls silent for
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
    pack: object = None  # formgen.packs.Pack, or None for pack-independent checks
    documents: list | None = None  # the pack documents whose required fields count
    today: dt.date = field(default_factory=dt.date.today)  # for rules about dates in the past/future

    def __post_init__(self):
        # The rules see the record with its derived fields (a scenario's 环节 from its name)
        # filled where the user left them empty: a copy, the loaded record is not changed.
        from ..fields import derive

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
        value = self.pack.checks.get(name, default)
        if isinstance(value, list):
            return [v for v in value if not isinstance(v, dict) or applies(self.record, v.get("when"))]
        if isinstance(value, dict) and not applies(self.record, value.get("when")):
            return default
        return value

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


def parse_path(path: str) -> tuple:
    """'scenarios[0].name' -> ('scenarios', 0, 'name')."""
    out: list = []
    for part in path.replace("[", ".[").split("."):
        if not part:
            continue
        if part.startswith("["):
            out.append(int(part[1:-1]))
        else:
            out.append(part)
    return tuple(out)


def run(ctx: Context, only: Iterable[str] | None = None) -> Report:
    """Run every registered rule (or those in ``only``) and collect all findings."""
    _load_modules()
    # labels from the documents that count, else from every document of the pack
    labels = ctx.pack.labels_for(ctx.applicable_documents() or ctx.pack.documents) if ctx.pack is not None else {}
    report = Report()
    for code in sorted(REGISTRY):
        if only is not None and code not in only:
            continue
        r = REGISTRY[code]
        for hit in r.func(ctx):
            label = hit.label or labels.get(_generic(hit.path)) or label_for(Record, parse_path(hit.path))
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


def _generic(path: str) -> str:
    """'scenarios[3].name' -> 'scenarios[].name', the key the pack's labels use."""
    return re.sub(r"\[\d+\]", "[]", path)


def is_empty(value) -> bool:
    """Nothing filled in: None, blank text, an empty list or mapping."""
    if isinstance(value, str):
        return not value.strip()
    return value is None or (isinstance(value, (list, dict)) and not value)


def get(obj, path: str):
    """The value at a dotted path of a record (None when absent)."""
    return get_parts(obj, parse_path(path))


def get_parts(obj, parts: tuple):
    """:func:`get` for a path already parsed by :func:`parse_path`."""
    for part in parts:
        if obj is None:
            return None
        if isinstance(part, int):
            obj = obj[part] if part < len(obj) else None
        elif isinstance(obj, dict):
            obj = obj.get(part)
        else:
            obj = getattr(obj, part, None)
    return obj


def applies(record, when: dict | None) -> bool:
    """Whether a ``when`` condition from a manifest holds. Every ``path: wanted`` pair
    must match: a value, a list (any of its values), or an operator mapping
    (``{not: V | [V...]}``, ``{filled: true|false}`` for a non-empty value or list).
    ``any: [COND...]`` holds when one of its conditions holds."""
    for path, wanted in (when or {}).items():
        if path == "any":
            if not any(applies(record, c) for c in wanted):
                return False
            continue
        value = get(record, path)
        if isinstance(wanted, dict):
            if "not" in wanted:
                banned = wanted["not"] if isinstance(wanted["not"], list) else [wanted["not"]]
                if value in banned:
                    return False
            if "filled" in wanted and bool(value not in (None, "", [], {})) != bool(wanted["filled"]):
                return False
            continue
        options = wanted if isinstance(wanted, list) else [wanted]
        if value not in options:
            return False
    return True


def expand(record, pattern: str) -> list[tuple[str, object]]:
    """Concrete (path, value) pairs for a path with ``[]`` wildcards over lists."""
    if "[]" not in pattern:
        return [(pattern, get(record, pattern))]
    head, _, tail = pattern.partition("[]")
    items = get(record, head) or []
    out = []
    for i in range(len(items)):
        out.extend(expand(record, f"{head}[{i}]{tail}"))
    return out


__all__ = [
    "ERROR",
    "WARNING",
    "Context",
    "Hit",
    "REGISTRY",
    "Report",
    "Scope",
    "applies",
    "expand",
    "get",
    "is_empty",
    "reads",
    "rule",
    "run",
]
