"""`ckan daknong accounts …`: lift a login lockout (QĐ 43 Art. 12.3)."""

from __future__ import annotations

import ckan.plugins.toolkit as tk
import click


@click.group()
def accounts() -> None:
    """User accounts (login lockouts)."""


@accounts.command("unlock")
@click.argument("user")
@click.option("--address", default="", help="Also unlock this client address.")
def accounts_unlock(user: str, address: str) -> None:
    """Lift the login lockout of USER (name or id)."""
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    try:
        result = tk.get_action("daknong_user_unlock")(
            {"user": site_user["name"], "ignore_auth": True}, {"id": user, "address": address}
        )
    except tk.ObjectNotFound as error:
        raise click.ClickException(f"Không tìm thấy tài khoản / user not found: {user}") from error
    click.echo(f"Đã mở khoá / unlocked: {result['name']}")
