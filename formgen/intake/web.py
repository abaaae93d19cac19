"""The intake's web application (``formgen intake serve`` runs it under waitress).

Two kinds of visitor, kept apart:

- an enterprise, by its link ``/s/<secret>`` (no account): its page lists only the
  submissions of that link; ``POST /s/<secret>/submit`` with the file as multipart field
  ``file`` answers JSON ``{"accepted", "findings", "receipt"}``; its files download from
  ``/s/<secret>/file/<id>`` (a file of another link is 404). A link that is no one's is 404,
  a revoked or expired one 410, with one Chinese line and nothing else.
- a clerk, after logging in (``/clerk/login``): the round's submissions and their state,
  each submission's findings and files, its state set, a 整改通知 sent to its link. The
  session is Flask's signed cookie (HttpOnly, SameSite=Strict, Secure when the intake's
  address is https), every form carries the session's CSRF token, logins are rate-limited
  per address and lock an account after repeated wrong passwords (:meth:`Intake.login`).

Nothing is fetched from elsewhere (CSP ``default-src 'self'``), no page is cached, and no
page sends a Referer (the link's secret is in its path).
"""

from __future__ import annotations

import datetime as dt
import functools
import hmac
import io
import re
import secrets
import threading
from pathlib import Path
from urllib.parse import quote

from flask import Flask, abort, g, jsonify, make_response, redirect, render_template, request, send_file, session

from ..record.unitkinds import UNIT_KINDS
from . import check as C
from . import figures as FG
from . import fill
from .db import (
    SESSION_HOURS,
    STATES,
    TO_FIX,
    Closed,
    Intake,
    IntakeError,
    Invite,
    NotFound,
    _dummy_hash,  # noqa: PLC2701 - the intake's own
    closed_why,
    local,
    today,
)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
NOTE_MAX = 2000  # a status note or one 整改通知 item
NOTICE_CODE = "SB010"  # an item a clerk writes into a 整改通知
PDF_AT_ONCE = 2  # LibreOffice conversions at a time (a receipt's or notice's PDF, made on first download)
AUDIT_SHOWN = 500  # the latest rows of the audit log a page shows


class _Flask(Flask):
    def log_exception(self, exc_info) -> None:
        """Flask's log line of a failed request, without a link's secret (the server's log is
        read by more people, and kept longer, than the database that holds only its hash)."""
        self.logger.error(f"Exception on {_redacted(request.path)} [{request.method}]", exc_info=exc_info)


def _redacted(path: str) -> str:
    """``path`` with a link's secret left out.

    >>> _redacted("/s/Vq3abc/file/7"), _redacted("/clerk/")
    ('/s/…/file/7', '/clerk/')
    """
    return re.sub(r"^/s/[^/]*", "/s/…", path)


