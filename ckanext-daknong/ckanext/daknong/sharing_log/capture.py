"""Recording reads as they happen (NĐ 47 Art. 45.1), on every path that serves data.

Every action that returns dataset content (``content_actions``) is chained with one wrapper
that asks ``carried_by`` which datasets its result carries; that and the chained
``package_show``/``resource_show`` auth functions mark, in the current request, which shared
or restricted datasets were read or refused. After the view has built its response
and before a byte of it leaves the server, ``after_request`` writes one entry per dataset read,
one per search and one per refusal, with the SHA-256 of what is served. If they cannot be
written the response is replaced by a 503: nothing is served unlogged (fail closed).

Reads outside an HTTP request (the CLI, background jobs) serve nobody and are not logged.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import re
import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan import model as ckan_model
from flask import Response, g, has_request_context, jsonify, request
from sqlalchemy.dialects.postgresql import insert

from ckanext.daknong import access, agencies, grants, membership, policy
from ckanext.daknong.sharing_log import entries, model, retention

log = logging.getLogger(__name__)

STATE = "daknong_sharing_log_state"
LOCAL_TZ = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
REDACTED = "[redacted]"
SECRET_NAMES = re.compile(r"token|passw|secret|api[_-]?key|authori[sz]ation|cookie|session", re.I)
JWT_LIKE = re.compile(r"^eyJ[\w-]+\.[\w-]+\.[\w-]*$")
MAX_REQUEST_CONTENT = 8192
FILE_HASH_CHUNK = 1 << 20


@dataclasses.dataclass
class DatasetRead:
    dataset_id: str
    owner_org: str | None
    restricted: bool = False
    resource_ids: list[str] = dataclasses.field(default_factory=list)
    upload_paths: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class RequestState:
    """What this request has read or been refused so far."""

    reads: dict[str, DatasetRead] = dataclasses.field(default_factory=dict)
    denied: dict[str, DatasetRead] = dataclasses.field(default_factory=dict)
    searches: list[list[DatasetRead]] = dataclasses.field(default_factory=list)
    open_reads: set[str] = dataclasses.field(default_factory=set)
    channel: str | None = None

    @property
    def sensitive(self) -> bool:
        return bool(self.reads or self.denied or self.searches)


def _state() -> RequestState | None:
    """The current request's state, or None outside a real HTTP request."""
    if not has_request_context() or request.endpoint is None:
        return None
    state = g.get(STATE)
    if state is None:
        state = RequestState()
        setattr(g, STATE, state)
    return state


# --- what is sensitive --------------------------------------------------------------------------


def _kind(dataset_type: str | None, access_level: str | None) -> str | None:
    """``sensitive`` (shared/restricted data), ``open`` (counted only) or None (not data)."""
    if dataset_type in access.PUBLIC_METADATA_TYPES | access.SYSADMIN_ONLY_TYPES:
        return None
    return "open" if access.normalise(access_level) == access.OPEN else "sensitive"


def _package_kind(package: ckan_model.Package) -> str | None:
    return _kind(package.type, access.access_level_of(package))


def _read_of(dataset_id: str, owner_org: str | None, access_level: str | None) -> DatasetRead:
    return DatasetRead(dataset_id, owner_org, access.normalise(access_level) == access.RESTRICTED)


# --- marking, called from the chained actions and auth functions ---------------------------------


def mark_dataset(dataset: Mapping[str, Any]) -> None:
    state = _state()
    if state is None or not dataset.get("id"):
        return
    kind = _kind(dataset.get("type"), dataset.get("access_level"))
    if kind == "open":
        state.open_reads.add(dataset["id"])
    elif kind == "sensitive":
        state.reads.setdefault(
            dataset["id"],
            _read_of(dataset["id"], dataset.get("owner_org"), dataset.get("access_level")),
        )


def mark_resource(resource: Mapping[str, Any]) -> None:
    state = _state()
    if state is None or not resource.get("package_id"):
        return
    package = ckan_model.Package.get(resource["package_id"])
    if package is None:
        return
    kind = _package_kind(package)
    if kind == "open":
        state.open_reads.add(package.id)
        return
    if kind != "sensitive":
        return
    read = state.reads.setdefault(
        package.id, _read_of(package.id, package.owner_org, access.access_level_of(package))
    )
    if resource.get("id") and resource["id"] not in read.resource_ids:
        read.resource_ids.append(resource["id"])
        if resource.get("url_type") == "upload":
            read.upload_paths.append(_upload_path(resource))


