"""count.js counts 字数 exactly as formgen.record.textcount.word_count: the same strings are
counted by the Python counter and by the JavaScript in headless Chromium (and in node
where it is installed), and every count must agree."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from formgen.record.textcount import word_count

from .chromium import node, start_chromium

ROOT = Path(__file__).resolve().parent.parent
COUNT_JS = ROOT / "formgen" / "web" / "static" / "count.js"

ASTRAL = "😀😀 ok👍🏽好 👨‍👩‍👧 𠀀𠀁𪚥 🇨🇳"
SPACES = "a\tb\nc\rd\x0be\x0cf\x1cg\x1dh\x1ei\x1fj\x85k\xa0l\u1680m\u2000n\u200ao\u2028p\u2029q\u202fr\u205fs\u3000t"

FIXED = [
    "",
    "智能工厂",
    "智能工厂，很好。",
    "“数字孪生”",
    "hello world",
    "AI+5G赋能",
    "提升1.5倍",
    "  \n\t",
    "MES与ERP集成",
    "全　角空格",
    # full-width punctuation and brackets
    "（一）项目概况；【说明】《方案》「引号」『书名』、？！：…—～·",
    # full-width letters and digits count one each; half-width katakana make a run
    "ＡＢＣ１２３ｱｲｳ",
    # numbers: decimals, thousands separators, signs, exponents, percent, ranges
    "产值3,000.50万元，增长-2.5%，1e-3，0.5～1.2，12.5%以上，v2.0.1版",
    # ambiguous-width symbols are full-width in Chinese text; letters of that width are not
    "温度25℃±0.5°，§3，×2÷4，α β γ，Привет мир",
    # emoji and other astral characters: one code point is one character
    ASTRAL,
    # combining marks: a mark after a letter joins its run, after a CJK character starts one
    "cafe\u0301 re\u0301sume\u0301 中\u0301文 a\u20dd",
    # every kind of white space Python's str.isspace() knows
    SPACES,
    "a\u200bb\ufeffc\u180ed",  # zero-width space, BOM, Mongolian vowel separator: not white space
    # Hangul, kana, Arabic, Hebrew, Thai, Devanagari
    "한국어 テスト カタカナ مرحبا שלום สวัสดี नमस्ते",
    # private use, non-characters, unassigned code points, the replacement character
    "\ue000\uf8ff\ufdd0\uffff\U0010fffd\u0378\u0530\U000e0080\ufffd",
    # control characters that are not white space
    "a\x00b\x07c\x7fd\x9fe",
    # mixed, as an application would have it
    "本项目建设MES、WMS、QMS系统，实现设备联网率≥95%，OEE提升12.3个百分点（2023年：68.2%→2025年：80.5%）。",
    "基于5G+工业互联网的“黑灯工厂”，部署AGV 36台、机器人120台/套。\n\n第二段：数字孪生（Digital Twin）。",
    "\n\n  首尾空白  \n\n",
    "a" * 500 + " " + "中" * 500,
]

POOLS = [
    "智能工厂数字化车间场景一二三四五六七八九十𠀀𪚥",
    "，。、；：？！“”‘’（）【】《》…—～·「」",
    "abcdefghijXYZ",
    "0123456789.,%+-/",
    " \t\n\r\u3000\xa0\u2003\u2028\x1c\x85",
    "😀👍🏽🇨🇳\u200d\ufe0f🧪",
    "\u0301\u0308\u20dd\u302a\u3099",
    "℃°±§×÷αβПр한テｱＡ１\ue000\ufffd\ufeff\u200b",
]


def random_corpus(n: int = 3000, seed: int = 16) -> list[str]:
    rng = random.Random(seed)
    corpus = []
    for _ in range(n):
        pools = rng.sample(POOLS, rng.randint(1, len(POOLS)))
        alphabet = "".join(pools)
        corpus.append("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))))
    return corpus


CORPUS = FIXED + random_corpus()

# For every code point C, "aCa" counts 1 if C is neither white space nor wide (it joins the
# run of a's), 2 if it is white space, 3 if it counts on its own: one digit per code point.
EVERY_CODE_POINT_JS = """
var out = [];
for (var cp = 0; cp < 0x110000; cp++) {
  out.push(formgenCount("a" + String.fromCodePoint(cp) + "a"));
}
return out.join("");
"""


def every_code_point_python() -> str:
    return "".join(str(word_count("a" + chr(cp) + "a")) for cp in range(0x110000))


def first_difference(expected: str, got: str) -> str:
    for cp, (e, g) in enumerate(zip(expected, got, strict=False)):
        if e != g:
            return f"U+{cp:04X}: Python {e}, JavaScript {g}"
    return f"lengths differ: {len(expected)} against {len(got)}"


def mismatches(counts: list[int]) -> list[tuple[str, int, int]]:
    """(text, Python's count, JavaScript's count) for the first strings counted differently."""
    assert len(counts) == len(CORPUS)
    return [(text, word_count(text), js) for text, js in zip(CORPUS, counts, strict=True) if word_count(text) != js][:5]


def test_tables_are_this_pythons():
    """The ranges written into count.js are those Python's unicodedata gives word_count."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "count_js_tables.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_corpus_is_not_trivial():
    """The corpus exercises every branch: white space, wide characters, runs, astral."""
    assert word_count(ASTRAL) > 10 and any(ord(ch) > 0xFFFF for ch in ASTRAL)
    assert word_count(SPACES) == 20  # 20 letters between 19 kinds of white space
    assert len(set(map(word_count, CORPUS))) > 30


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """Chromium showing a page that loads count.js as the web form does, a classic script."""
    html = tmp_path_factory.mktemp("countjs") / "count.html"
    html.write_text(
        f'<!doctype html><meta charset="utf-8"><script src="{COUNT_JS.as_uri()}"></script>',
        encoding="utf-8",
    )
    driver = start_chromium()
    try:
        driver.get(html.as_uri())
        assert driver.execute_script("return typeof window.formgenCount") == "function"
        yield driver
    finally:
        driver.quit()


def test_chromium_counts_every_string_like_python(page):
    counts = page.execute_script("return arguments[0].map(formgenCount)", CORPUS)
    assert mismatches(counts) == []


def test_chromium_classifies_every_code_point_like_python(page):
    got = page.execute_script(EVERY_CODE_POINT_JS)
    expected = every_code_point_python()
    assert got == expected, first_difference(expected, got)


def test_chromium_counts_null_and_empty_as_zero(page):
    assert page.execute_script("return [formgenCount(''), formgenCount(null), formgenCount(undefined)]") == [0, 0, 0]


def run_node(script: str, stdin: str = "") -> str:
    exe = node()
    if exe is None:
        pytest.skip("node 未安装：跳过在 node 中的比对（Chromium 中的比对照常进行）")
    result = subprocess.run(
        [exe, "-e", f"const formgenCount = require({json.dumps(str(COUNT_JS))});\n{script}"],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_node_counts_every_string_like_python():
    out = run_node(
        "let s = ''; process.stdin.setEncoding('utf8'); process.stdin.on('data', d => s += d);"
        "process.stdin.on('end', () => process.stdout.write(JSON.stringify(JSON.parse(s).map(formgenCount))));",
        json.dumps(CORPUS),
    )
    assert mismatches(json.loads(out)) == []


def test_node_classifies_every_code_point_like_python():
    got = run_node("process.stdout.write((function () {" + EVERY_CODE_POINT_JS + "})());")
    expected = every_code_point_python()
    assert got == expected, first_difference(expected, got)
