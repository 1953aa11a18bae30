"""The team lead's view of leads and alerts (SPEC L3, L4, P5), computed from synced records.

Pure functions over plain dicts (the local copies of leads, alerts and deals): each rep's open
and overdue leads, misses in a row with the flag at ``misses_to_flag``, the share of
high-intent leads over a period (:func:`app.domain.leads.fairness`), and an alert inbox that
groups, sorts and says what happened since each alert was raised.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from app.domain.leads import LeadRules, fairness, is_high_intent, miss_streak
from app.domain.messages import Msg

OPEN = ("assigned", "accepted", "contacted")


def epoch(value: Any) -> float | None:
    """An ISO time (naive means UTC) as epoch seconds; None when absent or unreadable."""
    if not value:
        return None
    try:
        stamp = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.timestamp()


def outcome(lead: Mapping[str, Any], now: float) -> str | None:
    """How the owner answered the lead: ``on_time``, ``late``, ``missed`` (deadline passed
    unanswered) or None (still running, or never timed)."""
    due = epoch(lead.get("response_due"))
    if due is None:
        return None
    answered = epoch(lead.get("accepted_at"))
    if answered is not None:
        return "on_time" if answered <= due else "late"
    if lead.get("status") == "converted":
        return "on_time"
    return "missed" if now > due else None


@dataclass(frozen=True)
class RepRow:
    """One rep's line on the lead's dashboard."""

    user_id: str
    open_leads: int
    overdue: int
    misses_in_row: int
    flagged: bool
    leads: int
    high_intent: int
    share_high: float
    new_hire: bool | None = None
    first_week_leads: int | None = None
    first_week_ratio: float | None = None
    first_week_flagged: bool = False

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def rep_rows(
    reps: Iterable[str],
    leads: Iterable[Mapping[str, Any]],
    *,
    now: float,
    start: float,
    rules: LeadRules,
    flagged_reps: Iterable[str] = (),
    joined: Mapping[str, float] | None = None,
) -> list[RepRow]:
    """Every rep's open and overdue leads, current miss streak (flagged at the rules'
    ``misses_to_flag``, or when the server flagged them) and high-intent share since ``start``.

    ``joined`` (when each rep joined, when known) adds the new hires' first-week comparison.
    """
    team = sorted(set(reps))
    by_rep: dict[str, list[Mapping[str, Any]]] = {u: [] for u in team}
    for lead in leads:
        owner = lead.get("owner")
        if owner in by_rep:
            by_rep[str(owner)].append(lead)
    assignments = [
        (str(lead["owner"]), at, is_high_intent(lead.get("score"), rules))
        for rows in by_rep.values()
        for lead in rows
        if (at := epoch(lead.get("assigned_at"))) is not None
    ]
    shares = {
        s.user_id: s
        for s in fairness(
            {u: (joined or {}).get(u, start - 1.0) for u in team},
            assignments,
            start=start,
            end=now + 1.0,
            rules=rules,
        )
    }
    server_flags = set(flagged_reps)
    out = []
    for user_id in team:
        mine = by_rep[user_id]
        open_leads = [lead for lead in mine if lead.get("status") in OPEN]
        overdue = sum(
            1
            for lead in open_leads
            if lead.get("status") == "assigned"
            and (due := epoch(lead.get("response_due"))) is not None
            and now > due
        )
        judged = sorted(
            (
                (epoch(lead.get("response_due")) or 0.0, result)
                for lead in mine
                if (result := outcome(lead, now)) is not None
            ),
            reverse=True,
        )
        streak = miss_streak(result for _, result in judged)
        share = shares[user_id]
        known = joined is not None and user_id in joined
        out.append(
            RepRow(
                user_id,
                len(open_leads),
                overdue,
                streak,
                streak >= rules.misses_to_flag or user_id in server_flags,
                share.leads,
                share.high_intent,
                share.share_high,
                share.new_hire if known else None,
                share.first_week_leads if known else None,
                share.first_week_ratio if known else None,
                share.flagged if known else False,
            )
        )
    return out


# ---------------------------------------------------------------- the alert inbox

LEAD_KINDS = ("lead_response", "lead_unassigned", "pool_claim_lost")


@dataclass
class InboxItem:
    """One open alert as the lead's inbox shows it."""

    id: str
    kind: str
    rep: str | None
    record_id: str | None
    customer_id: str | None
    message: Msg
    created_at: str
    days: float
    amount: float | None
    since: list[Msg] = field(default_factory=list)
    snoozed_until: str | None = None


# Alerts about the team's data as a whole, addressed to its leads: about no one rep.
TEAM_KINDS = frozenset({"health_brief", "duplicate"})


