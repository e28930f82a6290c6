"""CKAN core messages the portal corrects in Vietnamese.

CKAN core's Vietnamese catalogue covers about half of its messages and gets some senses wrong
("Visibility" as "Tầm nhìn", i.e. vision). Listing the messages here puts them in the portal's
own catalogue (`make i18n`), whose translations override core's when the plugin loads.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a message for extraction without translating it here."""
    return message


CORE_MESSAGES = (
    N_("Visibility"),
    N_("Missing value"),
    N_("Must be a positive integer"),
    N_("Date format incorrect"),
    N_("Organization"),
    N_("Organizations"),
    N_("License"),
)
