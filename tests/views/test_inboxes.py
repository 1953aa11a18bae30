"""Team lead inboxes: approvals (approve/reject with comment), alerts, follow-ups due."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from helpers.files import org_chart_file

from app.store.service import Store
from app.views.context import AppContext
from app.views.inboxes import AlertsScreen, ApprovalsScreen, FollowupsDueScreen
from app.views.operations import Session


def shown(qtbot: Any, ctx: AppContext, widget: Any) -> Any:
    ctx.runner.changed.connect(widget.on_changed)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def gated_deal(store: Store, deal_id: str, contact: str, tmp_path: Path) -> None:
    store.update("deal", deal_id, {"amount": "80000", "primary_contact_id": contact})
    store.deals.move(deal_id, "needs_diagnosis")
    store.update(
        "deal",
        deal_id,
        {
            "pain_points": [{"text": p, "confirmed": True} for p in ("a", "b", "c")],
            "decision_chain": dict.fromkeys(
                ("initiator", "influencer", "veto", "user", "payer"), contact
            ),
        },
    )
    cid = str(store.require("deal", deal_id)["customer_id"])
    store.files.attach(org_chart_file(tmp_path), "org_chart", customer_id=cid, deal_id=deal_id)
    store.deals.move(deal_id, "proposal")
    for kind in ("requirement_confirmation", "quote", "implementation_schedule"):
        f = tmp_path / f"{kind}.pdf"
        f.write_bytes(kind.encode())
        store.files.attach(f, kind, customer_id=cid, deal_id=deal_id)
    store.deals.move(deal_id, "negotiation", "方案已确认")


def test_reject_needs_a_comment_and_approve_moves_the_deal(
    qtbot: Any,
    ctx: AppContext,
    store: Store,
    deal_id: str,
    contacts: list[str],
    tmp_path: Path,
) -> None:
    gated_deal(store, deal_id, contacts[0], tmp_path)
    rep_view = shown(qtbot, ctx, ApprovalsScreen(ctx))
    assert rep_view.table.rowCount() == 1 and not rep_view.approve.isEnabled()
    store.actor = "u-lead"  # the lead's own client decides
    lead = dataclasses.replace(ctx, session=Session("u-lead", "王经理", "lead"))
    screen = shown(qtbot, lead, ApprovalsScreen(lead))
    assert screen.table.rowCount() == 1 and screen.approve.isEnabled()
    screen.decide(False)  # rejecting without a comment is refused on the spot
    assert "意见" in screen.error.text()
    assert store.require("deal", deal_id)["stage"] == "proposal"
    screen.comment.setText("价格可以,同意推进")
    screen.decide(True)
    assert store.require("deal", deal_id)["stage"] == "negotiation"
    assert screen.table.rowCount() == 0
    screen.show_all.setChecked(True)
    assert screen.table.item(0, 6).text() == "Approved"


def test_alerts_show_stagnating_deals(
    qtbot: Any, ctx: AppContext, store: Store, deal_id: str, clock: Any
) -> None:
    screen = shown(qtbot, ctx, AlertsScreen(ctx))
    assert screen.empty.isVisible()
    clock.advance(hours=73)
    screen.recompute()
    assert screen.table.rowCount() == 1
    assert "72" in screen.table.item(0, 4).text()
    with qtbot.waitSignal(screen.open_record) as opened:
        screen.table.selectRow(0)
        screen._open()
    assert opened.args == ["deal", deal_id]


def test_followups_due_lists_the_latest_next_action(
    qtbot: Any, ctx: AppContext, store: Store, customer_id: str, clock: Any
) -> None:
    for conclusion, due in (("第一次沟通了需求和预算范围", "2026-11-03"),):
        store.followups.add(
            {
                "customer_id": customer_id,
                "type": "consultation",
                "conclusion": conclusion,
                "next_action": "约见财务总监",
                "due_on": due,
            }
        )
    clock.advance(days=2)
    screen = shown(qtbot, ctx, FollowupsDueScreen(ctx))
    assert screen.table.rowCount() == 1
    assert screen.table.item(0, 2).text() == "约见财务总监"
    assert "1 overdue" in screen.count.text()
