"""The server's duplicate check (SPEC C1): what devices cannot see, the server can.

A device checks a new customer or contact against its own copy, which holds only its user's
scope. When a push creates one, the server checks it again against the rest of the team: a
match in another rep's scope is accepted all the same (offline work is never thrown away) and
becomes a duplicate suspect for the team lead, an alert synced to the lead's devices; both
owners are told, without either learning the other's record. ``fieldcrm-server duplicates``
scans a whole team with the same matcher.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from app.domain.dedupe import ContactIn, ContactIndex, CustomerIn, CustomerIndex, Group
from app.domain.messages import Msg
from server.db import fields_of, records
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


def customer_in(rid: str, data: dict[str, Any]) -> CustomerIn:
    return CustomerIn(
        rid,
        str(data.get("name") or ""),
        credit_code=data.get("credit_code"),
        phone=data.get("phone"),
        email=data.get("email"),
        website=data.get("website"),
    )


def contact_in(rid: str, data: dict[str, Any]) -> ContactIn:
    return ContactIn(
        rid,
        data.get("customer_id"),
        str(data.get("name") or ""),
        mobile=data.get("mobile"),
        phone=data.get("phone"),
        email=data.get("email"),
        wechat=data.get("wechat"),
    )


def recheck(batch: Batch, rec: Rec) -> int:
    """Check a record a push just created against the other scopes of its owner's team;
    raise the alerts for what matches. Returns how many suspects were found."""
    owner = rec.scope_owner
    team_id = batch.directory.team_of(owner)
    if team_id is None or rec.entity not in ("customer", "contact"):
        return 0
    # One push may create many records: the team is read once per push.
    books: dict[str, TeamBook] = batch.__dict__.setdefault("_team_books", {})
    book = books.get(team_id)
    if book is None:
        book = books[team_id] = load_team(batch.ws.conn, batch.directory, team_id)
    if rec.entity == "customer":
        matches = book.customers.check(customer_in(rec.id, rec.data))
        book.customers.add(customer_in(rec.id, rec.data))
    else:
        matches = book.contacts.check(contact_in(rec.id, rec.data))
        book.contacts.add(contact_in(rec.id, rec.data))
    book.owners[rec.id] = owner
    book.names[rec.id] = str(rec.data.get("name") or "")
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
