"""The intake probed as an attacker and a careless user would (issue 28, "Security as a public
server needs it"): sessions that end when they should, logins that neither give more guesses
in parallel nor tell which names exist, a link revoked while its upload is checked, hostile
uploads, headers on every answer, proxy headers honoured only from the proxy named.

What a user would notice: a clerk's cookie copied before logout opens nothing after it; the
sixth wrong password reads the same for a real name and an invented one; a revoked link takes
no submission, even one already on its way; a zip bomb or a YAML bomb gets one clear line and
nothing is kept; no page is framed, cached, or sends its link's secret as a Referer."""

from __future__ import annotations

import io
import re
import threading
import time
import zipfile

import pytest
from werkzeug.datastructures import MultiDict

from formgen.intake import check as C
from formgen.intake import db as D
from formgen.intake.web import create_app

from . import test_intake as T
from .test_intake import (
    BUREAU,
    LATER,
    LONGYUAN,
    OTHER,
    PASSWORD,
    _client,
    _csrf,
    _login,
    _record,
    _stored_files,
    _submit,
)

backend, intake, sqlite_intake = T.backend, T.intake, T.sqlite_intake  # the fixtures, shared

SESSION_COOKIE = "formgen_intake"


def _cookie(client) -> str:
    return client.get_cookie(SESSION_COOKIE).value


def _with_cookie(it, value: str):
    other = _client(it)
    other.set_cookie(SESSION_COOKIE, value)
    return other


# -- clerks' sessions ----------------------------------------------------------------------


def test_a_session_cookie_copied_before_logout_opens_nothing_after_it(sqlite_intake):
    it = sqlite_intake
    it.add_clerk("张三", PASSWORD)
    clerk = _client(it)
    assert _login(clerk)[0].status_code == 303
    copied = _cookie(clerk)
    assert _with_cookie(it, copied).get("/clerk/").status_code == 200  # the same session, elsewhere
    clerk.post("/clerk/logout", data={"csrf": _csrf(clerk, "/clerk/")})
    thief = _with_cookie(it, copied)
    assert thief.get("/clerk/").status_code == 303 and thief.get("/clerk/audit").status_code == 303
    assert "退出登录" in [row.what for row in it.audit_rows()]


def test_a_new_password_or_a_removed_account_ends_the_sessions_open(sqlite_intake):
    it = sqlite_intake
    it.add_clerk("张三", PASSWORD)
    clerk = _client(it)
    _login(clerk)
    assert clerk.get("/clerk/").status_code == 200
    it.set_password("张三", "another good password")
    assert clerk.get("/clerk/").status_code == 303
    assert _login(clerk, password="another good password")[0].status_code == 303
    it.remove_clerk("张三")
    it.add_clerk("张三", PASSWORD)  # a new account of the same name is not the old session's
    assert clerk.get("/clerk/").status_code == 303


def test_a_session_ends_hours_after_its_login_whatever_the_cookie_says(sqlite_intake, monkeypatch):
    it = sqlite_intake
    it.add_clerk("张三", PASSWORD)
    clerk = _client(it)
    _login(clerk)
    later = D.now() + D.dt.timedelta(hours=D.SESSION_HOURS, minutes=1)
    monkeypatch.setattr(D, "now", lambda: later)
    assert clerk.get("/clerk/").status_code == 303


def test_login_renews_the_session_and_a_fixed_cookie_gains_nothing(sqlite_intake):
    """Session fixation: a cookie an attacker planted before the login is not the clerk's session after it."""
    it = sqlite_intake
    it.add_clerk("张三", PASSWORD)
    victim = _client(it)
    victim.get("/clerk/login")
    planted = _cookie(victim)  # the attacker's cookie, with its CSRF token, before the login
    r, token = _login(victim)
    assert r.status_code == 303 and _cookie(victim) != planted
    attacker = _with_cookie(it, planted)
    assert attacker.get("/clerk/").status_code == 303
    r = victim.post("/clerk/logout", data={"csrf": token})  # the token from before the login is dead too
    assert r.status_code == 403 and victim.get("/clerk/").status_code == 200


