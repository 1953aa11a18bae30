"""What the deal page shows, decided without Qt from a deal card and the rules."""

from __future__ import annotations

from typing import Any

from app.domain.process import DealFacts, advance_checklist, next_stage
from app.domain.rules import LOST, default_rules
from app.views.deal_state import DealBanner, deal_page_state
from app.views.operations import DealCard, Session

RULES = default_rules()
REP = Session("u-rep", "张伟", "rep")
LEAD = Session("u-lead", "李娜", "lead")
PROPOSAL_FILES = frozenset({"requirement_confirmation", "quote", "implementation_schedule"})


def card(
    stage: str,
    fields: dict[str, Any] | None = None,
    *,
    kinds: frozenset[str] = frozenset(),
    pending: dict[str, Any] | None = None,
    approved_next: bool = False,
    last_decision: dict[str, Any] | None = None,
) -> DealCard:
    record = {"id": "d-1", "title": "数控改造", "stage": stage, **(fields or {})}
    facts = DealFacts(stage, record, kinds, record.get("lost_from"))
    return DealCard(
        record=record,
        customer_name="苏州明远",
        owner_name="张伟",
        checklist=advance_checklist(facts, RULES),
        next_stage=next_stage(stage, RULES),
        pending_approval=pending,
        approved_next=approved_next,
        contacts=[],
        attachments=[],
        timeline=[],
        last_decision=last_decision,
    )


def proposal_ready(**kw: Any) -> DealCard:
    return card("proposal", kinds=PROPOSAL_FILES, **kw)


def test_missing_locks_keep_advance_locked_and_say_why() -> None:
    c = card("contact")
    state = deal_page_state(c, RULES, REP)
    assert state.next_stage == "needs_diagnosis" and not state.read_only
    assert state.locked and not state.advance_enabled
    assert [m.en for m in state.locked_by] == [s.detail.en for s in c.checklist.missing if s.detail]
    assert len(state.locked_by) == 2
    assert not state.gated and not state.advance_asks_approval
    assert not state.may_move_back and state.may_mark_lost and not state.may_reopen
    assert state.banner is DealBanner.NONE and not state.may_decide


def test_met_locks_enable_advance() -> None:
    state = deal_page_state(
        card("contact", {"amount": 50000, "primary_contact_id": "c-1"}), RULES, REP
    )
    assert state.advance_enabled and not state.locked and state.locked_by == ()


def test_a_gated_move_asks_for_approval_until_it_is_approved() -> None:
    asking = deal_page_state(proposal_ready(), RULES, REP)
    assert asking.gated and asking.advance_asks_approval and asking.advance_enabled
    assert asking.may_move_back
    approved = deal_page_state(proposal_ready(approved_next=True), RULES, REP)
    assert not approved.advance_asks_approval and approved.banner is DealBanner.APPROVED


def test_a_pending_request_waits_and_only_another_lead_decides_it() -> None:
    pending = {"id": "a-1", "requested_by": "u-rep", "reason": "客户已确认"}
    for viewer, decides in [
        (REP, False),
        (LEAD, True),
        (Session("u-rep", "张伟", "lead"), False),  # a lead never decides their own request
        (Session("u-rep", "张伟", "admin"), True),
        (Session("u-rep", "local", None), True),  # a profile that never signed in
    ]:
        state = deal_page_state(proposal_ready(pending=pending), RULES, viewer)
        assert state.banner is DealBanner.WAITING and not state.advance_enabled
        assert state.may_decide is decides, viewer


def test_verdicts_show_until_something_more_pressing() -> None:
    rejected = {"status": "rejected", "from_stage": "proposal", "to_stage": "negotiation"}
    state = deal_page_state(proposal_ready(last_decision=rejected), RULES, REP)
    assert state.banner is DealBanner.REJECTED
    approved = {"status": "approved", "from_stage": "proposal", "to_stage": "negotiation"}
    state = deal_page_state(card("negotiation", last_decision=approved), RULES, REP)
    assert state.banner is DealBanner.DECIDED and not state.gated


def test_signed_and_lost_deals_are_read_only() -> None:
    signed = deal_page_state(card("signed"), RULES, REP)
    assert signed.read_only and signed.next_stage is None and signed.banner is DealBanner.SIGNED
    assert not signed.may_mark_lost and signed.may_move_back and not signed.advance_enabled
    lost = deal_page_state(card(LOST, {"lost_from": "proposal"}), RULES, REP)
    assert lost.read_only and lost.banner is DealBanner.LOST
    assert lost.may_reopen and not lost.may_move_back and not lost.may_mark_lost
