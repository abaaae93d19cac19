"""近三年 figures: consecutive years, the three before the round's year
(``checks.recent_years: {round_year: 2025}``), 资产负债率 = 负债/资产, 利润率 = 利润/收入."""

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


def _years(ctx) -> list[int]:
    return [y.year for y in ctx.record.enterprise.financials if y.year is not None]


def _consecutive(years: list[int]) -> bool:
    return len(years) == 3 and sorted(years) == list(range(min(years), min(years) + 3))


def expected_years(ctx) -> list[int] | None:
    """近三年 of the pack's round: the three years before the round's year (2025 -> 2022-2024)."""
    cfg = ctx.check("recent_years")
    if not cfg or not cfg.get("round_year"):
        return None
    y = int(cfg["round_year"])
    return [y - 3, y - 2, y - 1]


def _listed(years) -> str:
    return "、".join(map(str, years))


@rule("FI001", ERROR, "近三年须为连续三个年度")
def consecutive_years(ctx):
    years = _years(ctx)
    if years and not _consecutive(years):
        want = expected_years(ctx)
        hint = f"（本轮应为 {_listed(want)} 年）" if want else ""
        yield Hit("enterprise.financials", f"应为连续三个年度{hint}，填写为 {_listed(years)}")


@rule("FI004", ERROR, "近三年不是申报年度的前三个年度")
def round_years(ctx):
    # Three consecutive years only: otherwise FI001 reports the years, naming the right ones.
    want, years = expected_years(ctx), _years(ctx)
    if want and years and _consecutive(years) and sorted(years) != want:
        round_year = want[-1] + 1
        yield Hit(
            "enterprise.financials",
            f"近三年应为{round_year}年度申报的前三个年度 {_listed(want)}，填写为 {_listed(sorted(years))}；"
            f"请改填 {_listed(want)} 年的数据",
        )


@rule("FI002", ERROR, "资产负债率与总负债/资产总额不符")
def debt_ratio(ctx):
    yield from _ratio_hits(ctx, "debt_ratio", "total_liabilities", "total_assets", "资产负债率")


@rule("FI003", ERROR, "利润率与利润/主营业务收入不符")
def profit_margin(ctx):
    yield from _ratio_hits(ctx, "profit_margin", "profit", "revenue", "利润率")
