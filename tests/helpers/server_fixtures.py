"""A real FieldCRM server on loopback and real client profiles ("devices") that sync with it
(imported by the sync and UI conftests)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.store.service import Store
from app.sync.engine import SyncEngine
from app.sync.http import ApiClient
from helpers.syncing import PASSWORD, Device, FaultyTransport, Server
from server import admin
from server.db import make_engine
from server.embedded import start

__all__ = ["make_device", "server"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    handle = start(data_dir=tmp_path_factory.mktemp("server"), demo=False)
    assert handle.settings is not None
    engine = make_engine(handle.settings.database_url, pool_size=1)
    admin.create_team(engine, "华东一组")
    for name, role, display in (
        ("alice", "rep", "张伟"),
        ("bob", "rep", "李娜"),
        ("lena", "lead", "王经理"),
    ):
        admin.create_user(
            engine,
            handle.settings,
            name,
            PASSWORD,
            role=role,
            team="华东一组",
            display_name=display,
        )
    yield Server(handle, engine)
    engine.dispose()
    handle.stop()


@pytest.fixture
def make_device(tmp_path: Path, server: Server) -> Iterator[Callable[..., Device]]:
    made: list[Device] = []

    def make(name: str, user: str = "alice", **engine_kw: Any) -> Device:
        transport = FaultyTransport()

        def api(url: str, token: Callable[[], str | None]) -> ApiClient:
            # Retries without waiting: tests inject failures, not real outages.
            return ApiClient(
                url, token=token, transport=transport, sleep=lambda _s: None, retries=2
            )

        profile = tmp_path / name
        engine = SyncEngine(profile, api_factory=api, **engine_kw)
        engine.sign_in(server.url, user, PASSWORD)
        store = Store(profile)
        store.actor = store.meta("user_id") or "?"
        device = Device(engine, store, transport)
        made.append(device)
        return device

    yield make
    for d in made:
        d.store.close()
