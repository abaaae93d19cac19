"""The field catalogue: one description of the fields a pack and level ask for.

The blanks (YAML and workbook), the workbook reader, and later the web form and the
form importer all describe fields from here, and this module describes nothing itself:

- which fields: those the pack's documents that apply at the level use (the fields their
  layouts declare, the record paths their expressions and blocks name, a checklist's
  ``needs``), those the rules that apply at the level draw a verdict from (each rule's
  ``reads``, :func:`formgen.rules.rule`; a derived field through its source), plus
  ``pack``, ``enterprise.name`` and ``factory.level``; without a pack, every field of the
  record model;
- derived fields (``DERIVED``): filled from another field when left empty (a scenario's
  环节 from its name), for the rules and the forms, never over a value the user gave;
- the label: the pack's label for the applying documents (``Pack.labels_for``), else the
  model's ``title``; the note: the model's ``description`` and the form's own note;
- the type, unit and bounds: from the record model (``formgen.record.types``);
- the options: the model's ``Literal``, the pack's lists from data/enums.yaml
  (``checks.enums``, ``checks.lists``), the scenario catalogue of the pack's edition
  (环节 and 场景名称), the KPI names of ``checks.kpi``, the modes and items of 附件5;
- the limits: 字数 from ``checks.lengths`` for the level, the factory-name rule;
- required: a document that applies at the level prints it and does not mark it optional.

A field's ``path`` is a pattern: ``enterprise.name``; ``scenarios[].name`` for every
item of a list (its ``table`` is ``scenarios[]``); ``kpis{}`` for an entry of a mapping
whose key the user writes; ``narrative.mode_items.离散型智能制造.1`` for one 附件5 item.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import typing
from dataclasses import dataclass, field, replace
from decimal import Decimal

from .record import types as T
from .record.derived import DERIVED
from .record.model import Record
from .record.paths import generic
from .record.schema import model_of, resolve_path, strip_optional
from .record.unitkinds import UNIT_KINDS

# Kinds of value, and how each is named to the user.
KINDS = {
    "text": "文本",
    "longtext": "长文本",
    "amount": "金额",
    "percent": "百分比",
    "decimal": "数字",
    "count": "非负整数",
    "int": "整数",
    "date": "日期",
    "year_month": "年月",
    "bool": "是/否",
    "enum": "选项",
    "texts": "多项文本",
    "enums": "多项选项",
}
NUMERIC = ("amount", "percent", "decimal", "count", "int")
BOOL_OPTIONS = ("是", "否")
_UNIT_IN_TITLE = re.compile(r"（([^（）]*(?:元|%|人|天|台|个|家)[^（）]*)）$")


@dataclass(frozen=True)
class Field:
    path: str  # pattern: enterprise.name, scenarios[].name, kpis{}, narrative.mode_items.离散型智能制造.1
    label: str  # the pack's label, else the model's title
    title: str  # the model's title
    kind: str = "text"  # a key of KINDS
    note: str = ""  # the model's description and the form's note
    options: tuple[str, ...] = ()  # enumeration values (for a mapping entry: the known keys)
    strict: bool = False  # options are the only values the record model accepts
    limits: tuple[str, ...] = ()  # 字数 and naming rules, in Chinese
    max_chars: int | None = None  # the 字数 this field alone may hold (a maximum, or the top of "400字左右")
    code_lengths: tuple[int, int] | None = None  # characters a code may have (an industry code: 3-4 for 中类/小类)
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    unit: str = ""
    required: bool = False  # a document that applies prints it and does not mark it optional
    documents: tuple[str, ...] = ()  # short titles of the applying documents that use it
    section: str = ""  # top-level key of the record (enterprise, factory, …) or a sheet of its own
    group: str = ""  # the sub-block's title inside a section (所属区域, 代表产线有关信息)
    table: str = ""  # the list pattern of a table field (scenarios[], scenarios[].equipment[])
    key: str = ""  # the field's key in its table row, mapping or block
    derived_from: str = ""  # the field this one is worked out from when left empty (DERIVED)
    reads: str = ""  # a reader more particular than the kind's: "year" (2023年), "grade" (三级)

    @property
    def multiple(self) -> bool:
        """Several values in one cell or YAML list (系统集成商, 智能制造模式)."""
        return self.kind in ("texts", "enums")

    @property
    def entry(self) -> bool:
        """An entry of a mapping whose key the user writes (kpis{}, narrative.sections{})."""
        return self.path.endswith("{}")

    @property
    def kind_zh(self) -> str:
        return KINDS[self.kind]

    def summary(self) -> str:
        """One line of what may be written: type, unit, bounds, options, limits."""
        parts = [self.kind_zh + (f"（{self.unit}）" if self.unit and self.kind in NUMERIC else "")]
        if self.minimum is not None and self.maximum is not None:
            parts.append(f"{_num(self.minimum)}-{_num(self.maximum)}")
        elif self.minimum is not None:
            parts.append(f"不小于 {_num(self.minimum)}")
        if self.kind == "date":
            parts.append("如 2024-03-01")
        elif self.kind == "year_month":
            parts.append("如 2024-03（或 2024年3月）")
        if self.options and all(o in self.note for o in self.options):
            pass  # the note names them already
        elif self.options and self.kind in ("enum", "enums") and len(self.options) <= 8:
            parts.append("可选：" + "、".join(self.options))
        elif self.options and self.kind in ("enum", "enums"):
            parts.append(f"从 {len(self.options)} 项中选择")
        if self.multiple:
            parts.append("可填多项，每行一项")
        return "；".join(parts + list(self.limits))


def _plain(text: str) -> str:
    return text.replace("(", "（").replace(")", "）")


def _num(value) -> str:
    text = format(value, "f") if isinstance(value, Decimal) else str(value)
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class Sheet:
    """A section of the record as the workbook (and later the web form) shows it."""

    key: str  # section key (enterprise), or a table's list pattern (scenarios[])
    title: str
    fields: tuple[Field, ...]
    parent: str = ""  # for a table nested in another (scenarios[].equipment[]): the parent's pattern

    @property
    def is_table(self) -> bool:
        return self.key.endswith("[]")


@dataclass
class Catalogue:
    pack: object  # formgen.packs.pack.Pack or None
    level: str | None
    fields: list[Field]
    documents: list = field(default_factory=list)  # the documents that apply
    titles: dict = field(default_factory=dict)  # section / table key -> title

    def __post_init__(self):
        self._by_path = {f.path: f for f in self.fields}

    def __len__(self) -> int:
        return len(self.fields)

    def __iter__(self):
        return iter(self.fields)

    def __contains__(self, path: str) -> bool:
        return path in self._by_path

    def get(self, pattern: str) -> Field | None:
        return self._by_path.get(pattern)

    def find(self, path: str) -> Field | None:
        """The field a concrete path belongs to: scenarios[3].name -> scenarios[].name,
        kpis.生产效率提升 -> kpis{}."""
        pattern = generic(path)
        hit = self._by_path.get(pattern)
        if hit is not None:
            return hit
        for f in self.fields:
            if f.entry and pattern.startswith(f.path[:-2] + "."):
                return f
        return None

    def sheets(self) -> list[Sheet]:
        """The sections in the order of the forms, each table on a sheet of its own, a
        nested table right after its parent."""
        by_key: dict[str, list[Field]] = {}
        for f in self.fields:
            by_key.setdefault(f.table or f.section, []).append(f)
        order = list(by_key)
        out: list[Sheet] = []
        placed: set[str] = set()

        def place(key: str):
            if key in placed:
                return
            placed.add(key)
            parent = _parent_table(key)
            out.append(Sheet(key, self.titles.get(key, key), tuple(by_key[key]), parent))
            for other in order:
                if _parent_table(other) == key:
                    place(other)

        for key in order:
            if not _parent_table(key) or _parent_table(key) not in by_key:
                place(key)
        for key in order:
            place(key)
        return out

    def with_record(self, record) -> Catalogue:
        """This catalogue and every other field ``record`` holds a value for (in the
        model's order), so that writing the record out loses nothing."""
        used = record_paths(record)
        full = catalogue(self.pack, self.level, everything=True)
        extra = [f for f in full.fields if f.path not in self._by_path and _holds(f, used)]
        known = {f.path for f in full.fields}
        for path in sorted(p for p in used if p.startswith(MODE_ITEMS + ".") and p.count(".") >= 3):
            if path not in known and path not in self._by_path:  # a mode or item 附件5 does not have (MD002)
                mode, no = path[len(MODE_ITEMS) + 1 :].rsplit(".", 1)
                extra.append(Field(path, f"{mode} {no}", mode, kind="longtext", section=MODE_ITEMS, group=mode, key=no))
        if not extra:
            return self
        fields = list(self.fields)
        for f in extra:  # after the last field of its sheet, else at the end
            key = f.table or f.section
            at = max((i for i, g in enumerate(fields) if (g.table or g.section) == key), default=len(fields) - 1)
            fields.insert(at + 1, replace(f, required=False, documents=()))
        return Catalogue(self.pack, self.level, fields, self.documents, {**full.titles, **self.titles})


def _holds(f: Field, used: set[str]) -> bool:
    if f.entry:
        return any(p.startswith(f.path[:-2] + ".") for p in used)
    return f.path in used


def _parent_table(key: str) -> str:
    if not key.endswith("[]"):
        return ""
    inner = key[:-2]
    cut = inner.rfind("[]")
    return inner[: cut + 2] if cut >= 0 else ""


def record_paths(record) -> set[str]:
    """The field patterns (as in the catalogue) that hold a value in ``record``."""
    out: set[str] = set()

    def walk(obj, prefix: str):
        for name, info in type(obj).model_fields.items():
            value = getattr(obj, name)
            path = f"{prefix}{name}"
            inner = model_of(info.annotation)
            if inner is not None and isinstance(value, list):
                for item in value:
                    walk(item, f"{path}[].")
            elif inner is not None:
                walk(value, f"{path}.")
            elif isinstance(value, dict):
                for key, sub in value.items():
                    if isinstance(sub, dict):
                        for no in sub:
                            out.add(f"{path}.{key}.{no}")
                    out.add(f"{path}.{key}")
            elif value not in (None, [], "") and name != "schema_version":
                out.add(path)

    walk(record, "")
    return out


# --- the record model, walked once ------------------------------------------------------


def _scalar_kind(annotation) -> tuple[str, tuple[str, ...]]:
    """(kind, options) of a scalar annotation."""
    a = strip_optional(annotation)
    for alias, kind in T.SCALAR_KINDS:
        if a == alias:
            return kind, BOOL_OPTIONS if kind == "bool" else ()
    if a is dt.date:
        return "date", ()
    if a is bool:
        return "bool", BOOL_OPTIONS
    if typing.get_origin(a) is typing.Literal:
        return "enum", tuple(str(v) for v in typing.get_args(a))
    return "text", ()


def _bounds(info, annotation) -> tuple[Decimal | None, Decimal | None]:
    low = high = None
    metadata = list(info.metadata)
    for arg in typing.get_args(strip_optional(annotation)):
        metadata += list(getattr(arg, "metadata", []) or [])
    for m in metadata:
        if getattr(m, "ge", None) is not None:
            low = Decimal(m.ge)
        if getattr(m, "le", None) is not None:
            high = Decimal(m.le)
    return low, high


@dataclass(frozen=True)
class _Base:
    """A field as the record model alone describes it."""

    path: str
    title: str
    description: str
    kind: str
    options: tuple[str, ...]
    minimum: Decimal | None
    maximum: Decimal | None
    unit: str
    section: str
    group: str
    table: str
    key: str
    reads: str = ""  # the record type's particular reader (formgen.record.types.PARTICULAR_READERS)


@functools.cache
def _model_fields() -> tuple[tuple[_Base, ...], dict[str, str]]:
    """Every leaf of the record model in order, and the titles of its blocks and lists
    (enterprise.region -> 所属区域, scenarios[] -> 智能制造典型场景)."""
    out: list[_Base] = []
    titles: dict[str, str] = {}

    def walk(model, prefix: str, section: str, group: str, table: str):
        for name, info in model.model_fields.items():
            if name == "schema_version":
                continue
            path = f"{prefix}{name}"
            top = section or name
            title = info.title or name
            ann = info.annotation
            inner = model_of(ann)
            origin = typing.get_origin(strip_optional(ann))
            if inner is not None and origin is list:
                titles[f"{path}[]"] = title
                walk(inner, f"{path}[].", top, "", f"{path}[]")
            elif inner is not None:
                titles[path] = title
                walk(inner, f"{path}.", top, title if section else "", table)
            elif origin is dict:
                titles.setdefault(path, title)
                out.append(_Base(path, title, info.description or "", "dict", (), None, None, "", top, "", table, name))
            elif origin is list:
                kind, options = _scalar_kind(typing.get_args(strip_optional(ann))[0])
                kind = "enums" if kind == "enum" else "texts"
                out.append(
                    _Base(path, title, info.description or "", kind, options, None, None, "", top, group, table, name)
                )
            else:
                kind, options = _scalar_kind(ann)
                low, high = _bounds(info, ann)
                if kind == "count" and low is None:
                    low = Decimal(0)
                unit = ""
                m = _UNIT_IN_TITLE.search(title)
                if m:
                    unit = m.group(1)
                elif kind == "amount":
                    unit = "万元"
                elif kind == "percent":
                    kind = "decimal"  # a score (CMMM 0-5): a percentage says （%） in its title
                reads = next((n for t, n, _r in T.PARTICULAR_READERS if strip_optional(ann) == t), "")
                out.append(
                    _Base(
                        path,
                        title,
                        info.description or "",
                        kind,
                        options,
                        low,
                        high,
                        unit,
                        top,
                        group,
                        table,
                        name,
                        reads,
                    )
                )

    walk(Record, "", "", "", "")
    return tuple(out), titles


# Top-level scalars shown with a section: the pack on the first sheet, 其他成效指标 with the KPIs.
_HOME = {"pack": "enterprise", "kpi_others": "kpis"}
MODE_ITEMS = "narrative.mode_items"
KPIS = "kpis"


# --- what a pack's documents and rules use ---------------------------------------------


def levels(pack) -> list[str]:
    """The levels a pack receives: its own; else those its documents' conditions name;
    else, for a pack whose documents name none (Jiangsu's 自评价, whose tiers are every
    level), every level."""
    from .record.levels import LEVELS

    if pack is None:
        return []
    if pack.level:
        return [pack.level]
    found: list[str] = []

    def walk(when):
        if isinstance(when, dict):
            for k, v in when.items():
                if k == "factory.level":
                    for x in v if isinstance(v, list) else [v]:
                        if isinstance(x, str) and x not in found:
                            found.append(x)
                elif k == "any":
                    for c in v:
                        walk(c)

    for d in pack.documents:
        walk(d.when)
    if not found:
        return list(LEVELS)
    return sorted(found, key=lambda x: LEVELS.index(x) if x in LEVELS else len(LEVELS))


def sample_record(pack_name: str | None, level: str | None):
    """The record a blank stands for: its pack and level and nothing else."""
    return Record(pack=pack_name, factory={"level": level} if level else {})


# --- the catalogue ------------------------------------------------------------------------


def catalogue(
    pack=None, level: str | None = None, everything: bool = False, documents: tuple[str, ...] | None = None
) -> Catalogue:
    """The fields ``pack`` (a Pack or its name) asks of an applicant at ``level`` (default:
    the pack's own level), in the order of its forms. Without a pack, or with
    ``everything``, every field of the record model (with the pack's labels and notes).
    ``documents``: the ids of the documents that apply, where a record's content decides
    (Gansu 附件2 applies when 优秀场景 are named); default: those that apply at the level."""
    if isinstance(pack, str):
        from .packs.pack import get_pack

        pack = get_pack(pack)
    if pack is not None and level is None:
        level = pack.level
    return _catalogue(pack, level, everything, documents)


@functools.lru_cache(maxsize=32)
def _catalogue(pack, level, everything, applying: tuple[str, ...] | None = None) -> Catalogue:
    from .packs.pack import available
    from .record.refdata import catalogue as scenario_catalogue
    from .record.refdata import enums, kpi_names, modes

    bases, titles = _model_fields()
    titles = dict(titles)
    titles.setdefault(MODE_ITEMS, "项目实施现状")
    by_path = {b.path: b for b in bases}
    record = sample_record(pack.name if pack else None, level)

    documents = pack.documents_for(record) if pack is not None else []
    if pack is not None and applying is not None:
        documents = [d for d in pack.documents if d.id in applying]
    label_docs = documents or (pack.documents if pack is not None else [])
    labels = pack.labels_for(label_docs) if pack is not None else {}
    if pack is not None and everything:
        labels = {**pack.labels, **labels}

    # Which fields, in the order the forms use them; required and the documents using each.
    order: list[str] = []
    required: dict[str, bool] = {}
    used_by: dict[str, list[str]] = {}
    notes: dict[str, str] = {}
    checklist_labels: dict[str, str] = {}

    def use(path: str | None, doc=None, optional: bool = True):
        if not path:
            return
        if path not in order:
            order.append(path)
        if doc is not None:
            if not optional:
                required[path] = True
            names = used_by.setdefault(path, [])
            if doc.short_title not in names:
                names.append(doc.short_title)

    for doc in documents:
        if doc.kind == "checklist":
            for path, what in doc.uses():  # the layout model's walker (formgen.packs.layout)
                use(path, doc)
                if what:
                    checklist_labels.setdefault(path, what)
            continue
        for pattern, _label, optional in doc.fields():
            path = resolve_path(pattern)
            if path in DERIVED:  # asked for by its source; itself optional
                use(DERIVED[path].source, doc, optional)
                optional = True
            use(path, doc, optional)
        extra, doc_notes = doc.uses()
        for path in extra:
            use(path, doc)
        for path, note in doc_notes.items():
            notes.setdefault(path, note)
    # The rule settings give limits and options to these fields and add none (a 字数 limit
    # on scenarios' 痛点 is about 附件2, which may not apply at this level); what a rule
    # draws a verdict from is added below.
    checks = pack.checks_for(record) if pack is not None else {}
    from_rules: set[str] = set()
    if pack is not None:
        use("pack")
        use("enterprise.name")  # names the record's files, rows and folders everywhere
        use("factory.level")
        # What the rules that apply here draw their verdicts from (规模以上 from 营业收入,
        # the 环节 covered from the scenarios …): a derived field through its source.
        from .rules import Scope
        from .rules import reads as rule_reads

        for path, rule_titles in rule_reads(Scope(pack, level, checks)).items():
            derived = DERIVED.get(path)
            path = resolve_path(derived.source if derived and path not in order else path)
            if path and path not in order:
                use(path)
                from_rules.add(path)
                notes.setdefault(path, "用于检查：" + "；".join(rule_titles))

    # Expand what was named into leaves of the model.
    wanted: list[str] = []

    def add(path: str):
        if path not in wanted:
            wanted.append(path)

    edition = getattr(pack, "edition", None)
    if pack is None or everything:
        for b in bases:
            add(b.path)
    for path in order:
        if path in by_path:
            add(path)
            continue
        leaves = [b.path for b in bases if b.path.startswith(path + ".") or b.path.startswith(path + "[].")]
        if not leaves:
            continue
        if path + "[]" in titles:
            # A list named as a whole: the fields the documents name in it, else those that
            # identify its items (scenarios: 环节 and 场景, from the catalogue edition), else
            # every field of an item.
            if any(w.startswith(path + "[].") and w not in from_rules for w in order):
                continue
            if path == "scenarios" and edition:
                leaves = ["scenarios[].stage", "scenarios[].name"]
            else:
                leaves = [x for x in leaves if x.count("[]") == path.count("[]") + 1]
        for leaf in leaves:
            add(leaf)
    if pack is not None:
        wanted.sort(key=lambda p: _form_position(p, order, by_path))

    # Lengths, the factory-name rule and enumerations from the checks of the level.
    limits: dict[str, list[str]] = {}
    max_chars: dict[str, int] = {}
    for limit in pack.limits(record) if pack is not None else []:
        for path in limit.paths:
            resolved = resolve_path(path or "")
            if resolved:
                limits.setdefault(resolved, []).append(limit.text())
                if not limit.total and limit.top is not None:
                    max_chars[resolved] = min(limit.top, max_chars.get(resolved, limit.top))
    counted = set(limits)  # fields with a 字数 limit: written as paragraphs
    name_rule = checks.get("factory_name")
    if isinstance(name_rule, dict):
        limits.setdefault("factory.name", []).append(_name_rule_text(name_rule))
    # the industry code: the levels the pack asks for (checks.industry.min_level) to 小类, their
    # code lengths and examples from the code table (data/gbt4754-2017.csv)
    from .record.refdata import industry_code_text, industry_levels
    from .rules.industry import PATH as INDUSTRY_CODE

    coarsest = (checks.get("industry") or {}).get("min_level") if isinstance(checks.get("industry"), dict) else None
    limits.setdefault(INDUSTRY_CODE, []).append("填" + industry_code_text(coarsest))
    code_lengths = {
        INDUSTRY_CODE: (
            min(x.length for x in industry_levels(coarsest)),
            max(x.length for x in industry_levels(coarsest)),
        )
    }
    pack_options: dict[str, tuple[str, ...]] = {}
    for key in ("enums", "lists"):
        for entry in checks.get(key, []) or []:
            resolved = resolve_path(entry.get("path", ""))
            values = entry.get("values") or enums().get(entry.get("enum", ""), [])
            if resolved and values:
                pack_options[resolved] = tuple(str(v) for v in values)
    if edition:
        cat = scenario_catalogue(edition)
        pack_options.setdefault("scenarios[].stage", cat.stages)
        pack_options.setdefault("scenarios[].name", tuple(s.name for s in cat.scenarios))
        pack_options.setdefault("factory.excellent_scenarios", tuple(s.name for s in cat.scenarios))

    fields: list[Field] = []
    for path in wanted:
        base = by_path[path]
        label = labels.get(path) or checklist_labels.get(path) or base.title
        told = base.title if _plain(base.title) not in _plain(label) else ""
        derivation = DERIVED.get(path)
        derivation = derivation if derivation is not None and derivation.holds(pack) else None
        note = "；".join(x for x in (told, base.description, notes.get(path, "")) if x)
        extra = [derivation.how] if derivation else []
        extra += [d.gives for p, d in DERIVED.items() if d.source == path and p in wanted and d.holds(pack)]
        note = "；".join([note] * bool(note) + [x for x in extra if x not in note])
        common = dict(
            required=required.get(path, False),
            documents=tuple(used_by.get(path, ())),
            section=_HOME.get(base.section, base.section) if not base.table else base.section,
            group=base.group,
            table=base.table,
        )
        if base.kind == "dict":
            fields += _dict_fields(base, path, label, note, pack, level, checks, kpi_names, modes, common)
            continue
        if derivation is not None:
            common["required"] = False
        options, strict = base.options, bool(base.options)
        if path == "factory.level" and pack is not None:
            options = tuple(levels(pack))
        elif path == "pack":
            options, strict = tuple(available()), False
        if path in pack_options:
            options, strict = pack_options[path], False
        kind = base.kind
        if kind == "text" and options:
            kind = "enum"
        elif kind == "text" and _long(path, path in counted, note):
            kind = "longtext"
        fields.append(
            Field(
                path=path,
                label=label,
                title=base.title,
                kind=kind,
                note=note,
                options=options,
                strict=strict,
                limits=tuple(limits.get(path, ())),
                max_chars=max_chars.get(path),
                code_lengths=code_lengths.get(path),
                minimum=base.minimum,
                maximum=base.maximum,
                unit=base.unit,
                key=base.key,
                derived_from=derivation.source if derivation else "",
                reads=base.reads,
                **common,
            )
        )
    return Catalogue(pack, level, _distinct_labels(fields), documents, titles)


# --- the recommender profile (formgen init FILE --recommender) ------------------------------


def recommender_uses(pack) -> list[tuple[object, list[str]]]:
    """(document, the profile fields it reads) of every summary sheet and bureau document of
    ``pack``: what its layout reads (:func:`formgen.packs.layout.recommender_reads`), and the
    unit where the document's file is named after it."""
    from .packs.layout import recommender_reads

    out = []
    for doc in pack.documents:
        if doc.kind not in ("multi", "bureau"):
            continue
        names = recommender_reads(doc.kind, doc.model)
        if "{unit}" in (doc.filename or "") and "unit" not in names:
            names.insert(0, "unit")
        out.append((doc, names))
    return out


def recommender_catalogue(pack=None) -> Catalogue:
    """The fields of the recommender profile (:class:`formgen.record.model.Recommender`), as
    ``formgen init --recommender`` explains them: label, note, kind and options from the
    model; each field's ``documents``, the documents that read it (``pack doc`` without a
    pack); the catalogue's ``documents``, (pack, document, the fields it reads) of each;
    推荐单位类别's note says the quotas that go by it. With ``pack`` (a Pack or its name),
    only the fields its summary sheets and bureau documents read, and 推荐单位类别 where its
    quota goes by it; without, every field. ``unit`` is required: ``formgen summary`` needs
    the unit (from the profile or ``--unit``)."""
    from .packs.pack import available, get_pack
    from .record.model import Recommender

    if isinstance(pack, str):
        pack = get_pack(pack)
    packs = [pack] if pack is not None else [get_pack(name) for name in available()]
    used_by: dict[str, list[str]] = {}
    quotas: list[str] = []
    documents = []
    for p in packs:
        for doc, names in recommender_uses(p):
            documents.append((p, doc, names))
            for name in names:
                used_by.setdefault(name, []).append(
                    doc.short_title if pack is not None else f"{p.name} {doc.short_title}"
                )
        kinds = (p.quota or {}).get("by_unit_kind") or {}
        if kinds:
            where = "" if pack is not None else f"{p.name} "
            quotas.append(where + "、".join(f"{UNIT_KINDS.get(k, k)} {v}个" for k, v in kinds.items()))
            used_by.setdefault("unit_kind", [])
    fields = []
    for name, info in Recommender.model_fields.items():
        if pack is not None and name not in used_by:
            continue
        kind, options = _scalar_kind(info.annotation)
        if kind == "text" and options:
            kind = "enum"
        note = info.description or ""
        if name == "unit_kind":  # written by its name (市 …), which the model reads as its code
            options = tuple(UNIT_KINDS[o] for o in options)
            note = "；".join(x for x in (note, "推荐名额按此而定：" + "；".join(quotas) if quotas else "") if x)
        low, high = _bounds(info, info.annotation)
        fields.append(
            Field(
                path=name,
                label=info.title or name,
                title=info.title or name,
                kind=kind,
                note=note,
                options=options,
                strict=bool(options),
                minimum=low,
                maximum=high,
                required=name == "unit",
                documents=tuple(used_by.get(name, ())),
                section="recommender",
                key=name,
            )
        )
    return Catalogue(pack, None, fields, documents, {"recommender": "推荐单位资料"})


@dataclass(frozen=True)
class Total:
    """A 字数 limit a pack sets on several fields together (Shanghai 附件4: parts 一 to 四,
    3000-5000 字)."""

    label: str
    paths: tuple[str, ...]  # field patterns, as in the catalogue
    minimum: int | None
    maximum: int | None


def length_totals(pack, level: str | None = None) -> list[Total]:
    """The combined 字数 limits of ``pack`` (a Pack or its name) for an applicant at ``level``."""
    if isinstance(pack, str):
        from .packs.pack import get_pack

        pack = get_pack(pack)
    if pack is None:
        return []
    out = []
    for limit in pack.limits(sample_record(pack.name, level or pack.level)):
        if limit.total:
            paths = tuple(p for p in (resolve_path(x) for x in limit.paths) if p)
            out.append(Total(limit.label or "", paths, limit.min, limit.max))
    return out


def _form_position(path: str, order: list[str], by_path) -> tuple:
    """Sort key: the section's first use on the forms, then the model's order."""
    bases = _model_fields()[0]
    base = by_path[path]
    home = base.table or _HOME.get(base.section, base.section)

    def section_of(p: str) -> str:
        b = by_path.get(p)
        if b is not None:
            return b.table or _HOME.get(b.section, b.section)
        for x in bases:
            if x.path.startswith(p + ".") or x.path.startswith(p + "[]."):
                return x.table if x.path.startswith(p + "[].") else _HOME.get(x.section, x.section)
        return ""

    first = next((i for i, p in enumerate(order) if section_of(p) == home), len(order))
    if home == "enterprise" and path == "pack":
        return (first, -1)
    return (first, [b.path for b in bases].index(path))


def _dict_fields(base, path, label, note, pack, level, checks, kpi_names, modes, common) -> list[Field]:
    """The entries of a mapping field: one field per 附件5 item for mode_items, one
    field with the known keys (KPI names) as options for kpis, a free entry otherwise."""
    if path == MODE_ITEMS:
        out = []
        for mode in modes():
            for item in mode["items"]:
                out.append(
                    Field(
                        path=f"{MODE_ITEMS}.{mode['mode']}.{item['no']}",
                        label=f"{mode['heading']} {item['no']}.{item['title']}",
                        title=item["title"],
                        kind="longtext",
                        note=item.get("prompt", ""),
                        limits=("勾选了此模式时必填",),
                        key=str(item["no"]),
                        **{**common, "section": MODE_ITEMS, "group": mode["heading"], "required": False},
                    )
                )
        return out
    kind, options = ("text", ())
    if path == KPIS:
        kind = "percent"
        lists = checks.get("kpi") if pack is not None else ["2025"]
        lists = lists if isinstance(lists, list) else [lists] if lists else []
        names: list[str] = []
        for lst in lists:
            for n in kpi_names(lst):
                if n not in names:
                    names.append(n)
        options = tuple(names)
    elif path == "narrative.sections":
        kind = "longtext"
    return [
        Field(
            path=f"{path}{{}}",
            label=label,
            title=base.title,
            kind=kind,
            note=note,
            options=options,
            unit="%" if kind == "percent" else "",
            key="",
            **{**common, "section": KPIS if path == KPIS else common["section"]},
        )
    ]


_CHARS = re.compile(r"\d+\s*字")


def _long(path: str, counted: bool, note: str) -> bool:
    """A text written as paragraphs: the 申报书 parts, or one with a 字数 limit or a
    note that speaks of 字数 (400字左右, 300字以内)."""
    return path.startswith("narrative.") or counted or bool(_CHARS.search(note or ""))


def _name_rule_text(rule: dict) -> str:
    parts = []
    if rule.get("suffix"):
        parts.append(f"以“{rule['suffix']}”结尾")
    if rule.get("forbidden_suffixes"):
        parts.append("不能以" + "、".join(rule["forbidden_suffixes"]) + "结尾")
    if rule.get("max_length"):
        parts.append(f"不超过{rule['max_length']}个汉字（英文字符每3个计1个）")
    return "，".join(parts)


def _stem(label: str) -> str:
    """A label without the note in brackets at its end: 项目建设期(**年**月-**年**月) -> 项目建设期."""
    return re.sub(r"（[^（）]*）$", "", _plain(label)) or _plain(label)


def _distinct_labels(fields: list[Field]) -> list[Field]:
    """One label per row: where several fields would share a label (a form gives 起止日期 to
    the start and the end, 所属行业 to the industry code and to 甘肃附件1's four-way
    choice, 省 to the enterprise's and the factory's region), each is told apart by its model
    title (the title alone where it holds the label: 应用建设起止日期（起）), else by its
    group (省（工厂所属区域）). The fields of the rows sheets (and the web form's blocks)
    are told apart from each other and from the group headings above them; a table's columns
    from the other columns of that table.

    >>> [f.label for f in _distinct_labels([
    ...     Field("e.industry.code", "所属行业", "国民经济行业代码", group="所属行业"),
    ...     Field("e.industry.sector", "所属行业", "所属行业（甘肃附件1）", group="所属行业"),
    ...     Field("e.region.province", "省", "省", group="所属区域"),
    ...     Field("f.region.province", "省", "省", group="工厂所属区域"),
    ...     Field("s[].start", "起止日期", "起止日期（起）", table="s[]"),
    ...     Field("s[].end", "起止日期", "起止日期（止）", table="s[]")])]
    ['所属行业（国民经济行业代码）', '所属行业（甘肃附件1）', '省（所属区域）', '省（工厂所属区域）', '起止日期（起）', '起止日期（止）']
    """
    headings = {f.group for f in fields if f.group and not f.table}

    def clashes(labels: list[str]) -> set[tuple[str, str]]:
        seen: dict[tuple[str, str], int] = {}
        for f, label in zip(fields, labels, strict=True):
            if not f.entry:
                seen[(f.table, label)] = seen.get((f.table, label), 0) + 1
        return {k for k, n in seen.items() if n > 1 or (not k[0] and k[1] in headings)}

    labels = [f.label for f in fields]
    shared = clashes(labels)
    # a title with brackets of its own (市（州）) is joined with · rather than nested in
    # brackets, and so are the others it is told apart from
    dotted = {(f.table, f.label) for f in fields if "（" in _plain(f.title) and _stem(f.label) not in _plain(f.title)}
    for i, f in enumerate(fields):
        if f.entry or (f.table, f.label) not in shared or _plain(f.title) == _plain(f.label):
            continue
        if _stem(f.label) in _plain(f.title):  # 项目建设期(**年**月-**年**月) -> 项目建设期（起）
            labels[i] = f.title
        elif (f.table, f.label) in dotted:
            labels[i] = f"{f.label}·{f.title}"
        else:
            labels[i] = f"{f.label}（{f.title}）"
    shared = clashes(labels)
    for i, f in enumerate(fields):
        if not f.entry and (f.table, labels[i]) in shared and f.group and f.group != labels[i]:
            label = labels[i]
            labels[i] = f"{f.group}·{label}" if _plain(label).endswith("）") else f"{label}（{f.group}）"
    return [f if f.label == label else replace(f, label=label) for f, label in zip(fields, labels, strict=True)]


__all__ = [
    "Catalogue",
    "Field",
    "KINDS",
    "Sheet",
    "Total",
    "catalogue",
    "length_totals",
    "levels",
    "recommender_catalogue",
    "record_paths",
    "sample_record",
]
