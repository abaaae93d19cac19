"""Figures: what validate may accept, and the bytes fill embeds for each.

``probe`` says whether a figure can go into a Word document and gives the facts the
rules check (pixels, bytes). It reads the file (capped at ``MAX_BYTES``) and walks its
structure - JPEG segments and entropy-coded data up to the end-of-image marker, PNG
chunks up to IEND - but decodes nothing, except a figure that fill will have to
re-encode (CMYK JPEG, the rare PNG/BMP python-docx cannot read): that one is re-encoded
here as fill will, so that validate never accepts what fill cannot embed, and judges the
size of what fill embeds (``embedded``), which ``formgen check`` measures in the document.

``embeddable`` gives the bytes to embed: the file itself when python-docx reads it as
it is (its own header parser decides, ``docx.image.image.Image.from_blob``), or else a
copy made without decoding where possible (an MPO's first frame without its MPF
segment; a JPEG whose first segment is not JFIF/Exif gets its JFIF/Exif segment moved
first, or a minimal Exif segment), and only as a last resort a re-encoded one (CMYK
and YCCK JPEG to RGB JPEG through the embedded ICC profile, quality 95, no chroma
subsampling). The pixel size never changes.
"""

from __future__ import annotations

import functools
import io
import os
import re
import struct
import sys
import time
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

MAX_BYTES = 50 * 1024 * 1024  # per figure: a print-quality 8 MP photo is 3-15 MB
ACCEPTED = "JPEG、PNG 或 BMP"

# plans: how fill gets embeddable bytes from the file
AS_IS = "as_is"
FIRST_FRAME = "first_frame"  # MPO: the first frame, MPF segment dropped
HEADER = "header"  # JPEG: JFIF/Exif segment moved first or a minimal Exif added
REENCODE = "reencode"  # decoded and saved again (CMYK JPEG -> RGB JPEG; PNG/BMP -> PNG)


@dataclass(frozen=True)
class ImageInfo:
    width: int = 0
    height: int = 0
    bytes: int = 0
    format: str = ""
    problem: str = ""
    mode: str = ""
    plan: str = ""
    embedded: int = 0  # bytes of what fill embeds: the file, its header fixed, or re-encoded

    @property
    def conversion(self) -> str:
        """How fill changes the file to embed it, in Chinese ("" when it embeds it as it is)."""
        if self.plan == REENCODE:
            if self.mode == "CMYK":
                return "CMYK 色彩的 JPEG 须转换为 RGB 才能在 Word 中正确显示"
            return "须重新编码为 Word 可用的格式"
        if self.plan == FIRST_FRAME:
            return "多帧 JPEG（MPO）只插入第一帧"
        return ""


@dataclass(frozen=True)
class Embedded:
    """What fill puts in the document: ``data`` to embed, or the ``problem``."""

    data: bytes = b""
    problem: str = ""
    width: int = 0
    height: int = 0


PILLOW_MAX_PIXELS = 89_478_485  # Pillow's default decompression-bomb limit (1 GiB / 4 / 3, since 2014)


def max_pixels() -> int:
    """Pillow's decompression-bomb limit (it warns above it, refuses above twice it): its
    default until Pillow is loaded (a program using formgen may have changed it there),
    so that a figure remembered between runs is told without loading Pillow."""
    image = sys.modules.get("PIL.Image")
    return (image.MAX_IMAGE_PIXELS if image is not None else None) or PILLOW_MAX_PIXELS


class _Refused(Exception):
    """A figure that cannot be used; the message is the Chinese problem."""


# ---------------------------------------------------------------- format sniffing

