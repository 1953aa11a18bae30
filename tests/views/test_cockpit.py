"""The lead's cockpit on a hand-made team: figures, gap flag, heatmap click, period, exports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers.cockpit_data import seed_team
from openpyxl import load_workbook
from PySide6.QtCore import Qt

from app.store.service import Store
from app.views.cockpit import CockpitScreen
from app.views.context import AppContext, load_context
from app.views.i18n import say
from app.views.tasks import TaskRunner
from app.views.widgets import stage_name


@pytest.fixture
def lead_ctx(store: Store, runner: TaskRunner) -> AppContext:
    seed_team(store)
    store.actor = "u-lead"
    store.set_meta("user_id", "u-lead")
    found: list[AppContext] = []
    load_context(runner, found.append)
    return found[0]


def _row(table: Any, first: str) -> list[str]:
    for r in range(table.rowCount()):
        if table.item(r, 0).text() == first:
            return [table.item(r, c).text() for c in range(table.columnCount())]
    raise AssertionError(f"no row {first}")


def test_cockpit_forecast_heatmap_and_exports(
    qtbot: Any, lead_ctx: AppContext, tmp_path: Path
) -> None:
    screen = CockpitScreen(lead_ctx)
    qtbot.addWidget(screen)
    screen.resize(1366, 768)
    screen.show()
    qtbot.waitUntil(lambda: screen.data is not None)
    assert screen.selected_period() == "2026Q4"
    zhang = _row(screen.forecast_table, "张伟")
    assert zhang[1:5] == ["¥80,000", "¥60,000", "¥100,000", "¥0"]
    assert zhang[5] == "⚠ ¥20,000"  # flagged: 20 000 is more than 30 % of 60 000
    lina = _row(screen.forecast_table, "李娜")
    assert lina[1:6] == ["¥50,000", "¥50,000", "¥80,000", "¥50,000", "¥0"]
    team = _row(screen.forecast_table, "Team")
    assert team[1:5] == ["¥130,000", "¥110,000", "¥180,000", "¥50,000"]
    assert "1 of 2 reps" in screen.summary.text()

    # The heatmap: Proposal × Quote is missing on both proposal deals; a click lists them.
    bar = screen.tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(1).center())
    h = screen.heatmap
    qtbot.waitUntil(lambda: h.rowCount() > 0)
    rows = [h.verticalHeaderItem(r).text() for r in range(h.rowCount())]
    cols = [h.horizontalHeaderItem(c).text() for c in range(h.columnCount())]
    quote = next(lk for lk in lead_ctx.rules.stage("proposal").exit_locks if lk.key == "quote")
    r, c = rows.index(say(quote.label)), cols.index(stage_name(lead_ctx.rules, "proposal"))
    assert h.item(r, c).text() == "100%  (2/2)"
    assert "2 of 2 deals in" in h.item(r, c).toolTip()
    qtbot.mouseClick(
        h.viewport(), Qt.MouseButton.LeftButton, pos=h.visualItemRect(h.item(r, c)).center()
    )
    assert screen.heat_deals.count() == 2
    opened: list[tuple[str, str]] = []
    screen.open_record.connect(lambda e, i: opened.append((e, i)))
    first = screen.heat_deals.item(0)
    rect = screen.heat_deals.visualItemRect(first)
    qtbot.mouseClick(screen.heat_deals.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.keyClick(screen.heat_deals, Qt.Key.Key_Return)
    assert opened and opened[0][0] == "deal" and opened[0][1] in ("d-a", "d-c")

    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(2).center())
    qtbot.waitUntil(lambda: screen.conversion_table.rowCount() == 4)
    assert _row(screen.win_table, "Team")[1:4] == ["1", "0", "100%"]

    # Another period: nothing closes in 2026Q3, so every figure is zero.
    screen.period.setCurrentIndex(screen.period.findData("2026Q3"))
    qtbot.waitUntil(lambda: screen.data is not None and screen.data.period == "2026Q3")
    assert _row(screen.forecast_table, "Team")[1:5] == ["¥0", "¥0", "¥0", "¥0"]
    screen.period.setCurrentIndex(screen.period.findData("2026Q4"))
    qtbot.waitUntil(lambda: screen.data is not None and screen.data.period == "2026Q4")

    written: list[str] = []
    screen.exported.connect(written.append)
    xlsx = tmp_path / "cockpit.xlsx"
    screen.export("xlsx", xlsx)
    qtbot.waitUntil(lambda: str(xlsx) in written)
    wb = load_workbook(xlsx)
    sheet = wb.worksheets[0]
    values = {row[0].value: [c.value for c in row] for row in sheet.iter_rows(min_row=2)}
    assert values["张伟"][1:5] == [80000, 60000, 100000, 0]
    assert all(isinstance(v, int | float) for v in values["张伟"][1:5])
    assert len(wb.worksheets) >= 8  # forecast, accuracy, heatmap and the six pipeline tables
    pdf = tmp_path / "cockpit.pdf"
    screen.export("pdf", pdf)
    qtbot.waitUntil(lambda: str(pdf) in written)
    assert pdf.read_bytes().startswith(b"%PDF")
