"""The team lead's reports over the central data (SPEC T3, T4): the same pure functions the
desktop runs over its synced store (:mod:`app.domain.reports`), fed from ``records``.

``fieldcrm-server report forecast|pipeline --team T`` prints them; the scheduled job
``forecast_snapshots`` (:mod:`server.reports.snapshots`) keeps each period's figures.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from app.domain.forecast import deal_row
from app.domain.process import done_tasks
from app.domain.reports import TeamData
from server.db import fields_of, records, users

_BATCH = 500


def load_team(conn: Connection, team_id: str) -> TeamData:
    """A team's deals (those in its members' scope, as its lead sees them) and its reps."""
    members: list[str] = []
    reps: list[str] = []
    names: dict[str, str] = {}
    display: dict[str, str] = {}
    for r in conn.execute(
        select(
            users.c.id,
            users.c.name,
            users.c.display_name,
            users.c.role,
            users.c.team_id,
            users.c.active,
        ).order_by(users.c.name)
    ):
        names[r.id], display[r.id] = r.name, r.display_name or r.name
        if r.team_id == team_id:
            members.append(r.id)
            if r.role == "rep" and r.active:
                reps.append(r.id)
    deals: list[dict[str, Any]] = []
    for i in range(0, len(members), _BATCH):
        for row in conn.execute(
            select(records.c.id, records.c.data).where(
                records.c.entity == "deal",
                records.c.deleted.is_(False),
                records.c.scope_owner.in_(members[i : i + _BATCH]),
            )
        ):
            data = fields_of(row.data, row.id)
            if data is not None:
                deals.append({**data, "id": row.id})
    ids = [d["id"] for d in deals]
    kinds: dict[str, set[str]] = defaultdict(set)
    last: dict[str, str] = {}
    done: dict[str, frozenset[tuple[str, str]]] = defaultdict(frozenset)
    for i in range(0, len(ids), _BATCH):
        chunk = ids[i : i + _BATCH]
        for part in conn.execute(
            select(records.c.id, records.c.deal_id, records.c.entity, records.c.data).where(
                records.c.entity.in_(("attachment", "followup", "task")),
                records.c.deleted.is_(False),
                records.c.deal_id.in_(chunk),
            )
        ):
            data = fields_of(part.data, part.id)
            if data is None:
                continue
            if part.entity == "attachment" and data.get("kind"):
                kinds[part.deal_id].add(str(data["kind"]))
            elif part.entity == "task":
                done[part.deal_id] |= done_tasks([data])
            elif part.entity == "followup" and data.get("created_at"):
                at = str(data["created_at"])
                if at > last.get(part.deal_id, ""):
                    last[part.deal_id] = at
    rows = [
        deal_row(
            d,
            attachment_kinds=kinds.get(d["id"], ()),
            last_followup_at=last.get(d["id"]),
            done_tasks=done.get(d["id"], ()),
        )
        for d in deals
    ]
    return TeamData(rows, reps, names, display)


def utc(now: float) -> datetime:
    from datetime import UTC

    return datetime.fromtimestamp(now, UTC)


__all__ = ["load_team", "utc"]
