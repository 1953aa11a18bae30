"""The server's duplicate check (SPEC C1): what devices cannot see, the server can.

A device checks a new customer or contact against its own copy, which holds only its user's
scope. When a push creates one, the server checks it again against the rest of the team: a
match in another rep's scope is accepted all the same (offline work is never thrown away) and
becomes a duplicate suspect for the team lead, an alert synced to the lead's devices; both
owners are told, without either learning the other's record. ``fieldcrm-server duplicates``
scans a whole team with the same matcher.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, false, select

from app.domain.dedupe import ContactIndex, CustomerIndex, Group, Match
from app.domain.dedupe.match import BLOCK_CAP, contact_features, contact_keys
from app.domain.messages import Msg
from server.db import dedupe_keys, fields_of, records
from server.dedupe_keys import contact_in, customer_in, keys_of, live_values
from server.leads.common import raise_alert
from server.push.context import Batch
from server.records import Directory, Rec

ALERT_KIND = "duplicate"


@dataclass
class TeamBook:
    """A team's customers and contacts, indexed, with each record's scope owner."""

    customers: CustomerIndex
    contacts: ContactIndex
    owners: dict[str, str | None]
    names: dict[str, str]


def _members(directory: Directory, team_id: str) -> list[str]:
    return sorted(m.id for m in directory.members.values() if m.team_id == team_id)


def load_team(conn: Connection, directory: Directory, team_id: str) -> TeamBook:
    """Index every live customer and contact in the team's scopes."""
    members = _members(directory, team_id)
    customers = CustomerIndex()
    owners: dict[str, str | None] = {}
    names: dict[str, str] = {}
    rows = conn.execute(
        select(records.c.id, records.c.entity, records.c.data, records.c.scope_owner).where(
            records.c.entity.in_(("customer", "contact")),
            records.c.deleted.is_(False),
            records.c.scope_owner.in_(members),
        )
    ).all()
    # A record stored before its text was checked may not decode: devices set it aside, and
    # the advisory check skips it rather than refuse the push that triggered it.
    decoded = [(r, data) for r in rows if (data := fields_of(r.data, r.id)) is not None]
    customers.add_all(customer_in(r.id, data) for r, data in decoded if r.entity == "customer")
    contacts = ContactIndex(customers)
    contacts.add_all(contact_in(r.id, data) for r, data in decoded if r.entity == "contact")
    for r, data in decoded:
        owners[r.id] = r.scope_owner
        names[r.id] = str(data.get("name") or "")
    return TeamBook(customers, contacts, owners, names)


def _candidates(
    conn: Connection, entity: str, keys: list[tuple[str, bool]], members: list[str], rid: str
) -> set[str]:
    """The team's live records of ``entity`` that share a blocking key with record ``rid``, as
    the in-memory index gives them: an inexact key held by more than the cap is too common
    to count (:meth:`app.domain.dedupe.match._Blocks.candidates`)."""
    if not keys or not members:
        return set()
    exact = dict(keys)
    by_key: dict[str, set[str]] = {}
    for r in conn.execute(
        select(dedupe_keys.c.key, dedupe_keys.c.record_id)
        .join(records, records.c.id == dedupe_keys.c.record_id)
        .where(
            dedupe_keys.c.entity == entity,
            dedupe_keys.c.key.in_(sorted(exact)),
            dedupe_keys.c.record_id != rid,
            records.c.scope_owner.in_(members),
            records.c.deleted == false(),
        )
    ):
        by_key.setdefault(r.key, set()).add(r.record_id)
    found: set[str] = set()
    for key, ids in by_key.items():
        if exact[key] or len(ids) <= BLOCK_CAP:
            found |= ids
    return found


def _add_records(batch: Batch, book: TeamBook, ids: Iterable[str]) -> None:
    """Put records into ``book`` (a contact's customer first, for its company)."""
    wanted = [i for i in ids if i not in book.owners]
    if not wanted:
        return
    rows = []
    for i in range(0, len(wanted), 500):
        rows += _live_rows(batch.ws.conn, wanted[i : i + 500])
    decoded = [(r, data) for r in rows if (data := fields_of(r.data, r.id)) is not None]
    companies = {
        str(data["customer_id"])
        for r, data in decoded
        if r.entity == "contact" and data.get("customer_id")
    }
    _add_customers(batch, book, companies)
    for r, data in decoded:
        if r.entity == "customer":
            book.customers.add(customer_in(r.id, data))
        else:
            book.contacts.add(contact_in(r.id, data))
        book.owners[r.id] = r.scope_owner
        book.names[r.id] = str(data.get("name") or "")


