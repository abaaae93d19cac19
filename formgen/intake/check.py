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
from dataclasses import dataclass, field
from pathlib import Path

from .. import app as flow
from ..bureau.reports import entry_for, letter_place, problem_line
from ..packs.pack import Pack
from ..record.findings import ERROR, SEVERITY_ZH, Finding
from .db import UPLOAD_SUFFIXES

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # a filled 申报书 with its figures; a record file is held to 5 MB by its reader

SB_TYPE = "SB001"  # a file of a type the intake does not read
SB_SIZE = "SB002"  # empty, or over MAX_UPLOAD_BYTES
SB_MANY = "SB003"  # the file holds more than one enterprise's record (a sheet of several rows)
SB_NAME = "SB004"  # the record's enterprise is not the link's
SB_PACK = "SB005"  # the record names another pack than the link's


@dataclass
class Checked:
    accepted: bool
    findings: list[Finding]
    shown: list[dict] = field(default_factory=list)  # what the enterprise reads (:func:`shown`)
    entry: flow.Entry | None = None  # the record read, when it could be


def refused(code: str, label: str, message: str) -> Checked:
    f = Finding(code, ERROR, "", label, message)
    return Checked(False, [f], [shown(f, None, "", "")])


def precheck(filename: str, size: int) -> Checked | None:
    """Why an upload is refused before it is written anywhere (its type, its size), or None.

    >>> precheck("a.pdf", 10).shown[0]["text"]
    '「上传文件」：只接受记录文件（.yaml、.yml、.xlsx）或填好的申报表（.docx、.xlsx），本文件为 .pdf。'
    >>> precheck("a.yaml", 0).findings[0].code, precheck("a.yaml", 10) is None
    ('SB002', True)
    """
    suffix = Path(filename or "").suffix.casefold()
    if suffix not in UPLOAD_SUFFIXES:
        kind = f"本文件为 {suffix}" if suffix else "本文件没有扩展名"
        return refused(
            SB_TYPE, "上传文件", f"只接受记录文件（.yaml、.yml、.xlsx）或填好的申报表（.docx、.xlsx），{kind}"
        )
    if size <= 0:
        return refused(SB_SIZE, "上传文件", "文件是空的")
    if size > MAX_UPLOAD_BYTES:
        return refused(SB_SIZE, "上传文件", f"文件超过 {MAX_UPLOAD_BYTES // 1048576} MB 的上限")
    return None


def check_file(path: Path, name: str, pack: Pack, enterprise: str, today: dt.date | None = None) -> Checked:
    """Check the uploaded file at ``path`` (``name``: the name the enterprise gave it) by
    ``pack``, for the link of ``enterprise``: accepted when it holds one record of that
    enterprise with no error (warnings allowed)."""
    today = today or dt.date.today()
    try:
        entries = flow.load_entries([path], pack)
    except OSError as e:  # the reader said it cannot open the file at all
        return refused("IN001", "上传文件", f"无法读取：{e.strerror or e.__class__.__name__}")
    if not entries:
        return refused(SB_MANY, "上传文件", "文件中没有读到申报表或记录")
    if len(entries) > 1:
        return refused(SB_MANY, "上传文件", f"文件中有 {len(entries)} 份记录：每个链接只提交本企业的一份申报")
    entry = entries[0]
    if entry.loaded is None:  # cannot be read: why, each reason
        return Checked(False, entry.findings, [shown(f, None, str(path), name) for f in entry.findings])
    flow.check_entry(entry, pack, today)
    record = entry.loaded.record
    extra = []
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
    report = entry_for(path, entry.loaded, entry.findings, pack=pack)
    report.forms = dict(entry.forms)
    out = [shown(f, report.places, str(path), name, report.forms) for f in _ordered(entry.findings)]
    accepted = not any(f.is_error for f in entry.findings)
    return Checked(accepted, entry.findings, out, entry)


def _label(pack: Pack, record) -> str:
    return pack.labels_for(pack.documents_for(record)).get("enterprise.name") or pack.labels.get("enterprise.name", "")


def _ordered(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=Finding.sort_key)


def _scrub(text: str, path: str, name: str) -> str:
    """``text`` with the server's path of the file (and its generated name) said as the
    name the enterprise gave it."""
    if not path:
        return text
    p = Path(path)
    for secret in (str(p), p.as_posix(), str(p.parent), p.name, p.stem):
        if secret and secret in text:
            text = text.replace(secret, name or "上传文件")
    return text


def shown(f: Finding, places, path: str, name: str, forms=None) -> dict:
    """A finding as the enterprise reads it (JSON): code, 错误/警告, the field's label, the
    place in the form it filled (or ""), the message, and the whole line."""
    place = letter_place(f, places, path, forms) if path else ""
    return {
        "code": f.code,
        "severity": SEVERITY_ZH[f.severity],
        "label": f.label,
        "place": _scrub(place, path, name),
        "message": _scrub(f.message, path, name),
        "text": _scrub(problem_line(f, places, path, forms), path, name),
    }
