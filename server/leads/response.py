"""The response lock (SPEC L3): accepting a lead, and what happens at its deadline.

An acceptance (or "contacted") may have been made offline. It counts at the time the rep
acted, corrected for the device clock and bounded by the assignment and the arrival
(:func:`app.domain.leads.acted_at`); see docs/SYNC.md. It keeps the lead as long as the lead
is still the rep's when it arrives: once the reclaim window has sent the lead to the pool, a
late-arriving acceptance is refused with the reason.

At the deadline the ``deadlines`` job marks the lead *missed* and raises an escalation alert for
the team's lead(s); a rep whose last ``misses_to_flag`` judged leads were all missed is flagged
(an alert on the lead's dashboard). An on-time acceptance that arrives after the escalation
turns the miss back into ``on_time`` and resolves the escalation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select, update

from app.domain.leads import LeadRules, acted_at, miss_streak
from app.domain.messages import Msg
from server.db import is_postgres, lead_state, rep_profiles
from server.leads.common import (
    lead_rules,
    raise_alert,
    resolve_alert,
    stamp,
    team_leads,
    user_names,
)
from server.leads.webhooks import queue as queue_webhook
from server.records import Directory, Rec, Viewer, Workspace

ACTIONS = ("accepted", "contacted")


@dataclass
class Refused(Exception):
    """An acceptance the server cannot take; ``code`` and ``message`` say why."""

    status: int
    code: str
    message: Msg
    extra: dict[str, Any]


def _state_row(conn: Connection, lead_id: str) -> Any:
    q = select(lead_state).where(lead_state.c.lead_id == lead_id).with_for_update()
    return conn.execute(q).first()


def accept(
    conn: Connection,
    viewer: Viewer,
    lead_id: str,
    *,
    action: str,
    device_acted: float,
    device_sent: float | None,
    received: float,
) -> dict[str, Any]:
    """Judge and record a rep's acceptance (or contact) of a lead assigned to them."""
    if action not in ACTIONS:
        raise Refused(422, "bad_action", Msg("无效操作", "Unknown action"), {})
    row = _state_row(conn, lead_id)
    ws = Workspace(conn, received, Directory.load(conn))
    ws.load([lead_id])
    rec = ws.get(lead_id)
    if row is None or rec is None or rec.deleted or rec.entity != "lead":
        raise Refused(
            404, "not_found", Msg("线索不存在或无权访问", "No such lead in your records"), {}
        )
    check_owner(conn, row, viewer.id)
    values = judge(ws, row, action, device_acted, device_sent, received)
    ws.change(
        rec,
        {"status": values["status"], "accepted_at": values["accepted_at"], "updated_at": ws.stamp},
        actor=viewer.id,
        device="server",
        op_id=None,
    )
    ws.flush()
    return {
        "id": lead_id,
        "status": values["status"],
        "accepted_at": values["accepted_at"],
        "outcome": values["outcome"],
        "response_due": stamp(row.response_due),
    }


def check_owner(conn: Connection, row: Any, user_id: str) -> None:
    """Refuse an acceptance by anyone but the lead's current owner, or of a closed lead."""
    if row.owner_id != user_id:
        if row.status == "pooled":
            raise Refused(
                409,
                "pooled",
                Msg(
                    f"线索已于 {stamp(row.pooled_at)} 退回公海,请从公海认领",
                    f"The lead went back to the pool at {stamp(row.pooled_at)}; claim it there",
                ),
                {"pooled_at": stamp(row.pooled_at)},
            )
        owner = user_names(conn, [row.owner_id]).get(row.owner_id or "")
        raise Refused(
            409,
            "not_yours",
            Msg("线索已分配给其他人", "The lead belongs to someone else"),
            {"owner": owner[0] if owner else None},
        )
    if row.status not in ("assigned", "accepted", "contacted"):
        raise Refused(
            409,
            "closed",
            Msg(f"线索状态为 {row.status},无法接受", f"The lead is {row.status}"),
            {},
        )


def judge(
    ws: Workspace,
    row: Any,
    action: str,
    device_acted: float,
    device_sent: float | None,
    received: float,
) -> dict[str, Any]:
    """Record the acceptance in the lead's state row (the caller checked the owner) and return
    the values the lead record gets: ``status``, ``accepted_at`` and the ``outcome``."""
    conn = ws.conn
    assigned = float(row.assigned_at or received)
    when = acted_at(device_acted, device_sent, received, assigned)
    first = row.acted_at is None
    effective = when if first else min(float(row.acted_at), when)
    outcome = "on_time" if effective <= float(row.response_due or received) else "late"
    new_status = "contacted" if "contacted" in (action, row.status) else "accepted"
    conn.execute(
        update(lead_state)
        .where(lead_state.c.lead_id == row.lead_id)
        .values(status=new_status, acted_at=effective, outcome=outcome)
    )
    if row.escalated_at is not None and outcome == "on_time":
        # The rep answered in time while offline: the escalation raised meanwhile is moot.
        for lead_user in team_leads(conn, row.team_id):
            resolve_alert(ws, kind="lead_response", owner=lead_user, key=_escalation_key(row))
    return {"status": new_status, "accepted_at": stamp(effective), "outcome": outcome}


