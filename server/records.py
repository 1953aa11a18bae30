"""Synced records on the server and the unit of work that changes them.

A :class:`Workspace` loads the rows one request touches (locked for update), lets the caller
change them in memory, then writes everything in one go with fresh change positions. Push,
reassignment and team changes all go through it, so every write gets the same bookkeeping:
record version, per-field versions, the server's audit chain, and scope-change notices.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, bindparam, select, text, update
from sqlalchemy.exc import DBAPIError

from app.domain.audit import GENESIS, entry_hash
from app.domain.derived import SEARCHED_FIELDS, derive
from server import dedupe_keys
from server.db import Positions, audit, dumps, is_postgres, loads, records, scope_changes, users
from server.dedupe_keys import ENTITIES as DEDUPE_ENTITIES

ROLES = ("rep", "lead", "admin", "csm")


def iso(ts: float) -> str:
    """Server time as an ISO string (UTC, seconds)."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Member:
    """A user as the scope rules see them."""

    id: str
    name: str
    role: str
    team_id: str | None
    active: bool


@dataclass(frozen=True)
class Viewer:
    """The signed-in user a request acts for."""

    id: str
    name: str
    display_name: str
    role: str
    team_id: str | None


class Directory:
    """Users by id, with the visibility rule of SPEC S4 / issue "authorisation".

    A rep (and a customer-success manager) sees the records they own; a team lead sees the
    records owned by anyone in their team; an admin sees everything.
    """

    def __init__(self, members: Iterable[Member]) -> None:
        self.members = {m.id: m for m in members}

    @classmethod
    def load(cls, conn: Connection) -> Directory:
        rows = conn.execute(
            select(users.c.id, users.c.name, users.c.role, users.c.team_id, users.c.active)
        )
        return cls(Member(r.id, r.name, r.role, r.team_id, bool(r.active)) for r in rows)

    def team_of(self, user_id: str | None) -> str | None:
        m = self.members.get(user_id or "")
        return m.team_id if m else None

    def can_see(self, viewer: Viewer, owner: str | None) -> bool:
        """Whether ``viewer`` may see (and edit) records whose scope owner is ``owner``."""
        if viewer.role == "admin":
            return True
        if owner is None:
            return False
        if owner == viewer.id:
            return True
        return (
            viewer.role == "lead"
            and viewer.team_id is not None
            and self.team_of(owner) == viewer.team_id
        )

    def can_assign_to(self, viewer: Viewer, owner: str) -> bool:
        """Whether ``viewer`` may make ``owner`` the owner of a customer or lead."""
        m = self.members.get(owner)
        if m is None or not m.active:
            return False
        if viewer.role == "admin":
            return True
        if viewer.role == "lead":
            return viewer.team_id is not None and m.team_id == viewer.team_id
        return owner == viewer.id

    def watchers(self, owner: str | None) -> set[str]:
        """Non-admin users who see records owned by ``owner`` (admins always see them)."""
        if owner is None or owner not in self.members:
            return set()
        team = self.team_of(owner)
        seen = {owner}
        if team is not None:
            seen |= {m.id for m in self.members.values() if m.role == "lead" and m.team_id == team}
        return {u for u in seen if self.members[u].role != "admin"}


@dataclass
class Rec:
    """One synced record as stored: values, per-field versions and scope columns."""

    id: str
    entity: str
    data: dict[str, Any]
    field_versions: dict[str, int]
    version: int
    customer_id: str | None
    deal_id: str | None = None
    blob_sha256: str | None = None
    scope_owner: str | None = None
    deleted: bool = False
    deleted_at: float | None = None
    audit_head: str | None = None
    created_at: float = 0.0
    updated_at: float = 0.0
    is_new: bool = False
    dirty: bool = False
    # ``derived`` computed ahead of :meth:`Workspace.flush`, with the values it was made from.
    derived_memo: tuple[tuple[Any, ...], str | None] | None = field(default=None, compare=False)

    def view(self) -> dict[str, Any]:
        """The record as a client receives it, as it is now (later changes do not show)."""
        if self.deleted:
            return {"entity": self.entity, "id": self.id, "version": self.version, "deleted": True}
        return {
            "entity": self.entity,
            "id": self.id,
            "version": self.version,
            "deleted": False,
            "fields": dict(self.data),
        }


