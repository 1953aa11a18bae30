"""Every device's history of a record comes from the server, to those who may see it only."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from helpers.syncing import Device

from app.sync.errors import SyncError


def test_history_of_other_devices_and_nobody_elses(make_device: Callable[..., Device]) -> None:
    laptop, phone = make_device("laptop", "alice"), make_device("phone", "alice")
    bob, lead = make_device("bob", "bob"), make_device("lead", "lena")
    cid = laptop.store.create(
        "customer", {"name": "杭州青禾家居有限公司", "owner": laptop.store.actor}
    )
    laptop.sync()
    phone.sync()
    phone.store.update("customer", cid, {"region": "华东"})
    phone.sync()

    entries = laptop.engine.history([cid])
    edits = [(e["field"], e["old"], e["new"], e["device"]) for e in entries]
    assert ("region", None, "华东", phone.store.device) in edits
    assert entries[0]["field"] == "*" and entries[0]["device"] == laptop.store.device
    assert len(lead.engine.history([cid])) == len(entries)  # the team lead sees the team's
    # Another rep learns nothing, not even that the id exists; unknown ids look the same.
    assert bob.engine.history([cid]) == []
    assert bob.engine.history(["no-such-record"]) == []


@pytest.mark.parametrize("ids", [["x" * 500], ["a b"], [f"id{i}" for i in range(201)]])
def test_history_refuses_malformed_requests(
    make_device: Callable[..., Device], ids: list[str]
) -> None:
    device = make_device("laptop", "alice")
    with pytest.raises((SyncError, httpx.HTTPError)):
        device.engine.history(ids)
