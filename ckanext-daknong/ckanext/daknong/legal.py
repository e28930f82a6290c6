"""Legal references shown to users, read from ``data/legal_references.yaml``.

The references change with the law (Decree 47/2020 was replaced in 2025), so messages name
them through this module instead of hard-coding article numbers.
"""

from __future__ import annotations

from ckanext.daknong import resources

FALLBACK_LANG = "vi"


def reference(key: str, lang: str | None) -> str:
    """The reference ``key`` in ``lang``, falling back to Vietnamese (the portal's language)."""
    texts = resources.load_yaml("legal_references.yaml")[key]
    return texts.get(lang or FALLBACK_LANG) or texts[FALLBACK_LANG]
