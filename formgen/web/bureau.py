"""The bureau's page: every record of the folder with its state (as ``formgen validate``
lists them), and for a pack, unit and quota the ranked sheet and the problem report as
``formgen summary`` makes them, to download."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from flask import jsonify, make_response, render_template, request

from . import form as F


def _pack(e):
    """The pack a record of the folder is shown by: the one it was checked by, else its own."""
    if e.pack is not None or e.loaded is None:
        return e.pack
    return F.pack_of(e.loaded.record.pack)[0]


def _row(i: int, e, state: str) -> dict:
    errors = sum(1 for f in e.findings if f.is_error)
    return {
        "no": i,
        "name": e.name,
        "file": e.source.name,
        "errors": errors,
        "warnings": len(e.findings) - errors,
        "state": state,
        "findings": F.finding_dicts(e.findings, e.loaded.record if e.loaded is not None else None, _pack(e)),
    }


def unit_kinds() -> dict[str, str]:
    """推荐单位类别, code -> name (formgen.record.model.UNIT_KINDS).

    >>> unit_kinds()["plan-listed"]
    '计划单列市'
    """
    from ..record.unitkinds import UNIT_KINDS as names

    return dict(names)


UNIT_KINDS = tuple(unit_kinds())  # formgen.record.model.Recommender.unit_kind


def _settings(source) -> dict:
    def text(key: str) -> str:
        value = source.get(key)
        return str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""

    return {"pack": text("pack"), "unit": text("unit"), "unit_kind": text("unit_kind"), "quota": text("quota")}


def _batch(store, s: dict):
    """(batch, pack, problem) for the bureau's settings; batch None with the problem."""
    from .. import app as flow
    from ..packs.pack import PackError, get_pack

    try:
        pack = get_pack(s["pack"])
    except PackError as e:
        return None, None, str(e)
    if not s["unit"]:
        return None, pack, "请填写推荐单位"
    if s["unit_kind"] and s["unit_kind"] not in UNIT_KINDS:
        return None, pack, f"推荐单位类别应为 {'、'.join(unit_kinds().values())} 之一"
    from ..record.types import xml_illegal_chars

    if xml_illegal_chars(s["unit"]):
        return None, pack, "推荐单位名称含有文档不允许的控制字符"
    quota = None
    if s["quota"]:
        try:
            quota = int(s["quota"])
        except ValueError:
            return None, pack, f"推荐名额应为整数：{s['quota']}"
        if quota < 1:
            return None, pack, "推荐名额应为正整数"
    limit = flow.quota_for(pack, s["unit_kind"] or None, quota)
    if limit is None and pack.quota.get("required"):
        kinds = pack.quota.get("by_unit_kind")
        if kinds:
            choices = "、".join(f"{unit_kinds().get(k, k)}（{v}个）" for k, v in kinds.items())
            return None, pack, f"{pack.title} 的名额按推荐单位类别而定：请选择推荐单位类别（{choices}），或填写推荐名额"
        return None, pack, f"{pack.title} 的推荐名额上限须由推荐单位给出：请填写推荐名额"
    paths = [store.record_path(n) for n in store.records()]
    if not paths:
        return None, pack, "文件夹中没有记录"
    return flow.build_batch(paths, pack, limit), pack, ""


def register(app, store, downloads) -> None:
    from .. import app as flow

    @app.get("/bureau")
    def bureau():
        entries = flow.load_entries([store.record_path(n) for n in store.records()], None)
        today = dt.date.today()
        for e in entries:
            if e.loaded is not None:
                pack, bad = F.pack_of(e.loaded.record.pack)
                flow.check_entry(e, pack, today)
                if bad:
                    e.findings.insert(0, bad)
        rows = [_row(i, e, e.check_state()) for i, e in enumerate(entries, 1)]
        s = _settings(request.args)
        if not s["pack"]:
            named = Counter(e.loaded.record.pack for e in entries if e.loaded is not None and e.loaded.record.pack)
            s["pack"] = named.most_common(1)[0][0] if named else ""
        ranked = problem = None
        if request.args.get("pack"):
            batch, pack, problem = _batch(store, s)
            if batch is not None:
                ranked = {
                    "rows": [_row(i, e, batch.state(e)) for i, e in enumerate(batch.entries, 1)],
                    "problems": F.finding_dicts(batch.problems, None, pack),
                    "listed": [e.name for e in batch.ranked],
                    "quota": batch.quota,
                    "blocked": batch.blocked,
                }
        return render_template(
            "bureau.html",
            rows=rows,
            settings=s,
            packs=F.pack_choices(),
            unit_kinds=list(unit_kinds().items()),
            ranked=ranked,
            problem=problem,
            token=app.config["FORMGEN_TOKEN"],
        )

    @app.post("/bureau/generate")
    def bureau_generate():
        from ..bureau.reports import draft_state, entries_for_batch, problem_report, unwritten_state
        from ..record.model import Recommender

        body = F.posted_json(request)
        s = _settings(body)
        draft = body.get("draft") is True
        batch, pack, problem = _batch(store, s)
        if batch is None:
            return make_response(jsonify(ok=False, message=problem), 422)
        refused = batch.blocked or any(not e.ok for e in batch.entries)
        written = not batch.blocked or draft  # the 汇总 sheet lists no one as 列入 when no sheet is made

        def state_of(e):
            state = batch.state(e)
            if not written:
                return unwritten_state(state)
            return draft_state(state) if draft and refused else state

        report = problem_report(
            entries_for_batch(batch.entries, state_of),
            batch.problems,
            f"{pack.title} 问题清单",
            s["unit"],
            outcome="" if written else "本次未生成汇总表：请先解决问题清单中的错误。",
        )
        files = [("问题清单.xlsx", report)]
        message = ""
        if batch.blocked and not draft:
            message = "推荐名单有问题（见上表），只生成了问题清单；勾选“草稿”可生成标注草稿的汇总表"
        else:
            profile = Recommender(unit=s["unit"], unit_kind=s["unit_kind"] or None)
            for doc in pack.documents:
                if doc.kind == "bureau":
                    files += flow.render_bureau(doc, profile, draft and refused)
                elif doc.kind == "multi":
                    files += flow.render_multi(doc, batch, s["unit"], draft and refused, profile)
            message = f"已生成 {len(files)} 个文件"
        return jsonify(ok=True, message=message, files=downloads.keep(files))
