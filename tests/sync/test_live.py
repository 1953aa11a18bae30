"""An online device hears of a newly assigned lead without waiting for its sync timer (L6)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx
from helpers.syncing import Device, Server

from app.sync.live import ChangeWatcher
from server.leads import keys, reps


def test_a_new_lead_wakes_the_owners_device(
    server: Server, make_device: Callable[..., Device]
) -> None:
    device = make_device("live", user="alice")
    device.sync()
    woke = threading.Event()
    watcher = ChangeWatcher(device.engine, woke.set, poll_timeout_s=5, retry_s=0.5)
    watcher.start()
    try:
        assert watcher.ready.wait(60)
        assert not woke.is_set()
        reps.set_profile(server.engine, "bob", on_leave=True)
        key = keys.add_key(server.engine, "web_form", "华东一组")
        r = httpx.post(
            f"{server.url}/api/v1/intake/leads",
            json={"external_id": "live-1", "name": "实时客户"},
            headers={"X-Intake-Key": key},
        )
        lead_id = r.json()["leads"][0]["id"]
        assert woke.wait(60), "the watcher did not report the new lead"
    finally:
        watcher.stop()
        reps.set_profile(server.engine, "bob", on_leave=False)
    device.sync()
    assert device.store.get("lead", lead_id) is not None
