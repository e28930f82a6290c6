"""Alembic environment of the sharing log: everything, version table included, in its schema.

The log lives in its own PostgreSQL schema so that nothing which rebuilds CKAN's ``public``
schema (``ckan db clean``, the test fixtures) can drop it, and so that ownership of the whole
schema can be handed to a role the application does not hold (``sharing-log harden``).
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import engine_from_config, pool, text

SCHEMA = "daknong_sharing_log"
VERSION_TABLE = "alembic_version"

config = context.config
if config.config_file_name:
    fileConfig(config.config_file_name)


def run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        literal_binds=True,
        version_table=VERSION_TABLE,
        version_table_schema=SCHEMA,
    )
    with context.begin_transaction():
        context.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        context.run_migrations()


def run_online() -> None:
    engine = engine_from_config(
        config.get_section(config.config_ini_section), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with engine.begin() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_namespace WHERE nspname = :name"), {"name": SCHEMA}
        ).scalar()
        if not exists:
            connection.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    with engine.connect() as connection:
        context.configure(
            connection=connection, version_table=VERSION_TABLE, version_table_schema=SCHEMA
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
