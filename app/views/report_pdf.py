"""Reports to PDF (SPEC T5): the same tables as the xlsx export, laid out by Qt's rich text and
written with Qt's PDF writer, so no other PDF library is needed."""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

from app.store.sheets import Sheet


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if 0 < abs(value) < 1 and value != int(value):
            return f"{value:.2f}"
        return f"{value:,.2f}" if value != int(value) else f"{int(value):,}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return html.escape(str(value))


def report_html(title: str, subtitle: str, sheets: list[Sheet]) -> str:
    """The report as simple HTML tables (numbers right-aligned)."""
    parts = [
        "<html><body style='font-size:9pt'>",
        f"<h2>{html.escape(title)}</h2><p>{html.escape(subtitle)}</p>",
    ]
    for sheet in sheets:
        parts.append(f"<h3>{html.escape(sheet.title)}</h3>")
        parts.append("<table border='1' cellspacing='0' cellpadding='3' width='100%'><tr>")
        parts += [f"<th bgcolor='#e8eef7'>{html.escape(h)}</th>" for h in sheet.headers]
        parts.append("</tr>")
        for row in sheet.rows:
            parts.append("<tr>")
            for value in row:
                align = "right" if isinstance(value, int | float) else "left"
                parts.append(f"<td align='{align}'>{_cell(value)}</td>")
            parts.append("</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "".join(parts)


def write_pdf(path: Path, title: str, subtitle: str, sheets: list[Sheet]) -> int:
    """Write the report to ``path`` (.pdf, A4 landscape); returns the pages written."""
    if path.suffix.lower() != ".pdf":
        raise ValueError(f"unsupported export type {path.suffix or '(none)'}: use .pdf")
    from PySide6.QtCore import QMarginsF, QSizeF
    from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter, QTextDocument

    from app.views.application import qt_app

    # A command line without a display still lays text out with Qt's offscreen platform; the
    # application is the desktop's own kind, so a window opened later in the process works.
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    qt_app()
    tmp = path.with_name(path.name + ".part")
    writer = QPdfWriter(str(tmp))
    writer.setTitle(title)
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Landscape,
            QMarginsF(12, 12, 12, 12),
            QPageLayout.Unit.Millimeter,
        )
    )
    doc = QTextDocument()
    doc.setHtml(report_html(title, subtitle, sheets))
    rect = writer.pageLayout().paintRectPixels(writer.resolution())
    doc.setPageSize(QSizeF(rect.width(), rect.height()))
    pages = doc.pageCount()
    doc.print_(writer)
    del writer
    tmp.replace(path)
    return pages


__all__ = ["report_html", "write_pdf"]
