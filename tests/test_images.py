"""Hostile figures through the real flow: what validate passes, fill renders; what it
refuses is an FG002 finding (never an exception), and a draft shows a boxed
placeholder instead of the picture.

Two records are built once per module (one fill each: a 附件4 with ten 8 MP figures
takes seconds to write): one whose figures are odd but acceptable (CMYK, Adobe-marker,
MPO, very tall), one whose ten figures are all hostile.
"""

from __future__ import annotations

import copy
import io
import re
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from docx.image.image import Image as DocxImage
from PIL import Image

from formgen.cli import main

from .conftest import link_figures, validate_with


def cli(*args):
    """Run a command as a user would; it may exit 0, 1 or 2, and must never raise."""
    r = CliRunner(env={"FORMGEN_DEBUG": "1"}).invoke(main, [str(a) for a in args])  # a crash raises
    assert r.exception is None or isinstance(r.exception, SystemExit), r.output
    assert r.exit_code in (0, 1, 2), r.output
    assert "FORMGEN_DEBUG" not in r.output, r.output  # nor hides behind the last-resort report
    return r


def write_record_with(folder: Path, example: dict, figures_dir: Path, files: dict[int, tuple[str, object]]) -> Path:
    """The example record in ``folder`` whose figure i is ``make(path)``'s file, for each
    ``i: (name, make)`` of ``files``."""
    data = copy.deepcopy(example)
    link_figures(figures_dir, folder / "figures")
    from .conftest import REPORT

    (folder / REPORT.name).write_bytes(REPORT.read_bytes())
    for i, (name, make) in files.items():
        data["figures"][i]["file"] = f"odd/{name}"
        (folder / "odd").mkdir(exist_ok=True)
        make(folder / "odd" / name)
    path = folder / "record.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def a4_docx(out: Path) -> zipfile.ZipFile:
    (docx,) = out.glob("附件4_*.docx")
    return zipfile.ZipFile(docx)


def media(z: zipfile.ZipFile) -> list[bytes]:
    return [z.read(n) for n in z.namelist() if n.startswith("word/media/")]


@pytest.fixture(scope="module")
def source(figures_dir) -> Image.Image:
    """A valid 8.25 MP figure (noise, so JPEG keeps it above 5 MB), decoded once."""
    with Image.open(figures_dir / "fig01.jpg") as im:
        return im.convert("RGB")


# ---------------------------------------------------------------- odd but accepted

CMYK, ADOBE, MPO, TALL = (3300, 2450), (3300, 2460), (3300, 2440), (1000, 9000)  # each >= 8 MP


def _adobe_jpeg(source: Image.Image) -> bytes:
    """A JPEG whose first segment is Adobe APP14 (no JFIF, no Exif), as Photoshop-made
    and stripped files are: python-docx cannot read its header."""
    buf = io.BytesIO()
    source.crop((0, 0, *ADOBE)).save(buf, "JPEG", quality=92)
    data = buf.getvalue()
    assert data[2:4] == b"\xff\xe0"
    (app0,) = struct.unpack(">H", data[4:6])
    adobe = b"\xff\xee" + struct.pack(">H", 14) + b"Adobe\x00\x64\x00\x00\x00\x00\x01"
    return data[:2] + adobe + data[4 + app0 :]


