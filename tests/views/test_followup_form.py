"""The follow-up form: keyboard only, defaults, type-dependent required fields, Ctrl+Enter."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from app.store.service import Store
from app.views.context import AppContext
from app.views.followup_form import FollowUpForm


def form(qtbot: Any, ctx: AppContext, customer_id: str) -> FollowUpForm:
    f = FollowUpForm(ctx, customer_id, customer_name="轻鹿家居")
    qtbot.addWidget(f)
    f.show()
    return f


def test_defaults(qtbot: Any, ctx: AppContext, customer_id: str) -> None:
    f = form(qtbot, ctx, customer_id)
    assert f.due.date().toPython() == date(2026, 11, 5)  # the fixed clock's today + 3 days
    assert f.priority.currentData() == "medium"
    assert f.type.currentData() == "consultation"
    assert not f.rows["competitor_comparison"].isVisible()


def test_save_is_blocked_until_required_fields_are_valid(
    qtbot: Any, ctx: AppContext, store: Store, customer_id: str
) -> None:
    f = form(qtbot, ctx, customer_id)
    before = store.journal.pending_count()
    assert not f.save_button.isEnabled()
    f.save()  # Ctrl+Enter on an empty form shows every message and saves nothing
    assert f.errors["conclusion"].isVisible() and f.errors["next_action"].isVisible()
    assert store.journal.pending_count() == before

    f.type.setCurrentIndex(f.type.findData("price_negotiation"))
    assert f.rows["competitor_comparison"].isVisible()
    f.conclusion.setPlainText("已沟通")
    assert "10" in f.errors["conclusion"].text()
    f.conclusion.setPlainText("客户希望降价8%,我方提出分期付款方案")
    f.next_action.setPlainText("发送修订报价")
    assert not f.save_button.isEnabled()
    assert "竞品对比" in f.errors["competitor_comparison"].text()
    f.extra["competitor_comparison"].setPlainText("竞品低10%,但无本地实施")
    assert f.save_button.isEnabled()
    with qtbot.waitSignal(f.saved):
        f.save()
    saved = (
        store.connection().execute("SELECT type, competitor_comparison FROM followups").fetchall()
    )
    assert saved == [("price_negotiation", "竞品低10%,但无本地实施")]


def test_keyboard_only_with_ctrl_enter(
    qtbot: Any, ctx: AppContext, store: Store, customer_id: str
) -> None:
    f = form(qtbot, ctx, customer_id)
    f.activateWindow()
    f.type.setFocus()
    qtbot.keyClick(f.type, Qt.Key.Key_Down)  # consultation → demo
    qtbot.keyClick(f.type, Qt.Key.Key_Tab)
    assert f.conclusion.hasFocus() or f.focusWidget() is f.conclusion
    # QTest types ASCII only; hanzi would arrive through the input method the same way.
    qtbot.keyClicks(f.conclusion, "Demo of auto scheduling; they liked it and want a quote")
    qtbot.keyClick(f.conclusion, Qt.Key.Key_Tab)
    qtbot.keyClicks(f.next_action, "Send the quote")
    with qtbot.waitSignal(f.saved):
        qtbot.keyClick(f.next_action, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    row = (
        store.connection()
        .execute("SELECT type, due_on, priority, next_action FROM followups")
        .fetchone()
    )
    assert row == ("demo", "2026-11-05", "medium", "Send the quote")


def test_contacts_met_department_and_files_are_saved_with_the_follow_up(
    qtbot: Any,
    ctx: AppContext,
    store: Store,
    customer_id: str,
    contacts: list[str],
    tmp_path: Path,
) -> None:
    store.directory.upsert_teams([{"id": "t-east", "name": "华东销售部"}])
    store.directory.upsert_users([{"id": "u-rep", "name": "zhangwei", "team_id": "t-east"}])
    photo = tmp_path / "白板.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n whiteboard")
    f = form(qtbot, ctx, customer_id)
    assert f.department.text() == "华东销售部"  # the user's own department
    assert f.contacts_met.count() == 3
    names = [f.contacts_met.item(i).text() for i in range(3)]
    met = names.index("王海燕 — 采购经理")
    item = f.contacts_met.item(met)
    f.contacts_met.setCurrentItem(item)
    f.contacts_met.setFocus()
    qtbot.keyClick(f.contacts_met, Qt.Key.Key_Space)  # ticked with the keyboard
    assert item.checkState() == Qt.CheckState.Checked

    qtbot.mouseClick(f.attach_button, Qt.MouseButton.LeftButton)
    assert f.file_dialog is not None and f.file_dialog.isVisible()
    f.file_dialog.setDirectory(str(tmp_path))
    f.file_dialog.selectFile(photo.name)
    f.file_dialog.accept()
    assert f.file_list.text() == "白板.png"

    f.conclusion.insertPlainText("客户认可方案，下周安排技术交流：需准备演示环境")
    f.next_action.insertPlainText("准备演示环境")
    with qtbot.waitSignal(f.saved) as saved:
        qtbot.mouseClick(f.save_button, Qt.MouseButton.LeftButton)
    row = store.require("followup", saved.args[0])
    assert row["contact_ids"] == [contacts[1]]
    assert row["department"] == "华东销售部"
    assert row["conclusion"] == "客户认可方案，下周安排技术交流：需准备演示环境"  # as typed
    files = (
        store.connection()
        .execute("SELECT filename, customer_id FROM attachments WHERE _deleted = 0")
        .fetchall()
    )
    assert files == [("白板.png", customer_id)]
