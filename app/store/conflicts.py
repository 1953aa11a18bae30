"""Conflicts sync lost on this device, kept so the user can restore them (``store.conflicts``).

Nothing is lost in a conflict: the value that did not win is kept here until the user keeps
the current one or restores it, and the decision is queued for the server.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from app.store.changes import Change
from app.store.errors import NotFound
from app.store.journal import Entry, new_id
from app.store.part import StorePart

if TYPE_CHECKING:
    pass


class Conflicts(StorePart):
    """The conflict operations of one store."""

    def record(
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
        with self._db.atomic():
            self._db.execute(
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
                    self._store.clock().isoformat(),
                ),
            )
        self._store._notify([Change("conflict", cid, "create", (field_name,))])
        return cid

    def rows(self, *, include_resolved: bool = False) -> list[dict[str, Any]]:
        """Conflicts with both values decoded, newest first."""
        where = "" if include_resolved else "WHERE status = 'open'"
        rows = self._db.query(f"SELECT * FROM conflicts {where} ORDER BY created_at DESC, id")
        return [
            {
                **r,
                "current_value": json.loads(r["current_value"]),
                "other_value": json.loads(r["other_value"]),
            }
            for r in rows
        ]

    def resolve(self, conflict_id: str, *, restore_other: bool) -> None:
        """Close a conflict: keep the current value, or restore the other one as a new edit.

        Either way the decision is queued for the server, which closes the conflict on every
        device that shows it. A field written ``field.key`` is one key of a structured field.
        """
        s = self._store
        row = self._db.execute(
            "SELECT entity, record_id, field, other_value, status FROM conflicts WHERE id = ?",
            (conflict_id,),
        ).fetchone()
        if row is None:
            raise NotFound("conflict", conflict_id)
        entity_name, record_id, field_name, other, status = row
        if status != "open":
            return
        at = s.clock().isoformat()
        with self._db.atomic():
            if restore_other:
                value = json.loads(other)
                name, _, key = field_name.partition(".")
                if key:
                    current = dict(s.require(entity_name, record_id).get(name) or {})
                    if value is None:
                        current.pop(key, None)
                    else:
                        current[key] = value
                    value = current
                s.update(entity_name, record_id, {name: value})
            self._db.execute(
                "UPDATE conflicts SET status = 'resolved', resolved_at = ? WHERE id = ?",
                (at, conflict_id),
            )
            s.journal.queue(
                Entry(entity="conflict", record_id=conflict_id, action="resolve", at=at)
            )
        s._notify([Change("conflict", conflict_id, "update", ("status",))])

    def count(self) -> int:
        """How many conflicts are still open."""
        row = self._db.execute("SELECT count(*) FROM conflicts WHERE status = 'open'").fetchone()
        return int(row[0])
