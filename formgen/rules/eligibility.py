"""要素条件 (2024/2025 editions): CMMM level, construction areas covered, AI share."""

from decimal import Decimal

from ..record.refdata import catalogue
from . import ERROR, WARNING, Hit, rule

MIN_CMMM = {"基础级": 2, "先进级": 2, "卓越级": 3, "领航级": 4}
AREAS = ["工厂建设", "研发设计", "生产作业", "生产管理", "运营管理"]
# (areas required, severity): 卓越级 covers all five "原则上" (in principle) -> warning;
# 领航级 "须覆盖" (must) -> error; 基础级/先进级 "至少覆盖" -> error.
NEEDED = {
    "基础级": (["生产作业"], ERROR),
    "先进级": (["生产作业", "生产管理", "运营管理"], ERROR),
    "卓越级": (AREAS, WARNING),
    "领航级": (AREAS, ERROR),
}
AI_SHARE = {"卓越级": Decimal(20), "领航级": Decimal(60)}  # 2025 edition only


@rule(
    "EL001",
    ERROR,
    "成熟度等级低于申报层级的要求",
    reads=lambda s: ["factory.cmmm.level"] if s.level in MIN_CMMM else [],
)
def cmmm_level(ctx):
    f = ctx.record.factory
    level = f.cmmm.certified_level or f.cmmm.level
    need = MIN_CMMM.get(f.level or "")
    if need and level is not None and level < need:
        yield Hit("factory.cmmm.level", f"{f.level}智能工厂须达到成熟度{need}级及以上，现为{level}级")


@rule(
    "EL002",
    ERROR,
    "典型场景未覆盖申报层级要求的环节",
    reads=lambda s: ["scenarios[].stage"] if s.edition and s.level in NEEDED else [],
)
def areas_covered(ctx):
    f = ctx.record.factory
    if not ctx.edition or f.level not in NEEDED or not ctx.record.scenarios:
        return
    cat = catalogue(ctx.edition)
    covered = {cat.stage_area((s.stage or "").removesuffix("环节")) for s in ctx.record.scenarios}
    needed, severity = NEEDED[f.level]
    missing = [a for a in needed if a not in covered]
    if missing:
        yield Hit(
            "scenarios", f"{f.level}智能工厂应覆盖{'、'.join(needed)}，尚缺{'、'.join(missing)}", severity=severity
        )


def _ai_reads(scope):
    return ["scenarios[].name", "scenarios[].ai"] if scope.edition == 2025 and scope.level in AI_SHARE else []


@rule("EL003", ERROR, "应用人工智能技术场景比例不足", reads=_ai_reads)
def ai_share(ctx):
    f = ctx.record.factory
    need = AI_SHARE.get(f.level or "")
    scenarios = ctx.record.scenarios
    if ctx.edition != 2025 or need is None or not scenarios:
        return
    share = Decimal(sum(1 for s in scenarios if s.ai)) * 100 / len(scenarios)
    if share < need:
        yield Hit("scenarios", f"{f.level}要求应用人工智能技术场景比例不低于{need}%，现为{share:.1f}%")
