"""The team lead's figures (SPEC T3, T4): evidence-weighted forecast, blockage heatmap and
pipeline analytics, as pure functions over plain deal data.

The desktop (over its synced store) and the server (over its central records) both build
:class:`DealRow` values and call these functions, so the two compute the same numbers.

How a deal proves a milestone
-----------------------------
A milestone (rule data ``forecast.milestones``, by default NDA 20, POC 40, payment commitment
40) is proved when the deal's ``evidence`` object holds a non-empty value under the milestone's
``evidence`` key (the date it was proved, or ``true``), or when the deal carries an attachment
of the milestone's ``attachment`` kind, if it names one. An open deal's evidence probability is
the sum of its proved milestones' weights (at most 100 %), scaled by its decision-chain
coverage: ``p = evidence × (1 − chain_weight × (1 − coverage))``. A signed deal counts 100 %, a
lost one 0.

Periods
-------
A period is a month (``2026-11``) or a quarter (``2026Q4``). An open deal falls in the period of
its expected close, a won deal in the period of its signing date (else the day it entered the
won stage); a lost deal counts for the period it was lost in. Forecast figures for a period are
``won`` (signed in it), ``commit`` (won plus the reps' commit amounts of open deals), ``weighted``
(won plus amount × probability) and ``best_case`` (won plus the full amount of open deals).

Stage history
-------------
Each deal keeps ``stage_history``: ``[{"stage", "at"}, …]``, one entry per stage it entered,
oldest first (a deal without one has entered its current stage at ``stage_entered_at``). The
time a deal spent in a stage is the sum of its finished stays there, so a deal that moved back
and returned counts once per stage with both stays added; the stay it is in now is not finished
and does not count. A stage is *reached* when the deal has ever entered it.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from dataclasses import replace as dataclass_replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from app.domain.messages import Msg
from app.domain.process import DealFacts, advance_checklist, lock_met
from app.domain.rules import LOST, ProcessRules, StageLock

ZERO = Decimal(0)
HUNDRED = Decimal(100)


class ForecastRulesError(ValueError):
    """The forecast rule data is malformed."""


@dataclass(frozen=True)
class Milestone:
    key: str
    weight: Decimal
    label: Msg
    evidence: str
    attachment: str | None = None


@dataclass(frozen=True)
class ForecastRules:
    """Milestones and their weights, and the thresholds the cockpit flags with."""

    milestones: tuple[Milestone, ...]
    chain_weight: Decimal = Decimal("0.5")
    # A rep's commit more than this share above the evidence-weighted figure is flagged.
    gap_flag_share: Decimal = Decimal("0.3")
    stalled_days: int = 14
    # The stage-weighted forecast the back-test compares with (percent per stage key).
    stage_weights: Mapping[str, Decimal] = field(default_factory=dict)


DEFAULT_FORECAST: dict[str, Any] = {
    "milestones": [
        {"key": "nda", "weight": 20, "evidence": "nda", "zh": "保密协议已签", "en": "NDA signed"},
        {"key": "poc", "weight": 40, "evidence": "poc", "zh": "POC 已通过", "en": "POC passed"},
        {
            "key": "payment_commitment",
            "weight": 40,
            "evidence": "payment_commitment",
            "zh": "付款承诺",
            "en": "Payment commitment",
        },
    ],
    "chain_weight": 0.5,
    "gap_flag_share": 0.3,
    "stalled_days": 14,
    "stage_weights": {
        "contact": 10,
        "needs_diagnosis": 20,
        "proposal": 40,
        "negotiation": 60,
        "signed": 100,
    },
}


def _dec(value: Any, where: str) -> Decimal:
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        raise ForecastRulesError(f"{where}: not a number: {value!r}") from None
    if not d.is_finite() or d < 0:
        raise ForecastRulesError(f"{where}: must be a finite number ≥ 0")
    return d


def parse_forecast_rules(data: Mapping[str, Any] | None) -> ForecastRules:
    """Build :class:`ForecastRules` from rule data (``rules.json``'s ``forecast``)."""
    d: dict[str, Any] = dict(DEFAULT_FORECAST)
    d.update(data or {})
    milestones = []
    for i, m in enumerate(d["milestones"]):
        where = f"forecast.milestones[{i}]"
        try:
            key = str(m["key"])
            label = Msg(str(m["zh"]), str(m["en"]))
        except (KeyError, TypeError):
            raise ForecastRulesError(f"{where}: needs key, zh and en") from None
        weight = _dec(m.get("weight", 0), where)
        if weight > HUNDRED:
            raise ForecastRulesError(f"{where}: a weight is a percentage (0–100)")
        milestones.append(
            Milestone(key, weight, label, str(m.get("evidence") or key), m.get("attachment"))
        )
    chain = _dec(d.get("chain_weight", 0), "forecast.chain_weight")
    if chain > 1:
        raise ForecastRulesError("forecast.chain_weight: between 0 and 1")
    return ForecastRules(
        milestones=tuple(milestones),
        chain_weight=chain,
        gap_flag_share=_dec(d.get("gap_flag_share", 0.3), "forecast.gap_flag_share"),
        stalled_days=int(d.get("stalled_days", 14)),
        stage_weights={
            str(k): _dec(v, f"forecast.stage_weights.{k}")
            for k, v in dict(d.get("stage_weights") or {}).items()
        },
    )


def forecast_rules(rules: ProcessRules) -> ForecastRules:
    """The forecast rules within the process rule data (defaults when it has none)."""
    return parse_forecast_rules(rules.raw.get("forecast"))


# ---- periods ---------------------------------------------------------------------------------

_PERIOD = re.compile(r"^(\d{4})(?:Q([1-4])|-(0[1-9]|1[0-2]))$")


@dataclass(frozen=True, order=True)
class Period:
    """A calendar month or quarter: ``start`` inclusive, ``end`` exclusive."""

    start: date
    end: date
    name: str

    def contains(self, day: date | None) -> bool:
        return day is not None and self.start <= day < self.end

    def next(self) -> Period:
        return parse_period(_name_like(self.name, self.end))

    def previous(self) -> Period:
        return parse_period(_name_like(self.name, self.start - timedelta(days=1)))


def _name_like(name: str, day: date) -> str:
    if "Q" in name:
        return f"{day.year}Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


def parse_period(text: str) -> Period:
    """``2026Q4`` or ``2026-11``; raises ValueError with the expected form otherwise."""
    m = _PERIOD.match(text.strip())
    if not m:
        raise ValueError(f"period {text!r}: use a quarter like 2026Q4 or a month like 2026-11")
    year = int(m[1])
    if m[2]:
        first = (int(m[2]) - 1) * 3 + 1
        start = date(year, first, 1)
        end = date(year + (first + 3 > 12), (first + 2) % 12 + 1, 1)
        return Period(start, end, f"{year}Q{m[2]}")
    month = int(m[3])
    start = date(year, month, 1)
    end = date(year + (month == 12), month % 12 + 1, 1)
    return Period(start, end, f"{year}-{month:02d}")


def period_of(day: date, kind: str = "quarter") -> Period:
    """The quarter (or month) holding ``day``."""
    if kind == "month":
        return parse_period(f"{day.year}-{day.month:02d}")
    return parse_period(f"{day.year}Q{(day.month - 1) // 3 + 1}")


def last_periods(current: Period, count: int) -> list[Period]:
    """The ``count`` periods before ``current``, oldest first."""
    out: list[Period] = []
    p = current
    for _ in range(count):
        p = p.previous()
        out.append(p)
    return out[::-1]


def cockpit_periods(today: date) -> list[Period]:
    """The periods the cockpit offers on ``today``: the last three quarters, this one and the
    next, then the last two months and this one."""
    quarter, month = period_of(today), period_of(today, "month")
    return [*last_periods(quarter, 3), quarter, quarter.next(), *last_periods(month, 2), month]


# ---- deals -----------------------------------------------------------------------------------


def _to_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _to_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        t = value if type(value) is datetime else datetime.fromisoformat(str(value))
    except ValueError:
        d = _to_date(value)
        if d is None:
            return None
        t = datetime(d.year, d.month, d.day)
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _amount(value: Any) -> Decimal:
    if value is None or value == "":
        return ZERO
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        return ZERO
    return d if d.is_finite() and d >= 0 else ZERO


@dataclass(slots=True)
class DealRow:
    """One deal as the cockpit needs it, from the store or from the server's records (read
    only by convention: a frozen dataclass costs too much to build 25 000 of on first paint)."""

    id: str
    owner: str
    stage: str
    amount: Decimal = ZERO
    commit: Decimal = ZERO
    title: str = ""
    customer_id: str = ""
    expected_close: date | None = None
    signed_on: date | None = None
    created_at: datetime | None = None
    stage_entered_at: datetime | None = None
    lost_reason: str | None = None
    lost_from: str | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)
    history: tuple[tuple[str, datetime], ...] = ()
    attachment_kinds: frozenset[str] = frozenset()
    fields: Mapping[str, Any] = field(default_factory=dict)
    last_activity: datetime | None = None
    # (kind, step) of the deal's done tasks, for ``task_done`` locks (process.done_tasks).
    done_tasks: frozenset[tuple[str, str]] = frozenset()


