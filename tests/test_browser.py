"""formgen serve in a real browser: headless Chromium (Debian's chromium and
chromium-driver) driven with Selenium, against the server started in this process on a
free port over a temporary copy of the examples. What a user sees: the 字数 counter
turning red, findings beside the field and in the summary, the scenario suggestion,
save and reload, a conflicting edit, generated documents downloaded and re-opened.
Screenshots of the main pages go to out/screenshots/ (CI keeps out/ as artifacts)."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from formgen.record.textcount import word_count

from .chromium import start_chromium

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "data" / "examples"
SCREENSHOTS = ROOT / "out" / "screenshots"
TOKEN = "browser-test-token"
WAIT = 30  # seconds: the machine is shared, validation runs the real rules

# The Gansu example (基础级, 附件3 and 附件2) under one name per scenario; every example names its pack.
RECORDS = ["longyuan", "counter", "scenario", "oldname", "save", "conflict", "generate"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("serve")
    gansu = (EXAMPLES / "gansu-longyuan.yaml").read_text(encoding="utf-8")
    for name in RECORDS:
        (d / f"gansu-{name}.yaml").write_text(gansu, encoding="utf-8")
    # A 2024 scenario name, as an older record has it: not one of the page's options.
    old = gansu.replace("    name: 人机协同作业\n", "    name: 智能仓储\n", 1)
    assert old != gansu
    (d / "gansu-oldname.yaml").write_text(old, encoding="utf-8")
    shanghai = (EXAMPLES / "shanghai-chengchuan.yaml").read_text(encoding="utf-8")
    (d / "shanghai-total.yaml").write_text(shanghai, encoding="utf-8")
    shutil.copy(EXAMPLES / "gansu-longyuan.xlsx", d / "gansu-longyuan.xlsx")
    shutil.copy(EXAMPLES / "jiangsu-xiyun.yaml", d / "jiangsu-xiyun.yaml")
    return d


@pytest.fixture(scope="module")
def server(folder):
    """The web application on 127.0.0.1, a free port, in a thread of this process: the
    address formgen serve prints, without its final slash (http://127.0.0.1:PORT/TOKEN)."""
    from formgen.web import start

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    srv, url = start(folder, 0, token=TOKEN)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield url.removesuffix("/")
    finally:
        srv.shutdown()
        thread.join(10)


@pytest.fixture(scope="module")
def downloads(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(server, downloads):
    driver = start_chromium(download_dir=downloads)
    driver.set_page_load_timeout(60)
    try:
        driver.get(f"{server}/")  # the URL formgen serve prints
        yield driver
    finally:
        driver.quit()


# --- helpers -----------------------------------------------------------------------------


def wait_for(driver, condition, what: str, timeout: float = WAIT):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: condition(d))
    except TimeoutException:
        status = driver.execute_script("var s = document.getElementById('status'); return s ? s.textContent : ''")
        raise AssertionError(f"waited {timeout}s for {what}; #status says: {status!r}") from None


def open_record(driver, server, name: str):
    driver.get(f"{server}/record/{name}")
    wait_for(driver, lambda d: d.execute_script("return document.readyState") == "complete", "the page")
    return field(driver, "enterprise.name")


def field(driver, path: str):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, f"f-{path}")


def control(driver, path: str):
    from selenium.webdriver.common.by import By

    return field(driver, path).find_element(By.CSS_SELECTOR, f'[name="{path}"]')


def findings_at(driver, path: str) -> list[tuple[str, str]]:
    """(code, text) of the findings shown beside the field, read in one go (the page redraws
    them after every check)."""
    return [
        tuple(x)
        for x in driver.execute_script(
            "var f = document.getElementById('f-' + arguments[0]);"
            "return f ? Array.from(f.querySelectorAll(':scope > ul.findings > li.finding'))"
            "  .map(function (li) { return [li.getAttribute('data-code'), li.innerText.trim()]; }) : [];",
            path,
        )
    ]


def summary_links(driver) -> list[tuple[str, str]]:
    """(the link's target, text) of each finding in #summary."""
    return [
        tuple(x)
        for x in driver.execute_script(
            "return Array.from(document.querySelectorAll('#summary li.finding a'))"
            "  .map(function (a) { return [a.getAttribute('href').replace(/^#/, ''), a.innerText.trim()]; });"
        )
    ]


def replace_text(driver, path: str, text: str) -> None:
    """Select everything in the control and type ``text`` over it, as a user does."""
    from selenium.webdriver.common.keys import Keys

    box = control(driver, path)
    box.click()
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    box.send_keys(text)


