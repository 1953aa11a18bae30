"""A ``task_done`` lock in the local store: the deal stays put until its task is done."""

from __future__ import annotations

import json

import pytest

from app.domain.rules import default_rules
from app.store import todo
from app.store.errors import MoveRefused
from app.store.service import Store
from app.sync.local import RemoteRecord, apply_remote

WELCOME = {"kind": "task_done", "key": "journey-welcome", "step": "welcome",
           "zh": "欢迎电话", "en": "Welcome call"}  # fmt: skip


def _rules(store: Store) -> None:
    raw = json.loads(json.dumps(default_rules().raw))
    raw["stages"][0]["exit_locks"] = [WELCOME]
    store.set_rules_json(json.dumps(raw))


def _task(store: Store, customer_id: str, deal_id: str, status: str, step: str = "welcome") -> str:
    """A journey task as the server sends it (its step is set by the server only)."""
    tid = f"t-{step}-{status}"
    fields = {
        "title": "欢迎电话",
        "kind": "journey-welcome",
        "step": step,
        "status": status,
        "priority": "high",
        "owner": "u-rep",
        "due_at": "2026-11-03T02:00:00+00:00",
        "customer_id": customer_id,
        "deal_id": deal_id,
    }
    apply_remote(store, [RemoteRecord("task", tid, 1, False, fields)])
    return tid


def test_the_deal_moves_only_once_its_task_is_done(store: Store, customer_id: str) -> None:
    _rules(store)
    did = store.create("deal", {"customer_id": customer_id, "title": "ERP 续约"})
    with pytest.raises(MoveRefused) as refused:
        store.deals.move(did, "needs_diagnosis")
    assert [p.message.en for p in refused.value.decision.problems] == [
        "Finish the task: Welcome call"
    ]
    # A cancelled task, or a done task of another step, does not count.
    _task(store, customer_id, did, "cancelled")
    _task(store, customer_id, did, "done", step="health")
    with pytest.raises(MoveRefused):
        store.deals.move(did, "needs_diagnosis")
    tid = _task(store, customer_id, did, "open")
    (item,) = store.deals.checklist(did).items
    assert not item.met and item.lock.label.en == "Welcome call"
    with pytest.raises(MoveRefused):
        store.deals.move(did, "needs_diagnosis")
    assert store.require("deal", did)["stage"] == "contact"

    todo.complete_task(store, tid)
    assert store.deals.checklist(did).items[0].met
    assert store.deals.move(did, "needs_diagnosis").allowed
    assert store.require("deal", did)["stage"] == "needs_diagnosis"


def test_a_done_task_of_another_deal_does_not_count(store: Store, customer_id: str) -> None:
    _rules(store)
    did = store.create("deal", {"customer_id": customer_id, "title": "ERP 续约"})
    other = store.create("deal", {"customer_id": customer_id, "title": "ERP 一期"})
    _task(store, customer_id, other, "done")
    with pytest.raises(MoveRefused):
        store.deals.move(did, "needs_diagnosis")
    assert store.deals.move(other, "needs_diagnosis").allowed
