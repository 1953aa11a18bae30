"""Export a list to Excel (SPEC T5): the rows the user sees, with the visible columns.

Every list screen shares this one operation. :func:`table_sheet` reads what a table view
shows (hidden rows and columns left out, columns in the order the user dragged them to); a cell
that carries a typed value under :data:`EXPORT_ROLE` (an amount, a date) is written as that
value instead of its formatted text. :class:`SheetExport` asks where to save, writes the file on
the files lane and says what it wrote.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QTableView, QTableWidget, QWidget

from app.store.sheets import Sheet, write_sheet
from app.views.tasks import TaskRunner

# Where a cell keeps its typed value (number, date) for the export; display text otherwise.
EXPORT_ROLE = Qt.ItemDataRole.UserRole + 20


def table_sheet(title: str, view: QTableView, rows: list[int] | None = None) -> Sheet:
    """What ``view`` shows as a sheet: visible columns in their on-screen order, and the
    visible rows (or only ``rows``, model row numbers, e.g. a selection)."""
    model = view.model()
    header = view.horizontalHeader()
    columns = [
        header.logicalIndex(visual)
        for visual in range(header.count())
        if not header.isSectionHidden(header.logicalIndex(visual))
    ]
    if isinstance(view, QTableWidget):
        # A column of buttons (Keep / Restore…) holds no data.
        columns = [
            c
            for c in columns
            if not any(view.cellWidget(r, c) is not None for r in range(view.rowCount()))
        ]
    wanted = rows if rows is not None else range(model.rowCount())
    out: list[list[Any]] = []
    for r in wanted:
        if view.isRowHidden(r):
            continue
        line = []
        for c in columns:
            index = model.index(r, c)
            typed = model.data(index, EXPORT_ROLE)
            line.append(typed if typed is not None else model.data(index))
        out.append(line)
    titles = [
        str(model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole) or "")
        for c in columns
    ]
    return Sheet(title, titles, out)


def selected_rows(view: QTableView) -> list[int]:
    """Model rows selected in ``view``, top to bottom."""
    selection = view.selectionModel()
    if selection is None:
        return []
    return sorted({i.row() for i in selection.selectedRows()})


class SheetExport(QObject):
    """One export: ask for the file (a real save dialog, ``dialog``), write it, report.

    ``finished(path, rows)`` or ``failed(message)`` tells how it went.
    """

    finished = Signal(str, int)
    failed = Signal(str)

    def __init__(
        self,
        runner: TaskRunner,
        sheet: Sheet,
        parent: QWidget,
        *,
        folder: Path | None = None,
        on_done: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.sheet = sheet
        self.on_done = on_done
        name = f"{sheet.title} {date.today().isoformat()}.xlsx".replace("/", "-")
        self.dialog = QFileDialog(parent, self.tr("Export to Excel"))
        self.dialog.setObjectName("exportDialog")
        self.dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        self.dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        self.dialog.setNameFilter(self.tr("Excel workbook (*.xlsx)"))
        self.dialog.setDefaultSuffix("xlsx")
        self.dialog.setDirectory(str(folder or Path.home()))
        self.dialog.selectFile(name)
        self.dialog.fileSelected.connect(self.write)

    def start(self) -> QFileDialog:
        self.dialog.open()
        return self.dialog

    def write(self, chosen: str) -> None:
        path = Path(chosen)
        if path.suffix.lower() != ".xlsx":
            path = path.with_name(path.name + ".xlsx")
        sheet = self.sheet
        self.runner.background(
            "files",
            lambda _progress, _cancelled: write_sheet(path, sheet),
            lambda n: self._written(path, n),
            on_error=self._failed,
            owner=self,
            label=self.tr("Exporting"),
        )

    def _written(self, path: Path, n: int) -> None:
        message = self.tr("Exported %n row(s) to %1", "", n).replace("%1", str(path))
        if self.on_done is not None:
            self.on_done(message)
        self.finished.emit(str(path), n)

    def _failed(self, exc: BaseException) -> None:
        message = self.tr("Could not write the file: %1").replace("%1", str(exc))
        if self.on_done is not None:
            self.on_done(message)
        self.failed.emit(message)


__all__ = ["EXPORT_ROLE", "SheetExport", "selected_rows", "table_sheet"]
