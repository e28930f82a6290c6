"""Template helpers of the core portal."""

from __future__ import annotations

import datetime as dt
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model

from ckanext.daknong import codelists, home, identity, search, security
from ckanext.daknong.core_messages import N_

__all__ = [
    "daknong_code_label",
    "daknong_codelist_choices",
    "daknong_database_choices",
    "daknong_database_title",
    "daknong_date",
    "daknong_focal_points",
    "daknong_home_figures",
    "daknong_identity",
    "daknong_province_name",
    "format_resource_items",
    "humanize_entity_type",
    "user_image",
]

# Focal points of an agency and the flat organisation fields that hold them
# (QĐ 43 Art. 20.1 provider, Art. 21.1 consumer).
FOCAL_POINT_ROLES = ("provider", "consumer")
FOCAL_POINT_PARTS = ("name", "position", "email", "phone")


def daknong_province_name() -> str:
    """The province's display name, from configuration (it changed in 2025)."""
    return tk.config.get("ckanext.daknong.province_name")


def daknong_identity() -> identity.Identity:
    """The portal's name, operator, emblem, colours and contact, in the page's language."""
    return identity.current(tk.h.lang())


def daknong_home_figures() -> home.Figures:
    """The home page's figures: open data only, kept briefly (``home.py``)."""
    return home.figures()


def daknong_code_label(codelist: str, value: str) -> str:
    """The label of a coded value in the page's language (``data/codelists/<codelist>.yaml``):
    a sector, a sharing-log event, channel or status; the value itself if the list lacks it."""
    return codelists.label(codelist, value, tk.h.lang())


def daknong_date(value: str | dt.datetime | None, with_time: bool = False) -> str:
    """A date as Vietnamese write it, ``02/12/2026`` (``02/12/2026 14:05:09`` with the time);
    in English ``2 December 2026``.

    Times without an offset are UTC (CKAN stores them so) and are shown on the portal's clock
    (``ckan.display_timezone``): a dataset published at 23:30 in Hà Nội shows that day.
    """
    if not value:
        return ""
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    local = moment.astimezone(tk.h.get_display_timezone())
    time = f" {local:%H:%M:%S}" if with_time else ""
    if (tk.h.lang() or "vi").startswith("en"):
        return f"{local.day} {local:%B %Y}{time}"
    return f"{local:%d/%m/%Y}{time}"


def daknong_database_choices() -> list[dict[str, Any]]:
    """The database entries a publisher may attach a data set to (issue 12 §4): those of the
    agencies the user may create data sets for, grouped by agency, by title."""
    agencies = tk.h.organizations_available("create_dataset", include_dataset_count=False)
    titles = {agency["id"]: agency["display_name"] for agency in agencies}
    if not titles:
        return []
    rows = (
        model.Session.query(model.Package.name, model.Package.title, model.Package.owner_org)
        .filter(
            model.Package.type == search.DATABASE,
            model.Package.state == model.State.ACTIVE,
            model.Package.owner_org.in_(list(titles)),
        )
        .order_by(model.Package.title)
    )
    groups: dict[str, list[dict[str, str]]] = {}
    for name, title, owner in rows:
        groups.setdefault(owner, []).append({"value": name, "label": title or name})
    return [
        {"agency": titles[owner], "entries": entries}
        for owner, entries in sorted(groups.items(), key=lambda item: titles[item[0]])
    ]


def daknong_database_title(name: str) -> str:
    """The title of a published database entry, for a data set's page; the name if none.

    Database entries are public metadata (QĐ 43 Art. 9.2), so the title is shown to anyone.
    """
    title = (
        model.Session.query(model.Package.title)
        .filter(
            model.Package.name == name,
            model.Package.type == search.DATABASE,
            model.Package.state == model.State.ACTIVE,
        )
        .scalar()
    )
    return title or name


