"""Scenario names and 环节 from the catalogue edition the pack declares."""

from ..refdata import catalogue
from . import ERROR, Hit, rule


def _catalogue(ctx):
    return catalogue(ctx.edition) if ctx.edition else None


@rule("SC001", ERROR, "场景名称不在《智能制造典型场景参考指引》中")
def official_name(ctx):
    cat = _catalogue(ctx)
    if cat is None:
        return
    for i, s in enumerate(ctx.record.scenarios):
        if s.name and cat.by_name(s.name.strip()) is None:
            near = cat.nearest(s.name.strip())
            hint = f"，最接近的是“{near}”" if near else ""
            yield Hit(f"scenarios[{i}].name", f"“{s.name}”不是{cat.title}中的场景名称{hint}")


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
            yield Hit(f"scenarios[{i}].stage", f"“{s.stage}”不是{cat.title}中的环节（{'、'.join(cat.stages)}）")
            continue
        official = cat.by_name((s.name or "").strip())
        if official and official.stage != stage:
            yield Hit(f"scenarios[{i}].stage", f"场景“{official.name}”属于“{official.stage}”环节，填写为“{s.stage}”")