def settle_from_record(conn: Connection, row: Any, rec: Rec) -> bool:
    """Take over a status the owner set by an ordinary synced edit rather than through
    :func:`accept` (older clients): it counts when the server received it, with no offline
    credit. True when the lead is no longer waiting for its owner's answer."""
    status = rec.data.get("status")
    if status not in ("accepted", "contacted", "converted") or rec.deleted:
        return False
    acted = float(rec.updated_at)
    values: dict[str, Any] = {
        "status": status,
        "acted_at": acted,
        "outcome": "on_time" if acted <= float(row.response_due or acted) else "late",
    }
    if status == "converted":
        values["converted_at"] = acted
    conn.execute(update(lead_state).where(lead_state.c.lead_id == row.lead_id).values(values))
    return True


def _escalation_key(row: Any) -> str:
    return f"{row.lead_id}:{row.assigned_at}"


def run_deadlines(conn: Connection, now: float) -> int:
    """Escalate every assigned lead whose deadline has passed unanswered; returns how many."""
    rules = lead_rules(conn)
    q = (
        select(lead_state)
        .where(
            lead_state.c.status == "assigned",
            lead_state.c.response_due <= now,
            lead_state.c.escalated_at.is_(None),
        )
        .order_by(lead_state.c.lead_id)
        .limit(1000)
        .with_for_update(skip_locked=is_postgres(conn))
    )
    due = list(conn.execute(q))
    if not due:
        return 0
    ws = Workspace(conn, now, Directory.load(conn))
    ws.load([r.lead_id for r in due])
    names = user_names(conn, [r.owner_id for r in due])
    escalated = 0
    for row in due:
        rec = ws.get(row.lead_id)
        if rec is not None and settle_from_record(conn, row, rec):
            continue
        escalated += 1
        conn.execute(
            update(lead_state)
            .where(lead_state.c.lead_id == row.lead_id)
            .values(escalated_at=now, outcome="missed")
        )
        rep = names.get(row.owner_id or "", (row.owner_id, row.owner_id))[1]
        lead_name = rec.data.get("name") if rec else row.lead_id
        message = Msg(
            f"{rep} 未在 {stamp(row.response_due)} 前响应线索「{lead_name}」",
            f"{rep} did not answer lead {lead_name} by {stamp(row.response_due)}",
        )
        queue_webhook(
            conn,
            row.team_id,
            f"lead_response:{_escalation_key(row)}",
            f"{message.zh}\n{message.en}",
            now,
        )
        for lead_user in team_leads(conn, row.team_id):
            raise_alert(
                ws,
                kind="lead_response",
                owner=lead_user,
                record_id=row.lead_id,
                key=_escalation_key(row),
                message=message,
            )
        _maybe_flag(ws, row, rules, now, rep)
    ws.flush()
    return escalated


def _maybe_flag(ws: Workspace, row: Any, rules: LeadRules, now: float, rep: str) -> None:
    conn = ws.conn
    outcomes = [
        str(r.outcome)
        for r in conn.execute(
            select(lead_state.c.outcome)
            .where(lead_state.c.owner_id == row.owner_id, lead_state.c.outcome.is_not(None))
            .order_by(lead_state.c.response_due.desc())
            .limit(rules.misses_to_flag + 1)
        )
    ]
    # Exactly at the threshold: a longer streak does not raise the flag again and again.
    if miss_streak(outcomes) != rules.misses_to_flag:
        return
    conn.execute(
        update(rep_profiles).where(rep_profiles.c.user_id == row.owner_id).values(flagged_at=now)
    )
    for lead_user in team_leads(conn, row.team_id):
        raise_alert(
            ws,
            kind="rep_flagged",
            owner=lead_user,
            record_id=str(row.owner_id),
            # One flag per streak: keyed by the lead that completed it.
            key=f"{row.owner_id}:{row.lead_id}",
            message=Msg(
                f"{rep} 连续 {rules.misses_to_flag} 次未按时响应线索",
                f"{rep} missed {rules.misses_to_flag} lead deadlines in a row",
            ),
        )