def _upload_path(resource: Mapping[str, Any]) -> str:
    from ckan.lib import uploader

    return uploader.get_resource_uploader(dict(resource)).get_path(resource["id"])


def _sensitive_among(ids: Iterable[str]) -> dict[str, DatasetRead]:
    """Shared and restricted datasets among these ids: one query."""
    ids = {dataset_id for dataset_id in ids if dataset_id}
    if not ids:
        return {}
    extra = ckan_model.PackageExtra
    package = ckan_model.Package
    rows = (
        ckan_model.Session.query(package.id, package.type, package.owner_org, extra.value)
        .outerjoin(
            extra,
            (extra.package_id == package.id)
            & (extra.key == "access_level")
            & (extra.state == "active"),
        )
        .filter(package.id.in_(ids))
    )
    return {
        row.id: _read_of(row.id, row.owner_org, row.value)
        for row in rows
        if _kind(row.type, row.value) == "sensitive"
    }


def mark_dataset_ids(dataset_ids: Iterable[str]) -> None:
    """Reads known only by id (activity streams carry the datasets' content)."""
    state = _state()
    if state is None:
        return
    for dataset_id, read in _sensitive_among(dataset_ids).items():
        state.reads.setdefault(dataset_id, read)


def mark_search(results: Iterable[Mapping[str, Any]]) -> None:
    state = _state()
    if state is None:
        return
    ids = [r["id"] for r in results if r.get("id")]
    sensitive = _sensitive_among(ids)
    if sensitive:
        state.searches.append([sensitive[i] for i in dict.fromkeys(ids) if i in sensitive])


def mark_denied(dataset_reference: str | None, resource_id: str | None = None) -> None:
    """A refused read of shared or restricted data (anonymous users and outsiders)."""
    state = _state()
    if state is None:
        return
    package = None
    if resource_id:
        resource = ckan_model.Resource.get(resource_id)
        package = resource.package if resource is not None else None
    elif dataset_reference:
        package = ckan_model.Package.get(dataset_reference)
    if package is None or _package_kind(package) != "sensitive":
        return
    denied = state.denied.setdefault(
        package.id, _read_of(package.id, package.owner_org, access.access_level_of(package))
    )
    if resource_id and resource_id not in denied.resource_ids:
        denied.resource_ids.append(resource_id)


def use_channel(channel: str) -> None:
    """A more precise channel than the endpoint tells (DataStore queries)."""
    state = _state()
    if state is not None:
        state.channel = channel


# --- which actions return dataset content, and which datasets a result carries -------------------


@dataclasses.dataclass
class Carried:
    """The shared or restricted datasets one action result may carry.

    ``datasets`` are full dataset dicts (their access level is in them), ``dataset_ids`` and
    ``resources`` are looked up. A ``listing`` (a search, an autocomplete, a list) is one
    ``search`` entry naming every dataset it carries; otherwise each dataset is one ``read``.
    """

    datasets: list[Mapping[str, Any]] = dataclasses.field(default_factory=list)
    dataset_ids: list[str] = dataclasses.field(default_factory=list)
    resources: list[Mapping[str, Any]] = dataclasses.field(default_factory=list)
    listing: bool = False
    channel: str | None = None


Extractor = Callable[[dict[str, Any], dict[str, Any], Any], Carried]


def _dicts(value: Any) -> list[Mapping[str, Any]]:
    return (
        [item for item in value or [] if isinstance(item, Mapping)]
        if isinstance(value, list)
        else []
    )


def _ids_of(value: Any) -> list[str]:
    return [item["id"] for item in _dicts(value) if item.get("id")]


def _package_show(context: dict[str, Any], data_dict: dict[str, Any], result: Any) -> Carried:
    return Carried(datasets=[result] if isinstance(result, Mapping) else [])


def _resource_show(context: dict[str, Any], data_dict: dict[str, Any], result: Any) -> Carried:
    return Carried(resources=[result] if isinstance(result, Mapping) else [])