def deal_row(
    data: Mapping[str, Any],
    *,
    attachment_kinds: Iterable[str] = (),
    last_followup_at: Any = None,
    done_tasks: Iterable[tuple[str, str]] = (),
) -> DealRow:
    """A :class:`DealRow` from a deal's stored values (JSON fields already decoded)."""
    entered = _to_time(data.get("stage_entered_at")) or _to_time(data.get("created_at"))
    stage = str(data.get("stage") or "contact")
    raw_history = data.get("stage_history")
    history: list[tuple[str, datetime]] = []
    if type(raw_history) is list:
        for item in raw_history:
            if type(item) is dict:
                at = _to_time(item.get("at"))
                stage_key = item.get("stage")
                if at is not None and type(stage_key) is str:
                    history.append((stage_key, at))
    if not history and entered is not None:
        history = [(stage, entered)]
    history.sort(key=lambda h: h[1])
    evidence = data.get("evidence")
    return DealRow(
        id=str(data["id"]),
        owner=str(data.get("owner") or ""),
        stage=stage,
        amount=_amount(data.get("amount")),
        commit=_amount(data.get("commit_amount")),
        title=str(data.get("title") or ""),
        customer_id=str(data.get("customer_id") or ""),
        expected_close=_to_date(data.get("expected_close")),
        signed_on=_to_date(data.get("signed_on")),
        created_at=_to_time(data.get("created_at")),
        stage_entered_at=entered,
        lost_reason=data.get("lost_reason"),
        lost_from=data.get("lost_from"),
        evidence=evidence if type(evidence) is dict else {},
        history=tuple(history),
        attachment_kinds=frozenset(attachment_kinds),
        fields=data,
        last_activity=_to_time(last_followup_at),
        done_tasks=frozenset(done_tasks),
    )


