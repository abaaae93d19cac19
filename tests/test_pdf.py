"""PDF copies through LibreOffice (formgen.render.pdf): one soffice run for a whole set, one PDF
per document in order, bookmarks, private profiles, clear errors. The tests that run
LibreOffice skip, saying why, when it (or poppler's pdfinfo) is not installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from formgen.cli import main
from formgen.render import pdf

ROOT = Path(__file__).resolve().parent.parent
GANSU = ROOT / "data" / "examples" / "gansu-longyuan.yaml"
UNIT = "兰州市工业和信息化局"
POSIX = pytest.mark.skipif(os.name == "nt", reason="POSIX 进程组与 shell 脚本")


def _soffice() -> str:
    try:
        return pdf.find_soffice()
    except pdf.SofficeNotFound:
        pytest.skip("LibreOffice (soffice) 未安装：跳过生成 PDF 的检查")


def _poppler(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        pytest.skip(f"poppler 的 {tool} 未安装（Debian: poppler-utils）：跳过检查 PDF 内容")
    return found


def _info(data: bytes, tmp: Path) -> dict[str, str]:
    """pdfinfo's fields for a PDF: proves it is one a real reader opens."""
    f = tmp / f"info-{time.monotonic_ns()}.pdf"
    f.write_bytes(data)
    r = subprocess.run([_poppler("pdfinfo"), str(f)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in r.stdout.splitlines() if ":" in line)}


def _text(data: bytes, tmp: Path) -> str:
    f = tmp / f"text-{time.monotonic_ns()}.pdf"
    f.write_bytes(data)
    return subprocess.run([_poppler("pdftotext"), str(f), "-"], capture_output=True, text=True).stdout


def _bookmarks(data: bytes, tmp: Path) -> list[str]:
    """The PDF's outline (bookmark) titles, as poppler reads them (pdftohtml -xml)."""
    f = tmp / f"outline-{time.monotonic_ns()}.pdf"
    f.write_bytes(data)
    r = subprocess.run([_poppler("pdftohtml"), "-xml", "-i", "-q", "-stdout", str(f)], capture_output=True)
    root = ET.fromstring(r.stdout)
    return [" ".join(item.itertext()).strip() for item in root.iter("item")]


