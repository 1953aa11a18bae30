"""The sales-process rule data (SPEC P2, F2): parsed from JSON, never hard-coded.

The default rule file ships in ``resources/rules.json``; the server distributes the admin's
version and the client caches it, so both judge a deal by the same data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from app.domain.leads import LeadRules, LeadRulesError, parse_lead_rules
from app.domain.messages import Msg
from app.domain.schema import TASK_KINDS

LOCK_KINDS = frozenset({"field", "action", "attachment", "min_items", "roles", "task_done"})


class RulesError(ValueError):
    """The rule data is malformed; the message names the offending entry."""


@dataclass(frozen=True)
class StageLock:
    """One requirement a deal must meet around a stage (an "action lock")."""

    kind: str
    key: str
    label: Msg
    min: int = 1
    roles: tuple[str, ...] = ()
    # A ``task_done`` lock's journey step (empty: any task of the kind ``key`` names).
    step: str = ""


@dataclass(frozen=True)
class Stage:
    key: str
    label: Msg
    exit_locks: tuple[StageLock, ...] = ()
    entry_locks: tuple[StageLock, ...] = ()


@dataclass(frozen=True)
class FollowUpType:
    key: str
    label: Msg
    requires: tuple[tuple[str, Msg], ...] = ()


@dataclass(frozen=True)
class FollowUpRules:
    types: tuple[FollowUpType, ...]
    conclusion_min_length: int = 10
    next_action_min_length: int = 2
    due_default_days: int = 3
    default_priority: str = "medium"
    priorities: tuple[str, ...] = ("high", "medium", "low")

    def type(self, key: str) -> FollowUpType | None:
        return next((t for t in self.types if t.key == key), None)


@dataclass(frozen=True)
class ProcessRules:
    """All stage and follow-up rules in force; ``version`` increases with every admin edit."""

    version: int
    stages: tuple[Stage, ...]
    roles: dict[str, Msg]
    approval_gates: frozenset[tuple[str, str]]
    followup: FollowUpRules
    reason_min_length: int = 4
    stagnation_hours: int = 72
    # Why deals are lost, chosen from a list so losses can be counted (key → label).
    lost_reasons: tuple[tuple[str, Msg], ...] = ()
    leads: LeadRules = field(default_factory=lambda: parse_lead_rules(None))
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def stage_keys(self) -> tuple[str, ...]:
        return tuple(s.key for s in self.stages)

    @property
    def won_stage(self) -> str:
        """The last stage: a deal there is won (signed), no longer in the pipeline."""
        return self.stages[-1].key

    def is_open(self, stage: str) -> bool:
        """Whether a deal in ``stage`` is still being worked (neither won nor lost)."""
        return stage not in (LOST, self.won_stage)

    def lost_reason_label(self, stored: str | None) -> Msg:
        """A stored lost reason ("price: 对方预算砍半", "other: …") as the user reads it."""
        text = (stored or "").strip()
        key, _sep, detail = text.partition(":")
        labels = dict(self.lost_reasons)
        if key.strip() in labels or key.strip() == OTHER_REASON:
            label = labels.get(key.strip(), OTHER_REASON_LABEL)
            detail = detail.strip()
            if not detail:
                return label
            return Msg(f"{label.zh}:{detail}", f"{label.en}: {detail}")
        return Msg(text, text)  # typed freely before the list existed

    def stage(self, key: str) -> Stage:
        for s in self.stages:
            if s.key == key:
                return s
        raise KeyError(key)

    def index(self, key: str) -> int:
        return self.stage_keys.index(key)

    def stage_label(self, key: str) -> Msg:
        if key == LOST:
            return LOST_LABEL
        return self.stage(key).label


LOST = "lost"
LOST_LABEL = Msg("输单", "Lost")
OTHER_REASON = "other"
OTHER_REASON_LABEL = Msg("其他", "Other")


def lost_reason(key: str, detail: str = "") -> str:
    """How a lost reason picked from the list is stored: its key, then what the user added."""
    detail = detail.strip()
    return f"{key}: {detail}" if detail else key


def _msg(d: dict[str, Any], where: str) -> Msg:
    try:
        return Msg(str(d["zh"]), str(d["en"]))
    except KeyError as exc:
        raise RulesError(f"{where}: missing label {exc.args[0]!r}") from None


def _lock(d: dict[str, Any], where: str) -> StageLock:
    kind = d.get("kind")
    if kind not in LOCK_KINDS:
        raise RulesError(f"{where}: unknown lock kind {kind!r}")
    if not d.get("key"):
        raise RulesError(f"{where}: lock without key")
    roles = tuple(d.get("roles", ()))
    if kind == "roles" and not roles:
        raise RulesError(f"{where}: a roles lock needs its list of roles")
    step = d.get("step", "")
    if kind == "task_done":
        # A kind no task can have would lock the stage for good.
        if d["key"] not in TASK_KINDS:
            raise RulesError(f"{where}: a task_done lock names an unknown task kind {d['key']!r}")
        if not isinstance(step, str):
            raise RulesError(f"{where}: a task_done lock's step must be text")
    elif "step" in d:
        raise RulesError(f"{where}: only a task_done lock has a step")
    label = _msg(d, where)
    return StageLock(kind, str(d["key"]), label, int(d.get("min", 1)), roles, step)


def parse_rules(data: dict[str, Any]) -> ProcessRules:
    """Build :class:`ProcessRules` from their JSON form, checking every entry."""
    try:
        stages = []
        for i, s in enumerate(data["stages"]):
            where = f"stages[{i}]"
            stages.append(
                Stage(
                    key=str(s["key"]),
                    label=_msg(s, where),
                    exit_locks=tuple(
                        _lock(lk, f"{where}.exit_locks[{j}]")
                        for j, lk in enumerate(s.get("exit_locks", []))
                    ),
                    entry_locks=tuple(
                        _lock(lk, f"{where}.entry_locks[{j}]")
                        for j, lk in enumerate(s.get("entry_locks", []))
                    ),
                )
            )
        if not stages:
            raise RulesError("stages: at least one stage is needed")
        keys = [s.key for s in stages]
        if len(set(keys)) != len(keys) or LOST in keys:
            raise RulesError("stages: keys must be unique and must not be 'lost'")
        gates = frozenset((str(a), str(b)) for a, b in data.get("approval_gates", []))
        for a, b in gates:
            if a not in keys or b not in keys:
                raise RulesError(f"approval_gates: unknown stage in {a!r} → {b!r}")
        f = data["followup"]
        types = tuple(
            FollowUpType(
                key=str(t["key"]),
                label=_msg(t, f"followup.types[{i}]"),
                requires=tuple(
                    (str(r["key"]), _msg(r, f"followup.types[{i}].requires"))
                    for r in t.get("requires", [])
                ),
            )
            for i, t in enumerate(f["types"])
        )
        followup = FollowUpRules(
            types=types,
            conclusion_min_length=int(f.get("conclusion_min_length", 10)),
            next_action_min_length=int(f.get("next_action_min_length", 2)),
            due_default_days=int(f.get("due_default_days", 3)),
            default_priority=str(f.get("default_priority", "medium")),
            priorities=tuple(f.get("priorities", ("high", "medium", "low"))),
        )
        roles = {str(k): _msg(v, f"roles.{k}") for k, v in data.get("roles", {}).items()}
        try:
            leads = parse_lead_rules(data.get("leads"))
        except LeadRulesError as exc:
            raise RulesError(str(exc)) from None
        from app.domain.tasks import parse_journey  # the journey rules import the schema

        try:
            parse_journey(data.get("journey"))
        except (ValueError, KeyError, TypeError) as exc:
            raise RulesError(f"journey: {exc}") from None
        return ProcessRules(
            version=int(data.get("version", 1)),
            stages=tuple(stages),
            roles=roles,
            approval_gates=gates,
            followup=followup,
            reason_min_length=int(data.get("reason_min_length", 4)),
            stagnation_hours=int(data.get("stagnation_hours", 72)),
            lost_reasons=tuple(
                (str(r["key"]), _msg(r, f"lost_reasons[{i}]"))
                for i, r in enumerate(data.get("lost_reasons", []))
                if str(r["key"]) != OTHER_REASON  # "other" is always offered, last
            ),
            leads=leads,
            raw=data,
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, RulesError):
            raise
        raise RulesError(f"malformed rule data: {exc!r}") from None


def load_rules_json(text: str) -> ProcessRules:
    """Parse rule data from a JSON document."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RulesError(f"not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise RulesError("rule data must be a JSON object")
    return parse_rules(data)


def default_rules() -> ProcessRules:
    """The rule data shipped with the app (``resources/rules.json``)."""
    return load_rules_json(
        resources.files("app.resources").joinpath("rules.json").read_text("utf-8")
    )
