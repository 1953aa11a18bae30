"""The cockpit's reports as JSON-ready dicts (shapes in the README, "Reports"), built from a
team's deals by :mod:`app.domain.forecast`. The desktop (``app.store.cockpit``) and the server
(``server.reports``) each load a :class:`TeamData` their own way and call these."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from app.domain.forecast import (
    DealRow,
    Period,
    accuracy_error,
    as_it_stood,
    forecast,
    forecast_rules,
    heatmap,
    heatmap_json,
    idle_since,
    last_periods,
    parse_period,
    period_of,
    pipeline,
    pipelines,
    stalled_deals,
)
from app.domain.rules import ProcessRules


@dataclass
class TeamData:
    """What every report reads: the deals, the reps and their names."""

    deals: list[DealRow]
    reps: list[str]  # user ids of the reps shown (even without deals)
    names: dict[str, str]  # user id → login name
    display: dict[str, str]  # user id → display name


def current_period(now: datetime | None = None, kind: str = "quarter") -> str:
    """The name of the quarter (or month) holding ``now``."""
    return period_of((now or datetime.now(UTC)).date(), kind).name


def forecast_report(
    team: TeamData, rules: ProcessRules, period: str, snapshots: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Per rep and team for ``period``: commit, weighted, best case, won, the gap and its flag;
    with ``snapshots``, each rep's accuracy over the periods before (see :func:`accuracy`)."""
    frules = forecast_rules(rules)
    fc = forecast(team.deals, parse_period(period), rules, frules, team.reps)
    out = fc.as_json(frules, team.names)
    for rep in out["reps"]:
        rep["name"] = team.display.get(rep["rep_id"], rep["rep"])
    if snapshots is not None:
        out["accuracy"] = accuracy(snapshots, team, period)
    return out


def accuracy(
    snapshots: list[dict[str, Any]], team: TeamData, period: str, count: int = 4
) -> list[dict[str, Any]]:
    """Each rep's forecast at the start of each of the ``count`` periods before ``period``
    against what they won in it (the snapshots the server takes at each period's end)."""
    periods = [p.name for p in last_periods(parse_period(period), count)]
    opening: dict[tuple[str, str], dict[str, Any]] = {}
    closing: dict[tuple[str, str], dict[str, Any]] = {}
    for s in snapshots:
        target = opening if s["kind"] == "opening" else closing
        target[(s["rep_id"], s["period"])] = s["figures"]
    out = []
    for rep in sorted(
        {r for r, _p in (*opening, *closing)} | set(team.reps), key=lambda r: team.names.get(r, r)
    ):
        rows: list[dict[str, Any]] = []
        for p in periods:
            o, c = opening.get((rep, p)), closing.get((rep, p))
            won = float(c["won"]) if c else None
            rows.append(
                {
                    "period": p,
                    "commit": float(o["commit"]) if o else None,
                    "weighted": float(o["weighted"]) if o else None,
                    "won": won,
                    "commit_error": accuracy_error(float(o["commit"]), won)
                    if o and c and won is not None
                    else None,
                    "weighted_error": accuracy_error(float(o["weighted"]), won)
                    if o and c and won is not None
                    else None,
                }
            )
        errors = [float(r["commit_error"]) for r in rows if r["commit_error"] is not None]
        werrors = [float(r["weighted_error"]) for r in rows if r["weighted_error"] is not None]
        out.append(
            {
                "rep": team.names.get(rep, rep),
                "rep_id": rep,
                "name": team.display.get(rep, team.names.get(rep, rep)),
                "periods": rows,
                "mean_commit_error": round(sum(errors) / len(errors), 4) if errors else None,
                "mean_weighted_error": round(sum(werrors) / len(werrors), 4) if werrors else None,
            }
        )
    return out


