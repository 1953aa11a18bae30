"""The server's one data layer: tables, engines and transactions for SQLite and PostgreSQL.

Every synced row, whatever its entity, lives in ``records``: the field set is defined once in
:mod:`app.domain.schema` and stored as JSON, so adding a field there needs no server migration.
The columns that queries filter on (entity, customer, deal, scope owner, change position) are
real, indexed columns.

Change positions
----------------
Every write gives the rows it touches a position ``(xid, seq)``: ``xid`` identifies the writing
transaction, ``seq`` orders rows. A pull hands out only rows whose ``xid`` lies below the *safe
horizon*, the lowest transaction id that may still commit:

* PostgreSQL: ``xid`` is ``pg_current_xact_id()`` and ``seq`` is ``nextval('change_seq')``,
  evaluated by the statements that write the rows (:meth:`server.records.Workspace.flush`), and
  the horizon is the lowest transaction of this database still running in the reader's
  snapshot (:data:`PG_HORIZON`). Every transaction of this database below it has finished,
  and every future transaction gets a larger id, so nothing can ever appear below a cursor
  that has passed it, however the writers' commits interleave.
* SQLite: writers are serialised (``BEGIN IMMEDIATE``), so a counter bumped by each write
  transaction orders them exactly as they commit; the horizon is that counter plus one.

``docs/SYNC.md`` explains why this is gap-free; ``tests/server/test_server_pull.py`` proves it
with two PostgreSQL transactions that commit in the opposite order to their numbering.
"""

from __future__ import annotations

import json
import logging
import select
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlcipher3 import dbapi2 as sqlcipher

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

