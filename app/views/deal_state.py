"""What the deal page shows, decided from the deal card without Qt.

:func:`deal_page_state` takes what :func:`app.views.operations.deal_card` read and the rules,
and says which buttons show, whether "Advance" is enabled and what it asks, which banner the
page raises and whether the viewer may decide the pending approval. The page only draws it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from app.domain.messages import Msg
from app.domain.rules import LOST, ProcessRules
from app.views.operations import DealCard, Session


class DealBanner(Enum):
    """The one banner the page raises, most pressing first."""

    NONE = "none"
    LOST = "lost"  # why the deal was lost
    WAITING = "waiting"  # an approval request is pending
    REJECTED = "rejected"  # the lead refused the move out of this stage
    SIGNED = "signed"  # the last stage: nothing left to do
    APPROVED = "approved"  # a gated move is approved: the rep may advance
    DECIDED = "decided"  # the approval that brought the deal here


@dataclass(frozen=True)
class DealPageState:
    """The page's decisions (see :func:`deal_page_state`)."""

    stage: str
    next_stage: str | None
    read_only: bool
    gated: bool
    advance_asks_approval: bool
    advance_enabled: bool
    locked: bool  # some lock of the next move is not met
    locked_by: tuple[Msg, ...]  # what the unmet locks say is missing
    may_move_back: bool
    may_mark_lost: bool
    may_reopen: bool
    banner: DealBanner
    may_decide: bool


def deal_page_state(card: DealCard, rules: ProcessRules, viewer: Session) -> DealPageState:
    """Decide what the deal page shows for ``card``, seen by ``viewer``."""
    stage = str(card.record["stage"])
    nxt = card.next_stage
    pending = card.pending_approval
    missing = card.checklist.missing
    gated = nxt is not None and (stage, nxt) in rules.approval_gates
    waiting = pending is not None
    decision = card.last_decision
    if stage == LOST:
        banner = DealBanner.LOST
    elif waiting:
        banner = DealBanner.WAITING
    elif decision is not None and decision["status"] == "rejected":
        banner = DealBanner.REJECTED
    elif nxt is None:
        banner = DealBanner.SIGNED
    elif gated and card.approved_next:
        banner = DealBanner.APPROVED
    elif decision is not None:
        banner = DealBanner.DECIDED
    else:
        banner = DealBanner.NONE
    may_decide = (
        pending is not None
        and nxt is not None
        and viewer.may_approve
        and (pending.get("requested_by") != viewer.user_id or viewer.role in (None, "admin"))
    )
    return DealPageState(
        stage=stage,
        next_stage=nxt,
        read_only=stage == LOST or nxt is None,
        gated=gated,
        advance_asks_approval=gated and not card.approved_next,
        advance_enabled=nxt is not None and not missing and not waiting,
        locked=bool(missing),
        locked_by=tuple(m.detail for m in missing if m.detail),
        may_move_back=stage != LOST and rules.index(stage) > 0,
        may_mark_lost=stage != LOST and stage != rules.stage_keys[-1],
        may_reopen=stage == LOST,
        banner=banner,
        may_decide=may_decide,
    )
