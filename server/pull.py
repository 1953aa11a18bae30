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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

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
    union_all,
)
from sqlalchemy.exc import DBAPIError
from sqlcipher3 import dbapi2 as sqlcipher

from app.domain.bulk import without_cycle_collector
from app.domain.schema import ENTITIES
from app.sync.pack import PackWriter
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
    postgres = is_postgres(conn)
    page = _positions(
        conn, viewer, cursor, limit, state, _ROWS_BY_SCOPE[postgres, _scope_kind(viewer)]
    )
    changes: list[str] = []
    for is_row, item in page.entries():
        if is_row:
            changes.append(item.item)
        else:
            text = page.notice_item(item)
            if text is not None:
                changes.append(text)
    return {
        "changes": changes,
        "cursor": str(page.cursor),
        "more": page.more,
        "rules_version": page.rules_version,
    }


@dataclass
class _Positions:
    """A page of the feed before it is written out: its rows and scope notices, each list in
    feed order."""

    rows: Sequence[Any]
    notices: Sequence[Any]
    added: dict[str, str]
    cursor: Cursor
    more: bool
    rules_version: int

    def entries(self) -> Iterator[tuple[bool, Any]]:
        """Rows (True) and notices (False) merged in feed order."""
        if not self.notices:
            return ((True, r) for r in self.rows)
        merged = [(r.xid, r.seq, True, r) for r in self.rows]
        merged += [(n.xid, n.seq, False, n) for n in self.notices]
        merged.sort(key=lambda t: (t[0], t[1]))
        return ((is_row, item) for _, _, is_row, item in merged)

    def notice_item(self, notice: Any) -> str | None:
        """A scope notice's feed item: a removal, or the record that entered the scope (None
        when it has gone again)."""
        if notice.kind == "remove":
            return json.dumps({"entity": notice.entity, "id": notice.record_id, "removed": True})
        return self.added.get(notice.record_id)


def _positions(
    conn: Connection,
    viewer: Viewer,
    cursor: Cursor | None,
    limit: int,
    state: _State,
    statement: Select[Any],
    read: Callable[[Select[Any], dict[str, Any]], Sequence[Any]] | None = None,
) -> _Positions:
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
    # ``read`` reads the rows another way (into a pack writer, see pack()).
    rows = conn.execute(statement, params).all() if read is None else read(statement, params)
    notices = conn.execute(_NOTICES, params).all()
    # Either list may hold the whole page: there is more when either is full, or when the
    # two together hold more than a page.
    more = len(rows) == limit or len(notices) == limit or len(rows) + len(notices) > limit
    # Both lists come sorted by position and positions are unique across them: the page is
    # the first ``limit`` of the two merged (when there are notices: most pages have none).
    if notices:
        merged = sorted(
            [(r.xid, r.seq, True) for r in rows] + [(n.xid, n.seq, False) for n in notices]
        )[:limit]
        n_rows = sum(1 for m in merged if m[2])
        rows, notices = rows[:n_rows], notices[: len(merged) - n_rows]
        last = merged[-1][:2] if merged else None
    else:
        rows = rows[:limit]
        last = (rows[-1].xid, rows[-1].seq) if rows else None
    added_ids = [n.record_id for n in notices if n.kind == "add"]
    added: dict[str, str] = {}
    if added_ids:
        for r in conn.execute(
            select(records.c.id, _item_column(postgres)).where(
                and_(
                    records.c.id.in_(added_ids), scope_clause(viewer), records.c.deleted.is_(False)
                )
            )
        ):
            added[r.id] = r.item
    more = more and last is not None
    if last is not None and more:
        next_cursor = Cursor(*last)
    else:
        # Everything in scope below the horizon has been sent: jump to it so the next pull
        # does not rescan other users' changes.
        next_cursor = max(Cursor(*last) if last else start, Cursor(horizon, 0))
    return _Positions(
        rows,
        notices,
        added,
        next_cursor,
        more,
        cache.rules(conn, state.rules_version).version,
    )


# ---- the same feed as packs (app.sync.pack) ------------------------------------------------
_PACKED = tuple(ENTITIES)


def _pack_columns(postgres: bool) -> list[Any]:
    live = and_(records.c.deleted.is_(False), records.c.entity.in_(_PACKED))
    return [
        records.c.id,
        records.c.entity,
        records.c.version,
        records.c.data,
        records.c.derived,
        # Only what a pack does not lay out comes as a feed item, built as the JSON feed
        # builds it.
        case((live, None), else_=_item_column(postgres)).label("item"),
        records.c.xid,
        records.c.seq,
    ]


def _pack_branch(postgres: bool, owner: Any) -> Select[Any]:
    """Rows after the cursor, in position order: of one scope owner, or of all."""
    rows = select(*_pack_columns(postgres)).where(
        tuple_(records.c.xid, records.c.seq) > tuple_(*_AFTER),
        records.c.xid < bindparam("horizon", type_=BigInteger),
    )
    return rows if owner is None else rows.where(records.c.scope_owner == owner)


