"""Saving what OCR read, once the user has confirmed it (SPEC O1, O2).

Each save is one transaction: a business card becomes a contact (and a customer, if new) with
the card image as a ``business_card`` attachment; a contract is attached to its deal and fills
the deal's contract number, amount and dates, which satisfies the Signed stage's contract lock.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.domain.messages import Msg
from app.domain.schema import validate_values
from app.store.errors import ValidationFailed
from app.store.service import Store

# card field → (customer field, contact field)
CARD_FIELDS: dict[str, tuple[str | None, str | None]] = {
    "company": ("name", None),
    "name": (None, "name"),
    "title": (None, "title"),
    "mobile": (None, "mobile"),
    "phone": ("phone", "phone"),
    "email": (None, "email"),
    "website": ("website", None),
    "address": ("address", None),
    "wechat": (None, "wechat"),
}


@dataclass(frozen=True)
class CardSaved:
    customer_id: str
    contact_id: str
    attachment_id: str
    new_customer: bool


def _present(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v not in (None, "")}


def save_card(
    store: Store,
    fields: Mapping[str, str | None],
    image: Path,
    *,
    customer_id: str | None = None,
) -> CardSaved:
    """Create the contact (and the customer when ``customer_id`` is None) from card fields.

    Errors are reported under the card's field names, so the form can show each one in place.
    """
    values = _present(fields)
    customer = {c: values[k] for k, (c, _) in CARD_FIELDS.items() if c and k in values}
    contact = {p: values[k] for k, (_, p) in CARD_FIELDS.items() if p and k in values}
    errors: dict[str, Msg] = {}
    if customer_id is None:
        customer["owner"] = store.actor
        clean_customer, customer_errors = validate_values("customer", customer)
        errors |= {_card_name(f, 0): m for f, m in customer_errors.items()}
    else:
        store.require("customer", customer_id)
        clean_customer = {}
    clean_contact, contact_errors = validate_values(
        "contact", {**contact, "customer_id": customer_id or "pending"}
    )
    errors |= {_card_name(f, 1): m for f, m in contact_errors.items() if f != "customer_id"}
    if errors:
        raise ValidationFailed(errors)
    with store.transaction():
        new_customer = customer_id is None
        if customer_id is None:
            customer_id = store.create_checked("customer", clean_customer, None)
        clean_contact["customer_id"] = customer_id
        contact_id = store.create_checked("contact", clean_contact, None)
        attachment_id = store.files.attach(
            image, "business_card", customer_id=customer_id, contact_id=contact_id
        )
    return CardSaved(customer_id, contact_id, attachment_id, new_customer)


def _card_name(field_name: str, side: int) -> str:
    for card, pair in CARD_FIELDS.items():
        if pair[side] == field_name:
            return card
    return field_name


CONTRACT_DEAL_FIELDS = ("contract_no", "amount", "signed_on", "expires_on")


def apply_contract(
    store: Store,
    deal_id: str,
    fields: Mapping[str, str | None],
    document: Path,
    *,
    only: Collection[str] | None = None,
) -> str:
    """Attach a confirmed contract to its deal and fill the deal's contract fields (only the
    ones in ``only`` when given: the user ticks what may change)."""
    deal = store.require("deal", deal_id)
    values = _present(fields)
    changes = {k: values.get(k) for k in CONTRACT_DEAL_FIELDS if only is None or k in only}
    changes = {k: v for k, v in changes.items() if v is not None}
    _, errors = validate_values("deal", changes, partial=True)
    if errors:
        raise ValidationFailed(errors)
    with store.transaction():
        attachment_id = store.files.attach(
            document, "contract", customer_id=str(deal["customer_id"]), deal_id=deal_id
        )
        if changes:
            store.update("deal", deal_id, changes)
    return attachment_id
