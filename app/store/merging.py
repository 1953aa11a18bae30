"""Merging duplicate customers or contacts on this device (SPEC C2; docs/SYNC.md §11).

:func:`merge` is what a team lead (or an admin) does: the survivor takes the picked values,
everything under or naming the merged records moves to it, the merged records become
tombstones, and one ``merge`` operation carries it all to the server, which applies it again as
the authority. :func:`apply_pulled` is what every other device does when the merge reaches it:
references in its rows and in its pending outbox are redirected to the survivor, so an edit
queued against a merged record lands on the survivor. Everything happens in one transaction of
the store, with audit entries and the outbox operation.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.domain.derived import SEARCHED_FIELDS
from app.domain.merges import (
    MAX_CHAIN,
    MAX_MERGED,
    MERGE_ENTITY,
    MERGEABLE,
    MERGER_ROLES,
    REFERENCE_FIELDS,
    ROLE_REFUSED,
    choose,
    merge_record_id,
    pickable_fields,
)
from app.domain.messages import Msg
from app.domain.schema import entity
from app.store import search as search_index
from app.store.errors import StoreError
from app.store.journal import Entry
from app.store.service import Change, Store, _encode, new_id

# Tables whose rows belong to a customer, and those searched (their documents name it).
_CUSTOMER_CHILDREN = ("contacts", "deals", "followups", "attachments", "approvals", "alerts")
_SEARCHED = {"contacts": "contact", "deals": "deal", "followups": "followup"}


class MergeRefused(StoreError):
    """A merge this device will not make, with the reason in both languages."""

    def __init__(self, message: Msg) -> None:
        super().__init__(message.en)
        self.message = message


@dataclass(frozen=True)
class MergePlan:
    """What the merge screen shows: the records side by side and the fields where they
    differ (the others need no choice)."""

    kind: str
    records: list[dict[str, Any]]
    fields: tuple[str, ...]
    differing: tuple[str, ...]


def may_merge(store: Store) -> bool:
    """Whether the signed-in user may merge (a team lead or an admin)."""
    return store.directory.role_of(store.actor) in MERGER_ROLES


def plan(store: Store, kind: str, ids: Sequence[str]) -> MergePlan:
    """The records to merge as this device has them; MergeRefused when they cannot be."""
    _check_kind(kind)
    unique = list(dict.fromkeys(ids))
    if len(unique) < 2:
        raise MergeRefused(Msg("请至少选择两条不同的记录", "Choose at least two different records"))
    if len(unique) > MAX_MERGED + 1:
        raise MergeRefused(
            Msg("一次最多合并 {n} 条记录", "At most {n} records can be merged at once").format(
                n=MAX_MERGED + 1
            )
        )
    rows = []
    for rid in unique:
        row = store.get(kind, rid)
        if row is None:
            into = survivor_of(store, rid)
            if into != rid:
                raise MergeRefused(
                    Msg("{id} 已被合并到 {into}", "{id} was merged into {into} already").format(
                        id=rid, into=into
                    )
                )
            raise MergeRefused(
                Msg("本机没有该记录:{id}", "No such record on this device: {id}").format(id=rid)
            )
        rows.append(row)
    if kind == "contact" and len({r["customer_id"] for r in rows}) > 1:
        raise MergeRefused(
            Msg(
                "只能合并同一客户下的联系人;请先合并客户",
                "Only contacts of the same customer can be merged; merge the customers first",
            )
        )
    fields = pickable_fields(kind)
    differing = tuple(f for f in fields if len({json.dumps(r.get(f)) for r in rows}) > 1)
    return MergePlan(kind, rows, fields, differing)


def default_pick(plan_: MergePlan, survivor_id: str) -> dict[str, str]:
    """The survivor's value for every field, or the first record's that has one when the
    survivor's is empty."""
    by_id = {r["id"]: r for r in plan_.records}
    order = [survivor_id, *(r["id"] for r in plan_.records if r["id"] != survivor_id)]
    pick: dict[str, str] = {}
    for name in plan_.fields:
        pick[name] = next(
            (rid for rid in order if by_id[rid].get(name) not in (None, "")), survivor_id
        )
    return pick


