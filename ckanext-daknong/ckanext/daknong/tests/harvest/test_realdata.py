"""The harvesters on real catalogues (QĐ 43 Art. 20.3, 21.3): a national portal's DCAT-AP feed
and a city's CKAN, served from a local HTTP server exactly as published.

The samples are third-party data in ``<repo root>/../shared/realdata`` (see its README): a
200-record DCAT-AP feed in two Hydra pages (Statbel publications whose licence sits on the
distributions and whose texts come with machine translations tagged ``de-t-fr``; ODWB records,
65 of which are stubs without a title) and a ``package_search`` answer of data.birmingham.gov.uk
(``uk-ogl``). Each feed is harvested once per module; the tests read the result.
"""

from __future__ import annotations

import json

import pytest
from ckan import model
from ckan.tests.helpers import call_action
from ckanext.harvest import queue
from ckanext.harvest.model import HarvestJob

from ckanext.daknong.tests.conftest import REPO_ROOT
from ckanext.daknong.tests.factories import Agency
from ckanext.daknong.tests.harvest.helpers import harvested, make_source, run_job
from ckanext.daknong.tests.harvest.servers import LocalServer, Reply

REALDATA = REPO_ROOT.parent / "shared" / "realdata"
SAMPLE_BASE = "http://127.0.0.1:18765/dcat/catalog.ttl"
STATBEL = "https://wiki.statbel.fgov.be/entity/Q12791"
ODWB = "https://www.odwb.be/explore/dataset/027-ores-gaz-compteurs-communicants-poses-copie/"

pytestmark = pytest.mark.usefixtures("module_clean_db")


def _page(number: int, base: str) -> bytes:
    text = (REALDATA / f"dcat-databe-catalog-page{number}.ttl").read_text(encoding="utf-8")
    return text.replace(SAMPLE_BASE, base).encode()


def _serve_feed(server: LocalServer, path: str, content_type: str) -> None:
    """The feed at ``path``, page N at ``path?page=N``, its base rewritten to this server."""
    base = server.url + path

    def feed(_path: str, query: dict[str, list[str]], _headers: dict[str, str]) -> Reply:
        number = int(query.get("page", ["1"])[0])
        return Reply(200, _page(number, base), {"Content-Type": content_type})

    server.route(path, feed)


@pytest.fixture(scope="module")
def server():
    with LocalServer() as running:
        _serve_feed(running, "/dcat/catalog.ttl", "text/turtle")
        # The same feed at an address without a file extension: once with its Content-Type,
        # once with a wrong one (a web server's default), so the parser has to sniff.
        _serve_feed(running, "/dcat/catalog", "text/turtle; charset=utf-8")
        _serve_feed(running, "/dcat/feed", "application/octet-stream")
        answer = (REALDATA / "ckan-birmingham-package_search.json").read_bytes()

        def package_search(_path, query, _headers):
            # The snapshot is the first page of 10; the later pages are not in it.
            if int(query.get("start", ["0"])[0]) == 0:
                return Reply(200, answer, {"Content-Type": "application/json"})
            empty = {"success": True, "result": {"count": 10, "results": []}}
            return Reply(200, json.dumps(empty).encode(), {"Content-Type": "application/json"})

        running.route("/api/3/action/package_search", package_search)
        yield running


@pytest.fixture(scope="module")
def agency():
    return Agency()


@pytest.fixture(scope="module")
def dcat_run(server, agency):
    source = make_source(
        agency, server.url + "/dcat/catalog.ttl", "daknong_dcat", {"public_access_level": "open"}
    )
    result = run_job(source["id"])
    return source, result, harvested(source["id"])


@pytest.fixture(scope="module")
def ckan_run(server, agency):
    source = make_source(agency, server.url, "daknong_ckan", {"public_access_level": "open"})
    result = run_job(source["id"])
    return source, result, harvested(source["id"])


def test_dcat_feed_imports_135_of_200_and_reports_each_record_without_title(dcat_run):
    """QĐ 43 Art. 21.3: every record of the agency's catalogue is read; the 65 stubs of the
    feed (no dct:title) are refused one by one with the reason, the 135 others import."""
    _source, result, datasets = dcat_run

    assert result["gather_errors"] == []
    assert len(datasets) == 135
    missing = [e for e in result["object_errors"] if "title: missing (dct:title)" in e]
    assert len(missing) == 65 == len(result["object_errors"]), result["object_errors"][:3]
    # each names the record's position and URI, in Vietnamese and English
    assert all(e.startswith("bản ghi ") and "https://www.odwb.be/" in e for e in missing)
    assert len(set(missing)) == 65


