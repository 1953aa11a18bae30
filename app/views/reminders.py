"""Desktop reminders of tasks (SPEC J2) and the app's place in the tray.

:class:`ReminderService` reads the local store only, so reminders come offline too. A single
QTimer is set for the next reminder (the due time, and the user's N minutes before); when it
fires, the reminders due are taken and marked fired in one store write, so each shows once,
even after a restart. A change to tasks (here or by sync) sets the timer again.

:class:`TrayPresence` puts the app in the system tray (where the desktop has one): a click
opens the window, and with "keep running in the tray" closing the window only hides it, so
reminders keep coming.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon, QWidget

from app.store.service import Change
from app.views import agenda_ops
from app.views.context import AppContext

# The timer is never set further ahead than this: a clock change or a sleeping laptop is
# noticed at the next check.
MAX_WAIT_MS = 15 * 60 * 1000


class ReminderService(QObject):
    """Fire the signed-in user's task reminders while the app runs."""

    reminded = Signal(str, str)  # title, text

    def __init__(self, ctx: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        # A coarse timer may fire a little early; the check then finds nothing due yet and
        # sets the timer again, but a precise one saves that round.
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self.check)
        self.tray: QSystemTrayIcon | None = None
        self.shown: list[tuple[str, str]] = []
        self.next_at: datetime | None = None

    def start(self) -> None:
        self.check()

    def stop(self) -> None:
        self.timer.stop()

    def on_changed(self, changes: list[Change]) -> None:
        if any(c.entity in ("task", "sync") for c in changes):
            self.check()

    def check(self) -> None:
        """Show what is due now and set the timer for the next one."""
        me = self.ctx.session.user_id
        self.ctx.runner.write(lambda s: agenda_ops.take_reminders(s, me), self._fire, owner=self)

    def _fire(self, result: agenda_ops.DueReminders) -> None:
        for r in result.due:
            if r.kind == "before":
                title = self.tr("Soon: %1").replace("%1", r.title)
            else:
                title = self.tr("Due now: %1").replace("%1", r.title)
            due = datetime.fromisoformat(r.due_at).astimezone(result.zone).strftime("%H:%M")
            text = " · ".join(
                p for p in (r.customer_name, self.tr("due at %1").replace("%1", due)) if p
            )
            self.shown.append((title, text))
            self.reminded.emit(title, text)
            if self.tray is not None:
                self.tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 15_000)
        self.next_at = result.next_at
        self.timer.stop()
        if result.next_at is not None:
            wait = (result.next_at - self.ctx.clock()).total_seconds() * 1000
            self.timer.start(int(min(max(wait, 0) + 50, MAX_WAIT_MS)))
        else:
            self.timer.start(MAX_WAIT_MS)


class TrayPresence(QObject):
    """The tray icon with Open and Quit; hides the window instead of closing it when asked."""

    def __init__(self, window: QWidget, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.window = window
        self.keep_running = False
        self.icon: QSystemTrayIcon | None = None
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return  # offscreen, or a desktop without a tray: closing the window quits
        app = QApplication.instance()
        self.icon = QSystemTrayIcon(self)
        if isinstance(app, QApplication):
            self.icon.setIcon(app.windowIcon())
        self.icon.setToolTip("FieldCRM")
        menu = QMenu(window)
        show = QAction(self.tr("Open FieldCRM"), menu)
        show.triggered.connect(self.show_window)
        quit_action = QAction(self.tr("Quit"), menu)
        quit_action.triggered.connect(self.quit)
        menu.addAction(show)
        menu.addAction(quit_action)
        self.icon.setContextMenu(menu)
        self.icon.activated.connect(lambda _reason: self.show_window())
        self.icon.show()

    @property
    def available(self) -> bool:
        return self.icon is not None

    def hides_on_close(self) -> bool:
        """Whether closing the window should only hide it (reminders keep running)."""
        return self.available and self.keep_running

    def show_window(self) -> None:
        self.window.show()
        self.window.raise_()
        self.window.activateWindow()

    def quit(self) -> None:
        self.keep_running = False
        self.window.close()
