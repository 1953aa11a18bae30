"""Read-only queries for lists and boards; sorting and filtering happen in SQL (SPEC N1)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from app.domain.schema import ENTITIES

CUSTOMER_SORTS = {
    "name": "c.name_sort, c.id",
    "-name": "c.name_sort DESC, c.id DESC",
    "updated": "c.updated_at DESC, c.id",
    "last_followup": "coalesce(c.last_followup_at, '') DESC, c.id",
    "stale_first": "coalesce(c.last_followup_at, '') ASC, c.id",
    "industry": "coalesce(c.industry, '') = '', c.industry, c.name_sort, c.id",
    "-industry": "c.industry DESC, c.name_sort, c.id",
    "region": "coalesce(c.region, '') = '', c.region, c.name_sort, c.id",
    "-region": "c.region DESC, c.name_sort, c.id",
    "owner": "c.owner, c.name_sort, c.id",
    "-owner": "c.owner DESC, c.name_sort, c.id",
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


# ---- customer list: ids first, rows in batches (the view never holds 5 000 rows) -----------------
ROW_COLUMNS = (*LIST_COLUMNS, "owner_name")


def customer_ids(
    db: sqlite_utils.Database, f: CustomerFilter, now: datetime, *, sort: str = "name"
) -> list[str]:
    """Every id the list shows, in display order (filtered and sorted by the database)."""
    where, params = _where(f, now)
    cursor = db.execute(
        f"SELECT c.id FROM customers c WHERE {where} ORDER BY {CUSTOMER_SORTS[sort]}", params
    )
    return [r[0] for r in cursor]


def customer_rows(db: sqlite_utils.Database, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The list columns of some customers (one batch), keyed by id, with the owner's name."""
    if not ids:
        return {}
    cols = ", ".join("c." + c for c in LIST_COLUMNS)
    cursor = db.execute(
        f"SELECT {cols}, coalesce(u.display_name, u.name, c.owner) FROM customers c "
        f"LEFT JOIN users u ON u.id = c.owner WHERE c.id IN ({', '.join('?' * len(ids))})",
        list(ids),
    )
    return {row[0]: dict(zip(ROW_COLUMNS, row, strict=True)) for row in cursor}


