"""The server's side of merging duplicates (docs/SYNC.md §11), on SQLite and PostgreSQL: one
transaction moves everything, scopes follow, later pushes naming the merged id are redirected,
and the feed tells every device where the merged record went."""

from __future__ import annotations

from typing import Any

from helpers.world import World, latest, make_customer, make_deal, new_id, one, op, pull_all

from server.history import record_history

FOLLOWUP = {
    "type": "demo",
    "due_on": "2026-11-20",
    "conclusion": "客户认可方案,要求补充报价细节",
    "next_action": "周五前发报价单",
}


def merge_op(survivor: str, *merged: str, **fields: Any) -> dict[str, Any]:
    return op("customer", "merge", survivor, {"merged": list(merged), **fields})


def test_merge_moves_everything_and_the_feed_says_where_it_went(world: World) -> None:
    e, la, ra1, ra2 = world.engine, world.la, world.ra1, world.ra2
    x = make_customer(e, ra1, "杭州某某科技有限公司")
    y = make_customer(e, ra2, "杭州某某科技股份有限公司")
    contact = new_id()
    one(e, ra2, op("contact", "create", contact, {"customer_id": y, "name": "李四"}))
    one(e, ra2, op("customer", "update", y, {"industry": "软件"}, base_version=1))
    deal = make_deal(e, ra2, y)
    lead = new_id()
    made = one(e, ra2, op("lead", "create", lead, {"name": "王磊", "customer_id": y}))
    assert made["status"] == "applied", made
    _, ra2_cursor = pull_all(e, ra2)
    _, ra1_cursor = pull_all(e, ra1)

    res = one(e, la, merge_op(x, y, pick={"industry": y}, seen={y: 1}))
    assert res["status"] == "applied" and res["moved"] == 3 and res["record"]["id"] == x
    assert res["record"]["fields"]["industry"] == "软件"
    # The industry changed after the lead looked (version 1) but was picked: not a conflict.
    assert "conflicts" not in res

    ra2_changes, _ = pull_all(e, ra2, ra2_cursor)
    gone = next(c for c in ra2_changes if c["id"] == y)
    assert gone["deleted"] is True and gone["fields"]["merged_into"] == x
    assert {"entity": "contact", "id": contact, "removed": True} in ra2_changes
    ra1_now = latest(pull_all(e, ra1, ra1_cursor)[0])
    assert ra1_now[contact]["fields"]["customer_id"] == x
    # The lead converted to y names x now, and stays with its own owner.
    (lead_now,) = [c for c in pull_all(e, ra2, ra2_cursor)[0] if c["id"] == lead]
    assert lead_now["fields"]["customer_id"] == x
    merges = [c for c in ra1_now.values() if c["entity"] == "merge"]
    assert len(merges) == 1 and merges[0]["fields"]["merged_ids"] == [y]

    # ra2's device, offline through all this, sends an edit and a follow-up to y.
    fid = new_id()
    late = [
        op(
            "customer",
            "update",
            y,
            {"industry": "外包", "region": "华东"},
            base_version=2,
            base={"industry": "软件", "region": None},
        ),
        op("followup", "create", fid, {"customer_id": y, **FOLLOWUP, "contact_ids": [contact]}),
        op("contact", "update", contact, {"title": "采购总监"}, base_version=1),
    ]
    edit, created, contact_edit = one(e, ra2, late[0]), one(e, ra2, late[1]), one(e, ra2, late[2])
    assert edit["status"] == "merged" and edit["redirected_from"] == y
    assert "record" not in edit  # the survivor is outside ra2's scope: acted on, not shown
    assert created["status"] == "applied" and "record" not in created
    assert contact_edit["status"] in ("applied", "merged"), contact_edit
    now = latest(pull_all(e, la)[0])
    assert now[x]["fields"]["region"] == "华东" and now[x]["fields"]["industry"] == "外包"
    assert now[fid]["fields"]["customer_id"] == x
    assert now[contact]["fields"]["title"] == "采购总监"
    # A row the merge moved out of ra2's sight still takes ra2's queued edit, blind; nobody
    # else outside the survivor's scope can touch it.
    moved_deal = one(e, ra2, op("deal", "update", deal, {"title": "ERP 二期"}, base_version=1))
    assert moved_deal["status"] in ("applied", "merged") and "record" not in moved_deal
    stranger = one(e, world.rb1, op("deal", "update", deal, {"title": "x"}, base_version=1))
    assert (stranger["status"], stranger["code"]) == ("rejected", "not_found")
    assert latest(pull_all(e, la)[0])[deal]["fields"]["title"] == "ERP 二期"
    # The survivor's history holds the merged record's.
    with e.connect() as conn:
        history = record_history(conn, la, [x])
    assert {h["record_id"] for h in history} >= {x, y}


def test_a_discarded_late_value_is_a_conflict_for_the_rep_who_typed_it(world: World) -> None:
    e, la, ra1, ra2 = world.engine, world.la, world.ra1, world.ra2
    x = make_customer(e, ra1, "甲公司")
    one(e, ra1, op("customer", "update", x, {"phone": "0571-88889999"}, base_version=1))
    y = make_customer(e, ra2, "甲公司(杭州)")
    one(e, ra2, op("customer", "update", y, {"phone": "0571-86661111"}, base_version=1))
    res = one(e, la, merge_op(x, y, pick={"phone": x}, seen={y: 1}))
    assert [(c["field"], c["lost"], c["kept"]) for c in res["conflicts"]] == [
        ("phone", "0571-86661111", "0571-88889999")
    ]
    conflicts = [c for c in latest(pull_all(e, ra2)[0]).values() if c["entity"] == "conflict"]
    assert [c["fields"]["lost"] for c in conflicts] == ["0571-86661111"]
    assert conflicts[0]["fields"]["kind"] == "merge" and conflicts[0]["fields"]["lost_by"] == ra2.id


def test_scope_and_role_decide_who_merges(world: World) -> None:
    e = world.engine
    a1 = make_customer(e, world.ra1, "乙公司")
    a2 = make_customer(e, world.ra2, "乙公司有限公司")
    b1 = make_customer(e, world.rb1, "乙公司北京分部")
    refused = one(e, world.ra1, merge_op(a1, a2))
    assert (refused["status"], refused["code"]) == ("rejected", "forbidden_role")
    assert refused["message"]["en"] == "Only a team lead or an admin can merge duplicates"
    for survivor, merged in ((a1, b1), (b1, a1)):
        res = one(e, world.la, merge_op(survivor, merged))
        assert (res["status"], res["code"]) == ("rejected", "not_found")
    res = one(e, world.lb, merge_op(b1, a1))
    assert (res["status"], res["code"]) == ("rejected", "not_found")
    # An admin merges across teams: the rows follow the survivor into its team's scope.
    b_contact = new_id()
    one(e, world.rb1, op("contact", "create", b_contact, {"customer_id": b1, "name": "王五"}))
    _, rb1_cursor = pull_all(e, world.rb1)
    res = one(e, world.admin, merge_op(a1, b1, a2))
    assert res["status"] == "applied"
    assert {"entity": "contact", "id": b_contact, "removed": True} in pull_all(
        e, world.rb1, rb1_cursor
    )[0]
    assert latest(pull_all(e, world.ra1)[0])[b_contact]["fields"]["customer_id"] == a1
