"""Template helpers of the core portal."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.daknong import codelists, security

__all__ = [
    "daknong_codelist_choices",
    "daknong_focal_points",
    "daknong_province_name",
    "user_image",
]

# Focal points of an agency and the flat organisation fields that hold them
# (QĐ 43 Art. 20.1 provider, Art. 21.1 consumer).
FOCAL_POINT_ROLES = ("provider", "consumer")
FOCAL_POINT_PARTS = ("name", "position", "email", "phone")


def daknong_province_name() -> str:
    """The province's display name, from configuration (it changed in 2025)."""
    return tk.config.get("ckanext.daknong.province_name")


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
