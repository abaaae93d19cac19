"""Benchmark: time to produce each Shanghai document, against a raw floor measured in
the same run on the same output (unzip it, substitute its text, re-zip with DEFLATE 6).

    python scripts/bench.py [--repeat 5] [--rows 200]

Prints milliseconds (median of the repeats) and the ratio to the floor. Not a test:
figures depend on the machine; compare ratios, not absolute times.
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from formgen import app  # noqa: E402
from formgen.demo import ensure_figures  # noqa: E402
from formgen.loader import load  # noqa: E402
from formgen.packs import get_pack  # noqa: E402
from formgen.render import docx as docx_render  # noqa: E402
from formgen.render import xlsx as xlsx_render  # noqa: E402
from formgen.render.context import namespace  # noqa: E402

EXAMPLE = ROOT / "data" / "examples" / "shanghai-chengchuan.yaml"


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def raw_floor(data: bytes, old: str, new: str) -> bytes:
    """Unzip ``data``, replace ``old`` by ``new`` in every XML part, re-zip."""
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as dst:
        for info in src.infolist():
            part = src.read(info)
            if info.filename.endswith(".xml"):
                part = part.decode("utf-8").replace(old, new).encode("utf-8")
            dst.writestr(info.filename, part)
    return buf.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--rows", type=int, default=200, help="records on the 附件5 sheet")
    ap.add_argument("--batch", type=int, default=100, help="records in the --jobs comparison")
    args = ap.parse_args()

    ensure_figures(EXAMPLE)
    pack = get_pack("shanghai")
    loaded = load(EXAMPLE)
    record = loaded.record
    name = record.enterprise.name
    rows_ns = [{"record": record, "index": i + 1, **namespace(record)} for i in range(args.rows)]
    header = {"unit": "上海市浦东新区科技和经济委员会", "recommender": None}
    a5 = pack.document("a5")

    cases = {
        "附件3 信息表 docx": lambda: docx_render.render_single(pack.document("a3").layout, record, loaded.base_dir),
        "附件4 申报书 docx（10张配图）": lambda: docx_render.render_single(
            pack.document("a4").layout, record, loaded.base_dir
        ),
        f"附件5 汇总表 xlsx（{args.rows}行）": lambda: xlsx_render.render(a5.layout, rows_ns, header),
        f"附件5 汇总表 docx（{args.rows}行）": lambda: docx_render.render_multi(a5.layout, rows_ns, header),
    }
    gansu = get_pack("gansu")
    g = load(ROOT / "data" / "examples" / "gansu-longyuan.yaml")
    for doc_id in ("a2", "a3"):
        layout = gansu.document(doc_id).layout
        cases[f"甘肃{gansu.document(doc_id).title.split(' ')[0]} docx"] = lambda layout=layout: (
            docx_render.render_single(layout, g.record, g.base_dir)
        )
    print(f"{'文档':<28}{'formgen ms':>12}{'raw floor ms':>14}{'ratio':>8}")
    for label, fn in cases.items():
        out = fn()
        ms = median_ms(fn, args.repeat)
        old = g.record.enterprise.name if label.startswith("甘肃") else name
        floor = median_ms(lambda out=out, old=old: raw_floor(out, old, "另一家示例企业有限公司"), args.repeat)
        print(f"{label:<28}{ms:>12.1f}{floor:>14.1f}{ms / floor:>8.2f}")

    # Whole processes against the interpreter's own start, in the same run (issue 13's goals).
    base = median_ms(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), args.repeat)
    processes = {
        "formgen --help": ([sys.executable, "-m", "formgen", "--help"], 3),
        "formgen validate 上海示例": (
            [sys.executable, "-m", "formgen", "validate", str(EXAMPLE), "--pack", "shanghai"],
            4,
        ),
    }
    print(f"{'进程':<28}{'ms':>12}{'python -c pass':>16}{'ratio':>8}{'goal':>8}")
    for label, (cmd, goal) in processes.items():
        ms = median_ms(lambda cmd=cmd: subprocess.run(cmd, check=False, capture_output=True), args.repeat)
        print(f"{label:<28}{ms:>12.1f}{base:>16.1f}{ms / base:>8.1f}{'≤' + str(goal) + 'x':>8}")

    # Batches: the same records checked (summary) and rendered (fill) in one process and in two.
    import datetime as dt

    today = dt.date.today()
    entries = app.load_entries([ROOT / "data" / "examples" / "gansu-longyuan.yaml"] * args.batch, gansu)
    packs = [gansu] * len(entries)
    print(f"{'批量（' + str(args.batch) + '份记录）':<28}{'--jobs 1 ms':>12}{'--jobs 2 ms':>16}{'rate':>8}{'goal':>8}")
    for label, func, extra in (
        ("summary（检查）", app._batch_findings, (today,)),
        ("fill（检查+生成）", app.filled, (today, True)),
    ):
        one = median_ms(lambda f=func, x=extra: list(app.batch_map(f, entries, packs, x, 1)), 1)
        two = median_ms(lambda f=func, x=extra: list(app.batch_map(f, entries, packs, x, 2)), 1)
        print(f"{label:<28}{one:>12.1f}{two:>16.1f}{one / two:>8.2f}{'≥1.8x':>8}")

    # The whole command, validation included, for one record.
    with tempfile.TemporaryDirectory() as tmp:
        n = [0]

        def whole():
            n[0] += 1
            loaded_ = load(EXAMPLE)
            app.validate(loaded_, pack)
            app.fill(loaded_, pack, Path(tmp) / str(n[0]))

        print(f"{'fill 全流程（载入+检查+生成+写入）':<28}{median_ms(whole, args.repeat):>12.1f}")


if __name__ == "__main__":
    main()