def test_every_route_is_a_links_a_clerks_or_static(sqlite_intake):
    """Each GET route under /clerk (those added later too) sends a visitor without a session to
    the login; no route lives outside /s/<secret>, /clerk and /static but the root's redirect."""
    it = sqlite_intake
    it.add_clerk("张三", PASSWORD)
    _, secret = it.invite("2026", "gansu", LONGYUAN, LATER)
    _submit(_client(it), secret, _record())
    app = create_app(it, pdf=False)
    stranger = app.test_client()
    stranger.get("/clerk/login")  # a session of its own, without a login
    rules = list(app.url_map.iter_rules())
    assert stranger.get("/static-form/form.js").status_code == 200
    assert stranger.get("/static-form/..%2F..%2Fserver.py").status_code == 404
    assert stranger.get("/static-form/bureau.html").status_code == 404
    for rule in rules:
        path = re.sub(r"<(?:int:)?\w+>", "1", rule.rule)
        if not rule.rule.startswith("/clerk"):
            # /static-form/: serve's form.js, count.js and form.css, by a fixed list of names
            assert rule.rule.startswith(("/s/<secret>", "/static/", "/static-form/")) or rule.rule == "/", rule.rule
        elif "GET" in rule.methods and rule.endpoint != "login":  # the POST ones: the CSRF test below
            r = stranger.get(path)
            assert r.status_code == 303 and r.headers["Location"] == "/clerk/login", path
            assert LONGYUAN not in r.get_data(as_text=True)


def test_every_state_changing_clerk_route_wants_the_sessions_csrf_token(sqlite_intake):
    """Each POST route under /clerk (those added later too), for a logged-in clerk: no token,
    a wrong one, or another session's, is 403 and changes nothing."""
    it = sqlite_intake
    it.add_clerk("张三", PASSWORD)
    it.add_clerk("李四", PASSWORD)
    _, secret = it.invite("2026", "gansu", LONGYUAN, LATER)
    _submit(_client(it), secret, _record())
    app = create_app(it, pdf=False)
    clerk, other = app.test_client(), app.test_client()
    _login(clerk)
    _login(other, "李四")
    foreign = _csrf(other, "/clerk/")
    routes = [r for r in app.url_map.iter_rules() if r.rule.startswith("/clerk") and "POST" in r.methods]
    assert len(routes) >= 8, [r.rule for r in routes]
    before = (len(it.audit_rows()), it.submission(1), len(it.invites()))
    for rule in routes:
        path = re.sub(r"<(?:int:)?\w+>", "1", rule.rule)
        for token in (None, "x" * 43, foreign):
            data = {"state": "推荐", "items": "改", "round": "2026", "pack": "gansu", "enterprise": OTHER}
            data |= {"expires": str(LATER), "year": "2026", "above": "1", "region": "天水市"}
            if token:
                data["csrf"] = token
            r = clerk.post(path, data=data)
            assert r.status_code == 403, (path, token)
    assert (len(it.audit_rows()), it.submission(1), len(it.invites())) == before
    assert clerk.get("/clerk/").status_code == 200  # still logged in: a refused form ends nothing


# -- logins ----------------------------------------------------------------------------------


def _no_token(page: str) -> str:
    return re.sub(r'name="csrf" value="[^"]+"', "", page)


def test_the_answer_to_a_locked_account_is_the_answer_to_a_name_that_does_not_exist(sqlite_intake):
    it = sqlite_intake
    it.add_clerk("张三", PASSWORD)
    answers = {}
    for name in ("张三", "王五"):  # one a clerk, one no one
        client = _client(it)
        got = [_login(client, name, "wrong password!!")[0] for _ in range(D.MAX_FAILURES + 1)]
        answers[name] = [(r.status_code, _no_token(r.get_data(as_text=True))) for r in got]
    assert answers["张三"] == answers["王五"]
    assert it.login("张三", PASSWORD, "127.0.0.1") == (None, D.WRONG_LOGIN)  # locked all the same (for the guesser)
    assert "锁定" in D.WRONG_LOGIN


