"""Derived fields: what formgen works out from a record rather than asking for it.

A field the user may leave empty because another gives it (:data:`DERIVED`: a scenario's
环节 from its name, the 组织机构代码 from the 统一社会信用代码), and the values the forms print
that are worked out from the record (:func:`derived`, a layout's ``derived.NAME``). Every
layer asks this module; nothing else recomputes them.
"""

from __future__ import annotations

import functools
import typing
from dataclasses import dataclass
from decimal import Decimal

from .model import CMMM_LEVEL_ZH
from .paths import get, is_empty
from .refdata import industry_chain

# --- derived fields: worked out from another field when left empty -------------------------


@dataclass(frozen=True)
class Derivation:
    """A field formgen works out from another when the user leaves it empty (never over a
    value the user gave: one that disagrees is the rules' finding, ID003 for a 组织机构代码,
    SC002 for a 环节). The blank asks for the source; the rules and the forms take the value
    from :func:`derive` / :func:`derived_value`, and nothing else recomputes it."""

    path: str  # the derived field; LIST[].KEY: in every item of a list
    source: str  # the field it is derived from (in the same item, for a list's field)
    how: str  # the derived field's note, in Chinese, for the blank, workbook and web form
    gives: str  # the source's note, in Chinese ("" when the source needs none)
    value: typing.Callable  # (pack, the source's value) -> the derived value or None
    edition: bool = False  # only where the pack names a catalogue edition

    def holds(self, pack) -> bool:
        """Whether ``pack`` can work this field out."""
        return not self.edition or bool(getattr(pack, "edition", None))


def _org_code(pack, credit_code) -> str | None:
    """Characters 9-17 of an 18-character 统一社会信用代码."""
    from .ids import compact, org_code_of

    return org_code_of(credit_code) if isinstance(credit_code, str) and len(compact(credit_code)) == 18 else None


def _stage_of(pack, name) -> str | None:
    """The 环节 the catalogue edition of ``pack`` puts the official scenario ``name`` in."""
    from .refdata import catalogue as scenario_catalogue

    edition = getattr(pack, "edition", None)
    if not edition or not isinstance(name, str) or not name.strip():
        return None
    hit = scenario_catalogue(edition).by_name(name.strip())
    return hit.stage if hit else None


DERIVED: dict[str, Derivation] = {
    d.path: d
    for d in (
        # 甘肃附件3/4 print the 9-character 组织机构代码, characters 9-17 of the 统一社会信用代码
        # on every business licence since 2015: the blank asks for the credit code.
        Derivation(
            "enterprise.org_code",
            "enterprise.credit_code",
            "不填则取统一社会信用代码第9-17位",
            "组织机构代码取其第9-17位",
            _org_code,
        ),
        Derivation(
            "scenarios[].stage",
            "scenarios[].name",
            "可不填：按场景名称从所用版本的《智能制造典型场景参考指引》得出",
            "",
            _stage_of,
            edition=True,
        ),
    )
}


def derived_value(record, path: str, pack=None):
    """The value of the field at a plain dotted ``path``: the record's own, else the one
    worked out from its source (:data:`DERIVED`), else None."""
    own = get(record, path)
    rule = DERIVED.get(path)
    if rule is None or not is_empty(own):
        return own
    source = get(record, rule.source)
    return None if is_empty(source) else rule.value(pack, source)


def derive(record, pack):
    """``record`` with every derived field the user left empty filled from its source: a
    copy, or ``record`` itself when nothing is filled. What the rules check and the forms
    print (the record file is never changed, and a save never writes a derived value). A
    value worked out from its source always agrees with it, so a rule comparing the two
    (ID003) speaks only of values the user wrote."""
    for d in DERIVED.values():
        if "[]." not in d.path:
            if is_empty(get(record, d.path)):
                value = derived_value(record, d.path, pack)
                if value is not None:
                    record = _with(record, d.path.split("."), value)
            continue
        head, _, key = d.path.partition("[].")
        _, _, source = d.source.partition("[].")
        items = getattr(record, head, None)
        if not isinstance(items, list):
            continue
        filled, changed = [], False
        for item in items:
            value = d.value(pack, getattr(item, source, None)) if not getattr(item, key, None) else None
            filled.append(item.model_copy(update={key: value}) if value else item)
            changed = changed or bool(value)
        if changed:
            record = record.model_copy(update={head: filled})
    return record


def _with(model, parts: list[str], value):
    """A copy of ``model`` with ``value`` at the dotted ``parts`` (the models on the way
    copied, nothing else)."""
    if len(parts) == 1:
        return model.model_copy(update={parts[0]: value})
    return model.model_copy(update={parts[0]: _with(getattr(model, parts[0]), parts[1:], value)})


