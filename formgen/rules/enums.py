"""Values that must come from a pack's list (``checks.enums``: path + enum name from
data/enums.yaml, or an inline ``values`` list). A former value (data/aliases.yaml, e.g. a
Shanghai district since merged) names the value that replaced it."""

import difflib

from ..record.paths import expand
from ..record.refdata import enum_alias, enums
from . import ERROR, Hit, rule

_FORMER = {"并入": "“{value}”已并入{to}", "撤县设区": "“{value}”已撤县设区为{to}"}


@rule("EN001", ERROR, "取值不在规定范围内")
def in_list(ctx):
    for entry in ctx.check("enums", []) or []:
        allowed = entry.get("values") or enums()[entry["enum"]]
        for path, value in expand(ctx.record, entry["path"]):
            if value and value not in allowed:
                alias = enum_alias(entry["enum"], value) if entry.get("enum") else None
                if alias and alias[0] in allowed:
                    to, kind = alias
                    yield Hit(path, f"{_FORMER[kind].format(value=value, to=to)}，请填写“{to}”")
                    continue
                near = difflib.get_close_matches(value, allowed, n=1, cutoff=0.3)
                hint = f"，是否为“{near[0]}”？" if near else ""
                yield Hit(path, f"“{value}”不在规定范围内（{'、'.join(allowed)}）{hint}")
