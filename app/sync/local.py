"""The local side of sync: what pulled records and push results do to the store (SPEC S1–S4).

Rules kept here:

* a pulled record never overwrites a field that still has a pending local edit; those fields
  keep the local value (the edit is "re-applied on top"), every other field takes the server's;
* an outbox operation leaves the queue only when the server has answered it (applied, merged,
  conflict or rejected); a rejected one stays visible with its reason and blocks nothing;
* a record that left the user's scope is removed with everything under it, but only once no
  edit to it is pending, so nothing typed is lost.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson

from app.domain import derived as derivation
from app.domain.derived import SEARCHED_FIELDS, name_columns
from app.domain.schema import ENTITIES, entity
from app.store import cipherdb
from app.store import search as search_index
from app.store.service import Change, Store, _encode
from app.sync import pack, quarantine
from app.sync.errors import ServerTrouble
from app.sync.quarantine import Quarantined

# What a record's own values can make SQLite or the row builders raise; anything else (a full
# disk, a locked file) stops the sync instead of setting records aside.
UNSTORABLE = (
    cipherdb.InterfaceError,
    cipherdb.ProgrammingError,
    cipherdb.IntegrityError,
    TypeError,
    ValueError,
    OverflowError,
    KeyError,
    AttributeError,
)
_NOTHING: frozenset[str] = frozenset()
# Children removed with a customer that leaves the scope, in delete order.
_CHILD_TABLES = ("alerts", "approvals", "followups", "attachments", "deals", "contacts")


class RemoteRecord(NamedTuple):
    """A record as the server's change feed sends it: its full current state."""

    entity: str
    id: str
    version: int
    deleted: bool
    values: Mapping[str, Any]
    # What the server derived from the values (sort key, search document…), when this device
    # can store it as it is (see app.domain.derived).
    derived: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class PulledPage:
    """A page of the change feed, sorted by kind, its records prepared for inserting."""

    records: list[RemoteRecord]
    removals: list[tuple[str, str]]
    conflicts: list[dict[str, Any]]
    cursor: str
    more: bool
    rules_version: int
    # Items this device cannot read, kept aside (app.sync.quarantine) while the rest is stored.
    quarantined: list[Quarantined] = field(default_factory=list)


def decode_page(body: bytes) -> PulledPage:
    """A page of the change feed from the body the server sent; ServerTrouble when it is not
    one (a proxy's error page, a cut-off body), so the sync stops and the cursor stays.

    A page that is one but holds items this device cannot read (invalid JSON, a number JSON
    cannot hold, a field of the wrong type) is read item by item and those are set aside.
    """
    held: list[Quarantined] = []
    salvaged = False
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        try:
            data, held = quarantine.salvage(body)
        except quarantine.NotAPage:
            raise ServerTrouble() from None
        salvaged = True
    try:
        return read_page(data, held, lenient_json=salvaged)
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ServerTrouble() from None


def read_page(
    page: Mapping[str, Any], held: Iterable[Quarantined] = (), *, lenient_json: bool = False
) -> PulledPage:
    """Sort a pulled page into records, scope removals and conflicts, and what cannot be read.

    ``lenient_json``: the page was read by a decoder that accepts Infinity and NaN.
    """
    records: list[RemoteRecord] = []
    removals: list[tuple[str, str]] = []
    conflicts: list[dict[str, Any]] = []
    quarantined = list(held)
    for item in page["changes"]:
        reason = quarantine.check(item, lenient_json=lenient_json)
        if reason is not None:
            quarantined.append(quarantine.held_item(item, reason))
            continue
        kind = item.get("entity")
        if item.get("removed"):
            if kind in ENTITIES or kind == "conflict":  # a newer server's kind: not ours
                removals.append((str(kind), str(item["id"])))
        elif kind == "conflict":
            conflicts.append(item)
        else:
            records.append(
                RemoteRecord(
                    str(kind),
                    str(item["id"]),
                    int(item.get("version", 0)),
                    bool(item.get("deleted")),
                    item.get("fields") or {},
                    quarantine.sound_derived(derivation.usable(item.get("derived"))),
                )
            )
    return PulledPage(
        records,
        removals,
        conflicts,
        str(page["cursor"]),
        bool(page.get("more")),
        int(page.get("rules_version", 0)),
        quarantined,
    )


