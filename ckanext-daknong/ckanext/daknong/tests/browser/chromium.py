"""Headless Chromium driven by Selenium, and the portal under gunicorn with an ini of its own.

Nothing here is mocked: the browser is Debian's Chromium through its ChromeDriver, the pages
come from the portal's production WSGI server (``live_portal.gunicorn``) on loopback, and the
accessibility engine is axe-core from npm, injected into each page as a browser extension would.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from ckanext.daknong.tests.live_portal import REPO_ROOT

CHROMIUM = os.environ.get("DAKNONG_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("DAKNONG_CHROMEDRIVER", "/usr/bin/chromedriver")
AXE_SCRIPT = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
# Where a failing browser test leaves its screenshot and page source.
OUTPUT = Path(os.environ.get("DAKNONG_TEST_OUTPUT", REPO_ROOT / "deployment/local/test-output"))
WAIT_SECONDS = 20
DESKTOP = (1366, 900)
PHONE = (375, 812)


def _require(path: str, package: str) -> str:
    found = path if os.access(path, os.X_OK) else shutil.which(Path(path).name)
    if not found:
        pytest.fail(f"{path} is missing: `make test` installs it (apt-get install {package})")
    return found


def start(size: tuple[int, int] = DESKTOP, language: str = "vi") -> WebDriver:
    """A new headless Chromium window of ``size`` pixels (CSS), preferring ``language``."""
    options = webdriver.ChromeOptions()
    options.binary_location = _require(CHROMIUM, "chromium")
    for argument in (
        "--headless=new",
        "--no-sandbox",  # root in CI containers
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        f"--window-size={size[0]},{size[1]}",
        f"--lang={language}",
    ):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": language})
    service = Service(executable_path=_require(CHROMEDRIVER, "chromium-driver"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(60)
    return driver


@contextlib.contextmanager
def browser(size: tuple[int, int] = DESKTOP) -> Iterator[WebDriver]:
    driver = start(size)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(driver: WebDriver, css: str, seconds: float = WAIT_SECONDS) -> Any:
    """The first element matching ``css`` once it is visible."""
    return WebDriverWait(driver, seconds).until(
        expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, css))
    )


MAIN = "main, [role=main]"


def wait_for_page(driver: WebDriver, seconds: float = WAIT_SECONDS) -> Any:
    """The page's main landmark, once the page has one (every page of the portal has)."""
    return WebDriverWait(driver, seconds).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, MAIN))
    )


def click(driver: WebDriver, element: Any) -> None:
    """Click ``element`` as a person would, after scrolling it to the middle of the window
    (the header and open drop-downs would otherwise take the click); at once, not with the
    theme's smooth scrolling, which would still be moving when the click lands."""
    driver.execute_script(
        "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", element
    )
    element.click()


def log_in(driver: WebDriver, base: str, name: str, password: str) -> None:
    """Through the login form, as a person would; fails if the portal does not let them in."""
    driver.get(f"{base}/user/login")
    wait_for(driver, "#field-login").send_keys(name)
    field = driver.find_element(By.ID, "field-password")
    field.send_keys(password)
    field.submit()
    WebDriverWait(driver, WAIT_SECONDS).until(lambda d: "/user/login" not in d.current_url)
    assert driver.find_elements(By.CSS_SELECTOR, ".daknong-account-nav"), driver.current_url


def log_out(driver: WebDriver) -> None:
    driver.delete_all_cookies()


def axe_violations(driver: WebDriver, impacts: tuple[str, ...] = ("serious", "critical")) -> list:
    """axe-core's WCAG 2.1 A/AA violations of the open page with one of ``impacts``."""
    if not AXE_SCRIPT.exists():
        pytest.fail(f"{AXE_SCRIPT} is missing: `make test` installs it (npm ci)")
    driver.execute_script(AXE_SCRIPT.read_text(encoding="utf-8"))
    violations = driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        axe.run(document, {
          runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
          resultTypes: ['violations'],
        }).then(result => done(result.violations.map(v => ({
          id: v.id, impact: v.impact, help: v.help,
          nodes: v.nodes.slice(0, 5).map(n => ({target: n.target, summary: n.failureSummary})),
        })))).catch(error => done([{id: 'axe-error', impact: 'critical', help: String(error),
                                    nodes: []}]));
        """
    )
    return [violation for violation in violations if violation["impact"] in impacts]


def save_evidence(driver: WebDriver, name: str) -> Path:
    """A screenshot and the HTML of the open page, for a failed test."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    safe = "".join(char if char.isalnum() or char in "-_." else "_" for char in name)[:150]
    shot = OUTPUT / f"{safe}.png"
    driver.save_screenshot(str(shot))
    (OUTPUT / f"{safe}.html").write_text(driver.page_source, encoding="utf-8")
    return shot
