"""What the cockpit asks of the store (run on the store worker, like :mod:`app.views.operations`):
the three reports over the synced team data, and the deals behind a heatmap cell."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.domain.forecast import parse_period
from app.domain.reports import TeamData, forecast_report, heatmap_report, pipeline_report
from app.domain.rules import ProcessRules
from app.store.cockpit import deal_briefs, load_team, snapshots
from app.store.service import Store


@dataclass
class Cockpit:
    """The cockpit's figures for one period (JSON shapes as ``fieldcrm report`` prints).

    The team's deals are read once; the forecast is computed with them (the first tab), the
    pipeline and the heatmap the first time they are asked for, and another period reuses the
    deals already read."""

    period: str
    team: TeamData
    rules: ProcessRules
    now: datetime
    snapshots: list[dict[str, Any]]
    forecast: dict[str, Any]
    names: dict[str, str]  # login → display name
    _pipeline: dict[str, Any] | None = field(default=None, repr=False)
    _heatmap: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def pipeline(self) -> dict[str, Any]:
        if self._pipeline is None:
            self._pipeline = pipeline_report(self.team, self.rules, self.period, self.now)
        return self._pipeline

    @property
    def heatmap(self) -> dict[str, Any]:
        if self._heatmap is None:
            self._heatmap = heatmap_report(self.team, self.rules)
        return self._heatmap

    def ready(self) -> Cockpit:
        """Compute what is not yet computed (on the worker, before a tab or an export)."""
        _ = self.pipeline, self.heatmap
        return self

    def for_period(self, period: str) -> Cockpit:
        """The same deals for another period (the heatmap does not depend on it)."""
        parse_period(period)
        other = Cockpit(
            period,
            self.team,
            self.rules,
            self.now,
            self.snapshots,
            forecast_report(self.team, self.rules, period, self.snapshots),
            self.names,
        )
        other._heatmap = self._heatmap
        return other


def cockpit(store: Store, period: str, now: datetime) -> Cockpit:
    """The cockpit for ``period`` from the local store (works offline): the team's deals read,
    the forecast computed."""
    parse_period(period)
    team = load_team(store)
    rules = store.rules
    shots = snapshots(store)
    return Cockpit(
        period,
        team,
        rules,
        now,
        shots,
        forecast_report(team, rules, period, shots),
        {team.names[u]: team.display[u] for u in team.names},
    )


def deals_brief(store: Store, ids: list[str]) -> list[dict[str, Any]]:
    """Title, customer, owner, stage and amount of some deals (the heatmap's click list)."""
    return deal_briefs(store, ids)


__all__ = ["Cockpit", "cockpit", "deals_brief"]
