"""Image facts from the file header only (Pillow opens lazily; nothing is decoded)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

# Formats Word embeds and prints reliably.
EMBEDDABLE = {"JPEG", "PNG", "BMP", "GIF", "TIFF"}


@dataclass(frozen=True)
class ImageInfo:
    width: int = 0
    height: int = 0
    bytes: int = 0
    format: str = ""
    problem: str = ""


@functools.lru_cache(maxsize=512)
def _probe(path: str, mtime: float, size: int) -> ImageInfo:
    try:
        with Image.open(path) as im:
            fmt = im.format or ""
            w, h = im.size
    except (UnidentifiedImageError, OSError) as e:
        return ImageInfo(bytes=size, problem=f"不是可识别的图片（{e.__class__.__name__}）")
    if fmt not in EMBEDDABLE:
        return ImageInfo(w, h, size, fmt, f"图片格式 {fmt} 无法插入 Word，请用 JPEG 或 PNG")
    return ImageInfo(w, h, size, fmt)


def probe(base_dir: Path, name: str) -> ImageInfo:
    """Facts about the image file ``name`` of a record in ``base_dir``."""
    from .record import record_file

    path, problem = record_file(base_dir, name)
    if path is None:
        return ImageInfo(problem=problem)
    st = path.stat()
    return _probe(str(path), st.st_mtime, st.st_size)
