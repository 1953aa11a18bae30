"""Turning a lead into a customer, its key contact and a deal, on the local copy (SPEC L3/C1).

The duplicate check comes first and is the caller's to show; conversion goes through the
store's normal write path, so every record is validated, audited and queued for sync.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.domain.messages import Msg
from app.store.duplicates import DuplicateHit, find_duplicates
from app.store.errors import ValidationFailed
from app.store.service import Store

ALREADY_CONVERTED = Msg("该线索已转化", "The lead was converted already")


@dataclass(frozen=True)
class Converted:
    customer_id: str
    contact_id: str
    deal_id: str


def lead_duplicates(store: Store, lead: dict[str, Any]) -> list[DuplicateHit]:
    """Existing customers or contacts the lead's company or person may already be."""
    return find_duplicates(
        store,
        company=lead.get("company") or lead["name"],
        mobile=lead.get("mobile"),
        email=lead.get("email"),
        person=lead["name"],
    )


def convert(store: Store, lead_id: str) -> Converted:
    """Create the customer, the lead's person as its key contact and a deal, all owned by the
    acting user, and link the lead (``customer_id``, status converted) — in one transaction."""
    lead = store.require("lead", lead_id)
    if lead.get("customer_id"):
        raise ValidationFailed({"customer_id": ALREADY_CONVERTED})
    company = lead.get("company") or lead["name"]
    owner = store.actor
    with store.transaction():
        customer_id = store.create(
            "customer", {"name": company, "owner": owner, "source": lead.get("channel")}
        )
        contact_id = store.create(
            "contact",
            {
                "customer_id": customer_id,
                "name": lead["name"],
                "title": lead.get("title"),
                "mobile": lead.get("mobile"),
                "email": lead.get("email"),
                "is_key": True,
            },
        )
        deal_id = store.create(
            "deal",
            {
                "customer_id": customer_id,
                "title": f"{company} 商机",
                "owner": owner,
                "primary_contact_id": contact_id,
            },
        )
        store.update("lead", lead_id, {"status": "converted", "customer_id": customer_id})
    return Converted(customer_id, contact_id, deal_id)
