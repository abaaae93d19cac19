"""Values a format cannot hold: an .xlsx cell takes at most 32,767 characters (counted as
Excel counts them: a character outside the Basic Multilingual Plane, 𠀀 or an emoji, is
two). XlsxWriter would cut the rest off and only return a code; formgen's writer refuses
(:mod:`formgen.render.xlsx`), so a record is told here, field by field, before any sheet is
written. The sheets a record lands on (the pack's 汇总表/推荐表: Gansu 附件1/附件6,
the national and Hebei sheets, Shanghai 附件5) are checked with the very column
expressions that fill them. Under ``--draft`` such a cell is written cut, with a note in
the cell saying so.

>>> overflow("字" * 32767)
0
>>> overflow("字" * 32768)
1
>>> overflow("字" * 32766 + "𠀀")  # 𠀀 takes two of Excel's characters
1
"""

from ..render import XLSX_CELL_MAX, cell_len
from . import ERROR, Hit, rule


def overflow(text: str) -> int:
    """How many characters of ``text`` an .xlsx cell cannot hold (0 when it fits)."""
    return max(0, cell_len(text) - XLSX_CELL_MAX) if len(text) > XLSX_CELL_MAX // 2 else 0


def _column_path(layout: dict, col: dict, row_no: int) -> str:
    """The record path a finding on this column points at."""
    name = col.get("field") or next(iter(col.get("fields") or []), "")
    if layout.get("each") and col.get("field"):
        return f"{layout['each']}[{row_no}].{name}"
    return name.replace("[]", "[0]")


@rule("XL001", ERROR, "内容超过 Excel 单元格上限")
def fits_in_cell(ctx):
    if ctx.pack is None:
        return
    # the sheets that apply (validate and fill alike: fill writes no document for a record with errors)
    sheets = [d for d in ctx.applicable_documents() if d.kind == "multi" and "xlsx" in d.formats]
    if not sheets:
        return
    from ..record.written import fmt
    from ..render.context import column_value, rows_for  # Jinja: only when there is a sheet

    for doc in sheets:
        for row_no, ns in enumerate(rows_for(doc.layout, [ctx.record])):
            for col in doc.layout["columns"]:
                text = fmt(column_value(col, ns))
                over = overflow(text)
                if over:
                    n = cell_len(text)
                    header = col["header"][-1] if isinstance(col["header"], list) else col["header"]
                    yield Hit(
                        _column_path(doc.layout, col, row_no),
                        f"{doc.short_title}“{header}”一栏共 {n:,} 个字符，超过 Excel 单元格上限 "
                        f"{XLSX_CELL_MAX:,} 个字符（多 {over:,} 个）；请删减，否则不能生成该表"
                        "（草稿中该格截断，并在格内注明）",
                    )
