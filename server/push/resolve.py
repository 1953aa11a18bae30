"""``resolve``: mark a conflict record handled (docs/SYNC.md §3). Conflicts take no other
action, and nothing else can be resolved."""

from __future__ import annotations

from typing import Any

from server.push import rejections as R
from server.push.context import CONFLICT_ENTITY, Batch
from server.push.results import result
from server.push.wire import Operation


def resolve(batch: Batch, op: Operation) -> dict[str, Any]:
    if op.entity != CONFLICT_ENTITY:
        raise R.ONLY_CONFLICTS_RESOLVED()
    if op.action != "resolve":
        raise R.CONFLICT_ONLY_RESOLVES()
    rec = batch.visible(batch.ws.get(op.record_id), CONFLICT_ENTITY)
    if rec.data.get("resolved"):
        return result(op, "merged", rec)
    batch.ws.change(rec, {"resolved": True, "resolved_by": batch.viewer.id}, **batch.actor(op))
    return result(op, "applied", rec)