def merge(
    store: Store,
    kind: str,
    survivor_id: str,
    others: Sequence[str],
    pick: Mapping[str, str] | None = None,
) -> str:
    """Merge ``others`` into ``survivor_id``; ``pick`` names, per field, the record whose value
    stays (default: :func:`default_pick`). Returns the merge's id. Raises MergeRefused."""
    if not may_merge(store):
        raise MergeRefused(ROLE_REFUSED)
    if survivor_id in others:
        raise MergeRefused(Msg("不能把记录合并到它自己", "A record cannot be merged into itself"))
    p = plan(store, kind, [survivor_id, *others])
    chosen = {**default_pick(p, survivor_id), **(pick or {})}
    by_id = {r["id"]: r for r in p.records}
    for name, source in chosen.items():
        if name not in p.fields or source not in by_id:
            raise MergeRefused(
                Msg(
                    "字段 {f} 的取值只能来自参与合并的记录",
                    "The value of {f} must come from one of the records being merged",
                ).format(f=name)
            )
    survivor = by_id[survivor_id]
    merged = [rid for rid in by_id if rid != survivor_id]
    ordered = [(rid, by_id[rid]) for rid in [survivor_id, *others]]
    values = {name: choose(name, source, ordered) for name, source in chosen.items()}
    diff = {k: (survivor.get(k), v) for k, v in values.items() if survivor.get(k) != v}
    discarded = {
        rid: {
            f: by_id[rid].get(f)
            for f in p.fields
            if by_id[rid].get(f) not in (None, "") and by_id[rid].get(f) != values[f]
        }
        for rid in merged
    }
    at = store.clock().isoformat()
    op_id = new_id()
    mid = merge_record_id(op_id)
    ent = entity(kind)
    undo: dict[str, Any] = {"survivor": {k: old for k, (old, _) in diff.items()}, "moved": []}
    with store.connection().atomic():
        row_changes = {k: new for k, (_, new) in diff.items()}
        if row_changes:
            if "updated_at" in ent.field_names:
                undo["survivor"]["updated_at"] = survivor.get("updated_at")
                row_changes["updated_at"] = at
            store.connection().table(ent.table).update(
                survivor_id, {k: _encode(v) for k, v in row_changes.items()}
            )
        store.journal.audit(
            Entry(
                entity=kind,
                record_id=survivor_id,
                action="merge",
                at=at,
                audit={**diff, "*merged": (None, merged)},
            ),
            op_id=op_id,
        )
        for rid in merged:
            undo["moved"] += _redirect_rows(store, kind, rid, survivor_id)
            store.connection().execute(f"UPDATE {ent.table} SET _deleted = 1 WHERE id = ?", (rid,))
            search_index.unindex_record(store.connection(), rid)
            # The merged record's own chain ends saying where it went (not sent: the
            # operation is the survivor's).
            store.journal.audit(
                Entry(
                    entity=kind,
                    record_id=rid,
                    action="merge",
                    at=at,
                    audit={"*merged_into": (None, survivor_id)},
                )
            )
            _link(store, kind, rid, survivor_id)
        store.journal.queue(
            Entry(
                entity=kind,
                record_id=survivor_id,
                action="merge",
                at=at,
                fields={
                    "merged": merged,
                    "pick": dict(chosen),
                    "seen": {rid: int(by_id[rid].get("_version") or 0) for rid in merged},
                },
                base={k: v for k, v in values.items() if k in diff},
                base_version=int(survivor.get("_version") or 0),
            ),
            op_id=op_id,
        )
        store.connection().execute(
            """INSERT INTO merges(id, op_id, kind, survivor_id, merged_ids, pick, discarded,
                   merged_by, created_at, state, undo)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)""",
            (
                mid,
                op_id,
                kind,
                survivor_id,
                _dump(merged),
                _dump(chosen),
                _dump(discarded),
                store.actor,
                at,
                _dump(undo),
            ),
        )
        store._after_write(kind, {**survivor, **row_changes})
    store._notify(
        [
            Change(kind, survivor_id, "update", tuple(diff)),
            *(Change(kind, rid, "delete", ()) for rid in merged),
            Change(MERGE_ENTITY, mid, "create", ()),
        ]
    )
    return mid


