"""Template helpers of the core portal."""

from __future__ import annotations

import ckan.plugins.toolkit as tk

__all__ = ["daknong_province_name"]


def daknong_province_name() -> str:
    """The province's display name, from configuration (it changed in 2025)."""
    return tk.config.get("ckanext.daknong.province_name")
