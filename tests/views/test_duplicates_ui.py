"""Duplicates and data health on the desktop (SPEC C1, C3): suspects before saving in the real
dialogs, the lead's list of suspect groups, the brief with its xlsx and PDF."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pypdfium2
import pytest
from helpers.typing import type_text
from openpyxl import load_workbook
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QPushButton, QTableWidget, QWidget

from app.store.service import Store
from app.views.context import AppContext
from app.views.customer_page import CustomerPage
from app.views.duplicates import DuplicatesScreen
from app.views.forms import RecordDialog
from app.views.health import HealthScreen

SHOTS = Path(os.environ.get("FIELDCRM_SHOTS", "/work/wt/shots/dups"))


def shoot(widget: QWidget, name: str) -> None:
    if SHOTS.parent.exists():
        SHOTS.mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(SHOTS / f"{name}.png"))


def click(qtbot: Any, button: QPushButton | None) -> None:
    assert button is not None and button.isVisible() and button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def type_into(qtbot: Any, parent: QWidget, field: str, text: str) -> None:
    line = parent.findChild(QLineEdit, f"field_{field}")
    assert line is not None, field
    line.clear()
    type_text(qtbot, line, text)


@pytest.fixture
def book(store: Store) -> dict[str, str]:
    me = store.actor
    acme = store.create(
        "customer",
        {"name": "杭州云峰科技股份有限公司", "owner": me, "phone": "0571-88881234"},
    )
    store.create("contact", {"customer_id": acme, "name": "陈静怡", "mobile": "13812341234"})
    other = store.create("customer", {"name": "宁波安泰机械有限公司", "owner": me})
    return {"acme": acme, "other": other}


def test_new_customer_shows_suspects_and_opens_the_existing_one(
    qtbot: Any, ctx: AppContext, store: Store, book: dict[str, str]
) -> None:
    dialog = RecordDialog(ctx, "customer", ("name", "phone", "owner"), {}, "新建客户")
    qtbot.addWidget(dialog)
    dialog.form.set_values({"owner": store.actor})
    dialog.resize(560, 420)
    dialog.show()
    type_into(qtbot, dialog, "name", "雲峰科技(杭州)有限公司")
    assert dialog.duplicates is not None
    qtbot.waitUntil(lambda: dialog.duplicates is not None and dialog.duplicates.isVisible())
    panel = dialog.duplicates
    assert [h.record_id for h in panel.hits] == [book["acme"]]
    assert "legal form" in panel.list.item(0).text() or "有限公司" in panel.list.item(0).text()
    # "Open the existing one" is the default: Enter opens it, nothing is created.
    assert panel.open_button.isDefault() and not dialog.save_button.isDefault()
    shoot(dialog, "suspect-dialog-customer")
    with qtbot.waitSignal(dialog.open_existing) as opened:
        qtbot.keyClick(panel.open_button, Qt.Key.Key_Return)
    assert opened.args == ["customer", book["acme"]]
    assert store.connection().execute("SELECT count(*) FROM customers").fetchone()[0] == 2


def test_save_anyway_creates_after_the_suspects_were_seen(
    qtbot: Any, ctx: AppContext, store: Store, book: dict[str, str]
) -> None:
    dialog = RecordDialog(ctx, "customer", ("name", "owner"), {}, "新建客户")
    qtbot.addWidget(dialog)
    dialog.form.set_values({"owner": store.actor})
    dialog.show()
    type_into(qtbot, dialog, "name", "杭州云峰科技")
    click(qtbot, dialog.save_button)  # the check runs first and shows the suspects
    assert dialog.duplicates is not None and dialog.duplicates.isVisible()
    assert store.connection().execute("SELECT count(*) FROM customers").fetchone()[0] == 2
    with qtbot.waitSignal(dialog.created):
        click(qtbot, dialog.save_button)  # now "Save anyway"
    assert store.connection().execute("SELECT count(*) FROM customers").fetchone()[0] == 3


def test_a_new_customer_with_no_suspect_saves_at_once(
    qtbot: Any, ctx: AppContext, store: Store, book: dict[str, str]
) -> None:
    dialog = RecordDialog(ctx, "customer", ("name", "owner"), {}, "新建客户")
    qtbot.addWidget(dialog)
    dialog.form.set_values({"owner": store.actor})
    dialog.show()
    type_into(qtbot, dialog, "name", "苏州云峰科技有限公司")  # another city
    with qtbot.waitSignal(dialog.created):
        click(qtbot, dialog.save_button)
    assert dialog.duplicates is not None and not dialog.duplicates.hits


def test_add_contact_with_a_masked_mobile_finds_the_person(
    qtbot: Any, ctx: AppContext, store: Store, book: dict[str, str]
) -> None:
    page = CustomerPage(ctx, book["acme"])
    qtbot.addWidget(page)
    page.show()
    dialog = page.add_contact()
    dialog.resize(560, 520)
    type_into(qtbot, dialog, "name", "陳靜怡")
    type_into(qtbot, dialog, "mobile", "138****1234")
    click(qtbot, dialog.save_button)
    assert dialog.duplicates is not None and dialog.duplicates.isVisible()
    assert "masked" in " ".join(r.en for r in dialog.duplicates.hits[0].reasons)
    shoot(dialog, "suspect-dialog-contact")
    with qtbot.waitSignal(page.open_record) as opened:
        click(qtbot, dialog.duplicates.open_button)
    assert opened.args == ["customer", book["acme"]]
    assert store.connection().execute("SELECT count(*) FROM contacts").fetchone()[0] == 1


def test_the_leads_list_of_suspect_groups_asks_for_merge(
    qtbot: Any, ctx: AppContext, store: Store, book: dict[str, str]
) -> None:
    dup = store.create("customer", {"name": "雲峰科技(杭州)有限公司", "owner": store.actor})
    store.create("customer", {"name": "杭州云峰科技(集团)", "owner": store.actor})
    store.create("customer", {"name": "苏州云峰科技有限公司", "owner": store.actor})
    screen = DuplicatesScreen(ctx)
    qtbot.addWidget(screen)
    screen.resize(1000, 420)
    screen.show()
    screen.refresh()
    table: QTableWidget = screen.table
    assert table.rowCount() == 1
    assert table.item(0, 0).text().count("\n") == 2  # three spellings of one company
    assert "苏州" not in table.item(0, 0).text()
    table.selectRow(0)
    shoot(screen, "lead-duplicate-list")
    with qtbot.waitSignal(screen.merge_requested) as asked:
        click(qtbot, screen.merge_button)
    kind, ids = asked.args
    assert kind == "customer" and book["acme"] in ids and dup in ids and len(ids) == 3
    screen.kind.setCurrentIndex(1)  # contacts: none
    assert table.rowCount() == 0


def test_brief_screen_exports_xlsx_and_pdf_with_the_right_rows(
    qtbot: Any, ctx: AppContext, store: Store, book: dict[str, str], tmp_path: Path
) -> None:
    store.create("customer", {"name": "杭州云峰科技(集团)", "owner": store.actor})
    nophone = store.create("customer", {"name": "温州明达贸易有限公司", "owner": store.actor})
    store.create("contact", {"customer_id": nophone, "name": "周明", "mobile": "139****0000"})
    screen = HealthScreen(ctx)
    qtbot.addWidget(screen)
    screen.resize(1100, 560)
    screen.show()
    screen.refresh()
    assert screen.brief is not None
    assert screen.brief.total.suspects == 1 and screen.brief.total.masked == 1
    names = {i.label for i in screen.brief.no_phone}
    assert names == {"温州明达贸易有限公司", "宁波安泰机械有限公司", "杭州云峰科技(集团)"}
    shoot(screen, "health-brief")
    xlsx, pdf = tmp_path / "brief.xlsx", tmp_path / "brief.pdf"
    screen.export_xlsx(xlsx)
    screen.export_pdf(pdf)
    wb = load_workbook(xlsx)
    first = wb.worksheets[0]
    rows = list(first.iter_rows(values_only=True))
    assert rows[1][1:4] == (1, 3, 1)  # the rep: groups, no phone, masked
    no_phone_sheet = next(ws for ws in wb.worksheets if "phone" in ws.title or "电话" in ws.title)
    listed = {r[0] for r in list(no_phone_sheet.iter_rows(values_only=True))[1:]}
    assert listed == names
    suspects = wb.worksheets[1]
    cells = list(suspects.iter_rows(values_only=True))[1:]
    assert len(cells) == 1 and "杭州云峰科技股份有限公司" in str(cells[0][1])
    doc = pypdfium2.PdfDocument(str(pdf))
    text = "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    assert "温州明达贸易有限公司" in text and "杭州云峰科技(集团)" in text
    assert "139****0000" in text
    assert screen.brief.day in text