def survivor_of(store: Store, record_id: str) -> str:
    """Where a record's references end: itself, or the survivor its merges lead to."""
    current, seen = record_id, {record_id}
    for _ in range(MAX_CHAIN):
        row = (
            store.connection()
            .execute("SELECT survivor_id FROM merge_links WHERE merged_id = ?", (current,))
            .fetchone()
        )
        if row is None or row[0] in seen:
            break
        current = str(row[0])
        seen.add(current)
    return current


def merged_into(store: Store, record_id: str) -> list[str]:
    """Every record merged into this one, along chains (their history is its history)."""
    found: list[str] = []
    todo = [record_id]
    while todo and len(found) < 1000:
        for (rid,) in (
            store.connection()
            .execute(
                "SELECT merged_id FROM merge_links WHERE survivor_id = ? ORDER BY merged_id",
                (todo.pop(),),
            )
            .fetchall()
        ):
            if rid not in found and rid != record_id:
                found.append(str(rid))
                todo.append(str(rid))
    return found


def list_merges(store: Store) -> list[dict[str, Any]]:
    """Merges made here or pulled, newest first (``state``: pending, synced or rejected)."""
    rows = store.connection().query(
        "SELECT id, op_id, kind, survivor_id, merged_ids, pick, discarded, merged_by, "
        "created_at, state, result FROM merges ORDER BY created_at DESC, id"
    )
    out = []
    for r in rows:
        item = {
            **r,
            "merged_ids": json.loads(r["merged_ids"]),
            "pick": json.loads(r["pick"]),
            "discarded": json.loads(r["discarded"]),
            "result": json.loads(r["result"]) if r["result"] else None,
        }
        out.append(item)
    return out


# ---- what sync does ------------------------------------------------------------------------


def apply_pulled(store: Store, records: Iterable[Any]) -> list[tuple[str, str]]:
    """Merges arriving by pull (inside the page's transaction, before its records are stored).

    ``merge`` records are kept for the list; each merged tombstone (``merged_into``) redirects
    this device's rows and pending operations to the survivor when the device holds the
    survivor. A device that does not (the survivor is outside its scope) leaves its pending
    operations to the server, which redirects them, and drops the merged record with what was
    under it; returned are the records to drop once their pending edits are pushed.
    """
    drop: list[tuple[str, str]] = []
    for rec in records:
        if rec.entity == MERGE_ENTITY and not rec.deleted:
            _keep_merge_record(store, rec.id, rec.values)
            continue
        into = rec.values.get("merged_into") if rec.deleted else None
        if rec.entity not in MERGEABLE or not isinstance(into, str):
            continue
        _link(store, rec.entity, rec.id, into)
        final = survivor_of(store, rec.id)
        if store.get(rec.entity, final) is not None:
            _redirect_rows(store, rec.entity, rec.id, final)
            _redirect_outbox(store, rec.entity, rec.id, final)
        elif rec.entity == "customer":
            drop.append(("customer", rec.id))
    return drop


def confirmed(store: Store, op_id: str) -> None:
    """The server applied this device's merge."""
    store.connection().execute("UPDATE merges SET state = 'synced' WHERE op_id = ?", (op_id,))


