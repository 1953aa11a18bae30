"""Applying a pack (a page of the feed as a SQLite file, :mod:`app.sync.pack`) to the store.

The records a pack lays out are copied into the store table to table, inside SQLite, with their
name columns and search documents. Whatever the copy cannot take as it is goes through the
same path as a JSON page (:func:`app.sync.local.apply_remote` and the rest), with its rules:

* a record the device already holds (it changed again, or was made here) is merged field by
  field, keeping fields with pending edits;
* a row whose values do not have their columns' types, or that the store refuses, is set aside
  (:mod:`app.sync.quarantine`) and the rest of the page is stored;
* tombstones, scope notices and conflicts come as feed items and are applied as such.

The page's cursor is stored in the same transaction, so a first sync cut off anywhere resumes
from the last page stored.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlcipher3 import dbapi2 as sqlcipher

from app.domain.derived import INDEXED
from app.domain.schema import ENTITIES, Entity
from app.store import cipherdb
from app.store.crypto import make_private
from app.store.service import Change, Store
from app.sync import local, pack, quarantine
from app.sync.errors import ServerTrouble

# The page as a JSON page would have been applied: its changes and the counts of records
# stored, removed, conflicts and records set aside.
Applied = tuple[list[Change], tuple[int, int, int, int]]
ApplyPage = Callable[[local.PulledPage], Applied]
PART_SUFFIX = ".pack"


class NotAPack(Exception):
    """The file is not a pack this device can read (another layout, a damaged file)."""


@dataclass(frozen=True)
class PackMeta:
    cursor: str
    more: bool
    rules_version: int


def _meta(conn: Any, schema: str = "pack") -> PackMeta:
    try:
        meta = dict(conn.execute(f"SELECT key, value FROM {schema}.meta").fetchall())
    except cipherdb.DatabaseError as exc:
        raise NotAPack(str(exc)) from exc
    if meta.get("format") != str(pack.FORMAT) or meta.get("fingerprint") != pack.fingerprint():
        raise NotAPack("another layout")
    try:
        return PackMeta(str(meta["cursor"]), meta["more"] == "1", int(meta["rules_version"]))
    except (KeyError, ValueError) as exc:
        raise NotAPack("no cursor") from exc


def read_meta(path: Path, key: bytes) -> PackMeta:
    """Where the pack at ``path`` leaves the feed. Raises :class:`NotAPack` for a pack of
    another layout, and :class:`ServerTrouble` for a file that is not a pack at all (a
    proxy's page, a cut-off download): the sync stops there, its cursor where it was."""
    conn = sqlcipher.connect(":memory:")
    try:
        try:
            pack.attach(conn, path, key)
            conn.execute("SELECT count(*) FROM pack.sqlite_master").fetchone()
        except cipherdb.DatabaseError:
            raise ServerTrouble() from None
        return _meta(conn)
    finally:
        conn.close()


@dataclass(frozen=True)
class PackResult:
    cursor: str
    more: bool
    rules_version: int
    changes: list[Change]
    counts: tuple[int, int, int, int]


def new_file(profile_dir: Path, name: str) -> Path:
    """An empty file, private to the user, to download a pack into (it is encrypted, and
    kept only until it is stored)."""
    path = profile_dir / f"{name}{PART_SUFFIX}"
    path.touch()
    make_private(path)
    return path


def discard_leftovers(profile_dir: Path) -> None:
    """Remove packs a cut-off sync left behind (their keys are gone with it)."""
    for stale in profile_dir.glob(f"*{PART_SUFFIX}"):
        stale.unlink(missing_ok=True)


def apply(store: Store, path: Path, key: bytes, apply_page: ApplyPage) -> PackResult:
    """Store the pack at ``path`` in one transaction, with its cursor.

    ``apply_page`` applies a JSON page (inside the transaction opened here) and stores its
    cursor. Raises :class:`NotAPack` before anything is written when the file cannot be read.
    """
    db = store.connection()
    conn = db.conn
    schema = "pack"
    try:
        pack.attach(conn, path, key, schema)
    except cipherdb.DatabaseError as exc:
        raise NotAPack(str(exc)) from exc
    try:
        meta = _meta(conn, schema)
        with db.atomic():
            try:
                with db.atomic():
                    stored, aside = _copy(store, schema)
            except local.UNSTORABLE:
                # Some row cannot be stored as it is: the whole page goes the slow way, which
                # stores records one by one when needed and sets aside those that fail.
                stored, aside = {}, _all_rows(conn, schema)
            items, unreadable = _feed(conn, schema)
            page = local.read_page(
                {
                    "changes": items + aside,
                    "cursor": meta.cursor,
                    "more": meta.more,
                    "rules_version": meta.rules_version,
                },
                unreadable,
                lenient_json=True,
            )
            more_changes, counts = apply_page(page)
        changes = [Change(name, "*", "create", ()) for name, n in stored.items() if n]
        return PackResult(
            meta.cursor,
            meta.more,
            meta.rules_version,
            changes + more_changes,
            (sum(stored.values()) + counts[0], counts[1], counts[2], counts[3]),
        )
    finally:
        conn.execute(f"DETACH DATABASE {schema}")


def _copy(store: Store, schema: str) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """Copy every row the store can take as it is; return the rows stored per entity and the
    rest as feed items."""
    conn = store.connection().conn
    stored: dict[str, int] = {}
    aside: list[dict[str, Any]] = []
    firsts: dict[str, int] = {}
    held = conn.execute("SELECT EXISTS(SELECT 1 FROM quarantine)").fetchone()[0]
    for ent in ENTITIES.values():
        source = pack.table(ent)
        if not conn.execute(f"SELECT EXISTS(SELECT 1 FROM {schema}.{source})").fetchone()[0]:
            continue
        cols = pack.columns(ent)
        firsts[ent.name] = conn.execute(
            f"SELECT coalesce(max(rowid), 0) FROM main.{ent.table}"
        ).fetchone()[0]
        where: str = ""
        params: tuple[Any, ...] = ()
        n = _copy_all(conn, ent, schema)
        if n is None:
            # Rows of the wrong types, and records this device already holds, go the slow way.
            slow = conn.execute(
                f"SELECT p.rowid, {', '.join(f'p.{c}' for c in cols)} FROM {schema}.{source} p "
                f"WHERE NOT coalesce(({pack.valid_row_sql(ent)}), 0) "
                f"OR EXISTS (SELECT 1 FROM main.{ent.table} m WHERE m.id = p.id)"
            ).fetchall()
            if slow:
                where = " WHERE p.rowid NOT IN (SELECT value FROM json_each(?))"
                params = (json.dumps([r[0] for r in slow]),)
                aside += [_item(ent, cols, r[1:]) for r in slow]
            n = conn.execute(
                f"INSERT INTO main.{ent.table} ({', '.join(cols)}) "
                f"SELECT {', '.join(f'p.{c}' for c in cols)} FROM {schema}.{source} p{where}",
                params,
            ).rowcount
        stored[ent.name] = n
        if ent.name in INDEXED and n:
            _index(conn, ent, schema, where, params)
        if held:
            conn.execute(
                f"DELETE FROM quarantine WHERE record_id IN (SELECT id FROM {schema}.{source})"
            )
    _last_followups(conn, firsts, stored)
    return stored, aside


def _copy_all(conn: Any, ent: Entity, schema: str) -> int | None:
    """Copy every row of ``ent`` in one statement when all are sound and new (the usual case
    on a first sync); None, with nothing written, when some are not."""
    source = pack.table(ent)
    cols = ", ".join(pack.columns(ent))
    total = conn.execute(f"SELECT count(*) FROM {schema}.{source}").fetchone()[0]
    conn.execute("SAVEPOINT pack_rows")
    try:
        n = conn.execute(
            f"INSERT INTO main.{ent.table} ({cols}) SELECT {cols} FROM {schema}.{source} p "
            f"WHERE coalesce(({pack.valid_row_sql(ent)}), 0)"
        ).rowcount
    except cipherdb.IntegrityError:
        n = None  # a record this device already holds
    if n != total:
        conn.execute("ROLLBACK TO pack_rows")
        n = None
    conn.execute("RELEASE pack_rows")
    return int(n) if n is not None else None


def _index(conn: Any, ent: Entity, schema: str, where: str, params: tuple[Any, ...]) -> None:
    """The search documents of the rows just copied (see app.store.search)."""
    source = pack.table(ent)
    base = conn.execute("SELECT coalesce(max(rowid), 0) FROM main.search_docs").fetchone()[0]
    label = INDEXED[ent.name][1]
    customer = (
        "p.id"
        if ent.name == "customer"
        else ("p.customer_id" if "customer_id" in ent.field_set else "NULL")
    )
    conn.execute(
        "INSERT INTO main.search_docs(rowid, entity, record_id, customer_id, label, body, "
        f"initials) SELECT ? + p.rowid, ?, p.id, {customer}, coalesce(p.{label}, ''), p._body, "
        f"p._initials FROM {schema}.{source} p{where}",
        (base, ent.name, *params),
    )
    conn.execute(
        f"INSERT INTO main.search_fts(rowid, tokens) SELECT ? + p.rowid, p._tokens "
        f"FROM {schema}.{source} p{where}",
        (base, *params),
    )


def _last_followups(conn: Any, firsts: dict[str, int], stored: dict[str, int]) -> None:
    """Keep customers' derived "last follow-up" right (as app.sync.local does for a page)."""
    if stored.get("followup"):
        local.raise_last_followup(conn, firsts["followup"])
    if stored.get("customer"):
        # Customers that came after their follow-ups (a customer edited later moves later in
        # the feed).
        conn.execute(
            """UPDATE customers SET last_followup_at = (
                   SELECT max(f.created_at) FROM followups f
                   WHERE f.customer_id = customers.id AND f._deleted = 0)
               WHERE rowid > ?""",
            (firsts["customer"],),
        )


def _item(ent: Entity, cols: list[str], values: Any) -> dict[str, Any]:
    """A pack row as the feed item a JSON page would have held."""
    row = dict(zip(cols, values, strict=True))
    fields: dict[str, Any] = {}
    for f in ent.fields:
        value = row[f.name]
        if f.kind == "json" and isinstance(value, str):
            # Text that is not JSON is left as it is: the check sets the record aside.
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        fields[f.name] = value
    return {
        "entity": ent.name,
        "id": row["id"],
        "version": row["_version"],
        "deleted": False,
        "fields": fields,
    }


def _all_rows(conn: Any, schema: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for ent in ENTITIES.values():
        cols = pack.columns(ent)
        out += [
            _item(ent, cols, r)
            for r in conn.execute(f"SELECT {', '.join(cols)} FROM {schema}.{pack.table(ent)}")
        ]
    return out


def _feed(conn: Any, schema: str) -> tuple[list[Any], list[quarantine.Quarantined]]:
    """The pack's feed items, and those that are not JSON (set aside as text)."""
    items: list[Any] = []
    held: list[quarantine.Quarantined] = []
    for (text,) in conn.execute(f"SELECT item FROM {schema}.feed ORDER BY pos"):
        try:
            # The standard decoder: it reads Infinity and NaN, which the check then names.
            items.append(json.loads(text))
        except (ValueError, TypeError):
            held.append(quarantine.unreadable(str(text)))
    return items, held
