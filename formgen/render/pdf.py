"""PDF copies of generated documents, made by LibreOffice (``fill --pdf``, ``summary --pdf``).

:func:`convert` turns a list of documents (file name and bytes, or paths) into PDF
bytes, one per document in the order given, with ONE ``soffice --headless
--convert-to pdf`` run for the whole list (starting LibreOffice costs about 1.5 s).
It writes nothing where the user can see it: the caller writes the PDFs with the
same all-or-nothing writer as the documents (:func:`pdf_names` gives their names).

- Each run has its own LibreOffice profile in a fresh temporary folder
  (``-env:UserInstallation=``), so two runs never share one (a shared profile makes
  the second fail or hang) and a LibreOffice the user has open is not involved. The
  folder, the documents copied into it and the PDFs are removed afterwards.
- Documents are copied in as ``0.docx``, ``1.xlsx`` …: a sheet written both as .xlsx
  and .docx under one name gets two PDFs, and long Chinese names never reach
  LibreOffice's command line.
- LibreOffice picks the export filter by document type (``writer_pdf_Export`` for
  Word files, ``calc_pdf_Export`` for Excel files) within the one run. Bookmarks
  (PDF outline entries from headings in Writer, one per sheet in Calc) are switched
  on in the run's profile (``ExportBookmarks`` under
  ``org.openoffice.Office.Common/Filter/PDF/Export``); filter options on the command
  line would name one filter for every file of the run.
- The run is given ``timeout`` seconds (by default generous and scaled by the number
  of documents); past it, LibreOffice's whole process tree is killed.
- Every failure is a :class:`PdfError` with one line of Chinese; LibreOffice not being
  installed is a :class:`SofficeNotFound` saying what to install.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import zipfile
from collections.abc import Sequence
from contextlib import contextmanager, suppress
from io import BytesIO
from pathlib import Path
from xml.etree import ElementTree as ET

ENV_SOFFICE = "FORMGEN_SOFFICE"

INSTALL_HINT = (
    "请安装 LibreOffice：Debian/Ubuntu 执行 sudo apt-get install libreoffice-writer-nogui "
    "libreoffice-calc-nogui；Windows/macOS 安装 LibreOffice（https://zh-cn.libreoffice.org/）"
    f"并把 soffice 所在文件夹加入 PATH，或把环境变量 {ENV_SOFFICE} 设为 soffice 的完整路径"
)

TIMEOUT_BASE = 90.0  # seconds for starting LibreOffice (a cold start on a slow disk) …
TIMEOUT_PER_FILE = 30.0  # … and for each document (font fallback makes one ~4x slower)

# Where installers put soffice, tried after FORMGEN_SOFFICE and PATH. Globs allowed;
# for several matches the last in sorted order (the newest /opt/libreofficeX.Y) wins.
# Snap and Flatpak builds are not guessed: their private /tmp cannot see our files.
SOFFICE_LOCATIONS: list[str] = [
    "/usr/bin/soffice",
    "/usr/local/bin/soffice",
    "/usr/lib/libreoffice/program/soffice",
    "/usr/lib64/libreoffice/program/soffice",
    "/opt/libreoffice*/program/soffice",
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
    "~/Applications/LibreOffice.app/Contents/MacOS/soffice",
    "%PROGRAMFILES%/LibreOffice/program/soffice.exe",
    "%PROGRAMFILES(X86)%/LibreOffice/program/soffice.exe",
    "%LOCALAPPDATA%/Programs/LibreOffice/program/soffice.exe",
]

_PROFILE_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" \
xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Filter/PDF/Export">\
<prop oor:name="ExportBookmarks" oor:op="fuse"><value>true</value></prop></item>
</oor:items>
"""

_OOXML = {".docx", ".xlsx", ".docm", ".xlsm", ".dotx", ".xltx"}  # zip packages
_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,8}$")

Source = tuple[str, bytes] | Path | str


class PdfError(Exception):
    """No PDF was made; the message is one line of Chinese naming the file and why."""


class SofficeNotFound(PdfError):
    """LibreOffice is not installed (or ``FORMGEN_SOFFICE`` points at nothing)."""


# --- finding LibreOffice --------------------------------------------------------------