def refused(store: Store, op: Mapping[str, Any], result: Mapping[str, Any]) -> None:
    """The server refused this device's merge: put the records back as they were."""
    row = (
        store.connection()
        .execute(
            "SELECT kind, survivor_id, merged_ids, undo FROM merges WHERE op_id = ? "
            "AND state = 'pending'",
            (op["op_id"],),
        )
        .fetchone()
    )
    if row is None:
        return
    kind, survivor_id, merged_json, undo_json = row
    ent = entity(kind)
    undo = json.loads(undo_json or "{}")
    for table, rid, column, old in reversed(undo.get("moved", [])):
        store.connection().execute(f"UPDATE {table} SET {column} = ? WHERE id = ?", (old, rid))
        _reindex(store, table, rid)
    for rid in json.loads(merged_json):
        store.connection().execute(f"UPDATE {ent.table} SET _deleted = 0 WHERE id = ?", (rid,))
        store.connection().execute("DELETE FROM merge_links WHERE merged_id = ?", (rid,))
        _reindex(store, ent.table, rid)
    back = undo.get("survivor") or {}
    if back:
        store.connection().table(ent.table).update(
            survivor_id, {k: _encode(v) for k, v in back.items()}
        )
    _reindex(store, ent.table, survivor_id)
    store.connection().execute(
        "UPDATE merges SET state = 'rejected', result = ? WHERE op_id = ?",
        (_dump(dict(result)), op["op_id"]),
    )


# ---- helpers ---------------------------------------------------------------------------------


def _check_kind(kind: str) -> None:
    if kind not in MERGEABLE:
        raise MergeRefused(
            Msg("只有客户和联系人可以合并", "Only customers and contacts can be merged")
        )


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _link(store: Store, kind: str, merged: str, survivor: str) -> None:
    store.connection().execute(
        "INSERT INTO merge_links(merged_id, survivor_id, kind) VALUES (?, ?, ?) "
        "ON CONFLICT(merged_id) DO UPDATE SET survivor_id = excluded.survivor_id",
        (merged, survivor, kind),
    )


def _keep_merge_record(store: Store, record_id: str, data: Mapping[str, Any]) -> None:
    merged = [str(x) for x in data.get("merged_ids") or []]
    store.connection().execute(
        """INSERT INTO merges(id, op_id, kind, survivor_id, merged_ids, pick, discarded,
               merged_by, created_at, state)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'synced')
           ON CONFLICT(id) DO UPDATE SET state = 'synced', survivor_id = excluded.survivor_id,
               discarded = excluded.discarded, undo = NULL""",
        (
            record_id,
            data.get("op_id"),
            str(data.get("kind")),
            str(data.get("survivor_id")),
            _dump(merged),
            _dump(data.get("pick") or {}),
            _dump(data.get("discarded") or {}),
            data.get("merged_by"),
            str(data.get("created_at") or ""),
        ),
    )


def _redirect_rows(store: Store, kind: str, old: str, new: str) -> list[list[Any]]:
    """Point this device's rows at the survivor; returns (table, id, column, old value) of
    each change, so that a refused merge can be undone."""
    db = store.connection()
    moved: list[list[Any]] = []

    def point(table: str, column: str, where: str, args: tuple[Any, ...]) -> None:
        for (rid,) in db.execute(f"SELECT id FROM {table} WHERE {where}", args).fetchall():
            moved.append([table, rid, column, old])
        db.execute(f"UPDATE {table} SET {column} = ? WHERE {where}", (new, *args))

    if kind == "customer":
        for table in (*_CUSTOMER_CHILDREN, "leads"):
            point(table, "customer_id", "customer_id = ?", (old,))
    else:
        point("deals", "primary_contact_id", "primary_contact_id = ?", (old,))
        point("attachments", "contact_id", "contact_id = ?", (old,))
        for rid, text in db.execute(
            "SELECT id, decision_chain FROM deals WHERE decision_chain LIKE ?", (f"%{old}%",)
        ).fetchall():
            chain = json.loads(text or "{}")
            if isinstance(chain, dict) and old in chain.values():
                moved.append(["deals", rid, "decision_chain", text])
                fixed_chain = {k: new if v == old else v for k, v in chain.items()}
                db.execute(
                    "UPDATE deals SET decision_chain = ? WHERE id = ?",
                    (_encode(fixed_chain), rid),
                )
        rows = db.execute(
            "SELECT id, contact_ids FROM followups WHERE contact_ids LIKE ?", (f"%{old}%",)
        ).fetchall()
        for rid, text in rows:
            ids = json.loads(text or "[]")
            if isinstance(ids, list) and old in ids:
                moved.append(["followups", rid, "contact_ids", text])
                fixed = list(dict.fromkeys(new if x == old else x for x in ids))
                db.execute(
                    "UPDATE followups SET contact_ids = ? WHERE id = ?",
                    (_encode(fixed), rid),
                )
    _reindex_moved(store, kind, old, new, moved)
    return moved


