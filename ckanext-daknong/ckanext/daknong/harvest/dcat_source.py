"""A DCAT catalogue (Turtle, RDF/XML, JSON-LD), read with ckanext-dcat's parser and profiles.

ckanext-dcat turns RDF into CKAN dicts (DCAT-AP profiles) and follows Hydra paging; this
module maps those dicts into our ``dataset`` schema: the EU access-rights vocabulary and the
source config decide the access level, the EU frequency terms map to our code list.

What the profiles leave to us, read from the graph (real feeds, issue 11): the licence, which
DCAT-AP usually puts on the distributions as an EU authority IRI; the text in the reader's
language (``vi``, ``en``, else the original, never a ``-t-`` machine translation when an
original exists); the file type as its short label; the RDF syntax of an address without a
file extension (Content-Type, then the content).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import ckan.plugins as p
from ckanext.dcat.exceptions import RDFParserException
from ckanext.dcat.processors import RDFParser
from ckanext.harvest.interfaces import IHarvester
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from ckanext.daknong import codelists, licenses
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
MEDIA_TYPES = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
    "text/n3": "n3",
    "application/n-triples": "nt",
}
NON_PUBLIC = "NON_PUBLIC"
RESTRICTED = "RESTRICTED"
FILE_TYPES = "http://publications.europa.eu/resource/authority/file-type/"
MEDIA_TYPE_IRIS = (
    "https://www.iana.org/assignments/media-types/",
    "http://www.iana.org/assignments/media-types/",
)
# EU file-type codes whose short label is not the code itself (the others are: CSV, PDF, XLS).
FILE_TYPE_LABELS = {"JSON_LD": "JSON-LD", "RDF_XML": "RDF/XML", "RDF_TURTLE": "Turtle"}
# EU language authority codes (dct:language) → the language tags of the literals.
LANGUAGE_CODES = {"VIE": "vi", "ENG": "en", "FRA": "fr", "NLD": "nl", "DEU": "de"}
PREFERRED_LANGUAGES = ("vi", "en")


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


def rdf_format(url: str, config: dict[str, Any], media_type: str = "", body: str = "") -> str:
    """The RDF syntax of a page: the source config's, else the address's file extension, else
    the Content-Type the server sent, else what the content looks like."""
    if config.get("rdf_format"):
        return str(config["rdf_format"])
    last = urlparse(url).path.rsplit("/", 1)[-1]
    if "." in last and last.rsplit(".", 1)[-1].lower() in FORMATS:
        return FORMATS[last.rsplit(".", 1)[-1].lower()]
    if media_type in MEDIA_TYPES:
        return MEDIA_TYPES[media_type]
    return sniff(body)


def sniff(body: str) -> str:
    """XML starts with ``<?xml`` or an element, JSON-LD with ``{``/``[``; the rest is read as
    Turtle (N-Triples is Turtle too)."""
    start = body.lstrip("\ufeff \t\r\n")[:200]
    if start.startswith(("{", "[")):
        return "json-ld"
    if start.startswith("<") and not start.startswith(("<http:", "<https:", "<urn:", "<#")):
        return "xml"
    return "turtle"


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
        body, media_type = fetch.get_typed(url, source.token, token_origin=source.url)
        try:
            text = body.decode("utf-8", errors="strict")
            parser.parse(text, rdf_format(url, source.config, media_type, text))
        except (RDFParserException, UnicodeDecodeError, ValueError) as error:
            raise SourceError(
                N_("{url}: malformed RDF: {error}", url=url, error=str(error)[:300])
            ) from None
        for remote in parser.datasets():
            yield from_graph(parser.g, remote)
        url = parser.next_page()


def from_graph(graph: Graph, remote: dict[str, Any]) -> dict[str, Any]:
    """Complete a profile's dict from the graph: texts by language, every licence named."""
    uri = _extras(remote).get("uri")
    if not uri:
        return remote
    ref = URIRef(uri)
    declared = [
        LANGUAGE_CODES.get(str(o).rstrip("/").rsplit("/", 1)[-1].upper(), "")
        for o in graph.objects(ref, DCTERMS.language)
    ]
    for key, predicate in (("title", DCTERMS.title), ("notes", DCTERMS.description)):
        text = pick_text(list(graph.objects(ref, predicate)), declared)
        if text is not None:
            remote[key] = text
    remote["_licences"] = [str(o) for o in graph.objects(ref, DCTERMS.license)]
    return remote


def _primary(tag: str | None) -> str:
    return (tag or "").lower().split("-", 1)[0]


def pick_text(values: list[Any], declared: list[str]) -> str | None:
    """The text to keep among a property's literals in several languages.

    ``vi``, then ``en``, then the original language (the one machine translations were made
    from, ``de-t-fr`` → ``fr``, or the dataset's ``dct:language``), then an untagged text. A
    translation tagged ``-t-`` (RFC 6497) is taken only when no original exists.
    """
    literals = [v for v in values if isinstance(v, Literal) and str(v).strip()]
    originals = [v for v in literals if "-t-" not in (v.language or "").lower()]
    translations = [v for v in literals if v not in originals]
    sources = [v.language.lower().split("-t-", 1)[1].split("-")[0] for v in translations]
    pool = originals or translations
    for language in (*PREFERRED_LANGUAGES, *sources, *declared):
        for value in pool:
            if language and _primary(value.language) == language:
                return str(value).strip()
    for value in sorted(pool, key=lambda v: (bool(v.language), v.language or "", str(v))):
        return str(value).strip()
    return None


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
    license_id = _licence(remote)
    level, warning = mapping.access_level_for(False, declared, license_id, config)
    package: dict[str, Any] = {
        "type": "dataset",
        "title": (remote.get("title") or "").strip(),
        "notes": (remote.get("notes") or "").strip(),
        "access_level": level,
        "tags": mapping.tags([t.get("name", "") for t in remote.get("tags") or []]),
        "resources": mapping.resources(
            [
                {
                    **r,
                    "url": r.get("url") or r.get("access_url") or r.get("download_url"),
                    "format": format_label(r.get("format") or r.get("mimetype") or ""),
                }
                for r in remote.get("resources") or []
            ]
        ),
    }
    if license_id:
        package["license_id"] = license_id
    frequency = _frequency(extras.get("frequency"))
    if frequency:
        package["update_frequency"] = frequency
    package.update(_temporal(remote, extras))
    if warning:
        record.warnings.append(warning)
    if not package["title"]:
        record.errors.append(
            N_("title: missing (dct:title) in {uri}", uri=extras.get("uri") or remote_id)
        )
    record.package = package
    return record


def _licence(remote: dict[str, Any]) -> str | None:
    """The dataset's licence: its own ``dct:license``, else its distributions' (DCAT-AP puts
    it there). Stored under the portal's id when recognised (``licenses.recognise``), else as
    the source names it, which is not an open licence then."""
    named = [
        *remote.get("_licences", []),
        remote.get("license_id") or "",
        *(r.get("license") or "" for r in remote.get("resources") or []),
    ]
    named = [str(n) for n in named if n]
    for name in named:
        recognised = licenses.recognise(name, name)
        if recognised:
            return recognised
    return named[0] if named else None


def format_label(value: str) -> str:
    """``CSV`` for the EU file-type IRI ``…/file-type/CSV``; ``text/csv`` for an IANA one."""
    value = value.strip()
    if value.startswith(FILE_TYPES):
        code = value.removeprefix(FILE_TYPES).strip("/")
        return FILE_TYPE_LABELS.get(code, code)
    for prefix in MEDIA_TYPE_IRIS:
        if value.startswith(prefix):
            return value.removeprefix(prefix)
    return value


def _temporal(remote: dict[str, Any], extras: dict[str, Any]) -> dict[str, str]:
    """The temporal coverage, where ckanext-dcat 2.4 puts it: a root field when the schema has
    ``temporal_start``/``temporal_end`` (its scheming step moves extras there), an extra
    without scheming, or ``temporal_coverage`` with the DCAT-AP scheming profile."""
    coverage = remote.get("temporal_coverage")
    first = coverage[0] if isinstance(coverage, list) and coverage else {}
    found = {}
    for key, sub in (("temporal_start", "start"), ("temporal_end", "end")):
        value = remote.get(key) or extras.get(key) or (first or {}).get(sub)
        if value:
            found[key] = str(value)[:10]
    return found
