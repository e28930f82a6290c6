"""A consumer's check of the DCAT publication (NĐ 47 Art. 19–21): ckanext-dcat's stock
``dcat_rdf`` harvester, run against our ``/catalog.ttl``, imports every open dataset as open
data with its licence, and nothing as open that is not.

The catalogue is read from the portal itself and served from a local HTTP server, as the
national portal would fetch it. The stock harvester is loaded for this module only and is
registered with the internal context key that lets an unguarded source type in.
"""

from __future__ import annotations

import json
from typing import Any

import ckan.plugins.toolkit as tk
import pytest
from ckan import model
from ckan.tests import factories
from ckan.tests.helpers import _get_test_app, call_action
from ckanext.harvest.model import HarvestObject

from ckanext.daknong.tests.factories import Agency
from ckanext.daknong.tests.harvest.helpers import run_job
from ckanext.daknong.tests.harvest.servers import LocalServer

PLUGINS = (
    "activity daknong daknong_sharing_log scheming_datasets scheming_organizations harvest dcat "
    "daknong_harvest daknong_ckan_harvester daknong_dcat_harvester daknong_spreadsheet_harvester "
    "dcat_rdf_harvester"
)

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


def _publish() -> dict[str, dict[str, Any]]:
    sysadmin = factories.Sysadmin()
    agency = Agency()

    def create(**fields: Any) -> dict[str, Any]:
        return call_action(
            "package_create", context={"user": sysadmin["name"]}, owner_org=agency["id"], **fields
        )

    resources = [{"url": "https://example.org/bang.csv", "format": "CSV"}]
    return {
        "cc-by": create(
            name="dan-so",
            title="Dân số theo xã",
            notes="Số dân.",
            access_level="open",
            license_id="cc-by",
            resources=resources,
        ),
        "nd47": create(
            name="gia-dat",
            title="Bảng giá đất",
            notes="Giá đất.",
            access_level="open",
            license_id="nd47-open-data-terms",
            resources=resources,
        ),
        "shared": create(
            name="noi-bo",
            title="Hồ sơ nội bộ",
            notes="Nội bộ.",
            access_level="shared",
            license_id="other-closed",
        ),
        "database": create(
            type="database",
            name="csdl-dan-cu",
            title="Cơ sở dữ liệu dân cư",
            notes="Dân cư.",
            database_type="shared",
            data_items=[{"item_name": "Nhân thân", "sharing_category": "restricted"}],
        ),
    }


def _imported(source_id: str) -> dict[str, dict[str, Any]]:
    """title → the imported dataset."""
    model.Session.expire_all()
    objects = model.Session.query(HarvestObject).filter_by(
        harvest_source_id=source_id, current=True
    )
    found = {}
    for obj in objects:
        dataset = call_action("package_show", context={"ignore_auth": True}, id=obj.package_id)
        found[dataset["title"]] = dataset
    return found


def test_stock_dcat_harvester_imports_the_open_data_with_its_licence(monkeypatch):
    """NĐ 47 Art. 19–21: what we publish is read back by a stock consumer as published: open
    datasets open, with their licences (CC-BY and the NĐ 47 terms); the database entry not as
    open data; shared data is not in the catalogue at all."""
    published = _publish()
    catalogue = _get_test_app().get("/catalog.ttl").get_data()
    with LocalServer() as server:
        server.static("/catalog.ttl", catalogue, "text/turtle")
        source = call_action(
            "harvest_source_create",
            context={"user": factories.Sysadmin()["name"], "daknong_unguarded_harvester": True},
            name="cong-du-lieu-tinh",
            title="Cổng dữ liệu tỉnh",
            url=server.url + "/catalog.ttl",
            source_type="dcat_rdf",
            frequency="MANUAL",
            owner_org=Agency()["id"],
            config=json.dumps({}),
        )
        # The consumer reads with DCAT-AP 2's reader (our DCAT-AP 3 documents are compatible):
        # DCAT-AP 3's scheming reader fills structured fields (publisher, contact …) that only
        # a schema with those fields accepts, and the consumer's schema here is ours.
        monkeypatch.setitem(tk.config, "ckanext.dcat.rdf.profiles", "euro_dcat_ap_2 daknong")
        result = run_job(source["id"])

    imported = _imported(source["id"])
    assert result["gather_errors"] == [] and result["object_errors"] == [], result
    assert set(imported) == {
        published["cc-by"]["title"],
        published["nd47"]["title"],
        published["database"]["title"],
    }
    for key, licence in (("cc-by", "cc-by"), ("nd47", "nd47-open-data-terms")):
        dataset = imported[published[key]["title"]]
        assert (dataset["access_level"], dataset["license_id"]) == ("open", licence)
        assert dataset["private"] is False
    database = imported[published["database"]["title"]]
    assert database["access_level"] == "restricted" and database["private"] is True
