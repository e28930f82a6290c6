"""package_search cannot be turned against the permission filter (M1; QĐ 43 Art. 10).

Solr computes function queries, score statistics and transformers over the whole index, and
local parameters can rewrite the query: the permission filter only limits which documents are
returned. These tests try each trick over HTTP, as every role, against a world whose shared
and restricted datasets carry unique markers (``leak_world``): the tricks are refused with a
409 and a bilingual message, no marker, count or existence signal reaches those who may not
read, and entitled users still find their data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ckan.tests.helpers import _get_test_app

from ckanext.daknong.tests.leak_world import (
    LEVELS,
    MISSING_WORD,
    ROLES,
    build_world,
    leaked,
    markers_of,
)

REFUSED_MESSAGE = (
    "This search parameter is not allowed: use plain field names, the portal's facets and "
    "plain search words or field:value filters."
)
CATALOGUE = Path(__file__).parents[1] / "i18n" / "vi" / "LC_MESSAGES" / "ckanext-daknong.po"


def _vietnamese(msgid: str) -> str:
    """The message as the portal answers it (``ckan.locale_default = vi``)."""
    from babel.messages.pofile import read_po

    with CATALOGUE.open("rb") as stream:
        message = read_po(stream).get(msgid)
    assert message is not None and message.string, msgid
    return message.string


REFUSED_MESSAGE_VI = _vietnamese(REFUSED_MESSAGE)
SECRET = markers_of("restricted")["title"]


@pytest.fixture(scope="module")
def world(module_clean_db):
    return build_world()


@pytest.fixture(scope="module")
def client(world):
    return _get_test_app()


def _search(client, world, role: str, status: int | None = 200, **params: Any):
    response = client.post(
        "/api/3/action/package_search",
        json={"include_private": True, **params},
        headers=world.headers(role),
        status=status,
    )
    return response


def _assert_refused(response, param: str) -> None:
    assert response.status_code == 409, response.body
    error = response.json["error"]
    assert error["__type"] == "Validation Error"
    assert error[param] == [REFUSED_MESSAGE_VI]


FL_TRICKS = [
    f"docfreq(text,'{SECRET}')",
    f"id,docfreq(name,'{markers_of('restricted')['name']}')",
    f"ttf(text,'{SECRET}')",
    "numdocs()",
    "maxdoc()",
    f"termfreq(text,'{SECRET}')",
    f"idf(text,'{SECRET}')",
    f"query(text:{SECRET})",
    "field(name)",
    "score",
    "id score",
    "*",
    "extras_*",
    "permission_labels",
    "data_dict",
    "validated_data_dict",
    "text",
    "x:[subquery]",
    "[child]",
    "[explain]",
    "remote_id:id",
]


@pytest.mark.parametrize("fl", FL_TRICKS)
def test_fl_function_queries_and_internal_fields_refused(client, world, fl):
    """M1, QĐ 43 Art. 10: ``fl`` function queries (docfreq, ttf, numdocs…) answered over the
    whole index, and ``fl`` naming index fields or transformers, are refused for every role."""
    for role in ROLES:
        _assert_refused(_search(client, world, role, status=409, fl=fl), "fl")


QUERY_TRICKS = [
    ("q", f"{{!lucene}}title:{SECRET}"),
    ("q", f"{{!join from=id to=id}}text:{SECRET}"),
    ("q", f"{{!frange l=1}}docfreq(text,'{SECRET}')"),
    ("q", f"{{!func}}docfreq(text,'{SECRET}')"),
    ("q", f'_query_:"{{!lucene}}text:{SECRET}"'),
    ("q", f"_val_:\"docfreq(text,'{SECRET}')\""),
    ("q", f"name:x OR \\_query\\_:text:{SECRET}"),
    ("q", f"{{ !lucene}}text:{SECRET}"),
    ("fq", f"{{!lucene}}text:{SECRET}"),
    ("fq", f'_query_:"text:{SECRET}"'),
    ("fq", f"name:x {{!terms f=id}}{SECRET}"),
    ("sort", f"docfreq(text,'{SECRET}') desc"),
    ("sort", "if(exists(name),1,0) desc"),
    ("sort", "permission_labels asc"),
    ("defType", "func"),
    ("defType", "frange"),
    ("defType", "join"),
    ("qf", f"docfreq(text,'{SECRET}')"),
    ("qf", "permission_labels"),
    ("mm", "{!x}"),
    ("tie", "docfreq(text,'x')"),
    ("wt", "csv"),
    ("wt", "xml"),
    ("bf", f"docfreq(text,'{SECRET}')"),
    ("boost", f"docfreq(text,'{SECRET}')"),
    ("facet.query", f"text:{SECRET}"),
    ("facet.pivot", "tags,res_format"),
    ("stats", "true"),
    ("stats.field", "metadata_modified"),
    ("json.facet", '{"x":"unique(name)"}'),
    ("terms", "true"),
    ("x.q", f"text:{SECRET}"),
    ("hl", "true"),
    ("debugQuery", "true"),
    ("spellcheck", "true"),
]


@pytest.mark.parametrize(("param", "value"), QUERY_TRICKS)
def test_local_params_sub_queries_and_unlisted_parameters_refused(client, world, param, value):
    """M1, QĐ 43 Art. 10: local params, _query_/_val_, function sorts, other query parsers,
    boost functions, facet queries, pivots, stats and JSON facets are refused (409)."""
    for role in ROLES:
        _assert_refused(_search(client, world, role, status=409, **{param: value}), param)


def test_fq_list_local_params_refused(client, world):
    """M1, QĐ 43 Art. 10: the filter list is checked like ``fq``."""
    response = client.post(
        "/api/3/action/package_search",
        json={"fq_list": ["name:x", f"{{!lucene}}text:{SECRET}"]},
        headers=world.headers("other_agency"),
        status=409,
    )
    _assert_refused(response, "fq_list")


@pytest.mark.parametrize(
    "facet",
    [
        "permission_labels",
        "text",
        "name",
        "data_dict",
        "extras_data_sources",
        "{!ex=x}tags",
        "{!key=x}tags",
        f"{{!terms={SECRET}}}tags",
    ],
)
def test_facet_fields_outside_the_portals_facets_refused(client, world, facet):
    """M1, QĐ 43 Art. 10: facets on arbitrary fields and facets with local params."""
    for role in ROLES:
        response = _search(client, world, role, status=409, **{"facet.field": [facet]})
        _assert_refused(response, "facet.field")


def test_refusal_message_has_a_vietnamese_translation():
    """M1: the refusal is clear in both languages."""
    assert REFUSED_MESSAGE_VI.startswith("Không được dùng tham số tìm kiếm này")


def _probes(level: str) -> list[dict[str, Any]]:
    """Searches that would tell a marker exists: by word, field, facet and sort."""
    marks = markers_of(level)
    probes: list[dict[str, Any]] = []
    for word in marks.values():
        probes += [
            {"q": word},
            {"q": f"text:{word}"},
            {"q": f"title:*{word}*"},
            {"fq": f"text:{word}"},
            {"fq_list": [f"text:{word}"]},
        ]
    probes += [
        {"fq": f"tags:{marks['tag']}"},
        {"fq": f"res_format:{marks['format']}"},
        {"fq": f"res_name:{marks['resource']}"},
        {"fq": f"name:{marks['name']}"},
        {"fq": f"extras_data_sources:{marks['extra']}"},
        {"q": f"{marks['title']} OR {marks['notes']}", "defType": "edismax"},
    ]
    return probes


def _as_missing(probe: dict[str, Any], level: str) -> dict[str, Any]:
    """The same probe with every marker replaced by a word that exists nowhere."""
    text = json.dumps(probe)
    for word in markers_of(level).values():
        text = text.replace(word, MISSING_WORD)
    return json.loads(text)


def _comparable(answer: dict[str, Any]) -> dict[str, Any]:
    result = dict(answer["result"])
    result["results"] = sorted(r["id"] for r in result["results"])
    return result


@pytest.mark.parametrize("level", LEVELS)
def test_outsiders_get_no_marker_count_or_existence_signal(client, world, level):
    """M1, QĐ 43 Art. 10: for those who may not read, searching an existing restricted (or
    shared) word answers exactly as searching a missing word, facets and counts included."""
    facets = {"facet.field": ["tags", "res_format", "organization", "license_id"]}
    dataset_id = world.datasets[level]["id"]
    for role in world.outsiders(level):
        for probe in _probes(level):
            got = _search(client, world, role, **facets, **probe).json
            missing = _search(client, world, role, **facets, **_as_missing(probe, level)).json
            assert _comparable(got) == _comparable(missing), (role, probe)
            body = json.dumps(got)
            assert not leaked(body, level), (role, probe)
            assert dataset_id not in body, (role, probe)


@pytest.mark.parametrize("level", LEVELS)
def test_entitled_users_still_find_their_data(client, world, level):
    """M1, QĐ 43 Art. 10: the guard leaves plain searches, fields, facets and sorts working."""
    marks = markers_of(level)
    dataset_id = world.datasets[level]["id"]
    for role in world.readers(level):
        for probe in (
            {"q": marks["notes"]},
            {"q": marks["extra"]},
            {"fq": f"tags:{marks['tag']}"},
            {"fq_list": [f"res_format:{marks['format']}"]},
            {"q": marks["title"], "defType": "edismax", "qf": "title^2 text", "mm": "1"},
            {"q": marks["title"], "fl": "id,name,title", "sort": "title_string asc"},
            {"q": marks["title"], "fl": ["id", "extras_data_sources"], "sort": "score desc"},
        ):
            result = _search(client, world, role, **probe).json["result"]
            assert result["count"] == 1, (role, probe)
            assert result["results"][0]["id"] == dataset_id
        facets = _search(
            client, world, role, rows=0, **{"facet.field": ["tags", "res_format"]}
        ).json["result"]["facets"]
        assert marks["tag"] in facets["tags"], role
        assert marks["format"] in facets["res_format"], role


def test_portal_facets_and_sorts_allowed(client, world):
    """The portal's own facets (ours and CKAN's) and the page's sort orders pass the guard."""
    facets = [
        "access_level",
        "sector",
        "update_frequency",
        "agency_level",
        "database_type",
        "vocab_foundation_data",
        "organization",
        "groups",
        "tags",
        "res_format",
        "license_id",
    ]
    for sort in ("score desc, metadata_modified desc", "title_string desc", "views_recent desc"):
        _search(client, world, "anonymous", sort=sort, **{"facet.field": facets})


def test_web_search_page_refuses_tricks_without_an_error_page(client, world):
    """M1: the dataset search page answers a trick with 400, not a server error, and shows
    outsiders no marker."""
    client.get("/dataset/", query_string={"sort": f"docfreq(text,'{SECRET}') desc"}, status=400)
    page = client.get("/dataset/", query_string={"q": SECRET}).body
    hidden = markers_of("restricted")
    for key in ("name", "notes", "tag", "resource", "format", "extra"):  # q echoes the title
        assert hidden[key] not in page, key
    assert world.datasets["restricted"]["id"] not in page
    found = client.get(
        "/dataset/", query_string={"q": SECRET}, headers=world.headers("owner_member")
    ).body
    assert markers_of("restricted")["name"] in found
