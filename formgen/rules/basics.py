"""要素条件 一、基础要求 (000, 001, 002, 003 附件9): the enterprise is a 规模以上工业企业
and had no 较大及以上 safety or environmental accident in the last three years.

``checks.above_scale``: ``{min_revenue: 2000}`` (万元, 主营业务收入 of the latest year);
``checks.accidents``: ``{forbidden: [较大, 重大, 特别重大], text: …}``. Both are "应为"/"无"
in every edition (no "原则上"), so both are errors.
"""

from decimal import Decimal
from typing import get_args

from ..record.derived import latest_revenue
from ..record.model import AccidentSeverity
from . import ERROR, Hit, rule

ACCIDENT_TEXT = "近三年无较大及以上安全、环保等事故"  # 要素条件 基础要求 2, when a manifest gives no text
ACCIDENT_READS = ("enterprise.accident.occurred", "enterprise.accident.severity")


def _revenue_reads(scope):
    yield "enterprise.revenue"
    if scope.checks["above_scale"].get("designations"):
        yield "enterprise.designation"


@rule("BR001", ERROR, "不是规模以上工业企业（主营业务收入不足）", reads=_revenue_reads, check="above_scale")
def above_scale(ctx):
    cfg = ctx.check("above_scale")
    if not cfg or (cfg.get("designations") and ctx.record.enterprise.designation):
        return  # Jiangsu: a designated 创新型/专精特新 enterprise "可参照执行"
    found = latest_revenue(ctx.record.enterprise)
    if found is None:
        return
    path, revenue, year = found
    minimum = Decimal(str(cfg["min_revenue"]))
    if revenue < minimum:
        yield Hit(
            path,
            f"{year}主营业务收入 {revenue} 万元，低于规模以上工业企业标准（年主营业务收入 {minimum} 万元及以上），"
            f"不符合基础要求“企业应为规模以上工业企业”；请核对该年度收入及单位（万元），达不到标准的企业不能申报",
        )


@rule("BR002", ERROR, "近三年发生较大及以上事故", reads=ACCIDENT_READS, check="accidents")
def no_serious_accident(ctx):
    cfg = ctx.check("accidents")
    a = ctx.record.enterprise.accident
    if not cfg or not a.occurred or a.severity not in cfg.get("forbidden", []):
        return
    what = f"“{a.name}”" if a.name else ""
    yield Hit(
        "enterprise.accident.severity",
        f"近三年发生过{a.severity}事故{what}，不符合基础要求“{cfg.get('text') or ACCIDENT_TEXT}”，"
        f"不能申报；如事故等级填写有误，请按事故调查报告认定的等级更正",
    )


@rule("BR003", ERROR, "发生过事故须填写事故等级", reads=ACCIDENT_READS, check="accidents")
def accident_severity_given(ctx):
    cfg = ctx.check("accidents")
    a = ctx.record.enterprise.accident
    if cfg and a.occurred and a.severity is None:
        levels = "、".join(get_args(AccidentSeverity))
        yield Hit(
            "enterprise.accident.severity",
            f"近三年发生过事故时须填写事故等级（{levels} 之一，按事故调查报告认定），"
            f"用于核对基础要求“{cfg.get('text') or ACCIDENT_TEXT}”",
        )
