"""Factory name (上海 附件3 第2项): ends with 智能工厂, not 车间/项目, at most 14 字
with half-width characters counted 3 to 1 and the sum rounded up."""

from ..record.textcount import name_length, name_length_exact
from . import ERROR, Hit, rule

PATH = "factory.name"


def _name(ctx):
    cfg = ctx.check("factory_name")
    name = (ctx.record.factory.name or "").strip()
    return cfg, name


@rule("FN001", ERROR, "工厂名称须以规定的字样结尾")
def must_end_with(ctx):
    cfg, name = _name(ctx)
    if not cfg or not name:
        return
    suffix = cfg.get("suffix")
    banned = [b for b in cfg.get("forbidden_suffixes", []) if name.endswith(b)]
    if suffix and not name.endswith(suffix) and not banned:
        yield Hit(PATH, f"须以“{suffix}”结尾：{name}")


@rule("FN002", ERROR, "工厂名称不能以车间、项目等结尾")
def must_not_end_with(ctx):
    cfg, name = _name(ctx)
    if not cfg or not name:
        return
    for b in cfg.get("forbidden_suffixes", []):
        if name.endswith(b):
            suffix = cfg.get("suffix", "")
            yield Hit(PATH, f"不能以“{b}”结尾，应以“{suffix}”结尾：{name}")


@rule("FN003", ERROR, "工厂名称字数超限")
def max_length(ctx):
    cfg, name = _name(ctx)
    if not cfg or not name or "max_length" not in cfg:
        return
    limit = cfg["max_length"]
    n = name_length(name)
    if n > limit:
        exact = name_length_exact(name)
        shown = f"{float(exact):.2f}".rstrip("0").rstrip(".")
        detail = f"（英文字符每3个计1个：{shown}，向上取整为 {n}）" if exact != n else ""
        yield Hit(PATH, f"共计 {n} 个汉字{detail}，超过 {limit} 个的上限：{name}")
