"""``task_done`` locks: a stage waits for a task of a kind (and journey step) to be done."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.domain.forecast import deal_row, heatmap
from app.domain.process import DealFacts, advance_checklist, decide_move, done_tasks, lock_met
from app.domain.rules import ProcessRules, RulesError, StageLock, default_rules, load_rules_json

WELCOME = {"kind": "task_done", "key": "journey-welcome", "step": "welcome",
           "zh": "欢迎电话", "en": "Welcome call"}  # fmt: skip


def rules_with(*locks: dict[str, Any]) -> ProcessRules:
    """The default rules with the contact stage's exit locks replaced by ``locks``."""
    raw = json.loads(json.dumps(default_rules().raw))
    raw["stages"][0]["exit_locks"] = list(locks)
    return load_rules_json(json.dumps(raw))


def facts(*tasks: dict[str, Any]) -> DealFacts:
    return DealFacts(stage="contact", fields={}, done_tasks=done_tasks(tasks))


def test_the_lock_is_parsed_with_its_step() -> None:
    (lock,) = rules_with(WELCOME).stage("contact").exit_locks
    assert (lock.kind, lock.key, lock.step, lock.label.en) == (
        "task_done",
        "journey-welcome",
        "welcome",
        "Welcome call",
    )


def test_a_done_task_of_the_kind_and_step_meets_the_lock() -> None:
    rules = rules_with(WELCOME)
    done = facts({"kind": "journey-welcome", "step": "welcome", "status": "done"})
    assert decide_move(done, "needs_diagnosis", rules).allowed
    assert advance_checklist(done, rules).items[0].met


@pytest.mark.parametrize(
    "task",
    [
        {"kind": "journey-welcome", "step": "welcome", "status": "open"},
        {"kind": "journey-welcome", "step": "welcome", "status": "cancelled"},
        {"kind": "journey-welcome", "step": "kickoff", "status": "done"},
        {"kind": "manual", "step": None, "status": "done"},
        {"kind": "journey-welcome", "step": "welcome", "status": "done", "_deleted": 1},
    ],
)
def test_an_open_cancelled_or_other_task_does_not(task: dict[str, Any]) -> None:
    rules = rules_with(WELCOME)
    decision = decide_move(facts(task), "needs_diagnosis", rules)
    assert not decision.allowed
    (problem,) = decision.problems
    assert problem.code == "lock" and problem.lock is not None
    assert problem.message.en == "Finish the task: Welcome call"
    assert problem.message.zh == "请先完成任务:欢迎电话"
    item = advance_checklist(facts(task), rules).items[0]
    assert not item.met and item.detail == problem.message


def test_a_deal_without_tasks_is_locked() -> None:
    assert not decide_move(facts(), "needs_diagnosis", rules_with(WELCOME)).allowed


def test_without_a_step_any_done_task_of_the_kind_counts() -> None:
    label = rules_with(WELCOME).stage("contact").exit_locks[0].label
    lock = StageLock("task_done", "manual", label)
    assert lock_met(lock, facts({"kind": "manual", "status": "done"}))
    assert lock_met(lock, facts({"kind": "manual", "step": "x", "status": "done"}))
    assert not lock_met(lock, facts({"kind": "followup", "status": "done"}))


@pytest.mark.parametrize(
    ("lock", "fragment"),
    [
        ({**WELCOME, "key": "journey-party"}, "unknown task kind 'journey-party'"),
        ({**WELCOME, "key": ""}, "lock without key"),
        ({**WELCOME, "step": 3}, "step must be text"),
        ({k: v for k, v in WELCOME.items() if k != "en"}, "missing label 'en'"),
        ({"kind": "field", "key": "amount", "step": "x", "zh": "金额", "en": "Amount"},
         "only a task_done lock has a step"),
        ({**WELCOME, "kind": "task_finished"}, "unknown lock kind 'task_finished'"),
    ],
)  # fmt: skip
def test_a_malformed_task_lock_is_refused_naming_it(lock: dict[str, Any], fragment: str) -> None:
    with pytest.raises(RulesError, match=fragment) as caught:
        rules_with(lock)
    assert str(caught.value).startswith("stages[0].exit_locks[0]: ")


def test_the_heatmap_counts_a_deal_whose_task_is_done_as_meeting_the_lock() -> None:
    rules = rules_with(WELCOME)
    base = {"stage": "contact", "created_at": "2026-11-01T00:00:00+00:00"}
    rows = [
        deal_row({**base, "id": "d-done"}, done_tasks=[("journey-welcome", "welcome")]),
        deal_row({**base, "id": "d-open"}),
    ]
    (cell,) = [c for c in heatmap(rows, rules) if c.stage == "contact"]
    assert cell.lock.kind == "task_done" and cell.deals == 2 and cell.missing == ("d-open",)
