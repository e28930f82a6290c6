"""Agencies of the province: QĐ 20 codes, focal-point phones, loading and merging agencies.

One home for the agency concept. Agencies are CKAN organisations (scheming schema
``organization.yaml``); their codes follow QĐ 20/2020/QĐ-TTg and their focal points QĐ 43
Art. 20.1 / 21.1. The rules that the law or the numbering plan may change are read from
``data/agency_rules.yaml``. Functions here return reasons, not messages: the validators turn
them into text in the request's language.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import re
import zoneinfo
from collections.abc import Iterable
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model

from ckanext.daknong import resources

# Keys of an agency record that are instructions to the loader, not organisation fields.
_LOADER_KEYS: frozenset[str] = frozenset()
# Fields naming other agencies: set in a second pass, so a file may name an agency before the
# record that creates it (a retired department names its successor, listed after it).
REFERENCE_FIELDS = ("parent", "successor")

# Reasons an agency code is refused (see check_code).
CODE_TOO_LONG = "too_long"
CODE_CHARACTERS = "characters"
CODE_EMPTY_GROUP = "empty_group"
CODE_LEVEL1 = "level1"
CODE_OTHER_WITHOUT_GROUP = "other_without_group"


@dataclasses.dataclass(frozen=True)
class CodeRules:
    max_length: int
    characters: re.Pattern[str]
    level1: re.Pattern[str]
    other_level1: re.Pattern[str]
    group: re.Pattern[str]


@functools.cache
def code_rules() -> CodeRules:
    """The QĐ 20 rules from ``data/agency_rules.yaml``, compiled once."""
    rules = resources.load_yaml("agency_rules.yaml")["agency_code"]
    return CodeRules(
        max_length=int(rules["max_length"]),
        characters=re.compile(rules["characters"]),
        level1=re.compile(rules["level1"]),
        other_level1=re.compile(rules["other_level1"]),
        group=re.compile(rules["group"]),
    )


def normalise_code(value: str) -> str:
    """Codes are upper case without spaces; accept ``h16.01`` typed in lower case."""
    return value.strip().upper()


def check_code(code: str) -> str | None:
    """Why ``code`` is not a QĐ 20 agency code (a ``CODE_*`` reason), or None if it is one.

    Up to 35 characters of A–Z, 0–9 and dots; dot-separated groups, one per level; level 1 is a
    letter A–Y and two digits (H16 is Đắk Nông), or Z and two digits for other organisations,
    which must then carry their own code group.
    """
    rules = code_rules()
    if len(code) > rules.max_length:
        return CODE_TOO_LONG
    if not all(rules.characters.fullmatch(char) for char in code):
        return CODE_CHARACTERS
    groups = code.split(".")
    if not all(groups):
        return CODE_EMPTY_GROUP
    first, rest = groups[0], groups[1:]
    if rules.other_level1.fullmatch(first):
        if not rest:
            return CODE_OTHER_WITHOUT_GROUP
    elif not rules.level1.fullmatch(first):
        return CODE_LEVEL1
    if not all(rules.group.fullmatch(group) for group in rest):
        return CODE_CHARACTERS
    return None


@functools.cache
def _phone_rules() -> dict[str, Any]:
    return resources.load_yaml("agency_rules.yaml")["phone"]


def normalise_phone(raw: str) -> str | None:
    """A Vietnamese phone number in national form (``0912345678``), or None if it is not one.

    Separators are dropped and the international forms ``+84`` / ``0084`` become ``0``, so the
    same focal point is always written the same way.
    """
    rules = _phone_rules()
    number = "".join(char for char in raw if char not in rules["separators"])
    for prefix in rules["international_prefixes"]:
        if number.startswith(prefix):
            number = "0" + number[len(prefix) :]
            break
    if any(re.fullmatch(pattern, number) for pattern in rules["patterns"].values()):
        return number
    return None


def find_agency(reference: str | None) -> model.Group | None:
    """The active organisation named or identified by ``reference``, or None."""
    if not reference or not isinstance(reference, str):
        return None
    group = model.Group.get(reference)
    if group is None or not group.is_organization or group.state != "active":
        return None
    return group


def agency_codes(org_ids: Iterable[str]) -> dict[str, str]:
    """QĐ 20 codes of these agencies, in one query (search results and logs carry no extras)."""
    org_ids = set(org_ids)
    if not org_ids:
        return {}
    rows = (
        model.Session.query(model.GroupExtra.group_id, model.GroupExtra.value)
        .filter(
            model.GroupExtra.group_id.in_(org_ids),
            model.GroupExtra.key == "agency_code",
            model.GroupExtra.state == "active",
        )
        .all()
    )
    return {group_id: value for group_id, value in rows if value}


def agency_with_code(code: str, exclude_id: str | None = None) -> model.Group | None:
    """The active organisation (other than ``exclude_id``) that already uses ``code``."""
    query = (
        model.Session.query(model.Group)
        .join(model.GroupExtra, model.GroupExtra.group_id == model.Group.id)
        .filter(model.GroupExtra.key == "agency_code")
        .filter(model.GroupExtra.value == code)
        .filter(model.GroupExtra.state == "active")
        .filter(model.Group.state == "active")
        .filter(model.Group.is_organization.is_(True))
    )
    if exclude_id:
        query = query.filter(model.Group.id != exclude_id)
    return query.first()


def parent_chain_reaches(parent: model.Group, agency_id: str | None) -> bool:
    """Whether walking up from ``parent`` reaches ``agency_id``: the parents would loop."""
    seen: set[str] = set()
    current: model.Group | None = parent
    while current is not None and current.id not in seen:
        if agency_id and current.id == agency_id:
            return True
        seen.add(current.id)
        current = find_agency(current.extras.get("parent"))
    return False


# Loading the agency list -----------------------------------------------------------------------


@dataclasses.dataclass
class LoadReport:
    created: list[str] = dataclasses.field(default_factory=list)
    updated: list[str] = dataclasses.field(default_factory=list)
    failed: dict[str, str] = dataclasses.field(default_factory=dict)


def describe_errors(error: tk.ValidationError) -> str:
    """A one-line ``field: message`` summary of a validation error, for command output."""
    parts = []
    for field, messages in sorted((error.error_dict or {}).items()):
        listed = messages if isinstance(messages, list) else [messages]
        parts.append(f"{field}: {'; '.join(str(m) for m in listed)}")
    return ", ".join(parts) or str(error)


def _as_field_value(value: Any) -> Any:
    """YAML gives dates and numbers; organisation fields are text (booleans and lists stay)."""
    if value is None:
        return ""
    if isinstance(value, (bool, list, dict)):
        return value
    return str(value)


def _upsert(context: dict[str, Any], data: dict[str, Any], report: LoadReport) -> None:
    try:
        tk.get_action("organization_show")(dict(context), {"id": data["name"]})
    except tk.ObjectNotFound:
        tk.get_action("organization_create")(dict(context), data)
        report.created.append(data["name"])
    else:
        tk.get_action("organization_patch")(dict(context), {"id": data["name"], **data})
        report.updated.append(data["name"])


def load_agencies(records: Iterable[dict[str, Any]], context: dict[str, Any]) -> LoadReport:
    """Create or update one organisation per agency record, matched by ``name``.

    Every record goes through the organisation schema's validators; a refused record is
    reported with its name and the others still load. Idempotent: loading the same file twice
    changes nothing the second time, and a changed record updates the organisation in place
    (its datasets and members are kept).
    """
    report = LoadReport()
    references: dict[str, dict[str, Any]] = {}
    for index, record in enumerate(records, start=1):
        name = str(record.get("name") or f"#{index}")
        if not record.get("name"):
            report.failed[name] = "name: missing"
            continue
        data = {
            key: _as_field_value(value)
            for key, value in record.items()
            if key not in _LOADER_KEYS and key not in REFERENCE_FIELDS
        }
        try:
            _upsert(context, data, report)
        except tk.ValidationError as error:
            report.failed[name] = describe_errors(error)
            continue
        linked = {key: _as_field_value(record[key]) for key in REFERENCE_FIELDS if key in record}
        if linked:
            references[name] = linked
    for name, linked in references.items():
        try:
            tk.get_action("organization_patch")(dict(context), {"id": name, **linked})
        except tk.ValidationError as error:
            report.failed[name] = describe_errors(error)
    return report


# Merging a retired agency into its successor ---------------------------------------------------


@dataclasses.dataclass
class MergeReport:
    old: str
    new: str
    moved: list[str] = dataclasses.field(default_factory=list)
    failed: dict[str, str] = dataclasses.field(default_factory=dict)
    retired_on: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def today() -> datetime.date:
    """Today in the portal's time zone: a merge at 6 a.m. in Gia Nghĩa is not "yesterday"."""
    zone = tk.config.get("ckan.display_timezone") or "UTC"
    try:
        return datetime.datetime.now(zoneinfo.ZoneInfo(zone)).date()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):  # "server" or an unknown zone
        return datetime.date.today()


