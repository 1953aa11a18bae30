"""Errors the store reports to its callers.

StoreError
├── ValidationFailed   bad field values; carries a message per field
├── NotFound           no such record (or not visible on this device)
├── MoveRefused        a stage move breaks the process rules; carries the problems
└── StoreUnavailable   the file cannot be used (locked, read-only, disk full, corrupt)
    └── StoreLocked    its key is missing from the keyring or does not open it
"""

from __future__ import annotations

from app.domain.messages import Msg
from app.domain.process import Decision


class StoreError(Exception):
    """Base class of every error the store raises on purpose."""


class ValidationFailed(StoreError):
    """One or more fields are invalid; ``errors`` maps field name → message."""

    def __init__(self, errors: dict[str, Msg], row: int | None = None) -> None:
        self.errors = errors
        self.row = row
        super().__init__("; ".join(f"{k}: {v.en}" for k, v in errors.items()))


class NotFound(StoreError):
    def __init__(self, entity: str, record_id: str) -> None:
        self.entity, self.record_id = entity, record_id
        super().__init__(f"{entity} {record_id} not found")


class MoveRefused(StoreError):
    """A stage move was refused; ``decision.problems`` says why, item by item."""

    def __init__(self, decision: Decision) -> None:
        self.decision = decision
        super().__init__("; ".join(decision.messages("en")))


class StoreUnavailable(StoreError):
    """A known SQLite environment problem, with a message fit for the user."""

    def __init__(self, message: Msg) -> None:
        self.message = message
        super().__init__(message.en)


class StoreLocked(StoreUnavailable):
    """The encrypted store cannot be unlocked: no key, a wrong key, or no keyring to ask."""
