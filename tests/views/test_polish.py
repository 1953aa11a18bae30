"""Small things seen in review: the English navigation fits, amounts are grouped."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from app.store.service import Store
from app.views.context import AppContext
from app.views.deal_page import DealPage
from app.views.main_window import MainWindow


def test_the_english_navigation_never_scrolls_sideways(window: MainWindow) -> None:
    window.resize(1366, 768)
    window._show_counts({"due": 128, "approvals": 12, "alerts": 1342, "conflicts": 3})
    titles = [window.nav.item(r).text() for r in range(window.nav.count())]
    assert "Follow-ups due  (128)" in titles and "Alerts  (1,342)" in titles
    assert not window.nav.horizontalScrollBar().isVisible()
    widest = max(window.nav.fontMetrics().horizontalAdvance(t) for t in titles)
    assert window.nav.width() >= widest + 24


def test_amount_fields_show_thousands_separators_and_save_as_typed(
    qtbot: Any, ctx: AppContext, store: Store, deal_id: str
) -> None:
    store.update("deal", deal_id, {"amount": "1250000"})
    page = DealPage(ctx, deal_id)
    ctx.runner.changed.connect(page.on_changed)
    qtbot.addWidget(page)
    page.show()
    amount = page.form.editors["amount"]
    assert amount.text() == "1,250,000.00"
    assert page.form.changes(store.require("deal", deal_id)) == {}  # shown ≠ changed
    amount.selectAll()
    qtbot.keyClicks(amount, "2,400,000")
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert store.require("deal", deal_id)["amount"] == "2400000.00"


def test_what_blocks_the_next_stage_stays_in_view_at_1366x768(
    qtbot: Any, window: MainWindow, store: Store, deal_id: str, contacts: list[str]
) -> None:
    store.update(
        "deal",
        deal_id,
        {
            "amount": "80000",
            "primary_contact_id": contacts[0],
            "pain_points": [{"text": f"痛点{i}", "confirmed": False} for i in range(8)],
        },
    )
    store.update_checked("deal", deal_id, {"stage": "needs_diagnosis"})
    window.resize(1366, 768)
    page = window.open_record("deal", deal_id)
    qtbot.waitUntil(lambda: page.reasons.isVisible())  # type: ignore[attr-defined]
    reasons = page.reasons  # type: ignore[attr-defined]
    assert "Advance is locked until" in reasons.text()
    shown = reasons.visibleRegion().boundingRect()
    assert shown.height() == reasons.height() >= reasons.heightForWidth(reasons.width())
