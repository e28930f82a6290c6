"""An agency's own CKAN portal, read through its Action API, private datasets included.

Unlike ckanext-harvest's CKAN harvester this one asks for private datasets
(``include_private``) with the token the agency granted, maps into our scheming schemas and
pages through ``package_search`` in a stable order (by id) so that no dataset is skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckanext.harvest.interfaces import IHarvester

from ckanext.daknong import licenses
from ckanext.daknong.harvest import fetch, mapping
from ckanext.daknong.harvest.engine import DaknongHarvester, Source, SourceError
from ckanext.daknong.harvest.messages import N_

PAGE_SIZE = 100
DATABASE_FIELDS = (
    "database_type",
    "purpose",
    "scope",
    "foundation_data",
    "collection_mechanism",
    "update_mechanism",
    "data_items",
    "sharing_services",
    "legal_basis",
    "data_use_regulation",
    "log_retention_months",
    "last_reviewed",
)
COMMON_FIELDS = (
    "title",
    "notes",
    "sector",
    "update_frequency",
    "data_sources",
    "license_id",
    "temporal_start",
    "temporal_end",
    "spatial_units",
    "contact_name",
    "contact_email",
)


class DaknongCkanHarvester(DaknongHarvester):
    p.implements(IHarvester)
    p.implements(p.IConfigurable, inherit=True)

    source_type = "daknong_ckan"
    plugin_name = "daknong_ckan_harvester"
    title = "CKAN (Đắk Nông)"
    description = "An agency's CKAN portal through its Action API, private datasets included"

    def validate_config(self, config: str | None) -> str | None:
        super().validate_config(config)
        page_size = json.loads(config or "{}").get("page_size", PAGE_SIZE)
        if not isinstance(page_size, int) or not 1 <= page_size <= 1000:
            raise tk.ValidationError({"config": ["page_size: 1 to 1000"]})
        return config

    def read_records(self, source: Source) -> Iterator[mapping.RemoteRecord]:
        for number, remote in enumerate(remote_datasets(source), start=1):
            yield to_record(number, remote, source.config)


def remote_datasets(source: Source) -> Iterator[dict[str, Any]]:
    """Every dataset of the remote portal, page by page; any failing page fails the source."""
    token = source.token
    rows = source.config.get("page_size", PAGE_SIZE)
    base = source.url.rstrip("/") + "/api/3/action/package_search?"
    start = 0
    while True:
        query = {
            "q": "*:*",
            "rows": rows,
            "start": start,
            "sort": "id asc",
            "include_private": "true" if token else "false",
        }
        page = _result(
            fetch.get(base + urlencode(query), token, token_origin=source.url), base, token
        )
        results = page.get("results") or []
        yield from results
        start += len(results)
        if not results or start >= int(page.get("count") or 0):
            return


def _result(body: bytes, url: str, token: str | None) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except ValueError as error:
        problem = N_("{url}: malformed JSON: {error}", url=url, error=str(error))
        raise SourceError(fetch.scrub(str(problem), token)) from None
    if not isinstance(document, dict) or not document.get("success"):
        raise SourceError(N_("{url}: the CKAN API did not answer with success", url=url))
    result = document.get("result")
    if not isinstance(result, dict):
        raise SourceError(N_("{url}: unexpected answer", url=url))
    return result


def to_record(number: int, remote: Any, config: dict[str, Any]) -> mapping.RemoteRecord:
    if not isinstance(remote, dict) or not remote.get("id"):
        return mapping.RemoteRecord(number, "", None, errors=[N_("not a dataset (no id)")])
    record = mapping.RemoteRecord(number, str(remote["id"]), remote.get("name"))
    dataset_type = "database" if remote.get("type") == "database" else "dataset"
    package: dict[str, Any] = {"type": dataset_type}
    fields = COMMON_FIELDS + (DATABASE_FIELDS if dataset_type == "database" else ())
    for key in fields:
        if remote.get(key) not in (None, "", []):
            package[key] = remote[key]
    # Other portals name open licences by their own ids (uk-ogl, CC-BY-4.0) and a URL:
    # stored under the id the portal knows, else as the source gave it (not open then).
    recognised = licenses.recognise(remote.get("license_id"), remote.get("license_url"))
    if recognised:
        package["license_id"] = recognised
    package["tags"] = mapping.tags([t.get("name", "") for t in remote.get("tags") or []])
    package["resources"] = mapping.resources(remote.get("resources") or [])
    if dataset_type == "dataset":
        level, warning = mapping.access_level_for(
            bool(remote.get("private")),
            remote.get("access_level"),
            package.get("license_id"),
            config,
        )
        package["access_level"] = level
        if warning:
            record.warnings.append(warning)
    if not package.get("title"):
        record.errors.append(N_("title: missing"))
    record.package = package
    return record
