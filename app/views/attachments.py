"""Attachments with thumbnails: open with a double click, add by drag-and-drop or a button.

Image thumbnails are decoded on the "files" lane (a QImage may be built off the GUI thread) and
turned into icons when they arrive; other files show their kind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDropEvent, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from app.domain.schema import ATTACHMENT_KINDS
from app.store.service import Store
from app.views import operations as ops
from app.views.context import AppContext
from app.views.widgets import when

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"})
THUMB = 96


def kind_label(kind: str) -> str:
    """A human name for an attachment kind (the same words as the stage locks use)."""
    names = {
        "business_card": QCoreApplication.translate("Attachments", "Business card"),
        "contract": QCoreApplication.translate("Attachments", "Contract"),
        "quote": QCoreApplication.translate("Attachments", "Quote"),
        "org_chart": QCoreApplication.translate("Attachments", "Org chart"),
        "requirement_confirmation": QCoreApplication.translate(
            "Attachments", "Requirement confirmation"
        ),
        "implementation_schedule": QCoreApplication.translate(
            "Attachments", "Implementation schedule"
        ),
        "other": QCoreApplication.translate("Attachments", "Other"),
    }
    return names.get(kind, kind)


def dropped_files(event: QDropEvent | QDragEnterEvent) -> list[Path]:
    mime = event.mimeData()
    if not mime.hasUrls():
        return []
    return [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]


def is_picture(row: dict[str, Any]) -> bool:
    name = str(row.get("filename") or "")
    return Path(name).suffix.lower() in IMAGE_SUFFIXES or str(row.get("mime") or "").startswith(
        "image/"
    )


def load_thumbnail(path: Path) -> QImage | None:
    """A small image of a picture file, or None (runs on a worker: QImage only, no QPixmap).

    Stored files are named by their hash, without a suffix; Qt detects the format itself.
    """
    if not path.exists():
        return None
    image = QImage(str(path))
    if image.isNull():
        return None
    return image.scaled(
        THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )


class AttachmentPane(QWidget):
    """The files of a customer or a deal. Dropped files are attached with the chosen kind."""

    files_dropped = Signal(list, str)  # paths, kind

    def __init__(
        self,
        ctx: AppContext,
        customer_id: str,
        deal_id: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.customer_id = customer_id
        self.deal_id = deal_id
        self.setAcceptDrops(True)
        self.setObjectName("attachmentPane")
        self.files: dict[str, Path] = {}

        self.kind = QComboBox()
        for kind in ATTACHMENT_KINDS:
            self.kind.addItem(kind_label(kind), kind)
        self.kind.setCurrentIndex(self.kind.findData("other"))
        add = QPushButton(self.tr("Add file…"))
        add.clicked.connect(self.choose_files)
        hint = QLabel(self.tr("Drop files here to attach them"))
        hint.setStyleSheet("color:#757575;")
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Kind for new files:")))
        top.addWidget(self.kind)
        top.addWidget(add)
        top.addStretch(1)
        top.addWidget(hint)

        self.list = QListWidget()
        self.list.setObjectName("attachmentList")
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setIconSize(QSize(THUMB, THUMB))
        self.list.setGridSize(QSize(THUMB + 64, THUMB + 56))
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setWordWrap(True)
        self.list.setAcceptDrops(False)  # drops land on the pane
        self.list.itemActivated.connect(self._open)
        self.empty = QLabel(self.tr("No attachments yet."))
        self.empty.setStyleSheet("color:#757575; padding:12px;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.empty)
        layout.addWidget(self.list, 1)

    def show_attachments(self, rows: list[dict[str, Any]], files: dict[str, Path]) -> None:
        self.files = files
        self.list.clear()
        self.empty.setVisible(not rows)
        file_icon = self.style().standardIcon(QStyle.StandardPixmap.SP_FileIcon)
        wanted: list[tuple[QListWidgetItem, Path]] = []
        for row in rows:
            name = str(row.get("filename") or row["sha256"][:10])
            item = QListWidgetItem(file_icon, f"{kind_label(str(row['kind']))}\n{name}")
            item.setData(Qt.ItemDataRole.UserRole, row["sha256"])
            item.setToolTip(f"{name}\n{when(row.get('created_at'))}")
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            self.list.addItem(item)
            path = files.get(row["sha256"])
            if path is not None and is_picture(row):
                wanted.append((item, path))
        for item, path in wanted:
            self._thumbnail(item, path)

    def _thumbnail(self, item: QListWidgetItem, path: Path) -> None:
        def decode(_progress: Any, _cancelled: Any) -> QImage | None:
            return load_thumbnail(path)

        def show(image: QImage | None) -> None:
            if image is not None and self.list.row(item) >= 0:
                item.setIcon(QIcon(QPixmap.fromImage(image)))

        self.ctx.runner.background("files", decode, show, owner=self)

    def _open(self, item: QListWidgetItem) -> None:
        path = self.files.get(str(item.data(Qt.ItemDataRole.UserRole)))
        if path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    def choose_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, self.tr("Attach files"))
        if paths:
            self.attach([Path(p) for p in paths], str(self.kind.currentData()))

    def attach(self, paths: list[Path], kind: str) -> None:
        """Attach files (copied into the profile, content-addressed) with ``kind``."""
        customer_id, deal_id = self.customer_id, self.deal_id

        def attach_all(store: Store) -> None:
            for path in paths:
                ops.attach(store, path, kind, customer_id, deal_id)

        names = ", ".join(p.name for p in paths)
        self.ctx.runner.write(
            attach_all, owner=self, label=self.tr("Attaching %1").replace("%1", names)
        )

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_files(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = dropped_files(event)
        if paths:
            event.acceptProposedAction()
            self.attach(paths, str(self.kind.currentData()))
