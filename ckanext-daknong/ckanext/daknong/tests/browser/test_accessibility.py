"""WCAG 2.1 AA on the portal's main pages, in a real headless Chromium (issue 12 §6).

axe-core (the npm package, pinned in package-lock.json) runs in each page as the visitor sees
it: home, search, dataset, resource, agency, published catalogue (QĐ 43 Art. 9.2) and login as
anyone; the dataset form and the access-request form (NĐ 47 Art. 35.1) as an agency's admin.
No serious or critical violation is allowed. Then what axe cannot see: the keyboard reaches the
content first and always shows where it is (WCAG 2.4.1, 2.4.7), and the pages fit a 375 px
phone without sideways scrolling (WCAG 1.4.10).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from ckanext.daknong.tests import live_portal
from ckanext.daknong.tests.browser import chromium
from ckanext.daknong.tests.factories import Agency, DaknongDataset, Database

PASSWORD = "Thac-Dray-Sap-Krong-No-2026!"


@pytest.fixture(scope="module")
def portal(module_clean_db, tmp_path_factory) -> Iterator[dict]:
    agency = Agency(name="so-nong-nghiep", title="Sở Nông nghiệp và Phát triển nông thôn")
    admin = factories.User(name="snn-quantri", password=PASSWORD, image_url="")
    call_action("organization_member_create", id=agency["id"], username=admin["name"], role="admin")
    Database(owner_org=agency["id"], title="Cơ sở dữ liệu cây trồng", database_type="shared")
    dataset = DaknongDataset(
        owner_org=agency["id"],
        name="dien-tich-ca-phe-2025",
        title="Diện tích cà phê theo huyện năm 2025",
        notes="Diện tích gieo trồng và sản lượng cà phê của các huyện.",
        tags=[{"name": "cà phê"}, {"name": "nông nghiệp"}],
        resources=[
            {"url": "https://example.org/ca-phe.csv", "format": "CSV", "name": "Bảng số liệu"}
        ],
    )
    restricted = DaknongDataset(
        owner_org=agency["id"], access_level="restricted", license_id="other-closed"
    )
    with live_portal.gunicorn(tmp_path_factory.mktemp("a11y"), own_site_url=True) as base:
        yield {
            "base": base,
            "agency": agency,
            "admin": admin,
            "dataset": dataset,
            "restricted": restricted,
        }


def _public_pages(portal: dict) -> dict[str, str]:
    dataset, agency = portal["dataset"], portal["agency"]
    return {
        "home": "/",
        "search": "/dataset/?q=ca+phe",
        "dataset": f"/dataset/{dataset['name']}",
        "resource": f"/dataset/{dataset['name']}/resource/{dataset['resources'][0]['id']}",
        "agency": f"/organization/{agency['name']}",
        "catalogue": "/catalogue",
        "login": "/user/login",
    }


def _report(violations: list) -> str:
    return "\n".join(
        f"{v['impact']} {v['id']}: {v['help']} at {[node['target'] for node in v['nodes']]}"
        for v in violations
    )


@pytest.fixture(scope="module")
def window() -> Iterator:
    with chromium.browser() as driver:
        yield driver


@pytest.mark.parametrize(
    "page", ["home", "search", "dataset", "resource", "agency", "catalogue", "login"]
)
def test_public_pages_have_no_serious_accessibility_violation(portal, window, page, request):
    """Issue 12 §6 (WCAG 2.1 AA): axe finds no serious or critical violation."""
    request.node.daknong_drivers = [window]
    chromium.log_out(window)
    window.get(portal["base"] + _public_pages(portal)[page])
    chromium.wait_for_page(window)
    violations = chromium.axe_violations(window)
    assert not violations, _report(violations)


@pytest.mark.parametrize("page", ["dataset form", "access-request form"])
def test_agency_forms_have_no_serious_accessibility_violation(portal, window, page, request):
    """Issue 12 §6 (WCAG 2.1 AA) on the forms agencies fill: publishing (QĐ 43 Art. 9) and
    asking for restricted data (NĐ 47 Art. 35.1)."""
    request.node.daknong_drivers = [window]
    base = portal["base"]
    if not window.find_elements(By.CSS_SELECTOR, ".daknong-account-nav"):
        chromium.log_in(window, base, portal["admin"]["name"], PASSWORD)
    path = {
        "dataset form": "/dataset/new",
        "access-request form": f"/access-requests/new?dataset={portal['restricted']['name']}",
    }[page]
    window.get(base + path)
    chromium.wait_for(window, "form")
    assert "/user/login" not in window.current_url
    violations = chromium.axe_violations(window)
    assert not violations, _report(violations)


def test_the_keyboard_reaches_the_content_first_and_focus_is_always_visible(
    portal, window, request
):
    """WCAG 2.4.1 and 2.4.7: the first Tab lands on a link that skips to the content; every
    control the keyboard reaches on the home page shows a visible focus indicator."""
    request.node.daknong_drivers = [window]
    chromium.log_out(window)
    window.get(portal["base"] + "/")
    chromium.wait_for_page(window)
    body = window.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    first = window.switch_to.active_element
    assert first.tag_name == "a" and first.get_attribute("href").endswith(
        "#content"
    ), first.get_attribute("outerHTML")
    unseen = []
    for _ in range(25):
        focused = window.switch_to.active_element
        style = window.execute_script(
            "const s = getComputedStyle(arguments[0]);"
            "return [s.outlineStyle, parseFloat(s.outlineWidth), s.boxShadow];",
            focused,
        )
        if (style[0] == "none" or style[1] < 2) and style[2] == "none":
            unseen.append(focused.get_attribute("outerHTML")[:120])
        focused.send_keys(Keys.TAB)
    assert not unseen, unseen


@pytest.mark.parametrize("page", ["home", "search", "dataset", "catalogue"])
def test_pages_fit_a_phone_screen(portal, page, request):
    """WCAG 1.4.10 (reflow): at 375 px nothing needs sideways scrolling, and the search box
    and the page heading are on screen."""
    with chromium.browser(chromium.PHONE) as phone:
        request.node.daknong_drivers = [phone]
        phone.get(portal["base"] + _public_pages(portal)[page])
        chromium.wait_for_page(phone)
        widths = phone.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth];"
        )
        assert widths[0] <= widths[1], f"{page}: {widths[0]} px of content in {widths[1]} px"
        heading = phone.find_element(By.CSS_SELECTOR, "h1")
        box = heading.rect
        assert heading.is_displayed() and box["x"] >= 0 and box["x"] + box["width"] <= widths[1]
