"""Tasks between devices and the server (SPEC J1, J2): a task made offline reaches the team
lead; a signed deal's journey, started by the server's tick, reaches the success manager's
device, who finishes a step there."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from helpers.syncing import PASSWORD, Device, Server
from sqlalchemy import select

from app.domain.tasks import journey_task_id
from app.store import todo
from server import admin
from server.db import loads, records, write_tx
from server.leads import jobs
from server.records import Directory, Workspace


def _sign_on_server(server: Server, deal_id: str) -> None:
    """The deal signed and its contract dated on the server (a fixture: the stage locks and
    approvals on the way to signing are tested elsewhere)."""
    with write_tx(server.engine) as conn:
        ws = Workspace(conn, time.time(), Directory.load(conn))
        ws.load([deal_id])
        rec = ws.get(deal_id)
        assert rec is not None
        ws.change(
            rec,
            {"stage": "signed", "signed_on": "2026-03-02", "expires_on": "2027-03-01"},
            actor="test",
            device="test",
            op_id=None,
        )
        ws.flush()


def test_tasks_sync_and_journeys_reach_the_success_manager(
    server: Server, make_device: Callable[..., Device]
) -> None:
    admin.create_user(
        server.engine,
        server.handle.settings,
        "carol",
        PASSWORD,
        role="csm",
        team="华东一组",
        display_name="刘洋",
    )
    alice = make_device("alice-laptop", "alice")
    cid = alice.store.create("customer", {"name": "星河物流有限公司", "owner": alice.store.actor})
    did = alice.store.create("deal", {"customer_id": cid, "title": "仓储系统", "amount": "520000"})
    tid = todo.add_task(
        alice.store,
        {"title": "寄送合同", "due_at": "2026-03-05T02:00:00Z", "deal_id": did},
    )
    alice.sync()
    assert alice.store.journal.pending_count() == 0
    with server.engine.connect() as conn:
        stored = conn.execute(select(records.c.data).where(records.c.id == tid)).scalar_one()
    assert loads(stored)["customer_id"] == cid and loads(stored)["owner"] == alice.store.actor

    lena = make_device("lena-laptop", "lena")
    lena.sync()
    assert lena.store.require("task", tid)["title"] == "寄送合同"

    _sign_on_server(server, did)
    report = jobs.tick(server.engine, datetime(2026, 3, 2, 12, tzinfo=UTC).timestamp())
    assert report["journey"] == 3

    carol = make_device("carol-laptop", "carol")
    carol.sync()
    mine = todo.tasks(carol.store, owner=carol.store.actor)
    assert {t["kind"] for t in mine} == {"journey-welcome", "journey-health", "journey-renewal"}
    assert {t["customer_name"] for t in mine} == {"星河物流有限公司"}  # named, though not hers
    welcome = journey_task_id(did, "welcome")
    todo.complete_task(carol.store, welcome)
    carol.sync()
    assert carol.store.journal.pending_count() == 0
    with server.engine.connect() as conn:
        data = loads(
            conn.execute(select(records.c.data).where(records.c.id == welcome)).scalar_one()
        )
    assert data["status"] == "done" and data["done_at"]

    # The lead sees the journey: welcome done, the health check (due 2026-04-01) late.
    lena.sync()
    assert lena.store.require("task", welcome)["status"] == "done"
    (issue,) = [i for i in todo.journey_scan(lena.store) if i.deal_id == did]
    assert issue.state == "stalled" and issue.late_task is not None
    assert issue.late_task["kind"] == "journey-health"
    # A second tick makes nothing new.
    again = jobs.tick(server.engine, datetime(2026, 3, 4, 12, tzinfo=UTC).timestamp())
    assert again["journey"] == 0
