"""``update``: changed fields with the values the device based them on, merged by the conflict
policy of :mod:`app.domain.merge` (docs/SYNC.md §3). A losing value is kept as a conflict record;
an edit to a deleted record is kept the same way."""

from __future__ import annotations

from typing import Any

from app.domain.merge import MISSING, FieldConflict, merge_edit
from app.domain.schema import ENTITIES
from server.admin import reassign_customer
from server.push import rejections as R
from server.push.context import Batch
from server.push.entities import RULES
from server.push.fields import clean_base, clean_fields
from server.push.results import conflicted, result
from server.push.wire import Operation


def update(batch: Batch, op: Operation) -> dict[str, Any]:
    ws, name, rules = batch.ws, op.entity, RULES[op.entity]
    if ENTITIES[name].append_only:
        raise R.APPEND_ONLY()
    if name == "approval":
        raise R.APPROVAL_UPDATE()
    rec = batch.visible(ws.get(op.record_id), name)
    clean = clean_fields(name, rules.screen_update(batch, rec, dict(op.fields)), partial=True)
    if not clean:
        raise R.EMPTY()
    if op.base_version > rec.version:
        raise R.BAD_BASE_VERSION()
    rules.check_update(batch, rec, clean)
    owner_moves = rules.moves_owner(batch, rec, clean)

    base = clean_base(name, op.base)
    if rec.deleted:
        conflicts = [
            batch.conflict_record(
                op, rec, FieldConflict(f, MISSING, v, base.get(f, MISSING)), "deleted"
            )
            for f, v in clean.items()
        ]
        return conflicted(op, rec, "deleted", conflicts, R.NOTE_EDIT_DELETED)
    merged = merge_edit(name, rec.data, rec.field_versions, op.base_version, clean, base)
    changes = dict(merged.changes)
    conflicts = [batch.conflict_record(op, rec, c, "edit") for c in merged.conflicts]
    if changes:
        if "updated_at" in ENTITIES[name].field_names:
            changes["updated_at"] = ws.stamp
        if owner_moves and "owner" in changes and name == "customer":
            # The customer moves with everything under it.
            rest = {k: v for k, v in changes.items() if k != "owner"}
            ws.change(rec, rest, **batch.actor(op))
            reassign_customer(ws, rec, str(changes["owner"]), **batch.actor(op))
        else:
            ws.change(rec, changes, **batch.actor(op))
            if owner_moves and "owner" in changes:
                ws.rescope(rec, str(changes["owner"]))
        rules.updated(batch, op, rec, changes)
    batch.store_device_audit(op, rec)
    extra: dict[str, Any] = {}
    if conflicts:
        extra["conflicts"] = conflicts
        extra["code"] = "conflict"
        extra["message"] = R.NOTE_EDIT_CONFLICT.as_dict()
    return result(op, merged.outcome, rec, **extra)