def test_every_refused_login_costs_one_password_hash(sqlite_intake, monkeypatch):
    """Timing: an unknown name, a wrong password and a locked account each cost one argon2
    verification (the unknown one against a dummy hash), so the time taken tells nothing."""
    from argon2 import PasswordHasher

    it = sqlite_intake
    it.add_clerk("张三", PASSWORD)
    calls = []
    original = PasswordHasher.verify
    monkeypatch.setattr(PasswordHasher, "verify", lambda self, h, p: calls.append(h) or original(self, h, p))
    D._dummy_hash()  # made once per process, before it is timed
    for name in ["王五"] + ["张三"] * (D.MAX_FAILURES + 2):
        calls.clear()
        assert it.login(name, "wrong password!!", "10.4.0.1") == (None, D.WRONG_LOGIN)
        assert len(calls) == 1, name


def test_the_first_unknown_name_after_start_costs_no_more_than_the_next(sqlite_intake, monkeypatch):
    """The dummy hash an unknown name is verified against is made when the app starts, not by
    the first unknown name (which would take twice as long as a real name's)."""
    from argon2 import PasswordHasher

    it = sqlite_intake
    it.add_clerk("张三", PASSWORD)
    D._dummy_hash.cache_clear()
    create_app(it, pdf=False)  # the server starts
    hashed = []
    original = PasswordHasher.hash
    monkeypatch.setattr(PasswordHasher, "hash", lambda self, pw, **kw: hashed.append(1) or original(self, pw, **kw))
    assert it.login("王五", "wrong password!!", "10.5.0.1") == (None, D.WRONG_LOGIN)
    assert hashed == []


def test_parallel_wrong_passwords_get_no_more_guesses_than_one_after_another(intake, monkeypatch):
    """Twelve attempts at once (from twelve addresses of one IPv6 /64, on either database): the
    account's hash is verified at most MAX_FAILURES times, then it is locked for that network, the
    right password too late. (An address that has not failed gets one try: see
    test_intake.py's test_a_lock_others_caused_does_not_keep_the_clerk_out.)"""
    from argon2 import PasswordHasher

    it = intake
    it.add_clerk("张三", PASSWORD)
    real = D.sa.select(D.clerks.c.password_hash)
    with it.registry._read() as conn:
        real_hash = conn.execute(real).scalar_one()
    verified = []
    original = PasswordHasher.verify

    def slow_verify(self, hashed, password):
        if hashed == real_hash:
            verified.append(password)
        time.sleep(0.2)  # a slow hash: every attempt has read the account before the first one ends
        return original(self, hashed, password)

    monkeypatch.setattr(PasswordHasher, "verify", slow_verify)
    start = threading.Barrier(12)

    def attempt(i):
        start.wait()
        it.login("张三", f"wrong password {i:02d}", f"2001:db8:2::{i + 1:x}")

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(verified) <= D.MAX_FAILURES, len(verified)
    assert it.login("张三", PASSWORD, "2001:db8:2::99") == (None, D.WRONG_LOGIN)


def test_a_name_typed_with_spaces_logs_in_and_a_password_typed_as_a_name_is_never_logged(sqlite_intake):
    it = sqlite_intake
    it.add_clerk("张三", PASSWORD)
    assert it.login(" 张三 ", PASSWORD, "10.3.0.1")[0] is not None  # as `user add` stripped it
    typed = "Tr0ub4dor&3-my-password"
    for _ in range(D.MAX_LOGINS_PER_WINDOW + 3):
        it.login(typed, "x" * 12, "10.3.0.2")
    rows = it.audit_rows()
    assert not any(typed in f"{r.who}{r.what}{r.detail}" for r in rows)
    assert sum(r.what == "登录过于频繁" for r in rows) == 1  # a flood is one line, not one a request


