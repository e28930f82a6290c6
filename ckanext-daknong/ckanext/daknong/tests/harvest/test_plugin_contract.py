"""Design change 4: the core plugin does not need ckanext-harvest; the harvest hardening is
registered by ``daknong_harvest`` only, which needs ``harvest`` and ``daknong``."""

from __future__ import annotations

import pytest
from ckan.tests import factories

from ckanext.daknong.tests.factories import DaknongDataset

CORE_ONLY = "daknong scheming_datasets scheming_organizations"


@pytest.mark.ckan_config("ckan.plugins", CORE_ONLY)
@pytest.mark.usefixtures("with_plugins", "clean_index")
def test_the_core_plugin_starts_and_answers_without_harvest(app, reset_db):
    import ckan.plugins as p
    from ckan.logic import get_action

    reset_db()
    assert not p.plugin_loaded("harvest")
    sysadmin = factories.SysadminWithToken()
    dataset = DaknongDataset()

    shown = app.post(
        "/api/3/action/package_show",
        json={"id": dataset["id"]},
        headers={"Authorization": sysadmin["token"]},
    )

    assert shown.status_code == 200 and shown.json["result"]["id"] == dataset["id"]
    with pytest.raises(KeyError):
        get_action("harvest_source_list")
