"""The agency self-check: read a catalogue, validate every record, preview the changes.

Runs the same reading and mapping as the harvest and the same scheming validation as
``package_create``, but writes nothing, so a focal point can fix the catalogue before the
quarterly window instead of reading a failed harvest afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.lib.plugins import lookup_package_plugin
from ckanext.harvest.model import HarvestSource

from ckanext.daknong import agencies
from ckanext.daknong.harvest import (
    ckan_source,
    dcat_source,
    engine,
    mapping,
    netguard,
    spreadsheet,
)
from ckanext.daknong.harvest.fetch import FetchError
from ckanext.daknong.harvest.messages import N_, Message
from ckanext.daknong.harvest.model import HarvestRecord

SOURCE_TYPES = {
    "daknong_spreadsheet": spreadsheet.DaknongSpreadsheetHarvester,
    "daknong_ckan": ckan_source.DaknongCkanHarvester,
    "daknong_dcat": dcat_source.DaknongDcatHarvester,
}


@dataclass
class Report:
    agency: str
    source_type: str
    source_id: str | None = None
    fatal: str | None = None
    errors: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.fatal and not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def registered_source(agency: model.Group, source_type: str, url: str | None) -> Any:
    """The agency's harvest source of this type (the one at ``url`` if several)."""
    query = (
        model.Session.query(HarvestSource)
        .join(model.Package, model.Package.id == HarvestSource.id)
        .filter(
            model.Package.owner_org == agency.id,
            HarvestSource.type == source_type,
            model.Package.state == model.State.ACTIVE,
        )
    )
    sources = query.all()
    matching = [s for s in sources if url and s.url.strip() == url.strip()]
    return (matching or sources or [None])[0]


def check(
    agency: model.Group,
    source_type: str,
    url: str | None,
    upload: bytes | None,
    config: dict[str, Any] | str | None = None,
) -> Report:
    """Read, validate and preview; raise ValidationError (``url``) for an address refused.

    Every address, typed or registered, is fetched under netguard's rules (QĐ 43 Art. 21.3
    asks for a check, not for a way into the portal's network); a registered address gets no
    exemption, since a registered source that points at the portal's own Solr reads every
    agency's restricted records (C2).
    """
    report = Report(agency=agency.name, source_type=source_type)
    if url and upload is None:
        try:
            netguard.AddressPolicy.from_config().check_url(url)
        except netguard.UnsafeAddress as error:
            raise tk.ValidationError({"url": [str(error)]}) from None
    registered = registered_source(agency, source_type, url)
    options = _config(config, registered)
    if registered and not upload and not url:
        source = engine.Source(registered)
    else:
        # The stored token goes to the registered address only, never to a typed one.
        same_address = bool(registered and url and registered.url.strip() == url.strip())
        source = engine.Source.detached(
            registered.id if registered else "", url or "", options, agency, same_address
        )
    report.source_id = registered.id if registered else None
    if not source.agency_code:
        report.fatal = str(N_("the agency has no agency code (QĐ 20)"))
        return report
    try:
        records = list(_read(source_type, source, upload))
    except (FetchError, engine.SourceError) as error:
        report.fatal = str(error)
        return report
    _review(report, records, registered.id if registered else None, agency.id)
    return report


def _config(config: dict[str, Any] | str | None, registered: Any) -> dict[str, Any]:
    if isinstance(config, str):
        return engine.parse_config(config)
    if config:
        return dict(config)
    return engine.parse_config(registered.config) if registered else {}


def _read(source_type: str, source: engine.Source, upload: bytes | None) -> Iterable[Any]:
    if upload is not None:
        if source_type != "daknong_spreadsheet":
            raise engine.SourceError(N_("only spreadsheets can be uploaded; give a URL"))
        return spreadsheet.read_spreadsheet(upload, source.config)
    return SOURCE_TYPES[source_type]().read_records(source)


def _review(
    report: Report, records: list[mapping.RemoteRecord], source_id: str | None, agency_id: str
) -> None:
    known = {
        r.remote_id: r
        for r in model.Session.query(HarvestRecord).filter_by(source_id=source_id or "")
    }
    seen: set[str] = set()
    for record in records:
        for warning in record.warnings:
            report.warnings.append(_detail(record.where, warning))
        problems: list[Message | str] = [
            *(record.errors or validation_errors(record.package, agency_id))
        ]
        if record.remote_id in seen:
            problems.append(N_("duplicate identifier {id}", id=record.remote_id))
        if problems:
            report.errors.extend(_detail(record.where, p) for p in problems)
            continue
        seen.add(record.remote_id)
        _preview(report, record, known.get(record.remote_id))
    report.withdrawn = sorted(
        r.remote_id for r in known.values() if r.remote_id not in seen and not r.withdrawn_at
    )


def _detail(where: Message, problem: Message | str) -> dict[str, str]:
    """One error or warning: where, what, and both as one line; each Vietnamese / English."""
    return {
        "where": str(where),
        "message": str(problem),
        "text": str(mapping.at(where, problem)),
    }


def _preview(report: Report, record: mapping.RemoteRecord, stored: HarvestRecord | None) -> None:
    label = f"{record.remote_id} ({record.package.get('title', '')})"
    if stored is None or not stored.package_id:
        report.new.append(label)
    elif stored.content_hash == mapping.content_hash(record.package) and not stored.withdrawn_at:
        report.unchanged.append(label)
    else:
        report.updated.append(label)


def validation_errors(package: dict[str, Any], agency_id: str) -> list[str]:
    """The scheming schema's verdict on a record, exactly as package_create would give it."""
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    context = {
        "model": model,
        "session": model.Session,
        "user": site_user["name"],
        "ignore_auth": True,
    }
    data = json.loads(json.dumps(package))
    data["owner_org"] = agency_id
    data.setdefault("name", "self-check-" + mapping.slugify(data.get("title") or "x")[:80])
    plugin = lookup_package_plugin(data.get("type"))
    schema = plugin.create_package_schema()
    _, errors = plugin.validate(context, data, schema, "package_create")
    errors = {k: v for k, v in (errors or {}).items() if k != "name"}
    if not errors:
        return []
    return [agencies.describe_errors(tk.ValidationError(errors))]