def test_x_forwarded_for_does_not_dodge_the_rate_limit_without_a_proxy(sqlite_intake):
    it = sqlite_intake
    it.add_clerk("张三", PASSWORD)
    client = _client(it)
    for i in range(D.MAX_LOGINS_PER_WINDOW):
        client.environ_base.update(HTTP_X_FORWARDED_FOR=f"198.51.100.{i}", REMOTE_ADDR="203.0.113.7")
        _login(client, "nobody", "x" * 12)
    r, _t = _login(client)
    assert r.status_code == 429


def test_an_ipv6_network_is_one_address_to_the_rate_limit(sqlite_intake):
    """Addresses picked from one /64 (what one home line has) share one count of login attempts."""
    it = sqlite_intake
    it.add_clerk("张三", PASSWORD)
    for i in range(D.MAX_LOGINS_PER_WINDOW):
        assert it.login("nobody", "x" * 12, f"2001:db8:7:7::{i + 1:x}") == (None, D.WRONG_LOGIN)
    assert it.login("张三", PASSWORD, "2001:db8:7:7:ffff::1") == (None, D.TOO_MANY_LOGINS)
    assert it.login("张三", PASSWORD, "2001:db8:7:8::1")[0] is not None  # the next network is another


def _serve(it, *args):
    """`formgen intake serve` on a free port: (process, base address)."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, PYTHONUNBUFFERED="1")
    cmd = [sys.executable, "-m", "formgen", "intake", "serve", "--db", it.where, "--port", "0", *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    for _ in range(20):
        found = re.search(r"127\.0\.0\.1:(\d+) 上运行", proc.stdout.readline())
        if found:
            return proc, f"http://127.0.0.1:{found.group(1)}"
    proc.kill()
    raise AssertionError("no port printed")


def _http(method: str, url: str, headers: dict, body: bytes | None = None):
    import urllib.error
    import urllib.request

    req = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


@pytest.mark.parametrize("proxy", [None, "127.0.0.1"])
def test_proxy_headers_count_only_from_the_proxy_named(sqlite_intake, proxy):
    """Without --proxy, X-Forwarded-For/-Host/-Proto are anyone's words: the rate limit holds
    whatever they say, and no page or cookie takes them. With --proxy naming the proxy, its
    X-Forwarded-For is the visitor's address (one visitor's limit is not another's)."""
    import signal
    import urllib.parse

    it = sqlite_intake
    proc, base = _serve(it, *(["--proxy", proxy] if proxy else []))
    try:
        statuses = []
        for i in range(D.MAX_LOGINS_PER_WINDOW + 1):
            fake = {
                "X-Forwarded-For": f"198.51.100.{i}",
                "X-Forwarded-Host": "evil.example",
                "X-Forwarded-Proto": "https",
            }
            status, headers, page = _http("GET", f"{base}/clerk/login", fake)
            cookie = headers["Set-Cookie"].split(";", 1)[0]
            token = re.search(rb'name="csrf" value="([^"]+)"', page).group(1).decode()
            form = urllib.parse.urlencode({"name": "nobody", "password": "x" * 12, "csrf": token}).encode()
            kind = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
            status, headers, page = _http("POST", f"{base}/clerk/login", fake | kind, form)
            assert b"evil.example" not in page and "evil.example" not in str(headers)
            statuses.append(status)
        if proxy:
            assert statuses == [401] * (D.MAX_LOGINS_PER_WINDOW + 1)
            assert {r.detail for r in it.audit_rows() if r.what == "登录失败（无此用户）"} == {""}
            assert any(r.who == "地址:198.51.100.3" for r in it.audit_rows())
        else:
            assert statuses[-1] == 429 and statuses[:-1] == [401] * D.MAX_LOGINS_PER_WINDOW
            assert not any("198.51.100" in r.who for r in it.audit_rows())
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)


