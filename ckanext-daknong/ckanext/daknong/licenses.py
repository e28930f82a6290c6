"""Licences of open data (QĐ 43 Art. 11; NĐ 47 Art. 17–18).

Open data is free to reuse with attribution, so a data set published as open data must carry an
open licence: one CKAN marks as conforming to the Open Definition (``od_conformance`` or
``osd_conformance`` "approved"). The portal's licence list is ``data/licenses.json``; it adds the
usage terms of NĐ 47 Art. 18 (``nd47-open-data-terms``), which grant free reuse with attribution
and are therefore marked open there, beside CC-BY-4.0 and the other open licences.
"""

from __future__ import annotations

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
    """Whether ``license_id`` is an open licence of the portal's register; unknown ids are not."""
    if not license_id:
        return False
    license_ = model.Package.get_license_register().get(license_id)
    return bool(license_ and license_.isopen())


def open_license_ids() -> list[str]:
    """Ids of the open licences on offer, for messages that suggest one."""
    register = model.Package.get_license_register()
    return [license_.id for license_ in register.values() if license_.isopen()]
