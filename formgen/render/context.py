"""What layouts see: the record, derived values, and formatting.

Layout expressions are Jinja expressions compiled once in a sandbox. Record values
are passed in as data and never compiled, so text such as ``{{ x }}`` in a record is
printed as written.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal

from jinja2.sandbox import SandboxedEnvironment

from ..refdata import industry_chain
from ..rules.cmmm import ZH as LEVEL_ZH

PLAIN = SandboxedEnvironment(autoescape=False)


def fmt(value) -> str:
    """How a value prints on a form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text
    if isinstance(value, dt.date):
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, (list, tuple)):
        return "、".join(fmt(v) for v in value)
    return str(value)


def ym(value) -> str:
    """'2024-03' -> '2024年3月'."""
    if not value:
        return ""
    y, m = str(value).split("-")
    return f"{y}年{int(m)}月"


def ym_range(start, end) -> str:
    if not start and not end:
        return ""
    return f"{ym(start)}-{ym(end)}"


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


def derived(record) -> dict:
    e, f = record.enterprise, record.factory
    lvl = f.cmmm.level
    chain = industry_chain(e.industry.gbt4754) if e.industry.gbt4754 else []
    return {
        "cmmm_level_l": f"L{lvl}" if lvl else "",
        "cmmm_level_zh": LEVEL_ZH.get(lvl, "") if lvl else "",
        "industry_path": "-".join(c.name for c in chain[:3]) if chain else "",
        "scenario_names": [s.name for s in record.scenarios if s.name],
    }


FILTERS = {"fmt": fmt, "ym": ym, "code_name": code_name}
GLOBALS = {"ym_range": ym_range, "industry_at": industry_at, "fmt": fmt}
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
