"""Benchmark: every figure of issue 13, each against its baseline measured in the same
run, with the goal beside it.

    python scripts/bench.py [--repeat 5] [--rows 1000] [--batch 1000] [--renders 10000]
    python scripts/bench.py --quick        # fewer repeats, rows, records and renders
    python scripts/bench.py --intake       # formgen intake under load (scripts/bench_intake.py)

Needs the bench extra (``pip install -e ".[bench]"``: docxtpl).

Baselines:

- raw floor: the same output unzipped, its text substituted and re-zipped (DEFLATE 6);
- XlsxWriter direct: a script of its own (below) writing the 附件5 sheet formgen writes,
  the same cells, formats, merges, column widths and row heights (it is given the
  widths and heights formgen chose: it writes, it does not lay out); both files are
  re-opened with openpyxl and compared before anything is timed;
- ``python -c pass``: the interpreter's own start;
- --jobs 1: the same batch in one process (the ratio is the rate gained): the whole
  ``formgen summary`` / ``formgen fill`` command over a folder of records, three times
  each, alternately;
- peers for 附件3: docxtpl rendering a template made at the start from formgen's own
  附件3 (Jinja tags in its value cells), and python-docx filling that template's cells.

Milliseconds are medians of the repeats, the two sides of a ratio timed alternately:
CPU time of this process for what runs in it (steadier than the wall clock on a machine
others share), the wall clock for whole processes and for the --jobs batches.
Prints one Markdown table (the README's source of figures). Not a test: figures depend
on the machine and its load; compare ratios, not absolute times.
"""

from __future__ import annotations

import argparse
import io
import random
import shutil
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
from formgen.doors.opener import load  # noqa: E402
from formgen.packs.pack import get_pack  # noqa: E402
from formgen.record.written import fmt  # noqa: E402
from formgen.render import docx as docx_render  # noqa: E402
from formgen.render import xlsx as xlsx_render  # noqa: E402
from formgen.render.context import column_value, namespace  # noqa: E402

EXAMPLE = ROOT / "data" / "examples" / "shanghai-chengchuan.yaml"
GANSU = ROOT / "data" / "examples" / "gansu-longyuan.yaml"
UNIT = "上海市浦东新区科技和经济委员会"
OTHER = "另一家示例企业有限公司"


# --- timing ------------------------------------------------------------------------------


def median_ms(fn, repeat: int, clock=time.process_time) -> float:
    times = []
    for _ in range(repeat):
        t = clock()
        fn()
        times.append((clock() - t) * 1000)
    return statistics.median(times)


def paired_ms(fn, base, repeat: int, clock=time.process_time) -> tuple[float, float]:
    """Medians of ``fn`` and ``base``, timed alternately (a busy machine slows both)."""
    a, b = [], []
    for _ in range(repeat):
        for f, times in ((fn, a), (base, b)):
            t = clock()
            f()
            times.append((clock() - t) * 1000)
    return statistics.median(a), statistics.median(b)


class Table:
    """figure | ms | baseline ms | ratio | goal | met?"""

    def __init__(self):
        self.rows: list[tuple[str, ...]] = []

    def add(self, figure: str, ms: float, base: float | None, ratio: float | None, goal: str, met: bool | None):
        mark = "—" if met is None else ("是" if met else "否")
        row = (figure, f"{ms:.1f}", "—" if base is None else f"{base:.1f}", "—" if ratio is None else f"{ratio:.2f}x")
        self.rows.append((*row, goal, mark))
        print("  " + " | ".join(self.rows[-1]), file=sys.stderr, flush=True)  # progress, as each figure is done

    def at_most(self, figure: str, ms: float, base: float, goal: float | None):
        ratio = ms / base
        self.add(figure, ms, base, ratio, f"≤ {goal:g}x" if goal else "（参照）", ratio <= goal if goal else None)

    def print(self):
        print("| figure | ms | baseline ms | ratio | goal | met? |")
        print("| --- | ---: | ---: | ---: | --- | --- |")
        for row in self.rows:
            print("| " + " | ".join(row) + " |")