@pytest.fixture(scope="module")
def accepted(tmp_path_factory, example_data, figures_dir, source, shanghai):
    """(record path, findings, fill result, {size: embedded bytes}, the 附件4 zip, its
    number of pictures) for a record whose
    figures 0-3 are a CMYK JPEG, an Adobe-marker JPEG, an MPO and a 1000×9000 JPEG."""
    preview = Image.new("RGB", (640, 480), (10, 20, 30))

    def tall(p):
        im = Image.new("RGB", TALL)
        for y in range(0, TALL[1], 2500):
            im.paste(source.crop((0, 0, 1000, 2500)), (0, y))
        im.save(p, "JPEG", quality=97)

    folder = tmp_path_factory.mktemp("accepted")
    path = write_record_with(
        folder,
        example_data,
        figures_dir,
        {
            0: ("cmyk.jpg", lambda p: source.crop((0, 0, *CMYK)).convert("CMYK").save(p, "JPEG", quality=92)),
            1: ("adobe.jpg", lambda p: p.write_bytes(_adobe_jpeg(source))),
            2: (
                "camera.jpg",
                lambda p: source.crop((0, 0, *MPO)).save(
                    p, format="MPO", save_all=True, append_images=[preview], quality=92
                ),
            ),
            3: ("tall.jpg", tall),
        },
    )
    findings = [f for f in validate_with(path, shanghai) if f.code.startswith("FG")]
    out = folder / "out"
    r = cli("fill", path, "--pack", "shanghai", "--out", out)
    z = a4_docx(out) if r.exit_code == 0 else None
    blobs = media(z) if z else []
    return path, findings, r, {Image.open(io.BytesIO(b)).size: b for b in blobs}, z, len(blobs)


def _embedded(accepted, size) -> bytes:
    _, findings, r, blobs, *_ = accepted
    assert findings == [] and r.exit_code == 0, (findings, r.output)
    odd = blobs[size]
    im = Image.open(io.BytesIO(odd))
    assert im.format == "JPEG" and im.mode in ("RGB", "L")
    got = DocxImage.from_blob(odd)  # what python-docx (and so the Word part) reads
    assert (got.px_width, got.px_height, got.content_type) == (*size, "image/jpeg")
    return odd


def test_accepted_odd_figures_are_all_embedded(accepted):
    _, findings, r, blobs, _, count = accepted
    assert findings == [] and r.exit_code == 0, (findings, r.output)
    assert count == 10 and {CMYK, ADOBE, MPO, TALL} <= set(blobs)


def test_cmyk_jpeg_is_embedded_as_rgb_jpeg_of_the_same_size(accepted):
    odd = _embedded(accepted, CMYK)
    original = accepted[0].parent / "odd" / "cmyk.jpg"
    assert Image.open(original).mode == "CMYK"
    assert original.read_bytes()[2:4] == b"\xff\xee"  # libjpeg writes Adobe APP14 first, no JFIF
    want = Image.open(original).convert("RGB").resize((33, 24)).getpixel((10, 10))
    got = Image.open(io.BytesIO(odd)).resize((33, 24)).getpixel((10, 10))
    assert all(abs(a - b) <= 12 for a, b in zip(want, got, strict=True))  # colours survive


def test_adobe_marker_jpeg_is_embedded_losslessly(accepted):
    odd = _embedded(accepted, ADOBE)
    data = (accepted[0].parent / "odd" / "adobe.jpg").read_bytes()
    with pytest.raises(Exception):  # noqa: B017 - the reason it needed fixing
        DocxImage.from_blob(data)
    assert odd.endswith(data[data.index(b"\xff\xda") :])  # its own image data, not re-encoded


def test_mpo_camera_jpeg_is_embedded_as_its_first_frame(accepted):
    odd = _embedded(accepted, MPO)
    original = accepted[0].parent / "odd" / "camera.jpg"
    assert Image.open(original).format == "MPO"
    assert b"MPF\x00" not in odd[: odd.index(b"\xff\xda")]  # a plain JPEG now
    assert len(odd) < original.stat().st_size and odd.endswith(b"\xff\xd9")  # the preview left out


def test_tall_figure_is_kept_on_the_page(accepted):
    _embedded(accepted, TALL)
    xml = accepted[4].read("word/document.xml").decode()
    heights = [int(cy) for cy in re.findall(r'<wp:extent cx="\d+" cy="(\d+)"', xml)]
    assert len(heights) == 10 and max(heights) <= 20 * 360000  # 20 cm, in EMU


