"""A push's duplicate check reads only the records that share a blocking key with the new one
(``dedupe_keys``); it finds exactly what checking against the whole team finds (SQLite and
PostgreSQL)."""

from __future__ import annotations

import json
import uuid
from typing import Any, NamedTuple

from sqlalchemy import Engine, func, select

from app.domain.rules import default_rules
from server import dedupe_keys
from server.config import Settings
from server.db import DEDUPE_KEYS_VERSION, records, server_state, write_tx
from server.db import dedupe_keys as keys_table
from server.duplicates import load_team, suspects
from server.push.context import Batch
from server.records import Directory, Rec, Viewer, Workspace
from server.reports.demo import fill_team

NOW = 1_795_000_000.0


class Sample(NamedTuple):
    entity: str
    data: dict[str, Any]
    scope_owner: str


def _variants(rows: list[Sample], reps: list[str]) -> list[tuple[str, dict[str, Any], str]]:
    """New customers and contacts alike (or not) to existing ones, owned by another rep."""
    out = []
    for i, r in enumerate(rows):
        data, owner = r.data, r.scope_owner
        other = reps[(reps.index(owner) + 1) % len(reps)] if owner in reps else reps[0]
        new = dict(data)
        if r.entity == "customer":
            name = str(data.get("name") or "")
            new["name"] = [
                name.replace("有限公司", "股份有限公司"),
                name.replace("有限公司", ""),
                "(杭州)" + name,
                name[:2] + "联创有限公司",  # a different company of the same city
            ][i % 4]
            if i % 3 == 0:
                new["phone"] = None
        else:
            mobile = str(data.get("mobile") or "")
            if i % 2 and len(mobile) == 11:
                new["mobile"] = mobile[:3] + "****" + mobile[7:]
            if i % 5 == 0:
                new["customer_id"] = None
        new["owner"] = other
        out.append((r.entity, new, other))
    return out


def _compare(engine: Engine, only: list[str] | None = None) -> tuple[int, int]:
    """Check variants of 160 live records (or of ``only`` and their contacts) both ways;
    returns how many were checked and how many suspects were found."""
    with write_tx(engine) as conn:
        directory = Directory.load(conn)
        team_id = directory.team_of(
            conn.execute(select(records.c.scope_owner).where(records.c.entity == "customer"))
            .scalars()
            .first()
        )
        assert team_id is not None
        full = load_team(conn, directory, team_id)
        reps = sorted(m.id for m in directory.members.values() if m.team_id == team_id)
        query = select(records.c.entity, records.c.data, records.c.scope_owner).where(
            records.c.entity.in_(("customer", "contact")), records.c.deleted.is_(False)
        )
        if only is not None:
            query = query.where(records.c.id.in_(only) | records.c.customer_id.in_(only))
        sample = [
            Sample(r.entity, json.loads(r.data), r.scope_owner)
            for r in conn.execute(query.order_by(records.c.id).limit(160))
        ]
        found = 0
        for entity, data, owner in _variants(sample, reps):
            rid = str(uuid.uuid4())
            rec = Rec(rid, entity, data, {}, 1, data.get("customer_id"), scope_owner=owner)
            batch = Batch(
                Workspace(conn, NOW, directory),
                Viewer(owner, "x", "x", "rep", team_id),
                "test",
                default_rules(),
            )
            got, _book = suspects(batch, rec, team_id)
            if entity == "customer":
                want = full.customers.check(dedupe_keys.customer_in(rid, data))
            else:
                want = full.contacts.check(dedupe_keys.contact_in(rid, data))
            assert [(m.id, m.score) for m in got] == [(m.id, m.score) for m in want], data
            found += len(want)
        conn.rollback()
    return len(sample), found


def test_the_indexed_check_finds_what_the_whole_team_check_finds(
    settings: Settings, engine: Engine
) -> None:
    fill_team(engine, settings, "华南一组", "small", 5, NOW)
    with engine.connect() as conn:
        keyed = conn.execute(select(func.count(func.distinct(keys_table.c.record_id)))).scalar()
        live = conn.execute(
            select(func.count()).where(
                records.c.entity.in_(("customer", "contact")), records.c.deleted.is_(False)
            )
        ).scalar()
    assert keyed == live  # every customer and contact got its keys when it was written
    assert _compare(engine)[1] > 20

    # Rename customers: their own keys and their contacts' change with them.
    with write_tx(engine) as conn:
        ws = Workspace(conn, NOW + 60, Directory.load(conn))
        ids = [
            r.id
            for r in conn.execute(
                select(records.c.id).where(records.c.entity == "customer").limit(30)
            )
        ]
        ws.load(ids)
        for i, cid in enumerate(ids):
            rec = ws.get(cid)
            assert rec is not None
            ws.change(
                rec, {"name": f"宁波第{i}精密机械有限公司"}, actor="t", device="t", op_id=None
            )
        ws.flush()
    assert _compare(engine, ids)[1] > 10
    # Delete three customers (their contacts stay): the contacts' keys lose the company.
    with write_tx(engine) as conn:
        ws = Workspace(conn, NOW + 120, Directory.load(conn))
        ws.load(ids[:3])
        for cid in ids[:3]:
            rec = ws.get(cid)
            assert rec is not None
            ws.tombstone(rec, actor="t", device="t", op_id=None)
        ws.flush()
    checked, _found = _compare(engine, ids[:3])
    assert checked > 0  # their contacts

    # Refilling the table (after a change of how keys are made) gives the same keys.
    with engine.connect() as conn:
        before = sorted(tuple(r) for r in conn.execute(select(keys_table)))
    # (A contact's keys hold its customer's name: had the rename left them, they would differ.)
    with write_tx(engine) as conn:
        conn.execute(server_state.delete().where(server_state.c.key == DEDUPE_KEYS_VERSION))
    assert dedupe_keys.refresh(engine) == len({r[3] for r in before})
    with engine.connect() as conn:
        after = sorted(tuple(r) for r in conn.execute(select(keys_table)))
    assert after == before
