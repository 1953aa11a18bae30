"""The merge screen with real widgets over the real store: a team lead finds a duplicate from the
customer page, keeps one record, picks a field value from the other and presses Merge; a rep
is told why they cannot."""

from __future__ import annotations

import json
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QListWidget, QPushButton, QRadioButton

from app.domain.merges import ROLE_REFUSED
from app.store import merging
from app.store.service import Store
from app.views.context import AppContext
from app.views.customer_page import CustomerPage
from app.views.i18n import say
from app.views.merge_dialog import MergeDialog, open_merge


def click_radio(qtbot: Any, button: QRadioButton) -> None:
    """Click a radio button where a user would: on its round indicator."""
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=QPoint(8, button.height() // 2))


@pytest.fixture
def duplicate(store: Store) -> str:
    y = store.create(
        "customer",
        {
            "name": "轻鹿家居股份有限公司",
            "phone": "0571-86661234",
            "industry": "智能家居",
            "owner": "u-rep",
        },
    )
    store.create("contact", {"customer_id": y, "name": "王海燕", "title": "采购经理"})
    store.followups.add(
        {
            "customer_id": y,
            "type": "demo",
            "due_on": "2026-11-20",
            "conclusion": "客户认可方案,要求补充报价细节",
            "next_action": "周五前发报价单",
        }
    )
    return y


@pytest.fixture
def as_lead(store: Store) -> None:
    store.actor = "u-lead"


def test_lead_merges_from_the_customer_page(
    qtbot: Any, as_lead: None, ctx: AppContext, store: Store, customer_id: str, duplicate: str
) -> None:
    page = CustomerPage(ctx, customer_id)
    ctx.runner.changed.connect(page.on_changed)
    qtbot.addWidget(page)
    page.show()
    button = page.findChild(QPushButton, "mergeWith")
    assert button is not None, ctx.session
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    picker = page.merge_picker
    search = picker.findChild(QLineEdit, "mergeSearch")
    search.setText("股份")  # typed through an input method: arrives as one text change
    results = picker.findChild(QListWidget, "mergeCandidates")
    assert results.count() == 1 and "轻鹿家居股份有限公司" in results.item(0).text()
    qtbot.mouseClick(picker.findChild(QPushButton, "compareButton"), Qt.MouseButton.LeftButton)

    dialog = page.merge_dialog
    assert isinstance(dialog, MergeDialog) and dialog.isVisible()
    assert dialog.survivor_id() == customer_id  # the page's customer is kept by default
    # The phone differs: the survivor's value is chosen until the lead picks the other one.
    keep_phone = dialog.findChild(QRadioButton, "pick_phone_0")
    other_industry = dialog.findChild(QRadioButton, "pick_industry_1")
    assert keep_phone.isChecked() and keep_phone.text() == "0571-88889999"
    assert other_industry.text() == "智能家居"
    click_radio(qtbot, other_industry)
    assert other_industry.isChecked()
    under = [w.text() for w in dialog.findChildren(QLabel) if w.text().endswith("follow-up")]
    assert under == ["1 contact · 1 follow-up"]
    qtbot.mouseClick(dialog.findChild(QPushButton, "mergeButton"), Qt.MouseButton.LeftButton)

    assert not dialog.isVisible()
    kept = store.require("customer", customer_id)
    assert (kept["industry"], kept["phone"]) == ("智能家居", "0571-88889999")
    assert store.get("customer", duplicate) is None
    moved = store.connection().query("SELECT name, customer_id FROM contacts WHERE name = '王海燕'")
    assert [r["customer_id"] for r in moved] == [customer_id]
    hits = [h for h in store.search("王海燕") if h.entity == "contact"]
    assert [h.customer_id for h in hits] == [customer_id]  # found under the kept customer
    assert not [h for h in store.search("股份") if h.record_id == duplicate]
    (op,) = [o for o in store.journal.pending() if o["action"] == "merge"]
    assert (op["entity"], op["record_id"]) == ("customer", customer_id)
    assert op["fields"]["merged"] == [duplicate] and op["fields"]["pick"]["industry"] == duplicate
    (made,) = merging.list_merges(store)
    assert made["state"] == "pending" and made["merged_by"] == "u-lead"
    assert json.dumps(made["discarded"], ensure_ascii=False).count("0571-86661234") == 1
    # The page shows the merged record's history as its own.
    page.reload()
    assert page.card is not None and page.card.merged_ids == [duplicate]
    fields = [page.history.item(r, 2).text() for r in range(page.history.rowCount())]
    assert "(duplicates merged in)" in fields or "(合并了重复记录)" in fields
    assert "(merged into)" in fields or "(已合并到)" in fields


def test_lead_keeps_the_other_record_and_the_page_follows(
    qtbot: Any, as_lead: None, ctx: AppContext, store: Store, customer_id: str, duplicate: str
) -> None:
    page = CustomerPage(ctx, customer_id)
    qtbot.addWidget(page)
    page.show()
    opened: list[tuple[str, str]] = []
    page.open_record.connect(lambda kind, rid: opened.append((kind, rid)))
    page._compare("customer", customer_id, duplicate)
    dialog = page.merge_dialog
    qtbot.waitExposed(dialog)
    click_radio(qtbot, dialog.findChild(QRadioButton, "keep_1"))
    assert dialog.survivor_id() == duplicate
    # Picks follow the survivor: its own phone now, its empty fields from the other record.
    assert dialog.findChild(QRadioButton, "pick_phone_1").isChecked()
    assert dialog.findChild(QRadioButton, "pick_credit_code_0").isChecked()
    qtbot.mouseClick(dialog.findChild(QPushButton, "mergeButton"), Qt.MouseButton.LeftButton)
    assert opened == [("customer", duplicate)]
    kept = store.require("customer", duplicate)
    assert kept["credit_code"] == "91350100M000100Y43" and kept["phone"] == "0571-86661234"
    assert store.get("customer", customer_id) is None


def test_a_rep_is_told_why_they_cannot_merge(
    qtbot: Any, ctx: AppContext, store: Store, customer_id: str, duplicate: str
) -> None:
    page = CustomerPage(ctx, customer_id)
    qtbot.addWidget(page)
    assert page.findChild(QPushButton, "mergeWith") is None
    dialog = open_merge(ctx, "customer", [customer_id, duplicate])
    qtbot.addWidget(dialog)
    banner = dialog.findChild(QLabel, "mergeBanner")
    assert banner.isVisible() and banner.text() == say(ROLE_REFUSED)
    assert "Only a team lead or an admin" in ROLE_REFUSED.en
    button = dialog.findChild(QPushButton, "mergeButton")
    assert not button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert store.get("customer", duplicate) is not None
    assert not [o for o in store.journal.pending() if o["action"] == "merge"]


def test_records_that_cannot_be_merged_are_named(
    qtbot: Any, as_lead: None, ctx: AppContext, store: Store, customer_id: str
) -> None:
    dialog = open_merge(ctx, "customer", [customer_id, customer_id])
    qtbot.addWidget(dialog)
    banner = dialog.findChild(QLabel, "mergeBanner")
    assert banner.text() in ("请至少选择两条不同的记录", "Choose at least two different records")
    assert not dialog.findChild(QPushButton, "mergeButton").isEnabled()


def test_lead_merges_two_contacts_of_the_customer(
    qtbot: Any, as_lead: None, ctx: AppContext, store: Store, customer_id: str
) -> None:
    first = store.create(
        "contact", {"customer_id": customer_id, "name": "陈思远", "mobile": "13900001111"}
    )
    second = store.create(
        "contact", {"customer_id": customer_id, "name": "陈思远", "email": "csy@qinglu.cn"}
    )
    deal = store.create(
        "deal", {"customer_id": customer_id, "title": "样板间", "primary_contact_id": second}
    )
    page = CustomerPage(ctx, customer_id)
    ctx.runner.changed.connect(page.on_changed)
    qtbot.addWidget(page)
    page.show()
    page.tabs.setCurrentIndex(1)
    ids = [page.contacts.item(r, 0).data(Qt.ItemDataRole.UserRole) for r in range(2)]
    assert sorted(ids) == sorted([first, second])
    page.contacts.selectRow(ids.index(first))
    chosen = first
    qtbot.mouseClick(page.findChild(QPushButton, "mergeContact"), Qt.MouseButton.LeftButton)
    picker = page.merge_picker
    results = picker.findChild(QListWidget, "mergeCandidates")
    assert results.count() == 1  # the customer's other contact, before anything is typed
    qtbot.mouseClick(picker.findChild(QPushButton, "compareButton"), Qt.MouseButton.LeftButton)
    dialog = page.merge_dialog
    qtbot.waitExposed(dialog)
    assert dialog.windowTitle() in ("Merge duplicate contacts", "合并重复联系人")
    assert dialog.survivor_id() == chosen
    qtbot.mouseClick(dialog.findChild(QPushButton, "mergeButton"), Qt.MouseButton.LeftButton)
    kept = store.require("contact", chosen)
    assert (kept["mobile"], kept["email"]) == ("13900001111", "csy@qinglu.cn")
    assert store.require("deal", deal)["primary_contact_id"] == chosen
    assert len(list(store.connection().query("SELECT id FROM contacts WHERE _deleted = 0"))) == 1
    assert page.tabs.tabText(1) in ("Contacts (1)", "联系人(1)")
