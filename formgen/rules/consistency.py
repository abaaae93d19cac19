"""Figures that must agree with each other: equipment shares, project funding, the
accident's name, membership of a list the pack names."""

from decimal import Decimal

from ..record.paths import get
from ..record.refdata import enums
from . import ERROR, WARNING, Hit, rule
from .finance import _tolerance


def _share(ctx, share_field, num_field, den_field, what):
    line = ctx.record.factory.line
    share, num, den = getattr(line, share_field), getattr(line, num_field), getattr(line, den_field)
    if share is None or num is None or not den:
        return
    actual = Decimal(num) * 100 / Decimal(den)
    if abs(actual - share) > _tolerance(share):
        yield Hit(f"factory.line.{share_field}", f"{what}填写为 {share}%，按台套数计算应为 {actual:.2f}%")


@rule("CS001", ERROR, "设备比重与台套数不符")
def equipment_shares(ctx):
    yield from _share(ctx, "automated_share", "automated", "equipment_total", "自动化、智能化设备占全部设备比重")
    yield from _share(ctx, "networked_share", "networked", "automated", "自动化、智能化设备联网数占比")


def _sum(*values):
    return sum((v for v in values if v is not None), Decimal(0))


@rule("CS002", ERROR, "资金来源合计与总投资不符")
def funding_adds_up(ctx):
    for i, p in enumerate(ctx.record.projects):
        parts = (p.bank_loan, p.self_raised, p.other_funds)
        if p.total is None or all(v is None for v in parts):
            continue
        if _sum(*parts) != p.total:
            yield Hit(
                f"projects[{i}].total", f"银行贷款 + 自筹 + 其他 = {_sum(*parts)} 万元，与总投资 {p.total} 万元不符"
            )


@rule("CS003", WARNING, "资金构成与总投资不一致")
def composition(ctx):
    for i, p in enumerate(ctx.record.projects):
        if p.total is not None and p.fixed_assets is not None and p.working_capital is not None:
            if p.fixed_assets + p.working_capital != p.total:
                yield Hit(
                    f"projects[{i}].fixed_assets",
                    f"固定资产投资 + 铺底流动资金 = {p.fixed_assets + p.working_capital} 万元，总投资为 {p.total} 万元",
                )
        if p.equipment is not None and p.fixed_assets is not None and p.equipment > p.fixed_assets:
            yield Hit(f"projects[{i}].equipment", f"设备投资 {p.equipment} 万元高于固定资产投资 {p.fixed_assets} 万元")


@rule("CS004", ERROR, "发生过事故须填写事故名称")
def accident_named(ctx):
    a = ctx.record.enterprise.accident
    if a.occurred and not (a.name or "").strip():
        yield Hit("enterprise.accident.name", "近三年发生过重大事故时须填写事故名称")


@rule("LS001", ERROR, "不在规定的名单中", reads=lambda s: [e["path"] for e in s.checks["lists"]], check="lists")
def on_list(ctx):
    for entry in ctx.check("lists", []) or []:
        value = get(ctx.record, entry["path"])
        allowed = [n.replace(" ", "").replace("\u3000", "") for n in enums()[entry["enum"]]]
        if value and value.replace(" ", "").replace("\u3000", "") not in allowed:
            yield Hit(entry["path"], f"“{value}”不在{entry.get('list_title', '规定名单')}中（共 {len(allowed)} 家）")