def _filled(value: Any) -> bool:
    if value is None or value is False:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    return True


def proved(deal: DealRow, frules: ForecastRules) -> list[Milestone]:
    """The milestones the deal has proved (see the module's docstring)."""
    return [
        m
        for m in frules.milestones
        if _filled(deal.evidence.get(m.evidence))
        or (m.attachment is not None and m.attachment in deal.attachment_kinds)
    ]


def required_roles(rules: ProcessRules) -> tuple[str, ...]:
    """The decision-chain roles the rules ask for (those of the ``roles`` locks)."""
    roles: list[str] = []
    for stage in rules.stages:
        for lock in (*stage.entry_locks, *stage.exit_locks):
            if lock.kind == "roles":
                roles += [r for r in lock.roles if r not in roles]
    return tuple(roles) or tuple(rules.roles)


def chain_coverage(
    deal: DealRow, rules: ProcessRules, roles: tuple[str, ...] | None = None
) -> Decimal:
    """Roles mapped / roles required, 0..1 (1 when the rules require none); ``roles`` saves
    working the required roles out again for every deal."""
    roles = required_roles(rules) if roles is None else roles
    if not roles:
        return Decimal(1)
    chain = deal.fields.get("decision_chain")
    chain = chain if isinstance(chain, Mapping) else {}
    mapped = sum(1 for r in roles if _filled(chain.get(r)))
    return Decimal(mapped) / Decimal(len(roles))


