"""`ckan daknong harvest …`: the quarterly schedule, tokens, self-check and status."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import ckan.plugins as p
import click
from ckan import model

from ckanext.daknong.cli import daknong


@click.group()
def harvest() -> None:
    """Quarterly harvesting of agencies' catalogues (QĐ 43 Art. 20.3, 21.3)."""


def get_commands() -> list[Any]:
    """Attach ``harvest`` to the core ``daknong`` group; add the group only if core is off.

    CKAN adds every IClick command to the root group by name, so a second ``daknong`` group
    would replace the core plugin's one and hide its commands.
    """
    if "harvest" not in daknong.commands:
        daknong.add_command(harvest)
    return [] if p.plugin_loaded("daknong") else [daknong]


@harvest.command("schedule")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Pretend today is…")
def schedule_command(today: Any) -> None:
    """Start due quarterly harvests, retry failures, abort stuck jobs, e-mail failures."""
    from ckanext.daknong.harvest import schedule

    report = schedule.run_schedule(today.date() if today else None)
    click.echo(
        f"harvest schedule: {len(report.started)} started, {len(report.finished)} finished, "
        f"{len(report.failed)} failed, {len(report.stuck)} stuck, "
        f"{len(report.notified)} failure e-mails"
    )


@harvest.command("status")
@click.option("--quarter", help="e.g. 2026Q4 (default: this quarter)")
def status_command(quarter: str | None) -> None:
    """Each agency's status for the quarter: on time, late, failed, running, not run."""
    from ckanext.daknong.harvest import schedule

    quarter = quarter or schedule.quarter_of(dt.date.today())
    for row in schedule.agency_status(quarter):
        click.echo(f"{row['name']}\t{row['status']}")
        for source in row["sources"]:
            click.echo(f"  {source['title']}\t{source['status']}\t{source['message'] or ''}")


@harvest.command("token")
@click.argument("source")
@click.option("--remove", is_flag=True, help="Forget the token.")
def token_command(source: str, remove: bool) -> None:
    """Keep SOURCE's API token server-side; read from standard input, never an argument.

    An argument would end up in the shell history and the process list.
    """
    from ckanext.daknong.harvest.model import HarvestSecret, now

    package = model.Package.get(source)
    if package is None or package.type != "harvest":
        raise click.ClickException(f"no harvest source {source}")
    secret = model.Session.get(HarvestSecret, package.id)
    if remove:
        if secret:
            model.Session.delete(secret)
        model.Session.commit()
        click.echo(f"token of {package.name} removed")
        return
    value = sys.stdin.readline().strip()
    if not value:
        raise click.ClickException("no token on standard input")
    secret = secret or HarvestSecret(source_id=package.id)
    secret.token, secret.updated_at = value, now()
    model.Session.add(secret)
    model.Session.commit()
    click.echo(f"token of {package.name} stored")


@harvest.command("check")
@click.argument("agency")
@click.argument("location")
@click.option(
    "--type",
    "source_type",
    default="daknong_spreadsheet",
    type=click.Choice(["daknong_spreadsheet", "daknong_ckan", "daknong_dcat"]),
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def check_command(agency: str, location: str, source_type: str, as_json: bool) -> None:
    """Validate AGENCY's catalogue at LOCATION (a URL or a local file) and preview changes.

    Imports nothing. Exits 1 when the catalogue has errors.
    """
    from ckanext.daknong.harvest import selfcheck

    group = model.Group.get(agency)
    if group is None:
        raise click.ClickException(f"no agency {agency}")
    path = Path(location)
    upload = path.read_bytes() if path.is_file() else None
    import ckan.plugins.toolkit as tk

    try:
        report = selfcheck.check(group, source_type, None if upload else location, upload)
    except tk.ValidationError as error:
        messages = [m for field in (error.error_dict or {}).values() for m in field]
        raise click.ClickException("; ".join(messages) or str(error)) from None
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        _print_report(report)
    if not report.ok:
        raise SystemExit(1)


def _print_report(report: Any) -> None:
    if report.fatal:
        click.echo(f"error: {report.fatal}")
    for item in report.errors:
        click.echo(f"error: {item['text']}")
    for item in report.warnings:
        click.echo(f"warning: {item['text']}")
    click.echo(
        f"new {len(report.new)}, updated {len(report.updated)}, unchanged "
        f"{len(report.unchanged)}, would be withdrawn {len(report.withdrawn)}"
    )
