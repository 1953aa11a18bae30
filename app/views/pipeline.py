"""The pipeline (SPEC T1, P3): a kanban board by stage and a table, for oneself or the team.

Dragging a card to another column asks the store for the same move the deal page makes, so the
same locks apply: a forward drop with locks missing is refused with the reasons and an offer to
open the deal's checklist; a drop on an earlier column or on Lost asks for a reason; a gated
move files an approval request. Cards never move on screen until the store has agreed.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QByteArray, QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QColor, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.rules import LOST
from app.store.errors import MoveRefused
from app.store.queries import DealFilter
from app.store.service import Change
from app.views import operations as ops
from app.views.context import AppContext
from app.views.deal_page import MoveDialog
from app.views.i18n import say
from app.views.widgets import (
    ReloadingScreen,
    fill_table,
    make_table,
    money,
    selected_id,
    short_money,
    stage_name,
)

DEAL_MIME = "application/x-fieldcrm-deal"
RECORD_ID = Qt.ItemDataRole.UserRole
STAGE_ROLE = Qt.ItemDataRole.UserRole + 1


class StageColumn(QListWidget):
    """One stage's cards; drags carry the deal id, drops ask the board to move the deal."""

    dropped = Signal(str, str, str)  # deal id, from stage, to stage

    def __init__(self, stage: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stage = stage
        self.setObjectName(f"column_{stage}")
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(False)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setSpacing(3)
        # One line per fact, elided: a card keeps its height whatever the customer's name.
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setUniformItemSizes(True)
        self.setMinimumWidth(150)
        self.setStyleSheet(
            "QListWidget { background:#f5f5f5; border:none; }"
            "QListWidget::item { background:white; border:1px solid #e0e0e0;"
            " border-radius:4px; padding:4px; color:#212121; }"
            "QListWidget::item:selected { border:1px solid #1565c0; background:#e3f2fd; }"
        )

    def mimeTypes(self) -> list[str]:
        return [DEAL_MIME]

    def mimeData(self, items: Any) -> QMimeData:
        mime = QMimeData()
        if items:
            item = items[0]
            payload = f"{item.data(RECORD_ID)}\n{self.stage}"
            mime.setData(DEAL_MIME, QByteArray(payload.encode()))
        return mime

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasFormat(DEAL_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if event.mimeData().hasFormat(DEAL_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        mime = event.mimeData()
        if not mime.hasFormat(DEAL_MIME):
            event.ignore()
            return
        deal_id, _, from_stage = bytes(mime.data(DEAL_MIME).data()).decode().partition("\n")
        # Refuse Qt's own item move: the card moves when the store says so and the board
        # redraws from the database.
        event.setDropAction(Qt.DropAction.IgnoreAction)
        event.accept()
        if from_stage != self.stage:
            self.dropped.emit(deal_id, from_stage, self.stage)


class PipelineScreen(ReloadingScreen):
    """Board (default) or table of deals, filtered by owner and expected-close period."""

    open_record = Signal(str, str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("pipelineScreen")
        self.board_data: ops.Board | None = None
        self.last_refusal: QMessageBox | None = None

        self.owner = QComboBox()
        self.owner.setObjectName("pipelineOwner")
        if ctx.session.known:
            self.owner.addItem(self.tr("My deals"), ctx.session.user_id)
        self.owner.addItem(self.tr("Whole team"), None)
        for u in ctx.users:
            if u["id"] != ctx.session.user_id:
                self.owner.addItem(str(u["display_name"]), u["id"])
        self.period = QComboBox()
        self.period.addItem(self.tr("Any close date"), "all")
        self.period.addItem(self.tr("Closing this month"), "month")
        self.period.addItem(self.tr("Closing this quarter"), "quarter")
        self.mode = QComboBox()
        self.mode.setObjectName("pipelineMode")
        self.mode.addItem(self.tr("Board"), "board")
        self.mode.addItem(self.tr("Table"), "table")
        self.summary = QLabel()
        bar = QHBoxLayout()
        bar.addWidget(QLabel(self.tr("Show:")))
        bar.addWidget(self.owner)
        bar.addWidget(self.period)
        bar.addWidget(self.mode)
        bar.addStretch(1)
        bar.addWidget(self.summary)

        self.columns: dict[str, StageColumn] = {}
        self.headers: dict[str, QLabel] = {}
        board = QWidget()
        row = QHBoxLayout(board)
        row.setSpacing(8)
        for stage in [*ctx.rules.stage_keys, LOST]:
            col = QVBoxLayout()
            header = QLabel()
            header.setObjectName(f"header_{stage}")
            header.setWordWrap(True)
            colour = "#ffebee" if stage == LOST else "#e3f2fd"
            header.setStyleSheet(f"background:{colour}; padding:6px; border-radius:4px;")
            column = StageColumn(stage)
            column.dropped.connect(self.request_move)
            column.itemActivated.connect(self._open_item)
            column.itemDoubleClicked.connect(self._open_item)
            col.addWidget(header)
            col.addWidget(column, 1)
            row.addLayout(col, 1)
            self.columns[stage] = column
            self.headers[stage] = header
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(board)

        self.table = make_table(
            [
                self.tr("Deal"),
                self.tr("Customer"),
                self.tr("Stage"),
                self.tr("Amount"),
                self.tr("Owner"),
                self.tr("Expected close"),
                self.tr("In stage since"),
            ]
        )
        self.table.setObjectName("dealTable")
        self.table.activated.connect(self._open_table_row)
        self.table.doubleClicked.connect(self._open_table_row)
        self.stack = QStackedWidget()
        self.stack.addWidget(scroll)
        self.stack.addWidget(self.table)

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.stack, 1)
        self.owner.currentIndexChanged.connect(self.reload)
        self.period.currentIndexChanged.connect(self.reload)
        self.mode.currentIndexChanged.connect(
            lambda: self.stack.setCurrentIndex(self.mode.currentIndex())
        )
        self.reload()

    def deal_filter(self) -> DealFilter:
        start, end = ops.period(str(self.period.currentData()), self.ctx.today())
        return DealFilter(self.owner.currentData(), start, end)

    def reload(self) -> None:
        f = self.deal_filter()
        self.ctx.runner.read(lambda s: ops.board(s, f), self.show_board, owner=self)

    def show_board(self, data: ops.Board) -> None:
        self.board_data = data
        rules = self.ctx.rules
        table_rows: list[list[Any]] = []
        table_ids: list[str] = []
        open_total = 0.0
        for stage in data.stages:
            count, total = data.totals.get(stage, (0, 0.0))
            if stage != LOST:
                open_total += total
            self.headers[stage].setText(
                f"<b>{stage_name(rules, stage)}</b><br/>"
                + self.tr("%1 deals · %2")
                .replace("%1", str(count))
                .replace("%2", short_money(total))
            )
            column = self.columns[stage]
            column.clear()
            for card in data.cards[stage]:
                text = (
                    f"{card['title']}\n{card.get('customer_name') or ''}\n"
                    f"{money(card.get('amount'))}  ·  {card.get('owner_name') or ''}"
                )
                item = QListWidgetItem(text)
                item.setData(RECORD_ID, card["id"])
                item.setData(STAGE_ROLE, stage)
                item.setSizeHint(QSize(150, 66))
                if stage == LOST:
                    item.setForeground(QColor("#757575"))
                column.addItem(item)
                table_rows.append(
                    [
                        card["title"],
                        card.get("customer_name"),
                        stage_name(rules, stage),
                        money(card.get("amount")),
                        card.get("owner_name"),
                        card.get("expected_close"),
                        (card.get("stage_entered_at") or "")[:10],
                    ]
                )
                table_ids.append(card["id"])
            if count > len(data.cards[stage]):
                more = QListWidgetItem(
                    self.tr("… %1 more (largest shown)").replace(
                        "%1", str(count - len(data.cards[stage]))
                    )
                )
                more.setFlags(Qt.ItemFlag.NoItemFlags)
                column.addItem(more)
        fill_table(self.table, table_rows, table_ids)
        self.summary.setText(self.tr("Open pipeline: %1").replace("%1", short_money(open_total)))

    def on_changed(self, changes: list[Change]) -> None:
        if any(c.entity in ("deal", "approval", "sync") for c in changes):
            self.reload_when_seen()

    # ---- moves by drag-and-drop ------------------------------------------------------------------
    def request_move(self, deal_id: str, from_stage: str, to_stage: str) -> None:
        """A card was dropped on another column: the same rules as the deal page apply."""
        rules = self.ctx.rules
        backwards = (
            from_stage != LOST
            and to_stage != LOST
            and rules.index(to_stage) < rules.index(from_stage)
        )
        if to_stage == LOST or from_stage == LOST or backwards:
            self._ask_reason(deal_id, to_stage)
            return
        self.ctx.runner.write(
            lambda s: s.move_deal(deal_id, to_stage),
            lambda decision: self._moved(decision, to_stage),
            on_error=lambda exc: self._refused(exc, deal_id, to_stage),
            owner=self,
        )

    def _moved(self, decision: Any, to_stage: str) -> None:
        if decision.needs_approval and not decision.allowed:
            QMessageBox.information(
                self,
                self.tr("Approval requested"),
                self.tr(
                    "Moving to %1 needs the team lead's approval. The request was filed; the "
                    "deal moves once it is approved."
                ).replace("%1", stage_name(self.ctx.rules, to_stage)),
            )

    def _refused(self, exc: BaseException, deal_id: str, to_stage: str) -> None:
        if not isinstance(exc, MoveRefused):
            self.ctx.runner.report_error(exc)
            return
        box = QMessageBox(self)
        box.setObjectName("moveRefused")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("The deal cannot move yet"))
        box.setText(
            self.tr("It cannot move to %1 yet:").replace("%1", stage_name(self.ctx.rules, to_stage))
        )
        box.setInformativeText("\n".join(f"• {say(p.message)}" for p in exc.decision.problems))
        open_button = box.addButton(self.tr("Open checklist"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Close)
        open_button.clicked.connect(lambda: self.open_record.emit("deal", deal_id))
        self.last_refusal = box
        box.open()

    def _ask_reason(self, deal_id: str, to_stage: str) -> None:
        title = (
            self.tr("Mark the deal lost")
            if to_stage == LOST
            else self.tr("Move the deal to %1").replace("%1", stage_name(self.ctx.rules, to_stage))
        )
        dialog = MoveDialog(
            self.ctx,
            deal_id,
            title,
            self.tr("Give a reason; it is kept in the history."),
            [(to_stage, stage_name(self.ctx.rules, to_stage))],
            self,
        )
        dialog.open()
        self.move_dialog = dialog

    def _open_item(self, item: QListWidgetItem) -> None:
        deal_id = item.data(RECORD_ID)
        if deal_id:
            self.open_record.emit("deal", str(deal_id))

    def _open_table_row(self) -> None:
        deal_id = selected_id(self.table)
        if deal_id:
            self.open_record.emit("deal", deal_id)


__all__ = ["DEAL_MIME", "PipelineScreen", "StageColumn"]
