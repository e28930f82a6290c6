"""The portal's identity: which province it serves, who runs it, how it looks, whom to call.

Đắk Nông merged into Lâm Đồng on 1 July 2025 and its departments were renamed in March 2025
(docs/portal.md): the name, the operator, the emblem, the colours, the contact and the legal
basis shown on every page are configuration (``ckanext.daknong.portal.*``), read here and
nowhere else.

``configure`` runs at start-up: CKAN's own ``ckan.site_title`` (page titles, e-mails) is set
from the portal's Vietnamese name, and a colour that is not ``#rrggbb``, an emblem on another
host or a legal reference that does not exist stops the portal with a message that says
which option is wrong, rather than rendering a broken page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import ckan.plugins.toolkit as tk
from ckan.exceptions import CkanConfigurationException

from ckanext.daknong import legal, resources, security

OPTION = "ckanext.daknong.portal."
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
COLOUR_OPTIONS = ("primary_colour", "accent_colour")


@dataclass(frozen=True)
class Identity:
    """What the header and footer show, in the page's language."""

    title: str
    province: str
    operator: str
    operator_url: str
    emblem_url: str
    primary_colour: str
    accent_colour: str
    address: str
    phone: str
    email: str
    legal_basis: tuple[str, ...]


def _option(name: str) -> Any:
    return tk.config.get(OPTION + name)


def _in(lang: str | None, name: str) -> str:
    """``<name>_vi`` or ``<name>_en``; English falls back to the Vietnamese text."""
    vietnamese = _option(f"{name}_vi")
    if (lang or "vi").startswith("en"):
        return _option(f"{name}_en") or vietnamese
    return vietnamese


def current(lang: str | None) -> Identity:
    return Identity(
        title=_in(lang, "title"),
        province=tk.config.get("ckanext.daknong.province_name"),
        operator=_in(lang, "operator"),
        operator_url=_option("operator_url") or "",
        emblem_url=_option("emblem"),
        primary_colour=_option("primary_colour"),
        accent_colour=_option("accent_colour"),
        address=_option("address") or "",
        phone=_option("phone") or "",
        email=_option("email") or "",
        legal_basis=tuple(legal.reference(key, lang) for key in _option("legal_basis")),
    )


def configure(config: Any) -> None:
    """Called from ``IConfigurer.update_config``: check the identity, name the site."""
    check(config)
    config["ckan.site_title"] = config.get(OPTION + "title_vi")


def check(config: Any) -> None:
    """Refuse a configuration that would render a broken or leaking page; at start-up."""
    for name in COLOUR_OPTIONS:
        value = config.get(OPTION + name)
        if value and not COLOUR.match(str(value)):
            raise CkanConfigurationException(
                f"{OPTION}{name} = {value!r}: a colour is written #rrggbb, for example #a4161a"
            )
    emblem = config.get(OPTION + "emblem")
    if emblem and not security.served_by_portal(str(emblem)):
        raise CkanConfigurationException(
            f"{OPTION}emblem = {emblem!r}: the emblem must be a file of the portal "
            "(a path such as /daknong/emblem.svg); no page loads images from another host"
        )
    known = resources.load_yaml("legal_references.yaml")
    legal_basis = config.get(OPTION + "legal_basis") or []
    if isinstance(legal_basis, str):
        legal_basis = legal_basis.split()
    unknown = [key for key in legal_basis if key not in known]
    if unknown:
        raise CkanConfigurationException(
            f"{OPTION}legal_basis names {', '.join(unknown)}, which data/legal_references.yaml "
            f"does not have; it has {', '.join(sorted(known))}"
        )
