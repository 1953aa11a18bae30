"""A record's change history as every device recorded it (SPEC D5), for the History tabs.

Devices pull records, not audit entries: each device's store only holds the entries made on it.
The server keeps every device's entries as they were pushed, and its own chain for what it
changed itself (a stage move an approval made, for example). This module answers "who changed
what, when, from which value" for records the user may see.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, select

from server.db import audit, loads, records
from server.records import Directory, Viewer

MAX_IDS = 200
MAX_ENTRIES = 2000


def record_history(
    conn: Connection, viewer: Viewer, record_ids: Sequence[str]
) -> list[dict[str, Any]]:
    """Audit entries of the visible records among ``record_ids``, oldest first, one per field.

    Entries a device made come as that device wrote them; the server's own entries are added
    only for changes no device entry describes. Records the user may not see are left out
    exactly as unknown ones are.
    """
    ids = list(dict.fromkeys(record_ids))[:MAX_IDS]
    if not ids:
        return []
    directory = Directory.load(conn)
    visible = [
        r.id
        for r in conn.execute(
            select(records.c.id, records.c.scope_owner).where(records.c.id.in_(ids))
        )
        if directory.can_see(viewer, r.scope_owner)
    ]
    if not visible:
        return []
    visible += _merged_into(conn, visible)
    rows = list(
        conn.execute(
            select(audit)
            .where(and_(audit.c.record_id.in_(visible), audit.c.valid.is_(True)))
            .order_by(audit.c.id)
            .limit(MAX_ENTRIES)
        )
    )
    described = {r.op_id for r in rows if r.source == "device" and r.op_id}
    out: list[dict[str, Any]] = []
    for r in rows:
        base = {
            "entity": r.entity,
            "record_id": r.record_id,
            "actor": r.actor,
            "device": r.device,
            "at": r.at,
            "op_id": r.op_id,
        }
        if r.source == "device":
            out.append(
                {**base, "field": r.field, "old": loads(r.old), "new": loads(r.new), "hash": r.hash}
            )
        elif r.op_id is None or r.op_id not in described:
            out.extend(_server_entries(base, r.field, r.old, r.new, r.hash))
    return out


def _merged_into(conn: Connection, ids: list[str]) -> list[str]:
    """Records merged into these (along chains): their history is the survivor's too. A merge
    record moves with its survivor, so the survivors' customers hold every link of a chain."""
    owners = {
        r.customer_id or r.id
        for r in conn.execute(
            select(records.c.id, records.c.customer_id).where(records.c.id.in_(ids))
        )
    }
    links: dict[str, set[str]] = {}
    for r in conn.execute(
        select(records.c.data).where(
            and_(records.c.entity == "merge", records.c.customer_id.in_(sorted(owners)))
        )
    ):
        data = loads(r.data)
        links.setdefault(str(data.get("survivor_id")), set()).update(
            str(i) for i in data.get("merged_ids") or []
        )
    found: list[str] = []
    todo = list(ids)
    while todo:
        for merged in sorted(links.get(todo.pop(), ())):
            if merged not in found and merged not in ids:
                found.append(merged)
                todo.append(merged)
    return found


def _server_entries(
    base: dict[str, Any], name: str, old: str | None, new: str | None, digest: str | None
) -> list[dict[str, Any]]:
    """The server's chain keeps one entry per change (fields joined, values as objects)."""
    if name.startswith("*"):  # "*created" / "*deleted": the whole record at once
        field = "*" if name == "*created" else name
        return [{**base, "field": field, "old": None, "new": None, "hash": digest}]
    olds = loads(old) if old is not None else {}
    news = loads(new) if new is not None else {}
    olds = olds if isinstance(olds, dict) else {}
    news = news if isinstance(news, dict) else {}
    return [
        {**base, "field": f, "old": _text(olds.get(f)), "new": _text(news.get(f)), "hash": None}
        for f in name.split(",")
        if f and f not in ("updated_at", "stage_entered_at")
    ]


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
