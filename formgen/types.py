"""Scalar types of the canonical record: text, amounts, percentages, year-months.

Every text value passes through :func:`_text`, which refuses the control characters
that XML 1.0 forbids (they would corrupt a .docx/.xlsx) and turns the numbers YAML
reads from unquoted phone numbers or codes back into text.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated

from pydantic import BeforeValidator, Field

# XML 1.0 allows #x9 #xA #xD and #x20 upwards (minus surrogates and FFFE/FFFF).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_illegal_chars(value: str) -> list[str]:
    """The distinct XML-illegal characters in ``value``, as ``U+XXXX``."""
    return sorted({f"U+{ord(c):04X}" for c in _XML_ILLEGAL.findall(value)})


def _text(value):
    if isinstance(value, bool):
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
    # Accept "1,234.5" as typed in Chinese office documents.
    if isinstance(value, str):
        value = value.replace(",", "").replace("，", "").strip()
    if isinstance(value, float):
        value = repr(value)
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
    return value


Text = Annotated[str, BeforeValidator(_text)]
Int = Annotated[int, BeforeValidator(_whole)]
Count = Annotated[int, BeforeValidator(_whole), Field(ge=0)]  # people, machines: never negative
Amount = Annotated[Decimal, BeforeValidator(_amount), Field(json_schema_extra={"unit": "万元"})]
Percent = Annotated[Decimal, BeforeValidator(_amount), Field(json_schema_extra={"unit": "%"})]
YearMonth = Annotated[
    str,
    BeforeValidator(_year_month),
    Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", json_schema_extra={"format": "year-month"}),
]
