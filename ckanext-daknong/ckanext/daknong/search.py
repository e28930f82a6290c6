"""Search: which of our fields Solr indexes and facets, and diacritic-insensitive matching.

We run on CKAN's stock ``schema.xml`` (production uses the official ``ckan-solr`` image), so
everything here fits its dynamic fields:

* single-valued codes (``access_level``, ``sector``, ``agency_level``…) are indexed under their
  own names through the ``*`` string field and facet as they are;
* list-valued codes (``foundation_data``, ``spatial_units``) cannot go there (``*`` is
  single-valued), so they are indexed as ``vocab_<field>``, CKAN's multi-valued string field.
  Filters may still say ``foundation_data:land``: :func:`before_dataset_search` rewrites it;
* free text of our own fields goes to ``extras_<field>`` (a ``text`` field copied into the
  ``text`` catch-all), so it is searchable like ``notes``; repeating subfields (data items,
  sharing services) contribute their text to ``text`` only.

Vietnamese without diacritics ("dan cu" for "Dân cư") only partly works through the ASCII
folding of Solr's ``text`` type: that folding runs *after* the English stemmer, which takes
accented letters for consonants, so "thủy" is indexed as "thui" and never meets "thuy". So we
fold in Python, before Solr sees anything: every searchable text gets a folded copy in the
``text`` catch-all at index time, and plain-text queries are folded too. A query typed with
or without diacritics thus meets the same folded terms. Fielded queries (``field:value``) are
left alone, since they may target exact string fields. The organisation's title is not in
CKAN's index at all; it is added (both forms) here.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import ckan.lib.search as search_index
import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.daknong import labels

DATASET = "dataset"
DATABASE = "database"

# Solr fields of CKAN's schema.xml that accept several values; any other list must be reshaped.
_MULTI_VALUED = frozenset(
    {
        "tags",
        "groups",
        "permission_labels",
        "res_name",
        "res_description",
        "res_format",
        "res_url",
        "res_type",
        "text",
        "urls",
        "depends_on",
        "dependency_of",
        "derives_from",
        "has_derivation",
        "links_to",
        "linked_from",
        "child_of",
        "parent_of",
    }
)
_MULTI_VALUED_PREFIXES = ("vocab_", "res_extras_")
MULTI_VALUED_PREFIX = "vocab_"
FREE_TEXT_PREFIX = "extras_"

# Keys of package_show that CKAN's own indexer has already flattened.
_CORE_KEYS = frozenset(
    {
        "tags",
        "groups",
        "resources",
        "extras",
        "organization",
        "relationships_as_subject",
        "relationships_as_object",
    }
)

# Our free-text fields: analysed and searchable, and never an over-long Solr string term.
FREE_TEXT_FIELDS = (
    "purpose",
    "scope",
    "collection_mechanism",
    "update_mechanism",
    "data_sources",
    "legal_basis",
    "data_use_regulation",
    "contact_name",
)

# Fields of schema.xml that are stored only or analysed: no limit on their length.
_STORED_OR_TEXT = frozenset({"data_dict", "validated_data_dict", "title", "notes", "text"})
# Far below Solr's 32 766-byte limit for one string term: longer is free text, not a code.
MAX_STRING_BYTES = 4096

# Organisation extras copied onto each of its datasets at index time.
AGENCY_FIELDS = ("agency_level", "agency_code")


@dataclass(frozen=True)
class Facet:
    """One of our facets: the Solr field, the schema field that labels its values, where."""

    solr_field: str
    schema_field: str
    dataset_types: tuple[str, ...]
    organization_schema: bool = False


FACETS = (
    Facet("access_level", "access_level", (DATASET,)),
    Facet("database_type", "database_type", (DATABASE,)),
    Facet(MULTI_VALUED_PREFIX + "foundation_data", "foundation_data", (DATABASE,)),
    Facet("sector", "sector", (DATASET,)),
    Facet("update_frequency", "update_frequency", (DATASET, DATABASE)),
    Facet("agency_level", "agency_level", (DATASET, DATABASE), organization_schema=True),
)


def _facet_titles() -> dict[str, str]:
    """Facet headings, translated at request time (literal msgids for extraction)."""
    return {
        "access_level": tk._("Access level"),
        "database_type": tk._("Database type"),
        MULTI_VALUED_PREFIX + "foundation_data": tk._("Foundation data"),
        "sector": tk._("Sector"),
        "update_frequency": tk._("Update frequency"),
        "agency_level": tk._("Agency level"),
    }


# --- facets ------------------------------------------------------------------------------


def dataset_facets(facets: dict[str, Any], package_type: str) -> dict[str, Any]:
    """Facets of the search page of ``package_type``: ours first, then CKAN's."""
    return _with_our_facets(facets, package_type or DATASET, agency_page=False)


