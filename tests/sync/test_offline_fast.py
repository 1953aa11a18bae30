"""A server that cannot be reached is reported offline at once, not after rounds of retries."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from helpers.syncing import PASSWORD, Server
from PySide6.QtCore import Qt

from app.store.service import Store
from app.sync.engine import SyncEngine
from app.sync.http import ApiClient
from app.views.context import AppContext, load_context
from app.views.status import SyncStatus
from app.views.tasks import TaskRunner


def refused_url() -> str:
    """An address on this machine where nothing listens: connections are refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_sync_says_offline_without_retrying_a_refused_connection(
    qtbot: Any, server: Server, tmp_path: Path
) -> None:
    slept: list[float] = []  # backoff waits the client asked for (recorded, not slept)
    reachable = {"url": server.url}

    def api(url: str, token: Callable[[], str | None]) -> ApiClient:
        # Production retry settings; only the address changes when the network goes.
        return ApiClient(reachable["url"], token=token, sleep=slept.append)

    profile = tmp_path / "rep"
    engine = SyncEngine(profile, api_factory=api)
    engine.sign_in(server.url, "alice", PASSWORD)
    store = Store(profile)
    runner = TaskRunner(store, synchronous=True)
    found: list[AppContext] = []
    load_context(runner, found.append)
    status = SyncStatus(found[0], engine)
    qtbot.addWidget(status)
    status.show()

    reachable["url"] = refused_url()  # the laptop leaves the office network
    with qtbot.waitSignal(status.message) as said:
        qtbot.mouseClick(status.sync_button, Qt.MouseButton.LeftButton)
    text, is_problem = said.args
    assert is_problem and ("offline" in text.lower() or "离线" in text or "无法连接" in text)
    assert slept == []  # no rounds of backoff before saying so
    with qtbot.waitSignal(status.state_changed):
        status.refresh()
    assert "Offline" in status.connection.text()
    runner.close()
    store.close()
