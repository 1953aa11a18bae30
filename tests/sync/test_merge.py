"""Merging duplicates (SPEC C2) across real devices and a real server over loopback.

The lead merges two reps' customers while both reps edit offline; whatever order the three
devices then sync in, every device ends with the server's rows and nothing typed is lost.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from helpers.syncing import PASSWORD, Device, Server, user_id
from sqlalchemy import select

from app.domain.schema import ENTITIES
from app.store import merging
from app.store.merging import MergeRefused
from app.sync.local import RemoteRecord
from server import admin
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
        for row in device.store.connection().query(
            f"SELECT id FROM {ent.table} WHERE _deleted = 0"
        ):
            mine = device.store.require(ent.name, row["id"])
            srv = theirs.get(row["id"])
            assert srv is not None and not srv["deleted"], (ent.name, row["id"])
            assert mine["_version"] == srv["version"], (ent.name, row["id"])
            for f in ent.fields:
                if ent.name == "customer" and f.name == "last_followup_at":
                    continue  # derived on each device
                assert mine.get(f.name) == srv["data"].get(f.name), (ent.name, f.name)
            compared += 1
    assert device.store.journal.pending_count() == 0
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
    f_alice = alice.store.followups.add({"customer_id": x, **FOLLOWUP})
    bob.store.update("customer", y, {"phone": "0571-86661111", "website": "https://mm.cn"})
    bob.store.update("contact", cy, {"title": "采购总监"})
    f_bob = bob.store.followups.add({"customer_id": y, **FOLLOWUP, "contact_ids": [cy]})
    c_new = bob.store.create("contact", {"customer_id": y, "name": "王五"})
    # The lead too edits the record being merged away, just before merging: queued first, it
    # reaches the server first, and the empty field of the survivor takes it.
    lead.store.update("customer", y, {"source": "展会"})
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
    assert survivor["source"] == "展会"
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
        lost = [c for c in d.store.conflicts.rows() if c["record_id"] in (x, y)]
        assert len(lost) == 1 and lost[0]["field"] == "phone", d.store.conflicts.rows()
        assert lost[0]["other_value"] == "0571-86661111"
        assert lost[0]["current_value"] == "0571-88889999"
    # The lead and alice hold the merged customer with everything; bob holds none of it.
    for d in (lead, alice):
        assert d.store.get("customer", y) is None
        kids = {
            r["id"]
            for r in d.store.connection().query(
                "SELECT id FROM contacts WHERE customer_id = ?", (x,)
            )
        }
        assert {cx, cy, c_new} <= kids
        assert d.store.require("followup", f_bob)["customer_id"] == x
    assert bob.store.get("customer", x) is None and bob.store.get("customer", y) is None
    assert bob.store.connection().execute("SELECT count(*) FROM contacts").fetchone()[0] == 0
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


# ---- refusals and the cases that try to break it ----------------------------------------------


def _push(d: Device, **op: Any) -> dict[str, Any]:
    """One raw operation sent over HTTP, as a device (or a forger) would."""
    api = d.engine.online_api()
    try:
        body = {"op_id": str(uuid.uuid4()), "action": "merge", "entity": "customer", **op}
        return api.push(d.store.device, [body])[0]
    finally:
        api.close()


def _other_team_user(server: Server) -> str:
    try:
        admin.create_team(server.engine, "华北二组")
        assert server.handle.settings is not None
        admin.create_user(
            server.engine, server.handle.settings, "nina", PASSWORD, role="rep", team="华北二组"
        )
    except admin.AdminError:
        pass  # made by an earlier test of this module
    return "nina"


def test_a_rep_cannot_merge_on_the_device_or_on_the_server(
    trio: tuple[Device, Device, Device], server: Server
) -> None:
    _lead, alice, _bob = trio
    x, y = _customer(alice, "轻鹿家居有限公司"), _customer(alice, "轻鹿家居")
    alice.sync()
    with pytest.raises(MergeRefused) as refused:
        merging.merge(alice.store, "customer", x, [y])
    assert "主管" in refused.value.message.zh and "lead" in refused.value.message.en
    assert alice.store.get("customer", y) is not None and alice.store.journal.pending_count() == 0
    res = _push(alice, record_id=x, fields={"merged": [y], "pick": {}})
    assert res["status"] == "rejected" and res["code"] == "forbidden_role"
    assert not server_records(server, "customer")[y]["deleted"]


def test_adversarial_merges_are_refused(
    trio: tuple[Device, Device, Device], server: Server
) -> None:
    lead, alice, _bob = trio
    x, y, z = (_customer(alice, n) for n in ("甲公司", "甲公司(杭州)", "甲公司集团"))
    contact = alice.store.create("contact", {"customer_id": x, "name": "张三"})
    theirs = make_foreign_customer(server)
    alice.sync(), lead.sync()
    cases = {
        "itself": ({"record_id": x, "fields": {"merged": [x]}}, "merge_self"),
        "across kinds": ({"record_id": x, "fields": {"merged": [contact]}}, "not_found"),
        "another team": ({"record_id": x, "fields": {"merged": [theirs]}}, "not_found"),
        "into another team": ({"record_id": theirs, "fields": {"merged": [x]}}, "not_found"),
        "unknown id": ({"record_id": x, "fields": {"merged": ["no-such-id"]}}, "not_found"),
        "not a list": ({"record_id": x, "fields": {"merged": x}}, "malformed"),
        "foreign field": ({"record_id": x, "fields": {"merged": [y], "extra": 1}}, "malformed"),
        "system field": (
            {"record_id": x, "fields": {"merged": [y], "pick": {"created_at": y}}},
            "invalid",
        ),
        "outside source": (
            {"record_id": x, "fields": {"merged": [y], "pick": {"name": z}}},
            "invalid",
        ),
        "a deal": ({"entity": "deal", "record_id": x, "fields": {"merged": [y]}}, "not_allowed"),
        "huge": (
            {"record_id": x, "fields": {"merged": [f"id{i}" for i in range(100)]}},
            "malformed",
        ),
    }
    for name, (op, code) in cases.items():
        res = _push(lead, **op)
        assert (res["status"], res.get("code")) == ("rejected", code), (name, res)
    for local_case in ([x, [x]], [x, [contact]], [x, [theirs]]):
        with pytest.raises(MergeRefused):
            merging.merge(lead.store, "customer", str(local_case[0]), list(local_case[1]))
    assert lead.store.journal.pending_count() == 0
    # Into a tombstone: y goes into x, then z into y is refused, naming where y went.
    assert _push(lead, record_id=x, fields={"merged": [y]})["status"] == "applied"
    res = _push(lead, record_id=y, fields={"merged": [z]})
    assert (res["status"], res["code"]) == ("rejected", "merged") and x in res["message"]["en"]
    alive = server_records(server, "customer")
    assert not alive[x]["deleted"] and not alive[z]["deleted"] and alive[y]["deleted"]
    assert not alive[theirs]["deleted"]
    # The lead's device has not heard of it and merges z into y there: the server refuses,
    # the device puts z back and keeps the refusal in its list of merges.
    mid = merging.merge(lead.store, "customer", y, [z])
    assert lead.store.get("customer", z) is None
    report = lead.engine.sync()
    assert report.rejected == 1
    assert lead.store.get("customer", z) is not None and lead.store.get("customer", y) is None
    listed = next(m for m in merging.list_merges(lead.store) if m["id"] == mid)
    assert listed["state"] == "rejected" and listed["result"]["code"] == "merged"
    assert_matches_server(lead, server)


def make_foreign_customer(server: Server) -> str:
    """A customer of another team's rep, made through the server's own push."""
    from server.push import push as server_push
    from server.records import Viewer

    nina = _other_team_user(server)
    viewer = Viewer(user_id(server, nina), nina, nina, "rep", None)
    rid = str(uuid.uuid4())
    res = server_push(
        server.engine,
        viewer,
        "test",
        [
            {
                "op_id": str(uuid.uuid4()),
                "entity": "customer",
                "record_id": rid,
                "action": "create",
                "fields": {"name": "北方重工有限公司"},
            }
        ],
    )
    assert res[0]["status"] == "applied", res
    return rid


def test_a_merge_is_idempotent_on_replay(
    trio: tuple[Device, Device, Device], server: Server
) -> None:
    lead, alice, _bob = trio
    x, y = _customer(alice, "乙公司"), _customer(alice, "乙公司有限公司")
    alice.sync(), lead.sync()
    op_id = str(uuid.uuid4())
    first = _push(lead, op_id=op_id, record_id=x, fields={"merged": [y]})
    again = _push(lead, op_id=op_id, record_id=x, fields={"merged": [y]})
    assert first["status"] == "applied" and again["replayed"] is True
    assert {k: v for k, v in again.items() if k != "replayed"} == first
    once_more = _push(lead, record_id=x, fields={"merged": [y]})
    assert once_more["status"] == "merged"
    with server.engine.connect() as conn:
        merges = [
            json.loads(r.data)
            for r in conn.execute(select(records).where(records.c.entity == "merge"))
        ]
    assert sum(1 for m in merges if m["survivor_id"] == x) == 1


def test_a_chain_of_merges_ends_on_the_last_survivor(
    trio: tuple[Device, Device, Device], server: Server
) -> None:
    lead, alice, _bob = trio
    a, b, c = (_customer(alice, n) for n in ("丙科技", "丙科技有限公司", "丙科技股份有限公司"))
    ca = alice.store.create("contact", {"customer_id": a, "name": "赵六"})
    alice.sync(), lead.sync()
    # Alice, offline, keeps working on a; meanwhile a goes into b, then b into c.
    f = alice.store.followups.add({"customer_id": a, **FOLLOWUP, "contact_ids": [ca]})
    alice.store.update("customer", a, {"address": "杭州市西湖区文三路 90 号"})
    merging.merge(lead.store, "customer", b, [a])
    lead.sync()
    merging.merge(lead.store, "customer", c, [b])
    lead.sync()
    alice.sync(), lead.sync()
    assert server_records(server, "followup")[f]["customer_id"] == c
    assert server_records(server, "contact")[ca]["customer_id"] == c
    assert server_records(server, "customer")[c]["data"]["address"] == "杭州市西湖区文三路 90 号"
    for d in (alice, lead):
        assert d.store.require("followup", f)["customer_id"] == c
        assert d.store.require("contact", ca)["customer_id"] == c
        assert merging.survivor_of(d.store, a) == c
        assert d.store.get("customer", a) is None and d.store.get("customer", b) is None
        assert_matches_server(d, server)
    assert set(merging.merged_into(lead.store, c)) == {a, b}
    history = lead.engine.history([c, *merging.merged_into(lead.store, c)])
    assert any(e["record_id"] == a for e in history)


def test_pending_edits_are_redirected_when_the_merge_is_pulled_first(
    trio: tuple[Device, Device, Device], server: Server
) -> None:
    """The outbox redirect: a merge that reaches the device before its queued edits leave."""
    lead, alice, _bob = trio
    x, y = _customer(alice, "丁贸易", industry="贸易"), _customer(alice, "丁贸易有限公司")
    alice.sync(), lead.sync()
    alice.store.update("customer", y, {"industry": "外贸", "region": "华东"})
    f = alice.store.followups.add({"customer_id": y, **FOLLOWUP})
    merging.merge(lead.store, "customer", x, [y], {"industry": x})
    lead.sync()
    version = server_records(server, "customer")[y]["version"]
    with alice.store.connection().atomic():
        merging.apply_pulled(
            alice.store, [RemoteRecord("customer", y, version, True, {"merged_into": x})]
        )
    queued = {op["op_id"]: op for op in alice.store.journal.pending()}
    edit = next(op for op in queued.values() if op["action"] == "update")
    assert (edit["record_id"], edit["base_version"]) == (x, 0)
    new = next(op for op in queued.values() if op["entity"] == "followup")
    assert new["fields"]["customer_id"] == x
    assert alice.store.require("followup", f)["customer_id"] == x
    alice.sync(), lead.sync()
    srv = server_records(server, "customer")[x]["data"]
    assert srv["region"] == "华东" and srv["industry"] == "贸易"
    assert server_records(server, "followup")[f]["customer_id"] == x
    lost = [c for c in alice.store.conflicts.rows() if c["record_id"] == x]
    assert [(c["field"], c["other_value"]) for c in lost] == [("industry", "外贸")]
    assert_matches_server(alice, server)


def test_contacts_merge_moves_their_references(
    trio: tuple[Device, Device, Device], server: Server
) -> None:
    lead, alice, _bob = trio
    x = _customer(alice, "戊制造")
    other = _customer(alice, "己制造")
    c1 = alice.store.create("contact", {"customer_id": x, "name": "钱七", "mobile": "13900001111"})
    c2 = alice.store.create("contact", {"customer_id": x, "name": "钱七", "email": "q7@wu.cn"})
    c3 = alice.store.create("contact", {"customer_id": other, "name": "钱七"})
    deal = alice.store.create(
        "deal", {"customer_id": x, "title": "产线改造", "primary_contact_id": c2}
    )
    f = alice.store.followups.add({"customer_id": x, **FOLLOWUP, "contact_ids": [c1, c2]})
    alice.store.update("deal", deal, {"decision_chain": {"initiator": c2, "veto": c1}})
    alice.sync(), lead.sync()
    with pytest.raises(MergeRefused):
        merging.merge(lead.store, "contact", c1, [c3])
    res = _push(lead, entity="contact", record_id=c1, fields={"merged": [c3]})
    assert (res["status"], res["code"]) == ("rejected", "bad_reference")
    merging.merge(lead.store, "contact", c1, [c2])
    lead.sync(), alice.sync()
    assert server_records(server, "deal")[deal]["data"]["primary_contact_id"] == c1
    chain = server_records(server, "deal")[deal]["data"]["decision_chain"]
    assert chain == {"initiator": c1, "veto": c1}
    assert server_records(server, "followup")[f]["data"]["contact_ids"] == [c1]
    merged = server_records(server, "contact")[c1]["data"]
    assert (merged["mobile"], merged["email"]) == ("13900001111", "q7@wu.cn")
    for d in (lead, alice):
        assert d.store.require("deal", deal)["primary_contact_id"] == c1
        assert d.store.require("deal", deal)["decision_chain"] == {"initiator": c1, "veto": c1}
        assert d.store.require("followup", f)["contact_ids"] == [c1]
        assert d.store.get("contact", c2) is None
        assert_matches_server(d, server)
