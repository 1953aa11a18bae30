"""An approval request travels from the rep's window to the lead's and back, over the real
server: the note goes with it, the lead decides on the deal page, the rep is told."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.deals import ready_for_negotiation
from helpers.syncing import Device
from helpers.typing import type_text
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from app.sync.api import OfflineSync
from app.views.context import AppContext, load_context
from app.views.deal_page import DealPage
from app.views.inboxes import AlertsScreen
from app.views.main_window import NAV, MainWindow
from app.views.status import SYNC_DONE
from app.views.tasks import TaskRunner


@pytest.fixture
def contexts(qapp: Any) -> Iterator[Callable[[Device], AppContext]]:
    runners: list[TaskRunner] = []

    def make(device: Device) -> AppContext:
        runner = TaskRunner(device.store, synchronous=True)
        runners.append(runner)
        found: list[AppContext] = []
        load_context(runner, found.append)
        return found[0]

    yield make
    for r in runners:
        r.close()


def click(qtbot: Any, button: QPushButton) -> None:
    assert button.isVisible() and button.isEnabled(), button.objectName()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def synced(device: Device, ctx: AppContext) -> None:
    """Sync, then tell the screens as the status bar does after a real sync."""
    device.sync()
    ctx.runner.changed.emit([SYNC_DONE])


def window(qtbot: Any, ctx: AppContext, device: Device, tmp_path: Path) -> MainWindow:
    store = device.store
    sync = OfflineSync(lambda: (store.journal.pending_count(), store.conflicts.count(), 0))
    w = MainWindow(ctx, sync, profile_dir=tmp_path / store.actor)
    qtbot.addWidget(w)
    w.show()
    return w


def badge(w: MainWindow, key: str) -> str:
    return w.nav.item(NAV.index(key)).text()


def test_request_note_decision_on_the_deal_page_and_the_verdict_reaches_the_rep(
    qtbot: Any,
    make_device: Callable[..., Device],
    contexts: Callable[[Device], AppContext],
    file_keyring: None,
    tmp_path: Path,
) -> None:
    rep, lead = make_device("rep", "alice"), make_device("lead", "lena")
    rep.sync()
    cid = rep.store.create("customer", {"name": "杭州青禾家居有限公司", "owner": rep.store.actor})
    contact = rep.store.create("contact", {"customer_id": cid, "name": "陈思远"})
    deal_id = rep.store.create("deal", {"customer_id": cid, "title": "总部办公家具"})
    ready_for_negotiation(rep.store, deal_id, contact, tmp_path)
    rep_ctx = contexts(rep)
    rep_window = window(qtbot, rep_ctx, rep, tmp_path)
    page = rep_window.open_record("deal", deal_id)
    assert isinstance(page, DealPage)

    # The rep asks, with a note; their own request is no to-do in their badge.
    click(qtbot, page.advance_button)
    type_text(qtbot, page.request_dialog.note, "客户已确认报价,合同草稿在法务")
    click(qtbot, page.request_dialog.send_button)
    assert "客户已确认报价" in page.banner.text()
    assert not page.decision.isVisible()
    assert badge(rep_window, "approvals") == rep_window.nav_titles["approvals"]
    synced(rep, rep_ctx)

    # The lead sees the request and its note on the deal page, and rejects it there.
    lead.sync()
    lead_ctx = contexts(lead)
    assert lead_ctx.session.role == "lead"
    lead_window = window(qtbot, lead_ctx, lead, tmp_path)
    assert badge(lead_window, "approvals").endswith("(1)")
    lead_page = lead_window.open_record("deal", deal_id)
    assert isinstance(lead_page, DealPage) and lead_page.decision.isVisible()
    assert "客户已确认报价" in lead_page.decision.request.text()
    click(qtbot, lead_page.decision.reject)  # no comment: refused on the spot
    assert lead_page.decision.error.isVisible()
    type_text(qtbot, lead_page.decision.comment, "先补充付款条件再申请")
    click(qtbot, lead_page.decision.reject)
    [row] = lead.store.connection().query("SELECT status, comment FROM approvals")
    assert row == {"status": "rejected", "comment": "先补充付款条件再申请"}
    assert not lead_page.decision.isVisible()
    synced(lead, lead_ctx)

    # The rep syncs: banner on the deal with the comment, an alert, and they may ask again.
    synced(rep, rep_ctx)
    assert "先补充付款条件再申请" in page.banner.text()
    assert page.advance_button.isEnabled()
    alerts = AlertsScreen(rep_ctx)
    rep_ctx.runner.changed.connect(alerts.on_changed)
    qtbot.addWidget(alerts)
    alerts.show()
    texts = [alerts.table.item(i, 4).text() for i in range(alerts.table.rowCount())]
    assert any("先补充付款条件再申请" in t for t in texts), texts
    assert badge(rep_window, "alerts").endswith("(1)")
    alerts.table.selectRow(0)
    click(qtbot, alerts.done)  # read and dealt with: off the list, on every device
    assert alerts.table.rowCount() == 0
    assert (
        rep.store.connection().execute("SELECT resolved_at FROM alerts").fetchone()[0] is not None
    )

    # Asked again; approved on the lead's deal page; the deal moves for the rep.
    click(qtbot, page.advance_button)
    type_text(qtbot, page.request_dialog.note, "付款条件已补充:30%预付")
    click(qtbot, page.request_dialog.send_button)
    synced(rep, rep_ctx)
    synced(lead, lead_ctx)
    assert lead_page.decision.isVisible() and "30%预付" in lead_page.decision.request.text()
    type_text(qtbot, lead_page.decision.comment, "同意")
    click(qtbot, lead_page.decision.approve)
    synced(lead, lead_ctx)
    synced(rep, rep_ctx)
    assert rep.store.require("deal", deal_id)["stage"] == "negotiation"
    assert "同意" in page.banner.text()
    rep.sync()  # the alerts raised on arrival go up with the next sync, and are accepted
    assert rep.store.journal.pending_count() == 0 and rep.store.journal.rejected() == []
    kinds = [
        r[0] for r in rep.store.connection().execute("SELECT kind FROM alerts ORDER BY created_at")
    ]
    assert kinds == ["approval", "approval"]
