"""Pages of the change feed as SQLite files ("packs"), for a device's first sync (SPEC S2).

A first sync of a team lead's data set is most of a million records. As JSON, each one is
decoded, checked and bound into an insert in Python on the device, which then spends more time
doing that than SQLite spends storing it. A pack carries the same page already laid out in the
device store's columns, with the name columns and search documents the device would derive, so
the device copies it table to table (``INSERT … SELECT``) inside SQLite.

The server writes a pack (:class:`PackWriter`) and the device reads it (:mod:`app.sync.bulk`).
Both sides lay a record out with the functions here, so the layout is defined once.

A pack holds, besides its ``meta``:

* one table per entity (``r_<entity>``): a live record per row, in :func:`columns` order, and
  for searchable entities its search document's body, initials and tokens (``_body`` …);
* ``feed``: everything else of the page as feed JSON items (tombstones, scope notices,
  conflicts, and any record the server could not lay out), which the device applies as it
  applies a JSON page (by kind: their order does not matter).

The file is encrypted with a key the device makes for that one request (it is never written
down), so a page on its way into the store is never readable on the disk. It carries no
message authentication: it lives for seconds in the user's own folder, and what it holds is
checked as it is read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlcipher3 import dbapi2 as sqlcipher

from app.domain import derived as derivation
from app.domain.derived import INDEXED, NAME_COLUMNS, name_columns
from app.domain.schema import ENTITIES, Entity
from app.store import cipherdb
from app.store.service import _encode

FORMAT = 1
MEDIA_TYPE = "application/vnd.fieldcrm.pack+sqlite3"
# A search document's columns in a pack row, after the record's own.
DOC_COLUMNS = ("_body", "_initials", "_tokens")
# What the server hands a writer per record (PackWriter.add_rows), in this order, before the
# writer's ``extra`` columns.
STAGED = ("id", "entity", "version", "data", "derived", "item")


def columns(ent: Entity) -> list[str]:
    """The store columns a pulled record is written to, in order."""
    return ["id", "_version", *ent.field_names, *NAME_COLUMNS.get(ent.name, ())]


def table(ent: Entity) -> str:
    """The pack table holding ``ent``'s records."""
    return f"r_{ent.name}"


def insert_row(
    ent: Entity,
    rec_id: str,
    version: int,
    given: Mapping[str, Any],
    derived: Mapping[str, Any] | None,
) -> list[Any]:
    """The values of :func:`columns` for a record as the server sent it."""
    row = [rec_id, version, *(_encode(given.get(n)) for n in ent.field_names)]
    if ent.name in NAME_COLUMNS:
        row += name_columns(ent.name, str(given.get("name") or ""), derived).values()
    return row


def fingerprint() -> str:
    """What a pack's layout depends on: its format, every entity's columns and field kinds,
    and the version of what is derived. A device reads only packs with its own."""
    layout = {
        "format": FORMAT,
        "derived": derivation.VERSION,
        "entities": {
            e.name: [columns(e), [f.kind for f in e.fields], e.name in INDEXED]
            for e in ENTITIES.values()
        },
    }
    return hashlib.sha256(json.dumps(layout, sort_keys=True).encode()).hexdigest()[:32]


def valid_row_sql(ent: Entity, alias: str = "p") -> str:
    """An SQL condition that holds for a pack row whose values the store can take as they are,
    with the types :func:`app.sync.quarantine.check` accepts in a JSON page: text, whole
    numbers, amounts (finite), structured values (JSON objects or arrays), and text for what
    was derived. A row that fails goes the JSON page's way, and is set aside there."""
    kinds = {f.name: f.kind for f in ent.fields}
    terms = [
        f"typeof({alias}.id) = 'text' AND {alias}.id <> ''",
        f"typeof({alias}._version) = 'integer' AND {alias}._version >= 0",
    ]
    for name in ent.field_names:
        col = f"{alias}.{name}"
        kind = kinds[name]
        if kind in ("int", "bool"):
            terms.append(f"typeof({col}) IN ('null', 'integer')")
        elif kind == "decimal":
            terms.append(
                f"(typeof({col}) IN ('null', 'text', 'integer') OR "
                f"(typeof({col}) = 'real' AND {col} BETWEEN -9.2e18 AND 9.2e18))"
            )
        elif kind == "json":
            terms.append(
                f"(typeof({col}) = 'null' OR (typeof({col}) = 'text' AND CASE "
                f"WHEN json_valid({col}) THEN json_type({col}) IN ('object', 'array') "
                f"ELSE 0 END))"
            )
        else:
            terms.append(f"typeof({col}) IN ('null', 'text')")
    extra = [*NAME_COLUMNS.get(ent.name, ())]
    if ent.name in INDEXED:
        extra += DOC_COLUMNS
    terms += [f"typeof({alias}.{c}) = 'text'" for c in extra]
    return " AND ".join(terms)