def create_app(intake: Intake, pdf: bool = True) -> Flask:
    """The intake's Flask application over ``intake``; ``pdf``: receipts' PDFs made by
    LibreOffice on request (off where it is not installed)."""
    app = _Flask(__name__, static_folder="static", static_url_path="/static", template_folder="templates")
    app.secret_key = intake.secret_key
    app.config.update(
        MAX_CONTENT_LENGTH=C.MAX_UPLOAD_BYTES + FG.MAX_FIGURE_BYTES + 64 * 1024,
        SESSION_COOKIE_NAME="formgen_intake",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=intake.url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=SESSION_HOURS),
        FORMGEN_INTAKE=intake,
        FORMGEN_INTAKE_PDF=pdf,
    )
    app.json.ensure_ascii = False
    app.jinja_env.filters["local"] = local  # a stored (UTC) time as the bureau reads it
    _dummy_hash()  # made now: the first login with a name that is no one's costs what the others do

    @functools.lru_cache(maxsize=16)
    def pack_named(name: str):
        from ..packs.pack import get_pack

        return get_pack(name)

    @app.after_request
    def headers(resp):
        resp.headers["Content-Security-Policy"] = CSP
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["X-Frame-Options"] = "DENY"
        if request.endpoint != "static":
            resp.headers["Cache-Control"] = "no-store"
        return resp

    def page(status: int, message: str):
        return make_response(render_template("gone.html", message=message, status=status), status)

    @app.errorhandler(404)
    def not_found(_e):
        return answer(404, "没有这个页面")

    @app.errorhandler(413)
    def too_large(_e):
        if request.path.startswith("/s/") and "/form/" in request.path:  # the web form's record, as JSON
            from ..web.form import MAX_JSON_BYTES

            return answer(413, f"表单内容超过 {MAX_JSON_BYTES // 1048576} MB 的上限，未处理")
        if (request.content_length or 0) <= app.config["MAX_CONTENT_LENGTH"]:  # not its size: its parts
            return answer(
                413,
                f"一次提交的表单内容过多（最多 {C.MAX_FILES} 个文件和 {FG.MAX_FIGURES} 张配图），请只上传本企业的申报文件",
            )
        return answer(
            413,
            f"上传的文件超过上限（记录和申报表合计 {C.MAX_UPLOAD_BYTES // 1048576} MB，"
            f"配图合计 {FG.MAX_FIGURE_BYTES // 1048576} MB）",
        )

    @app.errorhandler(400)
    def bad_request(_e):
        return answer(400, "请求无法识别（上传中断或格式不对），请重试")

    @app.errorhandler(405)
    def not_allowed(_e):
        return answer(405, "不支持这种请求方式")

    @app.errorhandler(500)
    def failed(_e):  # Flask has logged the exception (waitress prints it): the visitor gets one line
        return answer(500, "服务器内部错误，本次提交未受理，请稍后重试；如仍不行请联系推荐单位")

    def answer(status: int, message: str):
        """A refusal: JSON to a link's POST (the submit contract's callers, the link's web
        form: ``ok`` false as form.js reads it), else a page."""
        if request.method == "POST" and request.path.startswith("/s/"):
            said = dict(accepted=False, findings=[], receipt=None, message=message)
            if not request.path.endswith("/submit"):
                said["ok"] = False  # what form.js reads
            return make_response(jsonify(**said), status)
        return page(status, message)

    # -- the enterprise's link ----------------------------------------------------

    def opened(secret: str) -> Invite:
        """The open invite of ``secret``, or the request ends: 404 no one's, 410 revoked or expired."""
        invite = intake.invite_by_secret(secret)
        if invite is None:
            abort(answer(404, "申报链接无效：请核对推荐单位发给贵单位的链接"))
        why = closed_why(invite, today())
        if why:
            abort(answer(410, why))
        return invite

    @app.get("/s/<secret>")
    def link_page(secret: str):
        invite = opened(secret)
        pack = pack_named(invite.pack)
        subs = intake.submissions_of(invite.id)
        return render_template(
            "link.html",
            invite=invite,
            pack=pack,
            subs=subs,
            base=f"/s/{secret}",
            limit_mb=C.MAX_UPLOAD_BYTES // 1048576,
            figures_mb=FG.MAX_FIGURE_BYTES // 1048576,
            pdf=app.config["FORMGEN_INTAKE_PDF"],
            levels=_levels(pack),
            token=fill.form_token(intake, invite),
            draft=subs[0] if subs and subs[0]["state"] == fill.DRAFT else None,
        )

    @app.get("/s/<secret>/blank.xlsx")
    def link_blank(secret: str):
        """A record workbook to fill in Excel or WPS and upload: the fields the link's pack asks
        at one level (``?level=``), the enterprise's name and the pack already in it."""
        from ..catalogue import catalogue, levels
        from ..doors.workbook import workbook_bytes
        from ..output import safe_name
        from ..record.model import Record

        invite = opened(secret)
        pack = pack_named(invite.pack)
        level = request.args.get("level", "")
        if level not in levels(pack):
            return answer(404, f"申报层级应为 {'、'.join(levels(pack))} 之一")
        record = Record.model_validate(
            {"pack": pack.name, "enterprise": {"name": invite.enterprise}, "factory": {"level": level}}
        )
        data = workbook_bytes(catalogue(pack, level), record)
        return send_file(
            io.BytesIO(data),
            as_attachment=True,
            download_name=f"{safe_name(invite.enterprise, 80)}_{level}_申报记录.xlsx",
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )

    @app.post("/s/<secret>/submit")
    def submit(secret: str):
        invite = opened(secret)
        uploads, refusal = received(invite)
        if refusal is not None:
            return refusal
        return jsonify(**accept(invite, secret, uploads))

    def received(invite: Invite):
        """(the files of the request's multipart field ``file`` as (shown name, bytes), None),
        or (None, the refusal to answer): none, too many, a type or a size refused."""
        given = request.files.getlist("file")
        if not given:
            return None, make_response(
                jsonify(accepted=False, findings=[], receipt=None, message="请求中没有文件（表单字段 file）"), 400
            )
        who = f"链接:{invite.id}"
        images = sum(1 for got in given if FG.is_named_file(_shown_name(got.filename or "")))
        if len(given) - images > C.MAX_FILES or images > FG.MAX_FIGURES:
            refused = C.refused(
                C.SB_MANY,
                "上传文件",
                f"一次最多上传 {C.MAX_FILES} 个记录或申报表文件和 {FG.MAX_FIGURES} 个配图或附件，"
                f"本次分别为 {len(given) - images} 个、{images} 个",
            )
            intake.log(who, "提交被拒", f"{invite.enterprise}：{refused.shown[0]['text']}")
            return None, jsonify(accepted=False, findings=refused.shown, receipt=None)
        uploads = []  # (shown name, bytes)
        total = pictures = 0
        for got in given:
            name = _shown_name(got.filename or "")
            if FG.is_named_file(name):  # a figure (or attachment) of the record: bounded, checked by its content
                data = got.stream.read(FG.MAX_FIGURE_BYTES + 1)
                pictures += len(data)
                refused = C.precheck_image(name, data, pictures)
            else:
                data = got.stream.read(C.MAX_UPLOAD_BYTES + 1)
                total += len(data)
                refused = C.precheck(name, len(data) if total <= C.MAX_UPLOAD_BYTES else total)
            same = next((n for n, d in uploads if d == data), None)
            if refused is None and same is not None:  # the same file picked twice: said as such
                refused = C.refused(C.SB_MANY, "上传文件", f"“{name}”与“{same}”是同一个文件：每个文件只需上传一次")
            named = next((n for n, _d in uploads if n.casefold() == name.casefold()), None)
            if refused is None and named is not None:  # two images of one name: which would the record mean?
                refused = C.refused(
                    C.SB_MANY, "上传文件", f"有两个不同的文件都叫“{name}”：请改名，并在记录中写明各自的文件名"
                )
            if refused is not None:
                intake.log(who, "提交被拒", f"{invite.enterprise}：{name}：{refused.shown[0]['text']}", _sha(data))
                return None, jsonify(accepted=False, findings=refused.shown, receipt=None)
            uploads.append((name, data))
        return uploads, None

    def accept(invite: Invite, secret: str, uploads: list[tuple[str, bytes]]) -> dict:
        """The submit contract's answer for ``uploads`` (shown name, bytes) on ``invite``'s
        link: checked by the link's pack; accepted, a new version with its receipt and the
        pack's documents, registered; refused, the findings (and the fields only the
        bureau's sheets need, for the link's form to ask in place: ``sheet_only``).
        The upload and the link's web form (:mod:`formgen.intake.fill`) both submit here."""
        from .. import app as flow

        who = f"链接:{invite.id}"
        pack = pack_named(invite.pack)
        kept: list[tuple[str, str, bytes]] = []  # (shown name, stored name, bytes)
        try:
            for name, data in uploads:
                stored = intake.new_stored_name(Path(name).suffix.casefold())
                kept.append((name, stored, data))
                intake.keep(stored, data)
            figs = [(n, s) for n, s, _ in kept if FG.is_named_file(n)]
            records = [(intake.path_of(s), n) for n, s, _ in kept if not FG.is_named_file(n)]
            with FG.folder(intake, figs) as where:  # the record's figures: these images, nothing else
                checked = C.check_files(records, pack, invite.enterprise, figures=where)
                documents = flow.render_single(checked.entry.loaded, pack, draft=False) if checked.accepted else []
            if not checked.accepted:
                errors = sum(1 for f in checked.findings if f.is_error)
                for name, _stored, data in kept:
                    intake.log(who, "提交未通过检查", f"{invite.enterprise}：{name}，错误 {errors} 条", _sha(data))
                return dict(
                    accepted=False,
                    findings=checked.shown,
                    receipt=None,
                    **fill.sheet_only(checked, pack, f"/s/{secret}"),
                )
            from .receipt import receipt, receipt_name

            def make_files(version, at, ups):
                listed = [(up["name"], up["sha256"], up["size"]) for up in ups]
                body = receipt(invite.enterprise, invite.round, pack.title, version, at, listed, intake.bureau)
                out = [("receipt", receipt_name(invite.enterprise, invite.round, version), body)]
                return out + [("document", name, blob) for name, blob in documents]

            try:
                sub = intake.submit(invite, kept, checked.shown, make_files)
            except Closed as e:  # revoked or expired while the upload was checked: nothing kept
                intake.log(who, "提交被拒", f"{invite.enterprise}：{e}")
                abort(answer(410, str(e)))
            kept = []  # the submission's now
        finally:
            for _name, stored, _data in kept:  # refused, or failed: nothing of it stays
                intake.discard(stored)
        intake.register(sub, checked.entry)
        rec = next(f for f in sub["files"] if f["kind"] == "receipt")
        return dict(
            accepted=True,
            findings=checked.shown,
            receipt=f"/s/{secret}/file/{rec['id']}",
            version=sub["version"],
            files=[_file_json(f, f"/s/{secret}") for f in sub["files"]],
        )

    fill.register(app, intake, opened, answer, received, accept, pack_named)

    @app.get("/s/<secret>/file/<int:file_id>")
    def link_file(secret: str, file_id: int):
        invite = opened(secret)
        f = intake.file(file_id)
        if f is None or f["invite_id"] != invite.id:
            return answer(404, "没有这个文件")
        return _send(f)

    @app.get("/s/<secret>/file/<int:file_id>/pdf")
    def link_pdf(secret: str, file_id: int):
        invite = opened(secret)
        f = intake.file(file_id)
        if f is None or f["invite_id"] != invite.id or f["kind"] not in ("receipt", "notice"):
            return answer(404, "没有这个文件")
        return pdf_of(f, f"链接:{invite.id}")

    pdf_locks: dict[int, threading.Lock] = {}  # file id -> held while its PDF is made
    pdf_locks_guard = threading.Lock()
    converting = threading.BoundedSemaphore(PDF_AT_ONCE)

    def pdf_of(f: dict, who: str):
        """The PDF of a receipt or notice, made once (LibreOffice) and kept beside it: requests
        for it at once wait for the one making it (one LibreOffice run, one file kept), and at
        most PDF_AT_ONCE conversions run at a time."""
        with pdf_locks_guard:
            lock = pdf_locks.setdefault(f["id"], threading.Lock())
        with lock:
            name = Path(f["name"]).with_suffix(".pdf").name
            sub = intake.submission(f["submission_id"])
            kept = next((x for x in sub["files"] if x["kind"] == "receipt-pdf" and x["name"] == name), None)
            if kept is None:
                if not app.config["FORMGEN_INTAKE_PDF"]:
                    return answer(404, "本服务器未安装 LibreOffice，只提供 .docx 版本")
                from ..render.pdf import PdfError
                from . import receipt

                try:
                    with converting:
                        data = receipt.pdf(intake.path_of(f["stored"]).read_bytes(), f["name"])
                except PdfError:
                    return answer(503, "暂时无法生成 PDF，请下载 .docx 版本")
                kept = intake.add_file(f["submission_id"], "receipt-pdf", name, data, who, "生成PDF")
        return _send(kept)

    def _send(f: dict):
        path = intake.path_of(f["stored"])
        return send_file(
            io.BytesIO(path.read_bytes()),
            as_attachment=True,
            download_name=f["name"],
            mimetype="application/octet-stream",
        )

    # -- clerks -------------------------------------------------------------------

    def csrf_token() -> str:
        if "csrf" not in session:
            session["csrf"] = secrets.token_urlsafe(32)
        return session["csrf"]

    app.jinja_env.globals["csrf_token"] = csrf_token

    def clerk() -> str | None:
        """The logged-in clerk's name: the session's, kept in the database (opened at login, ended
        by logout, a new password, the account's removal or SESSION_HOURS), not only in the cookie:
        a cookie kept or copied from before the session ended opens nothing."""
        if "clerk_name" not in g:
            g.clerk_name = intake.session_clerk(session.get("sid"))
        return g.clerk_name

    @app.before_request
    def guard():
        if not request.path.startswith("/clerk"):
            return None
        if request.method == "POST":
            given = request.form.get("csrf", "")
            if not (session.get("csrf") and hmac.compare_digest(given.encode(), session["csrf"].encode())):
                return page(403, "表单已过期或来源不明（缺少本次会话的令牌），请重新打开页面后再提交")
        if request.endpoint in ("login", "login_post"):
            return None
        if clerk() is None:
            if request.method == "GET":
                return redirect("/clerk/login", code=303)
            return page(403, "请先登录")
        return None

    @app.get("/clerk/login")
    def login():
        return render_template("login.html", message="")

    @app.post("/clerk/login")
    def login_post():
        name = request.form.get("name", "")
        password = request.form.get("password", "")
        cid, why = intake.login(name, password, request.remote_addr or "")
        if cid is None:
            status = 429 if "频繁" in why else 401
            return make_response(render_template("login.html", message=why), status)
        session.clear()  # nothing of the session before the login carries over (its token neither)
        session.permanent = True
        session["sid"] = intake.open_session(cid)
        session["csrf"] = secrets.token_urlsafe(32)
        return redirect("/clerk/", code=303)

    @app.post("/clerk/logout")
    def logout():
        who = clerk()
        intake.close_session(session.get("sid"))
        session.clear()
        if who:
            intake.log(f"用户:{who}", "退出登录")
        return redirect("/clerk/login", code=303)

    @app.get("/clerk/")
    def clerk_home():
        rounds = intake.rounds()
        round_ = request.args.get("round") or (rounds[-1] if rounds else "")
        rows = []
        if round_:
            latest = {s["invite_id"]: s for s in intake.round_submissions(round_)}
            refused = intake.refused_counts()
            for inv in intake.invites(round_):
                sub, draft = latest.get(inv.id), None
                if sub is not None and sub["state"] == fill.DRAFT:  # the submitted version's state, if any
                    submitted = _submitted(intake, inv.id)
                    if submitted is not None:
                        sub, draft = submitted, sub
                rows.append({"invite": inv, "sub": sub, "draft": draft, "refused": refused.get(inv.id, 0)})
        return render_template(
            "round.html",
            clerk=clerk(),
            rounds=rounds,
            round=round_,
            rows=rows,
            today=today(),
            packs=sorted({row["invite"].pack for row in rows}),
            unit=intake.bureau,
            unit_kinds=list(UNIT_KINDS.items()),
            all_packs=list(available_packs()),
            default_expires=today() + dt.timedelta(days=30),
        )

    @app.post("/clerk/invite")
    def clerk_invite():
        """A new link for an enterprise, shown once on the page that answers."""
        from ..packs.pack import PackError

        form = {k: request.form.get(k, "").strip() for k in ("round", "pack", "enterprise", "expires")}
        try:
            pack = pack_named(form["pack"])
            until = dt.date.fromisoformat(form["expires"])
        except (PackError, ValueError):
            return page(400, "请选择表格包，并按 YYYY-MM-DD 填写有效期")
        if until < today() or not form["round"]:
            return page(400, "请填写轮次；有效期不能早于今天")
        try:
            invite, secret = intake.invite(form["round"], pack.name, form["enterprise"], until, f"用户:{clerk()}")
        except IntakeError as e:
            return page(400, str(e))
        return render_template("invited.html", clerk=clerk(), invite=invite, link=intake.link(secret), pack=pack)

    @app.post("/clerk/invite/<int:invite_id>/revoke")
    def clerk_revoke(invite_id: int):
        try:
            invite = intake.revoke(invite_id, f"用户:{clerk()}")
        except NotFound as e:
            return page(404, str(e))
        return redirect(f"/clerk/?round={quote(invite.round)}", code=303)

    @app.get("/clerk/submission/<int:sub_id>")
    def clerk_submission(sub_id: int):
        sub = intake.submission(sub_id)
        if sub is None:
            return page(404, "没有这份提交")
        pack = pack_named(sub["pack"])
        versions = intake.submissions_of(sub["invite_id"])
        return render_template(
            "submission.html", clerk=clerk(), sub=sub, pack=pack, states=STATES, versions=versions, message=""
        )

    @app.get("/clerk/audit")
    def clerk_audit():
        rows = intake.audit_rows(limit=AUDIT_SHOWN)
        return render_template("audit.html", clerk=clerk(), rows=rows, shown=AUDIT_SHOWN)

    @app.post("/clerk/submission/<int:sub_id>/state")
    def clerk_state(sub_id: int):
        state = request.form.get("state", "")
        note = request.form.get("note", "").strip()
        sub = intake.submission(sub_id)
        if state == fill.DRAFT or (sub is not None and sub["state"] == fill.DRAFT):
            return page(400, "草稿是企业尚未提交的版本：不能设置状态，也不能把提交改回草稿")
        if state not in STATES or len(note) > NOTE_MAX:
            return page(400, f"状态应为 {'、'.join(STATES)} 之一，备注不超过 {NOTE_MAX} 字")
        try:
            intake.set_state(sub_id, state, note, f"用户:{clerk()}")
        except NotFound as e:
            return page(404, str(e))
        return redirect(f"/clerk/submission/{sub_id}", code=303)

    @app.post("/clerk/submission/<int:sub_id>/notice")
    def clerk_notice(sub_id: int):
        sub = intake.submission(sub_id)
        if sub is None:
            return page(404, "没有这份提交")
        if sub["state"] == fill.DRAFT:
            return page(400, "草稿是企业尚未提交的版本：不能发出整改通知")
        items = [ln.strip() for ln in request.form.get("items", "").splitlines() if ln.strip()]
        if any(len(i) > NOTE_MAX for i in items):
            return page(400, f"每条整改意见不超过 {NOTE_MAX} 字")
        try:
            data, name = _notice(intake, pack_named(sub["pack"]), sub, items)
        except IntakeError as e:
            return page(400, str(e))
        who = f"用户:{clerk()}"
        intake.add_file(sub_id, "notice", name, data, who, "发出整改通知")
        intake.set_state(sub_id, TO_FIX, "已发出整改通知", who)
        return redirect(f"/clerk/submission/{sub_id}", code=303)

    @app.post("/clerk/round/sheets")
    def clerk_sheets():
        """The round's ranked sheet(s) and 问题清单, as ``formgen summary`` makes them, from the
        files of the submissions in state 推荐 (each enterprise's latest version), in one .zip."""
        form = {k: request.form.get(k, "").strip() for k in ("round", "pack", "unit", "unit_kind", "quota", "order")}
        try:
            name, data = _sheets(intake, pack_named, form)
        except IntakeError as e:
            return page(400, str(e))
        intake.log(f"用户:{clerk()}", "生成汇总表", f"{form['round']}：{name}", _sha(data))
        return send_file(io.BytesIO(data), as_attachment=True, download_name=name, mimetype="application/zip")

    @app.post("/clerk/annual")
    def clerk_annual():
        """The year's report (Gansu 附件14), as ``formgen report annual`` makes it from the
        registry the intake registers into."""
        from ..bureau import annual

        form = {k: request.form.get(k, "").strip() for k in ("region", "year", "above", "measures", "next_steps")}
        if not form["year"].isdigit() or not form["above"].isdigit() or not form["region"]:
            return page(400, "请填写报告地区、年度（如 2026）和规模以上工业企业总数（正整数）")
        if any(len(form[k]) > 20000 for k in ("measures", "next_steps")):
            return page(400, "推进举措、下一步工作考虑各不超过 20000 字")
        province = pack_named("gansu").checks.get("region", {}).get("province", "甘肃省")
        text = {k: form[k] for k in ("measures", "next_steps") if form[k]}
        try:
            fig = annual.compute(intake.registry, form["region"], int(form["year"]), int(form["above"]), province)
            data, _draft = annual.render(fig, text, intake.bureau, None)
        except annual.AnnualError as e:
            return page(400, str(e))
        name = annual.file_name(fig)
        intake.log(f"用户:{clerk()}", "生成年度报告", name, _sha(data))
        return send_file(
            io.BytesIO(data),
            as_attachment=True,
            download_name=name,
            mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        )

    @app.get("/clerk/file/<int:file_id>")
    def clerk_file(file_id: int):
        f = intake.file(file_id)
        if f is None:
            return page(404, "没有这个文件")
        return _send(f)

    @app.get("/")
    def root():
        return redirect("/clerk/", code=303)

    return app