def rep_of(alert: Mapping[str, Any], lead: Any, deal: Any) -> str | None:
    """The rep an alert is about: the flagged rep, the lead's or the deal's owner."""
    kind = alert.get("kind")
    if kind in TEAM_KINDS:
        return None
    if kind == "rep_flagged":
        who = alert.get("record_id")
    elif kind in ("lead_response", "lead_unassigned") and lead is not None:
        who = lead.get("owner")
    elif deal is not None:
        who = deal.get("owner")
    else:
        who = alert.get("owner")
    return str(who) if who else None


def _since(
    alert: Mapping[str, Any],
    lead: Mapping[str, Any] | None,
    deal: Mapping[str, Any] | None,
    stage_names: Mapping[str, Msg],
    user_names: Mapping[str, str],
) -> list[Msg]:
    """What changed on the alert's record after it was raised."""
    raised = epoch(alert.get("created_at")) or 0.0
    out: list[Msg] = []
    if lead is not None:
        accepted = epoch(lead.get("accepted_at"))
        if accepted is not None and accepted >= raised:
            out.append(Msg("之后已接受", "Accepted since"))
        if lead.get("status") == "contacted":
            out.append(Msg("已联系", "Contacted"))
        if lead.get("status") == "converted":
            out.append(Msg("已转化为客户", "Converted to a customer"))
        assigned = epoch(lead.get("assigned_at"))
        if assigned is not None and assigned > raised and lead.get("owner"):
            who = user_names.get(str(lead["owner"]), str(lead["owner"]))
            out.append(Msg(f"已重新分配给 {who}", f"Reassigned to {who}"))
    elif alert.get("kind") in ("lead_response", "lead_unassigned") and alert.get("record_id"):
        out.append(Msg("线索已不在本机(退回公海或转给他人)", "The lead left this device (pool)"))
    if deal is not None:
        entered = epoch(deal.get("stage_entered_at"))
        if entered is not None and entered > raised:
            stage = str(deal.get("stage") or "")
            label = stage_names.get(stage, Msg(stage, stage))
            out.append(Msg(f"商机已推进到「{label.zh}」", f"The deal moved to {label.en}"))
        if deal.get("stage") in ("won", "lost"):
            out.append(Msg("商机已结束", "The deal is closed"))
    return out


def inbox(
    alerts: Iterable[Mapping[str, Any]],
    *,
    leads: Mapping[str, Mapping[str, Any]],
    deals: Mapping[str, Mapping[str, Any]],
    snoozes: Mapping[str, str],
    now: float,
    today: str,
    stage_names: Mapping[str, Msg] | None = None,
    user_names: Mapping[str, str] | None = None,
    kinds: Iterable[str] | None = None,
    show_snoozed: bool = False,
) -> list[InboxItem]:
    """Open alerts with their rep, age in days, amount (a deal's) and what happened since;
    alerts snoozed until after ``today`` are left out unless ``show_snoozed``."""
    wanted = None if kinds is None else set(kinds)
    out = []
    for alert in alerts:
        if alert.get("resolved_at") or alert.get("_deleted"):
            continue
        if wanted is not None and alert.get("kind") not in wanted:
            continue
        until = snoozes.get(str(alert["id"]))
        if until is not None and until > today and not show_snoozed:
            continue
        record_id = alert.get("record_id")
        lead = leads.get(str(record_id)) if record_id else None
        deal = deals.get(str(record_id)) if record_id else None
        raised = epoch(alert.get("created_at")) or now
        amount = deal.get("amount") if deal is not None else None
        out.append(
            InboxItem(
                id=str(alert["id"]),
                kind=str(alert.get("kind")),
                rep=rep_of(alert, lead, deal),
                record_id=str(record_id) if record_id else None,
                customer_id=alert.get("customer_id") or (deal or {}).get("customer_id"),
                message=Msg(str(alert.get("message_zh") or ""), str(alert.get("message_en") or "")),
                created_at=str(alert.get("created_at") or ""),
                days=max(0.0, (now - raised) / 86400.0),
                amount=_number(amount),
                since=_since(alert, lead, deal, stage_names or {}, user_names or {}),
                snoozed_until=until if until is not None and until > today else None,
            )
        )
    return out


def _number(value: Any) -> float | None:
    """A deal's amount as a number (the local copy may hold it as decimal text)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


SORTS = ("days", "amount")


def sort_items(items: list[InboxItem], by: str = "days") -> list[InboxItem]:
    """Oldest first (``days``) or largest deal first (``amount``; alerts with none last)."""
    if by == "amount":
        return sorted(items, key=lambda i: (i.amount is None, -(i.amount or 0.0), -i.days, i.id))
    return sorted(items, key=lambda i: (-i.days, i.id))


def group_items(
    items: Iterable[InboxItem], by: str = "rep"
) -> list[tuple[str | None, list[InboxItem]]]:
    """Items grouped by ``rep`` or ``kind`` (groups in order of first appearance, so a sorted
    list stays sorted within and across groups)."""
    groups: dict[str | None, list[InboxItem]] = {}
    for item in items:
        key = item.rep if by == "rep" else item.kind
        groups.setdefault(key, []).append(item)
    return list(groups.items())
