"""The stage rules: no skipping, every unmet lock named, approvals, back/lost/reopen."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.domain.process import DealFacts, Move, advance_checklist, decide_move, is_stagnant
from app.domain.rules import RulesError, default_rules, load_rules_json, parse_rules

RULES = default_rules()
ALL_ROLES = {r: f"c-{r}" for r in ("initiator", "influencer", "veto", "user", "payer")}
PAINS = [{"text": t, "confirmed": True} for t in ("库存周转慢", "交付延期", "数据不同步")]


def facts(stage: str, kinds: frozenset[str] = frozenset(), **fields: Any) -> DealFacts:
    return DealFacts(
        stage=stage, fields=fields, attachment_kinds=kinds, lost_from=fields.get("lost_from")
    )


def test_stages_in_order() -> None:
    assert RULES.stage_keys == ("contact", "needs_diagnosis", "proposal", "negotiation", "signed")


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("contact", "proposal"),
        ("contact", "signed"),
        ("needs_diagnosis", "negotiation"),
        ("proposal", "signed"),
    ],
)
def test_skipping_a_stage_is_refused_naming_the_skipped_stages(current: str, target: str) -> None:
    decision = decide_move(facts(current), target, RULES)
    assert not decision.allowed
    assert decision.problems[0].code == "skip"
    skipped = RULES.stage_keys[RULES.index(current) + 1 : RULES.index(target)]
    for key in skipped:
        assert RULES.stage(key).label.en in decision.problems[0].message.en
        assert RULES.stage(key).label.zh in decision.problems[0].message.zh


def test_needs_diagnosis_names_every_missing_lock() -> None:
    partial = facts(
        "needs_diagnosis",
        pain_points=[{"text": "a", "confirmed": True}, {"text": "b", "confirmed": False}],
        decision_chain={"initiator": "c1", "payer": ""},
    )
    decision = decide_move(partial, "proposal", RULES)
    assert not decision.allowed and decision.move is Move.FORWARD
    en = decision.messages("en")
    assert en == [
        "Attach: Customer org chart",
        "Confirmed pain points: 3 needed, 1 so far",
        "Decision chain missing: Influencer, Veto holder, User, Payer",
    ]
    assert decision.messages("zh")[0] == "请上传附件:客户组织架构图"
    assert all(p.lock is not None for p in decision.problems)


def test_needs_diagnosis_advances_when_all_locks_met() -> None:
    done = facts(
        "needs_diagnosis", frozenset({"org_chart"}), pain_points=PAINS, decision_chain=ALL_ROLES
    )
    decision = decide_move(done, "proposal", RULES)
    assert decision.allowed and decision.problems == ()
    assert all(item.met for item in advance_checklist(done, RULES).items)


def test_proposal_needs_three_documents_and_approval() -> None:
    decision = decide_move(facts("proposal", frozenset({"quote"})), "negotiation", RULES)
    codes = [p.code for p in decision.problems]
    assert codes == ["lock", "lock", "approval_required"]
    assert decision.needs_approval
    docs = frozenset({"quote", "requirement_confirmation", "implementation_schedule"})
    assert [
        p.code for p in decide_move(facts("proposal", docs), "negotiation", RULES).problems
    ] == ["approval_required"]
    assert decide_move(facts("proposal", docs), "negotiation", RULES, approved=True).allowed


def test_signed_entry_needs_contract_and_handover() -> None:
    decision = decide_move(facts("negotiation"), "signed", RULES)
    assert len(decision.problems) == 4
    assert "Attach: Contract" in decision.messages("en")
    ready = facts(
        "negotiation",
        frozenset({"contract"}),
        checklist={
            "handover_key_contacts": True,
            "handover_documents": True,
            "handover_open_issues": True,
        },
    )
    assert decide_move(ready, "signed", RULES).allowed


def test_back_needs_reason() -> None:
    assert decide_move(facts("proposal"), "contact", RULES).problems[0].code == "reason_required"
    ok = decide_move(facts("proposal"), "contact", RULES, reason="客户预算重新评估")
    assert ok.allowed and ok.move is Move.BACK


def test_lost_from_any_open_stage_with_reason() -> None:
    for stage in RULES.stage_keys[:-1]:
        assert not decide_move(facts(stage), "lost", RULES).allowed
        assert decide_move(facts(stage), "lost", RULES, reason="选择了竞品方案").allowed
    assert not decide_move(facts("signed"), "lost", RULES, reason="选择了竞品方案").allowed


def test_reopen_only_up_to_where_it_was_lost() -> None:
    lost = facts("lost", lost_from="proposal")
    assert decide_move(lost, "proposal", RULES, reason="客户重启项目").allowed
    assert not decide_move(lost, "negotiation", RULES, reason="客户重启项目").allowed


def test_unknown_and_same_stage() -> None:
    assert decide_move(facts("contact"), "bogus", RULES).problems[0].code == "unknown_stage"
    assert decide_move(facts("contact"), "contact", RULES).problems[0].code == "same_stage"


def test_rules_are_data_a_new_lock_applies_without_code_changes() -> None:
    data = json.loads(json.dumps(RULES.raw))
    data["stages"][3]["exit_locks"] = [
        {"kind": "field", "key": "commit_amount", "zh": "承诺金额", "en": "Commit amount"}
    ]
    data["approval_gates"] = []
    rules = parse_rules(data)
    decision = decide_move(
        facts(
            "negotiation",
            frozenset({"contract"}),
            checklist={
                "handover_key_contacts": 1,
                "handover_documents": 1,
                "handover_open_issues": 1,
            },
        ),
        "signed",
        rules,
    )
    assert decision.messages("en") == ["Fill in: Commit amount"]
    assert not decide_move(
        facts(
            "proposal", frozenset({"quote", "requirement_confirmation", "implementation_schedule"})
        ),
        "negotiation",
        rules,
    ).needs_approval


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[]", "JSON object"),
        ("{", "not valid JSON"),
        (
            '{"stages": [{"key": "a", "zh": "甲", "en": "A", '
            '"exit_locks": [{"kind": "nope", "key": "x"}]}], "followup": {"types": []}}',
            "unknown lock kind",
        ),
        ('{"stages": [], "followup": {"types": []}}', "at least one stage"),
    ],
)
def test_malformed_rules_are_refused_with_a_message(text: str, fragment: str) -> None:
    with pytest.raises(RulesError, match=fragment):
        load_rules_json(text)


def test_stagnation_after_72_hours_without_followup() -> None:
    entered = datetime(2026, 11, 1, tzinfo=UTC)
    assert not is_stagnant(entered, None, entered + timedelta(hours=71), RULES)
    assert is_stagnant(entered, None, entered + timedelta(hours=72), RULES)
    follow = entered + timedelta(hours=60)
    assert not is_stagnant(entered, follow, entered + timedelta(hours=100), RULES)
