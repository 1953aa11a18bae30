"""The local store: one SQLite file per account and the only way to change it (SPEC D2, D5, S1).

Every change goes through :class:`Store`. In one transaction it writes the row, appends a
hash-chained audit entry per changed field and queues an outbox operation with a fresh id for
the sync engine (both in :mod:`app.store.journal`), and refreshes the search index. A crash at
any point leaves either all of it or none of it.

``Store`` keeps the generic record API (get, require, create, update, delete, bulk_create,
search, meta) and hands the rest to sub-objects, each in its own module::

    store.journal     audit trail and outbox            (app/store/journal.py)
    store.deals       stage moves, locks, approvals     (app/store/deals.py)
    store.followups   follow-ups, snoozing              (app/store/followups.py)
    store.alerts      stagnation and approval alerts    (app/store/alerts.py)
    store.conflicts   values that lost a conflict       (app/store/conflicts.py)
    store.files       attachment files, attaching       (app/store/attachments.py)
    store.directory   cached users and teams            (app/store/directory.py)

The SQLite connection is not public: screens read through :meth:`Store.query` with the
functions of :mod:`app.store.queries`, imports group writes with :meth:`Store.transaction`,
and only sync's apply layer (which writes the server's state beside the write path) takes
:meth:`Store.connection`.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import filelock
import sqlite_utils

from app.domain.derived import name_columns
from app.domain.followups import validate_followup
from app.domain.messages import Msg
from app.domain.rules import LOST, ProcessRules, default_rules, load_rules_json
from app.domain.schema import ENTITIES, entity, validate_values
from app.paths import STORE_FILE
from app.store import cipherdb
from app.store import search as search_index
from app.store.alerts import Alerts
from app.store.attachments import Attachments
from app.store.changes import Change
from app.store.cipherdb import PAGE_SIZE
from app.store.conflicts import Conflicts
from app.store.crypto import make_private, private_dir
from app.store.deals import Deals
from app.store.directory import Directory
from app.store.errors import NotFound, StoreLocked, StoreUnavailable, ValidationFailed
from app.store.files import SEALED_META
from app.store.followups import Followups
from app.store.journal import Entry, Journal, new_id
from app.store.migrations import migrate

Clock = Callable[[], datetime]
P = ParamSpec("P")
R = TypeVar("R")


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _encode(value: Any) -> Any:
    """Python value → SQLite column value (JSON fields are stored as text)."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


WAL_SIZE_LIMIT = 64 * 1024 * 1024
BULK_CACHE_KIB = 160 * 1024
# An encrypted page is decrypted each time it enters SQLite's page cache, so the app's own
# connection keeps more of them (the memory is taken only as pages are read).
ENCRYPTED_CACHE_KIB = 32 * 1024
# The page cache of the connection that builds the deferred indexes (Store.restoring_indexes).
INDEX_CACHE_KIB = 64 * 1024


# Indexes a first sync builds once at its end (Store.defer_indexes): look-ups by name, phone,
# email, owner, stage and deal. Those by customer stay: merges, evictions and the customers'
# last follow-up read them while pages are applied.
DEFERRED_INDEXES = (
    "customers_owner",
    "customers_credit_code",
    "customers_name_sort",
    "customers_name_key",
    "customers_email",
    "contacts_mobile",
    "contacts_email",
    "contacts_name_sort",
    "followups_deal",
    "deals_stage",
    "attachments_deal",
)
DEFERRED_META = "deferred_indexes"
# Of those, the ones built as soon as a first sync's pull ends: a lead's cockpit reports, which
# are computed while the rest are built (Store.restoring_indexes), read every deal's latest
# follow-up through it.
BUILT_FIRST = ("followups_deal",)


