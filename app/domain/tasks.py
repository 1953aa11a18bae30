"""Tasks and the customer-success journey (SPEC J1, J2), as pure rules shared by the client
and the server.

* :func:`validate_task` checks a task's values beyond the schema: sane dates, bounded text.
* :class:`JourneyRules` is the ``journey`` section of the rule data: the steps a signed deal
  starts, each an offset from the signing date or from the contract's expiry.
* :func:`plan_journey` turns a signed deal into its steps' due times; :func:`journey_task_id`
  gives each step's task the same id wherever it is computed, so a step is never made twice.
* :func:`journey_state` and :func:`scan_journeys` say which journeys never started or stalled.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.domain.messages import Msg
from app.domain.schema import validate_values

OPEN, DONE, CANCELLED = "open", "done", "cancelled"
MANUAL = "manual"
JOURNEY_KINDS = ("journey-welcome", "journey-health", "journey-renewal")
# Dates outside these years are typing mistakes or probes, never a real appointment.
FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_TITLE = 200
MAX_NOTES = 10_000
_JOURNEY_NS = uuid.UUID("3d5a1f0e-8c2b-4f7e-a1d3-6b9c0e2f4a81")

_BAD_YEAR = Msg("日期应在 {a} 到 {b} 年之间", "Dates must fall between {a} and {b}")
_TOO_LONG = Msg("内容过长(最多 {n} 个字符)", "Too long (at most {n} characters)")


def as_utc(text: str | None) -> datetime | None:
    """A stored time as an aware UTC datetime (a time without zone is taken as UTC)."""
    if not text:
        return None
    try:
        stamp = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.astimezone(UTC)


def utc_text(stamp: datetime) -> str:
    """An aware datetime as the stored form: UTC, seconds."""
    return stamp.astimezone(UTC).replace(microsecond=0).isoformat()


def known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def zone(name: str | None) -> Any:
    """A time zone by IANA name; the machine's own zone when the name is empty or unknown
    (by name when the environment gives one, so calendars get a named zone)."""
    for candidate in (name, os.environ.get("TZ", "").lstrip(":")):
        if candidate and known_zone(candidate):
            return ZoneInfo(candidate)
    return datetime.now().astimezone().tzinfo


def validate_task(
    values: Mapping[str, Any], *, partial: bool = False, allow_system: bool = False
) -> tuple[dict[str, Any], dict[str, Msg]]:
    """Normalise a task's values; return the clean values and an error per field.

    A new task (not ``partial``) gets the defaults: kind ``manual``, status ``open``,
    priority ``medium``. Times are stored in UTC.
    """
    clean, errors = validate_values("task", values, partial=partial, allow_system=allow_system)
    if not partial:
        for name, default in (("kind", MANUAL), ("status", OPEN), ("priority", "medium")):
            if clean.get(name) is None and name not in errors:
                clean[name] = default
    for name in ("due_at", "done_at", "created_at", "updated_at"):
        if name in errors or clean.get(name) is None:
            continue
        stamp = as_utc(clean[name])
        if stamp is None or not FIRST_YEAR <= stamp.year <= LAST_YEAR:
            errors[name] = _BAD_YEAR.format(a=FIRST_YEAR, b=LAST_YEAR)
        else:
            clean[name] = utc_text(stamp)
    anchor = clean.get("anchor")
    if anchor and "anchor" not in errors and not FIRST_YEAR <= int(str(anchor)[:4]) <= LAST_YEAR:
        errors["anchor"] = _BAD_YEAR.format(a=FIRST_YEAR, b=LAST_YEAR)
    for name, limit in (("title", MAX_TITLE), ("related_name", MAX_TITLE), ("notes", MAX_NOTES)):
        if isinstance(clean.get(name), str) and len(clean[name]) > limit:
            errors[name] = _TOO_LONG.format(n=limit)
    return clean, errors


# ---- the journey ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class JourneyStep:
    """One step: a task of ``kind`` due ``offset_days`` after its anchor (``signed`` or
    ``expires``, the contract's expiry; negative offsets come before)."""

    key: str
    kind: str
    anchor: str
    offset_days: int
    title: Msg
    priority: str = "medium"
    # Another step's key: this step's task is made only once that step's task is done
    # (e.g. the health check after the welcome call).
    after: str | None = None


@dataclass(frozen=True)
class JourneyRules:
    steps: tuple[JourneyStep, ...]
    timezone: str = "Asia/Shanghai"
    hour: int = 9
    # "csm": the customer's success manager (a csm of the team, the least loaded), else the rep.
    assign: str = "csm"
    stall_days: int = 7
    renewal_window_days: int = 180


DEFAULT_JOURNEY: dict[str, Any] = {
    "timezone": "Asia/Shanghai",
    "hour": 9,
    "assign": "csm",
    "stall_days": 7,
    "renewal_window_days": 180,
    "steps": [
        {
            "key": "welcome",
            "kind": "journey-welcome",
            "anchor": "signed",
            "offset_days": 1,
            "zh": "欢迎电话",
            "en": "Welcome call",
            "priority": "high",
        },
        {
            "key": "health",
            "kind": "journey-health",
            "anchor": "signed",
            "offset_days": 30,
            "zh": "健康检查",
            "en": "Health check",
        },
        {
            "key": "renewal",
            "kind": "journey-renewal",
            "anchor": "expires",
            "offset_days": -90,
            "zh": "续约资料包",
            "en": "Renewal pack",
            "priority": "high",
        },
    ],
}


def parse_journey(data: Mapping[str, Any] | None) -> JourneyRules:
    """The journey section of the rule data (the shipped default when absent)."""
    d = dict(DEFAULT_JOURNEY if data is None else data)
    steps: list[JourneyStep] = []
    for i, s in enumerate(d.get("steps", [])):
        anchor = str(s.get("anchor", "signed"))
        if anchor not in ("signed", "expires"):
            raise ValueError(f"journey.steps[{i}].anchor must be 'signed' or 'expires'")
        offset = int(s["offset_days"])
        if abs(offset) > 3660:
            raise ValueError(f"journey.steps[{i}].offset_days is out of range")
        steps.append(
            JourneyStep(
                key=str(s["key"]),
                kind=str(s.get("kind", MANUAL)),
                anchor=anchor,
                offset_days=offset,
                title=Msg(str(s.get("zh", s["key"])), str(s.get("en", s["key"]))),
                priority=str(s.get("priority", "medium")),
                after=None if s.get("after") is None else str(s["after"]),
            )
        )
        if steps[-1].after is not None and steps[-1].after not in {x.key for x in steps[:-1]}:
            raise ValueError(f"journey.steps[{i}].after must name an earlier step")
    hour = int(d.get("hour", 9))
    if not 0 <= hour <= 23:
        raise ValueError("journey.hour must be 0..23")
    return JourneyRules(
        steps=tuple(steps),
        timezone=str(d.get("timezone", "Asia/Shanghai")),
        hour=hour,
        assign=str(d.get("assign", "csm")),
        stall_days=int(d.get("stall_days", 7)),
        renewal_window_days=int(d.get("renewal_window_days", 180)),
    )


def journey_rules(raw_rules: Mapping[str, Any]) -> JourneyRules:
    """The journey rules inside a whole rule document (``ProcessRules.raw``)."""
    return parse_journey(raw_rules.get("journey"))


def journey_task_id(deal_id: str, step_key: str) -> str:
    """The id of a deal's journey task for one step: the same on every server and device."""
    return str(uuid.uuid5(_JOURNEY_NS, f"{deal_id}:{step_key}"))


@dataclass(frozen=True)
class PlannedStep:
    step: JourneyStep
    task_id: str
    anchor: str  # the date the due time was computed from
    due_at: str  # UTC


def _date(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def signed_date(deal: Mapping[str, Any], rules: JourneyRules) -> date | None:
    """When the deal was signed: its ``signed_on``, else the day it entered the signed stage."""
    typed = _date(deal.get("signed_on"))
    if typed is not None:
        return typed
    entered = as_utc(deal.get("stage_entered_at"))
    return None if entered is None else entered.astimezone(zone(rules.timezone)).date()


def plan_journey(deal_id: str, deal: Mapping[str, Any], rules: JourneyRules) -> list[PlannedStep]:
    """The steps a signed deal's journey has, with their due times (UTC).

    A step anchored on the expiry is left out while the deal has no expiry date.
    """
    signed = signed_date(deal, rules)
    expires = _date(deal.get("expires_on"))
    tz = zone(rules.timezone)
    out = []
    for step in rules.steps:
        anchor = signed if step.anchor == "signed" else expires
        if anchor is None:
            continue
        day = anchor + timedelta(days=step.offset_days)
        due = datetime.combine(day, time(rules.hour), tz)
        out.append(
            PlannedStep(step, journey_task_id(deal_id, step.key), anchor.isoformat(), utc_text(due))
        )
    return out


# ---- journey state -------------------------------------------------------------------------------
NOT_STARTED, STALLED, ON_TRACK, COMPLETE = "not_started", "stalled", "on_track", "complete"
STATE_LABELS = {
    NOT_STARTED: Msg("未启动", "Not started"),
    STALLED: Msg("停滞", "Stalled"),
    ON_TRACK: Msg("进行中", "On track"),
    COMPLETE: Msg("已完成", "Complete"),
}


def journey_state(
    tasks: Iterable[Mapping[str, Any]], now: datetime, rules: JourneyRules
) -> tuple[str, Mapping[str, Any] | None]:
    """The state of one deal's journey from its journey tasks, and the task that stalls it
    (an open step overdue by more than ``stall_days``)."""
    live = [t for t in tasks if t.get("status") != CANCELLED]
    if not live:
        return NOT_STARTED, None
    limit = now - timedelta(days=rules.stall_days)
    late = sorted(
        (t for t in live if t.get("status") == OPEN and (as_utc(t.get("due_at")) or now) < limit),
        key=lambda t: str(t.get("due_at")),
    )
    if late:
        return STALLED, late[0]
    if all(t.get("status") == DONE for t in live):
        return COMPLETE, None
    return ON_TRACK, None


@dataclass(frozen=True)
class JourneyIssue:
    """A signed deal whose journey never started or stalled."""

    deal_id: str
    customer_id: str | None
    customer_name: str
    owner: str | None
    state: str
    signed_on: str | None
    late_task: Mapping[str, Any] | None


def scan_journeys(
    deals: Iterable[Mapping[str, Any]],
    tasks: Iterable[Mapping[str, Any]],
    now: datetime,
    rules: JourneyRules,
) -> list[JourneyIssue]:
    """Signed deals (``id``, ``customer_id``, ``customer_name``, ``owner``, dates) whose
    journey never started or stalled, stalled first, then oldest signing first."""
    by_deal: dict[str, list[Mapping[str, Any]]] = {}
    for t in tasks:
        if t.get("kind") in JOURNEY_KINDS and t.get("deal_id"):
            by_deal.setdefault(str(t["deal_id"]), []).append(t)
    out = []
    for d in deals:
        state, late = journey_state(by_deal.get(str(d["id"]), []), now, rules)
        if state in (NOT_STARTED, STALLED):
            signed = signed_date(d, rules)
            out.append(
                JourneyIssue(
                    str(d["id"]),
                    d.get("customer_id"),
                    str(d.get("customer_name") or ""),
                    d.get("owner"),
                    state,
                    None if signed is None else signed.isoformat(),
                    late,
                )
            )
    out.sort(key=lambda i: (i.state != STALLED, i.signed_on or ""))
    return out
