"""Forecast snapshots (SPEC T4, "forecast accuracy history").

At the first tick of a new period the job ``forecast_snapshots`` writes, for every rep of every
team, the *closing* figures of the period that has just ended (what was won in it) and the
*opening* figures of the period that starts (the commit and the evidence-weighted forecast the
rep goes in with). Comparing a period's opening forecast with its closing won amount says whose
commit to believe. The periods are quarters unless the rule data says ``"snapshot_period":
"month"`` under ``forecast``.

Exactly once: the job runs under the scheduler's row lock (:func:`server.leads.jobs.tick`), each
snapshot row is unique by (rep, period, kind) and written with ``ON CONFLICT DO NOTHING``, and a
team whose opening rows for the current period exist is skipped; running it again changes
nothing. Team leads' devices fetch the rows with each sync (``GET /api/v1/reports/snapshots``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.dialects import postgresql, sqlite

from app.domain.forecast import DealRow, Period, period_of
from app.domain.reports import TeamData, snapshot_figures
from app.domain.rules import ProcessRules
from server.admin import current_rules
from server.db import forecast_snapshots, is_postgres, teams
from server.records import Viewer
from server.reports import load_team, utc

SNAPSHOT_NS = uuid.UUID("3b6d1f0e-9a44-4c1e-8f5e-2d7c9b10a6e3")


def snapshot_kind(conn: Connection) -> str:
    raw = current_rules(conn).raw.get("forecast") or {}
    return "month" if raw.get("snapshot_period") == "month" else "quarter"


def take_snapshots(conn: Connection, now: float) -> int:
    """Write the closing and opening snapshots due at ``now``; returns the rows written."""
    rules = current_rules(conn)
    current = period_of(utc(now).date(), snapshot_kind(conn))
    ended = current.previous()
    written = 0
    for (team_id,) in conn.execute(select(teams.c.id).order_by(teams.c.id)).all():
        have = conn.execute(
            select(func.count())
            .select_from(forecast_snapshots)
            .where(
                forecast_snapshots.c.team_id == team_id,
                forecast_snapshots.c.period == current.name,
                forecast_snapshots.c.kind == "opening",
            )
        ).scalar()
        if have:
            continue
        team = load_team(conn, team_id)
        if not team.reps:
            continue
        rows = [
            *snapshot_rows(team_id, team, "closing", ended, team.deals, rules, now),
            *snapshot_rows(team_id, team, "opening", current, team.deals, rules, now),
        ]
        written += insert_snapshots(conn, rows)
    return written


def snapshot_rows(
    team_id: str,
    team: TeamData,
    kind: str,
    period: Period,
    deals: Iterable[DealRow],
    rules: ProcessRules,
    taken_at: float,
) -> list[dict[str, Any]]:
    """The ``kind`` snapshot rows of ``period`` for each rep of ``team``, from ``deals``."""
    return [
        snapshot_row(team_id, rep, period.name, kind, figures, taken_at)
        for rep, figures in snapshot_figures(team, period, deals, rules)
    ]


def snapshot_row(
    team_id: str, rep_id: str, period: str, kind: str, figures: dict[str, float], taken_at: float
) -> dict[str, Any]:
    """A row of ``forecast_snapshots``; its id is the same wherever it is taken."""
    return {
        "id": str(uuid.uuid5(SNAPSHOT_NS, f"{rep_id}:{period}:{kind}")),
        "team_id": team_id,
        "rep_id": rep_id,
        "period": period,
        "kind": kind,
        "taken_at": taken_at,
        "figures": json.dumps(figures),
    }


def insert_snapshots(conn: Connection, rows: list[dict[str, Any]]) -> int:
    """Write snapshot rows, leaving any already taken as they are; returns the rows written."""
    if not rows:
        return 0
    dialect: Any = postgresql if is_postgres(conn) else sqlite
    # Counted by what the insert returns: a batched insert's rowcount is not reliable.
    return len(
        conn.execute(
            dialect.insert(forecast_snapshots)
            .values(rows)
            .on_conflict_do_nothing()
            .returning(forecast_snapshots.c.id)
        ).all()
    )


def visible_snapshots(conn: Connection, viewer: Viewer, limit: int = 5000) -> list[dict[str, Any]]:
    """The snapshots a user may see: a rep their own, a lead their team's, an admin all."""
    q = select(forecast_snapshots).order_by(
        forecast_snapshots.c.period.desc(), forecast_snapshots.c.rep_id
    )
    if viewer.role == "admin":
        pass
    elif viewer.role == "lead" and viewer.team_id:
        q = q.where(forecast_snapshots.c.team_id == viewer.team_id)
    else:
        q = q.where(forecast_snapshots.c.rep_id == viewer.id)
    return [
        {
            "id": r.id,
            "team_id": r.team_id,
            "rep_id": r.rep_id,
            "period": r.period,
            "kind": r.kind,
            "taken_at": utc(r.taken_at).isoformat(timespec="seconds"),
            "figures": json.loads(r.figures),
        }
        for r in conn.execute(q.limit(limit))
    ]


__all__ = [
    "insert_snapshots",
    "snapshot_row",
    "snapshot_rows",
    "take_snapshots",
    "visible_snapshots",
]