# A team has more than one scope owner; their rows are merged from one ordered range each.
_MAX_MERGED_OWNERS = 100


def _pack_rows(conn: Connection, viewer: Viewer) -> Select[Any]:
    """The page's rows with what a pack needs of them. Every statement reads the rows in
    position order from an index and stops at the limit: a team's are merged from one range
    per member, so a page costs its own size, not the rest of the team's."""
    postgres = is_postgres(conn)
    kind = _scope_kind(viewer)
    if kind == "team":
        members = conn.execute(select(users.c.id).where(users.c.team_id == viewer.team_id))
        owners = [m.id for m in members]
        if 1 < len(owners) <= _MAX_MERGED_OWNERS:
            merged = union_all(*(_pack_branch(postgres, literal(o)) for o in owners))
            return merged.order_by(literal_column("xid"), literal_column("seq")).limit(  # type: ignore[return-value]
                bindparam("limit")
            )
        rows = _pack_branch(postgres, None).where(records.c.scope_owner.in_(owners or [""]))
    elif kind == "own":
        rows = _pack_branch(postgres, bindparam("viewer"))
    else:
        rows = _pack_branch(postgres, None)
    return rows.order_by(records.c.xid, records.c.seq).limit(bindparam("limit"))


def pack(
    engine: Engine, viewer: Viewer, cursor: Cursor | None, limit: int, key: bytes, path: Path
) -> dict[str, Any]:
    """:func:`pull` as a pack written to ``path``; returns the page's ``cursor`` and ``more``,
    the count of ``records`` laid out, and the ``viewer`` whose scope it holds: the user as
    they are in the pack's own transaction (their role or team may have changed since
    ``viewer`` was read).

    On SQLite the page's rows go from the database file into the pack inside SQLite (see
    :meth:`PackWriter.stage_query`), in a read of their own. It holds the same rows as one in
    the page's transaction would: below the page's horizon every change is committed, and a
    record changed since has moved past the horizon, where the next pages carry it."""
    source = _sqlite_file(engine)
    writer = PackWriter(path, key, extra=("xid", "seq"))
    read = None
    if source is not None:

        def read(statement: Select[Any], params: dict[str, Any]) -> list[_Staged]:
            # The statement as SQL text with its parameters in order, list parameters expanded.
            sql = statement.compile(dialect=engine.dialect).construct_expanded_state(params)
            staged = writer.stage_query(source, sql.statement, sql.positional_parameters)
            return [_Staged(*r) for r in staged]

    def work(conn: Connection) -> tuple[_Positions, Viewer]:
        state = _State.of(conn.execute(_STATE[is_postgres(conn)]).one())
        row = conn.execute(
            select(
                users.c.id, users.c.name, users.c.display_name, users.c.role, users.c.team_id
            ).where(users.c.id == viewer.id)
        ).one()
        now = Viewer(row.id, row.name, row.display_name, row.role, row.team_id)
        return _positions(conn, now, cursor, limit, state, _pack_rows(conn, now), read), now

    try:
        # A page is a hundred thousand rows of new objects, none in a cycle: without the cycle
        # collector their number does not set off collections of the server's whole heap.
        with without_cycle_collector():
            page, now = _read(engine, work)
            laid = _write_pack(writer, page, staged=source is not None)
    except BaseException:
        writer.close()
        raise
    return {"cursor": str(page.cursor), "more": page.more, "records": laid, "viewer": now}


class _Staged(NamedTuple):
    """A row of a page staged in the pack writer: what the page's positions need of it."""

    item: str | None
    xid: int
    seq: int


def _sqlite_file(engine: Engine) -> Path | None:
    """The file of a SQLite database, which a pack writer reads from SQLite itself; None
    for any other database, and for one opened through another copy of SQLite than the
    writers' (see server.db.make_engine)."""
    url = engine.url
    name = url.database
    if url.get_backend_name() != "sqlite" or not name or name == ":memory:":
        return None
    if engine.dialect.dbapi is not sqlcipher:
        return None
    if name.startswith("file:") or not Path(name).is_file():
        return None
    return Path(name).resolve()


def _write_pack(writer: PackWriter, page: _Positions, *, staged: bool) -> int:
    # Written once the read transaction has ended: the file is this request's own work.
    if staged:
        writer.keep(len(page.rows))  # the rows read by _positions, already in the writer
    else:
        writer.add_rows(page.rows)  # laid out in STAGED order by _pack_columns
    for notice in page.notices:
        text = page.notice_item(notice)
        if text is not None:
            writer.add_item(text)
    writer.finish(
        {
            "cursor": str(page.cursor),
            "more": "1" if page.more else "0",
            "rules_version": str(page.rules_version),
        }
    )
    return writer.records