def _key_pragma(key: bytes) -> str:
    if len(key) != 32:
        raise ValueError("a pack key is 32 bytes")
    return f"\"x'{key.hex()}'\""


def attach(conn: Any, path: Path, key: bytes, schema: str = "pack") -> None:
    """Attach the pack at ``path`` to a SQLCipher connection as ``schema``."""
    # ATTACH reads the file at once, so its settings can only come from SQLCipher's defaults,
    # which belong to the whole process: no other file is opened while they are changed.
    with cipherdb.DEFAULTS_LOCK:
        conn.execute("PRAGMA cipher_default_use_hmac = OFF")
        try:
            conn.execute(f"ATTACH DATABASE ? AS {schema} KEY {_key_pragma(key)}", (str(path),))
        finally:
            conn.execute("PRAGMA cipher_default_use_hmac = ON")


def _create(conn: Any, path: Path, key: bytes, schema: str) -> None:
    """Attach a new pack file, set to be written without message authentication."""
    conn.execute(f"ATTACH DATABASE ? AS {schema} KEY {_key_pragma(key)}", (str(path),))
    conn.execute(f"PRAGMA {schema}.cipher_use_hmac = OFF")  # before its first page


class PackWriter:
    """Writes one pack file (the server's side).

    Records are handed over as the server stores them (fields and derived values as JSON
    text) and laid out into columns by SQLite's JSON functions, in C: a record that cannot be
    (its JSON is not strict, a value has the wrong type, nothing usable was derived) is sent
    as its feed item instead, for the device to check and set aside as it would any.
    """

    def __init__(self, path: Path, key: bytes, extra: Sequence[str] = ()) -> None:
        self._conn = sqlcipher.connect(":memory:", isolation_level=None)
        c = self._conn
        _create(c, path, key, "out")
        c.execute("PRAGMA out.journal_mode = OFF")
        c.execute("PRAGMA out.synchronous = OFF")
        c.execute("CREATE TABLE out.meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        c.execute("CREATE TABLE out.feed (pos INTEGER PRIMARY KEY, item TEXT NOT NULL)")
        for ent in ENTITIES.values():
            # No declared types: each value keeps the type it was written with, which the
            # device then checks (valid_row_sql).
            cols = columns(ent) + (list(DOC_COLUMNS) if ent.name in INDEXED else [])
            c.execute(f"CREATE TABLE out.{table(ent)} ({', '.join(cols)})")
        # The page as handed over, in its order (rowid); ``extra`` names the columns the
        # caller hands over after STAGED ones and reads back from stage_query().
        self._extra = list(extra)
        c.execute(f"CREATE TABLE staged ({', '.join([*STAGED, *self._extra])})")
        self._feed: list[str] = []
        self.records = 0

    def add_rows(self, rows: Iterable[Sequence[Any]]) -> None:
        """The page's records as the server stores them, in :data:`STAGED` order (then the
        ``extra`` columns): a live record's fields and what was derived from them as JSON
        text, or, for anything not to be laid out (a tombstone, another kind), its feed item."""
        width = len(STAGED) + len(self._extra)
        self._conn.executemany(
            f"INSERT INTO staged VALUES ({', '.join('?' * width)})",
            (tuple(r[:width]) for r in rows),
        )

    def stage_query(self, database: Path, sql: str, params: Sequence[Any]) -> list[Any]:
        """Stage the rows of ``sql``, a query of the SQLite database file ``database`` with
        the columns of :meth:`add_rows`, inside SQLite: the JSON texts never become Python
        strings. Returns each row's ``item`` and ``extra`` columns, in order. (Rows staged
        before are dropped: a caller that retries its read calls this again.)"""
        c = self._conn
        c.execute("DELETE FROM staged")
        c.execute("ATTACH DATABASE ? AS source KEY ''", (str(database),))
        try:
            c.execute(f"INSERT INTO staged {sql}", params)
        finally:
            c.execute("DETACH DATABASE source")
        rows: list[Any] = c.execute(
            f"SELECT {', '.join(['item', *self._extra])} FROM staged ORDER BY rowid"
        ).fetchall()
        return rows

    def keep(self, count: int) -> None:
        """Keep only the first ``count`` rows staged (the page ends there)."""
        self._conn.execute("DELETE FROM staged WHERE rowid > ?", (count,))

    def add_item(self, item: str) -> None:
        """A feed item (JSON text) for the device to apply as it would from a JSON page."""
        self._feed.append(item)

    def finish(self, meta: Mapping[str, str]) -> None:
        """Write everything to the file and close it."""
        c = self._conn
        c.execute("BEGIN")
        # Each entity's live records in id order, so the device's id indexes take each pack's
        # rows in one pass.
        c.execute("CREATE INDEX staged_live ON staged(entity, id) WHERE item IS NULL")
        for ent in ENTITIES.values():
            staged = c.execute(
                "SELECT count(*) FROM staged WHERE entity = ? AND item IS NULL", (ent.name,)
            ).fetchone()[0]
            if not staged:
                continue
            sound = f"coalesce({_sound_sql(ent)}, 0)"
            live = "s.entity = ? AND s.item IS NULL"
            laid = c.execute(
                f"INSERT INTO out.{table(ent)} SELECT {_layout_sql(ent)} FROM staged s "
                f"WHERE {live} AND {sound} ORDER BY s.id",
                (ent.name,),
            ).rowcount
            self.records += laid
            if laid < staged:
                self._feed += [
                    feed_item(*r)
                    for r in c.execute(
                        "SELECT s.entity, s.id, s.version, s.data, s.derived FROM staged s "
                        f"WHERE {live} AND NOT {sound}",
                        (ent.name,),
                    )
                ]
        c.execute(
            "INSERT INTO out.feed(item) SELECT item FROM staged WHERE item IS NOT NULL "
            "ORDER BY rowid"
        )
        c.executemany("INSERT INTO out.feed(item) VALUES (?)", ((i,) for i in self._feed))
        c.executemany(
            "INSERT INTO out.meta VALUES (?, ?)",
            [*meta.items(), ("format", str(FORMAT)), ("fingerprint", fingerprint())],
        )
        c.execute("COMMIT")
        c.execute("DETACH DATABASE out")
        c.close()

    def close(self) -> None:
        self._conn.close()


def _layout_sql(ent: Entity) -> str:
    """The pack row of a staged record ``s``, in SQL."""
    out = ["s.id", "s.version"]
    for f in ent.fields:
        path = f"'$.{f.name}'"
        if f.kind == "json":
            # Structured values stay JSON text; a JSON null is no value.
            out.append(
                f"CASE WHEN json_type(s.data, {path}) IN ('object', 'array') "
                f"THEN s.data -> {path} END"
            )
        else:
            out.append(f"s.data ->> {path}")
    out += [f"s.derived ->> '$.{k}'" for k in _DERIVED_KEYS[ent.name]]
    if ent.name in INDEXED:
        out += [f"s.derived ->> '$.doc[{i}]'" for i in range(3)]
    return ", ".join(out)


def _sound_sql(ent: Entity) -> str:
    """SQL: the staged record ``s`` can be laid out as it is: strict JSON, no object or array
    outside its structured fields, and what was derived from it of this version and shape. (JSON
    functions raise on text that is not JSON, so validity is settled first, by CASE, which
    alone fixes the order in which SQLite evaluates.)"""
    # ->> reads a scalar as the scalar it is, which the device checks against its column
    # (valid_row_sql); an object or array it would read as JSON text, so those are allowed
    # only in structured fields. (Structured values are copied as SQLite writes JSON: compact,
    # keys in the order they were stored. The device decodes them to compare.)
    fields = [
        f"coalesce(json_type(s.data, '$.{f.name}'), 'null') "
        + ("IN ('object', 'array', 'null')" if f.kind == "json" else "NOT IN ('object', 'array')")
        for f in ent.fields
    ]
    if any(f.kind == "json" for f in ent.fields):
        typed = " AND ".join(fields)
    else:
        # No brace past the first and no bracket: no field holds an object or array.
        typed = (
            "CASE WHEN instr(substr(s.data, 2), '{') = 0 AND instr(s.data, '[') = 0 THEN 1 "
            f"ELSE {' AND '.join(fields)} END"
        )
    terms = ["json_type(s.data) = 'object'", f"({typed})"]
    guard = "WHEN NOT json_valid(s.data) THEN 0"
    if ent.name in NAME_COLUMNS or ent.name in INDEXED:
        # What was derived is the server's own output: its version is checked here, the
        # types of what is read from it by the device (valid_row_sql).
        guard += " WHEN s.derived IS NULL OR NOT json_valid(s.derived) THEN 0"
        terms.append(f"s.derived ->> '$.v' = {derivation.VERSION}")
    return f"(CASE {guard} ELSE {' AND '.join(terms)} END)"


# What a name column is made from, in ``derived``.
_DERIVED_KEYS = {
    e.name: tuple("sort" if c == "name_sort" else "key" for c in NAME_COLUMNS.get(e.name, ()))
    for e in ENTITIES.values()
}


def feed_item(entity_name: str, rec_id: str, version: int, data: str, derived: str | None) -> str:
    """A live record's item in the JSON feed, from its stored JSON texts (as the server's
    feed writes it)."""
    head = f'{{"entity":{json.dumps(entity_name)},"id":{json.dumps(rec_id)},"version":{version}'
    tail = "}" if derived is None else f',"derived":{derived}}}'
    return f'{head},"deleted":false,"fields":{data}{tail}'
