"""From a remote record to a dict for our scheming schemas: access level, names, content hash.

Pure functions: the rules below are what a focal point must be able to predict, so they are
deterministic and free of database access except where a name's owner must be looked up.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from ckan import model

from ckanext.daknong import access, licenses
from ckanext.daknong.harvest.messages import N_, Message

# Bump when the mapping changes so every record is re-imported once.
MAPPING_VERSION = "1"
NAME_MAX = 100


@dataclass
class RemoteRecord:
    """One record read from a source: its number (row or position), ids and mapped dict."""

    number: int
    remote_id: str
    remote_name: str | None
    package: dict[str, Any] = field(default_factory=dict)
    errors: list[Message] = field(default_factory=list)
    warnings: list[Message] = field(default_factory=list)
    unit: str = "record"

    @property
    def where(self) -> Message:
        """'row 7' for spreadsheets (header is row 1), 'record 7' for catalogues."""
        return where(self.unit, self.number)


def where(unit: str, number: int) -> Message:
    if unit == "row":
        return N_("row {number}", number=number)
    return N_("record {number}", number=number)


def at(place: Message, problem: Message | str) -> Message:
    """'row 7: title: missing', in each language."""
    return N_("{where}: {problem}", where=place, problem=problem)


def content_hash(package: dict[str, Any]) -> str:
    """A stable digest of what would be written: equal hashes mean nothing to do."""
    canonical = json.dumps(package, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(f"{MAPPING_VERSION}\n{canonical}".encode()).hexdigest()


def slugify(text: str) -> str:
    """A CKAN name from Vietnamese text: 'Dân cư Đắk Nông' → 'dan-cu-dak-nong'."""
    text = text.replace("đ", "d").replace("Đ", "D")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9_-]+", "-", ascii_text.lower()).strip("-")
    slug = re.sub(r"-{2,}", "-", slug)
    return slug[:NAME_MAX] or "du-lieu"


def access_level_for(
    remote_private: bool, declared: str | None, license_id: str | None, config: dict[str, Any]
) -> tuple[str, Message | None]:
    """The access level of a harvested dataset and a warning when the source was overruled.

    A private remote dataset is ``shared`` unless the source config says ``restricted``; it is
    never open. A public one takes the level it declares, or the source config's
    ``public_access_level`` (default ``shared``): open only when the source says so. Open data
    needs an open licence (NĐ 47 Art. 17–18), else it is imported as ``shared``.
    """
    if remote_private:
        level = config.get("private_access_level") or access.SHARED
        return (level if level == access.RESTRICTED else access.SHARED), None
    level = declared if declared in access.ACCESS_LEVELS else None
    level = level or config.get("public_access_level") or access.SHARED
    if level not in access.ACCESS_LEVELS:
        level = access.SHARED
    if level == access.OPEN and not licenses.is_open(license_id):
        return (
            access.SHARED,
            N_("open data needs an open licence (NĐ 47 Art. 17–18): imported as shared"),
        )
    return level, None


def agency_suffix(agency_code: str) -> str:
    return slugify(agency_code.replace(".", "-"))


def resolve_name(
    desired: str, package_id: str | None, agency_code: str, source_id: str, remote_id: str
) -> str:
    """A free name for the dataset, the same one at every harvest.

    The remote name if it is free or already ours; else the name with the agency code
    (``dan-cu-h16-05``), so two agencies publishing ``dan-cu`` never overwrite each other;
    else with a digest of the source and remote id. Never a counter: counters depend on order.
    """
    desired = slugify(desired)
    digest = hashlib.sha1(f"{source_id}/{remote_id}".encode()).hexdigest()[:8]
    candidates = (
        desired,
        _join(desired, agency_suffix(agency_code)),
        _join(desired, digest),
    )
    for candidate in candidates:
        owner = model.Session.query(model.Package.id).filter_by(name=candidate).scalar()
        if owner is None or owner == package_id:
            return candidate
    return _join(desired, f"{agency_suffix(agency_code)}-{digest}")


def _join(base: str, suffix: str) -> str:
    return f"{base[: NAME_MAX - len(suffix) - 1]}-{suffix}"


def tags(values: list[str]) -> list[dict[str, str]]:
    """CKAN tags from free text: trimmed, unique, within CKAN's tag length and alphabet."""
    seen: dict[str, None] = {}
    for value in values:
        tag = re.sub(r"[^\w\s.-]", " ", value, flags=re.UNICODE).strip()[:100]
        tag = re.sub(r"\s+", " ", tag)
        if len(tag) >= 2:
            seen.setdefault(tag, None)
    return [{"name": tag} for tag in seen]


def resources(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Link resources only: the portal never copies agency files during a harvest."""
    result = []
    for item in items:
        url = (item.get("url") or "").strip()
        if not url:
            continue
        result.append(
            {
                "url": url,
                "name": (item.get("name") or "").strip() or url.rsplit("/", 1)[-1],
                "description": (item.get("description") or "").strip(),
                "format": (item.get("format") or "").strip(),
            }
        )
    return result
