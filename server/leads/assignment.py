"""Assignment on the server (SPEC L2): which rep of the lead's team gets it, and why.

The caller holds the team's assignment lock (:func:`server.leads.common.lock_team`) for the
whole transaction, so the loads and round-robin credits read here are the ones written back:
two server processes taking intake at once cannot both hand the last free slot away.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.domain.leads import Choice, LeadRules, RepFigures, choose_rep, response_due
from server.db import fields_of, is_postgres, lead_state, records, rep_profiles, users
from server.leads.common import OPEN, SYSTEM, stamp
from server.records import Rec, Workspace


def ensure_profiles(conn: Connection, user_ids: Iterable[str]) -> None:
    """A profile row for every user given (defaults: no tags, not on leave, no figures)."""
    ids = sorted(set(user_ids))
    if not ids:
        return
    now = time.time()
    rows = [
        {
            "user_id": u,
            "tags": "[]",
            "on_leave": False,
            "credit": 0.0,
            "leads_in_window": 0,
            "converted_in_window": 0,
            "customers": 0,
            "updated_at": now,
        }
        for u in ids
    ]
    dialect: Any = postgresql if is_postgres(conn) else sqlite
    conn.execute(dialect.insert(rep_profiles).values(rows).on_conflict_do_nothing())


def refresh_stats(conn: Connection, user_ids: Iterable[str], now: float, rules: LeadRules) -> None:
    """Recompute each rep's response speed, conversions and active customers."""
    ids = sorted(set(user_ids))
    if not ids:
        return
    ensure_profiles(conn, ids)
    _note_conversions(conn, ids, now)
    since = now - rules.stats_window_days * 86400
    speed = {
        str(r.owner_id): (r.mean, int(r.n), int(r.conv or 0))
        for r in conn.execute(
            select(
                lead_state.c.owner_id,
                func.avg(lead_state.c.acted_at - lead_state.c.assigned_at).label("mean"),
                func.count().label("n"),
                func.count(lead_state.c.converted_at).label("conv"),
            )
            .where(lead_state.c.owner_id.in_(ids), lead_state.c.assigned_at >= since)
            .group_by(lead_state.c.owner_id)
        )
    }
    customers = {
        str(r.scope_owner): int(r.n)
        for r in conn.execute(
            select(records.c.scope_owner, func.count().label("n"))
            .where(
                records.c.scope_owner.in_(ids),
                records.c.entity == "customer",
                records.c.deleted.is_(False),
            )
            .group_by(records.c.scope_owner)
        )
    }
    for u in ids:
        mean, n, conv = speed.get(u, (None, 0, 0))
        conn.execute(
            update(rep_profiles)
            .where(rep_profiles.c.user_id == u)
            .values(
                mean_response_minutes=None if mean is None else float(mean) / 60.0,
                leads_in_window=n,
                converted_in_window=conv,
                customers=customers.get(u, 0),
                stats_at=now,
                updated_at=now,
            )
        )


def _note_conversions(conn: Connection, user_ids: list[str], now: float) -> None:
    """Mark open leads that their owner has converted on a device (a synced status change)."""
    open_ids = [
        str(r.lead_id)
        for r in conn.execute(
            select(lead_state.c.lead_id).where(
                lead_state.c.owner_id.in_(user_ids), lead_state.c.status.in_(OPEN)
            )
        )
    ]
    for i in range(0, len(open_ids), 500):
        for r in conn.execute(
            select(records.c.id, records.c.data).where(records.c.id.in_(open_ids[i : i + 500]))
        ):
            data = fields_of(r.data, r.id)
            if data is not None and data.get("status") == "converted":
                conn.execute(
                    update(lead_state)
                    .where(lead_state.c.lead_id == r.id)
                    .values(status="converted", converted_at=now)
                )


def _team_rows(conn: Connection, team_id: str) -> list[Any]:
    # One statement: the reps, their profiles and their open leads.
    open_leads = (
        select(lead_state.c.owner_id, func.count().label("n"))
        .where(
            lead_state.c.status.in_(OPEN),
            lead_state.c.owner_id.in_(select(users.c.id).where(users.c.team_id == team_id)),
        )
        .group_by(lead_state.c.owner_id)
        .subquery()
    )
    return list(
        conn.execute(
            select(
                users.c.id,
                users.c.name,
                users.c.active,
                rep_profiles,
                func.coalesce(open_leads.c.n, 0).label("open_leads"),
            )
            .select_from(users)
            .outerjoin(rep_profiles, rep_profiles.c.user_id == users.c.id)
            .outerjoin(open_leads, open_leads.c.owner_id == users.c.id)
            .where(users.c.team_id == team_id, users.c.role == "rep")
            .order_by(users.c.id)
        )
    )