def _add_customers(batch: Batch, book: TeamBook, ids: Iterable[str]) -> None:
    """Customers whose values a contact's features need, from this push or the database."""
    missing = []
    for cid in ids:
        if cid in book.customers.features:
            continue
        here = batch.ws.recs.get(cid)
        if here is None:
            missing.append(cid)
        elif here.entity == "customer" and not here.deleted:
            book.customers.add(customer_in(cid, here.data))
    for cid, data in live_values(batch.ws.conn, "customer", records.c.id, missing).items():
        book.customers.add(customer_in(cid, data))


def _live_rows(conn: Connection, ids: list[str]) -> list[Any]:
    return list(
        conn.execute(
            select(records.c.id, records.c.entity, records.c.data, records.c.scope_owner).where(
                records.c.id.in_(ids), records.c.deleted == false()
            )
        )
    )


def suspects(batch: Batch, rec: Rec, team_id: str) -> tuple[list[Match], TeamBook]:
    """The records of the team that ``rec`` (just created by this push) may duplicate, the
    likeliest first, and the book of the push that holds them.

    Only the records sharing a blocking key with it are read (``dedupe_keys``), with the
    customers of the contacts among them; they stay in the book for the rest of the push, with
    the records it creates, so a push creating two alike records finds them too.
    """
    books: dict[str, TeamBook] = batch.__dict__.setdefault("_team_books", {})
    book = books.get(team_id)
    if book is None:
        customers = CustomerIndex()
        book = books[team_id] = TeamBook(customers, ContactIndex(customers), {}, {})
    members = _members(batch.directory, team_id)
    if rec.entity == "contact" and rec.data.get("customer_id"):
        _add_customers(batch, book, [str(rec.data["customer_id"])])
    if rec.entity == "customer":
        keys = keys_of("customer", rec.id, rec.data)
    else:
        company = book.customers.features.get(str(rec.data.get("customer_id") or ""))
        keys = list(
            dict.fromkeys(contact_keys(contact_features(contact_in(rec.id, rec.data), company)))
        )
    _add_records(batch, book, _candidates(batch.ws.conn, rec.entity, keys, members, rec.id))
    if rec.entity == "customer":
        matches = book.customers.check(customer_in(rec.id, rec.data))
        book.customers.add(customer_in(rec.id, rec.data))
    else:
        matches = book.contacts.check(contact_in(rec.id, rec.data))
        book.contacts.add(contact_in(rec.id, rec.data))
    book.owners[rec.id] = rec.scope_owner
    book.names[rec.id] = str(rec.data.get("name") or "")
    return matches, book


def recheck(batch: Batch, rec: Rec) -> int:
    """Check a record a push just created against the other scopes of its owner's team;
    raise the alerts for what matches. Returns how many suspects were found."""
    owner = rec.scope_owner
    team_id = batch.directory.team_of(owner)
    if team_id is None or rec.entity not in ("customer", "contact"):
        return 0
    matches, book = suspects(batch, rec, team_id)
    found = 0
    leads = sorted(
        m.id
        for m in batch.directory.members.values()
        if m.role == "lead" and m.team_id == team_id and m.active
    )
    for m in matches:
        other_owner = book.owners.get(m.id)
        if other_owner is None or other_owner == owner:
            continue  # the device saw that one itself
        found += 1
        pair = ":".join(sorted((rec.id, m.id)))
        why = Msg("；".join(r.zh for r in m.reasons), "; ".join(r.en for r in m.reasons))
        a, b = book.names.get(rec.id, ""), book.names.get(m.id, "")
        for lead in leads:
            raise_alert(
                batch.ws,
                kind=ALERT_KIND,
                owner=lead,
                record_id=rec.id,
                key=pair,
                message=Msg(
                    f"疑似重复:「{a}」与「{b}」({m.score:.0%})——{why.zh}",
                    f"Suspected duplicate: “{a}” and “{b}” ({m.score:.0%}): {why.en}",
                ),
            )
        for who, mine in ((owner, rec.id), (other_owner, m.id)):
            if who is None or who in leads:
                continue
            raise_alert(
                batch.ws,
                kind=ALERT_KIND,
                owner=who,
                record_id=mine,
                key=pair,
                message=Msg(
                    "「{n}」可能与同事的记录重复,已告知团队主管",
                    "“{n}” may duplicate a colleague's record; your team lead has been told",
                ).format(n=book.names.get(mine, "")),
            )
    return found


def scan_team(conn: Connection, team_id: str, kind: str) -> tuple[list[Group], TeamBook]:
    """Every suspect group of ``kind`` ("customers" or "contacts") in a team's data."""
    book = load_team(conn, Directory.load(conn), team_id)
    if kind == "customers":
        return book.customers.groups(book.contacts), book
    return book.contacts.groups(), book
