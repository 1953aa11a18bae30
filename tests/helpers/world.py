"""Helpers shared by the server tests: a small company of users and operation builders."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import Engine, func, select

from server import admin
from server.config import Settings
from server.db import read_tx, records, safe_horizon
from server.pull import Cursor, pull
from server.push import push
from server.records import Viewer

PASSWORD = "correct horse"


@dataclass
class World:
    """Team A: lead ``la``, reps ``ra1``, ``ra2``; team B: lead ``lb``, rep ``rb1``; ``admin``."""

    engine: Engine
    settings: Settings
    la: Viewer
    ra1: Viewer
    ra2: Viewer
    lb: Viewer
    rb1: Viewer
    admin: Viewer


def make_world(engine: Engine, settings: Settings) -> World:
    admin.create_team(engine, "A")
    admin.create_team(engine, "B")
    for name, role, team in (
        ("la", "lead", "A"),
        ("ra1", "rep", "A"),
        ("ra2", "rep", "A"),
        ("lb", "lead", "B"),
        ("rb1", "rep", "B"),
        ("admin", "admin", None),
    ):
        admin.create_user(engine, settings, name, PASSWORD, role=role, team=team)
    v = {n: admin.viewer_for(engine, n) for n in ("la", "ra1", "ra2", "lb", "rb1", "admin")}
    return World(engine, settings, **v)


def new_id() -> str:
    return str(uuid.uuid4())


def op(
    entity: str,
    action: str,
    record_id: str,
    fields: dict[str, Any] | None = None,
    *,
    base_version: int = 0,
    base: dict[str, Any] | None = None,
    op_id: str | None = None,
) -> dict[str, Any]:
    return {
        "op_id": op_id or new_id(),
        "entity": entity,
        "record_id": record_id,
        "action": action,
        "base_version": base_version,
        "fields": fields or {},
        "base": base or {},
        "device": "dev-1",
        "at": "2020-01-01T00:00:00",
    }


def customer(
    owner: Viewer, name: str = "轻鹿家居有限公司", cid: str | None = None
) -> dict[str, Any]:
    return op("customer", "create", cid or new_id(), {"name": name, "owner": owner.id})


def one(engine: Engine, viewer: Viewer, operation: dict[str, Any]) -> dict[str, Any]:
    """Push a single operation and return its result."""
    return push(engine, viewer, "dev-1", [operation])[0]


def make_customer(engine: Engine, owner: Viewer, name: str = "轻鹿家居有限公司") -> str:
    o = customer(owner, name)
    res = one(engine, owner, o)
    assert res["status"] == "applied", res
    return str(o["record_id"])


def make_deal(engine: Engine, owner: Viewer, customer_id: str, **fields: Any) -> str:
    did = new_id()
    res = one(
        engine,
        owner,
        op("deal", "create", did, {"customer_id": customer_id, "title": "ERP 项目", **fields}),
    )
    assert res["status"] == "applied", res
    return did


def pull_all(
    engine: Engine, viewer: Viewer, cursor: str | None = None, limit: int = 1000
) -> tuple[list[dict[str, Any]], str]:
    """Every change after ``cursor``, following pages; returns the changes and the new cursor."""
    import json

    out: list[dict[str, Any]] = []
    while True:
        page = pull(engine, viewer, Cursor.parse(cursor), limit)
        out.extend(json.loads(c) for c in page["changes"])
        cursor = str(page["cursor"])
        if not page["more"]:
            return out, cursor


def settle(engine: Engine, timeout: float = 30.0) -> None:
    """Wait until every committed record lies below the pull horizon.

    On PostgreSQL a transaction of another database that ends while a pull reads the horizon
    cannot be told from one of ours, so that pull holds back (safely: the next one sends the
    rows). A test that expects every committed row in one pull waits for this first.
    """
    with engine.connect() as conn:
        top = conn.execute(select(func.max(records.c.xid))).scalar() or 0
    deadline = time.monotonic() + timeout
    while True:
        with read_tx(engine) as conn:
            if safe_horizon(conn) > top:
                return
        assert time.monotonic() < deadline, "the pull horizon never passed the committed rows"
        time.sleep(0.01)


def latest(changes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Apply a change list the way a device does: the last word per record id wins."""
    state: dict[str, dict[str, Any]] = {}
    for c in changes:
        if c.get("removed") or c.get("deleted"):
            state.pop(c["id"], None)
        else:
            state[c["id"]] = c
    return state


def sign_in(client: httpx.Client, name: str, password: str = PASSWORD) -> dict[str, str]:
    r = client.post("/auth/signin", json={"username": name, "password": password, "device": "test"})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def write_raw(engine: Engine, record_id: str, data: str, derived: str | None = None) -> None:
    """Store ``data`` (and ``derived``) as a record's JSON texts, as a new change of it (a fresh
    position), bypassing push's checks: what an older server or a hand edit could leave."""
    from sqlalchemy import text

    from server.db import Positions

    with engine.begin() as conn:
        positions = Positions(conn)
        conn.execute(
            text(
                "UPDATE records SET data = :data, derived = :derived, version = version + 1, "
                "xid = :xid, seq = :seq WHERE id = :id"
            ),
            {
                "data": data,
                "derived": derived,
                "xid": positions.xid,
                "seq": positions.seqs(1)[0],
                "id": record_id,
            },
        )
