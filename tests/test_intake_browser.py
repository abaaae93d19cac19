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


def _page_values(record) -> tuple[dict, list[str]]:
    """({field path: text as typed}, [list item paths]) of ``record`` on the link's form."""
    from formgen.packs.pack import get_pack
    from formgen.web import form as F

    values, items = {}, []

    def walk(parts):
        for p in parts:
            if isinstance(p, F.Control):
                values[p.path] = p.value
            elif isinstance(p, F.Group):
                walk(p.parts)
            elif isinstance(p, F.ListNode):
                for item in p.items:
                    items.append(f"{p.path}[{item.index}]")
                    walk(item.parts)

    for s in F.page(F.form_catalogue(record, get_pack("gansu")), record):
        walk(s.parts)
    return values, items


SET_VALUE = """
const [name, value] = arguments;
const c = document.querySelector('#record [name="' + CSS.escape(name) + '"]');
if (!c) return false;
if (c.tagName === "SELECT" && c.multiple) {
  const wanted = value.split("\\n");
  for (const o of c.options) o.selected = wanted.includes(o.value);
} else {
  c.value = value;
}
c.dispatchEvent(new Event("input", { bubbles: true }));
c.dispatchEvent(new Event("change", { bubbles: true }));
return true;
"""

SHOWN_NAMES = """
return Array.from(document.querySelectorAll('#record .field[data-pattern] > [name]'))
  .filter((c) => !c.closest('[hidden]')).map((c) => c.name);
"""


def test_an_enterprise_fills_the_web_form_in_place_and_saves_a_draft(browser, site):
    """The link's 网页表单: formgen serve's page with the link's pack and the invited name
    locked; typed into, kept as a 草稿 the link then lists."""
    from selenium.webdriver.common.by import By

    base, it, _, _ = site
    invite, secret = it.invite("2027", "gansu", LONGYUAN, dt.date.today() + dt.timedelta(days=30))
    browser.get(f"{base}/s/{secret}")
    browser.find_element(By.ID, "fill").click()
    wait_for(browser, lambda d: d.find_elements(By.ID, "record"), "the web form")
    name = browser.find_element(By.ID, "c-enterprise.name")
    assert name.get_attribute("value") == LONGYUAN and name.get_attribute("readonly") is not None
    assert not browser.find_element(By.ID, "f-pack").is_displayed()  # the link's pack: no drop-down
    wait_for(browser, lambda d: "个错误" in d.find_element(By.ID, "status").text, "the check of the empty form")
    assert browser.find_elements(By.CSS_SELECTOR, "#summary li.finding.error")
    shoot(browser, "intake-8-web-form")
    mobile = browser.find_element(By.ID, "c-people.contact.mobile")
    mobile.send_keys("1390931886")  # ten digits
    wait_for(
        browser,
        lambda d: d.find_elements(
            By.CSS_SELECTOR, '#f-people\\.contact\\.mobile li.finding.error:not([data-code="RQ001"])'
        ),
        "the finding beside the field",
    )
    browser.find_element(By.ID, "save").click()
    wait_for(browser, lambda d: "已保存为草稿（第1版" in d.find_element(By.ID, "status").text, "the draft saved")
    shoot(browser, "intake-9-draft-saved")
    (sub,) = it.submissions_of(invite.id)
    assert sub["state"] == "草稿" and not any(f["kind"] == "receipt" for f in sub["files"])
    browser.get(f"{base}/s/{secret}")
    assert "草稿" in browser.find_element(By.ID, "v1").text
    browser.find_element(By.ID, "fill").click()  # come back: the draft as saved
    wait_for(browser, lambda d: d.find_elements(By.ID, "record"), "the web form again")
    assert browser.find_element(By.ID, "c-people.contact.mobile").get_attribute("value") == "1390931886"


def test_filled_forms_uploaded_then_the_bureaus_fields_completed_in_place_to_a_receipt(browser, site, tmp_path):
    """Gansu's filled forms lack what only the bureau's sheets print: the page says so, the
    enterprise completes those fields in the web form and submits, and gets a receipt."""
    from selenium.webdriver.common.by import By

    from formgen import app as flow
    from formgen.doors.opener import load
    from formgen.packs.pack import get_pack

    base, it, _, _ = site
    invite, secret = it.invite("2028", "gansu", LONGYUAN, dt.date.today() + dt.timedelta(days=30))
    example = load(EXAMPLES / "gansu-longyuan.yaml").record
    paths = []
    for name, data in flow.render_single(load(EXAMPLES / "gansu-longyuan.yaml"), get_pack("gansu"), False):
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    browser.get(f"{base}/s/{secret}")
    browser.find_element(By.ID, "file").send_keys("\n".join(paths))
    browser.find_element(By.CSS_SELECTOR, "#upload button[type=submit]").click()
    button = wait_for(browser, lambda d: d.find_elements(By.ID, "complete"), "the offer to complete in place")[0]
    said = browser.find_element(By.CSS_SELECTOR, "#result p.sheet-only").text
    assert "只用于推荐单位的汇总表" in said and "自评得分" in said
    shoot(browser, "intake-10-forms-lack-the-sheets-fields")
    button.click()
    wait_for(browser, lambda d: "/form?focus=1" in d.current_url and d.find_elements(By.ID, "record"), "the form")
    assert "自评得分" in browser.find_element(By.ID, "focus").text
    wait_for(browser, lambda d: "个错误" in d.find_element(By.ID, "status").text, "the check of the draft")
    shoot(browser, "intake-11-only-the-fields-to-complete")
    values, items = _page_values(example)
    for item in items:  # the lists the page shows: as many items as the enterprise has
        lst = item.rsplit("[", 1)[0]
        if "." in lst or "[" in lst:
            continue
        box = browser.find_elements(By.ID, f"f-{lst}")
        if box and box[0].is_displayed() and not browser.find_elements(By.CSS_SELECTOR, f'[name^="{item}."]'):
            box[0].find_element(By.CSS_SELECTOR, ":scope > button.add-item").click()
    shown = browser.execute_script(SHOWN_NAMES)
    assert 10 < len(shown) < 80, shown
    for path in shown:
        if path in values:
            assert browser.execute_script(SET_VALUE, path, values[path]), path
    shoot(browser, "intake-12-completed-in-place")
    browser.find_element(By.ID, "generate").click()
    link = wait_for(
        browser, lambda d: [a for a in d.find_elements(By.CSS_SELECTOR, "#downloads a") if "回执" in a.text], "receipt"
    )[0]
    assert "已受理" in browser.find_element(By.ID, "status").text
    shoot(browser, "intake-13-accepted-from-the-form")
    with urllib.request.urlopen(link.get_attribute("href"), timeout=30) as resp:
        assert resp.read()[:2] == b"PK"
    assert [(s["version"], s["state"]) for s in it.submissions_of(invite.id)] == [(2, "已提交"), (1, "草稿")]