def organization_facets(
    facets: dict[str, Any], organization_type: str, package_type: str | None
) -> dict[str, Any]:
    """Facets of an agency's page; the agency level is the same for all of it, so left out."""
    return _with_our_facets(facets, package_type or DATASET, agency_page=True)


# CKAN's facets the portal does not show: it does not use CKAN's groups (agencies are its
# organisations, sectors its themes), so the facet would only ever say "no groups".
UNUSED_FACETS = frozenset({"groups"})


def _with_our_facets(facets: dict[str, Any], package_type: str, agency_page: bool) -> dict:
    titles = _facet_titles()
    ours = {
        facet.solr_field: titles[facet.solr_field]
        for facet in FACETS
        if package_type in facet.dataset_types and not (agency_page and facet.organization_schema)
    }
    kept = {key: value for key, value in facets.items() if key not in {*ours, *UNUSED_FACETS}}
    return {**ours, **kept}


def after_dataset_search(results: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """Show facet values with their schema labels ("Dữ liệu mở"), not their codes ("open")."""
    for facet in FACETS:
        for item in results.get("search_facets", {}).get(facet.solr_field, {}).get("items", []):
            item["display_name"] = facet_value_label(facet, item["name"])
    return results


def facet_value_label(facet: Facet, value: str) -> str:
    """The label of a coded value in the user's language, from the scheming schema choices."""
    schema_types = (labels.ORGANIZATION,) if facet.organization_schema else facet.dataset_types
    for schema_type in schema_types:
        choices = labels.choice_labels(schema_type, facet.schema_field)
        if choices:
            return choices.get(value, value)
    return value


# --- indexing ----------------------------------------------------------------------------


def before_dataset_index(data: dict[str, Any]) -> dict[str, Any]:
    """Shape our fields for CKAN's stock Solr schema and add folded text."""
    shown = _as_shown(data)
    copied = [data.get(name) for name in ("title", "notes", "author", "maintainer")]
    for name in ("tags", "res_name", "res_description"):
        copied += _as_list(data.get(name))
    copied += _index_free_text(data, shown)
    added = _index_lists(data, shown) + _drop_unindexable(data) + _add_agency(data)
    data["text"] = _as_list(data.get("text")) + _index_texts(copied, added)
    return data


def _as_shown(data: dict[str, Any]) -> dict[str, Any]:
    """The dataset as package_show returns it.

    CKAN indexes the stored form, where scheming keeps a multiple-choice value as a JSON
    string; the show-validated copy it has just made holds the real lists.
    """
    try:
        return json.loads(data.get("validated_data_dict") or "{}")
    except ValueError:
        return {}


def _index_free_text(data: dict[str, Any], shown: dict[str, Any]) -> list[str]:
    """Index our free-text fields only as ``extras_*`` (analysed, copied into ``text``).

    The copy under the bare name is a single Solr string term, and a term over 32 KB fails
    the whole update.
    """
    texts = []
    for name in FREE_TEXT_FIELDS:
        data.pop(name, None)
        data.pop(FREE_TEXT_PREFIX + name, None)
        value = shown.get(name)
        if isinstance(value, list):
            value = "; ".join(str(v) for v in value if v)
        if value:
            data[FREE_TEXT_PREFIX + name] = str(value)
            texts.append(str(value))
    return texts + _index_long_strings(data)


def _index_long_strings(data: dict[str, Any]) -> list[str]:
    """Any other long string bound for the ``*`` string field is indexed as text instead,
    so that a free-text field a schema adds later cannot make a dataset unindexable."""
    texts = []
    for name, value in list(data.items()):
        if name in _STORED_OR_TEXT or name.startswith((FREE_TEXT_PREFIX, "res_extras_")):
            continue
        if isinstance(value, str) and len(value.encode()) > MAX_STRING_BYTES:
            data.pop(name)
            data.setdefault(FREE_TEXT_PREFIX + name, value)
            texts.append(value)
    return texts


def _index_lists(data: dict[str, Any], shown: dict[str, Any]) -> list[str]:
    """Lists of codes become multi-valued ``vocab_*`` values; repeating subfields, text."""
    texts: list[str] = []
    for name, value in shown.items():
        if name in _CORE_KEYS or name in FREE_TEXT_FIELDS or not isinstance(value, list):
            continue
        data.pop(name, None)
        data.pop(FREE_TEXT_PREFIX + name, None)
        if all(isinstance(v, str | int | float) for v in value):
            data[MULTI_VALUED_PREFIX + name] = [str(v) for v in value]
        else:
            texts += _strings_in(value)
    return texts


def _drop_unindexable(data: dict[str, Any]) -> list[str]:
    """Remove any other list or mapping bound for a single-valued field, keeping its text.

    One such value fails the whole index update, so a field a schema adds later must not
    be able to make a dataset unsearchable.
    """
    texts: list[str] = []
    for name in list(data):
        if name in _MULTI_VALUED or name.startswith(_MULTI_VALUED_PREFIXES):
            continue
        if isinstance(data[name], dict | list | tuple):
            texts += _strings_in(data.pop(name))
    return texts


def _strings_in(value: Any) -> Iterator[str]:
    """Every string inside nested lists and mappings (the text of repeating subfields)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings_in(item)


def _add_agency(data: dict[str, Any]) -> list[str]:
    """Index the owner agency's level and code, and return its title for the text index.

    CKAN indexes only the organisation's name; two small indexed queries fetch the rest.
    """
    org_id = data.get("owner_org")
    if not org_id:
        return []
    extras = (
        model.Session.query(model.GroupExtra.key, model.GroupExtra.value)
        .filter(
            model.GroupExtra.group_id == org_id,
            model.GroupExtra.key.in_(AGENCY_FIELDS),
            model.GroupExtra.state == "active",
        )
        .all()
    )
    for key, value in extras:
        if value:
            data[key] = value
    title = model.Session.query(model.Group.title).filter(model.Group.id == org_id).scalar()
    return [title] if title else []


def reindex_agency(organization_id: str) -> int:
    """Re-index an agency's datasets and database entries; returns how many.

    Their documents carry the agency's title, level and code (:func:`_add_agency`), which CKAN
    does not refresh when an organisation is edited: call this after an agency changes.
    """
    ids = [
        row.id
        for row in model.Session.query(model.Package.id).filter(
            model.Package.owner_org == organization_id, model.Package.state != "deleted"
        )
    ]
    if ids:
        search_index.rebuild(package_ids=ids, quiet=True)
        search_index.commit()
    return len(ids)


def reindex_updated_agency(sender: str, **kwargs: Any) -> None:
    """``action_succeeded`` receiver for ``organization_update`` (which ``organization_patch``
    calls): runs after the update is committed, unlike ``IOrganizationController.edit``."""
    agency_id = (kwargs.get("result") or {}).get("id")
    if agency_id:
        reindex_agency(agency_id)


def _index_texts(copied: Iterable[Any], added: Iterable[Any]) -> list[str]:
    """What to add to ``text``: folded copies of texts Solr already copies there, and both
    forms of texts it does not index on its own (agency title, repeating subfields)."""
    out = []
    for text, keep_original in [(t, False) for t in copied] + [(t, True) for t in added]:
        if not isinstance(text, str) or not text.strip():
            continue
        folded = fold(text)
        if keep_original:
            out.append(text)
        if folded != text or keep_original:
            out.append(folded)
    return list(dict.fromkeys(out))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


_VIETNAMESE_D = str.maketrans({"đ": "d", "Đ": "D"})


def fold(text: str) -> str:
    """Vietnamese without diacritics: "Đắk Nông" → "Dak Nong" (đ has no decomposition).

    Also undoes decomposed input (NFD, as some keyboards type it), which Solr's word
    delimiter would otherwise split at every accent.
    """
    decomposed = unicodedata.normalize("NFD", text.translate(_VIETNAMESE_D))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# --- querying ----------------------------------------------------------------------------

# List-valued schema fields that API clients may filter on by their own name.
LIST_FIELDS = ("foundation_data", "spatial_units")
_LIST_FIELD_ALIAS = re.compile(rf"(^|[\s(+\-!])({'|'.join(LIST_FIELDS)}):")


def before_dataset_search(params: dict[str, Any]) -> dict[str, Any]:
    """Refuse Solr tricks, fold plain-text queries, accept our list fields by schema name."""
    guard_search_params(params)
    q = params.get("q")
    if isinstance(q, str):
        params["q"] = _alias_list_fields(q) if ":" in q else fold(q)
    if isinstance(params.get("fq"), str):
        params["fq"] = _alias_list_fields(params["fq"])
    if isinstance(params.get("fq_list"), list):
        params["fq_list"] = [_alias_list_fields(fq) for fq in params["fq_list"]]
    return params


def _alias_list_fields(query: str) -> str:
    return _LIST_FIELD_ALIAS.sub(rf"\1{MULTI_VALUED_PREFIX}\2:", query)


# --- what package_search callers may ask of Solr (M1; QĐ 43 Art. 10) -----------------------
#
# CKAN's permission filter is one ``fq``: it limits the documents returned and counted, but not
# what Solr computes over the whole index (function queries such as ``docfreq``, ``ttf`` or
# ``numdocs``, score statistics, transformers), nor what other fields of a readable document
# carry (the permission labels, the unvalidated ``data_dict``). So every parameter that reaches
# Solr is checked here against what the portal's pages need, the same for every caller
# (sysadmins included: no page needs more, and a stolen sysadmin token should not get a Solr
# console). Anything else is refused with a 409, never silently dropped.

# Parameters package_search may pass to Solr, besides those CKAN consumes itself.
_SOLR_PARAMS = frozenset(
    {"q", "fq", "fq_list", "fl", "rows", "start", "sort", "facet", "facet.field"}
    | {"facet.limit", "facet.mincount", "qf", "defType", "mm", "tie", "wt", "df"}
)
_CKAN_PARAMS = frozenset(
    {"extras", "include_private", "include_drafts", "include_deleted", "use_default_schema"}
    | {"abort_search"}
)
_REFUSED_PARAMS = frozenset({"bf", "boost"})
_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Stored fields that are the index's bookkeeping, or another form of the whole record.
_INTERNAL_FIELDS = frozenset(
    {"permission_labels", "data_dict", "validated_data_dict", "text", "_version_", "index_id"}
    | {"score", "_root_", "_nest_path_", "_text_"}
)
_DEF_TYPES = frozenset({"dismax", "edismax", "lucene"})
_SORT_CLAUSE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s+(asc|desc)\s*$", re.IGNORECASE)
_QF_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\^\d+(\.\d+)?)?$")
_MM = re.compile(r"^[0-9<>%\-\s]*$")
_TIE = re.compile(r"^(0(\.\d+)?|1(\.0+)?)$")
# Local parameters ``{!...}``, also escaped or spaced, and the lucene parser's magic fields.
_LOCAL_PARAMS = re.compile(r"\{\s*!")
_MAGIC_FIELDS = re.compile(r"(?<![\w\\])\\?_\\?(q\\?u\\?e\\?r\\?y|v\\?a\\?l)\\?_\s*:", re.I)
# CKAN's default facets (``search.facets``) and the harvest source list's.
_DEFAULT_FACET_FIELDS = frozenset(
    {"organization", "groups", "tags", "res_format", "license_id", "frequency", "source_type"}
)


def allowed_facet_fields() -> frozenset[str]:
    """Facets the portal's pages use: ours, CKAN's, and any configured in ``search.facets``."""
    configured = tk.config.get("search.facets") or ""
    if isinstance(configured, str):
        configured = configured.split()
    return (
        _DEFAULT_FACET_FIELDS
        | {facet.solr_field for facet in FACETS}
        | {str(name) for name in configured}
    )


class RefusedSearchParameter(tk.ValidationError, search_index.SearchQueryError):
    """A 409 from the API (ValidationError) and a 400 page from the web search
    (which catches SearchQueryError), rather than a 500."""


def _refuse(param: str) -> None:
    raise RefusedSearchParameter(
        {
            param: [
                tk._(
                    "This search parameter is not allowed: use plain field names, the "
                    "portal's facets and plain search words or field:value filters."
                )
            ]
        }
    )


def _as_strings(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return [] if value is None else [str(value)]


def _check_query_text(param: str, value: Any) -> None:
    for text in _as_strings(value):
        if _LOCAL_PARAMS.search(text) or _MAGIC_FIELDS.search(text):
            _refuse(param)


def guard_search_params(params: dict[str, Any]) -> None:
    """Raise ValidationError (409) for any parameter that could read past the permission filter.

    Allowed: plain words and ``field:value`` filters in ``q``/``fq``/``fq_list`` (no local
    parameters, no ``_query_``/``_val_``), plain stored field names in ``fl`` (not the index's
    own fields), the portal's facet fields, ``field asc|desc`` sorts, the dismax, edismax or
    lucene parser with plain ``qf``/``mm``/``tie``, and JSON answers.
    """
    for key in params:
        if key.startswith("ext_"):
            continue
        if key in _REFUSED_PARAMS or key not in _SOLR_PARAMS | _CKAN_PARAMS:
            _refuse(key)
    for key in ("q", "fq", "fq_list"):
        _check_query_text(key, params.get(key))
    for name in _as_strings(params.get("fl")):
        for field in name.replace(",", " ").split():
            if not _FIELD_NAME.match(field) or field in _INTERNAL_FIELDS:
                _refuse("fl")
    facets = allowed_facet_fields()
    for field in _as_strings(params.get("facet.field")):
        if field not in facets:
            _refuse("facet.field")
    sort = params.get("sort")
    if sort not in (None, "", "rank"):
        for clause in str(sort).split(","):
            match = _SORT_CLAUSE.match(clause)
            if not match or match.group(1) in _INTERNAL_FIELDS - {"score"}:
                _refuse("sort")
    if params.get("defType") not in (None, "", *_DEF_TYPES):
        _refuse("defType")
    for field in str(params.get("qf") or "").split():
        if not _QF_FIELD.match(field) or field.split("^")[0] in _INTERNAL_FIELDS - {"text"}:
            _refuse("qf")
    if not _MM.match(str(params.get("mm") or "")):
        _refuse("mm")
    if params.get("tie") not in (None, "") and not _TIE.match(str(params["tie"])):
        _refuse("tie")
    if params.get("wt") not in (None, "", "json"):
        _refuse("wt")
    if params.get("df") not in (None, "text"):
        _refuse("df")