def _runnable(path: Path) -> Path | None:
    """``path`` itself when it is a program; for a folder (a LibreOffice installation,
    its ``program`` folder or a macOS .app), the soffice inside it."""
    if path.is_dir():
        for inner in ("soffice", "soffice.exe", "program/soffice", "program/soffice.exe", "Contents/MacOS/soffice"):
            found = _runnable(path / inner)
            if found:
                return found
        return None
    if path.is_file() and os.access(path, os.X_OK):
        return path
    return None


def find_soffice() -> str:
    """The LibreOffice program to run: ``FORMGEN_SOFFICE`` (a program or an
    installation folder) when set, else ``soffice`` or ``libreoffice`` on PATH, else
    the usual install locations (:data:`SOFFICE_LOCATIONS`). Raises
    :class:`SofficeNotFound` with what to install."""
    explicit = os.environ.get(ENV_SOFFICE, "").strip()
    if explicit:
        found = _runnable(Path(os.path.expanduser(explicit)))
        if found is None:
            raise SofficeNotFound(
                f"环境变量 {ENV_SOFFICE} 指向的 {explicit} 不存在或不是可运行的 soffice，无法生成 PDF；"
                f"请改正或删除该变量。{INSTALL_HINT}"
            )
        return str(found)
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for pattern in SOFFICE_LOCATIONS:
        expanded = os.path.expanduser(os.path.expandvars(pattern))
        if "%" in expanded or "$" in expanded:  # a variable this system does not have
            continue
        for candidate in sorted(glob.glob(expanded), reverse=True):
            found = _runnable(Path(candidate))
            if found:
                return str(found)
    raise SofficeNotFound(f"未找到 LibreOffice（soffice），无法生成 PDF。{INSTALL_HINT}")


# --- names ------------------------------------------------------------------------------


def _split(name: str) -> tuple[str, str]:
    m = _SUFFIX.search(name)
    return (name[: m.start()], m.group(0)) if m else (name, "")


def pdf_names(names: Sequence[str]) -> list[str]:
    """The PDF's file name for each document name: ``附件3_….docx`` → ``附件3_….pdf``;
    where two documents share a name but for the suffix (a sheet written as .xlsx and
    .docx), each keeps its format: ``附件5_…_xlsx.pdf`` and ``附件5_…_docx.pdf``."""
    stems = [_split(Path(n).name) for n in names]
    count: dict[str, int] = {}
    for stem, _ in stems:
        count[stem.casefold()] = count.get(stem.casefold(), 0) + 1
    out = []
    for stem, suffix in stems:
        if count[stem.casefold()] > 1 and suffix:
            out.append(f"{stem}_{suffix[1:].lower()}.pdf")
        else:
            out.append(f"{stem}.pdf")
    return out


# --- converting -----------------------------------------------------------------------


def _read(source) -> tuple[str, bytes]:
    if isinstance(source, tuple):
        name, data = source
        return Path(str(name)).name, bytes(data)
    path = Path(source)
    try:
        return path.name, path.read_bytes()
    except OSError as e:
        raise PdfError(f"无法读取 {path}：{e.strerror or e}，未生成 PDF") from e


def default_timeout(n_files: int) -> float:
    """Seconds one run of ``n_files`` documents is given."""
    return TIMEOUT_BASE + TIMEOUT_PER_FILE * max(n_files, 1)


