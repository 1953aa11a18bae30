"""Forecast snapshots from the server (SPEC T4): a team lead's device keeps a copy of the
snapshots the server took at each period's end, so the cockpit shows each rep's accuracy
offline. Fetched whole with each sync (a few rows per rep and period) and replaced in one
transaction; a server without the route leaves the copy as it was."""

from __future__ import annotations

import json
import math
from typing import Any

from app.store.service import Store
from app.sync.errors import Refused, ServerTrouble
from app.sync.http import ApiClient

KINDS = ("opening", "closing")


def _valid(s: Any) -> bool:
    if not isinstance(s, dict) or s.get("kind") not in KINDS:
        return False
    if not all(isinstance(s.get(k), str) for k in ("id", "rep_id", "period", "taken_at")):
        return False
    figures = s.get("figures")
    return isinstance(figures, dict) and all(
        isinstance(figures.get(k), int | float)
        and not isinstance(figures[k], bool)
        and math.isfinite(figures[k])
        for k in ("commit", "weighted", "best_case", "won")
    )


def pull_snapshots(api: ApiClient, store: Store) -> int:
    """Replace the local snapshots with the server's; returns how many are kept."""
    try:
        body = api.request("GET", "/api/v1/reports/snapshots").json()
    except (Refused, ServerTrouble):  # an older server, or one busy now: keep the copy
        return -1
    items = [s for s in body.get("snapshots", []) if _valid(s)] if isinstance(body, dict) else []
    keep_snapshots(store, items)
    return len(items)


def keep_snapshots(store: Store, items: list[dict[str, Any]]) -> None:
    """Replace the local snapshots by ``items`` (already checked), in one transaction."""
    with store.connection().atomic():
        store.connection().execute("DELETE FROM forecast_snapshots")
        store.connection().conn.executemany(
            "INSERT OR REPLACE INTO forecast_snapshots "
            "(id, team_id, rep_id, period, kind, taken_at, figures) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    s["id"],
                    s.get("team_id"),
                    s["rep_id"],
                    s["period"],
                    s["kind"],
                    s["taken_at"],
                    json.dumps(s["figures"]),
                )
                for s in items
            ],
        )
