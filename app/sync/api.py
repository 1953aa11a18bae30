"""What the desktop app needs from sync, independent of how sync is done (SPEC S3, S7).

The UI shows :class:`SyncState` in its status bar and calls :meth:`SyncService.sync` on a worker
thread; the engine in this package implements the protocol. A profile that is not signed in has
an :class:`OfflineSync`, which reports the truth (offline, n pending) and syncs nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from app.domain.messages import Msg
from app.sync.errors import NotSignedIn


@dataclass(frozen=True)
class SyncProgress:
    """One progress report: phase ("push", "pull", "files") and done/total (total 0 = unknown)."""

    phase: str
    done: int = 0
    total: int = 0


@dataclass(frozen=True)
class SyncReport:
    pushed: int = 0
    pulled: int = 0
    conflicts: int = 0
    rejected: int = 0
    removed: int = 0
    quarantined: int = 0  # pulled records set aside because this device cannot read them
    error: Msg | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class SyncState:
    """Everything the status bar shows."""

    signed_in: bool
    server_url: str | None = None
    user: str | None = None
    online: bool | None = None  # None: not known yet
    running: bool = False
    pending: int = 0
    conflicts: int = 0
    rejected: int = 0
    quarantined: int = 0  # records set aside, all told (app.sync.quarantine)
    last_synced: datetime | None = None
    last_error: Msg | None = None
    extra: dict[str, str] = field(default_factory=dict)


ProgressCallback = Callable[[SyncProgress], None]
CancelCheck = Callable[[], bool]


class SyncService(Protocol):
    def state(self) -> SyncState:
        """The current sync state (cheap: reads local counters only)."""
        ...

    def sync(self, progress: ProgressCallback, cancelled: CancelCheck) -> SyncReport:
        """Run one sync cycle; blocking, call it off the GUI thread."""
        ...

    def history(self, record_ids: list[str]) -> list[dict[str, Any]]:
        """Every device's audit entries for these records (raises when offline)."""
        ...


@runtime_checkable
class PoolService(Protocol):
    """The team pool (公海), which only the server knows; a signed-in engine offers it."""

    def pool(self) -> list[dict[str, Any]]:
        """The pool's entries now (raises SyncError when offline)."""
        ...

    def claim(self, record_id: str) -> dict[str, Any]:
        """Claim one entry: ``outcome`` ``won``, or ``lost`` with the winner in ``message``."""
        ...


class OfflineSync:
    """The sync service of a profile that is not signed in: it tells the truth and does nothing.

    ``counts`` returns (pending, conflicts, rejected) from the local store.
    """

    def __init__(self, counts: Callable[[], tuple[int, int, int]]) -> None:
        self._counts = counts

    def state(self) -> SyncState:
        pending, conflicts, rejected = self._counts()
        return SyncState(
            signed_in=False, online=False, pending=pending, conflicts=conflicts, rejected=rejected
        )

    def history(self, record_ids: list[str]) -> list[dict[str, Any]]:
        raise NotSignedIn()

    def sync(self, progress: ProgressCallback, cancelled: CancelCheck) -> SyncReport:
        return SyncReport(
            error=Msg(
                "尚未登录服务器,修改已保存在本机",
                "Not signed in; your changes are kept on this device",
            )
        )
