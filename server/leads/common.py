"""Helpers shared by the lead engine: rule data, team lock, users, alerts and times."""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select, text

from app.domain.leads import LeadRules
from app.domain.messages import Msg
from server.admin import current_rules
from server.db import is_postgres, teams, users
from server.records import Workspace, iso

SYSTEM = "system"
DEVICE = "server"
ALERT_NS = uuid.UUID("0b7f7f4e-0f0e-4d8c-9a55-3c1f8f7c2a10")
OPEN = ("assigned", "accepted", "contacted")


def lead_rules(conn: Connection) -> LeadRules:
    return current_rules(conn).leads


def lock_team(conn: Connection, team_id: str | None) -> None:
    """Serialise assignment within one team until the transaction ends.

    PostgreSQL: a transaction-scoped advisory lock keyed by the team. SQLite: every write
    transaction already holds the database's write lock (``BEGIN IMMEDIATE``).
    """
    if is_postgres(conn):
        key = zlib.crc32(f"fieldcrm-assign:{team_id}".encode()) - 2**31
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def parse_time(value: str | None) -> float | None:
    """An ISO time from a device or an operator as epoch seconds (naive means UTC)."""
    if not value:
        return None
    stamp = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.timestamp()


def team_id_of(conn: Connection, team: str) -> str | None:
    row = conn.execute(
        select(teams.c.id).where((teams.c.name == team) | (teams.c.id == team))
    ).first()
    return None if row is None else str(row.id)


def team_leads(conn: Connection, team_id: str | None) -> list[str]:
    """The active team leads of a team (who hear escalations)."""
    if team_id is None:
        return []
    rows = conn.execute(
        select(users.c.id).where(
            users.c.team_id == team_id, users.c.role == "lead", users.c.active.is_(True)
        )
    )
    return sorted(str(r.id) for r in rows)


def user_names(conn: Connection, ids: Iterable[str | None]) -> dict[str, tuple[str, str]]:
    """Login and display names by user id."""
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    rows = conn.execute(
        select(users.c.id, users.c.name, users.c.display_name).where(users.c.id.in_(wanted))
    )
    return {str(r.id): (str(r.name), str(r.display_name)) for r in rows}


def raise_alert(
    ws: Workspace,
    *,
    kind: str,
    owner: str,
    record_id: str,
    key: str,
    message: Msg,
    customer_id: str | None = None,
) -> bool:
    """An alert record for ``owner`` (synced to their devices); the id is derived from
    ``key`` so that the same event never raises two alerts. False when it existed already."""
    alert_id = str(uuid.uuid5(ALERT_NS, f"{kind}:{key}:{owner}"))
    ws.load([alert_id])
    if ws.get(alert_id) is not None:
        return False
    values: dict[str, Any] = {
        "kind": kind,
        "record_id": record_id,
        "owner": owner,
        "message_zh": message.zh,
        "message_en": message.en,
        "created_at": ws.stamp,
    }
    if customer_id is not None:
        values["customer_id"] = customer_id
    ws.create(
        "alert",
        alert_id,
        values,
        customer_id=customer_id,
        scope_owner=owner,
        actor=SYSTEM,
        device=DEVICE,
        op_id=None,
    )
    return True


def resolve_alert(ws: Workspace, *, kind: str, owner: str, key: str) -> None:
    """Mark an alert raised by :func:`raise_alert` as resolved (when the cause went away)."""
    alert_id = str(uuid.uuid5(ALERT_NS, f"{kind}:{key}:{owner}"))
    ws.load([alert_id])
    rec = ws.get(alert_id)
    if rec is not None and not rec.data.get("resolved_at"):
        ws.change(rec, {"resolved_at": ws.stamp}, actor=SYSTEM, device=DEVICE, op_id=None)


def stamp(ts: float | None) -> str | None:
    return None if ts is None else iso(ts)
