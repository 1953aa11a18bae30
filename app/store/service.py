"""The local store: one SQLite file per account and the only way to change it (SPEC D2, D5, S1).

Every change goes through :class:`Store`. In one transaction it writes the row, appends a
hash-chained audit entry per changed field, queues an outbox operation with a fresh id for the
sync engine, and refreshes the search index. A crash at any point leaves either all of it or
none of it.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import filelock
import sqlite_utils

from app.domain import audit
from app.domain.approvals import (
    APPROVED,
    REJECTED,
    approval_counts,
    approval_moves_deal,
    decider_problem,
    judge_decision,
    request_problem,
)
from app.domain.derived import name_columns
from app.domain.followups import validate_followup
from app.domain.messages import Msg
from app.domain.process import (
    Checklist,
    DealFacts,
    Decision,
    advance_checklist,
    approval_outcome_message,
    decide_move,
    is_stagnant,
    move_changes,
    stagnation_alert_id,
)
from app.domain.rules import LOST, ProcessRules, default_rules, load_rules_json
from app.domain.schema import ENTITIES, entity, validate_values
from app.paths import STORE_FILE
from app.store import cipherdb
from app.store import search as search_index
from app.store.cipherdb import PAGE_SIZE
from app.store.crypto import make_private, private_dir
from app.store.errors import (
    MoveRefused,
    NotFound,
    StoreLocked,
    StoreUnavailable,
    ValidationFailed,
)
from app.store.files import SEALED_META, Files
from app.store.migrations import migrate

Clock = Callable[[], datetime]
_ALERT_NS = uuid.UUID("6f1c2a9e-4b1d-4e8a-9c62-0f3e5d7a1b20")
# Verdicts older than this are not announced (a profile that syncs for the first time, or after
# an update, would otherwise raise an alert for every request its user ever made).
APPROVAL_ALERT_DAYS = 14


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def new_id() -> str:
    """A record or operation id made on this device (never collides with another device's)."""
    return str(uuid.uuid4())


def _encode(value: Any) -> Any:
    """Python value → SQLite column value (JSON fields are stored as text)."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def _audit_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


WAL_SIZE_LIMIT = 64 * 1024 * 1024
BULK_CACHE_KIB = 64 * 1024
# An encrypted page is decrypted each time it enters SQLite's page cache, so the app's own
# connection keeps more of them (the memory is taken only as pages are read).
ENCRYPTED_CACHE_KIB = 32 * 1024


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


class Change(NamedTuple):
    """What one committed write did; the UI redraws from these (one ``changed`` signal)."""

    entity: str
    record_id: str
    action: str
    fields: tuple[str, ...]


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
        self.db, self.key = open_database(self.path, durable=durable)
        self.files = Files(self.profile_dir / "files", self.key)
        self.clock = clock
        self.device = self.meta("device_id") or self._init_device()
        self.actor = actor or self.meta("user_id") or "local"
        self._rules: ProcessRules | None = None
        self._rules_version: str | None = None
        self._column_cache: dict[str, list[str]] = {}
        self.listeners: list[Callable[[list[Change]], None]] = []
        self._seal_plain_files()

    # ---- meta and rules -------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, key: str, value: str | None) -> None:
        with self.db.atomic():
            self.db.execute(
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
        self.db.close()

    def checkpoint(self) -> None:
        """Copy the WAL back into the database file without waiting for readers.

        Connections opened with ``durable=False`` never do this on their own; without it the
        next small write of the app's own connection would pay for a whole sync's WAL.
        """
        # Busy: the next checkpoint (or the app's own) does it.
        with contextlib.suppress(cipherdb.OperationalError):
            self.db.execute("PRAGMA wal_checkpoint(PASSIVE)")

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

    # ---- reads ----------------------------------------------------------------------------
    def get(self, entity_name: str, record_id: str) -> dict[str, Any] | None:
        """One visible record with JSON fields decoded, or None."""
        ent = entity(entity_name)
        row = self.db.execute(
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

    # ---- the write path -------------------------------------------------------------------
    def _record_audit(
        self,
        entity_name: str,
        record_id: str,
        changes: Mapping[str, tuple[Any, Any]],
        at: str,
        *,
        op_id: str | None = None,
        fresh: bool = False,
    ) -> list[dict[str, Any]]:
        last = (
            None
            if fresh
            else self.db.execute(
                "SELECT hash FROM audit WHERE record_id = ? ORDER BY seq DESC LIMIT 1", (record_id,)
            ).fetchone()
        )
        prev = last[0] if last else audit.GENESIS
        entries = []
        for field_name, (old, new) in changes.items():
            entry = {
                "entity": entity_name,
                "record_id": record_id,
                "field": field_name,
                "old": _audit_text(old),
                "new": _audit_text(new),
                "actor": self.actor,
                "device": self.device,
                "at": at,
                "op_id": op_id,
            }
            entry["prev_hash"] = prev
            entry["hash"] = prev = audit.entry_hash(entry, prev)
            entries.append(entry)
        if entries:
            self.db.conn.executemany(
                "INSERT INTO audit(entity, record_id, field, old, new, actor, device, at, "
                "prev_hash, hash, op_id) VALUES (:entity, :record_id, :field, :old, :new, :actor, "
                ":device, :at, :prev_hash, :hash, :op_id)",
                entries,
            )
        return entries

    def _queue(
        self,
        entity_name: str,
        record_id: str,
        action: str,
        fields: Mapping[str, Any],
        base: Mapping[str, Any],
        base_version: int,
        at: str,
        op_id: str,
    ) -> str:
        self.db.execute(
            """INSERT INTO outbox(op_id, entity, record_id, action, base_version, fields, base,
                                  actor, device, at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                op_id,
                entity_name,
                record_id,
                action,
                base_version,
                json.dumps(fields, ensure_ascii=False, sort_keys=True, default=str),
                json.dumps(base, ensure_ascii=False, sort_keys=True, default=str),
                self.actor,
                self.device,
                at,
            ),
        )
        return op_id

    def _record_change(
        self,
        entity_name: str,
        record_id: str,
        action: str,
        audit_changes: Mapping[str, tuple[Any, Any]],
        fields: Mapping[str, Any],
        base: Mapping[str, Any],
        base_version: int,
        at: str,
        *,
        fresh: bool = False,
    ) -> str:
        """Audit entries and the outbox operation for one change, tied by one operation id."""
        op_id = new_id()
        self._record_audit(entity_name, record_id, audit_changes, at, op_id=op_id, fresh=fresh)
        return self._queue(entity_name, record_id, action, fields, base, base_version, at, op_id)

    def _after_write(self, entity_name: str, row: Mapping[str, Any]) -> None:
        if "name" in row and (names := name_columns(entity_name, str(row.get("name") or ""))):
            sets = ", ".join(f"{c} = ?" for c in names)
            self.db.execute(
                f"UPDATE {ENTITIES[entity_name].table} SET {sets} WHERE id = ?",
                [*names.values(), row["id"]],
            )
        search_index.index_record(self.db, entity_name, row)

    def _notify(self, changes: list[Change]) -> None:
        for listener in list(self.listeners):
            listener(changes)

    def _columns(self, table: str) -> list[str]:
        cols = self._column_cache.get(table)
        if cols is None:
            cols = [d[0] for d in self.db.execute(f"SELECT * FROM {table} LIMIT 0").description]
            self._column_cache[table] = cols
        return cols

    def _insert(
        self, entity_name: str, clean: dict[str, Any], record_id: str | None, at: str
    ) -> str:
        ent = entity(entity_name)
        rid = record_id or new_id()
        row = {"id": rid, **clean, **name_columns(entity_name, str(clean.get("name") or ""))}
        names = list(row)
        self.db.execute(
            f"INSERT INTO {ent.table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            [_encode(row[n]) for n in names],
        )
        present = {k: v for k, v in clean.items() if v is not None}
        # A creation is one audit entry holding the whole initial record ("*"); later edits
        # get one entry per field.
        self._record_change(
            entity_name, rid, "create", {"*": (None, present)}, present, {}, 0, at, fresh=True
        )
        search_index.index_record(self.db, entity_name, row, fresh=True)
        return rid

    def bulk_create(self, entity_name: str, rows: Iterable[Mapping[str, Any]]) -> int:
        """Create many records in one transaction (imports, demo data); all or nothing.

        Each row may carry its own ``id``. Rows are validated like :meth:`create`; the first
        invalid row raises :class:`ValidationFailed` with its position and nothing is written.
        """
        at = self.clock().isoformat()
        ent = entity(entity_name)
        count = 0
        with self.db.atomic():
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
                self.db.execute(
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
            return self.add_followup(values, record_id=record_id)
        if entity_name == "deal":
            return self.create_deal(values, record_id=record_id)
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
        with self.db.atomic():
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
        with self.db.atomic():
            current = self.require(entity_name, record_id)
            diff = {k: (current.get(k), v) for k, v in clean.items() if current.get(k) != v}
            if not diff:
                return {}
            row_changes = {k: new for k, (_, new) in diff.items()}
            if "updated_at" in ent.field_names:
                row_changes["updated_at"] = at
            self.db.table(ent.table).update(
                record_id, {k: _encode(v) for k, v in row_changes.items()}
            )
            self._record_change(
                entity_name,
                record_id,
                "update",
                diff,
                {k: new for k, (_, new) in diff.items()},
                {k: old for k, (old, _) in diff.items()},
                int(current.get("_version") or 0),
                at,
            )
            self._after_write(entity_name, {**current, **row_changes})
        self._notify([Change(entity_name, record_id, "update", tuple(diff))])
        return diff

    def delete(self, entity_name: str, record_id: str) -> None:
        """Mark a record deleted (a tombstone the server keeps for offline devices)."""
        ent = entity(entity_name)
        at = self.clock().isoformat()
        with self.db.atomic():
            current = self.require(entity_name, record_id)
            self.db.execute(f"UPDATE {ent.table} SET _deleted = 1 WHERE id = ?", (record_id,))
            self._record_change(
                entity_name,
                record_id,
                "delete",
                {"_deleted": (0, 1)},
                {},
                {},
                int(current["_version"] or 0),
                at,
            )
            search_index.unindex_record(self.db, record_id)
        self._notify([Change(entity_name, record_id, "delete", ())])

    # ---- deals and the sales process -------------------------------------------------------
    def create_deal(self, values: Mapping[str, Any], *, record_id: str | None = None) -> str:
        """A new deal starts in the first stage; the stage is never typed, only moved."""
        clean, errors = validate_values("deal", values)
        if errors:
            raise ValidationFailed(errors)
        self.require("customer", str(clean["customer_id"]))
        clean["stage"] = self.rules.stage_keys[0]
        clean["stage_entered_at"] = self.clock().isoformat()
        clean.setdefault("owner", self.actor)
        return self.create_checked("deal", clean, record_id)

    def attachment_kinds(self, deal_id: str) -> frozenset[str]:
        rows = self.db.execute(
            "SELECT DISTINCT kind FROM attachments WHERE deal_id = ? AND _deleted = 0", (deal_id,)
        ).fetchall()
        return frozenset(r[0] for r in rows)

    def deal_facts(self, deal_id: str) -> DealFacts:
        deal = self.require("deal", deal_id)
        return DealFacts(
            stage=str(deal["stage"]),
            fields=deal,
            attachment_kinds=self.attachment_kinds(deal_id),
            lost_from=deal.get("lost_from"),
        )

    def deal_checklist(self, deal_id: str) -> Checklist:
        """The locks between the deal's stage and the next, met or missing (for the UI)."""
        return advance_checklist(self.deal_facts(deal_id), self.rules)

    def approved(self, deal_id: str, from_stage: str, to_stage: str) -> bool:
        """Whether an approval allows the deal's move from ``from_stage`` (its stage now) to
        ``to_stage`` (:func:`app.domain.approvals.approval_counts`)."""
        entered = self.require("deal", deal_id).get("stage_entered_at")
        rows = self.db.execute(
            """SELECT status, from_stage, to_stage, decided_at FROM approvals
               WHERE deal_id = ? AND from_stage = ? AND to_stage = ? AND _deleted = 0""",
            (deal_id, from_stage, to_stage),
        ).fetchall()
        keys = ("status", "from_stage", "to_stage", "decided_at")
        return any(
            approval_counts(dict(zip(keys, r, strict=True)), from_stage, entered, to_stage)
            for r in rows
        )

    def pending_approval(self, deal_id: str, to_stage: str) -> dict[str, Any] | None:
        row = self.db.execute(
            "SELECT id FROM approvals WHERE deal_id = ? AND to_stage = ? AND status = 'pending' "
            "AND _deleted = 0",
            (deal_id, to_stage),
        ).fetchone()
        return self.get("approval", row[0]) if row else None

    def check_move(self, deal_id: str, target: str, reason: str | None = None) -> Decision:
        facts = self.deal_facts(deal_id)
        return decide_move(
            facts,
            target,
            self.rules,
            reason=reason,
            approved=self.approved(deal_id, facts.stage, target),
        )

    def move_deal(self, deal_id: str, target: str, reason: str | None = None) -> Decision:
        """Move a deal to ``target`` if the rules allow; raise :class:`MoveRefused` otherwise.

        A gated transition whose only problem is the missing approval files an approval
        request instead (offline too) and returns the decision with ``needs_approval``.
        """
        decision = self.check_move(deal_id, target, reason)
        if not decision.allowed:
            only_approval = [p.code for p in decision.problems] == ["approval_required"]
            if only_approval:
                self.request_approval(deal_id, target, reason)
                return decision
            raise MoveRefused(decision)
        deal = self.require("deal", deal_id)
        at = self.clock().isoformat()
        changes = move_changes(decision, str(deal["stage"]), reason, at, deal)
        diff = {k: (deal.get(k), v) for k, v in changes.items()}
        with self.db.atomic():
            self.db.table("deals").update(deal_id, {**changes, "updated_at": at})
            self._record_change(
                "deal",
                deal_id,
                "stage",
                diff,
                {"stage": target, "reason": reason},
                {"stage": deal["stage"]},
                int(deal["_version"] or 0),
                at,
            )
        self._notify([Change("deal", deal_id, "stage", tuple(changes))])
        return decision

    def request_approval(self, deal_id: str, target: str, note: str | None = None) -> str:
        """File (or return the already pending) approval request for a gated move."""
        existing = self.pending_approval(deal_id, target)
        if existing:
            return str(existing["id"])
        deal = self.require("deal", deal_id)
        problem = request_problem(self.rules, deal["stage"], deal["stage"], target)
        if problem is not None:
            raise ValidationFailed({"to_stage": problem.message})
        clean = {
            "deal_id": deal_id,
            "customer_id": deal["customer_id"],
            "from_stage": deal["stage"],
            "to_stage": target,
            "status": "pending",
            "reason": note,
            "requested_by": self.actor,
            "requested_at": self.clock().isoformat(),
        }
        return self.create_checked("approval", clean, None)

    def decide_approval(self, approval_id: str, approve: bool, comment: str = "") -> bool:
        """A lead's verdict on an approval request (:mod:`app.domain.approvals`, the rules the
        server applies too). Approving also makes the move when the locks still hold; returns
        whether the deal moved (the approval stands either way, as on the server)."""
        appr = self.require("approval", approval_id)
        role = self.role_of(self.actor)
        status = APPROVED if approve else REJECTED
        problem = decider_problem(role, self.actor, appr.get("requested_by"))
        if problem is not None:
            raise ValidationFailed({"status": problem.message})
        verdict = judge_decision(appr["status"], status, comment)
        if verdict.problem is not None:
            field = "comment" if verdict.problem.code == "comment_required" else "status"
            raise ValidationFailed({field: verdict.problem.message})
        if verdict.already:
            return False
        at = self.clock().isoformat()
        fields = {
            "status": status,
            "comment": verdict.comment,
            "decided_by": self.actor,
            "decided_at": at,
        }
        diff = {k: (appr.get(k), v) for k, v in fields.items()}
        with self.db.atomic():
            self.db.table("approvals").update(approval_id, fields)
            self._record_change(
                "approval",
                approval_id,
                "decide",
                diff,
                {"status": status, "comment": verdict.comment},
                {"status": "pending"},
                int(appr["_version"] or 0),
                at,
            )
        self._notify([Change("approval", approval_id, "update", tuple(fields))])
        deal = self.get("deal", str(appr["deal_id"]))
        if deal is None or not approval_moves_deal(
            status, deal.get("stage"), appr.get("from_stage"), bool(deal.get("_deleted"))
        ):
            return False
        target = str(appr["to_stage"])
        if not self.check_move(str(deal["id"]), target).allowed:
            return False  # the locks no longer hold: the deal moves once they do
        self.move_deal(str(deal["id"]), target)
        return True

    # ---- follow-ups and attachments --------------------------------------------------------
    def add_followup(self, values: Mapping[str, Any], *, record_id: str | None = None) -> str:
        """Record a structured follow-up (append-only); refreshes the customer's last contact."""
        clean, errors = validate_followup(values, self.rules)
        if errors:
            raise ValidationFailed(errors)
        self.require("customer", str(clean["customer_id"]))
        at = self.clock().isoformat()
        clean.setdefault("priority", self.rules.followup.default_priority)
        clean["author"] = self.actor
        clean["created_at"] = at
        with self.db.atomic():
            rid = self._insert("followup", clean, record_id, at)
            # Derived, not user data: every device computes it the same way from follow-ups.
            self.db.execute(
                "UPDATE customers SET last_followup_at = ? WHERE id = ?", (at, clean["customer_id"])
            )
        self._notify([Change("followup", rid, "create", tuple(clean))])
        return rid

    def files_dir(self) -> Path:
        return self.files.root

    def file_path(self, sha256: str) -> Path:
        """Where an attachment's file is kept (sealed in an encrypted profile)."""
        return self.files.path(sha256)

    def store_file(self, source: Path) -> tuple[str, int]:
        """Keep a copy of a file, content-addressed (sealed in an encrypted profile);
        return (sha256, size)."""
        return self.files.keep(source)

    def _seal_plain_files(self) -> None:
        """Seal the attachment files of a profile that was plain before (once)."""
        if self.key is None or self.meta(SEALED_META):
            return
        with filelock.FileLock(str(self.profile_dir / cipherdb.LOCK_FILE), timeout=60):
            self.files.seal_all()
        self.set_meta(SEALED_META, "1")

    def attach_file(
        self,
        source: Path,
        kind: str,
        *,
        customer_id: str,
        deal_id: str | None = None,
        contact_id: str | None = None,
        mime: str | None = None,
    ) -> str:
        """Keep a file (content-addressed) and record it as an attachment of a record."""
        digest, size = self.store_file(source)
        clean, errors = validate_values(
            "attachment",
            {
                "sha256": digest,
                "kind": kind,
                "filename": source.name,
                "size": size,
                "mime": mime,
                "customer_id": customer_id,
                "deal_id": deal_id,
                "contact_id": contact_id,
            },
        )
        if errors:
            raise ValidationFailed(errors)
        clean["created_by"] = self.actor
        return self.create_checked("attachment", clean, None)

    # ---- search and audit ----------------------------------------------------------------
    def search(self, query: str, limit: int = 50) -> list[search_index.SearchHit]:
        return search_index.search(self.db, query, limit=limit)

    def audit_trail(self, record_id: str) -> list[dict[str, Any]]:
        return list(
            self.db.query("SELECT * FROM audit WHERE record_id = ? ORDER BY seq", (record_id,))
        )

    def verify_audit(self, record_id: str) -> list[int]:
        """Sequence numbers of audit entries of a record that fail the hash chain."""
        trail = self.audit_trail(record_id)
        return [trail[i]["seq"] for i in audit.broken_links(trail)]

    def pending_operations(self, limit: int = -1) -> list[dict[str, Any]]:
        """Queued operations, oldest first (``limit`` -1: all)."""
        rows = self.db.query(
            "SELECT * FROM outbox WHERE state = 'pending' ORDER BY seq LIMIT ?", (limit,)
        )
        return [
            {**r, "fields": json.loads(r["fields"]), "base": json.loads(r["base"])} for r in rows
        ]

    def pending_count(self) -> int:
        return int(
            self.db.execute("SELECT count(*) FROM outbox WHERE state = 'pending'").fetchone()[0]
        )

    # ---- alerts ---------------------------------------------------------------------------
    def refresh_stagnation_alerts(self) -> tuple[int, int]:
        """Raise an alert per open deal with no follow-up in its stage for the configured hours
        (P5) and resolve alerts whose deal moved on; return (raised, resolved).

        Only the deal owner's device does this (the team lead receives the alerts by sync), and
        an alert's id comes from the deal and the time it entered its stage, so two devices
        that both raise it still make one record.
        """
        now = self.clock()
        final = {self.rules.stage_keys[-1], LOST}
        known_user = self.actor in self.user_names_by_id()
        rows = self.db.execute(
            """SELECT d.id, d.customer_id, d.owner, d.title, d.stage, d.stage_entered_at,
                      (SELECT max(f.created_at) FROM followups f
                        WHERE f.deal_id = d.id AND f._deleted = 0) AS last_followup,
                      (SELECT a.id FROM alerts a WHERE a.record_id = d.id AND a.kind = 'stagnation'
                        AND a.resolved_at IS NULL AND a._deleted = 0) AS open_alert
               FROM deals d WHERE d._deleted = 0"""
        ).fetchall()
        raised = resolved = 0
        for deal_id, customer_id, owner, title, stage, entered, last, open_alert in rows:
            if known_user and owner != self.actor:
                continue
            stuck = (
                stage not in final
                and entered is not None
                and is_stagnant(
                    datetime.fromisoformat(entered),
                    datetime.fromisoformat(last) if last else None,
                    now,
                    self.rules,
                )
            )
            if stuck and not open_alert:
                label = self.rules.stage_label(stage)
                hours = self.rules.stagnation_hours
                msg = Msg(
                    "商机「{t}」在{s}阶段已超过{h}小时没有跟进",
                    'Deal "{t}" has had no follow-up in {se} for over {h} hours',
                ).format(t=title, s=label.zh, se=label.en, h=hours)
                alert_id = stagnation_alert_id(deal_id, entered)
                if self.db.execute("SELECT 1 FROM alerts WHERE id = ?", (alert_id,)).fetchone():
                    continue  # raised before (and perhaps resolved by its owner)
                self.create_checked(
                    "alert",
                    {
                        "kind": "stagnation",
                        "customer_id": customer_id,
                        "record_id": deal_id,
                        "owner": owner,
                        "message_zh": msg.zh,
                        "message_en": msg.en,
                    },
                    alert_id,
                )
                raised += 1
            elif open_alert and not stuck:
                self.update_checked("alert", open_alert, {"resolved_at": now.isoformat()})
                resolved += 1
        return raised, resolved

    def refresh_approval_alerts(self) -> int:
        """Tell the requester how the team lead decided: one alert per decided request of
        this user (the verdict arrives by sync). The alert's id comes from the request, so a
        request is announced once however often this runs or on how many devices."""
        rows = self.db.execute(
            """SELECT a.id, a.deal_id, a.customer_id, a.to_stage, a.status, a.comment,
                      d.title, d.owner, coalesce(u.display_name, u.name, a.decided_by)
               FROM approvals a JOIN deals d ON d.id = a.deal_id
               LEFT JOIN users u ON u.id = a.decided_by
               WHERE a.requested_by = ? AND a.status IN ('approved', 'rejected')
                 AND a.decided_at >= ? AND a._deleted = 0 AND d._deleted = 0""",
            (self.actor, (self.clock() - timedelta(days=APPROVAL_ALERT_DAYS)).isoformat()),
        ).fetchall()
        raised = 0
        for appr_id, deal_id, customer_id, to_stage, status, comment, title, owner, who in rows:
            alert_id = str(uuid.uuid5(_ALERT_NS, f"approval:{appr_id}"))
            if self.db.execute("SELECT 1 FROM alerts WHERE id = ?", (alert_id,)).fetchone():
                continue
            msg = approval_outcome_message(
                title, self.rules.stage_label(to_stage), status == "approved", who, comment
            )
            self.create_checked(
                "alert",
                {
                    "kind": "approval",
                    "customer_id": customer_id,
                    "record_id": deal_id,
                    "owner": owner or self.actor,
                    "message_zh": msg.zh,
                    "message_en": msg.en,
                },
                alert_id,
            )
            raised += 1
        return raised

    def resolve_alert(self, alert_id: str) -> None:
        """The user has dealt with an alert: it leaves the open list on every device."""
        alert = self.require("alert", alert_id)
        if alert.get("resolved_at") is None:
            self.update_checked("alert", alert_id, {"resolved_at": self.clock().isoformat()})

    # ---- follow-ups due ---------------------------------------------------------------------
    def snooze_followup(self, followup_id: str, until: date) -> None:
        """Keep a follow-up's next action off the due list until ``until`` (this device)."""
        self.require("followup", followup_id)
        with self.db.atomic():
            self.db.execute(
                "INSERT INTO followup_snoozes(followup_id, until) VALUES (?, ?) "
                "ON CONFLICT(followup_id) DO UPDATE SET until = excluded.until",
                (followup_id, until.isoformat()),
            )
        self._notify([Change("followup", followup_id, "snooze", ("until",))])

    # ---- conflicts and refused edits ------------------------------------------------------
    def record_conflict(
        self,
        entity_name: str,
        record_id: str,
        field_name: str,
        current_value: Any,
        other_value: Any,
        *,
        other_author: str | None,
        other_device: str | None = None,
        other_at: str | None = None,
        lost_here: bool = True,
        conflict_id: str | None = None,
    ) -> str:
        """Keep a value that lost a conflict so the user can restore it (nothing is lost)."""
        cid = conflict_id or new_id()
        with self.db.atomic():
            self.db.execute(
                """INSERT INTO conflicts(id, entity, record_id, field, current_value, other_value,
                       other_author, other_device, other_at, lost_here, created_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(id) DO NOTHING""",
                (
                    cid,
                    entity_name,
                    record_id,
                    field_name,
                    json.dumps(current_value, ensure_ascii=False),
                    json.dumps(other_value, ensure_ascii=False),
                    other_author,
                    other_device,
                    other_at,
                    int(lost_here),
                    self.clock().isoformat(),
                ),
            )
        self._notify([Change("conflict", cid, "create", (field_name,))])
        return cid

    def conflicts(self, *, include_resolved: bool = False) -> list[dict[str, Any]]:
        """Conflicts with both values decoded, newest first."""
        where = "" if include_resolved else "WHERE status = 'open'"
        rows = self.db.query(f"SELECT * FROM conflicts {where} ORDER BY created_at DESC, id")
        return [
            {
                **r,
                "current_value": json.loads(r["current_value"]),
                "other_value": json.loads(r["other_value"]),
            }
            for r in rows
        ]

    def resolve_conflict(self, conflict_id: str, *, restore_other: bool) -> None:
        """Close a conflict: keep the current value, or restore the other one as a new edit.

        Either way the decision is queued for the server, which closes the conflict on every
        device that shows it. A field written ``field.key`` is one key of a structured field.
        """
        row = self.db.execute(
            "SELECT entity, record_id, field, other_value, status FROM conflicts WHERE id = ?",
            (conflict_id,),
        ).fetchone()
        if row is None:
            raise NotFound("conflict", conflict_id)
        entity_name, record_id, field_name, other, status = row
        if status != "open":
            return
        at = self.clock().isoformat()
        with self.db.atomic():
            if restore_other:
                value = json.loads(other)
                name, _, key = field_name.partition(".")
                if key:
                    current = dict(self.require(entity_name, record_id).get(name) or {})
                    if value is None:
                        current.pop(key, None)
                    else:
                        current[key] = value
                    value = current
                self.update(entity_name, record_id, {name: value})
            self.db.execute(
                "UPDATE conflicts SET status = 'resolved', resolved_at = ? WHERE id = ?",
                (at, conflict_id),
            )
            self._queue("conflict", conflict_id, "resolve", {}, {}, 0, at, new_id())
        self._notify([Change("conflict", conflict_id, "update", ("status",))])

    def conflict_count(self) -> int:
        row = self.db.execute("SELECT count(*) FROM conflicts WHERE status = 'open'").fetchone()
        return int(row[0])

    def rejected_operations(self) -> list[dict[str, Any]]:
        """Edits the server refused, with its reason ({code, zh, en} in ``result``)."""
        rows = self.db.query("SELECT * FROM outbox WHERE state = 'rejected' ORDER BY seq")
        return [
            {**r, "fields": json.loads(r["fields"]), "result": json.loads(r["result"] or "{}")}
            for r in rows
        ]

    # ---- users ------------------------------------------------------------------------------
    def upsert_users(self, users: Iterable[Mapping[str, Any]]) -> None:
        """Cache the user directory (it comes from the server; no audit, no outbox)."""
        with self.db.atomic():
            self.db.table("users").upsert_all([dict(u) for u in users], pk="id")

    def upsert_teams(self, teams: Iterable[Mapping[str, Any]]) -> None:
        """Cache the teams of the user directory (a team is the department people name)."""
        with self.db.atomic():
            self.db.table("teams").upsert_all(
                [{"id": t["id"], "name": t["name"]} for t in teams], pk="id"
            )

    def user_ids_by_name(self) -> dict[str, str]:
        return {name: uid for uid, name in self.db.execute("SELECT id, name FROM users")}

    def user_names_by_id(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT id, name FROM users").fetchall())

    def role_of(self, user_id: str) -> str | None:
        """A user's role from the synced directory (None when unknown, e.g. a profile that
        never signed in)."""
        row = self.db.execute("SELECT role FROM users WHERE id = ?", (user_id,)).fetchone()
        return str(row[0]) if row and row[0] else None


def today() -> date:
    return utc_now().date()


__all__ = ["LOST", "Change", "Store", "new_id", "open_database", "utc_now"]
