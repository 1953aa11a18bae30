"""``merge``: duplicates become one record (SPEC C2; docs/SYNC.md §11).

A team lead or an admin names the record that stays (``record_id``), the records merged into it
(``fields.merged``) and, field by field, which record's value stays (``fields.pick``). In one
transaction the survivor takes the picked values, everything that named a merged record names
the survivor (a customer's contacts, deals, follow-ups, attachments, approvals, alerts,
conflicts and leads; a contact's deals, attachments and follow-ups), and each merged record
becomes a tombstone carrying ``merged_into``. A ``merge`` record keeps what happened: who, when,
which values were discarded; it syncs to everyone who sees the survivor.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_

from app.domain.merge import FieldConflict, changed_since
from app.domain.merges import (
    MAX_CHAIN,
    MAX_MERGED,
    MERGEABLE,
    choose,
    merge_record_id,
    pickable_fields,
)
from app.domain.schema import ENTITIES
from server.admin import reassign_customer
from server.db import records
from server.push import rejections as R
from server.push.context import MERGE_ENTITY, Batch
from server.push.results import result
from server.push.wire import Operation
from server.records import Rec, Workspace


def survivor_of(ws: Workspace, rec: Rec) -> Rec:
    """Where a merged record's references end: its survivor, followed along a chain."""
    seen = {rec.id}
    while rec.deleted and isinstance(rec.data.get("merged_into"), str):
        target = str(rec.data["merged_into"])
        if target in seen or len(seen) > MAX_CHAIN:
            break
        seen.add(target)
        nxt = ws.get(target)
        if nxt is None:
            ws.load([target])
            nxt = ws.get(target)
        if nxt is None:
            break
        rec = nxt
    return rec


def pick_value(name: str, source_id: str, recs: list[Rec]) -> Any:
    """The picked record's value; an empty pick never discards another record's value (one
    typed after the merging user looked, for example)."""
    return choose(name, source_id, [(r.id, r.data) for r in recs])


def _parse(op: Operation) -> tuple[list[str], dict[str, str], dict[str, int]]:
    merged, pick = op.fields.get("merged"), op.fields.get("pick", {})
    seen = op.fields.get("seen", {})
    if (
        set(op.fields) - {"merged", "pick", "seen"}
        or not isinstance(seen, dict)
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in seen.values())
        or not isinstance(merged, list)
        or not merged
        or not all(isinstance(x, str) and 0 < len(x) <= 64 for x in merged)
        or not isinstance(pick, dict)
        or not all(isinstance(v, str) for v in pick.values())
    ):
        raise R.MERGE_FIELDS()
    if len(merged) > MAX_MERGED:
        raise R.MERGE_TOO_MANY.format(n=MAX_MERGED)()
    return (
        list(dict.fromkeys(merged)),
        {str(k): str(v) for k, v in pick.items()},
        {str(k): int(v) for k, v in seen.items()},
    )


