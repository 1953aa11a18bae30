"""Pull: scope, paging, scope changes, tombstones, and no gaps under out-of-order commits."""

from __future__ import annotations

import json
import threading
import time

import pytest
from helpers.world import (
    World,
    customer,
    latest,
    make_customer,
    make_deal,
    new_id,
    one,
    op,
    pull_all,
    settle,
)
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from server import admin
from server.config import Settings
from server.db import make_engine, records, write_tx
from server.maintenance import purge
from server.pull import Cursor, ResyncRequired, pull
from server.push import apply_push, push


def test_each_user_pulls_exactly_their_scope(world: World) -> None:
    e = world.engine
    a1 = make_customer(e, world.ra1, "甲")
    a2 = make_customer(e, world.ra2, "乙")
    b1 = make_customer(e, world.rb1, "丙")
    settle(e)
    seen = {
        v.name: set(latest(pull_all(e, v)[0]))
        for v in (world.ra1, world.ra2, world.la, world.lb, world.rb1, world.admin)
    }
    assert seen == {
        "ra1": {a1},
        "ra2": {a2},
        "la": {a1, a2},
        "lb": {b1},
        "rb1": {b1},
        "admin": {a1, a2, b1},
    }


def test_paging_returns_every_change_once_in_order(world: World) -> None:
    e = world.engine
    ids = [make_customer(e, world.ra1, f"客户{i}") for i in range(25)]
    got: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = pull(e, world.ra1, Cursor.parse(cursor), 7)
        got += [json.loads(c)["id"] for c in page["changes"]]
        cursor = page["cursor"]
        pages += 1
        if not page["more"]:
            break
    assert got == ids and pages == 4
    # Nothing new: an empty page and a cursor that stays put or moves forward.
    again = pull(e, world.ra1, Cursor.parse(cursor), 7)
    assert again["changes"] == [] and Cursor.parse(again["cursor"]) >= Cursor.parse(cursor)


def test_changes_are_compacted_to_the_latest_state(world: World) -> None:
    e = world.engine
    cid = make_customer(e, world.ra1)
    _, cursor = pull_all(e, world.ra1)
    for i in range(5):
        one(e, world.ra1, op("customer", "update", cid, {"notes": f"第{i}次"}, base_version=i + 1))
    changes, _ = pull_all(e, world.ra1, cursor)
    assert len(changes) == 1 and changes[0]["fields"]["notes"] == "第4次"
    assert changes[0]["version"] == 6


def test_reassignment_removes_from_old_owner_and_delivers_to_new(world: World) -> None:
    e = world.engine
    cid = make_customer(e, world.ra1)
    did = make_deal(e, world.ra1, cid)
    kid = new_id()
    one(e, world.ra1, op("contact", "create", kid, {"customer_id": cid, "name": "孙"}))
    _, c_ra1 = pull_all(e, world.ra1)
    _, c_la = pull_all(e, world.la)
    _, c_lb = pull_all(e, world.lb)
    _, c_rb1 = pull_all(e, world.rb1)

    moved = admin.assign_customer(e, cid, "rb1")
    assert moved == 3

    gone, _ = pull_all(e, world.ra1, c_ra1)
    assert {c["id"] for c in gone if c.get("removed")} == {cid, did, kid}
    assert not latest(gone)
    gone_la, _ = pull_all(e, world.la, c_la)
    assert {c["id"] for c in gone_la if c.get("removed")} == {cid, did, kid}
    came, _ = pull_all(e, world.rb1, c_rb1)
    state = latest(came)
    assert set(state) == {cid, did, kid}
    assert state[did]["fields"]["owner"] == world.rb1.id
    assert set(latest(pull_all(e, world.lb, c_lb)[0])) == {cid, did, kid}
    # The old owner can no longer write there.
    assert (
        one(e, world.ra1, op("contact", "update", kid, {"title": "x"}, base_version=1))["code"]
        == "not_found"
    )


def test_team_change_moves_visibility_between_leads(world: World) -> None:
    e = world.engine
    cid = make_customer(e, world.ra1)
    _, c_la = pull_all(e, world.la)
    _, c_lb = pull_all(e, world.lb)
    _, c_ra1 = pull_all(e, world.ra1)
    admin.set_team(e, "ra1", "B")
    gone, _ = pull_all(e, world.la, c_la)
    assert [c for c in gone if c.get("removed")] == [
        {"entity": "customer", "id": cid, "removed": True}
    ]
    came, _ = pull_all(e, world.lb, c_lb)
    assert set(latest(came)) == {cid}
    # The rep keeps their own records and is not told anything.
    assert pull_all(e, world.ra1, c_ra1)[0] == []


def test_lead_changing_team_swaps_the_teams_records(world: World) -> None:
    e = world.engine
    a = make_customer(e, world.ra1, "甲")
    b = make_customer(e, world.rb1, "乙")
    changes, cursor = pull_all(e, world.la)
    assert set(latest(changes)) == {a}
    admin.set_team(e, "la", "B")
    la = admin.viewer_for(e, "la")
    changes, _ = pull_all(e, la, cursor)
    assert {c["id"] for c in changes if c.get("removed")} == {a}
    assert set(latest(changes)) == {b}


