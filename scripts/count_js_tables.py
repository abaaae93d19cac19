"""Write the character tables of formgen/web/static/count.js from Python's unicodedata.

    python scripts/count_js_tables.py          # rewrite the tables in count.js
    python scripts/count_js_tables.py --check  # exit 1 if they differ from this Python's

count.js counts 字数 in the browser exactly as formgen.record.textcount.word_count does. The
browser has no East_Asian_Width property (JavaScript's \\p{...} does not cover it) and
its \\s is not Python's str.isspace(), so both classes are written out as code point
ranges computed here with the very predicates word_count uses.
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from formgen.record.textcount import _is_wide  # noqa: E402

COUNT_JS = ROOT / "formgen" / "web" / "static" / "count.js"
BEGIN = "// BEGIN TABLES (scripts/count_js_tables.py writes this block; do not edit by hand)"
END = "// END TABLES"


def _ranges(pred) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    start = None
    for cp in range(0x110000):
        if pred(chr(cp)):
            if start is None:
                start = cp
        elif start is not None:
            out.append((start, cp - 1))
            start = None
    if start is not None:
        out.append((start, 0x10FFFF))
    return out


def _js_array(name: str, ranges: list[tuple[int, int]]) -> str:
    items = [f"0x{a:X},0x{b:X}" for a, b in ranges]
    lines, line = [], ""
    for item in items:
        if len(line) + len(item) + 1 > 110:
            lines.append(line)
            line = ""
        line += item + ","
    lines.append(line)
    body = "\n".join("    " + ln for ln in lines)
    return f"  var {name} = [\n{body}\n  ];"


def tables() -> str:
    """The block between BEGIN and END, markers included."""
    space = _ranges(lambda ch: ch.isspace() or ch == "\u3000")
    wide = _ranges(_is_wide)
    return "\n".join(
        [
            "  " + BEGIN,
            f"  // Unicode {unicodedata.unidata_version}, as Python's unicodedata has it. Flat [first, last, ...] pairs.",
            "  // SPACE: str.isspace() (general category Zs, or bidi class WS, B or S), and U+3000.",
            _js_array("SPACE", space),
            "  // WIDE: textcount._is_wide: East_Asian_Width W or F, or A with a general category P* or S*.",
            _js_array("WIDE", wide),
            "  " + END,
        ]
    )


_BLOCK = re.compile(r"  " + re.escape(BEGIN) + r".*?" + re.escape(END), re.S)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare, exit 1 if count.js is stale")
    args = parser.parse_args()
    text = COUNT_JS.read_text(encoding="utf-8")
    if not _BLOCK.search(text):
        print(f"{COUNT_JS}: no table block found", file=sys.stderr)
        return 2
    new = _BLOCK.sub(lambda _m: tables(), text, count=1)
    if args.check:
        if new != text:
            print(f"{COUNT_JS}: tables differ from Unicode {unicodedata.unidata_version}; run {Path(__file__).name}")
            return 1
        return 0
    COUNT_JS.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
