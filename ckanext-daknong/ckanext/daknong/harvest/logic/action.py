"""Actions of the harvest plugin. Thin: check access, call the services, return dicts.

Also the chained ckanext-harvest actions that must decide before they write: upstream's
``harvest_source_create``, ``_update`` and ``_patch`` only proxy to ``package_*`` and
``harvest_abort_failed_jobs`` checks nothing; its mail helpers are registered as actions.
And ``package_show`` inside an import, which need not ask the search index for the dataset
being written (``harvest/indexing.py``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckanext.harvest.model import HarvestSource

from ckanext.daknong import access, membership
from ckanext.daknong.harvest import indexing, netguard, schedule, selfcheck

__all__ = [
    "daknong_harvest_check",
    "daknong_harvest_status",
    "get_mail_extra_vars",
    "harvest_abort_failed_jobs",
    "harvest_job_create",
    "harvest_jobs_run",
    "harvest_source_clear",
    "harvest_source_create",
    "harvest_source_list",
    "harvest_source_patch",
    "harvest_source_update",
    "package_show",
    "prepare_error_mail",
    "prepare_summary_mail",
    "send_error_email",
    "send_mail",
    "send_summary_email",
]


@tk.side_effect_free
def daknong_harvest_status(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Each agency's harvest status for a quarter (default: the current one).

    :param quarter: e.g. ``2026Q4``
    """
    tk.check_access("daknong_harvest_status", context, data_dict)
    quarter = data_dict.get("quarter") or schedule.quarter_of(dt.date.today())
    if not _valid_quarter(quarter):
        raise tk.ValidationError({"quarter": [tk._("A quarter looks like 2026Q4.")]})
    user = access.user_object(context)
    everything = membership.is_data_administrator(user)
    agency_ids = None if everything else membership.organization_ids(user)
    opens, closes = schedule.window(quarter)
    return {
        "quarter": quarter,
        "window_opens": opens.isoformat(),
        "window_closes": closes.isoformat(),
        "agencies": schedule.agency_status(quarter, agency_ids),
    }


def _valid_quarter(value: str) -> bool:
    return len(value) == 6 and value[:4].isdigit() and value[4] == "Q" and value[5] in "1234"


