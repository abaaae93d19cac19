"""Write data/glyph_widths.csv: each character's advance width (em) in the faces formgen's
documents print with, read with fontTools from the installed metric-compatible fonts.

    python scripts/make_glyph_widths.py          # rewrite data/glyph_widths.csv
    python scripts/make_glyph_widths.py --check  # exit 1 if it differs from the installed fonts

The documents name Times New Roman (Latin in the Word forms), Arial (the workbooks'
Normal font) and Chinese faces (仿宋_GB2312, 宋体, 黑体, 楷体_GB2312, 方正小标宋简体), whose
Latin glyphs print the codes of the .xlsx sheets. The table holds, per character:

- ``serif``/``serif_bold``: Liberation Serif (metric-compatible with Times New Roman);
- ``sans``/``sans_bold``: Liberation Sans (metric-compatible with Arial);
- ``cjk``/``cjk_bold``: the widest Latin glyph of the faces that stand in for the Chinese
  fonts where they are missing (Noto Serif CJK SC for the Song/FangSong faces, Noto Sans
  CJK SC for 黑体; ``.ci/fonts.conf``). The Windows faces' own Latin glyphs (0.5 em in
  仿宋_GB2312) are narrower, so widths counted from these hold on both.

Characters: printable ASCII, Latin-1, general punctuation (U+2010-U+203A) and the
full-width forms (U+FF01-U+FF5E). ``formgen.render.metrics`` reads the table; a character
a face lacks is left empty there (CJK: 1 em; anything else: a wide fallback).
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

from fontTools.ttLib import TTCollection, TTFont

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "data" / "glyph_widths.csv"
LIBERATION = Path("/usr/share/fonts/truetype/liberation")
NOTO = Path("/usr/share/fonts/opentype/noto")

# face -> font files (the widest of them per character), and within a collection the family
FACES: dict[str, list[tuple[Path, str | None]]] = {
    "serif": [(LIBERATION / "LiberationSerif-Regular.ttf", None)],
    "serif_bold": [(LIBERATION / "LiberationSerif-Bold.ttf", None)],
    "sans": [(LIBERATION / "LiberationSans-Regular.ttf", None)],
    "sans_bold": [(LIBERATION / "LiberationSans-Bold.ttf", None)],
    "cjk": [
        (NOTO / "NotoSerifCJK-Regular.ttc", "Noto Serif CJK SC"),
        (NOTO / "NotoSansCJK-Regular.ttc", "Noto Sans CJK SC"),
    ],
    "cjk_bold": [
        (NOTO / "NotoSerifCJK-Bold.ttc", "Noto Serif CJK SC"),
        (NOTO / "NotoSansCJK-Bold.ttc", "Noto Sans CJK SC"),
    ],
}


def characters() -> list[int]:
    return [
        *range(0x20, 0x7F),
        *range(0xA0, 0x100),
        *range(0x2010, 0x203B),
        *range(0xFF01, 0xFF5F),
    ]


def _font(path: Path, family: str | None) -> TTFont:
    if family is None:
        return TTFont(path, lazy=True)
    for font in TTCollection(path, lazy=True).fonts:
        if font["name"].getDebugName(1) == family:
            return font
    raise LookupError(f"{path}: no {family}")


def advances(font: TTFont) -> dict[int, float]:
    """Advance width / unitsPerEm of every character of :func:`characters` the font maps."""
    cmap, hmtx, upm = font.getBestCmap(), font["hmtx"], font["head"].unitsPerEm
    return {cp: hmtx[cmap[cp]][0] / upm for cp in characters() if cp in cmap}


def missing_fonts() -> list[Path]:
    return [p for files in FACES.values() for p, _ in files if not p.is_file()]


def table() -> str:
    """The CSV text: ``codepoint`` (hex) and one column per face, em to four places."""
    faces = {}
    for face, files in FACES.items():
        widths: dict[int, float] = {}
        for path, family in files:
            for cp, em in advances(_font(path, family)).items():
                widths[cp] = max(widths.get(cp, 0.0), em)
        faces[face] = widths
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["codepoint", *FACES])
    for cp in characters():
        row = [faces[f].get(cp) for f in FACES]
        if any(v is not None for v in row):
            w.writerow([f"{cp:04X}", *("" if v is None else f"{v:.4f}".rstrip("0").rstrip(".") for v in row)])
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="compare with the installed fonts, write nothing")
    args = ap.parse_args(argv)
    missing = missing_fonts()
    if missing:
        for p in missing:
            print(f"font not installed: {p}", file=sys.stderr)
        return 2
    text = table()
    if args.check:
        same = OUT.read_text(encoding="utf-8") == text
        print("glyph_widths.csv matches the installed fonts" if same else "glyph_widths.csv differs", file=sys.stderr)
        return 0 if same else 1
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
