"""Low finding: the local stack's PostgreSQL trusted every local account (QĐ 43 Art. 12).

``stack.sh`` now writes ``pg_hba.conf`` at every start (an older cluster is fixed up too):
passwords (scram-sha-256) over TCP, and on the private socket only the superuser by peer
authentication for the account that runs the stack. These tests run on the suite's own cluster.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest


def _url(password: str) -> str:
    parts = urlsplit(os.environ["CKAN_SQLALCHEMY_URL"])
    netloc = f"{parts.username}:{password}@{parts.hostname}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


def test_a_tcp_login_with_a_wrong_password_is_refused():
    """Low (QĐ 43 Art. 12): the application role needs its password over TCP."""
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        psycopg2.connect(_url("mat-khau-sai"), connect_timeout=5)


def test_the_superuser_over_tcp_without_a_password_is_refused():
    """Low: ``postgres`` has no password: over TCP it cannot log in at all."""
    parts = urlsplit(os.environ["CKAN_SQLALCHEMY_URL"])
    with pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(
            host=parts.hostname,
            port=parts.port,
            user="postgres",
            password="",
            dbname="postgres",
            connect_timeout=5,
        )


def test_the_socket_admits_only_the_superuser_by_peer():
    """Low: on the socket, the application role is rejected; the admin route still works."""
    admin = os.environ["DAKNONG_PG_ADMIN_URL"]
    with psycopg2.connect(admin) as connection, connection.cursor() as cursor:
        cursor.execute("SHOW hba_file")
        hba_file = cursor.fetchone()[0]
        cursor.execute("SELECT type, auth_method FROM pg_hba_file_rules")
        rules = cursor.fetchall()
    assert ("local", "trust") not in rules and ("host", "trust") not in rules, rules
    assert hba_file
    socket_url = admin.replace(
        "postgres@", f"{urlsplit(os.environ['CKAN_SQLALCHEMY_URL']).username}@"
    )
    with pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(socket_url, connect_timeout=5)
