"""Values a format cannot hold: an .xlsx cell takes at most 32,767 characters, and
Excel would cut the rest off silently. The sheets a record lands on are checked with
the very column expressions that fill them."""

from . import ERROR, Hit, rule

XLSX_CELL_MAX = 32767


def _column_path(layout: dict, col: dict, row_no: int) -> str:
    """The record path a finding on this column points at."""
    name = col.get("field") or next(iter(col.get("fields") or []), "")
    if layout.get("each") and col.get("field"):
        return f"{layout['each']}[{row_no}].{name}"
    return name.replace("[]", "[0]")


@rule("XL001", ERROR, "内容超过表格单元格的容量")
def fits_in_cell(ctx):
    if ctx.pack is None:
        return
    # the sheets that apply (validate and fill alike: fill writes no document for a record with errors)
    sheets = [d for d in ctx.applicable_documents() if d.kind == "multi" and "xlsx" in d.formats]
    if not sheets:
        return
    from ..render.context import column_value, fmt, rows_for  # Jinja: only when there is a sheet

    for doc in sheets:
        for row_no, ns in enumerate(rows_for(doc.layout, [ctx.record])):
            for col in doc.layout["columns"]:
                n = len(fmt(column_value(col, ns)))
                if n > XLSX_CELL_MAX:
                    header = col["header"][-1] if isinstance(col["header"], list) else col["header"]
                    yield Hit(
                        _column_path(doc.layout, col, row_no),
                        f"{doc.short_title}“{header}”一栏共 {n:,} 个字符，超过 Excel 单元格 {XLSX_CELL_MAX:,} 个字符的上限"
                        f"（多 {n - XLSX_CELL_MAX:,} 个）；请删减，表格不会截断",
                    )