def open_database(
    path: Path, *, durable: bool = True
) -> tuple[sqlite_utils.Database, bytes | None]:
    """Open (creating if needed), unlock and migrate a store file in WAL mode; return it and
    its key (None for a plain file).

    The file is encrypted with the profile's key (see :mod:`app.store.cipherdb`); the profile
    folder and its files are made private to the user. ``durable`` (the default, for anything
    a user typed) waits for the disk on every commit. Sync's own connection passes False: what
    it writes can always be fetched again, and WAL mode never corrupts the file either way.
    """
    private_dir(path.parent)
    key: bytes | None = None
    try:
        key = cipherdb.unlock(path)
        conn = cipherdb.connect(path, key, check_same_thread=False, timeout=10)
        for own in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            make_private(own)
        db = sqlite_utils.Database(conn)
        if key is None:
            db.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
        db.execute("PRAGMA busy_timeout = 10000")
        # A WAL that grew large (a first sync) is cut back when it is next reset.
        db.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
        if key is not None and durable:
            db.execute(f"PRAGMA cache_size = -{ENCRYPTED_CACHE_KIB}")
        if not durable:
            # Bulk writes: a bigger page cache keeps the id indexes (random uuids) in memory,
            # and the WAL is copied back into the file once, by checkpoint(), not every
            # thousand pages, which is where a first sync spent much of its time.
            db.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
            db.execute("PRAGMA wal_autocheckpoint = 0")
        migrate(db)
    except cipherdb.DatabaseError as exc:
        if key is not None and "not a database" in str(exc).lower():
            raise StoreLocked(cipherdb.KEY_WRONG.format(p=path)) from exc
        raise StoreUnavailable(describe_sqlite_error(exc, path)) from exc
    return db, key


