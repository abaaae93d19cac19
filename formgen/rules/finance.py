"""近三年 figures: consecutive years, 资产负债率 = 负债/资产, 利润率 = 利润/收入."""

from decimal import Decimal

from . import ERROR, Hit, rule


def _tolerance(declared: Decimal) -> Decimal:
    """Half a unit of the declared precision: 45.3 allows +-0.05, 45 allows +-0.5."""
    exp = declared.as_tuple().exponent
    places = -exp if isinstance(exp, int) and exp < 0 else 0
    return Decimal(5) / Decimal(10) ** (places + 1) + Decimal("0.0001")


def _ratio_hits(ctx, field, num, den, what):
    for i, y in enumerate(ctx.record.enterprise.financials):
        declared, a, b = getattr(y, field), getattr(y, num), getattr(y, den)
        if declared is None or a is None or not b:
            continue
        actual = a / b * 100
        if abs(actual - declared) > _tolerance(declared):
            yield Hit(
                f"enterprise.financials[{i}].{field}",
                f"{y.year or ''}年{what}填写为 {declared}%，按填写数据计算应为 {actual:.2f}%",
            )


@rule("FI001", ERROR, "近三年须为连续三个年度")
def consecutive_years(ctx):
    years = [y.year for y in ctx.record.enterprise.financials if y.year is not None]
    if not years:
        return
    if len(years) != 3 or sorted(years) != list(range(min(years), min(years) + 3)) or len(set(years)) != 3:
        yield Hit("enterprise.financials", f"应为连续三个年度，填写为 {'、'.join(map(str, years))}")


@rule("FI002", ERROR, "资产负债率与总负债/资产总额不符")
def debt_ratio(ctx):
    yield from _ratio_hits(ctx, "debt_ratio", "total_liabilities", "total_assets", "资产负债率")


@rule("FI003", ERROR, "利润率与利润/主营业务收入不符")
def profit_margin(ctx):
    yield from _ratio_hits(ctx, "profit_margin", "profit", "revenue", "利润率")
