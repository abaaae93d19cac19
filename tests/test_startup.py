"""Start in a blink (issue 13): a command imports only what it runs. Pinned in behaviour,
not in time: a fresh interpreter runs the command and reports what it imported.

The figure check answers python-docx's question (can it read this header?) without
importing python-docx for JFIF JPEGs and PNGs: the replay must agree with python-docx on
every file it answers for."""

from __future__ import annotations

import io
import json
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PIL import Image

from formgen.render import images

ROOT = Path(__file__).resolve().parent.parent

# never needed to check a record or print the help
HEAVY = ("docx", "lxml", "jinja2", "xlsxwriter", "openpyxl", "matplotlib", "sqlalchemy", "reportlab", "pypdf")


def _imported_by(args: list[str], cwd: Path) -> tuple[int, str, set[str]]:
    """Run ``formgen ARGS`` through click's runner in a fresh interpreter: (exit code,
    output, the top-level modules and formgen's own modules it imported)."""
    code = textwrap.dedent(
        f"""
        import json, sys
        from click.testing import CliRunner
        from formgen.cli import main
        r = CliRunner().invoke(main, {args!r})
        names = {{m.split(".")[0] for m in sys.modules}} | {{m for m in sys.modules if m.startswith("formgen.")}}
        print(json.dumps([r.exit_code, r.output, sorted(names)]))
        """
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=True)
    exit_code, output, names = json.loads(done.stdout.splitlines()[-1])
    return exit_code, output, set(names)


def test_help_imports_click_and_nothing_of_formgen_s_work(tmp_path):
    code, output, names = _imported_by(["--help"], tmp_path)
    assert code == 0 and "validate" in output and "summary" in output
    assert names.isdisjoint({*HEAVY, "pydantic", "yaml", "PIL", "stdnum", "formgen.app", "formgen.record.model"})
    code, output, names = _imported_by(["summary", "--help"], tmp_path)
    assert code == 0 and "--jobs" in output and names.isdisjoint({*HEAVY, "pydantic", "yaml"})


def test_validate_imports_no_rendering_library(copy_example):
    record = copy_example()  # the Shanghai example with its ten figures (JFIF JPEGs)
    code, output, names = _imported_by(["validate", str(record), "--pack", "shanghai"], record.parent)
    assert code == 0 and "检查通过" in output  # the figures were read and accepted
    assert "PIL" in names  # read because there are figures
    # the .xlsx summary sheet's column expressions are evaluated (XL001) with Jinja;
    # nothing renders, writes a workbook or a Word file
    assert names.isdisjoint({*(set(HEAVY) - {"jinja2"}), "formgen.bureau.reports", "formgen.render.docx"})
    assert "formgen.render.xlsx" not in names


def test_a_record_without_figures_does_not_load_pillow(tmp_path):
    record = tmp_path / "r.yaml"
    record.write_text("pack: jiangsu\nenterprise:\n  name: 江苏某某机械有限公司\n", encoding="utf-8")
    _code, output, names = _imported_by(["validate", str(record)], tmp_path)
    assert "江苏" in output or "错误" in output
    assert names.isdisjoint({*HEAVY, "PIL"})


# ------------------------------------------------ the header replay against python-docx


def _python_docx_says(blob: bytes):
    """python-docx's own answer: the pixel size it reads when it can also scale the
    picture, else None."""
    from docx.image.image import Image as DocxImage
    from docx.shared import Cm

    try:
        im = DocxImage.from_blob(blob)
        im.scaled_dimensions(width=Cm(14.5))
        return im.px_width, im.px_height
    except Exception:  # noqa: BLE001 - whatever python-docx raises means "cannot"
        return None


def _saved(fmt: str, size=(40, 30), **kw) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt, **kw)
    return out.getvalue()


def _samples() -> list[bytes]:
    blobs = [
        _saved("JPEG"),
        _saved("JPEG", (1, 1)),
        _saved("JPEG", (3000, 7), dpi=(300, 300)),
        _saved("JPEG", dpi=(0, 0)),
        _saved("JPEG", dpi=(1, 65535)),
        _saved("JPEG", exif=Image.Exif().tobytes()),  # JFIF then Exif: python-docx's own answer
        _saved("JPEG", progressive=True),
        _saved("PNG"),
        _saved("PNG", dpi=(96, 96)),
        _saved("PNG", dpi=(0.5, 0.5)),
        _saved("PNG", (1, 900), dpi=(600, 72)),
        _saved("BMP"),
    ]
    jpeg = blobs[0]
    app0_end = 4 + int.from_bytes(jpeg[4:6], "big")
    sof = jpeg.index(b"\xff\xc0")
    other = jpeg[sof : sof + 5] + (7).to_bytes(2, "big") + (9).to_bytes(2, "big") + jpeg[sof + 9 : sof + 19]
    blobs.append(jpeg[:app0_end] + other + jpeg[app0_end:])  # two SOF segments: the first one counts
    zero_dpi = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x01\x00\x00\x00\x00\x00\x00"
    blobs.append(jpeg[:2] + zero_dpi + jpeg[2:])  # two APP0 segments: the first one (0 dpi) counts
    rng = random.Random(13)
    mutated = []
    for blob in blobs[:2] + blobs[7:9]:
        head = min(len(blob), 700)
        for cut in range(0, head, 3):  # cut short anywhere in the headers
            mutated.append(blob[:cut])
        for _ in range(300):  # one to three bytes changed in the headers
            b = bytearray(blob)
            for _ in range(rng.randint(1, 3)):
                b[rng.randrange(2, head)] = rng.choice(
                    (0x00, 0xFF, 0xC0, 0xC2, 0xD9, 0xDA, 0xE0, 0xE1, rng.randrange(256))
                )
            mutated.append(bytes(b))
    return blobs + mutated


def test_the_header_replay_agrees_with_python_docx():
    answered = 0
    for blob in _samples():
        mine = images._docx_view(blob)
        if mine is not None:
            answered += 1
            assert _python_docx_says(blob) == mine, blob[:40]
        want = _python_docx_says(blob)
        for size in {want, (40, 30), None}:
            expected = want is not None and (size is None or want == size)
            assert images._docx_reads(blob, size) == expected
    assert answered > 300  # the replay answers the common files itself


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_the_common_figures_are_answered_without_python_docx(fmt):
    assert images._docx_view(_saved(fmt, (640, 480), dpi=(72, 72))) == (640, 480)
