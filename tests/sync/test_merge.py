"""Merging duplicates (SPEC C2) across real devices and a real server over loopback.

The lead merges two reps' customers while both reps edit offline; whatever order the three
devices then sync in, every device ends with the server's rows and nothing typed is lost.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers.syncing import Device, Server, user_id
from sqlalchemy import select

from app.domain.schema import ENTITIES
from app.store import merging
from server.db import records

FOLLOWUP = {
    "type": "demo",
    "due_on": "2026-11-20",
    "conclusion": "客户认可方案,要求补充报价细节",
    "next_action": "周五前发报价单",
}


def server_records(server: Server, entity_name: str) -> dict[str, dict[str, Any]]:
    with server.engine.connect() as conn:
        rows = conn.execute(select(records).where(records.c.entity == entity_name))
        return {
            r.id: {
                "version": r.version,
                "deleted": bool(r.deleted),
                "customer_id": r.customer_id,
                "scope_owner": r.scope_owner,
                "data": json.loads(r.data),
            }
            for r in rows
        }


def assert_matches_server(device: Device, server: Server) -> int:
    """Every row the device holds is the server's row, value for value; returns how many."""
    compared = 0
    for ent in ENTITIES.values():
        theirs = server_records(server, ent.name)
        for row in device.store.db.query(f"SELECT id FROM {ent.table} WHERE _deleted = 0"):
            mine = device.store.require(ent.name, row["id"])
            srv = theirs.get(row["id"])
            assert srv is not None and not srv["deleted"], (ent.name, row["id"])
            assert mine["_version"] == srv["version"], (ent.name, row["id"])
            for f in ent.fields:
                if ent.name == "customer" and f.name == "last_followup_at":
                    continue  # derived on each device
                assert mine.get(f.name) == srv["data"].get(f.name), (ent.name, f.name)
            compared += 1
    assert device.store.pending_count() == 0
    return compared


def _customer(d: Device, name: str, **extra: Any) -> str:
    return d.store.create("customer", {"name": name, "owner": d.store.actor, **extra})


@pytest.fixture
def trio(make_device) -> tuple[Device, Device, Device]:
    return make_device("lead", "lena"), make_device("alice", "alice"), make_device("bob", "bob")


@pytest.mark.parametrize(
    "order",
    [("lead", "bob", "alice"), ("bob", "alice", "lead"), ("alice", "lead", "bob")],
)
def test_merge_with_edits_in_flight_on_three_devices_converges(
    trio: tuple[Device, Device, Device], server: Server, order: tuple[str, ...]
) -> None:
    lead, alice, bob = trio
    x = _customer(alice, "杭州某某科技有限公司", phone="0571-88889999", industry="制造")
    cx = alice.store.create("contact", {"customer_id": x, "name": "张三", "mobile": "13812341234"})
    y = _customer(bob, "杭州某某科技股份有限公司", phone="0571-86660000", industry="软件")
    cy = bob.store.create("contact", {"customer_id": y, "name": "李四", "title": "采购经理"})
    dy = bob.store.create("deal", {"customer_id": y, "title": "ERP 升级", "amount": "120000"})
    for d in (alice, bob, lead):
        d.sync()
    assert lead.store.get("customer", y) is not None

    # Offline, everyone at once.
    alice.store.update("customer", x, {"notes": "客户要求先试用"})
    f_alice = alice.store.add_followup({"customer_id": x, **FOLLOWUP})
    bob.store.update("customer", y, {"phone": "0571-86661111", "website": "https://mm.cn"})
    bob.store.update("contact", cy, {"title": "采购总监"})
    f_bob = bob.store.add_followup({"customer_id": y, **FOLLOWUP, "contact_ids": [cy]})
    c_new = bob.store.create("contact", {"customer_id": y, "name": "王五"})
    mid = merging.merge(lead.store, "customer", x, [y], {"industry": y, "phone": x})

    devices = {"lead": lead, "alice": alice, "bob": bob}
    for name in order:
        devices[name].sync()
    for _ in range(2):
        for name in order:
            devices[name].sync()

    srv = server_records(server, "customer")
    assert srv[y]["deleted"] and srv[y]["data"]["merged_into"] == x
    survivor = srv[x]["data"]
    assert survivor["industry"] == "软件"  # picked from the merged record
    assert survivor["phone"] == "0571-88889999"  # picked from the survivor
    assert survivor["notes"] == "客户要求先试用"
    assert survivor["website"] == "https://mm.cn"  # bob's offline edit landed on the survivor
    # Everything under the merged customer is under the survivor now, in its scope.
    for ent, rid in (
        ("contact", cx),
        ("contact", cy),
        ("contact", c_new),
        ("deal", dy),
        ("followup", f_alice),
        ("followup", f_bob),
    ):
        rec = server_records(server, ent)[rid]
        assert rec["customer_id"] == x and rec["data"]["customer_id"] == x, (ent, rid)
        assert rec["scope_owner"] == user_id(server, "alice")
    assert server_records(server, "contact")[cy]["data"]["title"] == "采购总监"
    # Bob's discarded phone is a conflict he (and the lead) can see, whatever the order.
    for d in (bob, lead):
        lost = [c for c in d.store.conflicts() if c["record_id"] in (x, y)]
        assert len(lost) == 1 and lost[0]["field"] == "phone", d.store.conflicts()
        assert lost[0]["other_value"] == "0571-86661111"
        assert lost[0]["current_value"] == "0571-88889999"
    # The lead and alice hold the merged customer with everything; bob holds none of it.
    for d in (lead, alice):
        assert d.store.get("customer", y) is None
        kids = {
            r["id"] for r in d.store.db.query("SELECT id FROM contacts WHERE customer_id = ?", (x,))
        }
        assert {cx, cy, c_new} <= kids
        assert d.store.require("followup", f_bob)["customer_id"] == x
    assert bob.store.get("customer", x) is None and bob.store.get("customer", y) is None
    assert bob.store.db.execute("SELECT count(*) FROM contacts").fetchone()[0] == 0
    # Every device's rows are the server's.
    assert assert_matches_server(lead, server) >= 7
    assert assert_matches_server(alice, server) >= 7
    assert_matches_server(bob, server)
    # Listed on both sides of the merge, once.
    for d in (lead, alice):
        listed = [m for m in merging.list_merges(d.store) if m["id"] == mid]
        assert len(listed) == 1 and listed[0]["state"] == "synced"
        assert listed[0]["merged_ids"] == [y] and listed[0]["survivor_id"] == x
    # The merged record's history is readable from the survivor.
    history = lead.engine.history([x, *merging.merged_into(lead.store, x)])
    assert {e["record_id"] for e in history} >= {x, y}
    assert any(e["record_id"] == y and e.get("new") == "0571-86661111" for e in history)
