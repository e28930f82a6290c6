"""Shared fixtures. The suite runs on real PostgreSQL, Solr and Redis (see `make test`)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[4]


@pytest.fixture
def clean_db(reset_db, migrate_db_for):
    """CKAN's clean_db rebuilds only core tables: re-apply the plugins' own migrations."""
    reset_db()
    migrate_db_for("activity")
    migrate_db_for("harvest")


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT
