"""The published catalogue of shared databases (QĐ 43 Art. 9.2–9.3, NĐ 47 Art. 11.4).

Every public ``database`` entry, grouped by owner agency and by database type (NĐ 47
Art. 11.1 a–c), with the content Art. 11.4 requires: (a) the name; (b) purpose, scope and
content; (c) collection and update mechanisms and data sources; (d) the data items with their
sharing category and the categories of users allowed; plus the sharing services of NĐ 47
Art. 23–24. Datasets never appear here: the entries are read through ``package_search`` as an
anonymous user, restricted to the ``database`` type and to public records.

The same content feeds the ``daknong_catalogue_show`` action, the ``/catalogue`` page and its
CSV and XLSX downloads, so the three cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

import ckan.plugins.toolkit as tk
from openpyxl import Workbook

from ckanext.daknong import labels, search, tabular
from ckanext.daknong.agencies import agency_codes

DATABASE = "database"
# NĐ 47 Art. 11.1 (a) national, (b) ministry/sector/locality shared, (c) other, in that order.
DATABASE_TYPES = ("national", "shared", "internal")
PAGE_SIZE = 1000

# What each entry carries (Art. 11.4 a–c), in the order it is shown.
ENTRY_FIELDS = (
    "purpose",
    "scope",
    "database_type",
    "foundation_data",
    "collection_mechanism",
    "update_mechanism",
    "update_frequency",
    "data_sources",
    "legal_basis",
    "data_use_regulation",
    "last_reviewed",
)
DATA_ITEM_FIELDS = ("item_name", "item_description", "sharing_category", "user_categories")
SERVICE_FIELDS = (
    "service_id",
    "service_name",
    "method",
    "endpoint",
    "documentation_url",
    "exchange_structure",
    "capacity",
)

LIST_VALUED = frozenset({"foundation_data", "user_categories"})

# Coded fields whose labels the catalogue carries: field → repeating field holding it.
CODED_FIELDS = {
    "database_type": None,
    "foundation_data": None,
    "update_frequency": None,
    "sharing_category": "data_items",
    "user_categories": "data_items",
    "method": "sharing_services",
}


@dataclass(frozen=True)
class Filters:
    """What a reader may narrow the catalogue to; empty values mean no filter."""

    agency: str = ""
    database_type: str = ""
    foundation_data: str = ""
    q: str = ""

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Filters:
        return cls(**{key: str(data.get(key) or "").strip() for key in cls.__dataclass_fields__})

    def solr_filters(self) -> list[str]:
        fq = [f"+dataset_type:{DATABASE}", "+capacity:public"]
        if self.agency:
            fq.append(f"+organization:{_quoted(self.agency)}")
        if self.database_type:
            fq.append(f"+database_type:{_quoted(self.database_type)}")
        if self.foundation_data:
            field = search.MULTI_VALUED_PREFIX + "foundation_data"
            fq.append(f"+{field}:{_quoted(self.foundation_data)}")
        return fq


def _quoted(value: str) -> str:
    """A Solr phrase: a filter value can never escape its field."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- building ------------------------------------------------------------------------------


def build(filters: Filters) -> dict[str, Any]:
    """The catalogue content: agencies → database types → entries, plus labels of codes."""
    packages = list(_database_entries(filters))
    codes = agency_codes({p["owner_org"] for p in packages if p.get("owner_org")})
    coded = coded_labels()
    agencies: dict[str, dict[str, Any]] = {}
    for package in packages:
        agency = _agency_group(agencies, package, codes)
        entry = _entry(package)
        agency["_types"].setdefault(entry["database_type"], []).append(entry)
    return {
        "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "filters": asdict(filters),
        "count": len(packages),
        "agencies": [_finish_agency(a, coded) for a in _sorted_agencies(agencies.values())],
        "labels": coded,
    }


def _database_entries(filters: Filters) -> Iterator[dict[str, Any]]:
    """Public ``database`` entries matching the filters, seen as an anonymous reader would.

    An empty user keeps a sysadmin's call from listing private records; ``capacity:public``
    and the type filter keep datasets out whatever the permission labels say.
    """
    start = 0
    while True:
        result = tk.get_action("package_search")(
            {"user": "", "ignore_auth": False},
            {
                "q": filters.q,
                "fq_list": filters.solr_filters(),
                "sort": "title_string asc",
                "rows": PAGE_SIZE,
                "start": start,
                "include_private": False,
            },
        )
        yield from result["results"]
        start += PAGE_SIZE
        if start >= result["count"]:
            return


