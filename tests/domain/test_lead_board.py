"""The lead's dashboard and alert inbox on small hand-made data whose answers are known."""

from __future__ import annotations

from datetime import UTC, datetime

from app.domain.lead_board import (
    epoch,
    group_items,
    inbox,
    outcome,
    rep_rows,
    sort_items,
)
from app.domain.leads import parse_lead_rules
from app.domain.messages import Msg

RULES = parse_lead_rules(None)
NOW = datetime(2026, 6, 10, 12, tzinfo=UTC).timestamp()
H = 3600.0


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def lead(owner: str, hours_ago: float, *, accepted_after: float | None = None, **kw: object):
    assigned = NOW - hours_ago * H
    out = {
        "owner": owner,
        "status": "assigned" if accepted_after is None else "accepted",
        "score": 90,
        "assigned_at": iso(assigned),
        "response_due": iso(assigned + 0.25 * H),
    }
    if accepted_after is not None:
        out["accepted_at"] = iso(assigned + accepted_after * H)
    out.update(kw)
    return out


def test_outcomes() -> None:
    assert outcome(lead("a", 1, accepted_after=0.1), NOW) == "on_time"
    assert outcome(lead("a", 1, accepted_after=0.5), NOW) == "late"
    assert outcome(lead("a", 1), NOW) == "missed"
    assert outcome(lead("a", 0.1), NOW) is None  # still running
    assert outcome({"status": "new"}, NOW) is None
    assert epoch("not a time") is None


def test_rep_rows_count_open_overdue_and_streaks() -> None:
    leads = [
        # alice: oldest on time, then three misses in a row → flagged.
        lead("alice", 40, accepted_after=0.1),
        lead("alice", 30),
        lead("alice", 20),
        lead("alice", 10),
        # bob: a miss, then a late answer breaks the streak; one still running.
        lead("bob", 30),
        lead("bob", 20, accepted_after=1),
        lead("bob", 0.1, score=10),
        lead("carol", 5, status="converted"),  # not in the team
    ]
    rows = {
        r.user_id: r
        for r in rep_rows(["alice", "bob"], leads, now=NOW, start=NOW - 7 * 24 * H, rules=RULES)
    }
    alice, bob = rows["alice"], rows["bob"]
    assert (alice.open_leads, alice.overdue, alice.misses_in_row, alice.flagged) == (4, 3, 3, True)
    assert (bob.open_leads, bob.overdue, bob.misses_in_row, bob.flagged) == (3, 1, 0, False)
    # High intent: alice 4 of 6, bob 2 of 6 (his newest scored 10).
    assert (alice.high_intent, bob.high_intent) == (4, 2)
    assert round(alice.share_high, 4) == round(4 / 6, 4)
    # The server's flag counts even when the streak on this device is shorter.
    again = rep_rows(
        ["bob"], leads, now=NOW, start=NOW - 7 * 24 * H, rules=RULES, flagged_reps=["bob"]
    )
    assert again[0].flagged
    # New-hire figures only when the join date is known; an empty period gives zeros.
    assert alice.new_hire is None and alice.first_week_ratio is None
    empty = rep_rows(["alice"], leads, now=NOW, start=NOW - 1, rules=RULES)
    assert (empty[0].leads, empty[0].share_high) == (0, 0.0)
    joined = rep_rows(
        ["alice", "bob"],
        leads,
        now=NOW,
        start=NOW - 3 * 24 * H,
        rules=RULES,
        joined={"alice": NOW - 100 * 24 * H, "bob": NOW - 31 * H},
    )
    new = {r.user_id: r for r in joined}
    assert new["bob"].new_hire and new["bob"].first_week_leads == 3
    assert round(new["bob"].first_week_ratio or 0, 4) == round(3 / 3.5, 4)  # 7 leads, 2 reps
    assert not new["bob"].first_week_flagged
    assert new["alice"].new_hire is False


