"""The web form on an enterprise's link: the record filled in place, kept as a 草稿, submitted.

The page is ``formgen serve``'s record page, reused: :mod:`formgen.web.form` builds its tree
from the field catalogue and reads what it posts back into a record; the template
``_sections.html`` draws the fields; ``form.js`` and ``count.js`` behave as they do there.
What the link changes: the link's pack is the record's (no pack to choose; the level within
the pack's levels), the enterprise's name is the invited one (shown, locked, and set again
on every post), and the two buttons are 保存为草稿 and 提交.

Routes, all under the link ``/s/<secret>`` (its secret is the credential):

- ``GET /form``: the page, with the latest version's record (a 草稿, or what was submitted)
  or a blank one; ``?focus=1`` shows only the fields still to complete: those only the
  bureau's sheets need (:func:`sheet_fields`) and those with an error;
- ``POST /form/validate`` (every finding, as formgen serve gives them), ``/form/save`` (a
  草稿: never registered, no receipt; a save over the latest version, when that is a 草稿,
  replaces its record), ``/form/generate`` (提交: the record as a YAML file through the
  same contract as an upload, :func:`formgen.intake.web.create_app`'s ``accept``);
- ``POST /draft``: uploaded files kept as a 草稿 (the record read from them, for the form).

Every POST carries the link's form token in the header ``X-Formgen-Token`` (form.js sends
the page's ``formgen-token`` meta, as formgen serve's pages do): an HMAC of the link by the
intake's secret key, so a page of another site cannot post to a link even knowing it. A
link's drafts are its own: every route finds the invite by the secret in the path.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import math
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from flask import jsonify, make_response, render_template, request, send_from_directory

from ..bureau import registry as R
from . import db as D
from . import figures as FG
from .limits import Buckets

HEADER = "X-Formgen-Token"  # as formgen serve's form.js sends it
DRAFT = "草稿"
DRAFT_KIND = "draft"  # the record a 草稿 holds, as YAML (the form opens it)
FORM_FILE = "网上填报记录.yaml"  # the record the link's form submits, as the receipt lists it
SHARED_STATIC = ("form.js", "count.js", "form.css")  # formgen serve's, served to the link's form
TYPING = ("IN", "XL")  # codes of a value the form could not read (a number that is not one)
# the work one link's form may ask (check, save, submit the record): FORM_BURST at once, then one
# every FORM_EVERY seconds; form.js checks after each pause in typing, so a person never waits long
FORM_BURST = 10
FORM_EVERY = 1.0


def form_token(intake: D.Intake, invite: D.Invite) -> str:
    """The link's form token: the same for every page of the link, no one else's."""
    key = intake.secret_key.encode()
    return hmac.new(key, f"intake-link-form:{invite.id}".encode(), hashlib.sha256).hexdigest()


def sheet_only(checked, pack, base: str) -> dict:
    """What the submit contract adds for a record that was read: the fields only the
    bureau's sheets need and no filled form holds (``sheet_only``: path and label), the
    sentence that says so, and the address of the form that asks them."""
    fields = sheet_fields(checked.entry, pack)
    if not fields:
        return {}
    labels = "、".join(dict.fromkeys(f["label"] for f in fields))
    text = (
        f"其中 {len(fields)} 项（{labels}）只用于推荐单位的汇总表，申报表中没有填写的位置，"
        "重新上传也补不上：请点“在网页上补填”，在网页表单中填写这几项后提交（已上传的申报表内容会一并带入）。"
    )
    return {"sheet_only": fields, "sheet_only_text": text, "form": f"{base}/form?focus=1"}


def sheet_fields(entry, pack) -> list[dict]:
    """The empty fields (RQ001) of ``entry`` that only the bureau's sheets print, which the
    enterprise gives (:func:`formgen.bureau.reports.sheet_asks`), as path and label."""
    if entry is None or entry.loaded is None:
        return []
    from ..bureau.reports import sheet_asks
    from ..packs.where import FormPlaces

    asked, _bureau = sheet_asks(entry.findings, FormPlaces(pack, entry.loaded.record))
    return [{"path": f.path, "label": f.label} for f in asked]


# -- drafts in the intake's tables ----------------------------------------------------------


def save_draft(intake: D.Intake, invite: D.Invite, kept: list[tuple[str, str, bytes]], findings: list[dict]) -> dict:
    """Keep a 草稿 of ``invite``: the files ``(kind, shown name, bytes)``. When the latest
    version is a 草稿 it is replaced (its files removed: a draft was never submitted; its
    figures kept, but one of the same name given anew); else a new version, state 草稿.
    Never registered, no receipt. Returns the submission."""
    rows, stored = [], []
    try:
        for kind, name, data in kept:
            new = intake.new_stored_name(Path(name).suffix.casefold())
            intake.keep(new, data)
            stored.append(new)
            rows.append({"kind": kind, "name": name, "stored": new, "sha256": D.digest(data), "size": len(data)})
        old: list[str] = []
        for attempt in range(1, R.WRITE_ATTEMPTS + 1):
            try:
                with intake.engine.begin() as conn:
                    if intake.pg:  # as Intake.submit: one link's versions numbered one writer at a time
                        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(R._lock_key("intake", str(invite.id)))))
                    last = conn.execute(
                        sa.select(D.submissions)
                        .where(D.submissions.c.invite_id == invite.id)
                        .order_by(D.submissions.c.version.desc())
                        .limit(1)
                    ).first()
                    at = D.now()
                    shown = json.dumps(findings, ensure_ascii=False)
                    if last is not None and last.state == DRAFT:
                        sub_id, version = last.id, last.version
                        given = {r["name"].casefold() for r in rows if r["kind"] in FG.NAMED_KINDS}
                        gone = [  # its record and uploads; its figures stay unless one of a name comes anew
                            (f.id, f.stored)
                            for f in conn.execute(
                                sa.select(D.files.c.id, D.files.c.stored, D.files.c.kind, D.files.c.name).where(
                                    D.files.c.submission_id == sub_id
                                )
                            )
                            if f.kind not in FG.NAMED_KINDS or f.name.casefold() in given
                        ]
                        old = [stored for _id, stored in gone]
                        if gone:
                            conn.execute(D.files.delete().where(D.files.c.id.in_([i for i, _s in gone])))
                        conn.execute(
                            D.submissions.update().where(D.submissions.c.id == sub_id).values(at=at, findings=shown)
                        )
                    else:
                        version = (last.version if last is not None else 0) + 1
                        sub_id = conn.execute(
                            D.submissions.insert().values(
                                invite_id=invite.id, version=version, state=DRAFT, at=at, findings=shown
                            )
                        ).inserted_primary_key[0]
                    conn.execute(D.files.insert(), [dict(r, submission_id=sub_id, at=at) for r in rows])
                    for r in rows:
                        what = f"{invite.enterprise}（{invite.round}）第{version}版 {r['name']}"
                        intake._log(conn, f"链接:{invite.id}", "保存草稿", what, r["sha256"])
                break
            except sa.exc.IntegrityError as e:
                if attempt == R.WRITE_ATTEMPTS:
                    raise D.IntakeError(f"受理库写入冲突，已重试 {R.WRITE_ATTEMPTS} 次：{R._short(e)}") from e
                time.sleep(0.05 * attempt)
    except BaseException:
        for name in stored:
            intake.discard(name)
        raise
    for name in old:  # the draft it replaced
        intake.discard(name)
    return intake.submission(sub_id)


def latest_record(intake: D.Intake, invite: D.Invite, pack):
    """(the record of the link's latest version, that version), read as the intake reads an
    upload: its 草稿 record, else the files it submitted; (None, version or None) when it
    holds none that reads as one record."""
    from .. import app as flow

    subs = intake.submissions_of(invite.id)
    if not subs:
        return None, None
    sub = subs[0]
    drafts = [f for f in sub["files"] if f["kind"] == DRAFT_KIND]
    chosen = drafts[-1:] or [f for f in sub["files"] if f["kind"] == "upload"]
    if not chosen:
        return None, sub
    try:
        entries = flow.load_entries([intake.path_of(f["stored"]) for f in chosen], pack)
    except (OSError, flow.FormsNeedPack):
        return None, sub
    if len(entries) != 1 or entries[0].loaded is None:
        return None, sub
    return entries[0].loaded.record, sub


def linked(record, invite: D.Invite, pack):
    """``record`` (or a blank one) as the link holds it: its pack, the invited name, a level of the pack."""
    from ..catalogue import levels
    from ..record.model import Record

    if record is None:
        record = Record.model_validate({"pack": pack.name, "enterprise": {"name": invite.enterprise}})
    level = record.factory.level if record.factory.level in levels(pack) else None
    return record.model_copy(
        update={
            "pack": pack.name,
            "enterprise": record.enterprise.model_copy(update={"name": invite.enterprise}),
            "factory": record.factory.model_copy(update={"level": level or pack.level or levels(pack)[0]}),
        }
    )


# -- the routes -----------------------------------------------------------------------------------


def register(app, intake: D.Intake, opened, answer, received, accept, pack_named) -> None:
    """The link's form routes on the intake's ``app`` (see the module's text). ``opened``,
    ``answer``, ``received`` and ``accept`` are the link's own, from
    :func:`formgen.intake.web.create_app`."""
    from jinja2 import ChoiceLoader, FileSystemLoader

    from ..catalogue import levels
    from ..record.textcount import word_count
    from ..web import form as F

    shared = Path(F.__file__).parent  # formgen/web: its templates and static files
    app.jinja_loader = ChoiceLoader(
        [FileSystemLoader(Path(app.root_path) / "templates"), FileSystemLoader(shared / "templates")]
    )
    app.jinja_env.filters["wordcount_zh"] = lambda text: word_count(text or "")

    def refused(status: int, message: str, findings=None, record=None, pack=None):
        body = {"ok": False, "message": message}
        if findings is not None:
            body["findings"] = F.finding_dicts(findings, record, pack)
        return make_response(jsonify(body), status)

    def posting(secret: str):
        """The open invite of a POST that carries the link's form token; else the refusal."""
        invite = opened(secret)
        given = request.headers.get(HEADER, "")
        if not hmac.compare_digest(given.encode("utf-8", "replace"), form_token(intake, invite).encode()):
            return invite, refused(403, "请求缺少本页的令牌，已拒绝（请从申报链接的页面操作）")
        return invite, None

    buckets = Buckets(FORM_BURST, FORM_EVERY)

    def bounded(secret: str, later: str):
        """As :func:`posting`, and the record's JSON within formgen serve's bound, and the link
        within its share of the server's work (:data:`FORM_BURST`, :data:`FORM_EVERY`): else
        413, or 429 with Retry-After (form.js checks again then; what was typed stays)."""
        invite, refusal = posting(secret)
        if refusal is not None:
            return invite, refusal
        if (request.content_length or 0) > F.MAX_JSON_BYTES:
            return invite, refused(413, f"表单内容超过 {F.MAX_JSON_BYTES // 1048576} MB 的上限，未处理")
        wait = buckets.take(invite.id)
        if wait:
            seconds = max(1, math.ceil(wait))
            resp = refused(429, f"操作过于频繁，{later.format(seconds)}（已填写的内容不受影响）")
            resp.headers["Retry-After"] = str(seconds)
            return invite, resp
        return invite, None

    def page_record(secret: str, later: str):
        """What the link's page posted, read as its record once :func:`bounded` lets it through:
        ((invite, pack, loaded or None, findings, record or None), None), or (None, the refusal)."""
        invite, refusal = bounded(secret, later)
        if refusal is not None:
            return None, refusal
        pack = pack_named(invite.pack)
        loaded, findings = from_page(invite, pack, F.posted_json(request), None)
        return (invite, pack, loaded, findings, loaded.record if loaded is not None else None), None

    def from_page(invite: D.Invite, pack, body: dict, current):
        """(loaded record or None, findings) of what the page posted: the link's pack and
        the invited name, whatever the page sent for them."""
        values = body.get("values", {})
        if not isinstance(values, dict):
            raise F.FormError("表单数据格式不正确")
        values = {**values, "pack": pack.name, "enterprise.name": invite.enterprise}
        cat = F.parse_catalogue(current)
        data, problems, left_out = F.record_data(cat, values, body.get("entries", []), body.get("items", []))
        figs = FG.figures_of(latest(invite))
        with FG.folder(intake, figs) as where:  # the figures of the link's latest version, by name, nothing else
            names = {p.name.casefold(): p.name for p in where.iterdir()}
            data = FG.rewrite_data(data, names, pack)
            loaded, findings = F.check(where / FORM_FILE, data, pack, problems, left_out)
        return loaded, findings

    def latest(invite: D.Invite) -> dict | None:
        subs = intake.submissions_of(invite.id)
        return subs[0] if subs else None

    def carried(invite: D.Invite, names=None) -> list[tuple[str, str, bytes]]:
        """The figures of the link's latest version (those named ``names``, when given) as
        files to keep again: ``(kind, shown name, bytes)``."""
        wanted = {n.casefold() for n in names} if names is not None else None
        return [
            (
                FG.FIGURE_KIND if FG.is_image_name(name) else FG.ATTACHMENT_KIND,
                name,
                intake.path_of(stored).read_bytes(),
            )
            for name, stored in FG.figures_of(latest(invite))
            if wanted is None or name.casefold() in wanted
        ]

    @app.errorhandler(F.FormError)
    def bad_form(e):
        return refused(400, str(e))

    @app.get("/static-form/<name>")
    def shared_static(name: str):
        if name not in SHARED_STATIC:
            return answer(404, "没有这个页面")
        return send_from_directory(shared / "static", name)

    @app.get("/s/<secret>/form")
    def link_form(secret: str):
        from .. import app as flow

        invite = opened(secret)
        pack = pack_named(invite.pack)
        current, sub = latest_record(intake, invite, pack)
        record = linked(current, invite, pack)
        wanted = request.args.get("level", "")
        if wanted and wanted != record.factory.level:
            if wanted in levels(pack):
                record = record.model_copy(update={"factory": record.factory.model_copy(update={"level": wanted})})
        cat = F.form_catalogue(record, pack)
        asked = F.asked_fields(pack, cat.level, record)
        focus: list[dict] = []
        findings = []
        if request.args.get("focus") and current is not None:
            with FG.folder(intake, FG.figures_of(sub)) as where:  # its own figures, by name, nothing else
                entry = flow.Entry(where / FORM_FILE, loaded=_loaded(record, where / FORM_FILE))
                FG.resolve(entry, where, pack)
                entry.findings = flow.validate(entry.loaded, pack)
            errors = {_generic(f.path) for f in entry.findings if f.is_error and f.path}
            focus = sheet_fields(entry, pack)
            wanted_paths = {_generic(f["path"]) for f in focus} | errors
            asked = {p for p in (asked or set()) if any(_within(p, w) for w in wanted_paths)} or asked
            findings = entry.findings
        sections = F.page(cat, record, asked)
        for c in _controls(sections):
            if c.path == "pack":
                c.hidden = True
            elif c.path == "enterprise.name":
                c.locked = True
            elif c.path == "factory.level":  # within the pack's levels
                c.options, c.extra = [("", levels(pack))], []
        shown = [F.finding_dict(f, cat) for f in findings]
        return render_template(
            "fill.html",
            invite=invite,
            pack=pack,
            record=record,
            level=cat.level,
            documents=F.documents_made(record, pack, cat.level),
            sections=sections,
            placed=F.placed(shown, F.page_paths(sections)),
            findings=shown,
            names=dict(F.pack_choices()),
            base=f"/s/{secret}",
            token=form_token(intake, invite),
            sub=sub,
            focus=focus,
            focused=bool(request.args.get("focus") and current is not None),
            figure_rules=pack.checks.get("figures") or {},
        )

    @app.get("/s/<secret>/form/layout")
    def link_form_layout(secret: str):
        invite = opened(secret)
        pack = pack_named(invite.pack)
        out = F.layout(pack, request.args.get("level") or None, None)
        out["fields"].pop("pack", None)  # the link's pack is fixed: no drop-down
        if "factory.level" in out["fields"]:
            out["fields"]["factory.level"]["options"] = [("", levels(pack))]
        return jsonify(out)

    @app.post("/s/<secret>/form/validate")
    def link_form_validate(secret: str):
        posted, refusal = page_record(secret, "{} 秒后自动重新检查")
        if refusal is not None:
            return refusal
        invite, pack, loaded, findings, record = posted
        return jsonify(
            ok=True,
            findings=F.finding_dicts(findings, record, pack),
            errors=sum(1 for f in findings if f.is_error),
            warnings=sum(1 for f in findings if not f.is_error),
            changed_on_disk=False,
        )

    @app.post("/s/<secret>/form/save")
    def link_form_save(secret: str):
        from ..doors.blank import record_yaml

        posted, refusal = page_record(secret, "请 {} 秒后再保存")
        if refusal is not None:
            return refusal
        invite, pack, loaded, findings, record = posted
        if loaded is None or any(f.code.startswith(TYPING) for f in findings):
            return refused(422, "有填写格式错误，未保存：请先改正标出的字段", findings, record, pack)
        data = record_yaml(record).encode("utf-8")
        shown = [_as_shown(d) for d in F.finding_dicts(findings, record, pack)]
        last = latest(invite)
        again = carried(invite) if last is not None and last.get("state") != DRAFT else []  # a new 草稿 keeps them
        sub = save_draft(intake, invite, [(DRAFT_KIND, FORM_FILE, data), *again], shown)
        said = "，改正错误后才能提交" if any(f.is_error for f in findings) else "，没有错误，可以提交"
        return jsonify(
            ok=True,
            message=f"已保存为草稿（第{sub['version']}版，{D.local(sub['at']):%H:%M:%S}）{said}",
            sha256=D.digest(data),
            mtime=sub["at"].replace(tzinfo=dt.timezone.utc).timestamp(),
            findings=F.finding_dicts(findings, record, pack),
            version=sub["version"],
        )

    @app.post("/s/<secret>/form/generate")
    def link_form_submit(secret: str):
        """提交: the page's record, when it has no error, as a record file through the submit contract."""
        from ..doors.blank import record_yaml

        posted, refusal = page_record(secret, "请 {} 秒后再提交")
        if refusal is not None:
            return refusal
        invite, pack, loaded, findings, record = posted
        errors = sum(1 for f in findings if f.is_error)
        if loaded is None or errors:
            message = f"有 {errors} 个错误，未提交：请改正标出的字段（可先保存为草稿，以后再来）"
            return refused(422, message, findings, record, pack)
        figs = [(name, data) for _kind, name, data in carried(invite, _named(record, pack))]
        got = accept(invite, secret, [(FORM_FILE, record_yaml(record).encode("utf-8")), *figs])
        if not got["accepted"]:
            texts = "；".join(f["text"] for f in got["findings"][:5])
            return refused(422, f"未受理：{texts or got.get('message', '')}", findings, record, pack)
        files = [f for f in got["files"] if f["kind"] not in ("upload", *FG.NAMED_KINDS)]
        return jsonify(
            ok=True,
            message=f"已受理（第{got['version']}版）：请下载回执和申报书，打印盖章",
            files=files,
            receipt=got["receipt"],
            version=got["version"],
            findings=F.finding_dicts(findings, record, pack),
        )

    @app.post("/s/<secret>/form/upload")
    def link_form_upload(secret: str):
        """A figure for the link's 草稿 (form.js's upload, as ``formgen serve`` answers it): checked
        as every figure is, kept with the 草稿 in the intake's storage under a generated name;
        the field gets its name (unique within the 草稿), by which the record finds it."""
        from ..doors.blank import record_yaml
        from . import check as C

        invite, refusal = posting(secret)
        if refusal is not None:
            return refusal
        got = request.files.get("file")
        if got is None:
            return refused(400, "没有收到图片文件")
        from ..render.images import MAX_BYTES

        name = FG.shown_name(got.filename or "")
        data = got.stream.read(MAX_BYTES + 1)
        if not FG.is_named_file(name):
            return refused(415, f"“{name}”不是图片文件：配图只接受 .jpg、.png、.bmp（附件为 .pdf）")
        bad = C.precheck_image(name, data, len(data))
        if bad is not None:
            intake.log(f"链接:{invite.id}", "提交被拒", f"{invite.enterprise}：{bad.shown[0]['text']}", D.digest(data))
            return refused(415 if bad.findings[0].code == C.SB_TYPE else 413, bad.shown[0]["message"])
        last = latest(invite)
        have = {n.casefold(): n for n, _s in FG.figures_of(last)}
        digest = D.digest(data)
        same = next(  # the same file again: the name it has
            (f["name"] for f in (last or {}).get("files", []) if f["kind"] in FG.NAMED_KINDS and f["sha256"] == digest),
            None,
        )
        kind = D._upload_kind(name)  # noqa: SLF001 - the intake's own
        if same is None:
            stem, suffix, n = Path(name).stem, Path(name).suffix, 2
            while name.casefold() in have:
                name, n = f"{stem}_{n}{suffix}", n + 1
            if last is not None and last["state"] == DRAFT:
                intake.add_file(last["id"], kind, name, data, f"链接:{invite.id}", "上传配图")
            else:  # a new 草稿: the latest record and its figures, and this one
                pack = pack_named(invite.pack)
                current, _sub = latest_record(intake, invite, pack)
                record = linked(current, invite, pack)
                kept = [(DRAFT_KIND, FORM_FILE, record_yaml(record).encode("utf-8")), *carried(invite)]
                save_draft(intake, invite, [*kept, (kind, name, data)], (last or {}).get("findings", []))
        else:
            name = same
        facts = _facts(data) if FG.is_image_name(name) else {"bytes": len(data), "format": "PDF", "problem": ""}
        return jsonify(ok=True, file=name, **facts)

    @app.get("/s/<secret>/form/image")
    def link_form_image(secret: str):
        """What a figure of the link's latest version is (form.js shows it beside the field)."""
        invite = opened(secret)
        wanted = FG.shown_name(request.args.get("file", "")).casefold()
        stored = next((st for n, st in FG.figures_of(latest(invite)) if n.casefold() == wanted), None)
        if stored is None:
            none = {"width": 0, "height": 0, "bytes": 0, "megapixels": 0, "format": ""}
            return jsonify(ok=True, file="", problem="本链接的草稿中没有这张图片：请点“上传图片”", **none)
        return jsonify(ok=True, file=request.args.get("file", ""), **_facts(intake.path_of(stored).read_bytes()))

    @app.post("/s/<secret>/draft")
    def link_draft(secret: str):
        """Uploaded files kept as a 草稿 (with errors, as the enterprise chose), the record
        read from them kept beside them for the link's form."""
        from ..doors.blank import record_yaml
        from . import check as C

        invite, refusal = posting(secret)
        if refusal is not None:
            return refusal
        uploads, refusal = received(invite)
        if refusal is not None:
            return refusal
        pack = pack_named(invite.pack)
        images = [(name, data) for name, data in uploads if FG.is_named_file(name)]
        with tempfile.TemporaryDirectory(prefix="formgen-intake-draft-") as tmp:
            paths = []
            for i, (name, data) in enumerate(uploads):
                if FG.is_named_file(name):
                    continue
                folder = Path(tmp) / str(i)  # each alone, as the intake keeps it
                folder.mkdir()
                (folder / f"upload{Path(name).suffix.casefold()}").write_bytes(data)
                paths.append((folder / f"upload{Path(name).suffix.casefold()}", name))
            where = FG.folder_of_bytes(Path(tmp) / "figures", images)  # the record's figures: these, nothing else
            checked = C.check_files(paths, pack, invite.enterprise, figures=where)
        if checked.entry is None or checked.entry.loaded is None:
            return jsonify(saved=False, findings=checked.shown, message="文件中没有读到本企业的一份记录，未保存为草稿")
        record = linked(checked.entry.loaded.record, invite, pack)
        kept = [(D._upload_kind(name), name, data) for name, data in uploads]  # noqa: SLF001 - the intake's own
        kept.append((DRAFT_KIND, FORM_FILE, record_yaml(record).encode("utf-8")))
        sub = save_draft(intake, invite, kept, checked.shown)
        errors = sum(1 for f in checked.findings if f.is_error)
        return jsonify(
            saved=True,
            version=sub["version"],
            findings=checked.shown,
            message=f"已保存为草稿（第{sub['version']}版），有 {errors} 个错误：可在网页表单中改正后提交",
            form=f"/s/{secret}/form" + ("?focus=1" if errors else ""),
            **{k: v for k, v in sheet_only(checked, pack, f"/s/{secret}").items() if k != "form"},
        )


def _named(record, pack) -> list[str]:
    """The files ``record`` names (its figures, and those ``pack`` asks for)."""
    from ..record.paths import expand

    return [
        v for pattern in FG.named_paths(pack) for _p, v in expand(record, pattern) if isinstance(v, str) and v.strip()
    ]


def _facts(data: bytes) -> dict:
    """A figure's facts as form.js shows them (``formgen serve``'s answer's shape)."""
    from ..render.images import examine

    info = examine(data)
    return {
        "width": info.width,
        "height": info.height,
        "bytes": info.bytes,
        "megapixels": round(info.width * info.height / 1_000_000, 2),
        "format": info.format,
        "problem": info.problem,
    }


def _loaded(record, path: Path):
    from ..record.loader import Loaded

    return Loaded(record, path, {})


def _within(pattern: str, wanted: str) -> bool:
    """Whether the field ``pattern`` is ``wanted`` or inside it (a list's or a block's fields).

    >>> _within("projects[].name", "projects"), _within("factory.cmmm.score", "factory.cmmm.score")
    (True, True)
    >>> _within("enterprise.name", "enterprise.name_en")
    False
    """
    return pattern == wanted or pattern.startswith((wanted + "[", wanted + "."))


def _generic(path: str) -> str:
    from ..record.paths import generic

    return generic(path)


def _controls(sections):
    from ..web import form as F

    def walk(parts):
        for p in parts:
            if isinstance(p, F.Control):
                yield p
            elif isinstance(p, F.Group):
                yield from walk(p.parts)

    for s in sections:
        yield from walk(s.parts)


def _as_shown(d: dict) -> dict:
    """A finding of the form (:func:`formgen.web.form.finding_dict`) as a version keeps
    findings (:func:`formgen.intake.check.shown`)."""
    from ..record.findings import SEVERITY_ZH

    return {
        "code": d["code"],
        "severity": SEVERITY_ZH[d["severity"]],
        "label": d["label"],
        "place": "",
        "message": d["message"],
        "text": d["text"].split(" ", 2)[-1] if d["text"].startswith(SEVERITY_ZH[d["severity"]]) else d["text"],
    }


__all__ = ["register", "save_draft", "latest_record", "sheet_only", "form_token"]
