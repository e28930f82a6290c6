"""Factories for the portal's schemas: CKAN's own factories miss our required fields.

``Agency`` is an organisation with a unique, valid QĐ 20 ``agency_code`` (required by the
organisation schema) and no logo (CKAN's factory links one on another host);
``DaknongDataset`` is a ``dataset`` owned by a fresh agency.
"""

from __future__ import annotations

import factory
from ckan.tests import factories


class Agency(factories.Organization):
    """An agency organisation with a unique, valid (illustrative) code under H16."""

    agency_code = factory.Sequence(lambda n: f"H16.T{n}")
    code_illustrative = True
    # CKAN's factory links an image on another host, which the portal refuses
    # (daknong_own_image); pass one to test that.
    image_url = ""


class DaknongDataset(factories.Dataset):
    """A ``dataset`` of a fresh agency; open data with an open licence unless told otherwise."""

    owner_org = factory.LazyFunction(lambda: Agency()["id"])
    access_level = "open"
    license_id = "cc-by"


class Database(factories.Dataset):
    """A ``database`` catalogue entry of a fresh agency."""

    type = "database"
    owner_org = factory.LazyFunction(lambda: Agency()["id"])
    database_type = "shared"


def agency_member(org: dict, role: str = "member") -> dict:
    """A user with an API token who is a member of ``org`` with ``role``, without a picture
    (CKAN's factory links one on another host; the portal shows its placeholder instead)."""
    from ckan.tests.helpers import call_action

    user = factories.UserWithToken(image_url="")
    call_action("organization_member_create", id=org["id"], username=user["name"], role=role)
    return user
