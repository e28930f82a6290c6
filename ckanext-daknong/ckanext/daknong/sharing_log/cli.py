"""``ckan daknong sharing-log …``: verify, prune, checkpoint and harden the sharing log."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ckanext.daknong.cli import daknong
from ckanext.daknong.sharing_log import entries, hardening, integrity, retention


@click.group("sharing-log", short_help="The data sharing log (NĐ 47 Art. 45)")
def sharing_log() -> None:
    """The data sharing log (NĐ 47 Art. 45): verify, prune, sign, harden."""


def _warn_if_derived_key() -> None:
    if entries.using_derived_key():
        click.echo(
            "CẢNH BÁO: khoá ký nhật ký được suy ra từ SECRET_KEY; hãy đặt "
            "ckanext.daknong.sharing_log.signing_key riêng / WARNING: "
            + entries.DERIVED_KEY_WARNING,
            err=True,
        )


@sharing_log.command("verify")
@click.option(
    "--archive",
    "archive",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Verify a pruning archive on its own instead of the database.",
)
def verify(archive: Path | None) -> None:
    """Answer OK, or name the first broken entry (edited, deleted, inserted, reordered)."""
    _warn_if_derived_key()
    if archive is not None:
        report = integrity.verify_archive(archive)
    else:
        report = integrity.verify_database(
            progress=lambda n: click.echo(f"… {n} entries checked", err=True)
        )
    click.echo(report.summary())
    if not report.ok:
        sys.exit(1)


@sharing_log.command("prune")
@click.option(
    "--archive-dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the compressed JSON Lines archive of the pruned entries is written.",
)
def prune(archive_dir: Path) -> None:
    """Archive entries past their retention period, then remove them from the database.

    Nothing is removed unless the archive exists, is not empty and verifies (its entries and
    its signed seal), checked right before the removal.
    """
    _warn_if_derived_key()
    try:
        result = retention.prune(
            archive_dir, progress=lambda done, total: click.echo(f"… {done}/{total}", err=True)
        )
    except retention.ArchiveNotVerified as refusal:
        click.echo(
            "KHÔNG XOÁ bản ghi nào: tệp lưu trữ không có, rỗng hoặc không xác minh được / "
            f"NOTHING REMOVED: {refusal}",
            err=True,
        )
        sys.exit(1)
    if not result.pruned:
        click.echo("Không có bản ghi hết hạn lưu / no entries past their retention period")
        return
    click.echo(
        f"Đã lưu trữ, xác minh tệp lưu trữ rồi mới xoá {result.pruned} bản ghi / archived and "
        f"removed {result.pruned} entries, after verifying the archive: {result.archive}"
    )


@sharing_log.command("checkpoint")
def checkpoint() -> None:
    """Sign the chain's head now (run hourly by the scheduler)."""
    _warn_if_derived_key()
    row = entries.sign_head()
    if row is None:
        click.echo("Nhật ký trống / the log is empty")
    else:
        click.echo(f"Signed checkpoint at entry {row['entry_id']}")


@sharing_log.command("harden")
@click.option(
    "--admin-url",
    envvar="DAKNONG_PG_ADMIN_URL",
    required=True,
    help="A PostgreSQL superuser connection URL (or DAKNONG_PG_ADMIN_URL).",
)
def harden(admin_url: str) -> None:
    """Hand the log's tables to a role the application does not hold (run after upgrades)."""
    role = hardening.harden(admin_url)
    click.echo(
        f"Nhật ký chỉ cho phép đọc và ghi thêm / the application role {role} may now only "
        "read and append to the sharing log"
    )


def get_commands() -> list[click.Command]:
    """Attach ``sharing-log`` under the core ``daknong`` group, which the core plugin registers."""
    daknong.add_command(sharing_log)
    return []
