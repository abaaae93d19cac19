"""Figures: what validate may accept, and the bytes fill embeds for each.

``probe`` says whether a figure can go into a Word document and gives the facts the
rules check (pixels, bytes). It reads the file (capped at ``MAX_BYTES``) and walks its
structure - JPEG segments and entropy-coded data up to the end-of-image marker, PNG
chunks up to IEND - but decodes nothing, except a 1/8-scale JPEG decode (or, for the
rare PNG/BMP python-docx cannot read, a full one) of a figure that fill will have to
re-encode, so that validate never accepts what fill cannot embed.

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
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import BmpImagePlugin, Image, JpegImagePlugin, PngImagePlugin

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


@dataclass(frozen=True)
class Embedded:
    """What fill puts in the document: ``data`` to embed, or the ``problem``."""

    data: bytes = b""
    problem: str = ""
    width: int = 0
    height: int = 0


def max_pixels() -> int:
    """Pillow's decompression-bomb limit (it warns above it, refuses above twice it)."""
    return Image.MAX_IMAGE_PIXELS or 89_478_485


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
            with Image.open(io.BytesIO(data)) as im:
                return im.format or ""
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
    """python-docx parses the header, gets the pixel size Pillow gets and can scale it."""
    from docx.image.image import Image as DocxImage
    from docx.shared import Cm

    try:
        im = DocxImage.from_blob(blob)
        im.scaled_dimensions(width=Cm(14.5))  # a zero dpi would divide by zero here
        got = (im.px_width, im.px_height)
    except Exception:  # noqa: BLE001 - python-docx raises many kinds for odd headers
        return False
    return size is None or got == size


# ---------------------------------------------------------------- open, probe, embed


def _open(data: bytes, fmt: str):
    """Open with the format's plugin: header only, and no Pillow decompression-bomb
    check (formgen applies the same limit itself and reports it as a finding)."""
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
            if mode == "CMYK":
                # CMYK and YCCK (Pillow reads both as CMYK): python-docx cannot read
                # libjpeg's header for them (Adobe APP14 first, no JFIF), and Office does
                # not colour-manage pictures, so they go in as RGB through their profile
                plan = REENCODE
            elif fmt == "JPEG" and _docx_reads(data, (w, h)):
                plan = AS_IS
            elif _jpeg_lossless(data, fmt, (w, h)) is not None:
                plan = FIRST_FRAME if fmt == "MPO" else HEADER
            else:
                plan = REENCODE
        else:
            if kind == "PNG":
                _png_complete(data)
                plain = True
            else:
                plain = _bmp_complete(data, im)
            plan = AS_IS if plain and _docx_reads(data, (w, h)) else REENCODE
        if plan == REENCODE:
            _decodes(im, kind)
    return ImageInfo(w, h, size, fmt, "", mode, plan)


def _decodes(im, kind: str) -> None:
    """Decode once to make sure re-encoding will work: a JPEG at 1/8 scale (every
    entropy-coded byte is still read), anything else in full (bounded by the limit)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if kind == "JPEG":
                im.draft(None, (max(1, im.width // 8), max(1, im.height // 8)))
            im.load()
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


@functools.lru_cache(maxsize=512)
def _probe(path: str, mtime: float, size: int) -> ImageInfo:
    if size > MAX_BYTES:
        return ImageInfo(bytes=size, problem=_too_big(size))
    try:
        return _examine(_read(Path(path)))
    except _Refused as e:
        return ImageInfo(bytes=size, problem=str(e))
    except OSError as e:
        return ImageInfo(bytes=size, problem=f"文件无法读取（{e.__class__.__name__}）")
    except Exception as e:  # noqa: BLE001 - a hostile file must give a finding, never a crash
        return ImageInfo(bytes=size, problem=f"不是可识别的图片（{e.__class__.__name__}）")


def probe(base_dir: Path, name: str) -> ImageInfo:
    """Facts about the image file ``name`` of a record in ``base_dir``; ``problem`` is
    set when fill could not embed it."""
    from .record import record_file

    path, problem = record_file(base_dir, name)
    if path is None:
        return ImageInfo(problem=problem)
    try:
        st = path.stat()
    except OSError:
        return ImageInfo(problem="文件不存在")
    return _probe(str(path), st.st_mtime, st.st_size)


def embeddable(base_dir: Path, name: str) -> Embedded:
    """The bytes to embed for figure ``name``, or the problem; never raises."""
    from .record import record_file

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


def _to_srgb(im: Image.Image) -> Image.Image:
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
