"""Approval rules, one implementation for the device and the server (SPEC P4)."""

from __future__ import annotations

import pytest

from app.domain.approvals import (
    ALREADY_DECIDED,
    COMMENT_REQUIRED,
    MIN_REJECTION_COMMENT,
    NOT_A_DECIDER,
    NOT_GATED,
    OWN_REQUEST,
    STALE_REQUEST,
    approval_counts,
    approval_moves_deal,
    decider_problem,
    judge_decision,
    may_decide,
    request_problem,
)
from app.domain.rules import default_rules

RULES = default_rules()


def test_a_request_names_a_gated_move_from_the_current_stage() -> None:
    gated = sorted(RULES.approval_gates)[0]
    assert request_problem(RULES, gated[0], *gated) is None
    assert request_problem(RULES, "contact", *gated) is STALE_REQUEST
    assert request_problem(RULES, "contact", "contact", "needs_diagnosis") is NOT_GATED


def test_only_leads_and_admins_decide_and_not_their_own_request() -> None:
    assert [may_decide(r) for r in ("rep", "csm", "lead", "admin", None)] == [
        False,
        False,
        True,
        True,
        True,
    ]
    assert decider_problem("rep", "u1", "u2") is NOT_A_DECIDER
    assert decider_problem("lead", "u1", "u1") is OWN_REQUEST
    assert decider_problem("lead", "u1", "u2") is None
    assert decider_problem("admin", "u1", "u1") is None


@pytest.mark.parametrize("comment", [None, "", "   ", "x", " 否 "])
def test_a_rejection_says_why_in_at_least_two_characters(comment: str | None) -> None:
    assert MIN_REJECTION_COMMENT == 2
    verdict = judge_decision("pending", "rejected", comment)
    assert verdict.problem is COMMENT_REQUIRED


def test_a_decision_is_applied_once_and_the_first_one_wins() -> None:
    verdict = judge_decision("pending", "rejected", "  先确认付款条件 ")
    assert verdict.problem is None and verdict.comment == "先确认付款条件"
    assert judge_decision("pending", "approved", "  ").comment is None
    assert judge_decision("approved", "approved", None).already
    assert judge_decision("approved", "rejected", "改主意了").problem is ALREADY_DECIDED


def test_an_approval_counts_only_for_its_move_since_the_deal_entered_its_stage() -> None:
    approval = {
        "status": "approved",
        "from_stage": "proposal",
        "to_stage": "negotiation",
        "decided_at": "2026-03-05T10:00:00+00:00",
    }
    entered = "2026-03-05T09:00:00+00:00"
    assert approval_counts(approval, "proposal", entered, "negotiation")
    assert not approval_counts(approval, "proposal", entered, "signed")
    assert not approval_counts(approval, "contact", entered, "negotiation")
    # The deal went back and forth after the decision: the old approval is spent.
    assert not approval_counts(approval, "proposal", "2026-03-06T09:00:00+00:00", "negotiation")
    assert not approval_counts(
        {**approval, "status": "pending"}, "proposal", entered, "negotiation"
    )


def test_approving_moves_the_deal_only_from_the_requested_stage() -> None:
    assert approval_moves_deal("approved", "proposal", "proposal", False)
    assert not approval_moves_deal("rejected", "proposal", "proposal", False)
    assert not approval_moves_deal("approved", "negotiation", "proposal", False)
    assert not approval_moves_deal("approved", "proposal", "proposal", True)