def _kill_tree(proc: subprocess.Popen) -> None:
    """Kill LibreOffice and every process it started (it runs in its own session /
    process group), then reap it."""
    if os.name == "nt":
        with suppress(OSError, subprocess.SubprocessError):
            subprocess.run(
                ["taskkill", "/T", "/F", "/PID", str(proc.pid)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=30,
            )
    else:
        with suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
    with suppress(OSError):
        proc.kill()
    with suppress(subprocess.SubprocessError, OSError):
        proc.communicate(timeout=30)


def _last_error(output: str) -> str:
    """LibreOffice's own complaint, for the message (its "Error: …" lines)."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip().lower().startswith("error")]
    return "；".join(dict.fromkeys(lines))[:200]


def convert(
    sources: Sequence[Source],
    *,
    timeout: float | None = None,
    soffice: str | None = None,
) -> list[bytes]:
    """PDF bytes for each document of ``sources`` (``(file name, bytes)`` pairs or
    paths), in the same order, made by one LibreOffice run in a private profile and
    temporary folders that are removed afterwards. Nothing is written anywhere else.

    ``timeout`` defaults to :func:`default_timeout`; ``soffice`` to :func:`find_soffice`.
    Raises :class:`SofficeNotFound` when LibreOffice is missing and :class:`PdfError`
    (naming the files) when a document cannot be converted or the run times out."""
    if not sources:
        return []
    program = soffice or find_soffice()
    docs = [_read(s) for s in sources]
    for name, data in docs:
        if _split(name)[1].lower() in _OOXML and not zipfile.is_zipfile(BytesIO(data)):
            raise PdfError(f"{name} 不是有效的 Office 文件（内容不是 zip 包），未生成 PDF")
    limit = default_timeout(len(docs)) if timeout is None else timeout
    with _terminate_as_exit():
        return _convert(program, docs, limit)


@contextmanager
def _terminate_as_exit():
    """While converting: SIGTERM and SIGHUP end formgen through SystemExit, so that the
    ``finally`` blocks run — LibreOffice's process tree is killed and the temporary folder
    holding copies of the enterprise's documents is removed — instead of dying at once.
    Main thread only (Python's rule); a signal ignored before stays ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}

    def on_signal(signum, frame):
        raise SystemExit(128 + signum)

    try:
        for name in ("SIGTERM", "SIGHUP"):
            sig = getattr(signal, name, None)
            if sig is not None and signal.getsignal(sig) is not signal.SIG_IGN:
                previous[sig] = signal.getsignal(sig)
                signal.signal(sig, on_signal)
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _convert(program: str, docs: list[tuple[str, bytes]], limit: float) -> list[bytes]:
    work = Path(tempfile.mkdtemp(prefix="formgen-pdf-"))
    try:
        profile, indir, outdir = work / "profile", work / "in", work / "out"
        (profile / "user").mkdir(parents=True)
        (profile / "user" / "registrymodifications.xcu").write_text(_PROFILE_SETTINGS, encoding="utf-8")
        indir.mkdir()
        inputs = []
        for i, (name, data) in enumerate(docs):
            path = indir / f"{i}{_split(name)[1].lower()}"
            path.write_bytes(data)
            inputs.append(str(path))
        cmd = [
            program,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(outdir),
            *inputs,
        ]
        code, output = _run(cmd, limit, docs, outdir)
        pdfs, failed = [], []
        for i, (name, _) in enumerate(docs):
            made = outdir / f"{i}.pdf"
            data = made.read_bytes() if made.is_file() else b""
            if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-1024:]:
                failed.append(name)
            pdfs.append(data)
        if failed:
            why = _last_error(output) or (f"退出码 {code}" if code else "")
            raise PdfError(
                f"LibreOffice 未能把 {'、'.join(failed)} 转换为 PDF{('（' + why + '）') if why else ''}，未生成 PDF"
            )
        return pdfs
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(cmd: list[str], limit: float, docs, outdir: Path) -> tuple[int, str]:
    """Run LibreOffice; its exit code and output (stdout and stderr), for messages."""
    kwargs: dict = {"start_new_session": True} if os.name != "nt" else {}
    if os.name == "nt":
        kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
    try:
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kwargs
        )
    except OSError as e:
        raise PdfError(f"无法启动 LibreOffice（{cmd[0]}）：{e.strerror or e}。{INSTALL_HINT}") from e
    started = time.monotonic()
    try:
        out, _ = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        _kill_tree(proc)
        pending = [name for i, (name, _) in enumerate(docs) if not (outdir / f"{i}.pdf").is_file()]
        where = f"，未完成：{'、'.join(pending)}" if pending else ""
        raise PdfError(
            f"LibreOffice 转换 PDF 超时（{time.monotonic() - started:.0f} 秒），已终止{where}，未生成 PDF"
        ) from None
    except BaseException:  # Ctrl-C: leave no LibreOffice running
        _kill_tree(proc)
        raise
    return proc.returncode, out.decode("utf-8", "replace")


# --- fonts (optional check) -------------------------------------------------------------

# LibreOffice replaces these by metric-compatible fonts when those are installed.
_METRIC_TWINS = {
    "times new roman": "liberation serif",
    "arial": "liberation sans",
    "courier new": "liberation mono",
    "calibri": "carlito",
    "cambria": "caladea",
    "symbol": "opensymbol",
}


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _rfonts(el) -> list[str]:
    return [
        v
        for f in el.iter(f"{_W}rFonts")
        for k, v in f.attrib.items()
        if k in (f"{_W}ascii", f"{_W}hAnsi", f"{_W}eastAsia", f"{_W}cs")
    ]


