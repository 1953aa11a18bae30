"""Bulk work on a list (customers, deals): a bar that counts the selection and offers
reassigning (team leads) and exporting the selected rows."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.views.context import AppContext


def may_reassign(ctx: AppContext) -> bool:
    """Only a team lead (or an administrator) hands records to another rep."""
    return ctx.session.role in ("lead", "admin")


class ReassignDialog(QDialog):
    """Pick the new owner of the selected records; ``chosen(user_id)`` on OK."""

    chosen = Signal(str)

    def __init__(self, users: list[dict[str, Any]], count: int, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("reassignDialog")
        self.setWindowTitle(self.tr("Reassign"))
        self.owner = QComboBox()
        self.owner.setObjectName("newOwner")
        for u in users:
            self.owner.addItem(str(u["display_name"]), u["id"])
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setObjectName("reassignOk")
        self.ok.setText(self.tr("Reassign"))
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow(self.tr("New owner"), self.owner)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("Give %n selected record(s) to:", "", count)))
        layout.addLayout(form)
        layout.addWidget(buttons)

    def _accept(self) -> None:
        owner = self.owner.currentData()
        if owner:
            self.chosen.emit(str(owner))
        self.accept()


class BulkBar(QWidget):
    """ "3 selected · Reassign… · Export selected", shown while rows are selected."""

    reassign = Signal()
    export = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("bulkBar")
        self.count = QLabel()
        self.reassign_button = QPushButton(self.tr("Reassign…"))
        self.reassign_button.setObjectName("bulkReassign")
        self.reassign_button.setVisible(may_reassign(ctx))
        self.reassign_button.clicked.connect(self.reassign)
        self.export_button = QPushButton(self.tr("Export selected…"))
        self.export_button.setObjectName("bulkExport")
        self.export_button.clicked.connect(self.export)
        line = QHBoxLayout(self)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(self.count)
        line.addStretch(1)
        line.addWidget(self.reassign_button)
        line.addWidget(self.export_button)
        self.hide()

    def show_count(self, n: int) -> None:
        self.count.setText(self.tr("%n selected", "", n))
        self.setVisible(n > 1)


__all__ = ["BulkBar", "ReassignDialog", "may_reassign"]
