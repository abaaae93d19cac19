"""Counting text the way the forms count it.

``word_count`` follows Word's 字数 (the figure in 审阅 > 字数统计 that Chinese
forms mean by "不超过300字"): each CJK character and each full-width punctuation
mark counts 1; each run of half-width characters between white space or CJK
characters counts 1 (a word, a number like 1.5, "AI+5G"); white space counts 0.

``name_length`` is Shanghai 附件3 item 2's measure: every character counts 1 except
half-width (ASCII) characters, which count 1/3 each; the sum is rounded up.
"""

from __future__ import annotations

import math
import unicodedata
from fractions import Fraction


def _is_wide(ch: str) -> bool:
    """A character Word counts on its own: CJK, kana, hangul, full-width forms, and
    East-Asian punctuation and symbols (including ambiguous-width ones such as
    “ ” — … ℃, which in Chinese text are full-width)."""
    width = unicodedata.east_asian_width(ch)
    if width in ("W", "F"):
        return True
    if width == "A":
        return unicodedata.category(ch)[0] in "PS"
    return False


def word_count(text: str | None) -> int:
    if not text:
        return 0
    count = 0
    in_run = False
    for ch in text:
        if ch.isspace() or ch == "\u3000":
            in_run = False
        elif _is_wide(ch):
            count += 1
            in_run = False
        elif not in_run:
            count += 1
            in_run = True
    return count


def name_length_exact(name: str) -> Fraction:
    return sum((Fraction(1, 3) if ord(ch) < 128 else Fraction(1) for ch in name), Fraction(0))


def name_length(name: str) -> int:
    return math.ceil(name_length_exact(name))
