"""The follow-up form (SPEC F1–F3): done with the keyboard alone in under a minute.

Type first (it decides which extra fields are required), then conclusion, next action, due date
(defaults to today + 3 days) and priority (defaults to medium); the contacts met are ticked from
the customer's contacts, the department starts as the user's own, and files (photos of a
whiteboard, minutes) can be attached with a button or dropped on the form. Tab moves on,
Ctrl+Enter saves.
The form checks itself with the same rule function the store uses, on every keystroke: a field
shows its message once it has been left (or after a save attempt), and Save stays disabled
until everything is valid.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.followups import followup_defaults, required_fields_for_type, validate_followup
from app.domain.messages import Msg
from app.views import operations as ops
from app.views.attachments import dropped_files
from app.views.context import AppContext
from app.views.errors import show_refusal
from app.views.i18n import say
from app.views.widgets import ErrorLabel, field_label

PRIORITY_ORDER = ("high", "medium", "low")


class PlainText(QPlainTextEdit):
    """A multi-line field where Tab leaves the field (keyboard-only entry) and that reports
    losing focus, so its message can appear then."""

    left = Signal()
    submit = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabChangesFocus(True)
        self.setFixedHeight(72)

    def focusOutEvent(self, event: Any) -> None:
        self.left.emit()
        super().focusOutEvent(event)

    def keyPressEvent(self, event: Any) -> None:
        # A text field would take Ctrl+Enter as a line break; here it saves the form.
        if is_ctrl_enter(event):
            self.submit.emit()
            return
        super().keyPressEvent(event)


class LineText(PlainText):
    """One line of text: Enter moves on instead of breaking the line."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedHeight(34)

    def keyPressEvent(self, event: Any) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not is_ctrl_enter(event):
            self.focusNextChild()
            return
        super().keyPressEvent(event)


def is_ctrl_enter(event: Any) -> bool:
    return bool(
        event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        and event.modifiers() & Qt.KeyboardModifier.ControlModifier
    )


