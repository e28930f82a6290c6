"""The ``daknong`` RDF profile: DCAT-AP 3 as the national portal reads it (NĐ 47 Art. 17–21).

Runs after ckanext-dcat's ``euro_dcat_ap_3`` (``ckanext.dcat.rdf.profiles = euro_dcat_ap_3
daknong``), which writes the generic statements; this profile replaces the ones DCAT-AP
rejects (literal formats, media types, languages and byte sizes, untagged texts,
``schema:startDate``) and adds what only the portal knows: licence, access rights, update
frequency, themes, spatial coverage and the catalogue's publisher. Every mapping is data
(``data/dcat.yaml`` and the code lists), not code; docs/dcat.md has the table.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import ckan.plugins.toolkit as tk
from ckanext.dcat.profiles import (
    DCAT,
    DCT,
    FOAF,
    RDF,
    SCHEMA,
    SKOS,
    VCARD,
    XSD,
    RDFProfile,
)
from ckanext.dcat.utils import resource_uri
from rdflib import BNode, Literal, URIRef

from ckanext.daknong import codelists, resources

LANG = "vi"

# Text properties whose untagged literals are Vietnamese texts of the portal: tagged @vi.
TEXT_PREDICATES = (DCT.title, DCT.description, DCAT.keyword, FOAF.name, VCARD.fn, SKOS.prefLabel)


def mapping() -> dict[str, Any]:
    """``data/dcat.yaml``: the portal's values → DCAT-AP terms."""
    return resources.load_yaml("dcat.yaml")


def _authority(table: str, code: str) -> URIRef:
    return URIRef(mapping()["authorities"][table] + code)


def language_iri() -> URIRef:
    """The EU language term of the portal's texts (Vietnamese, ``VIE``)."""
    return _authority("language", mapping()["language"])


def access_right_iri(level: str | None) -> URIRef:
    """The EU access right of an ``access_level``; unknown or missing levels are NON_PUBLIC."""
    code = mapping()["access_rights"].get(level or "", "NON_PUBLIC")
    return _authority("access_right", code)


def database_access_level(items: Any) -> str:
    """The most restrictive sharing category of a database's data items; none: ``restricted``."""
    order = mapping()["access_rights_order"]
    categories = [str(item.get("sharing_category") or "restricted") for item in _list(items)]
    if not categories:
        return "restricted"
    return max(categories, key=lambda c: order.index(c) if c in order else len(order))


def theme_codes(sector: str | None) -> list[str]:
    """The EU data-theme codes of a ``sector`` (``data/dcat.yaml``)."""
    return list(mapping()["themes"].get(sector or "", []))


def theme_iri(code: str) -> URIRef:
    return URIRef(f"{mapping()['authorities']['data_theme']}/{code}")


def _add_labels(graph: Any, subject: Any, predicate: Any, labels: dict[str, str]) -> None:
    for lang, text in labels.items():
        graph.add((subject, predicate, Literal(text, lang=lang)))


def frequency_iri(value: str | None) -> URIRef | None:
    for entry in codelists.entries("update_frequencies"):
        if entry["value"] == value and entry.get("dcat"):
            return URIRef(entry["dcat"])
    return None


def admin_unit_iri(code: str) -> URIRef:
    """A stable IRI per administrative unit: its national code under the portal's address."""
    return URIRef(tk.url_for("daknong_dcat.admin_unit", code=code, _external=True))


def open_data_terms_iri() -> URIRef:
    """The public page stating the NĐ 47 Art. 18 usage terms (licence ``nd47-open-data-terms``)."""
    return URIRef(tk.url_for("daknong_dcat.open_data_terms", _external=True))


def license_iri(dataset_dict: dict[str, Any]) -> URIRef | None:
    """The licence's own public URL; the portal's terms page for our NĐ 47 terms."""
    from ckanext.daknong.licenses import ND47_TERMS

    if dataset_dict.get("license_id") == ND47_TERMS:
        return open_data_terms_iri()
    url = str(dataset_dict.get("license_url") or "")
    return URIRef(url) if _is_web_address(url) else None


