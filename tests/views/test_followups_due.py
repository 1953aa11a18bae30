"""Follow-ups due as a worklist: overdue first, done by logging, snoozed, grouped by rep for a
team lead (whose list opens on the team)."""

from __future__ import annotations

import dataclasses
from typing import Any

from helpers.typing import type_text
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from app.store.service import Store
from app.views.context import AppContext
from app.views.followup_form import FollowUpForm
from app.views.inboxes import FollowupsDueScreen
from app.views.operations import Session


def followup(store: Store, customer_id: str, action: str, due: str) -> str:
    return store.followups.add(
        {
            "customer_id": customer_id,
            "type": "consultation",
            "conclusion": "沟通了需求范围和大致预算",
            "next_action": action,
            "due_on": due,
        }
    )


def customer(store: Store, name: str, owner: str) -> str:
    return store.create("customer", {"name": name, "owner": owner})


def screen(qtbot: Any, ctx: AppContext) -> FollowupsDueScreen:
    s = FollowupsDueScreen(ctx)
    ctx.runner.changed.connect(s.on_changed)
    qtbot.addWidget(s)
    s.show()
    return s


def texts(s: FollowupsDueScreen, column: int) -> list[str]:
    items = [s.table.item(i, column) for i in range(s.table.rowCount())]
    return [item.text() if item is not None else "" for item in items]


def select(s: FollowupsDueScreen, text: str) -> None:
    s.table.selectRow(next(i for i, t in enumerate(texts(s, 2)) if t == text))


def click(qtbot: Any, button: QPushButton) -> None:
    assert button.isVisible() and button.isEnabled(), button.objectName()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_overdue_first_snooze_and_done_by_logging(
    qtbot: Any, ctx: AppContext, store: Store, clock: Any
) -> None:
    a = customer(store, "杭州青禾家居有限公司", "u-rep")
    b = customer(store, "宁波海曙五金制品有限公司", "u-rep")
    followup(store, a, "约见财务总监", "2026-11-06")
    followup(store, b, "发送修订报价", "2026-11-03")
    clock.advance(days=2)  # 2026-11-04: the quote is overdue
    s = screen(qtbot, ctx)
    assert texts(s, 2) == ["发送修订报价", "约见财务总监"]  # overdue first
    assert "overdue" in s.table.item(0, 0).text()
    assert "2 due" in s.count.text() and "1 overdue" in s.count.text()
    assert not s.snooze.isEnabled()

    select(s, "约见财务总监")
    s.snooze_days.setCurrentIndex(s.snooze_days.findData(3))
    click(qtbot, s.snooze)
    assert texts(s, 2) == ["发送修订报价"]
    clock.advance(days=3)  # the snooze is over: the item is back
    s.reload()
    assert "约见财务总监" in texts(s, 2)

    select(s, "发送修订报价")
    click(qtbot, s.log)
    form = s.findChild(FollowUpForm)
    assert form is not None and form.isVisible()
    type_text(qtbot, form.conclusion, "客户接受了修订报价,等待盖章")
    form.next_action.clear()
    type_text(qtbot, form.next_action, "跟进合同盖章")
    with qtbot.waitSignal(form.saved):
        click(qtbot, form.save_button)
    assert "发送修订报价" not in texts(s, 2)  # done: the new next action took its place
    assert "跟进合同盖章" in texts(s, 2)


def test_a_lead_sees_the_team_grouped_by_rep_with_counts(
    qtbot: Any, ctx: AppContext, store: Store, clock: Any
) -> None:
    store.directory.upsert_users(
        [{"id": "u-rep2", "name": "lina", "display_name": "李娜", "role": "rep"}]
    )
    followup(store, customer(store, "杭州青禾家居有限公司", "u-rep"), "约见财务总监", "2026-11-03")
    followup(store, customer(store, "苏州明远精密机械", "u-rep"), "发送报价", "2026-11-06")
    followup(store, customer(store, "宁波海曙五金", "u-rep2"), "安排演示", "2026-11-05")
    clock.advance(days=2)
    lead = dataclasses.replace(ctx, session=Session("u-lead", "王经理", "lead"))
    s = screen(qtbot, lead)
    assert not s.mine.isChecked()  # the team's list, not the lead's own (empty) one
    first = texts(s, 0)
    assert first[0].startswith("张伟") and "2 due, 1 overdue" in first[0]
    assert any(t.startswith("李娜") and "1 due, 0 overdue" in t for t in first)
    assert texts(s, 2)[1] == "约见财务总监"  # the rep's overdue item heads their group
    assert s.table.columnSpan(0, 0) == s.table.columnCount()
    s.table.selectRow(0)  # a group heading is no item: nothing to log or snooze
    assert not s.log.isEnabled() and not s.snooze.isEnabled()
    s.mine.setChecked(True)
    assert s.empty.isVisible()


def test_a_next_action_becomes_a_task_in_one_click(
    qtbot: Any, ctx: AppContext, store: Store
) -> None:
    from app.store import todo

    cid = customer(store, "星河物流有限公司", ctx.session.user_id)
    fid = followup(store, cid, "寄送报价单", "2026-11-03")
    s = screen(qtbot, ctx)
    select(s, "寄送报价单")
    click(qtbot, s.make_task)
    click(qtbot, s.make_task)  # a second click finds the same task
    (task,) = todo.tasks(store)
    assert task["title"] == "寄送报价单" and task["source_id"] == fid
    assert task["customer_id"] == cid and task["kind"] == "followup"
    assert "寄送报价单" in s.count.text()
