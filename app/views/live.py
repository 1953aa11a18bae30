"""Live updates in the running app (SPEC L6): a newly assigned lead starts a sync within
seconds, and a system notification says so.

:class:`LiveUpdates` runs a :class:`~app.sync.live.ChangeWatcher` while the profile is signed
in; the watcher's thread only pokes a signal, so the sync starts on the GUI thread like one the
user asked for. After each sync the user's assigned leads are compared with those already seen,
and each new one is announced through the tray (where the desktop has one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)

from app.store.service import Change
from app.sync.engine import SyncEngine
from app.sync.live import ChangeWatcher
from app.views import operations as ops
from app.views.context import AppContext
from app.views.leads import countdown


class LeadNotice(QFrame):
    """The in-app notice of a newly assigned lead: who and where, and the time left to respond
    counting down by the second. Shown where the desktop has no system tray (whose message
    cannot change once shown); the tray's tooltip counts down instead where there is one."""

    def __init__(self, ctx: AppContext, parent: QWidget) -> None:
        super().__init__(parent)
        self.ctx, self.host = ctx, parent
        self.setObjectName("leadNotice")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(
            "#leadNotice { background:#fffde7; border:1px solid #f9a825; border-radius:6px; }"
        )
        self.due: str | None = None
        self.title = QLabel()
        self.title.setObjectName("leadNoticeTitle")
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.detail = QLabel()
        self.detail.setObjectName("leadNoticeDetail")
        self.left = QLabel()
        self.left.setObjectName("leadNoticeCountdown")
        close = QPushButton("×")
        close.setObjectName("leadNoticeClose")
        close.setFlat(True)
        close.setFixedWidth(28)
        close.setToolTip(self.tr("Close"))
        close.clicked.connect(self.dismiss)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.detail)
        layout.addWidget(self.left)
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self.tick)
        self.hide()

    def show_lead(self, title: str, detail: str, due: str | None) -> None:
        self.title.setText(title)
        self.detail.setText(detail)
        self.detail.setVisible(bool(detail))
        self.due = due
        self.tick()
        self.adjustSize()
        host = self.host
        self.move(host.width() - self.width() - 16, host.height() - self.height() - 48)
        self.show()
        self.raise_()  # above the window's other children
        self.timer.start()

    def tick(self) -> None:
        text, colour = countdown(self.due, self.ctx.clock(), seconds=True)
        self.left.setText(self.tr("Respond: %1").replace("%1", text) if text else "")
        self.left.setStyleSheet(f"color:{colour};" if colour else "")

    def dismiss(self) -> None:
        self.timer.stop()
        self.hide()


class LiveUpdates(QObject):
    """Watch the server, sync when it says so, and announce newly assigned leads."""

    poke = Signal()  # emitted on the watcher's thread, delivered on the GUI thread
    announced = Signal(str, str)  # title, text (also shown in the tray when there is one)

    def __init__(
        self,
        ctx: AppContext,
        engine: SyncEngine,
        sync_now: Callable[[], None],
        *,
        parent: QObject | None = None,
        poll_timeout_s: float = 15.0,
    ) -> None:
        super().__init__(parent)
        self.ctx, self.engine, self.sync_now = ctx, engine, sync_now
        self.poll_timeout_s = poll_timeout_s
        self.watcher: ChangeWatcher | None = None
        self.seen: set[str] | None = None
        self.last_notice: tuple[str, str] | None = None
        self.tray: QSystemTrayIcon | None = None
        # The window the in-app notice shows in (set by the main window; none: no notice).
        self.host: QWidget | None = None
        self.notice: LeadNotice | None = None
        self._tray_due: str | None = None
        self._tray_title = ""
        self._tray_timer = QTimer(self)
        self._tray_timer.setInterval(1000)
        self._tray_timer.timeout.connect(self._tray_tick)
        self.poke.connect(self._changed)

    def start(self) -> bool:
        """Start watching if the profile is signed in; returns whether it started."""
        if self.watcher is not None or not self.engine.state().signed_in:
            return False
        self.check()  # what is assigned now is not news
        self.watcher = ChangeWatcher(
            self.engine, self._from_watcher, poll_timeout_s=self.poll_timeout_s
        )
        self.watcher.start()
        return True

    def stop(self) -> None:
        if self.watcher is not None:
            self.watcher.stop(wait=False)
            self.watcher = None
        if self.tray is not None:
            self.tray.hide()
        self._tray_timer.stop()
        if self.notice is not None:
            self.notice.dismiss()

    def on_changed(self, changes: list[Change]) -> None:
        """After a sync (or a lead changing here), look for newly assigned leads."""
        if any(c.entity in ("sync", "lead") for c in changes):
            self.check()

    def check(self) -> None:
        user = self.ctx.session.user_id
        self.ctx.runner.read(lambda s: ops.assigned_leads(s, user), self._compare, owner=self)

    def _from_watcher(self) -> None:
        """Called on the watcher's thread: pass the word to the GUI thread, unless stopped."""
        try:
            if self.watcher is not None:
                self.poke.emit()
        except RuntimeError:
            pass  # the window closed while a poll was being answered

    def _changed(self) -> None:
        self.sync_now()

    def _compare(self, rows: list[dict[str, Any]]) -> None:
        first = self.seen is None
        seen = self.seen or set()
        fresh = [r for r in rows if r["id"] not in seen]
        self.seen = seen | {r["id"] for r in rows}
        if not first:
            for row in fresh:
                self._announce(row)

    def _announce(self, row: dict[str, Any]) -> None:
        title = self.tr("New lead: %1").replace("%1", str(row["name"]))
        left, _colour = countdown(row.get("response_due"), self.ctx.clock())
        text = " · ".join(
            part
            for part in (
                str(row.get("company") or ""),
                self.tr("respond within %1").replace("%1", left) if left else "",
            )
            if part
        )
        self.last_notice = (title, text)
        self.announced.emit(title, text)
        due = row.get("response_due")
        if not QSystemTrayIcon.isSystemTrayAvailable():
            # e.g. offscreen or a desktop without a tray: the window says it, counting down.
            if self.host is None:
                return
            if self.notice is None:
                self.notice = LeadNotice(self.ctx, self.host)
            self.notice.show_lead(title, str(row.get("company") or ""), due)
            return
        if self.tray is None:
            app = QApplication.instance()
            icon = app.windowIcon() if isinstance(app, QApplication) else None
            self.tray = QSystemTrayIcon(self)
            if icon is not None:
                self.tray.setIcon(icon)
        self.tray.show()
        self.tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 10_000)
        self._tray_due = due
        self._tray_title = title
        self._tray_tick()
        self._tray_timer.start()

    def _tray_tick(self) -> None:
        """The tray's tooltip counts down to the newest lead's deadline."""
        if self.tray is None:
            return
        left, _colour = countdown(self._tray_due, self.ctx.clock(), seconds=True)
        self.tray.setToolTip(f"{self._tray_title} · {left}" if left else self._tray_title)
