"""Jiangsu's self-evaluation sheets (.xlsx) from a record: 江苏省企业数字化转型自评价表
(附件3 表2, levels ticked, scores, 投入规模, the total with its 不涉及 re-weighting) and
典型场景自评价表 (the 40 scenarios of the 2024 guide, the level chosen per scenario, the
cumulative counts against 附件2's thresholds and the level the data support)."""

from __future__ import annotations

import io

from ..record import refdata
from ..record.model import Enterprise
from ..render.xlsx import new_workbook
from . import scoring as js

FONT = {"font_name": "仿宋_GB2312", "font_size": 11}
TICK, BOX = "☑", "□"
DX_TITLE = "江苏省企业数字化转型自评价表"
SCENARIO_TITLE = "江苏省智能工厂梯度建设典型场景自评价表"
# The sheets are the enterprise's own: named at the top, sealed and dated at the end
# (the annex prints the bare tables; an unsigned sheet names nobody). The record holds
# no date of the self-evaluation, so the date is left for handwriting.
SEAL = "企业（盖章）："
DATE = "日期：　　　　年　　月　　日"
BLANK = "　" * 10  # room to write in a value the record leaves empty


def identity(record) -> str:
    """企业名称：… 统一社会信用代码：… in the record model's own labels.

    >>> from formgen.record.model import Record
    >>> identity(Record.model_validate({"enterprise": {"name": "甲公司", "credit_code": "91320214MA1XYUN96U"}}))
    '企业名称：甲公司　　统一社会信用代码：91320214MA1XYUN96U'
    """
    e = record.enterprise
    fields = Enterprise.model_fields
    return "　　".join(f"{fields[key].title}：{getattr(e, key) or BLANK}" for key in ("name", "credit_code"))


def _properties(wb, title: str, record) -> None:
    """文件属性: the sheet's title and the enterprise as its author (see ooxml.finish)."""
    author = record.enterprise.name or ""
    wb.set_properties({"title": title, "author": author, "company": author})


def _formats(wb):
    cell = {**FONT, "border": 1, "text_wrap": True, "valign": "vcenter"}
    return {
        "title": wb.add_format({**FONT, "font_name": "方正小标宋简体", "font_size": 16, "align": "center"}),
        "head": wb.add_format({**cell, "bold": True, "align": "center"}),
        "cell": wb.add_format(cell),
        "center": wb.add_format({**cell, "align": "center"}),
        "note": wb.add_format({**FONT, "text_wrap": True, "valign": "top"}),
        "line": wb.add_format({**FONT, "valign": "vcenter"}),
    }


def _seal_rows(ws, f, row: int, first: int, last: int) -> None:
    """企业（盖章）： with room for the seal, and 日期 under it, in columns first..last."""
    ws.merge_range(row, first, row, last, SEAL, f["line"])
    ws.set_row(row, 48)
    ws.merge_range(row + 1, first, row + 1, last, DATE, f["line"])
    ws.set_row(row + 1, 24)


def _setup(ws, landscape: bool):
    ws.set_paper(9)  # A4
    if landscape:
        ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.set_margins(0.5, 0.5, 0.6, 0.6)
    ws.repeat_rows(2)


