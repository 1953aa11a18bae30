"""Stage stagnation (SPEC P5) raised by the server, so a team lead hears about a stuck deal even
when its owner's app stays closed.

An open deal with no follow-up in its stage for ``stagnation_hours`` gets an alert for its owner,
in the customer's scope (the owner's team lead sees it too). The alert's id comes from the deal
and the moment it entered its stage (:func:`app.domain.process.stagnation_alert_id`), the same
id the owner's device gives it, so the two never make two alerts; the owner's device resolves
it when the deal moves on.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, func, select

from app.domain.messages import Msg
from app.domain.process import is_stagnant, stagnation_alert_id
from app.domain.rules import LOST
from server.admin import current_rules
from server.db import fields_of, records
from server.leads.common import DEVICE, SYSTEM
from server.records import Directory, Workspace


def run_stagnation(conn: Connection, now: float) -> int:
    """Raise the stagnation alerts due at ``now``; returns how many were raised."""
    rules = current_rules(conn)
    final = {rules.stage_keys[-1], LOST}
    deals = []
    for r in conn.execute(
        select(records.c.id, records.c.data, records.c.customer_id, records.c.scope_owner).where(
            records.c.entity == "deal", records.c.deleted.is_(False)
        )
    ):
        data = fields_of(r.data, r.id)
        if data is not None and data.get("stage") not in final and data.get("stage_entered_at"):
            deals.append((r, data))
    if not deals:
        return 0
    last: dict[str, float] = {}
    ids = [r.id for r, _ in deals]
    for i in range(0, len(ids), 500):
        for row in conn.execute(
            select(records.c.deal_id, func.max(records.c.created_at))
            .where(records.c.entity == "followup", records.c.deal_id.in_(ids[i : i + 500]))
            .group_by(records.c.deal_id)
        ):
            last[str(row[0])] = float(row[1])
    at = datetime.fromtimestamp(now, UTC)
    ws = Workspace(conn, now, Directory.load(conn))
    raised = 0
    for r, data in deals:
        entered_text = str(data["stage_entered_at"])
        try:
            entered = datetime.fromisoformat(entered_text)
        except ValueError:
            continue
        if entered.tzinfo is None:
            entered = entered.replace(tzinfo=UTC)
        followed = last.get(r.id)
        if not is_stagnant(
            entered,
            datetime.fromtimestamp(followed, UTC) if followed else None,
            at,
            rules,
        ):
            continue
        alert_id = stagnation_alert_id(r.id, entered_text)
        ws.load([alert_id])
        if ws.get(alert_id) is not None:
            continue
        label = rules.stage_label(str(data["stage"]))
        msg = Msg(
            "商机「{t}」在{s}阶段已超过{h}小时没有跟进",
            'Deal "{t}" has had no follow-up in {se} for over {h} hours',
        ).format(t=data.get("title"), s=label.zh, se=label.en, h=rules.stagnation_hours)
        ws.create(
            "alert",
            alert_id,
            {
                "kind": "stagnation",
                "customer_id": r.customer_id,
                "record_id": r.id,
                "owner": data.get("owner"),
                "message_zh": msg.zh,
                "message_en": msg.en,
                "created_at": ws.stamp,
            },
            customer_id=r.customer_id,
            scope_owner=r.scope_owner,
            actor=SYSTEM,
            device=DEVICE,
            op_id=None,
        )
        raised += 1
    ws.flush()
    return raised
