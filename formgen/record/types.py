"""Scalar types of the canonical record: text, amounts, percentages, year-months.

Each kind of value is read from what people type in ONE function here (``read_year``,
``read_grade``, ``read_amount``, ``read_percent``, ``read_count``, ``read_year_month`` …):
the record model's types call them, so a YAML record, a workbook cell, the web form and a
filled form read back all accept 2023年, 三级, 45.3%, 1,280 and full-width digits alike.

Every text value passes through :func:`_text`, which refuses the control characters
that XML 1.0 forbids (they would corrupt a .docx/.xlsx) and turns the numbers YAML
reads from unquoted phone numbers or codes back into text. Amounts and percentages are
bounded (finite, under 10^15, at most 10 decimal places), so no rule or renderer ever
formats or divides a number like 1e-999999999.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from .levels import LEVELS

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


def _whole(value):
    """A whole number: YAML's true/false are not numbers (pydantic would read true as 1)."""
    if isinstance(value, bool):
        raise ValueError("应为整数，不是 true/false")
    if isinstance(value, LongNumber):
        raise ValueError(f"数字过长（{len(value)} 位），不是有效的整数")
    return value


# --- values as people type them ---------------------------------------------------------------
#
# One reader per kind of value, used by the record model (so a YAML record) and by every door
# that reads typed text (a workbook cell, the web form, a filled form read back): each takes
# what was typed and gives the canonical value, or gives it back unchanged when it is no such
# value at all (the model then says what it should be: 应为整数；实际为 '很多'), or raises
# ValueError with what to write when it is one but cannot stand (a unit that is not the field's).

# Units people write after a number: one that is not the field's is refused saying so; a number
# followed by other text (300余, 300左右) is no number.
_MONEY = {"元": 1, "千元": 1000, "万元": 10**4, "万": 10**4, "百万元": 10**6, "亿元": 10**8, "亿": 10**8}
_COUNT_WORDS = ("台套", "人", "名", "台", "套", "个", "条", "项", "家", "次")
_KNOWN_UNITS = frozenset({*_MONEY, *_COUNT_WORDS, "%", "‰", "元/人/天", "元/人·天", "分"})
# 1280, 1,280, 1 280 (groups of three), -12.5; NFKC has made full-width digits and ，．％ ASCII.
_NUMBER = re.compile(r"([-+]?)\s*(\d{1,3}(?:,\d{3})+|\d{1,3}(?: \d{3})+|\d+)(\.\d+)?|([-+]?\.\d+)")


def typed_text(value: str) -> str:
    """Text as typed, reduced to what a reader compares: full-width digits, letters and
    signs (２０２３ ，．％ Ⅲ) as ASCII, every kind of space as one, the ends trimmed.

    >>> typed_text("　１，２８０．５　万元"), typed_text("Ⅲ级"), typed_text("−3")
    ('1,280.5 万元', 'III级', '-3')
    """
    text = unicodedata.normalize("NFKC", value).replace("\u2212", "-")
    return re.sub(r"\s+", " ", text).strip()


def _split_number(value: str) -> tuple[str, str] | None:
    """(the number as Decimal reads it, the text after it) of typed text, or None when it
    does not start with one number. Thousands are grouped by threes (1,280 or 1 280)."""
    text = typed_text(value)
    m = _NUMBER.match(text)
    if not m:
        return None
    if m.group(4):
        number = m.group(4)
    else:
        number = m.group(1) + m.group(2).replace(",", "").replace(" ", "") + (m.group(3) or "")
    tail = text[m.end() :].strip()
    if tail and (tail[0].isdigit() or tail[0] in ",."):
        return None  # 1,28 or 1.2.3: not one number
    return number, tail


def _unit_problem(tail: str, unit: str, number: str) -> str:
    """Why ``number`` followed by ``tail`` is no value in ``unit`` (the field's)."""
    tail_ = tail.replace(" ", "")
    if tail_ in _MONEY and unit in _MONEY:
        value = Decimal(number) * _MONEY[tail_] / _MONEY[unit]
        return f"单位应为{unit}：{number}{tail_} 即 {_plain_decimal(value)}{unit}，请填 {_plain_decimal(value)}"
    return f"单位应为{unit}，不是{tail_}" if unit else f"应为不带单位的数字，不是{tail_}"


def _plain_decimal(value: Decimal) -> str:
    return format(value.normalize(), "f")  # 0.128, 12800000 (not 1.28E+7)


