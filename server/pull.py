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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Engine,
    Select,
    Text,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    literal_column,
    select,
    true,
    tuple_,
)
from sqlalchemy.exc import DBAPIError

from server import auth, cache
from server.db import (
    PG_HORIZON,
    PURGED_SEQ,
    PURGED_XID,
    XID_COUNTER,
    is_postgres,
    read_tx,
    records,
    rule_sets,
    scope_changes,
    server_state,
    users,
)
from server.records import Viewer

_T = TypeVar("_T")

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


def _item_column(postgres: bool) -> Any:
    """A record as feed JSON, built by the database: the stored JSON text of the fields (and
    of what devices derive from them) is spliced in as it is, never decoded and encoded again."""

    def quoted(column: Any) -> Any:
        return cast(func.to_json(column), Text) if postgres else func.json_quote(column)

    def lit(value: str) -> Any:
        return literal(value, Text)

    head = (
        lit('{"entity":')
        + quoted(records.c.entity)
        + lit(',"id":')
        + quoted(records.c.id)
        + lit(',"version":')
        + cast(records.c.version, Text)
    )
    live = head + lit(',"deleted":false,"fields":') + records.c.data
    return case(
        # A merged customer's or contact's tombstone says where it went (``merged_into``).
        (
            and_(
                records.c.deleted,
                records.c.entity.in_(("customer", "contact")),
                records.c.data.like('%"merged_into":"%'),
            ),
            head + lit(',"deleted":true,"fields":') + records.c.data + lit("}"),
        ),
        (records.c.deleted, head + lit(',"deleted":true}')),
        (records.c.derived.is_(None), live + lit("}")),
        else_=live + lit(',"derived":') + records.c.derived + lit("}"),
    ).label("item")


@dataclass(frozen=True)
class _State:
    """What a pull reads before the feed, in its first statement (so in its snapshot)."""

    horizon: int
    purged: Cursor
    rules_version: int | None

    @classmethod
    def of(cls, row: Any) -> _State:
        return cls(
            int(row.horizon),
            Cursor(int(row.purged_xid or 0), int(row.purged_seq or 0)),
            None if row.rules_version is None else int(row.rules_version),
        )


def _state_value(key: str) -> Any:
    return select(server_state.c.value).where(server_state.c.key == key).scalar_subquery()


def _state_columns(postgres: bool) -> list[Any]:
    """Columns ``horizon``, ``purged_xid``, ``purged_seq`` and ``rules_version``, read by the
    first statement of the pull's transaction (alone or with the token check)."""
    if postgres:
        # Read in the pull's own snapshot: see server.db.PG_HORIZON and docs/SYNC.md.
        horizon: Any = literal_column(f"({PG_HORIZON})")
    else:
        horizon = _state_value(XID_COUNTER) + 1
    return [
        horizon.label("horizon"),
        _state_value(PURGED_XID).label("purged_xid"),
        _state_value(PURGED_SEQ).label("purged_seq"),
        select(func.max(rule_sets.c.version)).scalar_subquery().label("rules_version"),
    ]


# Statements built once (per dialect where they differ): a pull only binds values to them.
_STATE = {pg: select(*_state_columns(pg)) for pg in (True, False)}
_TOKEN_AND_STATE = {pg: auth.token_query(*_state_columns(pg)) for pg in (True, False)}
_AFTER = (bindparam("after_xid", type_=BigInteger), bindparam("after_seq", type_=BigInteger))


def _rows(postgres: bool, scope: ColumnElement[bool] | None) -> Select[Any]:
    page = (
        select(records.c.id)
        .where(
            tuple_(records.c.xid, records.c.seq) > tuple_(*_AFTER),
            records.c.xid < bindparam("horizon", type_=BigInteger),
        )
        .order_by(records.c.xid, records.c.seq)
        .limit(bindparam("limit"))
        .correlate(None)
    )
    if scope is not None:
        page = page.where(scope)
    # The page's ids are chosen first and only they are turned into feed JSON: a team's
    # rows come from several owners' index ranges and are sorted, and the sort would
    # otherwise carry every remaining row's text, not just the page's.
    return (
        select(_item_column(postgres), records.c.xid, records.c.seq)
        .where(records.c.id.in_(page.scalar_subquery()))
        .order_by(records.c.xid, records.c.seq)
    )


_TEAM = select(users.c.id).where(users.c.team_id == bindparam("team")).scalar_subquery()
_ROWS_BY_SCOPE: dict[tuple[bool, str], Select[Any]] = {}
for _pg in (True, False):
    _ROWS_BY_SCOPE[_pg, "all"] = _rows(_pg, None)
    _ROWS_BY_SCOPE[_pg, "team"] = _rows(_pg, records.c.scope_owner.in_(_TEAM))
    _ROWS_BY_SCOPE[_pg, "own"] = _rows(_pg, records.c.scope_owner == bindparam("viewer"))
