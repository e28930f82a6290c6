"""Code lists (danh mục): sectors, update frequencies, administrative units, user categories …

Every list is a YAML file under ``data/codelists/`` with a ``values`` list of
``{value, label: {vi, en}, …}`` entries, so that the province edits a file, not code, when a
list changes (departments merged and districts were abolished in 2025).
"""

from __future__ import annotations

from typing import Any

from ckanext.daknong import resources


def entries(name: str) -> list[dict[str, Any]]:
    """All entries of the code list ``name``; raises ``FileNotFoundError`` if there is none.

    Values are turned into strings: YAML reads ``660`` as a number, scheming compares strings.
    """
    document = resources.load_yaml(f"codelists/{name}.yaml") or {}
    return [{**entry, "value": str(entry["value"])} for entry in document.get("values", [])]


def choices(name: str) -> list[dict[str, Any]]:
    """The list as scheming choices: ``[{"value": …, "label": {"vi": …, "en": …}}]``."""
    return [{"value": entry["value"], "label": entry["label"]} for entry in entries(name)]


def values(name: str) -> list[str]:
    """The stored values of the list, in file order."""
    return [entry["value"] for entry in entries(name)]


def label(name: str, value: str, lang: str) -> str:
    """The label of ``value`` in ``lang`` (Vietnamese when missing); the value if unknown."""
    for entry in entries(name):
        if entry["value"] == value:
            text = entry["label"]
            return text.get(lang) or text.get("vi") or value
    return value
