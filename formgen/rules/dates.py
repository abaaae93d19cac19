"""Dates: start before end, construction finished by the pack's deadline
(``checks.completed_by: {path: factory.end, date: 2024-11-22, what: …}``), a founding
date not in the future."""

import datetime as dt

from ..record.paths import get
from ..record.written import fmt
from . import ERROR, Hit, rule


@rule("DT001", ERROR, "开始时间晚于完成时间")
def start_before_end(ctx):
    r = ctx.record
    pairs = [("factory", r.factory), ("factory.line", r.factory.line)]
    pairs += [(f"scenarios[{i}]", s) for i, s in enumerate(r.scenarios)]
    for prefix, obj in pairs:
        if obj.start and obj.end and obj.start > obj.end:
            yield Hit(f"{prefix}.end", f"完成时间 {fmt(obj.end)} 早于开始时间 {fmt(obj.start)}")
    for i, p in enumerate(r.projects):
        if p.period_start and p.period_end and p.period_start > p.period_end:
            yield Hit(f"projects[{i}].period_end", f"建设期止 {fmt(p.period_end)} 早于起 {fmt(p.period_start)}")


def _month(value) -> str | None:
    """'YYYY-MM' of a date, a YearMonth or a 'YYYY-MM-DD' text."""
    if value is None:
        return None
    if isinstance(value, dt.date):
        return f"{value.year:04d}-{value.month:02d}"
    return str(value)[:7]


@rule(
    "DT002",
    ERROR,
    "智能工厂建设未在申报截止前完成",
    reads=lambda s: [s.checks["completed_by"]["path"]],
    check="completed_by",
)
def completed_by(ctx):
    cfg = ctx.check("completed_by")
    if not cfg:
        return
    end = get(ctx.record, cfg["path"])
    deadline = cfg["date"]
    if end and _month(end) > _month(deadline):
        yield Hit(
            cfg["path"],
            f"建设完成时间 {fmt(_month(end))} 晚于{cfg.get('what', '申报')}截止日期 {fmt(deadline)}；"
            f"申报主体须已完成智能工厂建设，请核对完成时间，尚未建成的工厂不能申报本轮",
        )


@rule("DT003", ERROR, "成立时间晚于今天")
def founded_not_in_future(ctx):
    founded = ctx.record.enterprise.founded
    if founded and founded > ctx.today:
        yield Hit(
            "enterprise.founded", f"成立时间 {fmt(founded)} 晚于今天（{fmt(ctx.today)}）；请按营业执照上的成立日期填写"
        )
