"""Access requests and grants (QĐ 43 Art. 10.2; NĐ 47 Art. 35).

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "daknong_access_request",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column(
            "dataset_id", sa.Text, sa.ForeignKey("package.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("provider_org_id", sa.Text, sa.ForeignKey("group.id"), nullable=False),
        sa.Column("requester_user_id", sa.Text, sa.ForeignKey("user.id"), nullable=False),
        sa.Column("requester_org_id", sa.Text, sa.ForeignKey("group.id"), nullable=False),
        sa.Column("requester_agency_code", sa.Text, nullable=False),
        sa.Column("requester_agency_name", sa.Text, nullable=False),
        sa.Column("application", sa.Text, nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("intended_use", sa.Text, nullable=False),
        sa.Column("requested_data", sa.Text, nullable=False),
        sa.Column("access_frequency", sa.Text, nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("needs_province_approval", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("provider_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("provider_decided_by", sa.Text, sa.ForeignKey("user.id")),
        sa.Column("provider_decided_at", sa.DateTime(timezone=True)),
        sa.Column("approver_decided_by", sa.Text, sa.ForeignKey("user.id")),
        sa.Column("approver_decided_at", sa.DateTime(timezone=True)),
        sa.Column("refusal_reason", sa.Text),
        sa.Column("history", JSONB, nullable=False, server_default="[]"),
    )
    op.create_index("daknong_access_request_dataset_idx", "daknong_access_request", ["dataset_id"])
    op.create_index(
        "daknong_access_request_requester_org_idx", "daknong_access_request", ["requester_org_id"]
    )
    op.create_index(
        "daknong_access_request_provider_org_idx", "daknong_access_request", ["provider_org_id"]
    )
    op.create_table(
        "daknong_access_grant",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column(
            "request_id", sa.Text, sa.ForeignKey("daknong_access_request.id", ondelete="CASCADE")
        ),
        sa.Column(
            "dataset_id", sa.Text, sa.ForeignKey("package.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("org_id", sa.Text, sa.ForeignKey("group.id"), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_by", sa.Text, sa.ForeignKey("user.id")),
        sa.Column("revoke_reason", sa.Text),
    )
    op.create_index(
        "daknong_access_grant_org_idx", "daknong_access_grant", ["org_id", "valid_until"]
    )


def downgrade():
    op.drop_table("daknong_access_grant")
    op.drop_table("daknong_access_request")