def read_number(value, unit: str = "", also: tuple[str, ...] = ()):
    """A number as typed, in ``unit`` (the field's; ``also``: other ways of writing it): the
    number as text Decimal reads exactly, the value unchanged when it is not a number, or
    ValueError for a number written in another unit.

    >>> read_number("１，２８０．５"), read_number("1 280"), read_number("1280 万元", "万元")
    ('1280.5', '1280', '1280')
    >>> read_number("很多"), read_number("1,28"), read_number("300余", "万元")
    ('很多', '1,28', '300余')
    >>> read_number("1280元", "万元")
    Traceback (most recent call last):
    ValueError: 单位应为万元：1280元 即 0.128万元，请填 0.128
    """
    if isinstance(value, LongNumber):
        raise ValueError(f"数字过长（{len(value)} 位），不是有效的数值")
    if isinstance(value, bool):
        raise ValueError("应为数字，不是 true/false")
    if isinstance(value, float):
        return repr(value)
    if not isinstance(value, str):
        return value
    split = _split_number(value)
    if split is None:
        return value
    number, tail = split
    if not tail or tail.replace(" ", "") in (unit, *also):
        return number
    if tail.replace(" ", "") in _KNOWN_UNITS:
        raise ValueError(_unit_problem(tail, unit, number))
    return value


def read_amount(value, unit: str = "万元"):
    """An amount as typed, in the field's ``unit``: ``1,280``, ``1，280``, ``１２８０``,
    ``1280万元`` (万元 is the unit), ``1280万``; ``1280元`` in a 万元 field is refused with
    what to write instead.

    >>> read_amount("1,280"), read_amount("1280万"), read_amount("350元", "元/人/天")
    ('1280', '1280', '350')
    >>> read_amount("1280亿元")
    Traceback (most recent call last):
    ValueError: 单位应为万元：1280亿元 即 12800000万元，请填 12800000
    """
    also = ("万",) if unit == "万元" else (unit.split("/")[0],) if "/" in unit else ()
    return read_number(value, unit, also)


def read_percent(value):
    """A percentage as typed: ``45.3``, ``45.3%``, ``45.3 %``, ``45.3％`` are all 45.3 (the
    field is in %, so 0.453 stays 0.453).

    >>> read_percent("45.3%"), read_percent("45.3 ％"), read_percent("４５.３"), read_percent(45.3)
    ('45.3', '45.3', '45.3', '45.3')
    >>> read_percent("45.3万元")
    Traceback (most recent call last):
    ValueError: 单位应为%，不是万元
    """
    return read_number(value, "%")


def read_score(value):
    """A score or ratio with no unit (a CMMM score 0-5, a self-evaluation score 0-100).

    >>> read_score("２.５"), read_score("85分")
    ('2.5', '85')
    """
    return read_number(value, "", ("分",))


def _integer(value, fits, problem):
    """A whole number as typed, followed by a unit that ``fits`` (else ValueError with
    ``problem(number, unit)`` for a known unit, the value unchanged for other text)."""
    value = _whole(value)
    if not isinstance(value, str):
        return value
    split = _split_number(value)
    if split is None:
        return value
    number, tail = split
    tail = tail.replace(" ", "")
    if tail and not fits(tail):
        if tail in _KNOWN_UNITS:
            raise ValueError(problem(number, tail))
        return value
    if len(number) > AMOUNT_MAX_DIGITS:
        raise ValueError(f"数字过长（{len(number)} 位），不是有效的整数")
    d = Decimal(number)
    return int(d) if d == d.to_integral_value() else number


def read_count(value, unit: str = ""):
    """A count as typed: ``300``, ``1,200``, ``1 200``, ``１２００``, with the field's unit
    (``300人`` where people are counted) or, for a count with no unit of its own, any word
    counting things (台套, 台, 个, 条 …).

    >>> read_count("1,200人", "人"), read_count("12 台套"), read_count("１２００"), read_count("很多")
    (1200, 12, 1200, '很多')
    >>> read_count("12台", "人")
    Traceback (most recent call last):
    ValueError: 单位应为人，不是台
    >>> read_count("9" * 5000)
    Traceback (most recent call last):
    ValueError: 数字过长（5000 位），不是有效的整数
    """
    if unit:
        return _integer(value, lambda tail: tail == unit, lambda n, tail: _unit_problem(tail, unit, n))
    return _integer(value, lambda tail: tail in _COUNT_WORDS, lambda n, tail: f"应为个数，不是{tail}")


def read_whole(value):
    """A whole number as typed (a 序号, a part number): ``3``, ``３``, ``1,200``, ``3.0``.

    >>> read_whole("３"), read_whole("1,200"), read_whole("3.0"), read_whole("三"), read_whole("2.5")
    (3, 1200, 3, '三', '2.5')
    """
    return _integer(value, lambda tail: False, lambda n, tail: f"应为不带单位的整数，不是{tail}")


_YEAR = re.compile(r"(\d{4})\s*(?:年度?)?")


