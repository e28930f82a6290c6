"""Public pages that the DCAT publication points at (NĐ 47 Art. 17–21; docs/dcat.md).

``/open-data-terms`` states the usage terms of NĐ 47 Art. 18: the stable public IRI of the
portal's ``nd47-open-data-terms`` licence. ``/admin-units/<code>`` is the IRI of an
administrative unit in ``dct:spatial``: it answers with the unit's labels (Turtle), so that the
IRI dereferences; unknown codes are 404.

Content negotiation: ``/catalog`` and the dataset and database pages answer a client that asks
for RDF (``Accept: text/turtle``, ``application/rdf+xml``, ``application/ld+json``, ``text/n3``)
over HTML with a 303 to the matching document of ckanext-dcat (``/catalog.ttl``,
``/dataset/<id>.ttl``), which decides who may read it. ckanext-dcat's own option for this
replaces CKAN's ``/`` and ``/dataset/<id>`` views, which the portal's "Request access" page and
action policy build on, so the portal negotiates in a hook in front of them instead.
"""

from __future__ import annotations

import ckan.plugins.toolkit as tk
from flask import Blueprint, Response, redirect, request
from rdflib import Graph, Literal
from rdflib.namespace import DCTERMS, RDF, SKOS

from ckanext.daknong import codelists, legal

dcat_pages = Blueprint("daknong_dcat", __name__)

# Media type -> ckanext-dcat's format name in its document URLs.
RDF_MEDIA_TYPES = {
    "text/turtle": "ttl",
    "application/rdf+xml": "rdf",
    "application/ld+json": "jsonld",
    "text/n3": "n3",
}
NEGOTIATED_PAGES = ("dataset.read", "database.read")


def requested_rdf_format() -> str | None:
    """The RDF format the client prefers to HTML, or None; HTML wins a tie (browsers send
    ``*/*`` besides ``text/html``)."""
    best = request.accept_mimetypes.best_match(["text/html", *RDF_MEDIA_TYPES])
    return RDF_MEDIA_TYPES.get(best or "")


def _see_other(location: str) -> Response:
    response = redirect(location, 303)
    response.vary.add("Accept")
    return response


@dcat_pages.route("/catalog")
def catalog() -> Response:
    """The catalogue in the format asked for; a browser gets the dataset search page."""
    fmt = requested_rdf_format()
    if fmt is None:
        return _see_other(tk.h.url_for("dataset.search"))
    return _see_other(tk.h.url_for("dcat.read_catalog", _format=fmt))


def negotiate_dataset_page() -> Response | None:
    """An application-wide ``before_request`` hook (registered by the plugin class): a dataset
    or database page asked for as RDF answers 303 to its DCAT document. The redirect is given
    for any name, so it tells nothing about which datasets exist; the document answers 404 to
    a caller who may not read it."""
    if request.method != "GET" or request.endpoint not in NEGOTIATED_PAGES:
        return None
    fmt = requested_rdf_format()
    name = (request.view_args or {}).get("id")
    if fmt is None or not name:
        return None
    return _see_other(tk.h.url_for("dcat.read_dataset", _id=name, _format=fmt))


@dcat_pages.route("/open-data-terms")
def open_data_terms() -> str:
    lang = tk.h.lang() or legal.FALLBACK_LANG
    return tk.render(
        "dcat/open_data_terms.html", {"reference": legal.reference("open_data_licence", lang)}
    )


@dcat_pages.route("/admin-units/<code>")
def admin_unit(code: str) -> Response:
    from ckanext.daknong.dcat.profile import admin_unit_iri

    unit = next((e for e in codelists.entries("admin_units") if e["value"] == code), None)
    if unit is None:
        return tk.abort(404, tk._("Administrative unit not found"))
    graph = Graph()
    iri = admin_unit_iri(code)
    graph.add((iri, RDF.type, DCTERMS.Location))
    graph.add((iri, DCTERMS.identifier, Literal(code)))
    for lang, text in unit["label"].items():
        graph.add((iri, SKOS.prefLabel, Literal(text, lang=lang)))
    return Response(graph.serialize(format="turtle"), mimetype="text/turtle")
