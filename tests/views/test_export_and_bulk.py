"""Lists export to Excel as shown, and a lead works on many customers at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from PySide6.QtCore import QItemSelectionModel, Qt

from app.store.errors import ValidationFailed
from app.store.service import Store
from app.views import operations as ops
from app.views.context import AppContext, load_context
from app.views.customers import CustomersScreen
from app.views.main_window import MainWindow
from app.views.tasks import TaskRunner


def save_as(qtbot: Any, window: MainWindow, path: Path) -> None:
    """Press Export, type the file name into the real save dialog and accept it."""
    qtbot.mouseClick(window.export_button, Qt.MouseButton.LeftButton)
    assert window.last_export is not None
    dialog = window.last_export.dialog
    qtbot.waitUntil(dialog.isVisible)
    dialog.selectFile(str(path))
    with qtbot.waitSignal(window.last_export.finished):
        dialog.accept()


def test_customer_list_exports_the_rows_and_columns_shown(
    qtbot: Any, window: MainWindow, store: Store, customer_id: str, tmp_path: Path
) -> None:
    store.create("customer", {"name": '=HYPERLINK("x")贸易', "owner": "u-rep"})
    store.create("customer", {"name": "安泰精工", "owner": "u-rep", "industry": "机械"})
    window.customers.search.setText("贸易")  # the user narrowed the list to one row
    window.customers.table.setColumnHidden(1, True)  # and hid the industry column
    out = tmp_path / "list.xlsx"
    save_as(qtbot, window, out)
    ws = load_workbook(out).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0] == ["Customer", "Region", "Phone", "Owner", "Last follow-up"]
    assert len(rows) == 2 and rows[1][0] == '=HYPERLINK("x")贸易'
    assert ws["A2"].data_type == "s"  # text, never a formula
    assert "1 row" in window.statusBar().currentMessage()


def test_every_inbox_list_exports_through_the_same_button(
    qtbot: Any, window: MainWindow, store: Store, customer_id: str, tmp_path: Path
) -> None:
    window.ctx.runner.write(
        lambda s: s.create("lead", {"name": "周敏", "company": "远景物流", "owner": "u-rep"})
    )
    window.show_screen("leads")
    out = tmp_path / "leads.xlsx"
    save_as(qtbot, window, out)
    rows = [[c.value for c in r] for r in load_workbook(out).active.iter_rows()]
    assert rows[0][:2] == ["Name", "Company"] and rows[1][:2] == ["周敏", "远景物流"]
    window.show_screen("settings")
    assert not window.export_button.isEnabled()  # nothing to export there
    window.show_screen("conflicts")
    assert window.export_button.isEnabled()


def lead_context(store: Store, runner: TaskRunner) -> AppContext:
    store.actor = "u-lead"
    found: list[AppContext] = []
    load_context(runner, found.append)
    return found[0]


def test_a_lead_reassigns_and_exports_selected_customers(
    qtbot: Any, runner: TaskRunner, store: Store, customer_id: str, tmp_path: Path
) -> None:
    others = [store.create("customer", {"name": f"客户{i}", "owner": "u-rep"}) for i in range(3)]
    ctx = lead_context(store, runner)
    s = CustomersScreen(ctx)
    ctx.runner.changed.connect(s.on_changed)
    qtbot.addWidget(s)
    s.show()
    assert not s.bulk.isVisible()
    rows = [s.model.ids.index(cid) for cid in others[:2]]
    qtbot.mouseClick(
        s.table.viewport(),
        Qt.MouseButton.LeftButton,
        pos=s.table.visualRect(s.model.index(rows[0], 0)).center(),
    )
    qtbot.mouseClick(
        s.table.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.ControlModifier,
        s.table.visualRect(s.model.index(rows[1], 0)).center(),
    )
    assert s.bulk.isVisible() and s.bulk.count.text() == "2 selected"
    qtbot.mouseClick(s.bulk.reassign_button, Qt.MouseButton.LeftButton)
    dialog = s.reassign_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.owner.setCurrentIndex(dialog.owner.findData("u-lead"))
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    assert [store.require("customer", c)["owner"] for c in others] == ["u-lead", "u-lead", "u-rep"]

    s.table.selectionModel().select(
        s.model.index(s.model.ids.index(others[2]), 0),
        QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
    )
    qtbot.mouseClick(s.bulk.export_button, Qt.MouseButton.LeftButton)
    assert s.export_started is not None
    out = tmp_path / "picked.xlsx"
    s.export_started.dialog.selectFile(str(out))
    with qtbot.waitSignal(s.export_started.finished):
        s.export_started.dialog.accept()
    names = [r[0].value for r in load_workbook(out).active.iter_rows(min_row=2)]
    assert sorted(names) == sorted(["客户0", "客户1", "客户2"])


def test_a_rep_gets_no_reassign(qtbot: Any, ctx: AppContext, store: Store) -> None:
    s = CustomersScreen(ctx)
    qtbot.addWidget(s)
    assert s.bulk.reassign_button.isHidden()


def test_deals_export_amounts_and_days_as_numbers(
    qtbot: Any, window: MainWindow, store: Store, customer_id: str, tmp_path: Path
) -> None:
    window.ctx.runner.write(
        lambda s: s.create(
            "deal", {"customer_id": customer_id, "title": "全屋定制", "amount": "1250000"}
        )
    )
    window.show_screen("deals")
    window.pipeline.owner.setCurrentIndex(window.pipeline.owner.findData(None))
    out = tmp_path / "deals.xlsx"
    save_as(qtbot, window, out)
    ws = load_workbook(out).active
    header = [c.value for c in ws[1]]
    assert header[:4] == ["Deal", "Customer", "Stage", "Amount"]
    assert ws.cell(row=2, column=4).value == 1250000  # a number Excel can sum, not "¥1,250,000"
    assert ws.cell(row=2, column=header.index("Days in stage") + 1).value == 0


def test_a_rep_cannot_reassign_through_the_operation_either(store: Store) -> None:
    cid = store.create("customer", {"name": "客户甲", "owner": "u-rep"})
    with pytest.raises(ValidationFailed) as refused:
        ops.reassign(store, "customer", [cid], "u-lead")
    assert "lead" in refused.value.errors["owner"].en
    assert store.require("customer", cid)["owner"] == "u-rep"