def _package_search(context: dict[str, Any], data_dict: dict[str, Any], result: Any) -> Carried:
    results = result.get("results") if isinstance(result, Mapping) else None
    return Carried(dataset_ids=_ids_of(results), listing=True)


def _dataset_list(context: dict[str, Any], data_dict: dict[str, Any], result: Any) -> Carried:
    """A list of dataset dicts served as a list (current_package_list_with_resources)."""
    return Carried(dataset_ids=_ids_of(result), listing=True)


def _dataset_reads(context: dict[str, Any], data_dict: dict[str, Any], result: Any) -> Carried:
    """A list of whole dataset dicts, each a read (dataset_followee_list)."""
    return Carried(dataset_ids=_ids_of(result))


def _followee_list(context: dict[str, Any], data_dict: dict[str, Any], result: Any) -> Carried:
    """Followed objects of every type: the datasets' ``dict`` is their package_show content."""
    followed = [item.get("dict") for item in _dicts(result) if item.get("type") == "dataset"]
    return Carried(dataset_ids=_ids_of(followed))


def _package_autocomplete(
    context: dict[str, Any], data_dict: dict[str, Any], result: Any
) -> Carried:
    """Names and titles matching a query: a search, its datasets known by name."""
    names = [item["name"] for item in _dicts(result) if item.get("name")]
    if not names:
        return Carried(listing=True)
    rows = ckan_model.Session.query(ckan_model.Package.name, ckan_model.Package.id).filter(
        ckan_model.Package.name.in_(names)
    )
    ids = dict(rows.all())
    return Carried(dataset_ids=[ids[name] for name in names if name in ids], listing=True)


def _activities(context: dict[str, Any], data_dict: dict[str, Any], result: Any) -> Carried:
    """Activities carry the content of the datasets they are about."""
    return Carried(dataset_ids=[a["object_id"] for a in _dicts(result) if a.get("object_id")])


def _activity_item(context: dict[str, Any], data_dict: dict[str, Any], result: Any) -> Carried:
    activity = context.get("activity")  # set by activity_show and activity_data_show
    ids = [activity.object_id] if activity is not None else []
    if isinstance(result, Mapping):  # activity_show's own dict, activity_diff's pair
        ids.append(result.get("object_id"))
        ids.extend(a.get("object_id") for a in _dicts(result.get("activities")))
    return Carried(dataset_ids=[i for i in ids if i])


def _resource_rows(resource_ids: Iterable[str]) -> list[Mapping[str, Any]]:
    found = []
    for resource_id in resource_ids:
        resource = ckan_model.Resource.get(resource_id) if resource_id else None
        if resource is not None:
            found.append({**resource.as_dict(), "package_id": resource.package_id})
    return found


def _datastore_read(context: dict[str, Any], data_dict: dict[str, Any], result: Any) -> Carried:
    """datastore_search and datastore_info name their resource; datastore_search_sql's tables
    are marked by its chained auth function, the one place that sees them."""
    named = [data_dict.get("id"), data_dict.get("resource_id")]
    if isinstance(result, Mapping):
        named.insert(0, result.get("resource_id"))
    resources = _resource_rows(dict.fromkeys(n for n in named if isinstance(n, str)))[:1]
    if not resources:  # the table was named by an alias
        resources = _resource_rows(_alias_targets(n for n in named if isinstance(n, str)))[:1]
    return Carried(resources=resources, channel=entries.DATASTORE)


def _alias_targets(names: Iterable[str]) -> list[str]:
    from ckanext.datastore.backend import DatastoreBackend

    backend = DatastoreBackend.get_active_backend()
    found = []
    for name in names:
        exists, real_id = backend.resource_id_from_alias(name)
        if exists and real_id:
            found.append(real_id)
    return found


def _harvest_object_show(
    context: dict[str, Any], data_dict: dict[str, Any], result: Any
) -> Carried:
    """The harvested record of a dataset is that dataset's content."""
    if not isinstance(result, Mapping):
        return Carried()
    return Carried(dataset_ids=[result.get("package_id") or result.get("package") or ""])


