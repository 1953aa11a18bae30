"""Two or more real client profiles syncing with a real server over loopback (SPEC S1–S6)."""

from __future__ import annotations

import gc
import json
from typing import Any

import httpx
import pytest
from helpers.syncing import PASSWORD, Device, Server, snapshot, user_id

from app.domain.rules import default_rules
from app.store.errors import MoveRefused
from app.store.files import MAGIC
from server import admin


def new_customer(d: Device, name: str = "轻鹿家居有限公司", **extra: Any) -> str:
    return d.store.create("customer", {"name": name, "owner": d.store.actor, **extra})


def test_different_fields_merge(make_device) -> None:
    a, b = make_device("a"), make_device("b")
    cid = new_customer(a)
    a.sync()
    b.sync()
    a.store.update("customer", cid, {"industry": "家居制造"})
    b.store.update("customer", cid, {"email": "buy@qinglu.cn"})
    a.sync(), b.sync(), a.sync()
    for d in (a, b):
        row = d.store.require("customer", cid)
        assert (row["industry"], row["email"]) == ("家居制造", "buy@qinglu.cn")
    assert snapshot(a.store) == snapshot(b.store)
    assert a.store.conflicts.count() == b.store.conflicts.count() == 0


def test_same_field_conflict_keeps_the_loser_restorable(make_device) -> None:
    a, b = make_device("a"), make_device("b")
    cid = new_customer(a)
    a.sync(), b.sync()
    a.store.update("customer", cid, {"notes": "客户要求先试用"})
    b.store.update("customer", cid, {"notes": "客户预算已批"})
    a.sync()
    report = b.sync()
    assert report.conflicts == 1
    a.sync()
    # One value everywhere (the server's order decided, not any device clock) ...
    assert a.store.require("customer", cid)["notes"] == b.store.require("customer", cid)["notes"]
    assert a.store.require("customer", cid)["notes"] == "客户要求先试用"
    # ... and the other one kept, marked on the device whose edit lost.
    lost = b.store.conflicts.rows()[0]
    assert (lost["field"], lost["current_value"], lost["other_value"]) == (
        "notes",
        "客户要求先试用",
        "客户预算已批",
    )
    assert lost["lost_here"] == 1 and a.store.conflicts.rows()[0]["lost_here"] == 0
    b.store.conflicts.resolve(lost["id"], restore_other=True)
    b.sync(), a.sync()
    assert a.store.require("customer", cid)["notes"] == "客户预算已批"
    assert a.store.conflicts.count() == b.store.conflicts.count() == 0


def test_lost_response_after_commit_applies_nothing_twice(make_device) -> None:
    a = make_device("a")
    cid = new_customer(a)
    for i in range(3):
        a.store.followups.add(
            {
                "customer_id": cid,
                "type": "demo",
                "due_on": "2026-11-20",
                "conclusion": f"第{i}次演示:客户认可方案细节",
                "next_action": "报价",
            }
        )
    # The server commits the push, then the connection dies before the answer arrives.
    a.transport.rules.append(
        lambda r, n: "drop-response" if r.url.path == "/sync/push" and n == 1 else None
    )
    a.sync()
    assert a.transport.counts["POST /sync/push"] == 2  # retried with the same operation ids
    b = make_device("b")
    b.sync()
    assert len(snapshot(b.store, "followups")) == 3
    assert a.store.journal.pending_count() == 0
    # the derived "last follow-up" arrives with the follow-ups
    newest = max(r["created_at"] for r in snapshot(b.store, "followups").values())
    assert b.store.require("customer", cid)["last_followup_at"] == newest


def test_duplicate_and_reordered_batches(make_device, server: Server) -> None:
    a = make_device("a")
    cid = new_customer(a)
    a.store.update("customer", cid, {"notes": "一"})
    a.store.update("customer", cid, {"notes": "二"})
    ops = [a.engine._payload(a.store, op) for op in a.store.journal.pending()]
    api = a.engine._api(server.url, a.engine.session())
    a.engine._ensure_access(api, a.engine.session())
    try:
        first = api.push(a.store.device, ops)
        again = api.push(a.store.device, list(reversed(ops)))
    finally:
        api.close()
    assert [r["status"] in ("applied", "merged") for r in first] == [True, True, True]
    by_id = {r["op_id"]: r for r in first}
    for r in again:  # a replay returns the first answer and changes nothing
        assert r["status"] == by_id[r["op_id"]]["status"]
    a.sync()
    assert a.store.require("customer", cid)["notes"] == "二"


