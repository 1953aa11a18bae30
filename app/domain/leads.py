"""Lead rules (SPEC L1–L5): scorecard, weighted assignment, response deadlines, fairness.

Pure functions over plain values, shared by the server (which decides) and the client (which
shows the same figures). The numbers are data: ``rules.json`` → ``"leads"``; anything missing
there takes the defaults below, which come from the seed articles.

Policy in brief
---------------
* Score: each scorecard factor adds points when the lead's value matches; the score is capped
  at 100; ``high_intent_score`` (80) and above is high intent.
* Assignment: a rep's weight is ``0.4·speed + 0.35·conversion + 0.25·load health``, each part
  in [0, 1]. A rep at or above the load cap, disabled or on leave is not eligible. Reps whose
  tags match the lead's region/product are preferred; when none matches, every eligible rep is
  considered (an empty tag must never stall a lead). Among the candidates the choice is a
  *smooth weighted round robin*: each rep accumulates credit equal to its weight, the richest
  rep gets the lead and pays the total. Shares therefore follow the weights closely with no
  streaks, and the choice is reproducible from stored credits.
* Deadline: ``high`` minutes (15) after assignment for high intent, ``normal`` (240) otherwise.
* An action done offline counts at the time the rep did it, corrected by the device clock's
  offset (measured when the action reached the server) and never later than its arrival nor
  earlier than the assignment (see :func:`acted_at`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.domain.messages import Msg

FACTOR_KINDS = frozenset({"map", "ranges", "flag", "keywords"})


class LeadRulesError(ValueError):
    """The lead rule data is malformed; the message names the offending entry."""


@dataclass(frozen=True)
class Factor:
    """One scorecard factor: where its value comes from and the points it gives."""

    key: str
    kind: str
    label: Msg
    source: str
    points: int = 0
    values: Mapping[str, int] = field(default_factory=dict)
    # ``ranges``: (lower bound, points), highest bound first; the first bound met wins.
    ranges: tuple[tuple[float, int], ...] = ()
    keywords: tuple[str, ...] = ()
    flag: str | None = None


@dataclass(frozen=True)
class Weights:
    speed: float = 0.4
    conversion: float = 0.35
    load: float = 0.25


@dataclass(frozen=True)
class LeadRules:
    """Every lead number the server applies; see the module docstring."""

    factors: tuple[Factor, ...]
    high_intent_score: int = 80
    weights: Weights = Weights()
    load_cap: int = 35
    stats_window_days: int = 30
    # Response speed: a mean response of this many minutes scores 0.5.
    speed_half_minutes: float = 15.0
    deadline_high_minutes: int = 15
    deadline_normal_minutes: int = 240
    misses_to_flag: int = 3
    reclaim_hours: int = 48
    customer_idle_days: int = 30
    claims_per_day: int = 5
    new_hire_days: int = 7
    fairness_flag_below: float = 0.8
    # Scheduled jobs: how often each runs (seconds).
    job_intervals: Mapping[str, int] = field(default_factory=dict)


DEFAULT_JOB_INTERVALS = {
    "deadlines": 30,
    "reclaim": 300,
    "assign_waiting": 60,
    "customer_pool": 3600,
    "rep_stats": 7200,
    "forecast_snapshots": 3600,
    "stagnation": 900,
    "webhooks": 30,
    "journey": 900,
    "health_brief": 86400,  # the data-health brief (SPEC C3), once a day
}


def _msg(d: Mapping[str, Any], where: str) -> Msg:
    try:
        return Msg(str(d["zh"]), str(d["en"]))
    except KeyError as exc:
        raise LeadRulesError(f"{where}: missing label {exc.args[0]!r}") from None


def _number(value: Any, where: str, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise LeadRulesError(f"{where}: must be a number")
    if not math.isfinite(value) or not lo <= value <= hi:
        raise LeadRulesError(f"{where}: must be between {lo:g} and {hi:g}")
    return float(value)


def _factor(d: Mapping[str, Any], where: str) -> Factor:
    kind = d.get("kind")
    if kind not in FACTOR_KINDS:
        raise LeadRulesError(f"{where}: unknown factor kind {kind!r}")
    key = d.get("key")
    if not key:
        raise LeadRulesError(f"{where}: factor without key")
    source = str(d.get("field", key))
    points = int(_number(d.get("points", 0), f"{where}.points", 0, 100))
    values = {
        str(k): int(_number(v, f"{where}.values.{k}", 0, 100))
        for k, v in dict(d.get("values", {})).items()
    }
    ranges = tuple(
        sorted(
            (
                (
                    _number(r[0], f"{where}.ranges[{i}]", 0, 1e12),
                    int(_number(r[1], f"{where}.ranges[{i}]", 0, 100)),
                )
                for i, r in enumerate(d.get("ranges", []))
            ),
            reverse=True,
        )
    )
    if kind == "map" and not values:
        raise LeadRulesError(f"{where}: a map factor needs its values")
    if kind == "ranges" and not ranges:
        raise LeadRulesError(f"{where}: a ranges factor needs its ranges")
    return Factor(
        key=str(key),
        kind=str(kind),
        label=_msg(d, where),
        source=source,
        points=points,
        values=values,
        ranges=ranges,
        keywords=tuple(str(k).lower() for k in d.get("keywords", [])),
        flag=str(d["flag"]) if d.get("flag") else None,
    )


def parse_lead_rules(data: Mapping[str, Any] | None) -> LeadRules:
    """Build :class:`LeadRules` from the ``"leads"`` object of the rule data."""
    d = dict(data or {})
    try:
        factors = tuple(
            _factor(f, f"leads.scorecard[{i}]") for i, f in enumerate(d.get("scorecard", []))
        )
        w = dict(d.get("weights", {}))
        weights = Weights(
            speed=_number(w.get("speed", 0.4), "leads.weights.speed", 0, 1),
            conversion=_number(w.get("conversion", 0.35), "leads.weights.conversion", 0, 1),
            load=_number(w.get("load", 0.25), "leads.weights.load", 0, 1),
        )
        if weights.speed + weights.conversion + weights.load <= 0:
            raise LeadRulesError("leads.weights: at least one weight must be positive")
        deadlines = dict(d.get("deadline_minutes", {}))
        intervals = dict(DEFAULT_JOB_INTERVALS)
        for name, seconds in dict(d.get("job_intervals", {})).items():
            if name not in DEFAULT_JOB_INTERVALS:
                raise LeadRulesError(f"leads.job_intervals: unknown job {name!r}")
            intervals[name] = int(_number(seconds, f"leads.job_intervals.{name}", 5, 86400))

        def whole(key: str, default: float, lo: float, hi: float) -> int:
            return int(_number(d.get(key, default), f"leads.{key}", lo, hi))

        return LeadRules(
            factors=factors,
            high_intent_score=whole("high_intent_score", 80, 0, 100),
            weights=weights,
            load_cap=whole("load_cap", 35, 1, 100_000),
            stats_window_days=whole("stats_window_days", 30, 1, 3650),
            speed_half_minutes=_number(
                d.get("speed_half_minutes", 15), "leads.speed_half_minutes", 0.1, 100_000
            ),
            deadline_high_minutes=int(
                _number(deadlines.get("high", 15), "leads.deadline_minutes.high", 1, 100_000)
            ),
            deadline_normal_minutes=int(
                _number(deadlines.get("normal", 240), "leads.deadline_minutes.normal", 1, 100_000)
            ),
            misses_to_flag=whole("misses_to_flag", 3, 1, 1000),
            reclaim_hours=whole("reclaim_hours", 48, 1, 100_000),
            customer_idle_days=whole("customer_idle_days", 30, 1, 3650),
            claims_per_day=whole("claims_per_day", 5, 0, 100_000),
            new_hire_days=whole("new_hire_days", 7, 1, 365),
            fairness_flag_below=_number(
                d.get("fairness_flag_below", 0.8), "leads.fairness_flag_below", 0, 10
            ),
            job_intervals=intervals,
        )
    except LeadRulesError:
        raise
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise LeadRulesError(f"malformed lead rules: {exc!r}") from None


# ---------------------------------------------------------------- scoring (L1)


@dataclass(frozen=True)
class Reason:
    """Why a factor gave (or did not give) points."""

    factor: str
    label: Msg
    value: Any
    points: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "factor": self.factor,
            "label": self.label.as_dict(),
            "value": self.value,
            "points": self.points,
        }


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y", "是", "有")
    return bool(value)


def _factor_points(f: Factor, facts: Mapping[str, Any]) -> tuple[Any, int]:
    value = facts.get(f.source)
    if f.kind == "map":
        return value, f.values.get(str(value), f.values.get("*", 0)) if value is not None else 0
    if f.kind == "ranges":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return value, 0
        if not math.isfinite(value):
            return None, 0
        return value, next((pts for lo, pts in f.ranges if value >= lo), 0)
    if f.kind == "flag":
        return value, f.points if _truthy(value) else 0
    # keywords: an explicit flag, else a keyword in the field's text.
    if f.flag is not None and _truthy(facts.get(f.flag)):
        return facts.get(f.flag), f.points
    text = str(value or "").lower()
    return value, f.points if text and any(k in text for k in f.keywords) else 0


def score_lead(facts: Mapping[str, Any], rules: LeadRules) -> tuple[int, list[Reason]]:
    """The lead's score (0–100) and one reason per factor, in scorecard order."""
    reasons = []
    for f in rules.factors:
        value, points = _factor_points(f, facts)
        reasons.append(Reason(f.key, f.label, value, points))
    return min(100, sum(r.points for r in reasons)), reasons


