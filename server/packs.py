"""Packs for first syncs (app.sync.pack), each made ahead of the device's request for it.

A device asks for the packs of a first sync one after another, each from where the last one
ended, and stores each while it downloads the next. Making a pack takes the server about as
long as storing one takes the device, so waiting for each request would leave one of them idle
half the time. So when a pack is not the last, the server starts on the next one at once (the
device names its key and size in the request), and keeps it a little while for the request
that comes for it. A pack made ahead is the feed as it stood when it was made: exactly what a
pull at that moment would have sent, and what follows comes with the next packs or pulls.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from server import auth
from server.pull import Cursor, pack
from server.records import Viewer

# How long a pack made ahead waits for its request, and how many may wait at once.
KEEP_S = 120.0
MAX_AHEAD = 16
# How long a request waits for its pack made ahead before making it itself.
WAIT_S = 60.0


@dataclass(frozen=True)
class _Made:
    path: Path
    cursor: str
    more: bool
    viewer: Viewer  # whose scope the pack holds, as the user was when it was made


_Key = tuple[str, str, int, bytes]  # user, cursor, limit, pack key


class PackMaker:
    """Makes the packs a server's devices ask for, and the next of each ahead."""

    def __init__(self, engine: Engine, workers: int = 2) -> None:
        self._engine = engine
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="fieldcrm-pack")
        self._ahead: dict[_Key, tuple[float, Future[_Made]]] = {}
        self._lock = threading.Lock()
        self._dir = Path(tempfile.gettempdir()) / f"fieldcrm-packs-{uuid.uuid4().hex}"
        # Requests answered with a pack made ahead, and those made on request.
        self.ahead_used = 0
        self.made_on_request = 0

    def make(
        self,
        access_token: str,
        cursor: str | None,
        limit: int,
        key: bytes,
        ahead: tuple[int, bytes] | None = None,
    ) -> bytes:
        """The pack of the feed after ``cursor`` for the token's user, encrypted with ``key``;
        ``ahead`` (size and key) asks for the next one to be made now.

        Raises :class:`server.auth.AuthError`, then what :func:`server.pull.pack` raises.
        """
        viewer = auth.authenticate(self._engine, access_token)
        start = Cursor.parse(cursor)
        waiting = self._take((viewer.id, str(start or ""), limit, key))
        made = None
        if waiting is not None:
            try:
                made = waiting.result(timeout=WAIT_S)
            except FutureTimeout:
                waiting.add_done_callback(_discard)  # too slow (a busy server): make it here
        if made is not None and made.viewer != viewer:
            # The user's role or team changed since: what was made ahead is not theirs now.
            made.path.unlink(missing_ok=True)
            made = None
        if made is not None:
            self.ahead_used += 1
        else:
            made = self._make(viewer, start, limit, key)
            self.made_on_request += 1
        if made.more and ahead is not None:
            self._make_ahead(viewer, made.cursor, *ahead)
        try:
            return made.path.read_bytes()
        finally:
            made.path.unlink(missing_ok=True)

    def _make(self, viewer: Viewer, start: Cursor | None, limit: int, key: bytes) -> _Made:
        self._dir.mkdir(mode=0o700, exist_ok=True)
        path = self._dir / uuid.uuid4().hex
        try:
            page = pack(self._engine, viewer, start, limit, key, path)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return _Made(path, str(page["cursor"]), bool(page["more"]), page["viewer"])

    def _make_ahead(self, viewer: Viewer, cursor: str, limit: int, key: bytes) -> None:
        start = Cursor.parse(cursor)
        with self._lock:
            self._expire()
            key_ahead = (viewer.id, str(start or ""), limit, key)
            if len(self._ahead) >= MAX_AHEAD or key_ahead in self._ahead:
                return  # (the same request again, retried: its pack is on its way)
            future = self._pool.submit(self._make, viewer, start, limit, key)
            self._ahead[key_ahead] = (time.monotonic(), future)

    def _take(self, key: _Key) -> Future[_Made] | None:
        with self._lock:
            self._expire()
            entry = self._ahead.pop(key, None)
        return entry[1] if entry is not None else None

    def _expire(self) -> None:
        """Drop packs made ahead that nobody came for (the device stopped, or went away)."""
        now = time.monotonic()
        for k, (made_at, future) in list(self._ahead.items()):
            if now - made_at > KEEP_S:
                del self._ahead[k]
                future.add_done_callback(_discard)

    def close(self) -> None:
        """Stop making packs and remove those made."""
        with self._lock:
            pending = list(self._ahead.values())
            self._ahead.clear()
        for _, future in pending:
            future.cancel()
        self._pool.shutdown(wait=True)
        shutil.rmtree(self._dir, ignore_errors=True)


def _discard(future: Future[_Made]) -> None:
    with contextlib.suppress(BaseException):
        future.result().path.unlink(missing_ok=True)
