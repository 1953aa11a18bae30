"""What the cockpit asks of the store (run on the store worker, like :mod:`app.views.operations`):
the three reports over the synced team data, and the deals behind a heatmap cell."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.domain.forecast import parse_period
from app.domain.reports import forecast_report, heatmap_report, pipeline_report
from app.store.cockpit import deal_briefs, load_team, snapshots
from app.store.service import Store


@dataclass(frozen=True)
class Cockpit:
    """The cockpit's figures for one period (JSON shapes as ``fieldcrm report`` prints)."""

    period: str
    forecast: dict[str, Any]
    pipeline: dict[str, Any]
    heatmap: dict[str, Any]
    names: dict[str, str]  # login → display name


def cockpit(store: Store, period: str, now: datetime) -> Cockpit:
    """Every cockpit report for ``period`` from the local store (works offline)."""
    parse_period(period)
    team = load_team(store)
    rules = store.rules
    return Cockpit(
        period,
        forecast_report(team, rules, period, snapshots(store)),
        pipeline_report(team, rules, period, now),
        heatmap_report(team, rules),
        {team.names[u]: team.display[u] for u in team.names},
    )


def deals_brief(store: Store, ids: list[str]) -> list[dict[str, Any]]:
    """Title, customer, owner, stage and amount of some deals (the heatmap's click list)."""
    return deal_briefs(store, ids)


__all__ = ["Cockpit", "cockpit", "deals_brief"]