def _agency_group(
    agencies: dict[str, dict[str, Any]], package: dict[str, Any], codes: dict[str, str]
) -> dict[str, Any]:
    org = package.get("organization") or {}
    key = org.get("name") or ""
    if key not in agencies:
        agencies[key] = {
            "name": key,
            "title": org.get("title") or key,
            "agency_code": codes.get(package.get("owner_org") or "", ""),
            "url": tk.url_for("organization.read", id=key, _external=True) if key else "",
            "_types": {},
        }
    return agencies[key]


def _sorted_agencies(agencies: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """By QĐ 20 code (province, then its departments, then districts), uncoded last."""
    return sorted(agencies, key=lambda a: (not a["agency_code"], a["agency_code"], a["title"]))


def _finish_agency(agency: dict[str, Any], coded: dict[str, dict[str, str]]) -> dict[str, Any]:
    types = agency.pop("_types")
    order = [t for t in DATABASE_TYPES if t in types] + sorted(
        t for t in types if t not in DATABASE_TYPES
    )
    agency["database_types"] = [
        {
            "database_type": code,
            "label": coded["database_type"].get(code, code),
            "databases": types[code],
        }
        for code in order
    ]
    return agency


def _entry(package: dict[str, Any]) -> dict[str, Any]:
    """One database with its Art. 11.4 content."""
    entry = {
        "name": package["name"],
        "title": package.get("title") or package["name"],
        "url": tk.url_for(f"{DATABASE}.read", id=package["name"], _external=True),
        "content": package.get("notes") or "",
    }
    for field in ENTRY_FIELDS:
        entry[field] = _value(package, field)
    entry["data_items"] = _subrecords(package.get("data_items"), DATA_ITEM_FIELDS)
    entry["sharing_services"] = _subrecords(package.get("sharing_services"), SERVICE_FIELDS)
    entry["metadata_modified"] = package.get("metadata_modified") or ""
    return entry


def _subrecords(records: Any, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    if not isinstance(records, list):
        return []
    return [{f: _value(r, f) for f in fields} for r in records if isinstance(r, dict)]


def _value(record: dict[str, Any], field: str) -> Any:
    """The field's value, or an empty one of the field's kind (a list for list fields)."""
    return record.get(field) or ([] if field in LIST_VALUED else "")


def coded_labels() -> dict[str, dict[str, str]]:
    """``field → {code: label}`` from the database schema, in the current language."""
    return {
        field: labels.choice_labels(DATABASE, field, subfield_of=parent)
        for field, parent in CODED_FIELDS.items()
    }


def field_labels(lang: str | None = None) -> dict[str, str]:
    """Headings of the entry fields, data items and services: the schema's own labels."""
    names = {"title": None, "notes": None, **dict.fromkeys(ENTRY_FIELDS)}
    names |= {f: "data_items" for f in DATA_ITEM_FIELDS}
    names |= {f: "sharing_services" for f in SERVICE_FIELDS}
    names |= {"data_items": None, "sharing_services": None}
    return {
        name: labels.field_label(DATABASE, name, subfield_of=parent, lang=lang)
        for name, parent in names.items()
    }


def filter_options() -> dict[str, list[dict[str, Any]]]:
    """Values offered by the page's filters: agencies owning public database entries."""
    result = tk.get_action("package_search")(
        {"user": ""},
        {
            "fq_list": Filters().solr_filters(),
            "rows": 0,
            "facet.field": ["organization"],
            "facet.limit": -1,
        },
    )
    items = result["search_facets"].get("organization", {}).get("items", [])
    agencies = sorted(items, key=lambda i: i["display_name"])
    coded = coded_labels()
    return {
        "agency": [{"value": i["name"], "label": i["display_name"]} for i in agencies],
        "database_type": [
            {"value": code, "label": coded["database_type"].get(code, code)}
            for code in DATABASE_TYPES
        ],
        "foundation_data": [
            {"value": code, "label": label} for code, label in coded["foundation_data"].items()
        ],
    }


# --- downloads -----------------------------------------------------------------------------

# The download's columns: key → the schema field whose Vietnamese label is the header. The
# headers are Vietnamese whatever the page language: the published catalogue is an official
# document and agencies re-import it, so its headers must not follow the reader's UI language.
ROW_COLUMNS: tuple[tuple[str, tuple[str, str, str | None]], ...] = (
    ("agency", (DATABASE, "owner_org", None)),
    ("agency_code", (labels.ORGANIZATION, "agency_code", None)),
    ("database_type", (DATABASE, "database_type", None)),
    ("title", (DATABASE, "title", None)),
    ("url", (DATABASE, "name", None)),
    ("purpose", (DATABASE, "purpose", None)),
    ("scope", (DATABASE, "scope", None)),
    ("content", (DATABASE, "notes", None)),
    ("foundation_data", (DATABASE, "foundation_data", None)),
    ("collection_mechanism", (DATABASE, "collection_mechanism", None)),
    ("update_mechanism", (DATABASE, "update_mechanism", None)),
    ("update_frequency", (DATABASE, "update_frequency", None)),
    ("data_sources", (DATABASE, "data_sources", None)),
    ("item_name", (DATABASE, "item_name", "data_items")),
    ("item_description", (DATABASE, "item_description", "data_items")),
    ("sharing_category", (DATABASE, "sharing_category", "data_items")),
    ("user_categories", (DATABASE, "user_categories", "data_items")),
    ("sharing_services", (DATABASE, "sharing_services", None)),
    ("legal_basis", (DATABASE, "legal_basis", None)),
    ("data_use_regulation", (DATABASE, "data_use_regulation", None)),
    ("last_reviewed", (DATABASE, "last_reviewed", None)),
)
SERVICE_COLUMNS: tuple[tuple[str, tuple[str, str, str | None]], ...] = (
    ("agency", (DATABASE, "owner_org", None)),
    ("title", (DATABASE, "title", None)),
    *((f, (DATABASE, f, "sharing_services")) for f in SERVICE_FIELDS),
)
HEADER_LANG = "vi"
# Sheet names and the workbook title: Vietnamese like the headers (31 characters at most).
SHEET_ITEMS = "Danh mục cơ sở dữ liệu"
SHEET_SERVICES = "Dịch vụ chia sẻ dữ liệu"
WORKBOOK_TITLE = "Danh mục cơ sở dữ liệu dùng chung"


def headers(columns: tuple[tuple[str, tuple[str, str, str | None]], ...]) -> list[str]:
    """The Vietnamese schema labels of the columns."""
    return [
        labels.field_label(schema, field, subfield_of=parent, lang=HEADER_LANG)
        for _, (schema, field, parent) in columns
    ]


def rows(catalogue: dict[str, Any]) -> Iterator[dict[str, str]]:
    """One row per data item (a database without items still gets one row), codes labelled."""
    coded = catalogue["labels"]
    for agency, entry in _entries(catalogue):
        services = (_service_summary(s, coded) for s in entry["sharing_services"])
        base = {
            "agency": agency["title"],
            "agency_code": agency["agency_code"],
            "title": entry["title"],
            "url": entry["url"],
            "content": entry["content"],
            "sharing_services": "; ".join(services),
        }
        for field in ENTRY_FIELDS:
            base[field] = _labelled(entry[field], coded.get(field))
        for item in entry["data_items"] or [dict.fromkeys(DATA_ITEM_FIELDS, "")]:
            yield base | {f: _labelled(item[f], coded.get(f)) for f in DATA_ITEM_FIELDS}


def service_rows(catalogue: dict[str, Any]) -> Iterator[dict[str, str]]:
    """One row per sharing service (NĐ 47 Art. 23–24)."""
    coded = catalogue["labels"]
    for agency, entry in _entries(catalogue):
        for service in entry["sharing_services"]:
            yield {"agency": agency["title"], "title": entry["title"]} | {
                f: _labelled(service[f], coded.get(f)) for f in SERVICE_FIELDS
            }


def _entries(catalogue: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for agency in catalogue["agencies"]:
        for group in agency["database_types"]:
            for entry in group["databases"]:
                yield agency, entry


def _labelled(value: Any, coded: dict[str, str] | None) -> str:
    values = value if isinstance(value, list) else [value]
    return "; ".join((coded or {}).get(str(v), str(v)) for v in values if v not in (None, ""))


def _service_summary(service: dict[str, Any], coded: dict[str, dict[str, str]]) -> str:
    method = _labelled(service["method"], coded.get("method"))
    name = service["service_name"] or service["service_id"]
    return " — ".join(part for part in (name, method, service["endpoint"]) if part)


def to_csv(catalogue: dict[str, Any]) -> bytes:
    return tabular.to_csv(
        headers(ROW_COLUMNS), ([row[key] for key, _ in ROW_COLUMNS] for row in rows(catalogue))
    )


def to_xlsx(catalogue: dict[str, Any]) -> bytes:
    """A workbook with the catalogue rows and, on a second sheet, the sharing services."""
    workbook = Workbook()
    _write_sheet(workbook.active, SHEET_ITEMS, ROW_COLUMNS, rows(catalogue))
    _write_sheet(workbook.create_sheet(), SHEET_SERVICES, SERVICE_COLUMNS, service_rows(catalogue))
    return tabular.workbook_bytes(workbook, WORKBOOK_TITLE)


def _write_sheet(
    sheet: Any,
    title: str,
    columns: tuple[tuple[str, tuple[str, str, str | None]], ...],
    records: Iterable[dict[str, str]],
) -> None:
    tabular.write_sheet(
        sheet, title, headers(columns), ([record[key] for key, _ in columns] for record in records)
    )
