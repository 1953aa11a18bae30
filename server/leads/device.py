"""Leads that devices create and change through the ordinary push (docs/SYNC.md §10).

A lead typed in by hand or read from a business card arrives as a ``create``: it is scored and
given its response deadline and state row here, like a lead from intake, with the creator (or
the rep a team lead names) as its owner. A device never sets what the lead engine owns — the
score and its reasons, the assignment, the deadline, the acceptance time — and an ``update``
that tries is refused. A status change to accepted / contacted is judged by
:func:`server.leads.response.judge` at the time the rep acted (the operation's ``at``) bounded
by the assignment and the arrival; conversion and discarding close the lead's state row; a
team lead giving the lead to another rep restarts its response deadline.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update

from app.domain.leads import is_high_intent, response_due, score_lead
from app.domain.schema import validate_values
from server.db import lead_state
from server.leads.common import OPEN, SYSTEM, parse_time, stamp
from server.leads.response import Refused, check_owner, judge
from server.push import rejections as R
from server.push.context import Batch
from server.push.fields import validation_error
from server.push.wire import Operation
from server.records import Rec

# Values the lead engine sets; a device's copy is only ever the server's echo.
SERVER_OWNED = (
    "score",
    "score_reasons",
    "assignment",
    "assigned_at",
    "response_due",
    "accepted_at",
    "external_id",
)
# Statuses only the engine gives: assignment, the pool.
SERVER_STATUSES = ("new", "assigned", "pooled")


def _check_owned_values(fields: Mapping[str, Any]) -> None:
    """A server-owned value a device sends is refused as invalid when it is not even a valid
    value (a score of 150, a date that is not one), before it is dropped or compared."""
    given = {name: fields[name] for name in SERVER_OWNED if name in fields}
    if given:
        _, errors = validate_values("lead", given, partial=True, allow_system=True)
        if errors:
            raise validation_error(errors)


def prepare_create(fields: dict[str, Any]) -> None:
    """Drop server-owned values from a new lead (the server computes them)."""
    _check_owned_values(fields)
    for name in SERVER_OWNED:
        fields.pop(name, None)
    if fields.get("status") == "pooled":
        raise R.LEAD_STATUS_SERVER.format(status="pooled")()
    if fields.get("status") in SERVER_STATUSES:
        fields.pop("status")


def complete_create(batch: Batch, clean: dict[str, Any]) -> None:
    """Score a new lead and set its assignment values (owner: the one ``clean`` names)."""
    rules = batch.rules.leads
    score, reasons = score_lead(clean, rules)
    high = is_high_intent(score, rules)
    now = batch.ws.now
    status = clean.get("status") or "assigned"
    clean.update(
        score=score,
        score_reasons={
            "score": score,
            "high_intent": high,
            "factors": [r.as_dict() for r in reasons],
        },
        status=status,
        assigned_at=stamp(now),
        response_due=stamp(response_due(now, high, rules)),
    )
    if status in ("accepted", "contacted"):
        clean["accepted_at"] = stamp(now)


def created(batch: Batch, op: Operation, rec: Rec) -> None:
    """The new lead's state row: deadline, reclaim time and (if already answered) outcome."""
    rules = batch.rules.leads
    now = batch.ws.now
    data = rec.data
    owner = str(data["owner"])
    status = str(data.get("status"))
    score = int(data.get("score") or 0)
    high = is_high_intent(score, rules)
    acted = now if status in ("accepted", "contacted", "converted") else None
    batch.ws.insert_later(
        lead_state,
        [
            {
                "lead_id": rec.id,
                "team_id": batch.directory.team_of(owner),
                "channel": data.get("channel") or "other",
                "external_id": None,
                "score": score,
                "high_intent": high,
                "status": status,
                "owner_id": owner,
                "created_at": now,
                "assigned_at": now,
                "response_due": response_due(now, high, rules),
                "acted_at": acted,
                "outcome": None if acted is None else "on_time",
                "escalated_at": None,
                "reclaim_due": now + rules.reclaim_hours * 3600.0,
                "pooled_at": None,
                "converted_at": now if status == "converted" else None,
            }
        ],
    )


