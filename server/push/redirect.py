"""Operations that name a merged record (docs/SYNC.md §11): a device that has not pulled the
merge yet still sends edits to the merged record, new children under it and references to it.
They are redirected to the survivor (along a chain of merges), so nothing typed is lost.

An edit of the merged record becomes an edit of the survivor judged against the values the
device saw (``base``), as if based on version 0: a value the merge kept is replaced, a value it
discarded makes a conflict record. The user may act on the survivor if they could see the merged
record, even when the survivor is outside their scope (the answer then carries no record).
"""

from __future__ import annotations

from typing import Any

from app.domain.merges import MERGEABLE
from server.push.context import Batch
from server.push.merge import survivor_of
from server.push.wire import Operation

# Fields that name a customer or a contact.
_REFS = ("customer_id", "contact_id", "primary_contact_id")


def redirect(batch: Batch, op: Operation) -> tuple[Operation, str | None]:
    """The operation with merged records replaced by their survivors, and the merged id it
    was addressed to (None when it named a live record)."""
    if op.action not in ("create", "update", "stage"):
        return op, None
    update: dict[str, Any] = {}
    origin = None
    rec = batch.ws.get(op.record_id)
    if (
        op.action == "update"
        and rec is not None
        and rec.entity == op.entity
        and rec.entity in MERGEABLE
    ):
        target = _target(batch, rec.id)
        if target is not None:
            update = {"record_id": target, "base_version": 0}
            origin = rec.id
            batch.aliases[target] = rec.id
    fields = dict(op.fields)
    touched = False
    for name in _REFS:
        value = fields.get(name)
        if isinstance(value, str) and (target := _target(batch, value)) is not None:
            fields[name] = target
            touched = True
    ids = fields.get("contact_ids")
    if isinstance(ids, list) and all(isinstance(x, str) for x in ids):
        new = list(dict.fromkeys(_target(batch, x) or x for x in ids))
        if new != ids:
            fields["contact_ids"] = new
            touched = True
    chain = fields.get("decision_chain")
    if isinstance(chain, dict) and any(isinstance(v, str) for v in chain.values()):
        new_chain = {
            k: (_target(batch, v) or v) if isinstance(v, str) else v for k, v in chain.items()
        }
        if new_chain != chain:
            fields["decision_chain"] = new_chain
            touched = True
    if touched:
        update["fields"] = fields
    return (op.model_copy(update=update) if update else op), origin


def _target(batch: Batch, record_id: str) -> str | None:
    """The survivor a merged record's references go to, or None if it was not merged (or the
    user never saw it)."""
    ws = batch.ws
    rec = ws.get(record_id)
    if rec is None:
        ws.load([record_id], lock=False)
        rec = ws.get(record_id)
    if rec is None or not rec.deleted or not isinstance(rec.data.get("merged_into"), str):
        return None
    if not batch.directory.can_see(batch.viewer, rec.scope_owner):
        return None
    target = survivor_of(ws, rec)
    if target is rec or target.deleted:
        return None
    batch.granted.add(target.id)
    return target.id
