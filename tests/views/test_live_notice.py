"""A newly assigned lead raises exactly one notification, and its deadline counts down in the
in-app notice (offscreen has no system tray: the fallback is what is checked here)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from helpers.syncing import Device, Server
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton, QSystemTrayIcon, QWidget

from app.store.service import Change
from app.views.context import AppContext, load_context
from app.views.live import LiveUpdates
from app.views.tasks import TaskRunner
from server.leads import keys, reps

HIGH = {
    "company": "睿鼎科技有限公司",
    "title": "采购总监",
    "company_size": 800,
    "budget_stated": True,
    "timeline_urgency": 3,
}


@pytest.fixture
def runners(qapp: Any) -> Iterator[list[TaskRunner]]:
    made: list[TaskRunner] = []
    yield made
    for r in made:
        r.close()


def test_one_notification_per_new_lead_with_a_live_countdown(
    qtbot: Any,
    server: Server,
    make_device: Callable[..., Device],
    runners: list[TaskRunner],
    file_keyring: None,
) -> None:
    assert not QSystemTrayIcon.isSystemTrayAvailable()  # offscreen
    alice = make_device("alice-notice", "alice")
    alice.sync()
    now = [datetime.now(UTC)]
    runner = TaskRunner(alice.store, synchronous=True)
    runners.append(runner)
    found: list[AppContext] = []
    load_context(runner, found.append)
    ctx = dataclasses.replace(found[0], sync=alice.engine, clock=lambda: now[0])
    announced: list[tuple[str, str]] = []

    def sync_now() -> None:
        assert alice.engine.sync().error is None
        ctx.runner.changed.emit([Change("sync", "*", "sync", ())])

    live = LiveUpdates(ctx, alice.engine, sync_now, poll_timeout_s=2)
    window = QWidget()  # stands for the main window, which hosts the notice (attach_live)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    live.host = window
    live.announced.connect(lambda title, text: announced.append((title, text)))
    ctx.runner.changed.connect(live.on_changed)
    reps.set_profile(server.engine, "bob", on_leave=True)
    try:
        assert live.start()
        assert live.watcher is not None
        qtbot.waitUntil(live.watcher.ready.is_set, timeout=20_000)
        key = keys.add_key(server.engine, "trade_show", "华东一组")
        r = httpx.post(
            f"{server.url}/api/v1/intake/leads",
            json={"external_id": "notice-1", "name": "冯涛", **HIGH},
            headers={"X-Intake-Key": key},
        )
        assert r.json()["leads"][0]["owner"] == "alice", r.text
        qtbot.waitUntil(lambda: bool(announced), timeout=20_000)
        assert announced[0][0].endswith("冯涛")
        notice = live.notice
        assert notice is not None and notice.isVisible()
        assert notice.parentWidget() is window
        assert notice.timer.isActive()
        due = datetime.fromisoformat(r.json()["leads"][0]["response_due"])
        # The countdown follows the clock by the second: four minutes before the deadline…
        now[0] = due - timedelta(minutes=4, seconds=10)
        qtbot.waitUntil(lambda: "04:10" in notice.left.text(), timeout=5_000)
        # …then one minute later, and overdue once the deadline passed.
        now[0] = due - timedelta(minutes=3, seconds=10)
        qtbot.waitUntil(lambda: "03:10" in notice.left.text(), timeout=5_000)
        now[0] = due + timedelta(minutes=2)
        qtbot.waitUntil(
            lambda: notice.left.text() != "" and "03:10" not in notice.left.text(), timeout=5_000
        )
        # Another sync brings nothing new: still exactly one notification for this lead.
        sync_now()
        assert len(announced) == 1
        close = notice.findChild(QPushButton, "leadNoticeClose")
        assert close is not None
        qtbot.mouseClick(close, Qt.MouseButton.LeftButton)
        assert not notice.isVisible() and not notice.timer.isActive()
    finally:
        live.stop()
        reps.set_profile(server.engine, "bob", on_leave=False)