RECOMMENDED = "推荐"


def _levels(pack) -> list[str]:
    from ..catalogue import levels

    return levels(pack)


def available_packs():
    from ..packs.pack import available

    return available()


def _sheets(intake: Intake, pack_named, form: dict) -> tuple[str, bytes]:
    """(zip name, zip bytes) of the round's sheets and 问题清单 (see ``clerk_sheets``)."""
    import tempfile
    import zipfile

    from .. import app as flow
    from ..bureau.reports import entries_for_batch, problem_report, unwritten_state
    from ..output import safe_name
    from ..packs.pack import PackError
    from ..record.model import Recommender

    round_, unit = form["round"], form["unit"] or intake.bureau
    try:
        pack = pack_named(form["pack"])
    except PackError as e:
        raise IntakeError(str(e)) from e
    if form["unit_kind"] and form["unit_kind"] not in UNIT_KINDS:
        raise IntakeError(f"推荐单位类别应为 {'、'.join(UNIT_KINDS.values())} 之一")
    quota = None
    if form["quota"]:
        if not form["quota"].isdigit() or int(form["quota"]) < 1:
            raise IntakeError(f"推荐名额应为正整数：{form['quota']}")
        quota = int(form["quota"])
    limit = flow.quota_for(pack, form["unit_kind"] or None, quota)
    if limit is None and pack.quota.get("required"):
        raise IntakeError(f"{pack.title} 的推荐名额须由推荐单位给出：请填写推荐名额或推荐单位类别")
    chosen = [  # each enterprise's latest submitted version (a 草稿 after it is not submitted)
        s
        for s in (_submitted(intake, i) for i in _of_pack(intake, round_, pack.name))
        if s is not None and s["state"] == RECOMMENDED
    ]
    if not chosen:
        raise IntakeError(f"{round_} 轮次（{pack.title}）还没有状态为“推荐”的提交")
    order = [ln.strip() for ln in form.get("order", "").splitlines() if ln.strip()]
    unknown = [n for n in order if n not in {s["enterprise"] for s in chosen}]
    if unknown:
        raise IntakeError(f"排序中的企业不在“推荐”的提交中：{'、'.join(unknown[:5])}")
    # the bureau's order: those named first, as named; the others after, by name
    chosen.sort(
        key=lambda s: (order.index(s["enterprise"]) if s["enterprise"] in order else len(order), s["enterprise"])
    )
    with tempfile.TemporaryDirectory(prefix="formgen-intake-") as tmp:
        paths = []
        for s in chosen:  # each enterprise's files under the names it gave them, for the 问题清单:
            records, named = [], {}
            for f in intake.submission(s["id"])["files"]:  # each in a folder of its own (two may share a name)
                if f["kind"] == "upload":
                    folder = Path(tmp) / f"{s['id']}" / f"{f['id']}"
                    folder.mkdir(parents=True)
                    dest = folder / f["name"]
                    dest.write_bytes(intake.path_of(f["stored"]).read_bytes())
                    records.append(dest)
                elif f["kind"] in FG.NAMED_KINDS:
                    named[f["name"]] = intake.path_of(f["stored"]).read_bytes()
            for record in records if named else ():  # its figures where its record finds them, beside it only
                FG.place(record.parent, [record], named, pack)
            paths += records
        batch = flow.build_batch(paths, pack, limit)
        state_of = (lambda e: unwritten_state(batch.state(e))) if batch.blocked else batch.state
        outcome = "本次未生成汇总表：请先解决问题清单中的错误。" if batch.blocked else ""
        files = [
            (
                "问题清单.xlsx",
                problem_report(
                    entries_for_batch(batch.entries, state_of),
                    batch.problems,
                    f"{pack.title} 问题清单",
                    unit,
                    outcome=outcome,
                ),
            )
        ]
        if not batch.blocked:
            profile = Recommender(unit=unit, unit_kind=form["unit_kind"] or None)
            for doc in pack.documents:
                if doc.kind == "bureau":
                    files += flow.render_bureau(doc, profile, False)
                elif doc.kind == "multi":
                    files += flow.render_multi(doc, batch, unit, False, profile)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files:
            z.writestr(name, data)
    return f"汇总表_{safe_name(round_, 40)}_{safe_name(pack.name, 40)}.zip", buf.getvalue()


