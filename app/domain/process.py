"""Deal stages and action-locks (SPEC P1–P5), as pure functions over :class:`ProcessRules`.

Stage moves:

* forward: one stage at a time, only when the current stage's exit locks and the next stage's
  entry locks are all met; a transition listed in ``approval_gates`` also needs an approval;
* back: to any earlier stage, with a reason;
* lost: from any open stage, with a reason;
* reopen: from lost back into any stage up to the one it was lost from, with a reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from app.domain.messages import Msg
from app.domain.rules import LOST, ProcessRules, StageLock


class Move(StrEnum):
    FORWARD = "forward"
    BACK = "back"
    LOST = "lost"
    REOPEN = "reopen"


@dataclass(frozen=True)
class DealFacts:
    """What the lock check needs to know about one deal."""

    stage: str
    fields: Mapping[str, Any]
    attachment_kinds: Set[str] = frozenset()
    lost_from: str | None = None
    # (kind, step) of the deal's done tasks (:func:`done_tasks`); step is "" when it has none.
    done_tasks: Set[tuple[str, str]] = frozenset()


def done_tasks(tasks: Iterable[Mapping[str, Any]]) -> frozenset[tuple[str, str]]:
    """The (kind, step) of every done task among ``tasks``: the client and the server both
    build :attr:`DealFacts.done_tasks` with this, so a ``task_done`` lock is judged alike."""
    return frozenset(
        (str(t.get("kind") or ""), str(t.get("step") or ""))
        for t in tasks
        if t.get("status") == "done" and not t.get("_deleted")
    )


@dataclass(frozen=True)
class Problem:
    """Why a move is refused: a machine code, the lock (if any) and a bilingual message."""

    code: str
    message: Msg
    lock: StageLock | None = None


@dataclass(frozen=True)
class Decision:
    """The verdict on a requested stage move."""

    move: Move | None
    target: str
    problems: tuple[Problem, ...] = ()
    needs_approval: bool = False

    @property
    def allowed(self) -> bool:
        """True when the move may be applied now (approval, if gated, already granted)."""
        return not self.problems

    def messages(self, lang: str = "zh") -> list[str]:
        return [p.message.text(lang) for p in self.problems]


@dataclass(frozen=True)
class LockStatus:
    lock: StageLock
    met: bool
    detail: Msg | None = None


@dataclass
class Checklist:
    """The locks around one stage boundary, each marked met or missing."""

    items: list[LockStatus] = field(default_factory=list)

    @property
    def missing(self) -> list[LockStatus]:
        return [i for i in self.items if not i.met]


def _filled(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, (list, tuple, dict, set)):
        return bool(value)
    return True


def _confirmed(items: Any) -> int:
    return sum(
        1
        for it in (items or [])
        if (it.get("confirmed") if isinstance(it, Mapping) else _filled(it))
    )


def lock_met(lock: StageLock, facts: DealFacts) -> bool:
    """Whether one lock is met by the deal (no message: the heatmap asks this of every deal)."""
    f = facts.fields
    if lock.kind == "field":
        return _filled(f.get(lock.key))
    if lock.kind == "action":
        return bool((f.get("checklist") or {}).get(lock.key))
    if lock.kind == "attachment":
        return lock.key in facts.attachment_kinds
    if lock.kind == "min_items":
        return _confirmed(f.get(lock.key)) >= lock.min
    if lock.kind == "roles":
        chain = f.get(lock.key) or {}
        return all(_filled(chain.get(r)) for r in lock.roles)
    if lock.kind == "task_done":
        return any(k == lock.key and lock.step in ("", s) for k, s in facts.done_tasks)
    raise ValueError(f"unknown lock kind {lock.kind!r}")  # parse_rules never lets one through


def lock_status(lock: StageLock, facts: DealFacts, rules: ProcessRules) -> LockStatus:
    """Whether one lock is met by the deal, with a message saying what is missing."""
    if lock_met(lock, facts):
        return LockStatus(lock, True)
    f = facts.fields
    label = lock.label
    if lock.kind == "field":
        return LockStatus(lock, False, _missing_field(lock))
    if lock.kind == "action":
        msg = Msg("请完成:{zh}", "Complete: {en}").format(zh=label.zh, en=label.en)
        return LockStatus(lock, False, msg)
    if lock.kind == "attachment":
        msg = Msg("请上传附件:{zh}", "Attach: {en}").format(zh=label.zh, en=label.en)
        return LockStatus(lock, False, msg)
    if lock.kind == "min_items":
        msg = Msg("{zh}:需要{need}条,已有{have}条", "{en}: {need} needed, {have} so far").format(
            zh=label.zh, en=label.en, need=lock.min, have=_confirmed(f.get(lock.key))
        )
        return LockStatus(lock, False, msg)
    if lock.kind == "task_done":
        msg = Msg("请先完成任务:{zh}", "Finish the task: {en}").format(zh=label.zh, en=label.en)
        return LockStatus(lock, False, msg)
    chain = f.get(lock.key) or {}
    absent = [r for r in lock.roles if not _filled(chain.get(r))]
    zh = "、".join(rules.roles[r].zh if r in rules.roles else r for r in absent)
    en = ", ".join(rules.roles[r].en if r in rules.roles else r for r in absent)
    return LockStatus(
        lock,
        False,
        Msg("{l}缺少:{zh}", "{le} missing: {en}").format(l=label.zh, le=label.en, zh=zh, en=en),
    )


def _missing_field(lock: StageLock) -> Msg:
    return Msg("请填写:{zh}", "Fill in: {en}").format(zh=lock.label.zh, en=lock.label.en)


def advance_checklist(facts: DealFacts, rules: ProcessRules) -> Checklist:
    """Every lock between the deal's stage and the next one, met or not (for the UI)."""
    if facts.stage == LOST or facts.stage not in rules.stage_keys:
        return Checklist()
    i = rules.index(facts.stage)
    locks = list(rules.stages[i].exit_locks)
    if i + 1 < len(rules.stages):
        locks += list(rules.stages[i + 1].entry_locks)
    return Checklist([lock_status(lk, facts, rules) for lk in locks])


