"""Every dialog and page that creates or edits a record: type, press the real Save button,
find the record in the store; a refusal no visible field can show still reaches the user."""

from __future__ import annotations

from typing import Any

from helpers.typing import type_text
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QPushButton, QWidget

from app.store.service import Store
from app.views.context import AppContext
from app.views.customer_page import CustomerPage
from app.views.deal_page import DealPage
from app.views.forms import RecordDialog
from app.views.main_window import MainWindow


def shown(qtbot: Any, ctx: AppContext, widget: Any) -> Any:
    ctx.runner.changed.connect(widget.on_changed)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def click(qtbot: Any, button: QPushButton | None) -> None:
    assert button is not None and button.isVisible() and button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def type_into(qtbot: Any, parent: QWidget, field: str, text: str) -> None:
    line = parent.findChild(QLineEdit, f"field_{field}")
    assert line is not None, field
    line.clear()
    type_text(qtbot, line, text)


def open_tab(page: CustomerPage, button_name: str) -> QPushButton:
    button = page.findChild(QPushButton, button_name)
    assert button is not None
    for i in range(page.tabs.count()):
        if page.tabs.widget(i).isAncestorOf(button):
            page.tabs.setCurrentIndex(i)
    return button


def test_new_deal_from_the_customer_page_is_saved_and_opened(
    qtbot: Any, ctx: AppContext, store: Store, customer_id: str
) -> None:
    page = shown(qtbot, ctx, CustomerPage(ctx, customer_id))
    click(qtbot, open_tab(page, "addDeal"))
    dialog = page.findChild(RecordDialog)
    assert dialog is not None and dialog.isVisible()
    type_into(qtbot, dialog, "title", "办公楼全屋定制")
    type_into(qtbot, dialog, "amount", "120000")
    type_into(qtbot, dialog, "expected_close", "2026-12-20")
    with qtbot.waitSignal(page.open_record) as opened:
        click(qtbot, dialog.save_button)
    deals = store.connection().query("SELECT id, customer_id, title, amount, stage FROM deals")
    [deal] = list(deals)
    assert deal["customer_id"] == customer_id and deal["title"] == "办公楼全屋定制"
    assert float(deal["amount"]) == 120000 and deal["stage"] == ctx.rules.stage_keys[0]
    assert opened.args == ["deal", deal["id"]]
    assert not dialog.isVisible()
    assert page.deals.rowCount() == 1


def test_add_contact_is_saved_and_listed(
    qtbot: Any, ctx: AppContext, store: Store, customer_id: str
) -> None:
    page = shown(qtbot, ctx, CustomerPage(ctx, customer_id))
    click(qtbot, open_tab(page, "addContact"))
    dialog = page.findChild(RecordDialog)
    assert dialog is not None
    type_into(qtbot, dialog, "name", "周婷")
    type_into(qtbot, dialog, "title", "行政经理")
    type_into(qtbot, dialog, "mobile", "139 0000 1234")
    click(qtbot, dialog.save_button)
    [contact] = list(
        store.connection().query("SELECT customer_id, name, title, mobile FROM contacts")
    )
    assert contact == {
        "customer_id": customer_id,
        "name": "周婷",
        "title": "行政经理",
        "mobile": "13900001234",
    }
    assert not dialog.isVisible()
    assert page.contacts.rowCount() == 1 and page.contacts.item(0, 0).text() == "周婷"


def test_a_bad_field_is_shown_under_it_and_the_input_stays(
    qtbot: Any, ctx: AppContext, store: Store, customer_id: str
) -> None:
    page = shown(qtbot, ctx, CustomerPage(ctx, customer_id))
    click(qtbot, open_tab(page, "addContact"))
    dialog = page.findChild(RecordDialog)
    assert dialog is not None
    type_into(qtbot, dialog, "mobile", "123")
    click(qtbot, dialog.save_button)
    assert dialog.isVisible()
    assert dialog.form.errors["name"].isVisible() and dialog.form.errors["mobile"].isVisible()
    assert dialog.findChild(QLineEdit, "field_mobile").text() == "123"
    assert store.connection().execute("SELECT count(*) FROM contacts").fetchone()[0] == 0


def test_a_refusal_no_field_shows_is_said_in_the_dialog(
    qtbot: Any, ctx: AppContext, store: Store, customer_id: str
) -> None:
    page = shown(qtbot, ctx, CustomerPage(ctx, customer_id))
    click(qtbot, open_tab(page, "addContact"))
    dialog = page.findChild(RecordDialog)
    assert dialog is not None
    type_into(qtbot, dialog, "name", "周婷")
    store.delete("customer", customer_id)  # gone (e.g. reassigned by a sync) meanwhile
    click(qtbot, dialog.save_button)
    assert dialog.isVisible()
    assert dialog.status.isVisible() and "客户" in dialog.status.text()
    assert store.connection().execute("SELECT count(*) FROM contacts").fetchone()[0] == 0
    assert dialog.findChild(QLineEdit, "field_name").text() == "周婷"


def test_new_customer_from_the_window(qtbot: Any, window: MainWindow, store: Store) -> None:
    dialog = window.new_customer()
    type_into(qtbot, dialog, "name", "苏州明远精密机械有限公司")
    type_into(qtbot, dialog, "phone", "0512 6666 7777")
    click(qtbot, dialog.save_button)
    row = (
        store.connection()
        .execute("SELECT id, phone FROM customers WHERE name LIKE '苏州明远%'")
        .fetchone()
    )
    assert row is not None and row[1] == "0512-66667777"
    assert isinstance(window.current_page(), CustomerPage)
    assert window.current_page().customer_id == row[0]  # type: ignore[union-attr]


def test_customer_details_edit_saves(
    qtbot: Any, ctx: AppContext, store: Store, customer_id: str
) -> None:
    page = shown(qtbot, ctx, CustomerPage(ctx, customer_id))
    type_into(qtbot, page, "region", "华东")
    click(qtbot, page.save_button)
    assert store.require("customer", customer_id)["region"] == "华东"
    assert page.saved_note.text()


def test_deal_fields_edit_saves_and_a_bad_value_is_shown(
    qtbot: Any, ctx: AppContext, store: Store, deal_id: str
) -> None:
    page = shown(qtbot, ctx, DealPage(ctx, deal_id))
    page.tabs.setCurrentIndex(0)
    type_into(qtbot, page, "amount", "十万")
    click(qtbot, page.save_button)
    assert page.form.errors["amount"].isVisible()
    assert store.require("deal", deal_id).get("amount") is None
    type_into(qtbot, page, "amount", "98000")
    type_into(qtbot, page, "contract_no", "HT-2026-018")
    click(qtbot, page.save_button)
    deal = store.require("deal", deal_id)
    assert float(deal["amount"]) == 98000 and deal["contract_no"] == "HT-2026-018"
