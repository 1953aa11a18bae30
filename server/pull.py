"""The scoped change feed (SPEC S2, S4).

A cursor is the position ``(xid, seq)`` of the last change a device has received. A pull returns,
in position order and below the safe horizon (:func:`server.db.safe_horizon`):

* the current state of every record in the user's scope that changed after the cursor
  (``deleted`` marks a tombstone);
* ``removed`` notices for records that left the user's scope (reassignment, team change);
* records that entered the scope without changing themselves (``add`` notices).

Changes are compacted: a record changed ten times since the cursor arrives once, as it is now.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, and_, select, true, tuple_

from server.admin import current_rules
from server.db import (
    PURGED_SEQ,
    PURGED_XID,
    read_tx,
    records,
    safe_horizon,
    scope_changes,
    state_value,
    users,
)
from server.records import Viewer

_CURSOR = re.compile(r"^(\d{1,19})\.(\d{1,19})$")


class BadCursor(ValueError):
    """The cursor is not one the server handed out."""


class ResyncRequired(Exception):
    """The cursor predates purged tombstones: the device must start again from scratch."""


@dataclass(frozen=True, order=True)
class Cursor:
    xid: int
    seq: int

    def __str__(self) -> str:
        return f"{self.xid}.{self.seq}"

    @classmethod
    def parse(cls, text: str | None) -> Cursor | None:
        if text is None or text == "":
            return None
        m = _CURSOR.match(text)
        if m is None or int(m[1]) >= 2**63 or int(m[2]) >= 2**63:
            raise BadCursor(text)
        return cls(int(m[1]), int(m[2]))


def scope_clause(viewer: Viewer) -> ColumnElement[bool]:
    """SQL condition: the record's scope owner is someone ``viewer`` may see."""
    if viewer.role == "admin":
        return true()
    if viewer.role == "lead" and viewer.team_id is not None:
        team = select(users.c.id).where(users.c.team_id == viewer.team_id).scalar_subquery()
        return records.c.scope_owner.in_(team)
    return records.c.scope_owner == viewer.id


def _item(row: Any) -> str:
    """A record as feed JSON, splicing the stored JSON text in rather than re-encoding it."""
    head = json.dumps(
        {"entity": row.entity, "id": row.id, "version": row.version, "deleted": bool(row.deleted)},
        ensure_ascii=False,
    )
    if row.deleted:
        return head
    return f'{head[:-1]}, "fields": {row.data}}}'


def pull(engine: Engine, viewer: Viewer, cursor: Cursor | None, limit: int) -> dict[str, Any]:
    """One page of the feed after ``cursor``; the dict's ``changes`` holds JSON texts."""
    with read_tx(engine) as conn:
        return pull_in(conn, viewer, cursor, limit)


def pull_in(conn: Connection, viewer: Viewer, cursor: Cursor | None, limit: int) -> dict[str, Any]:
    """:func:`pull` inside the caller's (snapshot) transaction."""
    horizon = safe_horizon(conn)
    purged = Cursor(state_value(conn, PURGED_XID), state_value(conn, PURGED_SEQ))
    if cursor is not None and cursor < purged:
        raise ResyncRequired
    start = cursor or Cursor(0, 0)
    after = tuple_(records.c.xid, records.c.seq) > tuple_(start.xid, start.seq)
    rows = conn.execute(
        select(
            records.c.id,
            records.c.entity,
            records.c.version,
            records.c.deleted,
            records.c.data,
            records.c.xid,
            records.c.seq,
        )
        .where(after, records.c.xid < horizon, scope_clause(viewer))
        .order_by(records.c.xid, records.c.seq)
        .limit(limit)
    ).all()
    notices = conn.execute(
        select(scope_changes)
        .where(
            scope_changes.c.user_id == viewer.id,
            tuple_(scope_changes.c.xid, scope_changes.c.seq) > tuple_(start.xid, start.seq),
            scope_changes.c.xid < horizon,
        )
        .order_by(scope_changes.c.xid, scope_changes.c.seq)
        .limit(limit)
    ).all()
    merged = sorted(
        [(Cursor(r.xid, r.seq), "row", r) for r in rows]
        + [(Cursor(n.xid, n.seq), "notice", n) for n in notices],
        key=lambda t: t[0],
    )
    page = merged[:limit]
    added_ids = [n.record_id for _, kind, n in page if kind == "notice" and n.kind == "add"]
    added: dict[str, Any] = {}
    if added_ids:
        for r in conn.execute(
            select(
                records.c.id, records.c.entity, records.c.version, records.c.deleted, records.c.data
            ).where(
                and_(
                    records.c.id.in_(added_ids), scope_clause(viewer), records.c.deleted.is_(False)
                )
            )
        ):
            added[r.id] = r
    changes: list[str] = []
    for _, kind, item in page:
        if kind == "row":
            changes.append(_item(item))
        elif item.kind == "remove":
            changes.append(
                json.dumps({"entity": item.entity, "id": item.record_id, "removed": True})
            )
        elif item.record_id in added:
            changes.append(_item(added[item.record_id]))
    more = len(merged) > limit or len(rows) == limit or len(notices) == limit
    if page and more:
        next_cursor = page[-1][0]
    else:
        # Everything in scope below the horizon has been sent: jump to it so the next pull
        # does not rescan other users' changes.
        next_cursor = max(page[-1][0] if page else start, Cursor(horizon, 0))
    more = more and bool(page)
    return {
        "changes": changes,
        "cursor": str(next_cursor),
        "more": more,
        "rules_version": current_rules(conn).version,
    }