def probability(
    deal: DealRow,
    rules: ProcessRules,
    frules: ForecastRules,
    roles: tuple[str, ...] | None = None,
) -> Decimal:
    """The deal's evidence-weighted probability of closing, 0..1."""
    if deal.stage == rules.won_stage:
        return Decimal(1)
    if deal.stage == LOST:
        return ZERO
    evidence = min(sum((m.weight for m in proved(deal, frules)), ZERO), HUNDRED) / HUNDRED
    cover = chain_coverage(deal, rules, roles)
    return evidence * (1 - frules.chain_weight * (1 - cover))


def stage_probability(deal: DealRow, rules: ProcessRules, frules: ForecastRules) -> Decimal:
    """The probability a stage-weighted forecast gives the deal (rule data, percent)."""
    if deal.stage == rules.won_stage:
        return Decimal(1)
    if deal.stage == LOST:
        return ZERO
    return frules.stage_weights.get(deal.stage, ZERO) / HUNDRED


def won_on(deal: DealRow, rules: ProcessRules) -> date | None:
    """The day a won deal was won (its signing date, else when it entered the won stage)."""
    if deal.stage != rules.won_stage:
        return None
    if deal.signed_on is not None:
        return deal.signed_on
    return deal.stage_entered_at.date() if deal.stage_entered_at else None


def lost_on(deal: DealRow) -> date | None:
    if deal.stage != LOST:
        return None
    return deal.stage_entered_at.date() if deal.stage_entered_at else None


def as_it_stood(deal: DealRow, day: date, rules: ProcessRules) -> DealRow | None:
    """The deal as it stood at the start of ``day``, expected to close when it really did;
    None if it did not exist yet, had already closed, or is still open (its expected close
    then was not kept).

    The stage comes from the stage history, the evidence from the dates it was proved on
    (evidence without a date counts as proved). This rebuilds a past period's opening forecast
    where no snapshot was taken (the demo's history).
    """
    closed = won_on(deal, rules) or lost_on(deal)
    if closed is None or closed < day:
        return None
    if deal.created_at is not None and deal.created_at.date() >= day:
        return None
    before = [(s, at) for s, at in deal.history if at.date() < day]
    stage, entered = before[-1] if before else (deal.history[0] if deal.history else ("", None))
    if not stage or stage in (rules.won_stage, LOST):
        return None
    evidence = {}
    for key, value in deal.evidence.items():
        proved_on = _to_date(value)
        if proved_on is None or proved_on < day:
            evidence[key] = value
    return dataclass_replace(
        deal,
        stage=stage,
        stage_entered_at=entered,
        expected_close=closed,
        signed_on=None,
        evidence=evidence,
        history=tuple(before),
    )


# ---- forecast --------------------------------------------------------------------------------