def test_the_web_form_waits_when_the_server_asks_and_checks_again_keeping_the_typing(browser, tmp_path, monkeypatch):
    """Past its share of checks the link is answered 429: the page says so in Chinese, keeps what
    was typed, and checks again after Retry-After by itself."""
    from selenium.webdriver.common.by import By
    from waitress import create_server

    from formgen.intake import fill

    monkeypatch.setattr(fill, "FORM_BURST", 1, raising=False)  # the page's first check, then one per 4 s
    monkeypatch.setattr(fill, "FORM_EVERY", 4.0, raising=False)
    it = Intake(tmp_path / "registry.sqlite", create=True)
    it.init("天水市工业和信息化局", "http://127.0.0.1", tmp_path / "files")
    _, secret = it.invite("2026", "gansu", LONGYUAN, dt.date.today() + dt.timedelta(days=30))
    server = create_server(create_app(it, pdf=False), host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        browser.get(f"http://127.0.0.1:{server.effective_port}/s/{secret}/form")
        wait_for(browser, lambda d: "个错误" in d.find_element(By.ID, "status").text, "the check of the empty form")
        mobile = browser.find_element(By.ID, "c-people.contact.mobile")
        mobile.send_keys("1390931886")  # ten digits: its finding comes with the next check
        wait_for(browser, lambda d: "秒后自动重新检查" in d.find_element(By.ID, "status").text, "the request to wait")
        shoot(browser, "intake-13-form-asked-to-wait")
        assert mobile.get_attribute("value") == "1390931886"
        wait_for(
            browser,
            lambda d: d.find_elements(
                By.CSS_SELECTOR, '#f-people\\.contact\\.mobile li.finding.error:not([data-code="RQ001"])'
            ),
            "the check made again after the wait",
        )
        assert "个错误" in browser.find_element(By.ID, "status").text
        assert mobile.get_attribute("value") == "1390931886"
    finally:
        server.close()
        thread.join(10)


def test_a_figure_uploaded_on_the_web_form_goes_into_the_draft(browser, site, tmp_path):
    """A Shanghai enterprise's 草稿 names its figures; 上传图片 beside the first one sends the
    photo to the link's 草稿: the field gets its name, the page tells its pixels against the
    pack's rule, and the 草稿 keeps the image."""
    from selenium.webdriver.common.by import By

    from formgen.demo import make_figure
    from formgen.intake.fill import save_draft

    base, it, _, _ = site
    invite, secret = it.invite(
        "2026", "shanghai", "上海澄川精密机械股份有限公司", dt.date.today() + dt.timedelta(days=30)
    )
    save_draft(it, invite, [("draft", "网上填报记录.yaml", (EXAMPLES / "shanghai-chengchuan.yaml").read_bytes())], [])
    photo = tmp_path / "厂区全景.jpg"
    make_figure(photo, 1)
    browser.get(f"{base}/s/{secret}/form")
    wait_for(browser, lambda d: d.find_elements(By.ID, "record"), "the web form")
    assert "配图要求" in browser.find_element(By.ID, "figure-rules").text
    field = browser.find_element(By.CSS_SELECTOR, ".field[data-pattern='figures[].file']")
    field.find_element(By.CSS_SELECTOR, "input.figure-upload").send_keys(str(photo))
    wait_for(browser, lambda d: "已上传" in d.find_element(By.ID, "status").text, "the figure uploaded")
    box = field.find_element(By.CSS_SELECTOR, ":scope > input[name]")
    assert box.get_attribute("value") == "厂区全景.jpg"
    wait_for(browser, lambda d: "符合要求" in field.find_element(By.CSS_SELECTOR, ".image-info").text, "its facts")
    shoot(browser, "intake-14-figure-uploaded")
    (sub,) = it.submissions_of(invite.id)
    kept = [f for f in sub["files"] if f["kind"] == "figure"]
    assert [f["name"] for f in kept] == ["厂区全景.jpg"] and it.path_of(
        kept[0]["stored"]
    ).read_bytes() == photo.read_bytes()
