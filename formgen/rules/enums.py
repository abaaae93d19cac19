"""Values that must come from a pack's list (``checks.enums``: path + enum name from
data/enums.yaml, or an inline ``values`` list)."""

import difflib

from ..refdata import enums
from . import ERROR, Hit, expand, rule


@rule("EN001", ERROR, "取值不在规定范围内")
def in_list(ctx):
    for entry in ctx.check("enums", []) or []:
        allowed = entry.get("values") or enums()[entry["enum"]]
        for path, value in expand(ctx.record, entry["path"]):
            if value and value not in allowed:
                near = difflib.get_close_matches(value, allowed, n=1, cutoff=0.3)
                hint = f"，是否为“{near[0]}”？" if near else ""
                yield Hit(path, f"“{value}”不在规定范围内（{'、'.join(allowed)}）{hint}")
