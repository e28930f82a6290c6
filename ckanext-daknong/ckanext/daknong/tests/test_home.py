"""The home page for citizens and businesses (issue 12 §2; NĐ 47 Art. 17–18: open data is
free, online, with no login).

One small province is built once per module: two agencies publish open data, a third only
restricted data; besides the open data sets there are shared and restricted ones whose
titles must never reach the home page, nor their files its counts, whoever looks.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.daknong import home
from ckanext.daknong.tests.factories import Agency, DaknongDataset, Database
from ckanext.daknong.tests.test_third_party import foreign_loads

pytestmark = pytest.mark.usefixtures("with_plugins")

SECRET_TITLES = ("Hồ sơ cấp giấy chứng nhận quyền sử dụng đất", "Hồ sơ cán bộ công chức")
STOCK_DEMO_TEXT = (
    "Chào mừng gia nhập CKAN",
    "Welcome to CKAN",
    "CKAN Association",
    "420 x 220",
    "E.g. environment",
    "Search data",
    "This is a nice introductory paragraph",
    "CKAN is the world",
)


def _files(*formats: str) -> list[dict]:
    return [
        {"name": f"Tệp {n}", "url": f"https://example.org/{n}.{f.lower()}", "format": f}
        for n, f in enumerate(formats)
    ]


@pytest.fixture(scope="module")
def province(module_clean_db) -> dict:
    land_office = Agency(title="Sở Nông nghiệp và Môi trường")
    health = Agency(title="Sở Y tế")
    interior = Agency(title="Sở Nội vụ")
    made = {
        "land_office": land_office,
        "health": health,
        "interior": interior,
        "open": [
            DaknongDataset(
                owner_org=land_office["id"],
                title="Bản đồ địa chính xã Đắk Mol",
                sector="land",
                resources=_files("CSV", "XLSX"),
            ),
            DaknongDataset(
                owner_org=land_office["id"],
                title="Bảng giá đất năm 2026",
                sector="land",
                resources=_files("CSV", "CSV"),
            ),
            DaknongDataset(
                owner_org=land_office["id"],
                title="Quan trắc chất lượng không khí",
                sector="environment",
                resources=_files("CSV"),
            ),
            DaknongDataset(
                owner_org=health["id"],
                title="Danh sách cơ sở khám bệnh, chữa bệnh",
                sector="health",
                resources=_files("XLSX"),
            ),
        ],
        "shared": DaknongDataset(
            owner_org=land_office["id"],
            title=SECRET_TITLES[0],
            sector="land",
            access_level="shared",
            resources=_files("CSV", "CSV", "CSV"),
        ),
        "restricted": DaknongDataset(
            owner_org=interior["id"],
            title=SECRET_TITLES[1],
            sector="land",
            access_level="restricted",
            resources=_files("XLSX", "XLSX"),
        ),
        "database": Database(owner_org=land_office["id"], title="Cơ sở dữ liệu đất đai"),
    }
    home.forget()
    return made


def _home(app, url: str = "/", user: dict | None = None) -> str:
    headers = {"Authorization": user["token"]} if user else {}
    response = app.get(url, headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _figure(page: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}">([^<]+)<', page)
    assert match, f"no {name} figure on the page"
    return match.group(1)


def _tile_counts(page: str) -> dict[str, str]:
    tiles = re.findall(r'data-sector="([a-z_]+)">.*?daknong-tile-count">([^<]+)<', page, flags=re.S)
    return dict(tiles)


def _listed(page: str, name: str) -> list[str]:
    block = re.search(rf'data-list="{name}">(.*?)</[ou]l>', page, flags=re.S)
    assert block, f"no {name} list on the page"
    return re.findall(r'<a href="[^"]+">([^<]+)</a>', block.group(1))


class TestFigures:
    """What ``home.figures`` counts: open data only (access level open, public, active)."""

    def test_counts_are_those_of_open_data(self, province):
        home.forget()
        figures = home.figures()
        assert figures.open_datasets == 4
        assert figures.publishing_agencies == 2  # the interior office has no open data
        assert figures.data_files == 6  # 2 + 2 + 1 + 1; the shared and restricted files are not
        assert figures.published_databases == 1

    def test_every_sector_of_the_code_list_has_a_count(self, province):
        home.forget()
        sectors = home.figures().sectors
        assert sectors["land"] == 2  # not 4: one shared and one restricted data set are land too
        assert sectors["environment"] == 1
        assert sectors["health"] == 1
        assert sectors["education"] == 0
        # most open data first, then the code list's order
        assert list(sectors)[:3] == ["land", "environment", "health"]

    def test_agencies_are_ranked_by_their_open_data(self, province):
        home.forget()
        ranked = [(a["title"], a["open_datasets"]) for a in home.figures().top_agencies]
        assert ranked == [("Sở Nông nghiệp và Môi trường", 3), ("Sở Y tế", 1)]

    def test_newest_and_updated_lists_hold_open_data_only(self, province):
        home.forget()
        figures = home.figures()
        newest = [d["title"] for d in figures.newest]
        assert newest[0] == "Danh sách cơ sở khám bệnh, chữa bệnh"  # created last
        assert len(newest) == home.LISTED
        listed = newest + [d["title"] for d in figures.updated]
        assert not set(listed) & set(SECRET_TITLES)
        assert figures.newest[0]["formats"] == ["XLSX"]


class TestPage:
    @pytest.mark.parametrize("who", ["anonymous", "sysadmin", "restricted_owner"])
    def test_every_visitor_sees_the_open_figures_and_no_restricted_title(self, app, province, who):
        """The figures are computed as an anonymous reader whoever asks first: a sysadmin
        or the owner of restricted data loading the page must not fill the shared cache
        with what only they may see."""
        home.forget()
        user = None
        if who == "sysadmin":
            user = factories.SysadminWithToken()
        elif who == "restricted_owner":
            user = factories.UserWithToken(image_url="")
            call_action(
                "organization_member_create",
                id=province["interior"]["id"],
                username=user["name"],
                role="admin",
            )
        page = _home(app, user=user)
        assert _figure(page, "open-datasets") == "4"
        assert _figure(page, "data-files") == "6"
        assert _figure(page, "publishing-agencies") == "2"
        assert _figure(page, "published-databases") == "1"
        for title in SECRET_TITLES:
            assert title not in page
        # and the next anonymous visitor gets what the first one computed
        assert _figure(_home(app), "open-datasets") == "4"

    def test_the_page_is_the_portal_s_not_a_ckan_demo(self, app, province):
        home.forget()
        page = _home(app)
        for text in STOCK_DEMO_TEXT:
            assert text not in page
        assert "Tìm kiếm dữ liệu" in page  # the search box's label, in Vietnamese
        assert 'name="q"' in page and 'action="/dataset/"' in page
        assert "Tỉnh Đắk Nông" in page  # the province in the header

    def test_sector_tiles_count_and_link_to_the_sector(self, app, province):
        home.forget()
        page = _home(app)
        tiles = _tile_counts(page)
        assert tiles["land"] == "2 bộ dữ liệu"
        assert tiles["health"] == "1 bộ dữ liệu"
        assert tiles["education"] == "0 bộ dữ liệu"
        assert 'href="/dataset/?sector=land"' in page
        assert "Đất đai" in page  # the sector's label from the code list

    def test_lists_show_titles_agencies_and_vietnamese_dates(self, app, province):
        home.forget()
        page = _home(app)
        assert _listed(page, "newest")[0] == "Danh sách cơ sở khám bệnh, chữa bệnh"
        assert _listed(page, "agencies") == ["Sở Nông nghiệp và Môi trường", "Sở Y tế"]
        assert re.search(r"<time datetime=\"[0-9T:.\-]+\">\d{2}/\d{2}/\d{4}</time>", page)

    def test_links_to_catalogue_terms_api_and_how_to_get_data_all_open(self, app, province):
        home.forget()
        page = _home(app)
        for path in ("/catalogue", "/open-data-terms", "/api-guide", "/request-data"):
            assert f'href="{path}"' in page
            assert app.get(path).status_code == 200

    def test_the_page_loads_nothing_from_another_host(self, app, province, ckan_config):
        home.forget()
        site_host = urlsplit(ckan_config["ckan.site_url"]).hostname
        assert foreign_loads(_home(app), site_host) == []

    def test_in_english(self, app, province):
        home.forget()
        page = _home(app, "/en/")
        assert "open datasets" in page
        assert _tile_counts(page)["land"] == "2 datasets"
        assert _tile_counts(page)["health"] == "1 dataset"
        assert "Land" in page and "Đất đai" not in page
        assert "Đắk Nông Provincial Data Portal" in page

    def test_a_search_without_diacritics_finds_the_data_set(self, app, province):
        page = _home(app, "/dataset/?q=ban+do+dia+chinh")
        assert "Bản đồ địa chính xã Đắk Mol" in page


class TestKeptBriefly:
    """Last in the module: these publish one more open data set."""

    def test_figures_are_kept_then_read_again(self, app, province):
        home.forget()
        assert home.figures().open_datasets == 4
        DaknongDataset(owner_org=province["health"]["id"], title="Danh mục thuốc", sector="health")
        assert home.figures().open_datasets == 4  # kept (60 s by default)
        home.forget()
        assert home.figures().open_datasets == 5

    @pytest.mark.ckan_config("ckanext.daknong.home.cache_seconds", 0)
    def test_with_no_keeping_every_page_is_current(self, app, province):
        before = int(_figure(_home(app), "open-datasets"))
        DaknongDataset(owner_org=province["health"]["id"], title="Danh mục vắc xin")
        assert int(_figure(_home(app), "open-datasets")) == before + 1
