"""Tables of the portal. Created by the alembic migrations in ``migration/daknong``."""

from __future__ import annotations

from ckan.model import meta
from sqlalchemy.orm import declarative_base

Base = declarative_base(metadata=meta.metadata)
