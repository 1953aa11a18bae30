"""Small widgets and formatting shared by the screens."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from app.domain.messages import Msg
from app.domain.rules import LOST, ProcessRules
from app.views.i18n import current, say

ERROR_STYLE = "color: #c62828;"
RECORD_ID = Qt.ItemDataRole.UserRole  # where tables keep the id of the row's record


def tr(context: str, text: str) -> str:
    """Translate outside a widget class (the context is what lupdate files it under)."""
    return QCoreApplication.translate(context, text)


def money(value: Any) -> str:
    """¥ with thousands separators, no cents for whole amounts; empty for no amount."""
    if value in (None, ""):
        return ""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if amount == amount.to_integral():
        return f"{sign}¥{amount:,.0f}"
    return f"{sign}¥{amount:,.2f}"


def grouped(value: Any) -> str:
    """An amount for an input field: thousands separators, no currency sign ("1,250,000.00")."""
    if value in (None, ""):
        return ""
    try:
        return f"{Decimal(str(value)):,}"
    except InvalidOperation:
        return str(value)


def short_money(total: float) -> str:
    """Column totals: 万 in Chinese (how sales people count), k/M in English."""
    if current() == "zh":
        return f"¥{total / 10_000:,.1f}万" if total >= 10_000 else f"¥{total:,.0f}"
    if total >= 1_000_000:
        return f"¥{total / 1_000_000:,.2f}M"
    return f"¥{total / 1000:,.0f}k" if total >= 1000 else f"¥{total:,.0f}"


def when(iso: str | None) -> str:
    """A stored timestamp as local date and time (minutes), or "" when absent."""
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M")


def stage_name(rules: ProcessRules, key: str | None) -> str:
    if not key:
        return ""
    try:
        return say(rules.stage_label(key))
    except KeyError:
        return key


def field_label(entity: str, name: str) -> str:
    from app.domain.schema import ENTITIES

    try:
        return say(ENTITIES[entity].field(name).label)
    except KeyError:
        return name


class ErrorLabel(QLabel):
    """A validation message under a field; invisible while there is nothing to say."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet(ERROR_STYLE)
        self.setWordWrap(True)
        self.hide()

    def show_message(self, msg: Msg | str | None) -> None:
        text = say(msg) if isinstance(msg, Msg) else (msg or "")
        self.setText(text)
        self.setVisible(bool(text))


class Banner(QLabel):
    """A coloured line across a page: what is going on with this record."""

    STYLES: ClassVar[dict[str, str]] = {
        "info": "background:#e3f2fd; color:#0d47a1;",
        "warn": "background:#fff8e1; color:#8d6e00;",
        "error": "background:#ffebee; color:#b71c1c;",
        "ok": "background:#e8f5e9; color:#1b5e20;",
    }

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.hide()

    def show_text(self, text: str, kind: str = "info") -> None:
        self.setStyleSheet(self.STYLES[kind] + " padding:6px 10px; border-radius:4px;")
        self.setText(text)
        self.setVisible(bool(text))


class StageChip(QLabel):
    """One stage in the stepper; clickable."""

    clicked = Signal()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.clicked.emit()
        super().mousePressEvent(event)


