"""``delete``: a tombstone, unless someone changed the record after the device last saw it (the
edit arrived first and stays: docs/SYNC.md §3, "Delete after someone else's edit")."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, select

from app.domain.merge import MISSING, FieldConflict, changed_since
from app.domain.schema import ENTITIES
from server.db import records
from server.push import rejections as R
from server.push.context import CONFLICT_ENTITY, Batch
from server.push.results import conflicted, result
from server.push.wire import Operation

# A field whose change is not something a concurrent delete "did not see".
_BOOKKEEPING = frozenset({"updated_at", "last_followup_at"})


def delete(batch: Batch, op: Operation) -> dict[str, Any]:
    ws, name = batch.ws, op.entity
    if ENTITIES[name].append_only:
        raise R.APPEND_ONLY()
    if name in ("approval", "alert"):
        raise R.NOT_DELETABLE()
    rec = batch.visible(ws.get(op.record_id), name)
    if rec.deleted:
        return result(op, "merged", rec)
    if op.base_version > rec.version:
        raise R.BAD_BASE_VERSION()
    if name in ("customer", "deal"):
        column = records.c.customer_id if name == "customer" else records.c.deal_id
        live = ws.conn.execute(
            select(func.count())
            .select_from(records)
            .where(
                and_(
                    column == rec.id,
                    records.c.id != rec.id,
                    records.c.deleted.is_(False),
                    records.c.entity != CONFLICT_ENTITY,
                )
            )
        ).scalar_one()
        if live:
            raise R.HAS_CHILDREN(children=int(live))
    unseen = [
        f
        for f in changed_since(rec.field_versions, op.base_version)
        if f not in _BOOKKEEPING and f in rec.data
    ]
    if unseen:
        # First arrival wins: the later edits stay and the delete is what is kept aside.
        conflicts = [
            batch.conflict_record(op, rec, FieldConflict(f, rec.data.get(f), MISSING), "delete")
            for f in unseen
        ]
        return conflicted(op, rec, "stale_delete", conflicts, R.NOTE_STALE_DELETE)
    ws.tombstone(rec, **batch.actor(op))
    batch.store_device_audit(op, rec)
    return result(op, "applied", rec)
