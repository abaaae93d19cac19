"""字数 limits, counted as Word counts 字数 (see formgen.record.textcount).

Configured in the manifest under ``checks.lengths``, one entry per limit:
``{path: P, max: N}``, ``{path: P, min: N}``, ``{paths: [P...], min, max, label}`` for a
total over several fields, ``{path: P, target: [LOW, HIGH]}`` for "400字左右"
(a warning outside the range, never an error). ``[]`` in a path means every item. The
entries are read once, by the pack (:meth:`formgen.packs.pack.Pack.limits`); the verdict on
a count is :func:`judge`, which the draft check (a Word draft's parts and cells) shares.
"""

from ..record.paths import expand
from ..record.textcount import word_count
from . import ERROR, WARNING, Hit, rule

TOO_LONG, TOO_SHORT, OFF_TARGET = "WC001", "WC002", "WC003"


def judge(limit, n: int) -> list[tuple[str, str, str]]:
    """(code, severity, message) for ``n`` 字 against a :class:`~formgen.packs.pack.Limit`.

    >>> from formgen.packs.pack import Limit
    >>> judge(Limit(("enterprise.intro",), False, max=300), 300)
    []
    >>> judge(Limit(("enterprise.intro",), False, max=300), 301)
    [('WC001', 'error', '共 301 字，超过 300 字的上限（多 1 字）')]
    >>> judge(Limit(("factory.summary",), False, target=(300, 500)), 520)
    [('WC003', 'warning', '共 520 字，建议 400 字左右（300-500 字）')]
    """
    out = []
    if limit.max is not None and n > limit.max:
        out.append((TOO_LONG, ERROR, f"共 {n} 字，超过 {limit.max} 字的上限（多 {n - limit.max} 字）"))
    if limit.min is not None and n < limit.min:
        out.append((TOO_SHORT, ERROR, f"共 {n} 字，少于 {limit.min} 字的下限（差 {limit.min - n} 字）"))
    if limit.target:
        low, high = limit.target
        if not low <= n <= high:
            out.append((OFF_TARGET, WARNING, f"共 {n} 字，建议 {(low + high) // 2} 字左右（{low}-{high} 字）"))
    return out


def _counts(ctx):
    """(limit, path, 字数, label) of every limited field the record fills."""
    if ctx.pack is None:
        return
    for limit in ctx.pack.limits(ctx.record):
        if limit.total:
            total, present = 0, False
            for pattern in limit.paths:
                for _, value in expand(ctx.record, pattern):
                    present = present or bool(value)
                    total += word_count(value)
            if present:
                yield limit, limit.paths[0], total, limit.label
        else:
            for path, value in expand(ctx.record, limit.path):
                if value:
                    yield limit, path, word_count(value), limit.label


def _hits(ctx, code: str):
    for limit, path, n, label in _counts(ctx):
        for found, _severity, message in judge(limit, n):
            if found == code:
                yield Hit(path, message, label)


@rule(TOO_LONG, ERROR, "字数超过上限")
def too_long(ctx):
    yield from _hits(ctx, TOO_LONG)


@rule(TOO_SHORT, ERROR, "字数低于下限")
def too_short(ctx):
    yield from _hits(ctx, TOO_SHORT)


@rule(OFF_TARGET, WARNING, "字数偏离建议字数")
def off_target(ctx):
    yield from _hits(ctx, OFF_TARGET)
