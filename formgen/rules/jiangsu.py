"""Jiangsu 2025 (shared/sources/004): the 数字化转型 self-evaluation (附件3 表2 scored in the
bands of 表3), the scenario self-evaluation (典型场景对照参考表) and the scenario counts of
附件2. On when the manifest has ``checks.jiangsu: {}``; the tables are data/jiangsu.yaml."""

from ..record.refdata import catalogue
from ..selfeval import scoring as js
from . import ERROR, WARNING, Hit, rule

ANSWERS = tuple(f"dx.q{no}.{key}" for no in js.SCORED for key in ("level", "score"))
SCENARIOS = ("scenarios[].name", "scenarios[].level")


def _answers(ctx):
    for no in js.SCORED:
        q = js.question(no)
        yield no, q, getattr(ctx.record.dx, f"q{no}")


def _name(no, q) -> str:
    return f"第{no}题“{q['name']}”"


@rule("JS001", ERROR, "自主打分不在所选等级的打分分段内", reads=ANSWERS, check="jiangsu")
def score_in_band(ctx):
    if ctx.check("jiangsu") is None:
        return
    for no, q, a in _answers(ctx):
        if a.level in (None, js.NOT_APPLICABLE) or a.score is None:
            continue
        level, score = int(a.level), float(a.score)
        if js.band_for(level, score):
            continue
        other = next((b for b in js.bands() if b.holds(score)), None)
        hint = f"；{score:g}分属于等级{other.level}{'的' + other.degree if other.degree else ''}分段" if other else ""
        yield Hit(
            f"dx.q{no}.score",
            f"{_name(no, q)}选择等级{level}，自主打分{score:g}分不在表3该等级的打分分段内"
            f"（{js.level_range_text(level)}）{hint}；请按与等级描述的符合程度在分段内打分",
            label=f"{q['name']} 自主打分",
        )


@rule("JS002", ERROR, "该题没有“不涉及此环节”选项", reads=ANSWERS, check="jiangsu")
def not_applicable_offered(ctx):
    if ctx.check("jiangsu") is None:
        return
    for no, q, a in _answers(ctx):
        if a.level == js.NOT_APPLICABLE and not q.get("not_applicable"):
            yield Hit(
                f"dx.q{no}.level",
                f"{_name(no, q)}没有“不涉及此环节”选项（只有第1、5、6题有），请选择等级1-6",
                label=f"{q['name']} 等级",
            )


@rule("JS003", ERROR, "自评价题目未填等级或打分", reads=ANSWERS, check="jiangsu")
def answer_complete(ctx):
    if ctx.check("jiangsu") is None:
        return
    for no, q, a in _answers(ctx):
        if a.level is None:
            yield Hit(f"dx.q{no}.level", f"{_name(no, q)}未填等级（1-6）", label=f"{q['name']} 等级")
        elif a.level != js.NOT_APPLICABLE and a.score is None:
            yield Hit(
                f"dx.q{no}.score", f"{_name(no, q)}已选等级{a.level}，未填自主打分", label=f"{q['name']} 自主打分"
            )
        elif a.level == js.NOT_APPLICABLE and a.score is not None:
            yield Hit(
                f"dx.q{no}.score",
                f"{_name(no, q)}选择了“不涉及此环节”，不应打分（该题权重平均分配到其他题目）",
                label=f"{q['name']} 自主打分",
            )


@rule("JS004", ERROR, "数字化转型自评价得分未高于60分", reads=ANSWERS, check="jiangsu")
def total_above_floor(ctx):
    if ctx.check("jiangsu") is None:
        return
    total = js.record_total(ctx.record)
    floor = js.data()["basic"]["min_total_above"]
    if total is not None and not total > floor:
        yield Hit(
            "dx",
            f"数字化转型自评价得分{total:.2f}分，基础要求为高于{floor}分（附件2 基础要求5），不能申报",
            label="数字化转型自评价（江苏）",
        )


