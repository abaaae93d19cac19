"""KPI names from the 关键绩效指标参考 the pack uses (``checks.kpi``: 2025, 2024, gansu)."""

import difflib

from ..refdata import kpi_key, kpi_names
from . import WARNING, Hit, rule


@rule("KP001", WARNING, "关键绩效指标名称不在参考指标中")
def known_kpi(ctx):
    lists = ctx.check("kpi")
    if not lists or not ctx.record.kpis:
        return
    if not isinstance(lists, list):
        lists = [lists]
    known = {kpi_key(n): n for lst in lists for n in kpi_names(lst)}
    for name in ctx.record.kpis:
        if kpi_key(name) not in known:
            near = difflib.get_close_matches(kpi_key(name), list(known), n=1, cutoff=0.5)
            hint = f"，是否为“{known[near[0]]}”？" if near else ""
            yield Hit(f"kpis.{name}", f"“{name}”不在参考指标中{hint}", label=name)
