"""The shared pool 公海 (SPEC L5).

A lead still unaccepted when its reclaim window ends, and a customer with no follow-up for
``customer_idle_days``, return to their team's pool: they lose their owner, and the former
owner's devices drop them at the next sync (after pushing pending edits, as for any
reassignment). Reps of the team list the pool and claim; the first claim wins — the entry's
row is locked, so of two claims at once exactly one finds it unclaimed — and the loser is told
who won, in the answer and by an alert on their next sync. A rep may win at most
``claims_per_day`` claims in any 24 hours.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.domain.messages import Msg
from server.admin import reassign_customer
from server.db import fields_of, is_postgres, lead_state, pool_claims, pool_entries, records, users
from server.leads.common import SYSTEM, lead_rules, raise_alert, stamp, user_names
from server.leads.response import Refused, settle_from_record
from server.records import Directory, Rec, Viewer, Workspace


def _enter_pool(
    conn: Connection, rec: Rec, team_id: str | None, reason: str, former: str | None, now: float
) -> None:
    values = {
        "entity": rec.entity,
        "team_id": team_id,
        "reason": reason,
        "former_owner": former,
        "pooled_at": now,
        "claimed_by": None,
        "claimed_at": None,
    }
    dialect: Any = postgresql if is_postgres(conn) else sqlite
    conn.execute(
        dialect.insert(pool_entries)
        .values(record_id=rec.id, **values)
        .on_conflict_do_update(index_elements=["record_id"], set_=values)
    )


def run_reclaim(conn: Connection, now: float) -> int:
    """Send leads not accepted within their reclaim window to the pool; returns how many."""
    q = (
        select(lead_state)
        .where(lead_state.c.status == "assigned", lead_state.c.reclaim_due <= now)
        .order_by(lead_state.c.lead_id)
        .limit(1000)
        .with_for_update(skip_locked=is_postgres(conn))
    )
    due = list(conn.execute(q))
    if not due:
        return 0
    ws = Workspace(conn, now, Directory.load(conn))
    ws.load([r.lead_id for r in due])
    moved = 0
    for row in due:
        rec = ws.get(row.lead_id)
        if rec is None or rec.deleted or settle_from_record(conn, row, rec):
            continue
        moved += 1
        ws.change(
            rec,
            {"owner": None, "status": "pooled", "updated_at": ws.stamp},
            actor=SYSTEM,
            device="server",
            op_id=None,
        )
        ws.rescope(rec, None)
        conn.execute(
            update(lead_state)
            .where(lead_state.c.lead_id == row.lead_id)
            .values(status="pooled", owner_id=None, pooled_at=now)
        )
        _enter_pool(conn, rec, row.team_id, "not_accepted", row.owner_id, now)
    ws.flush()
    return moved


def run_customer_pool(conn: Connection, now: float) -> int:
    """Send customers with no follow-up for ``customer_idle_days`` to their team's pool."""
    rules = lead_rules(conn)
    limit = now - rules.customer_idle_days * 86400.0
    # Any follow-up changes the customer (last_followup_at), so the row's own update time is a
    # cheap first filter; the customer's dates decide.
    candidates = [
        r.id
        for r in conn.execute(
            select(records.c.id).where(
                records.c.entity == "customer",
                records.c.deleted.is_(False),
                records.c.scope_owner.is_not(None),
                records.c.updated_at <= limit,
            )
        )
    ]
    if not candidates:
        return 0
    ws = Workspace(conn, now, Directory.load(conn))
    ws.load(candidates)
    stamp_limit = stamp(limit) or ""
    moved = 0
    for cid in candidates:
        rec = ws.get(cid)
        if rec is None or rec.deleted or rec.scope_owner is None:
            continue
        last = rec.data.get("last_followup_at") or rec.data.get("created_at") or ""
        if str(last)[:19] > stamp_limit[:19]:
            continue
        former = rec.scope_owner
        team_id = ws.directory.team_of(former)
        children = ws.load_where(records.c.customer_id == rec.id, records.c.id != rec.id)
        ws.change(
            rec,
            {"owner": None, "updated_at": ws.stamp},
            actor=SYSTEM,
            device="server",
            op_id=None,
        )
        ws.rescope(rec, None)
        for child in children:
            if child.entity == "deal" and child.data.get("owner") == former:
                ws.change(child, {"owner": None}, actor=SYSTEM, device="server", op_id=None)
            ws.rescope(child, None)
            ws.touch(child)
        _enter_pool(conn, rec, team_id, "idle", former, now)
        moved += 1
    ws.flush()
    return moved


