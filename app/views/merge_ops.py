"""What the merge screen asks of the store (run on the store worker, like
:mod:`app.views.operations`): the records side by side, what would move, candidates to merge
with, and the merge itself through :mod:`app.store.merging`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.domain.schema import entity
from app.store import merging
from app.store.merging import MergePlan
from app.store.service import Store


@dataclass(frozen=True)
class MergeSetup:
    """Everything the merge screen draws: the plan, who may merge, and per record how many
    rows hang under it (they move to the survivor)."""

    plan: MergePlan
    allowed: bool
    under: dict[str, dict[str, int]]
    users: dict[str, str]


_UNDER = {
    "customer": (
        ("contacts", "customer_id"),
        ("deals", "customer_id"),
        ("followups", "customer_id"),
        ("attachments", "customer_id"),
        ("leads", "customer_id"),
    ),
    "contact": (("deals", "primary_contact_id"), ("attachments", "contact_id")),
}


def merge_setup(store: Store, kind: str, ids: list[str]) -> MergeSetup:
    """The records to merge (MergeRefused when they cannot be) and what hangs under each."""
    p = merging.plan(store, kind, ids)
    under: dict[str, dict[str, int]] = {}
    for row in p.records:
        counts = {}
        for table, column in _UNDER[kind]:
            counts[table] = merging.count_under(store, table, column, row["id"])
        under[row["id"]] = counts
    users = merging.user_labels(store)
    return MergeSetup(p, merging.may_merge(store), under, users)


def candidates(store: Store, kind: str, query: str, exclude: str) -> list[dict[str, Any]]:
    """Records of ``kind`` matching ``query`` (the instant search), to merge with ``exclude``;
    for contacts, only those of the same customer."""
    same_customer = None
    if kind == "contact":
        row = store.get("contact", exclude)
        same_customer = row["customer_id"] if row else None
    out: list[dict[str, Any]] = []
    if not query.strip():
        if same_customer is None:
            return out
        # A customer's contacts are few: all of them are offered before any typing.
        return [
            {
                "id": r["id"],
                "name": r["name"],
                "label": " · ".join(filter(None, [r["name"], r["title"]])),
            }
            for r in merging.other_contacts(store, same_customer, exclude)
        ]
    table = entity(kind).table
    for hit in store.search(query, limit=100):
        if hit.entity != kind or hit.record_id == exclude:
            continue
        if same_customer is not None and hit.customer_id != same_customer:
            continue
        name = merging.live_name(store, table, hit.record_id)
        if name is not None:
            out.append({"id": hit.record_id, "name": name, "label": hit.label})
    return out[:50]


def merge(store: Store, kind: str, survivor: str, others: list[str], pick: dict[str, str]) -> str:
    """Merge and queue it for the server (MergeRefused with the reason otherwise)."""
    return merging.merge(store, kind, survivor, others, pick)
