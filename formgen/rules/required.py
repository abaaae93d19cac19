"""Fields a pack's documents need: every field its layouts use unless marked optional."""

from . import ERROR, Hit, expand, rule


def _empty(value) -> bool:
    return value is None or (
        isinstance(value, (str, list, dict)) and not (value.strip() if isinstance(value, str) else value)
    )


@rule("RQ001", ERROR, "必填项未填写")
def required(ctx):
    if ctx.pack is None:
        return
    seen = set()
    for pattern, label, documents in ctx.pack.required_fields(
        ctx.documents if ctx.documents is not None else ctx.pack.documents_for(ctx.record)
    ):
        for path, value in expand(ctx.record, pattern):
            if path in seen or not _empty(value):
                continue
            seen.add(path)
            yield Hit(path, f"必填（{'、'.join(documents)}）", label)
