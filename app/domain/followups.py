"""Structured follow-up rules (SPEC F1–F3): required facts, type dependencies, defaults."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from app.domain.messages import Msg
from app.domain.rules import ProcessRules
from app.domain.schema import validate_values


def followup_defaults(today: date, rules: ProcessRules, department: str = "") -> dict[str, Any]:
    """Values a new follow-up form starts with (due in N days, medium priority, own department)."""
    return {
        "type": "consultation",
        "due_on": (today + timedelta(days=rules.followup.due_default_days)).isoformat(),
        "priority": rules.followup.default_priority,
        "department": department,
    }


def validate_followup(
    values: Mapping[str, Any], rules: ProcessRules, *, allow_system: bool = False
) -> tuple[dict[str, Any], dict[str, Msg]]:
    """Check a follow-up against the schema and the rule data; return clean values and errors.

    ``allow_system`` admits author/created_at (bulk loads and sync), never typed input.
    """
    clean, errors = validate_values("followup", values, allow_system=allow_system)
    fr = rules.followup
    conclusion = (clean.get("conclusion") or "").strip()
    if "conclusion" not in errors and len(conclusion) < fr.conclusion_min_length:
        errors["conclusion"] = Msg(
            '关键结论至少{n}个字:写清客户顾虑、我方回应和结果("已沟通"不算)',
            "Write at least {n} characters: the customer's concern, our answer, the outcome",
        ).format(n=fr.conclusion_min_length)
    next_action = (clean.get("next_action") or "").strip()
    if "next_action" not in errors and len(next_action) < fr.next_action_min_length:
        errors["next_action"] = Msg("请写明下一步动作", "Say what the next action is")
    ftype = fr.type(str(clean.get("type") or ""))
    if ftype is not None:
        for key, label in ftype.requires:
            if not (clean.get(key) or "").strip():
                errors[key] = Msg("{t}类跟进必须填写{zh}", "A {te} follow-up needs: {en}").format(
                    t=ftype.label.zh, te=ftype.label.en.lower(), zh=label.zh, en=label.en
                )
    if clean.get("priority") and clean["priority"] not in fr.priorities:
        errors["priority"] = Msg("优先级无效", "Unknown priority")
    return clean, errors


def required_fields_for_type(type_key: str, rules: ProcessRules) -> list[str]:
    """Extra fields that become required for a follow-up type (for the form)."""
    ftype = rules.followup.type(type_key)
    return [key for key, _ in ftype.requires] if ftype else []
