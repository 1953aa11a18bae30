"""Lost reasons are rule data: a list to choose from, "other" with the user's words."""

from __future__ import annotations

from app.domain.rules import default_rules, lost_reason


def test_the_shipped_rules_list_lost_reasons_and_render_stored_ones() -> None:
    rules = default_rules()
    keys = [k for k, _ in rules.lost_reasons]
    assert "price" in keys and "competitor" in keys and "other" not in keys
    assert lost_reason("price") == "price"
    assert lost_reason("competitor", " 对方低价 ") == "competitor: 对方低价"
    assert rules.lost_reason_label("competitor: 对方低价").zh == "输给竞争对手:对方低价"
    assert rules.lost_reason_label("other: 项目取消").en == "Other: 项目取消"
    assert rules.lost_reason_label("客户没钱了").zh == "客户没钱了"  # typed before the list


def test_won_and_lost_deals_are_not_open() -> None:
    rules = default_rules()
    assert rules.won_stage == "signed"
    assert [s for s in (*rules.stage_keys, "lost") if rules.is_open(s)] == [
        "contact",
        "needs_diagnosis",
        "proposal",
        "negotiation",
    ]