def _return_freed_memory() -> None:
    """Hand memory freed inside the C heap back to the system (glibc only).

    The page cache is made of many small blocks, which glibc keeps for reuse after they are
    freed: without this the process would go on holding a whole sync's cache while the
    cockpit's reports are computed beside it.
    """
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def describe_sqlite_error(exc: Exception, path: Path) -> Msg:
    """Sort SQLite failures into the known environment problems users can act on."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return Msg(
            "数据文件正被另一个程序使用:{p}", "The data file is in use by another program: {p}"
        ).format(p=path)
    if "readonly" in text or "read-only" in text:
        return Msg("数据文件只读,无法保存:{p}", "The data file is read-only: {p}").format(p=path)
    if "disk" in text and "full" in text:
        return Msg(
            "磁盘已满,无法保存。请释放空间后重试", "The disk is full; free some space and try again"
        )
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return Msg(
            "数据文件已损坏:{p}。请重新登录同步以恢复数据",
            "The data file is damaged: {p}. Sign in again to restore it from the server",
        ).format(p=path)
    return Msg("无法打开数据文件:{p}({e})", "Cannot open the data file {p} ({e})").format(
        p=path, e=exc
    )


def _restore_indexes(db: sqlite_utils.Database, only: set[str] | None) -> None:
    """Build the deferred indexes (all, or those named in ``only``) and forget them."""
    raw = db.execute("SELECT value FROM meta WHERE key = ?", (DEFERRED_META,)).fetchone()
    if raw is None:
        return
    deferred: dict[str, str] = json.loads(raw[0])
    now = [n for n in deferred if only is None or n in only]
    with db.atomic():
        for name in now:
            exists = db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)
            ).fetchone()
            if not exists:
                db.execute(deferred[name])
        left = {n: q for n, q in deferred.items() if n not in now}
        if left:
            db.execute("UPDATE meta SET value = ? WHERE key = ?", (json.dumps(left), DEFERRED_META))
        else:
            db.execute("DELETE FROM meta WHERE key = ?", (DEFERRED_META,))


class Store:
    """A profile's local data and every operation on it.

    ``actor`` is the signed-in user id, ``device`` this installation's id; both go into audit
    entries and outbox operations. One Store owns one connection: use it from one thread.
    """

    def __init__(
        self,
        profile_dir: Path,
        *,
        actor: str | None = None,
        clock: Clock = utc_now,
        durable: bool = True,
    ) -> None:
        self.profile_dir = Path(profile_dir)
        self.path = self.profile_dir / STORE_FILE
        self._db, self.key = open_database(self.path, durable=durable)
        self.clock = clock
        self.device = self.meta("device_id") or self._init_device()
        self.actor = actor or self.meta("user_id") or "local"
        self._rules: ProcessRules | None = None
        self._rules_version: str | None = None
        self._column_cache: dict[str, list[str]] = {}
        self.listeners: list[Callable[[list[Change]], None]] = []
        self.journal = Journal(self._db, lambda: (self.actor, self.device))
        self.deals = Deals(self, self._db)
        self.followups = Followups(self, self._db)
        self.alerts = Alerts(self, self._db)
        self.conflicts = Conflicts(self, self._db)
        self.files = Attachments(self, self.profile_dir / "files", self.key)
        self.directory = Directory(self._db)
        self._seal_plain_files()

    # ---- the connection ---------------------------------------------------------------------
    def query(
        self,
        read: Callable[Concatenate[sqlite_utils.Database, P], R],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> R:
        """Run a read (a function of :mod:`app.store.queries`) on this store's connection."""
        return read(self._db, *args, **kwargs)

    def transaction(self) -> contextlib.AbstractContextManager[Any]:
        """Several writes (each through the write path) in one transaction: all or nothing."""
        return self._db.atomic()

    def connection(self) -> sqlite_utils.Database:
        """The SQLite connection itself, for the layer that applies the server's state beside
        the write path (:mod:`app.sync`) and for tests that look at tables. Screens and their
        operations never use it (they read through :meth:`query`)."""
        return self._db

    # ---- meta and rules -------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, key: str, value: str | None) -> None:
        with self._db.atomic():
            self._db.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def _init_device(self) -> str:
        device = new_id()
        self.set_meta("device_id", device)
        return device

    @property
    def rules(self) -> ProcessRules:
        """Rules from the server when synced, else the ones shipped with the app.

        Sync may install new rules through another connection; the version check notices.
        """
        version = self.meta("rules_version")
        if self._rules is None or version != self._rules_version:
            cached = self.meta("rules_json")
            self._rules = load_rules_json(cached) if cached else default_rules()
            self._rules_version = version
        return self._rules

    def set_rules_json(self, text: str) -> None:
        load_rules_json(text)  # refuse malformed rules before caching them
        self.set_meta("rules_json", text)
        self._rules = None

    def close(self) -> None:
        self._db.close()

    def checkpoint(self) -> None:
        """Copy the WAL back into the database file without waiting for readers.

        Connections opened with ``durable=False`` never do this on their own; without it the
        next small write of the app's own connection would pay for a whole sync's WAL.
        """
        # Busy: the next checkpoint (or the app's own) does it.
        with contextlib.suppress(cipherdb.OperationalError):
            self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def shrink_cache(self) -> None:
        """After a bulk write: give back the bulk page cache (the app's own size is kept)."""
        self._db.execute(f"PRAGMA cache_size = -{ENCRYPTED_CACHE_KIB}")
        self._db.execute("PRAGMA shrink_memory")
        _return_freed_memory()

    @contextlib.contextmanager
    def checkpointing(self) -> Iterator[Callable[[], None]]:
        """For a bulk write: a function to call after each commit that starts copying the WAL
        back into the database file on a second thread, beside the writer (SQLite allows one
        checkpoint next to one writer), so little is left for :meth:`checkpoint` at the end.
        """
        # One worker thread, so the connection it opens is only ever used there.
        conn: list[cipherdb.Connection] = []
        key = self.key
        last: list[Future[None]] = []

        def run() -> None:
            if not conn:
                conn.append(cipherdb.connect(self.path, key, timeout=10))
            with contextlib.suppress(cipherdb.OperationalError):  # busy: the next one does it
                conn[0].execute("PRAGMA wal_checkpoint(PASSIVE)")

        def after_commit() -> None:
            if not last or last[0].done():
                last[:] = [pool.submit(run)]

        def close() -> None:
            for c in conn:
                c.close()

        with ThreadPoolExecutor(1, thread_name_prefix="fieldcrm-checkpoint") as pool:
            try:
                yield after_commit
            finally:
                pool.submit(close)

    def defer_indexes(self) -> None:
        """Drop the indexes of :data:`DEFERRED_INDEXES` until :meth:`restore_indexes`.

        For a first sync: each of these would take every pulled row as a random insert into
        its tree, while one built at the end sorts the table once. None of them is read while
        a pull is applied (those that are, by customer, stay); meanwhile the queries that use
        them still work, only slower. Their definitions are kept in ``meta`` in the same
        transaction, so an interrupted sync leaves them to the one that resumes it."""
        db = self._db
        with db.atomic():
            if self.meta(DEFERRED_META) is not None:
                return
            found = db.execute(
                f"SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                f"AND name IN ({', '.join('?' * len(DEFERRED_INDEXES))})",
                DEFERRED_INDEXES,
            ).fetchall()
            self.set_meta(DEFERRED_META, json.dumps(dict(found)))
            for name, _sql in found:
                db.execute(f"DROP INDEX {name}")

    def restore_indexes(self, only: Iterable[str] | None = None) -> None:
        """Build the indexes :meth:`defer_indexes` dropped (nothing if none is), or only those
        of them named in ``only``."""
        _restore_indexes(self._db, None if only is None else set(only))

    @contextlib.contextmanager
    def restoring_indexes(self) -> Iterator[None]:
        """Build the indexes :meth:`defer_indexes` dropped on a second connection while the
        block runs, and wait for them at its end. The block may only read (the tables are
        all there, only slower to search where an index is missing): a write would wait for
        the indexes' transaction and then fail, its view of the file being older."""
        if self.meta(DEFERRED_META) is None:
            yield
            return
        path, key = self.path, self.key

        def build() -> None:
            conn = cipherdb.connect(path, key, timeout=30)
            try:
                db = sqlite_utils.Database(conn)
                # Room to sort each index in memory, but not the bulk cache: the block's own
                # work (a lead's reports) needs memory at the same time.
                db.execute(f"PRAGMA cache_size = -{INDEX_CACHE_KIB}")
                # The write lock first: a write of the block's between this connection's first
                # read and its first write would otherwise make it fail (a stale snapshot).
                conn.execute("BEGIN IMMEDIATE")
                _restore_indexes(db, None)
                conn.execute("COMMIT")
            finally:
                conn.close()

        with ThreadPoolExecutor(1, thread_name_prefix="fieldcrm-indexes") as pool:
            built = pool.submit(build)
            try:
                yield
            except BaseException:
                built.exception()  # waited for; the next sync builds what is still missing
                raise
            built.result()

    def _seal_plain_files(self) -> None:
        """Seal the attachment files of a profile that was plain before (once)."""
        if self.key is None or self.meta(SEALED_META):
            return
        with filelock.FileLock(str(self.profile_dir / cipherdb.LOCK_FILE), timeout=60):
            self.files.seal_all()
        self.set_meta(SEALED_META, "1")

    # ---- reads ----------------------------------------------------------------------------
    def get(self, entity_name: str, record_id: str) -> dict[str, Any] | None:
        """One visible record with JSON fields decoded, or None."""
        ent = entity(entity_name)
        row = self._db.execute(
            f"SELECT * FROM {ent.table} WHERE id = ? AND _deleted = 0", (record_id,)
        ).fetchone()
        if row is None:
            return None
        cols = self._columns(ent.table)
        return self._decode(entity_name, dict(zip(cols, row, strict=True)))

    def require(self, entity_name: str, record_id: str) -> dict[str, Any]:
        row = self.get(entity_name, record_id)
        if row is None:
            raise NotFound(entity_name, record_id)
        return row

    def _decode(self, entity_name: str, row: dict[str, Any]) -> dict[str, Any]:
        for f in ENTITIES[entity_name].fields:
            if f.kind == "json" and isinstance(row.get(f.name), str):
                row[f.name] = json.loads(row[f.name])
        return row

    def search(self, query: str, limit: int = 50) -> list[search_index.SearchHit]:
        return search_index.search(self._db, query, limit=limit)

    # ---- the write path -------------------------------------------------------------------
    def _after_write(self, entity_name: str, row: Mapping[str, Any]) -> None:
        if "name" in row and (names := name_columns(entity_name, str(row.get("name") or ""))):
            sets = ", ".join(f"{c} = ?" for c in names)
            self._db.execute(
                f"UPDATE {ENTITIES[entity_name].table} SET {sets} WHERE id = ?",
                [*names.values(), row["id"]],
            )
        search_index.index_record(self._db, entity_name, row)

    def _notify(self, changes: list[Change]) -> None:
        for listener in list(self.listeners):
            listener(changes)

    def _columns(self, table: str) -> list[str]:
        cols = self._column_cache.get(table)
        if cols is None:
            cols = [d[0] for d in self._db.execute(f"SELECT * FROM {table} LIMIT 0").description]
            self._column_cache[table] = cols
        return cols

    def _insert(
        self, entity_name: str, clean: dict[str, Any], record_id: str | None, at: str
    ) -> str:
        ent = entity(entity_name)
        rid = record_id or new_id()
        row = {"id": rid, **clean, **name_columns(entity_name, str(clean.get("name") or ""))}
        names = list(row)
        self._db.execute(
            f"INSERT INTO {ent.table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            [_encode(row[n]) for n in names],
        )
        present = {k: v for k, v in clean.items() if v is not None}
        self.journal.record(Entry.creation(entity_name, rid, at, present))
        search_index.index_record(self._db, entity_name, row, fresh=True)
        return rid

    def _write_journaled(
        self,
        entry: Entry,
        row: Mapping[str, Any],
        *,
        notify_as: str | None = None,
    ) -> None:
        """Write ``row`` into the entry's record and journal ``entry``, in one transaction;
        then tell the listeners of the audited fields (as ``notify_as``, default the entry's
        action). For the writes that are not plain edits: stage moves, approval verdicts."""
        with self._db.atomic():
            self._db.table(ENTITIES[entry.entity].table).update(entry.record_id, dict(row))
            self.journal.record(entry)
        change = Change(
            entry.entity, entry.record_id, notify_as or entry.action, tuple(entry.audit)
        )
        self._notify([change])

    def bulk_create(self, entity_name: str, rows: Iterable[Mapping[str, Any]]) -> int:
        """Create many records in one transaction (imports, demo data); all or nothing.

        Each row may carry its own ``id``. Rows are validated like :meth:`create`; the first
        invalid row raises :class:`ValidationFailed` with its position and nothing is written.
        """
        at = self.clock().isoformat()
        ent = entity(entity_name)
        count = 0
        with self._db.atomic():
            for i, values in enumerate(rows):
                values = dict(values)
                rid = values.pop("id", None)
                if entity_name == "followup":
                    clean, errors = validate_followup(values, self.rules, allow_system=True)
                else:
                    clean, errors = validate_values(entity_name, values, allow_system=True)
                if errors:
                    raise ValidationFailed(errors, row=i)
                if entity_name == "deal":
                    clean.setdefault("stage", self.rules.stage_keys[0])
                    clean.setdefault("stage_entered_at", at)
                if "created_at" in ent.field_names:
                    clean.setdefault("created_at", at)
                if "updated_at" in ent.field_names:
                    clean.setdefault("updated_at", clean["created_at"])
                self._insert(entity_name, clean, rid, at)
                count += 1
            if entity_name == "followup":
                self._db.execute(
                    """UPDATE customers SET last_followup_at = (
                         SELECT max(created_at) FROM followups f
                         WHERE f.customer_id = customers.id AND f._deleted = 0)"""
                )
        self._notify([Change(entity_name, "*", "create", ())])
        return count

    def create(
        self, entity_name: str, values: Mapping[str, Any], *, record_id: str | None = None
    ) -> str:
        """Validate and insert a record; return its id. Raises :class:`ValidationFailed`."""
        if entity_name == "followup":
            return self.followups.add(values, record_id=record_id)
        if entity_name == "deal":
            return self.deals.create(values, record_id=record_id)
        clean, errors = validate_values(entity_name, values)
        if errors:
            raise ValidationFailed(errors)
        return self.create_checked(entity_name, clean, record_id)

    def create_checked(self, entity_name: str, clean: dict[str, Any], record_id: str | None) -> str:
        """Insert values that already passed validation (imports, internal records)."""
        at = self.clock().isoformat()
        ent = entity(entity_name)
        if "created_at" in ent.field_names:
            clean.setdefault("created_at", at)
        if "updated_at" in ent.field_names:
            clean.setdefault("updated_at", at)
        with self._db.atomic():
            rid = self._insert(entity_name, clean, record_id, at)
        self._notify([Change(entity_name, rid, "create", tuple(clean))])
        return rid

    def update(
        self, entity_name: str, record_id: str, changes: Mapping[str, Any]
    ) -> dict[str, tuple[Any, Any]]:
        """Change some fields of a record; return {field: (old, new)} of real changes."""
        ent = entity(entity_name)
        if ent.append_only:
            raise ValidationFailed(
                {
                    "*": Msg(
                        "{zh}记录不可修改,请新增一条更正记录",
                        "{en} entries cannot be edited; add a correction",
                    ).format(zh=ent.label.zh, en=ent.label.en)
                }
            )
        clean, errors = validate_values(entity_name, changes, partial=True)
        if errors:
            raise ValidationFailed(errors)
        return self.update_checked(entity_name, record_id, clean)

    def update_checked(
        self, entity_name: str, record_id: str, clean: Mapping[str, Any]
    ) -> dict[str, tuple[Any, Any]]:
        """Apply validated changes; only values that really differ are written and audited."""
        ent = entity(entity_name)
        at = self.clock().isoformat()
        with self._db.atomic():
            current = self.require(entity_name, record_id)
            diff = {k: (current.get(k), v) for k, v in clean.items() if current.get(k) != v}
            if not diff:
                return {}
            row_changes = {k: new for k, (_, new) in diff.items()}
            if "updated_at" in ent.field_names:
                row_changes["updated_at"] = at
            self._db.table(ent.table).update(
                record_id, {k: _encode(v) for k, v in row_changes.items()}
            )
            self.journal.record(Entry.edit(entity_name, current, at, diff))
            self._after_write(entity_name, {**current, **row_changes})
        self._notify([Change(entity_name, record_id, "update", tuple(diff))])
        return diff

    def delete(self, entity_name: str, record_id: str) -> None:
        """Mark a record deleted (a tombstone the server keeps for offline devices)."""
        ent = entity(entity_name)
        at = self.clock().isoformat()
        with self._db.atomic():
            current = self.require(entity_name, record_id)
            self._db.execute(f"UPDATE {ent.table} SET _deleted = 1 WHERE id = ?", (record_id,))
            self.journal.record(
                Entry.edit(
                    entity_name,
                    current,
                    at,
                    {"_deleted": (0, 1)},
                    action="delete",
                    fields={},
                    base={},
                )
            )
            search_index.unindex_record(self._db, record_id)
        self._notify([Change(entity_name, record_id, "delete", ())])


def today() -> date:
    return utc_now().date()


__all__ = ["LOST", "PAGE_SIZE", "Change", "Store", "new_id", "open_database", "utc_now"]
