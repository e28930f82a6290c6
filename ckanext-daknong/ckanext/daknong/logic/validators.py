"""Validators of the core portal, registered with CKAN under their function names."""

from __future__ import annotations

from typing import Any

from ckanext.daknong import access

__all__ = ["daknong_derive_private"]


def daknong_derive_private(
    key: Any, data: dict[Any, Any], errors: dict[Any, Any], context: dict[str, Any]
) -> None:
    """Dataset-level after-validator: ``private`` always follows ``access_level``.

    Whatever a form or API client sends as ``private`` is overwritten, so code that reads the
    raw column (package_list, the DCAT catalogue) can never publish shared or restricted data.
    """
    data[("private",)] = access.private_for(data.get(("access_level",)))
