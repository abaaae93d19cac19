"""``formgen demo``: make the example's figures, then produce every Shanghai document.

The figures are generated rather than committed: each is a 3300x2500 JPEG (8.25
million pixels) of about 6.6 MB, which is what the Shanghai rule asks for.
"""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from . import app
from .datafiles import data_dir
from .doors.opener import load
from .output import OutputError, plan, write_all
from .packs.pack import get_pack

WIDTH, HEIGHT = 3300, 2500
EXAMPLE = "examples/shanghai-chengchuan.yaml"


def make_figure(path: Path, number: int, seed: int | None = None) -> None:
    """A demonstration figure that meets 8 megapixels and 5 MB: a gradient with fine
    noise (so JPEG cannot shrink it below the limit) and a large figure number."""
    noise = Image.frombytes("L", (WIDTH, HEIGHT), os.urandom(WIDTH * HEIGHT))
    ramp = Image.linear_gradient("L").resize((WIDTH, HEIGHT))
    img = Image.merge(
        "RGB", (Image.blend(ramp, noise, 0.5), Image.blend(ramp, noise, 0.8), Image.blend(ramp.rotate(180), noise, 0.6))
    )
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=260)
    draw.rectangle([150, 150, 1850, 650], fill=(255, 255, 255))
    draw.text((220, 240), f"Figure {number}", fill=(20, 20, 20), font=font)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    img.save(tmp, format="JPEG", quality=92)
    os.replace(tmp, path)


def ensure_figures(record_path: Path) -> list[Path]:
    loaded = load(record_path)
    made = []
    for i, fig in enumerate(loaded.record.figures, 1):
        target = loaded.base_dir / fig.file
        if not target.exists():
            make_figure(target, i)
            made.append(target)
    return made


def run_demo(out_dir: Path, force: bool, echo=print) -> list[Path]:
    record_path = data_dir() / EXAMPLE
    made = ensure_figures(record_path)
    if made:
        echo(f"已生成示例配图 {len(made)} 张：{made[0].parent}")
    pack = get_pack("shanghai")
    loaded = load(record_path)
    findings = app.validate(loaded, pack)
    for f in findings:
        echo(f.text())
    if any(f.is_error for f in findings):
        raise OutputError("示例记录有错误，未生成文件。")
    doc = next(d for d in pack.documents if not d.single)
    batch = app.build_batch([record_path], pack, quota=5)
    files = app.render_single(loaded, pack, draft=False)
    files += app.render_multi(doc, batch, "上海市浦东新区科技和经济委员会", draft=False)
    paths = plan(out_dir, [name for name, _ in files])
    write_all(list(zip(paths, [data for _, data in files], strict=True)), force=force)
    return paths
