"""The main window: navigation, record pages, status bar, sync with delayed progress."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from app.store.service import Store
from app.sync.api import CancelCheck, ProgressCallback, SyncProgress, SyncReport, SyncState
from app.views.context import AppContext, load_context
from app.views.customer_page import CustomerPage
from app.views.deal_page import DealPage
from app.views.main_window import NAV, MainWindow
from app.views.tasks import TaskRunner


def test_navigation_and_record_pages(
    qtbot: Any, window: MainWindow, customer_id: str, deal_id: str
) -> None:
    for i, key in enumerate(NAV):
        window.nav.setCurrentRow(i)
        assert window.current_page() is window.screens[key]
    window.show_screen("customers")
    page = window.open_record("customer", customer_id)
    assert isinstance(page, CustomerPage) and window.record_bar.isVisible()
    deal = window.open_record("deal", deal_id)
    assert isinstance(deal, DealPage)
    window.go_back()
    assert window.current_page() is page
    window.go_back()
    assert window.current_page() is window.customers and not window.record_bar.isVisible()


def test_status_bar_counts_and_offline_sync(
    qtbot: Any, window: MainWindow, store: Store, customer_id: str
) -> None:
    status = window.sync_status
    status.refresh()
    assert "Not signed in" in status.connection.text()
    assert store.journal.pending_count() == 1
    assert status.pending.text() == "1 pending edit"  # English plurals, not "edit(s)"
    store_conflict = store.conflicts.record(
        "customer", customer_id, "notes", "a", "b", other_author="x"
    )
    assert store_conflict
    window.ctx.runner.write(lambda s: s.update("customer", customer_id, {"region": "杭州"}))
    assert status.conflicts.text() == "1 conflict"
    assert status.pending.text() == f"{store.journal.pending_count()} pending edits"
    assert store.journal.pending_count() > 1
    status.sync_now()  # offline: a clear message, nothing lost
    assert "Not signed in" in window.problem.text() or "未登录" in window.problem.text()
    assert window.problem.isVisible() and status.sync_button.isEnabled()


class SlowSync:
    """A sync service that reports progress and stops when cancelled (no sleeping)."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()

    def state(self) -> SyncState:
        return SyncState(signed_in=True, online=True, user="zhangwei", server_url="https://x")

    def sync(self, progress: ProgressCallback, cancelled: CancelCheck) -> SyncReport:
        progress(SyncProgress("push", 1, 4))
        self.started.set()
        while not cancelled() and not self.release.wait(0.01):
            pass
        return SyncReport(pushed=1)


def test_sync_progress_appears_late_and_cancels(qtbot: Any, store: Store, tmp_path: Path) -> None:
    runner = TaskRunner(store)  # real threads: sync runs on its own lane
    contexts: list[AppContext] = []
    load_context(runner, contexts.append)
    qtbot.waitUntil(lambda: bool(contexts))
    service = SlowSync()
    window = MainWindow(contexts[0], service, profile_dir=tmp_path)
    qtbot.addWidget(window)
    window.show()
    status = window.sync_status
    qtbot.waitUntil(lambda: status.state is not None)
    assert "Online" in status.connection.text()
    status.reveal.setInterval(50)  # the 600 ms delay, shortened for the test
    status.sync_now()
    assert not status.progress.isVisible()  # nothing flashes for quick work
    qtbot.waitUntil(status.progress.isVisible)
    assert status.cancel.isVisible()
    qtbot.mouseClick(status.cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not status.progress.isVisible())
    assert status.sync_button.isEnabled()
    window.close()
    runner.close()