def daknong_codelist_choices(field: dict[str, Any]) -> list[dict[str, Any]]:
    """Scheming ``choices_helper``: the choices of the code list named by ``field['codelist']``.

    Code lists are data files (``data/codelists/``), so a schema field only names its list.
    """
    return codelists.choices(field["codelist"])


def daknong_focal_points(organization: dict[str, Any]) -> list[dict[str, Any]]:
    """The agency's focal points that have at least one detail filled in, for public display.

    NĐ 47 Art. 7: the name, position, phone and e-mail of the focal officer are public.
    """
    points = []
    for role in FOCAL_POINT_ROLES:
        point = {part: organization.get(f"{role}_focal_{part}") for part in FOCAL_POINT_PARTS}
        if any(point.values()):
            points.append({"role": role, **point})
    return points


@tk.chained_helper
def user_image(next_helper: Any, user_id: str, size: int = 100) -> Any:
    """A user's avatar, never loaded from another host (issue 12, no third-party requests).

    A user may give any image URL as their picture; shown on a page, it would tell that host
    who reads the page. Such a picture is replaced by CKAN's placeholder (Gravatar is off,
    ``security.configure``), as is an avatar of a user who has none.
    """
    try:
        user = tk.get_action("user_show")({"ignore_auth": True}, {"id": user_id})
    except tk.ObjectNotFound:
        return ""
    if user.get("image_display_url") and not security.served_by_portal(user["image_display_url"]):
        return tk.h.snippet(
            "user/snippets/placeholder.html", size=size, user_name=user["display_name"]
        )
    return next_helper(user_id, size)


# The resource fields a visitor may want beside the ones the page shows already, with their
# labels; the rest of a resource's keys (state, url_type, datastore_active, …) are CKAN's
# bookkeeping, shown by core as raw English keys and values.
_RESOURCE_FIELD_LABELS = {"id": N_("Id"), "size": N_("Size"), "mimetype": N_("Media type")}


@tk.chained_helper
def format_resource_items(next_helper: Any, items: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """The "additional information" rows of a resource page, labelled in the visitor's
    language (issue 12 §3): core shows every key as ``key | capitalize``, in English."""
    shown = [(key, value) for key, value in items if key in _RESOURCE_FIELD_LABELS]
    return [(tk._(_RESOURCE_FIELD_LABELS[key]), value) for key, value in next_helper(shown)]


# CKAN names a dataset type from its machine name ("database" → "Database", "Databases"),
# in English whatever the language; the portal's words for its database catalogue entries.
_DATABASE_WORDS = {
    "add link": N_("Add database entry"),
    "breadcrumb": N_("Database catalogue"),
    "content tab": N_("Database entries"),
    "create label": N_("Create database entry"),
    "create title": N_("Create database entry"),
    "delete confirmation": N_("Are you sure you want to delete this database entry?"),
    "description placeholder": N_("What the database holds, for whom and why"),
    "edit label": N_("Edit database entry"),
    "facet label": N_("Database entries"),
    "form label": N_("Database entry"),
    "main nav": N_("Database catalogue"),
    "my label": N_("My database entries"),
    "view label": N_("View database entry"),
    "name placeholder": N_("my-database"),
    "no any objects": N_("There are no database entries yet"),
    "no description": N_("There is no description for this database entry"),
    "page title": N_("Database catalogue"),
    "save label": N_("Save database entry"),
    "search placeholder": N_("Search the database catalogue..."),
    "update label": N_("Update database entry"),
}


@tk.chained_helper
def humanize_entity_type(
    next_helper: Any, entity_type: str, object_type: str, purpose: str
) -> str | None:
    """The words for a database catalogue entry (QĐ 43 Art. 9) in the visitor's language
    (issue 12 §3); every other type as CKAN names it."""
    if entity_type == "package" and object_type == "database" and purpose in _DATABASE_WORDS:
        return tk._(_DATABASE_WORDS[purpose])
    return next_helper(entity_type, object_type, purpose)