def team_reps(
    conn: Connection, team_id: str | None, now: float, rules: LeadRules
) -> tuple[list[RepFigures], dict[str, str]]:
    """Every rep of the team with the figures the choice needs (stale figures refreshed),
    and their login names."""
    if team_id is None:
        return [], {}
    rows = _team_rows(conn, team_id)
    stale = [
        str(r.id)
        for r in rows
        if r.stats_at is None or r.stats_at < now - rules.job_intervals["rep_stats"]
    ]
    if stale:
        refresh_stats(conn, stale, now, rules)
        rows = _team_rows(conn, team_id)
    out = [
        RepFigures(
            user_id=str(r.id),
            active=bool(r.active),
            on_leave=bool(r.on_leave),
            tags=frozenset(json.loads(r.tags)),
            mean_response_minutes=r.mean_response_minutes,
            leads_in_window=int(r.leads_in_window),
            converted_in_window=int(r.converted_in_window),
            load=int(r.customers) + int(r.open_leads),
            credit=float(r.credit),
        )
        for r in rows
    ]
    return out, {str(r.id): str(r.name) for r in rows}


def lead_tags(rec: Rec) -> list[str]:
    return [str(rec.data[k]) for k in ("region", "product") if rec.data.get(k)]


@dataclass
class TeamSnapshot:
    """A team's reps as read under its lock, kept current across a batch of assignments (each
    choice adds to the chosen rep's load and moves the credits); :meth:`write` stores the
    credits once for the batch."""

    reps: list[RepFigures]
    names: dict[str, str]
    credits: dict[str, float] = field(default_factory=dict)

    @classmethod
    def read(cls, conn: Connection, team_id: str | None, now: float, rules: LeadRules) -> Any:
        reps, names = team_reps(conn, team_id, now, rules)
        return cls(reps, names)

    def chose(self, choice: Choice) -> None:
        self.reps = [
            replace(
                r,
                credit=choice.credits.get(r.user_id, r.credit),
                load=r.load + (1 if r.user_id == choice.user_id else 0),
            )
            for r in self.reps
        ]
        self.credits.update(choice.credits)

    def write(self, conn: Connection, before: dict[str, float]) -> None:
        moved = [
            {"u": user_id, "c": credit}
            for user_id, credit in self.credits.items()
            if credit != before.get(user_id)
        ]
        if moved:
            conn.execute(
                update(rep_profiles)
                .where(rep_profiles.c.user_id == bindparam("u"))
                .values(credit=bindparam("c")),
                moved,
            )


def assign(
    ws: Workspace,
    rec: Rec,
    state: dict[str, Any],
    rules: LeadRules,
    now: float,
    *,
    note_waiting: bool = True,
    team: TeamSnapshot | None = None,
) -> Choice:
    """Choose the rep for a lead and write the choice to the record and its state row.

    With nobody eligible the lead waits (status ``new``, no owner) and the choice says why;
    the ``assign_waiting`` job tries again. With ``team`` the reps come from that snapshot,
    which records the choice; the caller then writes its credits.
    """
    conn = ws.conn
    if team is None:
        reps, names = team_reps(conn, state["team_id"], now, rules)
    else:
        reps, names = team.reps, team.names
    choice = choose_rep(reps, lead_tags(rec), rules)
    if team is not None:
        team.chose(choice)
    else:
        TeamSnapshot(reps, names, dict(choice.credits)).write(
            conn, {r.user_id: r.credit for r in reps}
        )
    why = choice.why()
    why["at"] = stamp(now)
    for part in (*why["candidates"], *why["skipped"]):
        part["name"] = names.get(part["user_id"], part["user_id"])
    if choice.user_id is None:
        if note_waiting:
            why["waiting"] = True
            ws.change(rec, {"assignment": why}, actor=SYSTEM, device="server", op_id=None)
        return choice
    due = response_due(now, bool(state["high_intent"]), rules)
    ws.change(
        rec,
        {
            "owner": choice.user_id,
            "status": "assigned",
            "assigned_at": stamp(now),
            "response_due": stamp(due),
            "assignment": why,
            "updated_at": stamp(now),
        },
        actor=SYSTEM,
        device="server",
        op_id=None,
    )
    ws.rescope(rec, choice.user_id)
    state.update(
        owner_id=choice.user_id,
        status="assigned",
        assigned_at=now,
        response_due=due,
        reclaim_due=now + rules.reclaim_hours * 3600.0,
        acted_at=None,
        outcome=None,
        escalated_at=None,
        pooled_at=None,
    )
    return choice