@pytest.mark.parametrize("fault", ["500", "timeout"])
def test_server_failure_mid_batch_then_recovery(make_device, fault: str) -> None:
    a = make_device("a", push_batch=5)
    cid = new_customer(a)
    for i in range(12):
        a.store.update("customer", cid, {"notes": f"修改{i}"})
    a.transport.rules.append(lambda r, n: fault if r.url.path == "/sync/push" and n >= 2 else None)
    report = a.engine.sync()
    assert (
        report.error is not None and a.store.journal.pending_count() == 8
    )  # first batch confirmed
    a.transport.rules.clear()
    a.sync()
    b = make_device("b")
    b.sync()
    assert b.store.require("customer", cid)["notes"] == "修改11"
    assert a.store.journal.pending_count() == 0


# A first sync takes the feed as packs; later syncs, and servers without packs, as JSON pages.
FEEDS = {"json": "/sync/pull", "pack": "/sync/pack"}


def pull_failing_from(
    make_device,
    fault: str,
    request: int,
    *,
    customers: int = 30,
    page: int = 7,
    feed: str = "json",
) -> tuple[Device, Device]:
    """Device a with ``customers`` synced ones, and device b whose first-sync pulls (``page``
    records each, of ``feed``) meet ``fault`` from its ``request``-th pull request on."""
    a = make_device("a")
    for i in range(customers):
        new_customer(a, f"客户{i:02d}有限公司")
    a.sync()
    b = make_device("b", pull_page=page, pack_page=page if feed == "pack" else 0)
    b.transport.rules.append(
        lambda r, n: fault if r.url.path == FEEDS[feed] and n >= request else None
    )
    return a, b


@pytest.mark.parametrize("feed", FEEDS)
def test_connection_cut_mid_pull(make_device, feed: str) -> None:
    a, b = pull_failing_from(make_device, "timeout", 3, feed=feed)
    assert b.engine.sync().error is not None
    partial = len(snapshot(b.store))
    assert 0 < partial < 30
    b.transport.rules.clear()
    b.sync()
    assert snapshot(b.store) == snapshot(a.store)


@pytest.mark.parametrize("feed", FEEDS)
def test_unreadable_pull_page_stops_the_sync_and_keeps_what_came_before(
    make_device, feed: str
) -> None:
    a, b = pull_failing_from(make_device, "garbled", 3, feed=feed)
    report = b.engine.sync()
    assert report.error is not None and "trouble" in report.error.en
    # The pages before it stay, committed with their cursor; the next sync goes on from there.
    assert 0 < len(snapshot(b.store)) < len(snapshot(a.store))
    b.transport.rules.clear()
    b.sync()
    assert snapshot(b.store) == snapshot(a.store)


def own_customers(server: Server, make_device, name: str) -> Device:
    """Device a of a new rep with 30 synced customers: their feed holds only those."""
    assert server.handle.settings is not None
    admin.create_user(server.engine, server.handle.settings, name, PASSWORD, role="rep")
    a = make_device("a", name)
    for i in range(30):
        new_customer(a, f"客户{i:02d}有限公司")
    a.sync()
    return a


def test_pages_are_committed_in_groups_and_listeners_hear_once_readable(
    server: Server, make_device
) -> None:
    a = own_customers(server, make_device, "grace")
    # Pages of 5, committed once 12 records are written: every third page, and the last.
    b = make_device("b", "grace", pull_page=5, pack_page=0, commit_every=12, commit_seconds=3600)
    heard: list[tuple[int, int, int]] = []

    def listen(changes: list[Any]) -> None:
        created = sum(c.entity == "customer" and c.action == "create" for c in changes)
        # Another connection (the UI's) reads what it is told of: it is committed.
        visible = b.store.connection().execute("SELECT count(*) FROM customers").fetchone()[0]
        heard.append((len(changes), created, visible))

    b.engine.listeners.append(listen)
    b.sync()
    assert [h for h in heard if h[0]] == [(15, 15, 15), (15, 15, 30)]
    assert snapshot(b.store) == snapshot(a.store)

    # However few records came, a group open for its time is committed: each page, here.
    c = make_device("c", "grace", pull_page=5, pack_page=0, commit_every=1000, commit_seconds=0)
    pages: list[int] = []
    c.engine.listeners.append(lambda changes: pages.append(len(changes)))
    c.sync()
    assert [n for n in pages if n] == [5] * 6


