"""Charts keep their labels inside the widget."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QColor

from app.views.charts import LineChart, Series


def _ink_columns(chart: LineChart, top: int, bottom: int) -> list[int]:
    image = chart.grab().toImage()
    white = QColor("white").rgb()
    return [
        x
        for x in range(image.width())
        if any(image.pixel(x, y) != white for y in range(top, bottom))
    ]


def test_line_chart_period_labels_are_not_cut_off(qtbot: Any) -> None:
    chart = LineChart()
    qtbot.addWidget(chart)
    chart.resize(420, 240)
    chart.set_data(
        "Win rate by period",
        ["2026Q1", "2026Q2", "2026Q3", "2026Q4"],
        [Series("win rate", [0.2, None, 1.0, 0.5], "#2e7d32")],
        lambda v: f"{v:.0%}",
    )
    chart.show()
    qtbot.waitExposed(chart)
    label_band = (chart.height() - chart.fontMetrics().height() - 10, chart.height() - 4)
    ink = _ink_columns(chart, *label_band)
    # The last period's label ends before the widget's edge, the first starts after it.
    assert ink and ink[-1] < chart.width() - 4 and ink[0] > 2
