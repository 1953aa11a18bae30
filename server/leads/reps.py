"""Reps as the assignment sees them: region/product tags and leave (``user add/edit``)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable

from sqlalchemy import Engine, select, update

from server.admin import AdminError
from server.db import rep_profiles, users, write_tx
from server.leads.assignment import ensure_profiles


def parse_tags(text: str) -> list[str]:
    """``"华东, 新能源"`` → ``["华东", "新能源"]`` (lower-cased, no blanks, no repeats)."""
    seen: dict[str, None] = {}
    for part in text.replace(",", ",").split(","):
        tag = part.strip().lower()
        if tag:
            if len(tag) > 50:
                raise AdminError(f"tag too long: {tag[:20]}…")
            seen[tag] = None
    return list(seen)


def set_profile(
    engine: Engine, user: str, *, tags: Iterable[str] | None = None, on_leave: bool | None = None
) -> None:
    """Change a user's tags and/or leave."""
    with write_tx(engine) as conn:
        row = conn.execute(
            select(users.c.id).where((users.c.name == user) | (users.c.id == user))
        ).first()
        if row is None:
            raise AdminError(f"no user called {user!r}")
        ensure_profiles(conn, [str(row.id)])
        values: dict[str, object] = {"updated_at": time.time()}
        if tags is not None:
            values["tags"] = json.dumps(sorted(set(tags)), ensure_ascii=False)
        if on_leave is not None:
            values["on_leave"] = on_leave
        conn.execute(update(rep_profiles).where(rep_profiles.c.user_id == row.id).values(values))


def profile(engine: Engine, user_id: str) -> dict[str, object]:
    with engine.connect() as conn:
        row = conn.execute(select(rep_profiles).where(rep_profiles.c.user_id == user_id)).first()
    if row is None:
        return {"tags": [], "on_leave": False}
    return {"tags": json.loads(row.tags), "on_leave": bool(row.on_leave)}
