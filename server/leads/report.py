"""The fairness report (SPEC L4): each rep's share of high-intent leads over a period, and new
hires' first-week leads against the team mean (flagged below ``fairness_flag_below``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from app.domain.leads import fairness
from server.db import lead_state, users
from server.leads.common import lead_rules, stamp, team_id_of


def fairness_report(engine: Engine, team: str, start: float, end: float) -> dict[str, Any]:
    """The report for ``team`` (name or id) over ``[start, end)``; LookupError if no team."""
    with engine.connect() as conn:
        team_id = team_id_of(conn, team)
        if team_id is None:
            raise LookupError(team)
        rules = lead_rules(conn)
        reps = {
            str(r.id): (float(r.created_at), str(r.name))
            for r in conn.execute(
                select(users.c.id, users.c.name, users.c.created_at).where(
                    users.c.team_id == team_id, users.c.role == "rep"
                )
            )
        }
        rows = [
            (str(r.owner_id), float(r.assigned_at), bool(r.high_intent))
            for r in conn.execute(
                select(
                    lead_state.c.owner_id, lead_state.c.assigned_at, lead_state.c.high_intent
                ).where(
                    lead_state.c.team_id == team_id,
                    lead_state.c.assigned_at >= start,
                    lead_state.c.assigned_at < end,
                    lead_state.c.owner_id.is_not(None),
                )
            )
        ]
    shares = fairness({k: v[0] for k, v in reps.items()}, rows, start=start, end=end, rules=rules)
    return {
        "team": team,
        "from": stamp(start),
        "to": stamp(end),
        "flag_below": rules.fairness_flag_below,
        "reps": [{"name": reps[s.user_id][1], **s.as_dict()} for s in shares],
    }
