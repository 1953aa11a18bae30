"""An in-process server for the client's demo mode and for end-to-end tests.

``start()`` migrates the database, optionally adds demo users, and runs uvicorn on a thread
bound to a free loopback port::

    handle = start("sqlite+pysqlite:////tmp/demo.db")
    ...  # talk to handle.url
    handle.stop()
"""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

from server import admin, migrate
from server.api import create_app
from server.asgi import SERVE_JOB_TICK_S
from server.config import Settings, load_settings, sqlite_url
from server.db import make_engine

DEMO_PASSWORD = "fieldcrm-demo"
DEMO_TEAM = "演示团队"
# (name, role, display name)
DEMO_USERS = (
    ("demo-rep", "rep", "王销售"),
    ("demo-rep2", "rep", "李销售"),
    ("demo-lead", "lead", "张主管"),
    ("demo-admin", "admin", "系统管理员"),
)


def seed_demo(settings: Settings) -> None:
    """Create the demo team and users unless they exist (password :data:`DEMO_PASSWORD`)."""
    engine = make_engine(settings.database_url, pool_size=1)
    try:
        existing = {u["name"] for u in admin.list_users(engine)}
        if not any(u[0] in existing for u in DEMO_USERS):
            admin.create_team(engine, DEMO_TEAM)
        for name, role, display in DEMO_USERS:
            if name not in existing:
                admin.create_user(
                    engine,
                    settings,
                    name,
                    DEMO_PASSWORD,
                    role=role,
                    team=None if role == "admin" else DEMO_TEAM,
                    display_name=display,
                )
    finally:
        engine.dispose()


@dataclass
class EmbeddedServer:
    """A running server; ``url`` is its base URL, ``stop()`` shuts it down."""

    url: str
    settings: Settings | None
    _server: uvicorn.Server
    _thread: threading.Thread
    _tmp: tempfile.TemporaryDirectory[str] | None = field(default=None, repr=False)

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> EmbeddedServer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def serve_in_thread(
    asgi_app: Any, host: str = "127.0.0.1", port: int = 0, settings: Settings | None = None
) -> EmbeddedServer:
    """Run an ASGI app with uvicorn on a thread; ``port=0`` picks a free port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    # The API reads X-Forwarded-For itself, from configured proxies only (server.auth).
    config = uvicorn.Config(
        asgi_app, log_level="warning", access_log=False, lifespan="on", proxy_headers=False
    )
    server = uvicorn.Server(config)

    def run() -> None:
        try:
            server.run(sockets=[sock])
        finally:
            sock.close()

    thread = threading.Thread(target=run, name="fieldcrm-embedded-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("the embedded server did not start")
        time.sleep(0.005)
    return EmbeddedServer(f"http://{host}:{bound_port}", settings, server, thread)


def start(
    db_url: str | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    data_dir: Path | None = None,
    demo: bool = True,
    settings: Settings | None = None,
    jobs: bool = False,
) -> EmbeddedServer:
    """Migrate, seed the demo users and serve on a thread. Without ``db_url`` and
    ``data_dir`` the data lives in a temporary folder removed by ``stop()``. With ``jobs`` the
    server runs the lead engine's scheduled jobs every few seconds, as ``serve`` does."""
    tmp: tempfile.TemporaryDirectory[str] | None = None
    if settings is None:
        if data_dir is None and db_url is None:
            tmp = tempfile.TemporaryDirectory(prefix="fieldcrm-server-")
            data_dir = Path(tmp.name)
        settings = load_settings(db_url, data_dir)
        if db_url is None and data_dir is not None:
            settings = settings.with_(database_url=sqlite_url(data_dir / "fieldcrm-server.db"))
    if jobs:
        settings = settings.with_(job_tick_s=SERVE_JOB_TICK_S)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url, pool_size=1)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    if demo:
        seed_demo(settings)
    handle = serve_in_thread(create_app(settings), host, port, settings)
    handle._tmp = tmp
    return handle
