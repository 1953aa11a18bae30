"""The lead engine (SPEC L1–L6): intake keys, per-lead clock and bookkeeping, rep profiles
(tags, leave, assignment figures), the shared pool and its claims, team chat webhooks and their
deliveries, and scheduled jobs.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intake_keys",
        sa.Column("id", sa.String(36)),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("team_id", sa.String(36), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("revoked_at", sa.Float, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_intake_keys"),
        sa.UniqueConstraint("key_hash", name="uq_intake_keys_key_hash"),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name="fk_intake_keys_team_id_teams"),
    )
    op.create_table(
        "lead_state",
        sa.Column("lead_id", sa.String(64)),
        sa.Column("team_id", sa.String(36), nullable=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("external_id", sa.String(200), nullable=True),
        sa.Column("score", sa.Integer, nullable=True),
        sa.Column("high_intent", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("owner_id", sa.String(36), nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("assigned_at", sa.Float, nullable=True),
        sa.Column("response_due", sa.Float, nullable=True),
        sa.Column("acted_at", sa.Float, nullable=True),
        sa.Column("outcome", sa.String(8), nullable=True),
        sa.Column("escalated_at", sa.Float, nullable=True),
        sa.Column("reclaim_due", sa.Float, nullable=True),
        sa.Column("pooled_at", sa.Float, nullable=True),
        sa.Column("converted_at", sa.Float, nullable=True),
        sa.PrimaryKeyConstraint("lead_id", name="pk_lead_state"),
    )
    op.create_index(
        "uq_lead_state_channel_external_id",
        "lead_state",
        ["channel", "external_id"],
        unique=True,
    )
    op.create_index("ix_lead_state_status_response_due", "lead_state", ["status", "response_due"])
    op.create_index("ix_lead_state_status_reclaim_due", "lead_state", ["status", "reclaim_due"])
    op.create_index("ix_lead_state_owner_id_status", "lead_state", ["owner_id", "status"])
    op.create_index("ix_lead_state_team_id_status", "lead_state", ["team_id", "status"])
    op.create_table(
        "rep_profiles",
        sa.Column("user_id", sa.String(36)),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("on_leave", sa.Boolean, nullable=False),
        sa.Column("credit", sa.Float, nullable=False),
        sa.Column("mean_response_minutes", sa.Float, nullable=True),
        sa.Column("leads_in_window", sa.Integer, nullable=False),
        sa.Column("converted_in_window", sa.Integer, nullable=False),
        sa.Column("customers", sa.Integer, nullable=False),
        sa.Column("stats_at", sa.Float, nullable=True),
        sa.Column("flagged_at", sa.Float, nullable=True),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_rep_profiles"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_rep_profiles_user_id_users"),
    )
    op.create_table(
        "pool_entries",
        sa.Column("record_id", sa.String(64)),
        sa.Column("entity", sa.String(20), nullable=False),
        sa.Column("team_id", sa.String(36), nullable=True),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("former_owner", sa.String(36), nullable=True),
        sa.Column("pooled_at", sa.Float, nullable=False),
        sa.Column("claimed_by", sa.String(36), nullable=True),
        sa.Column("claimed_at", sa.Float, nullable=True),
        sa.PrimaryKeyConstraint("record_id", name="pk_pool_entries"),
    )
    op.create_index("ix_pool_entries_team_id_claimed_by", "pool_entries", ["team_id", "claimed_by"])
    op.create_table(
        "pool_claims",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("record_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("claimed_at", sa.Float, nullable=False),
        sa.Column("won", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pool_claims"),
    )
    op.create_index("ix_pool_claims_user_id_claimed_at", "pool_claims", ["user_id", "claimed_at"])
    op.create_table(
        "team_webhooks",
        sa.Column("team_id", sa.String(36)),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("team_id", name="pk_team_webhooks"),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name="fk_team_webhooks_team_id_teams"),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.String(64)),
        sa.Column("team_id", sa.String(36), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_try", sa.Float, nullable=False),
        sa.Column("delivered_at", sa.Float, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_deliveries"),
    )
    op.create_index(
        "ix_webhook_deliveries_delivered_at_next_try",
        "webhook_deliveries",
        ["delivered_at", "next_try"],
    )
    op.create_table(
        "jobs",
        sa.Column("name", sa.String(40)),
        sa.Column("next_due", sa.Float, nullable=False),
        sa.Column("last_as_of", sa.Float, nullable=True),
        sa.Column("runs", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_jobs"),
    )


def downgrade() -> None:
    for table in (
        "jobs",
        "webhook_deliveries",
        "team_webhooks",
        "pool_claims",
        "pool_entries",
        "rep_profiles",
        "lead_state",
    ):
        op.drop_table(table)
    op.drop_table("intake_keys")