def _font_names(data: bytes) -> list[str]:
    """Font families a document draws with: for a .docx, those its body, headers and
    footers name and those of the default formatting and of the styles it uses (a
    template's unused styles are left out); for an .xlsx, its styles' fonts."""
    found: list[str] = []
    try:
        with zipfile.ZipFile(BytesIO(data)) as z:
            names = z.namelist()
            if "xl/styles.xml" in names:
                root = ET.fromstring(z.read("xl/styles.xml"))
                found += [el.attrib.get("val", "") for el in root.iter() if el.tag.rsplit("}", 1)[-1] == "name"]
            used_styles: set[str] = set()
            for part in names:
                if re.fullmatch(r"word/(document|header\d*|footer\d*)\.xml", part):
                    root = ET.fromstring(z.read(part))
                    found += _rfonts(root)
                    used_styles |= {
                        el.attrib.get(f"{_W}val", "")
                        for tag in ("pStyle", "rStyle", "tblStyle")
                        for el in root.iter(f"{_W}{tag}")
                    }
            if "word/styles.xml" in names:
                root = ET.fromstring(z.read("word/styles.xml"))
                for el in root.iter(f"{_W}docDefaults"):
                    found += _rfonts(el)
                for el in root.iter(f"{_W}style"):
                    if el.attrib.get(f"{_W}styleId") in used_styles or el.attrib.get(f"{_W}default") in ("1", "true"):
                        found += _rfonts(el)
    except (zipfile.BadZipFile, ET.ParseError, KeyError, OSError):
        return []
    return list(dict.fromkeys(f for f in found if f))


def installed_fonts() -> set[str] | None:
    """Font family names fontconfig knows (every localized name, casefolded); None
    where there is no ``fc-list`` (Windows, macOS without fontconfig)."""
    fc = shutil.which("fc-list")
    if fc is None:
        return None
    try:
        out = subprocess.run([fc, ":", "family"], capture_output=True, timeout=30).stdout.decode("utf-8", "replace")
    except (OSError, subprocess.SubprocessError):
        return None
    return {f.strip().casefold() for line in out.splitlines() for f in line.split(",") if f.strip()}


def pdf_fonts(pdf: bytes) -> list[str] | None:
    """The fonts embedded in a PDF (``pdffonts``, subset prefix removed), in order;
    None where poppler's ``pdffonts`` is not installed."""
    tool = shutil.which("pdffonts")
    if tool is None:
        return None
    fd, tmp = tempfile.mkstemp(suffix=".pdf", prefix="formgen-fonts-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(pdf)
        out = subprocess.run([tool, tmp], capture_output=True, timeout=60).stdout.decode("utf-8", "replace")
    except (OSError, subprocess.SubprocessError):
        return None
    finally:
        with suppress(OSError):
            os.unlink(tmp)
    names: dict[str, None] = {}
    for line in out.splitlines()[2:]:
        if line.strip():
            names.setdefault(re.sub(r"^[A-Z]{6}\+", "", line.split()[0]))
    return list(names)


def font_substitutions(sources: Sequence[Source], pdfs: Sequence[bytes] | None = None) -> list[str] | None:
    """One line of Chinese per document naming fonts it uses that are not installed
    (so LibreOffice drew its PDF with others, and the layout may differ from Word's),
    with the fonts the PDF holds when ``pdfs`` is given. Empty when every font is
    there; None when the check cannot run (no fontconfig)."""
    installed = installed_fonts()
    if installed is None:
        return None
    notes = []
    for i, source in enumerate(sources):
        name, data = _read(source)
        missing = [
            f
            for f in _font_names(data)
            if f.casefold() not in installed and _METRIC_TWINS.get(f.casefold()) not in installed
        ]
        if not missing:
            continue
        used = pdf_fonts(pdfs[i]) if pdfs is not None else None
        instead = f"，PDF 实际使用 {'、'.join(used)}" if used else ""
        notes.append(f"{name}：本机未安装字体 {'、'.join(missing)}{instead}，PDF 的版式可能与 Word/WPS 中不同")
    return notes