def _harvest_object_list(
    context: dict[str, Any], data_dict: dict[str, Any], result: Any
) -> Carried:
    """Harvest object ids, each naming the record of a dataset: a list of those datasets."""
    from ckanext.harvest.model import HarvestObject

    object_ids = [i for i in result or [] if isinstance(i, str)]
    if not object_ids:
        return Carried(listing=True)
    rows = (
        ckan_model.Session.query(HarvestObject.package_id)
        .filter(HarvestObject.id.in_(object_ids), HarvestObject.package_id.isnot(None))
        .distinct()
    )
    return Carried(dataset_ids=[row.package_id for row in rows], listing=True)


def _anything_dataset_like(
    context: dict[str, Any], data_dict: dict[str, Any], result: Any
) -> Carried:
    """An action declared to return dataset content without its own extractor: take every
    dict that looks like a dataset (``owner_org``) or names one (``package_id``), so that
    nothing declared is served unlogged. Give the action its own extractor."""
    ids: list[str] = []
    stack = [result]
    while stack:
        value = stack.pop()
        if isinstance(value, Mapping):
            if value.get("owner_org") and isinstance(value.get("id"), str):
                ids.append(value["id"])
            if isinstance(value.get("package_id"), str):
                ids.append(value["package_id"])
            stack.extend(value.values())
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
    return Carried(dataset_ids=ids)


def _loaded(plugin: str) -> Callable[[], bool]:
    return lambda: p.plugin_loaded(plugin)


def _sql_search_enabled() -> bool:
    return p.plugin_loaded("datastore") and tk.asbool(
        tk.config.get("ckan.datastore.sqlsearch.enabled")
    )


@dataclasses.dataclass(frozen=True)
class ContentAction:
    """How to find the datasets in one action's result, and when the action exists."""

    extract: Extractor
    available: Callable[[], bool] = lambda: True  # CKAN core actions always exist
    side_effect_free: bool = True  # every action listed here is a read (GET in the API)


_ACTIVITY = _loaded("activity")
_HARVEST = _loaded("harvest")
_DATASTORE = _loaded("datastore")

EXTRACTORS: dict[str, ContentAction] = {
    "package_show": ContentAction(_package_show),
    "resource_show": ContentAction(_resource_show),
    "package_search": ContentAction(_package_search),
    "current_package_list_with_resources": ContentAction(_dataset_list),
    "package_autocomplete": ContentAction(_package_autocomplete),
    "dataset_followee_list": ContentAction(_dataset_reads),
    "followee_list": ContentAction(_followee_list),
    **{
        name: ContentAction(_activities, _ACTIVITY)
        for name in (
            "package_activity_list",
            "organization_activity_list",
            "group_activity_list",
            "user_activity_list",
            "dashboard_activity_list",
            "recently_changed_packages_activity_list",
        )
    },
    **{
        name: ContentAction(_activity_item, _ACTIVITY)
        for name in ("activity_show", "activity_data_show", "activity_diff")
    },
    "harvest_object_show": ContentAction(_harvest_object_show, _HARVEST),
    "harvest_object_list": ContentAction(_harvest_object_list, _HARVEST),
    "datastore_search": ContentAction(_datastore_read, _DATASTORE),
    "datastore_info": ContentAction(_datastore_read, _DATASTORE),
    "datastore_search_sql": ContentAction(_datastore_read, _sql_search_enabled),
}

# The actions whose results carry dataset content: each read through them is logged and fails
# closed. Actions that reach data only through one of these (group_package_show, user_show and
# organization_show with datasets, tag_show, the DCAT actions, package_update's answer) are
# logged by the inner call. At merge this set is replaced by the policy table: see
# ``content_actions``.
# Actions the policy table marks as returning dataset content whose datasets come from an inner
# call that this plugin already chains and logs (or that carry no dataset fields): logging them
# again would write each read twice.
LOGGED_THROUGH_INNER_CALLS: dict[str, str] = {
    "dcat_catalog_search": "its datasets come from package_search",
    "dcat_catalog_show": "its datasets come from package_search",
    "dcat_dataset_show": "its dataset comes from package_show",
    "group_package_show": "its datasets come from package_search",
    "group_show": "its datasets (include_datasets) come from package_search",
    "organization_show": "its datasets (include_datasets) come from package_search",
    "user_show": "its datasets (include_datasets) come from package_search",
    "tag_show": "its datasets (include_datasets) come from package_search",
    "resource_search": "it returns resources of open datasets only (the raw private column)",
    "harvest_job_report": "it returns error messages and guids, no dataset fields",
}


