"""The harvest's fetch errors, apart so that ``fetch`` and ``netguard`` need not import each
other: both raise them, and every caller catches ``FetchError``."""

from __future__ import annotations

from ckanext.daknong.harvest.messages import Message


class FetchError(Exception):
    """A source could not be read; the message is safe to show and to log.

    Raised with a Message: ``str(error)`` is its bilingual text (Vietnamese / English).
    """

    def __init__(self, message: Message | str) -> None:
        super().__init__(str(message))
        self.message = message


class UnsafeAddress(FetchError):
    """The address guard refuses to fetch this address; the message is bilingual."""