class FollowUpForm(QDialog):
    """Record one follow-up for a customer (optionally about one of its deals)."""

    saved = Signal(str)  # the new follow-up's id

    def __init__(
        self,
        ctx: AppContext,
        customer_id: str,
        *,
        customer_name: str = "",
        deals: list[tuple[str, str]] | None = None,
        deal_id: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.customer_id = customer_id
        self.setObjectName("followUpForm")
        self.setWindowTitle(self.tr("Log follow-up"))
        self.setMinimumWidth(560)
        rules = ctx.rules
        defaults = followup_defaults(ctx.today(), rules)
        self.touched: set[str] = set()
        self.tried = False

        self.type = QComboBox()
        for t in rules.followup.types:
            self.type.addItem(say(t.label), t.key)
        self.type.setCurrentIndex(max(0, self.type.findData(defaults["type"])))
        self.conclusion = PlainText()
        self.conclusion.setPlaceholderText(
            self.tr("The customer's concern, our answer, the outcome")
        )
        self.next_action = LineText()
        self.next_action.setPlaceholderText(self.tr("e.g. send the revised quote"))
        self.due = QDateEdit()
        self.due.setCalendarPopup(True)
        self.due.setDisplayFormat("yyyy-MM-dd")
        self.due.setDate(QDate.fromString(defaults["due_on"], "yyyy-MM-dd"))
        self.priority = QComboBox()
        names = {"high": self.tr("High"), "medium": self.tr("Medium"), "low": self.tr("Low")}
        for p in rules.followup.priorities:
            self.priority.addItem(names.get(p, p), p)
        self.priority.setCurrentIndex(max(0, self.priority.findData(defaults["priority"])))
        self.deal = QComboBox()
        self.deal.addItem(self.tr("(no deal)"), None)
        for did, title in deals or []:
            self.deal.addItem(title, did)
        if deal_id is not None:
            self.deal.setCurrentIndex(max(0, self.deal.findData(deal_id)))
        self.contacts_met = QListWidget()
        self.contacts_met.setObjectName("contactsMet")
        self.contacts_met.setFixedHeight(78)
        self.contacts_met.setToolTip(self.tr("Tick the people you met or spoke to (Space ticks)"))
        self.department = QLineEdit()
        self.department.setObjectName("department")
        self.files: list[Path] = []
        self.file_list = QLabel(self.tr("No files"))
        self.file_list.setObjectName("attachedFiles")
        self.file_list.setStyleSheet("color:#616161;")
        self.file_list.setWordWrap(True)
        self.attach_button = QPushButton(self.tr("Attach files…"))
        self.attach_button.setObjectName("attachFiles")
        self.attach_button.clicked.connect(self.pick_files)
        self.file_dialog: QFileDialog | None = None
        files_box = QWidget()
        files_line = QHBoxLayout(files_box)
        files_line.setContentsMargins(0, 0, 0, 0)
        files_line.addWidget(self.attach_button)
        files_line.addWidget(self.file_list, 1)
        self.setAcceptDrops(True)
        # Fields a follow-up type can make required (F2); shown only for such a type.
        self.extra: dict[str, PlainText] = {}
        for t in rules.followup.types:
            for key, _label in t.requires:
                if key not in self.extra:
                    self.extra[key] = PlainText()

        self.errors: dict[str, ErrorLabel] = {}
        self.form = form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.rows: dict[str, QWidget] = {}
        self.fields: dict[str, QWidget] = {}

        def row(key: str, label: str, widget: QWidget) -> None:
            box = QWidget()
            inner = QVBoxLayout(box)
            inner.setContentsMargins(0, 0, 0, 0)
            inner.setSpacing(2)
            inner.addWidget(widget)
            self.errors[key] = ErrorLabel()
            self.errors[key].setObjectName(f"error_{key}")
            inner.addWidget(self.errors[key])
            caption = QLabel(label)
            caption.setBuddy(widget)
            form.addRow(caption, box)
            self.rows[key] = box
            self.fields[key] = widget

        if customer_name:
            form.addRow(QLabel(self.tr("Customer")), QLabel(f"<b>{customer_name}</b>"))
        row("type", self.tr("&Type"), self.type)
        row("conclusion", self.tr("&Conclusion"), self.conclusion)
        for key, widget in self.extra.items():
            row(key, field_label("followup", key), widget)
        row("next_action", self.tr("&Next action"), self.next_action)
        row("due_on", self.tr("&Due"), self.due)
        row("priority", self.tr("&Priority"), self.priority)
        row("deal_id", self.tr("D&eal"), self.deal)
        row("contact_ids", self.tr("C&ontacts met"), self.contacts_met)
        row("department", self.tr("Depar&tment"), self.department)
        row("files", self.tr("Files"), files_box)
        self.form.setRowVisible(self.rows["contact_ids"], False)  # until the contacts arrive

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("saveFollowUp")
        self.save_button.setToolTip(self.tr("Save (Ctrl+Enter)"))
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.status = ErrorLabel()
        hint = QLabel(self.tr("Tab moves to the next field · Ctrl+Enter saves · Esc cancels"))
        hint.setStyleSheet("color:#757575;")

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(hint)
        layout.addWidget(self.buttons)

        for seq in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(seq), self, self.save)
        self.type.currentIndexChanged.connect(self._type_changed)
        for key, text_widget in (
            ("conclusion", self.conclusion),
            ("next_action", self.next_action),
            *self.extra.items(),
        ):
            text_widget.textChanged.connect(self.check)
            text_widget.left.connect(lambda k=key: self._leave(k))
            text_widget.submit.connect(self.save)
        self.due.dateChanged.connect(self.check)
        self._type_changed()
        self.type.setFocus()
        ctx.runner.read(
            lambda store: ops.followup_setup(store, customer_id), self._setup, owner=self
        )

    def _setup(self, setup: ops.FollowupSetup) -> None:
        for contact in setup.contacts:
            title = f" — {contact['title']}" if contact.get("title") else ""
            item = QListWidgetItem(f"{contact['name']}{title}")
            item.setData(Qt.ItemDataRole.UserRole, contact["id"])
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.contacts_met.addItem(item)
        self.form.setRowVisible(self.rows["contact_ids"], bool(setup.contacts))
        if not self.department.text():
            self.department.setText(setup.department)

    def met_contacts(self) -> list[str]:
        out = []
        for i in range(self.contacts_met.count()):
            item = self.contacts_met.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(str(item.data(Qt.ItemDataRole.UserRole)))
        return out

    # ---- files -----------------------------------------------------------------------------------
    def pick_files(self) -> QFileDialog:
        """Choose files to attach (several at once)."""
        dialog = QFileDialog(self, self.tr("Attach files"))
        dialog.setObjectName("attachDialog")
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.filesSelected.connect(lambda paths: self.add_files([Path(p) for p in paths]))
        dialog.open()
        self.file_dialog = dialog
        return dialog

    def add_files(self, paths: list[Path]) -> None:
        for path in paths:
            if path.is_file() and path not in self.files:
                self.files.append(path)
        names = ", ".join(p.name for p in self.files)
        self.file_list.setText(names or self.tr("No files"))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_files(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        self.add_files(dropped_files(event))
        event.acceptProposedAction()

    # ---- values and checks -----------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "customer_id": self.customer_id,
            "type": self.type.currentData(),
            "conclusion": self.conclusion.toPlainText().strip(),
            "next_action": self.next_action.toPlainText().strip(),
            "due_on": self.due.date().toString("yyyy-MM-dd"),
            "priority": self.priority.currentData(),
        }
        if self.deal.currentData():
            values["deal_id"] = self.deal.currentData()
        if self.department.text().strip():
            values["department"] = self.department.text().strip()
        met = self.met_contacts()
        if met:
            values["contact_ids"] = met
        for key in required_fields_for_type(str(self.type.currentData()), self.ctx.rules):
            values[key] = self.extra[key].toPlainText().strip()
        return values

    def problems(self) -> dict[str, Msg]:
        _clean, errors = validate_followup(self.values(), self.ctx.rules)
        return errors

    def check(self) -> bool:
        """Refresh field messages and the Save button; True when the form may be saved."""
        errors = self.problems()
        for key, label in self.errors.items():
            show = self.tried or key in self.touched
            label.show_message(errors.get(key) if show else None)
        self.save_button.setEnabled(not errors)
        return not errors

    def _leave(self, key: str) -> None:
        self.touched.add(key)
        self.check()

    def _type_changed(self) -> None:
        needed = set(required_fields_for_type(str(self.type.currentData()), self.ctx.rules))
        for key in self.extra:
            self.form.setRowVisible(self.rows[key], key in needed)
        self.check()

    # ---- saving ----------------------------------------------------------------------------------
    def save(self) -> None:
        self.tried = True
        if not self.check():
            first = next((k for k, e in self.errors.items() if not e.isHidden()), None)
            if first is not None:
                self.fields[first].setFocus()
            return
        values = self.values()
        files = list(self.files)
        self.save_button.setEnabled(False)
        self.ctx.runner.write(
            lambda store: ops.log_followup(store, values, files),
            self._saved,
            on_error=self._refused,
            owner=self,
            label=self.tr("Saving follow-up"),
        )

    def _saved(self, followup_id: str) -> None:
        self.saved.emit(followup_id)
        self.accept()

    def _refused(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        show_refusal(exc, self.ctx.runner.report_error, status=self.status, fields=self.errors)

    def keyPressEvent(self, event: Any) -> None:
        # Enter alone must not save a half-typed form; only Ctrl+Enter does.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
            event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            self.focusNextChild()
            return
        super().keyPressEvent(event)
