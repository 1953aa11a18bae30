"""The merges the server applied (SPEC C2), for administrators: who merged which records into
which, when, and which values the merge discarded."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from app.domain.merges import MERGE_ENTITY
from server.db import loads, read_tx, records, users
from server.leads.common import team_id_of


def list_merges(engine: Engine, team: str | None = None) -> list[dict[str, Any]]:
    """Every merge, newest first; ``team`` (name or id) keeps those in that team's scope.
    Raises LookupError for an unknown team."""
    with read_tx(engine) as conn:
        team_id = None
        if team is not None:
            team_id = team_id_of(conn, team)
            if team_id is None:
                raise LookupError(team)
        people = {
            r.id: (r.name, r.team_id)
            for r in conn.execute(select(users.c.id, users.c.name, users.c.team_id))
        }
        out = []
        for r in conn.execute(
            select(records.c.id, records.c.scope_owner, records.c.data).where(
                records.c.entity == MERGE_ENTITY
            )
        ):
            owner = people.get(r.scope_owner or "", (None, None))
            if team_id is not None and owner[1] != team_id:
                continue
            data = loads(r.data)
            by = people.get(str(data.get("merged_by")), (None, None))[0]
            out.append(
                {
                    "id": r.id,
                    "kind": data.get("kind"),
                    "survivor_id": data.get("survivor_id"),
                    "merged_ids": data.get("merged_ids") or [],
                    "merged_by": by or data.get("merged_by"),
                    "created_at": data.get("created_at"),
                    "changed": data.get("changed") or [],
                    "discarded": data.get("discarded") or {},
                    "moved": len(data.get("moved") or []),
                    "owner": owner[0],
                }
            )
    out.sort(key=lambda m: (str(m["created_at"]), m["id"]), reverse=True)
    return out
