"""Scalar types of the canonical record: text, amounts, percentages, year-months.

Every text value passes through :func:`_text`, which refuses the control characters
that XML 1.0 forbids (they would corrupt a .docx/.xlsx) and turns the numbers YAML
reads from unquoted phone numbers or codes back into text. Amounts and percentages are
bounded (finite, under 10^15, at most 10 decimal places), so no rule or renderer ever
formats or divides a number like 1e-999999999.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

AMOUNT_MAX_INT_DIGITS = 15  # |value| < 10^15
AMOUNT_MAX_PLACES = 10
AMOUNT_MAX_DIGITS = 30  # significant digits as written, trailing zeros included


class LongNumber(str):
    """An unquoted integer too long for Python to read (over sys.get_int_max_str_digits()
    digits), kept as the text written: it is fine as text, refused as a number."""


# XML 1.0 allows #x9 #xA #xD and #x20 upwards (minus surrogates and FFFE/FFFF).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_illegal_chars(value: str) -> list[str]:
    """The distinct XML-illegal characters in ``value``, as ``U+XXXX``."""
    return sorted({f"U+{ord(c):04X}" for c in _XML_ILLEGAL.findall(value)})


def _text(value):
    if isinstance(value, (bool, bytes, bytearray)):  # bytes: YAML's !!binary
        raise ValueError("应为文本")
    if isinstance(value, int):
        value = str(value)
    if isinstance(value, str):
        bad = xml_illegal_chars(value)
        if bad:
            raise ValueError(f"含有文档不允许的控制字符 {', '.join(bad)}")
        return value.strip("\n")
    return value


def _amount(value):
    if isinstance(value, LongNumber):
        raise ValueError(f"数字过长（{len(value)} 位），不是有效的数值")
    if isinstance(value, bool):
        raise ValueError("应为数字，不是 true/false")
    # Accept "1,234.5" as typed in Chinese office documents.
    if isinstance(value, str):
        value = value.replace(",", "").replace("，", "").strip()
    if isinstance(value, float):
        value = repr(value)
    return value


def _bounded(value: Decimal) -> Decimal:
    """Refuse numbers no form can hold and no arithmetic should meet (1e-999999999, 1e400)."""
    if not value.is_finite():
        raise ValueError("应为有限数字")
    _sign, digits, exponent = value.as_tuple()
    if len(digits) > AMOUNT_MAX_DIGITS:
        raise ValueError(f"数字位数过多（{len(digits)} 位，最多 {AMOUNT_MAX_DIGITS} 位）")
    if not any(digits):
        return value if -AMOUNT_MAX_PLACES <= exponent <= 0 else Decimal(0)
    if value.adjusted() >= AMOUNT_MAX_INT_DIGITS:
        raise ValueError(f"数值过大（绝对值应小于 10^{AMOUNT_MAX_INT_DIGITS}）")
    trailing = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    places = -(exponent + trailing)
    if places > AMOUNT_MAX_PLACES:
        raise ValueError(f"数值过小或小数位数过多（最多 {AMOUNT_MAX_PLACES} 位小数）")
    return value


def _year_month(value):
    if isinstance(value, str):
        m = re.fullmatch(r"\s*(\d{4})\s*(?:-|/|\.|年)\s*(\d{1,2})\s*月?\s*", value)
        if m:
            return f"{m.group(1)}-{int(m.group(2)):02d}"
    elif hasattr(value, "year") and hasattr(value, "month"):
        return f"{value.year:04d}-{value.month:02d}"
    return value


def _whole(value):
    """A whole number: YAML's true/false are not numbers (pydantic would read true as 1)."""
    if isinstance(value, bool):
        raise ValueError("应为整数，不是 true/false")
    if isinstance(value, LongNumber):
        raise ValueError(f"数字过长（{len(value)} 位），不是有效的整数")
    return value


# What people type that means one number and nothing else. Anything else (很多, 约300,
# 300余) stays text, and the model says what it should be (应为整数).
_COUNT = re.compile(r"\s*(\d{1,3}(?:,\d{3})+|\d+)\s*(?:人|台套|台|套|个|条|项)?\s*")
_YEAR = re.compile(r"\s*(\d{4})\s*年度?\s*")
_GRADE = re.compile(r"\s*(?:[Ll]\s*([1-5])|([1-5一二三四五])\s*级)\s*")
_PERCENT = re.compile(r"\s*([^%％]*?)\s*[%％]\s*")


def _count(value):
    """A count as typed: ``300``, ``1,200`` (thousands grouped), ``300人``, ``12台``.

    >>> _count("1,200人"), _count("12 台套"), _count("很多"), _count("1,20")
    (1200, 12, '很多', '1,20')
    """
    value = _whole(value)
    if isinstance(value, str):
        m = _COUNT.fullmatch(value)
        if m:
            return int(m.group(1).replace(",", ""))
    return value


def _year(value):
    """A year as typed: ``2023``, ``2023年``, ``2023年度``.

    >>> _year("2023年"), _year("2023 年度"), _year("去年")
    (2023, 2023, '去年')
    """
    value = _whole(value)
    if isinstance(value, str):
        m = _YEAR.fullmatch(value)
        if m:
            return int(m.group(1))
    return value


def _grade(value):
    """A CMMM grade (1-5) as typed: ``3``, ``3级``, ``三级``, ``L3``.

    >>> _grade("3级"), _grade("三级"), _grade("L4"), _grade("高级")
    (3, 3, 4, '高级')
    """
    value = _whole(value)
    if isinstance(value, str):
        m = _GRADE.fullmatch(value)
        if m:
            digit = m.group(1) or m.group(2)
            return int(digit) if digit.isdigit() else "一二三四五".index(digit) + 1
    return value


def _percent(value):
    """A percentage as typed: ``45.5``, ``45.5%`` (the field is in %).

    >>> _percent("45.5%"), _percent("45.5 ％"), _percent("45.5")
    ('45.5', '45.5', '45.5')
    """
    if isinstance(value, str):
        m = _PERCENT.fullmatch(value)
        if m:
            value = m.group(1)
    return _amount(value)


Text = Annotated[str, BeforeValidator(_text)]
Int = Annotated[int, BeforeValidator(_whole)]
Count = Annotated[int, BeforeValidator(_count), Field(ge=0)]  # people, machines: never negative
Year = Annotated[int, BeforeValidator(_year)]
Grade = Annotated[int, BeforeValidator(_grade)]  # a CMMM grade; the field gives its range (1-5)
Amount = Annotated[
    Decimal, BeforeValidator(_amount), AfterValidator(_bounded), Field(json_schema_extra={"unit": "万元"})
]
Percent = Annotated[
    Decimal, BeforeValidator(_percent), AfterValidator(_bounded), Field(json_schema_extra={"unit": "%"})
]
YearMonth = Annotated[
    str,
    BeforeValidator(_year_month),
    Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", json_schema_extra={"format": "year-month"}),
]
