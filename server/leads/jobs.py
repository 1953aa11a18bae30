"""Scheduled jobs: the time-based lead rules, run by the server (SPEC L3, L5, P5).

Each job has a row in ``jobs`` with the time it is next due. :func:`tick` runs every job due
at ``now`` once, each in its own transaction that first locks the job's row — with ``SKIP
LOCKED`` on PostgreSQL, so a second server process ticking at the same moment passes over a
job another is running, then finds it no longer due. SQLite serialises write transactions.
Jobs are also idempotent by themselves (a lead is escalated once, an alert id is derived from
its cause), so running a tick again with the same ``now`` changes nothing.

``fieldcrm-server tick [--now ISO]`` runs one tick; ``serve`` ticks every few seconds
(:class:`Scheduler`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.dialects import postgresql, sqlite

from server.db import is_postgres, jobs, lead_state, users, write_tx
from server.journey import run_journey
from server.leads.assignment import assign, refresh_stats
from server.leads.common import lead_rules, lock_team
from server.leads.pool import run_customer_pool, run_reclaim
from server.leads.response import run_deadlines
from server.leads.stagnation import run_stagnation
from server.leads.webhooks import run_webhooks
from server.records import Directory, Workspace
from server.reports.snapshots import take_snapshots

log = logging.getLogger("fieldcrm.server.jobs")


def run_assign_waiting(conn: Connection, now: float) -> int:
    """Try again to assign leads that found no eligible rep."""
    rules = lead_rules(conn)
    waiting = list(
        conn.execute(
            select(lead_state)
            .where(lead_state.c.status == "waiting")
            .order_by(lead_state.c.created_at)
            .limit(500)
            .with_for_update(skip_locked=is_postgres(conn))
        )
    )
    done = 0
    for team_id in sorted({r.team_id for r in waiting if r.team_id}):
        lock_team(conn, team_id)
        ws = Workspace(conn, now, Directory.load(conn))
        rows = [r for r in waiting if r.team_id == team_id]
        ws.load([r.lead_id for r in rows])
        for row in rows:
            rec = ws.get(row.lead_id)
            if rec is None or rec.deleted:
                continue
            state = dict(row._mapping)
            if assign(ws, rec, state, rules, now, note_waiting=False).user_id is not None:
                conn.execute(
                    update(lead_state)
                    .where(lead_state.c.lead_id == row.lead_id)
                    .values({k: v for k, v in state.items() if k != "lead_id"})
                )
                done += 1
        ws.flush()
    return done


def run_rep_stats(conn: Connection, now: float) -> int:
    """Recompute every rep's assignment figures (SPEC L2: "recomputed periodically")."""
    ids = [str(r.id) for r in conn.execute(select(users.c.id).where(users.c.role == "rep"))]
    refresh_stats(conn, ids, now, lead_rules(conn))
    return len(ids)


def _health_brief(conn: Connection, now: float) -> int:
    from server.health import run_health_briefs  # it reads the whole team: loaded when due

    return run_health_briefs(conn, now)


JOBS: dict[str, Callable[[Connection, float], int]] = {
    "deadlines": run_deadlines,
    "reclaim": run_reclaim,
    "assign_waiting": run_assign_waiting,
    "customer_pool": run_customer_pool,
    "rep_stats": run_rep_stats,
    "forecast_snapshots": take_snapshots,
    "stagnation": run_stagnation,
    "webhooks": run_webhooks,
    "journey": run_journey,
    "health_brief": _health_brief,
}


def _ensure_rows(engine: Engine) -> None:
    with write_tx(engine) as conn:
        dialect: Any = postgresql if is_postgres(conn) else sqlite
        conn.execute(
            dialect.insert(jobs)
            .values([{"name": n, "next_due": 0.0, "runs": 0} for n in JOBS])
            .on_conflict_do_nothing()
        )


def tick(engine: Engine, now: float | None = None) -> dict[str, Any]:
    """Run every job due at ``now`` once; returns what each did (a count, or why not)."""
    at = time.time() if now is None else now
    _ensure_rows(engine)
    report: dict[str, Any] = {}
    for name, job in JOBS.items():
        with write_tx(engine) as conn:
            row = conn.execute(
                select(jobs)
                .where(jobs.c.name == name)
                .with_for_update(skip_locked=is_postgres(conn))
            ).first()
            if row is None:
                report[name] = "busy"
                continue
            if row.next_due > at:
                report[name] = "not due"
                continue
            interval = lead_rules(conn).job_intervals.get(name, 60)
            report[name] = job(conn, at)
            conn.execute(
                update(jobs)
                .where(jobs.c.name == name)
                .values(next_due=at + interval, last_as_of=at, runs=row.runs + 1)
            )
    return report


class Scheduler:
    """Ticks in a background thread of a serving process until stopped."""

    def __init__(self, engine: Engine, every_s: float) -> None:
        self.engine, self.every_s = engine, every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fieldcrm-jobs", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                tick(self.engine)
            except Exception:  # a failed tick is retried at the next one; never end the loop
                log.exception("scheduled jobs failed")
