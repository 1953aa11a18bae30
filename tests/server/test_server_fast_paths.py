"""What the fast paths must not change: in-memory copies of the user directory and the rule
data are never stale, batched writes keep every result exactly once, and each result shows its
own operation's version of the record."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx
import pytest
from helpers.world import World, customer, make_customer, make_deal, new_id, one, op, sign_in
from sqlalchemy import Engine, func, select, text, update

from server import admin
from server.api import create_app
from server.db import (
    DIRECTORY_VERSION,
    make_engine,
    operations,
    records,
    server_state,
    users,
    write_tx,
)
from server.embedded import serve_in_thread
from server.pull import pull
from server.push import apply_push, push
from server.records import Workspace


def _edit(world: World, customer_id: str, who: Any, notes: str) -> dict[str, Any]:
    return one(
        world.engine, who, op("customer", "update", customer_id, {"notes": notes}, base_version=1)
    )


def _directory_version(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(server_state.c.value).where(server_state.c.key == DIRECTORY_VERSION)
            ).scalar_one()
        )


def test_a_team_change_reaches_the_very_next_push(world: World) -> None:
    cid = make_customer(world.engine, world.rb1)
    # This push also leaves the directory in the process's memory.
    assert _edit(world, cid, world.la, "A 组主管")["code"] == "not_found"
    admin.set_team(world.engine, "rb1", "A")
    assert _edit(world, cid, world.la, "A 组主管")["status"] == "applied"
    assert _edit(world, cid, world.lb, "B 组主管")["code"] == "not_found"


def test_a_user_change_made_outside_the_server_is_seen_too(world: World) -> None:
    """The directory's version is bumped by the database itself (a trigger on ``users``)."""
    cid = make_customer(world.engine, world.rb1)
    assert _edit(world, cid, world.la, "x")["code"] == "not_found"
    before = _directory_version(world.engine)
    with world.engine.begin() as conn:  # what an administrator might type in psql
        conn.execute(update(users).where(users.c.name == "rb1").values(team_id=world.la.team_id))
    assert _directory_version(world.engine) > before
    assert _edit(world, cid, world.la, "x")["status"] == "applied"


def test_a_disabled_user_cannot_be_given_records_at_once(world: World) -> None:
    cid = make_customer(world.engine, world.ra1)

    def assign(to: str, base_version: int) -> dict[str, Any]:
        change = op("customer", "update", cid, {"owner": to}, base_version=base_version)
        return one(world.engine, world.la, change)

    assert assign(world.ra2.id, 1)["status"] == "applied"
    admin.disable_user(world.engine, "ra1")
    assert assign(world.ra1.id, 2)["code"] == "forbidden_owner"


def test_new_rules_apply_to_the_next_push_and_pull(world: World) -> None:
    cid = make_customer(world.engine, world.ra1)
    did = make_deal(world.engine, world.ra1, cid)
    move = op("deal", "stage", did, {"stage": "needs_diagnosis"}, base_version=1)
    with world.engine.connect() as conn:
        rules = json.loads(json.dumps(admin.current_rules(conn).raw))
    assert admin.load_rules(world.engine, json.dumps(rules)) == 2
    refused = one(world.engine, world.ra1, move)  # judged by (and keeps a copy of) version 2
    assert refused["status"] == "rejected" and refused["code"] == "lock"
    assert pull(world.engine, world.ra1, None, 10)["rules_version"] == 2
    rules["stages"][0]["exit_locks"] = []
    assert admin.load_rules(world.engine, json.dumps(rules)) == 3
    moved = one(world.engine, world.ra1, {**move, "op_id": new_id()})
    assert moved["status"] == "applied" and moved["record"]["fields"]["stage"] == "needs_diagnosis"
    assert pull(world.engine, world.ra1, None, 10)["rules_version"] == 3


def test_each_result_shows_the_record_as_its_own_operation_left_it(world: World) -> None:
    cid = make_customer(world.engine, world.ra1)
    ops = [
        op("customer", "update", cid, {"notes": "第一次"}, base_version=1),
        op("customer", "update", cid, {"notes": "第二次"}, base_version=2),
    ]
    first, second = push(world.engine, world.ra1, "d", ops)
    assert (first["version"], first["record"]["version"]) == (2, 2)
    assert first["record"]["fields"]["notes"] == "第一次"
    assert (second["version"], second["record"]["fields"]["notes"]) == (3, "第二次")
    # Replayed, each answer is the stored one.
    again = push(world.engine, world.ra1, "d", ops)
    assert [r["record"]["fields"]["notes"] for r in again] == ["第一次", "第二次"]


