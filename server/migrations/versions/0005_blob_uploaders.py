"""Files know who uploaded them.

An attachment row may only name a file its user uploaded or one already attached to a record in
their scope; until now a rep who learnt another scope's SHA-256 could attach that file to one of
their own customers and download it. Existing files are credited to the users whose attachment
rows name them.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import json
import time

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "blob_uploaders",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(36), primary_key=True),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    conn = op.get_bind()
    have = {r[0] for r in conn.execute(sa.text("SELECT sha256 FROM blobs"))}
    pairs: set[tuple[str, str]] = set()
    rows = conn.execute(
        sa.text(
            "SELECT blob_sha256, data FROM records "
            "WHERE entity = 'attachment' AND blob_sha256 IS NOT NULL"
        )
    )
    for sha, data in rows:
        by = json.loads(data).get("created_by") if data else None
        if sha in have and isinstance(by, str) and len(by) <= 36:
            pairs.add((sha, by))
    if pairs:
        now = time.time()
        op.bulk_insert(
            table,
            [{"sha256": s, "user_id": u, "created_at": now} for s, u in sorted(pairs)],
        )


def downgrade() -> None:
    op.drop_table("blob_uploaders")