# Times are seconds since the epoch (UTC) in REAL columns: portable and cheap to compare.
teams = Table(
    "teams",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("role", String(10), nullable=False),
    Column("team_id", String(36), ForeignKey("teams.id"), nullable=True, index=True),
    Column("password_hash", Text, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

tokens = Table(
    "tokens",
    metadata,
    # Only the SHA-256 of a token is stored: a copy of the database signs nobody in.
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False, index=True),
    Column("kind", String(8), nullable=False),
    Column("family", String(36), nullable=False, index=True),
    Column("device", String(100), nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("revoked", Boolean, nullable=False),
    Column("used_at", Float, nullable=True),
    Column("created_at", Float, nullable=False),
    # Set when a refresh token is swapped: its successor is derived from the token and this
    # salt, so a retry whose answer was lost can be handed the same successor (server.auth).
    Column("rotation_salt", String(64), nullable=True),
)

devices = Table(
    "devices",
    metadata,
    # One sign-in and the refresh-token family that grows from it: the id is the family's.
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False, index=True),
    Column("label", String(100), nullable=False),  # what the client calls itself
    Column("signed_in_from", String(80), nullable=False),  # client address at sign-in
    Column("created_at", Float, nullable=False),
    Column("last_seen_at", Float, nullable=False),  # sign-in or last refresh
    # The session ended without a wipe: signed out, password changed, refresh token reused.
    Column("ended_at", Float, nullable=True),
    Column("ended_reason", String(40), nullable=True),
    # Revoked by an administrator (or with its user): its next request gets a wipe order.
    Column("revoked_at", Float, nullable=True),
    Column("revoked_by", String(100), nullable=True),
    Column("wipe_sent_at", Float, nullable=True),
)

signin_failures = Table(
    "signin_failures",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("blocked_until", Float, nullable=True),
    Column("updated_at", Float, nullable=False),
)

records = Table(
    "records",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("entity", String(20), nullable=False),
    Column("customer_id", String(64), nullable=True),
    Column("deal_id", String(64), nullable=True),
    Column("blob_sha256", String(64), nullable=True),
    Column("scope_owner", String(36), nullable=True),
    Column("data", Text, nullable=False),
    # What devices derive from ``data`` (sort keys, search document) as JSON, written with it
    # (see app.domain.derived); NULL for tombstones and entities with nothing derived.
    Column("derived", Text, nullable=True),
    Column("field_versions", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("deleted", Boolean, nullable=False),
    Column("deleted_at", Float, nullable=True),
    Column("audit_head", String(64), nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("xid", BigInteger, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Index("ix_records_position", "xid", "seq"),
    Index("ix_records_scope_position", "scope_owner", "xid", "seq"),
    Index("ix_records_customer_id", "customer_id"),
    Index("ix_records_deal_id", "deal_id"),
    Index("ix_records_blob_sha256", "blob_sha256"),
    Index("ix_records_deleted_at", "deleted_at"),
)

scope_changes = Table(
    "scope_changes",
    metadata,
    # One row per user and record whose visibility changed without the record changing.
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("xid", BigInteger, nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("record_id", String(64), nullable=False),
    Column("entity", String(20), nullable=False),
    Column("kind", String(6), nullable=False),
    Column("created_at", Float, nullable=False),
    Index("ix_scope_changes_user_position", "user_id", "xid", "seq"),
)

operations = Table(
    "operations",
    metadata,
    Column("op_id", String(64), primary_key=True),
    Column("user_id", String(36), nullable=False),
    Column("device", String(100), nullable=False),
    Column("entity", String(20), nullable=False),
    Column("record_id", String(64), nullable=False),
    Column("action", String(10), nullable=False),
    Column("status", String(10), nullable=False),
    Column("result", Text, nullable=False),
    # The operation as received, so that even a rejected value can be recovered.
    Column("payload", Text, nullable=False),
    Column("received_at", Float, nullable=False),
    Index("ix_operations_record_id", "record_id"),
)

audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(8), nullable=False),  # "server" chain or "device" entries
    Column("entity", String(20), nullable=False),
    Column("record_id", String(64), nullable=False),
    Column("field", Text, nullable=False),  # every field one change touched, comma-joined
    Column("old", Text, nullable=True),
    Column("new", Text, nullable=True),
    Column("actor", String(64), nullable=True),
    Column("device", String(100), nullable=True),
    Column("at", String(40), nullable=True),
    Column("prev_hash", String(64), nullable=True),
    Column("hash", String(64), nullable=True),
    Column("valid", Boolean, nullable=False),
    Column("op_id", String(64), nullable=True),
    Column("received_at", Float, nullable=False),
    Index("ix_audit_record_id", "record_id"),
)

rule_sets = Table(
    "rule_sets",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("data", Text, nullable=False),
    Column("loaded_at", Float, nullable=False),
    Column("loaded_by", String(100), nullable=False),
)

blobs = Table(
    "blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("created_at", Float, nullable=False),
)

# Who uploaded each file: an attachment row may name a file its user uploaded, or one already
# attached to a record they see, never one they only know the hash of.
blob_uploaders = Table(
    "blob_uploaders",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("user_id", String(36), primary_key=True),
    Column("created_at", Float, nullable=False),
)

server_state = Table(
    "server_state",
    metadata,
    Column("key", String(50), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

# ---- the lead engine (SPEC L1–L6; server.leads) ----------------------------------------------

intake_keys = Table(
    "intake_keys",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("channel", String(20), nullable=False),
    Column("team_id", String(36), ForeignKey("teams.id"), nullable=False),
    # Only the SHA-256 of a key is stored, as for tokens.
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
    Column("revoked_at", Float, nullable=True),
)

# One row per lead: the engine's clock and bookkeeping in indexed columns, so the scheduled
# jobs find due leads without reading the records' JSON.
lead_state = Table(
    "lead_state",
    metadata,
    Column("lead_id", String(64), primary_key=True),
    Column("team_id", String(36), nullable=True),
    Column("channel", String(20), nullable=False),
    Column("external_id", String(200), nullable=True),
    Column("score", Integer, nullable=True),
    Column("high_intent", Boolean, nullable=False),
    Column("status", String(12), nullable=False),
    Column("owner_id", String(36), nullable=True),
    Column("created_at", Float, nullable=False),
    Column("assigned_at", Float, nullable=True),
    Column("response_due", Float, nullable=True),
    Column("acted_at", Float, nullable=True),
    # on_time | missed | late (accepted after the deadline); NULL while undecided.
    Column("outcome", String(8), nullable=True),
    Column("escalated_at", Float, nullable=True),
    Column("reclaim_due", Float, nullable=True),
    Column("pooled_at", Float, nullable=True),
    Column("converted_at", Float, nullable=True),
    Index("uq_lead_state_channel_external_id", "channel", "external_id", unique=True),
    Index("ix_lead_state_status_response_due", "status", "response_due"),
    Index("ix_lead_state_status_reclaim_due", "status", "reclaim_due"),
    Index("ix_lead_state_owner_id_status", "owner_id", "status"),
    Index("ix_lead_state_team_id_status", "team_id", "status"),
)

rep_profiles = Table(
    "rep_profiles",
    metadata,
    Column("user_id", String(36), ForeignKey("users.id"), primary_key=True),
    Column("tags", Text, nullable=False),  # JSON list of lower-case region/product tags
    Column("on_leave", Boolean, nullable=False),
    # The assignment's round-robin credit (app.domain.leads.choose_rep).
    Column("credit", Float, nullable=False),
    # Figures of the last stats run (job "rep_stats").
    Column("mean_response_minutes", Float, nullable=True),
    Column("leads_in_window", Integer, nullable=False),
    Column("converted_in_window", Integer, nullable=False),
    Column("customers", Integer, nullable=False),
    Column("stats_at", Float, nullable=True),
    Column("flagged_at", Float, nullable=True),
    Column("updated_at", Float, nullable=False),
)

pool_entries = Table(
    "pool_entries",
    metadata,
    Column("record_id", String(64), primary_key=True),
    Column("entity", String(20), nullable=False),
    Column("team_id", String(36), nullable=True),
    Column("reason", String(20), nullable=False),  # not_accepted | idle
    Column("former_owner", String(36), nullable=True),
    Column("pooled_at", Float, nullable=False),
    Column("claimed_by", String(36), nullable=True),
    Column("claimed_at", Float, nullable=True),
    Index("ix_pool_entries_team_id_claimed_by", "team_id", "claimed_by"),
)

pool_claims = Table(
    "pool_claims",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("record_id", String(64), nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("claimed_at", Float, nullable=False),
    Column("won", Boolean, nullable=False),
    Index("ix_pool_claims_user_id_claimed_at", "user_id", "claimed_at"),
)

# Team chat robots (WeCom, DingTalk, Feishu) that hear escalations, and what is waiting to be
# delivered to them: written with the escalation, sent by the "webhooks" job.
team_webhooks = Table(
    "team_webhooks",
    metadata,
    Column("team_id", String(36), ForeignKey("teams.id"), primary_key=True),
    Column("kind", String(10), nullable=False),  # wecom | dingtalk | feishu
    Column("url", Text, nullable=False),
    Column("updated_at", Float, nullable=False),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", String(64), primary_key=True),  # derived from the event: one per event
    Column("team_id", String(36), nullable=False),
    Column("body", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_try", Float, nullable=False),
    Column("delivered_at", Float, nullable=True),
    Column("last_error", Text, nullable=True),
    Index("ix_webhook_deliveries_delivered_at_next_try", "delivered_at", "next_try"),
)

jobs = Table(
    "jobs",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("next_due", Float, nullable=False),
    Column("last_as_of", Float, nullable=True),
    Column("runs", Integer, nullable=False),
)

# Each rep's forecast as the scheduled job took it at a period's end (server/reports): the
# "opening" figures of the period that starts and the "closing" ones of the period that ended.
forecast_snapshots = Table(
    "forecast_snapshots",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("team_id", String(36), nullable=True, index=True),
    Column("rep_id", String(36), nullable=False),
    Column("period", String(10), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("taken_at", Float, nullable=False),
    Column("figures", Text, nullable=False),
    Index("ix_forecast_snapshots_rep_period_kind", "rep_id", "period", "kind", unique=True),
)
# The blocking keys of every live customer and contact (app.domain.dedupe), so that a push
# creating one finds the team's candidates by index instead of reading the whole team.
dedupe_keys = Table(
    "dedupe_keys",
    metadata,
    Column("entity", String(20), nullable=False),
    Column("key", Text, nullable=False),
    Column("exact", Boolean, nullable=False),
    Column("record_id", String(64), nullable=False),
    Index("ix_dedupe_keys_entity_key", "entity", "key"),
    Index("ix_dedupe_keys_record_id", "record_id"),
)


# server_state keys
XID_COUNTER = "xid"  # SQLite only: the last write transaction's number
SEQ_COUNTER = "seq"  # SQLite only: the last row sequence number
PURGED_XID = "purged_xid"  # cursors at or below this position must resync
PURGED_SEQ = "purged_seq"
# Bumped by a trigger on ``users`` (migration 0002) whenever any user row changes, so that a
# process can keep the user directory in memory and reload it only when this number moves.
DIRECTORY_VERSION = "directory"
# The app.domain.derived.VERSION that every record's ``derived`` column was computed with.
DERIVED_VERSION = "derived"
# The server.dedupe_keys.VERSION that the ``dedupe_keys`` table was filled with.
DEDUPE_KEYS_VERSION = "dedupe_keys"


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and route them to psycopg 3."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def is_postgres(bind: Engine | Connection) -> bool:
    return bind.dialect.name == "postgresql"


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """An engine with a connection pool; SQLite gets WAL and explicit transactions."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:"):
            raise ValueError("the server needs a SQLite file, not an in-memory database")
        # SQLite as bundled with SQLCipher, the one the pack writers use: two copies of SQLite
        # in one process must never open the same file (each would release the other's
        # locks), and pack writers read this file directly (server.pull.pack).
        engine = create_engine(
            url,
            module=sqlcipher,
            connect_args={"timeout": 30, "check_same_thread": False},
            pool_size=pool_size,
            max_overflow=pool_size,
        )
        _sqlite_transactions(engine)
        return engine
    engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=3600)
    _check_on_checkout(engine)
    return engine


def _check_on_checkout(engine: Engine) -> None:
    """Replace a pooled PostgreSQL connection the server has closed before handing it out.

    SQLAlchemy's ``pool_pre_ping`` costs a round trip per checkout, that is per request. A
    connection idle in the pool has nothing to read unless the server ended it (restart,
    ``pg_terminate_backend``, idle timeout): then its socket reads as ready (the farewell
    message or end of file). One ``select`` with no timeout sees that without a round trip;
    the pool then opens a fresh connection. (A false alarm only costs a reconnection.)
    """

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        try:
            if dbapi_conn.closed or dbapi_conn.broken:
                raise DisconnectionError("connection closed")
            ready, _, _ = select.select([dbapi_conn.fileno()], [], [], 0)
        except (OSError, ValueError) as exc:
            raise DisconnectionError(str(exc)) from exc
        if ready:
            raise DisconnectionError("the server ended the connection")


def _sqlite_transactions(engine: Engine) -> None:
    """Take transaction control from pysqlite so that writers can say BEGIN IMMEDIATE.

    A deferred transaction that reads and then writes can fail with SQLITE_BUSY when another
    writer got there first; taking the write lock up front makes writers queue instead.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("fieldcrm_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


@contextmanager
def write_tx(engine: Engine) -> Iterator[Connection]:
    """A read-write transaction, committed when the block ends without an exception."""
    with engine.connect() as conn:
        conn.execution_options(fieldcrm_write=True)
        with conn.begin():
            yield conn


@contextmanager
def read_tx(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction over one consistent snapshot."""
    with engine.connect() as conn:
        if is_postgres(engine):
            conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            yield conn


class Positions:
    """Hands out change positions inside one write transaction (see the module docstring).

    The SQLite flush numbers its rows with it; the PostgreSQL flush lets its statements take
    the same values themselves (one round trip fewer)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._xid: int | None = None

    @property
    def xid(self) -> int:
        if self._xid is None:
            if is_postgres(self.conn):
                value = self.conn.execute(text("SELECT pg_current_xact_id()::text::bigint"))
            else:
                value = self.conn.execute(
                    text(
                        "UPDATE server_state SET value = value + 1 WHERE key = :k RETURNING value"
                    ),
                    {"k": XID_COUNTER},
                )
            self._xid = int(value.scalar_one())
        return self._xid

    def seqs(self, n: int) -> list[int]:
        """``n`` fresh, increasing sequence numbers."""
        if n <= 0:
            return []
        _ = self.xid  # a transaction's number is fixed before its first row is numbered
        if is_postgres(self.conn):
            rows = self.conn.execute(
                text("SELECT nextval('change_seq') FROM generate_series(1, :n)"), {"n": n}
            )
            return sorted(int(r[0]) for r in rows)
        top = self.conn.execute(
            text("UPDATE server_state SET value = value + :n WHERE key = :k RETURNING value"),
            {"n": n, "k": SEQ_COUNTER},
        ).scalar_one()
        return list(range(int(top) - n + 1, int(top) + 1))


# The lowest transaction of *this* database that the snapshot still sees running (or the
# snapshot's xmax when none is). Transaction ids are cluster-wide, so the plain snapshot xmin
# would also wait for transactions in other databases of the same cluster, which never write
# here. Only a transaction that pg_stat_activity shows running in another database is skipped;
# one it cannot place (finished since, or hidden from an unprivileged role) still counts.
PG_HORIZON = """COALESCE(
  (SELECT MIN(x::text::bigint)
     FROM pg_snapshot_xip(pg_current_snapshot()) AS x
    WHERE NOT EXISTS (
      SELECT 1 FROM pg_stat_activity a
       WHERE a.backend_xid IS NOT NULL
         AND a.datname <> current_database()
         AND a.backend_xid::text::bigint = x::text::bigint % 4294967296)),
  pg_snapshot_xmax(pg_current_snapshot())::text::bigint)"""


def safe_horizon(conn: Connection) -> int:
    """The lowest transaction number that may still commit, read in the caller's snapshot.

    Every row with ``xid`` below it is final; no row can ever be added below it.
    """
    if is_postgres(conn):
        return int(conn.execute(text(f"SELECT {PG_HORIZON}")).scalar_one())
    value = conn.execute(
        text("SELECT value FROM server_state WHERE key = :k"), {"k": XID_COUNTER}
    ).scalar_one()
    return int(value) + 1


def dumps(value: Any) -> str:
    """Compact JSON for storage (keeps CJK readable in a database dump)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def loads(text_value: str | None) -> Any:
    return None if text_value is None else json.loads(text_value)


_records_log = logging.getLogger("fieldcrm.server.records")


def fields_of(text_value: str | None, record_id: object) -> dict[str, Any] | None:
    """A stored record's fields for a job that reads many records: ``{}`` for none, and
    ``None`` (with a warning naming the record) when the text does not decode to an object.

    Records stored before push checked their text may not decode; a scheduled job skips such
    a record instead of failing at every tick until someone repairs it.
    """
    if text_value is None:
        return {}
    try:
        data = json.loads(text_value)
    except ValueError:
        data = None
    if isinstance(data, dict):
        return data
    _records_log.warning("record %s does not decode to fields; skipped", record_id)
    return None


def state_value(conn: Connection, key: str, default: int = 0) -> int:
    value = conn.execute(
        text("SELECT value FROM server_state WHERE key = :k"), {"k": key}
    ).scalar_one_or_none()
    return default if value is None else int(value)


def set_state(conn: Connection, key: str, value: int) -> None:
    updated = conn.execute(
        server_state.update().where(server_state.c.key == key).values(value=value)
    ).rowcount
    if not updated:
        conn.execute(server_state.insert().values(key=key, value=value))
