"""The customer-success journey (SPEC J1), run by the server's scheduled ticks.

Every signed deal gets the journey's tasks (the steps of the ``journey`` rule data: a welcome
call the day after signing, a health check a month in, the renewal pack ninety days before the
contract expires). A step's task id comes from the deal and the step
(:func:`app.domain.tasks.journey_task_id`), so running the job again makes nothing new; a task
still open whose anchor date changed (the contract's expiry moved) is moved with it.

A step may follow another (``"after": "welcome"``): its task is made at the first tick after
the step it follows is done.

Tasks go to the customer's success manager: the customer's owner when they are a ``csm``, else
(rule ``assign: "csm"``) the team's active csm with the fewest open tasks, else the deal's owner.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from app.domain.tasks import (
    DONE,
    JOURNEY_KINDS,
    OPEN,
    JourneyIssue,
    JourneyRules,
    journey_rules,
    plan_journey,
    scan_journeys,
)
from server.admin import current_rules
from server.db import fields_of, records
from server.leads.common import DEVICE, SYSTEM
from server.records import Directory, Rec, Workspace


def _open_task_counts(conn: Connection, owners: list[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    if not owners:
        return counts
    rows = conn.execute(
        select(records.c.id, records.c.scope_owner, records.c.data).where(
            records.c.entity == "task",
            records.c.deleted.is_(False),
            records.c.scope_owner.in_(owners),
        )
    )
    for r in rows:
        data = fields_of(r.data, r.id)
        if data is not None and data.get("status", OPEN) == OPEN:
            counts[str(r.scope_owner)] += 1
    return counts


class _Assigner:
    """Chooses each customer's success manager, counting the tasks given out as it goes."""

    def __init__(self, conn: Connection, directory: Directory, rules: JourneyRules) -> None:
        self.directory, self.rules = directory, rules
        self.csms = sorted(
            (m for m in directory.members.values() if m.role == "csm" and m.active),
            key=lambda m: m.name,
        )
        self.load = _open_task_counts(conn, [m.id for m in self.csms])

    def choose(self, customer: Rec, deal: dict[str, Any], existing: list[Rec]) -> str | None:
        for rec in existing:  # a journey under way keeps its manager
            if rec.scope_owner:
                return rec.scope_owner
        owner = customer.data.get("owner")
        member = self.directory.members.get(str(owner))
        if member is not None and member.role == "csm" and member.active:
            return member.id
        if self.rules.assign == "csm" and member is not None:
            team = [m for m in self.csms if m.team_id == member.team_id]
            if team:
                return min(team, key=lambda m: self.load[m.id]).id
        return str(deal.get("owner") or owner) if (deal.get("owner") or owner) else None


def run_journey(conn: Connection, now: float) -> int:
    """Make the journey tasks due to signed deals and move renewal tasks whose contract expiry
    changed; returns how many tasks were made or moved."""
    rules = current_rules(conn)
    jr = journey_rules(rules.raw)
    won = rules.won_stage
    deals = []
    for r in conn.execute(
        select(records.c.id, records.c.data, records.c.customer_id).where(
            records.c.entity == "deal", records.c.deleted.is_(False)
        )
    ):
        data = fields_of(r.data, r.id)
        if data is not None and data.get("stage") == won and r.customer_id:
            deals.append((str(r.id), str(r.customer_id), data))
    if not deals or not jr.steps:
        return 0
    directory = Directory.load(conn)
    ws = Workspace(conn, now, directory)
    plans = {deal_id: plan_journey(deal_id, data, jr) for deal_id, _c, data in deals}
    ws.load([p.task_id for steps in plans.values() for p in steps])
    ws.load({c for _d, c, _data in deals}, lock=False)
    assigner = _Assigner(conn, directory, jr)
    touched = 0
    for deal_id, customer_id, data in deals:
        customer = ws.get(customer_id)
        if customer is None or customer.deleted:
            continue
        steps = plans[deal_id]
        existing = [t for p in steps if (t := ws.get(p.task_id)) is not None]
        assignee = assigner.choose(customer, data, existing)
        if assignee is None:
            continue
        done = {
            p.step.key
            for p in steps
            if (t := ws.get(p.task_id)) is not None and t.data.get("status") == DONE
        }
        for p in steps:
            rec = ws.get(p.task_id)
            if rec is None and p.step.after is not None and p.step.after not in done:
                continue  # made once the step it follows is done
            if rec is None:
                ws.create(
                    "task",
                    p.task_id,
                    {
                        "title": p.step.title.zh,
                        "kind": p.step.kind,
                        "status": OPEN,
                        "priority": p.step.priority,
                        "owner": assignee,
                        "due_at": p.due_at,
                        "customer_id": customer_id,
                        "deal_id": deal_id,
                        "related_name": customer.data.get("name"),
                        "step": p.step.key,
                        "anchor": p.anchor,
                        "created_by": SYSTEM,
                        "created_at": ws.stamp,
                        "updated_at": ws.stamp,
                    },
                    customer_id=None,
                    scope_owner=assignee,
                    actor=SYSTEM,
                    device=DEVICE,
                    op_id=None,
                )
                assigner.load[assignee] += 1
                touched += 1
            elif (
                not rec.deleted
                and rec.data.get("status", OPEN) == OPEN
                and rec.data.get("anchor") != p.anchor
            ):
                ws.change(
                    rec,
                    {"due_at": p.due_at, "anchor": p.anchor, "updated_at": ws.stamp},
                    actor=SYSTEM,
                    device=DEVICE,
                    op_id=None,
                )
                touched += 1
    ws.flush()
    return touched


def scan(engine: Engine, now: float, team_id: str | None = None) -> list[JourneyIssue]:
    """Signed customers whose journey never started or stalled (of one team, or all)."""
    with engine.connect() as conn:
        rules = current_rules(conn)
        directory = Directory.load(conn)
        deals, tasks, names = [], [], {}
        for r in conn.execute(
            select(records.c.id, records.c.entity, records.c.data, records.c.customer_id).where(
                records.c.entity.in_(("deal", "task", "customer")), records.c.deleted.is_(False)
            )
        ):
            data = fields_of(r.data, r.id)
            if data is None:
                continue
            if r.entity == "customer":
                names[str(r.id)] = str(data.get("name") or "")
            elif r.entity == "task" and data.get("kind") in JOURNEY_KINDS:
                tasks.append(data)
            elif (
                r.entity == "deal"
                and data.get("stage") == rules.won_stage
                and (team_id is None or directory.team_of(data.get("owner")) == team_id)
            ):
                deals.append({**data, "id": str(r.id)})
    for d in deals:
        d["customer_name"] = names.get(str(d.get("customer_id")), "")
    return scan_journeys(deals, tasks, datetime.fromtimestamp(now, UTC), journey_rules(rules.raw))