class StageStepper(QWidget):
    """The five stages in a row: done ones ticked, the current one highlighted (P1, P3).

    Clicking a stage emits ``stage_clicked`` (the deal page offers "move back" for earlier
    ones).
    """

    stage_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        self.labels: dict[str, QLabel] = {}
        self.setObjectName("stageStepper")

    def show_stage(self, rules: ProcessRules, current_stage: str, lost_from: str | None) -> None:
        while self._layout.count():
            item = self._layout.takeAt(0)
            if item is not None and item.widget() is not None:
                item.widget().deleteLater()  # type: ignore[union-attr]
        self.labels = {}
        keys = rules.stage_keys
        reached = lost_from if current_stage == LOST else current_stage
        at = keys.index(reached) if reached in keys else -1
        for i, key in enumerate(keys):
            if i < at:
                style, mark = "background:#c8e6c9; color:#1b5e20;", "✓ "
            elif i == at and current_stage != LOST:
                style, mark = "background:#1565c0; color:white; font-weight:bold;", ""
            elif i == at:
                style, mark = "background:#ffcdd2; color:#b71c1c;", "✗ "
            else:
                style, mark = "background:#eeeeee; color:#616161;", ""
            label = StageChip(f"{i + 1}. {mark}{stage_name(rules, key)}")
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setStyleSheet(style + " padding:6px 8px; border-radius:4px;")
            label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            label.setMinimumWidth(label.sizeHint().width())
            label.clicked.connect(lambda k=key: self.stage_clicked.emit(k))
            self.labels[key] = label
            self._layout.addWidget(label)
            if i < len(keys) - 1:
                arrow = QLabel("›")
                arrow.setStyleSheet("color:#9e9e9e;")
                self._layout.addWidget(arrow)
        if current_stage == LOST:
            lost = QLabel(stage_name(rules, LOST))
            lost.setStyleSheet(
                "background:#b71c1c; color:white; padding:6px 8px; border-radius:4px;"
            )
            self.labels[LOST] = lost
            self._layout.addWidget(lost)


def hline() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.HLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    return line


def heading(text: str, size: int = 12) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet(f"font-size:{size}pt; font-weight:bold;")
    return label


def make_table(headers: Sequence[str], parent: QWidget | None = None) -> QTableWidget:
    """A read-only, row-selecting table with the given column titles."""
    table = QTableWidget(0, len(headers), parent)
    table.setHorizontalHeaderLabels(list(headers))
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.verticalHeader().hide()
    table.horizontalHeader().setStretchLastSection(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    table.setWordWrap(False)
    return table


def fill_table(
    table: QTableWidget, rows: Sequence[Sequence[Any]], ids: Sequence[str] | None = None
) -> None:
    """Replace a table's rows; ``ids`` are kept on the first cell of each row."""
    table.setSortingEnabled(False)
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            item = QTableWidgetItem("" if value is None else str(value))
            if c == 0 and ids is not None:
                item.setData(RECORD_ID, ids[r])
            table.setItem(r, c, item)
    table.resizeColumnsToContents()
    header = table.horizontalHeader()
    for c in range(table.columnCount()):
        header.resizeSection(c, min(header.sectionSize(c) + 12, 360))


def selected_id(table: QTableWidget) -> str | None:
    row = table.currentRow()
    item = table.item(row, 0) if row >= 0 else None
    value = item.data(RECORD_ID) if item is not None else None
    return str(value) if value else None


__all__ = [
    "ERROR_STYLE",
    "RECORD_ID",
    "Banner",
    "ErrorLabel",
    "StageStepper",
    "field_label",
    "fill_table",
    "grouped",
    "heading",
    "hline",
    "make_table",
    "money",
    "selected_id",
    "short_money",
    "stage_name",
    "tr",
    "when",
]


class FitScrollArea(QScrollArea):
    """A scroll area as tall as its content when there is room, scrolling only when not:
    what sits under it stays next to the content on a big screen and in view on a small one."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

    def setWidget(self, widget: QWidget) -> None:
        super().setWidget(widget)
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()  # the content grew or shrank: so does the wanted height
        return super().eventFilter(watched, event)

    def sizeHint(self) -> QSize:
        inner = self.widget()
        if inner is None:
            return super().sizeHint()
        hint = inner.sizeHint()
        frame = 2 * self.frameWidth()
        return QSize(hint.width() + frame, hint.height() + frame)


class ReloadingScreen(QWidget):
    """A screen that redraws at once for a relevant change while it is shown, and otherwise
    the next time it is shown: hidden screens never reload for nothing."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._stale = False

    def reload(self) -> None:
        raise NotImplementedError

    def reload_when_seen(self) -> None:
        if self.isVisible():
            self.reload()
        else:
            self._stale = True

    def showEvent(self, event: Any) -> None:
        if self._stale:
            self._stale = False
            self.reload()
        super().showEvent(event)