def test_a_failure_mid_group_keeps_the_whole_pages_before_it(server: Server, make_device) -> None:
    a = own_customers(server, make_device, "gina")
    # The fourth pull fails: three pages of 7 were written in a group not yet full.
    b = make_device("b", "gina", pull_page=7, pack_page=0, commit_every=1000, commit_seconds=3600)
    b.transport.rules.append(
        lambda r, n: "garbled" if r.url.path == "/sync/pull" and n >= 4 else None
    )
    assert b.engine.sync().error is not None
    assert len(snapshot(b.store)) == 21
    cursor = b.store.meta("cursor")
    assert cursor is not None
    b.transport.rules.clear()
    b.sync()
    assert snapshot(b.store) == snapshot(a.store)


@pytest.mark.parametrize("feed", FEEDS)
def test_the_cycle_collector_rests_during_a_pull_and_is_back_after(make_device, feed: str) -> None:
    _, b = pull_failing_from(make_device, "garbled", 2, customers=12, page=5, feed=feed)
    during: list[bool] = []
    b.engine.listeners.append(lambda changes: during.append(gc.isenabled()))
    assert b.engine.sync().error is not None
    assert during == [False] and gc.isenabled()  # switched back on after a failed pull too
    b.transport.rules.clear()
    during.clear()
    assert b.engine.sync().error is None
    assert during and not any(during) and gc.isenabled()


def test_thousand_queued_edits_in_one_sync_in_order(make_device) -> None:
    a = make_device("a")
    cid = new_customer(a)
    a.sync()
    for i in range(1000):
        a.store.update("customer", cid, {"notes": f"离线修改第{i}次"})
    assert a.store.journal.pending_count() == 1000
    report = a.sync()
    assert report.pushed == 1000 and a.store.journal.pending_count() == 0
    b = make_device("b")
    b.sync()
    assert b.store.require("customer", cid)["notes"] == "离线修改第999次"


def test_revoked_session_keeps_working_and_the_queue(make_device, server: Server) -> None:
    a = make_device("a", user="bob")
    cid = new_customer(a)
    a.sync()
    assert server.handle.settings is not None
    admin.set_password(server.engine, server.handle.settings, "bob", "new password 77")
    a.engine.session().access_token = None  # the short-lived token ran out meanwhile
    a.store.update("customer", cid, {"notes": "离线时的修改"})
    report = a.engine.sync()
    assert report.error is not None and "sign in again" in report.error.en
    a.store.update("customer", cid, {"industry": "继续工作"})  # work goes on
    assert a.store.journal.pending_count() == 2
    a.engine.sign_in(server.url, "bob", "new password 77")
    a.sync()
    assert a.store.journal.pending_count() == 0
    admin.set_password(server.engine, server.handle.settings, "bob", PASSWORD)


def test_profile_is_bound_to_one_account(make_device, server: Server) -> None:
    a = make_device("a")
    from app.sync.errors import SyncError

    with pytest.raises(SyncError, match="belongs to alice"):
        a.engine.sign_in(server.url, "bob", PASSWORD)


def test_wrong_password_is_a_clear_refusal(tmp_path, server: Server) -> None:
    from app.sync.engine import SyncEngine
    from app.sync.errors import Refused

    with pytest.raises(Refused) as info:
        SyncEngine(tmp_path / "x").sign_in(server.url, "alice", "wrong")
    assert info.value.status == 401 and "Wrong user name or password" in info.value.message.en


def test_reassigned_customer_leaves_with_edits_saved(make_device, server: Server) -> None:
    a, b = make_device("a", user="alice"), make_device("b", user="bob")
    cid = new_customer(a, "搬家客户有限公司")
    contact = a.store.create("contact", {"customer_id": cid, "name": "赵敏"})
    a.sync()
    a.store.update("contact", contact, {"title": "采购总监"})  # typed, not yet synced
    admin.assign_customer(server.engine, cid, "bob")
    a.sync()
    assert a.store.get("customer", cid) is None and a.store.get("contact", contact) is None
    # The server refused the late edit (alice no longer owns the customer); what she typed
    # stays in her conflict list instead of vanishing with the record.
    kept = [c for c in a.store.conflicts.rows() if c["record_id"] == contact]
    assert [(c["field"], c["other_value"], c["lost_here"]) for c in kept] == [
        ("title", "采购总监", 1)
    ]
    assert a.store.journal.rejected() == [] and a.store.journal.pending_count() == 0
    b.sync()
    assert b.store.require("contact", contact)["name"] == "赵敏"
    assert b.store.require("customer", cid)["owner"] == user_id(server, "bob")