def _list(value: Any) -> list[Any]:
    """Scheming lists arrive as lists (package_show) or JSON text (some index paths)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = [value] if value else []
    return list(value or [])


def _is_web_address(value: str) -> bool:
    return value.startswith(("http://", "https://")) and " " not in value


def _config(key: str) -> str:
    return str(tk.config.get(f"ckanext.daknong.dcat.{key}") or "").strip()


class DaknongProfile(RDFProfile):
    """DCAT-AP 3 with the portal's fields, on top of ``euro_dcat_ap_3``."""

    # --- reading (harvesters that use the profile) ---------------------------------------------

    def parse_dataset(self, dataset_dict: dict[str, Any], dataset_ref: Any) -> dict[str, Any]:
        """What ``graph_from_dataset`` wrote, read back: the access level from the EU access
        right (missing or unknown: nothing, so the schema's ``shared`` default applies) and
        our NĐ 47 terms page as ``nd47-open-data-terms``."""
        from ckanext.daknong.licenses import ND47_TERMS

        rights = self.g.value(dataset_ref, DCT.accessRights)
        levels = {
            str(_authority("access_right", code)): level
            for level, code in mapping()["access_rights"].items()
        }
        if rights is not None and str(rights) in levels:
            dataset_dict["access_level"] = levels[str(rights)]
        terms = str(open_data_terms_iri())
        licences = {str(o) for o in self.g.objects(dataset_ref, DCT.license)}
        for distribution in self.g.objects(dataset_ref, DCAT.distribution):
            licences |= {str(o) for o in self.g.objects(distribution, DCT.license)}
        if not dataset_dict.get("license_id") and terms in licences:
            dataset_dict["license_id"] = ND47_TERMS
        return dataset_dict

    # --- catalogue --------------------------------------------------------------------------

    def graph_from_catalog(self, catalog_dict: dict[str, Any], catalog_ref: Any) -> None:
        g = self.g
        site_url = str(tk.config.get("ckan.site_url")).rstrip("/")
        for predicate in (DCT.title, DCT.description, DCT.language, FOAF.homepage):
            g.remove((catalog_ref, predicate, None))
        texts = ((DCT.title, "catalog_title"), (DCT.description, "catalog_description"))
        for predicate, key in texts:
            for lang in ("vi", "en"):
                text = _config(f"{key}_{lang}")
                if text:
                    g.add((catalog_ref, predicate, Literal(text, lang=lang)))
        g.add((catalog_ref, DCT.language, language_iri()))
        g.add((language_iri(), RDF.type, DCT.LinguisticSystem))
        g.add((catalog_ref, FOAF.homepage, URIRef(site_url + "/")))
        g.add((URIRef(site_url + "/"), RDF.type, FOAF.Document))
        taxonomy = URIRef(mapping()["authorities"]["data_theme"])
        g.add((catalog_ref, DCAT.themeTaxonomy, taxonomy))
        g.add((taxonomy, RDF.type, SKOS.ConceptScheme))
        _add_labels(g, taxonomy, DCT.title, mapping()["theme_taxonomy_title"])

        publisher = URIRef(_config("publisher_uri") or f"{site_url}/#publisher")
        g.add((catalog_ref, DCT.publisher, publisher))
        g.add((publisher, RDF.type, FOAF.Agent))
        for lang in ("vi", "en"):
            name = _config(f"publisher_name_{lang}")
            if name:
                g.add((publisher, FOAF.name, Literal(name, lang=lang)))
        if _config("publisher_email"):
            g.add((publisher, FOAF.mbox, URIRef("mailto:" + _config("publisher_email"))))
        if _config("publisher_homepage"):
            g.add((publisher, FOAF.homepage, URIRef(_config("publisher_homepage"))))

    # --- dataset ----------------------------------------------------------------------------

    def graph_from_dataset(self, dataset_dict: dict[str, Any], dataset_ref: Any) -> None:
        g = self.g
        g.add((dataset_ref, DCT.language, language_iri()))
        g.add((language_iri(), RDF.type, DCT.LinguisticSystem))

        if dataset_dict.get("type") == "database":
            level = database_access_level(dataset_dict.get("data_items"))
        else:
            level = dataset_dict.get("access_level")
        rights = access_right_iri(level)
        g.add((dataset_ref, DCT.accessRights, rights))
        g.add((rights, RDF.type, DCT.RightsStatement))

        licence = license_iri(dataset_dict)
        if licence is not None:
            g.add((dataset_ref, DCT.license, licence))
            g.add((licence, RDF.type, DCT.LicenseDocument))

        frequency = frequency_iri(dataset_dict.get("update_frequency"))
        if frequency is not None:
            g.remove((dataset_ref, DCT.accrualPeriodicity, None))
            g.add((dataset_ref, DCT.accrualPeriodicity, frequency))
            g.add((frequency, RDF.type, DCT.Frequency))

        for code in theme_codes(dataset_dict.get("sector")):
            theme = theme_iri(code)
            g.add((dataset_ref, DCAT.theme, theme))
            g.add((theme, RDF.type, SKOS.Concept))
            _add_labels(g, theme, SKOS.prefLabel, mapping()["theme_labels"][code])

        self._spatial(dataset_dict, dataset_ref)
        self._temporal(dataset_dict, dataset_ref)
        self._data_services(dataset_dict, dataset_ref, rights)
        for resource_dict in dataset_dict.get("resources", []):
            self._distribution(resource_dict, URIRef(resource_uri(resource_dict)), licence)
        self._tag_texts(dataset_ref)

    def _spatial(self, dataset_dict: dict[str, Any], dataset_ref: Any) -> None:
        units = {entry["value"]: entry for entry in codelists.entries("admin_units")}
        for code in _list(dataset_dict.get("spatial_units")):
            unit = units.get(str(code))
            if unit is None:
                continue
            location = admin_unit_iri(str(code))
            self.g.add((dataset_ref, DCT.spatial, location))
            self.g.add((location, RDF.type, DCT.Location))
            _add_labels(self.g, location, SKOS.prefLabel, unit["label"])

    def _temporal(self, dataset_dict: dict[str, Any], dataset_ref: Any) -> None:
        """DCAT-AP 3 reads ``dcat:startDate``/``dcat:endDate`` (xsd:date), not schema.org's."""
        bounds = (
            (SCHEMA.startDate, DCAT.startDate, "temporal_start"),
            (SCHEMA.endDate, DCAT.endDate, "temporal_end"),
        )
        for period in list(self.g.objects(dataset_ref, DCT.temporal)):
            for schema_predicate, dcat_predicate, key in bounds:
                self.g.remove((period, schema_predicate, None))
                value = str(dataset_dict.get(key) or "")[:10]
                if value:
                    self.g.add((period, dcat_predicate, Literal(value, datatype=XSD.date)))

    def _data_services(self, dataset_dict: dict[str, Any], dataset_ref: Any, rights: Any) -> None:
        """A database entry's sharing services (NĐ 47 Art. 23–25) as ``dcat:DataService``.

        Only services with a web endpoint: DCAT-AP requires ``dcat:endpointURL``, and an
        access note (packaged media, a request procedure) is not one. The service carries the
        database's access right, so a restricted service never reads as open.
        """
        g = self.g
        catalogs = [
            c for c in g.subjects(RDF.type, DCAT.Catalog) if (None, DCT.hasPart, c) not in g
        ]
        for index, service in enumerate(_list(dataset_dict.get("sharing_services")), start=1):
            endpoint = str(service.get("endpoint") or "").strip()
            if not _is_web_address(endpoint):
                continue
            key = str(service.get("service_id") or index)
            node = URIRef(f"{dataset_ref}#service-{quote(key, safe='')}")
            g.add((node, RDF.type, DCAT.DataService))
            g.add((node, DCT.title, Literal(str(service.get("service_name") or key), lang=LANG)))
            g.add((node, DCAT.endpointURL, URIRef(endpoint)))
            g.add((node, DCAT.servesDataset, dataset_ref))
            g.add((node, DCT.accessRights, rights))
            if service.get("service_id"):
                g.add((node, DCT.identifier, Literal(str(service["service_id"]))))
            documentation = str(service.get("documentation_url") or "").strip()
            if _is_web_address(documentation):
                g.add((node, DCAT.endpointDescription, URIRef(documentation)))
            structure = str(service.get("exchange_structure") or "").strip()
            if _is_web_address(structure):
                g.add((node, DCT.conformsTo, URIRef(structure)))
            elif structure:
                g.add((node, DCT.description, Literal(structure, lang=LANG)))
            for publisher in g.objects(dataset_ref, DCT.publisher):
                g.add((node, DCT.publisher, publisher))
            for catalog in catalogs[:1]:
                g.add((catalog, DCAT.service, node))

    def _distribution(self, resource_dict: dict[str, Any], distribution: Any, licence: Any) -> None:
        g = self.g
        if licence is not None:
            g.remove((distribution, DCT.license, None))
            g.add((distribution, DCT.license, licence))

        fmt = str(resource_dict.get("format") or "").strip().upper()
        known = mapping()["formats"].get(fmt, {})
        media_type = known.get("media_type") or str(resource_dict.get("mimetype") or "").strip()
        g.remove((distribution, DCT["format"], None))
        g.remove((distribution, DCAT.mediaType, None))
        if known.get("file_type"):
            file_type = _authority("file_type", known["file_type"])
            g.add((distribution, DCT["format"], file_type))
            g.add((file_type, RDF.type, DCT.MediaTypeOrExtent))
        if media_type and "/" in media_type and " " not in media_type:
            iana = _authority("media_type", media_type)
            g.add((distribution, DCAT.mediaType, iana))
            g.add((iana, RDF.type, DCT.MediaType))

        if resource_dict.get("url_type") == "upload" and resource_dict.get("url"):
            g.remove((distribution, DCAT.downloadURL, None))
            g.add((distribution, DCAT.downloadURL, URIRef(resource_dict["url"])))

        g.remove((distribution, DCAT.byteSize, None))
        try:
            size = int(resource_dict.get("size") or -1)
        except (TypeError, ValueError):
            size = -1
        if size >= 0:
            g.add((distribution, DCAT.byteSize, Literal(size, datatype=XSD.nonNegativeInteger)))
        self._tag_texts(distribution)

    def _tag_texts(self, subject: Any) -> None:
        """``@vi`` on the untagged texts of ``subject`` and of the nodes it points to."""
        nodes = [subject]
        nodes += [o for o in self.g.objects(subject, None) if isinstance(o, (BNode, URIRef))]
        for node in nodes:
            for predicate in TEXT_PREDICATES:
                for text in list(self.g.objects(node, predicate)):
                    plain = isinstance(text, Literal) and not (text.language or text.datatype)
                    if plain:
                        self.g.remove((node, predicate, text))
                        self.g.add((node, predicate, Literal(str(text), lang=LANG)))