def test_a_huge_body_is_refused_on_its_length_before_it_is_received(sqlite_intake):
    """`formgen intake serve`: a POST announcing 500 MB gets 413 at once; waitress does not wait
    for (and spool to disk) what the application would refuse anyway."""
    import signal
    import socket

    it = sqlite_intake
    _, secret = it.invite("2026", "gansu", LONGYUAN, LATER)
    proc, base = _serve(it)
    try:
        host, port = base.rsplit("/", 1)[1].split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            head = (
                f"POST /s/{secret}/submit HTTP/1.1\r\nHost: {host}\r\nContent-Length: {500 * 1024 * 1024}\r\n"
                "Content-Type: multipart/form-data; boundary=b\r\n\r\n"
            )
            sock.sendall(head.encode() + b"x" * 65536)
            answer = sock.recv(4096)
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    assert _stored_files(it) == []


# -- links -------------------------------------------------------------------------------------


def test_a_link_revoked_while_its_upload_is_checked_takes_nothing(sqlite_intake, monkeypatch):
    it = sqlite_intake
    invite, secret = it.invite("2026", "gansu", LONGYUAN, LATER)
    checking = C.check_files

    def revoked_meanwhile(*args, **kwargs):
        got = checking(*args, **kwargs)
        it.revoke(invite.id, "用户:张三")  # the clerk revokes it while the enterprise's upload is checked
        return got

    monkeypatch.setattr(C, "check_files", revoked_meanwhile)
    r = _submit(_client(it), secret, _record())
    assert r.status_code == 410 and r.json["accepted"] is False and r.json["receipt"] is None
    assert "撤销" in r.json["message"]
    assert it.submissions_of(invite.id) == [] and _stored_files(it) == [] and it.registry.list("2026") == []


def test_a_link_cannot_reach_another_links_notice_or_receipt_pdf(sqlite_intake):
    it = sqlite_intake
    it.add_clerk("张三", PASSWORD)
    _, a = it.invite("2026", "gansu", LONGYUAN, LATER)
    _, b = it.invite("2026", "gansu", OTHER, LATER)
    ent = _client(it)
    assert _submit(ent, a, _record(LONGYUAN)).json["accepted"]
    assert _submit(ent, b, _record(OTHER, 1)).json["accepted"]
    b_sub = it.submissions_of(it.invite_by_secret(b).id)[0]
    clerk = _client(it)
    _login(clerk)
    page = f"/clerk/submission/{b_sub['id']}"
    clerk.post(f"{page}/notice", data={"items": "补充产能", "csrf": _csrf(clerk, page)})
    b_files = it.submission(b_sub["id"])["files"]
    assert any(f["kind"] == "notice" for f in b_files)
    for f in b_files:
        for tail in ("", "/pdf"):
            got = ent.get(f"/s/{a}/file/{f['id']}{tail}")
            assert got.status_code == 404 and got.data[:2] != b"PK" and OTHER not in got.get_data(as_text=True)
    assert "补充产能" not in ent.get(f"/s/{a}").get_data(as_text=True)


def test_a_receipts_pdf_asked_for_at_once_is_made_once(sqlite_intake, monkeypatch):
    """Bounded work: ten downloads of a receipt's PDF at once run LibreOffice once and keep one file."""
    from formgen.intake import receipt

    it = sqlite_intake
    _, secret = it.invite("2026", "gansu", LONGYUAN, LATER)
    app = create_app(it, pdf=True)
    url = _submit(app.test_client(), secret, _record()).json["receipt"] + "/pdf"
    made = []

    def slow_pdf(docx, name):
        made.append(name)
        time.sleep(0.3)
        return b"%PDF-1.4 receipt"

    monkeypatch.setattr(receipt, "pdf", slow_pdf)
    start = threading.Barrier(10)
    answers = []

    def download():
        client = app.test_client()
        start.wait()
        answers.append(client.get(url))

    threads = [threading.Thread(target=download) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status_code for r in answers] == [200] * 10 and {r.data for r in answers} == {b"%PDF-1.4 receipt"}
    assert len(made) == 1
    assert sum(f["kind"] == "receipt-pdf" for f in it.submission(1)["files"]) == 1


