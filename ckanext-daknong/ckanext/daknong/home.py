"""The home page's figures: what the province publishes, read from the search index.

Citizens and businesses land on ``/``: it says how much open data there is (datasets,
agencies publishing it, data files), how much of the shared-database catalogue is published
(QĐ 43 Art. 9.2), which sectors have data, and what is newest. Everything here is what an
anonymous visitor may read: open data sets (``access_level`` open, public, active) and the
published database entries. The figures are read from Solr in four queries and kept for
``ckanext.daknong.home.cache_seconds`` in each web process, so a busy home page costs no more
than a search; a dataset published or withdrawn shows within that time.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.lib.search.common import make_connection
from ckan.lib.search.query import solr_literal

from ckanext.daknong import access, catalogue, codelists, search

# What an anonymous visitor may read of the data sets, as Solr filters.
OPEN_DATASETS = (
    f"+dataset_type:{search.DATASET}",
    f"+access_level:{access.OPEN}",
    f"+permission_labels:{access.PUBLIC_LABEL}",
    "+capacity:public",
)
LISTED = 4  # newest and recently updated datasets shown
TOP_AGENCIES = 6


@dataclasses.dataclass(frozen=True)
class Figures:
    open_datasets: int
    publishing_agencies: int
    published_databases: int
    data_files: int
    sectors: dict[str, int]  # every sector of the code list, most open data first
    top_agencies: list[dict[str, Any]]
    newest: list[dict[str, Any]]
    updated: list[dict[str, Any]]


_lock = threading.Lock()
_kept: tuple[float, Figures] | None = None


def figures() -> Figures:
    """The figures, read again when older than the configured time."""
    global _kept
    keep = tk.config.get("ckanext.daknong.home.cache_seconds")
    with _lock:
        if _kept is not None and keep > 0 and time.monotonic() - _kept[0] < keep:
            return _kept[1]
    fresh = _read()
    with _lock:
        _kept = (time.monotonic(), fresh)
    return fresh


def forget() -> None:
    """Read the figures again at the next request (tests, and after a bulk change)."""
    global _kept
    with _lock:
        _kept = None


def _read() -> Figures:
    counted = _count_open_data()
    agencies = counted["agencies"]
    return Figures(
        open_datasets=counted["datasets"],
        publishing_agencies=len(agencies),
        published_databases=_count_published_databases(),
        data_files=counted["files"],
        # the sectors with most open data first, then the code list's order
        sectors=dict(
            sorted(
                (
                    (entry["value"], counted["sectors"].get(entry["value"], 0))
                    for entry in codelists.entries("sectors")
                ),
                key=lambda pair: -pair[1],
            )
        ),
        top_agencies=_agencies(agencies),
        newest=_open_datasets("metadata_created desc"),
        updated=_open_datasets("metadata_modified desc"),
    )


def _count_open_data() -> dict[str, Any]:
    """Open datasets, per agency and per sector, and their files, in one Solr query.

    Files are counted from a facet on ``num_resources`` (CKAN's schema indexes it as a
    string, so Solr cannot sum it), which ``package_search`` does not offer; the filters are
    those of an anonymous reader, written out (``OPEN_DATASETS``), so nothing that is not
    open data is ever counted.
    """
    site = solr_literal(tk.config.get("ckan.site_id"))
    result = make_connection().search(
        q="*:*",
        fq=[f"+site_id:{site}", *OPEN_DATASETS],
        rows=0,
        facet="true",
        **{
            "facet.field": ["organization", "sector", "num_resources"],
            "facet.limit": -1,
            "facet.mincount": 1,
        },
    )
    facets = result.facets.get("facet_fields", {})
    files = _pairs(facets.get("num_resources", []))
    return {
        "datasets": result.hits,
        "agencies": _pairs(facets.get("organization", [])),
        "sectors": dict(_pairs(facets.get("sector", []))),
        "files": sum(int(resources) * datasets for resources, datasets in files),
    }


def _pairs(flat: list[Any]) -> list[tuple[str, int]]:
    """Solr's ``[value, count, value, count, …]``, most first."""
    return sorted(zip(flat[::2], flat[1::2], strict=True), key=lambda pair: (-pair[1], pair[0]))


def _agencies(counted: list[tuple[str, int]]) -> list[dict[str, Any]]:
    top = counted[:TOP_AGENCIES]
    titles = dict(
        model.Session.query(model.Group.name, model.Group.title).filter(
            model.Group.name.in_([name for name, _ in top]),
            model.Group.is_organization.is_(True),
            model.Group.state == model.State.ACTIVE,
        )
    )
    return [
        {"name": name, "title": titles[name], "open_datasets": count}
        for name, count in top
        if name in titles
    ]


def _anonymous_search(data_dict: dict[str, Any]) -> dict[str, Any]:
    """``package_search`` as an anonymous visitor, whoever is logged in."""
    return tk.get_action("package_search")(
        {"user": "", "ignore_auth": False}, {"include_private": False, **data_dict}
    )


def _count_published_databases() -> int:
    """What the published catalogue page lists (QĐ 43 Art. 9.2), with its own filters."""
    filters = catalogue.Filters().solr_filters()
    return _anonymous_search({"fq_list": filters, "rows": 0})["count"]


def _open_datasets(sort: str) -> list[dict[str, Any]]:
    found = _anonymous_search({"fq_list": list(OPEN_DATASETS), "sort": sort, "rows": LISTED})
    return [
        {
            "name": package["name"],
            "title": package["title"],
            "agency": (package.get("organization") or {}).get("title", ""),
            "sector": package.get("sector") or "",
            "formats": sorted(
                {r["format"].upper() for r in package.get("resources", []) if r.get("format")}
            ),
            "metadata_created": package["metadata_created"],
            "metadata_modified": package["metadata_modified"],
        }
        for package in found["results"]
    ]