def test_rejected_stage_change_returns_and_blocks_nothing(make_device, server: Server) -> None:
    a = make_device("a")
    cid = new_customer(a)
    contact = a.store.create("contact", {"customer_id": cid, "name": "钱进"})
    deal = a.store.create(
        "deal",
        {"customer_id": cid, "title": "样板间", "amount": "80000", "primary_contact_id": contact},
    )
    a.sync()
    # The admin adds a lock the device does not know yet.
    rules = json.loads(json.dumps(default_rules().raw))
    rules["stages"][0]["exit_locks"].append(
        {"kind": "field", "key": "expected_close", "zh": "预计成交", "en": "Expected close"}
    )
    admin.load_rules(server.engine, json.dumps(rules, ensure_ascii=False))
    a.store.deals.move(deal, "needs_diagnosis")  # allowed by the old local rules
    a.store.update("customer", cid, {"notes": "同一批的其他修改"})
    report = a.sync()
    assert report.rejected == 1
    assert a.store.require("deal", deal)["stage"] == "contact"
    refused = a.store.journal.rejected()[0]
    assert refused["action"] == "stage" and "Expected close" in json.dumps(refused["result"])
    b = make_device("b")
    b.sync()
    assert b.store.require("customer", cid)["notes"] == "同一批的其他修改"
    # The new rules reached the device: the same move is now refused locally, with the reason.
    with pytest.raises(MoveRefused, match="Expected close"):
        a.store.deals.move(deal, "needs_diagnosis")
    admin.load_rules(server.engine, json.dumps(default_rules().raw, ensure_ascii=False))


def test_attachment_files_travel_and_are_checked(make_device, tmp_path) -> None:
    a, b = make_device("a"), make_device("b")
    cid = new_customer(a)
    card = tmp_path / "card.jpg"
    card.write_bytes(bytes(range(256)) * 5000)  # > 1 MiB: several upload chunks
    att = a.store.files.attach(card, "business_card", customer_id=cid)
    a.sync(), b.sync()
    sha = b.store.require("attachment", att)["sha256"]
    assert not b.store.files.path(sha).exists()  # rows first, files on demand
    path = b.engine.fetch_file(sha)
    assert path.read_bytes() == card.read_bytes()  # the server got the plain bytes
    # At rest on both devices only the sealed copy is kept.
    for device in (a, b):
        kept = device.store.files.path(sha).read_bytes()
        assert kept.startswith(MAGIC) and card.read_bytes()[:4096] not in kept


def test_sync_is_one_at_a_time(make_device) -> None:
    import filelock

    a = make_device("a")
    with filelock.FileLock(str(a.engine.profile_dir / "sync.lock")):
        report = a.engine.sync()
    assert report.error is not None and "already running" in report.error.en


def test_offline_is_a_clear_message_and_keeps_everything(make_device) -> None:
    a = make_device("a")
    new_customer(a)

    def down(request: httpx.Request, n: int) -> str:
        return "timeout"

    a.transport.rules.append(down)
    report = a.engine.sync()
    assert report.error is not None and "kept" in report.error.en
    assert a.store.journal.pending_count() == 1
    state = a.engine.state()
    assert state.online is False and state.pending == 1 and state.last_error is not None


def test_without_an_os_keyring_sign_in_lasts_for_the_run(
    make_device, server: Server, tmp_path
) -> None:
    import keyring
    from keyring.backends.fail import Keyring as NoKeyring

    from app.sync.session import NO_KEYRING

    keyring.set_keyring(NoKeyring())
    a = make_device("a")
    session = a.engine.session()
    assert not session.persistent and session.warning == NO_KEYRING
    new_customer(a)
    a.sync()  # works for this run, the token kept in memory only
    assert a.store.journal.pending_count() == 0
    token = session.refresh_token()
    assert token
    for path in tmp_path.rglob("*"):  # profile, WAL files, keyring folder: nowhere on disk
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path


def test_interrupted_download_resumes(make_device, tmp_path) -> None:
    a, b = make_device("a"), make_device("b")
    cid = new_customer(a)
    big = tmp_path / "contract.pdf"
    big.write_bytes(bytes(range(256)) * 12_000)  # ~3 MB
    att = a.store.files.attach(big, "contract", customer_id=cid)
    a.sync(), b.sync()
    sha = b.store.require("attachment", att)["sha256"]
    target = b.store.files.path(sha)
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    part.write_bytes(big.read_bytes()[:1_000_000])  # what arrived before the cut
    seen: list[str | None] = []
    b.transport.rules.append(
        lambda r, n: seen.append(r.headers.get("range")) if "/attachments/" in r.url.path else None
    )
    assert b.engine.fetch_file(sha).read_bytes() == big.read_bytes()
    assert seen == ["bytes=1000000-"]  # only the rest was asked for


