"""Devices: every sign-in is a device an administrator can list and revoke.

A device is one sign-in and the refresh-token family that grows from it (its id is the family
id). Revoking a device (``fieldcrm-server device revoke``, or disabling its user) makes its next
contact with the server answer a wipe order. Existing sessions become devices here, so they can
be revoked too. A refresh token also keeps the salt its successor was derived with, so that a
client retrying a refresh whose answer it lost gets that same successor back.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "devices",
        sa.Column("id", sa.String(36)),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("signed_in_from", sa.String(80), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("last_seen_at", sa.Float, nullable=False),
        sa.Column("ended_at", sa.Float, nullable=True),
        sa.Column("ended_reason", sa.String(40), nullable=True),
        sa.Column("revoked_at", sa.Float, nullable=True),
        sa.Column("revoked_by", sa.String(100), nullable=True),
        sa.Column("wipe_sent_at", sa.Float, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_devices"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_devices_user_id_users"),
    )
    op.create_index("ix_devices_user_id", "devices", ["user_id"])
    op.add_column("tokens", sa.Column("rotation_salt", sa.String(64), nullable=True))
    # Sessions signed in before devices existed: one device per token family, ended when every
    # token of it was revoked already.
    op.execute(
        "INSERT INTO devices (id, user_id, label, signed_in_from, created_at, last_seen_at, "
        "ended_at, ended_reason) "
        "SELECT family, min(user_id), min(device), 'unknown', min(created_at), max(created_at), "
        "CASE WHEN sum(CASE WHEN revoked THEN 0 ELSE 1 END) = 0 THEN max(created_at) END, "
        "CASE WHEN sum(CASE WHEN revoked THEN 0 ELSE 1 END) = 0 THEN 'signed out' END "
        "FROM tokens GROUP BY family"
    )


def downgrade() -> None:
    with op.batch_alter_table("tokens") as batch:
        batch.drop_column("rotation_salt")
    op.drop_index("ix_devices_user_id", "devices")
    op.drop_table("devices")
