"""Push: idempotency, per-operation results, merge and conflicts, stage rules, approvals."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from helpers.world import World, customer, make_customer, make_deal, new_id, one, op, pull_all
from sqlalchemy import func, select

from server.db import audit, blob_uploaders, blobs, operations, records
from server.push import push


def _count(world: World, table: Any) -> int:
    with world.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_same_operation_twice_is_applied_once(world: World) -> None:
    o = customer(world.ra1)
    first = push(world.engine, world.ra1, "d", [o])[0]
    again = push(world.engine, world.ra1, "d", [o, o])
    assert first["status"] == "applied"
    assert [r["status"] for r in again] == ["applied", "applied"]
    assert all(r["replayed"] for r in again)
    assert {k: v for k, v in again[0].items() if k != "replayed"} == first
    assert _count(world, operations) == 1
    assert _count(world, records) == 1


def test_someone_elses_operation_id_is_refused(world: World) -> None:
    o = customer(world.ra1)
    one(world.engine, world.ra1, o)
    theirs = customer(world.rb1)
    theirs["op_id"] = o["op_id"]
    assert one(world.engine, world.rb1, theirs)["code"] == "op_id_taken"


def test_a_rejected_operation_does_not_block_the_rest(world: World) -> None:
    cid = new_id()
    ops = [
        op("customer", "create", new_id(), {"owner": world.ra1.id}),  # no name
        op("customer", "create", cid, {"name": "星河科技", "owner": world.ra1.id}),
        op("widget", "create", new_id(), {}),
        op("customer", "explode", cid, {}),
        {"op_id": "x" * 10, "nonsense": True},
        "not even an object",
        op(
            "contact",
            "create",
            new_id(),
            {"customer_id": cid, "name": "陈经理", "mobile": "138 0013 8000"},
        ),
    ]
    results = push(world.engine, world.ra1, "d", ops)
    codes = [(r["status"], r.get("code")) for r in results]
    assert codes == [
        ("rejected", "invalid"),
        ("applied", None),
        ("rejected", "unknown_entity"),
        ("rejected", "unknown_action"),
        ("rejected", "malformed"),
        ("rejected", "malformed"),
        ("applied", None),
    ]
    for r in results:
        if r["status"] == "rejected":
            assert r["message"]["zh"] and r["message"]["en"]
    assert "name" in results[0]["errors"]
    assert results[6]["record"]["fields"]["mobile"] == "13800138000"


def test_rep_cannot_create_or_edit_under_another_reps_customer(world: World) -> None:
    cid = make_customer(world.engine, world.ra1)
    res = one(
        world.engine,
        world.ra2,
        op("contact", "create", new_id(), {"customer_id": cid, "name": "偷看者"}),
    )
    assert res["code"] == "not_found"
    res = one(
        world.engine, world.ra2, op("customer", "update", cid, {"name": "改名"}, base_version=1)
    )
    assert res["code"] == "not_found"
    res = one(world.engine, world.ra2, customer(world.ra1))  # a customer owned by someone else
    assert res["code"] == "forbidden_owner"
    # The team lead may edit the team's customers; another team's lead may not.
    assert (
        one(
            world.engine,
            world.la,
            op("customer", "update", cid, {"notes": "主管备注"}, base_version=1),
        )["status"]
        == "applied"
    )
    assert (
        one(world.engine, world.lb, op("customer", "update", cid, {"notes": "x"}, base_version=2))[
            "code"
        ]
        == "not_found"
    )


def test_different_fields_merge(world: World) -> None:
    cid = make_customer(world.engine, world.ra1)
    a = one(
        world.engine,
        world.ra1,
        op(
            "customer",
            "update",
            cid,
            {"phone": "0571-88886666"},
            base_version=1,
            base={"phone": None},
        ),
    )
    b = one(
        world.engine,
        world.la,
        op(
            "customer", "update", cid, {"industry": "家居"}, base_version=1, base={"industry": None}
        ),
    )
    assert a["status"] == "applied" and b["status"] == "merged"
    fields = b["record"]["fields"]
    assert fields["phone"] == "0571-88886666" and fields["industry"] == "家居"


def test_same_field_conflict_keeps_first_and_records_the_loser(world: World) -> None:
    cid = make_customer(world.engine, world.ra1)
    first = one(
        world.engine,
        world.la,
        op(
            "customer", "update", cid, {"notes": "主管的说法"}, base_version=1, base={"notes": None}
        ),
    )
    second = one(
        world.engine,
        world.ra1,
        op(
            "customer", "update", cid, {"notes": "销售的说法"}, base_version=1, base={"notes": None}
        ),
    )
    assert first["status"] == "applied"
    assert second["status"] == "conflict"
    assert second["record"]["fields"]["notes"] == "主管的说法"
    (c,) = second["conflicts"]
    assert (c["field"], c["kept"], c["lost"]) == ("notes", "主管的说法", "销售的说法")
    # The conflict is a record the affected users pull: the owner and the team lead.
    for viewer in (world.ra1, world.la):
        changes, _ = pull_all(world.engine, viewer)
        conflicts = [x for x in changes if x["entity"] == "conflict"]
        assert conflicts and conflicts[0]["fields"]["lost"] == "销售的说法"
    changes, _ = pull_all(world.engine, world.ra2)
    assert not changes
    # Resolving it is an operation too.
    res = one(world.engine, world.ra1, op("conflict", "resolve", c["conflict_id"]))
    assert res["status"] == "applied" and res["record"]["fields"]["resolved"] is True


def test_conflict_is_decided_by_arrival_not_by_device_clock(world: World) -> None:
    cid = make_customer(world.engine, world.ra1)
    early = op("customer", "update", cid, {"notes": "早"}, base_version=1)
    late = op("customer", "update", cid, {"notes": "晚"}, base_version=1)
    early["at"], late["at"] = "2030-01-01T00:00:00", "1999-01-01T00:00:00"
    one(world.engine, world.ra1, early)
    res = one(world.engine, world.la, late)
    assert res["record"]["fields"]["notes"] == "早"


def test_json_fields_merge_key_by_key_and_item_by_item(world: World) -> None:
    cid = make_customer(world.engine, world.ra1)
    chain = {"initiator": "王总"}
    pains = [{"text": "库存不准", "confirmed": True}]
    did = make_deal(world.engine, world.ra1, cid, decision_chain=chain, pain_points=pains)
    one(
        world.engine,
        world.la,
        op(
            "deal",
            "update",
            did,
            {
                "decision_chain": {**chain, "payer": "财务李"},
                "pain_points": [*pains, {"text": "报表慢", "confirmed": True}],
            },
            base_version=1,
            base={"decision_chain": chain, "pain_points": pains},
        ),
    )
    res = one(
        world.engine,
        world.ra1,
        op(
            "deal",
            "update",
            did,
            {
                "decision_chain": {**chain, "veto": "IT 部"},
                "pain_points": [*pains, {"text": "审批慢", "confirmed": False}],
            },
            base_version=1,
            base={"decision_chain": chain, "pain_points": pains},
        ),
    )
    assert res["status"] == "merged"
    f = res["record"]["fields"]
    assert f["decision_chain"] == {"initiator": "王总", "payer": "财务李", "veto": "IT 部"}
    assert [p["text"] for p in f["pain_points"]] == ["库存不准", "报表慢", "审批慢"]


def test_stale_and_bad_base_versions(world: World) -> None:
    cid = make_customer(world.engine, world.ra1)
    res = one(
        world.engine, world.ra1, op("customer", "update", cid, {"notes": "n"}, base_version=99)
    )
    assert res["code"] == "bad_base_version"
    res = one(
        world.engine, world.ra1, op("customer", "update", new_id(), {"notes": "n"}, base_version=1)
    )
    assert res["code"] == "not_found"


def test_system_and_unknown_fields_are_refused(world: World) -> None:
    cid = make_customer(world.engine, world.ra1)
    did = make_deal(world.engine, world.ra1, cid)
    res = one(
        world.engine, world.ra1, op("deal", "update", did, {"stage": "signed"}, base_version=1)
    )
    assert res["code"] == "stage_via_stage_op"
    res = one(
        world.engine, world.ra1, op("deal", "update", did, {"lost_reason": "x"}, base_version=1)
    )
    assert res["code"] == "invalid"
    res = one(
        world.engine, world.ra1, op("customer", "update", cid, {"colour": "red"}, base_version=1)
    )
    assert res["code"] == "invalid" and "colour" in res["errors"]
    res = one(
        world.engine, world.ra1, op("customer", "update", cid, {"name": {"a": 1}}, base_version=1)
    )
    assert res["code"] == "invalid"


def test_followups_and_attachments_are_append_only(world: World) -> None:
    cid = make_customer(world.engine, world.ra1)
    fid = new_id()
    good = {
        "customer_id": cid,
        "type": "consultation",
        "conclusion": "客户关心交付周期,我方承诺两周",
        "next_action": "发送方案",
        "due_on": "2026-03-05",
    }
    assert one(world.engine, world.ra1, op("followup", "create", fid, good))["status"] == "applied"
    res = one(
        world.engine, world.ra1, op("followup", "update", fid, {"conclusion": "改"}, base_version=1)
    )
    assert res["code"] == "append_only"
    assert one(world.engine, world.ra1, op("followup", "delete", fid))["code"] == "append_only"
    # The customer learns its last follow-up time from the server.
    changes, _ = pull_all(world.engine, world.ra1)
    cust = next(c for c in changes if c["id"] == cid)
    assert cust["fields"]["last_followup_at"]


def test_followup_rules_are_checked_on_the_server(world: World) -> None:
    cid = make_customer(world.engine, world.ra1)
    res = one(
        world.engine,
        world.ra1,
        op(
            "followup",
            "create",
            new_id(),
            {
                "customer_id": cid,
                "type": "price_negotiation",
                "conclusion": "已沟通",
                "next_action": "跟进",
                "due_on": "2026-03-05",
            },
        ),
    )
    assert res["code"] == "invalid"
    assert {"conclusion", "competitor_comparison"} <= set(res["errors"])


def test_delete_is_a_tombstone_and_a_stale_delete_loses(world: World) -> None:
    cid = make_customer(world.engine, world.ra1)
    kid = new_id()
    one(world.engine, world.ra1, op("contact", "create", kid, {"customer_id": cid, "name": "赵"}))
    assert (
        one(world.engine, world.ra1, op("customer", "delete", cid, base_version=1))["code"]
        == "has_children"
    )
    one(world.engine, world.la, op("contact", "update", kid, {"title": "CTO"}, base_version=1))
    stale = one(world.engine, world.ra1, op("contact", "delete", kid, base_version=1))
    assert stale["status"] == "conflict" and stale["code"] == "stale_delete"
    assert not stale["record"]["deleted"]
    fresh = one(world.engine, world.ra1, op("contact", "delete", kid, base_version=2))
    assert fresh["status"] == "applied" and fresh["record"]["deleted"]
    late_edit = one(
        world.engine, world.la, op("contact", "update", kid, {"title": "CEO"}, base_version=2)
    )
    assert late_edit["status"] == "conflict" and late_edit["code"] == "deleted"
    assert late_edit["conflicts"][0]["lost"] == "CEO"


def _ready_for_negotiation(world: World, cid: str, did: str) -> None:
    """Take a deal to the proposal stage with everything its locks ask for."""
    e, rep = world.engine, world.ra1
    contact = new_id()
    one(e, rep, op("contact", "create", contact, {"customer_id": cid, "name": "钱总"}))
    one(
        e,
        rep,
        op(
            "deal",
            "update",
            did,
            {
                "amount": "120000",
                "primary_contact_id": contact,
                "pain_points": [{"text": t, "confirmed": True} for t in ("库存", "报表", "审批")],
                "decision_chain": dict.fromkeys(
                    ("initiator", "influencer", "veto", "user", "payer"), "某人"
                ),
            },
            base_version=1,
        ),
    )
    for kind in ("org_chart", "requirement_confirmation", "quote", "implementation_schedule"):
        _attach(world, cid, did, kind)
    for target in ("needs_diagnosis", "proposal"):
        res = one(e, rep, op("deal", "stage", did, {"stage": target, "reason": None}))
        assert res["status"] == "applied", res


def _attach(world: World, cid: str, did: str, kind: str, upload: bool = True) -> str:
    content = f"{kind}-{did}".encode()
    sha = hashlib.sha256(content).hexdigest()
    if upload:
        with world.engine.begin() as conn:
            conn.execute(blobs.insert().values(sha256=sha, size=len(content), created_at=0.0))
            conn.execute(
                blob_uploaders.insert().values(sha256=sha, user_id=world.ra1.id, created_at=0.0)
            )
    res = one(
        world.engine,
        world.ra1,
        op(
            "attachment",
            "create",
            new_id(),
            {
                "customer_id": cid,
                "deal_id": did,
                "sha256": sha,
                "kind": kind,
                "filename": f"{kind}.pdf",
            },
        ),
    )
    assert res["status"] == ("applied" if upload else "rejected"), res
    return sha


def test_stage_moves_are_rechecked_on_the_server(world: World) -> None:
    e, rep = world.engine, world.ra1
    cid = make_customer(e, rep)
    did = make_deal(e, rep, cid)
    res = one(e, rep, op("deal", "stage", did, {"stage": "proposal", "reason": None}))
    assert res["status"] == "rejected" and res["code"] == "skip"
    res = one(e, rep, op("deal", "stage", did, {"stage": "needs_diagnosis", "reason": None}))
    assert res["code"] == "lock" and "预计金额" in res["message"]["zh"]
    assert {p["code"] for p in res["problems"]} == {"lock"}
    # An attachment row whose file never reached the server is refused (and opens no lock).
    _attach(world, cid, did, "org_chart", upload=False)
    one(e, rep, op("deal", "update", did, {"amount": "1"}, base_version=1))
    res = one(e, rep, op("deal", "stage", did, {"stage": "lost", "reason": "no"}))
    assert res["code"] == "reason_required"
    res = one(e, rep, op("deal", "stage", did, {"stage": "lost", "reason": "预算取消了"}))
    assert res["status"] == "applied"
    assert res["record"]["fields"]["lost_from"] == "contact"


def test_gated_move_needs_an_approval_from_the_lead(world: World) -> None:
    e = world.engine
    cid = make_customer(e, world.ra1)
    did = make_deal(e, world.ra1, cid)
    _ready_for_negotiation(world, cid, did)
    res = one(e, world.ra1, op("deal", "stage", did, {"stage": "negotiation", "reason": None}))
    assert res["code"] == "approval_required"
    aid = new_id()
    req = one(
        e,
        world.ra1,
        op(
            "approval",
            "create",
            aid,
            {
                "deal_id": did,
                "customer_id": cid,
                "from_stage": "proposal",
                "to_stage": "negotiation",
                "reason": "客户已确认报价",
            },
        ),
    )
    assert req["status"] == "applied" and req["record"]["fields"]["status"] == "pending"
    # A rep cannot decide, not even on a forged operation; the other team's lead cannot see it.
    assert (
        one(e, world.ra1, op("approval", "decide", aid, {"status": "approved"}))["code"]
        == "forbidden_role"
    )
    assert (
        one(e, world.lb, op("approval", "decide", aid, {"status": "approved"}))["code"]
        == "not_found"
    )
    assert (
        one(e, world.la, op("approval", "decide", aid, {"status": "rejected"}))["code"]
        == "comment_required"
    )
    # The device's rule for a rejection's comment (app.domain.approvals) holds here too.
    assert (
        one(e, world.la, op("approval", "decide", aid, {"status": "rejected", "comment": " 否 "}))[
            "code"
        ]
        == "comment_required"
    )
    rejected = one(
        e,
        world.la,
        op("approval", "decide", aid, {"status": "rejected", "comment": "先确认付款条件"}),
    )
    assert rejected["status"] == "applied" and not rejected["deal_moved"]
    res = one(e, world.ra1, op("deal", "stage", did, {"stage": "negotiation", "reason": None}))
    assert res["code"] == "approval_required"

    aid2 = new_id()
    one(
        e,
        world.ra1,
        op(
            "approval",
            "create",
            aid2,
            {
                "deal_id": did,
                "customer_id": cid,
                "from_stage": "proposal",
                "to_stage": "negotiation",
            },
        ),
    )
    approved = one(
        e, world.la, op("approval", "decide", aid2, {"status": "approved", "comment": "同意"})
    )
    assert approved["deal_moved"] is True
    # The rep's own queued move arrives after the approval moved the deal: nothing to do.
    res = one(e, world.ra1, op("deal", "stage", did, {"stage": "negotiation", "reason": None}))
    assert res["status"] == "merged"
    changes, _ = pull_all(e, world.ra1)
    deal = [c for c in changes if c["id"] == did][-1]
    assert deal["fields"]["stage"] == "negotiation"


def test_customer_reassignment_through_push_is_for_leads(world: World) -> None:
    e = world.engine
    cid = make_customer(e, world.ra1)
    res = one(e, world.ra1, op("customer", "update", cid, {"owner": world.ra2.id}, base_version=1))
    assert res["code"] == "forbidden_owner"
    res = one(e, world.la, op("customer", "update", cid, {"owner": world.rb1.id}, base_version=1))
    assert res["code"] == "forbidden_owner"
    res = one(e, world.la, op("customer", "update", cid, {"owner": world.ra2.id}, base_version=1))
    assert res["status"] == "applied"
    changes, _ = pull_all(e, world.ra2)
    assert [c["id"] for c in changes] == [cid]


def test_lead_creation_defaults_owner_and_scopes_by_it(world: World) -> None:
    lid = new_id()
    res = one(
        world.engine, world.ra1, op("lead", "create", lid, {"name": "刘女士", "channel": "douyin"})
    )
    assert res["status"] == "applied"
    assert res["record"]["fields"]["owner"] == world.ra1.id
    assert not pull_all(world.engine, world.ra2)[0]
    assert [c["id"] for c in pull_all(world.engine, world.la)[0]] == [lid]


def test_device_audit_entries_are_kept_with_their_hash_checked(world: World) -> None:
    from app.domain.audit import GENESIS, entry_hash
    from server.db import audit

    cid = new_id()
    entry = {
        "entity": "customer",
        "record_id": cid,
        "field": "name",
        "old": None,
        "new": "星河",
        "actor": world.ra1.id,
        "device": "d",
        "at": "2026-01-01T00:00:00",
    }
    good = {**entry, "prev_hash": GENESIS, "hash": entry_hash(entry, GENESIS)}
    bad = {**good, "new": "篡改"}
    o = op("customer", "create", cid, {"name": "星河", "owner": world.ra1.id})
    o["audit"] = [good, bad]
    assert one(world.engine, world.ra1, o)["status"] == "applied"
    with world.engine.connect() as conn:
        rows = conn.execute(select(audit.c.valid).where(audit.c.source == "device")).all()
        server_chain = conn.execute(
            select(audit).where(audit.c.source == "server").order_by(audit.c.id)
        ).all()
    assert sorted(r.valid for r in rows) == [False, True]
    from app.domain.audit import broken_links

    entries = [dict(r._mapping) for r in server_chain]
    for e in entries:
        e["old"] = None if e["old"] is None else json.loads(e["old"])
        e["new"] = None if e["new"] is None else json.loads(e["new"])
    assert broken_links(entries) == []


def test_a_change_of_many_fields_is_audited_whole(world: World) -> None:
    """A deal saved from its form touches many fields in one change: the audit entry names
    them all (PostgreSQL used to refuse the push: the names outgrew a 64-character column)."""
    e, rep = world.engine, world.ra1
    did = make_deal(e, rep, make_customer(e, rep))
    fields = {
        "title": "ERP 二期",
        "amount": "120000",
        "commit_amount": "100000",
        "expected_close": "2027-01-15",
        "pain_points": ["库存周转慢"],
        "decision_chain": {"payer": "张总"},
        "evidence": {"nda": "2026-11-01"},
    }
    res = one(e, rep, op("deal", "update", did, fields, base_version=1))
    assert res["status"] == "applied", res
    with e.connect() as conn:
        named = conn.execute(
            select(audit.c.field).where(audit.c.record_id == did).order_by(audit.c.id.desc())
        ).first()
    assert named is not None and named.field == ",".join(sorted(fields))
    assert len(named.field) > 64