def dx_sheet(record) -> bytes:
    buf = io.BytesIO()
    wb = new_workbook(buf)
    f = _formats(wb)
    ws = wb.add_worksheet("数字化转型自评价表")
    _setup(ws, landscape=False)
    ws.set_column(0, 0, 6)
    ws.set_column(1, 1, 14)
    ws.set_column(2, 2, 27)  # 产业链供应链协同数字化水平 on one line
    ws.set_column(3, 3, 44)
    ws.set_column(4, 4, 24)
    ws.merge_range(0, 0, 0, 4, f"表2  {DX_TITLE}", f["title"])
    ws.merge_range(1, 0, 1, 4, identity(record), f["line"])
    ws.set_row(1, 24)
    ws.write_row(2, 0, ["序号", "一级指标", "二级指标", "题目（等级）", "企业等级和自主打分"], f["head"])
    answers = js.record_answers(record)
    row = 3
    for q in js.questions():
        no = q["no"]
        if not q.get("scored", True):
            dx = record.dx
            tot = "" if dx.investment_total is None else f"{dx.investment_total}"
            last = "" if dx.investment_latest is None else f"{dx.investment_latest}"
            text = (
                f"数字化投入规模指企业自{q['since']}年以来，在数字化改造方面采购软件系统、解决方案和硬件设备的"
                f"总金额（不含研发人员费用）：{tot or '____'}万元。其中：{q['latest_year']}年投入{last or '____'}万元。"
            )
            ws.write(row, 0, no, f["center"])
            ws.write_row(row, 1, [q["group"], q["name"], text], f["cell"])
            ws.write(row, 4, f"投入规模为{tot or '____'}万元", f["center"])
            ws.set_row(row, 84)
            row += 1
            continue
        level, score = answers[no]
        options = [f"{TICK if level == i else BOX}{i}." for i in range(1, q["levels"] + 1)]
        if q.get("not_applicable"):
            options.append(f"{TICK if level == js.NOT_APPLICABLE else BOX}{js.data()['not_applicable_label']}。")
        ws.write(row, 0, no, f["center"])
        ws.write_row(row, 1, [q["group"], q["name"], "  ".join(options)], f["cell"])
        shown_level = "____" if level is None else ("不涉及" if level == js.NOT_APPLICABLE else str(level))
        shown_score = "—" if level == js.NOT_APPLICABLE else ("____" if score is None else f"{score:g}")
        ws.write(row, 4, f"等级为{shown_level}，打分为{shown_score}。", f["center"])
        ws.set_row(row, 36)
        row += 1
    total = js.record_total(record)
    applied = [s for lv, s in answers.values() if lv != js.NOT_APPLICABLE]
    skipped = [f"第{no}题" for no, (lv, _) in answers.items() if lv == js.NOT_APPLICABLE]
    if total is None:
        how = "有题目未填等级或打分，无法计算"
    else:
        how = f"{total:.2f}分 = {sum(applied):g} ÷ {len(applied) * js.data()['full_marks']} × 100"
        if skipped:
            how += f"（{'、'.join(skipped)}选择“不涉及此环节”，其权重平均分配到其余{len(applied)}题）"
    ws.merge_range(row, 0, row, 3, "综合得分（最终综合得分=其他问题的综合得分/其他问题的总分）", f["head"])
    ws.write(row, 4, how, f["center"])
    ws.set_row(row, 96)
    row += 2
    notes = [
        "注：1.企业在选定所处的等级后，依据企业与该等级描述的符合程度，参照“基本符合”、“比较符合”和“非常符合”"
        "在等级分段内从低到高划分3个小分段，并进行自主打分（表3）。",
        "表3 企业等级自主打分参考表：" + "；".join(f"等级{lv}：{js.level_range_text(lv)}" for lv in range(1, 7)) + "。",
    ]
    for n in notes:
        ws.merge_range(row, 0, row, 4, n, f["note"])
        ws.set_row(row, 64)
        row += 1
    _seal_rows(ws, f, row + 1, 3, 4)
    _properties(wb, DX_TITLE, record)
    wb.close()
    return buf.getvalue()


