"""The single write path: row, audit chain, outbox and search index change together."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.store.errors import MoveRefused, NotFound, ValidationFailed
from app.store.service import Store


def test_create_normalises_audits_and_queues(store: Store, customer_id: str) -> None:
    row = store.require("customer", customer_id)
    assert row["phone"] == "0571-88889999" and row["owner"] == "u-rep"
    trail = store.journal.trail(customer_id)
    assert [e["field"] for e in trail] == ["*"]
    assert trail[0]["actor"] == "u-rep" and trail[0]["device"] == store.device
    assert json.loads(trail[0]["new"])["name"] == "轻鹿家居有限公司"
    ops = store.journal.pending()
    assert len(ops) == 1 and ops[0]["action"] == "create" and ops[0]["record_id"] == customer_id
    assert ops[0]["fields"]["credit_code"] == "91350100M000100Y43"


def test_update_records_only_real_changes(store: Store, customer_id: str, clock) -> None:
    clock.advance(minutes=5)
    diff = store.update(
        "customer",
        customer_id,
        {
            "phone": "0571 8888 9999",  # same number, other spelling: not a change
            "industry": "家居制造",
            "email": "Sales@QingLu.com",
        },
    )
    assert diff == {"industry": (None, "家居制造"), "email": (None, "Sales@qinglu.com")}
    trail = store.journal.trail(customer_id)
    assert [(e["field"], e["old"], e["new"]) for e in trail[1:]] == [
        ("industry", None, "家居制造"),
        ("email", None, "Sales@qinglu.com"),
    ]
    op = store.journal.pending()[-1]
    assert op["action"] == "update" and op["fields"] == {
        "industry": "家居制造",
        "email": "Sales@qinglu.com",
    }
    assert op["base"] == {"industry": None, "email": None} and op["base_version"] == 0
    assert store.update("customer", customer_id, {"industry": "家居制造"}) == {}
    assert len(store.journal.pending()) == 2


def test_operation_ids_are_unique(store: Store, customer_id: str) -> None:
    for i in range(5):
        store.update("customer", customer_id, {"notes": f"第{i}次"})
    ids = [op["op_id"] for op in store.journal.pending()]
    assert len(ids) == len(set(ids)) == 6


def test_invalid_input_is_a_message_per_field_and_writes_nothing(store: Store) -> None:
    with pytest.raises(ValidationFailed) as info:
        store.create(
            "customer", {"name": "", "phone": "12345", "credit_code": "123", "owner": "u-rep"}
        )
    assert set(info.value.errors) == {"name", "phone", "credit_code"}
    assert "必填" in info.value.errors["name"].zh
    assert store.journal.pending_count() == 0
    assert store.connection().execute("SELECT count(*) FROM customers").fetchone()[0] == 0


def test_unknown_and_system_fields_are_refused(store: Store, customer_id: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        store.update("customer", customer_id, {"created_at": "2020-01-01T00:00:00", "bogus": 1})
    assert set(info.value.errors) == {"created_at", "bogus"}


def test_a_failure_mid_write_leaves_nothing_behind(
    store: Store, customer_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = (store.journal.pending_count(), len(store.journal.trail(customer_id)))

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk went away")

    monkeypatch.setattr("app.store.search.index_record", broken)
    with pytest.raises(OSError):
        store.update("customer", customer_id, {"industry": "家居"})
    assert store.require("customer", customer_id)["industry"] is None
    assert (store.journal.pending_count(), len(store.journal.trail(customer_id))) == before


def test_audit_chain_detects_an_altered_entry(store: Store, customer_id: str) -> None:
    for value in ("A", "B", "C"):
        store.update("customer", customer_id, {"notes": value})
    assert store.journal.verify(customer_id) == []
    trail = store.journal.trail(customer_id)
    store.connection().execute("UPDATE audit SET new = 'X' WHERE seq = ?", (trail[2]["seq"],))
    assert store.journal.verify(customer_id) == [trail[2]["seq"]]


def test_audit_chain_detects_a_removed_entry(store: Store, customer_id: str) -> None:
    for value in ("A", "B", "C"):
        store.update("customer", customer_id, {"notes": value})
    trail = store.journal.trail(customer_id)
    store.connection().execute("DELETE FROM audit WHERE seq = ?", (trail[1]["seq"],))
    assert store.journal.verify(customer_id) == [trail[2]["seq"]]


def test_followups_are_append_only(store: Store, customer_id: str) -> None:
    fid = store.followups.add(
        {
            "customer_id": customer_id,
            "type": "demo",
            "next_action": "发送报价",
            "conclusion": "客户认可演示效果,希望下周拿到报价",
            "due_on": "2026-11-05",
        }
    )
    with pytest.raises(ValidationFailed):
        store.update("followup", fid, {"conclusion": "改写历史记录的尝试内容"})
    customer = store.require("customer", customer_id)
    assert customer["last_followup_at"] == store.require("followup", fid)["created_at"]


def test_followup_rules_enforced_by_store(store: Store, customer_id: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        store.followups.add(
            {
                "customer_id": customer_id,
                "type": "price_negotiation",
                "conclusion": "已沟通",
                "next_action": "",
                "due_on": "2026-11-05",
            }
        )
    assert set(info.value.errors) == {"conclusion", "next_action", "competitor_comparison"}


def test_missing_record(store: Store) -> None:
    with pytest.raises(NotFound):
        store.update("customer", "nope", {"notes": "x"})


def test_delete_is_a_queued_tombstone(store: Store, customer_id: str) -> None:
    store.delete("customer", customer_id)
    assert store.get("customer", customer_id) is None
    assert store.journal.pending()[-1]["action"] == "delete"
    assert store.search("轻鹿") == []


# ---- deals -----------------------------------------------------------------------------
@pytest.fixture
def deal_id(store: Store, customer_id: str) -> str:
    return store.create(
        "deal", {"customer_id": customer_id, "title": "全屋定制样板间", "amount": "120,000"}
    )


def test_new_deal_starts_in_first_stage(store: Store, deal_id: str, customer_id: str) -> None:
    deal = store.require("deal", deal_id)
    assert deal["stage"] == "contact" and deal["amount"] == "120000.00"
    with pytest.raises(ValidationFailed) as info:
        store.create("deal", {"customer_id": customer_id, "title": "跳级", "stage": "signed"})
    assert set(info.value.errors) == {"stage"}


def test_store_refuses_skip_and_unmet_locks(store: Store, deal_id: str) -> None:
    with pytest.raises(MoveRefused) as info:
        store.deals.move(deal_id, "proposal")
    assert info.value.decision.problems[0].code == "skip"
    with pytest.raises(MoveRefused) as info:
        store.deals.move(deal_id, "needs_diagnosis")
    assert info.value.decision.messages("en") == ["Fill in: Primary contact"]
    assert store.require("deal", deal_id)["stage"] == "contact"


def _satisfy_needs_diagnosis(store: Store, deal_id: str, customer_id: str, tmp: Path) -> None:
    contact = store.create(
        "contact", {"customer_id": customer_id, "name": "张伟", "mobile": "13812345678"}
    )
    store.update("deal", deal_id, {"primary_contact_id": contact})
    store.deals.move(deal_id, "needs_diagnosis")
    chart = tmp / "org.png"
    chart.write_bytes(b"\x89PNG fake org chart")
    store.files.attach(chart, "org_chart", customer_id=customer_id, deal_id=deal_id)
    store.update(
        "deal",
        deal_id,
        {
            "pain_points": [{"text": t, "confirmed": True} for t in ("库存", "交付", "数据")],
            "decision_chain": dict.fromkeys(
                ("initiator", "influencer", "veto", "user", "payer"), contact
            ),
        },
    )


def test_full_walk_through_with_approval(
    store: Store, deal_id: str, customer_id: str, tmp_path: Path
) -> None:
    _satisfy_needs_diagnosis(store, deal_id, customer_id, tmp_path)
    assert store.deals.move(deal_id, "proposal").allowed
    for kind in ("quote", "requirement_confirmation", "implementation_schedule"):
        f = tmp_path / f"{kind}.pdf"
        f.write_bytes(kind.encode())
        store.files.attach(f, kind, customer_id=customer_id, deal_id=deal_id)
    decision = store.deals.move(deal_id, "negotiation")
    assert decision.needs_approval and not decision.allowed
    assert store.require("deal", deal_id)["stage"] == "proposal"
    pending = store.deals.pending_approval(deal_id, "negotiation")
    assert pending is not None and pending["status"] == "pending"
    assert store.deals.request_approval(deal_id, "negotiation") == pending["id"]  # no duplicates
    store.actor = "u-lead"
    with pytest.raises(ValidationFailed):
        store.deals.decide_approval(pending["id"], approve=False)  # rejection needs a comment
    store.deals.decide_approval(pending["id"], approve=True, comment="同意,注意回款节点")
    assert store.require("deal", deal_id)["stage"] == "negotiation"
    actions = [op["action"] for op in store.journal.pending()]
    assert actions[-2:] == ["decide", "stage"]


def test_an_approval_stands_when_the_deal_cannot_move_now(
    store: Store, deal_id: str, customer_id: str, tmp_path: Path
) -> None:
    """The device judges a decision as the server does (app.domain.approvals): a one-letter
    rejection is refused, and an approval whose move is no longer possible is recorded while
    the deal stays (the server answers ``deal_moved: false`` in that case)."""
    _satisfy_needs_diagnosis(store, deal_id, customer_id, tmp_path)
    store.deals.move(deal_id, "proposal")
    for kind in ("quote", "requirement_confirmation", "implementation_schedule"):
        f = tmp_path / f"{kind}.pdf"
        f.write_bytes(kind.encode())
        store.files.attach(f, kind, customer_id=customer_id, deal_id=deal_id)
    assert store.deals.move(deal_id, "negotiation").needs_approval
    pending = store.deals.pending_approval(deal_id, "negotiation")
    assert pending is not None
    store.deals.move(deal_id, "needs_diagnosis", reason="客户要求重新评估需求")
    store.actor = "u-lead"
    with pytest.raises(ValidationFailed) as info:
        store.deals.decide_approval(pending["id"], approve=False, comment="否")
    assert set(info.value.errors) == {"comment"}
    assert store.deals.decide_approval(pending["id"], approve=True) is False
    assert store.require("approval", pending["id"])["status"] == "approved"
    assert store.require("deal", deal_id)["stage"] == "needs_diagnosis"
    # Deciding the same way again changes nothing; the other way is refused.
    assert store.deals.decide_approval(pending["id"], approve=True) is False
    with pytest.raises(ValidationFailed):
        store.deals.decide_approval(pending["id"], approve=False, comment="改主意了")


def test_lost_and_back_need_reasons(store: Store, deal_id: str) -> None:
    with pytest.raises(MoveRefused):
        store.deals.move(deal_id, "lost")
    store.deals.move(deal_id, "lost", reason="预算冻结到明年")
    deal = store.require("deal", deal_id)
    assert deal["stage"] == "lost" and deal["lost_from"] == "contact"
    assert deal["lost_reason"] == "预算冻结到明年"


def test_deal_checklist_for_ui(store: Store, deal_id: str) -> None:
    items = store.deals.checklist(deal_id).items
    assert [(i.lock.key, i.met) for i in items] == [("amount", True), ("primary_contact_id", False)]


def test_attachments_are_content_addressed(store: Store, customer_id: str, tmp_path: Path) -> None:
    a, b = tmp_path / "a.jpg", tmp_path / "b.jpg"
    a.write_bytes(b"same bytes")
    b.write_bytes(b"same bytes")
    id1 = store.files.attach(a, "business_card", customer_id=customer_id)
    id2 = store.files.attach(b, "business_card", customer_id=customer_id)
    r1, r2 = store.require("attachment", id1), store.require("attachment", id2)
    assert r1["sha256"] == r2["sha256"] and store.files.read(r1["sha256"]) == b"same bytes"
    assert len(list(store.files.root.rglob("*"))) == 2  # one folder, one file


def test_change_listeners_hear_every_write(store: Store, customer_id: str) -> None:
    heard: list[tuple[str, str]] = []
    store.listeners.append(lambda changes: heard.extend((c.entity, c.action) for c in changes))
    store.update("customer", customer_id, {"notes": "x"})
    store.create("contact", {"customer_id": customer_id, "name": "李娜"})
    assert heard == [("customer", "update"), ("contact", "create")]


def test_reopening_keeps_device_id(tmp_path: Path) -> None:
    first = Store(tmp_path / "p")
    device = first.device
    first.close()
    again = Store(tmp_path / "p")
    assert again.device == device
    again.close()


def test_conflicts_keep_both_values_and_restore_is_a_normal_edit(
    store: Store, customer_id: str
) -> None:
    store.update("customer", customer_id, {"industry": "家居制造"})
    cid = store.conflicts.record(
        "customer",
        customer_id,
        "industry",
        "家居制造",
        "智能家居",
        other_author="u-lead",
        other_at="2026-11-02T10:00:00",
    )
    assert store.conflicts.count() == 1
    listed = store.conflicts.rows()[0]
    assert (listed["current_value"], listed["other_value"]) == ("家居制造", "智能家居")
    ops = store.journal.pending_count()
    store.conflicts.resolve(cid, restore_other=True)
    assert store.require("customer", customer_id)["industry"] == "智能家居"
    # the restoring edit, and the decision for the server
    assert store.journal.pending_count() == ops + 2 and store.conflicts.count() == 0
    assert [o["action"] for o in store.journal.pending()[-2:]] == ["update", "resolve"]
    cid2 = store.conflicts.record("customer", customer_id, "notes", "a", "b", other_author="x")
    store.conflicts.resolve(cid2, restore_other=False)
    assert store.require("customer", customer_id)["notes"] is None
    assert len(store.conflicts.rows(include_resolved=True)) == 2


def test_stagnation_alerts_after_72_hours(
    store: Store, deal_id: str, customer_id: str, clock
) -> None:
    assert store.alerts.refresh_stagnation() == (0, 0)
    clock.advance(hours=73)
    assert store.alerts.refresh_stagnation() == (1, 0)
    assert store.alerts.refresh_stagnation() == (0, 0)  # one alert, not one per check
    alert = store.connection().execute("SELECT owner, message_en, record_id FROM alerts").fetchone()
    assert alert[0] == "u-rep" and "72 hours" in alert[1] and alert[2] == deal_id
    store.followups.add(
        {
            "customer_id": customer_id,
            "deal_id": deal_id,
            "type": "demo",
            "conclusion": "客户确认预算,下周演示方案",
            "next_action": "准备演示",
            "due_on": "2026-11-09",
        }
    )
    assert store.alerts.refresh_stagnation() == (0, 1)


def test_only_the_owner_raises_stagnation_alerts(store: Store, deal_id: str, clock) -> None:
    store.update("deal", deal_id, {"owner": "u-lead"})  # someone else's deal
    clock.advance(hours=100)
    assert store.alerts.refresh_stagnation() == (0, 0)  # the owner's device will raise it
    store.actor = "u-lead"
    assert store.alerts.refresh_stagnation() == (1, 0)
    alert_id = store.connection().execute("SELECT id FROM alerts").fetchone()[0]
    store.connection().execute(
        "DELETE FROM alerts"
    )  # as if raised but not yet pulled on a second device
    assert store.alerts.refresh_stagnation() == (1, 0)
    assert (
        store.connection().execute("SELECT id FROM alerts").fetchone()[0] == alert_id
    )  # same record


def test_bulk_writes_are_checkpointed_beside_the_writer(tmp_path: Path) -> None:
    """Sync's connection never checkpoints by itself; ``checkpointing`` copies its WAL into
    the database file on a second thread while it keeps writing."""
    bulk = Store(tmp_path, durable=False)
    wal = bulk.path.with_name(bulk.path.name + "-wal")
    before = bulk.path.stat().st_size
    with bulk.checkpointing() as after_commit:
        for i in range(3):
            with bulk.connection().atomic():
                for j in range(200):
                    bulk.create("customer", {"name": f"批量客户{i}-{j}", "owner": "u-rep"})
            after_commit()
    assert bulk.path.stat().st_size > before + 100_000  # without checkpoint(): it stays put
    assert wal.stat().st_size > 0
    ok, frames, copied = bulk.connection().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert ok == 0 and copied == frames
    bulk.close()
    app = Store(tmp_path)
    assert app.connection().execute("SELECT count(*) FROM customers").fetchone()[0] == 600
    app.close()


def _index_names(store: Store) -> set[str]:
    rows = store.connection().execute("SELECT name FROM sqlite_master WHERE type = 'index'")
    return {r[0] for r in rows}


def test_deferred_indexes_are_built_in_part_or_beside_other_work(store: Store) -> None:
    """After a first sync: some deferred indexes are built at once (``only``), the rest on a
    second connection while the sync's own connection reads and writes."""
    from app.store.service import DEFERRED_INDEXES, DEFERRED_META

    for i in range(30):
        store.create(
            "customer",
            {"name": f"索引测试{i:02d}有限公司", "email": f"i{i}@example.cn", "owner": "u-rep"},
        )
    store.defer_indexes()
    assert not set(DEFERRED_INDEXES) & _index_names(store)

    store.restore_indexes(only=["followups_deal"])
    assert "followups_deal" in _index_names(store)
    left = json.loads(store.meta(DEFERRED_META) or "{}")
    assert set(left) == set(DEFERRED_INDEXES) - {"followups_deal"}

    with store.restoring_indexes():
        # The block's own reads go on.
        assert store.connection().execute("SELECT count(*) FROM customers").fetchone()[0] == 30
    assert set(DEFERRED_INDEXES) <= _index_names(store)
    assert store.meta(DEFERRED_META) is None
    plan = (
        store.connection()
        .execute("EXPLAIN QUERY PLAN SELECT id FROM customers WHERE email = 'i3@example.cn'")
        .fetchall()
    )
    assert "customers_email" in str(plan)
    # Nothing deferred: the block just runs.
    with store.restoring_indexes():
        store.set_meta("reports", "again")
    assert store.meta("reports") == "again"


def test_a_failed_block_still_waits_for_the_deferred_indexes(store: Store) -> None:
    from app.store.service import DEFERRED_INDEXES, DEFERRED_META

    store.defer_indexes()
    with pytest.raises(RuntimeError, match="report failed"), store.restoring_indexes():
        raise RuntimeError("report failed")
    # The second connection's work was waited for and committed, not left running.
    assert set(DEFERRED_INDEXES) <= _index_names(store)
    assert store.meta(DEFERRED_META) is None
