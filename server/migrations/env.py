"""Alembic environment: runs on the connection that :mod:`server.migrate` passes in."""

from __future__ import annotations

from alembic import context

from server.db import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached through the plain alembic command
    raise RuntimeError("run migrations with `fieldcrm-server migrate`")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
