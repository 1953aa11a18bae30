"""The user directory cached from the server (``store.directory``): users, their roles and
their teams. It is the server's; no audit, no outbox."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlite_utils


class Directory:
    """The cached user directory of one store."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self._db = db

    def upsert_users(self, users: Iterable[Mapping[str, Any]]) -> None:
        """Cache the user directory."""
        with self._db.atomic():
            self._db.table("users").upsert_all([dict(u) for u in users], pk="id")

    def upsert_teams(self, teams: Iterable[Mapping[str, Any]]) -> None:
        """Cache the teams of the user directory (a team is the department people name)."""
        with self._db.atomic():
            self._db.table("teams").upsert_all(
                [{"id": t["id"], "name": t["name"]} for t in teams], pk="id"
            )

    def ids_by_name(self) -> dict[str, str]:
        return {name: uid for uid, name in self._db.execute("SELECT id, name FROM users")}

    def names_by_id(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT id, name FROM users").fetchall())

    def role_of(self, user_id: str) -> str | None:
        """A user's role (None when unknown, e.g. a profile that never signed in)."""
        row = self._db.execute("SELECT role FROM users WHERE id = ?", (user_id,)).fetchone()
        return str(row[0]) if row and row[0] else None
