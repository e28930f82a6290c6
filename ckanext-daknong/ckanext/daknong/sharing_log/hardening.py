"""Making the sharing log append-only for the application's own database role.

The migration creates the log as the application's role, which, as owner, could alter it.
``harden`` (a superuser's job) hands the schema, the log tables and their functions to the
NOLOGIN role ``daknong_sharing_log_owner`` and leaves the application SELECT and INSERT, plus
EXECUTE on ``prune()``, which only removes entries past their retention.
"""

from __future__ import annotations

from pathlib import Path

import ckan.plugins.toolkit as tk
import psycopg2
from psycopg2 import sql
from sqlalchemy.engine import make_url

OWNER_ROLE = "daknong_sharing_log_owner"
SCRIPT = Path(__file__).with_name("harden.sql")


def app_database() -> tuple[str, str]:
    """The database and role of the portal's own connection."""
    url = make_url(tk.config.get("sqlalchemy.url"))
    return str(url.database), str(url.username)


def harden(admin_url: str, database: str | None = None, app_role: str | None = None) -> str:
    """Apply ``harden.sql`` to the portal's database as a superuser; idempotent."""
    default_database, default_role = app_database()
    database = database or default_database
    app_role = app_role or default_role
    admin = make_url(admin_url).set(database=database)
    connection = psycopg2.connect(
        admin.render_as_string(hide_password=False).replace(
            "postgresql+psycopg2://", "postgresql://"
        )
    )
    try:
        with connection, connection.cursor() as cursor:
            role = sql.Identifier(app_role).as_string(cursor)
            cursor.execute(SCRIPT.read_text(encoding="utf-8").replace(":app_role", role))
    finally:
        connection.close()
    return app_role
