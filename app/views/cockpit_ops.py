"""What the cockpit asks of the store (run on the store worker, like :mod:`app.views.operations`):
the three reports over the synced team data, and the deals behind a heatmap cell."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.domain.bulk import without_cycle_collector
from app.domain.forecast import parse_period
from app.domain.reports import (
    TeamData,
    forecast_report,
    heatmap_report,
    pipeline_at,
    pipeline_report,
)
from app.domain.rules import ProcessRules
from app.store import cockpit_cache
from app.store.cockpit import deal_briefs, load_team, snapshots, team_without_deals
from app.store.service import Store


@dataclass
class Cockpit:
    """The cockpit's figures for one period (JSON shapes as ``fieldcrm report`` prints).

    Reports kept from the same data (:mod:`app.store.cockpit_cache`) are shown as they are;
    the others are computed from the team's deals, read once and only as far as needed: the
    forecast's few fields first, the stage histories too when the pipeline is asked for,
    all of them when a heatmap not kept is. Another period reuses the deals already read."""

    period: str
    team: TeamData
    rules: ProcessRules
    now: datetime
    snapshots: list[dict[str, Any]]
    forecast: dict[str, Any]
    names: dict[str, str]  # login → display name
    _pipeline: dict[str, Any] | None = field(default=None, repr=False)
    _heatmap: dict[str, Any] | None = field(default=None, repr=False)
    # How much of each deal ``team`` holds: "none" (kept reports only), "lite" (the
    # forecast's fields), "pipeline" (those, stage histories and last follow-ups) or "full".
    deals_read: str = "full"
    version: str = ""  # the data the kept reports must match

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

    def ready(self, store: Store, need: tuple[str, ...] = ("pipeline", "heatmap")) -> Cockpit:
        """Compute the reports in ``need`` (on the store worker, before a tab or an export
        shows them), reading every deal field if one must be computed."""
        if "heatmap" in need and self._heatmap is None:
            self._heatmap = cockpit_cache.cached(store, "heatmap", self.version)
        if "pipeline" in need and self._pipeline is None:
            parts = cockpit_cache.cached_pipeline(store, self.period, self.version)
            if parts is not None:
                self._pipeline = pipeline_at(parts, self.team.names, self.rules, self.now)
        if "heatmap" in need and self._heatmap is None and self.deals_read != "full":
            self.team = load_team(store)
            self.deals_read = "full"
        elif "pipeline" in need and self._pipeline is None and self.deals_read in ("none", "lite"):
            # The pipeline needs stage histories and follow-ups, not checklists or tasks.
            self.team = load_team(store, full=False, history=True)
            self.deals_read = "pipeline"
        with without_cycle_collector():
            if "pipeline" in need and self._pipeline is None:
                self._pipeline = pipeline_report(self.team, self.rules, self.period, self.now)
            if "heatmap" in need and self._heatmap is None:
                self._heatmap = heatmap_report(self.team, self.rules)
        return self

    def for_period(self, period: str, store: Store | None = None) -> Cockpit:
        """The same deals for another period (the heatmap does not depend on it); with
        ``store``, a kept forecast of that period is used, or the deals read if need be."""
        parse_period(period)
        figures = None
        if store is not None:
            figures = cockpit_cache.cached(store, f"forecast:{period}", self.version)
            if figures is None and self.deals_read == "none":
                # Once the pipeline has been shown, the other period's will be too: the
                # histories it needs are read now rather than in a second pass.
                shown = self._pipeline is not None
                self.team = load_team(store, full=False, history=shown)
                self.deals_read = "pipeline" if shown else "lite"
        if figures is None:
            if self.deals_read == "none":
                raise RuntimeError("the deals are not read: pass the store")
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
            deals_read=self.deals_read,
            version=self.version,
        )
        other._heatmap = self._heatmap
        return other


def cockpit(store: Store, period: str, now: datetime) -> Cockpit:
    """The cockpit for ``period`` from the local store (works offline): the kept forecast if
    the data has not changed since it was computed, else the team's deals read and the
    forecast computed."""
    parse_period(period)
    version = cockpit_cache.data_version(store)
    rules = store.rules
    shots = snapshots(store)
    figures = cockpit_cache.cached(store, f"forecast:{period}", version)
    if figures is not None:
        team, read = team_without_deals(store), "none"
    else:
        team, read = load_team(store, full=False), "lite"
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
        deals_read=read,
        version=version,
    )


def deals_brief(store: Store, ids: list[str]) -> list[dict[str, Any]]:
    """Title, customer, owner, stage and amount of some deals (the heatmap's click list)."""
    return deal_briefs(store, ids)


__all__ = ["Cockpit", "cockpit", "deals_brief"]
