"""Shared fixtures. The suite runs on real PostgreSQL, Solr and Redis (see `make test`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


# --- speed: the same work, done once instead of on every plugin load ---------------------------
# CKAN's fixtures load every plugin for each test (``with_plugins``) and again when they build
# the app (``app``), and the suite has over a thousand tests. Three steps of that path cost more
# than the plugins' own work; their answers cannot change during a run, so they are computed
# the cheap way. What the plugins do on load is unchanged.


def _caller_files_from_frames() -> None:
    """``toolkit.add_template_directory``, ``add_public_directory`` and ``add_resource`` find
    the calling plugin's file through ``inspect.stack()``, which reads the source of every frame
    of pytest's deep stack (about 0.1 s a call, a dozen calls a load). For those callers only,
    the frames' file names are taken from the frames themselves, which is what they read."""
    import inspect
    import sys

    full_stack = inspect.stack

    def stack(context: int = 1) -> list[inspect.FrameInfo]:
        frame = sys._getframe(1)
        if frame.f_globals.get("__name__") != "ckan.plugins.toolkit":
            return full_stack(context)
        frames = []
        while frame is not None:
            code = frame.f_code
            frames.append(
                inspect.FrameInfo(frame, code.co_filename, frame.f_lineno, code.co_name, None, None)
            )
            frame = frame.f_back
        return frames

    inspect.stack = stack


def _remembered_entry_points() -> None:
    """CKAN finds each plugin's entry point by scanning every installed distribution, on every
    load; the installed distributions do not change while the suite runs."""
    import functools

    import ckan.plugins.core as core

    core.entry_points = functools.lru_cache(maxsize=None)(core.entry_points)


def _yaml_with_libyaml() -> None:
    """Scheming's schemas, the config declarations and the webassets bundles are parsed again
    on every load with ``yaml.safe_load``, in pure Python; PyYAML's libyaml parser builds the
    same data (the same safe loader's constructors) five to ten times faster."""
    import yaml

    def safe_load(stream: Any) -> Any:
        return yaml.load(stream, Loader=yaml.CSafeLoader)

    yaml.safe_load = safe_load


_caller_files_from_frames()
_remembered_entry_points()
_yaml_with_libyaml()

_loaded_with: dict[str, Any] = {"state": None}


def _plugin_state(config: Any) -> tuple[tuple[str, ...], str]:
    import ckan.plugins.core as core

    return tuple(core._PLUGINS), repr(sorted(config.items(), key=lambda item: item[0]))


@pytest.fixture
def with_plugins(ckan_config):
    """CKAN's ``with_plugins`` loads every plugin of ``ckan.plugins`` for the test and unloads
    them after it; here they stay loaded, and the next test that asks for the same plugins
    with the same configuration (``ckan_config`` marks included) finds them ready. Any other
    plugin list or configuration loads them again, as CKAN's fixture would."""
    import ckan.plugins as plugins

    if _loaded_with["state"] != _plugin_state(ckan_config):
        plugins.load_all()
        _loaded_with["state"] = _plugin_state(ckan_config)
    yield


# The plugins' migrations (their own tables) are applied after the first reset of the database
# in this process, which drops every table; later resets delete rows only and keep the tables
# and their alembic version rows, so migrating again would find nothing to do.
MIGRATED_PLUGINS = ("activity", "harvest", "daknong", "daknong_harvest")
_migrations = {"applied": False}


def _reset_database(reset_db: Any, migrate_db_for: Any) -> None:
    from ckan import model

    drops_tables = not model.repo.tables_created_and_initialised
    reset_db()
    if drops_tables or not _migrations["applied"]:
        for plugin in MIGRATED_PLUGINS:
            migrate_db_for(plugin)
        _migrations["applied"] = True


@pytest.fixture
def clean_db(reset_db, migrate_db_for):
    """CKAN's clean_db rebuilds only core tables: the plugins' own tables are migrated too."""
    _reset_database(reset_db, migrate_db_for)


@pytest.fixture(scope="module")
def module_clean_db(reset_db, reset_index, migrate_db_for):
    """``clean_db`` and ``clean_index`` once per module, with the plugins loaded.

    For modules whose tests only read one shared corpus (search, catalogue): building it for
    every test would cost a minute.
    """
    import ckan.plugins as plugins

    plugins.load_all()
    _reset_database(reset_db, migrate_db_for)
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
