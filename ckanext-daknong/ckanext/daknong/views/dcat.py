"""Public pages that the DCAT publication points at (NĐ 47 Art. 17–21; docs/dcat.md).

``/open-data-terms`` states the usage terms of NĐ 47 Art. 18: the stable public IRI of the
portal's ``nd47-open-data-terms`` licence. ``/admin-units/<code>`` is the IRI of an
administrative unit in ``dct:spatial``: it answers with the unit's labels (Turtle), so that the
IRI dereferences; unknown codes are 404.
"""

from __future__ import annotations

import ckan.plugins.toolkit as tk
from flask import Blueprint, Response
from rdflib import Graph, Literal
from rdflib.namespace import DCTERMS, RDF, SKOS

from ckanext.daknong import codelists, legal

dcat_pages = Blueprint("daknong_dcat", __name__)


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
