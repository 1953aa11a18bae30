"""Forecast snapshots (SPEC T4): each rep's forecast taken at every period's end, so the cockpit
can show whose commit came true.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "forecast_snapshots",
        sa.Column("id", sa.String(36)),
        sa.Column("team_id", sa.String(36), nullable=True),
        sa.Column("rep_id", sa.String(36), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("taken_at", sa.Float, nullable=False),
        sa.Column("figures", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_forecast_snapshots"),
    )
    op.create_index(
        "ix_forecast_snapshots_team_id", "forecast_snapshots", ["team_id"], unique=False
    )
    op.create_index(
        "ix_forecast_snapshots_rep_period_kind",
        "forecast_snapshots",
        ["rep_id", "period", "kind"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_table("forecast_snapshots")