@dataclass
class Figures:
    """One rep's (or the team's) forecast for a period."""

    commit: Decimal = ZERO
    weighted: Decimal = ZERO
    best_case: Decimal = ZERO
    won: Decimal = ZERO
    stage_weighted: Decimal = ZERO
    open_deals: int = 0
    won_deals: int = 0
    no_evidence: int = 0
    chain_coverage: Decimal = ZERO  # mean over the open deals in the period
    _coverage_sum: Decimal = ZERO

    @property
    def gap(self) -> Decimal:
        """How far the commit exceeds the evidence (negative: the evidence is ahead)."""
        return self.commit - self.weighted

    def flagged(self, frules: ForecastRules) -> bool:
        """A large gap: the commit exceeds the evidence by more than ``gap_flag_share``."""
        if self.commit <= 0:
            return False
        return self.gap > frules.gap_flag_share * max(self.weighted, Decimal(1))

    def add(self, other: Figures) -> None:
        for name in ("commit", "weighted", "best_case", "won", "stage_weighted", "_coverage_sum"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.open_deals += other.open_deals
        self.won_deals += other.won_deals
        self.no_evidence += other.no_evidence
        self.chain_coverage = self._coverage_sum / self.open_deals if self.open_deals else ZERO


def money(value: Decimal) -> float:
    """An amount as a JSON number, to the cent."""
    return float(value.quantize(Decimal("0.01")))


@dataclass
class Forecast:
    period: Period
    reps: dict[str, Figures]
    team: Figures
    deals: list[tuple[DealRow, Decimal]]  # the period's open deals and their probabilities

    def as_json(
        self, frules: ForecastRules, names: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """The documented JSON shape (README, "Reports")."""
        return {
            "period": self.period.name,
            "start": self.period.start.isoformat(),
            "end": self.period.end.isoformat(),
            "reps": [
                {"rep": (names or {}).get(rep, rep), "rep_id": rep, **_figures_json(f, frules)}
                for rep, f in sorted(
                    self.reps.items(), key=lambda kv: (names or {}).get(kv[0], kv[0])
                )
            ],
            "team": _figures_json(self.team, frules),
        }


def _figures_json(f: Figures, frules: ForecastRules) -> dict[str, Any]:
    return {
        "commit": money(f.commit),
        "weighted": money(f.weighted),
        "best_case": money(f.best_case),
        "won": money(f.won),
        "stage_weighted": money(f.stage_weighted),
        "gap": money(f.gap),
        "gap_flag": f.flagged(frules),
        "open_deals": f.open_deals,
        "won_deals": f.won_deals,
        "no_evidence": f.no_evidence,
        "chain_coverage": round(float(f.chain_coverage), 4),
    }


def forecast(
    deals: Iterable[DealRow],
    period: Period,
    rules: ProcessRules,
    frules: ForecastRules,
    reps: Iterable[str] = (),
) -> Forecast:
    """Per rep and team: commit, evidence-weighted, best case and won for ``period``.

    ``reps`` lists reps shown even without a deal in the period (their figures are zero)."""
    by_rep: dict[str, Figures] = {r: Figures() for r in reps}
    open_deals: list[tuple[DealRow, Decimal]] = []
    roles = required_roles(rules)
    for d in deals:
        if d.stage == LOST:
            continue
        if d.stage == rules.won_stage:
            if period.contains(won_on(d, rules)):
                f = by_rep.setdefault(d.owner, Figures())
                f.won += d.amount
                f.commit += d.amount
                f.weighted += d.amount
                f.best_case += d.amount
                f.stage_weighted += d.amount
                f.won_deals += 1
            continue
        if not period.contains(d.expected_close):
            continue
        f = by_rep.setdefault(d.owner, Figures())
        p = probability(d, rules, frules, roles)
        f.commit += d.commit
        f.weighted += d.amount * p
        f.best_case += d.amount
        f.stage_weighted += d.amount * stage_probability(d, rules, frules)
        f.open_deals += 1
        f._coverage_sum += chain_coverage(d, rules, roles)
        if not proved(d, frules):
            f.no_evidence += 1
        open_deals.append((d, p))
    team = Figures()
    for f in by_rep.values():
        f.chain_coverage = f._coverage_sum / f.open_deals if f.open_deals else ZERO
        team.add(f)
    return Forecast(period, by_rep, team, open_deals)


def accuracy_error(forecast_value: float, won: float) -> float | None:
    """Relative error of a forecast against what was won (None when nothing was to win)."""
    if won <= 0:
        return None if forecast_value <= 0 else 1.0
    return abs(forecast_value - won) / won


# ---- heatmap ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeatCell:
    stage: str
    lock: StageLock
    deals: int  # deals in the stage
    missing: tuple[str, ...]  # ids of those missing the item

    @property
    def share(self) -> float:
        return len(self.missing) / self.deals if self.deals else 0.0


def heatmap(deals: Iterable[DealRow], rules: ProcessRules) -> list[HeatCell]:
    """For each open stage and each lock before the next stage: the deals missing it."""
    by_stage: dict[str, list[DealRow]] = defaultdict(list)
    for d in deals:
        if rules.is_open(d.stage) and d.stage in rules.stage_keys:
            by_stage[d.stage].append(d)
    cells = []
    for stage in rules.stage_keys:
        if not rules.is_open(stage):
            continue
        in_stage = by_stage.get(stage, [])
        probe = advance_checklist(DealFacts(stage, {}), rules).items
        missing: dict[int, list[str]] = {i: [] for i in range(len(probe))}
        for d in in_stage:
            facts = DealFacts(stage, d.fields, d.attachment_kinds, d.lost_from, d.done_tasks)
            for i, status in enumerate(probe):
                if not lock_met(status.lock, facts):
                    missing[i].append(d.id)
        for i, status in enumerate(probe):
            cells.append(HeatCell(stage, status.lock, len(in_stage), tuple(sorted(missing[i]))))
    return cells


def heatmap_json(cells: Sequence[HeatCell], rules: ProcessRules) -> dict[str, Any]:
    return {
        "cells": [
            {
                "stage": c.stage,
                "stage_label": rules.stage_label(c.stage).as_dict(),
                "lock": c.lock.key,
                "lock_label": c.lock.label.as_dict(),
                "deals": c.deals,
                "missing": len(c.missing),
                "share": round(c.share, 4),
                "deal_ids": list(c.missing),
            }
            for c in cells
        ]
    }


# ---- pipeline analytics ----------------------------------------------------------------------


def _percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile by linear interpolation between closest ranks (None when empty)."""
    if not values:
        return None
    s = sorted(values)
    pos = (len(s) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def stage_days(deal: DealRow) -> dict[str, float]:
    """Days the deal spent in each stage over its finished stays, stays in one stage added."""
    out: dict[str, float] = defaultdict(float)
    for (stage, start), (_next, end) in zip(deal.history, deal.history[1:], strict=False):
        out[stage] += max((end - start).total_seconds(), 0.0) / 86400
    return dict(out)


def reached(deal: DealRow) -> dict[str, datetime]:
    """When the deal first entered each stage it has ever been in."""
    first: dict[str, datetime] = {}
    for stage, at in deal.history:
        first.setdefault(stage, at)
    return first


@dataclass
class Pipeline:
    period: Period | None
    stages: tuple[str, ...]
    conversion: list[dict[str, Any]]
    win_rate: dict[str, Any]
    win_rate_by_rep: dict[str, dict[str, Any]]
    time_in_stage: dict[str, dict[str, Any]]
    stalled: list[dict[str, Any]]
    stalled_by_rep: dict[str, dict[str, int]]
    loss_reasons: dict[str, dict[str, int]]
    value: dict[str, dict[str, float]]
    trend: list[dict[str, Any]]

    def as_json(self, names: Mapping[str, str] | None = None) -> dict[str, Any]:
        n = names or {}
        return {
            "period": self.period.name if self.period else None,
            "stages": list(self.stages),
            "conversion": self.conversion,
            "win_rate": self.win_rate,
            "win_rate_by_rep": {n.get(k, k): v for k, v in sorted(self.win_rate_by_rep.items())},
            "time_in_stage": self.time_in_stage,
            "stalled": [{**s, "rep": n.get(s["rep"], s["rep"])} for s in self.stalled],
            "stalled_by_rep": {n.get(k, k): v for k, v in sorted(self.stalled_by_rep.items())},
            "loss_reasons": self.loss_reasons,
            "value": {n.get(k, k): v for k, v in sorted(self.value.items())},
            "win_rate_trend": self.trend,
        }


STALL_BUCKETS = ("<30", "30-60", "60+")


def stall_bucket(days: int) -> str:
    """Which column of the stalled-deals table a deal stalled for ``days`` days falls in."""
    return "60+" if days >= 60 else "30-60" if days >= 30 else "<30"


def idle_since(deals: Iterable[DealRow], rules: ProcessRules) -> list[list[Any]]:
    """Each open deal as ``[since, id, title, owner, stage, amount]``, oldest first: ``since``
    (ISO text) is its last stage change or follow-up, whichever is later. What the stalled
    deals are computed from at a given moment (:func:`stalled_deals`); it does not depend on
    the moment, so it can be kept with the reports that do not either."""
    found: list[tuple[datetime, DealRow]] = []
    for d in deals:
        if not rules.is_open(d.stage):
            continue
        since = max(filter(None, (d.stage_entered_at, d.last_activity)), default=None)
        if since is not None:
            found.append((since, d))
    found.sort(key=lambda f: f[0])
    return [
        [since.isoformat(), d.id, d.title, d.owner, d.stage, money(d.amount)] for since, d in found
    ]


def stalled_deals(
    idle: Sequence[Sequence[Any]], frules: ForecastRules, now: datetime
) -> tuple[list[dict[str, Any]], dict[str, dict[str, int]]]:
    """The deals of :func:`idle_since` stalled at ``now`` (longest first) and their count per
    rep and :data:`STALL_BUCKETS` column."""
    stalled: list[dict[str, Any]] = []
    by_rep: dict[str, dict[str, int]] = {}
    for since, deal_id, title, owner, stage, amount in idle:
        days = int((now - datetime.fromisoformat(since)).total_seconds() // 86400)
        if days < frules.stalled_days:
            break  # the rest were touched later still
        if owner not in by_rep:
            by_rep[owner] = dict.fromkeys(STALL_BUCKETS, 0)
        by_rep[owner][stall_bucket(days)] += 1
        stalled.append(
            {
                "deal_id": deal_id,
                "title": title,
                "rep": owner,
                "stage": stage,
                "days": days,
                "amount": amount,
            }
        )
    stalled.sort(key=lambda s: (-s["days"], s["deal_id"]))
    return stalled, by_rep


def _rate(won: int, lost: int) -> dict[str, Any]:
    closed = won + lost
    return {"won": won, "lost": lost, "rate": round(won / closed, 4) if closed else None}


def win_rates(
    deals: Iterable[DealRow], period: Period | None, rules: ProcessRules
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Won / (won + lost) among deals closed in ``period`` (all time if None), team and by rep."""
    team = [0, 0]
    reps: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for d in deals:
        day = won_on(d, rules) if d.stage == rules.won_stage else lost_on(d)
        if day is None or (period is not None and not period.contains(day)):
            continue
        i = 0 if d.stage == rules.won_stage else 1
        team[i] += 1
        reps[d.owner][i] += 1
    return _rate(*team), {r: _rate(*v) for r, v in reps.items()}


def pipeline(
    deals: Sequence[DealRow],
    rules: ProcessRules,
    frules: ForecastRules,
    now: datetime,
    period: Period | None = None,
    trend_periods: int = 4,
) -> Pipeline:
    """Conversion, win rates, time in stage, stalled deals, loss reasons and open value.

    With ``period``, conversion counts deals that first entered a stage within it, and win
    rates the deals closed within it; time in stage, stalled deals and open value are as of
    ``now``. The win-rate trend covers ``trend_periods`` periods up to ``period`` (or now).
    """
    return pipelines(deals, rules, frules, now, [period], trend_periods)[0]


def pipelines(
    deals: Sequence[DealRow],
    rules: ProcessRules,
    frules: ForecastRules,
    now: datetime,
    periods: Sequence[Period | None],
    trend_periods: int = 4,
) -> list[Pipeline]:
    """:func:`pipeline` for each of ``periods``, reading each deal's history once (what does
    not depend on the period is worked out once for all of them)."""
    keys = rules.stage_keys
    firsts = [reached(d) for d in deals]
    samples: dict[str, list[float]] = defaultdict(list)
    for d in deals:
        for stage, days in stage_days(d).items():
            samples[stage].append(days)
    time_in_stage = {
        s: {
            "deals": len(samples.get(s, [])),
            "median_days": _round(_percentile(samples.get(s, []), 0.5)),
            "p90_days": _round(_percentile(samples.get(s, []), 0.9)),
        }
        for s in keys[:-1]
    }
    value_dec: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for d in deals:
        if rules.is_open(d.stage):
            value_dec[d.owner][d.stage] += d.amount
    value = {rep: {s: money(v) for s, v in stages.items()} for rep, stages in value_dec.items()}
    stalled, by_rep = stalled_deals(idle_since(deals, rules), frules, now)
    # Closed deals as (day closed, 0 won / 1 lost, owner); lost ones with where and why.
    closed: list[tuple[date, int, str]] = []
    lost: list[tuple[date | None, str, str]] = []
    for d in deals:
        won = d.stage == rules.won_stage
        day = won_on(d, rules) if won else lost_on(d)
        if day is not None:
            closed.append((day, 0 if won else 1, d.owner))
        if d.stage == LOST:
            reason = (d.lost_reason or "").partition(":")[0].strip() or "unknown"
            lost.append((lost_on(d), d.lost_from or "unknown", reason))
    rates: dict[str | None, tuple[dict[str, Any], dict[str, dict[str, Any]]]] = {}

    def rates_in(p: Period | None) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        name = p.name if p else None
        if name not in rates:
            team = [0, 0]
            reps: dict[str, list[int]] = defaultdict(lambda: [0, 0])
            for day, i, owner in closed:
                if p is None or p.contains(day):
                    team[i] += 1
                    reps[owner][i] += 1
            rates[name] = (_rate(*team), {r: _rate(*v) for r, v in reps.items()})
        return rates[name]

    out: list[Pipeline] = []
    for period in periods:
        conversion = []
        for i, stage in enumerate(keys[:-1]):
            entered = moved = 0
            nxt = keys[i + 1]
            for first in firsts:
                at = first.get(stage)
                if at is None or (period is not None and not period.contains(at.date())):
                    continue
                entered += 1
                if nxt in first:
                    moved += 1
            conversion.append(
                {
                    "from": stage,
                    "to": nxt,
                    "entered": entered,
                    "moved_on": moved,
                    "rate": round(moved / entered, 4) if entered else None,
                }
            )
        team_rate, rep_rates = rates_in(period)
        losses: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for day, lost_from, reason in lost:
            if period is None or period.contains(day):
                losses[lost_from][reason] += 1
        anchor = period or period_of(now.date())
        trend = []
        for p in [*last_periods(anchor, trend_periods - 1), anchor]:
            rate, per_rep = rates_in(p)
            trend.append({"period": p.name, **rate, "reps": per_rep})
        out.append(
            Pipeline(
                period,
                keys,
                conversion,
                team_rate,
                rep_rates,
                time_in_stage,
                stalled,
                by_rep,
                {k: dict(v) for k, v in losses.items()},
                dict(value),
                trend,
            )
        )
    return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


__all__ = [
    "DealRow",
    "Figures",
    "Forecast",
    "ForecastRules",
    "HeatCell",
    "Milestone",
    "Period",
    "Pipeline",
    "accuracy_error",
    "as_it_stood",
    "chain_coverage",
    "cockpit_periods",
    "deal_row",
    "forecast",
    "forecast_rules",
    "heatmap",
    "heatmap_json",
    "idle_since",
    "last_periods",
    "parse_forecast_rules",
    "parse_period",
    "period_of",
    "pipeline",
    "pipelines",
    "probability",
    "proved",
    "stage_days",
    "stalled_deals",
    "win_rates",
]
