"""formgen intake in a real browser (headless Chromium, as tests/test_browser.py drives it),
against the intake served by waitress in this process: an enterprise from its link to the
receipt, a clerk from login to a 整改通知 the enterprise's link then shows. Screenshots go to
out/screenshots/intake-*.png."""

from __future__ import annotations

import datetime as dt
import io
import threading
import urllib.request
from pathlib import Path

import pytest

from formgen.intake.db import Intake
from formgen.intake.web import create_app

from .chromium import start_chromium

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "data" / "examples"
SCREENSHOTS = ROOT / "out" / "screenshots"
WAIT = 30  # seconds: the machine is shared, the check runs the real rules
LONGYUAN = "甘肃陇原精工机械有限公司"
PASSWORD = "correct horse battery staple"


def wait_for(driver, condition, what: str, timeout: float = WAIT):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: condition(d))
    except TimeoutException:
        raise AssertionError(f"waited {timeout}s for {what}; the page says: {driver.title}") from None


def shoot(driver, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    assert driver.save_screenshot(str(path)), path
    return path


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """(base URL, the intake, the link's secret, a folder of files to upload)."""
    from waitress import create_server

    d = tmp_path_factory.mktemp("intake")
    it = Intake(d / "registry.sqlite", create=True)
    it.init("天水市工业和信息化局", "http://127.0.0.1", d / "files")
    it.add_clerk("张三", PASSWORD)
    _, secret = it.invite("2026", "gansu", LONGYUAN, dt.date.today() + dt.timedelta(days=30))
    uploads = d / "uploads"
    uploads.mkdir()
    (uploads / "有问题的记录.yaml").write_bytes(
        (EXAMPLES / "gansu-longyuan.yaml").read_bytes().replace(b'mobile: "13909318866"', b'mobile: "1390931886"')
    )
    (uploads / "陇原.yaml").write_bytes((EXAMPLES / "gansu-longyuan.yaml").read_bytes())
    server = create_server(create_app(it, pdf=False), host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}", it, secret, uploads
    finally:
        server.close()
        thread.join(10)


@pytest.fixture(scope="module")
def browser():
    driver = start_chromium()
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _upload(driver, path: Path):
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, "file").send_keys(str(path))
    driver.find_element(By.CSS_SELECTOR, "#upload button").click()


def test_an_enterprise_uploads_sees_its_findings_then_gets_a_receipt(browser, site):
    from selenium.webdriver.common.by import By

    base, it, secret, uploads = site
    browser.get(f"{base}/s/{secret}")
    assert browser.find_element(By.TAG_NAME, "h1").text == LONGYUAN
    assert "尚未提交" in browser.find_element(By.ID, "none").text
    _upload(browser, uploads / "有问题的记录.yaml")
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#findings li"), "the findings")
    items = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#findings li")]
    assert any("手机" in t and "1390931886" in t for t in items), items
    assert "未受理" in browser.find_element(By.CSS_SELECTOR, "#result p.error").text
    shoot(browser, "intake-1-findings")
    browser.get(f"{base}/s/{secret}")  # a fresh field (one with ``multiple`` adds to what it holds)
    _upload(browser, uploads / "陇原.yaml")
    receipt = wait_for(browser, lambda d: d.find_elements(By.ID, "receipt"), "the receipt link")[0]
    assert "已受理（第1版）" in browser.find_element(By.CSS_SELECTOR, "#result p.ok").text
    shoot(browser, "intake-2-accepted")
    with urllib.request.urlopen(receipt.get_attribute("href"), timeout=30) as resp:
        assert resp.read()[:2] == b"PK"
    browser.get(f"{base}/s/{secret}")
    version = browser.find_element(By.ID, "v1")
    assert "第1版" in version.text and "已提交" in version.text and "回执" in version.text
    shoot(browser, "intake-3-history")


def test_a_clerk_logs_in_and_sends_a_notice_the_link_shows(browser, site):
    from selenium.webdriver.common.by import By

    base, it, secret, uploads = site
    if not it.submissions_of(it.invite_by_secret(secret).id):  # run alone: the enterprise submits first
        browser.get(f"{base}/s/{secret}")
        _upload(browser, uploads / "陇原.yaml")
        wait_for(browser, lambda d: d.find_elements(By.ID, "receipt"), "the receipt link")
    browser.get(f"{base}/clerk/")
    wait_for(browser, lambda d: "/clerk/login" in d.current_url, "the login page")
    browser.find_element(By.NAME, "name").send_keys("张三")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    shoot(browser, "intake-4-login")
    browser.find_element(By.CSS_SELECTOR, "form.login button").click()
    wait_for(browser, lambda d: d.find_elements(By.ID, "subs"), "the round's page")
    row = browser.find_element(By.CSS_SELECTOR, "#subs tbody tr")
    assert LONGYUAN in row.text and "已提交" in row.text
    shoot(browser, "intake-5-round")
    row.find_element(By.PARTIAL_LINK_TEXT, "版").click()
    wait_for(browser, lambda d: d.find_elements(By.ID, "notice-form"), "the submission's page")
    item = "请在附件3中补充主要产品产能情况"
    browser.find_element(By.CSS_SELECTOR, "#notice-form textarea").send_keys(item)
    browser.find_element(By.CSS_SELECTOR, "#notice-form button").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "state").text == "需整改", "the state 需整改")
    shoot(browser, "intake-6-notice-sent")
    browser.get(f"{base}/s/{secret}")
    notice = browser.find_element(By.CSS_SELECTOR, "#v1 li.notice a")
    assert notice.text.startswith("整改通知_") and "需整改" in browser.find_element(By.ID, "v1").text
    shoot(browser, "intake-7-link-shows-notice")
    from docx import Document

    with urllib.request.urlopen(notice.get_attribute("href"), timeout=30) as resp:
        text = "\n".join(p.text for p in Document(io.BytesIO(resp.read())).paragraphs)
    assert item in text and LONGYUAN in text
