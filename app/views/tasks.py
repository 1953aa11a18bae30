"""Where work runs: one thread owns the store, sync and files have their own (STYLE habit 1–3).

A view never touches :class:`~app.store.service.Store` itself. It hands a function to the
:class:`TaskRunner`::

    runner.read(lambda s: ops.customer_card(s, cid), self._show_card, owner=self)
    runner.write(lambda s: s.update("customer", cid, values), on_error=self._show_errors)

``read``/``write`` run on the single *store* worker, which owns the SQLite connection, so
database access is serialised. ``background`` runs on a named lane ("sync", "files") that never
sees the store. Results come back on the GUI thread through a queued signal, and are dropped if
the widget that asked (``owner``) has gone. After a job that wrote, the runner emits one
``changed`` signal with every :class:`~app.store.service.Change` the store reported; each screen
decides for itself whether to redraw.

Errors: ``on_error`` receives the exception if given. Otherwise a *known* problem
(:func:`~app.views.errors.known_message`) is emitted as ``problem`` for the status bar, and
anything else goes to ``sys.excepthook`` — the crash dialog in the app, a failed test under
pytest-qt.

``synchronous=True`` runs every job inline (tests, the screenshot script): no threads, no
waiting, the same callbacks in the same order.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal

from app.domain.messages import Msg
from app.store.service import Change, Store
from app.views.errors import known_message

T = TypeVar("T")
ProgressFn = Callable[[Any], None]
CancelledFn = Callable[[], bool]


@dataclass
class Task:
    """A job handed to the runner; ``cancel()`` asks a cancellable job to stop early."""

    label: str = ""
    lane: str = "store"
    started: float = field(default_factory=time.monotonic)
    done: bool = False
    _cancel: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()


class TaskRunner(QObject):
    """Runs store jobs on one worker and other work on named lanes; reports by signal."""

    changed = Signal(object)  # list[Change], once per job that wrote
    problem = Signal(object)  # Msg of a known problem nobody handled
    task_started = Signal(object)  # Task with a label (for the delayed progress indicator)
    task_finished = Signal(object)  # Task
    _deliver = Signal(object)  # a closure to run on the GUI thread

    def __init__(
        self,
        store: Store | Callable[[], Store],
        *,
        synchronous: bool = False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.synchronous = synchronous
        self._deliver.connect(self._run_closure, Qt.ConnectionType.QueuedConnection)
        self._lanes: dict[str, ThreadPoolExecutor] = {}
        self._collected: list[Change] = []
        self._store: Store | None = None
        self._open_error: BaseException | None = None
        self._closed = False
        self._running = 0
        if isinstance(store, Store):
            self._adopt(store)
        else:
            opener = store

            def open_store() -> None:
                try:
                    self._adopt(opener())
                except BaseException as exc:  # kept, and raised by every job that follows
                    self._open_error = exc

            # The store is opened on its own worker so the connection is born on the thread
            # that will use it.
            self._submit("store", open_store)

    # ---- public API ------------------------------------------------------------------------------
    def read(
        self,
        fn: Callable[[Store], T],
        on_done: Callable[[T], None] | None = None,
        *,
        on_error: Callable[[BaseException], None] | None = None,
        owner: QObject | None = None,
    ) -> Task:
        """Run a read-only job on the store worker; ``on_done(result)`` on the GUI thread."""
        return self._run_store(fn, on_done, on_error, owner, "")

    def write(
        self,
        fn: Callable[[Store], T],
        on_done: Callable[[T], None] | None = None,
        *,
        on_error: Callable[[BaseException], None] | None = None,
        owner: QObject | None = None,
        label: str = "",
    ) -> Task:
        """Run a job that changes the store; ``changed`` fires once after it, before
        ``on_done``. ``label`` names it for the progress indicator if it takes long."""
        return self._run_store(fn, on_done, on_error, owner, label)

    def background(
        self,
        lane: str,
        fn: Callable[[ProgressFn, CancelledFn], T],
        on_done: Callable[[T], None] | None = None,
        *,
        on_progress: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        owner: QObject | None = None,
        label: str = "",
    ) -> Task:
        """Run ``fn(progress, cancelled)`` on its own lane (sync, files…), never the store's.

        ``progress(value)`` may be called from the worker; ``on_progress(value)`` receives it on
        the GUI thread. ``cancelled()`` turns true once :meth:`Task.cancel` is called.
        """
        task = Task(label=label, lane=lane)

        def show_progress(value: Any) -> None:
            if on_progress is not None and self._alive(owner):
                on_progress(value)

        def progress(value: Any) -> None:
            self._to_gui(lambda: show_progress(value))

        def job() -> None:
            try:
                result = fn(progress, lambda: task.cancelled)
            except BaseException as exc:  # every failure is reported
                failure = exc  # ``exc`` is unbound when the except block ends
                self._to_gui(lambda: self._fail(task, failure, on_error, owner))
            else:
                self._to_gui(lambda: self._succeed(task, result, on_done, owner))

        self._begin(task)
        self._submit(lane, job)
        return task

    def report_error(self, exc: BaseException) -> None:
        """What happens to an error no caller handled: a known problem becomes ``problem``
        (the status bar shows it), anything else goes to the crash handler."""
        msg: Msg | None = known_message(exc)
        if msg is not None:
            self.problem.emit(msg)
        else:
            sys.excepthook(type(exc), exc, exc.__traceback__)

    @property
    def busy(self) -> bool:
        return self._running > 0

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called (a late timer then has nothing to ask)."""
        return self._closed

    def close(self) -> None:
        """Finish queued work, close the store on its own thread and stop every worker."""
        if self._closed:
            return
        self._closed = True
        if self._store is not None:
            store = self._store
            self._submit("store", store.close)
        for pool in self._lanes.values():
            pool.shutdown(wait=True)
        self._lanes.clear()

    # ---- internals -------------------------------------------------------------------------------
    def _adopt(self, store: Store) -> None:
        self._store = store
        store.listeners.append(self._collected.extend)

    def _run_store(
        self,
        fn: Callable[[Store], T],
        on_done: Callable[[T], None] | None,
        on_error: Callable[[BaseException], None] | None,
        owner: QObject | None,
        label: str,
    ) -> Task:
        task = Task(label=label)

        def job() -> None:
            try:
                if self._store is None:
                    raise self._open_error or RuntimeError("the store is not open")
                result = fn(self._store)
            except BaseException as exc:  # every failure is reported
                failure, changes = exc, self._take_changes()
                self._to_gui(lambda: self._fail(task, failure, on_error, owner, changes))
            else:
                changes = self._take_changes()
                self._to_gui(lambda: self._succeed(task, result, on_done, owner, changes))

        self._begin(task)
        self._submit("store", job)
        return task

    def _take_changes(self) -> list[Change]:
        changes, self._collected[:] = list(self._collected), []
        return changes

    def _begin(self, task: Task) -> None:
        self._running += 1
        if task.label:
            self.task_started.emit(task)

    def _end(self, task: Task, changes: list[Change]) -> None:
        task.done = True
        self._running -= 1
        if task.label:
            self.task_finished.emit(task)
        if changes:
            self.changed.emit(changes)

    def _succeed(
        self,
        task: Task,
        result: T,
        on_done: Callable[[T], None] | None,
        owner: QObject | None,
        changes: list[Change] | None = None,
    ) -> None:
        self._end(task, changes or [])
        if on_done is not None and self._alive(owner):
            on_done(result)

    def _fail(
        self,
        task: Task,
        exc: BaseException,
        on_error: Callable[[BaseException], None] | None,
        owner: QObject | None,
        changes: list[Change] | None = None,
    ) -> None:
        self._end(task, changes or [])
        if on_error is not None and self._alive(owner):
            on_error(exc)
            return
        self.report_error(exc)

    @staticmethod
    def _alive(owner: QObject | None) -> bool:
        return owner is None or shiboken6.isValid(owner)

    def _submit(self, lane: str, job: Callable[[], Any]) -> None:
        if self.synchronous:
            job()
            return
        pool = self._lanes.get(lane)
        if pool is None:
            pool = self._lanes[lane] = ThreadPoolExecutor(1, thread_name_prefix=f"fieldcrm-{lane}")
        pool.submit(job)

    def _to_gui(self, closure: Callable[[], Any]) -> None:
        if self.synchronous:
            closure()
        else:
            self._deliver.emit(closure)

    def _run_closure(self, closure: Callable[[], Any]) -> None:
        closure()


__all__ = ["Task", "TaskRunner"]
