"""Enterprise size (统计上大中小微型企业划分办法（2017）, industry): declared 企业类型
must agree with headcount and revenue."""

from decimal import Decimal

from . import ERROR, Hit, rule

THRESHOLDS = [("大型", 1000, Decimal(40000)), ("中型", 300, Decimal(2000)), ("小型", 20, Decimal(300))]


def size_for(employees: int, revenue: Decimal) -> str:
    for name, people, money in THRESHOLDS:
        if employees >= people and revenue >= money:
            return name
    return "微型"


def revenue_of(e) -> Decimal | None:
    if e.revenue is not None:
        return e.revenue
    years = [y for y in e.financials if y.year is not None and y.revenue is not None]
    return max(years, key=lambda y: y.year).revenue if years else None


@rule("SZ001", ERROR, "企业类型与从业人数、营业收入不符")
def size_matches(ctx):
    e = ctx.record.enterprise
    revenue = revenue_of(e)
    if e.size is None or e.employees is None or revenue is None:
        return
    expected = size_for(e.employees, revenue)
    if expected != e.size:
        yield Hit(
            "enterprise.size",
            f"从业人员 {e.employees} 人、营业收入 {revenue} 万元应为{expected}企业，填写为{e.size}企业",
        )
