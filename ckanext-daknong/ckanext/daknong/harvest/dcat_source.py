"""A DCAT catalogue (Turtle, RDF/XML, JSON-LD), read with ckanext-dcat's parser and profiles.

ckanext-dcat turns RDF into CKAN dicts (DCAT-AP profiles) and follows Hydra paging; this
module maps those dicts into our ``dataset`` schema: the EU access-rights vocabulary and the
source config decide the access level, the EU frequency terms map to our code list.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import ckan.plugins as p
from ckanext.dcat.exceptions import RDFParserException
from ckanext.dcat.processors import RDFParser
from ckanext.harvest.interfaces import IHarvester

from ckanext.daknong import codelists
from ckanext.daknong.harvest import fetch, mapping, netguard
from ckanext.daknong.harvest.engine import DaknongHarvester, Source, SourceError
from ckanext.daknong.harvest.messages import N_

MAX_PAGES = 1000
FORMATS = {
    "ttl": "turtle",
    "rdf": "xml",
    "xml": "xml",
    "jsonld": "json-ld",
    "json": "json-ld",
    "n3": "n3",
    "nt": "nt",
}
NON_PUBLIC = "NON_PUBLIC"
RESTRICTED = "RESTRICTED"


class DaknongDcatHarvester(DaknongHarvester):
    p.implements(IHarvester)
    p.implements(p.IConfigurable, inherit=True)

    source_type = "daknong_dcat"
    plugin_name = "daknong_dcat_harvester"
    title = "DCAT (Đắk Nông)"
    description = "A DCAT catalogue in Turtle, RDF/XML or JSON-LD, paged with Hydra"

    def read_records(self, source: Source) -> Iterator[mapping.RemoteRecord]:
        for number, remote in enumerate(remote_datasets(source), start=1):
            yield to_record(number, remote, source.config)


def rdf_format(url: str, config: dict[str, Any]) -> str:
    if config.get("rdf_format"):
        return str(config["rdf_format"])
    extension = url.rsplit("?", 1)[0].rsplit(".", 1)[-1].lower()
    return FORMATS.get(extension, "xml")


def remote_datasets(source: Source) -> Iterator[dict[str, Any]]:
    """Datasets of every page; a page that fails or does not parse fails the source.

    Pages stay on the registered source's origin (scheme, host, port): ``hydra:nextPage``
    naming another site fails the source before anything is sent there (M6).
    """
    url: str | None = source.url
    visited: set[str] = set()
    home = netguard.origin(source.url)
    while url and len(visited) < MAX_PAGES:
        if url in visited:
            raise SourceError(
                N_("{url}: the catalogue's pages loop back to a page already read", url=url)
            )
        if netguard.origin(url) != home:
            # M6: a catalogue that continues on another site is not the registered source;
            # refused (the token would otherwise travel there, and the records with it).
            raise SourceError(
                N_(
                    "{url}: the catalogue's next page is on another site than the registered "
                    "source {source}",
                    url=url,
                    source=source.url,
                )
            )
        visited.add(url)
        parser = RDFParser()
        body = fetch.get(url, source.token, token_origin=source.url)
        try:
            parser.parse(body.decode("utf-8", errors="strict"), rdf_format(url, source.config))
        except (RDFParserException, UnicodeDecodeError, ValueError) as error:
            raise SourceError(
                N_("{url}: malformed RDF: {error}", url=url, error=str(error)[:300])
            ) from None
        yield from parser.datasets()
        url = parser.next_page()


def _extras(remote: dict[str, Any]) -> dict[str, Any]:
    return {e.get("key"): e.get("value") for e in remote.get("extras") or []}


def _frequency(uri: str | None) -> str | None:
    for entry in codelists.entries("update_frequencies"):
        if uri and entry.get("dcat") == uri:
            return entry["value"]
    return None


def _declared_level(access_rights: str | None) -> str | None:
    """The level dct:accessRights declares (EU access-right authority list), if any.

    A DCAT catalogue is public by nature, so nothing in it counts as a private dataset.
    """
    rights = (access_rights or "").rstrip("/").rsplit("/", 1)[-1].upper()
    return {NON_PUBLIC: "restricted", RESTRICTED: "shared"}.get(rights)


def to_record(number: int, remote: dict[str, Any], config: dict[str, Any]) -> mapping.RemoteRecord:
    extras = _extras(remote)
    remote_id = extras.get("identifier") or extras.get("uri") or ""
    record = mapping.RemoteRecord(number, str(remote_id), remote.get("name"))
    if not remote_id:
        record.errors.append(N_("no dct:identifier and no URI"))
        return record
    declared = _declared_level(extras.get("access_rights"))
    level, warning = mapping.access_level_for(False, declared, remote.get("license_id"), config)
    package: dict[str, Any] = {
        "type": "dataset",
        "title": (remote.get("title") or "").strip(),
        "notes": (remote.get("notes") or "").strip(),
        "access_level": level,
        "tags": mapping.tags([t.get("name", "") for t in remote.get("tags") or []]),
        "resources": mapping.resources(
            [
                {**r, "url": r.get("url") or r.get("access_url") or r.get("download_url")}
                for r in remote.get("resources") or []
            ]
        ),
    }
    if remote.get("license_id"):
        package["license_id"] = remote["license_id"]
    frequency = _frequency(extras.get("frequency"))
    if frequency:
        package["update_frequency"] = frequency
    for key in ("temporal_start", "temporal_end"):
        if extras.get(key):
            package[key] = str(extras[key])[:10]
    if warning:
        record.warnings.append(warning)
    if not package["title"]:
        record.errors.append(N_("title: missing (dct:title)"))
    record.package = package
    return record