# ---------------------------------------------------------------- refused: FG002, a placeholder in a draft


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _bomb(p: Path) -> None:
    """A valid PNG header claiming 50000×50000 (2.5 gigapixels), in 100 bytes."""
    ihdr = struct.pack(">IIBBBBB", 50000, 50000, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    p.write_bytes(
        b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")
    )


def _small(fmt: str):
    return lambda p: Image.new("RGB", (400, 300), (200, 30, 30)).save(p, fmt)


def _hostile(figures_dir: Path) -> dict:
    def good() -> bytes:
        return (figures_dir / "fig01.jpg").read_bytes()

    def oversized(p):
        with open(p, "wb") as f:  # a valid JPEG followed by zeros up to 60 MB (sparse)
            f.write(good())
            f.truncate(60 * 1024 * 1024)

    return {
        # case: (file name, make(path), expected in the message)
        "bomb-png": (
            "bomb.png",
            _bomb,
            f"50000×50000 = 2,500,000,000 像素，超过 {Image.MAX_IMAGE_PIXELS:,} 像素的上限",
        ),
        # the last 200 KB cut off: its header still says 8 MP and it is still over 5 MB
        "truncated-jpeg": ("cut.jpg", lambda p: p.write_bytes(good()[:-200_000]), "被截断"),
        "text-as-jpg": (
            "text.jpg",
            lambda p: p.write_text("这不是图片\nnot an image\n", encoding="utf-8"),
            "内容是文本",
        ),
        "svg": (
            "drawing.svg",
            lambda p: p.write_text('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10"/>'),
            "图片格式为 SVG",
        ),
        "webp": ("photo.webp", _small("WEBP"), "图片格式为 WebP"),
        "gif": ("photo.gif", _small("GIF"), "图片格式为 GIF（最多 256 色"),
        "tiff": ("photo.tif", _small("TIFF"), "图片格式为 TIFF"),
        "empty": ("empty.jpg", lambda p: p.write_bytes(b""), "文件为空"),
        "oversized": ("huge.jpg", oversized, "超过每张配图 50 MB（52,428,800 字节）的上限"),
        # a good image, but outside the record's folder
        "symlink-out": ("link.jpg", lambda p: p.symlink_to(figures_dir / "fig01.jpg"), "记录所在的文件夹内"),
    }


CASES = list(_hostile(Path(".")))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, example_data, figures_dir, shanghai):
    """A record whose ten figures are all hostile: its findings, and the commands' results."""
    cases = _hostile(figures_dir)
    folder = tmp_path_factory.mktemp("hostile")
    path = write_record_with(folder, example_data, figures_dir, {i: v[:2] for i, v in enumerate(cases.values())})
    findings = [f for f in validate_with(path, shanghai) if f.code.startswith("FG")]
    out = folder / "out"
    runs = {
        "validate": cli("validate", path, "--pack", "shanghai"),
        "fill": cli("fill", path, "--pack", "shanghai", "--out", out),
    }
    written_without_draft = sorted(out.glob("*")) if out.exists() else []
    runs["draft"] = cli("fill", path, "--pack", "shanghai", "--out", out, "--draft")
    z = a4_docx(out) if runs["draft"].exit_code == 0 else None
    return cases, findings, runs, written_without_draft, z


@pytest.mark.parametrize("case", CASES)
def test_hostile_figure_is_an_fg002_finding(hostile, case):
    cases, findings, *_ = hostile
    i = CASES.index(case)
    got = [f for f in findings if f.path == f"figures[{i}].file"]
    assert [f.code for f in got] == ["FG002"], got
    assert cases[case][2] in got[0].message


@pytest.mark.parametrize("case", CASES)
def test_hostile_figure_is_a_boxed_placeholder_in_a_draft(hostile, case):
    cases, _, runs, _, z = hostile
    assert runs["draft"].exit_code == 0, runs["draft"].output
    xml = z.read("word/document.xml").decode()
    name, _, expected = cases[case]
    (box,) = re.findall(
        rf"<w:p>(?:(?!</w:p>).)*图片无法插入：(?:(?!</w:p>).)*（odd/{re.escape(name)}）</w:t>(?:(?!</w:p>).)*</w:p>",
        xml,
    )
    assert "<w:pBdr>" in box and expected.split("（")[0] in box


