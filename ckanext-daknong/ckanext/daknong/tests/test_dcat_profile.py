"""DCAT-AP 3 publication through the ``daknong`` profile (NĐ 47 Art. 17–21; docs/dcat.md).

The national portal harvests ``/catalog.ttl`` and the per-dataset documents. They are validated
here with pyshacl against the official DCAT-AP 3.0.1 shapes, read from ``../shared/dcat-ap``
(third-party files, never copied into the project). The shapes' ``owl:imports`` cannot be
fetched, so ``sh:class`` and nested-shape results on IRIs are import noise; node kind,
cardinality and datatype results are real and must be none.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from ckan.tests import factories
from ckan.tests.helpers import _get_test_app, call_action
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD

from ckanext.daknong.tests.conftest import REPO_ROOT
from ckanext.daknong.tests.factories import Agency, agency_member

SHAPES = REPO_ROOT.parent / "shared" / "dcat-ap"
# Not mdr-vocabularies.shape.ttl: each of its results is a term's skos:inScheme in an EU table,
# which only the (unfetchable) tables state, and the EU place and corporate-body tables do not
# list Vietnamese units and agencies at all.
SHAPE_FILES = ("shapes.ttl", "range.ttl")
SH = Namespace("http://www.w3.org/ns/shacl#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
# Results that do not depend on the shapes' imports (see ../shared/dcat-ap/README.md)
REAL_COMPONENTS = {
    SH.NodeKindConstraintComponent,
    SH.MinCountConstraintComponent,
    SH.MaxCountConstraintComponent,
    SH.DatatypeConstraintComponent,
}
EU = "http://publications.europa.eu/resource/authority/"
SITE = "http://test.ckan.net"


@pytest.fixture(scope="module")
def world(module_clean_db) -> dict[str, Any]:
    """Open, shared and restricted datasets and two database entries of one agency, built once."""
    client = _get_test_app()
    sysadmin = factories.Sysadmin()
    agency = Agency()
    other_agency = Agency()
    editor = agency_member(agency, "editor")
    outsider = agency_member(other_agency, "editor")

    def create(**fields: Any) -> dict[str, Any]:
        return call_action(
            "package_create", context={"user": sysadmin["name"]}, owner_org=agency["id"], **fields
        )

    population = create(
        name="dan-so-theo-xa-2024",
        title="Dân số theo xã năm 2024",
        notes="Số dân của từng xã, theo giới tính.",
        access_level="open",
        license_id="cc-by",
        sector="population",
        update_frequency="annual",
        spatial_units=["662", "663"],
        temporal_start="2024-01-01",
        temporal_end="2024-12-31",
        contact_name="Nguyễn Thị Lan",
        contact_email="lan@daknong.gov.vn",
        tag_string="dân số,thống kê",
        resources=[{"url": "https://example.org/dan-so.xlsx", "format": "XLSX", "name": "Bảng"}],
    )
    response = client.post(
        "/api/3/action/resource_create",
        data={
            "package_id": population["id"],
            "name": "Dân số (CSV)",
            "format": "CSV",
            "upload": (io.BytesIO(b"xa,dan_so\nEa Po,12000\n"), "dan-so.csv"),
        },
        headers={"Authorization": editor["token"]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    upload = response.json["result"]

    land = create(
        name="ban-do-dat-dai",
        title="Bản đồ hiện trạng sử dụng đất",
        notes="Hiện trạng sử dụng đất cấp tỉnh.",
        access_level="open",
        license_id="nd47-open-data-terms",
        sector="land",
        update_frequency="semiannual",
        spatial_units=["67"],
        resources=[{"url": "https://example.org/dat.pdf", "format": "PDF"}],
    )
    shared = create(
        name="ho-so-noi-bo",
        title="Hồ sơ chia sẻ nội bộ MARKERSHARED",
        notes="Chỉ cơ quan nhà nước.",
        access_level="shared",
        license_id="other-closed",
    )
    restricted = create(
        name="ho-so-dac-thu",
        title="Hồ sơ đặc thù MARKERRESTRICTED",
        notes="Theo yêu cầu đặc thù.",
        access_level="restricted",
        license_id="other-closed",
    )
    mixed_db = create(
        type="database",
        name="csdl-dan-cu",
        title="Cơ sở dữ liệu dân cư",
        notes="Dữ liệu dân cư của tỉnh.",
        database_type="shared",
        data_items=[
            {"item_name": "Số dân", "sharing_category": "open"},
            {"item_name": "Nhân thân", "sharing_category": "restricted"},
        ],
        sharing_services=[
            {
                "service_id": "DC-01",
                "service_name": "Tra cứu thông tin công dân",
                "method": "online_query",
                "endpoint": "https://lgsp.daknong.gov.vn/dan-cu/v1",
                "documentation_url": "https://lgsp.daknong.gov.vn/docs/dan-cu",
                "exchange_structure": "JSON theo QCVN về dân cư",
            },
            {
                "service_name": "Sao lưu đĩa",
                "method": "packaged_media",
                "endpoint": "Gửi văn bản đề nghị tới Công an tỉnh",
            },
        ],
    )
    shared_db = create(
        type="database",
        name="csdl-doanh-nghiep",
        title="Cơ sở dữ liệu doanh nghiệp",
        notes="Doanh nghiệp của tỉnh.",
        database_type="shared",
        data_items=[{"item_name": "Đăng ký", "sharing_category": "shared"}],
    )
    return {
        "client": client,
        "population": population,
        "upload": upload,
        "land": land,
        "shared": shared,
        "restricted": restricted,
        "mixed_db": mixed_db,
        "shared_db": shared_db,
        "editor": editor,
        "outsider": outsider,
    }


def _graph(world: dict[str, Any], path: str, headers: dict[str, str] | None = None) -> Graph:
    response = world["client"].get(path, headers=headers or {})
    assert response.status_code == 200, (path, response.status_code)
    return Graph().parse(data=response.get_data(as_text=True), format="turtle")


def _dataset(world: dict[str, Any], key: str) -> tuple[Graph, URIRef]:
    dataset = world[key]
    ref = URIRef(f"{SITE}/dataset/{dataset['id']}")
    return _graph(world, f"/dataset/{dataset['name']}.ttl"), ref


@pytest.fixture(scope="module")
def shapes() -> Graph:
    graph = Graph()
    for name in SHAPE_FILES:
        graph.parse(SHAPES / name, format="turtle")
    return graph


def _real_violations(data: Graph, shapes: Graph) -> list[str]:
    from pyshacl import validate

    _conforms, report, _text = validate(
        data, shacl_graph=shapes, inference="none", abort_on_first=False, allow_warnings=True
    )
    found = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        component = report.value(result, SH.sourceConstraintComponent)
        if component in REAL_COMPONENTS:
            found.append(
                f"{component.split('#')[-1]} on {report.value(result, SH.focusNode)} "
                f"{report.value(result, SH.resultPath)}: {report.value(result, SH.resultMessage)}"
            )
    return sorted(found)


def test_catalogue_and_every_dataset_document_pass_the_dcat_ap_3_shapes(world, shapes):
    """NĐ 47 Art. 17–19: what the national portal harvests has 0 node-kind, cardinality and
    datatype violations of DCAT-AP 3.0.1 (the catalogue and every published dataset document)."""
    documents = {"/catalog.ttl": _graph(world, "/catalog.ttl")}
    for key in ("population", "land", "mixed_db", "shared_db"):
        documents[key] = _dataset(world, key)[0]
    # a shared dataset's document, as its agency's editor reads it
    documents["shared"] = _graph(
        world, "/dataset/ho-so-noi-bo.ttl", {"Authorization": world["editor"]["token"]}
    )
    violations = [
        f"{name}: {violation}"
        for name, graph in documents.items()
        for violation in _real_violations(graph, shapes)
    ]

    assert violations == [], "\n".join(violations)


def test_catalogue_names_its_publisher_language_homepage_and_themes(world):
    """NĐ 47 Art. 17: the catalogue says who publishes it (the provincial data administrator),
    in which language, with texts tagged @vi and @en."""
    graph = _graph(world, "/catalog.ttl")
    catalog = next(graph.subjects(RDF.type, DCAT.Catalog))

    titles = {t.language: str(t) for t in graph.objects(catalog, DCTERMS.title)}
    assert titles == {
        "vi": "Cổng dữ liệu mở tỉnh Đắk Nông",
        "en": "Đắk Nông provincial open-data portal",
    }
    assert {d.language for d in graph.objects(catalog, DCTERMS.description)} == {"vi", "en"}
    assert list(graph.objects(catalog, DCTERMS.language)) == [URIRef(EU + "language/VIE")]
    assert list(graph.objects(catalog, FOAF.homepage)) == [URIRef(SITE + "/")]
    assert list(graph.objects(catalog, DCAT.themeTaxonomy)) == [URIRef(EU + "data-theme")]
    publisher = graph.value(catalog, DCTERMS.publisher)
    assert Literal("Sở Khoa học và Công nghệ tỉnh Đắk Nông", lang="vi") in set(
        graph.objects(publisher, FOAF.name)
    )


@pytest.mark.ckan_config("ckanext.daknong.dcat.publisher_name_vi", "Sở Thông tin và Truyền thông")
@pytest.mark.ckan_config("ckanext.daknong.dcat.publisher_uri", "https://daknong.gov.vn/stttt")
def test_catalogue_publisher_is_configuration(world):
    """The data administrator changed in March 2025: the publisher is configuration."""
    graph = _graph(world, "/catalog.ttl")
    catalog = next(graph.subjects(RDF.type, DCAT.Catalog))

    publisher = graph.value(catalog, DCTERMS.publisher)
    assert publisher == URIRef("https://daknong.gov.vn/stttt")
    assert Literal("Sở Thông tin và Truyền thông", lang="vi") in set(
        graph.objects(publisher, FOAF.name)
    )


def test_open_dataset_publishes_the_portal_fields_as_eu_terms(world):
    """NĐ 47 Art. 18–19: licence, access rights, frequency, theme, spatial and temporal
    coverage, contact point, formats, download URL and size of an open dataset, as IRIs and
    typed literals a DCAT-AP harvester understands."""
    graph, ref = _dataset(world, "population")
    licence = URIRef("https://creativecommons.org/licenses/by/4.0/")

    assert set(graph.objects(ref, DCTERMS.title)) == {Literal("Dân số theo xã năm 2024", lang="vi")}
    assert {k.language for k in graph.objects(ref, DCAT.keyword)} == {"vi"}
    assert set(graph.objects(ref, DCTERMS.language)) == {URIRef(EU + "language/VIE")}
    assert set(graph.objects(ref, DCTERMS.license)) == {licence}
    assert set(graph.objects(ref, DCTERMS.accessRights)) == {URIRef(EU + "access-right/PUBLIC")}
    assert set(graph.objects(ref, DCTERMS.accrualPeriodicity)) == {URIRef(EU + "frequency/ANNUAL")}
    assert set(graph.objects(ref, DCAT.theme)) == {URIRef(EU + "data-theme/SOCI")}
    spatial = set(graph.objects(ref, DCTERMS.spatial))
    assert spatial == {URIRef(f"{SITE}/admin-units/662"), URIRef(f"{SITE}/admin-units/663")}
    assert Literal("Huyện Cư Jút", lang="vi") in set(
        graph.objects(URIRef(f"{SITE}/admin-units/662"), SKOS.prefLabel)
    )
    period = graph.value(ref, DCTERMS.temporal)
    assert graph.value(period, DCAT.startDate) == Literal("2024-01-01", datatype=XSD.date)
    assert graph.value(period, DCAT.endDate) == Literal("2024-12-31", datatype=XSD.date)
    contact = graph.value(ref, DCAT.contactPoint)
    assert graph.value(contact, VCARD.fn) == Literal("Nguyễn Thị Lan", lang="vi")
    assert graph.value(contact, VCARD.hasEmail) == URIRef("mailto:lan@daknong.gov.vn")
    assert graph.value(ref, DCTERMS.modified).datatype == XSD.dateTime

    distributions = {
        str(graph.value(d, DCAT.accessURL)): d for d in graph.objects(ref, DCAT.distribution)
    }
    upload = distributions[world["upload"]["url"]]
    assert set(graph.objects(upload, DCTERMS["format"])) == {URIRef(EU + "file-type/CSV")}
    assert set(graph.objects(upload, DCAT.mediaType)) == {
        URIRef("https://www.iana.org/assignments/media-types/text/csv")
    }
    assert set(graph.objects(upload, DCAT.downloadURL)) == {URIRef(world["upload"]["url"])}
    assert graph.value(upload, DCAT.byteSize) == Literal(
        len(b"xa,dan_so\nEa Po,12000\n"), datatype=XSD.nonNegativeInteger
    )
    assert set(graph.objects(upload, DCTERMS.license)) == {licence}
    link = distributions["https://example.org/dan-so.xlsx"]
    assert set(graph.objects(link, DCTERMS["format"])) == {URIRef(EU + "file-type/XLSX")}
    assert (link, DCAT.downloadURL, None) not in graph  # a link is not known to be a file


def test_nd47_terms_licence_is_a_public_page_of_the_portal(world):
    """NĐ 47 Art. 18: the portal's own open-data terms have a stable public IRI that states
    them, on the dataset and its distributions."""
    graph, ref = _dataset(world, "land")
    terms = URIRef(f"{SITE}/open-data-terms")

    assert set(graph.objects(ref, DCTERMS.license)) == {terms}
    for distribution in graph.objects(ref, DCAT.distribution):
        assert set(graph.objects(distribution, DCTERMS.license)) == {terms}
    assert set(graph.objects(ref, DCAT.theme)) == {
        URIRef(EU + "data-theme/REGI"),
        URIRef(EU + "data-theme/ENVI"),
    }
    assert set(graph.objects(ref, DCTERMS.accrualPeriodicity)) == {
        URIRef(EU + "frequency/ANNUAL_2")
    }
    page = world["client"].get("/open-data-terms", headers={"Accept-Language": "vi"})
    assert page.status_code == 200
    assert "Điều 18 Nghị định số 47/2020/NĐ-CP" in page.get_data(as_text=True)
    unit = _graph(world, "/admin-units/67")
    assert Literal("Toàn tỉnh Đắk Nông", lang="vi") in set(
        unit.objects(URIRef(f"{SITE}/admin-units/67"), SKOS.prefLabel)
    )
    assert world["client"].get("/admin-units/999").status_code == 404


def test_database_entries_are_not_published_as_open_data(world):
    """NĐ 47 Art. 11.4, QĐ 43 Art. 9.2: a database entry's access right is the most restrictive
    sharing category of its data items, so no harvester reads a database as open data."""
    mixed, mixed_ref = _dataset(world, "mixed_db")
    shared, shared_ref = _dataset(world, "shared_db")

    assert set(mixed.objects(mixed_ref, DCTERMS.accessRights)) == {
        URIRef(EU + "access-right/NON_PUBLIC")
    }
    assert set(shared.objects(shared_ref, DCTERMS.accessRights)) == {
        URIRef(EU + "access-right/RESTRICTED")
    }


def test_database_sharing_services_are_data_services(world):
    """NĐ 47 Art. 23–25: a database's web sharing services are published as dcat:DataService,
    with the database's access right; an access note without an endpoint is not a service."""
    graph, ref = _dataset(world, "mixed_db")
    services = set(graph.subjects(RDF.type, DCAT.DataService))

    assert services == {URIRef(f"{ref}#service-DC-01")}
    service = services.pop()
    assert graph.value(service, DCTERMS.title) == Literal("Tra cứu thông tin công dân", lang="vi")
    assert graph.value(service, DCAT.endpointURL) == URIRef("https://lgsp.daknong.gov.vn/dan-cu/v1")
    assert graph.value(service, DCAT.endpointDescription) == URIRef(
        "https://lgsp.daknong.gov.vn/docs/dan-cu"
    )
    assert graph.value(service, DCAT.servesDataset) == ref
    assert set(graph.objects(service, DCTERMS.accessRights)) == {
        URIRef(EU + "access-right/NON_PUBLIC")
    }
    catalogue = _graph(world, "/catalog.ttl")
    catalog = next(catalogue.subjects(RDF.type, DCAT.Catalog))
    assert (catalog, DCAT.service, service) in catalogue