# --- floors and peers --------------------------------------------------------------------


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


POOL = "华信达安康泰丰盛恒源通宇鑫科创新智远博精工汇德隆昌明晟联合兴旺鼎立天成海润中实金锐"
ROADS = "康桥秀浦张江龙阳金海申江川沙祝桥航头周浦"
CODE = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def varied_records(record, n: int) -> list:
    """``n`` enterprises made from ``record``, each with its own name, factory, credit
    code, address, contact and a share of the scenarios (a real batch's text differs
    from row to row, so no row repeats another's line breaking)."""
    out = []
    scenarios = list(record.scenarios)
    for i in range(n):
        rnd = random.Random(i)
        word = "".join(rnd.choice(POOL) for _ in range(rnd.randint(2, 6)))
        road = "".join(rnd.choice(ROADS) for _ in range(2))
        e = record.enterprise.model_copy(
            update={
                "name": f"上海{word}精密机械股份有限公司"[: rnd.randint(10, 22)],
                "credit_code": "913101" + "".join(rnd.choice(CODE) for _ in range(12)),
            }
        )
        f = record.factory.model_copy(
            update={"name": f"{word}智能工厂"[:14], "address": f"浦东新区{road}镇{road}路{rnd.randint(1, 3999)}号"}
        )
        contact = record.people.contact.model_copy(
            update={
                "name": "".join(rnd.choice(POOL) for _ in range(rnd.choice((2, 3)))),
                "mobile": f"13{rnd.randint(100000000, 999999999)}",
            }
        )
        k = i % len(scenarios)
        mine = (scenarios[k:] + scenarios[:k])[: rnd.randint(1, len(scenarios))]
        people = record.people.model_copy(update={"contact": contact})
        out.append(record.model_copy(update={"enterprise": e, "factory": f, "people": people, "scenarios": mine}))
    return out


def batch_folder(folder: Path, record, n: int) -> Path:
    """``n`` copies of the Gansu example in ``folder``, each enterprise with a credit code
    (and organisation code inside it) of its own, check digits right, so none is refused
    as a duplicate."""
    from stdnum.cn import uscc

    from formgen.record.ids import org_check_char

    folder.mkdir(parents=True)
    text, code = GANSU.read_text(encoding="utf-8"), record.enterprise.credit_code
    for i in range(n):
        body = f"{71020000 + i:08d}"
        org = body + org_check_char(body)
        base = code[:8] + org
        mine = text.replace(code, base + uscc.calc_check_digit(base)).replace(code[8:17], org)
        (folder / f"r{i:05d}.yaml").write_text(mine, encoding="utf-8")
    return folder


def sheet_geometry(data: bytes) -> tuple[list[float], list[float]]:
    """The column widths (as given to XlsxWriter's set_column) and row heights of a
    one-sheet workbook."""
    import openpyxl

    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    widths = [0.0] * ws.max_column
    for dim in ws.column_dimensions.values():
        for c in range(dim.min, dim.max + 1):
            # stored as int(pixels / 7 * 256) / 256, pixels = int(width * 7 + 0.5) + 5
            widths[c - 1] = (round(dim.width * 7) - 5) / 7
    heights = [ws.row_dimensions[r].height for r in range(1, ws.max_row + 1)]
    return widths, heights


