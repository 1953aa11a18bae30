"""Sync benchmark over loopback (SPEC N2).

A real server (SQLite by default, ``--db URL`` for PostgreSQL) is seeded with one rep's data set
(5 000 customers, 20 000 contacts, 50 000 follow-ups, ~2 500 deals, ~6 700 attachments), then a
real client profile: first sync into an empty profile, an incremental sync of 100 edits, and a
sync with nothing to do. Prints seconds and rows per second.

    .venv/bin/python -m bench.sync [--seed N] [--db URL]

With a PostgreSQL URL, each run works in a new database on that server, dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import keyring
import sqlalchemy as sa
from keyrings.alt.file import PlaintextKeyring

from app.demo import DEMO_USERS, generate
from app.store.service import Store
from app.sync.engine import SyncEngine
from server import admin
from server.db import make_engine
from server.demo_data import seed
from server.embedded import DEMO_PASSWORD, start


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(db_url: str, data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """The server in its own process, as in production (it must not share our GIL)."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "server.cli",
            "--db",
            db_url,
            "--data-dir",
            str(data_dir),
            "serve",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the server did not start")


def scratch_database(url: str) -> tuple[str, sa.Engine]:
    """A new, empty database beside the one ``url`` names, so each run starts from nothing;
    returns its URL and an engine on the original database to drop it with."""
    admin_engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"fieldcrm_bench_{os.getpid()}_{random.randrange(1_000_000)}"
    with admin_engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return sa.make_url(url).set(database=name).render_as_string(hide_password=False), admin_engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=int(time.time()) % 10_000)
    parser.add_argument("--db", help="server database URL (default: SQLite in a temp folder)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="fieldcrm-bench-sync-"))
    os.environ["XDG_DATA_HOME"] = str(tmp / "xdg")  # the file keyring lives here
    keyring.set_keyring(PlaintextKeyring())
    # Migrate and create the demo users in-process, then serve from a separate process.
    db_url, scratch = args.db, None
    if db_url and db_url.startswith("postgresql"):
        db_url, scratch = scratch_database(db_url)
    handle = start(db_url, data_dir=tmp / "server")
    handle.stop()
    assert handle.settings is not None
    engine = make_engine(handle.settings.database_url, pool_size=1)
    proc = None
    try:
        users = {u["name"]: u["id"] for u in admin.list_users(engine)}
        t = time.perf_counter()
        data = generate("rep", args.seed, owner=DEMO_USERS[1]["id"])
        counts = seed(engine, handle.settings, data, {DEMO_USERS[1]["id"]: users["demo-rep"]})
        total = sum(counts.values())
        print(
            f"seed {args.seed}: server loaded {total} rows in {time.perf_counter() - t:.1f} s "
            f"{counts}"
        )

        proc, url = serve(handle.settings.database_url, handle.settings.data_dir)
        device = SyncEngine(tmp / "device")
        device.sign_in(url, "demo-rep", DEMO_PASSWORD)
        t, cpu = time.perf_counter(), time.process_time()
        report = device.sync()
        first, cpu = time.perf_counter() - t, time.process_time() - cpu
        assert report.error is None, report.error
        # The client's own CPU time (the server is another process): steadier than the wall
        # clock on a machine busy with other work.
        print(
            f"first sync: {first:.2f} s, {report.pulled} rows, {report.pulled / first:,.0f} rows/s"
            f" (client CPU {cpu:.2f} s)"
        )

        store = Store(tmp / "device")
        store.actor = store.meta("user_id") or store.actor
        ids = [r[0] for r in store.connection().execute("SELECT id FROM customers")]
        rng = random.Random(args.seed)
        for i, cid in enumerate(rng.sample(ids, 100)):
            store.update("customer", cid, {"notes": f"拜访记录更新 {i}"})
        t, cpu = time.perf_counter(), time.process_time()
        report = device.sync()
        incremental, cpu = time.perf_counter() - t, time.process_time() - cpu
        assert report.error is None and report.pushed == 100, report
        print(
            f"incremental sync of 100 edits: {incremental:.3f} s "
            f"(pushed {report.pushed}, pulled {report.pulled}; client CPU {cpu:.3f} s)"
        )

        t = time.perf_counter()
        report = device.sync()
        idle = time.perf_counter() - t
        assert report.error is None and report.pushed == 0, report
        print(f"no-change sync: {idle:.3f} s (pulled {report.pulled})")
        store.close()
    finally:
        engine.dispose()
        if proc is not None:
            proc.terminate()
            proc.wait(10)
        if scratch is not None:
            with scratch.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE "{sa.make_url(db_url).database}"'))
            scratch.dispose()


if __name__ == "__main__":
    main()
