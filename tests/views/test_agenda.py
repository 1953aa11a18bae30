"""The agenda, reminders, renewals and the success manager's start page, with real widgets over
the real store: keys typed and pressed, a task dragged onto another day through the views'
model API, a reminder waited for on its signal."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDateTime, QModelIndex, Qt

from app import autostart
from app.domain.tasks import journey_task_id
from app.store import todo
from app.store.service import Store
from app.sync.api import OfflineSync
from app.sync.local import RemoteRecord, apply_remote
from app.views.agenda import AgendaScreen, TaskDialog
from app.views.context import AppContext, load_context
from app.views.main_window import NAV, MainWindow
from app.views.reminders import ReminderService
from app.views.renewals import RenewalsScreen
from app.views.tasks import TaskRunner


def _followup(store: Store, customer_id: str, due: str) -> str:
    return store.followups.add(
        {
            "customer_id": customer_id,
            "type": "demo",
            "conclusion": "客户希望看到报表模块的演示",
            "next_action": "上门演示报表",
            "due_on": due,
        }
    )


def _screen(qtbot: Any, ctx: AppContext) -> AgendaScreen:
    screen = AgendaScreen(ctx)
    ctx.runner.changed.connect(screen.on_changed)  # the main window's wiring
    qtbot.addWidget(screen)
    screen.resize(1100, 700)
    screen.show()
    return screen


def _titles(screen: AgendaScreen) -> list[str]:
    return [i.title for i in screen.items.items]


def test_new_task_done_and_followup_made_a_task_by_keyboard(
    qtbot: Any, ctx: AppContext, store: Store, customer_id: str
) -> None:
    todo.set_user_zone(store, "Asia/Shanghai")
    fid = _followup(store, customer_id, "2026-11-02")
    screen = _screen(qtbot, ctx)
    assert _titles(screen) == ["上门演示报表"]  # today's follow-up due is on the agenda

    qtbot.keyClick(screen.list, Qt.Key.Key_N)
    dialog = screen.last_dialog
    assert isinstance(dialog, TaskDialog) and dialog.isVisible()
    qtbot.keyClicks(dialog.title, "Confirm contract terms")
    dialog.due.setDateTime(QDateTime(datetime(2026, 11, 2, 20, 30)))
    dialog.customer.setCurrentIndex(dialog.customer.findData(customer_id))
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    (row,) = todo.tasks(store)
    assert row["title"] == "Confirm contract terms" and row["customer_id"] == customer_id
    assert set(_titles(screen)) == {"上门演示报表", "Confirm contract terms"}

    # T on the follow-up: its next action becomes a task; the agenda shows one line for it.
    follow_row = next(i for i, item in enumerate(screen.items.items) if item.kind == "followup")
    screen.list.selectRow(follow_row)
    qtbot.keyClick(screen.list, Qt.Key.Key_T)
    made = [t for t in todo.tasks(store) if t["source_id"] == fid]
    assert len(made) == 1 and made[0]["kind"] == "followup"
    assert [i.kind for i in screen.items.items] == ["task", "task"]

    # D marks the selected task done; it leaves the agenda.
    screen.list.selectRow(0)
    first = screen.selected()
    assert first is not None
    qtbot.keyClick(screen.list, Qt.Key.Key_D)
    assert store.require("task", first.id)["status"] == "done"
    assert first.id not in [i.id for i in screen.items.items]

    # Empty title: a clear message, the dialog stays with what was typed.
    qtbot.keyClick(screen.list, Qt.Key.Key_N)
    empty = screen.last_dialog
    assert isinstance(empty, TaskDialog)
    qtbot.mouseClick(empty.save_button, Qt.MouseButton.LeftButton)
    assert empty.isVisible() and empty.error.text() in ("任务为必填项", "Title is required")
    empty.reject()


def test_month_calendar_drag_and_keys_move_a_task(
    qtbot: Any, ctx: AppContext, store: Store
) -> None:
    todo.set_user_zone(store, "Asia/Shanghai")
    tid = todo.add_task(store, {"title": "季度回访", "due_at": "2026-11-05T02:00:00Z"})
    screen = _screen(qtbot, ctx)
    qtbot.keyClick(screen.list, Qt.Key.Key_4, Qt.KeyboardModifier.AltModifier)
    assert screen.period == "month" and screen.calendar.isVisible()
    assert screen.month_title.text() == "2026-11"
    model = screen.month_model
    cell = model.index_of(date(2026, 11, 5))
    assert "季度回访" in model.data(cell, Qt.ItemDataRole.DisplayRole)

    # Arrow keys walk the days; the day's list shows what is due.
    screen.calendar.setFocus()
    screen.calendar.setCurrentIndex(model.index_of(date(2026, 11, 4)))
    qtbot.keyClick(screen.calendar, Qt.Key.Key_Right)
    assert screen.selected_day == date(2026, 11, 5)
    assert [i.id for i in screen.day_items.items] == [tid]

    # Drag the task from the day's list onto the 12th (the views' drag-and-drop API).
    source = screen.day_items.index(0, 0)
    mime = screen.day_items.mimeData([source])
    target = model.index_of(date(2026, 11, 12))
    assert model.canDropMimeData(mime, Qt.DropAction.MoveAction, -1, -1, target)
    assert model.dropMimeData(mime, Qt.DropAction.MoveAction, -1, -1, target)
    # The same time of day, in the user's zone (10:00 in Shanghai).
    assert store.require("task", tid)["due_at"] == "2026-11-12T02:00:00+00:00"
    assert "季度回访" in model.data(model.index_of(date(2026, 11, 12)), Qt.ItemDataRole.DisplayRole)
    assert not model.canDropMimeData(mime, Qt.DropAction.MoveAction, -1, -1, QModelIndex())

    # Ctrl+Right moves the selected task a day later; PageDown shows the next month.
    screen.day_list.setFocus()
    screen.day_list.selectRow(0)
    qtbot.keyClick(screen.day_list, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    assert store.require("task", tid)["due_at"] == "2026-11-13T02:00:00+00:00"
    qtbot.keyClick(screen.day_list, Qt.Key.Key_PageDown)
    assert screen.month_title.text() == "2026-12"


def test_team_view_and_ics_export(
    qtbot: Any, ctx: AppContext, store: Store, customer_id: str, tmp_path: Path
) -> None:
    todo.add_task(store, {"title": "我的任务", "due_at": "2026-11-02T12:00:00Z"})
    todo.add_task(
        store, {"title": "同事的任务", "due_at": "2026-11-02T13:00:00Z", "owner": "u-lead"}
    )
    screen = _screen(qtbot, ctx)
    assert _titles(screen) == ["我的任务"]
    screen.team.setChecked(True)
    assert set(_titles(screen)) == {"我的任务", "同事的任务"}
    screen.export_ics(tmp_path / "a.ics")
    assert (tmp_path / "a.ics").read_bytes().count(b"BEGIN:VEVENT") == 1
    assert "1 items saved" in screen.status.text()


def test_reminder_fires_once_at_its_time_offline(qtbot: Any, qapp: Any, tmp_path: Path) -> None:
    """A real clock and a real timer; the profile never signed in (offline)."""
    store = Store(tmp_path / "rt", actor="u-rep")
    store.directory.upsert_users(
        [{"id": "u-rep", "name": "zw", "display_name": "张伟", "role": "rep"}]
    )
    todo.set_reminder_minutes(store, 0)
    runner = TaskRunner(store, synchronous=True)
    try:
        found: list[AppContext] = []
        load_context(runner, found.append)
        due = (datetime.now(UTC) + timedelta(seconds=3)).replace(microsecond=0)
        tid = todo.add_task(store, {"title": "给客户回电话", "due_at": due.isoformat()})
        service = ReminderService(found[0])
        heard: list[tuple[datetime, str]] = []
        service.reminded.connect(lambda title, _text: heard.append((datetime.now(UTC), title)))
        service.start()
        qtbot.waitUntil(lambda: len(heard) == 1, timeout=30_000)
        when, title = heard[0]
        assert when >= due, "a reminder came before its time"
        assert "给客户回电话" in title
        assert todo.fired_reminders(store) == [(tid, store.require("task", tid)["due_at"], "due")]
        service.check()  # nothing fires twice
        again = ReminderService(found[0])  # nor after the app restarts
        again.start()
        assert len(heard) == 1 and len(service.shown) == 1 and again.shown == []
        service.stop()
        again.stop()
    finally:
        runner.close()
        store.close()


def test_reminders_missed_long_ago_are_not_announced(
    qtbot: Any, ctx: AppContext, store: Store, clock: Any
) -> None:
    todo.set_reminder_minutes(store, 0)
    old = todo.add_task(store, {"title": "上周的任务", "due_at": "2026-10-26T09:00:00Z"})
    recent = todo.add_task(store, {"title": "一小时前", "due_at": "2026-11-02T08:00:00Z"})
    service = ReminderService(ctx)
    service.start()
    assert [t for t, _ in service.shown] == ["Due now: 一小时前"]
    assert {r[0] for r in todo.fired_reminders(store)} == {recent}
    service.check()  # the old one never comes up
    assert len(service.shown) == 1 and old not in {r[0] for r in todo.fired_reminders(store)}
    # The next one: the timer is set for it.
    todo.add_task(store, {"title": "下午", "due_at": "2026-11-02T14:00:00Z"})
    service.check()
    assert service.next_at == datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
    assert service.timer.isActive()
    service.stop()


def test_reminder_settings_write_the_autostart_entry(
    qtbot: Any, ctx: AppContext, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    screen = _screen(qtbot, ctx)
    screen.reminder_settings()
    dialog = screen.last_dialog
    assert dialog is not None
    minutes = dialog.minutes  # type: ignore[attr-defined]
    minutes.selectAll()
    qtbot.keyClicks(minutes, "30")
    dialog.zone.setText("Asia/Shanghai")  # type: ignore[attr-defined]
    dialog.autostart.setChecked(True)  # type: ignore[attr-defined]
    dialog.tray.setChecked(True)  # type: ignore[attr-defined]
    with qtbot.waitSignal(screen.reminder_settings_saved):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    entry = tmp_path / "config" / "autostart" / "fieldcrm.desktop"
    text = entry.read_text(encoding="utf-8")
    assert "[Desktop Entry]" in text and "Exec=" in text and autostart.is_enabled("xdg")
    assert todo.reminder_minutes(store) == 30 and todo.user_zone_name(store) == "Asia/Shanghai"
    assert store.meta("keep_in_tray") == "1"

    screen.reminder_settings()
    second = screen.last_dialog
    assert second is not None and second.autostart.isChecked()  # type: ignore[attr-defined]
    second.zone.setText("Mars/Olympus")  # type: ignore[attr-defined]
    second.autostart.setChecked(False)  # type: ignore[attr-defined]
    qtbot.mouseClick(second.save_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    assert second.isVisible() and "Mars/Olympus" in second.error.text()  # type: ignore[attr-defined]
    assert entry.exists()  # nothing applied from a refused form
    second.zone.setText("")  # type: ignore[attr-defined]
    qtbot.mouseClick(second.save_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    assert not entry.exists()


def _signed(store: Store, customer_id: str, deal_id: str, expires: str) -> None:
    apply_remote(
        store,
        [
            RemoteRecord(
                "deal",
                deal_id,
                3,
                False,
                {
                    "customer_id": customer_id,
                    "title": "ERP 二期",
                    "amount": "380000.00",
                    "stage": "signed",
                    "owner": "u-rep",
                    "signed_on": "2026-03-02",
                    "expires_on": expires,
                },
            )
        ],
    )


def test_renewals_renew_in_one_click(
    qtbot: Any, ctx: AppContext, store: Store, customer_id: str
) -> None:
    _signed(store, customer_id, "deal-1", "2027-01-15")
    screen = RenewalsScreen(ctx)
    ctx.runner.changed.connect(screen.on_changed)
    qtbot.addWidget(screen)
    screen.show()
    assert screen.table.rowCount() == 1
    assert screen.table.item(0, 2).text() == "轻鹿家居有限公司"
    assert screen.table.item(0, 6).text() in ("Not started", "未启动")
    assert screen.issues.rowCount() == 1
    opened: list[tuple[str, str]] = []
    screen.open_record.connect(lambda e, i: opened.append((e, i)))
    screen.table.selectRow(0)
    qtbot.keyClick(screen.table, Qt.Key.Key_R)
    new_deal = todo.renewal_deal_id("deal-1", "2027-01-15")
    assert store.require("deal", new_deal)["customer_id"] == customer_id
    assert opened == [("deal", new_deal)]
    assert screen.table.item(0, 7).text() == "renewal deal made"
    assert not screen.renew_button.isEnabled()


def test_a_csm_lands_on_their_start_page(
    qtbot: Any, store: Store, customer_id: str, tmp_path: Path
) -> None:
    store.directory.upsert_users(
        [{"id": "u-csm", "name": "liuyang", "display_name": "刘洋", "role": "csm"}]
    )
    store.set_meta("user_id", "u-csm")
    csm_store = Store(tmp_path / "profile", actor="u-csm", clock=store.clock)
    _signed(csm_store, customer_id, "deal-1", "2027-01-15")
    apply_remote(
        csm_store,
        [
            RemoteRecord(
                "task",
                journey_task_id("deal-1", step),
                1,
                False,
                {
                    "title": title,
                    "kind": kind,
                    "status": "open",
                    "owner": "u-csm",
                    "due_at": due,
                    "customer_id": customer_id,
                    "deal_id": "deal-1",
                    "related_name": "轻鹿家居有限公司",
                    "step": step,
                },
            )
            for step, kind, title, due in (
                ("welcome", "journey-welcome", "欢迎电话", "2026-11-01T01:00:00+00:00"),
                ("health", "journey-health", "健康检查", "2026-12-01T01:00:00+00:00"),
            )
        ],
    )
    runner = TaskRunner(csm_store, synchronous=True)
    try:
        found: list[AppContext] = []
        load_context(runner, found.append)
        window = MainWindow(
            found[0], OfflineSync(lambda: (0, 0, 0)), profile_dir=tmp_path / "profile"
        )
        qtbot.addWidget(window)
        assert window.current_page() is window.success
        assert not window.nav.item(NAV.index("success")).isHidden()
        page = window.success
        assert page.tasks.rowCount() == 2
        assert page.tasks.item(0, 1).text() == "Welcome call"
        assert page.health.item(0, 0).text() == "轻鹿家居有限公司"
        assert page.health.item(0, 3).text() == "1"  # the welcome call is overdue
        assert page.renewals.rowCount() == 1
        assert "2 journey tasks open (1 overdue)" in page.summary.text()
        window.close()
    finally:
        runner.close()
        csm_store.close()


def test_a_rep_does_not_see_the_success_page(qtbot: Any, window: MainWindow) -> None:
    assert window.nav.item(NAV.index("success")).isHidden()
    assert window.current_page() is window.customers


def test_the_alert_inbox_operation_hands_an_alert_to_a_rep(
    ctx: AppContext, store: Store, customer_id: str
) -> None:
    from app.views import agenda_ops

    alert_id = store.create(
        "alert",
        {
            "kind": "stagnation",
            "customer_id": customer_id,
            "owner": "u-lead",
            "message_zh": "商机停滞超过 72 小时",
            "message_en": "Deal stalled for over 72 hours",
        },
    )
    made: list[str] = []
    ctx.runner.write(lambda s: agenda_ops.task_from_alert(s, alert_id, "u-rep", "zh"), made.append)
    task = store.require("task", made[0])
    assert task["owner"] == "u-rep" and task["title"] == "商机停滞超过 72 小时"
    assert task["kind"] == "alert" and task["customer_id"] == customer_id
    assert store.require("alert", alert_id)["resolved_at"]


def test_the_navigation_counts_my_tasks_due_today(
    qtbot: Any, window: MainWindow, store: Store
) -> None:
    todo.add_task(store, {"title": "今天的任务", "due_at": "2026-11-02T10:00:00Z"})
    todo.add_task(store, {"title": "下周的任务", "due_at": "2026-11-10T10:00:00Z"})
    window.refresh_counts()
    assert window.nav.item(NAV.index("agenda")).text().endswith("(1)")
