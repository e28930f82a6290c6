"""Whether an interface text has its Vietnamese translation (the portal's default language).

Translations are listed in ``i18n/vi-pending*.yaml`` until the lead compiles them into
``i18n/vi/LC_MESSAGES/ckanext-daknong.po``; either place counts.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from babel.messages.pofile import read_po

import ckanext.daknong

I18N = Path(ckanext.daknong.__file__).parent / "i18n"
PO_FILE = I18N / "vi" / "LC_MESSAGES" / "ckanext-daknong.po"
TEMPLATE_MSGID = re.compile(r"""\b_\(\s*'([^']+)'\s*\)|\bungettext\(\s*'([^']+)',\s*'([^']+)'""")


def vietnamese_msgids() -> set[str]:
    """Every msgid with a Vietnamese translation, pending or compiled (plural forms too)."""

    msgids: set[str] = set()
    for pending in I18N.glob("vi-pending*.yaml"):
        msgids |= {k for k, v in (yaml.safe_load(pending.read_text("utf-8")) or {}).items() if v}
    if PO_FILE.exists():
        with PO_FILE.open("rb") as stream:
            for message in read_po(stream, locale="vi"):
                ids = message.id if isinstance(message.id, tuple) else (message.id,)
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                if message.id and all(strings):
                    msgids.update(ids)
    return msgids


def template_msgids(template: Path) -> set[str]:
    """The msgids of ``_('…')`` and ``ungettext('…', '…', n)`` calls in a template."""
    found = set()
    for groups in TEMPLATE_MSGID.findall(template.read_text("utf-8")):
        found |= {g for g in groups if g}
    return found
