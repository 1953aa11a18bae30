"""Lead actions that need the server's word: accepting a lead, the team pool and claims.

Accepting works offline: the action is queued with the moment the rep acted, shown at once on
the local lead, and sent — with the moment it is sent, so the server can correct this device's
clock — by the next sync before anything else (see docs/SYNC.md, "Lead acceptance"). The
server's verdict (kept, or refused because the lead went to the pool) comes back on the lead
by pull. Claims decide between reps, so they need the network; a claim that lost says who won.
"""

from __future__ import annotations

import json
from typing import Any

from app.store.service import Store, utc_now
from app.sync.errors import Offline, Refused, ServerTrouble
from app.sync.http import ApiClient

ACTIONS = ("accepted", "contacted")


def queue_action(store: Store, lead_id: str, action: str) -> None:
    """Remember that the rep accepted (or contacted) a lead now, and show it on the lead."""
    db = store.connection()
    if action not in ACTIONS:
        raise ValueError(action)
    now = utc_now().isoformat(timespec="seconds")
    with db.atomic():
        db.execute(
            "INSERT INTO lead_actions (lead_id, action, acted_at, state) "
            "VALUES (?, ?, ?, 'pending')",
            (lead_id, action, now),
        )
        # Shown at once; the server's version replaces it at the next pull. A lead converted
        # here keeps saying so (the first contact is often logged right after converting).
        db.execute(
            "UPDATE leads SET status = CASE WHEN status = 'converted' THEN status ELSE ? END, "
            "accepted_at = coalesce(accepted_at, ?) WHERE id = ?",
            (action, now, lead_id),
        )


def pending_actions(store: Store) -> list[dict[str, Any]]:
    return list(
        store.connection().query(
            "SELECT id, lead_id, action, acted_at FROM lead_actions "
            "WHERE state = 'pending' ORDER BY id"
        )
    )


def send_actions(api: ApiClient, store: Store) -> tuple[int, list[dict[str, Any]]]:
    """Send queued actions oldest first; returns (sent, refusals). Offline or server trouble
    stops the run and keeps the rest queued."""
    sent, refused = 0, []
    for item in pending_actions(store):
        body = {
            "action": item["action"],
            "acted_at": item["acted_at"],
            "sent_at": utc_now().isoformat(timespec="seconds"),
        }
        try:
            r = api.request("POST", f"/api/v1/leads/{item['lead_id']}/accept", json=body)
            state, result = "done", r.json()
            sent += 1
        except Refused as exc:
            state = "refused"
            result = {"code": exc.code, "message": exc.message.as_dict()}
            refused.append({"lead_id": item["lead_id"], **result})
        except (Offline, ServerTrouble):
            break
        store.connection().execute(
            "UPDATE lead_actions SET state = ?, result = ? WHERE id = ?",
            (state, json.dumps(result, ensure_ascii=False), item["id"]),
        )
    return sent, refused


def pool(api: ApiClient) -> list[dict[str, Any]]:
    """The team pool as the server has it now."""
    return list(api.request("GET", "/api/v1/pool").json())


def claim(api: ApiClient, record_id: str) -> dict[str, Any]:
    """Claim a pool entry: ``outcome`` ``won``, or ``lost`` with the server's message (it names
    the winner)."""
    try:
        return dict(api.request("POST", f"/api/v1/pool/{record_id}/claim").json())
    except Refused as exc:
        if exc.code != "claimed":
            raise
        return {"id": record_id, "outcome": "lost", "message": exc.message.as_dict()}
