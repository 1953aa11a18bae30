"""Conflicts (SPEC S3): the same field changed here and elsewhere. Nothing was lost: each row
shows the value in force and the other one, who wrote it and when; one click keeps the value
in force, one click restores the other (as a new, audited and synced edit)."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.store.service import Change
from app.views import operations as ops
from app.views.context import AppContext
from app.views.inboxes import ListScreen
from app.views.widgets import field_label, fill_table, heading, make_table, when


def shown(value: Any) -> str:
    """A conflicting value as the user would read it."""
    if value is None or value == "":
        return QCoreApplication.translate("ConflictsScreen", "(empty)")
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class ConflictsScreen(ListScreen):
    ENTITIES = ("conflict",)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.setObjectName("conflictsScreen")
        intro = QLabel(
            self.tr(
                "These fields were changed in two places at the same time. The value that "
                "reached the server first is in force; the other one was kept aside. "
                "Keep: the value in force stays and the conflict closes on every device. "
                "Restore: the other value replaces it, as a new edit that syncs."
            )
        )
        intro.setWordWrap(True)
        intro.setObjectName("conflictsIntro")
        self.table = make_table(
            [
                self.tr("Record"),
                self.tr("Field"),
                self.tr("In force now"),
                self.tr("Written by"),
                self.tr("Kept aside"),
                self.tr("Written by"),
                self.tr("When"),
                self.tr("Decide"),
            ]
        )
        self.table.setObjectName("conflictTable")
        self.empty = QLabel(self.tr("No conflicts. Every change merged cleanly."))
        self.empty.setStyleSheet("color:#757575; padding:8px;")
        layout = QVBoxLayout(self)
        layout.addWidget(heading(self.tr("Conflicts")))
        layout.addWidget(intro)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        self.reload()

    def reload(self) -> None:
        self.ctx.runner.read(ops.open_conflicts, self.show_rows, owner=self)

    def on_changed(self, changes: list[Change]) -> None:
        # A restore edits the record itself, so record changes matter too.
        ids = {r["record_id"] for r in self.rows}
        if any(c.entity in ("conflict", "sync") or c.record_id in ids for c in changes):
            if self.isVisible():
                self.reload()
            else:
                self._dirty = True

    def show_rows(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.empty.setVisible(not rows)
        entity_names = {
            "customer": self.tr("Customer"),
            "contact": self.tr("Contact"),
            "deal": self.tr("Deal"),
            "lead": self.tr("Lead"),
        }
        fill_table(
            self.table,
            [
                [
                    f"{entity_names.get(r['entity'], r['entity'])}: {r['record_label']}",
                    field_label(r["entity"], r["field"]),
                    "✔ " + shown(r["current_value"]),
                    r.get("current_author_name") or self.tr("another device"),
                    shown(r["other_value"]),
                    self._other_by(r),
                    when(r.get("other_at") or r.get("created_at")),
                    "",
                ]
                for r in rows
            ],
            [r["id"] for r in rows],
        )
        for i, r in enumerate(rows):
            cell = QWidget()
            line = QHBoxLayout(cell)
            line.setContentsMargins(2, 0, 2, 0)
            keep = QPushButton(self.tr("Keep"))
            keep.setObjectName(f"keep_{r['id']}")
            keep.setToolTip(
                self.tr("Keep %1 (in force); %2 is dropped on every device")
                .replace("%1", shown(r["current_value"]))
                .replace("%2", shown(r["other_value"]))
            )
            restore = QPushButton(self.tr("Restore other"))
            restore.setObjectName(f"restore_{r['id']}")
            restore.setToolTip(
                self.tr("Replace %1 with %2 (a new edit that syncs)")
                .replace("%1", shown(r["current_value"]))
                .replace("%2", shown(r["other_value"]))
            )
            keep.clicked.connect(lambda _c=False, cid=r["id"]: self.resolve(cid, False))
            restore.clicked.connect(lambda _c=False, cid=r["id"]: self.resolve(cid, True))
            line.addWidget(keep)
            line.addWidget(restore)
            self.table.setCellWidget(i, 7, cell)
        self.table.resizeColumnToContents(7)
        self.table.resizeRowsToContents()

    def _other_by(self, row: dict[str, Any]) -> str:
        name = str(row.get("other_author_name") or "")
        if row.get("lost_here"):
            return self.tr("%1 (this device)").replace("%1", name) if name else ""
        return name

    def resolve(self, conflict_id: str, restore_other: bool) -> None:
        """Close one conflict; restoring makes the other value a new edit (queued for sync)."""
        self.ctx.runner.write(
            lambda s: ops.resolve_conflict(s, conflict_id, restore_other), owner=self
        )
