"""The bureau's intake (issue 28): enterprises submit through links of their own, clerks log in.

What a user would notice: a link shows and serves only its own enterprise's submissions; an
expired, revoked or unknown link gets nothing; a clerk's page gives nothing without a login;
the receipt's SHA-256 is the file kept; submissions in parallel each land once with its own
version; an upload is bounded and its name never reaches the disk."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from docx import Document

from formgen.cli import main
from formgen.intake import db as D
from formgen.intake.check import MAX_UPLOAD_BYTES
from formgen.intake.db import Intake
from formgen.intake.web import create_app

from . import regfix

EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "examples"
LONGYUAN = "甘肃陇原精工机械有限公司"
OTHER = "甘肃河西精工机械有限公司"
BUREAU = "天水市工业和信息化局"
PASSWORD = "correct horse battery staple"
LATER = dt.date.today() + dt.timedelta(days=30)


def _codes(n: int) -> tuple[str, str]:
    """The n-th enterprise's 组织机构代码 and 统一社会信用代码 (valid check digits; n = 0 is the example's)."""
    from stdnum.cn import uscc

    from formgen.record.ids import org_check_char

    body = f"{71026531 + n:08d}"
    org = body + org_check_char(body)
    code = "91620103" + org
    return org, code + uscc.calc_check_digit(code)


def _record(name: str = LONGYUAN, n: int = 0) -> bytes:
    """The clean Gansu example, for the enterprise ``name`` (its codes the n-th's)."""
    text = (EXAMPLES / "gansu-longyuan.yaml").read_text(encoding="utf-8").replace(LONGYUAN, name)
    org, code = _codes(n)
    return text.replace("916201037102653100", code).replace("710265310", org).encode("utf-8")


@pytest.fixture(params=regfix.BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def intake(backend, tmp_path) -> Intake:
    it = Intake(regfix.database(backend, tmp_path), create=True)
    assert it.init(BUREAU, "https://sb.example.gov.cn", tmp_path / "files")
    return it


@pytest.fixture
def sqlite_intake(tmp_path) -> Intake:
    it = Intake(regfix.database("sqlite", tmp_path), create=True)
    it.init(BUREAU, "https://sb.example.gov.cn", tmp_path / "files")
    return it


def _client(it: Intake):
    return create_app(it, pdf=False).test_client()


def _submit(client, secret: str, data: bytes, name: str = "申报.yaml"):
    return client.post(f"/s/{secret}/submit", data={"file": (io.BytesIO(data), name)})


def _stored_files(it: Intake) -> list[Path]:
    return sorted(p for p in it.storage.rglob("*") if p.is_file())


# -- init, users, links (the commands) -------------------------------------------------


def test_init_makes_the_intake_beside_the_registry_and_a_second_init_changes_nothing(tmp_path):
    db = tmp_path / "reg.sqlite"
    run = CliRunner().invoke
    r = run(main, ["intake", "init", "--db", str(db), "--bureau", BUREAU, "--url", "https://sb.example.gov.cn"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "formgen-intake-files").is_dir()
    names = set(sa.inspect(sa.create_engine(f"sqlite:///{db}")).get_table_names())
    assert set(D.TABLES) <= names and {"applications", "formgen_meta"} <= names
    r = run(main, ["intake", "init", "--db", str(db), "--bureau", "别的单位", "--url", "https://x.example"])
    assert r.exit_code == 0 and "已存在" in r.output and Intake(db).bureau == BUREAU
    # the registry still opens and registers in the same database
    rec = regfix.record(tmp_path, "甲企业", "91620100MA00000001")
    r = run(main, ["registry", "add", str(rec), "--round", "2026", "--db", str(db)])
    assert r.exit_code in (0, 1) and "已登记" in r.output, r.output


def test_intake_commands_refuse_a_database_without_the_intake(tmp_path):
    db = tmp_path / "reg.sqlite"
    rec = regfix.record(tmp_path, "甲企业", "91620100MA00000001")
    CliRunner().invoke(main, ["registry", "add", str(rec), "--round", "2026", "--db", str(db)])
    r = CliRunner().invoke(main, ["intake", "links", "--db", str(db)])
    assert r.exit_code == 2 and "formgen intake init" in r.output


def test_user_add_stores_only_an_argon2_hash_and_never_echoes_the_password(tmp_path):
    db = tmp_path / "reg.sqlite"
    CliRunner().invoke(main, ["intake", "init", "--db", str(db), "--bureau", BUREAU, "--url", "http://127.0.0.1:8080"])
    r = CliRunner().invoke(main, ["intake", "user", "add", "张三", "--db", str(db)], input=PASSWORD + "\n")
    assert r.exit_code == 0 and "已添加受理人员：张三" in r.output
    assert PASSWORD not in r.output
    it = Intake(db)
    with it.engine.connect() as c:
        stored = c.execute(sa.select(D.clerks.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert PASSWORD.encode() not in db.read_bytes()
    assert all(PASSWORD not in (row.detail or "") for row in it.audit_rows())
    assert it.login("张三", PASSWORD, "10.0.0.1")[0] is not None
    # a short password, or the same name again: refused (exit 1), nothing added
    r = CliRunner().invoke(main, ["intake", "user", "add", "李四", "--db", str(db)], input="short\n")
    assert r.exit_code == 1 and "至少 12 个字符" in r.output
    r = CliRunner().invoke(main, ["intake", "user", "add", "张三", "--db", str(db)], input=PASSWORD + "x\n")
    assert r.exit_code == 1 and "已有用户" in r.output


def test_invite_prints_an_unguessable_link_and_stores_only_its_hash(tmp_path):
    db = tmp_path / "reg.sqlite"
    CliRunner().invoke(
        main, ["intake", "init", "--db", str(db), "--bureau", BUREAU, "--url", "https://sb.example.gov.cn/"]
    )
    args = [
        "intake",
        "invite",
        "--db",
        str(db),
        "--round",
        "2026",
        "--pack",
        "gansu",
        LONGYUAN,
        "--expires",
        str(LATER),
    ]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    links = re.findall(r"https://sb\.example\.gov\.cn/s/([A-Za-z0-9_-]+)", r.output)
    assert len(links) == 1 and len(links[0]) >= 43  # 256 random bits
    secret = links[0]
    assert secret.encode() not in db.read_bytes()
    it = Intake(db)
    invite = it.invite_by_secret(secret)
    assert invite.enterprise == LONGYUAN and invite.expires == LATER and invite.pack == "gansu"
    r2 = CliRunner().invoke(main, args)
    assert re.findall(r"/s/([A-Za-z0-9_-]+)", r2.output)[0] != secret
    # Gansu's manifest has no deadline: the link's end must be given
    r = CliRunner().invoke(main, args[:-2])
    assert r.exit_code == 2 and "--expires" in r.output
    r = CliRunner().invoke(main, ["intake", "revoke", str(invite.id), "--db", str(db)])
    assert r.exit_code == 0 and "已撤销" in r.output
    assert "已撤销" in CliRunner().invoke(main, ["intake", "links", "--db", str(db)]).output


# -- the enterprise's link -------------------------------------------------------------


def test_a_clean_record_is_accepted_with_a_receipt_and_the_packs_documents(intake):
    _, secret = intake.invite("2026", "gansu", LONGYUAN, LATER)
    client = _client(intake)
    data = _record()
    r = _submit(client, secret, data, "gansu-longyuan.yaml")
    assert r.status_code == 200 and r.json["accepted"] is True
    assert r.json["receipt"].startswith(f"/s/{secret}/file/") and r.json["version"] == 1
    kinds = [f["kind"] for f in r.json["files"]]
    assert kinds[:2] == ["upload", "receipt"] and "document" in kinds
    names = [f["name"] for f in r.json["files"] if f["kind"] == "document"]
    assert any(n.startswith("附件3_") for n in names)
    got = client.get(r.json["receipt"])
    assert got.status_code == 200 and got.data[:2] == b"PK"
    text = "\n".join(p.text for p in Document(io.BytesIO(got.data)).paragraphs)
    assert LONGYUAN in text and "2026" in text and BUREAU in text and "第1版" in text
    # a second submission is a new version; the first stays
    r2 = _submit(client, secret, data + b"\n# again\n", "gansu-longyuan.yaml")
    assert r2.json["accepted"] and r2.json["version"] == 2
    page = client.get(f"/s/{secret}").get_data(as_text=True)
    assert "第1版" in page and "第2版" in page
    assert client.get(r.json["receipt"]).status_code == 200


def test_the_receipts_hashes_are_the_files_kept(intake):
    _, secret = intake.invite("2026", "gansu", LONGYUAN, LATER)
    client = _client(intake)
    data = (EXAMPLES / "gansu-longyuan.xlsx").read_bytes()  # a record workbook
    r = _submit(client, secret, data, "陇原.xlsx")
    assert r.json["accepted"], r.json["findings"]
    doc = Document(io.BytesIO(client.get(r.json["receipt"]).data))
    rows = [[c.text for c in row.cells] for row in doc.tables[0].rows[1:]]
    assert len(rows) == 1 and rows[0][1].startswith("陇原.xlsx")
    listed = rows[0][2]
    sub = intake.submissions_of(intake.invite_by_secret(secret).id)[0]
    upload = next(f for f in sub["files"] if f["kind"] == "upload")
    kept = intake.path_of(upload["stored"]).read_bytes()
    assert listed == hashlib.sha256(kept).hexdigest() == hashlib.sha256(data).hexdigest() == upload["sha256"]
    # and every file of the submission is as its row says
    for f in sub["files"]:
        assert hashlib.sha256(intake.path_of(f["stored"]).read_bytes()).hexdigest() == f["sha256"]


def test_findings_come_all_at_once_in_plain_chinese_without_paths(sqlite_intake):
    it = sqlite_intake
    _, secret = it.invite("2026", "gansu", "甘肃示例问题装备有限公司", LATER)
    r = _submit(_client(it), secret, (EXAMPLES / "gansu-bad.yaml").read_bytes(), "我的记录.yaml")
    body = r.json
    assert r.status_code == 200 and body["accepted"] is False and body["receipt"] is None
    assert len(body["findings"]) > 5
    for f in body["findings"]:
        assert set(f) >= {"code", "severity", "label", "place", "message", "text"}
        assert f["severity"] in ("错误", "警告") and re.fullmatch(r"[A-Z]{2}\d{3}", f["code"])
        assert str(it.storage) not in f["text"] and not re.search(r"/(tmp|home|work|var|srv)\b", f["text"])
        assert not re.search(r"[0-9a-f]{32}", f["text"])  # never the stored name
    assert any(f["place"].startswith("附件") for f in body["findings"])  # the place in the form
    assert _stored_files(it) == []  # a refused file is not kept
    assert it.submissions_of(it.invite_by_secret(secret).id) == []


def test_the_links_enterprise_only(sqlite_intake):
    it = sqlite_intake
    _, secret = it.invite("2026", "gansu", OTHER, LATER)
    r = _submit(_client(it), secret, _record(LONGYUAN))
    assert r.json["accepted"] is False
    assert [f["code"] for f in r.json["findings"]] == ["SB004"]
    assert OTHER in r.json["findings"][0]["message"]


def test_one_link_cannot_read_list_or_overwrite_anothers(intake):
    _, a = intake.invite("2026", "gansu", LONGYUAN, LATER)
    _, b = intake.invite("2026", "gansu", OTHER, LATER)
    client = _client(intake)
    ra = _submit(client, a, _record(LONGYUAN), "甲.yaml").json
    rb = _submit(client, b, _record(OTHER, 1), "乙.yaml").json
    assert ra["accepted"] and rb["accepted"]
    page_a = client.get(f"/s/{a}").get_data(as_text=True)
    assert LONGYUAN in page_a and OTHER not in page_a and "乙.yaml" not in page_a
    assert all(f["sha256"] not in page_a for f in rb["files"])
    # B's files through A's link: 404, whatever the id
    for f in rb["files"]:
        file_id = f["url"].rsplit("/", 1)[1]
        got = client.get(f"/s/{a}/file/{file_id}")
        assert got.status_code == 404 and _record(OTHER, 1) not in got.data
        assert client.get(f"/s/{a}/file/{file_id}/pdf").status_code == 404
    # A submitting B's record: refused, B's versions untouched
    r = _submit(client, a, _record(OTHER, 1), "乙.yaml").json
    assert r["accepted"] is False and r["findings"][0]["code"] == "SB004"
    b_id = intake.invite_by_secret(b).id
    assert [s["version"] for s in intake.submissions_of(b_id)] == [1]


def test_expired_revoked_and_unknown_links_get_nothing(sqlite_intake):
    it = sqlite_intake
    gone, secret = it.invite("2026", "gansu", LONGYUAN, LATER)
    _, expired = it.invite("2026", "gansu", OTHER, dt.date.today() - dt.timedelta(days=1))
    client = _client(it)
    first = _submit(client, secret, _record()).json
    assert first["accepted"]
    it.revoke(gone.id)
    before = _stored_files(it)
    for s, status, said in ((secret, 410, "撤销"), (expired, 410, "到期"), ("x" * 43, 404, "无效")):
        page = client.get(f"/s/{s}")
        assert page.status_code == status and said in page.get_data(as_text=True)
        assert LONGYUAN not in page.get_data(as_text=True) and "第1版" not in page.get_data(as_text=True)
        r = _submit(client, s, _record())
        assert r.status_code == status and r.json["accepted"] is False and r.json["receipt"] is None
        assert said in r.json["message"]
        assert client.get(f"{first['receipt'].replace(secret, s)}").status_code == status
    assert _stored_files(it) == before
    assert len(it.submissions_of(gone.id)) == 1


def test_uploads_are_bounded_and_typed(sqlite_intake):
    it = sqlite_intake
    _, secret = it.invite("2026", "gansu", LONGYUAN, LATER)
    client = _client(it)
    limit = client.application.config["MAX_CONTENT_LENGTH"]  # the record's files and its figures together
    big = _submit(client, secret, b"a" * (limit + 70 * 1024))
    assert big.status_code == 413 and big.json["accepted"] is False and "MB" in big.json["message"]
    just_over = _submit(client, secret, b"a" * (MAX_UPLOAD_BYTES + 1))
    assert just_over.json["accepted"] is False and just_over.json["findings"][0]["code"] == "SB002"
    empty = _submit(client, secret, b"")
    assert empty.json["findings"][0]["code"] == "SB002" and "空" in empty.json["findings"][0]["message"]
    doc = _submit(client, secret, b"\xd0\xcf\x11\xe0", "申报书.doc")
    assert doc.json["findings"][0]["code"] == "SB001" and ".doc" in doc.json["findings"][0]["message"]
    pdf = _submit(client, secret, b"%PDF-1.4", "申报书.pdf")  # an attachment alone: no record in it
    assert pdf.json["accepted"] is False and "没有读到申报表或记录" in pdf.json["findings"][0]["message"]
    none = client.post(f"/s/{secret}/submit", data={"other": "x"})
    assert none.status_code == 400 and none.json["accepted"] is False
    not_yaml = _submit(client, secret, b"\xff\xfe not utf-8 \x00", "a.yaml")
    assert not_yaml.json["accepted"] is False and not_yaml.json["findings"]
    assert _stored_files(it) == []


def test_a_name_from_the_request_never_reaches_the_disk(sqlite_intake, tmp_path):
    it = sqlite_intake
    _, secret = it.invite("2026", "gansu", LONGYUAN, LATER)
    client = _client(it)
    for name in ("../../escape.yaml", "/tmp/escape.yaml", "..\\..\\escape.yaml", "escape.yaml\x00.docx"):
        r = _submit(client, secret, _record(), name)
        assert r.status_code == 200, name
    assert not list(tmp_path.parent.rglob("escape*")) and not Path("/tmp/escape.yaml").exists()
    for p in _stored_files(it):
        assert re.fullmatch(r"[0-9a-f]{32}\.(yaml|yml|xlsx|docx|pdf)", p.name), p
        assert p.resolve().is_relative_to(it.storage.resolve())
    shown = [f["name"] for s in it.submissions_of(it.invite_by_secret(secret).id) for f in s["files"]]
    assert "escape.yaml" in shown and not any("/" in n or "\\" in n or ".." in n for n in shown)
    # a path in the file route is no file
    for bad in ("../../reg.sqlite", "%2e%2e%2freg.sqlite", "1/../../x"):
        assert client.get(f"/s/{secret}/file/{bad}").status_code == 404


# -- clerks ----------------------------------------------------------------------------


def _login(client, name="张三", password=PASSWORD):
    page = client.get("/clerk/login").get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    return client.post("/clerk/login", data={"name": name, "password": password, "csrf": token}), token


def _csrf(client, path: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def test_a_clerk_without_login_gets_nothing(sqlite_intake):
    it = sqlite_intake
    _, secret = it.invite("2026", "gansu", LONGYUAN, LATER)
    client = _client(it)
    sub = _submit(client, secret, _record()).json
    file_id = sub["receipt"].rsplit("/", 1)[1]
    for path in ("/clerk/", "/clerk/?round=2026", "/clerk/submission/1", f"/clerk/file/{file_id}", "/clerk/audit", "/"):
        got = client.get(path, follow_redirects=True)
        text = got.get_data(as_text=True)
        assert LONGYUAN not in text and got.data[:2] != b"PK" and "受理人员登录" in text, path
    other = _client(it)
    r = other.post("/clerk/submission/1/state", data={"state": "推荐", "csrf": "x"})
    assert r.status_code == 403
    r = other.post("/clerk/submission/1/notice", data={"items": "改", "csrf": "x"})
    assert r.status_code == 403
    assert it.submission(1)["state"] == "已提交" and len(it.submission(1)["files"]) == len(sub["files"])


def test_login_needs_the_csrf_token_and_locks_after_repeated_wrong_passwords(sqlite_intake):
    it = sqlite_intake
    it.add_clerk("张三", PASSWORD)
    client = _client(it)
    r = client.post("/clerk/login", data={"name": "张三", "password": PASSWORD})
    assert r.status_code == 403 and "令牌" in r.get_data(as_text=True)
    for _ in range(D.MAX_FAILURES):
        r, _t = _login(client, password="wrong password!!")
        assert r.status_code == 401 and "用户名或密码不对" in r.get_data(as_text=True)
    r, _t = _login(client)  # the right password, too late
    assert r.status_code == 401 and "锁定" in r.get_data(as_text=True)
    assert client.get("/clerk/").status_code == 303
    assert any("锁定" in row.what for row in it.audit_rows())


def test_logins_from_one_address_are_rate_limited(sqlite_intake):
    it = sqlite_intake
    it.add_clerk("张三", PASSWORD)
    for i in range(D.MAX_LOGINS_PER_WINDOW):
        assert it.login(f"nobody{i}", "x" * 12, "10.0.0.9") == (None, D.WRONG_LOGIN)
    cid, why = it.login("张三", PASSWORD, "10.0.0.9")
    assert cid is None and "频繁" in why
    assert it.login("张三", PASSWORD, "10.0.0.10")[0] is not None  # another address is not held up
    client = _client(it)
    for _ in range(D.MAX_LOGINS_PER_WINDOW):
        _login(client, "nobody", "x" * 12)
    r, _t = _login(client)
    assert r.status_code == 429


def test_a_clerk_sees_the_round_sets_a_state_and_sends_a_notice_the_link_shows(intake):
    intake.add_clerk("张三", PASSWORD)
    _, secret = intake.invite("2026", "gansu", LONGYUAN, LATER)
    intake.invite("2026", "gansu", OTHER, LATER)
    ent = _client(intake)
    sub = _submit(ent, secret, _record()).json
    clerk = _client(intake)
    r, _t = _login(clerk)
    assert r.status_code == 303
    home = clerk.get("/clerk/?round=2026").get_data(as_text=True)
    assert LONGYUAN in home and OTHER in home and "未提交" in home and "已提交" in home
    sub_id = intake.submissions_of(intake.invite_by_secret(secret).id)[0]["id"]
    page = f"/clerk/submission/{sub_id}"
    assert LONGYUAN in clerk.get(page).get_data(as_text=True)
    # a form without the session's token is refused
    r = clerk.post(f"{page}/state", data={"state": "推荐"})
    assert r.status_code == 403 and intake.submission(sub_id)["state"] == "已提交"
    # registered as `formgen registry add` registers it, its status 申报 until the clerk decides
    [row] = intake.registry.list("2026")
    assert row.enterprise == LONGYUAN and row.status == "申报" and row.sha256 == hashlib.sha256(_record()).hexdigest()
    r = clerk.post(f"{page}/state", data={"state": "推荐", "note": "初审通过", "csrf": _csrf(clerk, page)})
    assert r.status_code == 303 and intake.submission(sub_id)["state"] == "推荐"
    [row] = intake.registry.list("2026")
    assert row.status == "推荐" and row.status_note == "初审通过"  # as `registry set-status` sets it
    r = clerk.post(f"{page}/state", data={"state": "认定", "csrf": _csrf(clerk, page)})
    assert r.status_code == 400 and intake.submission(sub_id)["state"] == "推荐"
    item = "附件3 企业简介请补充主要产品产能"
    r = clerk.post(f"{page}/notice", data={"items": item + "\n\n", "csrf": _csrf(clerk, page)})
    assert r.status_code == 303
    after = intake.submission(sub_id)
    assert after["state"] == "需整改"
    notice = next(f for f in after["files"] if f["kind"] == "notice")
    # the enterprise's link shows it, and it downloads from there
    link_page = ent.get(f"/s/{secret}").get_data(as_text=True)
    assert "整改通知" in link_page and "需整改" in link_page
    got = ent.get(f"/s/{secret}/file/{notice['id']}")
    text = "\n".join(p.text for p in Document(io.BytesIO(got.data)).paragraphs)
    assert got.status_code == 200 and "整改通知" in text and item in text and BUREAU in text
    assert sub["version"] == 1
    whats = [row.what for row in intake.audit_rows()]
    for what in ("发出链接", "提交", "登录", "设置状态", "发出整改通知"):
        assert what in whats, what
    submitted = next(row for row in intake.audit_rows() if row.what == "提交")
    assert submitted.sha256 == hashlib.sha256(_record()).hexdigest()
    log = clerk.get("/clerk/audit").get_data(as_text=True)  # the clerk reads it, newest first
    assert log.index("发出整改通知") < log.index(submitted.sha256) and "设置状态" in log
    # a second version: the submission page names both
    assert _submit(ent, secret, _record() + b"\n# 2\n").json["version"] == 2
    assert "第1版" in clerk.get(page).get_data(as_text=True) and "第2版" in clerk.get(page).get_data(as_text=True)
    # logging out ends the session
    clerk.post("/clerk/logout", data={"csrf": _csrf(clerk, "/clerk/")})
    assert clerk.get(page).status_code == 303


def test_session_cookie_is_httponly_samesite_and_secure_behind_https(sqlite_intake):
    it = sqlite_intake
    it.add_clerk("张三", PASSWORD)
    client = _client(it)
    r, _t = _login(client)
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" in cookie
    page = client.get("/clerk/")
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]


# -- many at once ----------------------------------------------------------------------


def test_parallel_submissions_lose_and_duplicate_nothing(intake):
    enterprises = [f"甘肃并发测试{i}号机械有限公司" for i in range(4)]
    secrets_ = {name: intake.invite("2026", "gansu", name, LATER)[1] for name in enterprises}
    per = 3
    answers, errors = [], []
    app = create_app(intake, pdf=False)

    def one(name: str, k: int):
        try:
            record = _record(name, enterprises.index(name))
            r = app.test_client().post(
                f"/s/{secrets_[name]}/submit",
                data={"file": (io.BytesIO(record + f"\n# {k}\n".encode()), f"{k}.yaml")},
            )
            answers.append((name, r.status_code, r.json))
        except Exception as e:  # noqa: BLE001 - reported by the assertion below
            errors.append(repr(e))

    threads = [threading.Thread(target=one, args=(n, k)) for n in enterprises for k in range(per)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == [] and len(answers) == len(threads)
    assert all(status == 200 and body["accepted"] for _, status, body in answers), answers[:1]
    for name in enterprises:
        subs = intake.submissions_of(intake.invite_by_secret(secrets_[name]).id)
        assert sorted(s["version"] for s in subs) == list(range(1, per + 1))
        uploads = {f["sha256"] for s in subs for f in s["files"] if f["kind"] == "upload"}
        assert len(uploads) == per  # each submission's own file
        got = sorted(body["version"] for n, _, body in answers if n == name)
        assert got == list(range(1, per + 1))
        registered = [r for r in intake.registry.list("2026", all_versions=True) if r.enterprise == name]
        assert sorted(r.version for r in registered) == list(range(1, per + 1))
    with intake.engine.connect() as c:
        rows = c.execute(sa.select(D.files.c.stored, D.files.c.sha256)).all()
    kept = _stored_files(intake)
    assert len(rows) == len(kept) == len({r.stored for r in rows})  # no file without its row, nor twice
    for r in rows:
        assert hashlib.sha256(intake.path_of(r.stored).read_bytes()).hexdigest() == r.sha256


# -- the code's place ------------------------------------------------------------------


def test_intake_serve_help_and_missing_database(tmp_path):
    r = CliRunner().invoke(main, ["intake", "serve", "--db", str(tmp_path / "none.sqlite")])
    assert r.exit_code == 2 and "不存在" in r.output
    assert not (tmp_path / "none.sqlite").exists()


def test_receipt_pdf_when_libreoffice_is_there(sqlite_intake):
    from formgen.render.pdf import PdfError, find_soffice

    try:
        find_soffice()
    except PdfError:
        pytest.skip("LibreOffice not installed")
    it = sqlite_intake
    _, secret = it.invite("2026", "gansu", LONGYUAN, LATER)
    client = create_app(it, pdf=True).test_client()
    sub = _submit(client, secret, _record()).json
    r = client.get(sub["receipt"] + "/pdf")
    assert r.status_code == 200 and r.data[:5] == b"%PDF-"
    again = client.get(sub["receipt"] + "/pdf")  # made once, then served as kept
    assert again.data == r.data
    pdfs = [f for f in it.submission(1)["files"] if f["kind"] == "receipt-pdf"]
    assert len(pdfs) == 1
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=r.data, capture_output=True, check=True).stdout.decode()
        upload = hashlib.sha256(_record()).hexdigest()
        assert LONGYUAN in text and BUREAU in text and upload[:20] in re.sub(r"\s", "", text)


def _multipart(field: str, name: str, data: bytes) -> tuple[bytes, str]:
    boundary = "formgen-test-boundary"
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n\r\n'
    body = head.encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_intake_serve_runs_under_waitress(sqlite_intake):
    """The command a bureau runs: a production WSGI server (waitress), the contract over HTTP."""
    import os
    import signal
    import sys
    import urllib.error
    import urllib.request

    it = sqlite_intake
    _, secret = it.invite("2026", "gansu", LONGYUAN, LATER)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "formgen", "intake", "serve", "--db", it.where, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        port = None
        for _ in range(20):
            line = proc.stdout.readline()
            found = re.search(r"127\.0\.0\.1:(\d+) 上运行", line)
            if found:
                port = int(found.group(1))
                break
        assert port, "no port printed"
        base = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(f"{base}/s/{secret}", timeout=30) as resp:
            assert resp.status == 200 and resp.headers["Server"] == "waitress"
            assert LONGYUAN in resp.read().decode()
        body, kind = _multipart("file", "陇原.yaml", _record())
        req = urllib.request.Request(f"{base}/s/{secret}/submit", data=body, headers={"Content-Type": kind})
        with urllib.request.urlopen(req, timeout=60) as resp:
            answer = json.loads(resp.read())
        assert answer["accepted"] is True and answer["receipt"]
        with urllib.request.urlopen(base + answer["receipt"], timeout=30) as resp:
            assert resp.read()[:2] == b"PK"
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(f"{base}/s/{'x' * 43}", timeout=30)
        assert e.value.code == 404
    finally:
        proc.send_signal(signal.SIGINT)
        out = proc.communicate(timeout=30)[0]
    assert "已停止" in out


def test_the_readmes_intake_commands_run(tmp_path):
    """The README's intake walk-through, command by command (serve aside), on a fresh database."""
    import shlex

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## For the bureau online", 1)[1].split("\n## ", 1)[0]
    lines = [ln.split("  #", 1)[0].strip() for ln in section.splitlines() if ln.startswith("formgen intake ")]
    assert [ln.split()[2] for ln in lines] == ["init", "user", "invite", "links", "revoke", "serve"]
    for line in lines[:-1]:
        args = [a.replace("/srv/formgen/registry.sqlite", str(tmp_path / "registry.sqlite")) for a in shlex.split(line)]
        if "--expires" in args:  # the README's date, once it has passed, for a date to come
            at = args.index("--expires") + 1
            args[at] = max(args[at], str(LATER))
        r = CliRunner().invoke(main, args[1:], input=PASSWORD + "\n")
        assert r.exit_code == 0, (line, r.output)
    assert "已撤销" in r.output
    assert "--proxy" in lines[-1] and "--proxy" in CliRunner().invoke(main, ["intake", "serve", "--help"]).output


def test_the_forms_of_one_enterprise_go_in_one_submission(sqlite_intake):
    """Several files in the field ``file``: the forms of one enterprise are read as one record
    (as ``formgen import`` merges them); two records are refused (SB003); nothing kept of either."""
    from formgen import app as flow
    from formgen.doors.opener import load
    from formgen.packs.pack import get_pack

    it = sqlite_intake
    _, secret = it.invite("2026", "gansu", LONGYUAN, LATER)
    client = _client(it)
    forms = flow.render_single(load(EXAMPLES / "gansu-longyuan.yaml"), get_pack("gansu"), False)
    assert len(forms) == 2
    r = client.post(f"/s/{secret}/submit", data={"file": [(io.BytesIO(b), n) for n, b in forms]}).json
    codes = {f["code"] for f in r["findings"]}
    assert "SB003" not in codes and r["findings"]  # one record; the bureau's sheets still want the record's facts
    alone = _submit(client, secret, forms[0][1], forms[0][0]).json  # 附件2 alone lacks what 附件3 holds
    assert len(r["findings"]) < len(alone["findings"]) and "SB004" not in codes
    assert [f for f in alone["findings"] if f not in r["findings"]]  # what 附件3 gave, asked of 附件2 alone
    two = [(io.BytesIO(_record()), "a.yaml"), (io.BytesIO((EXAMPLES / "gansu-longyuan.xlsx").read_bytes()), "b.xlsx")]
    r = client.post(f"/s/{secret}/submit", data={"file": two}).json
    assert r["accepted"] is False and [f["code"] for f in r["findings"]] == ["SB003"]
    assert "a.yaml" in r["findings"][0]["message"] and "b.xlsx" in r["findings"][0]["message"]
    half = MAX_UPLOAD_BYTES // 2 + 1
    r = client.post(f"/s/{secret}/submit", data={"file": [(io.BytesIO(b"a" * half), f"{i}.yaml") for i in range(2)]})
    assert r.json["findings"][0]["code"] == "SB002" and "合计" in r.json["findings"][0]["message"]
    many = [(io.BytesIO(_record()), f"{i}.yaml") for i in range(11)]
    r = client.post(f"/s/{secret}/submit", data={"file": many}).json
    assert r["accepted"] is False and "最多" in r["findings"][0]["message"]
    assert _stored_files(it) == []


def test_a_message_for_the_command_line_reaches_the_link_in_the_links_words(sqlite_intake):
    """A Word form of another pack: the reader's message names a command option (--doc); the
    link says which forms the round takes instead, and never an option or a command."""
    it = sqlite_intake
    _, secret = it.invite("2026", "gansu", "上海申江智能装备有限公司", LATER)
    data = (EXAMPLES / "附件3_上海申江智能装备_手填.docx").read_bytes()
    r = _submit(_client(it), secret, data, "附件3.docx").json
    assert r["accepted"] is False and r["findings"]
    for f in r["findings"]:
        for text in (f["text"], f["message"]):
            assert "--" not in text and "formgen" not in text, text
    assert any("甘肃省基础级智能工厂申报书" in f["text"] for f in r["findings"])


def test_the_clerk_downloads_the_rounds_sheets_of_the_recommended(sqlite_intake):
    """The round's ranked sheets and 问题清单, as `formgen summary` makes them, from the
    submissions the clerk recommended (not the others)."""
    import zipfile

    import openpyxl

    it = sqlite_intake
    it.add_clerk("张三", PASSWORD)
    names = [LONGYUAN, OTHER, "甘肃陇中精工机械有限公司"]
    links = [it.invite("2026", "gansu", n, LATER)[1] for n in names]
    ent = _client(it)
    for i, (name, secret) in enumerate(zip(names, links, strict=True)):
        assert _submit(ent, secret, _record(name, i), f"{i}.yaml").json["accepted"]
    for sub in it.round_submissions("2026"):
        if sub["enterprise"] != OTHER:
            it.set_state(sub["id"], "推荐", "", "test")
    clerk = _client(it)
    form = {"round": "2026", "pack": "gansu", "unit": BUREAU, "unit_kind": "", "quota": ""}
    assert clerk.post("/clerk/round/sheets", data=dict(form, csrf="x")).status_code == 403  # no login
    _login(clerk)
    home = clerk.get("/clerk/?round=2026").get_data(as_text=True)
    assert 'id="sheets-form"' in home
    assert '<option value="plan-listed">计划单列市</option>' in home  # 推荐单位类别 by name, sent as the code
    r = clerk.post("/clerk/round/sheets", data=dict(form, csrf=_csrf(clerk, "/clerk/")))
    assert r.status_code == 200 and r.data[:2] == b"PK"
    z = zipfile.ZipFile(io.BytesIO(r.data))
    assert "问题清单.xlsx" in z.namelist() and len(z.namelist()) > 1
    text = ""
    for n in z.namelist():
        if n.endswith(".xlsx") and n != "问题清单.xlsx":
            book = openpyxl.load_workbook(io.BytesIO(z.read(n)))
            text += " ".join(str(c.value) for ws in book for row in ws.iter_rows() for c in row if c.value)
    assert LONGYUAN in text and "甘肃陇中精工机械有限公司" in text and OTHER not in text
    report = openpyxl.load_workbook(io.BytesIO(z.read("问题清单.xlsx")))
    summary = " ".join(str(c.value) for row in report["汇总"].iter_rows() for c in row if c.value)
    assert "0.yaml" in summary and not re.search(r"[0-9a-f]{32}", summary)  # the names the enterprises gave
    bad = clerk.post("/clerk/round/sheets", data=dict(form, quota="零", csrf=_csrf(clerk, "/clerk/")))
    assert bad.status_code == 400 and "正整数" in bad.get_data(as_text=True)
    # the bureau's order: the one named first; over the quota, no sheet (as summary refuses it)
    for quota, states in (("2", ["列入", "列入"]), ("1", ["未列入（未生成汇总表）", "超出名额"])):
        ordered = dict(form, order="甘肃陇中精工机械有限公司\n", quota=quota, csrf=_csrf(clerk, "/clerk/"))
        z = zipfile.ZipFile(io.BytesIO(clerk.post("/clerk/round/sheets", data=ordered).data))
        report = openpyxl.load_workbook(io.BytesIO(z.read("问题清单.xlsx")))
        rows = [[c.value for c in row] for row in report["汇总"].iter_rows() if row[1].value in names]
        assert [r[1] for r in rows] == ["甘肃陇中精工机械有限公司", LONGYUAN]
        assert [r[-1] for r in rows] == states
        assert (z.namelist() == ["问题清单.xlsx"]) == (quota == "1")
    wrong = dict(form, order=OTHER, csrf=_csrf(clerk, "/clerk/"))
    assert clerk.post("/clerk/round/sheets", data=wrong).status_code == 400


def test_every_command_on_either_database(backend, tmp_path):
    """init, user add, invite, links, revoke by --db URL (PostgreSQL: the storage folder given)."""
    db = regfix.database(backend, tmp_path)
    run = CliRunner().invoke
    init = ["intake", "init", "--db", db, "--bureau", BUREAU, "--url", "https://sb.example.gov.cn"]
    if backend == "postgresql":
        r = run(main, init)
        assert r.exit_code == 2 and "--storage" in r.output
    r = run(main, [*init, "--storage", str(tmp_path / "files")])
    assert r.exit_code == 0, r.output
    assert run(main, ["intake", "user", "add", "张三", "--db", db], input=PASSWORD + "\n").exit_code == 0
    r = run(
        main, ["intake", "invite", "--db", db, "--round", "2026", "--pack", "gansu", LONGYUAN, "--expires", str(LATER)]
    )
    secret = re.search(r"/s/([A-Za-z0-9_-]+)", r.output).group(1)
    it = Intake(db)
    assert _submit(_client(it), secret, _record()).json["accepted"]
    assert it.login("张三", PASSWORD, "10.1.1.1")[0] is not None
    assert LONGYUAN in run(main, ["intake", "links", "--db", db]).output
    assert run(main, ["intake", "revoke", "1", "--db", db]).exit_code == 0
    assert _client(it).get(f"/s/{secret}").status_code == 410
    r = run(main, ["intake", "revoke", "99", "--db", db])
    assert r.exit_code == 1 and "没有编号为 99" in r.output


def test_the_clerk_makes_the_annual_report_counting_the_intakes_submissions(sqlite_intake):
    it = sqlite_intake
    it.add_clerk("张三", PASSWORD)
    _, secret = it.invite("2026", "gansu", LONGYUAN, LATER)
    assert _submit(_client(it), secret, _record()).json["accepted"]
    clerk = _client(it)
    form = {"region": "兰州市", "year": "2026", "above": "412", "measures": "一是建立梯度培育库。", "next_steps": ""}
    assert clerk.post("/clerk/annual", data=dict(form, csrf="x")).status_code == 403
    _login(clerk)
    r = clerk.post("/clerk/annual", data=dict(form, csrf=_csrf(clerk, "/clerk/")))
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    doc = Document(io.BytesIO(r.data))
    text = "\n".join(p.text for p in doc.paragraphs) + "\n".join(
        c.text for t in doc.tables for row in t.rows for c in row.cells
    )
    assert "2026年度" in text and "一是建立梯度培育库。" in text and BUREAU in text
    from formgen.bureau import annual

    fig = annual.compute(it.registry, "兰州市", 2026, 412, "甘肃省")
    assert sum(applied for applied, _, _ in fig.by_level.values()) == 1  # the intake's submission, counted
    bad = clerk.post("/clerk/annual", data=dict(form, above="很多", csrf=_csrf(clerk, "/clerk/")))
    assert bad.status_code == 400


def test_errors_are_one_chinese_line(sqlite_intake, monkeypatch):
    it = sqlite_intake
    _, secret = it.invite("2026", "gansu", LONGYUAN, LATER)
    client = _client(it)
    r = client.get(f"/s/{secret}/submit")
    assert (
        r.status_code == 405
        and "不支持" in r.get_data(as_text=True)
        and "Method Not Allowed" not in r.get_data(as_text=True)
    )
    r = client.post(f"/s/{secret}/submit", data=b"--x\r\nbroken", content_type="multipart/form-data; boundary=x")
    assert r.status_code in (200, 400) and r.json["accepted"] is False

    def boom(*_a, **_k):
        raise RuntimeError("disk on fire")

    from formgen import app as flow

    monkeypatch.setattr(flow, "render_single", boom)
    app = create_app(it, pdf=False)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    r = app.test_client().post(f"/s/{secret}/submit", data={"file": (io.BytesIO(_record()), "a.yaml")})
    assert r.status_code == 500 and r.json == {
        "accepted": False,
        "findings": [],
        "receipt": None,
        "message": "服务器内部错误，本次提交未受理，请稍后重试；如仍不行请联系推荐单位",
    }
    assert "disk on fire" not in r.get_data(as_text=True)
    assert _stored_files(it) == [] and it.submissions_of(1) == []  # nothing kept of it


def test_a_clerks_password_changed_and_an_account_removed(sqlite_intake):
    it = sqlite_intake
    db = it.where
    run = CliRunner().invoke
    assert run(main, ["intake", "user", "add", "张三", "--db", db], input=PASSWORD + "\n").exit_code == 0
    client = _client(it)
    r, _t = _login(client)
    assert r.status_code == 303 and client.get("/clerk/").status_code == 200
    for _ in range(D.MAX_FAILURES):
        it.login("张三", "wrong password!!", "10.2.2.2")
    assert it.login("张三", PASSWORD, "10.2.2.2")[0] is None  # locked (for the address that failed)
    r = run(main, ["intake", "user", "passwd", "张三", "--db", db], input="a new long password\n")
    assert r.exit_code == 0 and "a new long password" not in r.output
    assert it.login("张三", PASSWORD, "10.2.2.4")[0] is None
    assert it.login("张三", "a new long password", "10.2.2.4")[0] is not None  # and the lock is lifted
    assert run(main, ["intake", "user", "list", "--db", db]).output.startswith("张三")
    r = run(main, ["intake", "user", "remove", "张三", "--db", db])
    assert r.exit_code == 0
    assert client.get("/clerk/").status_code == 303  # the session open before ends
    assert it.login("张三", "a new long password", "10.2.2.5")[0] is None
    assert run(main, ["intake", "user", "remove", "张三", "--db", db]).exit_code == 1
    # a clerk added next never takes over the session of the one removed
    assert run(main, ["intake", "user", "add", "李四", "--db", db], input=PASSWORD + "\n").exit_code == 0
    assert client.get("/clerk/").status_code == 303


def test_a_clerk_issues_and_revokes_links_on_the_page(sqlite_intake):
    it = sqlite_intake
    it.add_clerk("张三", PASSWORD)
    clerk = _client(it)
    form = {"enterprise": LONGYUAN, "round": "2026", "pack": "gansu", "expires": str(LATER)}
    assert clerk.post("/clerk/invite", data=dict(form, csrf="x")).status_code == 403
    assert it.invites() == []
    _login(clerk)
    r = clerk.post("/clerk/invite", data=dict(form, csrf=_csrf(clerk, "/clerk/")))
    page = r.get_data(as_text=True)
    link = re.search(r'value="https://sb\.example\.gov\.cn/s/([A-Za-z0-9_-]+)"', page).group(1)
    assert r.status_code == 200 and "只在此显示这一次" in page
    ent = _client(it)
    assert ent.get(f"/s/{link}").status_code == 200
    assert _submit(ent, link, b"not: [valid", "a.yaml").json["accepted"] is False
    assert _submit(ent, link, b"", "a.yaml").json["accepted"] is False
    home = clerk.get("/clerk/?round=2026").get_data(as_text=True)
    assert "<td>2</td>" in home  # two uploads refused, for the clerk to see who struggles
    assert link not in home  # the secret is shown once only
    old = dict(form, expires=str(dt.date.today() - dt.timedelta(days=1)))
    assert clerk.post("/clerk/invite", data=dict(old, csrf=_csrf(clerk, "/clerk/"))).status_code == 400
    invite = it.invites()[0]
    r = clerk.post(f"/clerk/invite/{invite.id}/revoke", data={"csrf": _csrf(clerk, "/clerk/")})
    assert r.status_code == 303 and ent.get(f"/s/{link}").status_code == 410
    assert [row.who for row in it.audit_rows() if row.what in ("发出链接", "撤销链接")] == ["用户:张三", "用户:张三"]


def test_the_link_offers_a_blank_record_workbook_with_the_enterprises_name(sqlite_intake):
    it = sqlite_intake
    _, secret = it.invite("2026", "gansu", LONGYUAN, LATER)
    client = _client(it)
    page = client.get(f"/s/{secret}").get_data(as_text=True)
    assert "blank.xlsx?level=" in page and "先进级" in page
    r = client.get(f"/s/{secret}/blank.xlsx?level=基础级")
    assert r.status_code == 200 and r.data[:2] == b"PK"
    # filled in nothing but what it came with: read back as the link's enterprise, its findings the blanks'
    body = _submit(client, secret, r.data, "记录.xlsx").json
    codes = {f["code"] for f in body["findings"]}
    assert body["accepted"] is False and "RQ001" in codes and not codes & {"SB004", "SB005", "WB001"}
    assert client.get(f"/s/{secret}/blank.xlsx?level=至尊级").status_code == 404
    it.revoke(it.invite_by_secret(secret).id)
    assert client.get(f"/s/{secret}/blank.xlsx?level=基础级").status_code == 410


# -- the web form on the link, drafts, the fields only the bureau's sheets need ------------------


def _example(name: str = LONGYUAN, n: int = 0):
    """The clean Gansu example as a record, for the enterprise ``name``."""
    from formgen.doors.opener import load

    path = Path(__import__("tempfile").mkdtemp()) / "r.yaml"
    path.write_bytes(_record(name, n))
    return load(path).record


def _posted(record) -> dict:
    """What the link's form posts for ``record``, as form.js collects the page: every field's
    text (hidden ones too), the mapping entries, the list items."""
    from formgen.packs.pack import get_pack
    from formgen.web import form as F

    values, entries, items = {}, [], []

    def walk(parts):
        for p in parts:
            if isinstance(p, F.Control):
                values[p.path] = p.value
            elif isinstance(p, F.Group):
                walk(p.parts)
            elif isinstance(p, F.Entries):
                entries.extend({"path": p.path, "key": k, "value": v} for k, v in p.entries)
            elif isinstance(p, F.ListNode):
                for item in p.items:
                    items.append(f"{p.path}[{item.index}]")
                    walk(item.parts)

    for s in F.page(F.form_catalogue(record, get_pack("gansu")), record):
        walk(s.parts)
    return {"values": values, "entries": entries, "items": items}


def _form(client, secret: str, query: str = "") -> tuple[str, str]:
    """(the link's form page, its form token)."""
    r = client.get(f"/s/{secret}/form{query}")
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    page = r.get_data(as_text=True)
    return page, re.search(r'<meta name="formgen-token" content="([^"]+)">', page).group(1)


def _post(client, secret: str, what: str, body: dict, token: str | None):
    headers = {"X-Formgen-Token": token} if token is not None else {}
    return client.post(f"/s/{secret}/form/{what}", json=body, headers=headers)


def test_the_enterprise_fills_the_web_form_on_its_link_from_empty_to_receipt(intake):
    """The page of formgen serve on the link: the link's pack (no drop-down), the invited name
    locked, the pack's levels; empty, it has errors; filled and submitted, a receipt."""
    from formgen.catalogue import levels
    from formgen.packs.pack import get_pack

    invite, secret = intake.invite("2026", "gansu", LONGYUAN, LATER)
    client = _client(intake)
    assert f'href="/s/{secret}/form"' in client.get(f"/s/{secret}").get_data(as_text=True)
    page, token = _form(client, secret)
    assert re.search(
        r'id="c-enterprise\.name" name="enterprise\.name" type="text" value="' + LONGYUAN + '" readonly', page
    )
    assert re.search(r'<div class="field[^"]*" id="f-pack"[^>]*hidden>', page)  # the pack: fixed, not offered
    level = re.search(r'<select id="c-factory\.level".*?</select>', page, re.S).group(0)
    assert re.findall(r'<option value="([^"]+)"', level) == levels(get_pack("gansu"))  # the pack's, no other
    assert "/static-form/form.js" in page and client.get("/static-form/form.js").status_code == 200
    assert client.get("/static-form/server.py").status_code == 404
    empty = _post(client, secret, "validate", {"values": {}, "entries": [], "items": []}, token).json
    assert empty["ok"] and empty["errors"] > 10
    r = _post(client, secret, "generate", {"values": {}, "entries": [], "items": []}, token)
    assert r.status_code == 422 and "未提交" in r.json["message"] and intake.submissions_of(invite.id) == []
    body = _posted(_example())
    body["values"]["enterprise.name"] = OTHER  # the name is the link's, whatever the page sends
    r = _post(client, secret, "generate", body, token)
    assert r.status_code == 200 and r.json["ok"], r.json
    assert r.json["version"] == 1 and "已受理（第1版）" in r.json["message"]
    got = client.get(r.json["receipt"])
    assert got.status_code == 200 and got.data[:2] == b"PK"
    sub = intake.submissions_of(invite.id)[0]
    assert sub["state"] == "已提交"
    upload = next(f for f in sub["files"] if f["kind"] == "upload")
    kept = intake.path_of(upload["stored"]).read_bytes()
    assert upload["name"] == "网上填报记录.yaml" and hashlib.sha256(kept).hexdigest() == upload["sha256"]
    assert LONGYUAN in kept.decode("utf-8") and OTHER not in kept.decode("utf-8")
    receipt = "\n".join(c.text for t in Document(io.BytesIO(got.data)).tables for row in t.rows for c in row.cells)
    assert upload["sha256"] in receipt
    assert [e.enterprise for e in intake.registry.list("2026")] == [LONGYUAN]


def test_a_draft_with_an_error_is_kept_unregistered_then_fixed_and_submitted(sqlite_intake):
    it = sqlite_intake
    it.add_clerk("张三", PASSWORD)
    invite, secret = it.invite("2026", "gansu", LONGYUAN, LATER)
    client = _client(it)
    _, token = _form(client, secret)
    body = _posted(_example())
    good = body["values"]["people.head.mobile"]
    body["values"]["people.head.mobile"] = good[:-1]  # ten digits
    r = _post(client, secret, "save", body, token)
    assert (
        r.status_code == 200
        and r.json["ok"]
        and "草稿（第1版" in r.json["message"]
        and "改正错误后才能提交" in r.json["message"]
    )
    assert any(f["path"] == "people.head.mobile" for f in r.json["findings"])
    (sub,) = it.submissions_of(invite.id)
    assert sub["state"] == "草稿" and [f["kind"] for f in sub["files"]] == ["draft"]
    assert it.registry.list("2026") == []  # a draft is never registered
    assert _post(client, secret, "generate", body, token).status_code == 422  # not submitted with its error
    assert [s["state"] for s in it.submissions_of(invite.id)] == ["草稿"]
    clerk = _client(it)
    _login(clerk)
    rows = clerk.get("/clerk/?round=2026").get_data(as_text=True)
    assert LONGYUAN in rows and '<td class="state">草稿</td>' in rows  # the list shows the draft
    # come back: the page holds the draft as saved
    page, token = _form(client, secret)
    assert f'value="{good[:-1]}"' in page and "第1版草稿" in page
    first = sub["files"][0]
    r = _post(client, secret, "save", body, token)  # saved again: the same draft, its record replaced
    assert r.json["ok"] and [s["version"] for s in it.submissions_of(invite.id)] == [1]
    assert not it.path_of(first["stored"]).exists()
    body["values"]["people.head.mobile"] = good
    r = _post(client, secret, "generate", body, token)
    assert r.status_code == 200 and r.json["version"] == 2, r.json
    subs = it.submissions_of(invite.id)
    assert [(s["version"], s["state"]) for s in subs] == [(2, "已提交"), (1, "草稿")]  # the draft stays
    assert not any(f["kind"] in ("receipt", "document") for f in subs[1]["files"])  # a draft has no receipt
    assert [e.version for e in it.registry.list("2026", all_versions=True)] == [1]  # the submission only
    page = client.get(f"/s/{secret}").get_data(as_text=True)
    for version, state in ((1, "草稿"), (2, "已提交")):
        assert re.search(rf'<div class="sub" id="v{version}">\s*<h3>[^<]*<span class="state">{state}</span>', page)


def test_a_link_cannot_save_into_another_links_draft(intake):
    a_inv, a = intake.invite("2026", "gansu", LONGYUAN, LATER)
    b_inv, b = intake.invite("2026", "gansu", OTHER, LATER)
    client = _client(intake)
    _, a_token = _form(client, a)
    _, b_token = _form(client, b)
    assert a_token != b_token
    body = _posted(_example(OTHER, 1))
    assert _post(client, b, "save", body, b_token).json["ok"]
    before = intake.submissions_of(b_inv.id)
    for what in ("save", "generate", "validate"):  # B's address with A's token
        r = _post(client, b, what, _posted(_example()), a_token)
        assert r.status_code == 403 and r.json["ok"] is False
    r = client.post(
        f"/s/{b}/draft", data={"file": (io.BytesIO(_record()), "a.yaml")}, headers={"X-Formgen-Token": a_token}
    )
    assert r.status_code == 403
    assert _post(client, "x" * 43, "save", body, a_token).status_code == 404
    assert intake.submissions_of(b_inv.id) == before and intake.submissions_of(a_inv.id) == []
    # A's own save lands in A's versions, with A's name, never B's
    assert _post(client, a, "save", body, a_token).json["ok"]
    (sub,) = intake.submissions_of(a_inv.id)
    text = intake.path_of(sub["files"][0]["stored"]).read_text(encoding="utf-8")
    assert re.search(r"^enterprise:\n  name: (.+)$", text, re.M).group(1) == LONGYUAN
    assert f'value="{LONGYUAN}" readonly' in _form(client, a)[0] and f'value="{OTHER}" readonly' in _form(client, b)[0]
    assert "第1版草稿" in _form(client, b)[0]  # B's draft, untouched


def test_the_link_form_refuses_a_post_without_its_token(sqlite_intake):
    it = sqlite_intake
    invite, secret = it.invite("2026", "gansu", LONGYUAN, LATER)
    client = _client(it)
    body = _posted(_example())
    for what in ("validate", "save", "generate", "upload"):
        for token in (None, "", "0" * 64):
            r = _post(client, secret, what, body, token)
            assert r.status_code == 403 and "令牌" in r.json["message"], (what, token)
    r = client.post(f"/s/{secret}/draft", data={"file": (io.BytesIO(_record()), "a.yaml")})
    assert r.status_code == 403
    assert it.submissions_of(invite.id) == [] and _stored_files(it) == []
    it.revoke(invite.id)
    assert client.get(f"/s/{secret}/form").status_code == 410


def test_filled_gansu_forms_then_the_fields_only_the_bureaus_sheets_need_completed_in_place(sqlite_intake):
    """Filled forms alone cannot carry what only the bureau's summary sheets print: the
    answer names those fields in plain words and offers the form; kept as a draft, the form
    shows just them (and any other error), completed there, the submission is accepted."""
    from formgen import app as flow
    from formgen.doors.opener import load
    from formgen.intake import fill
    from formgen.packs.pack import get_pack
    from formgen.record.paths import generic

    it = sqlite_intake
    invite, secret = it.invite("2026", "gansu", LONGYUAN, LATER)
    client = _client(it)
    pack = get_pack("gansu")
    forms = flow.render_single(load(EXAMPLES / "gansu-longyuan.yaml"), pack, False)
    files = lambda: {"file": [(io.BytesIO(b), n) for n, b in forms]}  # noqa: E731
    r = client.post(f"/s/{secret}/submit", data=files()).json
    assert r["accepted"] is False
    only = {f["path"] for f in r["sheet_only"]}
    assert {"factory.cmmm.score", "enterprise.employees", "factory.production_mode"} <= only
    assert "只用于推荐单位的汇总表" in r["sheet_only_text"] and "自评得分" in r["sheet_only_text"]
    assert not re.search(r"[a-z_]+\.[a-z_]+", r["sheet_only_text"])  # labels, never record paths
    assert r["form"] == f"/s/{secret}/form?focus=1"
    _, token = _form(client, secret)
    saved = client.post(f"/s/{secret}/draft", data=files(), headers={"X-Formgen-Token": token}).json
    assert saved["saved"] and saved["version"] == 1 and saved["form"] == r["form"]
    (sub,) = it.submissions_of(invite.id)
    assert sub["state"] == "草稿" and sorted(f["kind"] for f in sub["files"]) == ["draft", "upload", "upload"]
    page, token = _form(client, secret, "?focus=1")
    shown = set(
        re.findall(r'<div class="field[^"]*" id="f-[^"]+" data-path="[^"]+" data-pattern="([^"]+)"[^>]*?>', page)
    )
    hidden = set(
        re.findall(r'<div class="field[^"]*" id="f-[^"]+" data-path="[^"]+" data-pattern="([^"]+)"[^>]*hidden>', page)
    )
    visible = shown - hidden
    for p in {generic(p) for p in only}:  # each field, or a list's item fields
        assert p in visible or any(v.startswith(p + "[]") for v in visible), p
    single = {v for v in visible if "[]" not in v}  # a list's item fields: one list
    assert len(single) < 25 and "enterprise.address" not in visible  # the forms' own fields: not asked again
    assert re.search(r'<div class="focus" id="focus">.*?只用于推荐单位的汇总表.*?自评得分.*?</div>', page, re.S)
    # the enterprise completes the fields the page shows; the rest is what its forms held
    record, _ = fill.latest_record(it, invite, pack)
    body = _posted(record)
    example = _posted(_example())
    for path, value in example["values"].items():
        if generic(path) in visible:
            body["values"][path] = value
    for item in example["items"]:  # the items the enterprise adds to a list the page shows
        if any(v.startswith(generic(item) + ".") for v in visible) and item not in body["items"]:
            body["items"].append(item)
    r = _post(client, secret, "generate", body, token)
    assert r.status_code == 200 and r.json["ok"], r.json
    assert [(s["version"], s["state"]) for s in it.submissions_of(invite.id)] == [(2, "已提交"), (1, "草稿")]


def test_a_draft_after_a_recommended_submission_leaves_it_in_the_rounds_sheets(sqlite_intake):
    """The clerk's list shows the submitted version's state with a note of the newer 草稿; the
    round's sheets still take the submitted version, and a draft gets no state and no 整改通知."""
    it = sqlite_intake
    it.add_clerk("张三", PASSWORD)
    invite, secret = it.invite("2026", "gansu", LONGYUAN, LATER)
    client = _client(it)
    assert _submit(client, secret, _record()).json["accepted"]
    (first,) = it.submissions_of(invite.id)
    it.set_state(first["id"], "推荐", "", "用户:张三")
    _, token = _form(client, secret)
    assert _post(client, secret, "save", _posted(_example()), token).json["ok"]  # v2: a draft
    clerk = _client(it)
    _login(clerk)
    rows = clerk.get("/clerk/?round=2026").get_data(as_text=True)
    row = re.search(r"<tr>\s*<td>" + LONGYUAN + r"</td>.*?</tr>", rows, re.S).group(0)
    assert f'<a href="/clerk/submission/{first["id"]}">第1版</a>' in row  # the submitted version, its state
    assert '<td class="state">推荐<span class="newer">（另有第2版草稿，未提交）</span></td>' in row
    assert '<td class="state">草稿' not in row
    form = {"round": "2026", "pack": "gansu", "unit": BUREAU, "unit_kind": "", "quota": "", "order": ""}
    r = clerk.post("/clerk/round/sheets", data=dict(form, csrf=_csrf(clerk, "/clerk/")))
    assert r.status_code == 200 and r.mimetype == "application/zip", r.get_data(as_text=True)[:300]
    draft = it.submissions_of(invite.id)[0]
    assert draft["state"] == "草稿"
    page = clerk.get(f"/clerk/submission/{draft['id']}").get_data(as_text=True)
    assert "尚未提交" in page and 'id="state-form"' not in page
    csrf = _csrf(clerk, "/clerk/")
    assert clerk.post(f"/clerk/submission/{draft['id']}/state", data={"state": "推荐", "csrf": csrf}).status_code == 400
    assert clerk.post(f"/clerk/submission/{first['id']}/state", data={"state": "草稿", "csrf": csrf}).status_code == 400
    r = clerk.post(f"/clerk/submission/{draft['id']}/notice", data={"items": "补充", "csrf": csrf})
    assert r.status_code == 400 and it.submissions_of(invite.id)[0]["state"] == "草稿"


def test_the_rounds_sheets_read_every_file_of_a_submission_even_two_of_one_name(sqlite_intake):
    """Two files one enterprise gave the same name (its 附件2 and 附件3, each saved as 申报表.docx)
    both reach the 问题清单 under that name: neither is written over the other."""
    import zipfile

    import openpyxl

    from formgen import app as flow
    from formgen.doors.opener import load
    from formgen.packs.pack import get_pack

    it = sqlite_intake
    it.add_clerk("张三", PASSWORD)
    invite, _secret = it.invite("2026", "gansu", LONGYUAN, LATER)
    forms = flow.render_single(load(EXAMPLES / "gansu-longyuan.yaml"), get_pack("gansu"), False)
    kept = []
    for _name, data in forms:
        stored = it.new_stored_name(".docx")
        it.keep(stored, data)
        kept.append(("申报表.docx", stored, data))
    sub = it.submit(invite, kept, [], lambda *_a: [])
    it.set_state(sub["id"], "推荐", "", "test")
    clerk = _client(it)
    _login(clerk)
    form = {"round": "2026", "pack": "gansu", "unit": BUREAU, "unit_kind": "", "quota": "", "order": ""}
    r = clerk.post("/clerk/round/sheets", data=dict(form, csrf=_csrf(clerk, "/clerk/")))
    assert r.status_code == 200 and r.data[:2] == b"PK", r.get_data(as_text=True)[:300]
    report = openpyxl.load_workbook(io.BytesIO(zipfile.ZipFile(io.BytesIO(r.data)).read("问题清单.xlsx")))
    text = "\n".join(" ".join(str(c.value) for c in row if c.value) for ws in report for row in ws.iter_rows())
    assert "申报表.docx" in text and not re.search(r"[0-9a-f]{32}", text)
    assert "916201037102653100" in text  # 附件2's 统一社会信用代码: read beside 附件3, not written over by it


@pytest.fixture
def server_clock_not_beijings(monkeypatch):
    """The server's own time zone set so that its date today is not Beijing's (whatever the hour):
    what the intake shows and closes by must still be the bureau's (Asia/Shanghai)."""
    import time
    from zoneinfo import ZoneInfo

    hour = dt.datetime.now(ZoneInfo("Asia/Shanghai")).hour
    offset = -12 if hour < 19 else 14  # hours from UTC: a day behind Beijing's, or a day ahead
    monkeypatch.setenv("TZ", f"Etc/GMT{-offset:+d}")  # (Etc/ names count the other way)
    time.tzset()
    assert dt.date.today() != dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    yield
    monkeypatch.undo()
    time.tzset()


def test_links_close_and_times_show_by_the_bureaus_clock_not_the_servers(sqlite_intake, server_clock_not_beijings):
    from zoneinfo import ZoneInfo

    it = sqlite_intake
    beijing = dt.datetime.now(ZoneInfo("Asia/Shanghai"))
    invite, open_ = it.invite("2026", "gansu", LONGYUAN, beijing.date())  # through Beijing's today
    _, closed = it.invite("2026", "gansu", OTHER, beijing.date() - dt.timedelta(days=1))
    client = _client(it)
    assert client.get(f"/s/{closed}").status_code == 410
    assert client.get(f"/s/{open_}").status_code == 200
    r = _submit(client, open_, _record()).json
    assert r["accepted"], r
    sub = it.submissions_of(invite.id)[0]
    utc = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    assert abs(sub["at"] - utc) < dt.timedelta(minutes=2)  # stored in UTC
    shown = D.local(sub["at"])
    assert abs(shown - beijing.replace(tzinfo=None)) < dt.timedelta(minutes=2)
    page = client.get(f"/s/{open_}").get_data(as_text=True)
    assert f"{shown:%Y-%m-%d %H:%M}" in page
    receipt = client.get(r["receipt"]).data
    text = "\n".join(p.text for p in Document(io.BytesIO(receipt)).paragraphs)
    assert f"{shown.year}年{shown.month}月{shown.day}日 {shown:%H:%M}" in text


def test_a_lock_others_caused_does_not_keep_the_clerk_out(sqlite_intake):
    """Wrong guesses at a clerk's name from one address lock the account for that address (and
    any that failed), yet the clerk's right password from an address that has not failed logs in;
    the lock stays on the guessers, and a clean address gets one try, not five."""
    it = sqlite_intake
    it.add_clerk("张三", PASSWORD)
    for _ in range(D.MAX_FAILURES):
        assert it.login("张三", "wrong password!!", "203.0.113.66") == (None, D.WRONG_LOGIN)
    assert it.login("张三", PASSWORD, "203.0.113.66") == (None, D.WRONG_LOGIN)  # locked for the guesser
    cid, why = it.login("张三", PASSWORD, "198.51.100.7")  # the clerk, from the office
    assert cid is not None and why == "", why
    assert any("锁定期间" in (r.detail or "") for r in it.audit_rows())
    assert it.login("张三", PASSWORD, "203.0.113.66") == (None, D.WRONG_LOGIN)  # still locked for the guesser
    assert it.login("张三", "wrong password!!", "192.0.2.9") == (None, D.WRONG_LOGIN)  # a new address: one try
    assert it.login("张三", PASSWORD, "192.0.2.9") == (None, D.WRONG_LOGIN)  # it failed: locked for it now
    client = _client(it)  # the web's login, from an address that has not failed
    r, _t = _login(client)
    assert r.status_code == 303 and client.get("/clerk/").status_code == 200


def test_a_links_form_gets_a_bounded_share_of_the_servers_work(sqlite_intake, monkeypatch):
    """The web form checks as the enterprise types: past FORM_BURST requests a link is told in
    Chinese to wait (429, Retry-After), another link is not held up; a record's JSON over formgen
    serve's bound is refused before it is read."""
    from formgen.intake import fill
    from formgen.web.form import MAX_JSON_BYTES

    monkeypatch.setattr(fill, "FORM_BURST", 3, raising=False)
    monkeypatch.setattr(fill, "FORM_EVERY", 3600.0, raising=False)
    it = sqlite_intake
    _, a = it.invite("2026", "gansu", LONGYUAN, LATER)
    _, b = it.invite("2026", "gansu", OTHER, LATER)
    client = _client(it)
    _, token_a = _form(client, a)
    _, token_b = _form(client, b)
    empty = {"values": {}, "entries": [], "items": []}
    assert [_post(client, a, "validate", empty, token_a).status_code for _ in range(3)] == [200, 200, 200]
    for what in ("validate", "save", "generate"):
        r = _post(client, a, what, empty, token_a)
        assert r.status_code == 429 and r.json["ok"] is False, what
        assert "过于频繁" in r.json["message"] and "已填写的内容不受影响" in r.json["message"]
        assert int(r.headers["Retry-After"]) >= 1
    assert "秒后自动重新检查" in _post(client, a, "validate", empty, token_a).json["message"]
    assert _post(client, b, "validate", empty, token_b).status_code == 200  # B's own share
    assert it.submissions_of(1) == []
    big = {"values": {"factory.description": "字" * (MAX_JSON_BYTES // 3 + 1)}, "entries": [], "items": []}
    r = _post(client, b, "save", big, token_b)
    assert r.status_code == 413 and r.json["ok"] is False and f"{MAX_JSON_BYTES // 1048576} MB" in r.json["message"]


# -- figures: a record's images (and the files its pack asks for) uploaded with it ---------------

SHANGHAI = "上海澄川精密机械股份有限公司"
REPORT_NAME = "澄川精密_CMMM自评估报告_L3.pdf"


def _shanghai_files(figures_dir: Path, text: str | None = None, figures: bool = True) -> list:
    """The Shanghai example record, its ten figures (by their own names) and its CMMM report."""
    text = text or (EXAMPLES / "shanghai-chengchuan.yaml").read_text(encoding="utf-8")
    out = [(io.BytesIO(text.encode("utf-8")), "shanghai-chengchuan.yaml")]
    if figures:
        out += [(io.BytesIO(p.read_bytes()), p.name) for p in sorted(figures_dir.iterdir())]
    return out + [(io.BytesIO((EXAMPLES / REPORT_NAME).read_bytes()), REPORT_NAME)]


def _inline_images(data: bytes) -> int:
    return len(Document(io.BytesIO(data)).inline_shapes)


def test_a_shanghai_record_uploaded_with_its_figures_is_accepted_and_its_documents_hold_them(
    sqlite_intake, figures_dir
):
    it = sqlite_intake
    invite, secret = it.invite("2026", "shanghai", SHANGHAI, LATER)
    client = _client(it)
    r = client.post(f"/s/{secret}/submit", data={"file": _shanghai_files(figures_dir)})
    assert r.status_code == 200 and r.json["accepted"] is True, r.json["findings"]
    figs = [f for f in r.json["files"] if f["kind"] == "figure"]
    assert [f["name"] for f in figs] == [p.name for p in sorted(figures_dir.iterdir())]
    # the receipt lists each image with its SHA-256, the hash of the file kept
    doc = Document(io.BytesIO(client.get(r.json["receipt"]).data))
    listed = {row.cells[1].text.split("（")[0]: row.cells[2].text for row in doc.tables[0].rows[1:]}
    sub = it.submissions_of(invite.id)[0]
    for p in sorted(figures_dir.iterdir()):
        kept = next(f for f in sub["files"] if f["name"] == p.name)
        assert kept["kind"] == "figure"
        assert listed[p.name] == hashlib.sha256(p.read_bytes()).hexdigest() == kept["sha256"]
        assert hashlib.sha256(it.path_of(kept["stored"]).read_bytes()).hexdigest() == kept["sha256"]
    # the 申报书 holds the ten figures
    shenbao = next(f for f in r.json["files"] if f["kind"] == "document" and f["name"].startswith("附件4_"))
    assert _inline_images(client.get(shenbao["url"]).data) == 10
    # nothing of the check's work folder stays in the storage
    assert not [p for p in it.storage.iterdir() if p.name.startswith("work-")]
    page = client.get(f"/s/{secret}").get_data(as_text=True)
    assert "配图：" in page and sub["files"][1]["sha256"] in page


def test_a_figure_named_by_a_path_resolves_to_the_submissions_own_files_only(sqlite_intake, figures_dir):
    """``../../etc/passwd`` or another link's stored figure resolve to nothing: the pack's own
    finding, by the name alone, and accepted nothing."""
    it = sqlite_intake
    _, secret_b = it.invite("2026", "shanghai", "上海别的企业有限公司", LATER)
    _, secret = it.invite("2026", "shanghai", SHANGHAI, LATER)
    client = _client(it)
    # link B keeps a figure in a 草稿 (its form's upload)
    _page, token_b = _form(client, secret_b)
    fig = sorted(figures_dir.iterdir())[0]
    r = client.post(
        f"/s/{secret_b}/form/upload",
        data={"file": (io.BytesIO(fig.read_bytes()), "b厂区.jpg")},
        headers={"X-Formgen-Token": token_b},
    )
    assert r.status_code == 200 and r.json["ok"], r.json
    b_sub = it.submissions_of(it.invite_by_secret(secret_b).id)[0]
    b_fig = next(f for f in b_sub["files"] if f["kind"] == "figure")
    b_path = it.path_of(b_fig["stored"])
    text = (EXAMPLES / "shanghai-chengchuan.yaml").read_text(encoding="utf-8")
    text = text.replace("figures/fig01.jpg", "../../../../../../etc/passwd")
    text = text.replace("figures/fig02.jpg", str(b_path))
    text = text.replace("figures/fig03.jpg", f"../../{b_path.parent.parent.name}/{b_path.parent.name}/{b_path.name}")
    text = text.replace("figures/fig04.jpg", b_fig["name"])
    r = client.post(f"/s/{secret}/submit", data={"file": _shanghai_files(figures_dir, text)})
    assert r.status_code == 200 and r.json["accepted"] is False
    fg = [f for f in r.json["findings"] if f["code"] == "FG002"]
    assert len(fg) == 4, r.json["findings"]
    assert all(f["message"].endswith("文件不存在") for f in fg)
    said = " ".join(f["text"] for f in r.json["findings"])
    assert "“passwd”" in said and b_fig["stored"] in said  # the name alone …
    assert "/etc" not in said and str(it.storage) not in said  # … never a path
    # the four files it did not name are said as such (a warning), none stored
    unused = [f for f in r.json["findings"] if f["code"] == "SB006"]
    assert {re.search(r"“(.+?)”", f["message"]).group(1) for f in unused} == {f"fig0{i}.jpg" for i in range(1, 5)}
    assert it.submissions_of(it.invite_by_secret(secret).id) == []


def _pixel_bomb() -> bytes:
    """A small PNG of 12000 x 8000 = 96 million pixels, over Pillow's limit."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("1", (12000, 8000)).save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize(
    "name, data, said",
    [
        ("炸弹.png", None, "超过 89,478,485 像素的上限"),
        ("厂区.png", "这不是图片".encode(), "文件内容是文本，不是图片"),
        ("报告.pdf", b"PK\x03\x04 not a pdf", "不是 PDF 文件"),
    ],
)
def test_a_pixel_bomb_or_a_file_that_is_not_what_its_name_says_is_refused_in_one_line(sqlite_intake, name, data, said):
    it = sqlite_intake
    invite, secret = it.invite("2026", "gansu", LONGYUAN, LATER)
    data = data if data is not None else _pixel_bomb()
    assert len(data) < 1024 * 1024
    r = _client(it).post(
        f"/s/{secret}/submit",
        data={"file": [(io.BytesIO(_record()), "r.yaml"), (io.BytesIO(data), name)]},
    )
    assert r.json["accepted"] is False and len(r.json["findings"]) == 1
    f = r.json["findings"][0]
    assert f["code"] == "SB001" and said in f["text"] and name in f["text"] and "\n" not in f["text"]
    assert it.submissions_of(invite.id) == [] and _stored_files(it) == []


def _shanghai_posted(record) -> dict:
    from formgen.packs.pack import get_pack
    from formgen.web import form as F

    values, entries, items = {}, [], []

    def walk(parts):
        for p in parts:
            if isinstance(p, F.Control):
                values[p.path] = p.value
            elif isinstance(p, F.Group):
                walk(p.parts)
            elif isinstance(p, F.Entries):
                entries.extend({"path": p.path, "key": k, "value": v} for k, v in p.entries)
            elif isinstance(p, F.ListNode):
                for item in p.items:
                    items.append(f"{p.path}[{item.index}]")
                    walk(item.parts)

    for s in F.page(F.form_catalogue(record, get_pack("shanghai")), record):
        walk(s.parts)
    return {"values": values, "entries": entries, "items": items}


def test_the_web_form_uploads_figures_into_its_draft_and_submits_them(sqlite_intake, figures_dir):
    """A Shanghai enterprise keeps its record and report as a 草稿 (no figures yet: FG002),
    uploads each figure on the form, and submits: the documents hold the figures, the
    receipt lists them, and another link can see none of them."""
    it = sqlite_intake
    invite, secret = it.invite("2026", "shanghai", SHANGHAI, LATER)
    _, secret_b = it.invite("2026", "shanghai", "上海别的企业有限公司", LATER)
    client = _client(it)
    _page, token = _form(client, secret)
    r = client.post(
        f"/s/{secret}/draft",
        data={"file": _shanghai_files(figures_dir, figures=False)},
        headers={"X-Formgen-Token": token},
    )
    assert r.json["saved"] and any(f["code"] == "FG002" for f in r.json["findings"])
    page, _ = _form(client, secret, "?focus=1")
    assert 'data-code="FG002"' in page and 'id="figure-rules"' in page and 'class="figure-upload"' in page
    figures = sorted(figures_dir.iterdir())
    for p in figures:
        r = client.post(
            f"/s/{secret}/form/upload",
            data={"file": (io.BytesIO(p.read_bytes()), p.name)},
            headers={"X-Formgen-Token": token},
        )
        assert r.status_code == 200 and r.json["ok"] and r.json["file"] == p.name, r.json
        assert r.json["width"] * r.json["height"] > 8_000_000 and r.json["problem"] == ""
    draft = it.submissions_of(invite.id)[0]
    assert draft["state"] == "草稿" and sum(f["kind"] == "figure" for f in draft["files"]) == 10
    page, _ = _form(client, secret, "?focus=1")  # the figures it holds are found: none to fix
    assert 'data-code="FG002"' not in page and 'data-code="FG001"' not in page
    info = client.get(f"/s/{secret}/form/image", query_string={"file": "figures/fig01.jpg"}).json
    assert info["ok"] and info["problem"] == "" and info["width"] > 0
    # another link: neither its form's image route nor its file route gives any of them
    kept = next(f for f in draft["files"] if f["kind"] == "figure")
    other = client.get(f"/s/{secret_b}/form/image", query_string={"file": kept["name"]}).json
    assert other["problem"] and other["width"] == 0
    assert client.get(f"/s/{secret_b}/file/{kept['id']}").status_code == 404
    assert client.get(f"/s/{secret}/file/{kept['id']}").data == figures[0].read_bytes()
    # the form opens the 草稿; validating finds every figure; a save keeps them
    from formgen.intake.fill import latest_record
    from formgen.packs.pack import get_pack

    record, _ = latest_record(it, invite, get_pack("shanghai"))
    body = _shanghai_posted(record)
    checked = _post(client, secret, "validate", body, token).json
    assert checked["ok"] and not [f for f in checked["findings"] if f["code"].startswith("FG")], checked["findings"]
    assert _post(client, secret, "save", body, token).json["ok"]
    assert sum(f["kind"] == "figure" for f in it.submissions_of(invite.id)[0]["files"]) == 10
    r = _post(client, secret, "generate", body, token)
    assert r.status_code == 200 and r.json["ok"], r.json
    sub = it.submissions_of(invite.id)[0]
    assert sub["state"] == "已提交" and sum(f["kind"] == "figure" for f in sub["files"]) == 10
    shenbao = next(f for f in r.json["files"] if f["name"].startswith("附件4_"))
    assert _inline_images(client.get(shenbao["url"]).data) == 10
    doc = Document(io.BytesIO(client.get(r.json["receipt"]).data))
    listed = " ".join(c.text for row in doc.tables[0].rows for c in row.cells)
    assert all(hashlib.sha256(p.read_bytes()).hexdigest() in listed for p in figures)


def test_the_clerks_sheets_read_a_shanghai_record_with_the_figures_it_was_submitted_with(sqlite_intake, figures_dir):
    """The round's sheets read each recommended record as `formgen summary` does: its figures
    are found (placed where it names them, inside the sheets' own folder), so the sheets are made."""
    import zipfile

    import openpyxl

    it = sqlite_intake
    it.add_clerk("张三", PASSWORD)
    invite, secret = it.invite("2026", "shanghai", SHANGHAI, LATER)
    assert _client(it).post(f"/s/{secret}/submit", data={"file": _shanghai_files(figures_dir)}).json["accepted"]
    it.set_state(it.submissions_of(invite.id)[0]["id"], "推荐", "", "test")
    clerk = _client(it)
    _login(clerk)
    form = {"round": "2026", "pack": "shanghai", "unit": BUREAU, "unit_kind": "", "quota": "5"}
    r = clerk.post("/clerk/round/sheets", data=dict(form, csrf=_csrf(clerk, "/clerk/")))
    assert r.status_code == 200 and r.data[:2] == b"PK", r.get_data(as_text=True)[:300]
    z = zipfile.ZipFile(io.BytesIO(r.data))
    report = openpyxl.load_workbook(io.BytesIO(z.read("问题清单.xlsx")))
    said = " ".join(str(c.value) for ws in report for row in ws.iter_rows() for c in row if c.value)
    assert "FG002" not in said and "AT001" not in said, said[:500]
    assert len(z.namelist()) > 1  # the sheets were made
