"""Assignment on the server (SPEC L2): which rep of the lead's team gets it, and why.

The caller holds the team's assignment lock (:func:`server.leads.common.lock_team`) for the
whole transaction, so the loads and round-robin credits read here are the ones written back:
two server processes taking intake at once cannot both hand the last free slot away.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, and_, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.domain.leads import Choice, LeadRules, RepFigures, choose_rep, response_due
from server.db import is_postgres, lead_state, records, rep_profiles, users
from server.leads.common import OPEN, SYSTEM, stamp, user_names
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
            if json.loads(r.data).get("status") == "converted":
                conn.execute(
                    update(lead_state)
                    .where(lead_state.c.lead_id == r.id)
                    .values(status="converted", converted_at=now)
                )


def team_reps(
    conn: Connection, team_id: str | None, now: float, rules: LeadRules
) -> list[RepFigures]:
    """Every rep of the team with the figures the choice needs (stale figures refreshed)."""
    if team_id is None:
        return []
    members = list(
        conn.execute(
            select(users.c.id, users.c.active).where(
                users.c.team_id == team_id, users.c.role == "rep"
            )
        )
    )
    ids = [str(m.id) for m in members]
    ensure_profiles(conn, ids)
    profiles = {
        str(p.user_id): p
        for p in conn.execute(select(rep_profiles).where(rep_profiles.c.user_id.in_(ids)))
    }
    stale = [
        u
        for u in ids
        if profiles[u].stats_at is None
        or profiles[u].stats_at < now - rules.job_intervals["rep_stats"]
    ]
    if stale:
        refresh_stats(conn, stale, now, rules)
        profiles.update(
            {
                str(p.user_id): p
                for p in conn.execute(select(rep_profiles).where(rep_profiles.c.user_id.in_(stale)))
            }
        )
    open_leads = {
        str(r.owner_id): int(r.n)
        for r in conn.execute(
            select(lead_state.c.owner_id, func.count().label("n"))
            .where(and_(lead_state.c.owner_id.in_(ids), lead_state.c.status.in_(OPEN)))
            .group_by(lead_state.c.owner_id)
        )
    }
    out = []
    for m in members:
        p = profiles[str(m.id)]
        out.append(
            RepFigures(
                user_id=str(m.id),
                active=bool(m.active),
                on_leave=bool(p.on_leave),
                tags=frozenset(json.loads(p.tags)),
                mean_response_minutes=p.mean_response_minutes,
                leads_in_window=int(p.leads_in_window),
                converted_in_window=int(p.converted_in_window),
                load=int(p.customers) + open_leads.get(str(m.id), 0),
                credit=float(p.credit),
            )
        )
    return out


def lead_tags(rec: Rec) -> list[str]:
    return [str(rec.data[k]) for k in ("region", "product") if rec.data.get(k)]


def assign(
    ws: Workspace,
    rec: Rec,
    state: dict[str, Any],
    rules: LeadRules,
    now: float,
    *,
    note_waiting: bool = True,
) -> Choice:
    """Choose the rep for a lead and write the choice to the record and its state row.

    With nobody eligible the lead waits (status ``new``, no owner) and the choice says why;
    the ``assign_waiting`` job tries again.
    """
    conn = ws.conn
    reps = team_reps(conn, state["team_id"], now, rules)
    choice = choose_rep(reps, lead_tags(rec), rules)
    for user_id, credit in choice.credits.items():
        conn.execute(
            update(rep_profiles).where(rep_profiles.c.user_id == user_id).values(credit=credit)
        )
    names = user_names(
        conn, [w.user_id for w in choice.weights] + [s.user_id for s in choice.skipped]
    )
    why = choice.why()
    why["at"] = stamp(now)
    for part in (*why["candidates"], *why["skipped"]):
        part["name"] = names.get(part["user_id"], (part["user_id"], ""))[0]
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
