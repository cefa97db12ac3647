"""Browser tests drive Debian's chromium through chromedriver (selenium). Without them
the tests skip and say why. Screenshots go to test-artifacts/browser/."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
DOWNLOADS = ARTIFACTS / "downloads"


def _binaries() -> tuple[str | None, str | None]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return chromium, driver


def _chromium(*, script: bool = True) -> Any:
    chromium, driver = _binaries()
    if not chromium or not driver:
        pytest.skip(
            "Debian's chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--window-size=1366,1000",
        "--lang=zh-CN",
    ):
        options.add_argument(flag)
    DOWNLOADS.mkdir(parents=True, exist_ok=True)
    for old in DOWNLOADS.glob("*"):
        old.unlink()
    prefs: dict[str, Any] = {
        "download.default_directory": str(DOWNLOADS),
        "download.prompt_for_download": False,
        "plugins.always_open_pdf_externally": True,
    }
    if not script:
        prefs["profile.managed_default_content_settings.javascript"] = 2
    options.add_experimental_option("prefs", prefs)
    drv = webdriver.Chrome(service=Service(driver), options=options)
    drv.implicitly_wait(5)
    return drv


@pytest.fixture
def browser() -> Iterator[Any]:
    drv = _chromium()
    try:
        yield drv
    finally:
        drv.quit()


@pytest.fixture
def browser_without_script() -> Iterator[Any]:
    """Chromium with JavaScript switched off (as some office browsers have it)."""
    drv = _chromium(script=False)
    try:
        yield drv
    finally:
        drv.quit()


class Pages:
    """Small helpers over the driver: visit, log in, click, fill, screenshot."""

    def __init__(self, driver: Any, base_url: str, name: str) -> None:
        self.driver = driver
        self.base_url = base_url
        self.folder = ARTIFACTS / name
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()
        self.n = 0

    def shot(self, label: str) -> None:
        self.n += 1
        self.driver.save_screenshot(str(self.folder / f"{self.n:02d}-{label}.png"))

    def visit(self, path: str) -> None:
        self.driver.get(self.base_url + path)

    def find(self, css: str) -> Any:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def fill(self, name: str, value: str) -> None:
        field = self.find(f'[name="{name}"]')
        field.clear()
        field.send_keys(value)

    def select(self, name: str, visible_text: str) -> None:
        from selenium.webdriver.support.ui import Select

        Select(self.find(f'select[name="{name}"]')).select_by_visible_text(visible_text)

    def click(self, css: str) -> None:
        """Click something that does not leave the page (a checkbox, a radio button)."""
        self.find(css).click()

    def width(self, pixels: int, height: int = 900) -> None:
        """Make the page ``pixels`` wide (the viewport, as a phone or a desk screen).

        The window's frame, if any, lies outside the viewport; and on a loaded machine the
        page reports its new size a moment after the resize. So: resize, wait until the
        window says it has the new size, add the frame it then shows, and wait until the
        viewport is as wide as asked."""
        self.driver.set_window_size(pixels, height)
        inner, outer = self._settled_width(lambda _inner, outer: outer == pixels)
        frame = max(0, outer - inner)
        if frame:
            self.driver.set_window_size(pixels + frame, height)
            self._settled_width(lambda inner, _outer: inner == pixels)

    def _settled_width(self, done: Any) -> tuple[int, int]:
        for _ in range(100):
            inner, outer = self.driver.execute_script(
                "return [window.innerWidth, window.outerWidth]"
            )
            if done(inner, outer):
                break
            time.sleep(0.05)
        return int(inner), int(outer)

    def scrolls_sideways(self) -> bool:
        """Whether the page itself is wider than the window (a table scrolling in its
        own box does not count)."""
        return bool(
            self.driver.execute_script(
                "return document.documentElement.scrollWidth > window.innerWidth"
            )
        )

    def whole_page(self, label: str) -> None:
        """A screenshot of the whole page, top to bottom, at the current width."""
        size = self.driver.get_window_size()
        frame = size["height"] - self.driver.execute_script("return window.innerHeight")
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.set_window_size(size["width"], min(height + frame, 4000))
        self.shot(label)
        self.driver.set_window_size(size["width"], size["height"])

    def dialog_text(self) -> str:
        """The text of the open confirmation dialog ('' when none is open)."""
        from selenium.common.exceptions import WebDriverException

        try:
            return str(
                self.driver.execute_script(
                    "var d = document.getElementById('confirm-dialog');"
                    "return d && d.open ? d.innerText : '';"
                )
            )
        except WebDriverException:  # the page is being replaced
            return ""

    def menu(self, href: str) -> None:
        """Open a page from the menu as a person does: on a desk screen the entry's group
        opens when the pointer rests on it (on a phone the 菜单 switch opens them all)."""
        from selenium.webdriver.common.action_chains import ActionChains

        link = f'#menu a[href="{href}"]'
        group = self.find(link).find_element("xpath", "ancestor::li[contains(@class, 'navgroup')]")
        ActionChains(self.driver).move_to_element(group).perform()
        self.go(link)

    def go(self, css: str, confirm: bool = False) -> None:
        """Click a button or link that loads a new page, and wait for it. An action
        that cannot be undone opens the confirmation dialog: ``confirm=True`` says the
        test expects it and presses 确认 in it."""
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.support.ui import WebDriverWait

        old = self.find("html")
        self.find(css).click()
        if confirm:
            WebDriverWait(self.driver, 5).until(lambda _driver: self.dialog_text())
            assert "请确认" in self.dialog_text(), self.dialog_text()
            self.find("#confirm-dialog-yes").click()
        elif self.dialog_text():
            raise AssertionError(f"{css} asks for confirmation: go({css!r}, confirm=True)")

        def left(_driver: Any) -> bool:
            # While the old page goes away chromium may answer "stale element" or, in the
            # middle of the swap, an inspector error about a node that left the document:
            # both mean the old page is gone.
            try:
                old.is_enabled()
            except WebDriverException:
                return True
            return False

        WebDriverWait(self.driver, 15).until(left)
        WebDriverWait(self.driver, 15).until(
            lambda driver: driver.execute_script("return document.readyState") == "complete"
        )
        self.find("body")

    def text(self) -> str:
        return str(self.find("body").text)

    def downloaded(self, suffix: str, timeout: float = 15) -> Path:
        """The file the browser downloaded (waits for it to be complete)."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = [p for p in DOWNLOADS.glob(f"*{suffix}") if not p.name.endswith(".crdownload")]
            if done:
                return done[0]
            time.sleep(0.2)
        raise AssertionError(f"no {suffix} file was downloaded")

    def login(self, username: str, password: str = "Demo@2026") -> None:
        self.driver.delete_all_cookies()
        self.visit("/accounts/login/")
        self.fill("username", username)
        self.fill("password", password)
        self.go('button[type="submit"].primary')
