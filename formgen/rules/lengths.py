"""字数 limits, counted as Word counts 字数 (see formgen.record.textcount).

Configured in the manifest under ``checks.lengths``, one entry per limit:
``{path: P, max: N}``, ``{path: P, min: N}``, ``{paths: [P...], min, max, label}`` for a
total over several fields, ``{path: P, target: [LOW, HIGH]}`` for "400字左右"
(a warning outside the range, never an error). ``[]`` in a path means every item.
"""

from ..record.paths import expand
from ..record.textcount import word_count
from . import ERROR, WARNING, Hit, rule


def _limits(ctx):
    for entry in ctx.check("lengths", []) or []:
        if "paths" in entry:
            total = 0
            present = False
            for pattern in entry["paths"]:
                for _, value in expand(ctx.record, pattern):
                    present = present or bool(value)
                    total += word_count(value)
            if present:
                yield entry, entry["paths"][0], total, entry.get("label")
        else:
            for path, value in expand(ctx.record, entry["path"]):
                if value:
                    yield entry, path, word_count(value), entry.get("label")


@rule("WC001", ERROR, "字数超过上限")
def too_long(ctx):
    for entry, path, n, label in _limits(ctx):
        if "max" in entry and n > entry["max"]:
            yield Hit(path, f"共 {n} 字，超过 {entry['max']} 字的上限（多 {n - entry['max']} 字）", label)


@rule("WC002", ERROR, "字数低于下限")
def too_short(ctx):
    for entry, path, n, label in _limits(ctx):
        if "min" in entry and n < entry["min"]:
            yield Hit(path, f"共 {n} 字，少于 {entry['min']} 字的下限（差 {entry['min'] - n} 字）", label)


@rule("WC003", WARNING, "字数偏离建议字数")
def off_target(ctx):
    for entry, path, n, label in _limits(ctx):
        if "target" in entry:
            low, high = entry["target"]
            if not low <= n <= high:
                middle = (low + high) // 2
                yield Hit(path, f"共 {n} 字，建议 {middle} 字左右（{low}-{high} 字）", label)
