"""Stage moves (docs/SYNC.md §3, "Stage moves"): never last-write-wins; each move is judged by
:func:`app.domain.process.decide_move` against the server's rule data, the deal as stored here,
the kinds of its attachments whose file the server holds, its done tasks (as this push leaves
them) and its approvals."""

from __future__ import annotations

from typing import Any

from app.domain.approvals import approval_counts
from app.domain.messages import Msg
from app.domain.process import DealFacts, Problem, decide_move, done_tasks, move_changes
from app.domain.rules import LOST
from server.push import rejections as R
from server.push.context import Batch
from server.push.rejections import Rejected
from server.push.results import rejected, result
from server.push.wire import Operation
from server.records import Rec


def approved(batch: Batch, deal: Rec, target: str) -> bool:
    """Whether one of the deal's approvals allows this move now
    (:func:`app.domain.approvals.approval_counts`)."""
    stage, entered = deal.data.get("stage"), deal.data.get("stage_entered_at")
    return any(
        approval_counts(a.data, stage, entered, target) for a in batch.approvals.get(deal.id, [])
    )


def move(batch: Batch, op: Operation, deal: Rec, target: str, reason: str | None) -> list[Problem]:
    """Judge and, if allowed, apply a stage move; returns the problems (empty when moved)."""
    data = deal.data
    facts = DealFacts(
        stage=str(data.get("stage")),
        fields=data,
        attachment_kinds=frozenset(batch.deal_attachment_kinds(deal.id)),
        lost_from=data.get("lost_from"),
        done_tasks=done_tasks(
            r.data
            for r in batch.ws.recs.values()
            if r.entity == "task" and r.deal_id == deal.id and not r.deleted
        ),
    )
    decision = decide_move(
        facts, target, batch.rules, reason=reason, approved=approved(batch, deal, target)
    )
    if not decision.allowed:
        return list(decision.problems)
    changes = move_changes(decision, facts.stage, reason, batch.ws.stamp, data)
    changes["updated_at"] = batch.ws.stamp
    batch.ws.change(deal, changes, **batch.actor(op))
    return []


def refused(problems: list[Problem]) -> Rejected:
    """A refused move: the first problem's code, every problem's text and details."""
    return Rejected(
        problems[0].code,
        Msg(
            "；".join(p.message.zh for p in problems),
            "; ".join(p.message.en for p in problems),
        ),
        problems=[{"code": p.code, "message": p.message.as_dict()} for p in problems],
    )


def stage(batch: Batch, op: Operation) -> dict[str, Any]:
    """``stage``: move a deal to ``fields.stage`` (with ``fields.reason``)."""
    if op.entity != "deal":
        raise R.ONLY_DEALS_MOVE()
    deal = batch.visible(batch.ws.get(op.record_id), "deal")
    if deal.deleted:
        raise R.DEAL_DELETED()
    target, reason = op.fields.get("stage"), op.fields.get("reason")
    if set(op.fields) - {"stage", "reason"}:
        raise R.STAGE_FIELDS()
    if not isinstance(target, str) or (target != LOST and target not in batch.rules.stage_keys):
        raise R.UNKNOWN_STAGE()
    if reason is not None and not isinstance(reason, str):
        raise R.REASON_NOT_TEXT()
    if deal.data.get("stage") == target:
        return result(op, "merged", deal)  # another device made the same move first
    problems = move(batch, op, deal, target, reason)
    if problems:
        return rejected(op, refused(problems))
    batch.store_device_audit(op, deal)
    return result(op, "applied", deal)
