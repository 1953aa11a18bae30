"""What the cockpit asks of the store (run on the store worker, like :mod:`app.views.operations`):
the three reports over the synced team data, and the deals behind a heatmap cell."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
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
    # The forecast needs a few fields of each deal; the other reports need them all.
    full: bool = False

    @property
    def pipeline(self) -> dict[str, Any]:
        if self._pipeline is None:
            raise RuntimeError("call ready() on the store worker first")
        return self._pipeline

    @property
    def heatmap(self) -> dict[str, Any]:
        if self._heatmap is None:
            raise RuntimeError("call ready() on the store worker first")
        return self._heatmap

    def ready(self, store: Store) -> Cockpit:
        """Read every deal field and compute the other reports (on the store worker, before a
        tab or an export shows them)."""
        if not self.full:
            self.team = load_team(store)
            self.full = True
        with without_cycle_collector():
            if self._pipeline is None:
                self._pipeline = pipeline_report(self.team, self.rules, self.period, self.now)
            if self._heatmap is None:
                self._heatmap = heatmap_report(self.team, self.rules)
        return self

    def for_period(self, period: str) -> Cockpit:
        """The same deals for another period (the heatmap does not depend on it)."""
        parse_period(period)
        with without_cycle_collector():
            figures = forecast_report(self.team, self.rules, period, self.snapshots)
        other = Cockpit(
            period,
            self.team,
            self.rules,
            self.now,
            self.snapshots,
            figures,
            self.names,
        )
        other._heatmap = self._heatmap
        other.full = self.full
        return other


def cockpit(store: Store, period: str, now: datetime) -> Cockpit:
    """The cockpit for ``period`` from the local store (works offline): the team's deals read,
    the forecast computed."""
    parse_period(period)
    team = load_team(store, full=False)
    rules = store.rules
    shots = snapshots(store)
    with without_cycle_collector():
        figures = forecast_report(team, rules, period, shots)
    return Cockpit(
        period,
        team,
        rules,
        now,
        shots,
        figures,
        {team.names[u]: team.display[u] for u in team.names},
    )


@contextmanager
def without_cycle_collector() -> Iterator[None]:
    """Many short-lived numbers and dicts, none in a cycle: keep the collector from walking
    the team's whole data set again and again while they are made."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def deals_brief(store: Store, ids: list[str]) -> list[dict[str, Any]]:
    """Title, customer, owner, stage and amount of some deals (the heatmap's click list)."""
    return deal_briefs(store, ids)


__all__ = ["Cockpit", "cockpit", "deals_brief"]