def pending_fields(store: Store, record_id: str) -> set[str]:
    """Fields of a record with edits not yet confirmed by the server."""
    rows = (
        store.connection()
        .execute(
            "SELECT action, fields FROM outbox "
            "WHERE record_id = ? AND state IN ('pending', 'sending')",
            (record_id,),
        )
        .fetchall()
    )
    names: set[str] = set()
    for action, fields in rows:
        if action == "delete":
            names.add("_deleted")
        elif action == "stage":
            names.update(("stage", "stage_entered_at", "stage_history", "lost_reason", "lost_from"))
        else:
            names.update(json.loads(fields))
    return names


def has_pending(store: Store, record_ids: Iterable[str]) -> set[str]:
    """Which of ``record_ids`` still have unconfirmed edits."""
    db = store.connection()
    found: set[str] = set()
    # The usual case on a first sync: nothing queued, so nothing to look up id by id.
    if not db.execute(
        "SELECT EXISTS(SELECT 1 FROM outbox WHERE state IN ('pending', 'sending'))"
    ).fetchone()[0]:
        return found
    ids = list(record_ids)
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        found.update(
            r[0]
            for r in db.execute(
                f"SELECT DISTINCT record_id FROM outbox WHERE state IN ('pending', 'sending') "
                f"AND record_id IN ({', '.join('?' * len(chunk))})",
                chunk,
            )
        )
    return found