_OTHER_FORMATS = (
    (lambda b: b[:6] in (b"GIF87a", b"GIF89a"), "GIF", "最多 256 色，照片打印会出现色带和噪点"),
    (
        lambda b: b[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"),
        "TIFF",
        "Word 对 TIFF 的压缩方式、色彩模式和多页支持不一，显示和打印效果无法保证",
    ),
    (lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP", "WebP", "旧版 Word 不能显示"),
    (lambda b: b[4:8] == b"ftyp" and b[8:12] in (b"avif", b"avis"), "AVIF", "Word 不能可靠显示"),
    (
        lambda b: b[4:8] == b"ftyp" and b[8:12].startswith((b"hei", b"hev", b"mif", b"msf")),
        "HEIC/HEIF",
        "Word 不能可靠显示",
    ),
    (lambda b: b[:4] == b"%PDF", "PDF", "PDF 不是图片"),
    (lambda b: b[:4] == b"8BPS", "PSD", "Photoshop 工程文件不是图片"),
    (
        lambda b: b[:12] == b"\x00\x00\x00\x0cjP  \r\n\x87\n" or b[:4] == b"\xff\x4f\xff\x51",
        "JPEG 2000",
        "Word 不能显示",
    ),
    (lambda b: b[:4] == b"\xd7\xcd\xc6\x9a" or b[40:44] == b" EMF", "EMF/WMF", "矢量图元文件不能作为照片类配图"),
)


def _other_format(head: bytes) -> str:
    """The problem for a file that is not a JPEG, PNG or BMP."""
    for match, name, why in _OTHER_FORMATS:
        if match(head):
            return f"图片格式为 {name}（{why}），只接受 {ACCEPTED}，请另存为 JPEG 后再用"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] == b"<" and b"<svg" in head.lower():
        return f"图片格式为 SVG（矢量图，旧版 Word 不能显示），只接受 {ACCEPTED}，请导出为 PNG 或 JPEG"
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as e:
            looks_text = e.start >= len(head) - 3  # a character cut at the end of the sample
        else:
            looks_text = True
        if looks_text:
            return "文件内容是文本，不是图片（扩展名与内容不符）"
    return f"不是可识别的图片（只接受 {ACCEPTED}）"


def _named_by_pillow(data: bytes) -> str:
    """Pillow's name for a format formgen does not accept, if it knows one."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from PIL import Image

            with Image.open(io.BytesIO(data)) as im:
                return im.format or ""
    except MemoryError:  # the machine, not the file: never a verdict
        raise
    except Exception:  # noqa: BLE001 - any failure just means "not recognised"
        return ""


# ---------------------------------------------------------------- JPEG structure

# A marker inside entropy-coded data: 0xFF followed by anything but a stuffed zero,
# a restart marker or fill.
_MARKER = re.compile(rb"\xff[\x01-\xcf\xd8-\xfe]")
_STANDALONE = {0x01, *range(0xD0, 0xD8)}
_SOF = {*range(0xC0, 0xD0)} - {0xC4, 0xC8, 0xCC}  # DHT, JPG and DAC share the range
_HUFFMAN_SOF = {0xC0, 0xC1, 0xC2}  # what Word (and every viewer) decodes
_TRUNCATED = "图片文件不完整（被截断，可能没有拷贝或下载完），请重新导出或拷贝原图"


@dataclass
class _Jpeg:
    segments: list[tuple[int, int, int]]  # (marker, start, end) before the first scan
    scan: int  # where the first SOS segment starts
    end: int  # just after the EOI marker

    @property
    def sof(self) -> int:
        """The start-of-frame marker: 0xC0 baseline, 0xC1 extended, 0xC2 progressive, ..."""
        return next((m for m, _, _ in self.segments if m in _SOF), 0)


def _jpeg_structure(data: bytes) -> _Jpeg:
    """Walk a JPEG's segments and scans up to its end-of-image marker."""
    if data[:2] != b"\xff\xd8":
        raise _Refused("不是 JPEG 文件")
    segments: list[tuple[int, int, int]] = []
    scan = -1
    pos, n = 2, len(data)
    while True:
        if pos + 2 > n:
            raise _Refused(_TRUNCATED)
        if data[pos] != 0xFF:
            raise _Refused("JPEG 文件结构已损坏（段标记错位）")
        while pos + 1 < n and data[pos + 1] == 0xFF:  # fill bytes
            pos += 1
        if pos + 2 > n:
            raise _Refused(_TRUNCATED)
        marker = data[pos + 1]
        if marker == 0xD9:
            if scan < 0:
                raise _Refused("JPEG 文件没有图像数据")
            return _Jpeg(segments, scan, pos + 2)
        if marker in _STANDALONE:
            pos += 2
            continue
        if pos + 4 > n:
            raise _Refused(_TRUNCATED)
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        end = pos + 2 + length
        if length < 2 or end > n:
            raise _Refused(_TRUNCATED)
        if scan < 0:
            if marker == 0xDA:
                scan = pos
            else:
                segments.append((marker, pos, end))
        if marker == 0xDA:  # entropy-coded data runs to the next marker
            m = _MARKER.search(data, end)
            if m is None:
                raise _Refused(_TRUNCATED)
            end = m.start()
        pos = end


def _is_app(data: bytes, seg: tuple[int, int, int], marker: int, ident: bytes) -> bool:
    return seg[0] == marker and data[seg[1] + 4 : seg[1] + 4 + len(ident)] == ident


# APP1 "Exif": a little-endian TIFF header and an empty IFD (python-docx then assumes 72 dpi)
_MIN_EXIF = b"Exif\x00\x00II*\x00" + struct.pack("<IHI", 8, 0, 0)
_MIN_EXIF_SEGMENT = b"\xff\xe1" + struct.pack(">H", len(_MIN_EXIF) + 2) + _MIN_EXIF


def _jpeg_lossless(data: bytes, info_format: str, size: tuple[int, int]) -> bytes | None:
    """The JPEG as python-docx reads it, changed only in its header segments (nothing is
    decoded), or None when only re-encoding will do."""
    s = _jpeg_structure(data)
    segs = s.segments
    if info_format == "MPO":  # the first frame alone, without the MPF index of the others
        segs = [g for g in segs if not _is_app(data, g, 0xE2, b"MPF\x00")]
    # python-docx recognises a JPEG only by "JFIF" or "Exif" at byte 6: try the segments
    # as they are, then with such a segment moved first, then with a minimal Exif
    # segment added (JFIF would change how decoders read a three-component Adobe
    # JPEG's colours; Exif says nothing about colour)
    candidates = [segs]
    lead = [g for g in segs if _is_app(data, g, 0xE0, b"JFIF\x00")] or [
        g for g in segs if _is_app(data, g, 0xE1, b"Exif\x00")
    ]
    if lead and segs and lead[0] is not segs[0]:
        candidates.append([lead[0], *(g for g in segs if g is not lead[0])])
    for order in candidates:
        body = b"".join(data[a:b] for _, a, b in order) + data[s.scan : s.end]
        for blob in (b"\xff\xd8" + body, b"\xff\xd8" + _MIN_EXIF_SEGMENT + body):
            if _docx_reads(blob, size):
                return blob
    return None


# ---------------------------------------------------------------- PNG and BMP structure


def _png_complete(data: bytes) -> None:
    pos, n = 8, len(data)
    while pos + 8 <= n:
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        pos += 12 + length
        if pos > n:
            break
        if kind == b"IEND":
            return
    raise _Refused(_TRUNCATED)


def _bmp_complete(data: bytes, im) -> bool:
    """Whether the BMP is stored uncompressed (and then complete); a compressed (RLE)
    one is checked by decoding it."""
    tile = im.tile[0] if im.tile else None
    if tile is None or tile.codec_name != "raw":
        return False
    if tile.offset + tile.args[1] * im.height > len(data):
        raise _Refused(_TRUNCATED)
    return True


# ---------------------------------------------------------------- python-docx's view


def _docx_reads(blob: bytes, size: tuple[int, int] | None = None) -> bool:
    """python-docx parses the header, gets the pixel size Pillow gets and can scale it.

    The common JFIF JPEG and PNG are answered by :func:`_docx_view`, a stdlib replay of
    python-docx's own header walk, so that validate does not import python-docx; any
    other file (Exif, BMP, anything odd) is asked of python-docx itself."""
    got = _docx_view(blob)
    if got is not None:
        return size is None or got == size
    from docx.image.image import Image as DocxImage
    from docx.shared import Cm

    try:
        im = DocxImage.from_blob(blob)
        im.scaled_dimensions(width=Cm(14.5))  # a zero dpi would divide by zero here
        got = (im.px_width, im.px_height)
    except MemoryError:  # the machine, not the file: never a verdict
        raise
    except Exception:  # noqa: BLE001 - python-docx raises many kinds for odd headers
        return False
    return size is None or got == size


_EMU_PER_INCH = 914400
_SOF_CODES = frozenset((0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF))
_STANDALONE = frozenset((0x01, 0xD8, 0xD9, *range(0xD0, 0xD8)))  # TEM, SOI, EOI, RST0-7


def _scalable(w: int, h: int, dpi_x: int, dpi_y: int) -> bool:
    """python-docx's ``scaled_dimensions(width=...)`` divides by the native size in EMU
    (px / dpi inches, truncated): it fails on a zero dpi or a width under one EMU."""
    return dpi_x > 0 and dpi_y > 0 and int(w / dpi_x * _EMU_PER_INCH) > 0


def _docx_view(blob: bytes) -> tuple[int, int] | None:
    """The pixel size python-docx reads from a JFIF JPEG or a PNG when it reads and
    scales it; None when it would not, or when the file is of another kind (then
    python-docx is asked). Replays docx.image.jpeg's marker walk (from the start to SOS
    or EOI, the first APP0 and SOFn) and docx.image.png's chunk walk (to IEND, the first
    IHDR and pHYs) over the bytes, with the same defaults (72 dpi)."""
    if blob[:8] == b"\x89PNG\r\n\x1a\n":  # python-docx tries PNG first
        return _docx_png(blob)
    if blob[6:10] == b"JFIF":
        return _docx_jfif(blob)
    return None


def _docx_png(b: bytes) -> tuple[int, int] | None:
    ihdr = phys = None
    off = 8
    while True:
        if off + 8 > len(b):
            return None
        length, kind = struct.unpack(">L4s", b[off : off + 8])
        data = off + 8
        if kind == b"IHDR":  # python-docx reads every IHDR and pHYs, keeps the first
            if data + 8 > len(b):
                return None
            ihdr = ihdr or struct.unpack(">LL", b[data : data + 8])
        elif kind == b"pHYs":
            if data + 9 > len(b):
                return None
            phys = phys or struct.unpack(">LLB", b[data : data + 9])
        elif not kind.isascii():  # python-docx decodes the type as UTF-8: keep to ASCII here
            return None
        if kind == b"IEND":
            break
        off += 12 + length
    if ihdr is None:
        return None

    def dpi(ppu: int) -> int:
        return int(round(ppu * 0.0254)) if phys[2] == 1 and ppu else 72

    dpi_x, dpi_y = (dpi(phys[0]), dpi(phys[1])) if phys else (72, 72)
    w, h = ihdr
    return (w, h) if _scalable(w, h, dpi_x, dpi_y) else None


def _docx_jfif(b: bytes) -> tuple[int, int] | None:
    app0 = sof = None
    start, n = 0, len(b)
    while True:
        pos = start
        while True:  # the next marker: an FF, any FF padding, then not 00
            pos = b.find(b"\xff", pos)
            if pos < 0:
                return None
            pos += 1
            while pos < n and b[pos] == 0xFF:
                pos += 1
            if pos >= n:
                return None
            if b[pos] != 0:
                break
        code, seg = b[pos], pos + 1
        if code in _STANDALONE:
            length = 0
        else:
            if seg + 2 > n:
                return None
            (length,) = struct.unpack(">H", b[seg : seg + 2])
        if code == 0xE0:  # python-docx reads every APP0 and SOFn, keeps the first
            if seg + 14 > n:
                return None
            app0 = app0 or struct.unpack(">BHH", b[seg + 9 : seg + 14])
        elif code in _SOF_CODES:
            if seg + 7 > n:
                return None
            h, w = struct.unpack(">HH", b[seg + 3 : seg + 7])
            sof = sof or (w, h)
        elif code == 0xE1 and b[seg + 2 : seg + 8] == b"Exif\x00\x00":
            return None  # python-docx reads Exif's TIFF structure: not replayed here
        if code in (0xDA, 0xD9):  # SOS, EOI
            break
        start = seg + length
    if app0 is None or sof is None:
        return None
    units, x, y = app0

    def dpi(density: int) -> int:
        return density if units == 1 else int(round(density * 2.54)) if units == 2 else 72

    w, h = sof
    return sof if _scalable(w, h, dpi(x), dpi(y)) else None


# ---------------------------------------------------------------- open, probe, embed


def _open(data: bytes, fmt: str):
    """Open with the format's plugin: header only, and no Pillow decompression-bomb
    check (formgen applies the same limit itself and reports it as a finding)."""
    from PIL import BmpImagePlugin, JpegImagePlugin, PngImagePlugin  # loaded when a figure is read

    fp = io.BytesIO(data)
    if fmt == "JPEG":
        return JpegImagePlugin.jpeg_factory(fp)
    if fmt == "PNG":
        return PngImagePlugin.PngImageFile(fp)
    return BmpImagePlugin.BmpImageFile(fp)


def _sniff(head: bytes) -> str:
    if head[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if head[:2] == b"BM":
        return "BMP"
    return ""


def _examine(data: bytes) -> ImageInfo:
    """Everything ``probe`` says about the bytes of a figure (may raise _Refused)."""
    size = len(data)
    kind = _sniff(data[:16])
    if not kind:
        problem = _other_format(data[:1024])
        if problem.startswith("不是可识别"):
            named = _named_by_pillow(data)
            if named:
                problem = f"图片格式为 {named}，只接受 {ACCEPTED}，请另存为 JPEG 后再用"
        raise _Refused(problem)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            im = _open(data, kind)
    except MemoryError:  # the machine, not the file: never a verdict
        raise
    except Exception as e:  # noqa: BLE001 - Pillow's parsers raise many kinds
        raise _Refused(f"{kind} 文件头已损坏，无法读取（{e.__class__.__name__}）") from None
    with im:
        fmt, mode, (w, h) = im.format or kind, im.mode, im.size
        if w <= 0 or h <= 0:
            raise _Refused(f"图片尺寸为 {w}×{h}，无效")
        limit = max_pixels()
        if w * h > limit:
            raise _Refused(
                f"图片为 {w}×{h} = {w * h:,} 像素，超过 {limit:,} 像素的上限"
                "（过大的图片会耗尽内存，可能是“解压炸弹”），请缩小后再用"
            )
        if kind == "JPEG":
            sof = _jpeg_structure(data).sof  # complete up to its end-of-image marker
            if sof not in _HUFFMAN_SOF:
                raise _Refused(
                    f"JPEG 使用了算术编码、无损或分层编码（SOF{sof - 0xC0}），Word 不能显示，请另存为普通 JPEG"
                )
            lossless = None
            if mode == "CMYK":
                # CMYK and YCCK (Pillow reads both as CMYK): python-docx cannot read
                # libjpeg's header for them (Adobe APP14 first, no JFIF), and Office does
                # not colour-manage pictures, so they go in as RGB through their profile
                plan = REENCODE
            elif fmt == "JPEG" and _docx_reads(data, (w, h)):
                plan = AS_IS
            elif (lossless := _jpeg_lossless(data, fmt, (w, h))) is not None:
                plan = FIRST_FRAME if fmt == "MPO" else HEADER
            else:
                plan = REENCODE
        else:
            lossless = None
            if kind == "PNG":
                _png_complete(data)
                plain = True
            else:
                plain = _bmp_complete(data, im)
            plan = AS_IS if plain and _docx_reads(data, (w, h)) else REENCODE
        info = ImageInfo(w, h, size, fmt, "", mode, plan)
        # the size of what fill will embed, which ``formgen check`` measures in the document:
        # a re-encoded copy is made here in full (rare: CMYK, odd PNG/BMP; remembered)
        if plan == REENCODE:
            embedded = len(_reencoded(data, info))
        else:
            embedded = len(lossless) if lossless is not None else size
    return replace(info, embedded=embedded)


def _reencoded(data: bytes, info: ImageInfo) -> bytes:
    """The re-encoded copy fill embeds, made once to be sure it can be and to know its size."""
    try:
        return _reencode(data, info)
    except MemoryError:  # the machine, not the file: never a verdict
        raise
    except Exception as e:  # noqa: BLE001
        raise _Refused(f"图片数据已损坏，无法转换为 Word 可用的格式（{e.__class__.__name__}）") from None


def _too_big(size: int) -> str:
    return f"文件大小 {size:,} 字节，超过每张配图 {MAX_BYTES // 1048576} MB（{MAX_BYTES:,} 字节）的上限，请压缩后再用"


def _read(path: Path) -> bytes:
    with open(path, "rb") as f:  # read(n) allocates n bytes first: ask for what is there
        data = f.read(min(os.fstat(f.fileno()).st_size, MAX_BYTES) + 1)
    if len(data) > MAX_BYTES:
        raise _Refused(_too_big(len(data)))
    if not data:
        raise _Refused("文件为空")
    return data


# A file's times move in steps of the kernel's clock tick (several ms), so two writes
# of one size within a tick leave the same stamp: facts about a file changed this
# recently are not remembered (git's "racy" entries, handled the same way).
RACY_NS = 2_000_000_000


@functools.cache
def _libraries() -> str:
    """The installed Pillow and python-docx (where each lives and when it was installed),
    which decide what is read and how a figure is embedded: a new version examines the
    figures again. Found without importing either."""
    import importlib.util

    out = []
    for name in ("PIL", "docx"):
        try:
            origin = importlib.util.find_spec(name).origin
            out.append(f"{origin}:{os.stat(origin).st_mtime_ns}")
        except (AttributeError, ImportError, OSError, ValueError):
            out.append(f"{name}:?")
    return "|".join(out)


@functools.lru_cache(maxsize=512)
def _probe(path: str, stamp: tuple, size: int) -> ImageInfo:
    """:func:`_verdict` on a file, kept between runs (:func:`formgen.datafiles.remembered`)
    under its path and ``stamp``: device, inode, modification and change times in ns, as
    git's index tells a changed file (the change time moves on any write and cannot be
    set back), with its size, the pixel limit and the imaging libraries. Validating
    again after editing the text decodes no figure."""
    from ..datafiles import remembered

    key = repr((path, stamp, size, max_pixels(), _libraries())).encode("utf-8", "surrogatepass")
    return remembered("figure", key, _verdict, path, size)


def _verdict(path: str, size: int) -> ImageInfo:
    """What the file is, or why it cannot be used: a verdict on its bytes, the same each
    time. A failure to read it (an I/O error, no memory) raises: it is not remembered."""
    if size > MAX_BYTES:
        return ImageInfo(bytes=size, problem=_too_big(size))
    try:
        return _examine(_read(Path(path)))
    except _Refused as e:
        return ImageInfo(bytes=size, problem=str(e))


def examine(data: bytes) -> ImageInfo:
    """What ``probe`` says of a figure given as bytes (an upload not yet kept anywhere):
    ``problem`` set when fill could not embed it; never raises on a hostile file."""
    if len(data) > MAX_BYTES:
        return ImageInfo(bytes=len(data), problem=_too_big(len(data)))
    try:
        return _examine(data)
    except _Refused as e:
        return ImageInfo(bytes=len(data), problem=str(e))
    except MemoryError:
        return ImageInfo(bytes=len(data), problem="内存不足，无法读取图片；请稍后重试")
    except Exception as e:  # noqa: BLE001 - a hostile file must give a finding, never a crash
        return ImageInfo(bytes=len(data), problem=f"不是可识别的图片（{e.__class__.__name__}）")


def probe(base_dir: Path, name: str) -> ImageInfo:
    """Facts about the image file ``name`` of a record in ``base_dir``; ``problem`` is
    set when fill could not embed it."""
    from ..record.model import record_file

    path, problem = record_file(base_dir, name)
    if path is None:
        return ImageInfo(problem=problem)
    try:
        st = path.stat()
    except OSError:
        return ImageInfo(problem="文件不存在")
    try:
        if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) < RACY_NS:
            return _verdict(str(path), st.st_size)  # written just now: a second write may keep its times
        return _probe(str(path), (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_ctime_ns), st.st_size)
    except MemoryError:
        return ImageInfo(bytes=st.st_size, problem="内存不足，无法读取图片；请关闭其他程序后重试")
    except OSError as e:
        return ImageInfo(bytes=st.st_size, problem=f"文件无法读取（{e.__class__.__name__}）")
    except Exception as e:  # noqa: BLE001 - a hostile file must give a finding, never a crash
        return ImageInfo(bytes=st.st_size, problem=f"不是可识别的图片（{e.__class__.__name__}）")


def embeddable(base_dir: Path, name: str) -> Embedded:
    """The bytes to embed for figure ``name``, or the problem; never raises."""
    from ..record.model import record_file

    info = probe(base_dir, name)
    if info.problem:
        return Embedded(problem=info.problem)
    path, problem = record_file(base_dir, name)
    if path is None:
        return Embedded(problem=problem)
    try:
        data = _read(path)
        if len(data) != info.bytes:
            return Embedded(problem="文件在检查后被改动，请重新运行")
        if info.plan in (FIRST_FRAME, HEADER):
            out = _jpeg_lossless(data, info.format, (info.width, info.height))
        elif info.plan == REENCODE:
            out = _reencode(data, info)
        else:
            out = data
        if out is None or not _docx_reads(out, (info.width, info.height)):
            return Embedded(problem="图片无法转换为 Word 可用的格式")
    except _Refused as e:
        return Embedded(problem=str(e))
    except Exception as e:  # noqa: BLE001 - a hostile file must never stop a document
        return Embedded(problem=f"图片无法读取（{e.__class__.__name__}）")
    return Embedded(out, "", info.width, info.height)


def _reencode(data: bytes, info: ImageInfo) -> bytes:
    kind = _sniff(data[:16])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with _open(data, kind) as im:
            im.load()
            exif = im.info.get("exif")
            dpi = im.info.get("dpi")
            out = io.BytesIO()
            if kind == "JPEG":
                rgb = _to_srgb(im) if im.mode == "CMYK" else im if im.mode in ("L", "RGB") else im.convert("RGB")
                kw = {"exif": exif} if exif else {}
                if rgb is im and im.info.get("icc_profile"):  # same colours: keep their profile
                    kw["icc_profile"] = im.info["icc_profile"]
                if dpi and min(dpi) >= 1:
                    kw["dpi"] = tuple(round(x) for x in dpi)
                rgb.save(out, "JPEG", quality=95, subsampling=0, **kw)
            else:
                keep = im if im.mode in ("1", "L", "LA", "P", "RGB", "RGBA", "I;16") else im.convert("RGBA")
                keep.save(out, "PNG")
    return out.getvalue()


def _to_srgb(im):
    """A CMYK image in sRGB, through its ICC profile when it carries one."""
    icc = im.info.get("icc_profile")
    if icc:
        try:
            from PIL import ImageCms

            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(im, src, ImageCms.createProfile("sRGB"), outputMode="RGB")
        except Exception:  # noqa: BLE001 - a broken profile: fall back to the plain formula
            pass
    return im.convert("RGB")
