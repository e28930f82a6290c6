"""Shared fixtures. The suite runs on real PostgreSQL, Solr and Redis (see `make test`)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[4]


def _strong_factory_passwords() -> None:
    """Give CKAN's user factories passwords that meet the portal's policy (QĐ 43 Art. 12.3).

    Faker's default password (10 characters) is refused by the policy, as it should be for
    real users; the policy itself is not relaxed for tests.
    """
    import secrets

    import factory
    from ckan.tests import factories as ckan_factories

    strong = factory.LazyFunction(lambda: "Dn-" + secrets.token_urlsafe(15))
    for value in vars(ckan_factories).values():
        if isinstance(value, type) and issubclass(value, ckan_factories.User):
            value._meta.pre_declarations.update({"password": strong})


_strong_factory_passwords()


@pytest.fixture
def clean_db(reset_db, migrate_db_for):
    """CKAN's clean_db rebuilds only core tables: re-apply the plugins' own migrations."""
    reset_db()
    migrate_db_for("activity")
    migrate_db_for("harvest")
    migrate_db_for("daknong")
    migrate_db_for("daknong_harvest")


@pytest.fixture(scope="module")
def module_clean_db(reset_db, reset_index, migrate_db_for):
    """``clean_db`` and ``clean_index`` once per module, with the plugins loaded.

    For modules whose tests only read one shared corpus (search, catalogue): building it for
    every test would cost a minute. Keep the migrations in step with ``clean_db``.
    """
    import ckan.plugins as plugins

    plugins.load_all()
    reset_db()
    migrate_db_for("activity")
    migrate_db_for("harvest")
    migrate_db_for("daknong")
    migrate_db_for("daknong_harvest")
    reset_index()
    yield
    plugins.unload_non_system_plugins()


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture
def agency() -> dict:
    """An agency organisation with a valid QĐ 20 code (the schema requires one)."""
    from ckanext.daknong.tests.factories import Agency

    return Agency()


@pytest.fixture
def smtp_server(ckan_config, monkeypatch):
    """A real SMTP server on loopback; CKAN's mailer is pointed at it. Yields its mailbox."""
    from ckanext.daknong.tests.smtp_server import SMTPServer

    with SMTPServer() as server:
        monkeypatch.setitem(ckan_config, "smtp.server", server.address)
        monkeypatch.setitem(ckan_config, "smtp.mail_from", "cong-du-lieu@daknong.invalid")
        yield server.mailbox
