"""The Flask application of ``formgen serve``: thin routes over :mod:`formgen.web.form`,
:mod:`formgen.web.store` and :mod:`formgen.app`.

Access (see :class:`Gate`): every page, static file and API lives under ``/<token>/``, the
session's secret in the address's path, which a browser sends to no other server (a cookie
for 127.0.0.1 would go to every port of it, so there is none). Every change (POST) must
also carry the token in the ``X-Formgen-Token`` header, which only the page's own script
sends (CSRF), and come from the server's own origin. The Host header must name this server
(DNS rebinding). Pages forbid inline scripts and anything from elsewhere (CSP) and send no
Referer, so the token stays in the address bar.
"""

from __future__ import annotations

import datetime as dt
import hmac
import io
import json
import secrets
import threading
from collections import OrderedDict
from html import escape as html_escape
from pathlib import Path

from flask import Flask, abort, jsonify, make_response, render_template, request, send_file, url_for
from werkzeug.wrappers import Response

from ..record.findings import Finding
from . import form as F
from .store import MAX_UPLOAD_BYTES, Folder, Refused

HEADER = "X-Formgen-Token"
MAX_BODY = MAX_UPLOAD_BYTES + 1024 * 1024  # an upload and its form fields
KEPT_DOWNLOADS = 20  # generated sets kept in memory for download
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class Downloads:
    """Generated documents, kept in memory (never written where the browser chooses)."""

    def __init__(self):
        self._sets: OrderedDict[str, list[tuple[str, bytes]]] = OrderedDict()
        self._lock = threading.Lock()

    def keep(self, files: list[tuple[str, bytes]]) -> list[dict]:
        key = secrets.token_urlsafe(12)
        with self._lock:
            self._sets[key] = files
            while len(self._sets) > KEPT_DOWNLOADS:
                self._sets.popitem(last=False)
        return [
            {"name": name, "url": url_for("download", key=key, i=i, filename=name), "size": len(data)}
            for i, (name, data) in enumerate(files)
        ]

    def get(self, key: str, i: int) -> tuple[str, bytes] | None:
        with self._lock:
            files = self._sets.get(key)
        return files[i] if files is not None and 0 <= i < len(files) else None


LOCAL_NAMES = ("127.0.0.1", "localhost", "[::1]")  # what a Host header may name
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def host_names(host: str | None) -> set[str]:
    """The names a Host header may give for a server listening on ``host``.

    >>> sorted(host_names("127.0.0.1"))
    ['127.0.0.1', '[::1]', 'localhost']
    >>> "[::1]" in host_names("::1") and "192.168.1.5" in host_names("192.168.1.5")
    True
    """
    names = set(LOCAL_NAMES)
    if host:
        names.add(f"[{host}]" if ":" in host and not host.startswith("[") else host)
    return {n.casefold() for n in names}


def host_allowed(given: str, names: set[str], port: int | None) -> bool:
    """Whether a request's Host header names this server: one of ``names``, and the port it
    listens on (any port while it is not known, as in Flask's test client).

    >>> names = host_names("127.0.0.1")
    >>> [host_allowed(h, names, 8000) for h in ("127.0.0.1:8000", "localhost:8000", "[::1]:8000")]
    [True, True, True]
    >>> [host_allowed(h, names, 8000) for h in ("evil.example:8000", "127.0.0.1:8001", "127.0.0.1", "")]
    [False, False, False, False]
    >>> host_allowed("localhost", names, None), host_allowed("localhost:80", names, 80)
    (True, True)
    """
    given = given.strip().casefold()
    name, colon, digits = given.rpartition(":")
    if not colon or name.endswith(":") or not name or "]" in digits:  # no port (or a bare IPv6 part)
        name, digits = given, ""
    if name not in names:
        return False
    if port is None:
        return not digits or digits.isdigit()
    return digits == str(port) or (not digits and port == 80)


