"""No page makes the visitor's browser ask another host for anything (issue 12, §5).

Before the fix every logged-in page loaded the user's avatar from Gravatar (an unsalted hash of
the e-mail address, sent to a foreign service with the visitor's address: personal data under
NĐ 13/2023), and the Content-Security-Policy let any https host serve images. The pages are
fetched as each kind of user the portal has and their HTML is read for everything a browser
loads by itself: scripts, style sheets, icons, images, frames, media, fonts and ``url()`` in
styles. Links the visitor may follow (``<a href>``) are not requests and are allowed.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from ckan.tests import factories

from ckanext.daknong.tests import page_types
from ckanext.daknong.tests.factories import Agency, DaknongDataset, Database, agency_member

pytestmark = pytest.mark.usefixtures("with_plugins")

# Attributes whose URL the browser fetches without a click, per element.
LOADED = {
    "script": ("src",),
    "img": ("src", "srcset"),
    "iframe": ("src",),
    "frame": ("src",),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "track": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "input": ("src",),
    "image": ("href", "xlink:href"),
    "use": ("href", "xlink:href"),
}
# <link rel=...> values that make the browser fetch the target.
LOADED_LINKS = {
    "stylesheet",
    "icon",
    "shortcut",
    "apple-touch-icon",
    "preload",
    "prefetch",
    "modulepreload",
    "manifest",
    "dns-prefetch",
    "preconnect",
    "mask-icon",
}
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)|@import\s+['"]([^'"]+)""", re.IGNORECASE)


class _Loads(HTMLParser):
    """Every URL of a page that a browser would load by itself."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name in LOADED.get(tag, ()):
            if values.get(name):
                if name == "srcset":
                    self.urls += [
                        part.split()[0] for part in values[name].split(",") if part.strip()
                    ]
                else:
                    self.urls.append(values[name])
        if tag == "link" and set(values.get("rel", "").lower().split()) & LOADED_LINKS:
            self.urls.append(values.get("href", ""))
        if values.get("style"):
            self._css(values["style"])
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self._css(data)

    def _css(self, text: str) -> None:
        self.urls += [url or imported for url, imported in CSS_URL.findall(text)]


def foreign_loads(html: str, site_host: str) -> list[str]:
    """The URLs in ``html`` that a browser would load from a host other than the portal's."""
    parser = _Loads()
    parser.feed(html)
    foreign = []
    for url in parser.urls:
        parts = urlsplit(url.strip())
        if parts.scheme in ("", "data") and not url.strip().startswith("//"):
            continue  # relative to the portal, or inline data
        if parts.hostname != site_host:
            foreign.append(url)
    return foreign


def test_the_reader_finds_what_a_browser_would_load_from_elsewhere():
    """The check itself: it must see every kind of load, and not count links or own URLs."""
    html = """
      <link rel="stylesheet" href="https://cdn.example.com/a.css">
      <link rel="icon" href="/favicon.ico"><a href="https://ckan.org">CKAN</a>
      <img src="//gravatar.com/avatar/abc?s=22"><img srcset="/a.png 1x, https://x.example/b.png 2x">
      <script src="http://portal.test/webassets/a.js"></script><script src="https://s.example/t.js"></script>
      <div style="background: url('https://img.example/bg.png')"></div>
      <style>@import "https://fonts.example/f.css"; .x{background:url(/own.png)}</style>
      <img src="data:image/png;base64,AAAA">
    """
    assert foreign_loads(html, "portal.test") == [
        "https://cdn.example.com/a.css",
        "//gravatar.com/avatar/abc?s=22",
        "https://x.example/b.png",
        "https://s.example/t.js",
        "https://img.example/bg.png",
        "https://fonts.example/f.css",
    ]


@pytest.fixture(scope="module")
def portal(module_clean_db):
    """Users of every kind the portal has, and something of each kind of page to show them."""
    agency = Agency(title="Sở Tài nguyên và Môi trường")
    other = Agency(title="Sở Y tế")
    admin = agency_member(agency, "admin")
    member = agency_member(agency, "member")
    for user in (admin, member):
        # an e-mail address is what Gravatar would be asked about
        assert user["email"]
    dataset = DaknongDataset(
        owner_org=agency["id"],
        title="Chất lượng nước mặt",
        resources=[{"url": "https://example.org/nuoc.csv", "format": "CSV", "name": "Số liệu"}],
    )
    restricted = DaknongDataset(
        owner_org=agency["id"], access_level="restricted", license_id="other-closed"
    )
    Database(owner_org=agency["id"], title="Cơ sở dữ liệu đất đai")
    return {
        "agency": agency,
        "other": other,
        "dataset": dataset,
        "restricted": restricted,
        "users": {
            "anonymous": None,
            "agency member": member,
            "agency admin": admin,
            "sysadmin": factories.SysadminWithToken(),
        },
    }