def merge(batch: Batch, op: Operation) -> dict[str, Any]:
    ws, kind = batch.ws, op.entity
    if kind not in MERGEABLE:
        raise R.NOT_MERGEABLE()
    if batch.viewer.role not in ("lead", "admin"):
        raise R.MERGE_ROLE()
    merged_ids, pick, seen = _parse(op)
    survivor = batch.visible(ws.get(op.record_id), kind)
    if survivor.deleted:
        into = survivor_of(ws, survivor)
        if into is survivor:
            raise R.MERGE_DELETED()
        raise R.MERGE_INTO_MERGED.format(into=into.id)()
    others: list[Rec] = []
    for other_id in merged_ids:
        if other_id == survivor.id:
            raise R.MERGE_SELF()
        if ws.get(other_id) is None:
            ws.load([other_id])
        other = batch.visible(ws.get(other_id), kind)
        if other.deleted:
            if survivor_of(ws, other) is survivor:
                continue  # merged into this survivor before: nothing left to do
            raise R.MERGE_DELETED()
        if kind == "contact" and other.customer_id != survivor.customer_id:
            raise R.MERGE_OTHER_CUSTOMER()
        others.append(other)
    if not others:
        return result(op, "merged", survivor)

    sources = {survivor.id: survivor, **{o.id: o for o in others}}
    user_fields = set(pickable_fields(kind))
    changes: dict[str, Any] = {}
    for name, source_id in pick.items():
        if name not in user_fields or source_id not in sources:
            raise R.MERGE_PICK.format(f=name[:40])()
    for name in pickable_fields(kind):
        value = pick_value(name, pick.get(name, survivor.id), [survivor, *others])
        if value != survivor.data.get(name):
            changes[name] = value
    final = {**survivor.data, **changes}
    discarded = {
        o.id: {
            f: o.data.get(f)
            for f in sorted(user_fields)
            if o.data.get(f) not in (None, "") and o.data.get(f) != final.get(f)
        }
        for o in others
    }
    # Values that changed after the merging user saw the record and that the merge discards
    # are kept as conflict records in the merged record's scope (its owner typed them).
    unseen = [
        batch.conflict_record(
            op,
            survivor,
            FieldConflict(f, final.get(f), o.data.get(f)),
            "merge",
            lost_by=str(o.data.get("owner") or o.scope_owner or ""),
            scope_owner=o.scope_owner,
        )
        for o in others
        if o.id in seen
        for f in changed_since(o.field_versions, seen[o.id])
        if f in discarded[o.id]
    ]
    new_owner = changes.pop("owner", None) if kind == "customer" else None
    who = batch.actor(op)
    if changes:
        if "updated_at" in ENTITIES[kind].field_names:
            changes["updated_at"] = ws.stamp
        ws.change(survivor, changes, **who)

    moved: list[str] = []
    for other in others:
        if kind == "customer":
            moved += _move_customer_rows(batch, op, other, survivor)
        else:
            moved += _move_contact_refs(batch, op, other, survivor)
        ws.change(other, {"merged_into": survivor.id}, **who)
        ws.tombstone(other, **who)
    if new_owner is not None:
        if not batch.directory.can_assign_to(batch.viewer, str(new_owner)):
            raise R.FORBIDDEN_OWNER()
        reassign_customer(ws, survivor, str(new_owner), **who)

    record_id = merge_record_id(op.op_id)
    customer_id = survivor.id if kind == "customer" else survivor.customer_id
    ws.create(
        MERGE_ENTITY,
        record_id,
        {
            "kind": kind,
            "survivor_id": survivor.id,
            "merged_ids": [o.id for o in others],
            "pick": pick,
            "changed": sorted(k for k in changes if k != "updated_at")
            + (["owner"] if new_owner is not None else []),
            "discarded": discarded,
            "moved": moved,
            "merged_by": batch.viewer.id,
            "device": op.device or batch.device,
            "op_id": op.op_id,
            "created_at": ws.stamp,
        },
        customer_id=customer_id,
        scope_owner=survivor.scope_owner,
        audited=False,  # the operation and the records' own chains say it
        **who,
    )
    batch.store_device_audit(op, survivor)
    extra: dict[str, Any] = {"merge_id": record_id, "moved": len(moved)}
    if unseen:
        extra["conflicts"] = unseen
    return result(op, "applied", survivor, **extra)


def _move(batch: Batch, op: Operation, rec: Rec, changes: dict[str, Any], survivor: Rec) -> None:
    if changes:
        batch.ws.change(rec, changes, **batch.actor(op))
    batch.ws.touch(rec)


def _move_customer_rows(batch: Batch, op: Operation, other: Rec, survivor: Rec) -> list[str]:
    """Everything under a merged customer (and every lead converted to it) goes to the
    survivor, in the survivor's scope."""
    ws = batch.ws
    moved: list[str] = []
    rows = ws.load_where(records.c.customer_id == other.id, records.c.id != other.id)
    # Leads name their customer only in their values (their scope is their own owner).
    rows += [
        r
        for r in ws.load_where(
            and_(records.c.entity == "lead", records.c.data.like(f'%"customer_id":"{other.id}"%'))
        )
        if r.data.get("customer_id") == other.id
    ]
    for rec in rows:
        changes = {"customer_id": survivor.id} if rec.data.get("customer_id") == other.id else {}
        _move(batch, op, rec, changes, survivor)
        if rec.entity != "lead":
            rec.customer_id = survivor.id
            ws.rescope(rec, survivor.scope_owner)
        moved.append(rec.id)
    return moved


def _move_contact_refs(batch: Batch, op: Operation, other: Rec, survivor: Rec) -> list[str]:
    """Deals (primary contact, decision chain), attachments and follow-ups of the customer that
    name the merged contact name the survivor instead."""
    moved: list[str] = []
    for rec in batch.ws.load_where(records.c.customer_id == survivor.customer_id):
        changes: dict[str, Any] = {}
        for name in ("primary_contact_id", "contact_id"):
            if rec.data.get(name) == other.id:
                changes[name] = survivor.id
        chain = rec.data.get("decision_chain")
        if isinstance(chain, dict) and other.id in chain.values():
            changes["decision_chain"] = {
                k: survivor.id if v == other.id else v for k, v in chain.items()
            }
        ids = rec.data.get("contact_ids")
        if isinstance(ids, list) and other.id in ids:
            changes["contact_ids"] = list(
                dict.fromkeys(survivor.id if x == other.id else x for x in ids)
            )
        if changes:
            _move(batch, op, rec, changes, survivor)
            moved.append(rec.id)
    return moved
