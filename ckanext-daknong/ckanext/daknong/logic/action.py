"""Actions of the core portal, named ``daknong_<noun>_<verb>``."""

from __future__ import annotations

__all__: list[str] = []
