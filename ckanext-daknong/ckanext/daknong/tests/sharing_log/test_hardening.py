"""The sharing log is append-only, enforced by PostgreSQL itself (NĐ 47 Art. 45).

`make test` hardens the test database as production is hardened (``sharing-log harden``): the
application's role may read and append, nothing more. Triggers refuse changes even to a
superuser who does not first switch them off.
"""

from __future__ import annotations

import psycopg2
import pytest
from ckan import model
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ckanext.daknong.sharing_log import entries
from ckanext.daknong.sharing_log import model as log_model

pytestmark = pytest.mark.usefixtures("with_plugins")

ENTRY = f"{log_model.SCHEMA}.entry"


def _as_application(statement: str, **params) -> None:
    with model.meta.engine.begin() as connection:
        connection.execute(text(statement), params)


def _one_entry() -> dict:
    return entries.append(
        [entries.Draft(event="read", channel="api", status="served", action="package_show")]
    )[0]


@pytest.mark.parametrize(
    "statement",
    [
        f"UPDATE {ENTRY} SET user_name = 'khac' WHERE id = :id",
        f"DELETE FROM {ENTRY} WHERE id = :id",
        f"TRUNCATE {ENTRY}",
        f"UPDATE {log_model.SCHEMA}.checkpoint SET signature = '' WHERE entry_id = :id",
        f"DELETE FROM {log_model.SCHEMA}.tombstone WHERE id = :id",
        f"INSERT INTO {log_model.SCHEMA}.tombstone VALUES (:id, '', '', now(), 'x', 'x')",
        f"ALTER TABLE {ENTRY} DISABLE TRIGGER USER",
        f"DROP TABLE {ENTRY}",
        f"SELECT set_config('daknong_sharing_log.pruning', 'on', true);"
        f" DELETE FROM {ENTRY} WHERE id = :id",
    ],
)
def test_the_application_role_cannot_change_or_remove_entries(statement):
    row = _one_entry()
    with pytest.raises(DBAPIError) as refused:
        _as_application(statement, id=row["id"])
    assert isinstance(refused.value.orig, psycopg2.errors.InsufficientPrivilege)
    with model.meta.engine.connect() as connection:
        still = connection.execute(
            log_model.entry.select().where(log_model.entry.c.id == row["id"])
        ).first()
    assert still is not None and still.hash == row["hash"]


def test_the_application_role_cannot_grant_itself_more():
    _as_application(f"GRANT UPDATE, DELETE ON {ENTRY} TO CURRENT_USER")  # only a warning
    with model.meta.engine.connect() as connection:
        rights = connection.execute(
            text(
                "SELECT has_table_privilege(current_user, :t, 'UPDATE'),"
                " has_table_privilege(current_user, :t, 'DELETE'),"
                " has_table_privilege(current_user, :t, 'INSERT'),"
                " has_table_privilege(current_user, :t, 'SELECT')"
            ),
            {"t": ENTRY},
        ).one()
    assert tuple(rights) == (False, False, True, True)


def test_the_log_belongs_to_a_role_the_application_is_not():
    with model.meta.engine.connect() as connection:
        owner, member = connection.execute(
            text(
                "SELECT tableowner, pg_has_role(current_user, tableowner, 'USAGE')"
                " FROM pg_tables WHERE schemaname = :s AND tablename = 'entry'"
            ),
            {"s": log_model.SCHEMA},
        ).one()
    assert owner == "daknong_sharing_log_owner"
    assert member is False


@pytest.mark.parametrize("statement", [f"UPDATE {ENTRY} SET status = 'x'", f"DELETE FROM {ENTRY}"])
def test_triggers_refuse_changes_even_to_a_superuser(pg_admin, statement):
    _one_entry()
    with pg_admin.cursor() as cursor, pytest.raises(psycopg2.errors.InsufficientPrivilege) as no:
        cursor.execute(statement)
    assert "append-only" in str(no.value)


def test_prune_refuses_entries_within_their_retention():
    row = _one_entry()
    with pytest.raises(DBAPIError) as refused:
        _as_application(
            f"SELECT {log_model.SCHEMA}.prune(ARRAY[:id]::bigint[], 'a', 'b')", id=row["id"]
        )
    assert "retention" in str(refused.value)


def test_harden_is_idempotent(cli):
    import os

    import ckan.cli.cli

    result = cli.invoke(
        ckan.cli.cli.ckan,
        ["daknong", "sharing-log", "harden", "--admin-url", os.environ["DAKNONG_PG_ADMIN_URL"]],
    )
    assert result.exit_code == 0, result.output
    test_the_application_role_cannot_grant_itself_more()