# -- uploads -------------------------------------------------------------------------------------


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]><r>&d;&d;&d;</r>'
)
_YAML_BOMB = b"a: &a [x, x, x, x, x, x, x, x, x]\n" + b"".join(
    f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n".encode() for p, n in zip("abcdefg", "bcdefgh", strict=True)
)
_HOSTILE = {
    "zip bomb docx": (
        "申报书.docx",
        _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b" " * 300_000_000}),
    ),
    "zip bomb xlsx": ("记录.xlsx", _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b" " * 300_000_000})),
    "many members docx": ("申报书.docx", _zip({f"word/p{i}.xml": b"" for i in range(6000)})),
    "many members xlsx": ("记录.xlsx", _zip({f"xl/p{i}.xml": b"" for i in range(6000)})),
    "entities docx": ("申报书.docx", _zip({"[Content_Types].xml": _LAUGHS, "word/document.xml": _LAUGHS})),
    "entities xlsx": ("记录.xlsx", _zip({"[Content_Types].xml": _LAUGHS, "xl/workbook.xml": _LAUGHS})),
    "yaml bomb": ("记录.yaml", _YAML_BOMB),
    "deep yaml": ("记录.yaml", b"a: " + b"[" * 20000 + b"]" * 20000 + b"\n"),
    "workbook as docx": (
        "申报书.docx",
        (C.Path(__file__).parent.parent / "data/examples/gansu-longyuan.xlsx").read_bytes(),
    ),
    "not a zip": ("申报书.docx", b"PK\x03\x04" + b"\x00" * 200),
    "binary as yaml": ("记录.yaml", b"\x00\x01\x02" * 1000),
}


@pytest.mark.parametrize("case", sorted(_HOSTILE))
def test_a_hostile_upload_gets_clear_lines_bounded_work_and_nothing_kept(sqlite_intake, case):
    it = sqlite_intake
    _, secret = it.invite("2026", "gansu", LONGYUAN, LATER)
    name, data = _HOSTILE[case]
    started = time.monotonic()
    r = _submit(_client(it), secret, data, name)
    took = time.monotonic() - started
    assert r.status_code == 200 and r.json["accepted"] is False and r.json["receipt"] is None
    assert r.json["findings"] and all(f["severity"] == "错误" and f["text"].strip() for f in r.json["findings"][:1])
    text = r.get_data(as_text=True)
    assert str(it.storage) not in text and "Traceback" not in text and "/tmp" not in text
    assert took < 20, took  # refused from its sizes and headers, not unpacked
    assert _stored_files(it) == []


def test_too_many_form_parts_are_not_called_too_many_megabytes(sqlite_intake):
    it = sqlite_intake
    _, secret = it.invite("2026", "gansu", LONGYUAN, LATER)
    parts = MultiDict([("x", "y")] * 3000 + [("file", (io.BytesIO(_record()), "记录.yaml"))])
    r = _client(it).post(f"/s/{secret}/submit", data=parts)
    assert r.status_code == 413 and r.json["accepted"] is False
    assert "MB" not in r.json["message"] and str(C.MAX_FILES) in r.json["message"]
    assert _stored_files(it) == []


def test_a_file_name_cannot_disguise_itself_with_invisible_characters(sqlite_intake):
    it = sqlite_intake
    _, secret = it.invite("2026", "gansu", LONGYUAN, LATER)
    r = _submit(_client(it), secret, _record(), "申报\u202excod.yaml")  # shows as 申报.docx-like in a list
    assert r.json["accepted"]
    [up] = [f["name"] for f in r.json["files"] if f["name"].endswith(".yaml")]
    assert up == "申报xcod.yaml"


