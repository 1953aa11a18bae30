"""The demo session: a local server with demo users and data, and a profile signed in to it.

``fieldcrm demo`` uses this so a newcomer sees a working, syncing app with one command. The
server keeps its data in the demo folder, so edits made in the demo survive a restart.

The server is the ``server`` package with its extra (FastAPI, uvicorn, SQLAlchemy, ...). A
client installed without the extra, or the installer bundle, which leaves the server out,
gets :class:`DemoUnavailable` with a message naming what is missing.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.demo.data import DEMO_USERS, generate
from app.domain.messages import Msg
from app.paths import data_root
from app.store.service import Store
from app.sync.engine import SyncEngine

if TYPE_CHECKING:
    from server.embedded import EmbeddedServer

# generator user → demo server user
_DEMO_ACCOUNTS = {
    DEMO_USERS[0]["id"]: "demo-lead",
    DEMO_USERS[1]["id"]: "demo-rep",
    DEMO_USERS[2]["id"]: "demo-rep2",
    DEMO_USERS[3]["id"]: "demo-rep",
}
DEMO_LOGINS = ("demo-rep", "demo-rep2", "demo-lead", "demo-admin")


class DemoUnavailable(Exception):
    """The demo server cannot run here; ``message`` says why and what to install."""

    def __init__(self, message: Msg) -> None:
        super().__init__(message.en)
        self.message = message


def require_server() -> None:
    """Check that the server and its extra can be imported; :class:`DemoUnavailable` if not."""
    try:
        for module in ("server.embedded", "server.demo_data"):
            importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if getattr(sys, "frozen", False):
            # build.spec leaves the server out of the installer bundle.
            raise DemoUnavailable(
                Msg(
                    "安装版不含演示服务器;请在源代码目录中运行 ./scripts/run",
                    "The installed app has no demo server; run ./scripts/run in the source folder",
                )
            ) from exc
        raise DemoUnavailable(
            Msg(
                "演示模式需要服务器组件(缺少 {m}):请安装 fieldcrm[server],"
                "或在源代码目录中运行 ./scripts/run",
                "Demo mode needs the server extra ({m} is missing): "
                "pip install 'fieldcrm[server]', or run ./scripts/run in the source folder",
            ).format(m=exc.name or "server")
        ) from exc


def demo_root() -> Path:
    """Where demo mode keeps its server and profiles (``FIELDCRM_DEMO_DIR`` overrides)."""
    return Path(os.environ.get("FIELDCRM_DEMO_DIR") or data_root() / "demo")


@dataclass
class DemoSession:
    server: EmbeddedServer
    engine: SyncEngine
    profile: Path

    def stop(self) -> None:
        self.server.stop()


def start_demo(
    user: str = "demo-rep", profile: Path | None = None, size: str = "small"
) -> DemoSession:
    """Start the demo server (seeding it on first use) and sign ``profile`` in as ``user``.

    Raises :class:`DemoUnavailable` when the server extra is not installed.
    """
    require_server()
    from server import admin
    from server.db import make_engine
    from server.demo_data import has_records, seed
    from server.embedded import DEMO_PASSWORD, DEMO_TEAM, start
    from server.reports.demo import past_snapshots

    root = demo_root()
    # Deadlines, reclaims and stagnation keep time in the demo as on a real server.
    handle = start(data_dir=root / "server", demo=True, jobs=True)
    try:
        assert handle.settings is not None
        engine = make_engine(handle.settings.database_url, pool_size=1)
        try:
            if not has_records(engine):
                ids = {u["name"]: u["id"] for u in admin.list_users(engine)}
                owners = {gen: ids[name] for gen, name in _DEMO_ACCOUNTS.items()}
                seed(engine, handle.settings, generate(size), owners)
                past_snapshots(engine, DEMO_TEAM, time.time())
        finally:
            engine.dispose()
        profile = profile or root / "profiles" / user
        store = Store(profile)
        try:
            # The server gets a new free port each run; the account and its data are the same.
            if store.meta("user_name") == user:
                store.set_meta("server_url", handle.url)
        finally:
            store.close()
        sync = SyncEngine(profile)
        sync.sign_in(handle.url, user, DEMO_PASSWORD)
        sync.sync()
    except BaseException:
        handle.stop()
        raise
    return DemoSession(handle, sync, profile)
