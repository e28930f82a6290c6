"""Bilingual harvest messages: "Vietnamese / English", composed when they are stored.

Per-record errors, warnings, gather errors and self-check details are written at harvest time
(by the consumers, with no request and so no user language) into ckanext-harvest's tables and
ours, and read later in ckanext-harvest's job pages and API, the status page, the failure
e-mails, the CLI and the self-check JSON. Translating at display time would need the msgid
and its parameters at every one of those places, and ckanext-harvest's tables and pages store
and show a finished string. So each message is kept as both texts: the English msgid goes
through the portal's gettext catalogue (``make i18n`` extracts ``N_("…")``), the Vietnamese
comes from ``i18n/vi`` whatever the request's language, and the stored text reads
"Vietnamese / English" — officials read the first half, the logs and support staff the second.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml
from babel.support import NullTranslations, Translations

I18N = Path(__file__).resolve().parent.parent / "i18n"
DOMAIN = "ckanext-daknong"
SEPARATOR = " / "


@functools.cache
def _vietnamese() -> NullTranslations:
    catalogue = Translations.load(str(I18N), ["vi"], DOMAIN)
    pending = _pending()
    if not pending:
        return catalogue
    in_flight = _Pending(pending)
    in_flight.add_fallback(catalogue)
    return in_flight


def _pending() -> dict[str, str]:
    """Translations still in ``i18n/vi-pending*.yaml`` (``make i18n`` moves them into the
    catalogue and removes the files): stored messages are bilingual from the first day."""
    found: dict[str, str] = {}
    for path in sorted(I18N.glob("vi-pending*.yaml")):
        found.update(
            {k: v for k, v in (yaml.safe_load(path.read_text("utf-8")) or {}).items() if v}
        )
    return found


class _Pending(NullTranslations):
    def __init__(self, messages: dict[str, str]) -> None:
        super().__init__()
        self._messages = messages

    def gettext(self, message: str) -> str:
        if message in self._messages:
            return self._messages[message]
        return super().gettext(message)


class Message:
    """A msgid and its parameters, rendered in English, Vietnamese or both.

    Parameters that are Messages themselves are rendered in the same language, so
    ``N_("{where}: {problem}", where=…, problem=…)`` reads as one sentence in each language.
    """

    __slots__ = ("msgid", "params")

    def __init__(self, msgid: str, params: dict[str, Any]) -> None:
        self.msgid = msgid
        self.params = params

    def render(self, language: str) -> str:
        template = self.msgid if language == "en" else _vietnamese().gettext(self.msgid)
        values = {
            key: value.render(language) if isinstance(value, Message) else value
            for key, value in self.params.items()
        }
        return template.format(**values)

    @property
    def english(self) -> str:
        return self.render("en")

    @property
    def vietnamese(self) -> str:
        return self.render("vi")

    def __str__(self) -> str:
        english, vietnamese = self.english, self.vietnamese
        return english if vietnamese == english else f"{vietnamese}{SEPARATOR}{english}"

    def __repr__(self) -> str:
        return f"Message({self.msgid!r}, {self.params!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Message):
            return (self.msgid, self.params) == (other.msgid, other.params)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.msgid)


def N_(msgid: str, **params: Any) -> Message:  # gettext's marker name, for extraction
    """Mark ``msgid`` for the catalogue; the text is made when the message is stored."""
    return Message(msgid, params)


def text(message: Message | str) -> str:
    """The stored form: bilingual for a Message, as it is for anything else."""
    return str(message)
