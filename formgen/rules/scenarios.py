"""Scenario names and 环节 from the catalogue edition the pack declares. A name that is
not official is looked up in data/aliases.yaml first (the other edition's name of the
same scenario, a common short name), then by spelling."""

from ..record.refdata import catalogue, scenario_alias
from . import ERROR, Hit, rule


def _catalogue(ctx):
    return catalogue(ctx.edition) if ctx.edition else None


def _quoted(names) -> str:
    return "、".join(f"“{n}”" for n in names)


def _alias_hint(edition: int, name: str) -> str | None:
    """What the aliases say about ``name`` in ``edition``, as the message's tail."""
    alias = scenario_alias(edition, name)
    if alias is None:
        return None
    names = _quoted(alias.names)
    choose = "，请按内容选择" if len(alias.names) > 1 else ""
    if alias.kind == "short":
        return f"，应写作{names}（常用简称）"
    head = f"：这是{alias.edition}年版的名称，{edition}年版中"
    if alias.kind == "split":
        return f"{head}已拆分为{names}{choose}"
    if alias.kind == "merged":
        return f"{head}已并入{names}{choose}"
    if alias.kind == "none":
        return f"{head}没有对应的场景"
    return f"{head}对应{names}{choose}"  # twin, part


@rule("SC001", ERROR, "场景名称不在《智能制造典型场景参考指引》中")
def official_name(ctx):
    cat = _catalogue(ctx)
    if cat is None:
        return
    for i, s in enumerate(ctx.record.scenarios):
        name = (s.name or "").strip()
        if name and cat.by_name(name) is None:
            hint = _alias_hint(cat.edition, name)
            if hint is None:
                near = cat.nearest(name)
                hint = f"，最接近的是“{near}”" if near else ""
            yield Hit(f"scenarios[{i}].name", f"“{s.name}”不是{cat.title}中的场景名称{hint}")


def _scenario(cat, name: str):
    """The official scenario ``name`` stands for: itself, or its only alias."""
    official = cat.by_name(name)
    if official is None:
        alias = scenario_alias(cat.edition, name)
        if alias and len(alias.names) == 1:
            official = cat.by_name(alias.names[0])
    return official


@rule("SC002", ERROR, "环节名称与场景不符")
def stage_matches(ctx):
    cat = _catalogue(ctx)
    if cat is None:
        return
    for i, s in enumerate(ctx.record.scenarios):
        if not s.stage:
            continue
        stage = s.stage.strip().removesuffix("环节")
        if stage not in cat.stages:
            official = _scenario(cat, (s.name or "").strip())
            hint = f"；场景“{official.name}”属于“{official.stage}”环节" if official else ""
            yield Hit(f"scenarios[{i}].stage", f"“{s.stage}”不是{cat.title}中的环节（{'、'.join(cat.stages)}）{hint}")
            continue
        official = cat.by_name((s.name or "").strip())
        if official and official.stage != stage:
            yield Hit(f"scenarios[{i}].stage", f"场景“{official.name}”属于“{official.stage}”环节，填写为“{s.stage}”")
