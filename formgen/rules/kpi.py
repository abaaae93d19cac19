"""KPI values against the 关键绩效指标参考 the pack uses (``checks.kpi``: 2025, 2024, gansu):
known names, values a rate or share cannot take, and the declared AI-scenario share
against the record's scenarios."""

import difflib
from decimal import Decimal

from ..record.model import Scenario
from ..record.refdata import kpi_key, kpi_names, kpis
from . import ERROR, WARNING, Hit, rule
from .finance import _tolerance

# kpi_key of 应用人工智能技术场景比例（%）. The 2024 list (002 附1) has it too, but only the
# 2025 要素条件 (000) make it an eligibility figure (卓越级 >=20%, 领航级 >=60%, EL003), so
# KP003 checks the declared figure against the scenarios in the 2025 edition only.
AI_SHARE = "应用人工智能技术场景比例"


def _known(ctx) -> dict[str, str]:
    """kpi_key -> the reference name, over the pack's lists (empty when the pack names none)."""
    lists = ctx.check("kpi")
    if not lists:
        return {}
    if not isinstance(lists, list):
        lists = [lists]
    return {kpi_key(n): n for lst in lists for n in kpi_names(lst)}


def _ranges() -> dict[str, dict]:
    """kpi_key -> its class from data/kpi.yaml ``ranges`` (min, max, why)."""
    return {kpi_key(key): cls for cls in kpis()["ranges"] for key in cls["items"]}


def _bound_text(lo, hi) -> str:
    if lo is not None and hi is not None:
        return f"应在 {lo}% 到 {hi}% 之间"
    if hi is not None:
        return f"不能超过 {hi}%"
    return "不能为负数" if lo == 0 else f"不能低于 {lo}%"


@rule("KP001", WARNING, "关键绩效指标名称不在参考指标中")
def known_kpi(ctx):
    known = _known(ctx)
    if not known or not ctx.record.kpis:
        return
    for name in ctx.record.kpis:
        if kpi_key(name) not in known:
            near = difflib.get_close_matches(kpi_key(name), list(known), n=1, cutoff=0.5)
            hint = f"，是否为“{known[near[0]]}”？" if near else ""
            yield Hit(f"kpis.{name}", f"“{name}”不在参考指标中{hint}", label=name)


@rule("KP002", ERROR, "百分比指标的数值超出可能的范围")
def kpi_range(ctx):
    known = _known(ctx)
    ranges = _ranges()
    for name, value in (ctx.record.kpis or {}).items():
        ref = known.get(kpi_key(name))
        if value is None or ref is None or not ref.endswith("（%）"):
            continue
        cls = ranges.get(kpi_key(name))
        if cls is None:
            continue
        lo, hi = cls.get("min"), cls.get("max")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            yield Hit(f"kpis.{name}", f"“{ref}”填写为 {value}%，{_bound_text(lo, hi)}：{cls['why']}", label=name)


def _ai_reads(scope):
    lists = scope.checks["kpi"]
    names = [kpi_key(n) for lst in (lists if isinstance(lists, list) else [lists]) for n in kpi_names(lst)]
    return ["scenarios[].ai"] if scope.edition == 2025 and AI_SHARE in names else []


@rule("KP003", WARNING, "应用人工智能技术场景比例与记录中的场景不符", reads=_ai_reads, check="kpi")
def ai_share_agrees(ctx):
    scenarios = ctx.record.scenarios
    if ctx.edition != 2025 or AI_SHARE not in _known(ctx) or not scenarios:
        return
    for name, declared in (ctx.record.kpis or {}).items():
        if kpi_key(name) != AI_SHARE or declared is None:
            continue
        ai = sum(1 for s in scenarios if s.ai)
        actual = Decimal(ai) * 100 / len(scenarios)
        if abs(actual - declared) <= _tolerance(declared):
            continue
        unknown = sum(1 for s in scenarios if s.ai is None)
        asked = Scenario.model_fields["ai"].title  # the question as the forms ask it
        note = f"（其中 {unknown} 个场景未填写「{asked}」，按未应用计）" if unknown else ""
        yield Hit(
            f"kpis.{name}",
            f"填写为 {declared}%，而 {len(scenarios)} 个典型场景中「{asked}」为“是”的有 {ai} 个，"
            f"占 {actual:.2f}%{note}",
            label=name,
        )
