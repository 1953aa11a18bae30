"""The merge screen (SPEC C2): duplicates side by side; the team lead picks the record to keep
and, for each field where they differ, the value that stays.

:func:`open_merge` takes a kind and the ids of the records (from the duplicate list, or from
"Merge with…" on a customer page); :class:`MergeWithDialog` finds the other record by search.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.domain.merges import ROLE_REFUSED
from app.domain.schema import entity
from app.store import merging
from app.store.merging import MergeRefused
from app.views import merge_ops
from app.views.context import AppContext
from app.views.i18n import say
from app.views.widgets import Banner, ErrorLabel, heading

_CELL = "padding:3px 6px;"
_KEPT = "background:#e8f5e9;"


class MergeDialog(QDialog):
    """Duplicates side by side: one column per record, one row per field."""

    merged = Signal(str)  # the survivor's id

    def __init__(
        self, ctx: AppContext, kind: str, ids: list[str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.kind = kind
        self.ids = list(dict.fromkeys(ids))
        self.setup: merge_ops.MergeSetup | None = None
        self.setObjectName("mergeDialog")
        self.setWindowTitle(
            self.tr("Merge duplicate customers")
            if kind == "customer"
            else self.tr("Merge duplicate contacts")
        )
        self.setMinimumWidth(760)
        self.survivors = QButtonGroup(self)
        self.survivors.setExclusive(True)
        self.field_groups: dict[str, QButtonGroup] = {}
        self.columns: dict[str, list[QWidget]] = {}

        self.banner = Banner()
        self.banner.setObjectName("mergeBanner")
        intro = QLabel(
            self.tr(
                "Choose the record to keep and, where the records differ, the value that stays. "
                "Contacts, deals, follow-ups, attachments and lead links of the other records "
                "move to the one you keep; the others are closed and point to it. Everyone who "
                "holds any of them gets the merge at their next sync."
            )
            if kind == "customer"
            else self.tr(
                "Choose the contact to keep and, where they differ, the value that stays. Deals, "
                "follow-ups and attachments that name the other contacts name the one you keep; "
                "the others are closed and point to it. Everyone who holds any of them gets the "
                "merge at their next sync."
            )
        )
        intro.setWordWrap(True)
        intro.setStyleSheet("color:#616161;")
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setHorizontalSpacing(2)
        self.grid.setVerticalSpacing(2)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.grid_host)
        scroll.setMinimumHeight(380)
        self.status = ErrorLabel()
        self.status.setObjectName("mergeStatus")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.merge_button = buttons.addButton(
            self.tr("Merge"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.merge_button.setObjectName("mergeButton")
        self.merge_button.clicked.connect(self.do_merge)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(heading(self.windowTitle(), 13))
        layout.addWidget(intro)
        layout.addWidget(self.banner)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.merge_button.setEnabled(False)
        ctx.runner.read(
            lambda s: merge_ops.merge_setup(s, kind, self.ids),
            self._show,
            on_error=self._unavailable,
            owner=self,
        )

    # ---- drawing ---------------------------------------------------------------------------
    def _unavailable(self, exc: BaseException) -> None:
        if isinstance(exc, MergeRefused):
            self.banner.show_text(say(exc.message), "error")
            return
        self.ctx.runner.report_error(exc)

    def _show(self, setup: merge_ops.MergeSetup) -> None:
        self.setup = setup
        plan = setup.plan
        labels = {f.name: say(f.label) for f in entity(self.kind).fields}
        grid = self.grid
        grid.addWidget(QLabel(""), 0, 0)
        for col, row in enumerate(plan.records, start=1):
            pick = QRadioButton(self.tr("Keep this one"))
            pick.setObjectName(f"keep_{col - 1}")
            pick.setStyleSheet("font-weight:bold;")
            pick.setToolTip(str(row["id"]))
            self.survivors.addButton(pick, col - 1)
            grid.addWidget(pick, 0, col)
            self.columns[row["id"]] = [pick]
        differing = set(plan.differing)
        for r, name in enumerate(plan.fields, start=1):
            label = QLabel(labels.get(name, name))
            label.setStyleSheet(_CELL + ("font-weight:bold;" if name in differing else ""))
            grid.addWidget(label, r, 0)
            group = QButtonGroup(self) if name in differing else None
            if group is not None:
                self.field_groups[name] = group
                # The value that stays reads bold, whichever column it is in.
                group.buttonToggled.connect(_embolden)
            for col, row in enumerate(plan.records, start=1):
                text = self._text(name, row.get(name))
                cell: QWidget
                if group is not None:
                    button = QRadioButton(text)
                    button.setObjectName(f"pick_{name}_{col - 1}")
                    group.addButton(button, col - 1)
                    cell = button
                else:
                    cell = QLabel(text)
                    cell.setStyleSheet(_CELL + "color:#9e9e9e;")
                cell.setToolTip(text)
                grid.addWidget(cell, r, col)
                self.columns[row["id"]].append(cell)
        last = len(plan.fields) + 1
        moves = QLabel(self.tr("Under it") if self.kind == "customer" else self.tr("Named by"))
        moves.setStyleSheet(_CELL + "color:#616161;")
        grid.addWidget(moves, last, 0)
        for col, row in enumerate(plan.records, start=1):
            under = QLabel(self._under(setup.under.get(row["id"], {})))
            under.setStyleSheet(_CELL + "color:#616161;")
            under.setWordWrap(True)
            grid.addWidget(under, last, col)
            self.columns[row["id"]].append(under)
        grid.setColumnStretch(0, 0)
        for col in range(1, len(plan.records) + 1):
            grid.setColumnStretch(col, 1)
        grid.setRowStretch(last + 1, 1)
        self.survivors.idToggled.connect(self._survivor_changed)
        first = self.survivors.button(0)
        if first is not None:
            first.setChecked(True)
        if not setup.allowed:
            self.banner.show_text(say(ROLE_REFUSED), "error")
            self.merge_button.setEnabled(False)
        else:
            self.merge_button.setEnabled(True)
            if not differing:
                self.banner.show_text(
                    self.tr("The records hold the same values: only the one to keep is asked."),
                    "info",
                )

    def _text(self, name: str, value: Any) -> str:
        if value is None or value == "":
            return "—"
        if name == "owner":
            return self.ctx.user_name(str(value))
        if isinstance(value, bool) or name == "is_key":
            return self.tr("yes") if value else self.tr("no")
        if isinstance(value, dict | list):
            return json.dumps(value, ensure_ascii=False)
        return str(value)

    def _under(self, counts: dict[str, int]) -> str:
        words = {
            "contacts": lambda n: self.tr("%n contact(s)", "", n),
            "deals": lambda n: self.tr("%n deal(s)", "", n),
            "followups": lambda n: self.tr("%n follow-up(s)", "", n),
            "attachments": lambda n: self.tr("%n attachment(s)", "", n),
            "leads": lambda n: self.tr("%n lead(s)", "", n),
        }
        parts = [words[k](n) for k, n in counts.items() if n]
        return " · ".join(parts) if parts else self.tr("nothing")

    def _survivor_changed(self, index: int, checked: bool) -> None:
        if not checked or self.setup is None:
            return
        plan = self.setup.plan
        survivor = plan.records[index]["id"]
        defaults = merging.default_pick(plan, survivor)
        order = [r["id"] for r in plan.records]
        for name, group in self.field_groups.items():
            button = group.button(order.index(defaults[name]))
            if button is not None:
                button.setChecked(True)
        for rid, cells in self.columns.items():
            kept = rid == survivor
            for cell in cells:
                base = cell.styleSheet().replace(_KEPT, "")
                cell.setStyleSheet(base + (_KEPT if kept else ""))

    # ---- choices ---------------------------------------------------------------------------
    def survivor_id(self) -> str | None:
        if self.setup is None or self.survivors.checkedId() < 0:
            return None
        return str(self.setup.plan.records[self.survivors.checkedId()]["id"])

    def choose_survivor(self, record_id: str) -> None:
        """Keep this record (as clicking its "Keep this one" does)."""
        assert self.setup is not None
        order = [r["id"] for r in self.setup.plan.records]
        button = self.survivors.button(order.index(record_id))
        if button is not None:
            button.click()

    def picks(self) -> dict[str, str]:
        """For each differing field, the id of the record whose value stays."""
        if self.setup is None:
            return {}
        order = [r["id"] for r in self.setup.plan.records]
        return {
            name: str(order[group.checkedId()])
            for name, group in self.field_groups.items()
            if group.checkedId() >= 0
        }

    # ---- merging ---------------------------------------------------------------------------
    def do_merge(self) -> None:
        survivor = self.survivor_id()
        if self.setup is None or survivor is None:
            return
        others = [str(r["id"]) for r in self.setup.plan.records if r["id"] != survivor]
        pick, kind = self.picks(), self.kind
        self.merge_button.setEnabled(False)
        self.status.show_message(None)
        self.ctx.runner.write(
            lambda s: merge_ops.merge(s, kind, survivor, others, pick),
            lambda _mid: self._done(survivor),
            on_error=self._refused,
            owner=self,
            label=self.tr("Merging"),
        )

    def _done(self, survivor: str) -> None:
        self.merged.emit(survivor)
        self.accept()

    def _refused(self, exc: BaseException) -> None:
        self.merge_button.setEnabled(bool(self.setup and self.setup.allowed))
        if isinstance(exc, MergeRefused):
            self.status.show_message(exc.message)
            return
        self.ctx.runner.report_error(exc)


def _embolden(button: QAbstractButton, checked: bool) -> None:
    font = button.font()
    font.setBold(checked)
    button.setFont(font)


def open_merge(
    ctx: AppContext, kind: str, ids: list[str], parent: QWidget | None = None
) -> MergeDialog:
    """The merge screen for these records (shown, not waited for); ``merged`` says which record
    was kept."""
    dialog = MergeDialog(ctx, kind, ids, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


class MergeWithDialog(QDialog):
    """Find the record to merge with this one: type to search, pick one, compare."""

    chosen = Signal(str)

    def __init__(
        self, ctx: AppContext, kind: str, record_id: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.kind = kind
        self.record_id = record_id
        self.setObjectName("mergeWithDialog")
        self.setWindowTitle(self.tr("Merge with…"))
        self.setMinimumWidth(440)
        self.search = QLineEdit()
        self.search.setObjectName("mergeSearch")
        self.search.setPlaceholderText(self.tr("Name, phone or pinyin initials"))
        self.search.textChanged.connect(self.refresh)
        self.results = QListWidget()
        self.results.setObjectName("mergeCandidates")
        self.results.itemDoubleClicked.connect(lambda _item: self.compare())
        self.status = ErrorLabel()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.compare_button = buttons.addButton(
            self.tr("Compare…"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.compare_button.setObjectName("compareButton")
        self.compare_button.clicked.connect(self.compare)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.refresh()

    def refresh(self) -> None:
        kind, rid, text = self.kind, self.record_id, self.search.text()
        self.ctx.runner.read(
            lambda s: merge_ops.candidates(s, kind, text, rid), self._show, owner=self
        )

    def _show(self, rows: list[dict[str, Any]]) -> None:
        self.results.clear()
        for row in rows:
            item = QListWidgetItem(str(row["label"] or row["name"]))
            item.setData(Qt.ItemDataRole.UserRole, row["id"])
            self.results.addItem(item)
        if rows:
            self.results.setCurrentRow(0)

    def compare(self) -> None:
        item = self.results.currentItem()
        if item is None:
            self.status.show_message(self.tr("Find the other record first."))
            return
        self.chosen.emit(str(item.data(Qt.ItemDataRole.UserRole)))
        self.accept()


__all__ = ["MergeDialog", "MergeWithDialog", "open_merge"]