_COLUMNS = (
    records.c.id,
    records.c.entity,
    records.c.data,
    records.c.field_versions,
    records.c.version,
    records.c.customer_id,
    records.c.deal_id,
    records.c.blob_sha256,
    records.c.scope_owner,
    records.c.deleted,
    records.c.deleted_at,
    records.c.audit_head,
    records.c.created_at,
    records.c.updated_at,
)


_COLUMN_LIST = ", ".join(c.name for c in _COLUMNS)
# PostgreSQL: the records asked for and their parents, locked in one id-ordered statement.
_PG_LOCK_WITH_PARENTS = text(
    f"SELECT {_COLUMN_LIST} FROM records WHERE id = ANY("
    "CAST(:ids AS text[]) || ARRAY("
    "SELECT customer_id::text FROM records WHERE id = ANY(CAST(:ids AS text[])) "
    "UNION SELECT deal_id::text FROM records WHERE id = ANY(CAST(:ids AS text[]))"
    ")) ORDER BY id FOR UPDATE"
)

# PostgreSQL writes go through the driver in one pipeline (one round trip), each table's rows
# as one JSON value; positions are taken by the statements themselves.
_PG_XID = "pg_current_xact_id()::text::bigint"
_PG_SEQ = "nextval('change_seq')"
_REC_VALUES = (
    "customer_id",
    "deal_id",
    "blob_sha256",
    "scope_owner",
    "data",
    "derived",
    "field_versions",
    "version",
    "deleted",
    "deleted_at",
    "audit_head",
    "updated_at",
)


def _q(name: str) -> str:
    return '"' + name + '"'


def _pg_insert(
    table: str, columns: Iterable[str], computed: Mapping[str, str] | None = None
) -> str:
    """INSERT of the rows passed as one JSON array (``json_populate_recordset``): one bound
    value per statement, however many rows, so the driver has no per-row work to do."""
    computed = computed or {}
    names = ", ".join(_q(c) for c in [*columns, *computed])
    values = ", ".join([_q(c) for c in columns] + list(computed.values()))
    return (
        f"INSERT INTO {table} ({names}) SELECT {values} "
        f"FROM json_populate_recordset(NULL::{table}, CAST(%s AS json))"
    )


_PG_POSITION = {"xid": _PG_XID, "seq": _PG_SEQ}
_PG_INSERT_RECORD = _pg_insert(
    "records", ("id", "entity", "created_at", *_REC_VALUES), _PG_POSITION
)
_PG_UPDATE_RECORD = (
    "UPDATE records SET "
    + ", ".join(
        [f"{_q(c)} = v.{_q(c)}" for c in _REC_VALUES] + [f"xid = {_PG_XID}", f"seq = {_PG_SEQ}"]
    )
    + " FROM json_populate_recordset(NULL::records, CAST(%s AS json)) AS v"
    # The id list lets the planner find the rows by primary key rather than scan the table.
    + " WHERE records.id = v.id AND records.id = ANY(CAST(%s AS text[]))"
)
_PG_INSERT_NOTICE = _pg_insert(
    "scope_changes", ("user_id", "record_id", "entity", "kind", "created_at"), _PG_POSITION
)


def derived_json(entity: str, data: Mapping[str, Any], deleted: bool) -> str | None:
    """The ``derived`` column of a record: what devices would derive from ``data``."""
    derived = None if deleted else derive(entity, data)
    return None if derived is None else dumps(derived)


def _derived_inputs(rec: Rec) -> tuple[Any, ...]:
    """The values a record's ``derived`` column depends on."""
    fields = sorted(SEARCHED_FIELDS.get(rec.entity, frozenset()) | {"name"})
    return (rec.deleted, *(rec.data.get(f) for f in fields))


def derived_memo(entity: str, data: Mapping[str, Any]) -> tuple[tuple[Any, ...], str | None]:
    """A new record's ``derived`` column computed ahead, for :attr:`Rec.derived_memo`."""
    rec = Rec(id="", entity=entity, data=dict(data), field_versions={}, version=0, customer_id=None)
    return _derived_inputs(rec), derived_json(entity, data, False)


def _derived_of(rec: Rec) -> str | None:
    memo = rec.derived_memo
    if memo is not None and memo[0] == _derived_inputs(rec):
        return memo[1]
    return derived_json(rec.entity, rec.data, rec.deleted)


