"""A first sync by packs (app.sync.bulk) stores what JSON pages store, resumes where it stopped,
merges what the device already holds, and sets aside what it cannot take."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers.syncing import PASSWORD, Device, Server
from sqlalchemy import text

from app.domain.schema import ENTITIES
from app.store.service import Store
from app.sync import quarantine
from app.sync.errors import Cancelled
from server import admin
from server.db import Positions

FOLLOWUP = {
    "type": "demo",
    "due_on": "2026-11-20",
    "conclusion": "客户认可方案,要求补充报价细节",
    "next_action": "周五前发报价单",
}


def _rep(server: Server, name: str) -> str:
    """A rep of their own, so that each test sees only the records it made."""
    assert server.handle.settings is not None
    admin.create_user(
        server.engine, server.handle.settings, name, PASSWORD, role="rep", team="华东一组"
    )
    return name


def _fill(d: Device, customers: int = 12) -> list[str]:
    ids = []
    for i in range(customers):
        cid = d.store.create(
            "customer",
            {
                "name": f"上海轻鹿{i:02d}科技有限公司",
                "owner": d.store.actor,
                "phone": f"021-5915{i:04d}",
            },
        )
        contact = d.store.create(
            "contact",
            {"customer_id": cid, "name": f"张伟{i}", "mobile": f"1381234{i:04d}", "is_key": i % 2},
        )
        d.store.create(
            "deal",
            {
                "customer_id": cid,
                "title": f"样板间{i}",
                "amount": "80000.50",
                "primary_contact_id": contact,
                "pain_points": [{"text": "交付慢", "owner": "采购"}],
            },
        )
        d.store.followups.add({"customer_id": cid, **FOLLOWUP, "contact_ids": [contact]})
        ids.append(cid)
    d.sync()
    return ids


def _everything(store: Store) -> dict[str, Any]:
    """Every stored record as the store reads it, with what is derived beside it, and the
    search index: what two devices in step hold alike."""
    db = store.connection()
    out: dict[str, Any] = {}
    for ent in ENTITIES.values():
        for (rid,) in db.execute(f"SELECT id FROM {ent.table} WHERE _deleted = 0").fetchall():
            out[rid] = store.get(ent.name, rid)
    for table, cols in (("customers", "name_sort, name_key, last_followup_at"),):
        for row in db.execute(f"SELECT id, {cols} FROM {table}").fetchall():
            out[f"{table}:{row[0]}"] = tuple(row[1:])
    out["docs"] = sorted(
        db.execute(
            "SELECT entity, record_id, customer_id, label, body, initials FROM search_docs"
        ).fetchall()
    )
    return out


def _search(store: Store, words: list[str]) -> dict[str, list[str]]:
    return {w: sorted(h.record_id for h in store.search(w)) for w in words}


def test_a_first_sync_by_packs_stores_what_json_pages_store(make_device, server: Server) -> None:
    user = _rep(server, "pia")
    a = make_device("a", user)
    _fill(a)
    by_pack = make_device("b", user, pack_page=7)
    by_json = make_device("c", user, pack_page=0)
    heard: list[tuple[int, int]] = []

    def listen(changes: list[Any]) -> None:
        # Listeners hear of a pack's records once another connection (the UI's) can read them.
        seen = by_pack.store.connection().execute("SELECT count(*) FROM followups").fetchone()[0]
        heard.append((len(changes), seen))

    by_pack.engine.listeners.append(listen)
    report = by_pack.sync()
    by_json.sync()
    assert by_pack.transport.counts.get("POST /sync/pack", 0) >= 7
    assert by_json.transport.counts.get("POST /sync/pack", 0) == 0
    assert report.pulled == by_json.engine.sync().pulled + 48  # everything came once
    assert heard and heard[-1][1] == 12
    held = _everything(by_pack.store)
    assert held == _everything(by_json.store)
    assert held["docs"] and all(v is not None for k, v in held.items() if k.startswith("cust"))
    words = ["张伟3", "13812340007", "1234", "轻鹿", "qlkj", "报价单", "021-59150005"]
    found = _search(by_pack.store, words)
    assert found == _search(by_json.store, words) and all(found.values())
    # Nothing of the packs stays on the disk.
    assert not list(by_pack.store.profile_dir.glob("*.pack"))
    # Later syncs read the JSON feed.
    a.store.update("customer", next(iter(_fill(a, 1))), {"notes": "之后的修改"})
    a.sync()
    before = by_pack.transport.counts.get("POST /sync/pack", 0)
    by_pack.sync()
    assert by_pack.transport.counts.get("POST /sync/pack", 0) == before
    assert _everything(by_pack.store) == _everything(a.store)


def test_a_server_without_packs_is_read_as_json(make_device, server: Server) -> None:
    user = _rep(server, "quinn")
    a = make_device("a", user)
    _fill(a, 4)
    b = make_device("b", user, pack_page=7)
    b.transport.rules.append(lambda r, n: "404" if r.url.path == "/sync/pack" else None)
    b.sync()
    assert b.transport.counts["POST /sync/pack"] == 1
    assert _everything(b.store)["docs"] == _everything(a.store)["docs"]


def test_a_resumed_first_sync_merges_what_it_already_holds(make_device, server: Server) -> None:
    user = _rep(server, "rosa")
    a = make_device("a", user)
    ids = _fill(a, 10)
    b = make_device("b", user, pack_page=4)
    progress: list[int] = []
    with pytest.raises(Cancelled):
        b.engine.sync_or_raise(
            lambda p: progress.append(p.done) if p.phase == "pull" else None,
            cancelled=lambda: bool(progress),
        )
    held = [r[0] for r in b.store.connection().execute("SELECT id FROM customers").fetchall()]
    assert 0 < len(held) < 10
    mine = held[0]
    # Meanwhile the record changes on the server and here, in different fields.
    b.store.update("customer", mine, {"industry": "本机填写的行业"})
    a.store.update("customer", mine, {"notes": "另一台设备的备注"})
    a.sync()
    b.sync()
    got = b.store.require("customer", mine)
    assert (got["industry"], got["notes"]) == ("本机填写的行业", "另一台设备的备注")
    a.sync()
    assert {cid: a.store.require("customer", cid) for cid in ids} == {
        cid: b.store.require("customer", cid) for cid in ids
    }


def test_a_value_of_the_wrong_type_in_a_pack_is_set_aside(make_device, server: Server) -> None:
    user = _rep(server, "sven")
    a = make_device("a", user)
    ids = _fill(a, 3)
    contact = (
        a.store.connection()
        .execute("SELECT id FROM contacts WHERE customer_id = ?", (ids[1],))
        .fetchone()[0]
    )
    with server.engine.begin() as conn:
        data = json.loads(
            conn.execute(text("SELECT data FROM records WHERE id = :id"), {"id": contact}).scalar()
        )
        positions = Positions(conn)
        # The server keeps what it derived: only the device's own check can catch this.
        conn.execute(
            text("UPDATE records SET data = :data, xid = :xid, seq = :seq WHERE id = :id"),
            {
                "data": json.dumps(data | {"is_key": "yes", "title": 7}),
                "xid": positions.xid,
                "seq": positions.seqs(1)[0],
                "id": contact,
            },
        )
    b = make_device("b", user)
    report = b.sync()
    assert report.quarantined == 1
    (item,) = quarantine.held(b.store)
    assert item["record_id"] == contact and "wrong type" in item["reason"]["en"]
    assert b.store.get("contact", contact) is None
    assert len(b.store.connection().execute("SELECT id FROM contacts").fetchall()) == 2
    assert set(ids) == {
        r[0] for r in b.store.connection().execute("SELECT id FROM customers").fetchall()
    }