def test_shared_and_restricted_datasets_never_reach_the_catalogue(world):
    """QĐ 43 Art. 10–11: only open data (and the public database catalogue) is published."""
    for path in ("/catalog.ttl", "/catalog.rdf", "/catalog.jsonld"):
        body = world["client"].get(path).get_data(as_text=True)
        assert world["population"]["id"] in body
        for key in ("shared", "restricted"):
            assert world[key]["id"] not in body
            assert world[key]["name"] not in body
        assert "MARKERSHARED" not in body and "MARKERRESTRICTED" not in body


@pytest.mark.parametrize("fmt", ["ttl", "rdf", "jsonld"])
def test_unreadable_dataset_document_is_not_found_like_its_page(world, fmt):
    """QĐ 43 Art. 10: a dataset's DCAT document answers 404, not 403, to a caller who may not
    read it, exactly as a missing name and as the dataset's HTML page do (no existence signal)."""
    client = world["client"]
    outsider = {"Authorization": world["outsider"]["token"]}
    cases = [("shared", {}), ("restricted", {}), ("restricted", outsider)]
    for key, headers in cases:
        name = world[key]["name"]
        assert client.get(f"/dataset/{name}.{fmt}", headers=headers).status_code == 404
        if not headers:  # agencies get "Request access" on the page (NĐ 47 Art. 35.1)
            assert client.get(f"/dataset/{name}").status_code == 404
        assert "MARKER" not in client.get(f"/dataset/{name}.{fmt}", headers=headers).get_data(
            as_text=True
        )
    assert client.get(f"/dataset/no-such-dataset.{fmt}").status_code == 404
    editor = {"Authorization": world["editor"]["token"]}
    own = client.get(f"/dataset/{world['restricted']['name']}.{fmt}", headers=editor)
    assert own.status_code == 200


