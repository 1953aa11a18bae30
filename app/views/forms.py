"""Record forms with inline validation (SPEC D3): a message under the field, never a crash.

Each field is checked with the schema's own validator as soon as the user leaves it; the
store checks again on save and its per-field messages land in the same places. Whatever the
user typed stays in the field until they change it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.domain.messages import Msg
from app.domain.schema import ENTITIES, validate_values
from app.store.duplicates import DuplicateHit
from app.views import data_ops
from app.views import operations as ops
from app.views.context import AppContext
from app.views.duplicates import DuplicatePanel
from app.views.errors import join_messages, show_refusal
from app.views.i18n import say
from app.views.widgets import ErrorLabel, grouped

Editor = QLineEdit | QComboBox | QCheckBox


class EntityForm(QWidget):
    """Editors for some fields of an entity, each with its validation message."""

    edited = Signal()

    def __init__(
        self,
        entity: str,
        fields: Sequence[str],
        *,
        users: Sequence[dict[str, Any]] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.entity = ENTITIES[entity]
        self.editors: dict[str, Editor] = {}
        self.errors: dict[str, ErrorLabel] = {}
        self.layout_ = QFormLayout(self)
        self.layout_.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for name in fields:
            f = self.entity.field(name)
            editor: Editor
            if f.ref == "user":
                combo = QComboBox()
                for u in users:
                    combo.addItem(str(u["display_name"]), u["id"])
                combo.currentIndexChanged.connect(self.edited)
                editor = combo
            elif f.kind == "bool":
                box = QCheckBox()
                box.toggled.connect(self.edited)
                editor = box
            else:
                line = QLineEdit()
                line.setObjectName(f"field_{name}")
                line.editingFinished.connect(lambda n=name: self.check_field(n))
                line.textEdited.connect(self.edited)
                editor = line
            error = ErrorLabel()
            error.setObjectName(f"error_{name}")
            holder = QWidget()
            box_layout = QVBoxLayout(holder)
            box_layout.setContentsMargins(0, 0, 0, 0)
            box_layout.setSpacing(1)
            box_layout.addWidget(editor)
            box_layout.addWidget(error)
            caption = say(f.label) + (" *" if f.required else "")
            self.layout_.addRow(QLabel(caption), holder)
            self.editors[name] = editor
            self.errors[name] = error

    def set_values(self, record: dict[str, Any]) -> None:
        for name, editor in self.editors.items():
            value = record.get(name)
            if isinstance(editor, QComboBox):
                i = editor.findData(value)
                if i < 0 and value:
                    editor.addItem(str(value), value)
                    i = editor.count() - 1
                editor.setCurrentIndex(max(i, 0))
            elif isinstance(editor, QCheckBox):
                editor.setChecked(bool(value))
            elif self.entity.field(name).kind == "decimal":
                editor.setText(grouped(value))  # 1,250,000.00: read at a glance
            else:
                editor.setText("" if value is None else str(value))
            self.errors[name].show_message(None)

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, editor in self.editors.items():
            if isinstance(editor, QComboBox):
                out[name] = editor.currentData()
            elif isinstance(editor, QCheckBox):
                out[name] = int(editor.isChecked())
            elif self.entity.field(name).kind == "decimal":
                out[name] = editor.text().replace(",", "").strip() or None
            else:
                out[name] = editor.text().strip() or None
        return out

    def changes(self, record: dict[str, Any]) -> dict[str, Any]:
        """Fields whose typed value differs from ``record`` (before normalisation)."""
        return {k: v for k, v in self.values().items() if (record.get(k) or None) != v}

    def check_field(self, name: str) -> bool:
        _clean, errors = validate_values(
            self.entity.name, {name: self.values()[name]}, partial=True
        )
        self.errors[name].show_message(errors.get(name))
        return name not in errors

    def check_all(self, *, partial: bool, fixed: Mapping[str, Any] | None = None) -> dict[str, Msg]:
        """Validate what is typed together with the values the caller supplies (such as the
        customer a new contact belongs to); show each field's message under it."""
        typed = self.values()
        if not partial:
            typed = {k: v for k, v in typed.items() if v is not None}
        _clean, errors = validate_values(
            self.entity.name, {**typed, **(fixed or {})}, partial=partial
        )
        self.show_errors(errors)
        return errors

    def stray_errors(self, errors: Mapping[str, Msg]) -> list[Msg]:
        """Messages for fields this form does not show (they must still reach the user)."""
        return [m for k, m in errors.items() if k not in self.errors]

    def show_errors(self, errors: dict[str, Msg]) -> None:
        for name, label in self.errors.items():
            label.show_message(errors.get(name))


