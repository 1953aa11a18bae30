"""The blocking keys of customers and contacts, indexed: a push that creates one finds the
team's duplicate candidates without reading the whole team. Filled by
``server.dedupe_keys.refresh`` after the upgrade.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dedupe_keys",
        sa.Column("entity", sa.String(20), nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("exact", sa.Boolean, nullable=False),
        sa.Column("record_id", sa.String(64), nullable=False),
    )
    op.create_index("ix_dedupe_keys_entity_key", "dedupe_keys", ["entity", "key"], unique=False)
    op.create_index("ix_dedupe_keys_record_id", "dedupe_keys", ["record_id"], unique=False)


def downgrade() -> None:
    op.drop_table("dedupe_keys")
