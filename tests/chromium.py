"""Headless Chromium for the browser tests: Debian's `chromium` and `chromium-driver`
driven with Selenium. Without them the tests skip, saying why; with
FORMGEN_REQUIRE_BROWSER=1 (set by .ci/run) they fail instead."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("FORMGEN_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("FORMGEN_CHROMEDRIVER", "/usr/bin/chromedriver"))


def browser_required() -> bool:
    return os.environ.get("FORMGEN_REQUIRE_BROWSER") == "1"


def missing_reason() -> str | None:
    """Why no browser test can run here, or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return '未安装 selenium（pip install -e ".[test]"）'
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not (path.is_file() and os.access(path, os.X_OK)):
            return f"{path} 不存在（Debian 软件包 {package}：apt-get install chromium chromium-driver）"
    return None


def skip_or_fail_without_browser() -> None:
    reason = missing_reason()
    if reason is None:
        return
    if browser_required():
        pytest.fail(f"设置了 FORMGEN_REQUIRE_BROWSER=1，浏览器测试不能跳过：{reason}", pytrace=False)
    pytest.skip(f"跳过浏览器测试：{reason}")


def start_chromium(download_dir: Path | None = None, width: int = 1280, height: int = 900):
    """A headless Chromium under Selenium; the caller quits it."""
    skip_or_fail_without_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--lang=zh-CN",
        f"--window-size={width},{height}",
    ):
        options.add_argument(arg)
    if download_dir is not None:
        options.add_experimental_option(
            "prefs",
            {
                "download.default_directory": str(download_dir),
                "download.prompt_for_download": False,
                "download.directory_upgrade": True,
                "safebrowsing.enabled": False,
            },
        )
    # An explicit driver path: Selenium Manager is never asked to download anything.
    service = Service(executable_path=str(CHROMEDRIVER), log_output=os.devnull)
    driver = webdriver.Chrome(service=service, options=options)
    # --window-size is the window's; make the page's viewport width x height, for screenshots.
    inner = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    driver.set_window_size(2 * width - inner[0], 2 * height - inner[1])
    return driver


def node() -> str | None:
    return shutil.which("node")
