"""Approvals of gated stage moves (SPEC P4), as pure functions shared by client and server.

* A request names a move listed in ``approval_gates``, from the stage the deal is in now.
* A team lead (of the requester's team) or an admin decides; nobody but an admin decides their
  own request.
* A decision is ``approved`` or ``rejected``; a rejection says why in at least
  :data:`MIN_REJECTION_COMMENT` characters.
* The first decision wins: the same decision again changes nothing, a different one is refused.
* Approving makes the move at once when the deal is still in the stage the request was made
  from and the stage's locks still hold; otherwise the approval stands and the deal stays where
  it is, to move later (the approval counts for that move until the deal changes stage).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.domain.messages import Msg
from app.domain.rules import ProcessRules

APPROVED, REJECTED, PENDING = "approved", "rejected", "pending"
DECISIONS = (APPROVED, REJECTED)
DECIDER_ROLES = ("lead", "admin")
MIN_REJECTION_COMMENT = 2


@dataclass(frozen=True)
class ApprovalProblem:
    """Why a request or a decision is refused: a protocol code and a bilingual message."""

    code: str
    message: Msg


STALE_REQUEST = ApprovalProblem(
    "stale_request",
    Msg(
        "商机已不在申请时的阶段",
        "The deal is no longer in the stage the request was made from",
    ),
)
NOT_GATED = ApprovalProblem(
    "not_gated", Msg("该阶段变更无需审批", "That stage change needs no approval")
)
NOT_A_DECIDER = ApprovalProblem(
    "forbidden_role",
    Msg("只有主管或管理员可以审批", "Only a team lead or an admin can decide"),
)
OWN_REQUEST = ApprovalProblem(
    "forbidden_role", Msg("不能审批自己的申请", "You cannot decide your own request")
)
ALREADY_DECIDED = ApprovalProblem(
    "already_decided", Msg("该申请已被处理", "The request has already been decided")
)
COMMENT_REQUIRED = ApprovalProblem(
    "comment_required",
    Msg(
        f"驳回时请写明意见(至少 {MIN_REJECTION_COMMENT} 个字)",
        f"Say why when rejecting (at least {MIN_REJECTION_COMMENT} characters)",
    ),
)


def request_problem(
    rules: ProcessRules, deal_stage: str | None, from_stage: str | None, to_stage: str | None
) -> ApprovalProblem | None:
    """Why a request for the move ``from_stage`` → ``to_stage`` cannot be filed, if it
    cannot."""
    if from_stage != deal_stage:
        return STALE_REQUEST
    if (from_stage, to_stage) not in rules.approval_gates:
        return NOT_GATED
    return None


def may_decide(role: str | None) -> bool:
    """Whether a user of ``role`` decides approvals (``None``: a profile that never signed in,
    which may do everything)."""
    return role is None or role in DECIDER_ROLES


def decider_problem(
    role: str | None, user_id: str, requested_by: str | None
) -> ApprovalProblem | None:
    """Why this user may not decide this request, if they may not."""
    if not may_decide(role):
        return NOT_A_DECIDER
    if requested_by == user_id and role not in (None, "admin"):
        return OWN_REQUEST
    return None


@dataclass(frozen=True)
class Verdict:
    """The judgement on a decision: apply it, or nothing to do (``already``), or a problem."""

    comment: str | None = None
    already: bool = False
    problem: ApprovalProblem | None = None


def judge_decision(current_status: str | None, status: str, comment: str | None) -> Verdict:
    """Judge a decision (``status`` one of :data:`DECISIONS`) on a request now in
    ``current_status``; the comment comes back trimmed (``None`` when empty)."""
    text = (comment or "").strip()
    if current_status != PENDING:
        if current_status == status:
            return Verdict(already=True)
        return Verdict(problem=ALREADY_DECIDED)
    if status == REJECTED and len(text) < MIN_REJECTION_COMMENT:
        return Verdict(problem=COMMENT_REQUIRED)
    return Verdict(comment=text or None)


def approval_counts(
    approval: Mapping[str, Any], deal_stage: str | None, stage_entered_at: str | None, target: str
) -> bool:
    """Whether an approval allows the deal's move to ``target`` now: it was approved for that
    move from the deal's current stage, after the deal entered that stage (an old approval is
    not reused once the deal has moved back and forth)."""
    return (
        approval.get("status") == APPROVED
        and approval.get("from_stage") == deal_stage
        and approval.get("to_stage") == target
        and str(approval.get("decided_at") or "") >= str(stage_entered_at or "")
    )


def approval_moves_deal(
    status: str, deal_stage: str | None, from_stage: str | None, deal_deleted: bool
) -> bool:
    """Whether an approval should make its move now (if the locks hold): only when the deal
    is still in the stage the request was made from."""
    return status == APPROVED and not deal_deleted and deal_stage == from_stage
