"""Two server processes on one PostgreSQL database serve the same clients consistently (I3).

A company that outgrows one box adds server processes (or machines) in front of the same
database. Here two real ``fieldcrm-server serve`` processes share one throwaway database; devices
talk to either of them and must end up identical.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from helpers.deploy import free_port, server_cli, throwaway_database
from helpers.keyrings import file_keyring  # noqa: F401 - a fixture, requested by name

from app.store.service import Store
from app.sync.engine import SyncEngine

PASSWORD = "two servers 42"
pytestmark = pytest.mark.postgres


@pytest.fixture
def database() -> Iterator[str]:
    yield from throwaway_database("fieldcrm_two")


@pytest.fixture
def two_servers(database: str, tmp_path: Path) -> Iterator[list[str]]:
    data = tmp_path / "server-data"  # shared attachment folder, as on a network volume
    server_cli(database, data, "migrate")
    server_cli(database, data, "team", "add", "华南组")
    server_cli(
        database,
        data,
        "user",
        "add",
        "mei",
        "--team",
        "华南组",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    procs, urls = [], []
    for _ in range(2):
        port = free_port()
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "server.cli",
                    "--db",
                    database,
                    "--data-dir",
                    str(data),
                    "serve",
                    "--port",
                    str(port),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 60
    for url in urls:
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "a server did not start"
            time.sleep(0.2)
    yield urls
    for p in procs:
        p.terminate()
        p.wait(30)


@pytest.mark.slow
@pytest.mark.usefixtures("file_keyring")
def test_devices_on_different_server_processes_converge(
    two_servers: list[str], tmp_path: Path
) -> None:
    devices = []
    for name, url in zip(("a", "b"), two_servers, strict=True):
        engine = SyncEngine(tmp_path / name)
        engine.sign_in(url, "mei", PASSWORD)
        store = Store(tmp_path / name)
        store.actor = store.meta("user_id") or "?"
        devices.append((engine, store))
    (ea, sa), (eb, sb) = devices
    ids = [
        sa.create("customer", {"name": f"双服务器客户{i}", "owner": sa.actor}) for i in range(20)
    ]
    card = tmp_path / "card.jpg"
    card.write_bytes(b"\xff\xd8" + os.urandom(4096))
    sa.files.attach(card, "business_card", customer_id=ids[0])
    assert ea.sync().error is None
    assert eb.sync().error is None
    # Edits through both processes at once: different fields merge, one field conflicts.
    sa.update("customer", ids[1], {"industry": "外贸"})
    sb.update("customer", ids[1], {"region": "深圳"})
    sa.update("customer", ids[2], {"notes": "经由一号服务器"})
    sb.update("customer", ids[2], {"notes": "经由二号服务器"})
    for engine in (ea, eb, ea, eb):
        assert engine.sync().error is None
    rows = [
        {
            r["id"]: (r["name"], r["industry"], r["region"], r["notes"], r["_version"])
            for r in s.connection().query("SELECT * FROM customers")
        }
        for s in (sa, sb)
    ]
    assert rows[0] == rows[1] and len(rows[0]) == 20
    assert rows[0][ids[1]][1:3] == ("外贸", "深圳")
    assert sa.conflicts.count() == sb.conflicts.count() == 1
    # A file uploaded through one process downloads through the other.
    sha = sb.connection().execute("SELECT sha256 FROM attachments").fetchone()[0]
    assert eb.fetch_file(sha).read_bytes() == card.read_bytes()
    sa.close()
    sb.close()
