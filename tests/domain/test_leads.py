"""The pure lead rules (app.domain.leads): scorecard, choice, deadlines, offline time, fairness."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from app.domain.leads import (
    LeadRulesError,
    RepFigures,
    acted_at,
    choose_rep,
    expected_shares,
    fairness,
    miss_streak,
    parse_lead_rules,
    response_due,
    score_lead,
)
from app.domain.rules import default_rules

RULES = default_rules().leads


def test_scorecard_from_the_rule_data() -> None:
    score, reasons = score_lead(
        {
            "channel": "douyin",
            "company_size": 150,
            "budget_stated": True,
            "title": "Sales Director",
            "timeline_urgency": 2,
        },
        RULES,
    )
    assert score == 20 + 15 + 20 + 20 + 10
    assert score >= RULES.high_intent_score
    assert [r.points for r in reasons] == [20, 15, 20, 20, 10]
    low, _ = score_lead({"channel": "other", "company_size": math.inf, "title": "专员"}, RULES)
    assert low == 5


def test_rule_data_is_checked() -> None:
    with pytest.raises(LeadRulesError, match="weights"):
        parse_lead_rules({"weights": {"speed": 0, "conversion": 0, "load": 0}})
    with pytest.raises(LeadRulesError, match="load_cap"):
        parse_lead_rules({"load_cap": float("nan")})
    with pytest.raises(LeadRulesError, match="unknown factor kind"):
        parse_lead_rules({"scorecard": [{"key": "x", "kind": "magic", "zh": "x", "en": "x"}]})


def test_choice_skips_ineligible_reps_prefers_tags_and_falls_back() -> None:
    reps = [
        RepFigures("a", tags=frozenset({"华东"})),
        RepFigures("b", on_leave=True, tags=frozenset({"华东"})),
        RepFigures("c", active=False),
        RepFigures("d", load=RULES.load_cap),
        RepFigures("e"),
    ]
    choice = choose_rep(reps, ["华东"], RULES)
    assert choice.user_id == "a" and choice.tag_match
    assert sorted((s.user_id, s.reason) for s in choice.skipped) == [
        ("b", "on_leave"),
        ("c", "disabled"),
        ("d", "at_cap"),
    ]
    # Nobody has the tag: every eligible rep is considered rather than none.
    fallback = choose_rep(reps, ["华南"], RULES)
    assert fallback.user_id in {"a", "e"} and not fallback.tag_match
    assert choose_rep([RepFigures("d", load=99)], [], RULES).user_id is None


def test_round_robin_follows_the_weights() -> None:
    reps = [
        RepFigures("fast", mean_response_minutes=2, leads_in_window=20, converted_in_window=6),
        RepFigures("slow", mean_response_minutes=120, load=30),
    ]
    want = expected_shares(reps, RULES)
    counts = {"fast": 0, "slow": 0}
    for _ in range(1000):
        choice = choose_rep(reps, [], RULES)
        assert choice.user_id is not None
        counts[choice.user_id] += 1
        reps = [replace(r, credit=choice.credits[r.user_id]) for r in reps]
    assert counts["fast"] / 1000 == pytest.approx(want["fast"], abs=0.005)
    assert want["fast"] > want["slow"]


def test_deadlines_and_offline_time() -> None:
    assert response_due(1000.0, True, RULES) == 1000 + 15 * 60
    assert response_due(1000.0, False, RULES) == 1000 + 240 * 60
    # Device clock 60 s fast: acted at its 1100 = server 1040.
    assert acted_at(1100.0, 2060.0, 2000.0, 1000.0) == 1040.0
    # Never after arrival, never before the assignment.
    assert acted_at(5000.0, None, 2000.0, 1000.0) == 2000.0
    assert acted_at(10.0, None, 2000.0, 1000.0) == 1000.0
    assert miss_streak(["missed", "missed", "on_time", "missed"]) == 2


def test_fairness_flags_a_starved_new_hire() -> None:
    day = 86400.0
    reps = {"old1": -100 * day, "old2": -100 * day, "new": 0.0}
    rows = [("old1", d * day, d % 2 == 0) for d in range(7)]
    rows += [("old2", d * day + 1, True) for d in range(7)]
    rows += [("new", 3 * day, True)]
    shares = {s.user_id: s for s in fairness(reps, rows, start=0.0, end=7 * day, rules=RULES)}
    assert shares["new"].new_hire and shares["new"].flagged
    assert shares["new"].first_week_ratio == pytest.approx(1 / (15 / 3))
    assert sum(s.share_high for s in shares.values()) == pytest.approx(1)