def _state(batch: Batch, lead_id: str) -> Any:
    q = select(lead_state).where(lead_state.c.lead_id == lead_id).with_for_update()
    return batch.ws.conn.execute(q).first()


def _refused(exc: Refused) -> R.Rejected:
    return R.Rejected(exc.code, exc.message, **exc.extra)


def screen_update(batch: Batch, rec: Rec, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a lead update the server will merge; refuses changes to what the lead
    engine owns and status changes the rep may not make. A server-owned value equal to the
    stored one is the device's echo and is dropped."""
    _check_owned_values(fields)
    out = dict(fields)
    for name in SERVER_OWNED:
        if name not in out:
            continue
        if out[name] != rec.data.get(name):
            raise R.LEAD_SERVER_OWNED.format(field=name)(field=name)
        del out[name]
    status = out.get("status")
    if status is None or status == rec.data.get("status"):
        out.pop("status", None)
        return out
    if status in SERVER_STATUSES:
        raise R.LEAD_STATUS_SERVER.format(status=str(status)[:20])()
    row = _state(batch, rec.id)
    if row is not None and status in ("accepted", "contacted"):
        try:
            check_owner(batch.ws.conn, row, batch.viewer.id)
        except Refused as exc:
            raise _refused(exc) from None
    return out


def updated(batch: Batch, op: Operation, rec: Rec, changes: Mapping[str, Any]) -> None:
    """Bookkeeping after a lead update was merged: a new owner restarts the deadline; an
    acceptance is judged; conversion and discarding close the state row."""
    ws = batch.ws
    row = _state(batch, rec.id)
    if row is None:
        return  # a lead from before the engine: nothing to keep time for
    now = ws.now
    conn = ws.conn
    if "owner" in changes and changes["owner"] != row.owner_id:
        rules = batch.rules.leads
        due = response_due(now, bool(row.high_intent), rules)
        conn.execute(
            update(lead_state)
            .where(lead_state.c.lead_id == rec.id)
            .values(
                owner_id=changes["owner"],
                team_id=batch.directory.team_of(str(changes["owner"])) or row.team_id,
                status="assigned",
                assigned_at=now,
                response_due=due,
                reclaim_due=now + rules.reclaim_hours * 3600.0,
                acted_at=None,
                outcome=None,
                escalated_at=None,
                pooled_at=None,
            )
        )
        ws.change(
            rec,
            {
                "status": "assigned",
                "assigned_at": stamp(now),
                "response_due": stamp(due),
                "accepted_at": None,
            },
            actor=SYSTEM,
            device="server",
            op_id=None,
        )
        return
    status = changes.get("status")
    if status in ("accepted", "contacted") and row.status in OPEN:
        try:
            acted = parse_time(op.at)
        except ValueError:
            acted = None
        values = judge(ws, row, str(status), now if acted is None else acted, None, now)
        ws.change(
            rec,
            {"status": values["status"], "accepted_at": values["accepted_at"]},
            actor=SYSTEM,
            device="server",
            op_id=None,
        )
    elif status == "converted" and row.status != "converted":
        closing: dict[str, Any] = {"status": "converted", "converted_at": now}
        if row.acted_at is None:
            # Converting is the first answer the rep gave: it counts when it arrived.
            closing["acted_at"] = now
            closing["outcome"] = "on_time" if now <= float(row.response_due or now) else "late"
        conn.execute(update(lead_state).where(lead_state.c.lead_id == rec.id).values(closing))
    elif status == "discarded" and row.status != "discarded":
        conn.execute(
            update(lead_state).where(lead_state.c.lead_id == rec.id).values(status="discarded")
        )
