"""Demo accounts and datasets for `make up`. Never used in production."""

from __future__ import annotations

import io
import json
import random
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ckan.plugins.toolkit as tk
from werkzeug.datastructures import FileStorage

from ckanext.daknong import access, demo_corpus, resources

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

    Returns ``created``, ``updated`` or ``unchanged``. Resources already there are kept (an
    update without ``resources`` leaves them), so a second load does not upload files again.
    """
    data = {key: value for key, value in record.items() if not key.startswith("_")}
    data.pop("table", None)
    data["tags"] = [{"name": tag} for tag in data.get("tags", [])]
    if data.get("type", "dataset") == "dataset":
        data["private"] = access.private_for(data.get("access_level"))
    try:
        existing = tk.get_action("package_show")(dict(context), {"id": data["name"]})
    except tk.ObjectNotFound:
        tk.get_action("package_create")(dict(context), data)
        return "created"
    if _same(existing, data):
        return "unchanged"
    tk.get_action("package_patch")(dict(context), {"id": data["name"], **data})
    return "updated"


def _same(existing: dict[str, Any], data: dict[str, Any]) -> bool:
    """Whether the stored record already says everything ``data`` says (a second `make up`
    then writes nothing: no new revision, no re-index)."""
    for key, value in data.items():
        stored = existing.get(key)
        if key == "tags":
            stored = sorted(tag["name"] for tag in stored or [])
            value = sorted(tag["name"] for tag in value)
        if key == "owner_org":
            stored = existing.get("organization", {}).get("name")
        if stored != value:
            return False
    return True


def ensure_file(context: dict[str, Any], dataset_name: str, file: demo_corpus.DemoFile) -> bool:
    """Upload ``file`` to the filestore as the data set's resource, unless one of that name is
    there; returns whether it uploaded. Goes through ``resource_create`` with the file as a
    form upload, exactly the path of the dataset form."""
    dataset = tk.get_action("package_show")(dict(context), {"id": dataset_name})
    if any(resource.get("name") == file.resource_name for resource in dataset["resources"]):
        return False
    upload = FileStorage(stream=io.BytesIO(file.content), filename=file.filename)
    tk.get_action("resource_create")(
        dict(context),
        {
            "package_id": dataset["id"],
            "name": file.resource_name,
            "format": file.format,
            "description": file.description,
            "url": file.filename,
            "upload": upload,
        },
    )
    return True


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
        if record.get("table"):
            ensure_file(context, record["name"], demo_corpus.hand_written_file(record))
    return accounts


def agencies_in_force() -> list[dict[str, Any]]:
    """The seed agencies that have not been merged away (no ``effective_until``)."""
    seed = resources.load_yaml("seed/agencies.yaml")["agencies"]
    return [agency for agency in seed if not agency.get("effective_until")]


def load_corpus(
    spec: dict[str, Any], context: dict[str, Any], progress: Callable[[str], None] = print
) -> dict[str, int]:
    """The generated corpus (demo_corpus.py): a database entry for every agency in force that
    the hand-written demo ``spec`` gives none, their data sets, and a file uploaded for every
    open or shared data set with a table. Returns counts of what it did."""
    agencies = agencies_in_force()
    taken = {record["owner_org"] for record in spec.get("databases", [])}
    databases = demo_corpus.database_entries(agencies, taken)
    for record in databases:
        ensure_dataset(context, {**record, "type": "database"})
    progress(f"demo: {len(databases)} database entries of the agencies")
    database_of = {record["owner_org"]: record["name"] for record in databases}
    for record in spec.get("databases", []):
        database_of.setdefault(record["owner_org"], record["name"])
    records = demo_corpus.datasets(agencies, database_of)
    # in an order of their own, so that "newest" on the home page is not one agency's list
    random.Random(demo_corpus.SEED).shuffle(records)
    counts = {"databases": len(databases), "datasets": 0, "files": 0}
    for number, record in enumerate(records, start=1):
        ensure_dataset(context, record)
        counts["datasets"] += 1
        if record["_table"] and record["access_level"] != "restricted":
            file = demo_corpus.table_file(record, number)
            counts["files"] += ensure_file(context, record["name"], file)
        if number % 25 == 0 or number == len(records):
            progress(f"demo: {number}/{len(records)} data sets, {counts['files']} files uploaded")
    return counts


def write_accounts(accounts: dict[str, Any], path: Path) -> None:
    """Write the demo accounts readable by the owner only: they hold passwords and tokens."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(accounts, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)
