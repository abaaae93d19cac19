"""推荐单位类别: the code a pack's quota is keyed by (a manifest's ``quota.by_unit_kind``)
and the name people write and read. The one table of them: the record model, the CLI, the
web pages and the sheets ask it. Kept apart from the model so the CLI reads it without
loading pydantic."""

from __future__ import annotations

from typing import Literal

UNIT_KINDS = {"city": "市", "province": "省", "plan-listed": "计划单列市", "bingtuan": "兵团", "central": "中央企业"}
UnitKind = Literal["city", "province", "plan-listed", "bingtuan", "central"]


def read_unit_kind(value):
    """A 推荐单位类别 as written, by its name or its code: the code.

    >>> read_unit_kind("计划单列市"), read_unit_kind("市"), read_unit_kind(" central ")
    ('plan-listed', 'city', 'central')
    >>> read_unit_kind("地级市")
    Traceback (most recent call last):
    ValueError: 应为 市、省、计划单列市、兵团、中央企业 之一；实际为 地级市
    """
    if not isinstance(value, str):
        return value
    text = value.strip()
    by_name = {name: code for code, name in UNIT_KINDS.items()}
    if text in by_name:
        return by_name[text]
    if text.casefold() in UNIT_KINDS:
        return text.casefold()
    raise ValueError(f"应为 {'、'.join(UNIT_KINDS.values())} 之一；实际为 {text[:30]}")
