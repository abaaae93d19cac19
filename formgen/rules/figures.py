"""Figures (上海申报书 配图): count, pixels and file size, and whether fill can embed
each one (``formgen.render.images.probe``: headers and file structure, no full decode).

FG002 is the promise that what validate accepts, fill renders: a missing or empty
file, one outside the record's folder, a format other than JPEG/PNG/BMP (GIF, TIFF,
WebP, SVG, a text file named .jpg), a truncated file, a file over 50 MB or over
Pillow's decompression-bomb pixel limit are each reported, never raised.

Configured by ``checks.figures``: ``min_count``, ``min_megapixels``, ``min_mb``
(1 MB = 1024 x 1024 bytes, as Windows shows file sizes).
"""

from pathlib import PurePath

from ..render.images import probe
from . import ERROR, Hit, rule


def _figures(ctx):
    cfg = ctx.check("figures")
    if not cfg:
        return None, []
    return cfg, list(enumerate(ctx.record.figures))


@rule("FG001", ERROR, "配图数量不足")
def enough(ctx):
    cfg, figs = _figures(ctx)
    if cfg and len(figs) < cfg.get("min_count", 0):
        yield Hit("figures", f"共 {len(figs)} 张，不少于 {cfg['min_count']} 张")


def _name(file: str) -> str:
    """A figure's file by its name, as the enterprise saved it (no folder: a finding may
    reach a letter).

    >>> _name("figures/图1.jpg")
    '图1.jpg'
    """
    return PurePath(file.replace("\\", "/")).name or file


@rule("FG002", ERROR, "配图文件缺失、无法识别或无法插入 Word")
def readable(ctx):
    cfg, figs = _figures(ctx)
    for i, f in figs:
        if not f.file:
            continue
        info = probe(ctx.loaded.base_dir, f.file)
        if info.problem:
            yield Hit(f"figures[{i}].file", f"“{_name(f.file)}”：{info.problem}")


def _readable(ctx):
    """(index, figure, image info, settings) for each figure whose file can be read."""
    cfg, figs = _figures(ctx)
    for i, f in figs:
        if f.file:
            info = probe(ctx.loaded.base_dir, f.file)
            if not info.problem:
                yield i, f, info, cfg


@rule("FG003", ERROR, "配图像素不足")
def pixels(ctx):
    for i, f, info, cfg in _readable(ctx):
        need = cfg.get("min_megapixels")
        pixels, floor = info.width * info.height, int(need * 1_000_000) if need else 0
        if need and pixels < floor:
            # exact figures: a rounded "8.0 百万像素" next to a limit of 8 would be no help
            yield Hit(
                f"figures[{i}].file",
                f"“{_name(f.file)}”为 {info.width}×{info.height} = {pixels:,} 像素 < {floor:,}（不低于 {need} 百万像素）",
            )


@rule("FG004", ERROR, "配图文件太小")
def file_size(ctx):
    """Judged on what fill embeds (a CMYK JPEG goes in re-encoded as RGB, an MPO as its
    first frame), which is what ``formgen check`` measures in the filled document."""
    for i, f, info, cfg in _readable(ctx):
        need = cfg.get("min_mb")
        floor = int(need * 1024 * 1024) if need else 0
        limit = f"（不低于 {need} MB，1 MB = 1,048,576 字节）"
        if not need:
            continue
        if info.bytes < floor:
            yield Hit(f"figures[{i}].file", f"“{_name(f.file)}”为 {info.bytes:,} 字节 < {floor:,} 字节{limit}")
        elif info.embedded and info.embedded < floor:
            again = "RGB 色彩的 JPEG（提高品质或尺寸）" if info.mode == "CMYK" else "普通的 JPEG"
            yield Hit(
                f"figures[{i}].file",
                f"“{_name(f.file)}”为 {info.bytes:,} 字节，但{info.conversion}，插入申报书后为 {info.embedded:,} 字节"
                f" < {floor:,} 字节{limit}；请另存为{again}后再用",
            )


@rule("FG005", ERROR, "配图缺少说明文字")
def captioned(ctx):
    cfg, figs = _figures(ctx)
    for i, f in figs:
        if cfg and f.file and not (f.caption or "").strip():
            yield Hit(f"figures[{i}].caption", "每张配图须附说明性文字（图题）")
