"""Fields a pack's documents need: every field its layouts use unless marked optional."""

from ..record.paths import expand, get, is_empty
from . import ERROR, Hit, rule


@rule("RQ001", ERROR, "必填项未填写")
def required(ctx):
    """Each empty field once, naming every document that needs it. A document written
    once per chosen item (``split``) needs the fields of the chosen items only."""
    if ctx.pack is None:
        return
    from ..record.derived import DERIVED, derived_value

    documents = ctx.applicable_documents()
    missing: dict[str, list[str]] = {}
    # sheets the bureau compiles, beside a 申报书 of the enterprise's own
    sheets = {d.short_title for d in documents if d.kind == "multi"} if any(d.single for d in documents) else set()
    for doc in documents:
        for pattern, _label, optional in doc.fields():
            if optional:
                continue
            for path, value in expand(ctx.record, pattern):
                if path in DERIVED:  # its own value or its source's; when neither, the source is asked for
                    value, path = derived_value(ctx.record, path), DERIVED[path].source
                if is_empty(value) and doc.covers(ctx.record, path):
                    needing = missing.setdefault(path, [])
                    if doc.short_title not in needing:
                        needing.append(doc.short_title)
    for path, needing in missing.items():
        # a field only a sheet the bureau compiles needs: said so, by validate and fill alike
        only_sheets = "；推荐单位汇总的表要用，申报书不印此项" if set(needing) <= sheets else ""
        yield Hit(path, f"必填（{'、'.join(needing)}{only_sheets}）")


@rule("SC003", ERROR, "申报的优秀场景在场景列表中找不到")
def split_keys_exist(ctx):
    """A document written once per chosen item (Gansu 附件2 per 优秀场景) needs at least
    one item with that key: a 优秀场景 name with no scenario of that name prints nothing."""
    if ctx.pack is None:
        return
    for doc in ctx.pack.documents_for(ctx.record, single=True):
        if not doc.split:
            continue
        items = get(ctx.record, doc.split["list"]) or []
        present = [getattr(x, doc.split["key"], None) for x in items]
        for i, key in enumerate(get(ctx.record, doc.split["by"]) or []):
            if key not in present:
                known = "、".join(dict.fromkeys(p for p in present if p)) or "（无）"
                yield Hit(
                    f"{doc.split['by']}[{i}]",
                    f"“{key}”不是记录中任何场景的场景名称，{doc.short_title}无从填写；记录中的场景有：{known}",
                )
