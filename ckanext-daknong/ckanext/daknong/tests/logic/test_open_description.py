"""Open data must have a description (NĐ 47 Art. 17–19): DCAT-AP requires dct:description on
every published dataset, so the portal refuses open data without one, on every write path."""

from __future__ import annotations

import ckan.plugins.toolkit as tk
import pytest
from ckan.tests.helpers import call_action

from ckanext.daknong.tests.factories import DaknongDataset

MESSAGE = "Open data must have a description"

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db")


@pytest.mark.parametrize("notes", [None, "", "   \n"])
def test_open_data_without_a_description_is_refused(agency, notes):
    """NĐ 47 Art. 17–19: an open dataset without a description would fail DCAT-AP."""
    with pytest.raises(tk.ValidationError) as error:
        DaknongDataset(owner_org=agency["id"], notes=notes)

    assert error.value.error_dict["notes"][0].startswith(MESSAGE)


@pytest.mark.parametrize("level", ["shared", "restricted"])
def test_unpublished_data_may_go_without_a_description(agency, level):
    """Shared and restricted data never reach the open-data catalogue (QĐ 43 Art. 10–11)."""
    dataset = DaknongDataset(
        owner_org=agency["id"], notes="", access_level=level, license_id="other-closed"
    )

    assert dataset["access_level"] == level


def test_opening_a_dataset_without_a_description_is_refused(agency):
    """The rule holds when shared data is made open later (package_patch), not only at create."""
    dataset = DaknongDataset(
        owner_org=agency["id"], notes="", access_level="shared", license_id="other-closed"
    )

    with pytest.raises(tk.ValidationError) as error:
        call_action("package_patch", id=dataset["id"], access_level="open", license_id="cc-by")

    assert error.value.error_dict["notes"][0].startswith(MESSAGE)
