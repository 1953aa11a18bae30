"""The base of the store's sub-objects (``store.deals``, ``store.alerts``, …)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlite_utils

if TYPE_CHECKING:
    from app.store.service import Store


class StorePart:
    """One area of a store's work. It reads on the store's connection and writes through the
    store's write path, so audit, outbox and search stay in the same transaction."""

    def __init__(self, store: Store, db: sqlite_utils.Database) -> None:
        self._store = store
        self._db = db
