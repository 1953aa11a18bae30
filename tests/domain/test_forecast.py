"""The cockpit's figures on a small hand-made team whose right answers are worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from app.domain.forecast import (
    ForecastRulesError,
    accuracy_error,
    as_it_stood,
    cockpit_periods,
    deal_row,
    forecast,
    forecast_rules,
    heatmap,
    parse_forecast_rules,
    parse_period,
    pipeline,
    pipelines,
    probability,
    stage_days,
)
from app.domain.process import stage_history_after
from app.domain.rules import default_rules

RULES = default_rules()
FR = forecast_rules(RULES)
ALL_ROLES = dict.fromkeys(("initiator", "influencer", "veto", "user", "payer"), "c1")
NOW = datetime(2026, 11, 20, tzinfo=UTC)


def h(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"stage": s, "at": f"{d}T00:00:00+00:00"} for s, d in pairs]


def deal(rid: str, owner: str, stage: str, entered: str, **values: Any) -> dict[str, Any]:
    return {
        "id": rid,
        "owner": owner,
        "stage": stage,
        "stage_entered_at": f"{entered}T00:00:00+00:00",
        "title": rid,
        **values,
    }


D1 = deal(
    "d1",
    "a",
    "proposal",
    "2026-10-25",
    amount="100000.00",
    commit_amount="80000.00",
    expected_close="2026-11-15",
    evidence={"nda": "2026-10-01", "poc": "2026-10-20"},
    decision_chain=ALL_ROLES,
)
# No evidence at all, no decision chain; followed up two days ago.
D2 = deal(
    "d2",
    "a",
    "contact",
    "2026-10-05",
    amount="50000.00",
    commit_amount="50000.00",
    expected_close="2026-12-01",
    amount_note=None,
)
D3 = deal("d3", "b", "signed", "2026-10-10", amount="200000.00", signed_on="2026-10-10")
# Lost from proposal on 5 October.
D4 = deal(
    "d4",
    "b",
    "lost",
    "2026-10-05",
    amount="70000.00",
    lost_from="proposal",
    lost_reason="price: 预算砍半",
    expected_close="2026-11-30",
    stage_history=h(
        ("contact", "2026-09-01"),
        ("needs_diagnosis", "2026-09-11"),
        ("proposal", "2026-09-21"),
        ("lost", "2026-10-05"),
    ),
)
# Every milestone proved, 3 of 5 roles mapped: 100 % × (1 − 0.5 × 0.4) = 80 %.
D5 = deal(
    "d5",
    "b",
    "negotiation",
    "2026-11-15",
    amount="100000.00",
    expected_close="2026-12-20",
    evidence={"nda": True, "poc": "2026-11-01", "payment_commitment": "2026-11-10"},
    decision_chain={"initiator": "x", "veto": "y", "payer": "z", "user": ""},
)
# Moved back from proposal to needs diagnosis and forward again; closes next quarter.
D6 = deal(
    "d6",
    "a",
    "proposal",
    "2026-09-10",
    amount="40000.00",
    commit_amount="40000.00",
    expected_close="2027-02-01",
    stage_history=h(
        ("contact", "2026-08-01"),
        ("needs_diagnosis", "2026-08-11"),
        ("proposal", "2026-08-21"),
        ("needs_diagnosis", "2026-08-31"),
        ("proposal", "2026-09-10"),
    ),
)


def rows() -> list[Any]:
    attachments = {"d1": ["quote"]}
    last = {"d2": "2026-11-18T09:00:00+00:00"}
    return [
        deal_row(
            d, attachment_kinds=attachments.get(d["id"], ()), last_followup_at=last.get(d["id"])
        )
        for d in (D1, D2, D3, D4, D5, D6)
    ]


def test_probability_from_proved_milestones_and_chain() -> None:
    r = {d.id: d for d in rows()}
    assert probability(r["d1"], RULES, FR) == Decimal("0.6")
    assert probability(r["d2"], RULES, FR) == 0  # no evidence
    assert probability(r["d3"], RULES, FR) == 1  # won
    assert probability(r["d4"], RULES, FR) == 0  # lost
    assert probability(r["d5"], RULES, FR) == Decimal("0.8")


def test_forecast_per_rep_and_team() -> None:
    fc = forecast(rows(), parse_period("2026Q4"), RULES, FR, reps=["a", "b", "c"])
    out = fc.as_json(FR, {"a": "alice", "b": "bob", "c": "carol"})
    reps = {r["rep"]: r for r in out["reps"]}
    a, b, c = reps["alice"], reps["bob"], reps["carol"]
    assert (a["commit"], a["weighted"], a["best_case"], a["won"]) == (130000, 60000, 150000, 0)
    assert a["gap"] == 70000 and a["gap_flag"] is True
    assert a["no_evidence"] == 1 and a["open_deals"] == 2
    assert a["stage_weighted"] == 45000  # 40 % of d1 + 10 % of d2
    assert a["chain_coverage"] == 0.5  # d1 full, d2 none
    assert (b["commit"], b["weighted"], b["best_case"], b["won"]) == (
        200000,
        280000,
        300000,
        200000,
    )
    assert b["gap_flag"] is False and b["won_deals"] == 1
    assert (c["commit"], c["weighted"], c["won"]) == (0, 0, 0)
    team = out["team"]
    assert (team["commit"], team["weighted"], team["best_case"], team["won"]) == (
        330000,
        340000,
        450000,
        200000,
    )
    assert out["period"] == "2026Q4" and out["start"] == "2026-10-01"


def test_empty_period_has_zero_figures() -> None:
    fc = forecast(rows(), parse_period("2025-03"), RULES, FR, reps=["a"])
    out = fc.as_json(FR)
    assert out["team"]["commit"] == 0 and out["team"]["weighted"] == 0
    assert [(r["rep"], r["won"], r["gap_flag"]) for r in out["reps"]] == [("a", 0.0, False)]
    pl = pipeline(rows(), RULES, FR, NOW, parse_period("2025-03"))
    assert pl.win_rate == {"won": 0, "lost": 0, "rate": None}
    assert all(c["entered"] == 0 and c["rate"] is None for c in pl.conversion)
    assert pl.loss_reasons == {}


def test_backwards_move_adds_both_stays() -> None:
    r = {d.id: d for d in rows()}
    # contact 10 days, needs diagnosis 10 + 10, proposal's first stay 10 (the second is open)
    assert stage_days(r["d6"]) == {"contact": 10, "needs_diagnosis": 20, "proposal": 10}
    assert stage_days(r["d1"]) == {}


def test_time_in_stage_median_and_p90() -> None:
    t = pipeline(rows(), RULES, FR, NOW).time_in_stage
    assert t["contact"] == {"deals": 2, "median_days": 10, "p90_days": 10}
    assert t["needs_diagnosis"] == {"deals": 2, "median_days": 15, "p90_days": 19}
    assert t["proposal"] == {"deals": 2, "median_days": 12, "p90_days": 13.6}
    assert t["negotiation"]["median_days"] is None


def test_conversion_counts_each_deal_once_per_stage() -> None:
    conv = {c["from"]: c for c in pipeline(rows(), RULES, FR, NOW).conversion}
    # entered contact: d2, d4, d6; moved on: d4, d6 (d6 twice through, counted once)
    assert (conv["contact"]["entered"], conv["contact"]["moved_on"]) == (3, 2)
    assert conv["needs_diagnosis"]["rate"] == 1.0
    assert (conv["proposal"]["entered"], conv["proposal"]["moved_on"]) == (3, 0)
    assert (conv["negotiation"]["entered"], conv["negotiation"]["moved_on"]) == (1, 0)


def test_win_rates_stalled_losses_and_value() -> None:
    pl = pipeline(rows(), RULES, FR, NOW, parse_period("2026Q4"))
    assert pl.win_rate == {"won": 1, "lost": 1, "rate": 0.5}
    assert pl.win_rate_by_rep == {"b": {"won": 1, "lost": 1, "rate": 0.5}}
    assert [(s["deal_id"], s["days"]) for s in pl.stalled] == [("d6", 71), ("d1", 26)]
    assert pl.stalled_by_rep == {"a": {"<30": 1, "30-60": 0, "60+": 1}}
    assert pl.loss_reasons == {"proposal": {"price": 1}}
    assert pl.value == {"a": {"proposal": 140000, "contact": 50000}, "b": {"negotiation": 100000}}
    trend = {t["period"]: t for t in pl.trend}
    assert list(trend) == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    assert trend["2026Q3"]["rate"] is None and trend["2026Q4"]["rate"] == 0.5


def test_several_periods_at_once_match_one_at_a_time() -> None:
    periods = [parse_period("2026Q4"), parse_period("2025-03"), None, parse_period("2026-11")]
    together = pipelines(rows(), RULES, FR, NOW, periods)
    assert [p.as_json() for p in together] == [
        pipeline(rows(), RULES, FR, NOW, p).as_json() for p in periods
    ]
    assert together[0].win_rate == {"won": 1, "lost": 1, "rate": 0.5}
    assert together[1].win_rate == {"won": 0, "lost": 0, "rate": None}


def test_cockpit_periods_around_a_year_end() -> None:
    names = [p.name for p in cockpit_periods(date(2027, 1, 5))]
    assert names == [
        "2026Q2",
        "2026Q3",
        "2026Q4",
        "2027Q1",
        "2027Q2",
        "2026-11",
        "2026-12",
        "2027-01",
    ]


def test_heatmap_share_counts_and_ids() -> None:
    cells = {(c.stage, c.lock.key): c for c in heatmap(rows(), RULES)}
    contact = cells[("contact", "primary_contact_id")]
    assert (contact.deals, contact.missing, contact.share) == (1, ("d2",), 1.0)
    assert cells[("contact", "amount")].missing == ()
    quote = cells[("proposal", "quote")]
    assert (quote.deals, quote.missing) == (2, ("d6",))
    assert cells[("proposal", "requirement_confirmation")].missing == ("d1", "d6")
    assert cells[("needs_diagnosis", "org_chart")].deals == 0
    assert cells[("negotiation", "contract")].missing == ("d5",)  # the won stage's entry locks


def test_periods() -> None:
    q = parse_period("2026Q4")
    assert (q.start, q.end) == (date(2026, 10, 1), date(2027, 1, 1))
    assert q.next().name == "2027Q1" and q.previous().name == "2026Q3"
    m = parse_period("2026-12")
    assert m.end == date(2027, 1, 1) and m.next().name == "2027-01"
    for bad in ("2026Q5", "2026-13", "26Q1", "Q4"):
        with pytest.raises(ValueError, match="2026Q4"):
            parse_period(bad)


def test_forecast_rules_are_data_and_checked() -> None:
    fr = parse_forecast_rules(
        {"milestones": [{"key": "x", "weight": 50, "zh": "甲", "en": "X", "attachment": "quote"}]}
    )
    assert [m.key for m in fr.milestones] == ["x"]
    r = deal_row({**D2, "id": "z"}, attachment_kinds=["quote"])
    assert probability(r, RULES, fr) == Decimal("0.25")  # 50 % × (1 − 0.5 × 1)
    with pytest.raises(ForecastRulesError):
        parse_forecast_rules({"milestones": [{"key": "x", "weight": "NaN", "zh": "a", "en": "b"}]})
    with pytest.raises(ForecastRulesError):
        parse_forecast_rules({"milestones": [{"key": "x", "weight": 120, "zh": "a", "en": "b"}]})


def test_stage_history_after_starts_with_the_current_stay() -> None:
    d = {"stage": "contact", "stage_entered_at": "2026-01-01T00:00:00+00:00"}
    out = stage_history_after(d, "needs_diagnosis", "2026-01-05T00:00:00+00:00")
    assert out == h(("contact", "2026-01-01"), ("needs_diagnosis", "2026-01-05"))
    again = stage_history_after({**d, "stage_history": out}, "contact", "2026-01-07T00:00:00+00:00")
    assert [e["stage"] for e in again] == ["contact", "needs_diagnosis", "contact"]


def test_a_deal_as_it_stood_on_a_past_day() -> None:
    won = deal_row(
        deal(
            "w",
            "a",
            "signed",
            "2026-08-20",
            amount="100000.00",
            commit_amount="100000.00",
            signed_on="2026-08-20",
            created_at="2026-05-02T00:00:00+00:00",
            evidence={"nda": "2026-06-01", "poc": "2026-07-15", "payment_commitment": True},
            decision_chain=ALL_ROLES,
            stage_history=h(
                ("contact", "2026-05-02"),
                ("proposal", "2026-06-10"),
                ("negotiation", "2026-07-20"),
                ("signed", "2026-08-20"),
            ),
        )
    )
    q3 = parse_period("2026Q3")
    then = as_it_stood(won, q3.start, RULES)
    assert then is not None
    # In proposal since 10 June, NDA proved; the POC came later; the undated commitment counts.
    assert then.stage == "proposal" and then.stage_entered_at == datetime(2026, 6, 10, tzinfo=UTC)
    assert set(then.evidence) == {"nda", "payment_commitment"}
    assert then.expected_close == date(2026, 8, 20) and then.commit == Decimal(100000)
    assert probability(then, RULES, FR) == Decimal("0.6")
    # Opening: committed in full, 60 % by evidence; closing: won in full.
    opening = forecast([then], q3, RULES, FR).team
    assert (opening.commit, opening.weighted, opening.won) == (100000, 60000, 0)
    assert forecast([won], q3, RULES, FR).team.won == 100000
    assert as_it_stood(won, date(2026, 5, 1), RULES) is None  # not created yet
    assert as_it_stood(won, date(2026, 9, 1), RULES) is None  # already signed
    # The deal lost on 5 October: still in proposal as that day began, gone the day after.
    lost = deal_row(D4)
    assert as_it_stood(lost, date(2026, 10, 6), RULES) is None
    before = as_it_stood(lost, date(2026, 10, 5), RULES)
    assert before is not None and before.stage == "proposal"
    assert forecast([before], parse_period("2026Q4"), RULES, FR).team.best_case == 70000
    # A deal still open has no known close: it is left out.
    assert as_it_stood(deal_row(D1), date(2026, 10, 1), RULES) is None


def test_accuracy_error() -> None:
    assert accuracy_error(90, 100) == pytest.approx(0.1)
    assert accuracy_error(0, 0) is None
    assert accuracy_error(10, 0) == 1.0