def test_http_answers_are_the_stored_results(world: World, client: httpx.Client) -> None:
    h = sign_in(client, "ra1")
    ops = [customer(world.ra1, "轻鹿"), op("widget", "create", "w1"), {"op_id": "bad", "x": 1}]
    batch = {"device": "d", "ops": ops}
    first = client.post("/sync/push", json=batch, headers=h).json()["results"]
    again = client.post("/sync/push", json=batch, headers=h).json()["results"]
    assert [r["status"] for r in first] == ["applied", "rejected", "rejected"]
    assert [r.get("code") for r in first[1:]] == ["unknown_entity", "malformed"]
    assert again[:2] == [{**r, "replayed": True} for r in first[:2]]
    assert again[2] == first[2]  # malformed: never stored, judged again


def test_sync_calls_check_the_token_before_the_batch_and_the_cursor(world: World) -> None:
    settings = world.settings.with_(max_ops_per_push=2)
    handle = serve_in_thread(create_app(settings, world.engine), settings=settings)
    try:
        with httpx.Client(base_url=handle.url, timeout=30) as client:
            batch = {"device": "d", "ops": [customer(world.ra1) for _ in range(3)]}
            bogus = {"Authorization": "Bearer nonsense"}
            r = client.post("/sync/push", json=batch, headers=bogus)
            assert r.status_code == 401 and r.json()["code"] == "session_expired"
            r = client.get("/sync/pull", params={"cursor": "not.a.cursor"}, headers=bogus)
            assert r.status_code == 401 and r.json()["code"] == "session_expired"
            h = sign_in(client, "ra1")
            r = client.get("/sync/pull", params={"cursor": "not.a.cursor"}, headers=h)
            assert r.status_code == 400 and r.json()["code"] == "bad_cursor"
            r = client.post("/sync/push", json=batch, headers=h)
            assert r.status_code == 413 and r.json()["code"] == "too_many_ops"
            batch["ops"] = batch["ops"][:2]
            assert client.post("/sync/push", json=batch, headers=h).status_code == 200
            assert len(client.get("/sync/pull", headers=h).json()["changes"]) == 2
    finally:
        handle.stop()


def test_the_same_batch_pushed_twice_at_once_is_applied_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A device retrying while its first attempt still runs. The second attempt looks its
    operation ids up before the first has committed, then waits for the first's row locks;
    its writes then hit the first's keys and it starts again, finding the stored results."""
    cid = make_customer(world.engine, world.ra1)
    batch = [customer(world.ra1, f"并发{i}") for i in range(5)] + [
        op("customer", "update", cid, {"notes": "一次"}, base_version=1),
        op("contact", "create", new_id(), {"customer_id": cid, "name": "王五"}),
    ]
    first_locked, second_started = threading.Event(), threading.Event()
    answers: dict[str, list[dict[str, Any]]] = {}
    errors: list[BaseException] = []

    # The first attempt holds its row locks, records changed in memory but nothing written,
    # until the second has started.
    first_thread: list[threading.Thread] = []
    flush = Workspace.flush

    def held_flush(ws: Workspace) -> None:
        if threading.current_thread() in first_thread:
            first_locked.set()
            assert second_started.wait(10)
            time.sleep(0.5)  # the second attempt reads the operation ids, then waits
        flush(ws)

    monkeypatch.setattr(Workspace, "flush", held_flush)

    def first() -> None:
        try:
            with write_tx(world.engine) as conn:
                answers["first"] = apply_push(conn, world.ra1, "d", batch, now=time.time())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
            first_locked.set()

    def second() -> None:
        engine = make_engine(world.settings.database_url, pool_size=1)
        try:
            assert first_locked.wait(10)
            second_started.set()
            answers["second"] = push(engine, world.ra1, "d", batch)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    first_thread.append(threads[0])
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert not any(r.get("replayed") for r in answers["first"])
    assert all(r.get("replayed") for r in answers["second"])
    assert [{k: v for k, v in r.items() if k != "replayed"} for r in answers["second"]] == [
        json.loads(json.dumps(r)) for r in answers["first"]
    ]
    with world.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(operations)).scalar_one() == 8
        version = conn.execute(select(records.c.version).where(records.c.id == cid)).scalar_one()
    assert version == 2


@pytest.mark.postgres
def test_a_connection_the_database_ended_is_replaced(backend: str, world: World) -> None:
    if backend != "postgres":
        pytest.skip("PostgreSQL only")
    engine = make_engine(world.settings.database_url, pool_size=1)
    try:
        with engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with world.engine.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
            conn.commit()
        for _ in range(50):  # the backend is gone once its socket says so
            with world.engine.connect() as conn:
                alive = conn.execute(
                    text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p"), {"p": pid}
                ).scalar_one()
            if not alive:
                break
        result = one(engine, world.ra1, customer(world.ra1))
        assert result["status"] == "applied"
        assert pull(engine, world.ra1, None, 10)["changes"]
    finally:
        engine.dispose()