@pytest.fixture(scope="module")
def gansu_set(tmp_path_factory) -> list[Path]:
    """Every file `fill` and `summary` write for the Gansu example, in their order."""
    out = tmp_path_factory.mktemp("gansu")
    runner = CliRunner()
    r = runner.invoke(main, ["fill", str(GANSU), "--pack", "gansu", "--out", str(out / "fill")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["summary", str(GANSU), "--pack", "gansu", "--unit", UNIT, "--out", str(out / "sum")])
    assert r.exit_code == 0, r.output
    files = [Path(line.split("：", 1)[1]) for line in r.output.splitlines() if line.startswith("已生成：")]
    fills = sorted((out / "fill").iterdir())
    assert [f.suffix for f in fills] == [".docx", ".docx"]
    assert sorted(f.suffix for f in files) == [".docx", ".xlsx", ".xlsx", ".xlsx"]
    return fills + files


def _fake_soffice(tmp: Path, body: str) -> str:
    """A stand-in for soffice (a Python script) running ``body`` with ``outdir`` and
    ``inputs`` taken from the command line."""
    script = tmp / "soffice"
    script.write_text(
        f"#!{sys.executable}\n"
        + textwrap.dedent(
            """\
            import os, sys, time, subprocess
            args = sys.argv[1:]
            outdir = args[args.index("--outdir") + 1]
            inputs = args[args.index("--outdir") + 2:]
            os.makedirs(outdir, exist_ok=True)
            """
        )
        + textwrap.dedent(body),
        encoding="utf-8",
    )
    script.chmod(0o755)
    return str(script)


# --- with LibreOffice -----------------------------------------------------------------


def test_gansu_set_converts_in_one_run_one_pdf_per_file_in_order(gansu_set, tmp_path, monkeypatch):
    _soffice()
    runs = []
    real_popen = subprocess.Popen

    def counting_popen(cmd, *a, **kw):
        runs.append(cmd)
        return real_popen(cmd, *a, **kw)

    monkeypatch.setattr(subprocess, "Popen", counting_popen)
    sources = [(f.name, f.read_bytes()) for f in gansu_set[:3]] + gansu_set[3:]  # bytes and paths alike
    pdfs = pdf.convert(sources)
    monkeypatch.undo()
    assert len(runs) == 1 and "--convert-to" in runs[0]
    assert any(a.startswith("-env:UserInstallation=file:") for a in runs[0])
    assert len(pdfs) == len(gansu_set)
    for src, data in zip(gansu_set, pdfs, strict=True):
        info = _info(data, tmp_path)
        assert int(info["Pages"]) >= 1
        assert info["Creator"] == ("Writer" if src.suffix == ".docx" else "Calc"), src.name
        number = src.name.split("_")[0]  # 附件N: each PDF is the document at its place
        assert number in _text(data, tmp_path).replace(" ", ""), src.name
        if src.suffix == ".xlsx":
            assert _bookmarks(data, tmp_path), src.name  # Calc: one bookmark per sheet


def test_writer_headings_become_bookmarks_named_after_them(tmp_path):
    _soffice()
    d = docx.Document()
    d.add_heading("一、企业情况概述", 1)
    d.add_paragraph("正文")
    d.add_heading("（一）申报单位概况", 2)
    d.add_paragraph("正文")
    d.add_heading("二、代表产线情况概述", 1)
    d.save(tmp_path / "h.docx")
    (data,) = pdf.convert([tmp_path / "h.docx"])
    assert _bookmarks(data, tmp_path) == ["一、企业情况概述", "（一）申报单位概况", "二、代表产线情况概述"]


def test_generated_documents_carry_heading_bookmarks(gansu_set, tmp_path):
    _soffice()
    a3 = next(f for f in gansu_set if f.name.startswith("附件3"))
    (data,) = pdf.convert([a3])
    marks = _bookmarks(data, tmp_path)  # the layout's headings, levels 1 and 2
    assert marks[:2] == [
        "一、企业情况概述",
        "（一）申报单位概况：成立时间、发展历程、资本性质、组织结构、财务状况、经营情况等；",
    ]
    assert "三、代表产线具体情况介绍" in marks


def test_same_named_docx_and_xlsx_each_get_their_pdf(gansu_set, tmp_path):
    _soffice()
    docx_file = next(f for f in gansu_set if f.name.startswith("附件8"))
    xlsx_file = next(f for f in gansu_set if f.name.startswith("附件1"))
    names = ["附件5_推荐汇总表_某单位.xlsx", "附件5_推荐汇总表_某单位.docx"]
    pdfs = pdf.convert([(names[0], xlsx_file.read_bytes()), (names[1], docx_file.read_bytes())])
    assert [_info(p, tmp_path)["Creator"] for p in pdfs] == ["Calc", "Writer"]
    assert pdf.pdf_names(names) == ["附件5_推荐汇总表_某单位_xlsx.pdf", "附件5_推荐汇总表_某单位_docx.pdf"]


def test_two_conversions_at_once_both_succeed(gansu_set, tmp_path, monkeypatch):
    _soffice()
    work = tmp_path / "tmp"
    work.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(work))
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(pdf.convert, gansu_set[:3])
        second = pool.submit(pdf.convert, gansu_set[3:])
        results = first.result() + second.result()
    assert len(results) == len(gansu_set)
    assert all(int(_info(p, tmp_path)["Pages"]) >= 1 for p in results)
    assert list(work.iterdir()) == []  # profiles, copies and PDFs removed


def test_a_file_libreoffice_cannot_load_is_named(tmp_path):
    _soffice()
    good = docx.Document()
    good.add_paragraph("好")
    good.save(tmp_path / "good.docx")
    import zipfile

    with zipfile.ZipFile(tmp_path / "bad.docx", "w") as z:  # a zip, but no document inside
        z.writestr("nothing.txt", "x")
    with pytest.raises(pdf.PdfError) as e:
        pdf.convert([tmp_path / "good.docx", ("附件3_坏文件.docx", (tmp_path / "bad.docx").read_bytes())])
    msg = str(e.value)
    assert "附件3_坏文件.docx" in msg and "good.docx" not in msg and "\n" not in msg


# --- without LibreOffice (stand-ins) ------------------------------------------------------