class Gate:
    """WSGI middleware in front of the Flask application: what a browser would also send
    to another port of the host (cookies) grants nothing.

    - the Host header must name this server (:func:`host_allowed`), else 400: a page of
      another name that resolves to 127.0.0.1 (DNS rebinding) reaches nothing;
    - a request that is not GET or HEAD must come from the server's own origin (``Origin``
      and ``Sec-Fetch-Site``, when the client sends them), else 403;
    - the path must start with ``/<token>/``, compared in constant time, else 403; the
      prefix is moved into ``SCRIPT_NAME``, so every URL Flask builds carries it.
    """

    def __init__(self, app: Flask, inner):
        self.app, self.inner = app, inner

    def __call__(self, environ, start_response):
        cfg = self.app.config
        host = environ.get("HTTP_HOST", "")
        if not host_allowed(host, host_names(cfg.get("FORMGEN_HOST")), cfg.get("FORMGEN_PORT")):
            return self.refuse(environ, start_response, 400, "请求的主机名不是本机的 formgen serve，已拒绝")
        if environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD"):
            origin = environ.get("HTTP_ORIGIN")
            site = environ.get("HTTP_SEC_FETCH_SITE")
            if (origin is not None and origin.casefold() != f"http://{host}".casefold()) or (
                site is not None and site != "same-origin"
            ):
                return self.refuse(environ, start_response, 403, "请求来自其他网页，已拒绝（请从本页面操作）")
        path = environ.get("PATH_INFO", "")
        if path == "/favicon.ico":  # asked for by every browser; grants nothing
            return Response(status=204, headers=SECURITY_HEADERS)(environ, start_response)
        secret = cfg["FORMGEN_TOKEN"].encode()
        first, slash, rest = path[1:].partition("/") if path.startswith("/") else ("", "", "")
        if not hmac.compare_digest(first.encode("latin-1", "replace"), secret):
            return self.refuse(
                environ, start_response, 403, "请用 formgen serve 启动时打印的地址打开本页（地址中含本次会话的口令）"
            )
        prefix = environ.get("SCRIPT_NAME", "") + "/" + first
        if not slash:
            return Response(status=308, headers={**SECURITY_HEADERS, "Location": prefix + "/"})(environ, start_response)
        environ["SCRIPT_NAME"], environ["PATH_INFO"] = prefix, "/" + rest
        return self.inner(environ, start_response)

    @staticmethod
    def refuse(environ, start_response, status: int, message: str):
        """The refusal, in Chinese: JSON for a request from a script (POST), else a page
        with no link and no script."""
        headers = {**SECURITY_HEADERS, "Cache-Control": "no-store"}
        if environ.get("REQUEST_METHOD", "GET") in ("GET", "HEAD"):
            page = (
                '<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>无法打开 · formgen</title>'
                f"</head><body><h1>无法打开（{status}）</h1><p>{html_escape(message)}</p></body></html>\n"
            )
            resp = Response(page, status=status, headers=headers, content_type="text/html; charset=utf-8")
        else:
            body = json.dumps({"ok": False, "message": message}, ensure_ascii=False)
            resp = Response(body, status=status, headers=headers, content_type="application/json; charset=utf-8")
        return resp(environ, start_response)


def _soffice() -> bool:
    from ..render.pdf import PdfError, find_soffice

    try:
        find_soffice()
        return True
    except PdfError:
        return False


def _not_done(message: str, findings=None, loaded=None, pack=None):
    """A request from the page that could not be carried out (422): the reason, and the
    findings behind it for the page to show beside their fields."""
    body = {"ok": False, "message": message}
    if findings is not None:
        body["findings"] = F.finding_dicts(findings, loaded.record if loaded is not None else None, pack)
    return make_response(jsonify(body), 422)