class RecordDialog(QDialog):
    """Create a record from a form; the store's refusal shows on the fields, input kept."""

    created = Signal(str)
    # The user chose a suspected duplicate instead of creating a record (entity, id).
    open_existing = Signal(str, str)

    def __init__(
        self,
        ctx: AppContext,
        entity: str,
        fields: Sequence[str],
        fixed: dict[str, Any],
        title: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.entity = entity
        self.fixed = fixed
        self.setWindowTitle(title)
        self.setMinimumWidth(440)
        self.form = EntityForm(entity, fields, users=ctx.users)
        self.status = ErrorLabel()
        self.status.setObjectName("recordDialogStatus")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        # Customers and contacts are checked for duplicates while typing and before saving.
        self.duplicates: DuplicatePanel | None = None
        self._suspects_seen = False
        if entity in ("customer", "contact"):
            self.duplicates = DuplicatePanel()
            self.duplicates.open_existing.connect(self._open_existing)
            layout.addWidget(self.duplicates)
            layout.addStretch(1)  # spare height below the suspects, not between the rows
            self._dupe_timer = QTimer(self)
            self._dupe_timer.setSingleShot(True)
            self._dupe_timer.setInterval(250)
            self._dupe_timer.timeout.connect(lambda: self.check_duplicates())
            self.form.edited.connect(self._dupe_timer.start)
        layout.addWidget(self.status)
        layout.addWidget(buttons)

    def _draft(self) -> dict[str, Any]:
        values = {k: v for k, v in self.form.values().items() if v is not None}
        values.update(self.fixed)
        return values

    def check_duplicates(self, then_save: bool = False) -> None:
        """Look for suspects of what is typed; ``then_save`` saves when there are none."""
        if self.ctx.runner.closed:
            return
        entity, values = self.entity, self._draft()
        self.ctx.runner.read(
            lambda store: data_ops.record_duplicates(store, entity, values),
            lambda hits: self._show_suspects(hits, then_save),
            owner=self,
        )

    def _show_suspects(self, hits: list[DuplicateHit], then_save: bool) -> None:
        assert self.duplicates is not None
        self.duplicates.show_hits(hits)
        if hits:
            # "Open the existing one" is what Enter does; saving needs a deliberate click.
            self.save_button.setDefault(False)
            self.save_button.setAutoDefault(False)
            self.duplicates.open_button.setDefault(True)
            self.duplicates.open_button.setFocus()
            self.save_button.setText(self.tr("Save anyway"))
        else:
            self.duplicates.open_button.setDefault(False)
            self.save_button.setText(self.tr("Save"))
        if then_save:
            self._suspects_seen = True
            if not hits:
                self.save()
        else:
            self._suspects_seen = bool(hits)  # seen while typing: Save anyway saves

    def done(self, result: int) -> None:
        if self.duplicates is not None:
            self._dupe_timer.stop()  # no check after the dialog has closed
        super().done(result)

    def _open_existing(self, entity: str, record_id: str) -> None:
        self.open_existing.emit(entity, record_id)
        self.reject()

    def save(self) -> None:
        values = self._draft()
        errors = self.form.check_all(partial=False, fixed=self.fixed)
        self.status.show_message(join_messages(self.form.stray_errors(errors)) if errors else None)
        if errors:
            return
        if self.duplicates is not None:
            self._dupe_timer.stop()
            if not self._suspects_seen:
                self.check_duplicates(then_save=True)
                return
        entity = self.entity
        self.ctx.runner.write(
            lambda store: ops.create_record(store, entity, values),
            self._done,
            on_error=self._refused,
            owner=self,
        )

    def _done(self, record_id: str) -> None:
        self.created.emit(record_id)
        self.accept()

    def _refused(self, exc: BaseException) -> None:
        show_refusal(exc, self.ctx.runner.report_error, form=self.form, status=self.status)
