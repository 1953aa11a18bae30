"""Records keep what devices derive from their fields (sort keys, search document).

A device that pulls a record stores its pinyin sort key, company key and search document beside
it. Computing them on the device made a first sync spend more time in Python than in SQLite;
the server now computes them once, when it writes a record, and sends them with it (see
``app.domain.derived``). Existing rows are filled in by ``server.maintenance.refresh_derived``,
which every upgrade runs.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("records", sa.Column("derived", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.drop_column("derived")
    op.execute("DELETE FROM server_state WHERE key = 'derived'")