def status(driver):
    from selenium.webdriver.common.by import By

    s = driver.find_element(By.ID, "status")
    return s.get_attribute("class") or "", s.text


def shoot(driver, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    assert driver.save_screenshot(str(path)), path
    return path


def cli_line(folder: Path, name: str, code: str, path: str) -> str:
    """``formgen validate``'s line for one finding of the record as saved in ``folder``."""
    out = subprocess.run(
        [sys.executable, "-m", "formgen", "validate", str(folder / name)],
        capture_output=True,
        text=True,
        encoding="utf-8",
    ).stdout
    lines = [ln for ln in out.splitlines() if f" {code} {path}「" in ln]
    assert len(lines) == 1, out
    return lines[0]


# --- scenarios -----------------------------------------------------------------------------


def test_index_lists_the_records_and_opens_one(browser, server):
    browser.get(f"{server}/")
    links = {a.text: a for a in browser.find_elements("css selector", "a.record")}
    assert {f"gansu-{n}.yaml" for n in RECORDS} | {"gansu-longyuan.xlsx", "jiangsu-xiyun.yaml"} <= set(links)
    shoot(browser, "index")
    links["gansu-longyuan.xlsx"].click()
    wait_for(browser, lambda d: "/record/gansu-longyuan.xlsx" in d.current_url, "the record page")
    assert control(browser, "enterprise.name").get_attribute("value") == "甘肃陇原精工机械有限公司"


def test_typing_past_the_limit_turns_the_counter_red_and_shows_the_finding(browser, server, folder):
    open_record(browser, server, "gansu-counter.yaml")
    path = "enterprise.intro_short"
    counter = field(browser, path).find_element("css selector", "span.count")
    assert counter.get_attribute("data-limit") == "100"
    before = control(browser, path).get_attribute("value")
    assert counter.text == str(word_count(before)) and "over" not in counter.get_attribute("class")

    text = "甘肃陇原精工主要生产燃气锅炉和压力容器。" * 5 + "共5类"  # 100 + 共 + 5 + 类 = 103 字
    assert word_count(text) == 103
    replace_text(browser, path, text)
    wait_for(browser, lambda d: counter.text == "103", "the counter to show 103")
    assert "over" in counter.get_attribute("class")
    assert counter.value_of_css_property("color") != field(browser, path).value_of_css_property("color")

    wait_for(browser, lambda d: any(c == "WC001" for c, _ in findings_at(d, path)), "WC001 beside the field")
    [(_, beside)] = [(c, t) for c, t in findings_at(browser, path) if c == "WC001"]
    assert "103" in beside and "100" in beside
    links = [(href, t) for href, t in summary_links(browser) if href == f"f-{path}"]
    assert [t for _, t in links] == [beside]
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", field(browser, path))
    shoot(browser, "record-over-limit")

    # The message is formgen validate's, word for word.
    (folder / "gansu-check.yaml").write_text(
        (folder / "gansu-counter.yaml").read_text(encoding="utf-8").replace(before, text, 1), encoding="utf-8"
    )
    try:
        line = cli_line(folder, "gansu-check.yaml", "WC001", path)
        assert beside == "错误 WC001 「企业简介(100字以内)」：" + line.split("」：", 1)[1]  # no path on the page
    finally:
        (folder / "gansu-check.yaml").unlink()

    # The summary jumps to the field.
    browser.execute_script("window.scrollTo(0, 0)")
    browser.find_element("css selector", f'#summary a[href="#f-{path}"]').click()
    assert browser.execute_script("return location.hash") == f"#f-{path}"
    top = browser.execute_script("return arguments[0].getBoundingClientRect().top", field(browser, path))
    assert -2 <= top < browser.execute_script("return window.innerHeight") / 2  # scrolled to the field

    # Back under the limit: black again, and the finding goes.
    from selenium.webdriver.common.keys import Keys

    control(browser, path).send_keys(Keys.BACKSPACE * 3)  # 100 字: at the limit, not past it
    wait_for(browser, lambda d: counter.text == "100", "the counter to show 100")
    assert "over" not in counter.get_attribute("class")
    wait_for(browser, lambda d: not findings_at(d, path), "WC001 to go")
    assert not [href for href, _ in summary_links(browser) if href == f"f-{path}"]


def test_a_limit_over_several_fields_is_counted_in_total(browser, server, folder):
    """Shanghai 附件4: parts 一 to 四 together 3000-5000 字."""
    open_record(browser, server, "shanghai-total.yaml")
    record = yaml.safe_load((folder / "shanghai-total.yaml").read_text(encoding="utf-8"))
    [total] = browser.find_elements("css selector", ".total")
    paths = total.get_attribute("data-paths").split()
    assert "narrative.development" in paths and "narrative.leadership" in paths
    count = total.find_element("css selector", ".count")
    expected = sum(word_count(record["narrative"].get(p.split(".", 1)[1])) for p in paths)
    assert count.text == str(expected) and count.get_attribute("data-limit") == "5000"
    assert not {"over", "under"} & set(count.get_attribute("class").split())

    cut = word_count(record["narrative"]["leadership"])
    assert expected - cut < 3000
    replace_text(browser, "narrative.leadership", "")
    wait_for(browser, lambda d: count.text == str(expected - cut), f"the total to show {expected - cut}")
    assert "under" in count.get_attribute("class").split()
    said = wait_for(
        browser,
        lambda d: next((t for c, t in findings_at(d, "narrative.development") if c == "WC002"), None),
        "WC002 beside the first part",
    )
    assert f"共 {expected - cut} 字，少于 3000 字的下限" in said
    assert said in [t for _, t in summary_links(browser)]


def test_a_scenario_of_another_stage_shows_the_stage_it_belongs_to(browser, server):
    from selenium.webdriver.support.ui import Select

    open_record(browser, server, "gansu-scenario.yaml")
    stage = Select(control(browser, "scenarios[0].stage"))
    assert stage.first_selected_option.get_attribute("value") == "生产作业"
    name = control(browser, "scenarios[0].name")
    groups = name.find_elements("css selector", "optgroup")
    assert len(groups) >= 4  # scenario names grouped by 环节
    other = next(g for g in groups if g.get_attribute("label") != "生产作业")
    wrong = name.find_element("css selector", "option:checked").get_attribute("value")
    stage.select_by_value(other.get_attribute("label"))  # a 环节 the scenario is not in

    def sc002(d):
        found = [t for p in ("scenarios[0].stage", "scenarios[0].name") for c, t in findings_at(d, p) if c == "SC002"]
        return found[0] if found else None

    said = wait_for(browser, sc002, "SC002 beside the scenario")
    assert f"“{wrong}”" in said and "属于“生产作业”环节" in said
    assert any(said == t for _, t in summary_links(browser))
    # Taking the suggestion clears it.
    stage.select_by_value("生产作业")
    wait_for(browser, lambda d: sc002(d) is None, "SC002 to go")


def test_an_old_scenario_name_is_shown_with_the_name_to_choose(browser, server):
    from selenium.webdriver.support.ui import Select

    open_record(browser, server, "gansu-oldname.yaml")
    name = Select(control(browser, "scenarios[0].name"))
    assert name.first_selected_option.get_attribute("value") == "智能仓储"  # kept, marked as not an option
    said = wait_for(
        browser,
        lambda d: next((t for c, t in findings_at(d, "scenarios[0].name") if c == "SC001"), None),
        "SC001 beside the scenario name",
    )
    suggested = re.search(r"对应“([^”]+)”", said)
    assert suggested, said
    assert suggested.group(1) in [o.get_attribute("value") for o in name.options]
    name.select_by_value(suggested.group(1))
    wait_for(browser, lambda d: not any(c == "SC001" for c, _ in findings_at(d, "scenarios[0].name")), "SC001 to go")


def test_save_writes_the_yaml_keeping_its_comments_and_reload_shows_the_value(browser, server, folder):
    path = folder / "gansu-save.yaml"
    original = path.read_text(encoding="utf-8")
    open_record(browser, server, path.name)
    new = "西北地区骨干工业锅炉制造企业，产品为燃气锅炉、余热锅炉和压力容器（浏览器保存测试）。"
    replace_text(browser, "enterprise.intro_short", new)
    browser.find_element("id", "save").click()
    wait_for(browser, lambda d: status(d)[0] == "saved", "#status to say saved")
    assert "保存" in status(browser)[1]

    saved = path.read_text(encoding="utf-8")
    assert yaml.safe_load(saved)["enterprise"]["intro_short"] == new
    changed = [(a, b) for a, b in zip(original.splitlines(), saved.splitlines(), strict=False) if a != b]
    assert len(original.splitlines()) == len(saved.splitlines())
    assert [b.strip() for _, b in changed] == [f"intro_short: {new}"]  # comments and order kept
    assert saved.startswith("# 示例记录（虚构企业）")
    backups = list((folder / ".formgen-备份").glob("gansu-save.*.yaml"))
    assert [b.read_text(encoding="utf-8") for b in backups] == [original]

    browser.refresh()
    wait_for(browser, lambda d: control(d, "enterprise.intro_short").get_attribute("value") == new, "the saved value")


def test_a_change_on_disk_is_shown_and_not_overwritten(browser, server, folder):
    path = folder / "gansu-conflict.yaml"
    open_record(browser, server, path.name)
    theirs = path.read_text(encoding="utf-8").replace("intro_short: 西北地区", "intro_short: 另一程序改过：西北地区", 1)
    path.write_text(theirs, encoding="utf-8")
    replace_text(browser, "enterprise.intro_short", "页面上的修改")
    browser.find_element("id", "save").click()
    wait_for(browser, lambda d: "conflict" in status(d)[0].split(), "#status to show the conflict")
    assert "修改" in status(browser)[1]
    shoot(browser, "record-conflict")
    assert path.read_text(encoding="utf-8") == theirs
    browser.find_element("id", "save").click()  # a second try does not write either
    time.sleep(1)
    assert path.read_text(encoding="utf-8") == theirs and "conflict" in status(browser)[0].split()


def downloaded(downloads: Path, name: str, timeout: float = WAIT) -> Path:
    target = downloads / name
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if target.exists() and not list(downloads.glob("*.crdownload")):
            return target
        time.sleep(0.1)
    raise AssertionError(f"{name} not downloaded; {downloads} holds {sorted(p.name for p in downloads.iterdir())}")


def docx_texts(path: Path) -> list[str]:
    import docx

    doc = docx.Document(str(path))
    texts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            texts.extend(cell.text for cell in row.cells)
    return texts


def xlsx_texts(path: Path) -> list[str]:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    return [str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None]


def test_generate_downloads_documents_that_hold_the_typed_value(browser, server, folder, downloads):
    open_record(browser, server, "gansu-generate.yaml")
    name = "甘肃陇原浏览器测试机械有限公司"
    replace_text(browser, "enterprise.name", name)  # typed, not saved: the documents are of the page
    pdf = browser.find_elements("id", "pdf")  # offered where LibreOffice is installed
    if pdf:
        pdf[0].click()
    browser.find_element("id", "generate").click()
    links = wait_for(browser, lambda d: d.find_elements("css selector", "a.download"), "download links", timeout=180)
    files = {a.text: a for a in links}
    shoot(browser, "record-generated")
    word = [n for n in files if n.endswith(".docx")]
    assert any(n.startswith("附件3_") for n in word), sorted(files)  # 附件3 甘肃省基础级智能工厂申报书
    for n in word:
        files[n].click()
        assert any(name in t for t in docx_texts(downloaded(downloads, n))), n
    if pdf:
        copies = [n for n in files if n.endswith(".pdf")]
        assert sorted(n[:-4] for n in copies) == sorted(n[:-5] for n in word)
        files[copies[0]].click()
        got = downloaded(downloads, copies[0])
        assert got.read_bytes()[:5] == b"%PDF-"
        if shutil.which("pdftotext"):
            text = subprocess.run(["pdftotext", str(got), "-"], capture_output=True, text=True).stdout
            assert name in re.sub(r"\s", "", text)
    assert control(browser, "enterprise.name").get_attribute("value") == name
    assert name not in (folder / "gansu-generate.yaml").read_text(encoding="utf-8")  # generating does not save


def test_screenshots_of_the_main_pages(browser, server):
    """The record page and the bureau's, for the CI artifacts (index: first test)."""
    open_record(browser, server, "gansu-longyuan.yaml")
    wait_for(browser, lambda d: status(d)[1] and "正在" not in status(d)[1], "the first check")
    shoot(browser, "record")
    browser.get(f"{server}/bureau")
    assert browser.find_elements("id", "bureau")
    shoot(browser, "bureau")
    for name in ("index", "record", "bureau"):
        assert (SCREENSHOTS / f"{name}.png").stat().st_size > 10_000


def test_the_bureau_ranks_the_folder_and_downloads_the_sheet(browser, server, downloads):
    from selenium.webdriver.support.ui import Select

    browser.get(f"{server}/bureau")
    states = {
        r.find_element("css selector", "a.record").text: r.get_attribute("data-state")
        for r in browser.find_elements("css selector", "tr.state-row")
    }
    assert states["gansu-oldname.yaml"] == "有错误" and states["jiangsu-xiyun.yaml"] == "通过"
    form = browser.find_element("id", "bureau")
    Select(form.find_element("name", "pack")).select_by_value("gansu")
    form.find_element("name", "unit").send_keys("兰州市工业和信息化局")
    form.find_element("name", "quota").send_keys("2")
    browser.find_element("id", "rank").click()
    wait_for(browser, lambda d: d.find_elements("css selector", "table.ranked tr.rank-row"), "the ranked table")
    shoot(browser, "bureau-ranked")
    browser.find_element("id", "draft").click()
    browser.find_element("id", "bureau-generate").click()
    links = wait_for(browser, lambda d: d.find_elements("css selector", "a.download"), "download links", timeout=120)
    files = {a.text: a for a in links}
    sheet = next(n for n in files if n.startswith("附件6_") and n.endswith(".xlsx"))  # 甘肃省智能工厂评价推荐表
    pledge = next(n for n in files if n.endswith(".docx"))  # 附件8 主管部门承诺书
    for n in (sheet, pledge):
        files[n].click()
    assert any("甘肃陇原精工机械有限公司" in t for t in xlsx_texts(downloaded(downloads, sheet)))
    assert any("兰州市工业和信息化局" in t for t in docx_texts(downloaded(downloads, pledge)))


def shown_on_page(driver, element) -> bool:
    """Whether the element takes space on the page (neither it nor a holder hidden)."""
    return driver.execute_script("return !!arguments[0].getClientRects().length", element)


def test_choosing_a_pack_lays_the_page_out_again_before_saving(browser, server, folder):
    """Shanghai's example, gansu chosen in the drop-down: the 配图 section (Shanghai's only) goes,
    Gansu's 企业简介(100字以内) appears with its 100-字 counter, the drop-down shows the packs by
    their titles: all before anything is saved (the file is unchanged)."""
    from selenium.webdriver.support.ui import Select

    before = (folder / "shanghai-total.yaml").read_text(encoding="utf-8")
    open_record(browser, server, "shanghai-total.yaml")
    figures = browser.find_element("id", "s-figures[]")
    intro = field(browser, "enterprise.intro_short")
    assert shown_on_page(browser, figures) and not shown_on_page(browser, intro)
    pack = Select(control(browser, "pack"))
    titles = {o.get_attribute("value"): o.text for o in pack.options}
    assert titles["gansu"] == "甘肃省智能工厂梯度培育申报（2025年）" and titles["shanghai"].startswith("上海市")

    pack.select_by_value("gansu")
    wait_for(browser, lambda d: not shown_on_page(d, figures), "the 配图 section to go")
    Select(control(browser, "factory.level")).select_by_value("基础级")
    wait_for(browser, lambda d: shown_on_page(d, intro), "企业简介(100字以内) to appear")
    counter = intro.find_element("css selector", "span.count")
    assert counter.get_attribute("data-limit") == "100" and shown_on_page(browser, counter)
    assert intro.find_element("css selector", "label").text.startswith("企业简介(100字以内)")
    replace_text(browser, "enterprise.intro_short", "甘肃陇原精工主要生产燃气锅炉和压力容器。" * 5 + "共5类")  # 103 字
    wait_for(browser, lambda d: counter.text == "103" and "over" in counter.get_attribute("class"), "103, red")
    assert not browser.find_elements("css selector", '#record .toc a[href="#s-figures[]"]:not([hidden])')
    shoot(browser, "record-relaid")
    assert (folder / "shanghai-total.yaml").read_text(encoding="utf-8") == before  # nothing saved


def test_choosing_a_scenario_fills_in_its_stage(browser, server):
    """环节 stands before the description and is filled in from the scenario chosen, as the
    scenario catalogue puts it."""
    from selenium.webdriver.support.ui import Select

    from formgen.record.refdata import catalogue as scenario_catalogue

    open_record(browser, server, "gansu-longyuan.yaml")
    item = browser.find_element("css selector", '#f-scenarios .items > .item[data-index="0"]')
    order = [f.get_attribute("data-pattern") for f in item.find_elements("css selector", ":scope > .field")]
    assert order.index("scenarios[].stage") < order.index("scenarios[].description")
    stage = control(browser, "scenarios[0].stage")
    assert shown_on_page(browser, stage)
    catalogue = scenario_catalogue(2025)
    other = next(
        s for s in catalogue.scenarios if s.stage != Select(stage).first_selected_option.get_attribute("value")
    )
    Select(control(browser, "scenarios[0].name")).select_by_value(other.name)
    wait_for(
        browser,
        lambda d: Select(control(d, "scenarios[0].stage")).first_selected_option.get_attribute("value") == other.stage,
        "环节 filled in",
    )
    time.sleep(1)
    wait_for(
        browser,
        lambda d: (
            not any(c == "SC002" for p in ("scenarios[0].stage", "scenarios[0].name") for c, _ in findings_at(d, p))
        ),
        "no SC002",
    )
