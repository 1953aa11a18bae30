"""The pipeline board: drops obey the same locks as the deal page; totals per column."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QByteArray, QMimeData, QPointF, Qt
from PySide6.QtGui import QDropEvent

from app.store.service import Store
from app.views.context import AppContext
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
    assert "1 deals" in screen.headers["needs_diagnosis"].text()
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
    dialog.reason.setPlainText("项目取消了")
    dialog.submit()
    assert store.require("deal", deal_id)["stage"] == "lost"
    assert column_ids(screen, "lost") == [deal_id]


def test_table_mode_lists_every_deal(qtbot: Any, ctx: AppContext, deal_id: str) -> None:
    screen = board(qtbot, ctx)
    screen.mode.setCurrentIndex(1)
    assert screen.stack.currentWidget() is screen.table
    assert screen.table.rowCount() == 1 and screen.table.item(0, 0).text() == "全屋定制样板间"
