"""The task runner (threads, one changed signal, errors) and the two kinds of error."""

from __future__ import annotations

import errno
import logging
from pathlib import Path
from typing import Any

import pytest

from app.domain.messages import Msg
from app.store.errors import StoreUnavailable, ValidationFailed
from app.store.service import Change, Store
from app.views.errors import CrashReporter, known_message, setup_logging
from app.views.tasks import TaskRunner


def test_store_jobs_run_off_the_gui_thread_and_report_by_signal(
    qtbot: Any, store: Store, customer_id: str
) -> None:
    runner = TaskRunner(store)
    seen: list[list[Change]] = []
    runner.changed.connect(seen.append)
    results: list[Any] = []

    def two_writes(s: Store) -> str:
        s.update("customer", customer_id, {"region": "杭州"})
        return s.create("contact", {"customer_id": customer_id, "name": "陈思远"})

    runner.write(two_writes, results.append)
    qtbot.waitUntil(lambda: bool(results))
    assert len(seen) == 1 and [c.entity for c in seen[0]] == ["customer", "contact"]
    runner.read(lambda s: s.require("customer", customer_id)["region"], results.append)
    qtbot.waitUntil(lambda: len(results) == 2)
    assert results[1] == "杭州" and len(seen) == 1  # reads announce nothing
    runner.close()


def test_known_errors_become_problems_and_unknown_ones_reach_the_hook(
    qtbot: Any, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = TaskRunner(store, synchronous=True)
    problems: list[Msg] = []
    runner.problem.connect(problems.append)
    runner.read(lambda s: s.require("customer", "nope"))
    assert problems and "不存在" in problems[0].zh
    hooked: list[BaseException] = []
    monkeypatch.setattr("sys.excepthook", lambda _t, exc, _tb: hooked.append(exc))
    runner.read(lambda s: 1 / 0)
    assert isinstance(hooked[0], ZeroDivisionError)


def test_a_store_that_cannot_open_fails_every_job_with_its_reason(qtbot: Any) -> None:
    def broken() -> Store:
        raise StoreUnavailable(Msg("数据文件只读", "The data file is read-only"))

    runner = TaskRunner(broken, synchronous=True)
    errors: list[BaseException] = []
    runner.read(lambda s: s.journal.pending_count(), on_error=errors.append)
    assert known_message(errors[0]) == Msg("数据文件只读", "The data file is read-only")


def test_known_message_sorting() -> None:
    invalid = ValidationFailed({"phone": Msg("号码无效", "Invalid number")})
    assert known_message(invalid) == Msg("号码无效", "Invalid number")
    assert known_message(OSError(errno.ENOSPC, "full")) is not None
    assert "离线" in known_message(ConnectionError("down")).zh  # type: ignore[union-attr]
    assert known_message(KeyError("x")) is None


def test_crash_reporter_logs_and_shows_a_dialog(qtbot: Any, tmp_path: Path) -> None:
    log_path = setup_logging(tmp_path)
    reporter = CrashReporter()
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        with qtbot.waitSignal(reporter.crashed):
            reporter.report(type(exc), exc, exc.__traceback__)
    qtbot.waitUntil(lambda: reporter.shown == 1)
    for h in logging.getLogger("fieldcrm").handlers:
        h.flush()
    assert "RuntimeError: boom" in log_path.read_text("utf-8")
    for dialog in list(reporter._open):
        assert "boom" in dialog.details.toPlainText()
        dialog.reject()
