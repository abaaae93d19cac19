"""Start and end dates in order."""

from . import ERROR, Hit, rule


@rule("DT001", ERROR, "开始时间晚于完成时间")
def start_before_end(ctx):
    r = ctx.record
    pairs = [("factory", r.factory), ("factory.line", r.factory.line)]
    pairs += [(f"scenarios[{i}]", s) for i, s in enumerate(r.scenarios)]
    for prefix, obj in pairs:
        if obj.start and obj.end and obj.start > obj.end:
            yield Hit(f"{prefix}.end", f"完成时间 {obj.end} 早于开始时间 {obj.start}")
    for i, p in enumerate(r.projects):
        if p.period_start and p.period_end and p.period_start > p.period_end:
            yield Hit(f"projects[{i}].period_end", f"建设期止 {p.period_end} 早于起 {p.period_start}")