def test_tombstones_reach_devices_and_purged_ones_force_a_resync(
    world: World, settings: Settings
) -> None:
    e = world.engine
    cid = make_customer(e, world.ra1)
    kid = new_id()
    one(e, world.ra1, op("contact", "create", kid, {"customer_id": cid, "name": "周"}))
    _, old_cursor = pull_all(e, world.ra1)
    one(e, world.ra1, op("contact", "delete", kid, base_version=1))
    changes, cursor = pull_all(e, world.ra1, old_cursor)
    assert changes == [{"entity": "contact", "id": kid, "version": 2, "deleted": True}]
    report = purge(e, settings, now=time.time() + settings.tombstone_days * 86400 + 60)
    assert report.tombstones == 1
    with pytest.raises(ResyncRequired):
        pull(e, world.ra1, Cursor.parse(old_cursor), 100)
    # A device that had already seen the tombstone, or starts afresh, carries on.
    assert pull(e, world.ra1, Cursor.parse(cursor), 100)["changes"] == []
    assert set(latest(pull_all(e, world.ra1)[0])) == {cid}


@pytest.mark.postgres
def test_no_change_is_missed_when_commits_overtake_each_other(
    backend: str, world: World, settings: Settings
) -> None:
    """T1 numbers its change first but commits last; a pull in between must not skip it."""
    if backend != "postgres":
        pytest.skip("SQLite serialises writers, so commits cannot overtake each other")
    e = world.engine
    _, cursor = pull_all(e, world.ra1)
    first, second = customer(world.ra1, "先编号后提交"), customer(world.ra1, "后编号先提交")
    t1_locked = threading.Event()
    release_t1 = threading.Event()
    errors: list[BaseException] = []

    def slow_writer() -> None:
        try:
            with write_tx(e) as conn:
                # Writes and numbers T1's row, then keeps the transaction open.
                apply_push(conn, world.ra1, "slow", [first], now=time.time())
                t1_locked.set()
                assert release_t1.wait(20)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
            t1_locked.set()

    t1 = threading.Thread(target=slow_writer)
    t1.start()
    assert t1_locked.wait(20)
    # T2 starts after T1 has written (and numbered) its row, and commits first.
    other = make_engine(settings.database_url, pool_size=1)
    try:
        with write_tx(other) as conn:
            apply_push(conn, world.ra1, "fast", [second], now=time.time())
    finally:
        other.dispose()
    with e.connect() as conn:
        positions = {
            r.id: (r.xid, r.seq)
            for r in conn.execute(select(records.c.id, records.c.xid, records.c.seq))
        }
    # The committed row exists and is numbered after the uncommitted one.
    assert second["record_id"] in positions and first["record_id"] not in positions

    mid, mid_cursor = pull_all(e, world.ra1, cursor)
    assert mid == [], "a change above an unfinished transaction was handed out"
    assert Cursor.parse(mid_cursor).xid <= positions[second["record_id"]][0]

    release_t1.set()
    t1.join(20)
    assert not errors
    with e.connect() as conn:
        p1, p2 = (
            conn.execute(
                select(records.c.xid, records.c.seq).where(records.c.id == r["record_id"])
            ).one()
            for r in (first, second)
        )
    assert p1 < p2, "T1 was numbered first"
    after, _ = pull_all(e, world.ra1, mid_cursor)
    assert [c["id"] for c in after] == [first["record_id"], second["record_id"]]


@pytest.mark.postgres
def test_a_transaction_in_another_database_holds_nothing_back(
    backend: str, world: World, settings: Settings
) -> None:
    """Transaction ids are cluster-wide; one open in a neighbouring database never writes here."""
    if backend != "postgres":
        pytest.skip("PostgreSQL only")
    e = world.engine
    _, cursor = pull_all(e, world.ra1)
    maintenance = make_url(settings.database_url).set(database="postgres")
    neighbour = make_engine(maintenance.render_as_string(hide_password=False), pool_size=1)
    try:
        with neighbour.connect() as conn, conn.begin():
            running = int(conn.execute(text("SELECT pg_current_xact_id()::text::bigint")).scalar())
            op = customer(world.ra1, "邻库事务不挡路")
            assert push(e, world.ra1, "dev", [op])[0]["status"] == "applied"
            changes, later = pull_all(e, world.ra1, cursor)
            # Still open: the row was written after it, yet arrives, and the cursor passes it.
            assert [c["id"] for c in changes] == [op["record_id"]]
            assert Cursor.parse(later).xid > running
    finally:
        neighbour.dispose()


def test_concurrent_pushes_and_pulls_lose_nothing(world: World, settings: Settings) -> None:
    """Several writers and a reader at once: the reader's cursor never skips a row."""
    e = world.engine
    written: list[str] = []
    lock = threading.Lock()

    def writer(n: int) -> None:
        for i in range(6):
            ops = [customer(world.ra1, f"w{n}-{i}-{k}") for k in range(3)]
            results = push(e, world.ra1, f"dev{n}", ops)
            assert all(r["status"] == "applied" for r in results)
            with lock:
                written.extend(o["record_id"] for o in ops)

    seen: set[str] = set()
    cursor = None
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        changes, cursor = pull_all(e, world.ra1, cursor)
        seen |= {c["id"] for c in changes}
    for t in threads:
        t.join()
    changes, cursor = pull_all(e, world.ra1, cursor)
    seen |= {c["id"] for c in changes}
    assert seen == set(written) and len(written) == 72