def datasets_owned_by(agency_id: str) -> list[model.Package]:
    """Every live dataset of an agency, ``database`` entries first.

    Databases move first so that a data set linked to one of them (which must belong to the
    same agency) finds its database already with the successor when it moves.
    """
    packages = (
        model.Session.query(model.Package)
        .filter(model.Package.owner_org == agency_id)
        .filter(model.Package.state.in_(["active", "draft"]))
        .all()
    )
    return sorted(packages, key=lambda p: (p.type != "database", p.name))


def merge_agencies(
    old: str, new: str, context: dict[str, Any], effective_until: datetime.date | None = None
) -> MergeReport:
    """Move every dataset of agency ``old`` to ``new``, then retire ``old`` (not delete it).

    Datasets move through ``package_patch`` so each keeps its id, its activity history and
    gains a "changed" activity naming the new owner. ``old`` gets ``effective_until`` (today
    unless given) and ``successor = new`` only when every dataset moved; after a failure it
    stays current so the merge can be re-run once the refused datasets are fixed.
    """
    old_org = tk.get_action("organization_show")(dict(context), {"id": old})
    new_org = tk.get_action("organization_show")(dict(context), {"id": new})
    report = MergeReport(old=old_org["name"], new=new_org["name"])
    for package in datasets_owned_by(old_org["id"]):
        try:
            tk.get_action("package_patch")(
                dict(context), {"id": package.id, "owner_org": new_org["id"]}
            )
        except tk.ValidationError as error:
            report.failed[package.name] = describe_errors(error)
        else:
            report.moved.append(package.name)
    if report.failed:
        return report
    until = (effective_until or today()).isoformat()
    tk.get_action("organization_patch")(
        dict(context),
        {"id": old_org["id"], "effective_until": until, "successor": new_org["name"]},
    )
    report.retired_on = until
    return report
