"""``kill -9`` of a real ``fieldcrm sync`` process at random moments loses and doubles nothing."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest
from helpers.syncing import snapshot


@pytest.mark.slow
def test_kill_9_during_sync_twenty_times(make_device) -> None:
    a = make_device("a")
    b = make_device("b")
    rng = random.Random(20261122)
    customers = [
        a.store.create("customer", {"name": f"断电测试客户{i:03d}", "owner": a.store.actor})
        for i in range(60)
    ]
    env = {
        **os.environ,
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
        "FIELDCRM_LANG": "en",
    }
    killed_mid_run = 0
    for run in range(22):
        for k, cid in enumerate(rng.choices(customers, k=240)):  # fresh edits every run
            a.store.update("customer", cid, {"notes": f"第{run}轮修改{k}"})
        a.store.add_followup(
            {
                "customer_id": rng.choice(customers),
                "type": "demo",
                "conclusion": f"第{run}轮:客户同意安排技术交流",
                "next_action": "发会议邀请",
                "due_on": "2026-12-01",
            }
        )
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "app",
                "--profile",
                str(a.engine.profile_dir),
                "sync",
                "--quiet",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        time.sleep(rng.uniform(0.3, 1.3))  # start-up takes ~0.5 s: kills land all over
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed_mid_run += 1
        proc.wait(timeout=60)
        proc.stderr.close()  # type: ignore[union-attr]
    assert killed_mid_run >= 10  # most runs really were cut off mid-way
    a.sync()
    b.sync()
    assert a.store.pending_count() == 0 and a.store.rejected_operations() == []
    for table in ("customers", "followups"):
        assert snapshot(a.store, table) == snapshot(b.store, table)
    assert len(snapshot(b.store, "followups")) == 22
    notes = {r["notes"] for r in snapshot(b.store).values()}
    assert "第21轮修改239" in notes