def content_actions() -> frozenset[str]:
    """The names of the actions whose results carry dataset content, from the policy table.

    The action policy (``data/action_policy.yaml``, ``content: dataset``) is the one list;
    every name in it that is not logged through an inner call is chained and logged here. A
    name without an entry in ``EXTRACTORS`` falls back to ``_anything_dataset_like`` and
    fails the test ``test_every_content_action_has_its_own_extractor``.
    """
    return policy.content_actions() - frozenset(LOGGED_THROUGH_INNER_CALLS)


def _core_module(name: str) -> str | None:
    """The module of CKAN core that defines this action, if core does."""
    import importlib

    for module in ("get", "create", "update", "delete", "patch"):
        if callable(getattr(importlib.import_module(f"ckan.logic.action.{module}"), name, None)):
            return module
    return None


def is_read(name: str) -> bool:
    """Whether a content action is side-effect free (CKAN makes every core ``get`` one so)."""
    known = EXTRACTORS.get(name)
    return known.side_effect_free if known is not None else _core_module(name) == "get"


def chainable_actions() -> list[str]:
    """Content actions registered in this CKAN: the ones this plugin can chain."""
    names = []
    for name in sorted(content_actions()):
        known = EXTRACTORS.get(name)
        if known.available() if known is not None else _core_module(name) is not None:
            names.append(name)
    return names


def carried_by(
    action: str, context: dict[str, Any], data_dict: dict[str, Any], result: Any
) -> Carried | None:
    """Does this action return dataset content, and which datasets does this result carry?

    None when the action serves no dataset content. The one question behind every capture.
    """
    if action not in content_actions():
        return None
    known = EXTRACTORS.get(action)
    extract = known.extract if known is not None else _anything_dataset_like
    return extract(context, data_dict, result)


def record_result(
    action: str, context: dict[str, Any], data_dict: dict[str, Any], result: Any
) -> None:
    """Mark, in the current request, the shared and restricted datasets this result carries.

    Called by the chained content actions after the action has answered; ``after_request``
    writes the entries, or replaces the response by a 503 if it cannot.
    """
    if _state() is None:  # outside an HTTP request nobody is served
        return
    carried = carried_by(action, context, data_dict, result)
    if carried is None:
        return
    if carried.channel:
        use_channel(carried.channel)
    for dataset in carried.datasets:
        mark_dataset(dataset)
    for resource in carried.resources:
        mark_resource(resource)
    if carried.listing:
        mark_search({"id": dataset_id} for dataset_id in carried.dataset_ids)
    elif carried.dataset_ids:
        mark_dataset_ids(carried.dataset_ids)


# --- the request's context ----------------------------------------------------------------------


def channel(state: RequestState | None = None) -> str:
    agent = request.user_agent.string or ""
    patterns = tk.config.get("ckanext.daknong.sharing_log.harvester_user_agents") or []
    if any(pattern.lower() in agent.lower() for pattern in patterns):
        return entries.HARVEST
    state = state or g.get(STATE)
    if state is not None and state.channel:
        return state.channel
    endpoint = request.endpoint or ""
    if endpoint.startswith("api."):
        return entries.API
    if endpoint.endswith(".download"):
        return entries.DOWNLOAD
    if endpoint.startswith("dcat."):
        return entries.DCAT
    return entries.WEB


def redact(value: Any) -> Any:
    """Request parameters without secrets: tokens, passwords, keys and JWT-like values."""
    if isinstance(value, Mapping):
        return {
            str(k): REDACTED if SECRET_NAMES.search(str(k)) else redact(v) for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, str) and JWT_LIKE.match(value):
        return REDACTED
    return value


def _parameters() -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key in request.args:
        values = request.args.getlist(key)
        params[key] = values[0] if len(values) == 1 else values
    if request.method in ("POST", "PUT", "PATCH"):
        body = request.get_json(silent=True) if request.is_json else None
        if isinstance(body, Mapping):
            params.update(body)
        elif request.form:
            params.update({key: request.form.get(key) for key in request.form})
    return redact(params)


