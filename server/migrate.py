"""Schema migrations through Alembic, driven from code (no alembic.ini to ship or find)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from server import dedupe_keys
from server.maintenance import refresh_derived

MIGRATIONS = Path(__file__).with_name("migrations")


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    """The newest revision this version of the server knows."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None  # the package always ships at least one revision
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (creates every table on an empty database)."""
    cfg = _config()
    with engine.connect() as conn:
        # SQLite: the engine's explicit BEGIN handling wants a write lock for DDL too.
        conn.execution_options(fieldcrm_write=True)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        if conn.in_transaction():
            conn.commit()
    if revision == "head":
        refresh_derived(engine)  # after a change of app.domain.derived.VERSION, too
        dedupe_keys.refresh(engine)  # after a change of server.dedupe_keys.VERSION, too


def is_current(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()