def next_stage(stage: str, rules: ProcessRules) -> str | None:
    if stage == LOST or stage not in rules.stage_keys:
        return None
    i = rules.index(stage)
    return rules.stages[i + 1].key if i + 1 < len(rules.stages) else None


def needs_approval(current: str, target: str, rules: ProcessRules) -> bool:
    return (current, target) in rules.approval_gates


def _reason_problem(reason: str | None, rules: ProcessRules) -> Problem | None:
    if reason is None or len(reason.strip()) < rules.reason_min_length:
        return Problem(
            "reason_required",
            Msg("请填写原因(至少{n}个字)", "Give a reason (at least {n} characters)").format(
                n=rules.reason_min_length
            ),
        )
    return None


def decide_move(
    facts: DealFacts,
    target: str,
    rules: ProcessRules,
    *,
    reason: str | None = None,
    approved: bool = False,
) -> Decision:
    """Judge a request to move a deal to ``target``; every unmet requirement is listed."""
    current = facts.stage
    keys = rules.stage_keys
    if target != LOST and target not in keys:
        return Decision(
            None,
            target,
            (Problem("unknown_stage", Msg("未知阶段:{s}", "Unknown stage: {s}").format(s=target)),),
        )
    if target == current:
        return Decision(
            None,
            target,
            (Problem("same_stage", Msg("商机已处于该阶段", "The deal is already in that stage")),),
        )

    if current == LOST:
        limit = rules.index(facts.lost_from) if facts.lost_from in keys else len(keys) - 2
        problems: list[Problem] = []
        if target == keys[-1] or rules.index(target) > limit:
            problems.append(
                Problem(
                    "reopen_too_far",
                    Msg(
                        "重新打开的商机只能回到输单前的阶段或更早",
                        "A reopened deal can only return to the stage it was lost in, or earlier",
                    ),
                )
            )
        if p := _reason_problem(reason, rules):
            problems.append(p)
        return Decision(Move.REOPEN, target, tuple(problems))

    if current not in keys:
        return Decision(
            None,
            target,
            (
                Problem(
                    "unknown_stage", Msg("未知阶段:{s}", "Unknown stage: {s}").format(s=current)
                ),
            ),
        )

    if target == LOST:
        problems = []
        if current == keys[-1]:
            problems.append(
                Problem(
                    "closed",
                    Msg("已签约的商机不能标记为输单", "A signed deal cannot be marked lost"),
                )
            )
        if p := _reason_problem(reason, rules):
            problems.append(p)
        return Decision(Move.LOST, target, tuple(problems))

    ci, ti = rules.index(current), rules.index(target)
    if ti < ci:
        p = _reason_problem(reason, rules)
        return Decision(Move.BACK, target, (p,) if p else ())

    problems = []
    if ti > ci + 1:
        skipped = [rules.stages[k].label for k in range(ci + 1, ti)]
        problems.append(
            Problem(
                "skip",
                Msg(
                    "不能跳过阶段:请先完成{zh}", "Stages cannot be skipped: first complete {en}"
                ).format(zh="、".join(m.zh for m in skipped), en=", ".join(m.en for m in skipped)),
            )
        )
        return Decision(Move.FORWARD, target, tuple(problems))
    for status in advance_checklist(facts, rules).missing:
        assert status.detail is not None
        problems.append(Problem("lock", status.detail, status.lock))
    gated = needs_approval(current, target, rules)
    if gated and not approved:
        problems.append(
            Problem(
                "approval_required",
                Msg("此阶段变更需主管审批", "This stage change needs the team lead's approval"),
            )
        )
    return Decision(Move.FORWARD, target, tuple(problems), needs_approval=gated)


