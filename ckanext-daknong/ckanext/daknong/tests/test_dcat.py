"""DCAT publication for the national portal (NĐ 47 Art. 17–21): our datasets serialise."""

from __future__ import annotations

import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.daknong.tests.factories import Agency

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


@pytest.fixture
def open_dataset():
    sysadmin = factories.Sysadmin()
    return call_action(
        "package_create",
        context={"user": sysadmin["name"]},
        name="dan-so-theo-xa-2024",
        title="Dân số theo xã năm 2024",
        notes="Số dân theo xã.",
        owner_org=Agency()["id"],
        access_level="open",
        license_id="cc-by",
        sector="population",
        update_frequency="annual",
        spatial_units=["662", "663"],
        temporal_start="2024-01-01",
        temporal_end="2024-12-31",
        data_sources="Cục Thống kê tỉnh",
    )


@pytest.mark.parametrize("path", ["/catalog.ttl", "/catalog.rdf", "/catalog.jsonld"])
def test_catalogue_serialises_a_dataset_with_every_portal_field(app, open_dataset, path):
    response = app.get(path)

    assert response.status_code == 200
    assert open_dataset["id"] in response.get_data(as_text=True)


def test_dataset_document_carries_the_title(app, open_dataset):
    response = app.get(f"/dataset/{open_dataset['name']}.ttl")

    assert response.status_code == 200
    assert "Dân số theo xã năm 2024" in response.get_data(as_text=True)
