"""Conflicts: both values shown; restoring the other value is one click and a queued edit."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from app.store.service import Store
from app.views.conflicts import ConflictsScreen
from app.views.context import AppContext
from app.views.customer_page import CustomerPage


def test_restore_changes_the_value_and_queues_an_edit(
    qtbot: Any, ctx: AppContext, store: Store, customer_id: str
) -> None:
    store.update("customer", customer_id, {"industry": "家居制造"})
    cid = store.conflicts.record(
        "customer",
        customer_id,
        "industry",
        "家居制造",
        "智能家居",
        other_author="u-lead",
        other_at="2026-11-02T10:00:00+00:00",
        lost_here=False,  # the lead's edit, made on the lead's device, came second
    )
    keep_id = store.conflicts.record(
        "customer", customer_id, "notes", None, "老客户", other_author="u-lead"
    )
    screen = ConflictsScreen(ctx)
    ctx.runner.changed.connect(screen.on_changed)
    qtbot.addWidget(screen)
    screen.show()
    assert screen.table.rowCount() == 2
    cells = {
        screen.table.item(r, 1).text(): [screen.table.item(r, c).text() for c in range(7)]
        for r in range(2)
    }
    # Who wrote each value and which one is in force; the buttons say what they will do.
    assert cells["行业"][2:6] == ["✔ 家居制造", "张伟", "智能家居", "王经理"]
    assert cells["备注"][3] == "another device"
    assert cells["行业"][0].endswith("轻鹿家居有限公司")

    pending = store.journal.pending_count()
    restore = screen.findChild(QPushButton, f"restore_{cid}")
    assert restore is not None
    assert "家居制造" in restore.toolTip() and "智能家居" in restore.toolTip()
    page = CustomerPage(ctx, customer_id)  # the record shows that it has open conflicts
    qtbot.addWidget(page)
    page.show()
    assert page.conflict_marker.isVisible() and "2" in page.conflict_marker.text()
    qtbot.mouseClick(restore, Qt.MouseButton.LeftButton)
    assert store.require("customer", customer_id)["industry"] == "智能家居"
    queued = store.journal.pending()[pending:]
    assert ("update", {"industry": "智能家居"}) in [(o["action"], o["fields"]) for o in queued]
    assert screen.table.rowCount() == 1

    keep = screen.findChild(QPushButton, f"keep_{keep_id}")
    assert keep is not None
    qtbot.mouseClick(keep, Qt.MouseButton.LeftButton)
    assert store.require("customer", customer_id)["notes"] is None
    assert store.conflicts.count() == 0 and screen.empty.isVisible()
