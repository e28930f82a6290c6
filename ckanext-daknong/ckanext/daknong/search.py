"""Search: which of our fields Solr indexes and facets, and diacritic-insensitive matching."""

from __future__ import annotations

from typing import Any


def dataset_facets(facets: dict[str, Any], package_type: str) -> dict[str, Any]:
    """Facets of the dataset search page."""
    return facets


def organization_facets(
    facets: dict[str, Any], organization_type: str, package_type: str | None
) -> dict[str, Any]:
    """Facets of an agency's page."""
    return facets


def before_dataset_index(data: dict[str, Any]) -> dict[str, Any]:
    """Adjust the Solr document of a dataset before it is indexed."""
    return data


def before_dataset_search(params: dict[str, Any]) -> dict[str, Any]:
    """Adjust search parameters before they reach Solr."""
    return params
