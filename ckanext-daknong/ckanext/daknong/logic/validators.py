"""Validators of the core portal, registered with CKAN under their function names."""

from __future__ import annotations

__all__: list[str] = []