def test_hostile_figures_exit_codes_and_nothing_written_without_draft(hostile):
    _, findings, runs, written_without_draft, z = hostile
    assert {f.code for f in findings} == {"FG002"}  # no pixel/size findings on refused files
    assert runs["validate"].exit_code == 1 and runs["validate"].output.count(" FG002 ") == 10
    assert runs["fill"].exit_code == 1 and written_without_draft == []
    xml = z.read("word/document.xml").decode()
    assert media(z) == [] and xml.count("图片无法插入：") == 10
    assert all(f"图{n} " in xml for n in range(1, 11))  # captions stay, numbered


def test_bomb_does_not_stop_a_batch(tmp_path, example_data, figures_dir):
    path = write_record_with(tmp_path, example_data, figures_dir, {0: ("bomb.png", _bomb)})
    r = cli("summary", path, "--pack", "shanghai", "--unit", "浦东新区", "--quota", 5, "--out", tmp_path / "out")
    assert r.exit_code == 1 and "FG002" in r.output and "2,500,000,000" in r.output  # its only record left off


# ---------------------------------------------------------------- the library functions


def test_probe_and_embeddable_never_raise_on_mangled_files(tmp_path, figures_dir):
    """Every prefix length and flipped bytes of a real JPEG and PNG header, and the bomb:
    a problem or facts, never an exception, and probe and embeddable agree."""
    from formgen.render.images import embeddable, probe

    jpeg = (figures_dir / "fig01.jpg").read_bytes()[:4096]
    buf = io.BytesIO()
    Image.new("RGB", (64, 48)).save(buf, "PNG")
    png = buf.getvalue()
    samples = [jpeg[:n] for n in range(0, 400, 7)] + [png[:n] for n in range(0, 120, 3)]
    for i in range(2, 200, 5):
        for base in (jpeg, png):
            b = bytearray(base)
            b[i % len(b)] ^= 0xFF
            samples.append(bytes(b))
    _bomb(tmp_path / "bomb.png")
    samples.append((tmp_path / "bomb.png").read_bytes())
    for n, data in enumerate(samples):
        (tmp_path / f"s{n}.jpg").write_bytes(data)
        info, got = probe(tmp_path, f"s{n}.jpg"), embeddable(tmp_path, f"s{n}.jpg")
        assert bool(info.problem) == bool(got.problem), (n, info, got.problem)
    assert "2,500,000,000" in probe(tmp_path, "bomb.png").problem


def test_arithmetic_coded_jpeg_is_refused(tmp_path):
    """A JPEG whose frame is arithmetic-coded (SOF9): its header reads like any JPEG's,
    but Word cannot show it."""
    from formgen.render.images import embeddable, probe

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (1, 2, 3)).save(buf, "JPEG")
    data = buf.getvalue()
    (tmp_path / "arith.jpg").write_bytes(data.replace(b"\xff\xc0", b"\xff\xc9", 1))
    assert "算术编码" in probe(tmp_path, "arith.jpg").problem
    assert "算术编码" in embeddable(tmp_path, "arith.jpg").problem


def test_embedded_bytes_keep_the_pixel_count(tmp_path):
    """Lossless fixes and re-encoding never change the pixel size the rules checked; a
    PNG python-docx reads goes in as it is."""
    from formgen.render.images import embeddable, probe

    im = Image.new("RGB", (321, 123), (10, 200, 90))
    im.convert("CMYK").save(tmp_path / "cmyk.jpg", quality=95)
    im.save(tmp_path / "mpo.jpg", format="MPO", save_all=True, append_images=[Image.new("RGB", (50, 50))])
    im.convert("P").save(tmp_path / "palette.png")
    im.save(tmp_path / "plain.bmp")
    for name in ("cmyk.jpg", "mpo.jpg", "palette.png", "plain.bmp"):
        info, got = probe(tmp_path, name), embeddable(tmp_path, name)
        assert not info.problem and not got.problem, name
        assert Image.open(io.BytesIO(got.data)).size == (321, 123) == (info.width, info.height)
        docx_view = DocxImage.from_blob(got.data)
        assert (docx_view.px_width, docx_view.px_height) == (321, 123)
    assert embeddable(tmp_path, "palette.png").data == (tmp_path / "palette.png").read_bytes()
