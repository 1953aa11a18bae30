"""Duplicates on the desktop (SPEC C1): the suspects shown before a record is saved, and the
team lead's list of suspect groups.

Merging is its own screen: the list asks for it with :attr:`DuplicatesScreen.merge_requested`
(kind, ids), which the window connects to the merge screen.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.store.duplicates import DuplicateHit
from app.views import data_ops
from app.views.context import AppContext
from app.views.i18n import say

ID_ROLE = Qt.ItemDataRole.UserRole + 1


def hit_text(hit: DuplicateHit) -> str:
    """One suspect in a line: what it is, how sure, why."""
    why = ";".join(say(r) for r in hit.reasons or (hit.reason,))
    return f"{hit.label}  ({hit.score:.0%}) — {why}"


class DuplicatePanel(QWidget):
    """The suspects of a record being created, with "open the existing one"."""

    open_existing = Signal(str, str)  # entity, record id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("duplicatePanel")
        self.hits: list[DuplicateHit] = []
        self.title = QLabel(self.tr("This may already exist:"))
        self.title.setStyleSheet("font-weight: bold; color: #9a5b00;")
        self.list = QListWidget()
        self.list.setObjectName("duplicateList")
        self.list.setMaximumHeight(110)
        self.list.setWordWrap(True)
        self.list.itemDoubleClicked.connect(lambda _i: self._open())
        self.open_button = QPushButton(self.tr("Open the existing one"))
        self.open_button.setObjectName("openExisting")
        self.open_button.clicked.connect(self._open)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.list)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.open_button)
        layout.addLayout(row)
        self.hide()

    def show_hits(self, hits: list[DuplicateHit]) -> None:
        self.hits = hits
        self.list.clear()
        for hit in hits:
            item = QListWidgetItem(hit_text(hit))
            item.setData(ID_ROLE, hit.record_id)
            self.list.addItem(item)
        if hits:
            self.list.setCurrentRow(0)
        self.setVisible(bool(hits))

    def _open(self) -> None:
        row = max(self.list.currentRow(), 0)
        if row < len(self.hits):
            hit = self.hits[row]
            # A contact opens on its customer's page, where contacts are listed.
            if hit.entity == "contact":
                self.open_existing.emit("customer", hit.customer_id)
            else:
                self.open_existing.emit("customer", hit.record_id)


class DuplicatesScreen(QWidget):
    """The team lead's suspect groups, customers or contacts, largest first."""

    open_record = Signal(str, str)
    merge_requested = Signal(str, list)  # "customer"/"contact", ids (connected to merge)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.rows: list[data_ops.GroupRow] = []
        self.kind = QComboBox()
        self.kind.addItem(self.tr("Customers"), "customers")
        self.kind.addItem(self.tr("Contacts"), "contacts")
        self.kind.currentIndexChanged.connect(lambda _i: self.refresh())
        self.count = QLabel()
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("duplicateGroups")
        self.table.setHorizontalHeaderLabels(
            [self.tr("Records"), self.tr("Owners"), self.tr("Score"), self.tr("Why")]
        )
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selection)
        self.table.itemDoubleClicked.connect(lambda _i: self._open())
        self.open_button = QPushButton(self.tr("Open"))
        self.open_button.clicked.connect(self._open)
        self.merge_button = QPushButton(self.tr("Merge…"))
        self.merge_button.setObjectName("mergeGroup")
        self.merge_button.clicked.connect(self._merge)
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Suspected duplicates in")))
        top.addWidget(self.kind)
        top.addWidget(self.count, 1)
        top.addWidget(self.open_button)
        top.addWidget(self.merge_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        self._selection()

    def refresh(self) -> None:
        kind = str(self.kind.currentData())
        self.ctx.runner.read(lambda s: data_ops.duplicate_groups(s, kind), self._show, owner=self)

    def _show(self, rows: list[data_ops.GroupRow]) -> None:
        self.rows = rows
        self.table.setRowCount(len(rows))
        for r, g in enumerate(rows):
            cells: list[Any] = [
                "\n".join(g.labels),
                "\n".join(g.owners),
                f"{g.score:.0%}",
                ";".join(say(x) for x in g.reasons),
            ]
            for c, value in enumerate(cells):
                item = QTableWidgetItem(str(value))
                if c == 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(r, c, item)
        self.table.resizeRowsToContents()
        self.count.setText(self.tr("%n group(s)", "", len(rows)))
        self._selection()

    def _current(self) -> data_ops.GroupRow | None:
        row = self.table.currentRow()
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def _selection(self) -> None:
        chosen = self._current() is not None and bool(self.table.selectedItems())
        self.open_button.setEnabled(chosen)
        self.merge_button.setEnabled(chosen)

    def _open(self) -> None:
        g = self._current()
        if g is not None:
            self.open_record.emit("customer", g.customer_ids[0])

    def _merge(self) -> None:
        g = self._current()
        if g is not None:
            self.merge_requested.emit(g.kind.removesuffix("s"), list(g.ids))
