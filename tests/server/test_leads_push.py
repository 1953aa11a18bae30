"""Leads created and changed by devices through the ordinary push, over real HTTP: the lead
engine scores and times them, refuses edits to what it owns, judges acceptances by when the rep
acted, keeps conversion and reassignment bookkeeping (docs/SYNC.md §10)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from helpers.world import World, latest, new_id, op, pull_all, sign_in
from sqlalchemy import Engine, select

from server.db import lead_state, loads, records
from server.leads import jobs, reps
from server.leads.intake import store_leads

HIGH = {
    "company": "睿鼎科技有限公司",
    "title": "采购总监",
    "company_size": 800,
    "budget_stated": True,
    "timeline_urgency": 3,
}


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def _push(client: httpx.Client, headers: dict[str, str], *ops: dict[str, Any]) -> list[Any]:
    r = client.post("/sync/push", json={"device": "dev-1", "ops": list(ops)}, headers=headers)
    assert r.status_code == 200, r.text
    results: list[Any] = r.json()["results"]
    return results


def _record(engine: Engine, lead_id: str) -> tuple[dict[str, Any], int]:
    with engine.connect() as conn:
        row = conn.execute(
            select(records.c.data, records.c.version).where(records.c.id == lead_id)
        ).one()
    return loads(row.data), int(row.version)


def _state(engine: Engine, lead_id: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(lead_state).where(lead_state.c.lead_id == lead_id)).one()


def _create(client: httpx.Client, headers: dict[str, str], **fields: Any) -> str:
    lead_id = new_id()
    (res,) = _push(client, headers, op("lead", "create", lead_id, {"name": "王磊", **fields}))
    assert res["status"] == "applied", res
    return lead_id


def test_a_lead_made_on_a_device_is_scored_timed_and_owned_by_its_maker(
    world: World, client: httpx.Client
) -> None:
    h = sign_in(client, "ra1")
    # A device's own score, deadline and status are the server's to set: replaced, not kept.
    lead_id = _create(
        client,
        h,
        channel="trade_show",
        mobile="13812345678",
        score=3,
        response_due="2099-01-01T00:00:00+00:00",
        status="new",
        **{k: v for k, v in HIGH.items() if k in ("company", "title")},
    )
    data, _ = _record(world.engine, lead_id)
    state = _state(world.engine, lead_id)
    assert data["owner"] == world.ra1.id and data["status"] == "assigned"
    assert data["score"] == state.score and data["score"] != 3
    assert data["score_reasons"]["factors"], data
    assert state.owner_id == world.ra1.id and state.team_id == world.ra1.team_id
    assert state.channel == "trade_show" and state.external_id is None
    window = 15 * 60 if state.high_intent else 4 * 3600
    assert state.response_due - state.assigned_at == pytest.approx(window)
    assert datetime.fromisoformat(data["response_due"]).timestamp() == pytest.approx(
        state.response_due, abs=1
    )
    # The maker's device receives the server's values back.
    changes, _ = pull_all(world.engine, world.ra1)
    assert latest(changes)[lead_id]["fields"]["score"] == data["score"]
    # A rep cannot make a lead for someone else.
    (res,) = _push(client, h, op("lead", "create", new_id(), {"name": "甲", "owner": world.ra2.id}))
    assert res["status"] == "rejected" and res["code"] == "forbidden_owner"
    # Nobody puts a new lead straight into the pool.
    (res,) = _push(client, h, op("lead", "create", new_id(), {"name": "乙", "status": "pooled"}))
    assert res["status"] == "rejected" and res["code"] == "server_owned"


def test_device_edits_to_what_the_engine_owns_are_refused(
    world: World, client: httpx.Client
) -> None:
    h = sign_in(client, "ra1")
    lead_id = _create(client, h)
    data, version = _record(world.engine, lead_id)
    for fields in (
        {"score": 99},
        {"response_due": "2099-01-01T00:00:00+00:00"},
        {"assigned_at": "2020-01-01T00:00:00+00:00"},
        {"score_reasons": {"score": 100}},
        {"accepted_at": "2020-01-01T00:00:00+00:00"},
        {"status": "new"},
        {"status": "pooled"},
    ):
        (res,) = _push(client, h, op("lead", "update", lead_id, fields, base_version=version))
        assert res["status"] == "rejected", (fields, res)
        assert res["code"] == "server_owned", (fields, res)
        assert res["message"]["zh"] and res["message"]["en"]
    # An echo of the stored value beside a real edit is not an edit of it.
    echo = {"score": data["score"], "notes": "展会上聊过"}
    (res,) = _push(client, h, op("lead", "update", lead_id, echo, base_version=version))
    assert res["status"] == "applied", res
    after, _ = _record(world.engine, lead_id)
    assert after["notes"] == "展会上聊过" and after["score"] == data["score"]
    assert after["response_due"] == data["response_due"]


def test_an_acceptance_pushed_late_counts_when_the_rep_acted(
    world: World, client: httpx.Client
) -> None:
    reps.set_profile(world.engine, "ra2", on_leave=True)
    # Assigned an hour ago, high intent: due 45 minutes ago.
    (lead,) = store_leads(
        world.engine,
        "trade_show",
        world.ra1.team_id or "",
        [{"external_id": "p1", "name": "甲", **HIGH}],
        now=time.time() - 3600,
    )
    lead_id = lead["id"]
    state = _state(world.engine, lead_id)
    _, version = _record(world.engine, lead_id)
    # The deadline passes while the rep's laptop is offline: escalated.
    assert jobs.tick(world.engine, state.response_due + 1)["deadlines"] == 1
    # The rep had accepted five minutes after the assignment; the edit arrives now.
    acted = op("lead", "update", lead_id, {"status": "accepted"}, base_version=version)
    acted["at"] = _iso(state.assigned_at + 300)
    other = sign_in(client, "ra2")
    (res,) = _push(client, other, {**acted, "op_id": new_id()})
    assert res["status"] == "rejected" and res["code"] == "not_found"
    (res,) = _push(client, sign_in(client, "ra1"), acted)
    assert res["status"] == "applied", res
    after = _state(world.engine, lead_id)
    assert (after.status, after.outcome) == ("accepted", "on_time")
    assert after.acted_at == pytest.approx(state.assigned_at + 300, abs=2)
    data, _ = _record(world.engine, lead_id)
    assert data["status"] == "accepted" and data["accepted_at"]
    # The escalation is resolved and the lead stays the rep's past the reclaim window.
    changes, _ = pull_all(world.engine, world.la)
    escalations = [
        c["fields"]
        for c in latest(changes).values()
        if c["entity"] == "alert" and c["fields"]["kind"] == "lead_response"
    ]
    assert len(escalations) == 1 and escalations[0]["resolved_at"]
    assert jobs.tick(world.engine, state.assigned_at + 49 * 3600)["reclaim"] == 0


def test_an_acceptance_claiming_the_future_counts_as_its_arrival(
    world: World, client: httpx.Client
) -> None:
    h = sign_in(client, "ra1")
    lead_id = _create(client, h)
    _, version = _record(world.engine, lead_id)
    edit = op("lead", "update", lead_id, {"status": "contacted"}, base_version=version)
    edit["at"] = _iso(time.time() + 86400)
    before = time.time()
    (res,) = _push(client, h, edit)
    assert res["status"] == "applied", res
    state = _state(world.engine, lead_id)
    assert state.status == "contacted" and before - 1 <= state.acted_at <= time.time() + 1


def test_a_reassignment_restarts_the_deadline_and_conversion_closes_the_lead(
    world: World, client: httpx.Client
) -> None:
    hr, hl = sign_in(client, "ra1"), sign_in(client, "la")
    lead_id = _create(client, hr)
    first = _state(world.engine, lead_id)
    _, version = _record(world.engine, lead_id)
    # A rep cannot give a lead away; the team lead can, and the new owner's clock starts now.
    (res,) = _push(
        client, hr, op("lead", "update", lead_id, {"owner": world.ra2.id}, base_version=version)
    )
    assert res["status"] == "rejected" and res["code"] == "forbidden_owner"
    start = time.time()
    (res,) = _push(
        client, hl, op("lead", "update", lead_id, {"owner": world.ra2.id}, base_version=version)
    )
    assert res["status"] == "applied", res
    moved = _state(world.engine, lead_id)
    assert moved.owner_id == world.ra2.id and moved.status == "assigned"
    assert moved.assigned_at >= start - 1 and moved.assigned_at >= first.assigned_at
    assert moved.response_due - moved.assigned_at == pytest.approx(
        first.response_due - first.assigned_at
    )
    data, version = _record(world.engine, lead_id)
    assert data["owner"] == world.ra2.id
    assert datetime.fromisoformat(data["assigned_at"]).timestamp() == pytest.approx(
        moved.assigned_at, abs=1
    )
    # The new owner's device has it; the old owner's does not.
    assert lead_id in latest(pull_all(world.engine, world.ra2)[0])
    assert lead_id not in latest(pull_all(world.engine, world.ra1)[0])
    # The former owner can no longer accept it.
    (res,) = _push(
        client, hr, op("lead", "update", lead_id, {"status": "accepted"}, base_version=version)
    )
    assert res["status"] == "rejected"

    # Converted on ra2's device (customer first, then the lead linked to it).
    h2 = sign_in(client, "ra2")
    cid = new_id()
    (res,) = _push(
        client,
        h2,
        op("customer", "create", cid, {"name": "睿鼎科技有限公司", "owner": world.ra2.id}),
        op(
            "lead",
            "update",
            lead_id,
            {"status": "converted", "customer_id": cid},
            base_version=version,
        ),
    )[1:]
    assert res["status"] == "applied", res
    closed = _state(world.engine, lead_id)
    assert closed.status == "converted" and closed.converted_at is not None
    assert closed.outcome == "on_time"
    # A converted lead is neither escalated nor reclaimed.
    assert jobs.tick(world.engine, closed.response_due + 1)["deadlines"] == 0
    assert jobs.tick(world.engine, closed.assigned_at + 49 * 3600)["reclaim"] == 0


def test_tick_with_the_same_now_is_idempotent(world: World, client: httpx.Client) -> None:
    h = sign_in(client, "ra1")
    lead_id = _create(client, h)
    state = _state(world.engine, lead_id)
    at = state.reclaim_due + 1
    first = jobs.tick(world.engine, at)
    assert first["deadlines"] == 1 and first["reclaim"] == 1
    snapshot = pull_all(world.engine, world.la)[0]
    again = jobs.tick(world.engine, at)
    assert all(v == "not due" for v in again.values()), again
    with world.engine.begin() as conn:
        conn.execute(jobs.jobs.update().values(next_due=0))
    forced = jobs.tick(world.engine, at)
    assert forced["deadlines"] == 0 and forced["reclaim"] == 0
    # Nothing new reached anyone's device.
    assert pull_all(world.engine, world.la)[0] == snapshot
