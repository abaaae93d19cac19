"""Who can reach formgen serve: what a browser would also send to another port of
127.0.0.1 (its cookies) grants nothing; only the address with the session's token in its
path opens anything; the Host must name this server and a change must come from its own
origin with the token in its header."""

from __future__ import annotations

import io

import lxml.html
import pytest
from flask.testing import FlaskClient

from formgen.web import create_app

from .test_web import ROOT, TOKEN, H, _png, page_state, records_folder, served


@pytest.fixture
def folder(tmp_path):
    return records_folder(tmp_path)


# Every route of the server, as (method, path under the token's prefix, what it sends).
GETS = [
    "",
    "record/gansu.yaml",
    "record/chengchuan.xlsx",
    "record/gansu.yaml/image?file=a.png",
    "bureau",
    "bureau?pack=gansu&unit=%E6%9F%90%E5%8D%95%E4%BD%8D&quota=5",
    "static/form.js",
]
POSTS = ["record/gansu.yaml/validate", "record/gansu.yaml/save", "record/gansu.yaml/generate", "bureau/generate"]
UPLOAD = "record/gansu.yaml/upload"


def files_of(folder) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def sent(c: FlaskClient, method: str, url: str, state: dict, headers: dict):
    if method == "GET":
        return c.get(url, headers=headers)
    if url.endswith("/upload"):
        return c.post(url, data={"file": (io.BytesIO(_png(8, 8)), "a.png")}, headers=headers)
    return c.post(url, json={**state, "pack": "gansu", "unit": "某单位", "quota": "5"}, headers=headers)


ROUTES = [("GET", g) for g in GETS] + [("POST", p) for p in [*POSTS, UPLOAD]]
CHANGE = {"values": {"enterprise.name": "被篡改的名称"}, "entries": [], "items": [], "sha256": ""}


def a_download(folder) -> str:
    """The path (under the prefix) of a document generated through the printed address."""
    c = served(folder)
    made = c.post("/record/gansu.yaml/generate", json=page_state(c, "gansu.yaml"), headers=H).get_json()
    download = made["files"][0]["url"]
    assert download.startswith(f"{ROOT}download/")
    return download.removeprefix(ROOT)


def test_only_what_a_browser_sends_to_another_port_grants_nothing(folder):
    """Another program on 127.0.0.1 gets the cookies a browser holds for 127.0.0.1 (any
    port), and could copy them into the header: without the address's path, every route
    is refused and nothing is written."""
    before = files_of(folder)
    other = create_app(folder, TOKEN).test_client()
    other.set_cookie("formgen_token", TOKEN)  # the cookie formgen once set, sent to every port

    def refused(routes):
        for method, path in routes:
            for url in ("/" + path, "/" + path + ("&" if "?" in path else "?") + f"token={TOKEN}"):
                resp = sent(other, method, url, CHANGE, H)
                assert resp.status_code == 403, (method, url, resp.status_code)
                text = resp.get_data(as_text=True)
                assert "启动时打印的地址" in text and TOKEN not in text, url
                assert "Set-Cookie" not in resp.headers

    refused(ROUTES)
    assert files_of(folder) == before
    refused([("GET", a_download(folder))])
    opened = served(folder).get("/")
    assert opened.status_code == 200 and "Set-Cookie" not in opened.headers  # nothing for other ports to get


@pytest.mark.parametrize(
    "prefix",
    ["wrong", TOKEN.upper(), TOKEN[:-1], TOKEN + "x", f"x/{TOKEN}", f"%2F{TOKEN}", "static"],
)
def test_a_wrong_token_in_the_path_is_refused_on_every_route(folder, prefix):
    routes = [*ROUTES, ("GET", a_download(folder))]
    before = files_of(folder)
    c = create_app(folder, TOKEN).test_client()
    for method, path in routes:
        resp = sent(c, method, f"/{prefix}/{path}", CHANGE, H)
        assert resp.status_code == 403, (method, prefix, path, resp.status_code)
    assert files_of(folder) == before


@pytest.mark.parametrize(
    "host",
    [
        "attacker.example:8000",  # a name that resolves to 127.0.0.1 (DNS rebinding)
        "127.0.0.1.attacker.example:8000",
        "127.0.0.1:8001",  # another port
        "localhost:80",
        "127.0.0.1",
        "",
    ],
)
def test_a_host_that_is_not_this_server_gets_400(folder, host):
    app = create_app(folder, TOKEN)
    app.config["FORMGEN_PORT"] = 8000
    c = app.test_client()
    state = page_state(served(folder), "gansu.yaml")
    before = files_of(folder)
    for method, path in [("GET", ""), ("GET", "record/gansu.yaml"), ("GET", "bureau"), ("POST", POSTS[1])]:
        resp = sent(c, method, ROOT + path, state, {**H, "Host": host})
        assert resp.status_code == 400, (host, path)
        assert "主机名" in resp.get_data(as_text=True)
    assert files_of(folder) == before
    for good in ("127.0.0.1:8000", "localhost:8000", "[::1]:8000", "LOCALHOST:8000"):
        assert c.get(ROOT, headers={"Host": good}).status_code == 200, good


@pytest.mark.parametrize(
    "foreign",
    [
        {"Origin": "http://127.0.0.1:9999"},  # another port of the same host
        {"Origin": "http://attacker.example"},
        {"Origin": "null"},  # a sandboxed frame, a file:// page
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},  # another port of 127.0.0.1 is the same site
        {"Origin": "http://localhost", "Sec-Fetch-Site": "same-site"},
    ],
)
def test_a_change_from_another_origin_is_refused_even_with_the_header(folder, foreign):
    c = served(folder)
    state = page_state(c, "gansu.yaml")
    state["values"]["enterprise.name"] = "被篡改的名称"
    before = files_of(folder)
    for path in [*POSTS, UPLOAD]:
        resp = sent(c, "POST", path, state, {**H, **foreign})
        assert resp.status_code == 403, (path, foreign)
        assert "其他网页" in resp.get_json()["message"]
    assert files_of(folder) == before
    own = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}  # the test client's Host: localhost
    assert sent(c, "POST", "record/gansu.yaml/validate", state, {**H, **own}).status_code == 200


def test_no_page_links_outside_the_address(folder):
    """Every link, script, style sheet and form of every page stays under /TOKEN/ (or is a
    place on the same page): the token is never sent elsewhere, nor a path lost."""
    (folder / "broken.yaml").write_text("pack: gansu\nenterprise: [\n", "utf-8")
    c = served(folder)
    pages = ["", "record/gansu.yaml", "record/chengchuan.xlsx", "record/broken.yaml", "bureau", "bureau?pack=gansu"]
    pages += ["record/nope.yaml"]  # an error page
    for page in pages:
        doc = lxml.html.fromstring(c.get(page).get_data(as_text=True))
        urls = doc.xpath("//@href | //@src | //@action")
        assert urls, page
        outside = [u for u in urls if not (u.startswith(ROOT) or u.startswith("#"))]
        assert outside == [], page
        scripts_go_to = doc.xpath("//@data-base | //@data-generate")  # where form.js posts
        assert all(u.startswith(ROOT) for u in scripts_go_to), page
    for asset in ("static/form.js", "static/count.js", "static/form.css"):
        assert "http" not in c.get(asset).get_data(as_text=True), asset