def scenario_sheet(record, checks: dict) -> bytes:
    buf = io.BytesIO()
    wb = new_workbook(buf)
    f = _formats(wb)
    ws = wb.add_worksheet("典型场景自评价表")
    _setup(ws, landscape=False)
    # one page: the 40 scenarios, the counts, at most four 未满足 notes and the seal lines
    # (a bounded height: printed a little smaller, never below 9 pt)
    ws.fit_to_pages(1, 1)
    widths = [6, 16, 28, 11, 11, 11, 11]
    for i, w in enumerate(widths):
        ws.set_column(i, i, w)
    ws.merge_range(0, 0, 0, 6, SCENARIO_TITLE, f["title"])
    ws.merge_range(1, 0, 1, 6, identity(record), f["line"])
    ws.set_row(1, 24)
    ws.write_row(2, 0, ["序号", "环节", "场景名称", *js.LEVELS], f["head"])
    chosen = js.record_scenarios(record)
    row = 3
    for s in refdata.catalogue(2024).scenarios:
        marks = []
        for lv in js.LEVELS:
            if lv in js.slash_levels(s.no):
                marks.append("/")
            else:
                marks.append(TICK if chosen.get(s.no) == lv else BOX)
        ws.write(row, 0, s.no, f["center"])
        ws.write_row(row, 1, [s.stage, s.name], f["cell"])
        ws.write_row(row, 3, marks, f["center"])
        row += 1
    a = js.record_assessment(record, checks)
    need = {t["level"]: t["min_scenarios"] for t in js.tiers()}
    ws.merge_range(row, 0, row, 2, "达到该等级及以上的场景数（累计）", f["head"])
    ws.write_row(row, 3, [a.counts[lv] for lv in js.LEVELS], f["center"])
    row += 1
    ws.merge_range(row, 0, row, 2, "要素条件要求的场景数（不低于）", f["head"])
    ws.write_row(row, 3, [need[lv] for lv in js.LEVELS], f["center"])
    row += 1
    ws.merge_range(row, 0, row, 2, "该等级条件", f["head"])
    ws.write_row(row, 3, ["满足" if not a.unmet[lv] else "未满足" for lv in js.LEVELS], f["center"])
    row += 1
    ws.merge_range(row, 0, row, 2, "数据支持的参考等级", f["head"])
    ws.merge_range(row, 3, row, 6, a.supported or "无（未达基础级）", f["center"])
    row += 2
    for lv in js.LEVELS:
        if a.unmet[lv]:
            ws.merge_range(row, 0, row, 6, f"{lv}未满足：{'；'.join(a.unmet[lv])}", f["note"])
            ws.set_row(row, 32)
            row += 1
    ws.merge_range(
        row,
        0,
        row,
        6,
        "注：“/”为《自评价参考》中该场景无此等级描述，不可选择；高等级场景同时计入低等级场景数。",
        f["note"],
    )
    _seal_rows(ws, f, row + 2, 3, 6)
    _properties(wb, SCENARIO_TITLE, record)
    wb.close()
    return buf.getvalue()


def files(record, checks: dict, enterprise: str) -> list[tuple[str, bytes]]:
    name = enterprise or "企业"
    return [
        (f"江苏省企业数字化转型自评价表_{name}.xlsx", dx_sheet(record)),
        (f"江苏省企业数字化转型自评价表_{name}.docx", dx_document(record)),
        (f"典型场景自评价表_{name}.xlsx", scenario_sheet(record, checks)),
    ]


PAGE = {"margins_cm": [2.0, 1.8, 2.0, 1.8]}
BODY = {"east_asia": "仿宋_GB2312", "ascii": "Times New Roman", "size": "五号"}


def _total_text(record) -> str:
    answers = js.record_answers(record)
    total = js.record_total(record)
    applied = [s for lv, s in answers.values() if lv != js.NOT_APPLICABLE]
    skipped = [f"第{no}题" for no, (lv, _) in answers.items() if lv == js.NOT_APPLICABLE]
    if total is None:
        return "有题目未填等级或打分，无法计算"
    text = f"{total:.2f}分 = {sum(applied):g} ÷ {len(applied) * js.data()['full_marks']} × 100"
    if skipped:
        text += f"（{'、'.join(skipped)}选择“不涉及此环节”，其权重平均分配到其余{len(applied)}题）"
    return text