def test_inbox_says_what_happened_since_sorts_groups_and_snoozes() -> None:
    raised = NOW - 5 * 24 * H
    alerts = [
        {
            "id": "a1",
            "kind": "lead_response",
            "record_id": "L1",
            "owner": "lena",
            "created_at": iso(raised),
            "message_zh": "未响应",
            "message_en": "missed",
        },
        {
            "id": "a2",
            "kind": "stagnation",
            "record_id": "D1",
            "owner": "bob",
            "created_at": iso(NOW - 2 * 24 * H),
            "message_zh": "停滞",
            "message_en": "stalled",
        },
        {
            "id": "a3",
            "kind": "stagnation",
            "record_id": "D2",
            "owner": "alice",
            "created_at": iso(NOW - 1 * 24 * H),
            "message_zh": "停滞",
            "message_en": "stalled",
        },
        {
            "id": "a4",
            "kind": "rep_flagged",
            "record_id": "alice",
            "owner": "lena",
            "created_at": iso(NOW - 3 * 24 * H),
            "message_zh": "",
            "message_en": "",
        },
        {
            "id": "a5",
            "kind": "lead_response",
            "record_id": "GONE",
            "owner": "lena",
            "created_at": iso(NOW),
            "message_zh": "",
            "message_en": "",
        },
        {
            "id": "a6",
            "kind": "stagnation",
            "record_id": "D1",
            "resolved_at": iso(NOW),
            "created_at": iso(NOW),
        },
    ]
    leads = {
        "L1": {
            "owner": "alice",
            "status": "accepted",
            "accepted_at": iso(raised + H),
            "assigned_at": iso(raised - H),
        }
    }
    deals = {
        "D1": {
            "owner": "bob",
            "amount": 50_000.0,
            "stage": "proposal",
            "stage_entered_at": iso(NOW - 24 * H),
            "customer_id": "C1",
        },
        "D2": {
            "owner": "alice",
            "amount": "900000.00",  # the local copy keeps decimals as text
            "stage": "contact",
            "stage_entered_at": iso(NOW - 30 * 24 * H),
        },
    }
    items = inbox(
        alerts,
        leads=leads,
        deals=deals,
        snoozes={"a5": "2026-06-20"},
        now=NOW,
        today="2026-06-10",
        stage_names={"proposal": Msg("方案", "Proposal")},
    )
    by_id = {i.id: i for i in items}
    assert set(by_id) == {"a1", "a2", "a3", "a4"}  # resolved and snoozed left out
    assert [m.en for m in by_id["a1"].since] == ["Accepted since"]
    assert by_id["a1"].rep == "alice" and by_id["a4"].rep == "alice"
    assert [m.en for m in by_id["a2"].since] == ["The deal moved to Proposal"]
    assert by_id["a3"].since == []
    assert by_id["a2"].customer_id == "C1" and by_id["a2"].amount == 50_000.0
    assert round(by_id["a1"].days) == 5
    assert [i.id for i in sort_items(items, "days")] == ["a1", "a4", "a2", "a3"]
    assert [i.id for i in sort_items(items, "amount")] == ["a3", "a2", "a1", "a4"]
    grouped = group_items(sort_items(items, "amount"), "rep")
    assert [(k, [i.id for i in v]) for k, v in grouped] == [
        ("alice", ["a3", "a1", "a4"]),
        ("bob", ["a2"]),
    ]
    kinds = group_items(sort_items(items, "days"), "kind")
    assert [k for k, _ in kinds] == ["lead_response", "rep_flagged", "stagnation"]
    # Snoozed until a day that has come: back on the list; shown on request before that.
    back = inbox(
        alerts, leads=leads, deals=deals, snoozes={"a5": "2026-06-10"}, now=NOW, today="2026-06-10"
    )
    assert "a5" in {i.id for i in back}
    shown = inbox(
        alerts,
        leads=leads,
        deals=deals,
        snoozes={"a5": "2026-06-20"},
        now=NOW,
        today="2026-06-10",
        show_snoozed=True,
    )
    gone = next(i for i in shown if i.id == "a5")
    assert gone.snoozed_until == "2026-06-20"
    assert [m.en for m in gone.since] == ["The lead left this device (pool)"]