def create_app(folder: Path, token: str | None = None) -> Flask:
    """The web application serving the records in ``folder``. ``token`` is the session's
    secret (a random one when None); it is ``app.config["FORMGEN_TOKEN"]`` and every URL
    is under ``/TOKEN/``. ``FORMGEN_HOST`` and ``FORMGEN_PORT`` in its config name where it
    listens (:func:`formgen.web.start` sets them), for the Host check."""
    store = Folder(Path(folder))
    app = Flask(__name__, static_folder="static", static_url_path="/static", template_folder="templates")
    app.config.update(
        FORMGEN_TOKEN=token or secrets.token_urlsafe(24),
        FORMGEN_FOLDER=store.root,
        FORMGEN_HOST="127.0.0.1",
        FORMGEN_PORT=None,
        MAX_CONTENT_LENGTH=MAX_BODY,
        JSON_AS_ASCII=False,
    )
    app.wsgi_app = Gate(app, app.wsgi_app)
    app.json.ensure_ascii = False
    app.jinja_env.filters["wordcount_zh"] = _word_count
    downloads = Downloads()
    secret = app.config["FORMGEN_TOKEN"]

    def same(a: str | None) -> bool:
        return bool(a) and hmac.compare_digest(a.encode("utf-8", "replace"), secret.encode())

    def refuse(status: int, message: str):
        if request.method == "POST" or request.endpoint == "image_info":
            return make_response(jsonify(ok=False, message=message), status)
        return make_response(render_template("error.html", message=message, status=status), status)

    @app.before_request
    def guard():
        """Past :class:`Gate` (the token in the path): a change also needs it in the header."""
        if request.method not in ("GET", "HEAD") and not same(request.headers.get(HEADER)):
            return refuse(403, "请求缺少本次会话的口令，已拒绝（请从本页面操作）")
        return None

    @app.after_request
    def headers(resp):
        resp.headers.update(SECURITY_HEADERS)
        if request.endpoint != "static":
            resp.headers["Cache-Control"] = "no-store"
        return resp

    @app.errorhandler(Refused)
    def refused(e: Refused):
        return refuse(e.status, str(e))

    @app.errorhandler(F.FormError)
    def bad_form(e: F.FormError):
        return refuse(400, str(e))

    @app.errorhandler(413)
    def too_large(e):
        given = e.description if isinstance(e.description, str) and "上限" in e.description else None
        return refuse(413, given or f"上传内容超过 {MAX_BODY // 1048576} MB 的上限")

    @app.errorhandler(Exception)
    def crashed(e: Exception):
        from werkzeug.exceptions import HTTPException

        if isinstance(e, HTTPException):
            return refuse(e.code or 500, e.description or "请求无法处理")
        app.logger.exception("formgen serve: %s %s", request.method, request.path)
        return refuse(500, f"服务器内部错误（{e.__class__.__name__}：{e}），未做任何修改；请报告此问题")

    @app.errorhandler(404)
    def not_found(e):
        return refuse(404, "没有这个页面")

    @app.errorhandler(405)
    def not_allowed(e):
        return refuse(405, "不支持这种请求")

    # --- pages ----------------------------------------------------------------------------

    @app.get("/")
    def index():
        rows = []
        for name in store.records():
            path, loaded, problems, _ = store.open(name)
            rec = loaded.record if loaded else None
            rows.append(
                {
                    "name": name,
                    "enterprise": (rec.enterprise.name if rec else "") or "",
                    "pack": (rec.pack if rec else "") or "",
                    "pack_title": dict(F.pack_choices()).get(rec.pack, rec.pack) if rec and rec.pack else "",
                    "level": (rec.factory.level if rec else "") or "",
                    "format": "工作簿" if path.suffix.casefold() == ".xlsx" else "YAML",
                    "unreadable": loaded is None,
                }
            )
        return render_template("index.html", rows=rows, folder=str(store.root), token=secret)

    def _opened(name: str):
        path, loaded, problems, version = store.open(name)
        if loaded is None:
            return path, None, None, None, problems, version
        pack, bad = F.pack_of(loaded.record.pack)
        cat = F.form_catalogue(loaded.record, pack)
        findings = ([bad] if bad else []) + _validate(loaded, pack)
        return path, loaded, pack, cat, findings, version

    def _validate(loaded, pack) -> list[Finding]:
        from .. import app as flow

        return flow.validate(loaded, pack)

    @app.get("/record/<path:name>")
    def record(name: str):
        path, loaded, pack, cat, findings, version = _opened(name)
        if loaded is None:
            return render_template(
                "unreadable.html", name=name, findings=[F.finding_dict(f) for f in findings], token=secret
            )
        sections = F.page(cat, loaded.record, F.asked_fields(pack, cat.level, loaded.record))
        shown = [F.finding_dict(f, cat) for f in findings]
        placed = F.placed(shown, F.page_paths(sections))
        errors = sum(1 for f in findings if f.is_error)
        return render_template(
            "record.html",
            name=name,
            record=loaded.record,
            pack=pack,
            level=cat.level,
            documents=F.documents_made(loaded.record, pack, cat.level),
            sections=sections,
            findings=shown,
            placed=placed,
            errors=errors,
            warnings=len(findings) - errors,
            version=version,
            workbook=path.suffix.casefold() == ".xlsx",
            figure_rules=_figure_rules(loaded, pack),
            soffice=_soffice(),
            names=dict(F.pack_choices()),
            kept=F.hidden_filled(sections),
            token=secret,
        )

    @app.get("/record/<path:name>/layout")
    def page_layout(name: str):
        """The page's fields for a pack and level chosen on it (form.js lays the page out again)."""
        _, loaded, _, _ = store.open(name)
        pack, _ = F.pack_of(request.args.get("pack", "").strip() or None)
        record = loaded.record if loaded is not None else None
        return jsonify(F.layout(pack, request.args.get("level") or None, record))

    def _figure_rules(loaded, pack) -> dict:
        from ..rules import Context

        if pack is None:
            return {}
        cfg = Context(loaded, pack, None, dt.date.today()).check("figures") or {}
        return {k: cfg[k] for k in ("min_count", "min_megapixels", "min_mb") if k in cfg}

    # --- the record's JSON endpoints -------------------------------------------------------

    def _posted():
        return F.posted_json(request)

    def _from_page(name: str, body: dict):
        """(file path, loaded record or None, pack, findings) of what the page holds."""
        path, loaded, problems, _ = store.open(name)
        values, entries, items = body.get("values", {}), body.get("entries", []), body.get("items", [])
        pack_name = values.get("pack") if isinstance(values, dict) else None
        pack, bad = F.pack_of(pack_name.strip() if isinstance(pack_name, str) else None)
        cat = F.parse_catalogue(loaded.record if loaded is not None else None)
        data, problems, left_out = F.record_data(cat, values, entries, items)
        got, findings = F.check(path, data, pack, problems, left_out)  # what it could not read among them
        return path, got, pack, ([bad] if bad else []) + findings

    @app.post("/record/<path:name>/validate")
    def validate(name: str):
        body = _posted()
        _, loaded, pack, findings = _from_page(name, body)
        current = store.version(name)
        return jsonify(
            ok=True,
            findings=F.finding_dicts(findings, loaded.record if loaded is not None else None, pack),
            errors=sum(1 for f in findings if f.is_error),
            warnings=sum(1 for f in findings if not f.is_error),
            changed_on_disk=current.sha256 != body.get("sha256"),
        )

    @app.post("/record/<path:name>/save")
    def save(name: str):
        body = _posted()
        _, loaded, pack, findings = _from_page(name, body)
        typing_errors = [f for f in findings if f.code.startswith(("IN", "XL"))]
        if loaded is None or typing_errors:
            return _not_done("有填写格式错误，未保存：请先改正标出的字段", findings, loaded, pack)
        opened = body.get("sha256")
        if not isinstance(opened, str):
            raise F.FormError("缺少打开时的文件版本")
        version = store.save(name, loaded.record, opened)
        when = dt.datetime.fromtimestamp(version.mtime).strftime("%H:%M:%S")
        return jsonify(
            ok=True,
            message=f"没有改动，{name} 未改写"
            if version.sha256 == opened
            else f"已保存 {name}（{when}），原文件已备份",
            sha256=version.sha256,
            mtime=version.mtime,
            findings=F.finding_dicts(findings, loaded.record, pack),
        )

    @app.post("/record/<path:name>/generate")
    def generate(name: str):
        from .. import app as flow

        body = _posted()
        _, loaded, pack, findings = _from_page(name, body)
        draft = body.get("draft") is True
        if loaded is None:
            return _not_done("记录有填写格式错误，未生成")
        if pack is None:
            return _not_done("未指定表格包，无法生成：请先选择表格包")
        errors = any(f.is_error for f in findings)
        if errors and not draft:
            return _not_done("记录有错误，未生成：请先改正，或勾选“草稿”生成标注草稿的文档", findings, loaded, pack)
        if not pack.documents_for(loaded.record, single=True):
            return _not_done(f"{pack.title} 没有适用于此记录的单个企业文档（汇总表请到“推荐单位”页生成）")
        files = flow.render_single(loaded, pack, draft and errors)
        note = ""
        if body.get("pdf") is True:
            from ..render.pdf import PdfError

            try:
                files = flow.with_pdf_copies(files)
            except PdfError as e:
                note = f"；PDF 未生成：{e}"
        links = downloads.keep(files)
        return jsonify(ok=True, message=f"已生成 {len(files)} 个文件{note}", files=links, draft=draft and errors)

    @app.post("/record/<path:name>/upload")
    def upload(name: str):
        path = store.record_path(name)
        got = request.files.get("file")
        if got is None:
            raise F.FormError("没有收到图片文件")
        data = got.read(MAX_UPLOAD_BYTES + 1)
        rel, _ = store.store_upload(path, got.filename or "", data)
        return jsonify(ok=True, file=rel, **_image_facts(path, rel))

    def _image_facts(path: Path, rel: str) -> dict:
        from ..render.images import probe

        try:
            store.file_path(path.parent, rel)
        except Refused as e:
            if e.status != 404:
                raise
            return {"width": 0, "height": 0, "bytes": 0, "megapixels": 0, "format": "", "problem": str(e)}
        info = probe(path.parent, rel)
        return {
            "width": info.width,
            "height": info.height,
            "bytes": info.bytes,
            "megapixels": round(info.width * info.height / 1_000_000, 2),
            "format": info.format,
            "problem": info.problem,
        }

    @app.get("/record/<path:name>/image")
    def image_info(name: str):
        path = store.record_path(name)
        rel = request.args.get("file", "")
        return jsonify(ok=True, file=rel, **_image_facts(path, rel))

    @app.get("/download/<key>/<int:i>/<path:filename>")
    def download(key: str, i: int, filename: str):
        got = downloads.get(key, i)
        if got is None:
            abort(404)
        name, data = got
        return send_file(io.BytesIO(data), as_attachment=True, download_name=name, mimetype=_mime(name))

    # --- the bureau ------------------------------------------------------------------------

    from .bureau import register

    register(app, store, downloads)
    return app


def _word_count(text: str) -> int:
    from ..record.textcount import word_count

    return word_count(text or "")


def _mime(name: str) -> str:
    return {
        ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ".pdf": "application/pdf",
    }.get(Path(name).suffix.casefold(), "application/octet-stream")
