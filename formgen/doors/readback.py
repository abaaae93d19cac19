"""A layout read backwards: what a printed cell or paragraph says about the record.

The layouts (``forms/<pack>/*.yaml``) say how a form prints a record; this module turns
the same specs around, so a filled form can be read back with no second mapping to
keep. A spec's *reading* comes from the spec itself:

- ``{field: PATH}``: the whole text is the field's value;
- ``{checkbox: {field, options}}``: the options whose box is ticked;
- ``{expr: ...}``: the Jinja expression parsed, and each piece turned around:
  literal text is matched (spaces, line breaks and full/half-width forms are free),
  ``fmt(x)``, ``x | ym`` and attribute paths are slots for ``x``; ``a if c else b`` reads
  ``a`` (or nothing, when the text is ``b``'s literal); ``a or b`` of two fields reads
  into the one that was printed, told from what the record read has (an ``either`` slot,
  see ``imported.finish_eithers``); ``a or b`` of anything else reads ``a``;
  ``industry_at(code, level)``, ``kpi(kpis, name)``, ``ym_range(a, b)``,
  ``boxes(field, options)``, ``instances(list)`` and the ``derived`` values have their
  inverse here. What cannot be turned around (a sum, an earliest date, a headcount band)
  is *unread*: its fields are listed by label, never guessed.

Raw text is turned into a value by the field's kind, the same way the record workbook
reads a cell (:func:`formgen.doors.workbook.cell_value`).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field

from jinja2 import nodes

from ..record.derived import HEADCOUNT_BANDS
from ..record.model import CMMM_LEVEL_ZH as LEVEL_ZH
from ..record.paths import join as join_path
from ..record.types import read_grade
from ..render.context import PLAIN

BOX_TICKED = set("☑☒✓✔√■▣✅")
BOX_EMPTY = set("□☐▢")
_SPACE = re.compile(r"\s+")


# -- slots: one piece of a printed text and the record path it fills --------------------------


@dataclass(frozen=True)
class Slot:
    """A place in a printed text that one record value fills. ``path`` is relative to the
    spec's base (the record, or a list's item); ``how`` names the inverse:

    - ``value``: the value as printed (``fmt``);
    - ``index``: the item's number in its list (checked, not stored);
    - ``industry``: 'code-name' of a GB/T 4754 class (the code is stored);
    - ``industry_path``: 门类-大类-中类 names, to the 中类 code;
    - ``cmmm_l`` / ``cmmm_zh``: L3 / 三级 to 3;
    - ``kpi``: a KPI value (``key`` is its name);
    - ``other_kpis``: 其他成效指标: the text into ``path``, the KPIs printed after it, one
      名称：数值 a line, into the KPIs (``key`` is their path);
    - ``lines``: a list, one value a line (``key`` is the item's field, if any);
    - ``instances``: 环节—场景—实例 lines into a list's items;
    - ``boxes``: ☑-marked options (``key`` holds them, '\\n'-joined);
    - ``app_type``: 甘肃附件6 申报类型 to the level applied for;
    - ``aggregate``: a total, earliest, latest or union of ``key`` over a list, read back
      only when the list has one item (see ``imported.finish_aggregates``);
    - ``either``: ``a or b`` of fields, the value of the first that is not empty: read
      into the one that was printed, told once the record is read (``key`` holds the
      later alternatives, '\\n'-joined; see ``imported.finish_eithers``);
    - ``place``: a region block's city and district printed together (兰州市七里河区),
      split by the administrative divisions of the pack's province (see
      ``imported.finish_places``).
    """

    path: str
    how: str = "value"
    key: str = ""


@dataclass
class Reading:
    """How to read one spec: literal text and slots in print order, the alternative
    literal that means "nothing" (``else '20**年'``), and the fields it shows that no
    text can give back."""

    parts: list = field(default_factory=list)  # str | Slot
    empty_literals: tuple[str, ...] = ()
    unread: tuple[str, ...] = ()
    checkbox: dict | None = None  # a check-box spec: read from the ticked options

    @property
    def slots(self) -> list[Slot]:
        return [p for p in self.parts if isinstance(p, Slot)]

    def match(self, text: str) -> dict[Slot, str] | None:
        """The raw text of each slot, or None when the text does not have the spec's
        literal frame (a label typed in another place, a different form)."""
        text = text.strip()
        if not self.slots:
            return {}
        norm, offsets = _normalized(text)
        if any(_norm_literal(e) == _SPACE.sub("", norm) for e in self.empty_literals):
            return {}
        m = _regex(tuple(self.parts)).fullmatch(norm)
        if m is None:
            return None
        out = {}
        for i, slot in enumerate(self.slots):
            a, b = m.span(i + 1)
            out[slot] = text[offsets[a] : offsets[b]].strip(" \t\n\u3000") if a < b else ""
        return out


def _nfkc(ch: str) -> str:
    return unicodedata.normalize("NFKC", ch)


def _normalized(text: str) -> tuple[str, list[int]]:
    """NFKC per character with a map back to the original offsets (index i of the result
    comes from text[offsets[i]]; offsets has one more entry for the end)."""
    out, offsets = [], []
    for i, ch in enumerate(text):
        n = _nfkc(ch)
        out.append(n)
        offsets += [i] * len(n)
    offsets.append(len(text))
    return "".join(out), offsets


def _norm_literal(text: str) -> str:
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


@functools.lru_cache(maxsize=1024)
def _regex(parts: tuple) -> re.Pattern:
    """Literals matched loosely (any spacing), each slot a group; a literal of spaces
    alone between two slots must be there (it is what separates them)."""
    pattern = [r"\s*"]
    slots = [i for i, p in enumerate(parts) if isinstance(p, Slot)]
    for i, part in enumerate(parts):
        if isinstance(part, Slot):
            pattern.append("(.*)" if i == slots[-1] else "(.*?)")
            continue
        lit = _norm_literal(part)
        if not lit:
            between = 0 < i < len(parts) - 1 and isinstance(parts[i - 1], Slot) and isinstance(parts[i + 1], Slot)
            pattern.append(r"\s+" if between and part else r"\s*")
            continue
        pattern.append(r"\s*" + r"\s*".join(re.escape(c) for c in lit) + r"\s*")
    pattern.append(r"\s*")
    return re.compile("".join(pattern), re.S)


# -- specs into readings ---------------------------------------------------------------------


class _Unread(Exception):
    """A piece of an expression with no inverse."""


def reading(spec) -> Reading | None:
    """The reading of a layout cell or paragraph spec; None for literal text."""
    if not isinstance(spec, dict):
        return None
    if spec.get("checkbox"):
        return Reading([Slot(spec["checkbox"]["field"], "checkbox")], checkbox=spec["checkbox"])
    if spec.get("field") and not spec.get("expr"):
        return Reading([Slot(spec["field"])])
    if spec.get("expr"):
        return _expr_reading(spec["expr"], tuple(spec.get("fields") or ()))
    return None


@functools.lru_cache(maxsize=1024)
def _expr_reading(source: str, fields: tuple[str, ...]) -> Reading:
    node = PLAIN.parse("{{ " + source + " }}").body[0].nodes[0]
    try:
        parts, empty = _parts(node)
    except _Unread:
        return Reading([], unread=fields or tuple(_paths_in(node)))
    return Reading(_places(_merge(parts)), tuple(empty))


def _merge(parts: list) -> list:
    out: list = []
    for p in parts:
        if isinstance(p, str) and out and isinstance(out[-1], str):
            out[-1] += p
        else:
            out.append(p)
    return out


def _places(parts: list) -> list:
    """A region's city and district printed with nothing between them (``fmt(X.city) ~
    fmt(X.district)``): one ``place`` slot for the block X, as no text split can tell
    where the city ends."""
    out: list = []
    for p in parts:
        prev = out[-1] if out else None
        if (
            isinstance(p, Slot)
            and isinstance(prev, Slot)
            and prev.how == p.how == "value"
            and prev.path.endswith(".city")
            and p.path == prev.path.removesuffix(".city") + ".district"
        ):
            out[-1] = Slot(prev.path.removesuffix(".city"), "place")
        else:
            out.append(p)
    return out


def _path(node) -> str | None:
    """'enterprise.financials[0].revenue', 'item.name' -> 'name', or None."""
    if isinstance(node, nodes.Name):
        return "" if node.name == "item" else node.name
    if isinstance(node, nodes.Getattr):
        base = _path(node.node)
        if base is None:
            return None
        return f"{base}.{node.attr}" if base else node.attr
    if isinstance(node, nodes.Getitem):
        arg = node.arg
        if isinstance(arg, nodes.Neg) and isinstance(arg.node, nodes.Const) and arg.node.value == 1:
            base = _path(node.node)  # [-1]: the last item (the first, when there is none yet)
            return None if base is None else f"{base}[-1]"
        if isinstance(arg, nodes.Const) and isinstance(arg.value, int):
            base = _path(node.node)
            return None if base is None else f"{base}[{arg.value}]"
    return None


def _paths_in(node) -> list[str]:
    out = []
    for n in node.find_all((nodes.Getattr, nodes.Name)):
        p = _path(n)
        if p and p not in ("fmt", "index", "kpis", "derived") and not any(o.startswith(p) for o in out):
            out.append(p)
    return out


_DERIVED = {
    "cmmm_level_l": Slot("factory.cmmm.level", "cmmm_l"),
    "cmmm_level_zh": Slot("factory.cmmm.level", "cmmm_zh"),
    "industry_path": Slot("enterprise.industry.gbt4754", "industry_path"),
    "revenue_last_year": Slot("enterprise.revenue"),  # printed from financials or revenue
    "scenario_names": Slot("scenarios", "lines", "name"),
}


def _parts(node) -> tuple[list, list[str]]:
    """(parts, literals that mean empty) of an expression node."""
    if isinstance(node, nodes.Const):
        if node.value is None:
            return [], []
        return [str(node.value)], []
    if isinstance(node, nodes.Concat):
        out = []
        for child in node.nodes:
            out += _parts(child)[0]
        return out, []
    if isinstance(node, nodes.CondExpr):
        kind = _selected_kind(node.test)
        if kind is not None and isinstance(node.expr1, nodes.Const):
            # '☑ 已附' if attachments | selectattr('kind', 'equalto', K) | list else '□ 未附'
            return [Slot(kind[0], "flag", f"{kind[1]}\n{node.expr1.value}")], []
        then, _ = _parts(node.expr1)
        empty = []
        if isinstance(node.expr2, nodes.Const) and isinstance(node.expr2.value, str):
            empty = [node.expr2.value]
        elif node.expr2 is not None and not (isinstance(node.expr2, nodes.Const) and node.expr2.value is None):
            raise _Unread
        return then, empty
    if isinstance(node, nodes.Or):
        either = _alternatives(node)
        if either:
            return [Slot(either[0], "either", "\n".join(either[1:]))], []
        return _parts(node.left)
    if isinstance(node, nodes.Filter):
        if node.name in ("fmt", "ym"):
            return _parts(node.node)
        if node.name == "join" and isinstance(node.node, nodes.Getattr):
            p = _path(node.node)
            if p and p.startswith("derived."):
                return [_DERIVED[p.split(".", 1)[1]]], []
        raise _Unread
    if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name):
        return _call(node.node.name, node.args)
    if isinstance(node, nodes.Name) and node.name == "index":
        return [Slot("", "index")], []
    p = _path(node)
    if p is not None:
        if p.startswith("derived."):
            name = p.split(".", 1)[1]
            if name in _DERIVED:
                return [_DERIVED[name]], []
            raise _Unread
        return [Slot(p)], []
    raise _Unread


def _alternatives(node) -> list[str] | None:
    """The fields of ``a or b or c`` in order, when every side is a field's path
    (``people.legal_rep.phone or people.head.phone``); None otherwise."""
    if isinstance(node, nodes.Or):
        left, right = _alternatives(node.left), _alternatives(node.right)
        return left + right if left and right else None
    p = _path(node)
    return [p] if p and not p.startswith("derived.") else None


def _selected_kind(test) -> tuple[str, str] | None:
    """(list, kind) of ``LIST | selectattr('kind', 'equalto', KIND) | list``."""
    node = test.node if isinstance(test, nodes.Filter) and test.name == "list" else test
    if not (isinstance(node, nodes.Filter) and node.name == "selectattr" and len(node.args) == 3):
        return None
    args = [a.value if isinstance(a, nodes.Const) else None for a in node.args]
    path = _path(node.node)
    if path is None or args[:2] != ["kind", "equalto"] or not isinstance(args[2], str):
        return None
    return path, args[2]


def _const(node) -> str:
    if not isinstance(node, nodes.Const):
        raise _Unread
    return node.value


def _call(name: str, args) -> tuple[list, list[str]]:
    if name == "fmt" and len(args) == 1:
        return _parts(args[0])
    if name == "industry_at":
        p = _path(args[0])
        if p is None:
            raise _Unread
        return [Slot(p, "industry", _const(args[1]))], []
    if name == "kpi":
        return [Slot("kpis", "kpi", _const(args[1]))], []
    if name == "other_kpis" and len(args) == 3:
        # the applicant's own text, then the KPIs with no row: one slot that splits them
        own, kpis = _path(args[0]), _path(args[1])
        if not own or not kpis:
            raise _Unread
        return [Slot(own, "other_kpis", kpis)], []
    if name == "ym_range":
        a, b = (_parts(x)[0] for x in args)
        if len(a) != 1 or len(b) != 1:
            raise _Unread
        return [a[0], "-", b[0]], []
    if name in ("earliest", "latest_of", "total", "union"):
        # over a list's items: read back only when the list has one item
        p = _path(args[0])
        if p is None:
            raise _Unread
        return [Slot(p, "aggregate", _const(args[1]))], []
    if name == "boxes":
        p = _path(args[0])
        opts = args[1]
        if not isinstance(opts, nodes.List):
            raise _Unread
        labels = "\n".join(_const(x) for x in opts.items)
        if p == "derived.application_type":
            return [Slot("factory", "app_type", labels)], []
        if p is None:
            raise _Unread
        return [Slot(p, "boxes", labels)], []
    if name == "instances":
        p = _path(args[0])
        if p is None:
            raise _Unread
        return [Slot(p, "instances")], []
    raise _Unread


# -- raw text into values ----------------------------------------------------------------------


@dataclass
class Value:
    """One value read back: a concrete record path (``scenarios[1].name``) and its raw
    value as the record model reads it."""

    path: str
    value: object


class ReadProblem(ValueError):
    """Text that cannot be read as what the form prints there (the message says why)."""


def values_of(slot: Slot, raw: str, base: str = "", index: int | None = None) -> list[Value]:
    """The record values one slot's text gives. ``base`` is the concrete path of the
    spec's base (``scenarios[2]``); ``index`` the item's number (1-based) if in a list."""
    from ..record.refdata import gbt4754

    raw = raw.strip(" \t\n\u3000")
    if not raw:
        return []
    how = slot.how
    path = join_path(base, slot.path)
    if how == "value":
        return [Value(path, raw)]
    if how == "index":
        return []
    if how == "industry":
        code = _NFKC_CODE.match(_nfkc_all(raw))
        if slot.key == "门类" or not code:
            found = _industry_by_name(raw, slot.key)
            if found is None:
                if slot.key == "门类":
                    return []  # the 门类 is implied by the code of any finer class
                raise ReadProblem(f"“{raw}”不是《国民经济行业分类》中的{slot.key}")
            return [Value(path, found)]
        if code.group(1) not in gbt4754():
            raise ReadProblem(f"行业代码 {code.group(1)} 不在《国民经济行业分类》中")
        return [Value(path, code.group(1))]
    if how == "industry_path":
        names = [x for x in re.split(r"\s*[-—－]\s*", raw) if x]
        found = _industry_by_name(names[-1], None, names[:-1]) if names else None
        if found is None:
            raise ReadProblem(f"“{raw}”找不到对应的国民经济行业分类")
        return [Value(path, found)]
    if how in ("cmmm_l", "cmmm_zh"):
        try:
            level = read_grade(raw)
        except ValueError as e:
            raise ReadProblem(str(e)) from None
        if isinstance(level, int) and level in LEVEL_ZH:
            return [Value(path, level)]
        raise ReadProblem(f"“{raw}”不是成熟度等级（L1-L5 或 一级-五级）")
    if how == "kpi":
        return [Value(f"{path}.{slot.key}", raw)]
    if how == "other_kpis":
        return _other_kpis(raw, path, join_path(base, slot.key))
    if how == "lines":
        lines = [x.strip() for x in raw.split("\n") if x.strip()]
        return [Value(f"{path}[{i}]" + (f".{slot.key}" if slot.key else ""), x) for i, x in enumerate(lines)]
    if how == "instances":
        out = []
        for i, line in enumerate(x for x in raw.split("\n") if x.strip()):
            line = re.sub(r"^\s*\d+\s*[.．、]\s*", "", line)
            pieces = re.split(r"\s*[—－]+\s*|\s*--\s*", line)
            if len(pieces) != 3:
                raise ReadProblem(f"“{line}”应写作 环节名—场景名—实例名")
            for key, piece in zip(("stage", "name", "instance"), pieces, strict=True):
                if piece:
                    out.append(Value(f"{path}[{i}].{key}", piece))
        return out
    if how == "flag":
        kind, ticked = slot.key.split("\n", 1)
        if _norm_literal(raw) == _norm_literal(ticked) or ticked_options(raw, [_norm_literal(ticked)[1:]]):
            return [Value(f"{path}[+].kind", kind)]
        return []
    if how == "boxes":
        chosen = ticked_options(raw, slot.key.split("\n"))
        return [Value(path, chosen)] if chosen else []
    if how == "app_type":
        chosen = ticked_options(raw, slot.key.split("\n"))
        levels = [c.removesuffix("智能工厂") for c in chosen if c.endswith("智能工厂")]
        return [Value(join_path(path, "level"), levels[0])] if len(levels) == 1 else []
    raise AssertionError(how)


_KPI_LINE = re.compile(r"^(.+?)\s*[:：]\s*([-+]?\d+(?:\.\d+)?)\s*%?$")


def _other_kpis(raw: str, path: str, kpis: str) -> list[Value]:
    r"""其他成效指标 read back (see ``render.context.other_kpis``): the trailing lines
    ``名称：数值`` whose name is an indicator of a 关键绩效指标参考 list (data/kpi.yaml) are
    KPIs; what comes before them is the applicant's own text.

    >>> [(v.path, v.value) for v in _other_kpis("人均产值提升：20\n应用人工智能技术场景比例（%）：12.5", "kpi_others", "kpis")]
    [('kpis.应用人工智能技术场景比例（%）', '12.5'), ('kpi_others', '人均产值提升：20')]
    """
    from ..record.refdata import kpi_key, kpi_names
    from ..record.refdata import kpis as kpi_lists

    known = {kpi_key(n) for edition in kpi_lists() if edition != "ranges" for n in kpi_names(edition)}
    lines = [x.strip() for x in raw.split("\n") if x.strip()]
    found: list[Value] = []
    while lines:
        m = _KPI_LINE.match(_nfkc_all(lines[-1]))
        if not m or kpi_key(m.group(1)) not in known:
            break
        name = lines.pop().rsplit("：", 1)[0].rsplit(":", 1)[0].strip()
        found.insert(0, Value(f"{kpis}.{name}", m.group(2)))
    return found + ([Value(path, "\n".join(lines))] if lines else [])


_NFKC_CODE = re.compile(r"^\s*([A-Z]?\d{2,4})\s*[-—－]?")


def _nfkc_all(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _industry_by_name(name: str, level: str | None, parents: list[str] | None = None) -> str | None:
    from ..record.refdata import gbt4754, industry_chain

    want = _norm_literal(re.sub(r"^[A-Z]?\d{2,4}\s*[-—－]?", "", _nfkc_all(name)))
    hits = [c.code for c in gbt4754().values() if _norm_literal(c.name) == want and (level is None or c.level == level)]
    if parents and len(hits) > 1:
        hits = [
            h
            for h in hits
            if [_norm_literal(c.name) for c in industry_chain(h)[: len(parents)]] == [_norm_literal(p) for p in parents]
        ]
    return hits[0] if len(hits) == 1 else None


def ticked_options(text: str, labels: list[str]) -> list[str]:
    """The labels of ``labels`` marked ticked in printed text (☑先进级 □基础级, √5级, ■是):
    a tick right before the label, spaces allowed."""
    norm = _SPACE.sub("", _nfkc_all(text))
    out = []
    for label in labels:
        lab = _norm_literal(label)
        for m in re.finditer(re.escape(lab), norm):
            before = norm[max(0, m.start() - 1) : m.start()]
            after = norm[m.end() : m.end() + 1]
            if before in BOX_TICKED or (not before and after in BOX_TICKED):
                out.append(label)
                break
    # a label inside a longer one (4级 in 14级) counts once, as the longer
    return [x for x in out if not any(x != y and x in y for y in out)]


def headcount_bands() -> list[str]:
    return [label for _, label in HEADCOUNT_BANDS]
