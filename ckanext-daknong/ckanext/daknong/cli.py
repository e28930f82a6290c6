"""`ckan daknong …` commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ckan.plugins.toolkit as tk
import click
import yaml

from ckanext.daknong import agencies as agencies_module
from ckanext.daknong import demo as demo_module
from ckanext.daknong import resources

__all__ = ["daknong"]


def _site_context() -> dict[str, Any]:
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    return {"user": site_user["name"], "ignore_auth": True}


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as stream:
            return yaml.safe_load(stream)
    except (OSError, yaml.YAMLError) as error:
        raise click.ClickException(f"Không đọc được / cannot read {path}: {error}") from error


@click.group(short_help="Đắk Nông portal commands")
def daknong() -> None:
    """Commands of the Đắk Nông shared-database portal."""


@daknong.group()
def agencies() -> None:
    """Agency organisations (QĐ 20 codes, focal points)."""


@agencies.command("load")
@click.argument(
    "file", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=False
)
def agencies_load(file: Path | None) -> None:
    """Create or update agencies from FILE (default: the province's seed list)."""
    path = file or resources.DATA / "seed" / "agencies.yaml"
    records = (_read_yaml(path) or {}).get("agencies", [])
    report = agencies_module.load_agencies(records, _site_context())
    for name, reason in report.failed.items():
        click.echo(f"agency {name}: refused / bị từ chối: {reason}", err=True)
    click.echo(
        f"agencies: {len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.failed)} failed"
    )
    if report.failed:
        raise SystemExit(1)


@agencies.command("merge")
@click.argument("old")
@click.argument("new")
@click.option(
    "--until",
    "effective_until",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Last day of OLD (default: today).",
)
def agencies_merge(old: str, new: str, effective_until: Any) -> None:
    """Move every dataset of agency OLD to NEW, then retire OLD with NEW as its successor."""
    data = {"old": old, "new": new}
    if effective_until:
        data["effective_until"] = effective_until.date().isoformat()
    try:
        report = tk.get_action("daknong_agency_merge")(_site_context(), data)
    except (tk.ValidationError, tk.ObjectNotFound) as error:
        detail = (
            agencies_module.describe_errors(error)
            if isinstance(error, tk.ValidationError)
            else str(error)
        )
        raise click.ClickException(f"merge {old} → {new}: {detail}") from error
    for name, reason in report["failed"].items():
        click.echo(f"dataset {name}: not moved / không chuyển được: {reason}", err=True)
    click.echo(f"merge {report['old']} → {report['new']}: {len(report['moved'])} datasets moved")
    if report["failed"]:
        click.echo(f"{report['old']} stays current: fix the datasets above and run again", err=True)
        raise SystemExit(1)
    click.echo(f"{report['old']} retired on {report['retired_on']}")


@daknong.group()
def access() -> None:
    """Access requests and grants (NĐ 47 Art. 35–38)."""


@access.command("record-expiries")
def access_record_expiries() -> None:
    """Record the end of every grant that has expired (run daily by the scheduler)."""
    from ckanext.daknong import grants

    count = grants.record_expiries()
    click.echo(f"Đã ghi nhận {count} quyền truy cập hết hạn / {count} expired grants recorded")


@daknong.group()
def demo() -> None:
    """Demo content for local portals."""


@demo.command("load")
@click.option(
    "--accounts-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the demo accounts (default: from configuration).",
)
@click.option(
    "--corpus/--no-corpus",
    default=True,
    help="Also load the generated corpus: every agency's database and data sets, with files.",
)
def demo_load(accounts_file: Path | None, corpus: bool) -> None:
    """Load demo accounts and datasets; write the accounts with passwords and tokens."""
    spec = _read_yaml(resources.DATA / "seed" / "demo.yaml")
    context = _site_context()
    accounts = demo_module.load_demo(spec, context, tk.config.get("ckan.site_url"))
    target = accounts_file or tk.config.get("ckanext.daknong.demo_accounts_file")
    if target:
        demo_module.write_accounts(accounts, Path(target))
        click.echo(f"demo: accounts written to {target}")
    click.echo(
        f"demo: {len(spec.get('databases', []))} databases and "
        f"{len(spec.get('datasets', []))} datasets loaded"
    )
    if corpus:
        counts = demo_module.load_corpus(spec, context, progress=click.echo)
        click.echo(
            f"demo corpus: {counts['databases']} databases, {counts['datasets']} data sets, "
            f"{counts['files']} files uploaded"
        )


# Accounts (QĐ 43 Art. 12.3)
from ckanext.daknong.accounts.cli import accounts as _accounts  # noqa: E402

daknong.add_command(_accounts)