def xlsxwriter_a5(layout: dict, records: list, widths: list[float], heights: list[float]) -> bytes:
    """附件5 written with XlsxWriter directly: the annex's rows, cells and formats by
    hand, the values read straight off the records."""
    import xlsxwriter

    buf = io.BytesIO()
    options = {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
    options["default_format_properties"] = {"font_name": "Arial", "font_size": 10, "font_scheme": False}
    wb = xlsxwriter.Workbook(buf, options)
    wb.set_properties({"title": layout["title"], "author": UNIT})
    ws = wb.add_worksheet(layout["sheet"])
    font = {"font_name": "仿宋_GB2312", "font_size": 11.0}
    boxed = {**font, "border": 1, "text_wrap": True, "valign": "vcenter"}
    line = wb.add_format({**font, "align": "left", "valign": "vcenter", "text_wrap": True})
    title = wb.add_format(
        {**font, "bold": True, "font_size": 18, "align": "center", "valign": "vcenter", "text_wrap": True}
        | {"font_name": "方正小标宋简体"}
    )
    head = wb.add_format({**boxed, "bold": True, "align": "center"})
    center = wb.add_format({**boxed, "align": "center"})
    number = wb.add_format({**boxed, "align": "center", "num_format": "General"})
    left = wb.add_format({**boxed, "align": "left"})
    note = wb.add_format({**font, "align": "left", "valign": "top", "text_wrap": True})
    last = len(widths) - 1
    for i, w in enumerate(widths):
        ws.set_column(i, i, w)
    for r in range(4):
        ws.set_row(r, heights[r])
    ws.merge_range(0, 0, 0, last, "附件5", line)
    ws.merge_range(1, 0, 1, last, layout["title"], title)
    ws.merge_range(2, 0, 2, last, "推荐单位（盖章）：" + UNIT, line)
    for i, col in enumerate(layout["columns"]):
        ws.write_string(3, i, col["header"], head)
    ws.repeat_rows(3, 3)
    r = 4
    for n, rec in enumerate(records, 1):
        e, f, contact = rec.enterprise, rec.factory, rec.people.contact
        ws.set_row(r, heights[r])
        ws.write_number(r, 0, n, number)
        ws.write_string(r, 1, e.name, left)
        ws.write_string(r, 2, f.name, left)
        ws.write_string(r, 3, e.credit_code, center)
        ws.write_string(r, 4, e.industry.shanghai, center)
        ws.write_number(r, 5, float(f.cmmm.score), number)
        ws.write_string(r, 6, f"L{f.cmmm.level}", center)
        ws.write_string(r, 7, "\n".join(s.name for s in rec.scenarios), left)
        ws.write_string(r, 8, f.address, left)
        ws.write_string(r, 9, contact.name, center)
        ws.write_string(r, 10, contact.mobile, center)
        r += 1
    ws.set_row(r, heights[r])
    ws.merge_range(r, 0, r, last, layout["notes"][0], note)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.center_horizontally()
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_footer("&C&11第 &P 页，共 &N 页", {"scale_with_doc": False})
    wb.close()
    return buf.getvalue()


def sheet_content(data: bytes):
    """What a reader of a one-sheet workbook sees: every cell's value and look, the
    merges, column widths, row heights and print set-up."""
    import openpyxl

    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    cells = {}
    for row in ws.iter_rows():
        for c in row:
            if c.value is None and not c.has_style:
                continue
            f, a = c.font, c.alignment
            cells[c.coordinate] = (c.value, c.number_format, f.name, f.sz, f.b, a.horizontal, a.vertical)
            cells[c.coordinate] += (a.wrap_text, c.border.left.style, c.border.bottom.style, c.quotePrefix)
    widths = sheet_geometry(data)
    setup = (ws.page_setup.orientation, ws.page_setup.paperSize, ws.page_setup.fitToWidth, ws.print_title_rows)
    return cells, sorted(str(m) for m in ws.merged_cells.ranges), widths, setup, str(ws.oddFooter.center.text)


def same_sheet(ours: bytes, peer: bytes) -> None:
    a, b = sheet_content(ours), sheet_content(peer)
    for what, x, y in zip(("cells", "merges", "widths and heights", "page set-up", "footer"), a, b, strict=True):
        if x != y:
            if isinstance(x, dict):
                diff = [k for k in sorted(set(x) | set(y)) if x.get(k) != y.get(k)][:3]
                x, y = [(k, x.get(k)) for k in diff], [(k, y.get(k)) for k in diff]
            elif what == "widths and heights":
                x, y = (
                    [
                        (i, u, v)
                        for part in (0, 1)
                        for i, (u, v) in enumerate(zip(x[part], y[part], strict=False))
                        if u != v
                    ][:3],
                    "",
                )
            sys.exit(f"XlsxWriter 对照表与 formgen 的附件5不同（{what}）：{x} ≠ {y}")


def docx_template(data: bytes, values: dict[str, str]):
    """formgen's 附件3 with each value paragraph replaced by a Jinja tag: the template
    (bytes) and where each tag sits (table, row, column, paragraph, key)."""
    from docx import Document

    doc = Document(io.BytesIO(data))
    by_text = {text: key for key, text in values.items()}
    slots = []
    for ti, table in enumerate(doc.tables):
        seen = set()
        for ri, row in enumerate(table.rows):
            for ci, cell in enumerate(row.cells):
                if cell._tc in seen:  # a merged cell, met again
                    continue
                seen.add(cell._tc)
                for pi, para in enumerate(cell.paragraphs):
                    key = by_text.get(para.text)
                    if key and para.runs:
                        para.runs[0].text = "{{ " + key + " }}"
                        for run in para.runs[1:]:
                            run._r.getparent().remove(run._r)
                        slots.append((ti, ri, ci, pi, key))
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue(), slots


def a3_values(layout: dict, record) -> dict[str, str]:
    """The text of every one-paragraph value cell of a 附件3-like layout, by tag name."""
    ns = {"record": record, **namespace(record)}
    texts = []
    for block in layout["blocks"]:
        for row in block.get("table", {}).get("rows", []):
            for cell in row.get("cells", []):
                if isinstance(cell, dict) and (cell.get("field") or cell.get("expr")):
                    text = fmt(column_value(cell, ns))
                    if text and "\n" not in text and text not in texts:
                        texts.append(text)
    return {f"v{i}": text for i, text in enumerate(texts)}


def docxtpl_peer(template: bytes, context: dict) -> bytes:
    from docxtpl import DocxTemplate

    tpl = DocxTemplate(io.BytesIO(template))
    tpl.render(context, autoescape=True)
    buf = io.BytesIO()
    tpl.save(buf)
    return buf.getvalue()


def python_docx_peer(template: bytes, slots, context: dict) -> bytes:
    from docx import Document

    doc = Document(io.BytesIO(template))
    tables = doc.tables
    for ti, ri, ci, pi, key in slots:
        tables[ti].cell(ri, ci).paragraphs[pi].runs[0].text = context[key]
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def document_text(data: bytes) -> str:
    return zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode("utf-8")


# The child reads its own high-water mark from /proc (VmHWM): on Linux a child started by
# a large parent reports the parent's peak in ru_maxrss (fork copies the counter before exec).
RSS_SCRIPT = """
import resource, sys, time
sys.path.insert(0, {root!r})
from formgen.doors.opener import load
from formgen.packs.pack import get_pack
from formgen.render import docx
loaded = load({example!r})
layout = get_pack("shanghai").document("a3").layout
t = time.perf_counter()
for _ in range({n}):
    docx.render_single(layout, loaded.record, loaded.base_dir)
per = (time.perf_counter() - t) * 1000 / {n}
try:
    with open("/proc/self/status") as f:
        kib = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(kib, per)
"""


# --- the run -------------------------------------------------------------------------------


def main() -> None:
    if sys.argv[1:2] == ["--intake"]:  # the intake's load figures (issue 28): scripts/bench_intake.py
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import bench_intake

        return bench_intake.main(sys.argv[2:])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5, help="times each figure is measured (the median is shown)")
    ap.add_argument("--rows", type=int, default=1000, help="rows on the 附件5 sheets")
    ap.add_argument("--batch", type=int, default=1000, help="records in the --jobs comparison")
    ap.add_argument("--renders", type=int, default=10000, help="附件3 renders in the peak-memory process")
    ap.add_argument("--quick", action="store_true", help="3 repeats, 200 rows, 100 records, 1000 renders")
    args = ap.parse_args()
    try:
        import docxtpl  # noqa: F401
    except ImportError:
        sys.exit("缺少 docxtpl（附件3 的对照）：pip install -e '.[bench]'")
    if args.quick:
        args.repeat, args.rows, args.batch, args.renders = 3, 200, 100, 1000
    table = Table()

    ensure_figures(EXAMPLE)
    pack, gansu = get_pack("shanghai"), get_pack("gansu")
    loaded, g = load(EXAMPLE), load(GANSU)
    record = loaded.record

    # Whole processes against the interpreter's own start. formgen's modules are compiled
    # first, as an installed copy has them: with PYTHONDONTWRITEBYTECODE set (as on CI
    # machines) every run would otherwise compile cli.py and the rest from source again.
    import compileall

    compileall.compile_dir(ROOT / "formgen", quiet=1)
    processes = {
        "`formgen --help`": ([sys.executable, "-m", "formgen", "--help"], 3),
        "`formgen validate` 上海示例（整个进程）": (
            [sys.executable, "-m", "formgen", "validate", str(EXAMPLE), "--pack", "shanghai"],
            4,
        ),
    }
    # What validate cannot go below: the libraries every command of it needs (click,
    # PyYAML) and the record model, whose pydantic validators are built at import.
    floor = "import click, yaml, formgen.record.model"
    processes[f"`python -c '{floor}'`（validate 的下限：记录模型）"] = ([sys.executable, "-c", floor], None)
    for label, (cmd, goal) in processes.items():
        ms, base = paired_ms(
            lambda cmd=cmd: subprocess.run(cmd, check=False, capture_output=True),
            lambda: subprocess.run([sys.executable, "-c", "pass"], check=True),
            args.repeat,
            time.perf_counter,
        )
        table.at_most(f"{label} vs `python -c pass`", ms, base, goal)

    # Single-record documents against their raw floor.
    singles = {
        "上海附件3 信息表": (pack.document("a3").layout, loaded),
        "上海附件4 申报书（10张配图）": (pack.document("a4").layout, loaded),
    }
    for doc_id in ("a2", "a3", "a4"):
        singles[f"甘肃{gansu.document(doc_id).title.split(' ')[0]}"] = (gansu.document(doc_id).layout, g)
    for label, (layout, rec) in singles.items():

        def render(layout=layout, rec=rec):
            return docx_render.render_single(layout, rec.record, rec.base_dir)

        out, old = render(), rec.record.enterprise.name
        ms, base = paired_ms(render, lambda out=out, old=old: raw_floor(out, old, OTHER), args.repeat)
        table.at_most(f"{label} docx vs raw floor", ms, base, 3)

    # Peers on 附件3: docxtpl and python-docx, from a template made of formgen's own output.
    a3 = pack.document("a3").layout
    ours = docx_render.render_single(a3, record, loaded.base_dir)
    values = a3_values(a3, record)
    template, slots = docx_template(ours, values)
    for name, peer in (
        ("docxtpl", lambda: docxtpl_peer(template, values)),
        ("python-docx 填模板", lambda: python_docx_peer(template, slots, values)),
    ):
        if record.enterprise.name not in document_text(peer()):
            sys.exit(f"{name} 对照没有写出企业名称")
        ms, base = paired_ms(lambda: docx_render.render_single(a3, record, loaded.base_dir), peer, args.repeat)
        table.at_most(f"上海附件3: formgen vs {name}（{len(slots)}个值单元格）", ms, base, None)

    # The 附件5 sheets with a row per enterprise.
    a5 = pack.document("a5").layout
    records = varied_records(record, args.rows)
    rows = [{"record": r, "item": None, "index": i + 1, **namespace(r)} for i, r in enumerate(records)]
    header = {"unit": UNIT, "recommender": None}
    meta = {"title": a5["title"], "author": UNIT}

    def xlsx():
        return xlsx_render.render(a5, rows, header, False, meta)

    ours = xlsx()
    widths, heights = sheet_geometry(ours)
    same_sheet(ours, xlsxwriter_a5(a5, records, widths, heights))
    ms, base = paired_ms(xlsx, lambda: xlsxwriter_a5(a5, records, widths, heights), args.repeat)
    table.at_most(f"附件5 xlsx（{args.rows}行）vs XlsxWriter 直写", ms, base, 1.5)
    floor = median_ms(lambda: raw_floor(ours, records[0].enterprise.name, OTHER), args.repeat)
    table.at_most(f"附件5 xlsx（{args.rows}行）vs raw floor", ms, floor, None)

    def sheet_docx():
        return docx_render.render_multi(a5, rows, header, False, meta)

    out = sheet_docx()
    ms, base = paired_ms(sheet_docx, lambda: raw_floor(out, records[0].enterprise.name, OTHER), args.repeat)
    table.at_most(f"附件5 docx（{args.rows}行）vs raw floor", ms, base, 5)

    # Batches: the whole summary and fill commands over a folder of records, with --jobs 1
    # and --jobs 2 (a fresh process each, as a bureau runs them).
    with tempfile.TemporaryDirectory() as tmp:
        folder = batch_folder(Path(tmp) / "records", g.record, args.batch)
        for label, cmd in (
            (
                "summary（整个命令）",
                ["summary", str(folder), "--pack", "gansu", "--unit", "兰州市工业和信息化局", "--draft"],
            ),
            ("fill（整个命令）", ["fill", str(folder), "--pack", "gansu"]),
        ):
            times: dict[int, list[float]] = {1: [], 2: []}
            for turn in range(min(args.repeat, 3)):  # alternately, each into a new folder
                for jobs in (1, 2):
                    out = Path(tmp) / f"{cmd[0]}-{jobs}-{turn}"
                    run = [sys.executable, "-m", "formgen", *cmd, "--out", str(out), "--jobs", str(jobs)]
                    t = time.perf_counter()
                    done = subprocess.run(run, capture_output=True, text=True)
                    times[jobs].append((time.perf_counter() - t) * 1000)
                    if done.returncode not in (0, 3) or not any(out.rglob("*.*")):
                        sys.exit(f"formgen {cmd[0]} --jobs {jobs} 失败（{done.returncode}）：{done.stderr[-500:]}")
                    shutil.rmtree(out)
            ms = {jobs: statistics.median(t) for jobs, t in times.items()}
            rate = ms[1] / ms[2]
            table.add(
                f"{args.batch}份记录 {label} --jobs 2 vs --jobs 1", ms[2], ms[1], rate, "≥ 1.8x 速率", rate >= 1.8
            )

    # Peak memory of one process rendering 附件3 over and over.
    script = RSS_SCRIPT.format(root=str(ROOT), example=str(EXAMPLE), n=args.renders)
    done = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True)
    rss_kib, per_render = done.stdout.split()
    mib = int(rss_kib) / 1024
    table.add(
        f"{args.renders}次渲染附件3的峰值内存（MiB；每份 {float(per_render):.1f} ms）",
        mib,
        150,
        mib / 150,
        "≤ 150 MiB",
        mib <= 150,
    )

    # The whole fill command for one record, validation included (no goal: for the README).
    with tempfile.TemporaryDirectory() as tmp:
        n = [0]

        def whole():
            n[0] += 1
            loaded_ = load(EXAMPLE)
            app.validate(loaded_, pack)
            app.fill(loaded_, pack, Path(tmp) / str(n[0]))

        ms = median_ms(whole, args.repeat, time.perf_counter)
    table.add("上海 fill 全流程（载入+检查+生成+写入）", ms, None, None, "（参照）", None)
    table.print()


if __name__ == "__main__":
    main()