def dx_document(record) -> bytes:
    """表2 as a Word table: 序号 | 一级指标 | 二级指标 | 题目 (check boxes) | 企业等级和自主打分."""
    from ..render import ooxml

    doc = ooxml.new_document(PAGE, BODY)

    def para(container, text: str, align: str = "left", size=None, font=None, bold=None):
        p = container.add_paragraph() if hasattr(container, "add_paragraph") else container
        p.alignment = ooxml.ALIGN[align]
        run = p.add_run(text)
        ooxml.set_run_font(run, font or BODY["east_asia"], BODY["ascii"], size or BODY["size"], bold=bold)
        return p

    para(doc, f"表2  {DX_TITLE}", "center", "小二", "方正小标宋简体")
    para(doc, identity(record)).paragraph_format.space_after = ooxml.Pt(4)
    answers = js.record_answers(record)
    qs = js.questions()
    table = ooxml.new_table(doc, len(qs) + 2, [1.2, 2.2, 3.0, 7.0, 4.0])
    ooxml.repeat_header(table.rows[0])
    for cell, text in zip(
        table.rows[0].cells, ["序号", "一级指标", "二级指标", "题目", "企业等级和自主打分"], strict=True
    ):
        para(cell.paragraphs[0], text, "center", bold=True)
        ooxml.valign_center(cell)
    for i, q in enumerate(qs, 1):
        cells = table.rows[i].cells
        no = q["no"]
        para(cells[0].paragraphs[0], str(no), "center")
        para(cells[1].paragraphs[0], q["group"], "center")
        para(cells[2].paragraphs[0], q["name"], "center")
        for c in (*cells[:3], cells[4]):
            ooxml.valign_center(c)
        if not q.get("scored", True):
            dx = record.dx
            tot = "____" if dx.investment_total is None else f"{dx.investment_total}"
            last = "____" if dx.investment_latest is None else f"{dx.investment_latest}"
            para(
                cells[3].paragraphs[0],
                f"数字化投入规模指企业自{q['since']}年以来，在数字化改造方面采购软件系统、解决方案和硬件设备的"
                f"总金额（不含研发人员费用）：{tot}万元。其中：{q['latest_year']}年投入{last}万元。",
            )
            para(cells[4].paragraphs[0], f"投入规模为{tot}万元", "center")
            continue
        level, score = answers[no]
        p = cells[3].paragraphs[0]
        for lv in range(1, q["levels"] + 1):
            ooxml.add_checkbox(p, level == lv, f"{lv}.  ", BODY)
        if q.get("not_applicable"):
            ooxml.add_checkbox(p, level == js.NOT_APPLICABLE, js.data()["not_applicable_label"] + "。", BODY)
        shown_level = "____" if level is None else ("不涉及" if level == js.NOT_APPLICABLE else str(level))
        shown_score = "—" if level == js.NOT_APPLICABLE else ("____" if score is None else f"{score:g}")
        para(cells[4].paragraphs[0], f"等级为{shown_level}，打分为{shown_score}。", "center")
    last = table.rows[len(qs) + 1].cells
    label = last[0].merge(last[3])
    para(label.paragraphs[0], "综合得分（最终综合得分=其他问题的综合得分/其他问题的总分）", "center", bold=True)
    para(last[4].paragraphs[0], _total_text(record), "center")
    ooxml.valign_center(label)
    para(
        doc,
        "注：1.企业在选定所处的等级后，依据企业与该等级描述的符合程度，参照“基本符合”、“比较符合”和“非常符合”"
        "在等级分段内从低到高划分3个小分段，并进行自主打分（表3）。",
    )
    para(
        doc,
        "表3 企业等级自主打分参考表：" + "；".join(f"等级{lv}：{js.level_range_text(lv)}" for lv in range(1, 7)) + "。",
    )
    for i, text in enumerate((SEAL, DATE)):
        p = para(doc, text)
        p.paragraph_format.left_indent = ooxml.Cm(9.5)
        p.paragraph_format.space_before = ooxml.Pt(18 if i == 0 else 24)  # room for the seal
    return ooxml.finish(doc, DX_TITLE, record.enterprise.name or "")