def is_high_intent(score: int | None, rules: LeadRules) -> bool:
    return score is not None and score >= rules.high_intent_score


# ---------------------------------------------------------------- assignment (L2)


@dataclass(frozen=True)
class RepFigures:
    """What the assignment knows about one rep of the lead's team."""

    user_id: str
    active: bool = True
    on_leave: bool = False
    tags: frozenset[str] = frozenset()
    # Mean minutes from assignment to acceptance in the window; None: no history yet.
    mean_response_minutes: float | None = None
    leads_in_window: int = 0
    converted_in_window: int = 0
    load: int = 0  # active customers plus open leads
    credit: float = 0.0


@dataclass(frozen=True)
class RepWeight:
    user_id: str
    speed: float
    conversion: float
    load_health: float
    weight: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "speed": round(self.speed, 4),
            "conversion": round(self.conversion, 4),
            "load_health": round(self.load_health, 4),
            "weight": round(self.weight, 4),
        }


# A rep with no history starts from these, so a new hire is neither starved nor flooded.
NEUTRAL_SPEED = 0.5
CONVERSION_PRIOR = 0.2
CONVERSION_PRIOR_LEADS = 5


def rep_weight(rep: RepFigures, rules: LeadRules) -> RepWeight:
    """The three scores and the weighted sum (see the module docstring)."""
    if rep.mean_response_minutes is None:
        speed = NEUTRAL_SPEED
    else:
        speed = rules.speed_half_minutes / (rules.speed_half_minutes + rep.mean_response_minutes)
    # Smoothed toward a prior so that one lucky conversion does not dominate.
    conversion = (rep.converted_in_window + CONVERSION_PRIOR * CONVERSION_PRIOR_LEADS) / (
        rep.leads_in_window + CONVERSION_PRIOR_LEADS
    )
    load_health = max(0.0, 1.0 - rep.load / rules.load_cap)
    w = rules.weights
    weight = w.speed * speed + w.conversion * conversion + w.load * load_health
    return RepWeight(rep.user_id, speed, conversion, load_health, weight)


