"""The data-health brief on the desktop (SPEC C3): the lead's screen and its PDF.

The PDF is Qt's own print of the brief's HTML (:func:`app.store.health.brief_html`) through
:class:`QPdfWriter`, so no other PDF library is needed.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMarginsF, Signal
from PySide6.QtGui import (
    QFont,
    QFontDatabase,
    QPageLayout,
    QPageSize,
    QPdfWriter,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.health import Brief
from app.store.health import brief_html, brief_sheets, export_xlsx
from app.views import data_ops
from app.views.context import AppContext
from app.views.i18n import CJK_FAMILIES, current

PDF_FAMILIES = (
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "AR PL UMing CN",
    *CJK_FAMILIES,
)


def write_pdf(brief: Brief, path: Path, lang: str) -> None:
    """Print the brief to ``path`` as an A4 PDF (needs a Qt GUI application)."""
    tmp = path.with_name(path.name + ".part")
    writer = QPdfWriter(str(tmp))
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setPageMargins(QMarginsF(12, 12, 12, 12), QPageLayout.Unit.Millimeter)
    writer.setTitle(f"FieldCRM {brief.day}")
    doc = QTextDocument()
    # One CJK family for every glyph. Noto/Source Han come last: Qt embeds their digits after
    # Latin text as glyphs without text, so a reader (or a search) would not find the numbers.
    available = set(QFontDatabase.families())
    family = next((f for f in PDF_FAMILIES if f in available), None)
    if family is not None:
        doc.setDefaultFont(QFont(family, 9))
    doc.setHtml(brief_html(brief, lang))
    doc.print_(writer)
    del writer  # the file is complete once the writer is gone
    tmp.replace(path)


class HealthScreen(QWidget):
    """The brief of the lead's copy: per rep, then each section, with xlsx and PDF export."""

    exported = Signal(str)  # the path written

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.brief: Brief | None = None
        self.summary = QLabel()
        self.summary.setObjectName("healthSummary")
        self.summary.setWordWrap(True)
        self.tabs = QTabWidget()
        self.xlsx_button = QPushButton(self.tr("Export xlsx…"))
        self.xlsx_button.clicked.connect(self._ask_xlsx)
        self.pdf_button = QPushButton(self.tr("Export PDF…"))
        self.pdf_button.clicked.connect(self._ask_pdf)
        refresh = QPushButton(self.tr("Refresh"))
        refresh.clicked.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(refresh)
        top.addWidget(self.xlsx_button)
        top.addWidget(self.pdf_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        self._enable()

    def refresh(self) -> None:
        self.ctx.runner.read(data_ops.health_brief, self.show_brief, owner=self)

    def show_brief(self, brief: Brief) -> None:
        self.brief = brief
        lang = current()
        self.summary.setText(brief.summary().text(lang))
        self.tabs.clear()
        for sheet in brief_sheets(brief, lang):
            table = QTableWidget(len(sheet.rows), len(sheet.headers))
            table.setHorizontalHeaderLabels([str(h) for h in sheet.headers])
            table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
            table.verticalHeader().hide()
            for r, row in enumerate(sheet.rows):
                for c, value in enumerate(row):
                    table.setItem(r, c, QTableWidgetItem("" if value is None else str(value)))
            table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
            table.horizontalHeader().setStretchLastSection(True)
            title = sheet.title.split(" ")[0] if not self.tabs.count() else sheet.title
            self.tabs.addTab(table, f"{title} ({len(sheet.rows)})" if self.tabs.count() else title)
        self._enable()

    def _enable(self) -> None:
        self.xlsx_button.setEnabled(self.brief is not None)
        self.pdf_button.setEnabled(self.brief is not None)

    def export_xlsx(self, path: Path) -> None:
        assert self.brief is not None
        export_xlsx(self.brief, path, current())
        self.exported.emit(str(path))

    def export_pdf(self, path: Path) -> None:
        assert self.brief is not None
        write_pdf(self.brief, path, current())
        self.exported.emit(str(path))

    def _ask_xlsx(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, self.tr("Export xlsx"), "", "Excel (*.xlsx)")
        if name:
            self.export_xlsx(Path(name if name.endswith(".xlsx") else name + ".xlsx"))

    def _ask_pdf(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, self.tr("Export PDF"), "", "PDF (*.pdf)")
        if name:
            self.export_pdf(Path(name if name.endswith(".pdf") else name + ".pdf"))
