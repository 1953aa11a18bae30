"""The customer list (SPEC D4, N1): ids in memory, rows fetched in batches, SQL does the rest.

:class:`CustomerListModel` holds only the ordered ids of what the filters and search select
(5 000 strings at most for a rep) and asks the store worker for row contents 100 at a time, when
the view first paints them. Sorting and filtering are SQL; there is no proxy model. While one
id query is running, further keystrokes collapse into one follow-up query, so typing never piles
up work behind the user.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.store.service import Change
from app.store.sheets import Sheet
from app.views import operations as ops
from app.views.bulk import BulkBar, ReassignDialog, may_reassign
from app.views.capture import CardCaptureDialog
from app.views.context import AppContext
from app.views.export import SheetExport, selected_rows
from app.views.operations import CustomerFilter
from app.views.tasks import TaskRunner
from app.views.widgets import stage_name, when

BATCH = 100
STALE_DAYS = 30
ModelIndex = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class ListQuery:
    """Everything that decides which customers are listed, and in which order."""

    filter: CustomerFilter = field(default_factory=CustomerFilter)
    search: str = ""
    sort: str = "name"


class CustomerListModel(QAbstractTableModel):
    """Customer rows by id; contents arrive in batches from the store worker."""

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "name",
        "industry",
        "region",
        "phone",
        "owner_name",
        "last_followup_at",
        "match",
    )
    # Column → (ascending, descending) SQL sort keys (see app.store.queries.CUSTOMER_SORTS).
    SORTS: ClassVar[dict[str, tuple[str, str]]] = {
        "name": ("name", "-name"),
        "industry": ("industry", "-industry"),
        "region": ("region", "-region"),
        "owner_name": ("owner", "-owner"),
        "last_followup_at": ("stale_first", "last_followup"),
        "phone": ("name", "-name"),
        "match": ("name", "-name"),
    }

    loaded = Signal(int)  # the id list arrived: how many customers match

    def __init__(self, runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.query = ListQuery()
        self.ids: list[str] = []
        # While searching: customer id → how it was found when not by its own text.
        self.matched: dict[str, tuple[str, str]] = {}
        self._rows: dict[str, dict[str, Any]] = {}
        self._requested: set[int] = set()
        self._generation = 0
        self._in_flight = False
        self._queued: ListQuery | None = None
        # Last follow-ups before this ISO time are shown in red (set by the screen).
        self.stale_before = ""
        self.headers = [
            self.tr("Customer"),
            self.tr("Industry"),
            self.tr("Region"),
            self.tr("Phone"),
            self.tr("Owner"),
            self.tr("Last follow-up"),
            self.tr("Found in"),
        ]
        self.entity_names = {
            "contact": self.tr("Contact"),
            "lead": self.tr("Lead"),
            "followup": self.tr("Follow-up"),
        }

    # ---- loading ---------------------------------------------------------------------------------
    def set_query(self, query: ListQuery) -> None:
        """Show the customers ``query`` selects (asynchronously; ``loaded`` says when)."""
        self.query = query
        if self._in_flight:
            self._queued = query  # only the latest matters; earlier keystrokes are skipped
            return
        self._start(query)

    def reload(self) -> None:
        self.set_query(self.query)

    def _start(self, query: ListQuery) -> None:
        self._in_flight = True
        self._generation += 1
        generation = self._generation

        def job(store: Any) -> tuple[ops.CustomerIds, dict[str, dict[str, Any]]]:
            found = ops.customer_ids(store, query.filter, query.search, query.sort)
            # The first batch comes with the ids: the first paint needs no second round trip.
            return found, ops.customer_rows(store, found.ids[:BATCH])

        self.runner.read(
            job,
            lambda result: self._ids_arrived(generation, *result),
            on_error=self._failed,
            owner=self,
        )

    def _failed(self, exc: BaseException) -> None:
        self._in_flight = False
        self._queued = None
        self.runner.report_error(exc)

    def _ids_arrived(
        self, generation: int, found: ops.CustomerIds, first: dict[str, dict[str, Any]]
    ) -> None:
        self._in_flight = False
        if self._queued is not None:
            query, self._queued = self._queued, None
            self._start(query)
            return
        if generation != self._generation:
            return
        self.beginResetModel()
        self.ids = found.ids
        self.matched = found.matched
        self._rows = first
        self._requested = {0} if found.ids else set()
        self.endResetModel()
        self.loaded.emit(len(found.ids))

    def _want(self, row: int) -> None:
        batch = row // BATCH
        if batch in self._requested:
            return
        self._requested.add(batch)
        wanted = self.ids[batch * BATCH : (batch + 1) * BATCH]
        generation = self._generation
        self.runner.read(
            lambda store: ops.customer_rows(store, wanted),
            lambda rows: self._rows_arrived(generation, batch, rows),
            owner=self,
        )

    def _rows_arrived(self, generation: int, batch: int, rows: dict[str, dict[str, Any]]) -> None:
        if generation != self._generation:
            return
        self._rows.update(rows)
        first = batch * BATCH
        last = min(first + BATCH, len(self.ids)) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(self.COLUMNS) - 1))

    # ---- Qt model API ----------------------------------------------------------------------------
    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008 — Qt's signature
        return 0 if parent.isValid() else len(self.ids)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.ids):
            return None
        record_id = self.ids[index.row()]
        if role == Qt.ItemDataRole.UserRole:
            return record_id
        row = self._rows.get(record_id)
        if row is None:
            self._want(index.row())
            if role == Qt.ItemDataRole.DisplayRole and index.column() == 0:
                return "…"
            return None
        column = self.COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell(record_id, row, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == "last_followup_at":
            return QColor("#c62828") if self._stale(row.get(column)) else None
        return None

    def cell(self, record_id: str, row: dict[str, Any], column: str) -> str:
        """What a cell shows (the list and its export alike)."""
        if column == "match":
            found = self.matched.get(record_id)
            if found is None:
                return ""
            entity, label = found
            label = label if len(label) <= 40 else label[:39] + "…"
            return (
                self.tr("%1: %2")
                .replace("%1", self.entity_names.get(entity, entity))
                .replace("%2", label)
            )
        value = row.get(column)
        if column == "last_followup_at":
            return when(value)[:10] if value else self.tr("never")
        return "" if value is None else str(value)

    def _stale(self, iso: str | None) -> bool:
        return iso is None or iso < self.stale_before

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        asc, desc = self.SORTS[self.COLUMNS[column]]
        key = asc if order == Qt.SortOrder.AscendingOrder else desc
        if key != self.query.sort:
            self.set_query(ListQuery(self.query.filter, self.query.search, key))

    def customer_id(self, row: int) -> str | None:
        return self.ids[row] if 0 <= row < len(self.ids) else None


class CustomersScreen(QWidget):
    """Search box, filters (owner, stage, no follow-up for 30 days) and the customer table."""

    open_record = Signal(str, str)  # entity, id
    new_customer = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("customersScreen")
        self.model = CustomerListModel(ctx.runner, self)

        self.search = QLineEdit()
        self.search.setObjectName("customerSearch")
        self.search.setPlaceholderText(
            self.tr("Search customers, contacts, phone numbers, notes… (pinyin initials work)")
        )
        self.search.setClearButtonEnabled(True)
        self.owner = QComboBox()
        self.owner.setObjectName("ownerFilter")
        self.owner.addItem(self.tr("All owners"), None)
        if ctx.session.known:
            self.owner.addItem(self.tr("Mine"), ctx.session.user_id)
        for u in ctx.users:
            if u["id"] != ctx.session.user_id:
                self.owner.addItem(str(u["display_name"]), u["id"])
        self.stage = QComboBox()
        self.stage.setObjectName("stageFilter")
        self.stage.addItem(self.tr("Any deal stage"), None)
        for key in ctx.rules.stage_keys:
            self.stage.addItem(stage_name(ctx.rules, key), key)
        self.stale = QCheckBox(self.tr("No follow-up for %n day(s)", "", STALE_DAYS))
        self.stale.setObjectName("staleFilter")
        self.count = QLabel()
        self.count.setObjectName("customerCount")
        add = QPushButton(self.tr("New customer"))
        add.clicked.connect(self.new_customer)
        scan = QPushButton(self.tr("Scan cards…"))
        scan.setObjectName("scanCards")
        scan.setToolTip(self.tr("Read business cards (photos or scans) into new contacts"))
        scan.clicked.connect(self.scan_cards)

        self.table = QTableView()
        self.table.setObjectName("customerTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        # Several rows at once for bulk work (Ctrl/Shift+click); Enter opens the current one.
        self.table.setSelectionMode(QTableView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.verticalHeader().hide()
        # Fixed row height: the view never has to measure rows it has not fetched yet.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(28)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col, width in ((1, 130), (2, 80), (3, 140), (4, 90), (5, 120), (6, 220)):
            header.resizeSection(col, width)
        header.setSectionHidden(6, True)  # "Found in" shows while searching
        self.table.doubleClicked.connect(self._open_index)
        self.table.activated.connect(self._open_index)

        filters = QHBoxLayout()
        filters.addWidget(self.search, 3)
        filters.addWidget(self.owner)
        filters.addWidget(self.stage)
        filters.addWidget(self.stale)
        filters.addWidget(scan)
        filters.addWidget(add)
        self.bulk = BulkBar(ctx)
        self.bulk.reassign.connect(self.reassign_selected)
        self.bulk.export.connect(self.export_selected)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count)
        bottom.addWidget(self.bulk, 1)
        layout.addLayout(bottom)
        self.search.installEventFilter(self)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        # A reload (after a bulk reassign, a sync) keeps the rows that were selected.
        self._keep: list[str] = []
        self.model.modelAboutToBeReset.connect(lambda: setattr(self, "_keep", self.selected_ids()))
        self.model.modelReset.connect(self._reselect)
        self.export_started: SheetExport | None = None
        self.reassign_dialog: ReassignDialog | None = None

        self.search.textChanged.connect(self.apply)
        self.owner.currentIndexChanged.connect(self.apply)
        self.stage.currentIndexChanged.connect(self.apply)
        self.stale.toggled.connect(self.apply)
        self.model.loaded.connect(self._show_count)
        self._dirty = False
        self.apply()

    def current_query(self) -> ListQuery:
        f = CustomerFilter(
            owner=self.owner.currentData(),
            stage=self.stage.currentData(),
            stale_days=STALE_DAYS if self.stale.isChecked() else None,
        )
        return ListQuery(f, self.search.text(), self.model.query.sort)

    def apply(self) -> None:
        self.model.stale_before = (self.ctx.clock() - timedelta(days=STALE_DAYS)).isoformat()
        self.model.set_query(self.current_query())

    def _show_count(self, n: int) -> None:
        searching = bool(self.model.query.search.strip())
        self.table.horizontalHeader().setSectionHidden(6, not (searching and self.model.matched))
        if n == 0 and searching:
            self.count.setText(
                self.tr("No customer, contact or follow-up matches “%1”.").replace(
                    "%1", self.model.query.search.strip()
                )
            )
        elif n == 0 and self.current_query().filter == CustomerFilter():
            self.count.setText(
                self.tr("No customers yet: add one with New customer, or scan business cards.")
            )
        elif n == 0:
            self.count.setText(self.tr("No customers match these filters."))
        else:
            self.count.setText(self.tr("%n customer(s)", "", n))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Enter or Down in the search box moves into the list, on its first row.
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            key = event.key()  # type: ignore[attr-defined]
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Return, Qt.Key.Key_Enter):
                if self.model.rowCount():
                    self.table.setFocus()
                    self.table.selectRow(0)
                    self.table.setCurrentIndex(self.model.index(0, 0))
                return True
        return super().eventFilter(watched, event)

    # ---- bulk work -------------------------------------------------------------------------------
    def selected_ids(self) -> list[str]:
        return [
            cid for r in selected_rows(self.table) if (cid := self.model.customer_id(r)) is not None
        ]

    def _reselect(self) -> None:
        keep, self._keep = set(self._keep), []
        selection = self.table.selectionModel()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for row, cid in enumerate(self.model.ids):
            if cid in keep:
                selection.select(self.model.index(row, 0), flags)
        self._selection_changed()

    def _selection_changed(self) -> None:
        self.bulk.show_count(len(selected_rows(self.table)))

    def reassign_selected(self) -> ReassignDialog | None:
        ids = self.selected_ids()
        if not ids or not may_reassign(self.ctx):
            return None
        dialog = ReassignDialog(self.ctx.users, len(ids), self)
        dialog.chosen.connect(lambda owner: self._reassign(ids, owner))
        dialog.open()
        self.reassign_dialog = dialog
        return dialog

    def _reassign(self, ids: list[str], owner: str) -> None:
        self.ctx.runner.write(
            lambda s: ops.reassign(s, "customer", ids, owner),
            lambda n: self.count.setText(self.tr("%n customer(s) reassigned", "", n)),
            owner=self,
            label=self.tr("Reassigning"),
        )

    def export_sheet(self, deliver: Callable[[Sheet], None], *, selected: bool = False) -> None:
        """The list as shown (or only its selected rows), for :class:`SheetExport`."""
        ids = self.selected_ids() if selected else list(self.model.ids)
        header = self.table.horizontalHeader()
        columns = [
            header.logicalIndex(v)
            for v in range(header.count())
            if not header.isSectionHidden(header.logicalIndex(v))
        ]
        titles = [self.model.headers[c] for c in columns]

        def arrived(rows: dict[str, dict[str, Any]]) -> None:
            lines = [
                [self.model.cell(cid, rows[cid], self.model.COLUMNS[c]) for c in columns]
                for cid in ids
                if cid in rows
            ]
            deliver(Sheet(self.tr("Customers"), titles, lines))

        self.ctx.runner.read(lambda s: ops.customer_rows(s, ids), arrived, owner=self)

    def export_selected(self) -> None:
        self.export_sheet(self._ask_where, selected=True)

    def _ask_where(self, sheet: Sheet) -> None:
        self.export_started = SheetExport(self.ctx.runner, sheet, self, on_done=self.count.setText)
        self.export_started.start()

    def scan_cards(self) -> None:
        """Pick card images (several at once after a trade show) and read them one by one."""
        paths, _ = QFileDialog.getOpenFileNames(
            self,
            self.tr("Scan business cards"),
            "",
            self.tr("Images (*.png *.jpg *.jpeg *.tif *.tiff *.bmp *.webp)"),
        )
        if paths:
            self.open_capture([Path(p) for p in paths])

    def open_capture(self, files: list[Path]) -> CardCaptureDialog:
        dialog = CardCaptureDialog(self.ctx, files, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _open_index(self, index: QModelIndex) -> None:
        cid = self.model.customer_id(index.row())
        if cid:
            self.open_record.emit("customer", cid)

    def on_changed(self, changes: list[Change]) -> None:
        """Redraw when customers or their follow-ups changed (later, if hidden)."""
        if any(c.entity in ("customer", "followup", "deal", "sync") for c in changes):
            if self.isVisible():
                self.model.reload()
            else:
                self._dirty = True

    def showEvent(self, event: Any) -> None:
        if self._dirty:
            self._dirty = False
            self.model.reload()
        super().showEvent(event)
