"""智能制造能力成熟度 (GB/T 39116-2020): score and level agree; the pack's levels."""

from decimal import Decimal

from ..record.model import CMMM_LEVEL_ZH as ZH
from ..record.model import cmmm_level_for as level_for
from . import ERROR, Hit, rule


@rule("CM001", ERROR, "成熟度分数与等级不符")
def score_matches_level(ctx):
    c = ctx.record.factory.cmmm
    if c.score is None:
        return
    if not Decimal(0) <= c.score <= Decimal(5):
        yield Hit("factory.cmmm.score", f"分数 {c.score} 超出 0-5 的范围")
        return
    if c.level is None:
        return
    expected = level_for(c.score)
    if expected is None:
        yield Hit("factory.cmmm.level", f"分数 {c.score} 低于0.8，达不到一级，却填写为{ZH[c.level]}")
    elif expected != c.level:
        yield Hit(
            "factory.cmmm.level",
            f"分数 {c.score} 对应{ZH[expected]}（L{expected}），却填写为{ZH[c.level]}（L{c.level}）",
        )


@rule("CM002", ERROR, "成熟度等级不在本表受理范围", reads=("factory.cmmm.level",), check="cmmm_levels")
def accepted_levels(ctx):
    cfg = ctx.check("cmmm_levels")
    level = ctx.record.factory.cmmm.level
    if cfg and level is not None:
        low, high = cfg
        if not low <= level <= high:
            yield Hit("factory.cmmm.level", f"本表只受理 L{low}-L{high}，填写为 L{level}")
