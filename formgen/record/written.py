"""How a record's values are written in Chinese, on the forms and in every finding and
letter alike: 是/否, numbers without trailing zeros, dates as 2021年1月5日 and year-months
as 2021年1月, lists joined with 、 (an item that holds a 、 in “”, so that the list reads
back as its items: :func:`split_items`), long texts in paragraphs.

>>> fmt(dt.date(2099, 1, 1)), fmt("2023-01"), fmt(Decimal("45.30")), fmt(True), fmt(["自建", "华信"])
('2099年1月1日', '2023年1月', '45.3', '是', '自建、华信')
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f\U00020000-\U0003134f]")
_YEAR_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def paragraphs(text) -> list[str]:
    """The paragraphs of a long text as people write it, one convention everywhere: a blank
    line starts a new paragraph; single line breaks inside a paragraph (text wrapped by
    hand in YAML, or pasted from a PDF) are joined — with no space between Chinese
    characters, with one space between Latin words."""
    out = []
    for block in re.split(r"\n\s*\n", str(text or "").replace("\r\n", "\n").replace("\r", "\n")):
        joined = ""
        for line in (x.strip() for x in block.split("\n")):
            if not line:
                continue
            if joined and not (_CJK.match(joined[-1]) or _CJK.match(line[0])):
                joined += " "
            joined += line
        if joined:
            out.append(joined)
    return out


def fmt(value) -> str:
    """How a value prints on a form: 是/否, numbers without trailing zeros, dates as
    2021年1月5日 and year-months (2021-01) as 2021年1月, lists joined with 、."""
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
        return join_items([fmt(v).rstrip("。；;，,、") for v in value])
    if isinstance(value, str) and _YEAR_MONTH.match(value):
        return ym(value)
    return str(value)


def join_items(items: list[str]) -> str:
    """Items joined with 、 as a form prints a list, an item that holds a 、 (or opens
    with “) put in “” so the join is read back as the same items (:func:`split_items`).

    >>> join_items(["自建", "华为、中兴联合体"])
    '自建、“华为、中兴联合体”'
    """
    return "、".join(f"“{x}”" if "、" in x or x.startswith("“") else x for x in items)


def split_items(text: str) -> list[str]:
    """A list printed by :func:`join_items` back as its items: split at each 、 outside
    “”, an item wholly in “” taken without them.

    >>> split_items("自建、“华为、中兴联合体”"), split_items("“华为、中兴联合体”"), split_items("自建")
    (['自建', '华为、中兴联合体'], ['华为、中兴联合体'], ['自建'])
    """
    pieces, depth, cur = [], 0, []
    for ch in text:
        if ch == "“":
            depth += 1
        elif ch == "”" and depth:
            depth -= 1
        elif ch == "、" and not depth:
            pieces.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    pieces.append("".join(cur))
    out = []
    for x in (p.strip(" \t\n\u3000") for p in pieces):
        if len(x) > 1 and x[0] == "“" and x[-1] == "”":
            x = x[1:-1]
        if x:
            out.append(x)
    return out


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
