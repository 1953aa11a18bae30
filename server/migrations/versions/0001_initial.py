"""The first server schema: users, tokens, records with change positions, operations, audit.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "teams",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_teams"),
        sa.UniqueConstraint("name", name="uq_teams_name"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(36)),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("team_id", sa.String(36), nullable=True),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("name", name="uq_users_name"),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name="fk_users_team_id_teams"),
    )
    op.create_index("ix_users_team_id", "users", ["team_id"])
    op.create_table(
        "tokens",
        sa.Column("token_hash", sa.String(64)),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("family", sa.String(36), nullable=False),
        sa.Column("device", sa.String(100), nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
        sa.Column("revoked", sa.Boolean, nullable=False),
        sa.Column("used_at", sa.Float, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name="pk_tokens"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_tokens_user_id_users"),
    )
    op.create_index("ix_tokens_user_id", "tokens", ["user_id"])
    op.create_index("ix_tokens_family", "tokens", ["family"])
    op.create_table(
        "signin_failures",
        sa.Column("key", sa.String(300)),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("blocked_until", sa.Float, nullable=True),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_signin_failures"),
    )
    op.create_table(
        "records",
        sa.Column("id", sa.String(64)),
        sa.Column("entity", sa.String(20), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=True),
        sa.Column("deal_id", sa.String(64), nullable=True),
        sa.Column("blob_sha256", sa.String(64), nullable=True),
        sa.Column("scope_owner", sa.String(36), nullable=True),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("field_versions", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("deleted_at", sa.Float, nullable=True),
        sa.Column("audit_head", sa.String(64), nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("xid", sa.BigInteger, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_records"),
    )
    op.create_index("ix_records_position", "records", ["xid", "seq"])
    op.create_index("ix_records_scope_position", "records", ["scope_owner", "xid", "seq"])
    op.create_index("ix_records_customer_id", "records", ["customer_id"])
    op.create_index("ix_records_deal_id", "records", ["deal_id"])
    op.create_index("ix_records_blob_sha256", "records", ["blob_sha256"])
    op.create_index("ix_records_deleted_at", "records", ["deleted_at"])
    op.create_table(
        "scope_changes",
        sa.Column("seq", sa.BigInteger, autoincrement=False),
        sa.Column("xid", sa.BigInteger, nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("record_id", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(6), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_scope_changes"),
    )
    op.create_index("ix_scope_changes_user_position", "scope_changes", ["user_id", "xid", "seq"])
    op.create_table(
        "operations",
        sa.Column("op_id", sa.String(64)),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("device", sa.String(100), nullable=False),
        sa.Column("entity", sa.String(20), nullable=False),
        sa.Column("record_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("received_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("op_id", name="pk_operations"),
    )
    op.create_index("ix_operations_record_id", "operations", ["record_id"])
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("entity", sa.String(20), nullable=False),
        sa.Column("record_id", sa.String(64), nullable=False),
        sa.Column("field", sa.String(64), nullable=False),
        sa.Column("old", sa.Text, nullable=True),
        sa.Column("new", sa.Text, nullable=True),
        sa.Column("actor", sa.String(64), nullable=True),
        sa.Column("device", sa.String(100), nullable=True),
        sa.Column("at", sa.String(40), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=True),
        sa.Column("hash", sa.String(64), nullable=True),
        sa.Column("valid", sa.Boolean, nullable=False),
        sa.Column("op_id", sa.String(64), nullable=True),
        sa.Column("received_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit"),
    )
    op.create_index("ix_audit_record_id", "audit", ["record_id"])
    op.create_table(
        "rule_sets",
        sa.Column("version", sa.Integer, autoincrement=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("loaded_at", sa.Float, nullable=False),
        sa.Column("loaded_by", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("version", name="pk_rule_sets"),
    )
    op.create_table(
        "blobs",
        sa.Column("sha256", sa.String(64)),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("sha256", name="pk_blobs"),
    )
    state = op.create_table(
        "server_state",
        sa.Column("key", sa.String(50)),
        sa.Column("value", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_server_state"),
    )
    op.bulk_insert(state, [{"key": "xid", "value": 0}, {"key": "seq", "value": 0}])
    if op.get_bind().dialect.name == "postgresql":
        # Non-transactional numbering: writers never wait for each other to get a number.
        op.execute("CREATE SEQUENCE change_seq")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE change_seq")
    for name in (
        "server_state",
        "blobs",
        "rule_sets",
        "audit",
        "operations",
        "scope_changes",
        "records",
        "signin_failures",
        "tokens",
        "users",
        "teams",
    ):
        op.drop_table(name)
