"""The sync part of the status bar (SPEC S7): online/offline, pending edits, conflicts, last
synced, and "Sync now" with progress that appears only when a sync takes longer than ~0.6 s.

It talks to any :class:`~app.sync.api.SyncService`: ``state()`` is read on the store worker
(it only counts local rows), ``sync()`` runs on the "sync" lane with a progress callback and a
cancel flag the engine checks. A finished sync announces ``Change("sync", "*", …)`` so every
screen redraws what the pull may have changed.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from app.domain.messages import Msg
from app.store.service import Change
from app.sync.api import SyncProgress, SyncReport, SyncService, SyncState
from app.views.context import AppContext
from app.views.errors import known_message
from app.views.i18n import say
from app.views.tasks import Task
from app.views.widgets import when

PROGRESS_DELAY_MS = 600
STATE_REFRESH_MS = 30_000
AUTO_SYNC_MS = 5 * 60_000
SYNC_DONE = Change("sync", "*", "sync", ())
HELD = Msg("⚠ {n} 条记录无法读取", "⚠ {n} record(s) unreadable")
HELD_TIP = Msg(
    "这些从服务器收到的记录本机无法读取,已连同原文暂存一旁,其余数据照常同步。"
    "请联系管理员;运行 fieldcrm sync 可查看详情。",
    "These records from the server cannot be read on this device; they are kept aside with "
    "their text and everything else syncs as usual. Tell your administrator; fieldcrm sync "
    "lists them.",
)
HELD_NOW = Msg(
    "{n} 条收到的记录无法读取,已暂存一旁;其余已同步",
    "{n} received record(s) could not be read and were set aside; the rest synced",
)


class SyncStatus(QWidget):
    """Connection, counters and the sync button; emits ``message`` for the status line."""

    message = Signal(str, bool)  # text, is a problem
    open_conflicts = Signal()
    state_changed = Signal(object)  # SyncState

    def __init__(
        self,
        ctx: AppContext,
        service: SyncService,
        parent: QWidget | None = None,
        *,
        auto_sync_ms: int = AUTO_SYNC_MS,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.service = service
        self.setObjectName("syncStatus")
        self.state: SyncState | None = None
        self.task: Task | None = None

        self.connection = QLabel()
        self.connection.setObjectName("connectionLabel")
        self.pending = QLabel()
        self.pending.setObjectName("pendingLabel")
        self.conflicts = QPushButton()
        self.conflicts.setObjectName("conflictsButton")
        self.conflicts.setFlat(True)
        self.conflicts.clicked.connect(self.open_conflicts)
        self.held = QLabel()
        self.held.setObjectName("quarantinedLabel")
        self.held.setStyleSheet("color:#c62828;")
        self.held.setToolTip(say(HELD_TIP))
        self.held.hide()
        self.last = QLabel()
        self.last.setObjectName("lastSyncedLabel")
        self.progress = QProgressBar()
        self.progress.setObjectName("syncProgress")
        self.progress.setFixedWidth(140)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.cancel = QPushButton(self.tr("Cancel"))
        self.cancel.setObjectName("cancelSync")
        self.cancel.hide()
        self.cancel.clicked.connect(self.cancel_sync)
        self.sync_button = QPushButton(self.tr("Sync now"))
        self.sync_button.setObjectName("syncNow")
        self.sync_button.setToolTip(self.tr("F5"))
        self.sync_button.clicked.connect(self.sync_now)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for w in (
            self.connection,
            self.pending,
            self.conflicts,
            self.held,
            self.last,
            self.progress,
            self.cancel,
            self.sync_button,
        ):
            layout.addWidget(w)

        self.reveal = QTimer(self)
        self.reveal.setSingleShot(True)
        self.reveal.setInterval(PROGRESS_DELAY_MS)
        self.reveal.timeout.connect(self._reveal_progress)
        self.poll = QTimer(self)
        self.poll.setInterval(STATE_REFRESH_MS)
        self.poll.timeout.connect(self.refresh)
        self.auto = QTimer(self)
        self.auto.setInterval(auto_sync_ms)
        self.auto.timeout.connect(self._auto_sync)

    def start_timers(self) -> None:
        """Poll the state and sync in the background (not in tests, which drive it)."""
        self.poll.start()
        self.auto.start()

    def set_auto_sync_minutes(self, minutes: int) -> None:
        """Sync every ``minutes`` from now on (IT's or the user's setting, SPEC I2)."""
        self.auto.setInterval(minutes * 60_000)

    # ---- state -----------------------------------------------------------------------------------
    def refresh(self) -> None:
        service = self.service
        self.ctx.runner.read(lambda _s: service.state(), self.show_state, owner=self)

    def show_state(self, state: SyncState) -> None:
        self.state = state
        if not state.signed_in:
            self.connection.setText("○ " + self.tr("Not signed in"))
            self.connection.setStyleSheet("color:#757575;")
        elif state.running:
            self.connection.setText("⟳ " + self.tr("Syncing"))
            self.connection.setStyleSheet("color:#1565c0;")
        elif state.online:
            self.connection.setText("● " + self.tr("Online"))
            self.connection.setStyleSheet("color:#2e7d32;")
        else:
            self.connection.setText("● " + self.tr("Offline"))
            self.connection.setStyleSheet("color:#e65100;")
        self.pending.setText(self.tr("%n pending edit(s)", "", state.pending))
        self.conflicts.setText(self.tr("%n conflict(s)", "", state.conflicts))
        self.conflicts.setStyleSheet("color:#c62828;" if state.conflicts else "color:#616161;")
        self.held.setText(say(HELD.format(n=state.quarantined)))
        self.held.setVisible(state.quarantined > 0)
        self.last.setText(
            self.tr("Last synced: %1").replace(
                "%1", when(state.last_synced.isoformat()) if state.last_synced else self.tr("never")
            )
        )
        if state.last_error is not None:
            self.last.setToolTip(say(state.last_error))
        self.state_changed.emit(state)

    # ---- syncing ---------------------------------------------------------------------------------
    def _auto_sync(self) -> None:
        if self.state is not None and self.state.signed_in:
            self.sync_now()

    def sync_now(self) -> None:
        """Start one sync cycle unless one is running; progress shows after 600 ms."""
        if self.task is not None and not self.task.done:
            return
        service = self.service
        self.sync_button.setEnabled(False)
        self.task = self.ctx.runner.background(
            "sync",
            lambda progress, cancelled: service.sync(progress, cancelled),
            self._finished,
            on_progress=self._progress,
            on_error=self._failed,
            owner=self,
        )
        if not self.task.done:
            self.reveal.start()

    def _reveal_progress(self) -> None:
        if self.task is not None and not self.task.done:
            self.progress.setRange(0, 0)  # busy until the engine reports a total
            self.progress.show()
            self.cancel.show()
            self.cancel.setEnabled(True)

    def _progress(self, report: Any) -> None:
        if isinstance(report, SyncProgress) and report.total:
            self.progress.setRange(0, report.total)
            self.progress.setValue(report.done)
        phases = {
            "push": self.tr("Sending changes"),
            "pull": self.tr("Receiving changes"),
            "files": self.tr("Transferring files"),
        }
        if isinstance(report, SyncProgress):
            self.progress.setToolTip(phases.get(report.phase, report.phase))

    def cancel_sync(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.cancel.setEnabled(False)

    def _done(self) -> None:
        self.reveal.stop()
        self.progress.hide()
        self.cancel.hide()
        self.sync_button.setEnabled(True)

    def _finished(self, report: SyncReport) -> None:
        self._done()
        if report.error is not None:
            self.message.emit(say(report.error), True)
        elif report.quarantined:
            self.message.emit(say(HELD_NOW.format(n=report.quarantined)), True)
        else:
            self.message.emit(
                self.tr("Synced: %1 sent, %2 received, %3 conflict(s).")
                .replace("%1", str(report.pushed))
                .replace("%2", str(report.pulled))
                .replace("%3", str(report.conflicts)),
                False,
            )
        if (
            report.pulled
            or report.conflicts
            or report.removed
            or report.pushed
            or report.quarantined
        ):
            self.ctx.runner.changed.emit([SYNC_DONE])
        self.refresh()

    def _failed(self, exc: BaseException) -> None:
        self._done()
        msg = known_message(exc)
        if msg is None:
            self.ctx.runner.report_error(exc)
        else:
            self.message.emit(say(msg), True)
        self.refresh()

    def on_changed(self, changes: list[Change]) -> None:
        """Any write changes the pending count: re-read the (cheap) state."""
        if changes and changes != [SYNC_DONE]:
            self.refresh()
