"""Load benchmark of the sync server on PostgreSQL (SPEC N3).

50 simulated devices (ten per rep, so the devices of one rep edit the same customers and
conflict) each push 200 operations in batches, pulling between batches. Afterwards every
operation must have been applied exactly once and every device must hold exactly what the
server holds for its user.

    .venv/bin/python -m bench.server [--pg URL] [--devices 50] [--ops 200] [--batch 50]

The server runs as a real ``fieldcrm-server serve`` process on a loopback port; each device has
its own HTTP connection. Besides operations/s and latencies the run reports CPU milliseconds
per operation of the server, of PostgreSQL and of this process, with the load average: on a
shared machine those move far less than wall-clock figures, so compare them between versions.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from server import admin, migrate
from server.config import Settings
from server.db import make_engine, normalise_url, operations, records

PASSWORD = "bench password"
FIELDS = ("notes", "phone", "industry", "region", "address", "source")


@dataclass
class Device:
    name: str
    user: str
    user_id: str = ""
    token: str = ""
    cursor: str | None = None
    state: dict[str, dict[str, Any]] = field(default_factory=dict)
    sent: list[str] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    push_ms: list[float] = field(default_factory=list)
    pull_ms: list[float] = field(default_factory=list)
    errors: int = 0
    # Ids of the customers in ``state``, in the state's order (what next_op picks from).
    customers: list[str] = field(default_factory=list)
    http: httpx.AsyncClient | None = None

    def absorb(self, item: dict[str, Any]) -> None:
        if item.get("removed") or item.get("deleted"):
            gone = self.state.pop(item["id"], None)
            if gone is not None and gone["entity"] == "customer":
                self.customers.remove(item["id"])
            return
        have = self.state.get(item["id"])
        if have is None or have["version"] <= item["version"]:
            self.state[item["id"]] = item
            if have is None and item["entity"] == "customer":
                self.customers.append(item["id"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def next_op(dev: Device, rng: random.Random) -> dict[str, Any]:
    cust = dev.state[rng.choice(dev.customers)]
    roll = rng.random()
    rid = str(uuid.uuid4())
    base = {"op_id": str(uuid.uuid4()), "device": dev.name, "at": "2026-01-01T00:00:00"}
    if roll < 0.6:
        f = rng.choice(FIELDS)
        value = (
            f"{dev.name}-{rng.randrange(10**6)}"
            if f != "phone"
            else f"0571-{rng.randrange(2 * 10**7, 10**8)}"
        )
        return {
            **base,
            "entity": "customer",
            "action": "update",
            "record_id": cust["id"],
            "base_version": cust["version"],
            "fields": {f: value},
            "base": {f: cust["fields"].get(f)},
        }
    if roll < 0.8:
        return {
            **base,
            "entity": "contact",
            "action": "create",
            "record_id": rid,
            "base_version": 0,
            "fields": {
                "customer_id": cust["id"],
                "name": f"联系人{rid[:4]}",
                "mobile": f"13{rng.randrange(10**9):09d}",
            },
        }
    return {
        **base,
        "entity": "followup",
        "action": "create",
        "record_id": rid,
        "base_version": 0,
        "fields": {
            "customer_id": cust["id"],
            "type": "consultation",
            "conclusion": "客户关心交付周期,已承诺两周内给出排期",
            "next_action": "发送排期表",
            "due_on": "2026-03-05",
        },
    }


async def pull_until_done(dev: Device) -> None:
    http = dev.http
    assert http is not None
    while True:
        t = time.perf_counter()
        r = await http.get(
            "/sync/pull",
            params={"cursor": dev.cursor or "", "limit": 1000},
            headers={"Authorization": f"Bearer {dev.token}"},
        )
        dev.pull_ms.append((time.perf_counter() - t) * 1000)
        if r.status_code != 200:
            dev.errors += 1
            return
        page = r.json()
        for item in page["changes"]:
            dev.absorb(item)
        dev.cursor = page["cursor"]
        if not page["more"]:
            return


async def run_device(dev: Device, n_ops: int, batch: int, seed: int) -> None:
    http = dev.http
    assert http is not None
    rng = random.Random(seed)
    await pull_until_done(dev)
    while not dev.customers:
        # A transaction still running elsewhere on the cluster holds the pull horizon below the
        # customers made in setup (docs/SYNC.md, "Why no change is ever missed"): wait for it.
        await asyncio.sleep(0.2)
        await pull_until_done(dev)
    done = 0
    while done < n_ops:
        ops = [next_op(dev, rng) for _ in range(min(batch, n_ops - done))]
        t = time.perf_counter()
        r = await http.post(
            "/sync/push",
            json={"device": dev.name, "ops": ops},
            headers={"Authorization": f"Bearer {dev.token}"},
        )
        dev.push_ms.append((time.perf_counter() - t) * 1000)
        if r.status_code != 200:
            dev.errors += 1
            continue
        for o, res in zip(ops, r.json()["results"], strict=True):
            code = f":{res['code']}" if res["status"] == "rejected" else ""
            dev.statuses[res["status"] + code] += 1
            if res.get("op_id") != o["op_id"]:
                dev.errors += 1
            if "record" in res:
                dev.absorb(res["record"] | {"entity": o["entity"], "id": o["record_id"]})
        dev.sent.extend(o["op_id"] for o in ops)
        done += len(ops)
        await pull_until_done(dev)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of processes (Linux /proc; 0 for any that cannot be read)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    return total


def server_pids(root: int) -> list[int]:
    """The server process and its workers."""
    try:
        with open(f"/proc/{root}/task/{root}/children") as fh:
            return [root, *(int(p) for p in fh.read().split())]
    except OSError:
        return [root]


class Backends:
    """CPU time of the PostgreSQL backends serving the benchmark database (same host only),
    including backends that come and go while it runs (pool overflow)."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url, pool_size=1)
        self.seen: dict[int, float] = {}

    def poll(self) -> float:
        """Total CPU seconds used so far by every backend seen."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT pid FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            for (pid,) in rows:
                self.seen[int(pid)] = max(self.seen.get(int(pid), 0.0), cpu_seconds([int(pid)]))
        for pid in self.seen:
            self.seen[pid] = max(self.seen[pid], cpu_seconds([pid]))
        return sum(self.seen.values())

    async def watch(self) -> None:
        while True:
            await asyncio.sleep(0.5)
            await asyncio.to_thread(self.poll)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def main_async(args: argparse.Namespace, url: str, base: str, server_pid: int) -> int:
    reps = max(1, args.devices // 10)
    devices = [Device(f"dev{i:02d}", f"rep{i % reps}") for i in range(args.devices)]
    # One client (one kept-alive connection) per device, as real devices have: a single shared
    # httpx pool of 50 connections costs the benchmark process more CPU than it saves.
    one = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=base, timeout=120) as http:
        for dev in devices:
            r = await http.post(
                "/auth/signin",
                json={"username": dev.user, "password": PASSWORD, "device": dev.name},
            )
            r.raise_for_status()
            dev.token, dev.user_id = r.json()["access_token"], r.json()["user"]["id"]
    async with contextlib.AsyncExitStack() as stack:
        # Made only now: a connection opened during the (slow) sign-ins would sit idle past
        # the server's keep-alive timeout and could be closed just as it is reused.
        for dev in devices:
            dev.http = await stack.enter_async_context(
                httpx.AsyncClient(base_url=base, timeout=120, limits=one)
            )
        # CPU accounting: a run on a shared machine is judged by its CPU per operation too,
        # which other load changes far less than it changes the wall time.
        procs = server_pids(server_pid)
        backends = Backends(url)
        load_before = os.getloadavg()[0]
        cpu0 = (cpu_seconds(procs), backends.poll(), time.process_time())
        watch = asyncio.create_task(backends.watch())
        t0 = time.perf_counter()
        await asyncio.gather(
            *(run_device(d, args.ops, args.batch, i) for i, d in enumerate(devices))
        )
        wall = time.perf_counter() - t0
        watch.cancel()
        cpu1 = (cpu_seconds(procs), backends.poll(), time.process_time())
        load_after = os.getloadavg()[0]
        backends.engine.dispose()
        # A retried batch (same operation ids) must change nothing.
        replay_dev = devices[0]
        engine = make_engine(url, pool_size=1)
        with engine.connect() as conn:
            rows_before = conn.execute(select(func.count()).select_from(records)).scalar_one()
            payloads = [
                json_load(p)
                for (p,) in conn.execute(
                    select(operations.c.payload)
                    .where(operations.c.device == replay_dev.name)
                    .limit(args.batch)
                )
            ]
        assert replay_dev.http is not None
        r = await replay_dev.http.post(
            "/sync/push",
            json={"device": replay_dev.name, "ops": payloads},
            headers={"Authorization": f"Bearer {replay_dev.token}"},
        )
        replayed_ok = all(x.get("replayed") for x in r.json()["results"])
        for dev in devices:
            await pull_until_done(dev)

    sent = [op for d in devices for op in d.sent]
    with engine.connect() as conn:
        stored = Counter(op for (op,) in conn.execute(select(operations.c.op_id)))
        rows_after = conn.execute(select(func.count()).select_from(records)).scalar_one()
        creates = conn.execute(
            select(func.count())
            .select_from(operations)
            .where(operations.c.action == "create", operations.c.status == "applied")
        ).scalar_one()
        created_rows = conn.execute(
            select(func.count())
            .select_from(records)
            .where(records.c.entity.in_(("contact", "followup")))
        ).scalar_one()
        server_state: dict[str, dict[str, int]] = {}
        for rid, owner, version, deleted in conn.execute(
            select(records.c.id, records.c.scope_owner, records.c.version, records.c.deleted)
        ):
            if not deleted:
                server_state.setdefault(owner, {})[rid] = version
    engine.dispose()
    lost = sum(1 for op in sent if stored[op] == 0)
    duplicated = sum(max(0, c - 1) for c in stored.values()) + max(0, created_rows - creates)
    diverged = 0
    for dev in devices:
        mine = {rid: item["version"] for rid, item in dev.state.items()}
        if mine != server_state.get(dev.user_id, {}):
            diverged += 1
    statuses = sum((d.statuses for d in devices), Counter())
    errors = sum(d.errors for d in devices)
    total = len(sent)
    push_ms = [x for d in devices for x in d.push_ms]
    pull_ms = [x for d in devices for x in d.pull_ms]
    print(f"devices={args.devices} ops/device={args.ops} batch={args.batch} workers={args.workers}")
    print(f"operations: {total} in {wall:.2f} s = {total / wall:,.0f} operations/s")
    print(
        f"push latency ms: p50={pct(push_ms, 0.5):.1f} p99={pct(push_ms, 0.99):.1f} "
        f"(n={len(push_ms)}, mean={statistics.fmean(push_ms):.1f})"
    )
    print(
        f"pull latency ms: p50={pct(pull_ms, 0.5):.1f} p99={pct(pull_ms, 0.99):.1f} "
        f"(n={len(pull_ms)})"
    )
    per_op = [(b - a) * 1000 / max(1, total) for a, b in zip(cpu0, cpu1, strict=True)]
    print(
        f"cpu ms/operation: server={per_op[0]:.2f} postgres={per_op[1]:.2f} "
        f"bench client={per_op[2]:.2f}; load average {load_before:.2f} -> {load_after:.2f}"
    )
    print(f"results: {dict(statuses)}")
    print(
        f"errors={errors} lost={lost} duplicated={duplicated} diverged_devices={diverged} "
        f"replay_idempotent={replayed_ok and rows_after == rows_before}"
    )
    ok = (
        errors == 0
        and lost == 0
        and duplicated == 0
        and diverged == 0
        and replayed_ok
        and rows_after == rows_before
    )
    return 0 if ok else 1


def json_load(text: str) -> Any:
    import json

    return json.loads(text)


def setup(url: str, devices: int, customers_per_rep: int) -> None:
    engine = make_engine(url, pool_size=2)
    migrate.upgrade(engine)
    settings = Settings(database_url=url, data_dir=Path("/tmp"))
    admin.create_team(engine, "bench")
    reps = max(1, devices // 10)
    ids = []
    for i in range(reps):
        ids.append(
            admin.create_user(engine, settings, f"rep{i}", PASSWORD, role="rep", team="bench").id
        )
    from server.push import push
    from server.records import Viewer

    for i, uid in enumerate(ids):
        viewer = Viewer(uid, f"rep{i}", f"rep{i}", "rep", None)
        ops = [
            {
                "op_id": str(uuid.uuid4()),
                "entity": "customer",
                "action": "create",
                "record_id": str(uuid.uuid4()),
                "fields": {"name": f"客户{i}-{k}", "owner": uid},
            }
            for k in range(customers_per_rep)
        ]
        push(engine, viewer, "setup", ops)
    engine.dispose()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--pg",
        default=os.environ.get(
            "FIELDCRM_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    ap.add_argument("--devices", type=int, default=50)
    ap.add_argument("--ops", type=int, default=200)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--customers", type=int, default=20, help="customers per rep")
    ap.add_argument("--workers", type=int, default=2, help="server worker processes")
    args = ap.parse_args()
    admin_url = make_url(normalise_url(args.pg))
    dsn = admin_url.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"fieldcrm_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    port = free_port()
    with tempfile.TemporaryFile() as log:
        return _run(args, url, port, dsn, name, log)


def _run(args: argparse.Namespace, url: str, port: int, dsn: str, name: str, log: Any) -> int:
    proc = None
    try:
        setup(url, args.devices, args.customers)
        env = {**os.environ, "FIELDCRM_DATABASE_URL": url}
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from server.cli import main; main()",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
            ],
            # The access log goes to a file: an undrained pipe would fill up and stall the server.
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 30
        while True:
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline or proc.poll() is not None:
                raise SystemExit("server did not start")
            time.sleep(0.2)
        code = asyncio.run(main_async(args, url, base, proc.pid))
        if code:
            _print_log_tail(log)
        return code
    except BaseException:
        _print_log_tail(log)
        raise
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _print_log_tail(log: Any, lines: int = 40) -> None:
    """The end of the server's log, for a run that failed."""
    log.flush()
    log.seek(0)
    tail = log.read().decode("utf-8", "replace").splitlines()[-lines:]
    print("--- server log (last lines) ---", *tail, sep="\n", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
