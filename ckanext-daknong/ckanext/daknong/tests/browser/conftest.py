"""A failing browser test leaves a screenshot and the page's HTML under the test output
(``deployment/local/test-output/`` unless ``DAKNONG_TEST_OUTPUT`` says otherwise)."""

from __future__ import annotations

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from ckanext.daknong.tests.browser import chromium


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    drivers = [value for value in item.funcargs.values() if isinstance(value, WebDriver)]
    drivers += [d for d in getattr(item, "daknong_drivers", []) if d not in drivers]
    for number, driver in enumerate(drivers):
        try:
            shot = chromium.save_evidence(driver, f"{item.nodeid}-{number}")
        except Exception as error:  # the browser itself may be what failed
            report.sections.append(("browser", f"no screenshot: {error}"))
        else:
            report.sections.append(("browser", f"screenshot: {shot}"))


@pytest.fixture
def window(request):
    """A fresh desktop-size Chromium for one test; its screenshot is kept if the test fails."""
    driver = chromium.start()
    request.node.daknong_drivers = [driver]
    yield driver
    driver.quit()