def _rec(row: Any) -> Rec:
    return Rec(
        id=row.id,
        entity=row.entity,
        data=loads(row.data),
        field_versions=loads(row.field_versions),
        version=row.version,
        customer_id=row.customer_id,
        deal_id=row.deal_id,
        blob_sha256=row.blob_sha256,
        scope_owner=row.scope_owner,
        deleted=bool(row.deleted),
        deleted_at=row.deleted_at,
        audit_head=row.audit_head,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


@dataclass
class Workspace:
    """The records of one write transaction and the writes waiting to be flushed."""

    conn: Connection
    now: float
    directory: Directory
    recs: dict[str, Rec] = field(default_factory=dict)
    _audit: list[dict[str, Any]] = field(default_factory=list)
    _scope: list[dict[str, Any]] = field(default_factory=list)
    _extra_dirty: set[str] = field(default_factory=set)
    _rows: list[tuple[Table, list[dict[str, Any]]]] = field(default_factory=list)
    _stamp: tuple[float, str] | None = None

    @property
    def stamp(self) -> str:
        if self._stamp is None or self._stamp[0] != self.now:
            self._stamp = (self.now, iso(self.now))
        return self._stamp[1]

    def peek(self, ids: Iterable[str]) -> dict[str, tuple[str | None, str | None]]:
        """Parents (customer id, deal id) of existing records, read without locking."""
        wanted = sorted(set(ids) - set(self.recs))
        out: dict[str, tuple[str | None, str | None]] = {}
        for chunk in _chunks(wanted):
            rows = self.conn.execute(
                select(records.c.id, records.c.customer_id, records.c.deal_id).where(
                    records.c.id.in_(chunk)
                )
            )
            out.update({r.id: (r.customer_id, r.deal_id) for r in rows})
        return out

    def load(self, ids: Iterable[str], *, lock: bool = True) -> None:
        """Read records into the workspace, locking them in id order (no deadlock cycles)."""
        wanted = sorted(set(ids) - set(self.recs))
        for chunk in _chunks(wanted):
            q = select(*_COLUMNS).where(records.c.id.in_(chunk)).order_by(records.c.id)
            if lock:
                q = q.with_for_update()
            for row in self.conn.execute(q):
                self.recs[row.id] = _rec(row)

    def lock_with_parents(self, ids: Iterable[str]) -> None:
        """Load and lock records and their parents (customer, deal) in one id-ordered sweep."""
        wanted = sorted(set(ids) - set(self.recs))
        if not wanted:
            return
        if not is_postgres(self.conn):
            parents = self.peek(wanted)
            more = {x for pair in parents.values() for x in pair if x}
            self.load([*wanted, *more])
            return
        for chunk in _chunks(wanted):
            for row in self.conn.execute(_PG_LOCK_WITH_PARENTS, {"ids": chunk}):
                self.recs.setdefault(row.id, _rec(row))

    def load_where(self, *conditions: Any, lock: bool = True) -> list[Rec]:
        """Load every record matching ``conditions`` (e.g. all rows of one customer)."""
        q = select(*_COLUMNS).where(*conditions).order_by(records.c.id)
        if lock:
            q = q.with_for_update()
        out = []
        for row in self.conn.execute(q):
            rec = self.recs.setdefault(row.id, _rec(row))
            out.append(rec)
        return out

    def get(self, record_id: str | None) -> Rec | None:
        return self.recs.get(record_id or "")

    def create(
        self,
        entity_name: str,
        record_id: str,
        values: Mapping[str, Any],
        *,
        customer_id: str | None,
        scope_owner: str | None,
        actor: str,
        device: str,
        op_id: str | None,
        audited: bool = True,
    ) -> Rec:
        """A new record at version 1, audited as one entry holding every value."""
        data = dict(values)
        rec = Rec(
            id=record_id,
            entity=entity_name,
            data=data,
            field_versions=dict.fromkeys(data, 1),
            version=1,
            customer_id=customer_id,
            deal_id=data.get("deal_id"),
            scope_owner=scope_owner,
            blob_sha256=data.get("sha256") if entity_name == "attachment" else None,
            created_at=self.now,
            updated_at=self.now,
            is_new=True,
            dirty=True,
        )
        self.recs[record_id] = rec
        if audited:
            self._audit_entry(rec, "*created", None, data, actor, device, op_id)
        return rec

    def change(
        self,
        rec: Rec,
        changes: Mapping[str, Any],
        *,
        actor: str,
        device: str,
        op_id: str | None,
    ) -> None:
        """Apply field values as one new version of the record."""
        real = {k: v for k, v in changes.items() if rec.data.get(k) != v}
        if not real:
            return
        rec.version += 1
        # One audit entry per change (field names joined, old and new values as objects)
        # keeps the chain short while still recording who changed what, from what, to what.
        self._audit_entry(
            rec,
            ",".join(sorted(real)),
            {k: rec.data.get(k) for k in real},
            real,
            actor,
            device,
            op_id,
        )
        for name, value in real.items():
            rec.data[name] = value
            rec.field_versions[name] = rec.version
        rec.updated_at = self.now
        rec.dirty = True

    def tombstone(self, rec: Rec, *, actor: str, device: str, op_id: str | None) -> None:
        rec.version += 1
        rec.deleted = True
        rec.deleted_at = self.now
        rec.updated_at = self.now
        rec.dirty = True
        self._audit_entry(rec, "*deleted", False, True, actor, device, op_id)

    def rescope(self, rec: Rec, owner: str | None) -> None:
        """Move a record to another scope owner and tell users who lose sight of it."""
        if rec.scope_owner == owner:
            return
        lost = self.directory.watchers(rec.scope_owner) - self.directory.watchers(owner)
        for user_id in sorted(lost):
            self.notice(user_id, rec.id, rec.entity, "remove")
        rec.scope_owner = owner
        rec.dirty = True

    def prederive(self, rec: Rec) -> None:
        """Compute the record's ``derived`` column now rather than in :meth:`flush` (the
        text work, pinyin above all, then stays out of a lock held until the commit)."""
        rec.derived_memo = (
            _derived_inputs(rec),
            derived_json(rec.entity, rec.data, rec.deleted),
        )

    def touch(self, rec: Rec) -> None:
        """Give a record a new change position without a new version (re-send it)."""
        rec.dirty = True

    def notice(self, user_id: str, record_id: str, entity_name: str, kind: str) -> None:
        """A scope change for one user: ``add`` (send the record) or ``remove`` (drop it)."""
        self._scope.append(
            {
                "user_id": user_id,
                "record_id": record_id,
                "entity": entity_name,
                "kind": kind,
                "created_at": self.now,
            }
        )

    def _audit_entry(
        self, rec: Rec, name: str, old: Any, new: Any, actor: str, device: str, op_id: str | None
    ) -> None:
        entry = {
            "entity": rec.entity,
            "record_id": rec.id,
            "field": name,
            "old": old,
            "new": new,
            "actor": actor,
            "device": device,
            "at": self.stamp,
        }
        prev = rec.audit_head or GENESIS
        digest = entry_hash(entry, prev)
        rec.audit_head = digest
        self._audit.append(
            {
                "source": "server",
                "entity": rec.entity,
                "record_id": rec.id,
                "field": name,
                "old": None if old is None else dumps(old),
                "new": None if new is None else dumps(new),
                "actor": actor,
                "device": device,
                "at": self.stamp,
                "prev_hash": prev,
                "hash": digest,
                "valid": True,
                "op_id": op_id,
                "received_at": self.now,
            }
        )

    def device_audit(self, rows: Iterable[dict[str, Any]]) -> None:
        """Audit entries made on a device, stored as received with their hash checked."""
        self._audit.extend(rows)

    def insert_later(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """Rows for another table, written by :meth:`flush` together with the records."""
        if rows:
            self._rows.append((table, rows))

    def flush(self) -> None:
        """Write every change with new positions: new rows, changed rows, audit, notices and
        the rows given to :meth:`insert_later`."""
        dirty = [r for r in self.recs.values() if r.dirty]
        if not dirty and not self._scope and not self._audit and not self._rows:
            return
        dedupe_keys.rewrite(
            self.conn,
            [(r.entity, r.id, r.data, r.deleted) for r in dirty if r.entity in DEDUPE_ENTITIES],
            [
                r.id
                for r in dirty
                if r.entity == "customer"
                and not r.is_new
                and (r.deleted or r.field_versions.get("name") == r.version)
            ],
        )
        if is_postgres(self.conn):
            self._flush_pg(dirty)
            return
        positions = Positions(self.conn)
        xid = positions.xid
        seqs = positions.seqs(len(dirty) + len(self._scope))
        rows_new: list[dict[str, Any]] = []
        rows_old: list[dict[str, Any]] = []
        for rec, seq in zip(dirty, seqs, strict=False):
            row = {
                "data": dumps(rec.data),
                "derived": _derived_of(rec),
                "field_versions": dumps(rec.field_versions),
                "version": rec.version,
                "customer_id": rec.customer_id,
                "deal_id": rec.deal_id,
                "blob_sha256": rec.blob_sha256,
                "scope_owner": rec.scope_owner,
                "deleted": rec.deleted,
                "deleted_at": rec.deleted_at,
                "audit_head": rec.audit_head,
                "updated_at": rec.updated_at,
                "xid": xid,
                "seq": seq,
            }
            if rec.is_new:
                row.update(id=rec.id, entity=rec.entity, created_at=rec.created_at)
                rows_new.append(row)
            else:
                # Bound names must differ from column names in an executemany UPDATE.
                rows_old.append({"b_id": rec.id, **{f"v_{k}": v for k, v in row.items()}})
            rec.is_new = rec.dirty = False
        if rows_new:
            self.conn.execute(records.insert(), rows_new)
        if rows_old:
            cols = [k[2:] for k in rows_old[0] if k != "b_id"]
            self.conn.execute(
                update(records)
                .where(records.c.id == bindparam("b_id"))
                .values({k: bindparam(f"v_{k}") for k in cols}),
                rows_old,
            )
        if self._scope:
            for notice, seq in zip(self._scope, seqs[len(dirty) :], strict=True):
                notice.update(xid=xid, seq=seq)
            self.conn.execute(scope_changes.insert(), self._scope)
            self._scope = []
        if self._audit:
            self.conn.execute(audit.insert(), self._audit)
            self._audit = []
        for table, rows in self._rows:
            self.conn.execute(table.insert(), rows)
        self._rows = []

    def _flush_pg(self, dirty: list[Rec]) -> None:
        """The PostgreSQL flush: every write in one pipeline (one round trip), with positions
        taken by the statements themselves (``pg_current_xact_id()``, ``nextval``)."""
        rows_new: list[dict[str, Any]] = []
        rows_old: list[dict[str, Any]] = []
        for rec in dirty:
            row = {
                "id": rec.id,
                "customer_id": rec.customer_id,
                "deal_id": rec.deal_id,
                "blob_sha256": rec.blob_sha256,
                "scope_owner": rec.scope_owner,
                "data": dumps(rec.data),
                "derived": _derived_of(rec),
                "field_versions": dumps(rec.field_versions),
                "version": rec.version,
                "deleted": rec.deleted,
                "deleted_at": rec.deleted_at,
                "audit_head": rec.audit_head,
                "updated_at": rec.updated_at,
            }
            if rec.is_new:
                row.update(entity=rec.entity, created_at=rec.created_at)
                rows_new.append(row)
            else:
                rows_old.append(row)
            rec.is_new = rec.dirty = False
        writes: list[tuple[str, tuple[Any, ...]]] = []
        if rows_new:
            writes.append((_PG_INSERT_RECORD, (dumps(rows_new),)))
        if rows_old:
            writes.append((_PG_UPDATE_RECORD, (dumps(rows_old), [r["id"] for r in rows_old])))
        if self._scope:
            writes.append((_PG_INSERT_NOTICE, (dumps(self._scope),)))
        for table, rows in [(audit, self._audit), *self._rows]:
            if rows:
                columns = list(dict.fromkeys(k for r in rows for k in r))
                writes.append((_pg_insert(table.name, columns), (dumps(rows),)))
        self._scope, self._audit, self._rows = [], [], []
        driver = self.conn.connection.driver_connection
        assert driver is not None
        dbapi = self.conn.dialect.loaded_dbapi
        sql = ""
        try:
            with driver.cursor() as cur, driver.pipeline():
                for sql, params in writes:
                    cur.execute(sql, params)
        except dbapi.Error as exc:
            # Raised as SQLAlchemy raises it, so that callers (the push retry) see one type.
            raise DBAPIError.instance(
                sql, None, exc, dbapi.Error, connection_invalidated=bool(driver.broken)
            ) from exc


def _chunks(items: list[str], size: int = 500) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
