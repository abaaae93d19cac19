"""甘肃附件4 三、项目实施现状: for each manufacturing mode chosen, every item of 附件5
answered (``checks.mode_items``)."""

from ..record.refdata import modes
from . import ERROR, Hit, rule


def _chosen(ctx):
    if not ctx.check("mode_items"):
        return []
    by_name = {m["mode"]: m for m in modes()}
    return [by_name[m] for m in ctx.record.factory.modes if m in by_name]


@rule(
    "MD001",
    ERROR,
    "所选智能制造模式的项目内容未填写",
    reads=("factory.modes", "narrative.mode_items"),
    check="mode_items",
)
def items_answered(ctx):
    texts = ctx.record.narrative.mode_items
    if ctx.check("mode_items") and not ctx.record.factory.modes:
        yield Hit("factory.modes", "须至少选择一种智能制造模式", label="智能制造模式")
    for mode in _chosen(ctx):
        answers = texts.get(mode["mode"], {})
        for item in mode["items"]:
            if not (answers.get(item["no"]) or "").strip():
                yield Hit(
                    f"narrative.mode_items.{mode['mode']}.{item['no']}",
                    f"{mode['heading']} 第{item['no']}项“{item['title']}”未填写",
                    label=f"三、项目实施现状·{mode['mode']}",
                )


@rule("MD002", ERROR, "项目实施现状中的模式或项目序号不存在")
def known_items(ctx):
    known = {m["mode"]: {i["no"] for i in m["items"]} for m in modes()}
    chosen = set(ctx.record.factory.modes)
    for name, answers in ctx.record.narrative.mode_items.items():
        if name not in known:
            yield Hit(f"narrative.mode_items.{name}", f"“{name}”不是附件5中的智能制造模式（{'、'.join(known)}）")
            continue
        if name not in chosen:
            yield Hit(f"narrative.mode_items.{name}", f"填写了“{name}”的内容，但智能制造模式中没有勾选它")
        for no in answers:
            if no not in known[name]:
                yield Hit(f"narrative.mode_items.{name}.{no}", f"{name}没有第{no}项（共 {len(known[name])} 项）")
