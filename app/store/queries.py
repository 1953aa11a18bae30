"""Read-only queries for lists and boards; sorting and filtering happen in SQL (SPEC N1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

CUSTOMER_SORTS = {
    "name": "c.name_sort, c.id",
    "-name": "c.name_sort DESC, c.id DESC",
    "updated": "c.updated_at DESC, c.id",
    "last_followup": "coalesce(c.last_followup_at, '') DESC, c.id",
    "stale_first": "coalesce(c.last_followup_at, '') ASC, c.id",
}
LIST_COLUMNS = ("id", "name", "phone", "industry", "region", "owner", "last_followup_at")


@dataclass(frozen=True)
class CustomerFilter:
    """What the customer list shows; every part is optional."""

    owner: str | None = None
    stage: str | None = None
    # Only customers with no follow-up in this many days (or none at all).
    stale_days: int | None = None
    ids: tuple[str, ...] | None = None  # restrict to these (e.g. search hits)


def _where(f: CustomerFilter, now: datetime) -> tuple[str, list[Any]]:
    clauses, params = ["c._deleted = 0"], []
    if f.owner:
        clauses.append("c.owner = ?")
        params.append(f.owner)
    if f.stage:
        # IN (…) is computed once from the stage index; EXISTS would probe per customer.
        clauses.append(
            "c.id IN (SELECT d.customer_id FROM deals d WHERE d.stage = ? AND d._deleted = 0)"
        )
        params.append(f.stage)
    if f.stale_days is not None:
        cutoff = (now - timedelta(days=f.stale_days)).isoformat()
        clauses.append("(c.last_followup_at IS NULL OR c.last_followup_at < ?)")
        params.append(cutoff)
    if f.ids is not None:
        clauses.append(f"c.id IN ({', '.join('?' * len(f.ids))})")
        params.extend(f.ids)
    return " AND ".join(clauses), params


def count_customers(db: sqlite_utils.Database, f: CustomerFilter, now: datetime) -> int:
    where, params = _where(f, now)
    return int(db.execute(f"SELECT count(*) FROM customers c WHERE {where}", params).fetchone()[0])


def customer_page(
    db: sqlite_utils.Database,
    f: CustomerFilter,
    now: datetime,
    *,
    offset: int = 0,
    limit: int = 50,
    sort: str = "name",
) -> list[dict[str, Any]]:
    """One page of the customer list, sorted and filtered by the database."""
    where, params = _where(f, now)
    order = CUSTOMER_SORTS[sort]
    cursor = db.execute(
        f"SELECT {', '.join('c.' + c for c in LIST_COLUMNS)} FROM customers c WHERE {where} "
        f"ORDER BY {order} LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return [dict(zip(LIST_COLUMNS, row, strict=True)) for row in cursor]
