"""The province's identity is configuration (issue 12 §1; the province merged into Lâm Đồng
on 1 July 2025): name, operator, emblem, colours, contact and legal basis change with a
setting, and a setting that would break or leak a page stops the portal at start-up."""

from __future__ import annotations

import re

import pytest
from ckan.exceptions import CkanConfigurationException

from ckanext.daknong import identity

pytestmark = pytest.mark.usefixtures("with_plugins")


def _page(app, url: str = "/about") -> str:
    response = app.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_header_and_footer_show_the_configured_province_by_default(app):
    page = _page(app)
    assert "Tỉnh Đắk Nông" in page
    assert "Sở Khoa học và Công nghệ tỉnh Đắk Nông" in page  # the operator
    assert "Quyết định số 43/2022/QĐ-UBND" in page  # the legal basis in the footer
    assert 'src="/daknong/emblem.svg"' in page
    assert "--daknong-primary: #9b1c1c" in page
    title = re.search(r"<title>(.*?)</title>", page, flags=re.S).group(1)
    assert "Cổng dữ liệu tỉnh Đắk Nông" in title and "CKAN" not in title


@pytest.mark.ckan_config("ckanext.daknong.province_name", "Lâm Đồng")
@pytest.mark.ckan_config("ckanext.daknong.portal.title_vi", "Cổng dữ liệu tỉnh Lâm Đồng")
@pytest.mark.ckan_config("ckanext.daknong.portal.operator_vi", "Sở KH&CN tỉnh Lâm Đồng")
@pytest.mark.ckan_config("ckanext.daknong.portal.primary_colour", "#0b5394")
@pytest.mark.ckan_config("ckanext.daknong.portal.phone", "0263 382 2222")
@pytest.mark.ckan_config("ckanext.daknong.portal.legal_basis", "data_sharing_decree")
def test_a_merged_province_is_a_configuration_change(app):
    page = _page(app)
    assert "Tỉnh Lâm Đồng" in page and "Tỉnh Đắk Nông" not in page
    assert "Cổng dữ liệu tỉnh Lâm Đồng" in page
    assert "Sở KH&amp;CN tỉnh Lâm Đồng" in page  # escaped, as any configured text
    assert "--daknong-primary: #0b5394" in page
    assert 'href="tel:02633822222"' in page
    assert "Nghị định số 47/2020/NĐ-CP" in page
    assert "Quyết định số 43/2022/QĐ-UBND của UBND tỉnh Đắk Nông" not in page


def test_the_about_page_describes_the_portal_not_ckan(app):
    page = _page(app)
    assert "CKAN is the world" not in page
    assert "là nơi các cơ quan nhà nước tỉnh Đắk Nông công bố dữ liệu" in page


def test_in_english_the_portal_has_its_english_name(app):
    page = _page(app, "/en/about")
    assert "Đắk Nông Provincial Data Portal" in page
    assert "Province of Đắk Nông" in page
    assert "Decision 43/2022/QĐ-UBND" in page


def test_ckan_is_credited_once_small_in_the_footer(app):
    page = _page(app)
    footer = page[page.index('<footer class="site-footer">') :]
    assert footer.count("CKAN") == 1
    assert "CKAN Association" not in page
    assert not re.search(r'<meta name="generator"', page)


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("primary_colour", "red", "#rrggbb"),
        ("accent_colour", "#12345", "#rrggbb"),
        ("emblem", "https://upload.wikimedia.org/emblem.svg", "another host"),
        ("legal_basis", "shared_database_regulation decree_13", "decree_13"),
    ],
)
def test_a_broken_setting_stops_the_portal_saying_which(option, value, says, ckan_config):
    config = dict(ckan_config)
    config[identity.OPTION + option] = value
    with pytest.raises(CkanConfigurationException, match=re.escape(says)):
        identity.check(config)


def test_the_default_settings_pass_the_check(ckan_config):
    identity.check(dict(ckan_config))