_NOTICES = (
    select(scope_changes)
    .where(
        scope_changes.c.user_id == bindparam("viewer"),
        tuple_(scope_changes.c.xid, scope_changes.c.seq) > tuple_(*_AFTER),
        scope_changes.c.xid < bindparam("horizon", type_=BigInteger),
    )
    .order_by(scope_changes.c.xid, scope_changes.c.seq)
    .limit(bindparam("limit"))
)


def _scope_kind(viewer: Viewer) -> str:
    """Which of the feed statements :func:`scope_clause` corresponds to."""
    if viewer.role == "admin":
        return "all"
    if viewer.role == "lead" and viewer.team_id is not None:
        return "team"
    return "own"


def pull(engine: Engine, viewer: Viewer, cursor: Cursor | None, limit: int) -> dict[str, Any]:
    """One page of the feed after ``cursor``; the dict's ``changes`` holds JSON texts."""
    return _read(engine, lambda conn: pull_in(conn, viewer, cursor, limit))


def _read(engine: Engine, work: Callable[[Connection], _T]) -> _T:
    """Run a read-only transaction, once more if the connection turned out to be broken."""
    for attempt in range(2):
        try:
            with read_tx(engine) as conn:
                return work(conn)
        except DBAPIError as exc:
            if attempt or not exc.connection_invalidated:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def pull_json(engine: Engine, access_token: str, cursor: str | None, limit: int) -> str:
    """:func:`pull` for the HTTP API: the token is checked in the pull's first statement, which
    also reads the horizon and the other state, and only then the cursor (text as sent); the
    answer is the response body.

    Raises :class:`server.auth.AuthError` for a refused token, then :class:`BadCursor` or
    :class:`ResyncRequired`.
    """

    def work(conn: Connection) -> dict[str, Any]:
        row = auth.authenticate_in(conn, access_token, _TOKEN_AND_STATE[is_postgres(conn)])
        start = Cursor.parse(cursor)
        return _page(conn, auth.viewer_of(row), start, limit, _State.of(row))

    page = _read(engine, work)
    return (
        '{"changes":['
        + ",".join(page["changes"])
        + '],"cursor":'
        + json.dumps(page["cursor"])
        + ',"more":'
        + ("true" if page["more"] else "false")
        + ',"rules_version":'
        + str(page["rules_version"])
        + "}"
    )


def pull_in(conn: Connection, viewer: Viewer, cursor: Cursor | None, limit: int) -> dict[str, Any]:
    """:func:`pull` inside the caller's (snapshot) transaction."""
    state = _State.of(conn.execute(_STATE[is_postgres(conn)]).one())
    return _page(conn, viewer, cursor, limit, state)


def _page(
    conn: Connection, viewer: Viewer, cursor: Cursor | None, limit: int, state: _State
) -> dict[str, Any]:
    horizon = state.horizon
    if cursor is not None and cursor < state.purged:
        raise ResyncRequired
    start = cursor or Cursor(0, 0)
    params = {
        "after_xid": start.xid,
        "after_seq": start.seq,
        "horizon": horizon,
        "limit": limit,
        "viewer": viewer.id,
        "team": viewer.team_id,
    }
    postgres = is_postgres(conn)
    rows = conn.execute(_ROWS_BY_SCOPE[postgres, _scope_kind(viewer)], params).all()
    notices = conn.execute(_NOTICES, params).all()
    # Both lists come sorted by position; positions are unique across them.
    merged: list[tuple[int, int, bool, Any]] = [(r.xid, r.seq, True, r) for r in rows]
    if notices:
        merged = sorted(
            merged + [(n.xid, n.seq, False, n) for n in notices], key=lambda t: (t[0], t[1])
        )
    page = merged[:limit]
    added_ids = [n.record_id for _, _, is_row, n in page if not is_row and n.kind == "add"]
    added: dict[str, Any] = {}
    if added_ids:
        for r in conn.execute(
            select(records.c.id, _item_column(postgres)).where(
                and_(
                    records.c.id.in_(added_ids), scope_clause(viewer), records.c.deleted.is_(False)
                )
            )
        ):
            added[r.id] = r.item
    changes: list[str] = []
    for _, _, is_row, item in page:
        if is_row:
            changes.append(item.item)
        elif item.kind == "remove":
            changes.append(
                json.dumps({"entity": item.entity, "id": item.record_id, "removed": True})
            )
        elif item.record_id in added:
            changes.append(added[item.record_id])
    more = len(merged) > limit or len(rows) == limit or len(notices) == limit
    if page and more:
        next_cursor = Cursor(page[-1][0], page[-1][1])
    else:
        # Everything in scope below the horizon has been sent: jump to it so the next pull
        # does not rescan other users' changes.
        last = Cursor(page[-1][0], page[-1][1]) if page else start
        next_cursor = max(last, Cursor(horizon, 0))
    more = more and bool(page)
    return {
        "changes": changes,
        "cursor": str(next_cursor),
        "more": more,
        "rules_version": cache.rules(conn, state.rules_version).version,
    }
