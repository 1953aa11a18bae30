"""``create``: a new record with the device's id, checked by its kind's rules
(:mod:`server.push.entities`), at version 1 with every server-set value filled in."""

from __future__ import annotations

from typing import Any

from server.push import rejections as R
from server.push.context import Batch
from server.push.entities import RULES
from server.push.results import result
from server.push.wire import Operation


def create(batch: Batch, op: Operation) -> dict[str, Any]:
    ws, rules = batch.ws, RULES[op.entity]
    fields = dict(op.fields)
    rules.prepare(batch, fields)
    clean = rules.validate(batch, fields)
    where = rules.place(batch, op, clean)
    for name in rules.stamps:
        clean[name] = ws.stamp
    rules.complete(batch, clean, where)
    # Checked last: a create that would fail anyway answers the same whether or not its id is
    # used elsewhere, so ids of records the user cannot see cannot be probed for free.
    if ws.get(op.record_id) is not None:
        raise R.ID_TAKEN()
    rec = ws.create(
        op.entity,
        op.record_id,
        clean,
        customer_id=where.customer_id,
        scope_owner=where.scope_owner,
        **batch.actor(op),
    )
    batch.index_child(rec)
    rules.created(batch, op, rec, where)
    batch.store_device_audit(op, rec)
    return result(op, "applied", rec)
