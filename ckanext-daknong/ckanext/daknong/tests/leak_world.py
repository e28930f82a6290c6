"""One world for the leak tests (M1, M3, M5; QĐ 43 Art. 10), built once per module.

An owner agency with a shared and a restricted dataset whose title, notes, name, tag, resource
name, resource format and free-text extra carry unique marker words; an open dataset of the
same agency for legitimate searches; users for every role, with API tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.daknong.tests.factories import Agency, agency_member

LEVELS = ("shared", "restricted")
ROLES = ("anonymous", "no_agency", "other_agency", "owner_member", "sysadmin")
READERS = {
    "open": set(ROLES),
    "shared": {"other_agency", "owner_member", "sysadmin"},
    "restricted": {"owner_member", "sysadmin"},
}
MISSING_WORD = "khongtontaiqz"


def markers_of(level: str) -> dict[str, str]:
    return {
        "name": f"tenbimat{level}xq",
        "title": f"tieude{level}xq",
        "notes": f"ghichu{level}xq",
        "tag": f"nhan{level}xq",
        "resource": f"tainguyen{level}xq",
        "format": f"dinhdang{level}xq",
        "extra": f"nguon{level}xq",
    }


@dataclass
class World:
    owner: dict[str, Any]
    datasets: dict[str, dict[str, Any]]
    users: dict[str, dict[str, Any]]
    tokens: dict[str, str | None] = field(default_factory=dict)

    def headers(self, role: str) -> dict[str, str]:
        token = self.tokens[role]
        return {"Authorization": token} if token else {}

    def outsiders(self, level: str) -> list[str]:
        return [role for role in ROLES if role not in READERS[level]]

    def readers(self, level: str) -> list[str]:
        return [role for role in ROLES if role in READERS[level]]


def build_world() -> World:
    owner = Agency(name="co-quan-giu-bi-mat", title="Cơ quan giữ bí mật")
    other = Agency(name="co-quan-ben-ngoai")
    sysadmin = factories.SysadminWithToken()
    users = {
        "no_agency": factories.UserWithToken(),
        "other_agency": agency_member(other),
        "owner_member": agency_member(owner),
        "sysadmin": sysadmin,
    }
    datasets = {}
    for level in ("open", *LEVELS):
        marks = markers_of(level)
        datasets[level] = call_action(
            "package_create",
            context={"user": sysadmin["name"]},
            name=marks["name"],
            title=f"Tiêu đề {marks['title']}",
            notes=f"Mô tả {marks['notes']}",
            owner_org=owner["id"],
            access_level=level,
            license_id="cc-by" if level == "open" else "other-closed",
            tags=[{"name": marks["tag"]}],
            data_sources=f"Nguồn {marks['extra']}",
            resources=[
                {
                    "name": marks["resource"],
                    "format": marks["format"],
                    "url": f"https://example.org/{marks['resource']}.csv",
                }
            ],
        )
    tokens: dict[str, str | None] = {"anonymous": None}
    tokens.update({role: user["token"] for role, user in users.items()})
    return World(owner=owner, datasets=datasets, users=users, tokens=tokens)


def leaked(text: str, level: str) -> list[str]:
    """The markers (and the id) of ``level``'s dataset found in ``text``."""
    return [m for m in markers_of(level).values() if m.lower() in text.lower()]