def _reindex_moved(
    store: Store, kind: str, old: str, new: str, moved: Sequence[Sequence[Any]]
) -> None:
    """Keep the search index right for redirected rows: a search document names its customer
    (one statement moves them all); other references are re-indexed only if searched."""
    if kind == "customer":
        store.connection().execute(
            "UPDATE search_docs SET customer_id = ? WHERE customer_id = ? AND entity != 'customer'",
            (new, old),
        )
        return
    for table, rid, column, _old in moved:
        name = _SEARCHED.get(table)
        if name is not None and column in SEARCHED_FIELDS.get(name, ()):
            _reindex(store, table, rid)


def _reindex(store: Store, table: str, record_id: str) -> None:
    name = _SEARCHED.get(table) or {"customers": "customer"}.get(table)
    if name is None:
        return
    row = store.get(name, record_id)
    search_index.unindex_record(store.connection(), record_id)
    if row is not None:
        search_index.index_record(store.connection(), name, row)


def _redirect_outbox(store: Store, kind: str, old: str, new: str) -> None:
    """Pending operations naming a merged record name the survivor: an edit of the merged
    record becomes an edit of the survivor judged against the values it was based on
    (version 0: a value the merge discarded becomes a conflict, never lost)."""
    rows = (
        store.connection()
        .execute(
            "SELECT op_id, entity, record_id, action, fields FROM outbox "
            "WHERE state IN ('pending', 'sending')"
        )
        .fetchall()
    )
    for op_id, ent_name, record_id, action, fields_json in rows:
        fields = json.loads(fields_json)
        changed = False
        for name in REFERENCE_FIELDS:
            if fields.get(name) == old:
                fields[name] = new
                changed = True
        chain = fields.get("decision_chain")
        if kind == "contact" and isinstance(chain, dict) and old in chain.values():
            fields["decision_chain"] = {k: new if v == old else v for k, v in chain.items()}
            changed = True
        ids = fields.get("contact_ids")
        if kind == "contact" and isinstance(ids, list) and old in ids:
            fields["contact_ids"] = list(dict.fromkeys(new if x == old else x for x in ids))
            changed = True
        if changed:
            store.connection().execute(
                "UPDATE outbox SET fields = ? WHERE op_id = ?", (_dump(fields), op_id)
            )
        if ent_name == kind and record_id == old and action == "update":
            store.connection().execute(
                "UPDATE outbox SET record_id = ?, base_version = 0 WHERE op_id = ?",
                (new, op_id),
            )


# ---- reads for the merge screen ------------------------------------------------------------
def count_under(store: Store, table: str, column: str, record_id: str) -> int:
    """How many live rows of ``table`` name ``record_id`` in ``column``."""
    row = (
        store.connection()
        .execute(f"SELECT count(*) FROM {table} WHERE {column} = ? AND _deleted = 0", (record_id,))
        .fetchone()
    )
    return int(row[0])


def user_labels(store: Store) -> dict[str, str]:
    """Each known user's id and the name to show."""
    return {
        str(u["id"]): str(u["display_name"] or u["name"])
        for u in store.connection().query("SELECT id, name, display_name FROM users")
    }


def other_contacts(store: Store, customer_id: str, exclude: str) -> list[dict[str, Any]]:
    """A customer's live contacts except ``exclude``, by name."""
    return list(
        store.connection().query(
            "SELECT id, name, title FROM contacts WHERE customer_id = ? AND id != ? "
            "AND _deleted = 0 ORDER BY name_sort, id",
            (customer_id, exclude),
        )
    )


def live_name(store: Store, table: str, record_id: str) -> str | None:
    """The name of a live record of ``table``, or None when it is gone."""
    row = (
        store.connection()
        .execute(f"SELECT name FROM {table} WHERE id = ? AND _deleted = 0", (record_id,))
        .fetchone()
    )
    return None if row is None else str(row[0])
