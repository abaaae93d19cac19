"""What layouts see: the record, derived values, and formatting.

Layout expressions are Jinja expressions compiled once in a sandbox. Record values
are passed in as data and never compiled, so text such as ``{{ x }}`` in a record is
printed as written.
"""

from __future__ import annotations

import functools
from decimal import Decimal

from jinja2 import Undefined
from jinja2.sandbox import SandboxedEnvironment

from ..record.derived import derived, in_year_order
from ..record.paths import get
from ..record.refdata import industry_chain
from ..record.written import fmt, ym, ym_range

PLAIN = SandboxedEnvironment(autoescape=False)


def code_name(code) -> str:
    """GB/T 4754 '3011' -> '3011-水泥制造'."""
    chain = industry_chain(str(code)) if code else []
    return f"{chain[-1].code}-{chain[-1].name}" if chain else ""


def industry_at(code, level: str) -> str:
    """The 门类/大类/中类/小类 of ``code`` as 'code-name' (门类 as its name)."""
    for cls in industry_chain(str(code)) if code else []:
        if cls.level == level:
            return cls.name if level == "门类" else f"{cls.code}-{cls.name}"
    return ""


def boxes(value, options, sep: str = "\n") -> str:
    """Check-box options as text for a spreadsheet cell: '☑先进级智能工厂\n□基础级智能工厂'."""
    chosen = set(value) if isinstance(value, (list, tuple, set)) else {value}
    return sep.join(("\u2611" if o in chosen else "\u25a1") + o for o in options)


def instances(scenarios, numbered: bool = True) -> str:
    """卓越级 lists: one instance a line, written N.环节名—场景名—实例名."""
    lines = [f"{s.stage or ''}—{s.name or ''}—{s.instance or ''}" for s in scenarios]
    return "\n".join(f"{i}.{line}" if numbered else line for i, line in enumerate(lines, 1))


def earliest(items, field: str):
    """The earliest non-empty ``field`` of ``items`` (year-months sort as text)."""
    values = [getattr(x, field) for x in items or [] if getattr(x, field, None)]
    return min(values) if values else None


def latest_of(items, field: str):
    values = [getattr(x, field) for x in items or [] if getattr(x, field, None)]
    return max(values) if values else None


def total(items, field: str):
    """The sum of ``field`` over ``items``; None when no item has it."""
    values = [getattr(x, field) for x in items or [] if getattr(x, field, None) is not None]
    return sum(values, Decimal(0)) if values else None


def union(items, field: str) -> list:
    """The distinct values of ``field`` over ``items`` (lists flattened), first seen first."""
    out: list = []
    for x in items or []:
        value = getattr(x, field, None)
        for v in value if isinstance(value, list) else [value]:
            if v not in (None, "") and v not in out:
                out.append(v)
    return out


def kpi(kpis, name: str):
    """A KPI value by name, matching with or without the unit and * marks."""
    from ..record.refdata import kpi_key

    wanted = kpi_key(name)
    return next((v for k, v in (kpis or {}).items() if kpi_key(k) == wanted), None)


def kpi_rows(layout) -> tuple[str, ...]:
    """The KPIs a layout prints in rows of their own: the names of its ``kpi(kpis, NAME)``
    cells, in layout order (the layout is the one list of them)."""
    from jinja2 import nodes

    out: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "expr" and isinstance(value, str) and "kpi(" in value:
                    tree = PLAIN.parse("{{ " + value + " }}")
                    for call in tree.find_all(nodes.Call):
                        args = call.args
                        if (
                            isinstance(call.node, nodes.Name)
                            and call.node.name == "kpi"
                            and len(args) == 2
                            and isinstance(args[1], nodes.Const)
                            and args[1].value not in out
                        ):
                            out.append(args[1].value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(layout)
    return tuple(out)


def other_kpis(others, kpis, rows) -> str:
    r"""What a form prints under 其他成效指标: the applicant's own text (``others``), then every
    KPI of the record with a value and no row of the form's own (``rows``, see
    :func:`kpi_rows`), one ``名称：数值`` a line, so no KPI the record holds is dropped.

    >>> other_kpis("人均产值提升20%", {"销售增长率（%）": Decimal(5), "应用人工智能技术场景比例（%）": Decimal("12.5")}, ["销售增长率（%）"])
    '人均产值提升20%\n应用人工智能技术场景比例（%）：12.5'
    """
    from ..record.refdata import kpi_key

    printed = {kpi_key(name) for name in rows or ()}
    lines = [f"{name}：{fmt(v)}" for name, v in (kpis or {}).items() if v is not None and kpi_key(name) not in printed]
    own = str(others).strip() if others else ""
    return "\n".join(x for x in [own, *lines] if x)


FILTERS = {"fmt": fmt, "ym": ym, "code_name": code_name}
GLOBALS = {
    "ym_range": ym_range,
    "industry_at": industry_at,
    "fmt": fmt,
    "boxes": boxes,
    "instances": instances,
    "kpi": kpi,
    "other_kpis": other_kpis,
    "earliest": earliest,
    "latest_of": latest_of,
    "total": total,
    "union": union,
}


def column_value(col: dict, ns: dict):
    """The raw value of a multi-record column for one row: its ``expr``, or its
    ``field`` read from the row's item (``each`` layouts) or record."""
    if col.get("expr"):
        return compile_expr(col["expr"])(**ns)
    if col.get("field"):
        return get(ns["item"] if ns.get("item") is not None else ns["record"], col["field"])
    return None


def column_values(columns: list[dict], ns: dict) -> list:
    """``column_value`` of every column for one row, the expressions evaluated together
    (one Jinja context a row rather than one a cell)."""
    exprs = tuple(col["expr"] for col in columns if col.get("expr"))
    computed = iter(_row_expr(exprs)(**ns) if exprs else ())
    out = []
    for col in columns:
        if col.get("expr"):
            value = next(computed)
            out.append(None if isinstance(value, Undefined) else value)
        elif col.get("field"):
            out.append(get(ns["item"] if ns.get("item") is not None else ns["record"], col["field"]))
        else:
            out.append(None)
    return out


@functools.lru_cache(maxsize=64)
def _row_expr(exprs: tuple[str, ...]):
    return PLAIN.compile_expression("(" + "".join(f"({e})," for e in exprs) + ")", undefined_to_none=True)


def rows_for(layout: dict, records) -> list[dict]:
    """The namespaces of a multi-record sheet's rows: one per record, or with
    ``each: LIST`` one per item of that list across the records (``item`` holds it)."""
    rows = []
    for record in records:
        record = in_year_order(record)  # 近三年 as the annexes list them: 2022 | 2023 | 2024
        items = getattr(record, layout["each"]) if layout.get("each") else [None]
        for item in items:
            rows.append({"record": record, "item": item, "index": len(rows) + 1, **namespace(record)})
    return rows


PLAIN.filters.update(FILTERS)
PLAIN.globals.update(GLOBALS)


@functools.lru_cache(maxsize=2048)
def compile_expr(source: str):
    return PLAIN.compile_expression(source, undefined_to_none=True)


def namespace(record, **extra) -> dict:
    ns = {name: getattr(record, name) for name in type(record).model_fields}
    ns["derived"] = derived(record)
    ns.update(extra)
    return ns
