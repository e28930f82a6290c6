"""Authorisation functions of the core portal."""

from __future__ import annotations

__all__: list[str] = []
