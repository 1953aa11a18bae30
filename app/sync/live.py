"""Watch the server for changes in the user's scope and say when to pull (SPEC L6).

:class:`ChangeWatcher` long-polls ``/api/v1/changes/wait`` on its own thread and calls
``on_change`` (from that thread) whenever something the user can see changed — a newly
assigned lead, an escalation — so the app syncs at once instead of at the next timer tick.
Failures (offline, server restarting) are waited out and retried; nothing depends on a poll
succeeding, the sync timer still runs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from app.sync.engine import SyncEngine
from app.sync.errors import SyncError

log = logging.getLogger("fieldcrm.sync.live")


class ChangeWatcher:
    def __init__(
        self,
        engine: SyncEngine,
        on_change: Callable[[], None],
        *,
        poll_timeout_s: float = 15.0,  # below the client's request timeout
        retry_s: float = 10.0,
    ) -> None:
        self.engine, self.on_change = engine, on_change
        self.poll_timeout_s, self.retry_s = poll_timeout_s, retry_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fieldcrm-live", daemon=True)
        self.token: int | None = None
        # Set once the first answer fixed the starting token (tests wait for it).
        self.ready = threading.Event()

    def start(self) -> None:
        self._thread.start()

    def stop(self, wait: bool = True) -> None:
        """Stop watching; ``wait=False`` returns at once (a window closing must not wait for
        the poll in flight, which ends by itself)."""
        self._stop.set()
        if wait and self._thread.is_alive():
            self._thread.join(timeout=self.poll_timeout_s + 5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                api = self.engine.online_api()
            except SyncError:
                self._stop.wait(self.retry_s)
                continue
            try:
                while not self._stop.is_set():
                    params: dict[str, str] = {"timeout": str(self.poll_timeout_s)}
                    if self.token is not None:
                        params["since"] = str(self.token)
                    answer = api.request("GET", "/api/v1/changes/wait", params=params).json()
                    self.token = int(answer["token"])
                    self.ready.set()
                    if answer.get("changed") and not self._stop.is_set():
                        self.on_change()
            except SyncError as exc:
                log.info("change watch paused: %s", exc.message)
                self._stop.wait(self.retry_s)
            finally:
                api.close()