HEADCOUNT_BANDS = [(1000, "1000人及以上"), (300, "300-999人"), (20, "20-299人"), (0, "20人以下")]


def headcount_band(people) -> str:
    """企业规模 as the size standard's headcount band (甘肃附件1 writes 20-299人)."""
    if people is None:
        return ""
    return next(label for low, label in HEADCOUNT_BANDS if people >= low)


def latest(financials, field: str):
    years = [y for y in financials if y.year is not None and getattr(y, field) is not None]
    return getattr(max(years, key=lambda y: y.year), field) if years else None


def derived(record) -> dict:
    """What a layout's expressions see as ``derived.NAME``: values the forms print that are
    worked out from the record (the CMMM level as L3 and 三级, the industry path, the
    headcount band, the 组织机构代码 …)."""
    if not hasattr(record, "enterprise"):
        return {}
    e, f = record.enterprise, record.factory
    lvl = f.cmmm.level
    chain = industry_chain(e.industry.gbt4754) if e.industry.gbt4754 else []
    return {
        "cmmm_level_l": f"L{lvl}" if lvl else "",
        "cmmm_level_zh": CMMM_LEVEL_ZH.get(lvl, "") if lvl else "",
        "industry_path": "-".join(c.name for c in chain[:3]) if chain else "",
        "scenario_names": [s.name for s in record.scenarios if s.name],
        "headcount_band": headcount_band(e.employees),
        "application_type": application_type(record),
        "revenue_last_year": latest(e.financials, "revenue") if e.financials else e.revenue,
    }


def application_type(record) -> list[str]:
    """甘肃附件6 申报类型, a set: the level applied for (先进级/基础级) and 优秀应用场景
    when the record applies for any 优秀场景."""
    types = []
    if record.factory.level in ("先进级", "基础级"):
        types.append(f"{record.factory.level}智能工厂")
    if record.factory.excellent_scenarios:
        types.append("优秀应用场景")
    return types


def latest_revenue(e) -> tuple[str, Decimal, str] | None:
    """(path, 主营业务收入, which year) of the latest year given: the latest 近三年 row,
    else the enterprise's 营业收入 (上年度)."""
    years = [(i, y) for i, y in enumerate(e.financials) if y.year is not None]
    if years:
        i, y = max(years, key=lambda iy: iy[1].year)
        if y.revenue is not None:
            return f"enterprise.financials[{i}].revenue", y.revenue, f"{y.year}年"
    if e.revenue is not None:
        return "enterprise.revenue", e.revenue, "上年度"
    return None


# --- 近三年: in the order the annexes list the years ------------------------------------------


@functools.cache
def year_lists() -> tuple[str, ...]:
    """The lists of the record whose items are years (their model has a ``year`` field):
    enterprise.financials, 近三年主要经济指标."""
    from .model import Record
    from .schema import model_of, strip_optional

    out: list[str] = []

    def walk(model, prefix: str):
        for name, info in model.model_fields.items():
            inner = model_of(info.annotation)
            if inner is None:
                continue
            if typing.get_origin(strip_optional(info.annotation)) is list:
                if "year" in inner.model_fields:
                    out.append(prefix + name)
            else:
                walk(inner, f"{prefix}{name}.")

    walk(Record, "")
    return tuple(out)


@functools.cache
def _year_reader():
    from pydantic import TypeAdapter

    from .types import Year

    return TypeAdapter(Year)


def year_key(year) -> tuple:
    """Sort key of a year as written (2024, "2024年"): ascending, a year that cannot be read
    after the others.

    >>> sorted([2024, "2022年", None, 2023], key=year_key)
    ['2022年', 2023, 2024, None]
    """
    try:
        value = _year_reader().validate_python(year) if year is not None else None
    except ValueError:
        value = None
    return (value is None, value or 0)


def by_year(items: list, year=lambda item: item.year) -> list:
    """``items`` in ascending year order, as every annex lists 近三年 (2022 | 2023 | 2024)
    whatever the order they were typed in; items without a year after, as given. The one
    place the order of the years is decided: the forms (:func:`in_year_order`) and the
    workbook (written and read back) take it from here."""
    return sorted(items, key=lambda item: year_key(year(item)))


def in_year_order(record):
    """``record`` as the forms print it: each list of years (:func:`year_lists`) in
    ascending order, so 近三年 columns read 2022 | 2023 | 2024 and ``[-1]`` is the latest
    (上年末). The record itself is unchanged (findings keep the indices the user wrote)."""
    for path in year_lists():
        try:
            items = get(record, path)
        except (AttributeError, KeyError, TypeError):
            continue
        if not items:
            continue
        ordered = by_year(list(items))
        if ordered != list(items):
            record = _with(record, path.split("."), ordered)
    return record
