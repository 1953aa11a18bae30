"""Two kinds of failure, handled two ways (STYLE habit 5).

* Known problems the user can act on — invalid input, a refused stage move, the disk is full,
  the data file is locked, the network is down, the session expired — become a :class:`Msg`
  shown next to the input or in the status bar; the user's typing stays where it was.
* Everything else is a bug: it is written to ``fieldcrm.log`` in the profile folder and shown
  in a crash dialog. The app never exits silently.

:func:`known_message` sorts an exception into the first kind (or returns None);
:func:`show_refusal` puts refused input next to the fields it concerns and reports the rest.
:func:`install_crash_handler` routes every uncaught exception — on the GUI thread, in a Qt slot
or on a worker — to the log and the dialog.
"""

from __future__ import annotations

import errno
import logging
import sys
import threading
import traceback
from collections.abc import Callable, Mapping
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType
from typing import Protocol, runtime_checkable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.messages import Msg
from app.store import cipherdb
from app.store.errors import MoveRefused, NotFound, StoreError, ValidationFailed
from app.store.service import describe_sqlite_error

LOG_FILE = "fieldcrm.log"
log = logging.getLogger("fieldcrm")

OFFLINE = Msg(
    "无法连接服务器,已转为离线工作;修改会保存在本机,联网后自动同步",
    "Cannot reach the server; working offline. Your changes are kept and sync later",
)
DISK_FULL = Msg(
    "磁盘已满,无法保存。请释放空间后重试,已填写的内容仍保留",
    "The disk is full. Free some space and try again; what you typed is kept",
)


def known_message(exc: BaseException) -> Msg | None:
    """The user-facing message of an expected problem, or None for a bug."""
    if isinstance(exc, ValidationFailed):
        return join_messages(list(exc.errors.values())) if exc.errors else None
    if isinstance(exc, MoveRefused):
        return join_messages([p.message for p in exc.decision.problems])
    if isinstance(exc, NotFound):
        return Msg(
            "该记录已不存在(可能已被删除或移交他人)",
            "That record no longer exists here (deleted or reassigned)",
        )
    for attr in ("message", "msg"):
        carried = getattr(exc, attr, None)
        if isinstance(carried, Msg):
            return carried
    if isinstance(exc, StoreError):
        return None
    if isinstance(exc, cipherdb.OperationalError):
        text = str(exc).lower()
        if any(k in text for k in ("locked", "busy", "readonly", "disk", "full")):
            return describe_sqlite_error(exc, Path("fieldcrm.db"))
        return None
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DISK_FULL
    if _is_network_error(exc):
        return OFFLINE
    return None


def _is_network_error(exc: BaseException) -> bool:
    # httpx is imported only by the sync engine; compare by module name so the UI does not
    # load the network stack at start-up.
    module = type(exc).__module__
    if module.startswith("httpx") and type(exc).__name__ in {
        "ConnectError",
        "ConnectTimeout",
        "ReadTimeout",
        "WriteTimeout",
        "PoolTimeout",
        "NetworkError",
        "RemoteProtocolError",
    }:
        return True
    return isinstance(exc, (ConnectionError, TimeoutError))


def join_messages(parts: list[Msg], sep: str = "\n") -> Msg:
    """Several messages as one, each language joined by ``sep``."""
    return Msg(sep.join(p.zh for p in parts), sep.join(p.en for p in parts))


class ShowsMessage(Protocol):
    def show_message(self, msg: Msg | str | None) -> None: ...


class ShowsFieldErrors(Protocol):
    def show_errors(self, errors: dict[str, Msg]) -> None: ...


@runtime_checkable
class _KnowsStray(Protocol):
    def stray_errors(self, errors: Mapping[str, Msg]) -> list[Msg]: ...


