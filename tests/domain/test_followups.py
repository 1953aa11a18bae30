from __future__ import annotations

from datetime import date

from app.domain.followups import followup_defaults, required_fields_for_type, validate_followup
from app.domain.rules import default_rules

RULES = default_rules()
GOOD = {
    "customer_id": "c1",
    "type": "demo",
    "conclusion": "客户关注库存周转,演示后同意试用两周",
    "next_action": "发送试用账号",
    "due_on": "2026-11-05",
}


def test_defaults_due_in_three_days_medium_priority() -> None:
    d = followup_defaults(date(2026, 11, 2), RULES, department="华东销售")
    assert d["due_on"] == "2026-11-05" and d["priority"] == "medium"
    assert d["department"] == "华东销售"


def test_valid_followup_passes() -> None:
    clean, errors = validate_followup(GOOD, RULES)
    assert errors == {} and clean["due_on"] == "2026-11-05"


def test_vague_conclusion_is_refused() -> None:
    _, errors = validate_followup({**GOOD, "conclusion": "已沟通"}, RULES)
    assert set(errors) == {"conclusion"}
    assert "10" in errors["conclusion"].en


def test_missing_required_facts_each_named() -> None:
    _, errors = validate_followup({"customer_id": "c1", "type": "demo"}, RULES)
    assert {"conclusion", "next_action", "due_on"} <= set(errors)


def test_price_negotiation_requires_competitor_comparison() -> None:
    assert required_fields_for_type("price_negotiation", RULES) == ["competitor_comparison"]
    values = {**GOOD, "type": "price_negotiation"}
    _, errors = validate_followup(values, RULES)
    assert set(errors) == {"competitor_comparison"}
    assert "价格谈判" in errors["competitor_comparison"].zh
    _, errors = validate_followup({**values, "competitor_comparison": "竞品便宜5%"}, RULES)
    assert errors == {}


def test_bad_type_and_date() -> None:
    _, errors = validate_followup({**GOOD, "type": "chat", "due_on": "next week"}, RULES)
    assert set(errors) == {"type", "due_on"}
