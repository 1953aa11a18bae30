"""Approval requests and decisions (SPEC P4; docs/SYNC.md §3, "Approvals"): a request names a
gated move from the deal's current stage; the first decision wins; approving makes the move
at once if the locks still hold (``deal_moved`` says whether it did)."""

from __future__ import annotations

from typing import Any

from server.push import rejections as R
from server.push.context import Batch
from server.push.results import result
from server.push.stage import move
from server.push.wire import Operation


def check_request(batch: Batch, clean: dict[str, Any], customer_id: str) -> None:
    """A new request names a gated move from the stage its deal is in; the server sets who
    asked and when."""
    deal = batch.ws.get(str(clean.get("deal_id")))
    if deal is None or deal.entity != "deal" or deal.customer_id != customer_id or deal.deleted:
        raise R.BAD_REFERENCE.format(zh="商机", en="deal")()
    if clean.get("from_stage") != deal.data.get("stage"):
        raise R.STALE_REQUEST()
    if (clean.get("from_stage"), clean.get("to_stage")) not in batch.rules.approval_gates:
        raise R.NOT_GATED()
    clean["status"] = "pending"
    clean["requested_by"] = batch.viewer.id
    clean["requested_at"] = batch.ws.stamp


def decide(batch: Batch, op: Operation) -> dict[str, Any]:
    """``decide``: a lead's or admin's verdict on a request."""
    viewer = batch.viewer
    if op.entity != "approval":
        raise R.ONLY_APPROVALS_DECIDED()
    appr = batch.visible(batch.ws.get(op.record_id), "approval")
    if viewer.role not in ("lead", "admin"):
        raise R.DECIDE_NEEDS_LEAD()
    if appr.data.get("requested_by") == viewer.id and viewer.role != "admin":
        raise R.OWN_REQUEST()
    status, comment = op.fields.get("status"), op.fields.get("comment")
    if status not in ("approved", "rejected") or set(op.fields) - {"status", "comment"}:
        raise R.DECISION_FIELDS()
    if comment is not None and not isinstance(comment, str):
        raise R.COMMENT_NOT_TEXT()
    comment = (comment or "").strip()
    current = appr.data.get("status")
    if current != "pending":
        if current == status:
            return result(op, "merged", appr)
        raise R.ALREADY_DECIDED()
    if status == "rejected" and not comment:
        raise R.COMMENT_REQUIRED()
    batch.ws.change(
        appr,
        {
            "status": status,
            "comment": comment or None,
            "decided_by": viewer.id,
            "decided_at": batch.ws.stamp,
        },
        **batch.actor(op),
    )
    moved = False
    deal = batch.ws.get(appr.deal_id)
    if (
        status == "approved"
        and deal is not None
        and not deal.deleted
        and deal.data.get("stage") == appr.data.get("from_stage")
    ):
        # The request was for this move: make it now if the locks still hold.
        moved = not move(batch, op, deal, str(appr.data.get("to_stage")), None)
    batch.store_device_audit(op, appr)
    return result(op, "applied", appr, deal_moved=moved)
