"""formgen serve's token in a real browser (headless Chromium, see tests/chromium.py):
after opening formgen's address, another server on another port of 127.0.0.1 receives
nothing that names the token (no cookie, no Referer), and a form posted from its page
changes nothing."""

from __future__ import annotations

import http.server
import logging
import threading
import time
from pathlib import Path

import pytest

from .chromium import start_chromium

EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "examples"
TOKEN = "browser-access-token-0123456789"


class Other(http.server.BaseHTTPRequestHandler):
    """Another local program's web server: it keeps what each request brought and answers
    with a page that posts a form to formgen (``/post?to=URL``)."""

    seen: list[tuple[str, str, dict]] = []

    def do_GET(self):
        Other.seen.append(("GET", self.path, dict(self.headers)))
        page = "<!doctype html><title>其他程序</title><p>其他程序的页面</p>"
        if self.path.startswith("/post?to="):
            target = self.path.removeprefix("/post?to=")
            page += (
                f'<form id="f" method="post" action="{target}" enctype="text/plain">'
                '<input name=\'{"values":{"enterprise.name":"被篡改的名称"},"x":"\' value=\'"}\'></form>'
                "<script>document.getElementById('f').submit()</script>"
            )
        data = page.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def threaded(server):
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


@pytest.fixture
def setting(tmp_path):
    """(formgen's printed address, the other server's address, the records folder, a browser)."""
    from formgen.web import start

    folder = tmp_path / "records"
    folder.mkdir()
    text = (EXAMPLES / "gansu-longyuan.yaml").read_text("utf-8")
    (folder / "gansu.yaml").write_text("pack: gansu\n" + text, "utf-8")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    formgen, url = start(folder, 0, token=TOKEN)
    other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Other)
    Other.seen = []
    threads = [threaded(formgen), threaded(other)]
    driver = start_chromium()
    driver.set_page_load_timeout(60)
    try:
        yield url, f"http://127.0.0.1:{other.server_port}", folder, driver
    finally:
        driver.quit()
        for s in (formgen, other):
            s.shutdown()
        for t in threads:
            t.join(10)


def wait_until(condition, what: str, timeout: float = 30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_another_port_of_127_0_0_1_gets_nothing_of_the_token(setting):
    url, other, folder, driver = setting
    before = (folder / "gansu.yaml").read_bytes()
    driver.get(url)  # the address formgen serve prints
    assert "gansu.yaml" in driver.page_source
    driver.get(url + "record/gansu.yaml")
    assert driver.execute_script("return document.cookie") == ""
    # Leaving formgen's page for the other program's, as a link or a script would.
    driver.execute_script("window.location.href = arguments[0]", other + "/from-formgen")
    wait_until(lambda: any(p == "/from-formgen" for _, p, _ in Other.seen), "the other server's page")
    driver.get(other + "/typed")
    # Its page posts a form to formgen's address (as if it knew it): refused, nothing written.
    driver.get(f"{other}/post?to={url}record/gansu.yaml/save")
    wait_until(lambda: driver.current_url.startswith(url), "formgen's answer to the posted form")
    assert "请求来自其他网页，已拒绝" in driver.page_source
    got = [(p, {k.casefold(): v for k, v in h.items()}) for _, p, h in Other.seen if not p.startswith("/post?")]
    assert {"/from-formgen", "/typed"} <= {p for p, _ in got}  # (and /favicon.ico)
    for path, headers in got:  # (/post?to= names formgen's address itself)
        assert "cookie" not in headers, (path, headers)
        assert TOKEN not in path + "".join(headers.values()), (path, headers)
        assert "referer" not in headers or "/record/" not in headers["referer"], (path, headers)
    assert (folder / "gansu.yaml").read_bytes() == before
