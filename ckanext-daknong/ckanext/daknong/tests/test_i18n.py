"""Every message of the schemas' validators has a Vietnamese translation waiting or compiled.

The portal is Vietnamese first; msgids are English. Until the lead compiles them into the
catalogue, translations wait in ``i18n/vi-pending*.yaml``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

PACKAGE = Path(__file__).resolve().parents[1]
TEMPLATES = PACKAGE.parents[1] / "templates"
SOURCES = [PACKAGE / "logic" / "validators.py"]
TEMPLATE_SOURCES = [TEMPLATES / "organization" / "snippets" / "focal_points.html"]
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def _python_msgids(path: Path) -> set[str]:
    return {
        node.args[0].value
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and getattr(node.func, "attr", getattr(node.func, "id", None)) == "_"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }


def _template_msgids(path: Path) -> set[str]:
    return set(re.findall(r"_\('([^']+)'\)", path.read_text(encoding="utf-8")))


def _translations() -> dict[str, str]:
    from babel.messages.pofile import read_po

    found: dict[str, str] = {}
    for pending in sorted((PACKAGE / "i18n").glob("vi-pending*.yaml")):  # vi-pending-NAME too
        found.update(yaml.safe_load(pending.read_text(encoding="utf-8")) or {})
    for po in (PACKAGE / "i18n").glob("vi/LC_MESSAGES/*.po"):
        with po.open("rb") as stream:
            for message in read_po(stream, locale="vi"):
                if isinstance(message.id, str) and message.id and message.string:
                    found.setdefault(message.id, message.string)
    return found


MSGIDS = sorted(
    set().union(
        *(_python_msgids(p) for p in SOURCES), *(_template_msgids(p) for p in TEMPLATE_SOURCES)
    )
)


def test_the_sources_have_messages():
    assert len(MSGIDS) > 15


@pytest.mark.parametrize("msgid", MSGIDS)
def test_message_has_a_vietnamese_translation_with_the_same_placeholders(msgid):
    translation = _translations().get(msgid)

    assert translation, f"no Vietnamese translation for {msgid!r}"
    assert sorted(PLACEHOLDER.findall(translation)) == sorted(PLACEHOLDER.findall(msgid))
