"""GB/T 4754-2017 industry codes: the code exists and is as fine as the form asks
(``checks.industry: {min_level: 中类}``)."""

from ..record.refdata import gbt4754, industry_code_text
from . import ERROR, Hit, rule

DEPTH = {"门类": 0, "大类": 1, "中类": 2, "小类": 3}
PATH = "enterprise.industry.gbt4754"


@rule("IC001", ERROR, "国民经济行业代码不存在")
def code_exists(ctx):
    code = ctx.record.enterprise.industry.gbt4754
    if code and code.strip() not in gbt4754():
        yield Hit(PATH, f"“{code}”不是 GB/T 4754-2017 中的行业代码")


@rule("IC002", ERROR, "国民经济行业代码不够细")
def fine_enough(ctx):
    cfg = ctx.check("industry")
    code = (ctx.record.enterprise.industry.gbt4754 or "").strip()
    cls = gbt4754().get(code)
    if cfg and cls and DEPTH[cls.level] < DEPTH[cfg["min_level"]]:
        yield Hit(PATH, f"“{code}-{cls.name}”是{cls.level}，须填{industry_code_text(cfg['min_level'])}")
