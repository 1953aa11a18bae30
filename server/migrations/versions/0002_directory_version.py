"""A version number for the user directory, bumped by the database whenever a user changes.

Every push needs the user directory (who is in which team) for its scope checks. Servers keep
it in memory and compare this number, read in the same query as the push's other state, to
reload it only when it moved. A trigger rather than the application bumps it, so that no path
that changes ``users`` (CLI, admin functions, a hand-written ``UPDATE`` in ``psql``) can leave a
stale directory in a running server.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_BUMP = "UPDATE server_state SET value = value + 1 WHERE key = 'directory'"


def upgrade() -> None:
    state = sa.table("server_state", sa.column("key", sa.String), sa.column("value", sa.BigInteger))
    op.bulk_insert(state, [{"key": "directory", "value": 0}])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION fieldcrm_directory_changed() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {_BUMP}; RETURN NULL; END $$"
        )
        op.execute(
            "CREATE TRIGGER users_directory_changed "
            "AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users "
            "FOR EACH STATEMENT EXECUTE FUNCTION fieldcrm_directory_changed()"
        )
    else:
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER users_directory_{event.lower()} AFTER {event} ON users "
                f"BEGIN {_BUMP}; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER users_directory_changed ON users")
        op.execute("DROP FUNCTION fieldcrm_directory_changed()")
    else:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER users_directory_{event}")
    op.execute("DELETE FROM server_state WHERE key = 'directory'")
