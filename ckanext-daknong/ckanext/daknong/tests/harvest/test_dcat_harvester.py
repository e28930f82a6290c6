"""The DCAT harvester on real local HTTP: Turtle, RDF/XML, JSON-LD, Hydra paging, faults."""

from __future__ import annotations

import json

import pytest

from ckanext.daknong.tests.factories import Agency
from ckanext.daknong.tests.harvest.helpers import harvested, make_source, run_job
from ckanext.daknong.tests.harvest.servers import LocalServer

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

PREFIXES = """
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
"""
CC_BY = "https://creativecommons.org/licenses/by/4.0/"


def _dataset_ttl(identifier: str, title: str, rights: str = "PUBLIC") -> str:
    return f"""
<https://stnmt.daknong.gov.vn/dataset/{identifier}> a dcat:Dataset ;
    dct:identifier "{identifier}" ;
    dct:title "{title}"@vi ;
    dct:description "Mô tả {title}"@vi ;
    dcat:keyword "đất đai" ;
    dct:accessRights <http://publications.europa.eu/resource/authority/access-right/{rights}> ;
    dct:accrualPeriodicity <http://publications.europa.eu/resource/authority/frequency/QUARTERLY> ;
    dcat:distribution <https://stnmt.daknong.gov.vn/dataset/{identifier}/csv> .
<https://stnmt.daknong.gov.vn/dataset/{identifier}/csv> a dcat:Distribution ;
    dct:title "Tệp CSV" ;
    dct:license <{CC_BY}> ;
    dcat:accessURL <https://stnmt.daknong.gov.vn/files/{identifier}.csv> ;
    dct:format "CSV" .
"""


def _page(base: str, number: int, last: int) -> str:
    following = f"hydra:next <{base}/catalog-{number + 1}.ttl> ;" if number < last else ""
    return f"""
<{base}/catalog-{number}.ttl> a hydra:PagedCollection ;
    {following}
    hydra:totalItems "4" .
"""


@pytest.fixture
def server():
    with LocalServer() as running:
        yield running


def test_turtle_pages_are_all_read_with_vietnamese_text(server):
    """QĐ 43 Art. 21.3: the whole catalogue of the agency is pulled, page by page."""
    for number, (first, second) in enumerate([("a1", "a2"), ("b1", "b2")], start=1):
        body = PREFIXES + _page(server.url, number, 2)
        body += _dataset_ttl(first, f"Bản đồ địa chính {first}")
        body += _dataset_ttl(second, f"Quy hoạch sử dụng đất {second}", "NON_PUBLIC")
        server.static(f"/catalog-{number}.ttl", body.encode(), "text/turtle")
    source = make_source(
        Agency(), server.url + "/catalog-1.ttl", "daknong_dcat", {"public_access_level": "open"}
    )

    result = run_job(source["id"])

    datasets = harvested(source["id"])
    assert result["gather_errors"] == [] and result["object_errors"] == []
    assert set(datasets) == {"a1", "a2", "b1", "b2"}
    assert datasets["a1"]["title"] == "Bản đồ địa chính a1"
    assert datasets["a1"]["access_level"] == "open"
    assert datasets["a1"]["license_id"] == "cc-by"
    assert datasets["a1"]["update_frequency"] == "quarterly"
    assert datasets["a1"]["resources"][0]["url"].endswith("/files/a1.csv")
    assert datasets["a2"]["access_level"] == "restricted"


def test_rdf_xml_and_json_ld(server):
    xml = """<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:dcat="http://www.w3.org/ns/dcat#" xmlns:dct="http://purl.org/dc/terms/">
  <dcat:Dataset rdf:about="https://syte.daknong.gov.vn/dataset/x1">
    <dct:identifier>x1</dct:identifier>
    <dct:title xml:lang="vi">Cơ sở khám chữa bệnh Gia Nghĩa</dct:title>
  </dcat:Dataset>
</rdf:RDF>"""
    jsonld = {
        "@context": {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/"},
        "@id": "https://syte.daknong.gov.vn/dataset/j1",
        "@type": "dcat:Dataset",
        "dct:identifier": "j1",
        "dct:title": {"@value": "Trạm y tế xã Đắk R'Lấp", "@language": "vi"},
    }
    server.static("/catalog.rdf", xml.encode(), "application/rdf+xml")
    server.static("/catalog.jsonld", json.dumps(jsonld).encode(), "application/ld+json")
    agency = Agency()
    xml_source = make_source(agency, server.url + "/catalog.rdf", "daknong_dcat", name="n-xml")
    json_source = make_source(
        agency, server.url + "/catalog.jsonld", "daknong_dcat", name="n-jsonld"
    )

    run_job(xml_source["id"])
    run_job(json_source["id"])

    assert harvested(xml_source["id"])["x1"]["title"] == "Cơ sở khám chữa bệnh Gia Nghĩa"
    jsonld_dataset = harvested(json_source["id"])["j1"]
    assert jsonld_dataset["title"] == "Trạm y tế xã Đắk R'Lấp"
    assert jsonld_dataset["access_level"] == "shared"


def test_malformed_rdf_is_a_source_error_and_loses_nothing(server):
    body = PREFIXES + _dataset_ttl("a1", "Bản đồ địa chính")
    server.static("/catalog.ttl", body.encode(), "text/turtle")
    source = make_source(Agency(), server.url + "/catalog.ttl", "daknong_dcat", {"grace_days": 0})
    run_job(source["id"])
    server.static("/catalog.ttl", b"@prefix dcat: <broken . dcat:Dataset ;;", "text/turtle")

    result = run_job(source["id"])

    assert any("malformed RDF" in e for e in result["gather_errors"])
    assert harvested(source["id"])["a1"]["state"] == "active"


def test_pages_that_loop_back_fail_the_source(server):
    body = PREFIXES + _page(server.url, 1, 2).replace("catalog-2", "catalog-1")
    server.static("/catalog-1.ttl", (body + _dataset_ttl("a1", "Một")).encode(), "text/turtle")
    source = make_source(Agency(), server.url + "/catalog-1.ttl", "daknong_dcat")

    result = run_job(source["id"])

    assert any("loop back" in e for e in result["gather_errors"])
    assert harvested(source["id"]) == {}


def test_a_dataset_without_title_is_reported_and_the_others_import(server):
    body = PREFIXES + _dataset_ttl("a1", "Bản đồ địa chính")
    body += '<https://x/dataset/z> a dcat:Dataset ; dct:identifier "z9" .'
    server.static("/catalog.ttl", body.encode(), "text/turtle")
    source = make_source(Agency(), server.url + "/catalog.ttl", "daknong_dcat")

    result = run_job(source["id"])

    assert set(harvested(source["id"])) == {"a1"}
    assert any(
        e.startswith("bản ghi ")
        and "tên: còn thiếu (dct:title) trong https://x/dataset/z / record " in e
        for e in result["object_errors"]
    ), result["object_errors"]