def users(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """The user directory for owner pickers, by display name."""
    cursor = db.execute(
        "SELECT id, name, coalesce(display_name, name), role, team_id FROM users "
        "WHERE active = 1 ORDER BY coalesce(display_name, name)"
    )
    keys = ("id", "name", "display_name", "role", "team_id")
    return [dict(zip(keys, r, strict=True)) for r in cursor]


def user(db: sqlite_utils.Database, user_id: str) -> dict[str, Any] | None:
    """One user of the directory (display name falls back to the login name)."""
    return next((u for u in users(db) if u["id"] == user_id), None)


def department(db: sqlite_utils.Database, user_id: str) -> str:
    """The name of a user's team, which a follow-up records as its department (F3)."""
    row = db.execute(
        "SELECT t.name FROM users u JOIN teams t ON t.id = u.team_id WHERE u.id = ?", (user_id,)
    ).fetchone()
    return str(row[0]) if row and row[0] else ""


def _decode_json(row: dict[str, Any], *names: str) -> dict[str, Any]:
    for name in names:
        if isinstance(row.get(name), str):
            row[name] = json.loads(row[name])
    return row


# ---- one customer's page -------------------------------------------------------------------------
def customer_contacts(db: sqlite_utils.Database, customer_id: str) -> list[dict[str, Any]]:
    """A customer's contacts, key contacts first, then by name (pinyin)."""
    return list(
        db.query(
            "SELECT id, name, title, mobile, phone, email, wechat, is_key FROM contacts "
            "WHERE customer_id = ? AND _deleted = 0 ORDER BY is_key DESC, name_sort, id",
            (customer_id,),
        )
    )


def customer_deals(db: sqlite_utils.Database, customer_id: str) -> list[dict[str, Any]]:
    return list(
        db.query(
            "SELECT id, title, stage, amount, expected_close, owner FROM deals "
            "WHERE customer_id = ? AND _deleted = 0 ORDER BY created_at DESC, id",
            (customer_id,),
        )
    )


def timeline(
    db: sqlite_utils.Database,
    customer_id: str,
    *,
    deal_id: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Follow-ups of a customer (or of one deal), newest first, with the author's name."""
    clause, params = "f.customer_id = ?", [customer_id]
    if deal_id is not None:
        clause, params = "f.deal_id = ?", [deal_id]
    rows = db.query(
        f"""SELECT f.id, f.type, f.conclusion, f.next_action, f.due_on, f.priority,
                   f.competitor_comparison, f.created_at, f.deal_id,
                   coalesce(u.display_name, u.name, f.author) AS author_name
            FROM followups f LEFT JOIN users u ON u.id = f.author
            WHERE {clause} AND f._deleted = 0 ORDER BY f.created_at DESC, f.id LIMIT ?""",
        [*params, limit],
    )
    return list(rows)


def attachments(
    db: sqlite_utils.Database, *, customer_id: str | None = None, deal_id: str | None = None
) -> list[dict[str, Any]]:
    """Attachments of a customer (all its records) or of one deal, newest first."""
    clause, value = ("deal_id = ?", deal_id) if deal_id else ("customer_id = ?", customer_id)
    return list(
        db.query(
            f"SELECT id, sha256, kind, filename, size, mime, deal_id, created_at "
            f"FROM attachments WHERE {clause} AND _deleted = 0 ORDER BY created_at DESC, id",
            (value,),
        )
    )


def audit_rows(db: sqlite_utils.Database, record_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Audit entries of some records, newest first, with the author's name."""
    if not record_ids:
        return []
    marks = ", ".join("?" * len(record_ids))
    return list(
        db.query(
            f"""SELECT a.seq, a.entity, a.record_id, a.field, a.old, a.new, a.at, a.device,
                       a.actor, a.hash, coalesce(u.display_name, u.name, a.actor) AS actor_name
                FROM audit a LEFT JOIN users u ON u.id = a.actor
                WHERE a.record_id IN ({marks}) ORDER BY a.seq DESC LIMIT 500""",
            list(record_ids),
        )
    )


# ---- deals: board, table, header -----------------------------------------------------------------
DEAL_SORTS = {
    "amount": "coalesce(CAST(d.amount AS REAL), 0) DESC, d.id",
    "stage_age": "d.stage_entered_at ASC, d.id",
    "close": "coalesce(d.expected_close, '9999') ASC, d.id",
    "title": "d.title, d.id",
}


@dataclass(frozen=True)
class DealFilter:
    """Which deals a board or table shows: one owner (None = everyone visible) and a period
    on the expected close date (inclusive ISO dates, both optional)."""

    owner: str | None = None
    close_from: str | None = None
    close_to: str | None = None


def _deal_where(f: DealFilter) -> tuple[str, list[Any]]:
    clauses, params = ["d._deleted = 0"], []
    if f.owner:
        clauses.append("d.owner = ?")
        params.append(f.owner)
    if f.close_from:
        clauses.append("d.expected_close >= ?")
        params.append(f.close_from)
    if f.close_to:
        clauses.append("d.expected_close <= ?")
        params.append(f.close_to)
    return " AND ".join(clauses), params


_DEAL_CARD = """SELECT d.id, d.title, d.amount, d.stage, d.stage_entered_at, d.expected_close,
                       d.owner, c.name AS customer_name,
                       coalesce(u.display_name, u.name, d.owner) AS owner_name,
                       EXISTS (SELECT 1 FROM alerts a WHERE a.record_id = d.id
                               AND a.kind = 'stagnation' AND a.resolved_at IS NULL
                               AND a._deleted = 0) AS stalled,
                       EXISTS (SELECT 1 FROM approvals p WHERE p.deal_id = d.id
                               AND p.status = 'pending' AND p._deleted = 0) AS pending_approval
                FROM deals d LEFT JOIN customers c ON c.id = d.customer_id
                LEFT JOIN users u ON u.id = d.owner"""


def deal_cards(
    db: sqlite_utils.Database,
    f: DealFilter,
    *,
    stage: str | None = None,
    sort: str = "amount",
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Deals for a board column (one stage) or the deal table (every stage)."""
    where, params = _deal_where(f)
    if stage is not None:
        where += " AND d.stage = ?"
        params.append(stage)
    return list(
        db.query(
            f"{_DEAL_CARD} WHERE {where} ORDER BY {DEAL_SORTS[sort]} LIMIT ?", [*params, limit]
        )
    )


def stage_totals(db: sqlite_utils.Database, f: DealFilter) -> dict[str, tuple[int, float]]:
    """Per stage: how many deals and their summed amount (for the column headers)."""
    where, params = _deal_where(f)
    cursor = db.execute(
        f"SELECT d.stage, count(*), coalesce(sum(CAST(d.amount AS REAL)), 0) FROM deals d "
        f"WHERE {where} GROUP BY d.stage",
        params,
    )
    return {stage: (int(n), float(total)) for stage, n, total in cursor}


def deal_header(db: sqlite_utils.Database, deal_id: str) -> dict[str, Any] | None:
    """What the deal page's title shows: the deal's card plus its customer id."""
    row = db.execute(
        "SELECT d.customer_id, c.name, coalesce(u.display_name, u.name, d.owner) FROM deals d "
        "LEFT JOIN customers c ON c.id = d.customer_id LEFT JOIN users u ON u.id = d.owner "
        "WHERE d.id = ? AND d._deleted = 0",
        (deal_id,),
    ).fetchone()
    if row is None:
        return None
    return {"customer_id": row[0], "customer_name": row[1], "owner_name": row[2]}


# ---- inboxes -------------------------------------------------------------------------------------
def followups_due(
    db: sqlite_utils.Database,
    *,
    owner: str | None,
    until: str,
    today: str | None = None,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """Each customer's latest follow-up whose next action is due by ``until`` (ISO date),
    unless snoozed past ``today``; with the customer's owner, overdue first.

    Only the latest follow-up counts: a newer one replaces the older one's next action. The
    store keeps ``customers.last_followup_at`` equal to that follow-up's time, so the join is
    one index probe per customer.
    """
    clauses, params = ["c._deleted = 0", "f.due_on <= ?"], [until]
    if owner:
        clauses.append("c.owner = ?")
        params.append(owner)
    if today:
        clauses.append(
            "NOT EXISTS (SELECT 1 FROM followup_snoozes z WHERE z.followup_id = f.id "
            "AND z.until > ?)"
        )
        params.append(today)
    return list(
        db.query(
            f"""SELECT f.id, f.customer_id, c.name AS customer_name, f.deal_id, f.type,
                       f.next_action, f.due_on, f.priority, f.created_at, c.owner,
                       coalesce(u.display_name, u.name, c.owner) AS owner_name
                FROM customers c JOIN followups f ON f.customer_id = c.id
                     AND f.created_at = c.last_followup_at AND f._deleted = 0
                LEFT JOIN users u ON u.id = c.owner
                WHERE {" AND ".join(clauses)}
                GROUP BY c.id
                ORDER BY f.due_on, CASE f.priority WHEN 'high' THEN 0 WHEN 'medium' THEN 1
                         ELSE 2 END, c.name_sort
                LIMIT ?""",
            [*params, limit],
        )
    )


def approvals(
    db: sqlite_utils.Database, *, pending_only: bool = True, limit: int = 500
) -> list[dict[str, Any]]:
    """Approval requests with deal and customer names, pending ones first, oldest first."""
    where = "a._deleted = 0" + (" AND a.status = 'pending'" if pending_only else "")
    return list(
        db.query(
            f"""SELECT a.id, a.deal_id, a.customer_id, a.from_stage, a.to_stage, a.status,
                       a.reason, a.requested_at, a.requested_by, a.decided_at, a.comment,
                       d.title AS deal_title, d.amount, c.name AS customer_name,
                       coalesce(u.display_name, u.name, a.requested_by) AS requested_by_name,
                       coalesce(v.display_name, v.name, a.decided_by) AS decided_by_name
                FROM approvals a LEFT JOIN deals d ON d.id = a.deal_id
                LEFT JOIN customers c ON c.id = a.customer_id
                LEFT JOIN users u ON u.id = a.requested_by
                LEFT JOIN users v ON v.id = a.decided_by
                WHERE {where}
                ORDER BY a.status != 'pending', a.requested_at, a.id LIMIT ?""",
            (limit,),
        )
    )


def open_alerts(
    db: sqlite_utils.Database, *, owner: str | None = None, limit: int = 500
) -> list[dict[str, Any]]:
    """Unresolved alerts, newest first; verdicts on approval requests lead (they need an answer)."""
    clauses, params = ["a._deleted = 0", "a.resolved_at IS NULL"], []
    if owner:
        clauses.append("a.owner = ?")
        params.append(owner)
    return list(
        db.query(
            f"""SELECT a.id, a.kind, a.customer_id, a.record_id, a.message_zh, a.message_en,
                       a.created_at, c.name AS customer_name,
                       coalesce(u.display_name, u.name, a.owner) AS owner_name
                FROM alerts a LEFT JOIN customers c ON c.id = a.customer_id
                LEFT JOIN users u ON u.id = a.owner
                WHERE {" AND ".join(clauses)}
                ORDER BY a.kind = 'approval' DESC, a.created_at DESC, a.id LIMIT ?""",
            [*params, limit],
        )
    )


LEAD_SORTS = {
    "due": "coalesce(l.response_due, '9999') ASC, l.id",
    "score": "coalesce(l.score, 0) DESC, l.id",
    "created": "l.created_at DESC, l.id",
}


def leads(
    db: sqlite_utils.Database, *, owner: str | None = None, sort: str = "due", limit: int = 500
) -> list[dict[str, Any]]:
    """Open leads (not converted or discarded) with the owner's name."""
    clauses, params = (
        ["l._deleted = 0", "coalesce(l.status, 'new') NOT IN (?, ?)"],
        [
            "converted",
            "discarded",
        ],
    )
    if owner:
        clauses.append("l.owner = ?")
        params.append(owner)
    return list(
        db.query(
            f"""SELECT l.id, l.name, l.company, l.mobile, l.channel, l.score, l.status,
                       l.response_due, l.created_at, l.customer_id, l.owner,
                       coalesce(u.display_name, u.name, l.owner) AS owner_name,
                       EXISTS (SELECT 1 FROM lead_actions a
                               WHERE a.lead_id = l.id AND a.state = 'pending') AS pending
                FROM leads l LEFT JOIN users u ON u.id = l.owner
                WHERE {" AND ".join(clauses)} ORDER BY {LEAD_SORTS[sort]} LIMIT ?""",
            [*params, limit],
        )
    )


# ---- conflicts -----------------------------------------------------------------------------------
_LABEL_SQL = {
    "customer": "SELECT name FROM customers WHERE id = ?",
    "contact": "SELECT name FROM contacts WHERE id = ?",
    "deal": "SELECT title FROM deals WHERE id = ?",
    "lead": "SELECT name FROM leads WHERE id = ?",
}


def open_conflicts(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Open conflicts, newest first, with both values decoded, the record's name and the
    other author's name."""
    rows = list(
        db.query(
            """SELECT k.id, k.entity, k.record_id, k.field, k.current_value, k.other_value,
                      k.other_at, k.created_at, k.lost_here,
                      coalesce(u.display_name, u.name, k.other_author) AS other_author_name
               FROM conflicts k LEFT JOIN users u ON u.id = k.other_author
               WHERE k.status = 'open' ORDER BY k.created_at DESC, k.id"""
        )
    )
    for row in rows:
        _decode_json(row, "current_value", "other_value")
        sql = _LABEL_SQL.get(row["entity"])
        found = db.execute(sql, (row["record_id"],)).fetchone() if sql else None
        row["record_label"] = found[0] if found else row["record_id"]
        row["current_author_name"] = _kept_by(db, row)
    return rows


def _kept_by(db: sqlite_utils.Database, row: dict[str, Any]) -> str | None:
    """Who wrote the value in force, when this device knows: its own last edit of the field
    if that edit wrote this value (other devices' edits reach it as values, not authors)."""
    kept = row["current_value"]
    text = (
        None
        if kept is None
        else json.dumps(kept, ensure_ascii=False, sort_keys=True)
        if isinstance(kept, (dict, list))
        else str(kept)
    )
    found = db.execute(
        "SELECT a.new, coalesce(u.display_name, u.name, a.actor) FROM audit a "
        "LEFT JOIN users u ON u.id = a.actor WHERE a.record_id = ? AND a.field = ? "
        "ORDER BY a.seq DESC LIMIT 1",
        (row["record_id"], str(row["field"]).partition(".")[0]),
    ).fetchone()
    if found is None or row["field"] != str(row["field"]).partition(".")[0]:
        return None
    return str(found[1]) if found[0] == text else None


def deal_decisions(db: sqlite_utils.Database, deal_id: str) -> list[dict[str, Any]]:
    """A deal's decided approval requests, newest decision first, with the decider's name
    (decisions stamped in the same instant: the later request, then the later stored)."""
    return list(
        db.query(
            """SELECT a.id, a.from_stage, a.to_stage, a.status, a.reason, a.comment,
                      a.requested_by, a.decided_at,
                      coalesce(v.display_name, v.name, a.decided_by) AS decided_by_name
               FROM approvals a LEFT JOIN users v ON v.id = a.decided_by
               WHERE a.deal_id = ? AND a.status IN ('approved', 'rejected') AND a._deleted = 0
               ORDER BY a.decided_at DESC, a.requested_at DESC, a.rowid DESC""",
            (deal_id,),
        )
    )


def open_conflict_count(db: sqlite_utils.Database, record_id: str) -> int:
    """Open conflicts on one record (its page shows a marker)."""
    row = db.execute(
        "SELECT count(*) FROM conflicts WHERE record_id = ? AND status = 'open'", (record_id,)
    ).fetchone()
    return int(row[0])


def inbox_counts(
    db: sqlite_utils.Database,
    *,
    owner: str | None,
    due_until: str,
    approver: str | None = None,
    may_approve: bool = True,
    today: str | None = None,
) -> dict[str, int]:
    """Badges for the navigation: approvals waiting for this user's decision (none for a
    rep; a lead's own requests are not their to-do), open alerts, open conflicts and
    customers whose next action is due by ``due_until``."""
    owner_clause, params = ("AND c.owner = ?", [owner]) if owner else ("", [])
    snoozed = ""
    if today:
        snoozed = (
            "AND NOT EXISTS (SELECT 1 FROM followup_snoozes z WHERE z.followup_id = f.id "
            "AND z.until > ?)"
        )
        params.append(today)
    due = db.execute(
        f"""SELECT count(DISTINCT c.id) FROM customers c JOIN followups f
                ON f.customer_id = c.id AND f.created_at = c.last_followup_at AND f._deleted = 0
            WHERE c._deleted = 0 AND f.due_on <= ? {owner_clause} {snoozed}""",
        [due_until, *params],
    ).fetchone()[0]
    waiting = 0
    if may_approve:
        waiting = db.execute(
            "SELECT count(*) FROM approvals WHERE status = 'pending' AND _deleted = 0 "
            "AND coalesce(requested_by, '') != ?",
            (approver or "",),
        ).fetchone()[0]
    return {
        "approvals": int(waiting),
        "alerts": db.execute(
            "SELECT count(*) FROM alerts WHERE resolved_at IS NULL AND _deleted = 0"
        ).fetchone()[0],
        "conflicts": db.execute("SELECT count(*) FROM conflicts WHERE status = 'open'").fetchone()[
            0
        ],
        "due": int(due),
    }


# ---- counts and lists for the command line, leads and screenshots --------------------------------
def record_count(db: sqlite_utils.Database, table: str, *, include_deleted: bool = False) -> int:
    """Records of one of the entity tables (visible ones unless ``include_deleted``)."""
    if table not in {e.table for e in ENTITIES.values()}:
        raise ValueError(table)
    where = "" if include_deleted else " WHERE _deleted = 0"
    return int(db.execute(f"SELECT count(*) FROM {table}{where}").fetchone()[0])


def pending_lead_actions(db: sqlite_utils.Database, lead_id: str) -> int:
    """Actions on a lead this device has queued and the server has not answered yet."""
    row = db.execute(
        "SELECT count(*) FROM lead_actions WHERE lead_id = ? AND state = 'pending'", [lead_id]
    ).fetchone()
    return int(row[0])


def owned_deals(db: sqlite_utils.Database, owner: str) -> list[dict[str, Any]]:
    """A user's deals (id, stage, customer), biggest first."""
    return list(
        db.query(
            "SELECT d.id, d.stage, d.customer_id FROM deals d WHERE d.owner = ? "
            "ORDER BY d.amount DESC",
            (owner,),
        )
    )
