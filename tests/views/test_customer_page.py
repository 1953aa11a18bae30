"""The customer page: inline validation that keeps input, timeline, files by drop, history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QLineEdit

from app.store.service import Store
from app.views.context import AppContext
from app.views.customer_page import CustomerPage
from app.views.followup_form import FollowUpForm


def page(qtbot: Any, ctx: AppContext, customer_id: str) -> CustomerPage:
    p = CustomerPage(ctx, customer_id)
    ctx.runner.changed.connect(p.on_changed)
    qtbot.addWidget(p)
    p.show()
    return p


def test_inline_validation_keeps_input_and_valid_edits_save(
    qtbot: Any, ctx: AppContext, store: Store, customer_id: str
) -> None:
    p = page(qtbot, ctx, customer_id)
    phone = p.findChild(QLineEdit, "field_phone")
    assert phone is not None and phone.text() == "0571-88889999"
    phone.setText("12345")
    phone.editingFinished.emit()
    assert p.form.errors["phone"].isVisible()
    p.form.edited.emit()
    p.save()
    assert phone.text() == "12345"  # refused: still what the user typed
    assert store.require("customer", customer_id)["phone"] == "0571-88889999"

    phone.setText("138 1234 5678")
    phone.editingFinished.emit()
    assert not p.form.errors["phone"].isVisible()
    p.save()
    assert store.require("customer", customer_id)["phone"] == "13812345678"
    assert p.history.item(0, 2).text() == "电话"  # the newest audit entry names the field
    assert "verified" in p.history_banner.text()


def test_dropped_file_becomes_an_attachment_with_a_thumbnail(
    qtbot: Any, ctx: AppContext, store: Store, customer_id: str, tmp_path: Path
) -> None:
    from tools.screenshots import business_card

    card = business_card(tmp_path / "card.png")
    p = page(qtbot, ctx, customer_id)
    pane = p.attachments
    pane.kind.setCurrentIndex(pane.kind.findData("business_card"))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(card))])
    pane.dropEvent(
        QDropEvent(
            QPointF(5, 5),
            Qt.DropAction.CopyAction,
            mime,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
    )
    rows = store.connection().execute("SELECT kind, filename FROM attachments").fetchall()
    assert rows == [("business_card", "card.png")]
    assert pane.list.count() == 1
    icon = pane.list.item(0).icon()
    assert not icon.isNull() and icon.availableSizes()[0].width() == 96


def test_timeline_and_followup_from_the_page(
    qtbot: Any, ctx: AppContext, store: Store, customer_id: str, deal_id: str
) -> None:
    p = page(qtbot, ctx, customer_id)
    assert "No follow-ups yet" in p.timeline.toPlainText()
    p.log_followup()
    form = p.findChild(FollowUpForm)
    assert form is not None and form.isVisible() and form.customer_id == customer_id
    form.reject()
    store.followups.add(
        {
            "customer_id": customer_id,
            "deal_id": deal_id,
            "type": "demo",
            "conclusion": "演示了自动排产,客户满意并要求报价",
            "next_action": "发送报价",
            "due_on": "2026-11-05",
        }
    )
    ctx.runner.changed.emit([])  # nothing relevant: no reload needed
    p.reload()
    assert "演示了自动排产" in p.timeline.toPlainText()
    assert p.tabs.tabText(2) == "Deals (1)"
