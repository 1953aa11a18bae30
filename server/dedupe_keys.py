"""The ``dedupe_keys`` table: the blocking keys (:mod:`app.domain.dedupe.match`) of every live
customer and contact, written with the records by :meth:`server.records.Workspace.flush`.

A push that creates a customer or contact looks its keys up here to find the few records of
the team it may duplicate, instead of reading and indexing the whole team (which took half a
minute for a team of ten reps, inside the push's write transaction). A contact's keys include
its customer's name, so a customer's change rewrites its contacts' keys too. A change of how
keys are made bumps :data:`VERSION`; the table is then refilled after the next upgrade.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, false, insert, select

from app.domain.dedupe import ContactIn, CustomerIn
from app.domain.dedupe.match import (
    contact_features,
    contact_keys,
    customer_features,
    customer_keys,
)
from server.db import (
    DEDUPE_KEYS_VERSION,
    dedupe_keys,
    fields_of,
    records,
    set_state,
    state_value,
    write_tx,
)

VERSION = 1
ENTITIES = ("customer", "contact")


def customer_in(rid: str, data: Mapping[str, Any]) -> CustomerIn:
    return CustomerIn(
        rid,
        str(data.get("name") or ""),
        credit_code=data.get("credit_code"),
        phone=data.get("phone"),
        email=data.get("email"),
        website=data.get("website"),
    )


def contact_in(rid: str, data: Mapping[str, Any]) -> ContactIn:
    return ContactIn(
        rid,
        data.get("customer_id"),
        str(data.get("name") or ""),
        mobile=data.get("mobile"),
        phone=data.get("phone"),
        email=data.get("email"),
        wechat=data.get("wechat"),
    )


def keys_of(
    entity: str, rid: str, data: Mapping[str, Any], customer: Mapping[str, Any] | None = None
) -> list[tuple[str, bool]]:
    """A customer's or contact's blocking keys; ``customer`` is a contact's customer's values."""
    if entity == "customer":
        return list(dict.fromkeys(customer_keys(customer_features(customer_in(rid, data)))))
    cid = str(data.get("customer_id") or "")
    company = customer_features(customer_in(cid, customer)) if customer is not None else None
    return list(dict.fromkeys(contact_keys(contact_features(contact_in(rid, data), company))))


def live_values(conn: Connection, entity: str, column: Any, ids: Iterable[str]) -> dict[str, Any]:
    """The values of the live records of ``entity`` whose ``column`` is one of ``ids``."""
    out: dict[str, Any] = {}
    wanted = sorted(set(ids))
    for i in range(0, len(wanted), 500):
        for r in conn.execute(
            select(records.c.id, records.c.data).where(
                column.in_(wanted[i : i + 500]),
                records.c.entity == entity,
                records.c.deleted == false(),
            )
        ):
            data = fields_of(r.data, r.id)
            if data is not None:
                out[r.id] = data
    return out


def rewrite(
    conn: Connection,
    changed: Iterable[tuple[str, str, Mapping[str, Any], bool]],
    renamed: Iterable[str] = (),
) -> None:
    """Replace the keys of the records ``changed`` as (entity, id, values, deleted), and of
    the contacts of the customers ``renamed`` (their name changed, or they were deleted).
    Call inside the transaction that writes them, before it writes them."""
    items = {rid: (entity, data, deleted) for entity, rid, data, deleted in changed}
    # A customer's name is part of its contacts' keys.
    for rid, values in live_values(conn, "contact", records.c.customer_id, renamed).items():
        items.setdefault(rid, ("contact", values, False))
    if not items:
        return
    known: dict[str, Mapping[str, Any]] = {}
    gone: set[str] = set()
    for rid, (entity, data, deleted) in items.items():
        if entity == "customer" and deleted:
            gone.add(rid)
        elif entity == "customer":
            known[rid] = data
    wanted = {
        str(data.get("customer_id"))
        for entity, data, _x in items.values()
        if entity == "contact" and data.get("customer_id")
    }
    known |= live_values(conn, "customer", records.c.id, wanted - known.keys() - gone)
    rows = [
        {"entity": entity, "key": key, "exact": exact, "record_id": rid}
        for rid, (entity, data, deleted) in items.items()
        if not deleted
        for key, exact in keys_of(entity, rid, data, known.get(str(data.get("customer_id") or "")))
    ]
    ids = sorted(items)
    for i in range(0, len(ids), 500):
        conn.execute(delete(dedupe_keys).where(dedupe_keys.c.record_id.in_(ids[i : i + 500])))
    if rows:
        conn.execute(insert(dedupe_keys), rows)


def refresh(engine: Engine, *, page: int = 2000) -> int:
    """Fill the table again unless this :data:`VERSION` already did; returns the records
    whose keys were written."""
    written = 0
    with write_tx(engine) as conn:
        if state_value(conn, DEDUPE_KEYS_VERSION) == VERSION:
            return 0
        conn.execute(delete(dedupe_keys))
        after = ""
        query = (
            select(records.c.id, records.c.entity, records.c.data)
            .where(
                records.c.deleted == false(),
                records.c.entity.in_(ENTITIES),
                records.c.id > bindparam("after"),
            )
            .order_by(records.c.id)
            .limit(page)
        )
        while rows := conn.execute(query, {"after": after}).all():
            changed = []
            for r in rows:
                data = fields_of(r.data, r.id)
                if data is not None:
                    changed.append((r.entity, r.id, data, False))
            rewrite(conn, changed)
            written += len(changed)
            after = rows[-1].id
        set_state(conn, DEDUPE_KEYS_VERSION, VERSION)
    return written
