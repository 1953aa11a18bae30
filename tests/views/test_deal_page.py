"""The deal page: locks visible, fixable in place, Advance only when all are met (P2–P4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helpers.files import org_chart_file
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit, QPushButton

from app.store.service import Store
from app.views.context import AppContext
from app.views.deal_page import DealPage


def open_page(qtbot: Any, ctx: AppContext, deal_id: str) -> DealPage:
    page = DealPage(ctx, deal_id)
    ctx.runner.changed.connect(page.on_changed)
    qtbot.addWidget(page)
    page.show()
    return page


def click(qtbot: Any, page: DealPage, name: str) -> None:
    button = page.findChild(QPushButton, name)
    assert button is not None, name
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_refused_advance_names_the_missing_locks(qtbot: Any, ctx: AppContext, deal_id: str) -> None:
    page = open_page(qtbot, ctx, deal_id)
    assert not page.advance_button.isEnabled()
    assert "预计金额" in page.reasons.text() and "主要联系人" in page.reasons.text()
    page.advance()  # even when forced, the store refuses and says why
    assert page.reasons.text().startswith("Cannot advance yet")
    assert "预计金额" in page.reasons.text() and "主要联系人" in page.reasons.text()
    assert [r.status.met for r in page.lock_rows] == [False, False]


def test_fixing_locks_in_place_enables_advance(
    qtbot: Any, ctx: AppContext, store: Store, deal_id: str, contacts: list[str]
) -> None:
    page = open_page(qtbot, ctx, deal_id)
    amount = page.findChild(QLineEdit, "fix_amount")
    assert amount is not None
    amount.setText("12万")  # not an amount: the message sits under the field
    click(qtbot, page, "save_amount")
    row = page.lock_row("amount")
    assert row is not None and "金额" in row.error.text() and amount.text() == "12万"

    page.lock_row("amount").fixer.setText("120000")  # type: ignore[union-attr]
    click(qtbot, page, "save_amount")
    assert page.lock_row("amount").status.met  # type: ignore[union-attr]
    assert not page.advance_button.isEnabled()
    combo = page.findChild(QComboBox, "fix_primary_contact_id")
    assert combo is not None
    combo.setCurrentIndex(combo.findData(contacts[0]))
    click(qtbot, page, "save_primary_contact_id")
    assert page.advance_button.isEnabled() and not page.reasons.isVisible()

    qtbot.mouseClick(page.advance_button, Qt.MouseButton.LeftButton)
    assert store.require("deal", deal_id)["stage"] == "needs_diagnosis"
    assert "方案呈现" in page.checklist_box.title()
    assert not page.advance_button.isEnabled()


def advance_to_diagnosis(store: Store, deal_id: str, contact: str) -> None:
    store.update("deal", deal_id, {"amount": "80000", "primary_contact_id": contact})
    store.deals.move(deal_id, "needs_diagnosis")


def test_diagnosis_locks_attachment_pain_points_and_decision_chain(
    qtbot: Any,
    ctx: AppContext,
    store: Store,
    deal_id: str,
    contacts: list[str],
    tmp_path: Path,
) -> None:
    advance_to_diagnosis(store, deal_id, contacts[0])
    page = open_page(qtbot, ctx, deal_id)
    assert {r.status.lock.key for r in page.lock_rows} == {
        "org_chart",
        "pain_points",
        "decision_chain",
    }
    page.lock_row("org_chart").attach([org_chart_file(tmp_path)])  # type: ignore[union-attr]
    assert page.lock_row("org_chart").status.met  # type: ignore[union-attr]
    assert store.deals.attachment_kinds(deal_id) == {"org_chart"}

    for pain in ("库存周转慢", "订单交付延期", "多仓数据不同步"):
        edit = page.findChild(QLineEdit, "fix_pain_points")
        assert edit is not None
        edit.setText(pain)
        click(qtbot, page, "add_pain_points")
    assert page.lock_row("pain_points").status.met  # type: ignore[union-attr]

    row = page.lock_row("decision_chain")
    assert row is not None and "付款人" in row.detail.text()
    for i, role in enumerate(("initiator", "influencer", "veto", "user", "payer")):
        box = page.findChild(QComboBox, f"role_{role}")
        assert box is not None
        box.setCurrentIndex(box.findData(contacts[i % len(contacts)]))
    assert page.advance_button.isEnabled()
    page.advance()
    assert store.require("deal", deal_id)["stage"] == "proposal"


def test_gated_move_becomes_an_approval_request(
    qtbot: Any, ctx: AppContext, store: Store, deal_id: str, contacts: list[str], tmp_path: Path
) -> None:
    advance_to_diagnosis(store, deal_id, contacts[0])
    store.update(
        "deal",
        deal_id,
        {
            "pain_points": [{"text": p, "confirmed": True} for p in ("a", "b", "c")],
            "decision_chain": dict.fromkeys(
                ("initiator", "influencer", "veto", "user", "payer"), contacts[0]
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

    page = open_page(qtbot, ctx, deal_id)
    assert page.advance_button.isEnabled()
    assert page.advance_button.text().startswith("Request approval")
    qtbot.mouseClick(page.advance_button, Qt.MouseButton.LeftButton)
    dialog = page.request_dialog  # the rep says why, for the lead
    assert dialog.isVisible()
    qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    assert dialog.error.isVisible() and store.deals.pending_approval(deal_id, "negotiation") is None
    dialog.note.setFocus()
    qtbot.keyClicks(dialog.note, "Quote accepted, legal has the draft")
    qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert store.require("deal", deal_id)["stage"] == "proposal"  # waits for the lead
    request = store.deals.pending_approval(deal_id, "negotiation")
    assert request is not None and request["reason"] == "Quote accepted, legal has the draft"
    assert not page.advance_button.isEnabled()
    assert "approval" in page.banner.text().lower()


def test_back_and_lost_need_a_reason(
    qtbot: Any, ctx: AppContext, store: Store, deal_id: str, contacts: list[str]
) -> None:
    advance_to_diagnosis(store, deal_id, contacts[0])
    page = open_page(qtbot, ctx, deal_id)
    page.move_back()
    dialog = page.move_dialog
    dialog.reason.setPlainText("否")  # too short: refused, the text stays
    dialog.submit()
    assert dialog.isVisible() and "原因" in dialog.error.text()
    assert dialog.reason.toPlainText() == "否"
    dialog.reason.setPlainText("客户预算推迟到明年")
    dialog.submit()
    assert not dialog.isVisible()
    assert store.require("deal", deal_id)["stage"] == "contact"

    page.mark_lost()
    picker = page.move_dialog.lost_reason
    picker.setCurrentIndex(picker.findData("competitor"))  # chosen from the rules' list
    page.move_dialog.reason.setPlainText("选择了竞品报价")
    page.move_dialog.submit()
    deal = store.require("deal", deal_id)
    assert deal["stage"] == "lost" and deal["lost_reason"] == "competitor: 选择了竞品报价"
    assert page.reopen_button.isVisible() and not page.advance_button.isVisible()
    assert "输给竞争对手:选择了竞品报价" in page.banner.text()


def test_handover_actions_are_ticked_in_place(
    qtbot: Any, ctx: AppContext, store: Store, deal_id: str
) -> None:
    # Jump the deal to negotiation through the store (as if synced) to reach the signed locks.
    store.update_checked("deal", deal_id, {"stage": "negotiation"})
    page = open_page(qtbot, ctx, deal_id)
    keys = [r.status.lock.key for r in page.lock_rows]
    assert keys[0] == "contract" and "handover_documents" in keys
    row = page.lock_row("handover_documents")
    assert row is not None
    row.fixer.setChecked(True)  # type: ignore[union-attr]
    assert store.require("deal", deal_id)["checklist"] == {"handover_documents": True}
    assert page.lock_row("handover_documents").status.met  # type: ignore[union-attr]
