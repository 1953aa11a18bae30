"""Two server processes on one PostgreSQL database take the same leads at once (SPEC L2, L6).

Every lead is posted to both servers at the same time, from several threads: each must be
stored once and given to exactly one rep, and both servers must answer with the same lead id.
Then two ``tick`` processes run at the same moment: each due job runs in exactly one of them.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers.deploy import free_port, server_cli, throwaway_database
from sqlalchemy import create_engine, func, select

from server.db import lead_state, loads, records, users

PASSWORD = "two servers 42"
LEADS = 60  # three reps, 20 each: below the load cap of 35
pytestmark = pytest.mark.postgres


@pytest.fixture
def database() -> Iterator[str]:
    yield from throwaway_database("fieldcrm_leads")


def _start_servers(db: str, data: Path) -> tuple[list[subprocess.Popen[bytes]], list[str]]:
    procs, urls = [], []
    data.mkdir(parents=True, exist_ok=True)
    for _ in range(2):
        port = free_port()
        cmd = [sys.executable, "-m", "server.cli", "--db", db, "--data-dir", str(data)]
        # Kept beside the data: a failed request's traceback is there to read.
        with (data / f"server-{port}.log").open("wb") as log:
            procs.append(
                subprocess.Popen(
                    [*cmd, "serve", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=log
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
    return procs, urls


@pytest.mark.slow
def test_each_lead_is_stored_and_assigned_once_across_two_servers(
    database: str, tmp_path: Path
) -> None:
    data = tmp_path / "server-data"
    server_cli(database, data, "migrate")
    server_cli(database, data, "team", "add", "华东组")
    for name, role in (("zhu", "lead"), ("r1", "rep"), ("r2", "rep"), ("r3", "rep")):
        server_cli(
            database,
            data,
            "user",
            "add",
            name,
            "--role",
            role,
            "--team",
            "华东组",
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
    key_out = server_cli(database, data, "intake-key", "add", "web_form", "--team", "华东组")
    assert len(key_out.splitlines()) == 1
    key = key_out.strip()

    procs, urls = _start_servers(database, data)
    answers: dict[str, list[str]] = {}
    lock = threading.Lock()
    # Every batch goes to both servers; threads interleave them at random.
    batches = [
        [{"external_id": f"web-{n}", "name": f"客户{n}"} for n in range(i, i + 10)]
        for i in range(0, LEADS, 10)
    ]
    work = [(url, batch) for batch in batches for url in urls]
    random.Random(5).shuffle(work)

    def worker(items: list[tuple[str, list[dict[str, Any]]]]) -> None:
        with httpx.Client(timeout=60) as c:
            for url, batch in items:
                r = c.post(
                    f"{url}/api/v1/intake/leads",
                    json={"leads": batch},
                    headers={"X-Intake-Key": key},
                )
                assert r.status_code == 200, r.text
                with lock:
                    for o in r.json()["leads"]:
                        assert o["outcome"] in ("created", "duplicate"), o
                        answers.setdefault(o["external_id"], []).append(o["id"])

    try:
        threads = [threading.Thread(target=worker, args=(work[i::6],)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for p in procs:
            p.terminate()
            p.wait(30)

    assert len(answers) == LEADS
    assert all(len(ids) == 2 and ids[0] == ids[1] for ids in answers.values())
    engine = create_engine(database.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            reps = {r.id: r.name for r in conn.execute(select(users.c.id, users.c.name))}
            assert conn.execute(select(func.count()).select_from(lead_state)).scalar_one() == LEADS
            rows = list(conn.execute(select(records.c.data).where(records.c.entity == "lead")))
            assert len(rows) == LEADS
            owners = [loads(r.data)["owner"] for r in rows]
            assert all(reps.get(o) in ("r1", "r2", "r3") for o in owners)
            shares = {name: sum(1 for o in owners if reps[o] == name) for name in ("r1", "r2")}
            # No history: equal weights, so the round robin splits the leads evenly.
            assert all(LEADS // 3 - 2 <= n <= LEADS // 3 + 2 for n in shares.values()), shares
        # Two ticks at the same moment, a day later: each job runs in exactly one of them.
        later = datetime.fromtimestamp(time.time() + 86400, UTC).isoformat()
        cmd = [sys.executable, "-m", "server.cli", "--db", database, "--data-dir", str(data)]
        ticks = [
            subprocess.Popen([*cmd, "tick", "--now", later], stdout=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        reports = [json.loads(p.communicate(timeout=120)[0]) for p in ticks]
        for job in reports[0]:
            ran = [r[job] for r in reports if isinstance(r[job], int)]
            assert len(ran) == 1, (job, reports)
        escalated = sum(r["deadlines"] for r in reports if isinstance(r["deadlines"], int))
        assert escalated == LEADS
        with engine.connect() as conn:
            alerts = [
                loads(r.data)
                for r in conn.execute(select(records.c.data).where(records.c.entity == "alert"))
            ]
        assert sum(1 for a in alerts if a["kind"] == "lead_response") == LEADS
    finally:
        engine.dispose()