def test_missing_soffice_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("FORMGEN_SOFFICE", str(tmp_path / "nowhere" / "soffice"))
    monkeypatch.setenv("PATH", "")
    with pytest.raises(pdf.SofficeNotFound) as e:
        pdf.convert([("附件3.docx", b"PK")])
    msg = str(e.value)
    assert "\n" not in msg
    assert "FORMGEN_SOFFICE" in msg and str(tmp_path / "nowhere" / "soffice") in msg
    assert "apt-get install libreoffice-writer-nogui libreoffice-calc-nogui" in msg
    assert isinstance(e.value, pdf.PdfError)


def test_not_installed_anywhere(monkeypatch):
    monkeypatch.delenv("FORMGEN_SOFFICE", raising=False)
    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr(pdf, "SOFFICE_LOCATIONS", [])
    with pytest.raises(pdf.SofficeNotFound, match=r"^未找到 LibreOffice（soffice）.*apt-get install .*PATH"):
        pdf.find_soffice()


@POSIX
def test_formgen_soffice_may_name_the_installation_folder(tmp_path, monkeypatch):
    program = tmp_path / "LibreOffice" / "program"
    program.mkdir(parents=True)
    (program / "soffice").write_text("#!/bin/sh\n", encoding="utf-8")
    (program / "soffice").chmod(0o755)
    monkeypatch.setenv("FORMGEN_SOFFICE", str(tmp_path / "LibreOffice"))
    assert pdf.find_soffice() == str(program / "soffice")


def test_a_file_that_is_not_a_document_is_refused_before_libreoffice_starts(tmp_path):
    never = str(tmp_path / "never-run")
    with pytest.raises(pdf.PdfError, match="附件3_坏.docx 不是有效的 Office 文件"):
        pdf.convert([("附件3_坏.docx", b"not a zip")], soffice=never)
    assert pdf.convert([], soffice=never) == []


@POSIX
def test_no_pdf_for_a_file_names_it_and_cleans_up(tmp_path, monkeypatch):
    soffice = _fake_soffice(
        tmp_path,
        """
        with open(os.path.join(outdir, "0.pdf"), "wb") as f:
            f.write(b"%PDF-1.6\\n...\\n%%EOF\\n")
        print("Error: source file could not be loaded")
        """,
    )
    work = tmp_path / "tmp"
    work.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(work))
    with pytest.raises(pdf.PdfError) as e:
        pdf.convert(
            [("a.docx", b"PK\x05\x06" + b"\0" * 18), ("附件7_汇总表.xlsx", b"PK\x05\x06" + b"\0" * 18)], soffice=soffice
        )
    assert "附件7_汇总表.xlsx" in str(e.value) and "a.docx" not in str(e.value)
    assert "source file could not be loaded" in str(e.value)
    assert list(work.iterdir()) == []


