"""``kill -9`` of a real sync process in the middle of its work loses and doubles nothing.

The child is the sync engine in its own process, with a transport that stops on a chosen HTTP
request (before sending it, or after the server answered and before the answer is recorded)
and says so on stdout. The test kills it only then, so every kill lands mid-sync however fast
the machine is; where it lands varies from run to run (the directory, any push batch, the
first pull page).
"""

from __future__ import annotations

import math
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.syncing import snapshot

import app

CHILD = """
import sys, threading
from pathlib import Path
import httpx
from app.sync.engine import SyncEngine
from app.sync.http import ApiClient

profile, batch = Path(sys.argv[1]), int(sys.argv[2])
target, stop_at, phase = sys.argv[3], int(sys.argv[4]), sys.argv[5]
seen = 0

def pause(request):
    print(f"paused {phase} {request.method} {request.url.path}", flush=True)
    threading.Event().wait()

class Stopping(httpx.HTTPTransport):
    def handle_request(self, request):
        global seen
        seen += request.url.path.endswith(target)
        if seen == stop_at and phase == "before":
            pause(request)
        response = super().handle_request(request)
        if seen == stop_at and phase == "after":
            response.read()
            pause(request)
        return response

def api(url, token):
    return ApiClient(url, token=token, transport=Stopping())

SyncEngine(profile, api_factory=api, push_batch=batch, pull_page=25).sync_or_raise()
print("finished", flush=True)
"""
PUSH_BATCH = 40


@pytest.mark.slow
def test_kill_9_during_sync_twenty_times(make_device, tmp_path: Path) -> None:
    a = make_device("a")
    b = make_device("b")
    rng = random.Random(20261122)
    customers = [
        a.store.create("customer", {"name": f"断电测试客户{i:03d}", "owner": a.store.actor})
        for i in range(60)
    ]
    child = tmp_path / "stopping_sync.py"
    child.write_text(CHILD, encoding="utf-8")
    root = str(Path(app.__file__).resolve().parent.parent)
    env = {
        **os.environ,
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
        "FIELDCRM_LANG": "en",
        "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
    }
    where: set[str] = set()
    for run in range(22):
        for k, cid in enumerate(rng.choices(customers, k=240)):  # fresh edits every run
            a.store.update("customer", cid, {"notes": f"第{run}轮修改{k}"})
        a.store.followups.add(
            {
                "customer_id": rng.choice(customers),
                "type": "demo",
                "conclusion": f"第{run}轮:客户同意安排技术交流",
                "next_action": "发会议邀请",
                "due_on": "2026-12-01",
            }
        )
        # Every sync asks for the directory, pushes what is pending in batches and pulls at
        # least one page: stopping on any of these requests is always mid-sync.
        pushes = math.ceil(a.store.journal.pending_count() / PUSH_BATCH)
        target, stop_at = [
            ("/directory", 1),
            ("/sync/push", rng.randint(1, pushes)),
            ("/sync/push", rng.randint(1, pushes)),
            ("/sync/pull", 1),
        ][run % 4]
        phase = rng.choice(("before", "after"))
        proc = subprocess.Popen(
            [
                sys.executable,
                str(child),
                str(a.engine.profile_dir),
                str(PUSH_BATCH),
                target,
                str(stop_at),
                phase,
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None and proc.stderr is not None
        line = proc.stdout.readline()  # blocks until the child stops mid-sync (or dies)
        if not line.startswith("paused"):
            proc.wait(timeout=60)
            pytest.fail(
                f"run {run}: the sync did not stop where asked: {line!r}\n{proc.stderr.read()}"
            )
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=60) == -signal.SIGKILL
        proc.stdout.close()
        proc.stderr.close()
        where.add(line.split(" ", 2)[2].strip())
    assert {p.split(" ")[-1] for p in where} == {"/directory", "/sync/push", "/sync/pull"}
    a.sync()
    b.sync()
    assert a.store.journal.pending_count() == 0 and a.store.journal.rejected() == []
    for table in ("customers", "followups"):
        assert snapshot(a.store, table) == snapshot(b.store, table)
    assert len(snapshot(b.store, "followups")) == 22
    notes = {r["notes"] for r in snapshot(b.store).values()}
    assert "第21轮修改239" in notes
