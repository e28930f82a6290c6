"""Flask blueprints of the core portal."""

from __future__ import annotations

from flask import Blueprint


def get_blueprints() -> list[Blueprint]:
    return []