def test_every_sector_has_an_eu_data_theme():
    """The sector → data-theme map (data/dcat.yaml) covers the whole sector code list, and
    every theme it names has its labels (DCAT-AP: a concept needs skos:prefLabel)."""
    from ckanext.daknong import codelists
    from ckanext.daknong.dcat.profile import mapping

    assert set(codelists.values("sectors")) <= set(mapping()["themes"])
    named = {code for codes in mapping()["themes"].values() for code in codes}
    assert named <= set(mapping()["theme_labels"])


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        ("text/turtle", "ttl"),
        ("application/rdf+xml", "rdf"),
        ("application/ld+json", "jsonld"),
        ("text/turtle;q=1.0, text/html;q=0.5", "ttl"),
    ],
)
def test_catalogue_and_dataset_pages_negotiate_rdf(world, accept, fmt):
    """NĐ 47 Art. 21 (published as services): a client asking for RDF at the catalogue's and a
    dataset's address gets a 303 to the DCAT document, which then answers in that format."""
    client = world["client"]
    population, database = world["population"], world["mixed_db"]
    cases = [
        ("/catalog", "/catalog." + fmt),
        (f"/dataset/{population['name']}", f"/dataset/{population['name']}.{fmt}"),
        (f"/database/{database['name']}", f"/dataset/{database['name']}.{fmt}"),
    ]
    for page, document in cases:
        answer = client.get(page, headers={"Accept": accept}, follow_redirects=False)
        assert answer.status_code == 303, (page, answer.status_code)
        assert answer.headers["Location"].endswith(document), answer.headers["Location"]
        assert "Accept" in answer.headers["Vary"]
        assert client.get(document).status_code == 200


def test_browsers_keep_the_html_pages_and_unreadable_data_stays_hidden(world):
    """A browser's Accept keeps HTML; RDF for a restricted dataset leads to the same 404 as
    the HTML page and a missing name (QĐ 43 Art. 10: no existence signal)."""
    client = world["client"]
    browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    page = client.get(f"/dataset/{world['population']['name']}", headers=browser)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    catalogue = client.get("/catalog", headers=browser, follow_redirects=False)
    assert catalogue.status_code == 303 and catalogue.headers["Location"].endswith("/dataset/")

    turtle = {"Accept": "text/turtle"}
    for name in (world["restricted"]["name"], "khong-co-bo-du-lieu-nay"):
        answer = client.get(f"/dataset/{name}", headers=turtle, follow_redirects=True)
        assert answer.status_code == 404, (name, answer.status_code)
        assert "MARKER" not in answer.get_data(as_text=True)
