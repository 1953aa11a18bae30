"""A small team whose cockpit figures are known by hand (used by the UI and CLI tests).

2026Q4 — zhangwei: one proposal deal of 100 000 (commit 80 000, NDA and POC proved, the whole
decision chain mapped: 60 % → 60 000; the commit is 20 000 above, more than 30 % of 60 000, so
flagged). lina: a deal signed on 10 October (won 50 000) and a proposal deal of 30 000 with no
evidence (0). Neither proposal deal has its quote: the heatmap's Proposal × Quote cell is 2/2.
"""

from __future__ import annotations

from app.store.service import Store

CHAIN = dict.fromkeys(("initiator", "influencer", "veto", "user", "payer"), "c-1")


def seed_team(store: Store) -> dict[str, str]:
    """Reps, a customer and three deals; returns the deals' ids by name."""
    store.directory.upsert_users(
        [
            {"id": "u-rep", "name": "zhangwei", "display_name": "张伟", "role": "rep"},
            {"id": "u-rep2", "name": "lina", "display_name": "李娜", "role": "rep"},
            {"id": "u-lead", "name": "wangjl", "display_name": "王经理", "role": "lead"},
        ]
    )
    store.bulk_create("customer", [{"id": "c-1", "name": "轻鹿家居有限公司", "owner": "u-rep"}])
    at = "2026-10-20T09:00:00+00:00"
    deals = [
        {
            "id": "d-a",
            "customer_id": "c-1",
            "title": "全屋定制样板间",
            "owner": "u-rep",
            "stage": "proposal",
            "stage_entered_at": at,
            "amount": "100000",
            "commit_amount": "80000",
            "expected_close": "2026-11-15",
            "evidence": {"nda": "2026-10-01", "poc": "2026-10-15"},
            "decision_chain": CHAIN,
        },
        {
            "id": "d-b",
            "customer_id": "c-1",
            "title": "ERP对接项目",
            "owner": "u-rep2",
            "stage": "signed",
            "stage_entered_at": "2026-10-10T10:00:00+00:00",
            "signed_on": "2026-10-10",
            "amount": "50000",
        },
        {
            "id": "d-c",
            "customer_id": "c-1",
            "title": "培训服务包",
            "owner": "u-rep2",
            "stage": "proposal",
            "stage_entered_at": at,
            "amount": "30000",
            "expected_close": "2026-12-01",
        },
    ]
    store.bulk_create("deal", deals)
    return {"a": "d-a", "b": "d-b", "c": "d-c"}
