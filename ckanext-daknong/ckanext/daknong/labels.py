"""Labels of schema fields and of their coded values, read from the scheming schemas.

Search facets, the published catalogue and its downloads say what the forms say: a label is
written once, bilingually, in ``schemas/*.yaml`` (or a code list), never again in code.
"""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

ORGANIZATION = "organization"


def schema_field(
    schema_type: str, field_name: str, subfield_of: str | None = None
) -> dict[str, Any] | None:
    """A field of the ``schema_type`` dataset schema (or the organisation schema), or of one
    of its repeating fields; None when it is not declared."""
    if schema_type == ORGANIZATION:
        fields = (tk.h.scheming_get_organization_schema(ORGANIZATION) or {}).get("fields")
    else:
        fields = (tk.h.scheming_get_dataset_schema(schema_type) or {}).get("dataset_fields")
    if subfield_of:
        parent = tk.h.scheming_field_by_name(fields or [], subfield_of) or {}
        fields = parent.get("repeating_subfields")
    return tk.h.scheming_field_by_name(fields or [], field_name)


def field_label(
    schema_type: str, field_name: str, subfield_of: str | None = None, lang: str | None = None
) -> str:
    """The field's label in ``lang`` (default: the user's language), or its name."""
    field = schema_field(schema_type, field_name, subfield_of)
    return language_text(field.get("label", field_name), lang) if field else field_name


def choice_labels(
    schema_type: str, field_name: str, subfield_of: str | None = None
) -> dict[str, str]:
    """``value → label`` of the field's choices (or code list) in the user's language; empty
    for free text or an undeclared field."""
    field = schema_field(schema_type, field_name, subfield_of)
    choices = (tk.h.scheming_field_choices(field) if field else None) or []
    return {c["value"]: language_text(c.get("label", c["value"])) for c in choices}


def language_text(text: Any, lang: str | None = None) -> str:
    """A schema's ``{vi: …, en: …}`` text in ``lang`` or the current language.

    Unlike scheming's helper it also works outside a request (CLI, background jobs), where
    package_search still calls our hooks: the default locale is used there.
    """
    if not isinstance(text, dict):
        return str(text)
    current = lang
    if current is None:
        try:
            current = tk.h.lang()
        except RuntimeError:
            current = None
    for code in (current, tk.config.get("ckan.locale_default"), "en"):
        if code in text:
            return text[code]
    return next(iter(text.values()), "")
