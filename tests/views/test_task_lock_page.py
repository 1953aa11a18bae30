"""A ``task_done`` lock on the deal page: listed with the other locks, and Advance waits for it."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt

from app.domain.rules import default_rules
from app.store import todo
from app.store.service import Store
from app.sync.local import RemoteRecord, apply_remote
from app.views.context import AppContext
from app.views.deal_page import DealPage

SHOTS = "/work/wt/shots/tasklock"


def test_the_page_lists_the_task_lock_until_the_task_is_done(
    qtbot: Any, ctx: AppContext, store: Store, customer_id: str, deal_id: str
) -> None:
    raw = json.loads(json.dumps(default_rules().raw))
    welcome = {"kind": "task_done", "key": "journey-welcome", "step": "welcome",
               "zh": "欢迎电话", "en": "Welcome call"}  # fmt: skip
    raw["stages"][0]["exit_locks"].append(welcome)
    store.set_rules_json(json.dumps(raw))
    store.update("deal", deal_id, {"amount": "80000"})
    contact = store.create("contact", {"customer_id": customer_id, "name": "陈思远"})
    store.update("deal", deal_id, {"primary_contact_id": contact})
    task = {
        "title": "欢迎电话",
        "kind": "journey-welcome",
        "step": "welcome",
        "status": "open",
        "priority": "high",
        "owner": "u-rep",
        "due_at": "2026-11-03T02:00:00+00:00",
        "customer_id": customer_id,
        "deal_id": deal_id,
    }
    apply_remote(store, [RemoteRecord("task", "t-welcome", 1, False, task)])

    page = DealPage(ctx, deal_id)
    ctx.runner.changed.connect(page.on_changed)
    qtbot.addWidget(page)
    page.resize(900, 700)
    page.show()
    qtbot.waitUntil(lambda: page.lock_row("journey-welcome") is not None)
    row = page.lock_row("journey-welcome")
    assert row is not None and not row.status.met
    assert "欢迎电话" in row.detail.text()
    assert [r.status.met for r in page.lock_rows] == [True, True, False]
    assert not page.advance_button.isEnabled()
    assert "欢迎电话" in page.reasons.text()
    page.grab().save(f"{SHOTS}/deal-task-lock-open.png")
    row.grab().save(f"{SHOTS}/deal-task-lock-row-open.png")

    # The task is done (from the agenda, say): the page hears of it and Advance opens.
    ctx.runner.write(lambda s: todo.complete_task(s, "t-welcome"))
    qtbot.waitUntil(lambda: page.advance_button.isEnabled())
    assert page.lock_row("journey-welcome").status.met  # type: ignore[union-attr]
    page.grab().save(f"{SHOTS}/deal-task-lock-done.png")
    page.lock_row("journey-welcome").grab().save(  # type: ignore[union-attr]
        f"{SHOTS}/deal-task-lock-row-done.png"
    )
    qtbot.mouseClick(page.advance_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: store.require("deal", deal_id)["stage"] == "needs_diagnosis")
