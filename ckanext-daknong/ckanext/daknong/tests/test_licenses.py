"""The portal's licence list (NĐ 47 Art. 18 usage terms besides CC-BY-4.0) and what is open."""

from __future__ import annotations

import json

import pytest
from ckan.tests.helpers import call_action

from ckanext.daknong import licenses


def test_licence_file_is_a_valid_ckan_licence_list():
    entries = json.loads(licenses.LICENSES_FILE.read_text(encoding="utf-8"))

    ids = [entry["id"] for entry in entries]
    assert len(ids) == len(set(ids))
    assert {"nd47-open-data-terms", "cc-by", "other-closed", "notspecified"} <= set(ids)
    assert all(entry["title"] for entry in entries)


@pytest.mark.usefixtures("with_plugins")
class TestRegister:
    def test_ckan_offers_the_portals_licences(self):
        offered = {entry["id"] for entry in call_action("license_list")}

        assert {"nd47-open-data-terms", "cc-by"} <= offered
        assert "gfdl" not in offered  # CKAN's built-in list is replaced, not extended

    def test_nd47_terms_and_cc_by_are_open_closed_ones_are_not(self):
        assert licenses.is_open(licenses.ND47_TERMS)
        assert licenses.is_open("cc-by")
        assert not licenses.is_open("other-closed")
        assert not licenses.is_open("cc-nc")
        assert not licenses.is_open("no-such-licence")
        assert not licenses.is_open(None)

    def test_the_default_url_points_at_the_packaged_file(self, ckan_config):
        assert ckan_config["licenses_group_url"] == licenses.default_group_url()
        assert licenses.default_group_url().startswith("file:///")


def test_an_operators_licence_list_is_kept():
    config = {"licenses_group_url": "https://example.org/licenses.json"}

    licenses.configure(config)

    assert config["licenses_group_url"] == "https://example.org/licenses.json"


@pytest.mark.usefixtures("with_plugins")
@pytest.mark.parametrize(
    ("license_id", "license_url", "expected"),
    [
        ("uk-ogl", "http://reference.data.gov.uk/id/open-government-licence", "uk-ogl"),
        ("OGL-UK-3.0", None, "uk-ogl"),
        ("CC-BY-SA-4.0", None, "cc-by-sa"),
        ("odc-by", None, "odc-by"),
        ("attribution", "http://opendatacommons.org/licenses/by", "odc-by"),
        (None, "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0", "cc-by"),
        (None, "https://creativecommons.org/licenses/by-nc/4.0", "cc-nc"),
        ("proprietary", "https://example.org/our-terms", None),
    ],
)
def test_other_portals_licences_are_recognised_by_id_alias_and_address(
    license_id, license_url, expected
):
    """NĐ 47 Art. 17–18: harvested records keep an open licence however the source names it
    (the open licence list is data: ``data/open_licenses.yaml``); what is not listed stays
    unrecognised, and a recognised closed licence stays closed."""
    recognised = licenses.recognise(license_id, license_url)

    assert recognised == expected
    assert licenses.is_open(recognised) == (expected not in (None, "cc-nc"))
