"""The sharing log of NĐ 47 Art. 45: append-only entries, checkpoints, tombstones, open reads.

Revision ID: 0001
Revises:
Create Date: 2026-11-27

Rows of ``entry``, ``checkpoint`` and ``tombstone`` can never be updated, deleted or truncated:
triggers refuse it for every role, and ``ckan daknong sharing-log harden`` hands the schema to a
role the application does not hold, so that the application keeps only SELECT and INSERT. The
one way rows leave ``entry`` is ``prune()``: it deletes entries past their retention and leaves
a tombstone with each one's chain hashes, so the remaining chain still verifies.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SCHEMA = "daknong_sharing_log"
TEXTS = ARRAY(sa.Text)


def upgrade():
    op.create_table(
        "entry",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("user_id", sa.Text),
        sa.Column("user_name", sa.Text),
        sa.Column("requester_org_id", sa.Text),
        sa.Column("requester_agency_code", sa.Text),
        sa.Column("provider_org_ids", TEXTS, nullable=False),
        sa.Column("provider_agency_codes", TEXTS, nullable=False),
        sa.Column("dataset_ids", TEXTS, nullable=False),
        sa.Column("resource_ids", TEXTS, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("request_content", sa.Text, nullable=False),
        sa.Column("http_status", sa.Integer),
        sa.Column("content_sha256", sa.Text),
        sa.Column("grant_id", sa.Text),
        sa.Column("access_request_id", sa.Text),
        sa.Column("purpose", sa.Text),
        sa.Column("client_ip", sa.Text),
        sa.Column("user_agent", sa.Text),
        sa.Column("retain_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.Text, nullable=False),
        sa.Column("hash", sa.Text, nullable=False),
        schema=SCHEMA,
    )
    op.create_index("entry_occurred_at_idx", "entry", ["occurred_at"], schema=SCHEMA)
    op.create_index("entry_retain_until_idx", "entry", ["retain_until"], schema=SCHEMA)
    op.create_index("entry_requester_org_idx", "entry", ["requester_org_id"], schema=SCHEMA)
    for column in ("provider_org_ids", "dataset_ids"):
        op.create_index(
            f"entry_{column}_idx", "entry", [column], schema=SCHEMA, postgresql_using="gin"
        )
    op.create_table(
        "checkpoint",
        sa.Column("entry_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("entry_hash", sa.Text, nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.Text, nullable=False),
        sa.Column("signature", sa.Text, nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "tombstone",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("prev_hash", sa.Text, nullable=False),
        sa.Column("hash", sa.Text, nullable=False),
        sa.Column("pruned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archive_name", sa.Text, nullable=False),
        sa.Column("archive_sha256", sa.Text, nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "open_read",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("dataset_id", sa.Text, primary_key=True),
        sa.Column("channel", sa.Text, primary_key=True),
        sa.Column("reads", sa.BigInteger, nullable=False),
        schema=SCHEMA,
    )
    op.execute(
        f"""
        CREATE FUNCTION {SCHEMA}.refuse_change() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'entry'
             AND current_setting('daknong_sharing_log.pruning', true) = 'on' THEN
            RETURN OLD;
          END IF;
          RAISE EXCEPTION 'the sharing log is append-only (NĐ 47 Art. 45): % on % refused',
            TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
        END $$;
        """
    )
    for table in ("entry", "checkpoint", "tombstone"):
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {SCHEMA}.{table} "
            f"FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {SCHEMA}.{table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.refuse_change()"
        )
    op.execute(
        f"""
        CREATE FUNCTION {SCHEMA}.prune(entry_ids bigint[], archive text, archive_digest text)
        RETURNS integer
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = {SCHEMA}, pg_temp AS $$
        DECLARE
          pruned integer;
        BEGIN
          IF EXISTS (SELECT 1 FROM entry WHERE id = ANY(entry_ids) AND retain_until >= now()) THEN
            RAISE EXCEPTION 'refusing to prune sharing-log entries within their retention period'
              USING ERRCODE = 'insufficient_privilege';
          END IF;
          INSERT INTO tombstone (id, prev_hash, hash, pruned_at, archive_name, archive_sha256)
            SELECT id, prev_hash, hash, now(), archive, archive_digest
            FROM entry WHERE id = ANY(entry_ids);
          PERFORM set_config('daknong_sharing_log.pruning', 'on', true);
          DELETE FROM entry WHERE id = ANY(entry_ids);
          GET DIAGNOSTICS pruned = ROW_COUNT;
          PERFORM set_config('daknong_sharing_log.pruning', 'off', true);
          RETURN pruned;
        END $$;
        """
    )
    op.execute(f"REVOKE ALL ON FUNCTION {SCHEMA}.prune(bigint[], text, text) FROM PUBLIC")


def downgrade():
    op.execute(f"DROP FUNCTION IF EXISTS {SCHEMA}.prune(bigint[], text, text)")
    for table in ("open_read", "tombstone", "checkpoint", "entry"):
        op.drop_table(table, schema=SCHEMA)
    op.execute(f"DROP FUNCTION IF EXISTS {SCHEMA}.refuse_change()")
