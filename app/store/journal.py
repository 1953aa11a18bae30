"""The store's journal: the audit trail and the outbox, the two records every change leaves.

Only the store's write path writes here (inside its transaction); sync reads the outbox and the
UI reads the audit trail through :class:`Journal`'s named methods.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from app.domain import audit


def new_id() -> str:
    """A record or operation id made on this device (never collides with another device's)."""
    return str(uuid.uuid4())


def _audit_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _dumps(value: Mapping[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


@dataclass(frozen=True, kw_only=True)
class Entry:
    """One change as the journal keeps it.

    ``audit`` is {field: (old, new)} for the audit trail; ``fields`` and ``base`` are what the
    outbox operation sends (the new values, and the values they replace); ``base_version`` is
    the record's version the change was made on. ``fresh``: a record created in this
    transaction, whose audit chain starts anew.
    """

    entity: str
    record_id: str
    action: str
    at: str
    audit: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)
    fields: Mapping[str, Any] = field(default_factory=dict)
    base: Mapping[str, Any] = field(default_factory=dict)
    base_version: int = 0
    fresh: bool = False

    @classmethod
    def creation(cls, entity: str, record_id: str, at: str, values: Mapping[str, Any]) -> Entry:
        """A new record: one audit entry holding the whole initial record ("*")."""
        return cls(
            entity=entity,
            record_id=record_id,
            action="create",
            at=at,
            audit={"*": (None, values)},
            fields=values,
            fresh=True,
        )

    @classmethod
    def edit(
        cls,
        entity: str,
        current: Mapping[str, Any],
        at: str,
        diff: Mapping[str, tuple[Any, Any]],
        *,
        action: str = "update",
        fields: Mapping[str, Any] | None = None,
        base: Mapping[str, Any] | None = None,
    ) -> Entry:
        """A change to the record ``current`` (as stored before it): ``diff`` is audited as
        {field: (old, new)}; the operation sends the new values on the old ones unless
        ``fields`` and ``base`` say otherwise."""
        return cls(
            entity=entity,
            record_id=str(current["id"]),
            action=action,
            at=at,
            audit=diff,
            fields={k: new for k, (_, new) in diff.items()} if fields is None else fields,
            base={k: old for k, (old, _) in diff.items()} if base is None else base,
            base_version=int(current.get("_version") or 0),
        )


class Journal:
    """Audit entries and outbox operations of one store (``store.journal``)."""

    def __init__(self, db: sqlite_utils.Database, who: Callable[[], tuple[str, str]]) -> None:
        self._db = db
        # (actor, device) at the time of writing: a profile learns its user at sign-in.
        self._who = who

    # ---- writing (inside the store's transaction) ------------------------------------------
    def record(self, entry: Entry) -> str:
        """Audit entries and the outbox operation for one change, tied by one operation id."""
        op_id = new_id()
        self.audit(entry, op_id=op_id)
        return self.queue(entry, op_id=op_id)

    def audit(self, entry: Entry, *, op_id: str | None = None) -> list[dict[str, Any]]:
        """Append one hash-chained audit entry per changed field of ``entry``."""
        last = (
            None
            if entry.fresh
            else self._db.execute(
                "SELECT hash FROM audit WHERE record_id = ? ORDER BY seq DESC LIMIT 1",
                (entry.record_id,),
            ).fetchone()
        )
        prev = last[0] if last else audit.GENESIS
        actor, device = self._who()
        entries = []
        for field_name, (old, new) in entry.audit.items():
            row = {
                "entity": entry.entity,
                "record_id": entry.record_id,
                "field": field_name,
                "old": _audit_text(old),
                "new": _audit_text(new),
                "actor": actor,
                "device": device,
                "at": entry.at,
                "op_id": op_id,
            }
            row["prev_hash"] = prev
            row["hash"] = prev = audit.entry_hash(row, prev)
            entries.append(row)
        if entries:
            self._db.conn.executemany(
                "INSERT INTO audit(entity, record_id, field, old, new, actor, device, at, "
                "prev_hash, hash, op_id) VALUES (:entity, :record_id, :field, :old, :new, :actor, "
                ":device, :at, :prev_hash, :hash, :op_id)",
                entries,
            )
        return entries

    def queue(self, entry: Entry, *, op_id: str | None = None) -> str:
        """Queue ``entry`` for the server as one outbox operation; return its id."""
        op_id = op_id or new_id()
        actor, device = self._who()
        self._db.execute(
            """INSERT INTO outbox(op_id, entity, record_id, action, base_version, fields, base,
                                  actor, device, at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                op_id,
                entry.entity,
                entry.record_id,
                entry.action,
                entry.base_version,
                _dumps(entry.fields),
                _dumps(entry.base),
                actor,
                device,
                entry.at,
            ),
        )
        return op_id

    # ---- reading ----------------------------------------------------------------------------
    def trail(self, record_id: str) -> list[dict[str, Any]]:
        """A record's audit entries, oldest first."""
        return list(
            self._db.query("SELECT * FROM audit WHERE record_id = ? ORDER BY seq", (record_id,))
        )

    def verify(self, record_id: str) -> list[int]:
        """Sequence numbers of audit entries of a record that fail the hash chain."""
        trail = self.trail(record_id)
        return [trail[i]["seq"] for i in audit.broken_links(trail)]

    def pending(self, limit: int = -1) -> list[dict[str, Any]]:
        """Queued operations, oldest first (``limit`` -1: all)."""
        rows = self._db.query(
            "SELECT * FROM outbox WHERE state = 'pending' ORDER BY seq LIMIT ?", (limit,)
        )
        return [
            {**r, "fields": json.loads(r["fields"]), "base": json.loads(r["base"])} for r in rows
        ]

    def pending_count(self) -> int:
        return int(
            self._db.execute("SELECT count(*) FROM outbox WHERE state = 'pending'").fetchone()[0]
        )

    def rejected(self) -> list[dict[str, Any]]:
        """Edits the server refused, with its reason ({code, zh, en} in ``result``)."""
        rows = self._db.query("SELECT * FROM outbox WHERE state = 'rejected' ORDER BY seq")
        return [
            {**r, "fields": json.loads(r["fields"]), "result": json.loads(r["result"] or "{}")}
            for r in rows
        ]