def _versions(store: Store, table: str, ids: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        found.update(
            store.connection()
            .conn.execute(
                f"SELECT id, _version FROM {table} WHERE id IN ({', '.join('?' * len(chunk))})",
                chunk,
            )
            .fetchall()
        )
    return found


def apply_remote(store: Store, records: Iterable[RemoteRecord]) -> list[Change]:
    """Write pulled records into the store (no audit, no outbox: they are the server's state).

    A page is applied in batches: new records with one insert per table, existing ones row by
    row (they are few except after a long absence).
    """
    changes: list[Change] = []
    db = store.connection()
    new_followups_after: int | None = None
    by_entity: dict[str, list[RemoteRecord]] = {}
    for rec in records:
        if rec.entity in ENTITIES:  # a newer server's entity is ignored, not fatal
            by_entity.setdefault(rec.entity, []).append(rec)
    with db.atomic():
        for entity_name, recs in by_entity.items():
            ent = entity(entity_name)
            ids = [r.id for r in recs]
            pending = has_pending(store, ids)
            versions = _versions(store, ent.table, ids)
            columns = pack.columns(ent)
            new_rows: list[list[Any]] = []
            new_docs: list[search_index.Document] = []
            for rec in recs:
                keep: AbstractSet[str] = (
                    pending_fields(store, rec.id) if rec.id in pending else _NOTHING
                )
                current = versions.get(rec.id)
                if current is not None and current > rec.version:
                    continue  # an older copy of what we already have (a re-sent page)
                if rec.deleted:
                    if "_deleted" not in keep and current is not None:
                        db.conn.execute(
                            f"UPDATE {ent.table} SET _deleted = 1, _version = ? WHERE id = ?",
                            (rec.version, rec.id),
                        )
                        search_index.unindex_record(db, rec.id)
                        changes.append(Change(entity_name, rec.id, "delete", ()))
                    continue
                given = rec.values
                if current is None and rec.id not in versions:
                    # The common case on a first sync: straight to one insert tuple.
                    versions[rec.id] = rec.version  # a page may repeat a record
                    new_rows.append(pack.insert_row(ent, rec.id, rec.version, given, rec.derived))
                    doc = search_index.document(entity_name, rec.id, given, rec.derived)
                    if doc is not None:
                        new_docs.append(doc)
                    changes.append(Change(entity_name, rec.id, "create", ()))
                    continue
                values = {k: v for k, v in given.items() if k in ent.field_set and k not in keep}
                here = store.get(entity_name, rec.id)
                if here is not None:
                    # Only what differs is written: the server echoing a confirmed edit (or
                    # sending a record again) then costs one read, not a re-index.
                    values = {k: v for k, v in values.items() if here.get(k) != v}
                    if not values:
                        if rec.version != current:
                            db.conn.execute(
                                f"UPDATE {ent.table} SET _version = ? WHERE id = ?",
                                (rec.version, rec.id),
                            )
                        continue
                update: dict[str, Any] = {k: _encode(v) for k, v in values.items()}
                update["_version"] = rec.version
                # What the server derived holds for the server's values: with a local edit
                # kept on top, the row is derived again here.
                derived = rec.derived if not keep else None
                if "name" in values:
                    update |= name_columns(entity_name, str(values["name"] or ""), derived)
                sets = ", ".join(f"{k} = ?" for k in update)
                db.conn.execute(
                    f"UPDATE {ent.table} SET {sets} WHERE id = ?", [*update.values(), rec.id]
                )
                searched = SEARCHED_FIELDS.get(entity_name, _NOTHING)
                if here is not None and values.keys().isdisjoint(searched):
                    pass  # the search document is made of fields that did not change
                elif derived is not None:
                    search_index.unindex_record(db, rec.id)
                    doc = search_index.document(entity_name, rec.id, given, derived)
                    if doc is not None:
                        search_index.insert_documents(db, [doc])
                elif (full := store.get(entity_name, rec.id)) is not None:
                    search_index.index_record(db, entity_name, full)
                changes.append(Change(entity_name, rec.id, "update", tuple(values)))
            if new_rows:
                if entity_name == "followup":
                    # Rows inserted now get row ids above today's highest.
                    new_followups_after = db.execute(
                        "SELECT coalesce(max(rowid), 0) FROM followups"
                    ).fetchone()[0]
                db.conn.executemany(
                    f"INSERT INTO {ent.table} ({', '.join(columns)}) "
                    f"VALUES ({', '.join('?' * len(columns))})",
                    new_rows,
                )
                search_index.insert_documents(db, new_docs)
        _update_last_followup(store, by_entity, changes, new_followups_after)
    return changes


def _update_last_followup(
    store: Store,
    by_entity: Mapping[str, list[RemoteRecord]],
    changes: list[Change],
    new_followups_after: int | None,
) -> None:
    """Keep customers' derived "last follow-up" right after a page.

    New follow-ups (the rows above ``new_followups_after``) can only move it later, so one
    statement raises it for all their customers; changed or deleted ones, and customers
    arriving after their follow-ups, are computed again from the table.
    """
    db = store.connection()
    created = {c.record_id for c in changes if c.action == "create"}
    recheck: set[str] = set()
    gone: list[str] = []  # tombstones carry no fields: their customer is in the table
    for rec in by_entity.get("followup", []):
        if rec.id in created:
            continue
        customer_id = rec.values.get("customer_id")
        if customer_id:
            recheck.add(str(customer_id))
        else:
            gone.append(rec.id)
    recheck.update(r.id for r in by_entity.get("customer", []) if r.id in created)
    for i in range(0, len(gone), 500):
        chunk = gone[i : i + 500]
        recheck.update(
            str(r[0])
            for r in db.execute(
                f"SELECT DISTINCT customer_id FROM followups "
                f"WHERE id IN ({', '.join('?' * len(chunk))}) AND customer_id IS NOT NULL",
                chunk,
            )
        )
    if new_followups_after is not None:
        raise_last_followup(db.conn, new_followups_after)
    _refresh_last_followup(store, recheck)


def raise_last_followup(conn: Any, after_rowid: int) -> None:
    """Move customers' "last follow-up" to their follow-ups stored after ``after_rowid`` (new
    follow-ups can only move it later)."""
    conn.execute(
        # NOT INDEXED: read just the new rows by row id, not every follow-up by customer.
        """UPDATE customers SET last_followup_at = f.at
           FROM (SELECT customer_id, max(created_at) AS at FROM followups NOT INDEXED
                 WHERE rowid > ? AND customer_id IS NOT NULL AND created_at IS NOT NULL
                 GROUP BY customer_id) AS f
           WHERE customers.id = f.customer_id
             AND (customers.last_followup_at IS NULL OR customers.last_followup_at < f.at)""",
        (after_rowid,),
    )


def _refresh_last_followup(store: Store, customer_ids: set[str]) -> None:
    """Keep the derived "last follow-up" of customers whose follow-ups arrived by sync."""
    ids = sorted(customer_ids)
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        store.connection().conn.execute(
            f"""UPDATE customers SET last_followup_at = (
                    SELECT max(f.created_at) FROM followups f
                    WHERE f.customer_id = customers.id AND f._deleted = 0)
                WHERE id IN ({", ".join("?" * len(chunk))})""",
            chunk,
        )


def confirm_operations(store: Store, results: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Record the server's answer per operation; return counts per status.

    Applied, merged and conflicting operations leave the queue; a rejected one stays with its
    reason (``state = 'rejected'``) so the user sees it, and stops blocking the rest.
    """
    db = store.connection()
    counts: dict[str, int] = {}
    with db.atomic():
        for res in results:
            status = str(res.get("status"))
            counts[status] = counts.get(status, 0) + 1
            op_id = str(res["op_id"])
            if status == "rejected":
                db.execute(
                    "UPDATE outbox SET state = 'rejected', result = ? WHERE op_id = ?",
                    (json.dumps(res, ensure_ascii=False), op_id),
                )
            else:
                db.execute("DELETE FROM outbox WHERE op_id = ?", (op_id,))
    return counts


def keep_refused_edits(store: Store, record_ids: Iterable[str]) -> int:
    """Move refused edits to records about to leave the device into the conflict list.

    The record is going away, so the outbox entry can no longer be shown beside it; as a
    conflict entry the typed value stays visible (and copyable) for the user.
    """
    db = store.connection()
    ids = list(record_ids)
    moved = 0
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        rows = db.execute(
            f"SELECT op_id, entity, record_id, fields, base, at FROM outbox "
            f"WHERE state = 'rejected' AND record_id IN ({', '.join('?' * len(chunk))})",
            chunk,
        ).fetchall()
        for op_id, entity_name, record_id, fields, base, at in rows:
            old = json.loads(base)
            for name, value in json.loads(fields).items():
                store.conflicts.record(
                    entity_name,
                    record_id,
                    name,
                    old.get(name),
                    value,
                    other_author=store.actor,
                    other_device=store.device,
                    other_at=at,
                    lost_here=True,
                )
                moved += 1
            db.execute("DELETE FROM outbox WHERE op_id = ?", (op_id,))
    return moved


def evict(store: Store, customer_ids: Iterable[str]) -> list[str]:
    """Remove customers (and everything under them) that left this user's scope.

    Customers with unconfirmed edits under them are kept for now and returned; the caller
    pushes first and evicts them on the next round. Conflict records stay: they hold values
    the user typed.
    """
    db = store.connection()
    deferred: list[str] = []
    orphans: set[str] = set()
    with db.atomic():
        for cid in customer_ids:
            children = [
                r[0]
                for t in _CHILD_TABLES
                for r in db.execute(f"SELECT id FROM {t} WHERE customer_id = ?", (cid,))
            ]
            if has_pending(store, [cid, *children]):
                deferred.append(cid)
                continue
            keep_refused_edits(store, [cid, *children])
            orphans.update(
                r[0]
                for r in db.execute(
                    "SELECT DISTINCT sha256 FROM attachments WHERE customer_id = ?", (cid,)
                )
            )
            for rid in [cid, *children]:
                search_index.unindex_record(db, rid)
            for t in _CHILD_TABLES:
                db.execute(f"DELETE FROM {t} WHERE customer_id = ?", (cid,))
            db.execute("DELETE FROM customers WHERE id = ?", (cid,))
        still_used = {
            r[0] for r in db.execute("SELECT DISTINCT sha256 FROM attachments WHERE _deleted = 0")
        }
    # Files go only after the rows are gone for good: a rolled-back eviction keeps them.
    for sha in orphans - still_used:
        store.files.path(sha).unlink(missing_ok=True)
    return deferred


def evict_record(store: Store, entity_name: str, record_id: str) -> bool:
    """Remove one non-customer record that left the scope; False if an edit is pending."""
    db = store.connection()
    if entity_name == "customer":
        return not evict(store, [record_id])
    if has_pending(store, [record_id]):
        return False
    ent = entity(entity_name)
    with db.atomic():
        keep_refused_edits(store, [record_id])
        search_index.unindex_record(db, record_id)
        db.execute(f"DELETE FROM {ent.table} WHERE id = ?", (record_id,))
    return True