def test_licence_on_the_distributions_makes_a_dcat_record_open(dcat_run):
    """NĐ 47 Art. 17–18: DCAT-AP puts dct:license on the distributions, as EU authority IRIs;
    CC BY 4.0 and CC0 are recognised, so such a record imports as open with its licence."""
    _source, _result, datasets = dcat_run

    odwb = [d for key, d in datasets.items() if key.startswith("https://www.odwb.be/")]
    assert len(odwb) == 35
    licences = sorted((d.get("license_id") or "", d["access_level"]) for d in odwb)
    # 28 CC_BY_4_0 and 2 CC0 on the distributions; 5 records name no licence at all.
    assert licences == [("", "shared")] * 5 + [("cc-by", "open")] * 28 + [("cc-zero", "open")] * 2
    ores = datasets[ODWB]
    assert ores["license_id"] == "cc-by"
    # Statbel's own licence (a PDF) is not a known open licence: kept, imported as shared.
    statbel = [d for key, d in datasets.items() if key.startswith("Q")]
    assert len(statbel) == 100
    assert {d["access_level"] for d in statbel} == {"shared"}
    assert {d["license_id"] for d in statbel} == {
        "https://statbel.fgov.be/sites/default/files/files/opendata/Licence%20open%20data_NL.pdf"
    }


def test_temporal_coverage_formats_and_language_as_in_the_source(dcat_run):
    """QĐ 43 Art. 20.3: a harvested record says what the source says — its period, its file
    types as short labels, its text in the original language, not a machine translation."""
    _source, _result, datasets = dcat_run

    statbel = datasets["Q12791#ID"]
    assert statbel["temporal_start"] == "1972-01-01"
    assert statbel["temporal_end"] == "1972-12-31"
    # fr original, nl, and machine translations de-t-fr, en-t-fr: the French original wins.
    assert (
        statbel["title"] == "Mouvement de la population et migrations 1972 no 3 (données 1969-1971)"
    )
    assert statbel["notes"].startswith("Brochure Thème: S2 - Données statistiques")
    assert {r["format"] for r in statbel["resources"]} == {"PDF"}
    with_period = [d for d in datasets.values() if d.get("temporal_start")]
    assert len(with_period) == 101  # 100 Statbel records and the one ODWB record with one
    ores = datasets[ODWB]
    assert ores["title"] == "027b - ORES Gaz - Compteurs communicants posés"
    assert ores["temporal_start"] == "2023-10-30"
    formats = {r["format"] for r in ores["resources"]}
    assert {"CSV", "JSON", "JSON-LD"} <= formats
    assert not any(
        "publications.europa.eu" in f
        for d in datasets.values()
        for r in d["resources"]
        for f in [r["format"]]
    )


@pytest.mark.parametrize("path", ["/dcat/catalog", "/dcat/feed"])
def test_turtle_at_an_address_without_extension(server, agency, path):
    """QĐ 43 Art. 21.3: a catalogue served at ``/dcat/catalog`` is read by its Content-Type,
    and by its content when the Content-Type says nothing."""
    source = make_source(
        agency, server.url + path, "daknong_dcat", name=f"n{path.replace('/', '-')}"
    )

    job = call_action(
        "harvest_job_create", context={"ignore_auth": True}, source_id=source["id"], run=False
    )
    harvest_job = HarvestJob.get(job["id"])
    harvest_job.status = "Running"
    harvest_job.save()

    objects = queue.gather_stage(queue.get_harvester("daknong_dcat"), harvest_job) or []

    model.Session.expire_all()
    assert [e.message for e in harvest_job.gather_errors] == []
    assert len(objects) == 135  # both pages read (the 65 stubs are refused at gather)


def test_ckan_portal_imports_10_of_10_with_the_uk_open_government_licence(ckan_run):
    """NĐ 47 Art. 17–18: ``uk-ogl`` (and other portals' ids of open licences) is an open
    licence, recognised by id and URL from the maintained list; the records import as open."""
    _source, result, datasets = ckan_run

    assert result["gather_errors"] == [] and result["object_errors"] == []
    assert len(datasets) == 10
    assert {d["license_id"] for d in datasets.values()} == {"uk-ogl"}
    assert {d["access_level"] for d in datasets.values()} == {"open"}
    first = next(d for d in datasets.values() if d["title"] == "Purchase Card Transactions")
    assert len(first["resources"]) == 45
    assert {r["format"] for r in first["resources"]} == {"XLS"}