def daknong_harvest_check(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Validate an agency's catalogue and preview the changes; imports nothing.

    :param agency: the agency's id or name
    :param source_type: ``daknong_spreadsheet``, ``daknong_ckan`` or ``daknong_dcat``
    :param url: where the catalogue is, or
    :param upload: the file's bytes (spreadsheets; from the page)
    """
    tk.check_access("daknong_harvest_check", context, data_dict)
    agency = model.Group.get(data_dict.get("agency") or "")
    if agency is None or not agency.is_organization:
        raise tk.ObjectNotFound(tk._("Agency not found"))
    source_type = data_dict.get("source_type") or "daknong_spreadsheet"
    if source_type not in selfcheck.SOURCE_TYPES:
        raise tk.ValidationError({"source_type": [tk._("Unknown source type.")]})
    if not data_dict.get("url") and not data_dict.get("upload"):
        raise tk.ValidationError({"url": [tk._("Give the catalogue's address or upload a file.")]})
    return selfcheck.check(
        agency, source_type, data_dict.get("url"), data_dict.get("upload"), data_dict.get("config")
    ).as_dict()


# --- ckanext-harvest's actions, checked before anything is written (C2) -----------------------


def _stored_source_type(data_dict: dict[str, Any]) -> str | None:
    ref = data_dict.get("id") or data_dict.get("name")
    if not ref:
        return None
    source = HarvestSource.get(str(ref))
    if source is None:
        package = model.Package.get(str(ref))
        source = HarvestSource.get(package.id) if package is not None else None
    return source.type if source is not None else None


def _check_guarded_type(context: dict[str, Any], data_dict: dict[str, Any]) -> None:
    """Only the portal's harvesters fetch through the address guard (``netguard``); a source
    of any other type (ckanext-harvest's ``ckan``, ckanext-dcat's ``dcat_rdf``, should their
    plugins be enabled) would fetch what its address says, loopback and private networks
    included. The harvest benchmark, an internal caller, says so in the context to register
    the stock harvester it measures against; no API or web request can set that key."""
    if context.get("daknong_unguarded_harvester"):
        return
    source_type = data_dict.get("source_type") or _stored_source_type(data_dict)
    if source_type is not None and source_type not in selfcheck.SOURCE_TYPES:
        raise tk.ValidationError(
            {
                "source_type": [
                    tk._(
                        "This source type does not fetch through the portal's address guard; "
                        "use one of: {types}."
                    ).format(types=", ".join(sorted(selfcheck.SOURCE_TYPES)))
                ]
            }
        )


def _checked_source(name: str, next_action: Any, context: dict[str, Any], data_dict: Any):
    """Authorise first (no row may exist after a refusal), then refuse a harvester that
    fetches outside the address guard and an address the harvest would not fetch anyway,
    so the sysadmin learns it now and not at the first job."""
    tk.check_access(name, context, data_dict)
    _check_guarded_type(context, data_dict or {})
    url = (data_dict or {}).get("url")
    if url:
        try:
            netguard.AddressPolicy.from_config().check_url(str(url), resolve=False)
        except netguard.UnsafeAddress as error:
            raise tk.ValidationError({"url": [str(error)]}) from None
    return next_action(context, data_dict)


@tk.chained_action
def harvest_source_create(next_action: Any, context: dict[str, Any], data_dict: dict[str, Any]):
    """Upstream proxies to package_create without asking harvest_source_create."""
    return _checked_source("harvest_source_create", next_action, context, data_dict)


@tk.chained_action
def harvest_source_update(next_action: Any, context: dict[str, Any], data_dict: dict[str, Any]):
    return _checked_source("harvest_source_update", next_action, context, data_dict)


@tk.chained_action
def harvest_source_patch(next_action: Any, context: dict[str, Any], data_dict: dict[str, Any]):
    return _checked_source("harvest_source_update", next_action, context, data_dict)


@tk.side_effect_free
@tk.chained_action
def harvest_source_list(next_action: Any, context: dict[str, Any], data_dict: dict[str, Any]):
    """Upstream checks no authorisation here and returns every source's config."""
    tk.check_access("harvest_source_list", context, data_dict)
    return next_action(context, data_dict)


@tk.chained_action
def harvest_abort_failed_jobs(next_action: Any, context: dict[str, Any], data_dict: dict[str, Any]):
    """Upstream aborts jobs for any caller, anonymous included."""
    tk.check_access("harvest_abort_failed_jobs", context, data_dict)
    return next_action(context, data_dict)


def _not_an_action(name: str) -> Any:
    """ckanext-harvest's mail helpers: module functions that its plugin registers as actions
    by accident (signature ``(context, source_id, status)``; over the API a 500 or a mail).
    Its own code calls them directly, so refusing them as actions changes nothing there."""

    def refuse(next_action: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> None:
        raise tk.NotAuthorized(tk._("This function is not available through the API."))

    refuse.__name__ = name
    return tk.chained_action(refuse)


get_mail_extra_vars = _not_an_action("get_mail_extra_vars")
prepare_error_mail = _not_an_action("prepare_error_mail")
prepare_summary_mail = _not_an_action("prepare_summary_mail")
send_error_email = _not_an_action("send_error_email")
send_mail = _not_an_action("send_mail")
send_summary_email = _not_an_action("send_summary_email")


@tk.chained_action
def harvest_source_clear(up: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
    """Clear a source without ghosts: upstream deletes the datasets in the database but clears
    the index only for documents that carry ``harvest_source_id``, which ours do not (the
    harvest object is linked after ``package_create`` indexed them). The datasets' documents
    are removed here, and our records of the source are forgotten, so that the next harvest
    imports everything again."""
    from ckan.lib import search
    from ckanext.harvest.model import HarvestObject

    from ckanext.daknong.harvest.model import HarvestRecord

    source = HarvestSource.get(data_dict.get("id") or "")
    if source is None:
        return up(context, data_dict)
    package_ids = {
        package_id
        for (package_id,) in model.Session.query(HarvestObject.package_id).filter(
            HarvestObject.harvest_source_id == source.id, HarvestObject.package_id.isnot(None)
        )
    } | {
        package_id
        for (package_id,) in model.Session.query(HarvestRecord.package_id).filter(
            HarvestRecord.source_id == source.id, HarvestRecord.package_id.isnot(None)
        )
    }
    result = up(context, data_dict)
    alive = {
        package_id
        for (package_id,) in model.Session.query(model.Package.id).filter(
            model.Package.id.in_(list(package_ids))
        )
    }
    for package_id in package_ids - alive:
        search.clear(package_id)
    model.Session.query(HarvestRecord).filter_by(source_id=source.id).delete()
    model.Session.commit()
    return result


@tk.chained_action
def harvest_job_create(up: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
    """A job started by hand (the source page, the API) counts for the quarter's status
    (QĐ 43 Art. 20.3) like one the schedule started: it gets its run."""
    job = up(context, data_dict)
    schedule.follow(job["id"])
    return job


@tk.side_effect_free
@tk.chained_action
def package_show(up: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
    """Inside a harvest import the search index holds no current copy of the dataset being
    written (``harvest/indexing.py``), so asking Solr first only costs a request: read it from
    the database. (ckanext-activity reads the dataset this way for the import's activity.)"""
    if indexing.deferring():
        context["use_cache"] = False
    return up(context, data_dict)


@tk.chained_action
def harvest_jobs_run(up: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
    """Close finished jobs, then commit the search index once: the imports do not commit
    (``harvest/indexing.py``), so the job's last datasets are searchable when it is over."""
    from ckan.lib import search

    result = up(context, data_dict)
    search.commit()
    return result
