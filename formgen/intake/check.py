"""An uploaded file checked as ``formgen validate`` checks it, by the pack of the enterprise's
link: a record (YAML, a record workbook) or filled forms (.docx, an annex sheet .xlsx) read
through :func:`formgen.app.load_entries`, every rule run (:func:`formgen.app.check_entry`).

What the enterprise reads of each finding is the line its 整改通知 would print
(:func:`formgen.bureau.reports.problem_line`: the form and place it filled, else the field's
label, and what is wrong), with the code, the severity and the label apart: never the file's
path on the server (the name the enterprise gave stands for it wherever a message quotes it).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from .. import app as flow
from ..bureau.reports import entry_for, letter_place, problem_line
from ..packs.pack import Pack
from ..record.findings import ERROR, SEVERITY_ZH, WARNING, Finding
from . import figures as FG
from .db import ATTACHMENT_SUFFIXES, IMAGE_SUFFIXES, UPLOAD_SUFFIXES

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # all files of one submission; a record file is held to 5 MB by its reader
MAX_FILES = 10  # files in one submission: a record, or the forms of one enterprise

SB_TYPE = "SB001"  # a file of a type the intake does not read
SB_SIZE = "SB002"  # empty, or over MAX_UPLOAD_BYTES
SB_MANY = "SB003"  # more than one record in one submission (a sheet of several rows, too many files, one file twice)
SB_NAME = "SB004"  # the record's enterprise is not the link's
SB_PACK = "SB005"  # the record names another pack than the link's
SB_UNUSED = "SB006"  # an image uploaded with the record that no figure of it names (a warning)


@dataclass
class Checked:
    accepted: bool
    findings: list[Finding]
    shown: list[dict] = field(default_factory=list)  # what the enterprise reads (:func:`shown`)
    entry: flow.Entry | None = None  # the record read, when it could be


def refused(code: str, label: str, message: str) -> Checked:
    f = Finding(code, ERROR, "", label, message)
    return Checked(False, [f], [shown(f, None, {})])


def precheck(filename: str, size: int) -> Checked | None:
    """Why an upload is refused before it is written anywhere (its type, its size), or None.

    >>> precheck("a.doc", 10).shown[0]["text"]
    '「上传文件」：只接受记录文件（.yaml、.yml、.xlsx）或填好的申报表（.docx、.xlsx），以及记录中的配图（.jpg、.png、.bmp）和附件（.pdf），本文件为 .doc。'
    >>> precheck("a.yaml", 0).findings[0].code, precheck("a.yaml", 10) is None
    ('SB002', True)
    """
    suffix = Path(filename or "").suffix.casefold()
    if suffix not in UPLOAD_SUFFIXES + IMAGE_SUFFIXES + ATTACHMENT_SUFFIXES:
        kind = f"本文件为 {suffix}" if suffix else "本文件没有扩展名"
        return refused(
            SB_TYPE,
            "上传文件",
            f"只接受记录文件（.yaml、.yml、.xlsx）或填好的申报表（.docx、.xlsx），以及记录中的配图"
            f"（.jpg、.png、.bmp）和附件（.pdf），{kind}",
        )
    if size <= 0:
        return refused(SB_SIZE, "上传文件", "文件是空的")
    if size > MAX_UPLOAD_BYTES:
        return refused(
            SB_SIZE, "上传文件", f"文件超过 {MAX_UPLOAD_BYTES // 1048576} MB 的上限（一次上传的全部文件合计）"
        )
    return None


def precheck_image(name: str, data: bytes, total: int) -> Checked | None:
    """Why an image (or an attachment, a PDF) uploaded with a record is refused before it is
    kept (empty, too large, the submission's such files together too large, or not a figure
    by its content, not a PDF by its content), or None."""
    from ..render.images import MAX_BYTES

    if not data:
        return refused(SB_SIZE, "上传图片", f"“{name}”是空文件")
    if len(data) > MAX_BYTES:
        return refused(SB_SIZE, "上传图片", f"“{name}”超过每张配图 {MAX_BYTES // 1048576} MB 的上限")
    if total > FG.MAX_FIGURE_BYTES:
        return refused(
            SB_SIZE, "上传图片", f"一次上传的图片合计超过 {FG.MAX_FIGURE_BYTES // 1048576} MB 的上限（“{name}”处）"
        )
    problem = FG.image_problem(data) if FG.is_image_name(name) else FG.attachment_problem(data)
    if problem:
        return refused(SB_TYPE, "上传图片", f"“{name}”{problem}")
    return None


def check_files(
    files: list[tuple[Path, str]],
    pack: Pack,
    enterprise: str,
    today: dt.date | None = None,
    figures: Path | None = None,
) -> Checked:
    """Check the uploaded files (``(path, the name the enterprise gave it)``) by ``pack``, for
    the link of ``enterprise``: accepted when they hold one record of that enterprise (a record
    file, or the forms of one enterprise, merged as ``formgen import`` merges them) with no
    error (warnings allowed). ``figures``: the folder of the submission's images (see
    :mod:`formgen.intake.figures`), the only place a figure the record names is looked for."""
    today = today or dt.date.today()
    names = {str(p): n for p, n in files}
    try:
        entries = flow.load_entries([p for p, _ in files], pack)
    except OSError as e:  # the reader said it cannot open a file at all
        return refused("IN001", "上传文件", f"无法读取：{e.strerror or e.__class__.__name__}")
    unread = [e for e in entries if e.loaded is None]
    if unread:  # cannot be read: why, each reason
        found = [f for e in unread for f in e.findings]
        return Checked(False, found, [shown(f, None, names, pack) for f in found])
    if not entries:
        return refused(SB_MANY, "上传文件", "文件中没有读到申报表或记录")
    if len(entries) > 1:
        which = "、".join(dict.fromkeys(names.get(str(e.source), "") for e in entries))
        return refused(
            SB_MANY,
            "上传文件",
            f"上传的文件（{which}）中有 {len(entries)} 份记录：每次只提交本企业的一份申报"
            "（一份记录，或同一企业的几份申报表）",
        )
    entry = entries[0]
    extra = []
    if figures is not None:
        named = {n.casefold() for n in FG.resolve(entry, figures, pack)}
        for image in sorted(p.name for p in figures.iterdir()):
            if image.casefold() not in named:
                extra.append(
                    Finding(
                        SB_UNUSED,
                        WARNING,
                        "figures",
                        "配图",
                        f"上传的“{image}”没有被记录引用（记录中写的文件名须与上传文件的文件名一致），不会用于申报书",
                    )
                )
    flow.check_entry(entry, pack, today)
    record = entry.loaded.record
    if record.pack and record.pack != pack.name:
        extra.append(
            Finding(
                SB_PACK, ERROR, "pack", "表格包", f"记录写的是另一个表格包（{record.pack}），本次申报为 {pack.title}"
            )
        )
    named = (record.enterprise.name or "").strip()
    if named != enterprise.strip():
        said = f"“{named}”" if named else "没有填写企业名称"
        extra.append(
            Finding(
                SB_NAME,
                ERROR,
                "enterprise.name",
                _label(pack, record),
                f"记录中的企业名称{said}，与本申报链接的企业“{enterprise}”不一致",
            )
        )
    entry.findings = extra + entry.findings
    report = entry_for(entry.source, entry.loaded, entry.findings, pack=pack)
    report.forms = dict(entry.forms)
    out = [shown(f, report.places, names, pack, report.forms, str(entry.source)) for f in _ordered(entry.findings)]
    accepted = not any(f.is_error for f in entry.findings)
    return Checked(accepted, entry.findings, out, entry)


def _label(pack: Pack, record) -> str:
    return pack.labels_for(pack.documents_for(record)).get("enterprise.name") or pack.labels.get("enterprise.name", "")


def _ordered(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=Finding.sort_key)


# What a message written for the command line says that an enterprise on its link cannot do
# (a command option): said as what it means on the link.
_OPTIONS = (
    (re.compile(r"[，,]?\s*(?:或)?(?:请)?用 --doc 指定[：:]"), "。本次申报的表格有："),
    (re.compile(r"（请用 --doc 指定）"), ""),
)


def _scrub(text: str, names: dict[str, str], pack: Pack | None = None) -> str:
    """``text`` as the enterprise reads it: each kept file's path on the server (and its
    generated name) said as the name the enterprise gave it, a command option as what it
    means, the pack by its title; a clause still naming a command or an option left out."""
    for path, name in names.items():
        p = Path(path)
        for secret in (str(p), p.as_posix(), str(p.parent), p.name, p.stem):
            if secret and secret in text:
                text = text.replace(secret, name or "上传文件")
    for pattern, said in _OPTIONS:
        text = pattern.sub(said, text)
    if pack is not None:
        text = text.replace(f"表格包 {pack.name} ", f"《{pack.title}》").replace(
            f"表格包 {pack.name}", f"《{pack.title}》"
        )
    if "--" in text or "formgen " in text:
        parts = re.split(r"(?<=[，；。])", text)
        text = (
            "".join(p for p in parts if "--" not in p and "formgen " not in p).rstrip("，；")
            or "文件无法按本次申报读取"
        )
    return text


def shown(f: Finding, places, names: dict[str, str], pack: Pack | None = None, forms=None, source: str = "") -> dict:
    """A finding as the enterprise reads it (JSON): code, 错误/警告, the field's label, the
    place in the form it filled (or ""), the message, and the whole line; ``names``: each
    uploaded file's path -> the name the enterprise gave it."""
    source = source or f.source
    place = letter_place(f, places, source, forms) if source else ""
    return {
        "code": f.code,
        "severity": SEVERITY_ZH[f.severity],
        "label": f.label,
        "place": _scrub(place, names, pack),
        "message": _scrub(f.message, names, pack),
        "text": _scrub(problem_line(f, places, source, forms), names, pack),
    }