def snapshot_figures(
    team: TeamData, period: Period, deals: Iterable[DealRow], rules: ProcessRules
) -> list[tuple[str, dict[str, float]]]:
    """Each rep's figures as a forecast snapshot of ``period`` keeps them, from ``deals``."""
    frules = forecast_rules(rules)
    fc = forecast(deals, period, rules, frules, team.reps).as_json(frules, team.names)
    return [
        (rep["rep_id"], {k: rep[k] for k in ("commit", "weighted", "best_case", "won")})
        for rep in fc["reps"]
        if rep["rep_id"] in team.reps
    ]


def past_snapshots(
    team: TeamData, rules: ProcessRules, today: date, count: int = 4
) -> list[tuple[str, str, str, dict[str, float]]]:
    """(rep, period, kind, figures) for the ``count`` quarters before ``today``, as the
    period-end job would have taken them: closing figures from today's deals, opening ones
    from the deals as they stood on the quarter's first day (:func:`as_it_stood`).

    A demo team has no past; without these its forecast accuracy history would be empty.
    """
    out: list[tuple[str, str, str, dict[str, float]]] = []
    period = period_of(today, "quarter")
    for _ in range(count):
        period = period.previous()
        then = [d for d in (as_it_stood(x, period.start, rules) for x in team.deals) if d]
        for kind, deals in (("opening", then), ("closing", team.deals)):
            out += [
                (rep, period.name, kind, figures)
                for rep, figures in snapshot_figures(team, period, deals, rules)
            ]
    return out


def pipeline_report(
    team: TeamData, rules: ProcessRules, period: str | None, now: datetime | None = None
) -> dict[str, Any]:
    """Conversion, win rates, time in stage, stalled deals, loss reasons, open value."""
    pl = pipeline(
        team.deals,
        rules,
        forecast_rules(rules),
        now or datetime.now(UTC),
        parse_period(period) if period else None,
    )
    return pl.as_json(team.names)


# The parts of the pipeline report that depend on the moment it is computed for.
_AT_NOW = ("stalled", "stalled_by_rep")


def pipeline_parts(
    team: TeamData, rules: ProcessRules, periods: list[str]
) -> tuple[dict[str, dict[str, Any]], list[list[Any]]]:
    """The pipeline reports of ``periods`` without what depends on the moment (their stalled
    deals), and what those are computed from (``idle``, the same for every period): JSON that
    can be kept while the data does not change, and shown at any moment by
    :func:`pipeline_at` (with ``idle`` put back). The deals' histories are read once."""
    windows = [parse_period(p) for p in periods]
    found = pipelines(team.deals, rules, forecast_rules(rules), datetime.now(UTC), windows)
    out: dict[str, dict[str, Any]] = {}
    for name, pl in zip(periods, found, strict=True):
        parts = pl.as_json(team.names)
        for key in _AT_NOW:
            parts[key] = None
        out[name] = parts
    return out, idle_since(team.deals, rules)


def pipeline_at(
    parts: dict[str, Any], names: dict[str, str], rules: ProcessRules, now: datetime
) -> dict[str, Any]:
    """The report :func:`pipeline_report` gives at ``now``, from :func:`pipeline_parts`
    (``names``: user id → login name, as in :class:`TeamData`)."""
    stalled, by_rep = stalled_deals(parts["idle"], forecast_rules(rules), now)
    at_now = {
        "stalled": [{**s, "rep": names.get(s["rep"], s["rep"])} for s in stalled],
        "stalled_by_rep": {names.get(k, k): v for k, v in sorted(by_rep.items())},
    }
    return {k: at_now.get(k, v) for k, v in parts.items() if k != "idle"}


def heatmap_report(team: TeamData, rules: ProcessRules) -> dict[str, Any]:
    """Stages × lock items: share of the stage's deals missing the item, counts, deal ids."""
    return heatmap_json(heatmap(team.deals, rules), rules)


__all__ = [
    "TeamData",
    "accuracy",
    "current_period",
    "forecast_report",
    "heatmap_report",
    "pipeline_at",
    "pipeline_parts",
    "pipeline_report",
]
