"""Jiangsu 2025: the 数字化转型 self-evaluation (附件3 表2/表3), the scenario self-evaluation
(典型场景企业自评价参考) and the tier conditions (附件2), computed from data/jiangsu.yaml.

Readings chosen from the text:
- Total: each scored question (1-6, 8-10; 7 is the 投入规模, not scored) is out of 100; the
  total is the sum of the scores of the questions that apply over their full marks, times 100
  ("最终综合得分=其他问题的综合得分/其他问题的总分"), so a question marked 不涉及 has its weight
  spread evenly over the others.
- Scenario counts are cumulative: a scenario self-evaluated at 卓越级 meets the 先进级 and
  基础级 conditions too, so it counts toward every level up to its own (also where a lower
  level is printed "/": the scenario exceeds it).
- An area is covered at a level when at least one scenario of that area is counted there.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from ..record import refdata
from ..record.levels import LEVELS

NOT_APPLICABLE = "不涉及"


@dataclass(frozen=True)
class Band:
    level: int
    degree: str | None  # 符合程度; None for level 1
    low: float
    high: float
    low_closed: bool

    def holds(self, score: float) -> bool:
        if self.level == 1:
            return score == 0
        above = score >= self.low if self.low_closed else score > self.low
        return above and score < self.high

    @property
    def text(self) -> str:
        if self.level == 1:
            return "0"
        return f"{'[' if self.low_closed else '('}{self.low:g}-{self.high:g})"


@functools.cache
def data() -> dict:
    return refdata._load_yaml("jiangsu.yaml")


@functools.cache
def bands() -> tuple[Band, ...]:
    return tuple(Band(lv, deg, lo, hi, closed) for lv, deg, lo, hi, closed in data()["bands"])


def questions() -> list[dict]:
    return data()["questions"]


def scored_questions() -> list[dict]:
    return [q for q in questions() if q.get("scored", True)]


def question(no: int) -> dict | None:
    return next((q for q in questions() if q["no"] == no), None)


def level_bands(level: int) -> tuple[Band, ...]:
    return tuple(b for b in bands() if b.level == level)


def band_for(level: int, score: float) -> Band | None:
    """The 表3 band of ``level`` that holds ``score``; None when the score is outside them."""
    return next((b for b in level_bands(level) if b.holds(score)), None)


def level_range_text(level: int) -> str:
    """How 表3 prints the scores allowed for ``level``, band by band."""
    return "，".join(f"{b.degree}{b.text}" if b.degree else b.text for b in level_bands(level))


def total(answers: dict[int, tuple]) -> float | None:
    """The 综合得分 out of 100 from ``{question no: (level, score)}``; a level of
    ``NOT_APPLICABLE`` leaves the question out. None when no question applies or a score
    is missing."""
    full = data()["full_marks"]
    got = 0.0
    out_of = 0
    for q in scored_questions():
        level, score = answers.get(q["no"], (None, None))
        if level == NOT_APPLICABLE:
            continue
        if score is None:
            return None
        got += float(score)
        out_of += full
    if not out_of:
        return None
    return got / out_of * 100


def slash_levels(no: int) -> tuple[str, ...]:
    """The levels the 对照参考表 prints "/" for scenario ``no`` (2024 catalogue)."""
    return tuple(data()["scenarios_slash"].get(no, ()))


def counts(chosen: dict[int, str]) -> dict[str, int]:
    """Cumulative counts per level from ``{scenario no: level}``."""
    rank = {lv: i for i, lv in enumerate(LEVELS)}
    return {lv: sum(1 for c in chosen.values() if c in rank and rank[c] >= rank[lv]) for lv in LEVELS}


def areas_covered(chosen: dict[int, str], level: str) -> set[str]:
    rank = {lv: i for i, lv in enumerate(LEVELS)}
    cat = refdata.catalogue(2024)
    by_no = {s.no: s for s in cat.scenarios}
    return {
        by_no[no].area
        for no, lv in chosen.items()
        if no in by_no and lv in rank and rank[lv] >= rank[level] and by_no[no].area
    }


def tiers() -> list[dict]:
    return data()["tiers"]


CMMM_NAMES = {1: "一级", 2: "二级", 3: "三级", 4: "四级", 5: "五级"}


@dataclass
class Assessment:
    total: float | None
    counts: dict[str, int]
    unmet: dict[str, list[str]]  # level -> the conditions it misses (in Chinese)
    supported: str | None  # the highest level whose every condition holds
    advice: str | None  # the level the total suggests to self-evaluate


def basic_unmet(total_score: float | None, basics: dict) -> list[str]:
    """附件2 一、基础要求 as far as the record tells: ``basics`` has ``above_scale`` (bool),
    ``designation`` (str or None) and ``accidents`` (list of accident kinds in 近三年)."""
    out = []
    if not basics.get("above_scale") and not basics.get("designation"):
        out.append("非规模以上工业企业，也未填创新型中小企业、专精特新等可参照执行的认定")
    for kind in basics.get("accidents") or ():
        out.append(f"近三年发生重大（含）以上{kind}事故（事件）")
    floor = data()["basic"]["min_total_above"]
    if total_score is None:
        out.append("数字化转型自评价得分无法计算")
    elif not total_score > floor:
        out.append(f"数字化转型自评价得分{total_score:.2f}分，未高于{floor}分")
    return out


def assess(total_score: float | None, chosen: dict[int, str], cmmm: int | None, basics: dict) -> Assessment:
    cnt = counts(chosen)
    base = basic_unmet(total_score, basics)
    unmet: dict[str, list[str]] = {}
    supported = None
    for tier in tiers():
        lv = tier["level"]
        miss = list(base)
        covered = areas_covered(chosen, lv)
        lacking = [a for a in tier["areas"] if a not in covered]
        if lacking:
            miss.append(f"未覆盖{'、'.join(lacking)}环节")
        if cnt[lv] < tier["min_scenarios"]:
            miss.append(f"{lv}场景{cnt[lv]}个，不足{tier['min_scenarios']}个")
        if cmmm is None or cmmm < tier["min_cmmm"]:
            have = CMMM_NAMES.get(cmmm, "未填") if cmmm else "未填"
            miss.append(f"智能制造能力成熟度{have}，未达{CMMM_NAMES[tier['min_cmmm']]}")
        unmet[lv] = miss
        if not miss:
            supported = lv
    return Assessment(total_score, cnt, unmet, supported, advice(total_score))


def advice(total_score: float | None) -> str | None:
    if total_score is None:
        return None
    hit = None
    for a in data()["advice"]:
        if total_score > a["above"]:
            hit = a["level"]
    return hit


# ---- from a record ---------------------------------------------------------------------

SCORED = (1, 2, 3, 4, 5, 6, 8, 9, 10)


def record_answers(record) -> dict[int, tuple]:
    """``{question no: (level, score)}`` from ``record.dx``: level an int 1-6 or
    ``NOT_APPLICABLE``, score a number or None."""
    out = {}
    for no in SCORED:
        a = getattr(record.dx, f"q{no}")
        level = a.level
        if level is not None and level != NOT_APPLICABLE:
            level = int(level)
        out[no] = (level, None if a.score is None else float(a.score))
    return out


def record_total(record) -> float | None:
    answers = record_answers(record)
    if any(level is None for level, _ in answers.values()):
        return None
    return total(answers)


def record_scenarios(record) -> dict[int, str]:
    """``{2024 catalogue no: level}`` of the record's scenarios that name a catalogue
    scenario and a level it may have (the best level when a scenario is listed twice)."""
    cat = refdata.catalogue(2024)
    out: dict[int, str] = {}
    for s in record.scenarios:
        hit = cat.by_name(s.name or "")
        if s.level in slash_levels(hit.no if hit else 0):
            continue  # a "/" level cannot be chosen (JS005): it counts nowhere
        if hit and s.level in LEVELS and (hit.no not in out or LEVELS.index(s.level) > LEVELS.index(out[hit.no])):
            out[hit.no] = s.level
    return out


def record_basics(record, checks: dict) -> dict:
    from ..record.derived import latest_revenue

    cfg = checks.get("above_scale") or {}
    found = latest_revenue(record.enterprise)
    above = True if not cfg or found is None else found[1] >= cfg.get("min_revenue", 0)
    forbidden = (checks.get("accidents") or {}).get("forbidden", [])
    a = record.enterprise.accident
    accidents = ["安全、环保、质量"] if a.occurred and a.severity in forbidden else []
    return {"above_scale": above, "designation": record.enterprise.designation, "accidents": accidents}


def record_assessment(record, checks: dict) -> Assessment:
    cm = record.factory.cmmm
    return assess(
        record_total(record), record_scenarios(record), cm.certified_level or cm.level, record_basics(record, checks)
    )


def summary_lines(record, checks: dict) -> list[str]:
    """What ``formgen validate --pack jiangsu`` prints after its findings."""
    a = record_assessment(record, checks)
    answers = record_answers(record)
    skipped = [f"第{no}题" for no, (lv, _) in answers.items() if lv == NOT_APPLICABLE]
    if a.total is None:
        lines = ["数字化转型自评价得分：无法计算（有题目未填等级或打分）"]
    else:
        applied = [s for no, (lv, s) in answers.items() if lv != NOT_APPLICABLE]
        how = f"{sum(applied):g}/{len(applied) * data()['full_marks']}×100"
        if skipped:
            how += f"，{'、'.join(skipped)}不涉及，权重平均分配到其余{len(applied)}题"
        lines = [f"数字化转型自评价得分：{a.total:.2f}分（{how}）"]
    if a.advice:
        lines.append(f"建议开展{a.advice}智能工厂的场景自评价（得分高于{_advice_floor(a.advice)}分）")
    need = {t["level"]: t["min_scenarios"] for t in tiers()}
    lines.append(
        "典型场景自评价（累计，高等级场景计入低等级）："
        + "，".join(f"{lv}{a.counts[lv]}个（需{need[lv]}个）" for lv in LEVELS)
    )
    lines.append(f"数据支持的参考等级：{a.supported or '无（未达基础级）'}")
    nxt = LEVELS[LEVELS.index(a.supported) + 1] if a.supported and a.supported != LEVELS[-1] else None
    if a.supported is None:
        nxt = LEVELS[0]
    if nxt:
        lines.append(f"{nxt}未满足：{'；'.join(a.unmet[nxt])}")
    return lines


def _advice_floor(level: str) -> int:
    return next(x["above"] for x in data()["advice"] if x["level"] == level)
