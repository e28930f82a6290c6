"""Demo accounts and datasets for `make up`. Never used in production."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.daknong import access

TOKEN_NAME = "demo"


def _password() -> str:
    """A random password that meets the accounts policy (QĐ 43 Art. 12.3: 12+ characters,
    zxcvbn score 3+); checked here so that a policy change cannot break `make up` silently."""
    from ckanext.daknong.accounts import passwords

    while True:
        candidate = "Dn-" + secrets.token_urlsafe(16)
        if not passwords.problems(candidate):
            return candidate


def ensure_user(context: dict[str, Any], name: str, *, sysadmin: bool = False) -> dict[str, str]:
    """Create or reset a demo user; return its name, a fresh password and a fresh API token."""
    password = _password()
    user = {
        "name": name,
        "email": f"{name}@demo.daknong.invalid",
        "password": password,
        "fullname": name,
    }
    try:
        existing = tk.get_action("user_show")(dict(context), {"id": name})
    except tk.ObjectNotFound:
        existing = tk.get_action("user_create")(dict(context), user)
    else:
        tk.get_action("user_patch")(dict(context), {"id": existing["id"], "password": password})
    if sysadmin and not existing.get("sysadmin"):
        tk.get_action("user_patch")(dict(context), {"id": existing["id"], "sysadmin": True})
    for token in tk.get_action("api_token_list")(dict(context), {"user_id": existing["id"]}):
        if token["name"] == TOKEN_NAME:
            tk.get_action("api_token_revoke")(dict(context), {"jti": token["id"]})
    token = tk.get_action("api_token_create")(
        dict(context), {"user": existing["id"], "name": TOKEN_NAME}
    )["token"]
    return {"name": name, "password": password, "token": token}


def ensure_dataset(context: dict[str, Any], record: dict[str, Any]) -> str:
    """Create or update a demo dataset or database entry (matched by name).

    Returns ``created`` or ``updated``.
    """
    data = dict(record)
    data["tags"] = [{"name": tag} for tag in data.get("tags", [])]
    if data.get("type", "dataset") == "dataset":
        data["private"] = access.private_for(data.get("access_level"))
    try:
        tk.get_action("package_show")(dict(context), {"id": data["name"]})
    except tk.ObjectNotFound:
        tk.get_action("package_create")(dict(context), data)
        return "created"
    tk.get_action("package_update")(dict(context), {"id": data["name"], **data})
    return "updated"


def load_demo(spec: dict[str, Any], context: dict[str, Any], portal_url: str) -> dict[str, Any]:
    """Load the demo accounts and datasets; return the demo-accounts document."""
    accounts: dict[str, Any] = {"portal": portal_url}
    accounts["sysadmin"] = ensure_user(context, spec["sysadmin"], sysadmin=True)
    accounts["agencies"] = []
    for agency in spec["agencies"]:
        entry: dict[str, Any] = {"organization": agency["organization"]}
        for role in ("admin", "member", "focal_point"):
            if not agency.get(role):
                continue
            entry[role] = ensure_user(context, agency[role])
            tk.get_action("organization_member_create")(
                dict(context),
                {
                    "id": agency["organization"],
                    "username": agency[role],
                    "role": "admin" if role == "admin" else "member",
                },
            )
        if agency.get("focal_point"):
            # Focal points are named by account, once the account is a member (issue 10, H1).
            tk.get_action("organization_patch")(
                dict(context),
                {
                    "id": agency["organization"],
                    "provider_focal_user": agency["focal_point"],
                    "consumer_focal_user": agency["focal_point"],
                },
            )
        accounts["agencies"].append(entry)
    accounts["no_agency"] = ensure_user(context, spec["no_agency"])
    # Databases first: data sets name the database they belong to.
    for record in spec.get("databases", []):
        ensure_dataset(context, {**record, "type": "database"})
    for record in spec.get("datasets", []):
        ensure_dataset(context, record)
    return accounts


def write_accounts(accounts: dict[str, Any], path: Path) -> None:
    """Write the demo accounts readable by the owner only: they hold passwords and tokens."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(accounts, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)
