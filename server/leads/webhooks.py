"""Escalations to a team's chat robot (WeCom, DingTalk or Feishu), optional per team.

An escalation writes a delivery row in its own transaction — nothing is sent there, so a slow
or broken robot never holds up intake or the deadline job. The ``webhooks`` job posts what is
due, and retries failures with a growing pause (up to ``MAX_ATTEMPTS``); a delivery's id comes
from its event, so an event is queued once however often the job that raised it runs.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.dialects import postgresql, sqlite

from server.admin import AdminError
from server.db import is_postgres, team_webhooks, webhook_deliveries, write_tx
from server.leads.common import team_id_of

KINDS = ("wecom", "dingtalk", "feishu")
MAX_ATTEMPTS = 8
TIMEOUT_S = 5.0


def robot_body(kind: str, text: str) -> dict[str, Any]:
    """The text message in the robot's own format."""
    if kind == "feishu":
        return {"msg_type": "text", "content": {"text": text}}
    return {"msgtype": "text", "text": {"content": text}}  # WeCom and DingTalk


def set_webhook(engine: Engine, team: str, kind: str, url: str | None) -> None:
    """Set (or with ``url`` None, remove) a team's robot."""
    if kind not in KINDS:
        raise AdminError(f"kind must be one of {', '.join(KINDS)}")
    if url is not None and not url.startswith(("https://", "http://")):
        raise AdminError("the webhook must be an http(s) URL")
    with write_tx(engine) as conn:
        team_id = team_id_of(conn, team)
        if team_id is None:
            raise AdminError(f"no team called {team!r}")
        conn.execute(team_webhooks.delete().where(team_webhooks.c.team_id == team_id))
        if url is not None:
            conn.execute(
                team_webhooks.insert().values(
                    team_id=team_id, kind=kind, url=url, updated_at=time.time()
                )
            )


def queue(conn: Connection, team_id: str | None, event_id: str, text: str, now: float) -> None:
    """Queue ``text`` for the team's robot, if it has one (inside the caller's transaction)."""
    if team_id is None:
        return
    hook = conn.execute(
        select(team_webhooks.c.kind).where(team_webhooks.c.team_id == team_id)
    ).first()
    if hook is None:
        return
    dialect: Any = postgresql if is_postgres(conn) else sqlite
    conn.execute(
        dialect.insert(webhook_deliveries)
        .values(
            id=event_id[:64],
            team_id=team_id,
            body=json.dumps(robot_body(str(hook.kind), text), ensure_ascii=False),
            attempts=0,
            next_try=now,
        )
        .on_conflict_do_nothing()
    )


def run_webhooks(conn: Connection, now: float) -> int:
    """Post every due delivery once; returns how many were delivered."""
    due = list(
        conn.execute(
            select(webhook_deliveries, team_webhooks.c.url)
            .join(team_webhooks, team_webhooks.c.team_id == webhook_deliveries.c.team_id)
            .where(
                webhook_deliveries.c.delivered_at.is_(None),
                webhook_deliveries.c.next_try <= now,
                webhook_deliveries.c.attempts < MAX_ATTEMPTS,
            )
            .order_by(webhook_deliveries.c.next_try)
            .limit(100)
            .with_for_update(of=webhook_deliveries, skip_locked=is_postgres(conn))
        )
    )
    delivered = 0
    with httpx.Client(timeout=TIMEOUT_S) as http:
        for row in due:
            error = None
            try:
                r = http.post(
                    row.url, content=row.body, headers={"Content-Type": "application/json"}
                )
                if r.status_code >= 300:
                    error = f"HTTP {r.status_code}"
            except httpx.HTTPError as exc:
                error = type(exc).__name__
            values: dict[str, Any] = {"attempts": row.attempts + 1, "last_error": error}
            if error is None:
                values["delivered_at"] = now
                delivered += 1
            else:
                values["next_try"] = now + min(3600.0, 30.0 * 2**row.attempts)
            conn.execute(
                update(webhook_deliveries).where(webhook_deliveries.c.id == row.id).values(values)
            )
    return delivered
