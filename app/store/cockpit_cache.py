"""The cockpit's reports kept beside the data they were computed from.

Reading a whole team's deals and computing a report takes seconds on a lead's laptop. A report
computed once (at the end of a sync, or the first time it is shown) is kept in the store with a
signature of everything it was computed from; while the signature still matches, the cockpit
shows the kept copy at once. Any change (a pulled page moves the cursor, a local edit adds an
audit entry, new rules or snapshots, the team's users) gives another signature, and the
reports are computed again.

Only what depends on the data alone is kept: the forecast of a period, the heatmap, and the
pipeline of a period without its stalled deals (which depend on the moment it is shown) but
with what they are computed from (``app.domain.reports.pipeline_parts``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from app.domain.bulk import without_cycle_collector
from app.store.service import Store

_KEY = "cockpit_cache"
# The open deals' last touch, shared by the pipelines of every period a sync keeps.
_IDLE = "pipeline-idle"


def data_version(store: Store) -> str:
    """A signature of what the cockpit's reports are computed from.

    Cheap (no table is read through): every change reaches the store either by sync, which
    moves the cursor, or by the store's write path, which adds an audit entry; rows added
    raise the tables' highest row ids; the outbox's queue and verdicts cover what a sync
    undoes; and rules, snapshots and users are signed as they are."""
    row = (
        store.connection()
        .execute(
            """SELECT
             (SELECT coalesce(max(rowid), 0) FROM deals),
             (SELECT coalesce(max(rowid), 0) FROM attachments),
             (SELECT coalesce(max(rowid), 0) FROM followups),
             (SELECT coalesce(max(seq), 0) FROM audit),
             (SELECT count(*) || ':' || coalesce(max(seq), 0) || ':'
                     || group_concat(CASE WHEN state NOT IN ('pending', 'sending')
                                          THEN seq || state END)
                FROM outbox),
             (SELECT count(*) || ':' || coalesce(max(taken_at), '') FROM forecast_snapshots),
             (SELECT group_concat(id || '|' || name || '|' || coalesce(display_name, '') || '|'
                                  || role || '|' || coalesce(team_id, '') || '|' || active, ';')
                FROM users),
             (SELECT group_concat(key || '=' || coalesce(value, ''), ';') FROM meta
               WHERE key IN ('cursor', 'user_id', 'rules_json', 'rules_version'))"""
        )
        .fetchone()
    )
    text = "\n".join(str(v) for v in row)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _entry(name: str) -> str:
    return f"{_KEY}:{name}"


def cached(store: Store, name: str, version: str) -> dict[str, Any] | None:
    """The kept report ``name`` (``forecast:<period>``, ``pipeline:<period>`` or
    ``heatmap``) if it was computed from the data of ``version``, else None.

    Each report is kept under its own key, so showing one never decodes the others (the
    pipeline's is the largest: every open deal's last touch)."""
    if store.meta(_KEY) != version:
        return None
    raw = store.meta(_entry(name))
    if not raw:
        return None
    try:
        report = json.loads(raw)
    except ValueError:
        return None
    return report if isinstance(report, dict) else None


def cached_pipeline(store: Store, period: str, version: str) -> dict[str, Any] | None:
    """The kept pipeline parts of ``period`` (see :func:`app.domain.reports.pipeline_parts`)
    with their ``idle`` list, which a sync keeps once for all periods."""
    parts = cached(store, f"pipeline:{period}", version)
    shared = store.meta(_entry(_IDLE))
    if parts is None or not shared:
        return None
    try:
        idle = json.loads(shared)
    except ValueError:
        return None
    return {**parts, "idle": idle} if isinstance(idle, list) else None


def remember(store: Store, version: str, reports: dict[str, dict[str, Any]]) -> None:
    """Keep ``reports`` as computed from the data of ``version`` (beside the others kept for
    that version; those of an older version are dropped)."""
    db = store.connection()
    with db.atomic():
        if store.meta(_KEY) != version:
            db.execute("DELETE FROM meta WHERE key LIKE ?", (f"{_KEY}:%",))
            store.set_meta(_KEY, version)
        for name, report in reports.items():
            store.set_meta(_entry(name), json.dumps(report))


def is_lead(store: Store) -> bool:
    """Whether this profile belongs to a team lead (the only one with a cockpit to warm)."""
    row = (
        store.connection()
        .execute("SELECT role FROM users WHERE id = ?", (store.meta("user_id") or "",))
        .fetchone()
    )
    return bool(row and row[0] == "lead")


def warm(store: Store, now: datetime) -> None:
    """Compute and keep the heatmap, and the forecast and pipeline parts of every period the
    cockpit offers, unless kept already (after a sync, on the sync's thread, so the cockpit
    opens on figures ready to show, and another period shows as soon as it is chosen)."""
    computed = compute(store, now)
    if computed is not None:
        remember(store, *computed)


def compute(store: Store, now: datetime) -> tuple[str, dict[str, dict[str, Any]]] | None:
    """What :func:`warm` keeps, with the data version it was computed from (for
    :func:`remember`); None when it is kept already. Only reads the store."""
    from app.domain.forecast import cockpit_periods
    from app.domain.reports import forecast_report, heatmap_report, pipeline_parts
    from app.store.cockpit import load_team, snapshots

    version = data_version(store)
    periods = [p.name for p in cockpit_periods(now.date())]
    names = [
        "heatmap",
        _IDLE,
        *(f"forecast:{p}" for p in periods),
        *(f"pipeline:{p}" for p in periods),
    ]
    if store.meta(_KEY) == version and all(store.meta(_entry(n)) for n in names):
        return None
    team = load_team(store)
    rules = store.rules
    shots = snapshots(store)
    with without_cycle_collector():
        reports: dict[str, Any] = {"heatmap": heatmap_report(team, rules)}
        for p in periods:
            reports[f"forecast:{p}"] = forecast_report(team, rules, p, shots)
        parts, idle = pipeline_parts(team, rules, periods)
        reports.update((f"pipeline:{p}", v) for p, v in parts.items())
        reports[_IDLE] = idle
    return version, reports


__all__ = [
    "cached",
    "cached_pipeline",
    "compute",
    "data_version",
    "is_lead",
    "remember",
    "warm",
]
