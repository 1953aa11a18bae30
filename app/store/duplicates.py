"""Duplicate check and scan (SPEC C1) on the local copy, with :mod:`app.domain.dedupe`.

Everywhere a customer or contact is born (the forms, lead conversion, a card, an import) asks
:func:`find_duplicates` first; ``fieldcrm duplicates`` and the lead's list use :func:`scan`.
The local records are indexed once and the index is kept while the file does not change, so a
check while typing only compares the few records that share a blocking key.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

from app.domain.dedupe import ContactIn, ContactIndex, CustomerIn, CustomerIndex, Group
from app.domain.dedupe.match import EXACT_REASONS
from app.domain.messages import Msg
from app.store.service import Store

_DRAFT = "\x00draft"  # the id of the record being checked, which no saved record has


@dataclass(frozen=True)
class DuplicateHit:
    """An existing record that may be the one about to be created."""

    entity: str
    record_id: str
    label: str
    reason: Msg
    exact: bool
    customer_id: str
    score: float = 1.0
    reasons: tuple[Msg, ...] = field(default=())
    owner: str | None = None


@dataclass
class LocalBook:
    """The local customers and contacts, indexed for matching."""

    customers: CustomerIndex
    contacts: ContactIndex
    names: dict[str, str]  # customer id → name
    contact_rows: dict[str, tuple[str, str]]  # contact id → (name, customer id)
    owners: dict[str, str | None]
    # The rows as last indexed: a refresh re-indexes only what differs.
    seen_customers: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    seen_contacts: dict[str, tuple[Any, ...]] = field(default_factory=dict)


_CACHE: weakref.WeakKeyDictionary[Store, tuple[tuple[int, int], LocalBook]] = (
    weakref.WeakKeyDictionary()
)
_CUSTOMER_COLUMNS = ("id", "name", "credit_code", "phone", "email", "website", "owner")
_CONTACT_COLUMNS = ("id", "customer_id", "name", "mobile", "phone", "email", "wechat")


def _stamp(store: Store) -> tuple[int, int]:
    conn: Any = store.connection().conn
    version = int(store.connection().execute("PRAGMA data_version").fetchone()[0])
    return int(conn.total_changes), version


def customer_in(rid: str, row: dict[str, Any]) -> CustomerIn:
    return CustomerIn(
        rid,
        row.get("name") or "",
        credit_code=row.get("credit_code"),
        phone=row.get("phone"),
        email=row.get("email"),
        website=row.get("website"),
        owner=row.get("owner"),
    )


def contact_in(rid: str, row: dict[str, Any], company: str | None = None) -> ContactIn:
    return ContactIn(
        rid,
        row.get("customer_id"),
        row.get("name") or "",
        mobile=row.get("mobile"),
        phone=row.get("phone"),
        email=row.get("email"),
        wechat=row.get("wechat"),
        company=company,
    )


def local_book(store: Store) -> LocalBook:
    """The indexed local copy. Whatever wrote to the file (this window, a sync, an import),
    only the rows that differ from the last call are indexed again."""
    stamp = _stamp(store)
    cached = _CACHE.get(store)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    if cached is None:
        customers = CustomerIndex()
        book = LocalBook(customers, ContactIndex(customers), {}, {}, {})
    else:
        book = cached[1]
    _refresh(store, book)
    _CACHE[store] = (_stamp(store), book)
    return book


def _refresh(store: Store, book: LocalBook) -> None:
    cols = ", ".join(_CUSTOMER_COLUMNS)
    current = {
        r[0]: tuple(r)
        for r in store.connection().execute(f"SELECT {cols} FROM customers WHERE _deleted = 0")
    }
    changed: set[str] = set()
    for rid in set(book.seen_customers) - set(current):
        book.customers.discard(rid)
        book.names.pop(rid, None)
        book.owners.pop(rid, None)
        changed.add(rid)
    for rid, values in current.items():
        if book.seen_customers.get(rid) != values:
            row = dict(zip(_CUSTOMER_COLUMNS, values, strict=True))
            book.customers.add(customer_in(rid, row))
            book.names[rid] = row["name"] or ""
            book.owners[rid] = row["owner"]
            changed.add(rid)
    book.seen_customers = current
    if changed:
        book.contacts.forget_companies()
    cols = ", ".join(_CONTACT_COLUMNS)
    rows = {
        r[0]: tuple(r)
        for r in store.connection().execute(f"SELECT {cols} FROM contacts WHERE _deleted = 0")
    }
    for rid in set(book.seen_contacts) - set(rows):
        book.contacts.discard(rid)
        book.contact_rows.pop(rid, None)
    for rid, values in rows.items():
        # A contact is matched with its customer's name too: re-read when either changed.
        if book.seen_contacts.get(rid) != values or values[1] in changed:
            row = dict(zip(_CONTACT_COLUMNS, values, strict=True))
            book.contacts.add(contact_in(rid, row))
            book.contact_rows[rid] = (row["name"] or "", row["customer_id"] or "")
    book.seen_contacts = rows


def find_duplicates(
    store: Store,
    *,
    company: str | None = None,
    credit_code: str | None = None,
    mobile: str | None = None,
    email: str | None = None,
    person: str | None = None,
    phone: str | None = None,
    customer_id: str | None = None,
    company_phone: str | None = None,
    limit: int = 20,
) -> list[DuplicateHit]:
    """Possible duplicates of a customer or contact about to be created, likeliest first.

    ``company``/``credit_code``/``company_phone`` describe the customer (new, or the one a new
    contact goes under when ``customer_id`` is given); ``person``/``mobile``/``email``/``phone``
    the contact.
    """
    book = local_book(store)
    hits: list[DuplicateHit] = []
    if customer_id is None and (company or credit_code or company_phone or (email and not person)):
        draft = CustomerIn(
            _DRAFT,
            company or "",
            credit_code=credit_code,
            phone=company_phone or (mobile if not person else None),
            email=email if not person else None,
        )
        for m in book.customers.check(draft, limit):
            hits.append(
                DuplicateHit(
                    "customer",
                    m.id,
                    book.names.get(m.id, ""),
                    m.reasons[0],
                    any(r in EXACT_REASONS for r in m.reasons),
                    m.id,
                    m.score,
                    m.reasons,
                    book.owners.get(m.id),
                )
            )
    if person or mobile or email or phone:
        # A saved customer is matched by its record; a name typed for a new one by the name.
        company_name = None if customer_id is not None and customer_id in book.names else company
        draft_contact = ContactIn(
            _DRAFT,
            customer_id,
            person or "",
            mobile=mobile,
            phone=phone,
            email=email,
            company=company_name,
        )
        for m in book.contacts.check(draft_contact, limit):
            name, cid = book.contact_rows.get(m.id, ("", ""))
            hits.append(
                DuplicateHit(
                    "contact",
                    m.id,
                    f"{name} · {book.names.get(cid, '')}",
                    m.reasons[0],
                    any(r in EXACT_REASONS for r in m.reasons),
                    cid,
                    m.score,
                    m.reasons,
                    book.owners.get(cid),
                )
            )
    hits.sort(key=lambda h: (-h.score, h.entity != "contact", h.label))
    return hits[:limit]


def scan(store: Store, kind: str) -> list[Group]:
    """Every suspect group of ``kind`` ("customers" or "contacts") in the local copy."""
    book = local_book(store)
    if kind == "customers":
        return book.customers.groups(book.contacts)
    if kind == "contacts":
        return book.contacts.groups()
    raise ValueError(kind)


def describe(store: Store, kind: str, record_id: str) -> str:
    """A record's label in a suspect list: a customer's name, a contact's name · customer."""
    book = local_book(store)
    if kind == "customers":
        return book.names.get(record_id, record_id)
    name, cid = book.contact_rows.get(record_id, (record_id, ""))
    return f"{name} · {book.names.get(cid, '')}"
