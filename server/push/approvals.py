"""Approval requests and decisions (SPEC P4; docs/SYNC.md §3, "Approvals"). The rules are
:mod:`app.domain.approvals`, the same the client applies; this module checks them against the
server's own data and makes the approved move."""

from __future__ import annotations

from typing import Any

from app.domain import approvals as rules
from server.push import rejections as R
from server.push.context import Batch
from server.push.rejections import Rejected
from server.push.results import result
from server.push.stage import move
from server.push.wire import Operation


def _refused(problem: rules.ApprovalProblem) -> Rejected:
    return Rejected(problem.code, problem.message)


def check_request(batch: Batch, clean: dict[str, Any], customer_id: str) -> None:
    """A new request names a gated move from the stage its deal is in; the server sets who
    asked and when."""
    deal = batch.ws.get(str(clean.get("deal_id")))
    if deal is None or deal.entity != "deal" or deal.customer_id != customer_id or deal.deleted:
        raise R.BAD_REFERENCE.format(zh="商机", en="deal")()
    problem = rules.request_problem(
        batch.rules, deal.data.get("stage"), clean.get("from_stage"), clean.get("to_stage")
    )
    if problem is not None:
        raise _refused(problem)
    clean["status"] = rules.PENDING
    clean["requested_by"] = batch.viewer.id
    clean["requested_at"] = batch.ws.stamp


def decide(batch: Batch, op: Operation) -> dict[str, Any]:
    """``decide``: a lead's or admin's verdict on a request."""
    viewer = batch.viewer
    if op.entity != "approval":
        raise R.ONLY_APPROVALS_DECIDED()
    appr = batch.visible(batch.ws.get(op.record_id), "approval")
    who = rules.decider_problem(viewer.role, viewer.id, appr.data.get("requested_by"))
    if who is not None:
        raise _refused(who)
    status, comment = op.fields.get("status"), op.fields.get("comment")
    if status not in rules.DECISIONS or set(op.fields) - {"status", "comment"}:
        raise R.DECISION_FIELDS()
    if comment is not None and not isinstance(comment, str):
        raise R.COMMENT_NOT_TEXT()
    verdict = rules.judge_decision(appr.data.get("status"), str(status), comment)
    if verdict.already:
        return result(op, "merged", appr)
    if verdict.problem is not None:
        raise _refused(verdict.problem)
    batch.ws.change(
        appr,
        {
            "status": status,
            "comment": verdict.comment,
            "decided_by": viewer.id,
            "decided_at": batch.ws.stamp,
        },
        **batch.actor(op),
    )
    moved = False
    deal = batch.ws.get(appr.deal_id)
    if deal is not None and rules.approval_moves_deal(
        str(status), deal.data.get("stage"), appr.data.get("from_stage"), deal.deleted
    ):
        moved = not move(batch, op, deal, str(appr.data.get("to_stage")), None)
    batch.store_device_audit(op, appr)
    return result(op, "applied", appr, deal_moved=moved)
