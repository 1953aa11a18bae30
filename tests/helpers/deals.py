"""Deals brought to a given point of the sales process through the store's own API."""

from __future__ import annotations

from pathlib import Path

from app.store.service import Store
from helpers.files import org_chart_file


def ready_for_negotiation(store: Store, deal_id: str, contact: str, tmp_path: Path) -> None:
    """Move a new deal to 方案 (proposal) with every lock for 谈判 met; the move itself needs
    the team lead's approval."""
    store.update("deal", deal_id, {"amount": "80000", "primary_contact_id": contact})
    store.deals.move(deal_id, "needs_diagnosis")
    store.update(
        "deal",
        deal_id,
        {
            "pain_points": [{"text": p, "confirmed": True} for p in ("a", "b", "c")],
            "decision_chain": dict.fromkeys(
                ("initiator", "influencer", "veto", "user", "payer"), contact
            ),
        },
    )
    cid = str(store.require("deal", deal_id)["customer_id"])
    store.files.attach(org_chart_file(tmp_path), "org_chart", customer_id=cid, deal_id=deal_id)
    store.deals.move(deal_id, "proposal")
    for kind in ("requirement_confirmation", "quote", "implementation_schedule"):
        f = tmp_path / f"{kind}.pdf"
        f.write_bytes(kind.encode())
        store.files.attach(f, kind, customer_id=cid, deal_id=deal_id)
