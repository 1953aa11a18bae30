"""Housekeeping: purge old tombstones and notices, expired tokens and old operation ids;
keep what devices derive from records current.

Run it from cron (``fieldcrm-server purge``). A device whose cursor is older than the newest
purged position is told to resync fully at its next pull (HTTP 410).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import Engine, and_, bindparam, delete, false, select, update

from app.domain import derived
from server.config import Settings
from server.db import (
    DERIVED_VERSION,
    PURGED_SEQ,
    PURGED_XID,
    devices,
    loads,
    operations,
    records,
    scope_changes,
    set_state,
    signin_failures,
    state_value,
    tokens,
    write_tx,
)
from server.records import derived_json


@dataclass(frozen=True)
class PurgeReport:
    tombstones: int
    notices: int
    tokens: int
    operations: int


def purge(engine: Engine, s: Settings, *, now: float | None = None) -> PurgeReport:
    """Delete what is older than the retention period and move the resync horizon."""
    now = time.time() if now is None else now
    cutoff = now - s.tombstone_days * 86400
    with write_tx(engine) as conn:
        old_rows = and_(records.c.deleted.is_(True), records.c.deleted_at < cutoff)
        old_notices = scope_changes.c.created_at < cutoff
        newest = max(
            [tuple(r) for r in conn.execute(select(records.c.xid, records.c.seq).where(old_rows))]
            + [
                tuple(r)
                for r in conn.execute(
                    select(scope_changes.c.xid, scope_changes.c.seq).where(old_notices)
                )
            ],
            default=None,
        )
        n_rows = conn.execute(delete(records).where(old_rows)).rowcount
        n_notices = conn.execute(delete(scope_changes).where(old_notices)).rowcount
        if newest is not None:
            current = (state_value(conn, PURGED_XID), state_value(conn, PURGED_SEQ))
            if newest > current:
                set_state(conn, PURGED_XID, int(newest[0]))
                set_state(conn, PURGED_SEQ, int(newest[1]))
        # A revoked device that has not called since keeps its tokens: they are how it will be
        # recognised, however late, and told to wipe itself.
        awaiting_wipe = select(devices.c.id).where(
            devices.c.revoked_at.is_not(None), devices.c.wipe_sent_at.is_(None)
        )
        n_tokens = conn.execute(
            delete(tokens).where(
                tokens.c.expires_at < now - 86400, tokens.c.family.not_in(awaiting_wipe)
            )
        ).rowcount
        conn.execute(delete(signin_failures).where(signin_failures.c.updated_at < now - 86400))
        # Operation ids are kept twice as long as tombstones: a device offline longer than the
        # tombstone period resyncs anyway, and its replayed operations are checked again.
        n_ops = conn.execute(
            delete(operations).where(operations.c.received_at < now - 2 * s.tombstone_days * 86400)
        ).rowcount
    return PurgeReport(n_rows, n_notices, n_tokens, n_ops)


def refresh_derived(engine: Engine, *, page: int = 2000) -> int:
    """Compute every record's ``derived`` column again unless this version already did.

    Devices store derived values only when stamped with their own version, so a stale column
    is never wrong, only slow for first syncs. Positions are not touched: devices that have
    the records already derived them themselves. Returns how many records were written.
    """
    written = 0
    with write_tx(engine) as conn:
        if state_value(conn, DERIVED_VERSION) == derived.VERSION:
            return 0
        after = ""
        query = (
            select(records.c.id, records.c.entity, records.c.data)
            .where(
                records.c.deleted == false(),
                records.c.entity.in_(sorted(derived.DERIVED_ENTITIES)),
                records.c.id > bindparam("after"),
            )
            .order_by(records.c.id)
            .limit(page)
        )
        store = (
            update(records)
            .where(records.c.id == bindparam("b_id"))
            .values(derived=bindparam("v_derived"))
        )
        while rows := conn.execute(query, {"after": after}).all():
            conn.execute(
                store,
                [
                    {"b_id": r.id, "v_derived": derived_json(r.entity, loads(r.data), False)}
                    for r in rows
                ],
            )
            written += len(rows)
            after = rows[-1].id
        set_state(conn, DERIVED_VERSION, derived.VERSION)
    return written
