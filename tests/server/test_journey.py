"""Tasks on the server and the customer-success journey (SPEC J1, J2): push rules, the
journey's tasks made by the scheduled tick, once, and the renewal task following the contract."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from helpers.world import (
    PASSWORD,
    World,
    latest,
    make_customer,
    make_deal,
    new_id,
    one,
    op,
    pull_all,
)
from sqlalchemy import Engine, select

from app.domain.tasks import journey_task_id
from server import admin
from server.config import Settings
from server.db import loads, records, write_tx
from server.journey import run_journey
from server.leads import jobs
from server.records import Directory, Viewer, Workspace

SIGNED_ON = "2026-03-02"
# 2026-03-03 01:00 UTC is 09:00 in Shanghai, the journey's zone in the shipped rules.
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC).timestamp()


def _csm(world: World, name: str = "ca1", team: str = "A") -> Viewer:
    admin.create_user(world.engine, world.settings, name, PASSWORD, role="csm", team=team)
    return admin.viewer_for(world.engine, name)


def sign(engine: Engine, deal_id: str, **fields: Any) -> None:
    """Put a deal in the signed stage directly (a fixture: the stage locks are tested
    elsewhere), with its contract dates."""
    with write_tx(engine) as conn:
        ws = Workspace(conn, time.time(), Directory.load(conn))
        ws.load([deal_id])
        rec = ws.get(deal_id)
        assert rec is not None
        ws.change(
            rec,
            {"stage": "signed", "signed_on": SIGNED_ON, **fields},
            actor="test",
            device="test",
            op_id=None,
        )
        ws.flush()


def _tasks(engine: Engine) -> dict[str, dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(records.c.id, records.c.data, records.c.scope_owner).where(
                records.c.entity == "task"
            )
        )
        return {r.id: {**loads(r.data), "_scope": r.scope_owner} for r in rows}


def _signed_deal(world: World, **fields: Any) -> tuple[str, str]:
    cid = make_customer(world.engine, world.ra1, "星河物流有限公司")
    did = make_deal(world.engine, world.ra1, cid, amount="380000")
    sign(world.engine, did, **fields)
    return cid, did


def test_a_signed_deal_gets_three_journey_tasks_once(world: World) -> None:
    csm = _csm(world)
    _csm(world, "cb1", team="B")  # another team's csm is never chosen
    cid, did = _signed_deal(world, expires_on="2027-03-01")
    first = jobs.tick(world.engine, NOW)
    assert first["journey"] == 3
    tasks = _tasks(world.engine)
    assert len(tasks) == 3
    by_step = {t["step"]: t for t in tasks.values()}
    assert by_step["welcome"]["due_at"] == "2026-03-03T01:00:00+00:00"
    assert by_step["health"]["due_at"] == "2026-04-01T01:00:00+00:00"
    # 90 days before 2027-03-01 is 2026-12-01, at 09:00 Shanghai time.
    assert by_step["renewal"]["due_at"] == "2026-12-01T01:00:00+00:00"
    assert {t["kind"] for t in tasks.values()} == {
        "journey-welcome",
        "journey-health",
        "journey-renewal",
    }
    assert all(t["owner"] == csm.id and t["_scope"] == csm.id for t in tasks.values())
    assert all(t["customer_id"] == cid and t["deal_id"] == did for t in tasks.values())
    assert by_step["welcome"]["related_name"] == "星河物流有限公司"
    assert set(tasks) == {journey_task_id(did, s) for s in ("welcome", "health", "renewal")}

    # A later tick (the job is due again) makes none; neither does running the job again.
    later = jobs.tick(world.engine, NOW + 86_400)
    assert later["journey"] == 0
    with write_tx(world.engine) as conn:
        assert run_journey(conn, NOW + 2 * 86_400) == 0
    assert len(_tasks(world.engine)) == 3

    # The csm's device receives them; the rep who owns the customer does not, the lead does.
    mine = [c for c in latest(pull_all(world.engine, csm)[0]).values() if c["entity"] == "task"]
    assert len(mine) == 3
    lead_sees = latest(pull_all(world.engine, world.la)[0])
    assert sum(1 for c in lead_sees.values() if c["entity"] == "task") == 3
    other_team = latest(pull_all(world.engine, world.lb)[0])
    assert not any(c["entity"] == "task" for c in other_team.values())


def test_the_least_loaded_csm_is_chosen_and_the_rep_without_one(world: World) -> None:
    _cid, did = _signed_deal(world)  # no expiry: two steps only
    jobs.tick(world.engine, NOW)
    tasks = _tasks(world.engine)
    assert {t["step"] for t in tasks.values()} == {"welcome", "health"}
    assert {t["owner"] for t in tasks.values()} == {world.ra1.id}  # no csm in the team

    busy, idle = _csm(world, "ca1"), _csm(world, "ca2")
    cid2 = make_customer(world.engine, world.ra2, "远山建材")
    did2 = make_deal(world.engine, world.ra2, cid2)
    task = new_id()
    res = one(
        world.engine,
        world.la,
        op(
            "task",
            "create",
            task,
            {"title": "Call", "due_at": "2026-03-05T02:00:00Z", "owner": busy.id},
        ),
    )
    assert res["status"] == "applied", res
    sign(world.engine, did2, expires_on="2027-06-30")
    with write_tx(world.engine) as conn:
        assert run_journey(conn, NOW) == 3
    new = [t for t in _tasks(world.engine).values() if t.get("deal_id") == did2]
    assert {t["owner"] for t in new} == {idle.id}
    assert did  # the first deal's tasks stayed with the rep


def test_a_later_contract_expiry_moves_the_renewal_task(world: World) -> None:
    _csm(world)
    _cid, did = _signed_deal(world, expires_on="2027-03-01")
    with write_tx(world.engine) as conn:
        run_journey(conn, NOW)
    renewal_id = journey_task_id(did, "renewal")
    assert _tasks(world.engine)[renewal_id]["due_at"] == "2026-12-01T01:00:00+00:00"

    res = one(
        world.engine,
        world.ra1,
        op(
            "deal",
            "update",
            did,
            {"expires_on": "2027-09-30"},
            base_version=2,
            base={"expires_on": "2027-03-01"},
        ),
    )
    assert res["status"] in ("applied", "merged"), res
    with write_tx(world.engine) as conn:
        assert run_journey(conn, NOW + 3600) == 1  # moved, nothing new
    tasks = _tasks(world.engine)
    assert len(tasks) == 3
    assert tasks[renewal_id]["due_at"] == "2027-07-02T01:00:00+00:00"
    assert tasks[renewal_id]["anchor"] == "2027-09-30"
    assert tasks[journey_task_id(did, "welcome")]["due_at"] == "2026-03-03T01:00:00+00:00"


def test_a_done_renewal_task_is_not_moved(world: World) -> None:
    csm = _csm(world)
    _cid, did = _signed_deal(world, expires_on="2027-03-01")
    with write_tx(world.engine) as conn:
        run_journey(conn, NOW)
    renewal_id = journey_task_id(did, "renewal")
    res = one(
        world.engine,
        csm,
        op(
            "task",
            "update",
            renewal_id,
            {"status": "done", "done_at": "2026-03-02T13:00:00Z"},
            base_version=1,
            base={"status": "open"},
        ),
    )
    assert res["status"] == "applied", res
    sign(world.engine, did, expires_on="2028-01-01")
    with write_tx(world.engine) as conn:
        assert run_journey(conn, NOW + 3600) == 0
    assert _tasks(world.engine)[renewal_id]["due_at"] == "2026-12-01T01:00:00+00:00"


def test_task_push_rules(world: World) -> None:
    cid = make_customer(world.engine, world.ra1)
    did = make_deal(world.engine, world.ra1, cid)
    other_cid = make_customer(world.engine, world.rb1, "别队客户")

    def create(viewer: Viewer, **fields: Any) -> dict[str, Any]:
        values = {"title": "回访", "due_at": "2026-03-05T09:30:00+08:00", **fields}
        return one(world.engine, viewer, op("task", "create", new_id(), values))

    ok = create(world.ra1, customer_id=cid, deal_id=did, priority="high")
    assert ok["status"] == "applied", ok
    f = ok["record"]["fields"]
    assert f["owner"] == world.ra1.id and f["status"] == "open" and f["kind"] == "manual"
    assert f["due_at"] == "2026-03-05T01:30:00+00:00" and f["created_by"] == world.ra1.id

    # Another team's customer, a rep giving a task away, an unknown owner: refused.
    assert create(world.ra1, customer_id=other_cid)["code"] == "not_found"
    assert create(world.rb1, deal_id=did)["code"] == "not_found"
    assert create(world.ra1, owner=world.ra2.id)["code"] == "forbidden_owner"
    assert create(world.la, owner=world.rb1.id)["code"] == "forbidden_owner"
    assert create(world.la, owner=world.ra2.id)["status"] == "applied"
    # Dates outside reason, huge and non-text values, unknown kinds: invalid.
    assert create(world.ra1, due_at="9999-01-01T00:00:00")["code"] == "invalid"
    assert create(world.ra1, due_at="1900-01-01T00:00:00")["code"] == "invalid"
    assert create(world.ra1, title="x" * 5000)["code"] == "invalid"
    assert create(world.ra1, kind="bribe")["code"] == "invalid"
    assert create(world.ra1, step="welcome")["code"] == "invalid"  # set by the server only
    bad = one(
        world.engine,
        world.ra1,
        op("task", "create", new_id(), {"title": "x", "due_at": "2026-03-05", "priority": 1e400}),
    )
    assert bad["status"] == "rejected"
    # A deal of another customer than the one named.
    cid2 = make_customer(world.engine, world.ra1, "第二客户")
    assert create(world.ra1, customer_id=cid2, deal_id=did)["code"] == "bad_reference"

    # Updates are checked the same way; a lead can hand a task to a rep of the team.
    tid = ok["record_id"]
    late = one(
        world.engine,
        world.ra1,
        op("task", "update", tid, {"due_at": "3000-01-01T00:00:00"}, base_version=1),
    )
    assert late["code"] == "invalid"
    moved = one(
        world.engine, world.la, op("task", "update", tid, {"owner": world.ra2.id}, base_version=1)
    )
    assert moved["status"] == "applied", moved
    ra1_sees = latest(pull_all(world.engine, world.ra1)[0])
    assert tid not in ra1_sees
    assert tid in latest(pull_all(world.engine, world.ra2)[0])


def test_tick_command_starts_journeys(world: World, settings: Settings) -> None:
    _csm(world)
    _cid, did = _signed_deal(world, expires_on="2027-03-01")
    cmd = [
        sys.executable,
        "-m",
        "server.cli",
        "--db",
        settings.database_url,
        "--data-dir",
        str(settings.data_dir),
        "tick",
        "--now",
        "2026-03-02T12:00:00Z",
    ]
    before = subprocess.run(
        [*cmd[:-3], "journey", "scan", "--json"], capture_output=True, text=True, timeout=120
    )
    assert before.returncode == 0, before.stderr
    (row,) = json.loads(before.stdout)
    assert row["deal_id"] == did and row["state"] == "not_started"
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=120)
    assert '"journey": 3' in out.stdout, out.stdout + out.stderr
    assert {t["deal_id"] for t in _tasks(world.engine).values()} == {did}
    # Now under way; its welcome call (due 2026-03-03) is long overdue: stalled.
    after = subprocess.run(
        [*cmd[:-3], "journey", "scan", "--team", "A", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    (row,) = json.loads(after.stdout)
    assert row["state"] == "stalled" and row["late_step"] == "welcome"
    other = subprocess.run(
        [*cmd[:-3], "journey", "scan", "--team", "B", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert json.loads(other.stdout) == []


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_journey_rules_are_data(world: World) -> None:
    import json

    from app.domain.rules import default_rules

    raw = dict(default_rules().raw)
    raw["journey"] = {
        **raw["journey"],
        "steps": [
            {"key": "kickoff", "kind": "journey-welcome", "anchor": "signed", "offset_days": 3}
        ],
    }
    admin.load_rules(world.engine, json.dumps(raw))
    _csm(world)
    _cid, did = _signed_deal(world, expires_on="2027-03-01")
    with write_tx(world.engine) as conn:
        assert run_journey(conn, NOW) == 1
    (task,) = _tasks(world.engine).values()
    assert task["step"] == "kickoff" and task["due_at"] == "2026-03-05T01:00:00+00:00"
    bad = {**raw, "journey": {"steps": [{"key": "x", "anchor": "moon", "offset_days": 1}]}}
    with pytest.raises(Exception, match="journey"):
        admin.load_rules(world.engine, json.dumps(bad))
    bad = {**raw, "journey": {"steps": [{"key": "x", "after": "y", "offset_days": 1}]}}
    with pytest.raises(Exception, match="journey"):
        admin.load_rules(world.engine, json.dumps(bad))
    assert did


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_step_can_wait_for_another_to_be_done(world: World) -> None:
    import json

    from app.domain.rules import default_rules

    raw = dict(default_rules().raw)
    steps = [dict(s) for s in raw["journey"]["steps"]]
    steps[1]["after"] = "welcome"  # the health check once the welcome call is done
    raw["journey"] = {**raw["journey"], "steps": steps}
    admin.load_rules(world.engine, json.dumps(raw))
    csm = _csm(world)
    _cid, did = _signed_deal(world, expires_on="2027-03-01")
    with write_tx(world.engine) as conn:
        assert run_journey(conn, NOW) == 2
    assert {t["step"] for t in _tasks(world.engine).values()} == {"welcome", "renewal"}
    with write_tx(world.engine) as conn:
        assert run_journey(conn, NOW + 60) == 0
    res = one(
        world.engine,
        csm,
        op("task", "update", journey_task_id(did, "welcome"), {"status": "done"}, base_version=1),
    )
    assert res["status"] == "applied", res
    with write_tx(world.engine) as conn:
        assert run_journey(conn, NOW + 120) == 1
    health = _tasks(world.engine)[journey_task_id(did, "health")]
    assert health["due_at"] == "2026-04-01T01:00:00+00:00" and health["owner"] == csm.id


def test_every_job_runs_past_records_that_do_not_decode(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """Text stored before push checked it can be anything; each job skips such a record (and
    says which) instead of failing at every tick."""
    _csm(world)
    _, did = _signed_deal(world, expires_on="2027-03-01")
    broken_customer = make_customer(world.engine, world.ra1, "坏数据有限公司")
    broken_deal = make_deal(world.engine, world.ra1, broken_customer, amount="1000")
    sign(world.engine, broken_deal)
    with write_tx(world.engine) as conn:
        for rid, text in ((broken_customer, "{not json"), (broken_deal, "[1, 2]")):
            conn.execute(records.update().where(records.c.id == rid).values(data=text))
    with caplog.at_level("WARNING", logger="fieldcrm.server.records"):
        report = jobs.tick(world.engine, NOW)
    assert report["journey"] == 3
    assert all(isinstance(v, int) for v in report.values()), report
    assert set(_tasks(world.engine)) == {
        journey_task_id(did, s) for s in ("welcome", "health", "renewal")
    }
    skipped = " ".join(r.getMessage() for r in caplog.records)
    assert broken_customer in skipped and broken_deal in skipped
