"""Charts drawn with QPainter: grouped bars, a funnel and a line over periods.

Four simple charts do not justify a charting package in the bundle; Qt's own painter draws them
crisply at any size and in any language's font (see the README's dependency table).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

PALETTE = ("#1565c0", "#ef6c00", "#2e7d32", "#8e24aa", "#c62828", "#00838f")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    colour: str


def _nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2 or 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 5.0, 10.0):
        if value <= step * power:
            return step * power
    return value


class Chart(QWidget):
    """Base: a title, a legend and a plot area; subclasses paint the data."""

    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.categories: list[str] = []
        self.series: list[Series] = []
        self.fmt: Callable[[float], str] = lambda v: f"{v:,.0f}"
        self.setMinimumSize(QSize(320, 220))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def set_data(
        self,
        title: str,
        categories: Sequence[str],
        series: Sequence[Series],
        fmt: Callable[[float], str] | None = None,
    ) -> None:
        self.title = title
        self.categories = list(categories)
        self.series = list(series)
        if fmt is not None:
            self.fmt = fmt
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor("white"))
        font = QFont(self.font())
        font.setBold(True)
        p.setFont(font)
        fm = QFontMetrics(font)
        p.setPen(QColor("#212121"))
        p.drawText(
            QRectF(8, 4, self.width() - 16, fm.height() + 4), Qt.AlignmentFlag.AlignLeft, self.title
        )
        p.setFont(self.font())
        top = fm.height() + 10
        legend_h = self._legend(p, top)
        area = QRectF(8, top + legend_h, self.width() - 16, self.height() - top - legend_h - 8)
        if not self.categories or not self.series:
            p.setPen(QColor("#757575"))
            p.drawText(area, Qt.AlignmentFlag.AlignCenter, self.tr("No data for this period"))
            p.end()
            return
        self.plot(p, area)
        p.end()

    def _legend(self, p: QPainter, top: float) -> float:
        if len(self.series) < 2:
            return 4
        fm = QFontMetrics(self.font())
        x = 8.0
        for s in self.series:
            p.fillRect(QRectF(x, top + 3, 12, 12), QColor(s.colour))
            p.setPen(QColor("#424242"))
            p.drawText(QPointF(x + 16, top + 3 + fm.ascent() - 1), s.name)
            x += 16 + fm.horizontalAdvance(s.name) + 18
        return fm.height() + 8

    def plot(self, p: QPainter, area: QRectF) -> None:
        raise NotImplementedError


class BarChart(Chart):
    """Grouped vertical bars: one group per category, one bar per series."""

    def plot(self, p: QPainter, area: QRectF) -> None:
        fm = QFontMetrics(self.font())
        top_value = _nice_max(max((v or 0.0) for s in self.series for v in s.values))
        axis_w = max(fm.horizontalAdvance(self.fmt(top_value)), fm.horizontalAdvance("0")) + 8
        label_h = fm.height() + 6
        plot = QRectF(
            area.left() + axis_w, area.top() + 4, area.width() - axis_w, area.height() - label_h - 4
        )
        p.setPen(QPen(QColor("#e0e0e0"), 1))
        for i in range(5):
            y = plot.bottom() - plot.height() * i / 4
            p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            p.setPen(QColor("#616161"))
            p.drawText(
                QRectF(area.left(), y - fm.height() / 2, axis_w - 6, fm.height()),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                self.fmt(top_value * i / 4),
            )
            p.setPen(QPen(QColor("#e0e0e0"), 1))
        group = plot.width() / len(self.categories)
        bar = group * 0.8 / len(self.series)
        for ci, cat in enumerate(self.categories):
            x0 = plot.left() + ci * group + group * 0.1
            for si, s in enumerate(self.series):
                value = s.values[ci] or 0.0
                h = plot.height() * value / top_value
                p.fillRect(QRectF(x0 + si * bar, plot.bottom() - h, bar - 2, h), QColor(s.colour))
            p.setPen(QColor("#424242"))
            text = fm.elidedText(cat, Qt.TextElideMode.ElideRight, int(group) - 4)
            p.drawText(
                QRectF(plot.left() + ci * group, plot.bottom() + 3, group, label_h),
                Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                text,
            )


class FunnelChart(Chart):
    """Centred horizontal bars, widest first: how many deals reached each stage."""

    def plot(self, p: QPainter, area: QRectF) -> None:
        fm = QFontMetrics(self.font())
        values = [v or 0.0 for v in self.series[0].values]
        widest = max(values) or 1.0
        label_w = max(fm.horizontalAdvance(c) for c in self.categories) + 12
        row = area.height() / len(self.categories)
        span = area.width() - label_w
        for i, (cat, value) in enumerate(zip(self.categories, values, strict=True)):
            y = area.top() + i * row
            w = max(span * value / widest, 2.0)
            x = area.left() + label_w + (span - w) / 2
            colour = QColor(self.series[0].colour)
            colour.setAlphaF(1.0 - 0.12 * i)
            p.fillRect(QRectF(x, y + row * 0.12, w, row * 0.76), colour)
            p.setPen(QColor("#424242"))
            p.drawText(
                QRectF(area.left(), y, label_w - 8, row),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                cat,
            )
            p.setPen(
                QColor("white")
                if w > fm.horizontalAdvance(self.fmt(value)) + 8
                else QColor("#212121")
            )
            p.drawText(
                QRectF(area.left() + label_w, y, span, row),
                Qt.AlignmentFlag.AlignCenter,
                self.fmt(value),
            )


class LineChart(Chart):
    """One line per series over the categories (periods); gaps where a value is missing."""

    def plot(self, p: QPainter, area: QRectF) -> None:
        fm = QFontMetrics(self.font())
        top_value = _nice_max(max(((v or 0.0) for s in self.series for v in s.values), default=1.0))
        axis_w = fm.horizontalAdvance(self.fmt(top_value)) + 10
        label_h = fm.height() + 6
        # The first and last points sit on the plot's edges: their labels, centred below them,
        # need half their width on either side to stay inside the widget.
        half = max(fm.horizontalAdvance(c) for c in self.categories) / 2 + 4
        left, right = max(axis_w, half), max(12.0, half)
        plot = QRectF(
            area.left() + left,
            area.top() + 6,
            area.width() - left - right,
            area.height() - label_h - 6,
        )
        for i in range(5):
            y = plot.bottom() - plot.height() * i / 4
            p.setPen(QPen(QColor("#e0e0e0"), 1))
            p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            p.setPen(QColor("#616161"))
            p.drawText(
                QRectF(area.left(), y - fm.height() / 2, axis_w - 6, fm.height()),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                self.fmt(top_value * i / 4),
            )
        n = len(self.categories)
        step = plot.width() / max(n - 1, 1)
        for i, cat in enumerate(self.categories):
            x = plot.left() + i * step
            p.setPen(QColor("#424242"))
            p.drawText(
                QRectF(x - max(step / 2, half), plot.bottom() + 3, max(step, 2 * half), label_h),
                Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                cat,
            )
        for s in self.series:
            pen = QPen(QColor(s.colour), 2.5)
            p.setPen(pen)
            last: QPointF | None = None
            for i, v in enumerate(s.values):
                if v is None:
                    last = None
                    continue
                pt = QPointF(plot.left() + i * step, plot.bottom() - plot.height() * v / top_value)
                if last is not None:
                    p.drawLine(last, pt)
                p.setBrush(QColor(s.colour))
                p.drawEllipse(pt, 3.5, 3.5)
                last = pt


__all__ = ["PALETTE", "BarChart", "Chart", "FunnelChart", "LineChart", "Series"]
