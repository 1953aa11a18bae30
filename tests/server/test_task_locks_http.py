"""A ``task_done`` stage lock on the server, over real loopback HTTP: a device cannot push the
stage move while the task is open, and can once it is done (in the same push, too)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from helpers.world import World, customer, new_id, op, sign_in

from app.domain.rules import default_rules
from server import admin

WELCOME = {"kind": "task_done", "key": "journey-welcome",
           "zh": "欢迎电话", "en": "Welcome call"}  # fmt: skip


def _push(client: httpx.Client, headers: dict[str, str], *ops: dict[str, Any]) -> list[dict]:
    r = client.post("/sync/push", json={"device": "dev-1", "ops": list(ops)}, headers=headers)
    assert r.status_code == 200, r.text
    results: list[dict] = r.json()["results"]
    return results


def _applied(results: list[dict]) -> None:
    assert [r["status"] for r in results] == ["applied"] * len(results), results


def test_the_stage_move_waits_for_the_task(world: World, client: httpx.Client) -> None:
    raw = json.loads(json.dumps(default_rules().raw))
    raw["stages"][0]["exit_locks"] = [WELCOME]
    admin.load_rules(world.engine, json.dumps(raw))
    h = sign_in(client, "ra1")
    c = customer(world.ra1)
    cid = c["record_id"]
    did, other = new_id(), new_id()
    _applied(
        _push(
            client,
            h,
            c,
            op("deal", "create", did, {"customer_id": cid, "title": "ERP 续约"}),
            op("deal", "create", other, {"customer_id": cid, "title": "ERP 一期"}),
        )
    )

    def task(deal_id: str, status: str = "open") -> dict[str, Any]:
        values = {"title": "欢迎电话", "kind": "journey-welcome", "due_at": "2026-11-03"}
        return op("task", "create", new_id(), {**values, "customer_id": cid, "deal_id": deal_id})

    def move() -> dict[str, Any]:
        (res,) = _push(client, h, op("deal", "stage", did, {"stage": "needs_diagnosis"}))
        return res

    # No task, an open one, a cancelled one, a done one on another deal: refused every time,
    # naming the lock.
    refused = move()
    assert refused["status"] == "rejected" and refused["code"] == "lock", refused
    assert "Welcome call" in json.dumps(refused, ensure_ascii=False)
    open_task, cancelled, elsewhere = task(did), task(did), task(other)
    _applied(_push(client, h, open_task, cancelled, elsewhere))
    _applied(
        _push(
            client,
            h,
            op("task", "update", cancelled["record_id"], {"status": "cancelled"}, base_version=1),
            op("task", "update", elsewhere["record_id"], {"status": "done"}, base_version=1),
        )
    )
    assert move()["code"] == "lock"

    # The task done and the move in one push: judged as the push leaves the task.
    done, moved = _push(
        client,
        h,
        op("task", "update", open_task["record_id"], {"status": "done"}, base_version=1),
        op("deal", "stage", did, {"stage": "needs_diagnosis"}),
    )
    assert done["status"] == "applied" and moved["status"] == "applied", moved
    assert moved["record"]["fields"]["stage"] == "needs_diagnosis"


def test_a_task_done_in_an_earlier_push_unlocks_the_move(
    world: World, client: httpx.Client
) -> None:
    raw = json.loads(json.dumps(default_rules().raw))
    raw["stages"][0]["exit_locks"] = [WELCOME]
    admin.load_rules(world.engine, json.dumps(raw))
    h = sign_in(client, "ra1")
    c = customer(world.ra1)
    did, tid = new_id(), new_id()
    values = {"title": "欢迎电话", "kind": "journey-welcome", "due_at": "2026-11-03"}
    _applied(
        _push(
            client,
            h,
            c,
            op("deal", "create", did, {"customer_id": c["record_id"], "title": "ERP 续约"}),
            op("task", "create", tid, {**values, "deal_id": did}),
        )
    )
    stage = op("deal", "stage", did, {"stage": "needs_diagnosis"})
    assert _push(client, h, stage)[0]["code"] == "lock"
    _applied(_push(client, h, op("task", "update", tid, {"status": "done"}, base_version=1)))
    (res,) = _push(client, h, op("deal", "stage", did, {"stage": "needs_diagnosis"}))
    assert res["status"] == "applied", res
    assert res["record"]["fields"]["stage"] == "needs_diagnosis"


def test_the_server_refuses_a_malformed_task_lock(world: World, client: httpx.Client) -> None:
    raw = json.loads(json.dumps(default_rules().raw))
    raw["stages"][0]["exit_locks"] = [{**WELCOME, "key": "journey-party"}]
    with pytest.raises(admin.AdminError, match="unknown task kind"):
        admin.load_rules(world.engine, json.dumps(raw))
    rules = client.get("/rules", headers=sign_in(client, "la")).json()
    assert rules["version"] == 1  # the served rules are unchanged
