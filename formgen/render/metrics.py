"""Printed widths of text, from the advance widths of the fonts the documents name.

``data/glyph_widths.csv`` (written by ``scripts/make_glyph_widths.py`` with fontTools from
the metric-compatible faces: Liberation Serif for Times New Roman, Liberation Sans for
Arial, the Noto CJK faces' Latin glyphs for the Chinese fonts) holds each character's
advance in em for printable ASCII, Latin-1, general punctuation and the full-width forms.
Shipping the table keeps widths (and so column widths and fitted sizes) the same on every
machine, whatever fonts it has.

A character the table does not hold for a face is one em when it is full width (an
ideograph, a full-width form, ambiguous-width punctuation such as “ ” — which Chinese
documents print from the East Asian font) and otherwise one em as well: wide enough that
what is measured never prints wider than counted.

>>> width_em("0", "Times New Roman") < width_em("M", "Times New Roman") < 1
True
>>> width_em("智能工厂", "仿宋_GB2312")
4.0
>>> face_of("Times New Roman", bold=True), face_of("仿宋_GB2312"), face_of(None)
('serif_bold', 'cjk', 'serif')
"""

from __future__ import annotations

import csv
import functools
import re
import unicodedata

from ..datafiles import data_dir

TABLE = "glyph_widths.csv"
FALLBACK_EM = 1.0  # a character the table lacks: as wide as an ideograph
DEFAULT_FONT = "Times New Roman"  # the Latin face of the Word forms

# the font names documents give -> the table's face (Latin faces by name; anything else
# is a Chinese face, whose Latin glyphs are measured from its stand-ins)
_LATIN = {
    "times new roman": "serif",
    "liberation serif": "serif",
    "times": "serif",
    "arial": "sans",
    "liberation sans": "sans",
    "helvetica": "sans",
}


def face_of(font: str | None, bold: bool = False) -> str:
    """The table's face for a font name (None: Times New Roman)."""
    face = _LATIN.get((font or DEFAULT_FONT).strip().casefold(), "cjk")
    return f"{face}_bold" if bold else face


@functools.lru_cache(maxsize=1)
def table() -> dict[str, dict[str, float]]:
    """face -> character -> advance (em), as shipped."""
    with open(data_dir() / TABLE, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    faces = rows[0][1:]
    out: dict[str, dict[str, float]] = {f: {} for f in faces}
    for row in rows[1:]:
        ch = chr(int(row[0], 16))
        for face, value in zip(faces, row[1:], strict=True):
            if value:
                out[face][ch] = float(value)
    return out


def _full(ch: str) -> bool:
    """Printed from the East Asian font, one em wide: wide and full-width characters, and
    ambiguous-width ones beyond Latin-1 (quotes, dashes, ……)."""
    eaw = unicodedata.east_asian_width(ch)
    return eaw in "WF" or (eaw == "A" and ord(ch) >= 0x2000)


class _Face(dict):
    """One face's advances (em), each character's worked out once."""

    def __init__(self, face: str):
        super().__init__()
        self.known = table()[face]

    def __missing__(self, ch: str) -> float:
        if _full(ch):
            em = 1.0
        else:
            em = self.known.get(ch, FALLBACK_EM)
        self[ch] = em
        return em


@functools.lru_cache(maxsize=16)
def advances(face: str) -> _Face:
    """A mapping character -> advance (em) in ``face`` (see :func:`face_of`)."""
    if face not in table():
        raise KeyError(f"no glyph widths for face {face!r}")
    return _Face(face)


def advance_em(ch: str, font: str | None = None, bold: bool = False) -> float:
    """The advance of one character (em) as ``font`` prints it."""
    return advances(face_of(font, bold))[ch]


def width_em(text: str, font: str | None = None, bold: bool = False) -> float:
    """The printed width of ``text`` in em of its size, as ``font`` prints it."""
    return sum(map(advances(face_of(font, bold)).__getitem__, text))


# Word and LibreOffice Writer space ideographs from Latin letters and digits (autoSpaceDE,
# autoSpaceDN, on by default): 2022年3月 prints 0.2 em wider at each boundary (LibreOffice,
# measured); counted a little wider. Spreadsheets add nothing.
AUTOSPACE_EM = 0.25
_BOUNDARY = re.compile(
    r"(?<=[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff])(?=[0-9A-Za-z])|(?<=[0-9A-Za-z])(?=[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff])"
)


def autospace_em(text: str) -> float:
    """The room a word processor adds between the ideographs and the Latin letters or
    digits of ``text`` (em).

    >>> autospace_em("2023年3月-2025年6月"), autospace_em("ABC-123"), autospace_em("智能工厂")
    (1.5, 0.0, 0.0)
    """
    return len(_BOUNDARY.findall(text)) * AUTOSPACE_EM


@functools.lru_cache(maxsize=16)
def widest_em(face: str) -> float:
    """The widest advance in ``face`` (em): no line of n characters is wider than n times it."""
    return max(1.0, *table()[face].values())


__all__ = ["advance_em", "advances", "autospace_em", "face_of", "table", "width_em", "widest_em"]