@dataclass(frozen=True)
class Skipped:
    user_id: str
    reason: str  # disabled | on_leave | at_cap


@dataclass(frozen=True)
class Choice:
    """The outcome of one assignment: who, why, and everyone's new credit."""

    user_id: str | None
    weights: tuple[RepWeight, ...]
    skipped: tuple[Skipped, ...]
    tag_match: bool
    credits: Mapping[str, float]

    def why(self) -> dict[str, Any]:
        return {
            "chosen": self.user_id,
            "candidates": [w.as_dict() for w in self.weights],
            "skipped": [{"user_id": s.user_id, "reason": s.reason} for s in self.skipped],
            "tag_match": self.tag_match,
        }


def eligible(
    reps: Iterable[RepFigures], rules: LeadRules
) -> tuple[list[RepFigures], list[Skipped]]:
    """Reps who may take a lead now, and why the others may not."""
    ok, skipped = [], []
    for rep in reps:
        if not rep.active:
            skipped.append(Skipped(rep.user_id, "disabled"))
        elif rep.on_leave:
            skipped.append(Skipped(rep.user_id, "on_leave"))
        elif rep.load >= rules.load_cap:
            skipped.append(Skipped(rep.user_id, "at_cap"))
        else:
            ok.append(rep)
    return ok, skipped


def choose_rep(reps: Sequence[RepFigures], wanted_tags: Iterable[str], rules: LeadRules) -> Choice:
    """Pick the rep for one lead (smooth weighted round robin over the candidates)."""
    ok, skipped = eligible(reps, rules)
    tags = {t.strip().lower() for t in wanted_tags if t and t.strip()}
    matching = [r for r in ok if tags and tags <= r.tags]
    candidates = matching or ok
    credits = {r.user_id: r.credit for r in reps}
    if not candidates:
        return Choice(None, (), tuple(skipped), False, credits)
    weights = tuple(rep_weight(r, rules) for r in candidates)
    total = sum(w.weight for w in weights)
    for w in weights:
        credits[w.user_id] += w.weight
    # Ties go to the lower id so the choice is reproducible.
    chosen = max(weights, key=lambda w: (credits[w.user_id], -_order(w.user_id, candidates)))
    credits[chosen.user_id] -= total
    return Choice(chosen.user_id, weights, tuple(skipped), bool(matching), credits)