def _submitted(intake: Intake, invite_id: int) -> dict | None:
    """The latest version of a link that is not a 草稿, or None."""
    return next((s for s in intake.submissions_of(invite_id) if s["state"] != fill.DRAFT), None)


def _of_pack(intake: Intake, round_: str, pack: str) -> set[int]:
    return {i.id for i in intake.invites(round_) if i.pack == pack}


def _notice(intake: Intake, pack, sub: dict, items: list[str]) -> tuple[bytes, str]:
    """The 整改通知 of a submission: the clerk's items (errors to fix), then the warnings its
    check found (建议), to the enterprise, signed by the bureau and dated today."""
    from ..bureau.reports import ReportEntry, notice
    from ..output import safe_name
    from ..record.findings import ERROR, WARNING, Finding

    findings = [Finding(NOTICE_CODE, ERROR, "", "", item) for item in items]
    findings += [Finding(f["code"], WARNING, "", "", f["text"]) for f in sub["findings"] if f["severity"] == "警告"]
    if not findings:
        raise IntakeError("整改通知中没有任何事项：请填写整改意见")
    entry = ReportEntry(sub["enterprise"], findings=findings)
    data = notice(entry, pack.title, intake.bureau, today())
    name = f"整改通知_{safe_name(sub['enterprise'], 80)}_第{sub['version']}版.docx"
    return data, name


def _shown_name(filename: str) -> str:
    """The name an upload is shown and downloaded by (:func:`formgen.intake.figures.shown_name`).

    >>> _shown_name("../../etc/passwd.yaml"), _shown_name("C:\\\\x\\\\申报.docx"), _shown_name("")
    ('passwd.yaml', '申报.docx', '上传文件')
    """
    return FG.shown_name(filename)


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _file_json(f: dict, base: str) -> dict:
    return {
        "kind": f["kind"],
        "name": f["name"],
        "sha256": f["sha256"],
        "size": f["size"],
        "url": f"{base}/file/{f['id']}",
    }
