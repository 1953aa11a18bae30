"""What every screen shares: the task runner and facts read once at start-up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from app.config import Config
from app.domain.rules import ProcessRules
from app.store.service import Store
from app.sync.api import SyncService
from app.views.operations import Session
from app.views.tasks import TaskRunner


@dataclass
class AppContext:
    """The runner plus the rules, the signed-in person and the user directory.

    ``rules`` and ``users`` are copies made on the store worker, so screens can read them on
    the GUI thread without touching the database.
    """

    runner: TaskRunner
    rules: ProcessRules
    session: Session
    users: list[dict[str, Any]]
    clock: Callable[[], datetime]
    ui_lang: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # The settings in force (IT's, the user's, the command line's); the window replaces it
    # when the user saves Settings. OCR reads its languages here.
    config: Config = field(default_factory=Config)
    # The sync service, for what only the server knows (other devices' history); the window
    # sets it.
    sync: SyncService | None = None

    def today(self) -> date:
        return self.clock().astimezone().date()

    def user_name(self, user_id: str | None) -> str:
        for u in self.users:
            if u["id"] == user_id:
                return str(u["display_name"])
        return user_id or ""


@dataclass
class _Loaded:
    rules: ProcessRules
    session: Session
    users: list[dict[str, Any]]
    clock: Callable[[], datetime]
    ui_lang: str | None


def _load(store: Store) -> _Loaded:
    from app.views.operations import startup

    info = startup(store)
    return _Loaded(store.rules, info.session, info.users, store.clock, info.ui_lang)


def load_context(
    runner: TaskRunner,
    ready: Callable[[AppContext], None],
    *,
    on_error: Callable[[BaseException], None] | None = None,
) -> None:
    """Read the start-up facts on the store worker, then call ``ready`` on the GUI thread."""

    def done(loaded: _Loaded) -> None:
        ready(
            AppContext(
                runner, loaded.rules, loaded.session, loaded.users, loaded.clock, loaded.ui_lang
            )
        )

    runner.write(_load, done, on_error=on_error)
