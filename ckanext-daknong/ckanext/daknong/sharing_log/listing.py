"""Who may read which sharing-log entries (NĐ 47 Art. 45.3), with filters and paging.

The provincial data administrator sees every entry; an agency's admins and editors see the
entries about their agency's data (as provider) and their agency's own requests (as
requester). Everyone else, anonymous users included, is refused.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import zoneinfo
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model as ckan_model
from ckan.plugins.toolkit import _
from sqlalchemy import and_, func, or_, select, true

from ckanext.daknong import agencies, membership
from ckanext.daknong.sharing_log import entries, model

LOCAL_TZ = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
EXPORT_LIMIT = 100_000
LOG_ROLES = ("admin", "editor")
EVENT_PATTERN = re.compile(rf"^{entries.REQUEST_EVENT_PREFIX}[a-z_]+$")

COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("id", "Số thứ tự", "Entry"),
    ("occurred_at_local", "Thời điểm (giờ Việt Nam)", "Time (Vietnam)"),
    ("event", "Sự kiện", "Event"),
    ("channel", "Phương thức", "Channel"),
    ("status", "Kết quả", "Status"),
    ("user_name", "Người yêu cầu", "Requesting user"),
    ("requester_agency_code", "Mã cơ quan yêu cầu", "Requesting agency code"),
    ("provider_agency_codes", "Mã cơ quan cung cấp", "Providing agency code"),
    ("dataset_ids", "Dữ liệu", "Datasets"),
    ("resource_ids", "Tài nguyên", "Resources"),
    ("action", "Thao tác", "Action"),
    ("request_content", "Nội dung yêu cầu", "Request content"),
    ("http_status", "Mã phản hồi HTTP", "HTTP status"),
    ("content_sha256", "SHA-256 nội dung cung cấp", "SHA-256 of content served"),
    ("grant_id", "Mã quyền truy cập", "Grant"),
    ("access_request_id", "Mã yêu cầu truy cập", "Access request"),
    ("purpose", "Mục đích", "Purpose"),
    ("client_ip", "Địa chỉ IP", "Client IP"),
    ("user_agent", "Phần mềm truy cập", "User agent"),
    ("hash", "Mã băm bản ghi", "Entry hash"),
)


@dataclasses.dataclass
class Scope:
    """The entries a viewer may read: everything, or those touching these agencies."""

    everything: bool
    org_ids: list[str]


def scope_for(user: ckan_model.User | None) -> Scope:
    if user is None or user.is_anonymous:
        raise tk.NotAuthorized(_("Log in to read the data sharing log"))
    if user.sysadmin or membership.is_data_administrator(user):
        return Scope(True, [])
    org_ids = membership.organization_ids(user, LOG_ROLES)
    if not org_ids:
        raise tk.NotAuthorized(
            _("Only the agencies concerned and the data administrator read the sharing log")
        )
    return Scope(False, sorted(org_ids))


def _date(value: Any, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise tk.ValidationError({field: [_("Use a date such as 2026-01-31")]}) from None


def _local_day_start(value: str, field: str, next_day: bool = False) -> dt.datetime:
    day = _date(value, field)
    if next_day:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(), LOCAL_TZ)


def _conditions(scope: Scope, filters: dict[str, Any]) -> list[Any]:
    table = model.entry
    conditions: list[Any] = []
    if not scope.everything:
        conditions.append(
            or_(
                table.c.provider_org_ids.overlap(scope.org_ids),
                table.c.requester_org_id.in_(scope.org_ids),
            )
        )
    if filters.get("date_from"):
        conditions.append(
            table.c.occurred_at >= _local_day_start(filters["date_from"], "date_from")
        )
    if filters.get("date_to"):
        conditions.append(
            table.c.occurred_at < _local_day_start(filters["date_to"], "date_to", next_day=True)
        )
    if filters.get("agency"):
        agency = _agency(str(filters["agency"]))
        if agency is None:
            raise tk.ValidationError({"agency": [_("Unknown agency")]})
        conditions.append(
            or_(
                table.c.provider_org_ids.contains([agency.id]),
                table.c.requester_org_id == agency.id,
            )
        )
    if filters.get("dataset"):
        dataset = ckan_model.Package.get(str(filters["dataset"]))
        dataset_id = dataset.id if dataset is not None else str(filters["dataset"])
        conditions.append(table.c.dataset_ids.contains([dataset_id]))
    for name, allowed in (("channel", entries.CHANNELS), ("status", entries.STATUSES)):
        value = filters.get(name)
        if value:
            if value not in allowed:
                raise tk.ValidationError({name: [_("Unknown value: %s") % value]})
            conditions.append(table.c[name] == value)
    if filters.get("event"):
        event = str(filters["event"])
        if event not in (entries.READ, entries.SEARCH) and not EVENT_PATTERN.match(event):
            raise tk.ValidationError({"event": [_("Unknown value: %s") % event]})
        conditions.append(table.c.event == event)
    return conditions


def _agency(reference: str) -> ckan_model.Group | None:
    """An agency by id, name or QĐ 20 code (codes in any case, as people type them)."""
    return agencies.find_agency(reference) or agencies.agency_with_code(
        agencies.normalise_code(reference)
    )


def _bounded(value: Any, default: int, maximum: int, field: str) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise tk.ValidationError({field: [_("Must be a whole number")]}) from None
    if number < 0:
        raise tk.ValidationError({field: [_("Must be a whole number")]})
    return min(number, maximum)


def list_entries(
    user: ckan_model.User | None, filters: dict[str, Any], export: bool = False
) -> dict[str, Any]:
    """A page of entries, newest first, with the total count."""
    scope = scope_for(user)
    conditions = _conditions(scope, filters)
    where = and_(true(), *conditions)
    limit = (
        EXPORT_LIMIT
        if export
        else _bounded(filters.get("limit"), DEFAULT_LIMIT, MAX_LIMIT, "limit")
    )
    offset = 0 if export else _bounded(filters.get("offset"), 0, 10**12, "offset")
    with ckan_model.meta.engine.connect() as connection:
        count = connection.execute(
            select(func.count()).select_from(model.entry).where(where)
        ).scalar()
        rows = connection.execute(
            model.entry.select()
            .where(where)
            .order_by(model.entry.c.id.desc())
            .limit(limit)
            .offset(offset)
        ).all()
    owned = _owned_datasets(scope, rows)
    return {
        "count": count,
        "limit": limit,
        "offset": offset,
        "results": [_entry_dict(row._mapping, scope, owned) for row in rows],
    }


def _owned_datasets(scope: Scope, rows: list[Any]) -> set[str]:
    """Datasets of the viewer's agencies among these entries (to trim others' search hits)."""
    if scope.everything:
        return set()
    ids = {dataset_id for row in rows for dataset_id in row.dataset_ids}
    if not ids:
        return set()
    query = ckan_model.Session.query(ckan_model.Package.id).filter(
        ckan_model.Package.id.in_(ids), ckan_model.Package.owner_org.in_(scope.org_ids)
    )
    return {row.id for row in query}


def _entry_dict(row: Any, scope: Scope, owned: set[str]) -> dict[str, Any]:
    result = entries.plain_row(row)
    result["occurred_at_local"] = row["occurred_at"].astimezone(LOCAL_TZ).isoformat()
    result["request_content"] = json.loads(row["request_content"])
    if not scope.everything and row["requester_org_id"] not in scope.org_ids:
        # A provider sees its own datasets in a search entry, not other agencies' hits.
        result["dataset_ids"] = [d for d in row["dataset_ids"] if d in owned]
        kept = [
            (org, code)
            for org, code in zip(
                row["provider_org_ids"], row["provider_agency_codes"], strict=False
            )
            if org in scope.org_ids
        ]
        result["provider_org_ids"] = [org for org, _code in kept]
        result["provider_agency_codes"] = [code for _org, code in kept]
    return result


def export_rows(page: dict[str, Any]) -> list[list[Any]]:
    def cell(value: Any) -> Any:
        if isinstance(value, list):
            value = "; ".join(str(v) for v in value)
        elif isinstance(value, dict):
            value = entries.canonical_json(value)
        return "" if value is None else value  # tabular guards against formulas

    return [[cell(result[key]) for key, _vi, _en in COLUMNS] for result in page["results"]]


def headers(lang: str = "vi") -> list[str]:
    return [vi if lang == "vi" else en for _key, vi, en in COLUMNS]


def open_read_counts(user: ckan_model.User | None, filters: dict[str, Any]) -> list[dict[str, Any]]:
    """Daily read counts of open data: the data administrator's, or an agency's own."""
    scope = scope_for(user)
    table = model.open_read
    query = select(table).order_by(table.c.day.desc(), table.c.dataset_id)
    if filters.get("date_from"):
        query = query.where(table.c.day >= _date(filters["date_from"], "date_from"))
    if filters.get("date_to"):
        query = query.where(table.c.day <= _date(filters["date_to"], "date_to"))
    if filters.get("dataset"):
        dataset = ckan_model.Package.get(str(filters["dataset"]))
        query = query.where(table.c.dataset_id == (dataset.id if dataset else filters["dataset"]))
    if not scope.everything:
        owned = select(ckan_model.package_table.c.id).where(
            ckan_model.package_table.c.owner_org.in_(scope.org_ids)
        )
        query = query.where(table.c.dataset_id.in_(owned))
    with ckan_model.meta.engine.connect() as connection:
        rows = connection.execute(query.limit(MAX_LIMIT)).all()
    return [
        {
            "day": row.day.isoformat(),
            "dataset_id": row.dataset_id,
            "channel": row.channel,
            "reads": row.reads,
        }
        for row in rows
    ]
