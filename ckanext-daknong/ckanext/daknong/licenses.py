"""Licences of open data (QĐ 43 Art. 11; NĐ 47 Art. 17–18).

Open data is free to reuse with attribution, so a data set published as open data must carry an
open licence: one CKAN marks as conforming to the Open Definition (``od_conformance`` or
``osd_conformance`` "approved"). The portal's licence list is ``data/licenses.json``; it adds the
usage terms of NĐ 47 Art. 18 (``nd47-open-data-terms``), which grant free reuse with attribution
and are therefore marked open there, beside CC-BY-4.0 and the other open licences.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from ckan import model

from ckanext.daknong import resources

LICENSES_FILE = resources.DATA / "licenses.json"
ND47_TERMS = "nd47-open-data-terms"


def default_group_url() -> str:
    """``licenses_group_url`` pointing at the licence list shipped with the extension.

    CKAN reads ``file://`` URLs from an absolute path; computing it here works the same for an
    editable install, a wheel in a virtualenv and the Docker image.
    """
    return f"file://{LICENSES_FILE}"


def configure(config: Any) -> None:
    """Use the extension's licence list unless the operator configured another one."""
    if not config.get("licenses_group_url"):
        config["licenses_group_url"] = default_group_url()


def is_open(license_id: str | None) -> bool:
    """Whether ``license_id`` is an open licence: of the portal's register, or of the list of
    open licences recognised in harvested records (``data/open_licenses.yaml``, e.g. ``uk-ogl``
    of a British CKAN). Unknown ids are not open.
    """
    if not license_id:
        return False
    license_ = model.Package.get_license_register().get(license_id)
    if license_ is not None:
        return bool(license_.isopen())
    return license_id in {entry["id"] for entry in _open_list()}


def open_license_ids() -> list[str]:
    """Ids of the open licences on offer, for messages that suggest one."""
    register = model.Package.get_license_register()
    return [license_.id for license_ in register.values() if license_.isopen()]


@functools.cache
def _open_list() -> tuple[dict[str, Any], ...]:
    document = resources.load_yaml("open_licenses.yaml") or {}
    return tuple(document.get("licences") or [])


def _address(url: str) -> str:
    """A licence address compared loosely: no scheme, no ``www.``, no trailing slash or ``#``."""
    text = re.sub(r"^[a-z]+://", "", url.strip().lower())
    text = text.removeprefix("www.")
    return text.rstrip("/#")


def recognise(license_id: str | None, license_url: str | None = None) -> str | None:
    """The id under which a remote licence is stored, or ``None`` if it is not recognised.

    Harvested records name licences by other portals' ids (``uk-ogl``, ``CC-BY-4.0``) or by an
    address (a DCAT ``dct:license`` IRI, CKAN's ``license_url``). Matched, in order: an id of
    the portal's register; an address of a register licence; an id, alias or address of the
    open licence list. An IRI given as the id is also tried as an address.
    """
    register = model.Package.get_license_register()
    names = [n for n in (license_id, license_url) if n and str(n).strip()]
    for name in names:
        if register.get(str(name).strip()) is not None:
            return str(name).strip()
    addresses = {_address(str(n)) for n in names if "/" in str(n)}
    for license_ in register.values():
        if license_.url and _address(license_.url) in addresses:
            return str(license_.id)
    lowered = {str(n).strip().lower() for n in names}
    for entry in _open_list():
        ids = {entry["id"].lower(), *(a.lower() for a in entry.get("aliases") or [])}
        urls = {_address(u) for u in entry.get("urls") or []}
        if ids & lowered or urls & addresses:
            return str(entry["id"])
    return None
