"""What devices derive from records (sort keys, search documents) is computed by the server
when it writes, sent with each record, and brought up to date by every upgrade."""

from __future__ import annotations

from helpers.world import World, latest, make_customer, make_deal, new_id, one, op, pull_all, settle
from sqlalchemy import select, update

from app.domain.derived import VERSION, derive
from server import migrate
from server.db import DERIVED_VERSION, records, set_state, state_value, write_tx
from server.maintenance import refresh_derived


def test_pulled_records_carry_what_devices_derive_from_them(world: World) -> None:
    e = world.engine
    cid = make_customer(e, world.ra1, "杭州轻鹿家居有限公司")
    kid = new_id()
    contact = {"customer_id": cid, "name": "张伟", "mobile": "13812341234"}
    assert one(e, world.ra1, op("contact", "create", kid, contact))["status"] == "applied"
    did = make_deal(e, world.ra1, cid)

    settle(e)  # every record in one pull (see settle)
    pulled = latest(pull_all(e, world.ra1)[0])
    c, k = pulled[cid], pulled[kid]
    assert c["derived"] == derive("customer", c["fields"])
    assert c["derived"]["v"] == VERSION
    assert c["derived"]["key"] == "轻鹿家居"
    assert c["derived"]["sort"] == "hang zhou qing lu jia ju you xian gong si"
    body, initials, tokens = k["derived"]["doc"]
    assert (k["derived"]["sort"], initials) == ("zhang wei", "zw")
    assert "张伟" in body and "1234" in tokens.split()
    assert "derived" not in pulled[did]  # nothing is derived from a deal


def test_an_edit_derives_again_and_a_tombstone_carries_nothing(world: World) -> None:
    e = world.engine
    cid = make_customer(e, world.ra1, "轻鹿家居")
    rename = op("customer", "update", cid, {"name": "北京云杉科技"}, base_version=1)
    assert one(e, world.ra1, rename)["status"] == "applied"
    changes, cursor = pull_all(e, world.ra1)
    assert latest(changes)[cid]["derived"]["key"] == "云杉科技"

    gone = op("customer", "delete", cid, base_version=2)
    assert one(e, world.ra1, gone)["status"] == "applied"
    (tombstone,) = pull_all(e, world.ra1, cursor)[0]
    assert tombstone["deleted"] is True and "derived" not in tombstone


def test_an_upgrade_derives_what_another_version_stored(world: World) -> None:
    e = world.engine
    ids = [make_customer(e, world.ra1, f"客户{i}科技有限公司") for i in range(5)]
    with write_tx(e) as conn:  # as a server from before derived values left things
        conn.execute(update(records).values(derived=None))
        set_state(conn, DERIVED_VERSION, 0)
    assert all("derived" not in c for c in pull_all(e, world.ra1)[0])

    migrate.upgrade(e)

    with e.connect() as conn:
        assert state_value(conn, DERIVED_VERSION) == VERSION
        rows = conn.execute(select(records.c.id, records.c.derived)).all()
    assert {r.id for r in rows if r.derived is not None} == set(ids)
    pulled = latest(pull_all(e, world.ra1)[0])
    assert all(pulled[i]["derived"] == derive("customer", pulled[i]["fields"]) for i in ids)
    assert refresh_derived(e) == 0  # current already: nothing is read again