def request_content() -> dict[str, Any]:
    content = {"method": request.method, "path": request.path, "params": _parameters()}
    text = entries.canonical_json(content)
    if len(text) > MAX_REQUEST_CONTENT:
        content = {
            "method": request.method,
            "path": request.path,
            "params_truncated_sha256": hashlib.sha256(text.encode()).hexdigest(),
        }
    return content


def action_name() -> str:
    view_args = request.view_args or {}
    return str(view_args.get("logic_function") or request.endpoint or request.path)


def _current_user() -> ckan_model.User | None:
    user = getattr(g, "userobj", None)
    return user if isinstance(user, ckan_model.User) else None


def _status(response: Response) -> str:
    if response.status_code < 400:
        return entries.SERVED
    if response.status_code in (401, 403, 404):
        return entries.DENIED
    return entries.ERROR


def _content_sha256(response: Response, read: DatasetRead) -> str | None:
    """The file bytes for uploads; otherwise the bytes of the response body."""
    if response.status_code >= 300:
        return None
    if read.upload_paths and response.direct_passthrough:
        return _file_sha256(read.upload_paths[-1])
    return _body_sha256(response)


def _file_sha256(path: str) -> str | None:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as stream:
            while chunk := stream.read(FILE_HASH_CHUNK):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


# --- writing, after the view and before the response leaves -------------------------------------


@dataclasses.dataclass
class Requester:
    user: ckan_model.User | None
    org_ids: list[str]
    codes: dict[str, str]

    @classmethod
    def current(cls, state: RequestState) -> Requester:
        """The user and their agencies, with the codes of every agency the entries name."""
        user = _current_user()
        org_ids = sorted(membership.organization_ids(user)) if user else []
        providers = {
            read.owner_org
            for read in (
                *state.reads.values(),
                *state.denied.values(),
                *(read for found in state.searches for read in found),
            )
            if read.owner_org
        }
        return cls(user, org_ids, agencies.agency_codes({*org_ids, *providers}))

    def agency_for(self, read: DatasetRead) -> tuple[str | None, dict[str, Any]]:
        """The agency a read is made for: the owner, a grant holder, or the user's first."""
        if read.owner_org in self.org_ids:
            return read.owner_org, {}
        found = grants.active_grant_for(read.dataset_id, self.org_ids) if read.restricted else None
        if found is not None:
            grant, access_request = found
            return grant.org_id, {
                "grant_id": grant.id,
                "access_request_id": grant.request_id,
                "purpose": access_request.purpose if access_request else None,
            }
        return (self.org_ids[0] if self.org_ids else None), {}


def _base(requester: Requester, response: Response, channel_name: str) -> dict[str, Any]:
    user = requester.user
    return {
        "channel": channel_name,
        "action": action_name(),
        "request_content": request_content(),
        "user_id": user.id if user else None,
        "user_name": user.name if user else None,
        "http_status": response.status_code,
        "client_ip": request.remote_addr,
        "user_agent": (request.user_agent.string or None),
    }


def _providers(reads: list[DatasetRead], codes: dict[str, str]) -> tuple[list[str], list[str]]:
    orgs = sorted({r.owner_org for r in reads if r.owner_org})
    return orgs, [codes.get(org, "") for org in orgs]


def _add_viewed_resource(state: RequestState) -> None:
    """Resource pages read the resource out of package_show: take it from the URL."""
    resource_id = (request.view_args or {}).get("resource_id")
    if not resource_id:
        return
    resource = ckan_model.Resource.get(resource_id)
    if resource is None:
        return
    for reads in (state.reads, state.denied):
        read = reads.get(resource.package_id)
        if read is not None and resource.id not in read.resource_ids:
            read.resource_ids.append(resource.id)


def _body_sha256(response: Response) -> str | None:
    if response.is_streamed or response.direct_passthrough:
        return None
    return hashlib.sha256(response.get_data()).hexdigest()


