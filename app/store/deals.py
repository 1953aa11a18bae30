"""Deals and the sales process on the local store (``store.deals``): creating a deal, the
locks of its next move, moving it, and approval requests and verdicts.

The rules themselves are :mod:`app.domain.process` and :mod:`app.domain.approvals` (the server
applies the same ones); this module gathers a deal's facts and writes through the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from app.domain.approvals import (
    APPROVED,
    REJECTED,
    approval_counts,
    approval_moves_deal,
    decider_problem,
    judge_decision,
    request_problem,
)
from app.domain.process import (
    Checklist,
    DealFacts,
    Decision,
    advance_checklist,
    decide_move,
    done_tasks,
    move_changes,
)
from app.domain.schema import validate_values
from app.store.errors import MoveRefused, ValidationFailed
from app.store.journal import Entry
from app.store.part import StorePart

if TYPE_CHECKING:
    pass


class Deals(StorePart):
    """The deal operations of one store."""

    def create(self, values: Mapping[str, Any], *, record_id: str | None = None) -> str:
        """A new deal starts in the first stage; the stage is never typed, only moved."""
        s = self._store
        clean, errors = validate_values("deal", values)
        if errors:
            raise ValidationFailed(errors)
        s.require("customer", str(clean["customer_id"]))
        clean["stage"] = s.rules.stage_keys[0]
        clean["stage_entered_at"] = s.clock().isoformat()
        clean.setdefault("owner", s.actor)
        return s.create_checked("deal", clean, record_id)

    def attachment_kinds(self, deal_id: str) -> frozenset[str]:
        rows = self._db.execute(
            "SELECT DISTINCT kind FROM attachments WHERE deal_id = ? AND _deleted = 0", (deal_id,)
        ).fetchall()
        return frozenset(r[0] for r in rows)

    def done_task_keys(self, deal_id: str) -> frozenset[tuple[str, str]]:
        """(kind, step) of the deal's done tasks (for ``task_done`` locks)."""
        rows = self._db.execute(
            "SELECT kind, step, status FROM tasks WHERE deal_id = ? AND _deleted = 0", (deal_id,)
        ).fetchall()
        return done_tasks({"kind": r[0], "step": r[1], "status": r[2]} for r in rows)

    def facts(self, deal_id: str) -> DealFacts:
        deal = self._store.require("deal", deal_id)
        return DealFacts(
            stage=str(deal["stage"]),
            fields=deal,
            attachment_kinds=self.attachment_kinds(deal_id),
            lost_from=deal.get("lost_from"),
            done_tasks=self.done_task_keys(deal_id),
        )

    def checklist(self, deal_id: str) -> Checklist:
        """The locks between the deal's stage and the next, met or missing (for the UI)."""
        return advance_checklist(self.facts(deal_id), self._store.rules)

    def approved(self, deal_id: str, from_stage: str, to_stage: str) -> bool:
        """Whether an approval allows the deal's move from ``from_stage`` (its stage now) to
        ``to_stage`` (:func:`app.domain.approvals.approval_counts`)."""
        entered = self._store.require("deal", deal_id).get("stage_entered_at")
        rows = self._db.execute(
            """SELECT status, from_stage, to_stage, decided_at FROM approvals
               WHERE deal_id = ? AND from_stage = ? AND to_stage = ? AND _deleted = 0""",
            (deal_id, from_stage, to_stage),
        ).fetchall()
        keys = ("status", "from_stage", "to_stage", "decided_at")
        return any(
            approval_counts(dict(zip(keys, r, strict=True)), from_stage, entered, to_stage)
            for r in rows
        )

    def pending_approval(self, deal_id: str, to_stage: str) -> dict[str, Any] | None:
        row = self._db.execute(
            "SELECT id FROM approvals WHERE deal_id = ? AND to_stage = ? AND status = 'pending' "
            "AND _deleted = 0",
            (deal_id, to_stage),
        ).fetchone()
        return self._store.get("approval", row[0]) if row else None

    def check_move(self, deal_id: str, target: str, reason: str | None = None) -> Decision:
        facts = self.facts(deal_id)
        return decide_move(
            facts,
            target,
            self._store.rules,
            reason=reason,
            approved=self.approved(deal_id, facts.stage, target),
        )

    def move(self, deal_id: str, target: str, reason: str | None = None) -> Decision:
        """Move a deal to ``target`` if the rules allow; raise :class:`MoveRefused` otherwise.

        A gated transition whose only problem is the missing approval files an approval
        request instead (offline too) and returns the decision with ``needs_approval``.
        """
        s = self._store
        decision = self.check_move(deal_id, target, reason)
        if not decision.allowed:
            only_approval = [p.code for p in decision.problems] == ["approval_required"]
            if only_approval:
                self.request_approval(deal_id, target, reason)
                return decision
            raise MoveRefused(decision)
        deal = s.require("deal", deal_id)
        at = s.clock().isoformat()
        changes = move_changes(decision, str(deal["stage"]), reason, at, deal)
        entry = Entry.edit(
            "deal",
            deal,
            at,
            {k: (deal.get(k), v) for k, v in changes.items()},
            action="stage",
            fields={"stage": target, "reason": reason},
            base={"stage": deal["stage"]},
        )
        s._write_journaled(entry, {**changes, "updated_at": at})
        return decision

    def request_approval(self, deal_id: str, target: str, note: str | None = None) -> str:
        """File (or return the already pending) approval request for a gated move."""
        s = self._store
        existing = self.pending_approval(deal_id, target)
        if existing:
            return str(existing["id"])
        deal = s.require("deal", deal_id)
        problem = request_problem(s.rules, deal["stage"], deal["stage"], target)
        if problem is not None:
            raise ValidationFailed({"to_stage": problem.message})
        clean = {
            "deal_id": deal_id,
            "customer_id": deal["customer_id"],
            "from_stage": deal["stage"],
            "to_stage": target,
            "status": "pending",
            "reason": note,
            "requested_by": s.actor,
            "requested_at": s.clock().isoformat(),
        }
        return s.create_checked("approval", clean, None)

    def decide_approval(self, approval_id: str, approve: bool, comment: str = "") -> bool:
        """A lead's verdict on an approval request (:mod:`app.domain.approvals`, the rules the
        server applies too). Approving also makes the move when the locks still hold; returns
        whether the deal moved (the approval stands either way, as on the server)."""
        s = self._store
        appr = s.require("approval", approval_id)
        role = s.directory.role_of(s.actor)
        status = APPROVED if approve else REJECTED
        problem = decider_problem(role, s.actor, appr.get("requested_by"))
        if problem is not None:
            raise ValidationFailed({"status": problem.message})
        verdict = judge_decision(appr["status"], status, comment)
        if verdict.problem is not None:
            field = "comment" if verdict.problem.code == "comment_required" else "status"
            raise ValidationFailed({field: verdict.problem.message})
        if verdict.already:
            return False
        at = s.clock().isoformat()
        fields = {
            "status": status,
            "comment": verdict.comment,
            "decided_by": s.actor,
            "decided_at": at,
        }
        entry = Entry.edit(
            "approval",
            appr,
            at,
            {k: (appr.get(k), v) for k, v in fields.items()},
            action="decide",
            fields={"status": status, "comment": verdict.comment},
            base={"status": "pending"},
        )
        s._write_journaled(entry, fields, notify_as="update")
        deal = s.get("deal", str(appr["deal_id"]))
        if deal is None or not approval_moves_deal(
            status, deal.get("stage"), appr.get("from_stage"), bool(deal.get("_deleted"))
        ):
            return False
        target = str(appr["to_stage"])
        if not self.check_move(str(deal["id"]), target).allowed:
            return False  # the locks no longer hold: the deal moves once they do
        self.move(str(deal["id"]), target)
        return True
