"""The pipeline (SPEC T1, P3): a kanban board by stage and a table, for oneself or the team.

Dragging a card to another column asks the store for the same move the deal page makes, so the
same locks apply: a forward drop with locks missing is refused with the reasons and an offer to
open the deal's checklist; a drop on an earlier column or on Lost asks for a reason; a gated
move files an approval request. Cards never move on screen until the store has agreed.
"""

from __future__ import annotations

from collections.abc import Callable
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
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.rules import LOST, ProcessRules
from app.store.errors import MoveRefused
from app.store.service import Change
from app.store.sheets import Sheet
from app.views import operations as ops
from app.views.bulk import BulkBar, ReassignDialog, may_reassign
from app.views.context import AppContext
from app.views.deal_page import MoveDialog
from app.views.export import EXPORT_ROLE, SheetExport, selected_rows, table_sheet
from app.views.i18n import say
from app.views.operations import DealFilter
from app.views.widgets import (
    Banner,
    ReloadingScreen,
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
            # No text colour here: each card sets its own (stalled in orange, lost in grey).
            "QListWidget::item { background:white; border:1px solid #e0e0e0;"
            " border-radius:4px; padding:4px; }"
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


def _number(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _stage_order(rules: ProcessRules, stage: str) -> int:
    return rules.index(stage) if stage in rules.stage_keys else len(rules.stage_keys)


class SortItem(QTableWidgetItem):
    """A cell that sorts by its typed value (amount, days, stage order) when it has one."""

    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine, theirs = self.data(EXPORT_ROLE), other.data(EXPORT_ROLE)
        if mine is not None and theirs is not None:
            return bool(mine < theirs)
        if (mine is None) != (theirs is None):
            return mine is None  # empty cells first when ascending
        return self.text() < other.text()  # (the base class would call back into this one)


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
        self.summary.setObjectName("pipelineSummary")
        self.summary.setToolTip(self.tr("Open pipeline: deals neither signed nor lost"))
        self.notice = Banner()
        self.notice.setObjectName("pipelineNotice")
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
                self.tr("Days in stage"),
                self.tr("Attention"),
            ]
        )
        self.table.setObjectName("dealTable")
        self.table.setSelectionMode(QTableWidget.SelectionMode.ExtendedSelection)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(3, Qt.SortOrder.DescendingOrder)  # largest deals first
        self.table.activated.connect(self._open_table_row)
        self.table.doubleClicked.connect(self._open_table_row)
        self.bulk = BulkBar(ctx)
        self.table.itemSelectionChanged.connect(
            lambda: self.bulk.show_count(len(selected_rows(self.table)))
        )
        self.totals = QLabel()
        self.totals.setObjectName("dealTotals")
        self.bulk.reassign.connect(self.reassign_selected)
        self.bulk.export.connect(self.export_selected)
        table_page = QWidget()
        tl = QVBoxLayout(table_page)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.table, 1)
        footer = QHBoxLayout()
        footer.addWidget(self.totals)
        footer.addWidget(self.bulk, 1)
        tl.addLayout(footer)
        self.stack = QStackedWidget()
        self.stack.addWidget(scroll)
        self.stack.addWidget(table_page)
        self.reassign_dialog: ReassignDialog | None = None
        self.export_started: SheetExport | None = None

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.notice)
        layout.addWidget(self.stack, 1)
        if may_reassign(ctx):
            # A lead opens on the team's deals: that is what they scan for.
            self.owner.setCurrentIndex(max(0, self.owner.findData(None)))
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
        table_rows: list[dict[str, Any]] = []
        for stage in data.stages:
            count, total = data.totals.get(stage, (0, 0.0))
            self.headers[stage].setText(
                f"<b>{stage_name(rules, stage)}</b><br/>"
                + self.tr("%n deal(s)", "", count)
                + f" · {short_money(total)}"
            )
            column = self.columns[stage]
            column.clear()
            for card in data.cards[stage]:
                item = QListWidgetItem(self.card_text(card, stage))
                item.setData(RECORD_ID, card["id"])
                item.setData(STAGE_ROLE, stage)
                item.setSizeHint(QSize(150, 104))
                item.setToolTip(self.card_tip(card))
                colour = "#212121"
                if stage == LOST:
                    colour = "#757575"
                elif card["stalled"]:
                    colour = "#bf360c"
                item.setForeground(QColor(colour))
                column.addItem(item)
                table_rows.append({**card, "stage": stage})
            if count > len(data.cards[stage]):
                more = QListWidgetItem(
                    self.tr("… %1 more (largest shown)").replace(
                        "%1", str(count - len(data.cards[stage]))
                    )
                )
                more.setFlags(Qt.ItemFlag.NoItemFlags)
                column.addItem(more)
        self.fill_deal_table(table_rows)
        self.summary.setText(
            self.tr("Open pipeline: %1").replace("%1", money(round(data.open_amount)))
            + " · "
            + self.tr("%n open deal(s)", "", data.open_count)
        )

    def card_text(self, card: dict[str, Any], stage: str) -> str:
        """A card's lines: deal, customer, amount and owner, time in stage with the flags,
        then the expected close (each line short enough for a narrow column)."""
        marks = ""
        if card["stalled"] and stage != LOST:
            marks += "⚠ "
        if card["pending_approval"]:
            marks += "⏳ "
        days = ""
        if stage != LOST and card.get("days_in_stage") is not None:
            days = self.tr("%n day(s) in stage", "", int(card["days_in_stage"]))
        close = (
            self.tr("close %1").replace("%1", str(card["expected_close"]))
            if card.get("expected_close")
            else ""
        )
        return (
            f"{card['title']}\n{card.get('customer_name') or ''}\n"
            f"{money(card.get('amount'))}  ·  {card.get('owner_name') or ''}\n"
            f"{marks}{days}\n{close}"
        )

    def card_tip(self, card: dict[str, Any]) -> str:
        lines = [str(card["title"])]
        lines += self.attention(card)
        return "\n".join(lines)

    def attention(self, card: dict[str, Any]) -> list[str]:
        out = []
        hours = self.ctx.rules.stagnation_hours
        if card["stalled"] and card.get("stage") != LOST:
            out.append(self.tr("⚠ Stalled: no follow-up for %n hour(s)", "", hours))
        if card["pending_approval"]:
            out.append(self.tr("⏳ Waiting for the team lead's approval"))
        return out

    def fill_deal_table(self, cards: list[dict[str, Any]]) -> None:
        """The table: every column sorts (amounts and days as numbers); totals below."""
        rules = self.ctx.rules
        table = self.table
        table.setSortingEnabled(False)
        table.setRowCount(len(cards))
        total = 0.0
        for r, card in enumerate(cards):
            amount = _number(card.get("amount"))
            total += amount or 0.0
            days = card.get("days_in_stage") if card["stage"] != LOST else None
            cells: list[tuple[str, Any]] = [
                (str(card["title"]), None),
                (str(card.get("customer_name") or ""), None),
                (stage_name(rules, card["stage"]), _stage_order(rules, card["stage"])),
                (money(card.get("amount")), amount),
                (str(card.get("owner_name") or ""), None),
                (str(card.get("expected_close") or ""), None),
                ("" if days is None else str(days), days),
                (" ".join(m.split(":")[0] for m in self.attention(card)), None),
            ]
            for c, (text, typed) in enumerate(cells):
                item = SortItem(text)
                if typed is not None:
                    item.setData(EXPORT_ROLE, typed)
                if c == 0:
                    item.setData(RECORD_ID, card["id"])
                if c == 3:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                table.setItem(r, c, item)
        table.resizeColumnsToContents()
        header = table.horizontalHeader()
        for c in range(table.columnCount()):
            header.resizeSection(c, min(header.sectionSize(c) + 12, 360))
        table.setSortingEnabled(True)
        open_amount = sum(
            _number(c.get("amount")) or 0.0 for c in cards if rules.is_open(c["stage"])
        )
        self.totals.setText(
            self.tr("%n deal(s)", "", len(cards))
            + " · "
            + self.tr("total %1").replace("%1", money(round(total)))
            + " · "
            + self.tr("open %1").replace("%1", money(round(open_amount)))
        )

    # ---- bulk work and export --------------------------------------------------------------------
    def selected_deals(self) -> list[str]:
        ids = []
        for r in selected_rows(self.table):
            item = self.table.item(r, 0)
            if item is not None and item.data(RECORD_ID):
                ids.append(str(item.data(RECORD_ID)))
        return ids

    def reassign_selected(self) -> ReassignDialog | None:
        ids = self.selected_deals()
        if not ids or not may_reassign(self.ctx):
            return None
        dialog = ReassignDialog(self.ctx.users, len(ids), self)
        dialog.chosen.connect(lambda owner: self._reassign(ids, owner))
        dialog.open()
        self.reassign_dialog = dialog
        return dialog

    def _reassign(self, ids: list[str], owner: str) -> None:
        self.ctx.runner.write(
            lambda s: ops.reassign(s, "deal", ids, owner),
            lambda n: self.notice.show_text(self.tr("%n deal(s) reassigned", "", n), "ok"),
            owner=self,
            label=self.tr("Reassigning"),
        )

    def export_sheet(self, deliver: Callable[[Sheet], None], *, selected: bool = False) -> None:
        """The deals shown (as the table lists them, in its order), or the selected ones."""
        rows = selected_rows(self.table) if selected else None
        deliver(table_sheet(self.tr("Deals"), self.table, rows))

    def export_selected(self) -> None:
        self.export_sheet(self._ask_where, selected=True)

    def _ask_where(self, sheet: Sheet) -> None:
        self.export_started = SheetExport(
            self.ctx.runner,
            sheet,
            self,
            on_done=lambda m: self.notice.show_text(m, "ok"),
        )
        self.export_started.start()

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
            lambda s: ops.move_deal(s, deal_id, to_stage, None),
            lambda decision: self._moved(decision, to_stage),
            on_error=lambda exc: self._refused(exc, deal_id, to_stage),
            owner=self,
        )

    def _moved(self, decision: Any, to_stage: str) -> None:
        if decision.allowed:
            self.notice.show_text(
                self.tr("Moved to %1.").replace("%1", stage_name(self.ctx.rules, to_stage)), "ok"
            )
            return
        if decision.needs_approval:
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
