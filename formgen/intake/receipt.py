"""The 回执 an enterprise receives for a submission that passed the check: who submitted, for
which round, when, which files with their SHA-256 (a clerk, or the enterprise, can recompute
it on the file kept), which version, and the bureau that received it. A .docx made here;
its PDF made by LibreOffice when asked for (:func:`pdf`)."""

from __future__ import annotations

import datetime as dt

from docx.shared import Pt

from ..bureau.reports import BODY, PAGE, letter_paragraph, letter_title
from ..render import ooxml

SMALL = "小四"
HASH_FONT = "Courier New"


def receipt_name(enterprise: str, round_: str, version: int) -> str:
    from ..output import safe_name

    return f"回执_{safe_name(enterprise, 80)}_{safe_name(round_, 40)}_第{version}版.docx"


def receipt(
    enterprise: str,
    round_: str,
    pack_title: str,
    version: int,
    at: dt.datetime,
    files: list[tuple[str, str, int]],
    bureau: str,
) -> bytes:
    """The 回执 (.docx): ``files`` as (name, SHA-256, size in bytes); ``at`` as stored (UTC),
    printed in the bureau's time."""
    from .db import local

    at = local(at)
    doc = ooxml.new_document(PAGE, BODY)
    size = ooxml.size_pt(BODY["size"])

    def para(text: str = "", align: str = "left", font: str | None = None, psize=None, indent=False):
        return letter_paragraph(doc, text, align, indent, font, psize)

    letter_title(doc, "申报材料受理回执")
    para(f"{enterprise}：", indent=False)
    para(
        f"你单位于 {at.year}年{at.month}月{at.day}日 {at:%H:%M} 通过网上受理报送的《{pack_title}》{round_} 轮次申报材料"
        f"（第{version}版）已收到，经自动检查未发现错误，现予受理。所收文件如下：",
        indent=True,
    )
    table = ooxml.new_table(doc, len(files) + 1, [1.5, 5.3, 8.8])
    ooxml.repeat_header(table.rows[0])
    for c, text in enumerate(("序号", "文件", "SHA-256 摘要")):
        _cell(table.cell(0, c), text, bold=True)
    for i, (name, sha, nbytes) in enumerate(files, 1):
        _cell(table.cell(i, 0), str(i))
        _cell(table.cell(i, 1), f"{name}（{nbytes:,} 字节）")
        _cell(table.cell(i, 2), sha, font=HASH_FONT)
    para()
    para("本回执仅证明上述文件已按时收到并通过自动检查，不代表审核结论；审核意见以本单位通知为准。", indent=True)
    for _ in range(2):
        para()
    signature = para(bureau, "right")
    dated = para(f"{at.year}年{at.month}月{at.day}日", "right")
    for p in (signature, dated):
        p.paragraph_format.right_indent = Pt(size * 2)
    return ooxml.finish(doc, f"回执（{enterprise}）", bureau)


def _cell(cell, text: str, bold: bool = False, font: str | None = None) -> None:
    p = cell.paragraphs[0]
    run = p.add_run(text)
    ooxml.set_run_font(run, font or BODY["east_asia"], font or BODY["ascii"], SMALL, bold=bold or None)


def pdf(docx: bytes, name: str) -> bytes:
    """The receipt's PDF (LibreOffice). Raises formgen.render.pdf.PdfError."""
    from ..render import pdf as P

    return P.convert([(name, docx)])[0]
