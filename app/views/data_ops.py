"""What the duplicate and data-health screens ask of the store (SPEC C1, C3).

Like :mod:`app.views.operations`, every function runs on the store worker and takes the
:class:`Store` first; none touches a widget.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.domain.health import Brief
from app.domain.messages import Msg
from app.store.duplicates import DuplicateHit, describe, find_duplicates, local_book, scan
from app.store.health import local_brief


def record_duplicates(store: Any, entity: str, values: dict[str, Any]) -> list[DuplicateHit]:
    """Suspects for a customer or contact about to be created from ``values``."""
    if entity == "customer":
        return find_duplicates(
            store,
            company=values.get("name"),
            credit_code=values.get("credit_code"),
            company_phone=values.get("phone"),
            email=values.get("email"),
        )
    if entity == "contact":
        return find_duplicates(
            store,
            person=values.get("name"),
            mobile=values.get("mobile"),
            phone=values.get("phone"),
            email=values.get("email"),
            customer_id=values.get("customer_id"),
        )
    return []


@dataclass(frozen=True)
class GroupRow:
    """A suspect group as the lead's list shows it."""

    kind: str
    ids: tuple[str, ...]
    labels: tuple[str, ...]
    owners: tuple[str, ...]
    score: float
    reasons: tuple[Msg, ...]
    customer_ids: tuple[str, ...]


def duplicate_groups(store: Any, kind: str) -> list[GroupRow]:
    """Every suspect group of ``kind`` in the local copy (a lead's copy: the team's)."""
    book = local_book(store)
    users = store.directory.names_by_id()
    out = []
    for g in scan(store, kind):
        if kind == "customers":
            customers = g.ids
        else:
            customers = tuple(book.contact_rows.get(i, ("", ""))[1] for i in g.ids)
        owners = tuple(
            users.get(book.owners.get(c) or "", book.owners.get(c) or "") for c in customers
        )
        out.append(
            GroupRow(
                kind,
                g.ids,
                tuple(describe(store, kind, i) for i in g.ids),
                owners,
                g.score,
                g.reasons,
                customers,
            )
        )
    return out


def health_brief(store: Any) -> Brief:
    """The data-health brief of the local copy."""
    return local_brief(store)
