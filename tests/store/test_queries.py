from __future__ import annotations

from app.store.queries import CustomerFilter, count_customers, customer_page
from app.store.service import Store


def test_list_sorted_by_pinyin_and_filtered(store: Store, clock) -> None:
    ids = {}
    for name in ("张三贸易有限公司", "安泰机械", "北方重工", "Zeta Trading"):
        ids[name] = store.create("customer", {"name": name, "owner": "u-rep"})
    store.create("customer", {"name": "别人的客户", "owner": "u-lead"})
    now = clock()
    page = customer_page(store.connection(), CustomerFilter(owner="u-rep"), now)
    # Chinese by pinyin and Latin by letter interleave: "zeta" < "zhang san"
    assert [r["name"] for r in page] == ["安泰机械", "北方重工", "Zeta Trading", "张三贸易有限公司"]
    assert count_customers(store.connection(), CustomerFilter(owner="u-rep"), now) == 4
    assert [
        r["name"]
        for r in customer_page(store.connection(), CustomerFilter(), now, limit=2, offset=1)
    ] == ["北方重工", "别人的客户"]

    deal = store.create("deal", {"customer_id": ids["北方重工"], "title": "设备更新"})
    assert deal
    staged = customer_page(store.connection(), CustomerFilter(stage="contact"), now)
    assert [r["name"] for r in staged] == ["北方重工"]

    store.followups.add(
        {
            "customer_id": ids["安泰机械"],
            "type": "demo",
            "next_action": "报价",
            "conclusion": "演示了自动排产,客户满意",
            "due_on": "2026-11-05",
        }
    )
    clock.advance(days=10)
    stale = customer_page(store.connection(), CustomerFilter(stale_days=30, owner="u-rep"), clock())
    assert "安泰机械" not in [r["name"] for r in stale] and len(stale) == 3
    clock.advance(days=25)
    assert (
        len(
            customer_page(store.connection(), CustomerFilter(stale_days=30, owner="u-rep"), clock())
        )
        == 4
    )
    only = customer_page(store.connection(), CustomerFilter(ids=(ids["安泰机械"],)), now)
    assert [r["id"] for r in only] == [ids["安泰机械"]]


def test_board_inbox_and_conflict_queries(store: Store, clock, customer_id: str) -> None:
    from app.store import queries

    deal = store.create(
        "deal", {"customer_id": customer_id, "title": "设备更新", "amount": "120000"}
    )
    store.create("deal", {"customer_id": customer_id, "title": "培训服务包", "amount": "30000"})
    f = queries.DealFilter(owner="u-rep")
    cards = queries.deal_cards(store.connection(), f, stage="contact")
    assert [c["title"] for c in cards] == ["设备更新", "培训服务包"]  # largest first
    assert cards[0]["customer_name"] == "轻鹿家居有限公司" and cards[0]["owner_name"] == "张伟"
    assert queries.stage_totals(store.connection(), f) == {"contact": (2, 150000.0)}
    assert queries.stage_totals(store.connection(), queries.DealFilter(owner="u-lead")) == {}

    store.followups.add(
        {
            "customer_id": customer_id,
            "type": "demo",
            "conclusion": "演示了自动排产,客户满意",
            "next_action": "报价",
            "due_on": "2026-11-03",
        }
    )
    due = queries.followups_due(store.connection(), owner="u-rep", until="2026-11-09")
    assert [d["next_action"] for d in due] == ["报价"]
    assert queries.followups_due(store.connection(), owner="u-rep", until="2026-11-02") == []
    counts = queries.inbox_counts(store.connection(), owner="u-rep", due_until="2026-11-09")
    assert counts == {"approvals": 0, "alerts": 0, "conflicts": 0, "due": 1}

    store.conflicts.record("deal", deal, "amount", "120000.00", "99000.00", other_author="u-lead")
    (conflict,) = queries.open_conflicts(store.connection())
    assert conflict["record_label"] == "设备更新" and conflict["other_author_name"] == "王经理"
    assert queries.customer_ids(store.connection(), CustomerFilter(), clock()) == [customer_id]
    rows = queries.customer_rows(store.connection(), [customer_id])
    assert rows[customer_id]["owner_name"] == "张伟"