def _dead(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:  # a zombie nobody reaps (no init in a container) is dead all the same
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except OSError:
        return True


@POSIX
def test_timeout_kills_the_whole_process_tree(tmp_path, monkeypatch):
    soffice = _fake_soffice(
        tmp_path,
        f"""
        child = subprocess.Popen(["sleep", "300"])
        open({str(tmp_path / "child.pid")!r}, "w").write(str(child.pid))
        time.sleep(300)
        """,
    )
    work = tmp_path / "tmp"
    work.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(work))
    started = time.monotonic()
    with pytest.raises(pdf.PdfError, match=r"超时.*已终止.*附件3_申报书.docx") as e:
        pdf.convert([("附件3_申报书.docx", b"PK\x05\x06" + b"\0" * 18)], soffice=soffice, timeout=2)
    assert time.monotonic() - started < 30 and "\n" not in str(e.value)
    child = int((tmp_path / "child.pid").read_text())
    deadline = time.monotonic() + 10
    while not _dead(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _dead(child)
    assert list(work.iterdir()) == []


def test_default_timeout_grows_with_the_files():
    assert pdf.default_timeout(1) >= 60
    assert pdf.default_timeout(20) > pdf.default_timeout(2)


def test_pdf_names():
    assert pdf.pdf_names(["附件3_甲.docx", "附件5_乙.xlsx", "附件5_乙.docx", "附件1_丙.xlsx"]) == [
        "附件3_甲.pdf",
        "附件5_乙_xlsx.pdf",
        "附件5_乙_docx.pdf",
        "附件1_丙.pdf",
    ]


def test_font_substitutions_name_the_missing_fonts(gansu_set, monkeypatch):
    a3 = next(f for f in gansu_set if f.name.startswith("附件3"))
    monkeypatch.setattr(pdf, "installed_fonts", lambda: {"liberation serif"})
    (line,) = pdf.font_substitutions([a3])
    assert line.startswith(a3.name) and "仿宋_GB2312" in line and "Times New Roman" not in line  # metric twin
    named = {f.casefold() for f in pdf._font_names(a3.read_bytes())}
    assert {"仿宋_gb2312", "方正小标宋简体", "times new roman"} <= named
    monkeypatch.setattr(pdf, "installed_fonts", lambda: named)
    assert pdf.font_substitutions([a3]) == []
    monkeypatch.setattr(pdf, "installed_fonts", lambda: None)
    assert pdf.font_substitutions([a3]) is None


# -- the CLI's --pdf ------------------------------------------------------------------


def test_fill_and_summary_write_pdf_copies(tmp_path):
    import shutil as _shutil

    if not (_shutil.which("soffice") or _shutil.which("libreoffice")):
        pytest.skip("LibreOffice (soffice) 未安装：跳过生成 PDF 的检查")
    from click.testing import CliRunner as _Runner

    from formgen.cli import main as _main

    example = Path(__file__).resolve().parent.parent / "data" / "examples" / "gansu-longyuan.yaml"
    out = tmp_path / "o"
    r = _Runner().invoke(_main, ["fill", str(example), "--pack", "gansu", "--out", str(out), "--pdf"])
    assert r.exit_code == 0, r.output
    docs = sorted(p.stem for p in out.glob("*.docx"))
    assert docs and sorted(p.stem for p in out.glob("*.pdf")) == docs
    assert all(p.read_bytes()[:5] == b"%PDF-" for p in out.glob("*.pdf"))
    r = _Runner().invoke(
        _main,
        [
            "summary",
            str(example),
            "--pack",
            "gansu",
            "--unit",
            "兰州市工业和信息化局",
            "--out",
            str(tmp_path / "s"),
            "--pdf",
        ],
    )
    assert r.exit_code == 0, r.output
    sheets = list((tmp_path / "s").glob("*.xlsx"))
    assert sheets and all((p.with_suffix(".pdf")).exists() or list(p.parent.glob(p.stem + "_*.pdf")) for p in sheets)


def test_pdf_without_libreoffice_writes_nothing(tmp_path, monkeypatch):
    from click.testing import CliRunner as _Runner

    from formgen.cli import main as _main

    monkeypatch.setenv("FORMGEN_SOFFICE", str(tmp_path / "no-soffice"))
    example = Path(__file__).resolve().parent.parent / "data" / "examples" / "gansu-longyuan.yaml"
    out = tmp_path / "o"
    r = _Runner().invoke(_main, ["fill", str(example), "--pack", "gansu", "--out", str(out), "--pdf"])
    assert r.exit_code == 1 and "LibreOffice" in r.output and not out.exists()


def test_sigterm_during_conversion_leaves_nothing_behind(tmp_path):
    """fill --pdf stopped by SIGTERM: LibreOffice's tree is killed and the temporary
    folder with copies of the documents removed, as on Ctrl-C."""
    import signal as _signal

    soffice = _fake_soffice(
        tmp_path,
        f"""
        child = subprocess.Popen(["sleep", "300"])
        open({str(tmp_path / "child.pid")!r}, "w").write(str(child.pid))
        time.sleep(300)
        """,
    )
    work = tmp_path / "tmp"
    work.mkdir()
    env = {**os.environ, "FORMGEN_SOFFICE": soffice, "TMPDIR": str(work)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "formgen", "fill", str(GANSU), "--pack", "gansu", "--out", str(tmp_path / "o"), "--pdf"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while not (tmp_path / "child.pid").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.send_signal(_signal.SIGTERM)
    proc.wait(timeout=60)
    assert proc.returncode != 0 and "Traceback" not in proc.stdout.read().decode()
    child = int((tmp_path / "child.pid").read_text())
    deadline = time.monotonic() + 10
    while not _dead(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _dead(child)
    assert [p for p in work.iterdir() if p.name.startswith("formgen-pdf-")] == []
    assert not (tmp_path / "o").exists()  # nothing written