def _pages(portal: dict, user: dict | None) -> list[str]:
    pages = [
        *page_types.public_pages(portal["dataset"], portal["agency"]),
        "/dataset/?q=n%C6%B0%E1%BB%9Bc",
        "/api/3/action/status_show",
    ]
    if user:
        pages += [*page_types.account_pages(user, portal["restricted"]), "/dataset/new"]
    return pages


@pytest.mark.parametrize("kind", ["anonymous", "agency member", "agency admin", "sysadmin"])
def test_no_page_loads_anything_from_another_host(app, ckan_config, portal, kind):
    """Issue 12 §5 (and NĐ 13/2023): no asset, font, avatar or script from another host, for
    any kind of user; the user's avatar is the portal's own placeholder, not Gravatar."""
    user = portal["users"][kind]
    headers = {"Authorization": user["token"]} if user else {}
    site_host = urlsplit(ckan_config["ckan.site_url"]).hostname
    seen = {}
    for url in _pages(portal, user):
        response = app.get(url, headers=headers, follow_redirects=False)
        assert response.status_code in (200, 302, 403), (kind, url, response.status_code)
        if response.status_code == 200 and "html" in response.headers.get("Content-Type", ""):
            seen[url] = foreign_loads(response.body, site_host)
    assert len(seen) >= 10, seen.keys()  # the pages really rendered
    assert {url: loads for url, loads in seen.items() if loads} == {}
    if user:
        profile = app.get(f"/user/{user['name']}", headers=headers).body
        assert "gravatar" not in profile.lower()


def test_the_content_security_policy_lets_no_other_host_serve_a_page_anything(app):
    """Issue 12 §5: the browser itself refuses what a template or a user's text might still
    link (an image URL in a description, an agency's emblem given as a link)."""
    csp = app.get("/").headers["Content-Security-Policy"]
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in csp.split(";") if part.strip()
    )
    for directive in (
        "default-src",
        "script-src",
        "style-src",
        "img-src",
        "font-src",
        "connect-src",
        "frame-src",
    ):
        sources = directives.get(directive, directives["default-src"])
        assert all(
            source in ("'self'", "'none'", "'unsafe-inline'", "data:") for source in sources
        ), (directive, sources)


@pytest.mark.usefixtures("clean_db")
class TestAgencyLogoIsTheAgencysOwnFile:
    """Issue 12 §5: an agency's emblem is uploaded, not linked from another host."""

    def test_a_logo_linked_from_another_host_is_refused_in_vietnamese(self, app):
        sysadmin = factories.SysadminWithToken()
        response = app.post(
            "/api/3/action/organization_create",
            json={
                "name": "so-cong-thuong",
                "title": "Sở Công Thương",
                "agency_code": "H16.T900",
                "code_illustrative": True,
                "image_url": "https://placekitten.com/200/200",
            },
            headers={"Authorization": sysadmin["token"]},
            status=409,
        )
        message = " ".join(response.json["error"]["image_url"])
        assert "Hãy tải ảnh lên cổng" in message and "placekitten.com" in message

    @pytest.mark.parametrize(
        "image", ["2026-12-02-101010.000000logo.png", "/base/images/ckan-logo.png", ""]
    )
    def test_an_uploaded_logo_or_one_on_the_portal_is_kept(self, image):
        assert Agency(image_url=image)["image_url"] == image

    def test_a_logo_on_the_portals_own_site_is_kept(self, ckan_config):
        own = ckan_config["ckan.site_url"].rstrip("/") + "/uploads/group/logo.png"
        assert Agency(image_url=own)["image_url"] == own

    def test_a_picture_a_user_links_from_another_host_is_not_shown(self, app):
        """A user's picture is shown to others (their profile, activity): a foreign one is
        replaced by the placeholder rather than loaded."""
        user = factories.User(image_url="https://tracker.example/pixel.png")
        page = app.get(f"/user/{user['name']}").body
        assert "tracker.example" not in page
        assert "user-image" in page or "placeholder" in page.lower()
