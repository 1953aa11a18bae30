"""Saving confirmed OCR results: card → contact (+ customer) + attachment; contract → deal."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.domain.process import advance_checklist
from app.paths import bundle_root
from app.store.capture import apply_contract, save_card
from app.store.errors import ValidationFailed
from app.store.service import Store

CARD = {
    "name": "李娜",
    "title": "采购经理",
    "company": "苏州恒信精工机械有限公司",
    "mobile": "139 5555 6666",
    "phone": "0512-6688 7799",
    "email": "lina@hengxin.cn",
    "website": "www.hengxin.cn",
    "address": "江苏省苏州市工业园区星湖街328号",
    "wechat": "lina_hx",
}


def image(tmp_path: Path) -> Path:
    path = tmp_path / "card.jpg"
    path.write_bytes(b"\xff\xd8 fake jpeg \xff\xd9")
    return path


def test_new_customer_contact_and_card(store: Store, tmp_path: Path) -> None:
    saved = save_card(store, CARD, image(tmp_path))
    assert saved.new_customer
    customer = store.require("customer", saved.customer_id)
    contact = store.require("contact", saved.contact_id)
    att = store.require("attachment", saved.attachment_id)
    assert (customer["name"], customer["phone"], customer["owner"]) == (
        "苏州恒信精工机械有限公司",
        "0512-66887799",
        "u-rep",
    )
    assert (contact["mobile"], contact["title"], contact["wechat"]) == (
        "13955556666",
        "采购经理",
        "lina_hx",
    )
    assert (att["kind"], att["contact_id"]) == ("business_card", saved.contact_id)
    assert store.files.path(att["sha256"]).exists()


def test_existing_customer(store: Store, tmp_path: Path, customer_id: str) -> None:
    saved = save_card(
        store, {**CARD, "company": "轻鹿家居"}, image(tmp_path), customer_id=customer_id
    )
    assert not saved.new_customer and saved.customer_id == customer_id
    assert store.require("customer", customer_id)["name"] == "轻鹿家居有限公司"  # untouched


def test_errors_are_named_by_card_field_and_nothing_is_saved(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed) as info:
        save_card(
            store, {**CARD, "mobile": "1395555", "email": "lina@", "company": ""}, image(tmp_path)
        )
    assert set(info.value.errors) == {"mobile", "email", "company"}
    assert store.connection().execute("SELECT count(*) FROM contacts").fetchone()[0] == 0
    assert store.journal.pending_count() == 0


def test_contract_fills_the_deal_and_meets_the_contract_lock(
    store: Store, tmp_path: Path, customer_id: str
) -> None:
    deal = store.create("deal", {"customer_id": customer_id, "title": "年度框架"})
    doc = tmp_path / "contract.pdf"
    doc.write_bytes(b"%PDF-1.4 contract")
    apply_contract(
        store,
        deal,
        {
            "contract_no": "HT-2026-0042",
            "amount": "123000.00",
            "signed_on": "2026-03-05",
            "expires_on": "2027-03-04",
            "party_a": "轻鹿家居有限公司",
        },
        doc,
    )
    row = store.require("deal", deal)
    assert (row["contract_no"], row["amount"], row["signed_on"], row["expires_on"]) == (
        "HT-2026-0042",
        "123000.00",
        "2026-03-05",
        "2027-03-04",
    )
    facts = store.deals.facts(deal)
    assert "contract" in facts.attachment_kinds
    signed_locks = store.rules.stage("signed").entry_locks
    contract_lock = next(lk for lk in signed_locks if lk.key == "contract")
    status = next(
        i
        for i in advance_checklist(
            type(facts)("negotiation", facts.fields, facts.attachment_kinds), store.rules
        ).items
        if i.lock == contract_lock
    )
    assert status.met


def test_sample_card_read_by_ocr_then_saved(store: Store, tmp_path: Path) -> None:
    """The whole path on a real image: Tesseract reads it, the user confirms, it is saved."""
    from app.ocr import read_card

    sample = bundle_root() / "resources" / "samples" / "card-clean-0000.png"
    result = read_card(sample)
    fields = {k: (v.value if v else None) for k, v in result.fields.items()}
    assert fields["mobile"]  # the sample's mobile is clearly printed
    # The user completes what OCR missed before saving (the form requires both).
    fields["name"] = fields["name"] or "Tony Li"
    fields["company"] = fields["company"] or "Wuhan Jinqiao Foods Co., Ltd."
    saved = save_card(store, fields, sample)
    assert store.require("contact", saved.contact_id)["mobile"] == fields["mobile"]
