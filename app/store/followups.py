"""Follow-ups on the local store (``store.followups``): recording one (append-only) and
keeping one off the due list for a while."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from app.domain.followups import validate_followup
from app.store.changes import Change
from app.store.errors import ValidationFailed
from app.store.part import StorePart

if TYPE_CHECKING:
    pass


class Followups(StorePart):
    """The follow-up operations of one store."""

    def add(self, values: Mapping[str, Any], *, record_id: str | None = None) -> str:
        """Record a structured follow-up (append-only); refreshes the customer's last contact."""
        s = self._store
        clean, errors = validate_followup(values, s.rules)
        if errors:
            raise ValidationFailed(errors)
        s.require("customer", str(clean["customer_id"]))
        at = s.clock().isoformat()
        clean.setdefault("priority", s.rules.followup.default_priority)
        clean["author"] = s.actor
        clean["created_at"] = at
        with self._db.atomic():
            rid = s._insert("followup", clean, record_id, at)
            # Derived, not user data: every device computes it the same way from follow-ups.
            self._db.execute(
                "UPDATE customers SET last_followup_at = ? WHERE id = ?", (at, clean["customer_id"])
            )
        s._notify([Change("followup", rid, "create", tuple(clean))])
        return rid

    def snooze(self, followup_id: str, until: date) -> None:
        """Keep a follow-up's next action off the due list until ``until`` (this device)."""
        self._store.require("followup", followup_id)
        with self._db.atomic():
            self._db.execute(
                "INSERT INTO followup_snoozes(followup_id, until) VALUES (?, ?) "
                "ON CONFLICT(followup_id) DO UPDATE SET until = excluded.until",
                (followup_id, until.isoformat()),
            )
        self._store._notify([Change("followup", followup_id, "snooze", ("until",))])
