"""Card and contract capture with real Tesseract, real widgets and the real store."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers.typing import type_text
from PySide6.QtCore import Qt

from app.config import Config
from app.domain.messages import Msg
from app.paths import bundle_root
from app.store.service import Store
from app.views.capture import LOW_STYLE, CardCaptureDialog, ContractDialog
from app.views.context import AppContext
from app.views.i18n import say

SAMPLES = bundle_root() / "resources" / "samples"


@pytest.fixture
def cards(tmp_path: Path) -> list[Path]:
    out = []
    for name in ("card-clean-0000.png", "card-scan-0000.jpg"):
        target = tmp_path / name
        shutil.copyfile(SAMPLES / name, target)
        out.append(target)
    return out


def test_card_is_read_checked_for_duplicates_and_saved(
    qtbot: Any, ctx: AppContext, store: Store, cards: list[Path], tmp_path: Path
) -> None:
    dialog = CardCaptureDialog(ctx, cards[:1])
    qtbot.addWidget(dialog)
    edits = dialog.form.edits
    assert edits["mobile"].text()  # read by Tesseract from the sample
    mobile = edits["mobile"].text()
    # Someone already has that mobile: the duplicate check says so and offers the customer.
    existing = store.create("customer", {"name": "已有客户有限公司", "owner": "u-rep"})
    store.create("contact", {"customer_id": existing, "name": "老联系人", "mobile": mobile})
    dialog._check_duplicates()
    expected = say(Msg("手机号相同", "Same mobile number"))
    assert [dialog.dupes.item(i).text() for i in range(dialog.dupes.count())] == [
        f"老联系人 · 已有客户有限公司 — {expected}"
    ]
    assert dialog.target.currentData() == existing  # an exact match is preselected
    edits["name"].setText(edits["name"].text() or "Tony Li")
    dialog.save_button.click()
    contact = (
        store.connection()
        .execute(
            "SELECT id, customer_id FROM contacts WHERE mobile = ? AND name != '老联系人'",
            (mobile,),
        )
        .fetchone()
    )
    assert contact is not None and contact[1] == existing
    kinds = [
        r[0]
        for r in store.connection().execute(
            "SELECT kind FROM attachments WHERE contact_id = ?", (contact[0],)
        )
    ]
    assert kinds == ["business_card"]
    assert dialog.result() == dialog.DialogCode.Accepted  # one card: done


def test_invalid_field_keeps_the_card_open_with_a_message(
    qtbot: Any, ctx: AppContext, store: Store, cards: list[Path]
) -> None:
    dialog = CardCaptureDialog(ctx, cards)
    qtbot.addWidget(dialog)
    dialog.form.edits["mobile"].setText("1395555")
    dialog.form.edits["name"].setText("李娜")
    dialog.form.edits["company"].setText("新客户科技有限公司")
    dialog.save_button.click()
    assert not dialog.form.errors["mobile"].isHidden()
    assert (
        dialog.index == 0
        and store.connection().execute("SELECT count(*) FROM contacts").fetchone()[0] == 0
    )
    dialog.skip_button.click()  # on to the second card
    assert dialog.index == 1 and dialog.form.edits["mobile"].text()


def test_unreadable_file_is_a_message_not_a_crash(
    qtbot: Any, ctx: AppContext, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    dialog = CardCaptureDialog(ctx, [broken])
    qtbot.addWidget(dialog)
    assert not dialog.problem.isHidden() and dialog.problem.text()
    assert dialog.save_button.isEnabled()  # the user may still type the card in


def test_the_ocr_languages_setting_is_used(qtbot: Any, ctx: AppContext, deal_id: str) -> None:
    # Tesseract reads (the setting), and wants a language it lacks.
    ctx.config = Config(ocr_languages=("chi_sim", "xx_nowhere"), ocr_engine="tesseract")
    dialog = CardCaptureDialog(ctx, [SAMPLES / "card-clean-0000.png"])
    qtbot.addWidget(dialog)
    assert "tesseract-ocr-xx-nowhere" in dialog.problem.text()
    contract = ContractDialog(ctx, deal_id, SAMPLES / "contract-0000.png")
    qtbot.addWidget(contract)
    assert "tesseract-ocr-xx-nowhere" in contract.problem.text()


def test_low_confidence_fields_are_highlighted(qtbot: Any, ctx: AppContext) -> None:
    photo = SAMPLES / "card-photo-0000.jpg"
    dialog = CardCaptureDialog(ctx, [photo])
    qtbot.addWidget(dialog)
    low = dialog.form.low_confidence()
    for name in low:
        assert dialog.form.edits[name].styleSheet() == LOW_STYLE
        assert dialog.form.edits[name].toolTip()
    dialog.form.edits[low[0] if low else "name"].setText("x")  # typing clears the highlight
    if low:
        dialog.form.edits[low[0]].textEdited.emit("x")
        assert dialog.form.edits[low[0]].styleSheet() == ""


def test_contract_fills_the_deal(
    qtbot: Any, ctx: AppContext, store: Store, deal_id: str, tmp_path: Path
) -> None:
    doc = tmp_path / "contract.png"
    shutil.copyfile(SAMPLES / "contract-0000.png", doc)
    dialog = ContractDialog(ctx, deal_id, doc)
    qtbot.addWidget(dialog)
    assert dialog.apply_button.isEnabled()
    for name, text in (("amount", "123000"), ("signed_on", "2026-03-05")):
        dialog.form.edits[name].clear()  # the user corrects what OCR misread: that ticks it
        type_text(qtbot, dialog.form.edits[name], text)
    assert dialog.form.ticked() == ["amount", "signed_on"]
    dialog.apply_button.click()
    deal = store.require("deal", deal_id)
    assert deal["amount"] == "123000.00" and deal["signed_on"] == "2026-03-05"
    assert "contract" in store.deals.attachment_kinds(deal_id)


def test_scan_cards_is_reachable_from_the_customer_list(
    qtbot: Any, ctx: AppContext, cards: list[Path]
) -> None:
    from PySide6.QtWidgets import QPushButton

    from app.views.customers import CustomersScreen

    screen = CustomersScreen(ctx)
    qtbot.addWidget(screen)
    assert screen.findChild(QPushButton, "scanCards") is not None
    dialog = screen.open_capture(cards)
    assert dialog.isVisible() and dialog.form.edits["mobile"].text()
    dialog.close()


def test_read_contract_from_the_signed_stage_lock(
    qtbot: Any, ctx: AppContext, store: Store, deal_id: str, tmp_path: Path
) -> None:
    from PySide6.QtWidgets import QPushButton

    from app.views.deal_page import DealPage

    store.connection().execute("UPDATE deals SET stage = 'negotiation' WHERE id = ?", (deal_id,))
    page = DealPage(ctx, deal_id)
    ctx.runner.changed.connect(page.on_changed)
    qtbot.addWidget(page)
    page.show()
    row = page.lock_row("contract")
    assert row is not None and row.findChild(QPushButton, "readContract") is not None
    doc = tmp_path / "contract.png"
    shutil.copyfile(SAMPLES / "contract-0000.png", doc)
    dialog = row.open_contract(doc)
    dialog.apply_button.click()
    assert "contract" in store.deals.attachment_kinds(deal_id)
    row = page.lock_row("contract")
    assert row is not None and row.status.met  # the page redrew: the contract lock is met


def contract(tmp_path: Path) -> Path:
    doc = tmp_path / "contract.png"
    shutil.copyfile(SAMPLES / "contract-0000.png", doc)  # 甲方 广州星辰机械, 乙方 成都盛世物流
    return doc


def test_contract_of_another_customer_is_flagged_and_changes_nothing_unticked(
    qtbot: Any, ctx: AppContext, store: Store, deal_id: str, tmp_path: Path
) -> None:
    store.update("deal", deal_id, {"amount": "50000"})
    dialog = ContractDialog(ctx, deal_id, contract(tmp_path))
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.party_warning.isVisible() and "轻鹿家居" in dialog.party_warning.text()
    assert "⚠" in dialog.form.current["party_a"].text()
    assert dialog.form.current["amount"].text() == "¥50,000"
    assert dialog.form.edits["amount"].text()  # read by Tesseract, shown beside the deal's
    assert dialog.form.ticked() == []
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    deal = store.require("deal", deal_id)
    assert deal["amount"] == "50000.00" and deal.get("contract_no") is None
    assert "contract" in store.deals.attachment_kinds(deal_id)  # the file is kept all the same


def test_contract_of_the_deals_customer_fills_empty_fields_and_replaces_only_ticked(
    qtbot: Any, ctx: AppContext, store: Store, tmp_path: Path
) -> None:
    cid = store.create("customer", {"name": "广州星辰机械设备股份有限公司", "owner": "u-rep"})
    deal_id = store.create("deal", {"customer_id": cid, "title": "产线改造", "amount": "50000"})
    dialog = ContractDialog(ctx, deal_id, contract(tmp_path))
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.party_warning.isVisible()
    assert "✔" in dialog.form.current["party_a"].text()
    read = dialog.form.values()
    assert read["contract_no"] and read["amount"]
    ticks = dialog.form.ticks
    assert ticks["contract_no"].isChecked()  # empty on the deal: filled
    assert not ticks["amount"].isChecked()  # the deal has an amount: replaced only if ticked
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    deal = store.require("deal", deal_id)
    assert deal["contract_no"] == read["contract_no"] and deal["amount"] == "50000.00"

    again = ContractDialog(ctx, deal_id, contract(tmp_path))
    qtbot.addWidget(again)
    again.show()
    assert not again.form.ticks["contract_no"].isEnabled()  # the same value: nothing to change
    again.form.ticks["amount"].click()
    qtbot.mouseClick(again.apply_button, Qt.MouseButton.LeftButton)
    amount = float(str(read["amount"]).replace(",", ""))
    assert float(store.require("deal", deal_id)["amount"]) == amount
