"""A ``task_done`` lock end to end: the server's rules reach the rep's laptop, the deal waits
for its task there, the task done and the move made offline are accepted in one sync, and the
lead's laptop and the server agree on the blockage heatmap."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from helpers.syncing import Device, Server

from app.domain.reports import heatmap_report
from app.domain.rules import default_rules
from app.store import todo
from app.store.cockpit import build
from app.store.errors import MoveRefused
from server import admin
from server.admin import current_rules
from server.leads.common import team_id_of
from server.reports import load_team

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
WELCOME = {"kind": "task_done", "key": "journey-welcome",
           "zh": "欢迎电话", "en": "Welcome call"}  # fmt: skip


def _contact_cell(report: dict[str, object]) -> dict[str, object]:
    cells = report["cells"]
    assert isinstance(cells, list)
    (cell,) = [c for c in cells if c["stage"] == "contact" and c["lock"] == "journey-welcome"]
    return dict(cell)


def test_task_lock_end_to_end(server: Server, make_device: Callable[..., Device]) -> None:
    raw = json.loads(json.dumps(default_rules().raw))
    raw["stages"][0]["exit_locks"] = [WELCOME]
    admin.load_rules(server.engine, json.dumps(raw))
    rep = make_device("alice-laptop", "alice")
    rep.sync()
    assert rep.store.rules.stage("contact").exit_locks[0].kind == "task_done"

    s = rep.store
    cid = s.create("customer", {"name": "轻鹿家居有限公司", "owner": s.actor})
    ready = s.create("deal", {"customer_id": cid, "title": "ERP 续约"})
    waiting = s.create("deal", {"customer_id": cid, "title": "ERP 一期"})
    # Its task done, this one stays in the stage: the heatmap must not count it as blocked.
    unblocked = s.create("deal", {"customer_id": cid, "title": "仓储模块"})
    task = {"title": "欢迎电话", "kind": "journey-welcome", "due_at": "2026-11-21T10:00:00+08:00"}
    tid = todo.add_task(s, {**task, "customer_id": cid, "deal_id": ready})
    todo.add_task(s, {**task, "customer_id": cid, "deal_id": waiting})
    todo.complete_task(s, todo.add_task(s, {**task, "customer_id": cid, "deal_id": unblocked}))
    rep.sync()
    with pytest.raises(MoveRefused):
        s.deals.move(ready, "needs_diagnosis")

    # Offline: the task is done, then the deal moves; one sync sends both, and the server,
    # judging the move as that push leaves the task, accepts it.
    todo.complete_task(s, tid)
    assert s.deals.move(ready, "needs_diagnosis").allowed
    rep.sync()
    assert s.journal.pending_count() == 0
    with server.engine.connect() as conn:
        team_id = team_id_of(conn, "华东一组")
        assert team_id is not None
        team, rules = load_team(conn, team_id), current_rules(conn)
    stages = {d.id: d.stage for d in team.deals}
    assert stages[ready] == "needs_diagnosis" and stages[waiting] == "contact"

    lead = make_device("lena-laptop", "lena")
    lead.sync()
    central = _contact_cell(heatmap_report(team, rules))
    laptop = _contact_cell(build(lead.store, "heatmap", None, now=NOW))
    assert central["deals"] == laptop["deals"] == 2
    assert central["deal_ids"] == laptop["deal_ids"] == [waiting]