def test_the_same_file_twice_and_a_long_reserved_name(sqlite_intake):
    it = sqlite_intake
    _, secret = it.invite("2026", "gansu", LONGYUAN, LATER)
    client = _client(it)
    body = MultiDict([("file", (io.BytesIO(_record()), "记录.yaml")), ("file", (io.BytesIO(_record()), "记录.yaml"))])
    twice = client.post(f"/s/{secret}/submit", data=body).json
    assert twice["accepted"] is False and twice["findings"][0]["code"] == "SB003" and _stored_files(it) == []
    assert "同一个文件" in twice["findings"][0]["text"]  # not "2 records in 记录.yaml"
    r = _submit(client, secret, _record(), "CON" + "长" * 300 + ".yaml").json
    assert r["accepted"]
    [up] = [f for f in r["files"] if f["name"].endswith(".yaml")]
    assert len(up["name"]) <= 120
    got = client.get(up["url"])
    assert got.status_code == 200 and got.data == _record()


# -- answers ---------------------------------------------------------------------------------------

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def test_every_answer_carries_the_security_headers_and_none_is_cached(sqlite_intake, monkeypatch):
    it = sqlite_intake
    it.add_clerk("张三", PASSWORD)
    _, secret = it.invite("2026", "gansu", LONGYUAN, LATER)
    client = _client(it)
    sub = _submit(client, secret, _record()).json
    clerk = _client(it)
    _login(clerk)
    answers = {
        "link": client.get(f"/s/{secret}"),
        "submit": _submit(client, secret, b"a: [", "x.yaml"),
        "file": client.get(sub["receipt"]),
        "blank": client.get(f"/s/{secret}/blank.xlsx?level=一级"),
        "404 link": client.get(f"/s/{'x' * 43}"),
        "404 page": client.get("/nothing"),
        "405": client.put(f"/s/{secret}"),
        "login": client.get("/clerk/login"),
        "clerk": clerk.get("/clerk/"),
        "413": _submit(client, secret, b"a" * (C.MAX_UPLOAD_BYTES + 70 * 1024)),
    }
    monkeypatch.setattr(it, "submissions_of", lambda _i: 1 / 0)
    answers["500"] = client.get(f"/s/{secret}")
    for what, r in answers.items():
        for key, value in HEADERS.items():
            assert r.headers.get(key) == value, (what, key)
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"], what
        assert "default-src 'self'" in r.headers["Content-Security-Policy"], what
        assert r.headers.get("Cache-Control") == "no-store", what
    assert answers["500"].status_code == 500
    page = answers["500"].get_data(as_text=True)
    assert "Traceback" not in page and "ZeroDivision" not in page and str(it.storage.parent) not in page
    assert '<meta name="referrer" content="no-referrer">' in answers["link"].get_data(as_text=True)


def test_a_failed_request_is_logged_without_the_links_secret(sqlite_intake, monkeypatch, caplog):
    it = sqlite_intake
    _, secret = it.invite("2026", "gansu", LONGYUAN, LATER)
    monkeypatch.setattr(it, "submissions_of", lambda _i: 1 / 0)
    with caplog.at_level("ERROR"):
        assert _client(it).get(f"/s/{secret}").status_code == 500
    assert "ZeroDivisionError" in caplog.text and "/s/" in caplog.text  # the operator still learns what failed
    assert secret not in caplog.text