def show_refusal(
    exc: BaseException,
    report: Callable[[BaseException], None],
    *,
    form: ShowsFieldErrors | None = None,
    status: ShowsMessage | None = None,
    fields: Mapping[str, ShowsMessage] | None = None,
) -> None:
    """Refused input (:class:`ValidationFailed`) shown where it was typed; anything else goes
    to ``report`` (a runner's ``report_error``).

    Each field's message goes to ``form`` (or to its label in ``fields``); what no field shows
    goes to ``status``, which is cleared when nothing is left.
    """
    if not isinstance(exc, ValidationFailed):
        report(exc)
        return
    errors = exc.errors
    if fields is not None:
        for key, msg in errors.items():
            target = fields.get(key, status)
            if target is not None:
                target.show_message(msg)
        return
    rest = list(errors.values())
    if form is not None:
        form.show_errors(errors)
        rest = form.stray_errors(errors) if isinstance(form, _KnowsStray) else []
    if status is not None:
        status.show_message(join_messages(rest) if rest else None)


# ---- the log -------------------------------------------------------------------------------------
def setup_logging(profile_dir: Path) -> Path:
    """Log to ``fieldcrm.log`` in the profile (rotated at 1 MB, three old files kept)."""
    profile_dir.mkdir(parents=True, exist_ok=True)
    path = profile_dir / LOG_FILE
    if not any(
        isinstance(h, RotatingFileHandler) and Path(h.baseFilename) == path for h in log.handlers
    ):
        handler = RotatingFileHandler(path, maxBytes=1 << 20, backupCount=3, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
    return path


def log_file() -> Path | None:
    for h in log.handlers:
        if isinstance(h, RotatingFileHandler):
            return Path(h.baseFilename)
    return None


# ---- the crash dialog ----------------------------------------------------------------------------
class CrashDialog(QDialog):
    """Says that something went wrong, where the details were logged, and lets the user copy
    them; the app keeps running (the user's data is already safe in the store)."""

    def __init__(self, details: str, log_path: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("FieldCRM – unexpected error"))
        self.setObjectName("crashDialog")
        layout = QVBoxLayout(self)
        intro = QLabel(
            self.tr(
                "Something went wrong inside FieldCRM. Everything you saved is safe. "
                "Please send the details below to your IT contact."
            )
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        if log_path is not None:
            text = self.tr("The details were also written to: %1")
            where = QLabel(text.replace("%1", str(log_path)))
            where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            where.setWordWrap(True)
            layout.addWidget(where)
        self.details = QPlainTextEdit(details)
        self.details.setReadOnly(True)
        self.details.setMinimumSize(560, 220)
        layout.addWidget(self.details)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = QPushButton(self.tr("Copy details"))
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(self._copy)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.details.toPlainText())


class CrashReporter(QObject):
    """Receives uncaught exceptions from any thread and shows them on the GUI thread."""

    crashed = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.crashed.connect(self._show, Qt.ConnectionType.QueuedConnection)
        self._open: list[CrashDialog] = []
        self.shown = 0

    def report(
        self,
        kind: type[BaseException],
        exc: BaseException,
        tb: TracebackType | None,
    ) -> None:
        details = "".join(traceback.format_exception(kind, exc, tb))
        log.error("unexpected error\n%s", details)
        self.crashed.emit(details)

    def _show(self, details: str) -> None:
        self.shown += 1
        if len(self._open) >= 3:  # a loop of errors must not bury the screen in dialogs
            return
        dialog = CrashDialog(details, log_file(), QApplication.activeWindow())
        self._open.append(dialog)
        dialog.finished.connect(lambda _=0, d=dialog: self._open.remove(d))
        dialog.open()


def install_crash_handler(reporter: CrashReporter) -> None:
    """Send uncaught exceptions (GUI thread, Qt slots, worker threads) to ``reporter``."""

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            QApplication.quit()
            return
        reporter.report(kind, exc, tb)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            reporter.report(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = hook
    threading.excepthook = thread_hook


__all__ = [
    "DISK_FULL",
    "OFFLINE",
    "CrashDialog",
    "CrashReporter",
    "install_crash_handler",
    "join_messages",
    "known_message",
    "setup_logging",
]
