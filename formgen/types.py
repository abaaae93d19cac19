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


Text = Annotated[str, BeforeValidator(_text)]
Int = Annotated[int, BeforeValidator(_whole)]
Count = Annotated[int, BeforeValidator(_whole), Field(ge=0)]  # people, machines: never negative
Amount = Annotated[
    Decimal, BeforeValidator(_amount), AfterValidator(_bounded), Field(json_schema_extra={"unit": "万元"})
]
Percent = Annotated[Decimal, BeforeValidator(_amount), AfterValidator(_bounded), Field(json_schema_extra={"unit": "%"})]
YearMonth = Annotated[
    str,
    BeforeValidator(_year_month),
    Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", json_schema_extra={"format": "year-month"}),
]