@rule("JS005", ERROR, "场景自评价选择了表中为“/”的等级", reads=SCENARIOS, check="jiangsu")
def level_offered(ctx):
    if ctx.check("jiangsu") is None:
        return
    cat = catalogue(2024)
    for i, s in enumerate(ctx.record.scenarios):
        hit = cat.by_name(s.name or "")
        if hit and s.level in js.slash_levels(hit.no):
            have = [lv for lv in js.LEVELS if lv not in js.slash_levels(hit.no)]
            yield Hit(
                f"scenarios[{i}].level",
                f"“{s.name}”在典型场景对照参考表中{s.level}为“/”（无该等级描述），不能选择；可选：{'、'.join(have)}",
            )


@rule("JS006", ERROR, "场景未填自评价等级", reads=SCENARIOS, check="jiangsu")
def level_given(ctx):
    if ctx.check("jiangsu") is None:
        return
    for i, s in enumerate(ctx.record.scenarios):
        if s.name and s.level is None:
            yield Hit(f"scenarios[{i}].level", f"“{s.name}”未填场景自评价等级（{'、'.join(js.LEVELS)}）")


@rule(
    "JS007",
    ERROR,
    "场景数不足申报层级的要求",
    reads=(*SCENARIOS, "factory.level", "factory.cmmm.level"),
    check="jiangsu",
)
def scenario_count(ctx):
    if ctx.check("jiangsu") is None:
        return
    level = ctx.record.factory.level
    tier = next((t for t in js.tiers() if t["level"] == level), None)
    if tier is None:
        return
    n = js.counts(js.record_scenarios(ctx.record))[level]
    if n < tier["min_scenarios"]:
        yield Hit(
            "scenarios",
            f"{level}智能工厂建设场景数不低于{tier['min_scenarios']}个，达到{level}及以上描述的场景现有{n}个"
            f"（高等级场景计入低等级）",
        )


@rule(
    "JS008", WARNING, "自评价得分建议的场景自评价等级低于申报层级", reads=(*ANSWERS, "factory.level"), check="jiangsu"
)
def advice_level(ctx):
    if ctx.check("jiangsu") is None:
        return
    level = ctx.record.factory.level
    total = js.record_total(ctx.record)
    if level not in js.LEVELS or total is None:
        return
    advised = js.advice(total)
    if advised is None or js.LEVELS.index(advised) < js.LEVELS.index(level):
        floor = next(a["above"] for a in js.data()["advice"] if a["level"] == level)
        yield Hit(
            "factory.level",
            f"数字化转型自评价得分{total:.2f}分，《自评价参考》建议得分高于{floor}分的企业开展{level}场景自评价"
            f"（现建议：{advised or '无'}）；仅为建议，不影响申报",
        )


@rule(
    "JS009", ERROR, "当年数字化投入大于累计投入", reads=("dx.investment_total", "dx.investment_latest"), check="jiangsu"
)
def investment_consistent(ctx):
    if ctx.check("jiangsu") is None:
        return
    dx = ctx.record.dx
    if (
        dx.investment_total is not None
        and dx.investment_latest is not None
        and dx.investment_latest > dx.investment_total
    ):
        yield Hit(
            "dx.investment_latest",
            f"2024年数字化投入{dx.investment_latest}万元大于自2014年以来的总投入{dx.investment_total}万元，请核对",
        )


@rule(
    "JS010",
    ERROR,
    "达到申报层级的场景未覆盖要求的环节",
    reads=(*SCENARIOS, "scenarios[].stage", "factory.level"),
    check="jiangsu",
)
def areas_at_level(ctx):
    """EL002 counts every scenario; here only those self-evaluated at the applied level or
    above count (an area EL002 already finds empty is left to it)."""
    if ctx.check("jiangsu") is None:
        return
    level = ctx.record.factory.level
    tier = next((t for t in js.tiers() if t["level"] == level), None)
    if tier is None:
        return
    chosen = js.record_scenarios(ctx.record)
    anywhere = js.areas_covered(chosen, js.LEVELS[0]) | {
        catalogue(2024).stage_area((s.stage or "").removesuffix("环节")) for s in ctx.record.scenarios
    }
    at_level = js.areas_covered(chosen, level)
    lacking = [a for a in tier["areas"] if a in anywhere and a not in at_level]
    if lacking:
        yield Hit(
            "scenarios",
            f"{level}智能工厂须覆盖{'、'.join(tier['areas'])}；{'、'.join(lacking)}环节的场景均未达到{level}描述",
        )