def list_pool(conn: Connection, viewer: Viewer) -> list[dict[str, Any]]:
    """Unclaimed pool entries of the viewer's team (every team for an admin), oldest first."""
    q = select(pool_entries, records.c.data).join(records, records.c.id == pool_entries.c.record_id)
    q = q.where(pool_entries.c.claimed_by.is_(None)).order_by(pool_entries.c.pooled_at)
    if viewer.role != "admin":
        q = q.where(pool_entries.c.team_id == viewer.team_id)
    out = []
    rows = list(conn.execute(q))
    names = user_names(conn, [r.former_owner for r in rows])
    for r in rows:
        data = fields_of(r.data, r.record_id)
        if data is None:
            continue
        out.append(
            {
                "id": r.record_id,
                "entity": r.entity,
                "name": data.get("name"),
                "company": data.get("company"),
                "score": data.get("score"),
                "external_id": data.get("external_id"),
                "reason": r.reason,
                "former_owner": names.get(r.former_owner or "", (None,))[0],
                "pooled_at": stamp(r.pooled_at),
            }
        )
    return out


def claim(conn: Connection, viewer: Viewer, record_id: str, now: float) -> dict[str, Any]:
    """Claim a pool entry for the viewer: first claim wins (see the module docstring).

    The answer's ``outcome`` is ``won``, or ``lost`` with the winner's name; refusals (not in
    the viewer's pool, daily limit) raise :class:`Refused`."""
    if viewer.role not in ("rep", "lead"):
        raise Refused(
            403, "forbidden_role", Msg("只有销售可以认领", "Only sales people can claim"), {}
        )
    entry = conn.execute(
        select(pool_entries).where(pool_entries.c.record_id == record_id).with_for_update()
    ).first()
    if entry is None or (viewer.team_id is None or entry.team_id != viewer.team_id):
        raise Refused(404, "not_found", Msg("公海中没有该记录", "No such entry in your pool"), {})
    if entry.claimed_by is not None:
        winner = user_names(conn, [entry.claimed_by]).get(entry.claimed_by, ("?", "?"))
        conn.execute(
            pool_claims.insert().values(
                record_id=record_id, user_id=viewer.id, claimed_at=now, won=False
            )
        )
        if entry.claimed_by != viewer.id:
            ws = Workspace(conn, now, Directory.load(conn))
            raise_alert(
                ws,
                kind="pool_claim_lost",
                owner=viewer.id,
                record_id=record_id,
                key=f"{record_id}:{entry.pooled_at}",
                message=Msg(f"公海记录已被 {winner[1]} 先认领", f"{winner[1]} claimed it first"),
            )
            ws.flush()
        # Not an exception: the losing claim and its alert are kept.
        return {
            "id": record_id,
            "outcome": "lost",
            "code": "claimed",
            "message": Msg(f"已被 {winner[1]} 认领", f"Already claimed by {winner[1]}").as_dict(),
            "winner": winner[0],
            "winner_display": winner[1],
            "claimed_at": stamp(entry.claimed_at),
        }
    rules = lead_rules(conn)
    won_today = conn.execute(
        select(func.count())
        .select_from(pool_claims)
        .where(
            and_(
                pool_claims.c.user_id == viewer.id,
                pool_claims.c.won.is_(True),
                pool_claims.c.claimed_at > now - 86400.0,
            )
        )
    ).scalar_one()
    if won_today >= rules.claims_per_day:
        raise Refused(
            429,
            "claim_limit",
            Msg(
                f"24 小时内最多认领 {rules.claims_per_day} 条",
                f"At most {rules.claims_per_day} claims in 24 hours",
            ),
            {"limit": rules.claims_per_day},
        )
    active = conn.execute(select(users.c.active).where(users.c.id == viewer.id)).scalar_one()
    if not active:
        raise Refused(403, "disabled", Msg("账号已停用", "The account is disabled"), {})
    ws = Workspace(conn, now, Directory.load(conn))
    ws.load([record_id])
    rec = ws.get(record_id)
    if rec is None or rec.deleted:
        raise Refused(404, "not_found", Msg("公海中没有该记录", "No such entry in your pool"), {})
    if rec.entity == "customer":
        reassign_customer(ws, rec, viewer.id, actor=viewer.id, device="server", op_id=None)
    else:
        ws.change(
            rec,
            {
                "owner": viewer.id,
                "status": "accepted",
                "assigned_at": ws.stamp,
                "accepted_at": ws.stamp,
                "response_due": None,
                "updated_at": ws.stamp,
            },
            actor=viewer.id,
            device="server",
            op_id=None,
        )
        ws.rescope(rec, viewer.id)
        conn.execute(
            update(lead_state)
            .where(lead_state.c.lead_id == record_id)
            .values(
                status="accepted",
                owner_id=viewer.id,
                assigned_at=now,
                acted_at=now,
                response_due=None,
                reclaim_due=None,
                outcome=None,
                escalated_at=None,
            )
        )
    conn.execute(
        update(pool_entries)
        .where(pool_entries.c.record_id == record_id)
        .values(claimed_by=viewer.id, claimed_at=now)
    )
    conn.execute(
        pool_claims.insert().values(
            record_id=record_id, user_id=viewer.id, claimed_at=now, won=True
        )
    )
    ws.flush()
    return {
        "id": record_id,
        "outcome": "won",
        "entity": rec.entity,
        "owner": viewer.name,
        "claimed_at": stamp(now),
    }