def read_year(value):
    """A year as typed: ``2023``, ``2023年``, ``2023 年``, ``2023年度``, ``２０２３``.

    >>> read_year("2023年"), read_year("２０２３"), read_year("2023 年度"), read_year("去年")
    (2023, 2023, 2023, '去年')
    >>> read_year("23")
    Traceback (most recent call last):
    ValueError: 年份应为四位数（如 2023）；实际为 23
    """
    value = _whole(value)
    if isinstance(value, str):
        m = _YEAR.fullmatch(typed_text(value))
        if m:
            return int(m.group(1))
        if re.fullmatch(r"\d{1,3}|\d{5,30}", typed_text(value)):
            value = int(typed_text(value))
    if isinstance(value, int) and not 1000 <= value <= 9999:
        raise ValueError(f"年份应为四位数（如 2023）；实际为 {value}")
    return value


# GB/T 39116-2020's five levels, by number and by name.
CMMM_NAMES = ("规划级", "规范级", "集成级", "优化级", "引领级")
_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "I": 1, "II": 2, "III": 3, "IV": 4, "V": 5}
_GRADE = re.compile(
    r"(?:CMMM|成熟度)?(?:L|第)?(\d|[一二三四五]|III|II|IV|I|V)级?"
    r"(?:[(（]?(" + "|".join(CMMM_NAMES) + r")[)）]?)?"
)


def read_grade(value):
    """A CMMM maturity level (1-5) as typed: ``3``, ``3级``, ``三级``, ``第三级``, ``L3``,
    ``Ⅲ级``, ``三级（集成级）``, ``集成级``.

    >>> [read_grade(x) for x in ("3级", "三级", "L3", "第三级", "Ⅲ级", "CMMM 3级", "集成级", "３")]
    [3, 3, 3, 3, 3, 3, 3, 3]
    >>> read_grade("高级"), read_grade("6级")  # 6 is then refused by the field's range (1-5)
    ('高级', 6)
    >>> read_grade("三级（优化级）")
    Traceback (most recent call last):
    ValueError: 三级是集成级，优化级是四级：请只写一个等级
    """
    value = _whole(value)
    if not isinstance(value, str):
        return value
    text = typed_text(value).replace(" ", "").upper()
    if text in CMMM_NAMES:
        return CMMM_NAMES.index(text) + 1
    m = _GRADE.fullmatch(text)
    if not m:
        return value
    level = int(m.group(1)) if m.group(1).isdigit() else _NUMERALS[m.group(1)]
    if m.group(2) and CMMM_NAMES.index(m.group(2)) + 1 != level:
        other = CMMM_NAMES.index(m.group(2)) + 1
        zh = "一二三四五"
        raise ValueError(f"{zh[level - 1]}级是{CMMM_NAMES[level - 1]}，{m.group(2)}是{zh[other - 1]}级：请只写一个等级")
    return level


_YM = re.compile(r"(\d{4})\s*(?:-|/|\.|年)\s*(\d{1,2})\s*(?:月份?|(?:-|/|\.)\s*\d{1,2}\s*日?)?")


def read_year_month(value):
    """A year and month as typed: ``2024-03``, ``2024年3月``, ``２０２４年３月``, ``2024/3``,
    ``2024.3``, a date (its day dropped), as ``2024-03``. A number such as 2024.1 (which is
    how Excel and YAML keep 2024.10) is refused: it may mean either month.

    >>> read_year_month("2024年3月"), read_year_month("２０２４年３月"), read_year_month(2024.3)
    ('2024-03', '2024-03', '2024-03')
    >>> read_year_month("2024年13月")
    Traceback (most recent call last):
    ValueError: 月份应为 1-12：2024年13月 没有这个月
    >>> read_year_month(2024.1)
    Traceback (most recent call last):
    ValueError: 2024.1 可能是 2024年1月，也可能是 2024年10月（2024.10 作为数字存成 2024.1）：请写作 2024-01 或 2024-10
    """
    if isinstance(value, bool):
        return value
    if hasattr(value, "year") and hasattr(value, "month"):
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, (int, float, Decimal)):
        text = format(value, ".15g") if isinstance(value, float) else str(value)
        if re.fullmatch(r"\d{4}\.1", text):
            y = text[:4]
            raise ValueError(
                f"{text} 可能是 {y}年1月，也可能是 {y}年10月（{y}.10 作为数字存成 {y}.1）：请写作 {y}-01 或 {y}-10"
            )
        value = text
    if isinstance(value, str):
        m = _YM.fullmatch(typed_text(value))
        if m and not 1 <= int(m.group(2)) <= 12:
            raise ValueError(f"月份应为 1-12：{value.strip()} 没有这个月")
        if m:
            return f"{m.group(1)}-{int(m.group(2)):02d}"
    return value


_DATE = re.compile(r"(\d{4})\s*(?:-|/|\.|年)\s*(\d{1,2})\s*(?:-|/|\.|月)\s*(\d{1,2})\s*日?")


