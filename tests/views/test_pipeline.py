"""The pipeline board: drops obey the same locks as the deal page; totals per column."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QByteArray, QItemSelectionModel, QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QDialogButtonBox

from app.store.service import Store
from app.views.context import AppContext, load_context
from app.views.pipeline import DEAL_MIME, PipelineScreen


def board(qtbot: Any, ctx: AppContext) -> PipelineScreen:
    screen = PipelineScreen(ctx)
    ctx.runner.changed.connect(screen.on_changed)
    qtbot.addWidget(screen)
    screen.show()
    return screen


def drop(screen: PipelineScreen, deal_id: str, source: str, target: str) -> None:
    """Deliver a real drop event (the payload a drag from ``source`` carries) to a column."""
    mime = QMimeData()
    mime.setData(DEAL_MIME, QByteArray(f"{deal_id}\n{source}".encode()))
    column = screen.columns[target]
    event = QDropEvent(
        QPointF(20, 20),
        Qt.DropAction.MoveAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    column.dropEvent(event)


def column_ids(screen: PipelineScreen, stage: str) -> list[str]:
    col = screen.columns[stage]
    return [col.item(i).data(Qt.ItemDataRole.UserRole) for i in range(col.count())]


def test_drop_on_a_locked_column_is_refused_with_reasons(
    qtbot: Any, ctx: AppContext, store: Store, deal_id: str
) -> None:
    screen = board(qtbot, ctx)
    assert column_ids(screen, "contact") == [deal_id]
    drop(screen, deal_id, "contact", "needs_diagnosis")
    assert store.require("deal", deal_id)["stage"] == "contact"
    box = screen.last_refusal
    assert box is not None and box.isVisible()
    assert "预计金额" in box.informativeText() and "主要联系人" in box.informativeText()
    assert column_ids(screen, "needs_diagnosis") == []  # the card did not move
    with qtbot.waitSignal(screen.open_record) as opened:
        box.buttons()[0].click()  # "Open checklist"
    assert opened.args == ["deal", deal_id]


def test_drop_moves_when_locks_are_met_and_totals_follow(
    qtbot: Any, ctx: AppContext, store: Store, deal_id: str, contacts: list[str]
) -> None:
    store.update("deal", deal_id, {"amount": "150000", "primary_contact_id": contacts[0]})
    screen = board(qtbot, ctx)
    assert "¥15.0万" in screen.headers["contact"].text()
    drop(screen, deal_id, "contact", "needs_diagnosis")
    assert store.require("deal", deal_id)["stage"] == "needs_diagnosis"
    assert column_ids(screen, "needs_diagnosis") == [deal_id]
    assert "1 deal ·" in screen.headers["needs_diagnosis"].text()
    assert screen.notice.text() == "Moved to 需求诊断."  # the drop confirms
    assert "0 deals" in screen.headers["contact"].text()


def test_skipping_a_stage_is_refused(qtbot: Any, ctx: AppContext, deal_id: str) -> None:
    screen = board(qtbot, ctx)
    drop(screen, deal_id, "contact", "proposal")
    assert screen.last_refusal is not None
    assert "不能跳过阶段" in screen.last_refusal.informativeText()


def test_drop_on_lost_asks_for_a_reason(
    qtbot: Any, ctx: AppContext, store: Store, deal_id: str
) -> None:
    screen = board(qtbot, ctx)
    drop(screen, deal_id, "contact", "lost")
    dialog = screen.move_dialog
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    dialog.reason.setPlainText("项目取消了")
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)  # no reason picked from the list yet
    assert dialog.isVisible() and "列表" in dialog.error.text()
    picker = dialog.lost_reason
    assert picker is not None
    labels = [picker.itemText(i) for i in range(picker.count())]
    assert "价格或预算" in labels and labels[-1].startswith("其他")
    picker.setCurrentIndex(picker.count() - 1)  # "Other": the details are the reason
    dialog.reason.clear()
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and "其他" in dialog.error.text()
    dialog.reason.setPlainText("项目取消了")
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    deal = store.require("deal", deal_id)
    assert deal["stage"] == "lost" and deal["lost_reason"] == "other: 项目取消了"
    assert column_ids(screen, "lost") == [deal_id]


def test_table_mode_lists_every_deal(qtbot: Any, ctx: AppContext, deal_id: str) -> None:
    screen = board(qtbot, ctx)
    screen.mode.setCurrentIndex(1)
    assert screen.table.isVisible()
    assert screen.table.rowCount() == 1 and screen.table.item(0, 0).text() == "全屋定制样板间"


def deal(store: Store, customer_id: str, title: str, amount: str, **more: Any) -> str:
    return store.create(
        "deal", {"customer_id": customer_id, "title": title, "amount": amount, **more}
    )


def test_open_pipeline_leaves_out_won_and_lost_deals(
    qtbot: Any, ctx: AppContext, store: Store, customer_id: str, deal_id: str
) -> None:
    store.update("deal", deal_id, {"amount": "100000"})
    won = deal(store, customer_id, "已签约", "300000")
    lost = deal(store, customer_id, "已输单", "50000")
    store.connection().execute("UPDATE deals SET stage = 'signed' WHERE id = ?", (won,))
    store.deals.move(lost, "lost", "price")
    screen = board(qtbot, ctx)
    assert screen.summary.text() == "Open pipeline: ¥100,000 · 1 open deal"
    screen.mode.setCurrentIndex(1)
    assert screen.totals.text() == "3 deals · total ¥450,000 · open ¥100,000"


def test_cards_show_days_in_stage_close_date_stall_and_pending_approval(
    qtbot: Any, ctx: AppContext, store: Store, clock: Any, deal_id: str
) -> None:
    store.update("deal", deal_id, {"amount": "80000", "expected_close": "2026-12-20"})
    store.connection().execute(
        "UPDATE deals SET stage = 'proposal', stage_entered_at = ? WHERE id = ?",
        ("2026-10-20T09:00:00+00:00", deal_id),
    )
    store.alerts.refresh_stagnation()  # no follow-up for 13 days: stalled
    store.deals.request_approval(deal_id, "negotiation", "客户已确认方案")
    screen = board(qtbot, ctx)
    card = screen.columns["proposal"].item(0)
    lines = card.text().split("\n")
    assert lines[3:] == ["⚠ ⏳ 13 days in stage", "close 2026-12-20"]
    assert "Stalled" in card.toolTip() and "approval" in card.toolTip()
    assert card.foreground().color().name() == "#bf360c"  # a stalled card stands out
    screen.mode.setCurrentIndex(1)
    row = [screen.table.item(0, c).text() for c in range(screen.table.columnCount())]
    assert row[6] == "13" and "Stalled" in row[7]


def test_table_sorts_by_any_column_as_numbers(
    qtbot: Any, ctx: AppContext, store: Store, customer_id: str
) -> None:
    for title, amount in (("甲", "9000"), ("乙", "120000"), ("丙", "45000")):
        deal(store, customer_id, title, amount)
    screen = board(qtbot, ctx)
    screen.mode.setCurrentIndex(1)
    header = screen.table.horizontalHeader()
    qtbot.mouseClick(
        header.viewport(),
        Qt.MouseButton.LeftButton,
        pos=header.rect().topLeft() + QPoint(header.sectionViewportPosition(3) + 5, 5),
    )
    amounts = [screen.table.item(r, 3).text() for r in range(3)]
    assert amounts in (["¥9,000", "¥45,000", "¥120,000"], ["¥120,000", "¥45,000", "¥9,000"])
    screen.table.sortByColumn(3, Qt.SortOrder.AscendingOrder)
    assert [screen.table.item(r, 3).text() for r in range(3)] == [
        "¥9,000",
        "¥45,000",
        "¥120,000",
    ]
    screen.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    assert screen.table.item(0, 0).text() in ("甲", "乙", "丙")


def test_a_lead_opens_on_the_team_and_reassigns_deals(
    qtbot: Any, runner: Any, store: Store, customer_id: str
) -> None:
    ids = [deal(store, customer_id, f"商机{i}", "1000") for i in range(3)]
    store.actor = "u-lead"
    found: list[AppContext] = []
    load_context(runner, found.append)
    screen = board(qtbot, found[0])
    assert screen.owner.currentData() is None  # the whole team
    screen.mode.setCurrentIndex(1)
    rows = [
        r for r in range(3) if screen.table.item(r, 0).data(Qt.ItemDataRole.UserRole) in ids[:2]
    ]
    for r in rows:
        screen.table.selectionModel().select(
            screen.table.model().index(r, 0),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )
    assert screen.bulk.isVisible()
    qtbot.mouseClick(screen.bulk.reassign_button, Qt.MouseButton.LeftButton)
    dialog = screen.reassign_dialog
    assert dialog is not None
    dialog.owner.setCurrentIndex(dialog.owner.findData("u-lead"))
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    assert [store.require("deal", d)["owner"] for d in ids] == ["u-lead", "u-lead", "u-rep"]
    assert screen.notice.text() == "2 deals reassigned"


def test_a_rep_opens_on_their_own_deals(qtbot: Any, ctx: AppContext) -> None:
    assert board(qtbot, ctx).owner.currentData() == "u-rep"