def _draft(
    requester: Requester,
    months: dict[str, int],
    reads: list[DatasetRead],
    org_id: str | None,
    **fields: Any,
) -> entries.Draft:
    """One entry about these datasets, made for ``org_id`` by the current user."""
    providers, provider_codes = _providers(reads, requester.codes)
    ids = [read.dataset_id for read in reads]
    return entries.Draft(
        requester_org_id=org_id,
        requester_agency_code=requester.codes.get(org_id or ""),
        provider_org_ids=providers,
        provider_agency_codes=provider_codes,
        dataset_ids=ids,
        resource_ids=[rid for read in reads for rid in read.resource_ids],
        retention_months=max((months.get(dataset_id) or 0 for dataset_id in ids), default=0)
        or None,
        **fields,
    )


def drafts(state: RequestState, response: Response) -> list[entries.Draft]:
    """The request's entries: one per dataset read, one per search, one per refusal."""
    _add_viewed_resource(state)
    requester = Requester.current(state)
    months = retention.retention_by_dataset(
        [*state.reads, *state.denied, *(r.dataset_id for found in state.searches for r in found)]
    )
    base = _base(requester, response, channel(state))
    status = _status(response)
    first_org = requester.org_ids[0] if requester.org_ids else None
    result = []
    for read in state.reads.values():
        org_id, grant_fields = requester.agency_for(read)
        digest = _content_sha256(response, read) if status == entries.SERVED else None
        result.append(
            _draft(
                requester,
                months,
                [read],
                org_id,
                event=entries.READ,
                status=status,
                content_sha256=digest,
                **grant_fields,
                **base,
            )
        )
    for found in state.searches:
        result.append(
            _draft(
                requester,
                months,
                found,
                first_org,
                event=entries.SEARCH,
                status=status,
                content_sha256=_body_sha256(response),
                **base,
            )
        )
    for read in state.denied.values():
        if read.dataset_id not in state.reads:
            result.append(
                _draft(
                    requester,
                    months,
                    [read],
                    first_org,
                    event=entries.READ,
                    status=entries.DENIED,
                    **base,
                )
            )
    return result


def unavailable_response() -> Response:
    message = tk._(
        "The data sharing log cannot be written right now, so this data is not served. "
        "Please try again later."
    )
    if request.path.startswith("/api/"):
        response = jsonify(
            {"success": False, "error": {"__type": "Service Unavailable", "message": message}}
        )
    else:
        response = Response(message, mimetype="text/plain")
    response.status_code = 503
    response.headers["Retry-After"] = "60"
    return response


UNAVAILABLE = "daknong_sharing_log_unavailable"


def flag_unavailable() -> None:
    """An entry written during the view failed (an access-request step): answer 503.

    CKAN's API turns any exception into a 500; the flag lets ``after_request`` say why.
    """
    if has_request_context():
        setattr(g, UNAVAILABLE, True)


def after_request(response: Response) -> Response:
    """Log what this request read; refuse to serve it if the log cannot be written."""
    if has_request_context() and g.pop(UNAVAILABLE, False):
        g.pop(STATE, None)
        return unavailable_response()
    state = g.pop(STATE, None) if has_request_context() else None
    if state is None:
        return response
    if state.sensitive:
        try:
            entries.append(drafts(state, response))
        except Exception:
            log.exception("sharing log: entry not written; refusing to serve %s", request.path)
            if response.status_code < 400:
                return unavailable_response()
            return response
    if state.open_reads and response.status_code < 400:
        count_open_reads(state.open_reads, channel(state))
    return response


def count_open_reads(dataset_ids: Iterable[str], channel_name: str) -> None:
    """Open data needs no identity (NĐ 47 Art. 17): only a daily count per dataset."""
    day = dt.datetime.now(LOCAL_TZ).date()
    rows = [
        {"day": day, "dataset_id": dataset_id, "channel": channel_name, "reads": 1}
        for dataset_id in sorted(dataset_ids)
    ]
    statement = insert(model.open_read).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=["day", "dataset_id", "channel"],
        set_={"reads": model.open_read.c.reads + 1},
    )
    try:
        with ckan_model.meta.engine.begin() as connection:
            connection.execute(statement)
    except Exception:
        log.warning("sharing log: open-data read count not recorded", exc_info=True)