def read_date(value):
    """A date as typed: ``2024-03-01``, ``2024年3月1日``, ``2024/3/1``, ``2024.3.1``,
    ``２０２４－０３－０１``; a date-time at midnight is its date.

    >>> read_date("1998年9月16日"), read_date("１９９８/９/１６"), read_date("去年")
    (datetime.date(1998, 9, 16), datetime.date(1998, 9, 16), '去年')
    >>> read_date("2024年2月30日")
    Traceback (most recent call last):
    ValueError: 没有这一天：2024年2月30日
    """
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time(0) else value
    if not isinstance(value, str):
        return value
    m = _DATE.fullmatch(typed_text(value))
    if not m:
        return value
    try:
        return dt.date(*map(int, m.groups()))
    except ValueError:
        raise ValueError(f"没有这一天：{value.strip()}") from None


_TRUE = {"是", "true", "yes", "y", "1", "√", "✓", "☑", "有"}
_FALSE = {"否", "false", "no", "n", "0", "×", "✗", "☐", "无"}


def read_bool(value):
    """是 or 否 as typed: ``是``/``否``, ``有``/``无``, ``√``/``×``, ``true``/``false``,
    ``yes``/``no``, 1/0.

    >>> read_bool("是"), read_bool(" 无 "), read_bool("√"), read_bool("False"), read_bool(1)
    (True, False, True, False, True)
    >>> read_bool("也许")
    Traceback (most recent call last):
    ValueError: 应为 是 或 否；实际为 '也许'
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = typed_text(str(value)).casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"应为 是 或 否；实际为 {value!r}")


def read_level(value):
    """A 申报层级 (基础级 … 领航级) as typed: the level itself, without its 级 (基础), or with
    智能工厂 after it (先进级智能工厂), full-width or spaced; other text is given back for the
    model to refuse with the four levels.

    >>> read_level("基础"), read_level(" 先进级智能工厂 "), read_level("卓越 级"), read_level("高级")
    ('基础级', '先进级', '卓越级', '高级')
    """
    if not isinstance(value, str):
        return value
    text = typed_text(value).replace(" ", "").removesuffix("智能工厂")
    for level in LEVELS:
        if text in (level, level.removesuffix("级")):
            return level
    return value


def _amount_in(unit: str):
    return Annotated[
        Decimal,
        BeforeValidator(lambda value: read_amount(value, unit)),
        AfterValidator(_bounded),
        Field(json_schema_extra={"unit": unit}),
    ]


def _count_of(unit: str):
    return Annotated[int, BeforeValidator(lambda value: read_count(value, unit)), Field(ge=0)]


Text = Annotated[str, BeforeValidator(_text)]
Int = Annotated[int, BeforeValidator(read_whole)]
Count = _count_of("")  # machines, lines, staff: never negative; any counting word (台套, 人 …)
Headcount = _count_of("人")  # a field whose title says （人）
Year = Annotated[int, BeforeValidator(read_year)]
Grade = Annotated[int, BeforeValidator(read_grade)]  # a CMMM grade; the field gives its range (1-5)
Amount = _amount_in("万元")
YuanPerPersonDay = _amount_in("元/人/天")
Percent = Annotated[
    Decimal, BeforeValidator(read_percent), AfterValidator(_bounded), Field(json_schema_extra={"unit": "%"})
]
Score = Annotated[Decimal, BeforeValidator(read_score), AfterValidator(_bounded)]  # a CMMM score 0-5, 0-100
Date = Annotated[dt.date, BeforeValidator(read_date)]
Bool = Annotated[bool, BeforeValidator(read_bool)]
YearMonth = Annotated[
    str,
    BeforeValidator(read_year_month),
    Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", json_schema_extra={"format": "year-month"}),
]

# What each type is to the field catalogue (its kind), so a door reads its text as the model does.
SCALAR_KINDS = (
    (Amount, "amount"),
    (YuanPerPersonDay, "amount"),
    (Percent, "percent"),
    (Score, "decimal"),
    (Count, "count"),
    (Headcount, "count"),
    (Int, "int"),
    (Year, "int"),
    (Grade, "int"),
    (YearMonth, "year_month"),
    (Date, "date"),
    (Bool, "bool"),
    (Text, "text"),
)

# Types whose text is read by a reader more particular than their kind's (an "int" that is a
# year takes 2023年, one that is a CMMM grade takes 三级): the catalogue's Field.reads names it.
PARTICULAR_READERS = ((Year, "year", read_year), (Grade, "grade", read_grade))


def particular_reader(name: str):
    """The reader a field's ``reads`` names, None for none.

    >>> particular_reader("year")("2023年")
    2023
    >>> particular_reader("") is None
    True
    """
    return next((reader for _t, n, reader in PARTICULAR_READERS if n == name), None)