def test_the_host_header_reaches_no_link_or_page(sqlite_intake):
    """A link a clerk issues is the intake's address, not the Host the request named."""
    it = sqlite_intake
    it.add_clerk("张三", PASSWORD)
    clerk = _client(it)
    clerk.environ_base.update(HTTP_HOST="evil.example")
    _login(clerk)
    token = _csrf(clerk, "/clerk/")
    form = {"round": "2026", "pack": "gansu", "enterprise": LONGYUAN, "expires": str(LATER), "csrf": token}
    page = clerk.post("/clerk/invite", data=form, headers={"X-Forwarded-Host": "evil2.example"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "evil" not in text and f"{it.url}/s/" in text
    assert all("evil" not in (r.headers.get("Location") or "") for r in (clerk.get("/"), clerk.get("/clerk/login")))


def test_no_page_json_or_receipt_names_another_enterprise_or_a_server_path(sqlite_intake):
    import shutil

    from docx import Document

    it = sqlite_intake
    _, a = it.invite("2026", "gansu", LONGYUAN, LATER)
    _, b = it.invite("2026", "gansu", OTHER, LATER)
    ent = _client(it)
    assert _submit(ent, b, _record(OTHER, 1)).json["accepted"]
    bad = C.Path(__file__).parent.parent / "data/examples/gansu-bad.yaml"
    refused = _submit(ent, a, bad.read_bytes(), "bad.yaml")
    assert refused.json["accepted"] is False
    accepted = _submit(ent, a, _record(LONGYUAN))
    receipt = ent.get(accepted.json["receipt"])
    receipt_text = "\n".join(p.text for p in Document(io.BytesIO(receipt.data)).paragraphs)
    receipt_text += "\n".join(c.text for t in Document(io.BytesIO(receipt.data)).tables for c in t._cells)
    seen = [refused.get_data(as_text=True), accepted.get_data(as_text=True), ent.get(f"/s/{a}").get_data(as_text=True)]
    seen.append(receipt_text)
    for text in seen:
        assert OTHER not in text
        for secret_path in (str(it.storage), str(it.storage.parent), it.where, shutil.os.getcwd()):
            assert secret_path not in text
    assert LONGYUAN in receipt_text and BUREAU in receipt_text


# -- the audit log -----------------------------------------------------------------------------------


def test_the_audit_log_records_who_when_what_hash_and_the_web_cannot_edit_it(sqlite_intake):
    import hashlib

    it = sqlite_intake
    it.add_clerk("张三", PASSWORD)
    _, secret = it.invite("2026", "gansu", LONGYUAN, LATER)
    ent = _client(it)
    sub = _submit(ent, secret, _record()).json
    refused = _submit(ent, secret, b"a: [", "坏.yaml").json
    assert sub["accepted"] and not refused["accepted"]
    clerk = _client(it)
    _login(clerk)
    page = "/clerk/submission/1"
    clerk.post(f"{page}/state", data={"state": "推荐", "note": "好", "csrf": _csrf(clerk, page)})
    rows = it.audit_rows()
    by_what = {r.what: r for r in rows}
    assert by_what["提交"].sha256 == hashlib.sha256(_record()).hexdigest() and by_what["提交"].who.startswith("链接:")
    assert by_what["提交未通过检查"].sha256 == hashlib.sha256(b"a: [").hexdigest()  # refused ones too
    assert by_what["设置状态"].who == "用户:张三" and "已提交 → 推荐" in by_what["设置状态"].detail
    assert all(r.at is not None for r in rows)
    count = len(rows)
    token = _csrf(clerk, "/clerk/audit")
    for method in ("post", "put", "delete", "patch"):
        r = getattr(clerk, method)("/clerk/audit", data={"csrf": token, "id": "1", "detail": "改"})
        assert r.status_code == 405, method
    assert [tuple(r) for r in it.audit_rows()[:count]] == [tuple(r) for r in rows]


# -- the same instant ------------------------------------------------------------------------------


def test_two_versions_in_the_same_instant_get_distinct_numbers(intake):
    """Two uploads of one link in the same instant (on either database): versions 1 and 2, each
    with its own receipt, nothing lost."""
    _, secret = intake.invite("2026", "gansu", LONGYUAN, LATER)
    app = create_app(intake, pdf=False)
    start = threading.Barrier(4)
    answers = []

    def send(i):
        client = app.test_client()
        start.wait()
        answers.append(_submit(client, secret, _record() + f"\n# {i}\n".encode()).json)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a["version"] for a in answers) == [1, 2, 3, 4]
    assert len({a["receipt"] for a in answers}) == 4
    versions = intake.submissions_of(intake.invite_by_secret(secret).id)
    assert sorted(s["version"] for s in versions) == [1, 2, 3, 4]
    assert sum(r.what == "提交" for r in intake.audit_rows()) == 4
