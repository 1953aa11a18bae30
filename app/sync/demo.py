"""Demo mode: a local server with demo users and data, and a profile signed in to it.

``fieldcrm demo`` uses this so a newcomer sees a working, syncing app with one command. The
server keeps its data in the demo folder, so edits made in the demo survive a restart.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.demo import DEMO_USERS, generate
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
    """Start the demo server (seeding it on first use) and sign ``profile`` in as ``user``."""
    from server import admin
    from server.db import make_engine
    from server.demo_data import has_records, seed
    from server.embedded import DEMO_PASSWORD, start

    root = demo_root()
    handle = start(data_dir=root / "server", demo=True)
    try:
        assert handle.settings is not None
        engine = make_engine(handle.settings.database_url, pool_size=1)
        try:
            if not has_records(engine):
                ids = {u["name"]: u["id"] for u in admin.list_users(engine)}
                owners = {gen: ids[name] for gen, name in _DEMO_ACCOUNTS.items()}
                seed(engine, handle.settings, generate(size), owners)
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