def test_a_sync_leaves_its_writes_in_the_database_file(make_device) -> None:
    """Sync's connection never checkpoints on its own; the app's connection, open all along,
    must not inherit the whole pull's WAL for its next small write."""
    a = make_device("a")
    for i in range(300):
        new_customer(a, f"客户{i:03d}有限公司")
    a.sync()
    b = make_device("b")  # its app connection stays open while it syncs
    before = b.store.path.stat().st_size
    b.sync()
    names = {r["name"] for r in snapshot(b.store, "customers").values()}
    assert {f"客户{i:03d}有限公司" for i in range(300)} <= names  # the module shares a server
    assert b.store.path.stat().st_size > before + 100_000


def test_pulled_records_sort_and_search_like_records_made_on_the_device(make_device) -> None:
    """The server sends what it derived (sort keys, search documents); a device that stores
    it must end up exactly where the device that typed the records is."""
    a = make_device("a")
    cid = new_customer(a, "杭州轻鹿家居有限公司", phone="0571-88886666")
    kid = a.store.create("contact", {"customer_id": cid, "name": "张伟", "mobile": "13812341234"})
    fid = a.store.followups.add(
        {
            "customer_id": cid,
            "type": "demo",
            "due_on": "2026-12-01",
            "conclusion": "客户认可方案,下周报价",
            "next_action": "报价",
        }
    )
    a.sync()
    b = make_device("b")
    b.sync()

    def derived(d: Device) -> list[Any]:
        q = d.store.connection().execute
        return [
            q("SELECT name_sort, name_key FROM customers WHERE id = ?", (cid,)).fetchall(),
            q("SELECT name_sort FROM contacts WHERE id = ?", (kid,)).fetchall(),
            q(
                "SELECT entity, record_id, customer_id, label, body, initials FROM search_docs "
                "WHERE record_id IN (?, ?, ?) ORDER BY record_id",
                (cid, kid, fid),
            ).fetchall(),
        ]

    assert derived(b) == derived(a)
    assert len(derived(b)[2]) == 3
    assert cid in {h.record_id for h in b.store.search("鹿家")}
    assert kid in {h.record_id for h in b.store.search("zw 1234")}
    assert fid in {h.record_id for h in b.store.search("报价")}


@pytest.mark.parametrize("feed", FEEDS)
def test_first_sync_builds_its_secondary_indexes_once_and_an_interrupted_one_resumes(
    make_device, feed: str
) -> None:
    """A first sync drops the look-up indexes while it pulls and builds them at its end; one
    stopped half-way leaves them to the sync that resumes it, which ends with every record
    and the same indexes as a store that never synced."""
    from app.store.service import DEFERRED_INDEXES, DEFERRED_META
    from app.sync.errors import Cancelled

    a = make_device("a")
    for i in range(60):
        cid = new_customer(a, f"索引客户{i:02d}有限公司", email=f"c{i}@example.cn")
        a.store.create(
            "contact", {"customer_id": cid, "name": f"联系人{i}", "mobile": f"1380000{i:04d}"}
        )
    a.sync()

    def indexes(d: Device) -> dict[str, str]:
        return dict(
            d.store.connection()
            .execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
            .fetchall()
        )

    b = make_device("b", pull_page=20, pack_page=20 if feed == "pack" else 0)
    before = indexes(b)
    assert set(DEFERRED_INDEXES) <= set(before)
    pages: list[int] = []

    def progress(p: Any) -> None:
        if p.phase == "pull":
            pages.append(p.done)

    with pytest.raises(Cancelled):
        b.engine.sync_or_raise(progress, cancelled=lambda: len(pages) >= 1)
    assert b.store.meta("cursor")  # pages were stored
    assert b.store.meta(DEFERRED_META)
    assert not set(DEFERRED_INDEXES) & set(indexes(b))
    # Meanwhile the store answers as it would with them (only slower).
    assert b.store.connection().execute(
        "SELECT count(*) FROM contacts WHERE mobile = '13800000003'"
    ).fetchone()[0] in (0, 1)

    b.sync()
    assert indexes(b) == before
    assert b.store.meta(DEFERRED_META) is None
    assert snapshot(b.store) == snapshot(a.store)
    assert snapshot(b.store, "contacts") == snapshot(a.store, "contacts")
    # A later sync (cursor kept) leaves the indexes alone.
    b.sync()
    assert indexes(b) == before and b.store.meta(DEFERRED_META) is None