def move_changes(
    decision: Decision,
    from_stage: str,
    reason: str | None,
    at: str,
    deal: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The deal's values after an allowed move made at ``at``: the new stage and when it was
    entered; a lost deal keeps why and from where, a reopened one forgets both. Given the
    deal's stored values, its stage history gains the new stage too."""
    changes: dict[str, Any] = {"stage": decision.target, "stage_entered_at": at}
    if deal is not None:
        changes["stage_history"] = stage_history_after(deal, decision.target, at)
    if decision.move is Move.LOST:
        changes.update(lost_reason=(reason or "").strip(), lost_from=from_stage)
    elif decision.move is Move.REOPEN:
        changes.update(lost_reason=None, lost_from=None)
    return changes


# A deal keeps this many stage entries at most (the oldest are dropped first).
MAX_STAGE_HISTORY = 100


def stage_history_after(deal: Mapping[str, Any], target: str, at: str) -> list[dict[str, str]]:
    """The deal's stage history (``[{"stage", "at"}, …]``, oldest first) once it has entered
    ``target`` at ``at``; a deal without one starts it with its current stay."""
    raw = deal.get("stage_history")
    history = [dict(h) for h in raw if isinstance(h, Mapping)] if isinstance(raw, list) else []
    if not history and deal.get("stage"):
        since = deal.get("stage_entered_at") or deal.get("created_at")
        if since:
            history.append({"stage": str(deal["stage"]), "at": str(since)})
    history.append({"stage": target, "at": at})
    return history[-MAX_STAGE_HISTORY:]


# Stagnation alerts get their id from the deal and the moment it entered its stage, so the
# owner's device and the server raising the same alert make one record.
STAGNATION_ALERT_NS = uuid.UUID("6f1c2a9e-4b1d-4e8a-9c62-0f3e5d7a1b20")


def stagnation_alert_id(deal_id: str, stage_entered_at: str) -> str:
    """The id of the stagnation alert of a deal's stay in its current stage (P5)."""
    return str(uuid.uuid5(STAGNATION_ALERT_NS, f"stagnation:{deal_id}:{stage_entered_at}"))


def is_stagnant(
    stage_entered_at: datetime,
    last_followup_at: datetime | None,
    now: datetime,
    rules: ProcessRules,
) -> bool:
    """True when an open deal has had no follow-up in its stage for the configured hours (P5)."""
    since = max(stage_entered_at, last_followup_at) if last_followup_at else stage_entered_at
    return now - since >= timedelta(hours=rules.stagnation_hours)


def approval_outcome_message(
    deal_title: str, target: Msg, approved: bool, decided_by: str | None, comment: str | None
) -> Msg:
    """What the requester reads when the team lead has decided (alert and deal banner)."""
    who = decided_by or "主管"
    who_en = decided_by or "The team lead"
    note = (comment or "").strip()
    if approved:
        msg = Msg("{w}已批准商机「{t}」进入{s}", '{we} approved moving deal "{t}" to {se}').format(
            w=who, we=who_en, t=deal_title, s=target.zh, se=target.en
        )
    else:
        msg = Msg(
            "{w}驳回了商机「{t}」进入{s}的申请", '{we} rejected moving deal "{t}" to {se}'
        ).format(w=who, we=who_en, t=deal_title, s=target.zh, se=target.en)
    if note:
        msg = Msg(f"{msg.zh}：{note}", f"{msg.en}: {note}")
    return msg
