"""An audit entry names every field one change touched, joined by commas: a deal saved from its
form (title, amount, commit, expected close, pains, decision chain, evidence) names more than
the 64 characters ``audit.field`` held, and PostgreSQL refused the whole push. It is text now.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Batch mode: SQLite cannot change a column's type in place and copies the table.
    with op.batch_alter_table("audit") as batch:
        batch.alter_column(
            "field", type_=sa.Text, existing_type=sa.String(64), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("audit") as batch:
        batch.alter_column(
            "field", type_=sa.String(64), existing_type=sa.Text, existing_nullable=False
        )
