"""The scheming schemas: served by the API, stable field names, every label bilingual."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from ckan.tests.helpers import call_action

from ckanext.daknong import codelists

DATASET_FIELDS = {
    "access_level",
    "database",
    "sector",
    "update_frequency",
    "temporal_start",
    "temporal_end",
    "spatial_units",
    "data_sources",
    "contact_name",
    "contact_email",
    "state_secret",
    "license_id",
    "owner_org",
}
DATABASE_FIELDS = {
    "title",
    "name",
    "notes",
    "owner_org",
    "purpose",
    "scope",
    "database_type",
    "foundation_data",
    "collection_mechanism",
    "update_mechanism",
    "update_frequency",
    "data_sources",
    "data_items",
    "sharing_services",
    "legal_basis",
    "data_use_regulation",
    "log_retention_months",
    "last_reviewed",
    "state_secret",
}
AGENCY_FIELDS = {
    "agency_code",
    "code_illustrative",
    "agency_level",
    "parent",
    "address",
    "website",
    *(
        f"{role}_focal_{part}"
        for role in ("provider", "consumer")
        for part in ("name", "position", "email", "phone")
    ),
    "effective_from",
    "effective_until",
    "successor",
}


def _fields(schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for group in ("dataset_fields", "resource_fields", "fields"):
        for field in schema.get(group) or []:
            yield field
            yield from field.get("repeating_subfields") or []


def _texts(field: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    for key in ("label", "help_text"):
        if key in field:
            yield key, field[key]
    for choice in field.get("choices") or []:
        yield f"choice {choice['value']}", choice["label"]


def _schemas() -> list[dict[str, Any]]:
    return [
        call_action("scheming_dataset_schema_show", type="dataset"),
        call_action("scheming_dataset_schema_show", type="database"),
        call_action("scheming_organization_schema_show", type="organization"),
    ]


@pytest.mark.usefixtures("with_plugins")
class TestSchemasServedByTheApi:
    def test_dataset_schema_has_the_stable_field_names(self):
        schema = call_action("scheming_dataset_schema_show", type="dataset")

        names = {f["field_name"] for f in schema["dataset_fields"]}
        assert schema["dataset_type"] == "dataset"
        assert names >= DATASET_FIELDS

    def test_database_schema_has_the_nd47_art11_4_catalogue_content(self):
        schema = call_action("scheming_dataset_schema_show", type="database")

        fields = {f["field_name"]: f for f in schema["dataset_fields"]}
        assert set(fields) >= DATABASE_FIELDS
        items = {f["field_name"] for f in fields["data_items"]["repeating_subfields"]}
        services = {f["field_name"] for f in fields["sharing_services"]["repeating_subfields"]}
        assert items == {"item_name", "item_description", "sharing_category", "user_categories"}
        assert services == {
            "service_id",
            "service_name",
            "method",
            "endpoint",
            "documentation_url",
            "exchange_structure",
            "capacity",
        }

    def test_database_entries_are_public_metadata(self):
        schema = call_action("scheming_dataset_schema_show", type="database")

        assert schema["after_validators"] == "daknong_public_metadata"

    def test_dataset_schema_keeps_private_derived_from_access_level(self):
        schema = call_action("scheming_dataset_schema_show", type="dataset")

        assert schema["after_validators"] == "daknong_derive_private"

    def test_organization_schema_is_the_agency_schema(self):
        schema = call_action("scheming_organization_schema_show", type="organization")

        names = {f["field_name"] for f in schema["fields"]}
        assert names >= AGENCY_FIELDS
        assert "repeating_subfields" not in str(schema)  # flat fields only

    def test_every_label_help_text_and_choice_is_in_vietnamese_and_english(self):
        missing = [
            (field["field_name"], what)
            for schema in _schemas()
            for field in _fields(schema)
            for what, text in _texts(field)
            if not (isinstance(text, dict) and set(text) == {"vi", "en"} and all(text.values()))
        ]

        assert missing == []

    def test_every_code_list_named_by_a_field_exists(self):
        named = {
            field["codelist"]
            for schema in _schemas()
            for field in _fields(schema)
            if "codelist" in field
        }

        assert named == {
            "sectors",
            "update_frequencies",
            "admin_units",
            "user_categories",
            "leadership_titles",
            "agency_levels",
        }
        assert all(codelists.entries(name) for name in named)