def _order(user_id: str, reps: Sequence[RepFigures]) -> int:
    return sorted(r.user_id for r in reps).index(user_id)


def expected_shares(reps: Sequence[RepFigures], rules: LeadRules) -> dict[str, float]:
    """Each eligible rep's share of leads implied by the weights (for reports and benches)."""
    ok, _ = eligible(reps, rules)
    weights = {r.user_id: rep_weight(r, rules).weight for r in ok}
    total = sum(weights.values()) or 1.0
    return {k: v / total for k, v in weights.items()}


# ---------------------------------------------------------------- response lock (L3)


def response_minutes(high_intent: bool, rules: LeadRules) -> int:
    return rules.deadline_high_minutes if high_intent else rules.deadline_normal_minutes


def response_due(assigned_at: float, high_intent: bool, rules: LeadRules) -> float:
    """When the rep must have accepted or contacted the lead (epoch seconds)."""
    return assigned_at + 60.0 * response_minutes(high_intent, rules)


def acted_at(
    device_acted: float, device_sent: float | None, received: float, assigned: float
) -> float:
    """When a rep's action counts, judged on the server's clock.

    The device says when the rep acted and when it sent the action; the difference between
    the send time and the arrival is the device clock's offset, which is added back. The result
    is never later than the arrival (nothing acts in the future) and never earlier than the
    assignment (nobody answers a lead before having it).
    """
    offset = 0.0 if device_sent is None else received - device_sent
    when = device_acted + offset
    return min(received, max(assigned, when))


def miss_streak(outcomes_newest_first: Iterable[str]) -> int:
    """How many of the rep's most recent judged leads were missed in a row."""
    n = 0
    for outcome in outcomes_newest_first:
        if outcome != "missed":
            break
        n += 1
    return n


# ---------------------------------------------------------------- fairness (L4)


@dataclass(frozen=True)
class RepShare:
    user_id: str
    leads: int
    high_intent: int
    share_high: float
    new_hire: bool
    first_week_leads: int | None
    first_week_ratio: float | None
    flagged: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "leads": self.leads,
            "high_intent": self.high_intent,
            "share_high": round(self.share_high, 4),
            "new_hire": self.new_hire,
            "first_week_leads": self.first_week_leads,
            "first_week_ratio": None
            if self.first_week_ratio is None
            else round(self.first_week_ratio, 4),
            "flagged": self.flagged,
        }


def fairness(
    reps: Mapping[str, float],
    assignments: Iterable[tuple[str, float, bool]],
    *,
    start: float,
    end: float,
    rules: LeadRules,
) -> list[RepShare]:
    """Each rep's share of high-intent leads in ``[start, end)`` and new hires' first week.

    ``reps`` maps each rep to when they joined; ``assignments`` are (rep, assigned at, high
    intent). A new hire (joined inside the period) is compared on leads received in their first
    ``new_hire_days`` against the team's mean over any window of that length in the period;
    a ratio below ``fairness_flag_below`` is flagged.
    """
    rows = [a for a in assignments if start <= a[1] < end and a[0] in reps]
    high_total = sum(1 for a in rows if a[2])
    period_days = max((end - start) / 86400.0, 1e-9)
    week = rules.new_hire_days
    team_leads = len(rows)
    mean_per_rep_week = team_leads / max(len(reps), 1) * min(1.0, week / period_days)
    out = []
    for user_id, joined in sorted(reps.items()):
        mine = [a for a in rows if a[0] == user_id]
        high = sum(1 for a in mine if a[2])
        new_hire = start <= joined < end
        first_week = ratio = None
        flagged = False
        if new_hire:
            first_week = sum(1 for a in mine if joined <= a[1] < joined + week * 86400)
            ratio = first_week / mean_per_rep_week if mean_per_rep_week > 0 else None
            flagged = ratio is not None and ratio < rules.fairness_flag_below
        out.append(
            RepShare(
                user_id,
                len(mine),
                high,
                high / high_total if high_total else 0.0,
                new_hire,
                first_week,
                ratio,
                flagged,
            )
        )
    return out
