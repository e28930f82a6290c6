"""Harvest records, secrets, quarterly runs and warnings (QĐ 43 Art. 20.3, 21.3).

Revision ID: h0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "h0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "daknong_harvest_record",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("source_id", sa.Text, nullable=False),
        sa.Column("remote_id", sa.Text, nullable=False),
        sa.Column("remote_name", sa.Text),
        sa.Column("package_id", sa.Text),
        sa.Column("content_hash", sa.Text),
        sa.Column("missing_since", TZ),
        sa.Column("withdrawn_at", TZ),
        sa.Column("withdrawn_reason", sa.Text),
        sa.Column("updated_at", TZ, nullable=False),
        sa.UniqueConstraint("source_id", "remote_id", name="daknong_harvest_record_remote_uq"),
    )
    op.create_index("daknong_harvest_record_package_idx", "daknong_harvest_record", ["package_id"])
    op.create_table(
        "daknong_harvest_secret",
        sa.Column("source_id", sa.Text, primary_key=True),
        sa.Column("token", sa.Text, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_table(
        "daknong_harvest_run",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("source_id", sa.Text, nullable=False),
        sa.Column("agency_id", sa.Text),
        sa.Column("quarter", sa.Text, nullable=False),
        sa.Column("job_id", sa.Text),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("finished_at", TZ),
        sa.Column("message", sa.Text),
        sa.Column("notified", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index(
        "daknong_harvest_run_quarter_idx", "daknong_harvest_run", ["quarter", "source_id"]
    )
    op.create_table(
        "daknong_harvest_warning",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("job_id", sa.Text),
        sa.Column("source_id", sa.Text, nullable=False),
        sa.Column("remote_id", sa.Text),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("details", JSONB, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("daknong_harvest_warning_job_idx", "daknong_harvest_warning", ["job_id"])


def downgrade():
    for table in (
        "daknong_harvest_warning",
        "daknong_harvest_run",
        "daknong_harvest_secret",
        "daknong_harvest_record",
    ):
        op.drop_table(table)
