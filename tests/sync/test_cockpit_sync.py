"""A team filled on the server, synced to its lead's laptop: the laptop's reports and the
server's agree figure for figure, the accuracy history arrives with the sync, and a stage move
made on a rep's device reaches the stage history both sides count from."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from helpers.syncing import Device, Server

from app.domain.reports import forecast_report, heatmap_report, pipeline_report
from app.store.cockpit import build
from server.admin import current_rules
from server.db import forecast_snapshots
from server.leads import jobs
from server.leads.common import team_id_of
from server.records import Viewer
from server.reports import load_team
from server.reports.demo import fill_team
from server.reports.snapshots import visible_snapshots

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _server_reports(server: Server, period: str) -> dict[str, dict[str, object]]:
    with server.engine.connect() as conn:
        team_id = team_id_of(conn, "华东一组")
        assert team_id is not None
        team, rules = load_team(conn, team_id), current_rules(conn)
        shots = visible_snapshots(conn, Viewer("", "", "", "lead", team_id))
    return {
        "forecast": forecast_report(team, rules, period, shots),
        "pipeline": pipeline_report(team, rules, period, NOW),
        "heatmap": heatmap_report(team, rules),
    }


def test_lead_laptop_and_server_agree(server: Server, make_device: Callable[..., Device]) -> None:
    assert server.handle.settings is not None
    now = NOW.timestamp()
    counts = fill_team(server.engine, server.handle.settings, "华东一组", "small", 11, now)
    assert counts["deal"] > 50 and counts["lead"] == 30
    # The demo's past: 2025Q4 to 2026Q3, opening and closing, for each of the three reps.
    assert counts["forecast_snapshots"] == 24
    # Two ticks at the first moment of 2026Q4 and one later: the snapshots are taken once.
    # 2026Q3's closing rows came with the demo data, so only 2026Q4's openings are new.
    start_q4 = datetime(2026, 10, 1, 0, 5, tzinfo=UTC).timestamp()
    first = jobs.tick(server.engine, start_q4)["forecast_snapshots"]
    again = jobs.tick(server.engine, start_q4 + 7200)["forecast_snapshots"]
    assert first == 3 and again == 0
    with server.engine.connect() as conn:
        rows = conn.execute(forecast_snapshots.select()).all()
    assert len(rows) == 27 and {r.kind for r in rows} == {"opening", "closing"}
    assert {r.period for r in rows} == {"2025Q4", "2026Q1", "2026Q2", "2026Q3", "2026Q4"}

    # A rep moves one of their deals back a stage on their own device.
    rep = make_device("alice-laptop", "alice")
    rep.sync()
    deal_id, stage = (
        rep.store.connection()
        .execute(
            "SELECT id, stage FROM deals WHERE stage = 'proposal' AND owner = ? LIMIT 1",
            (rep.store.actor,),
        )
        .fetchone()
    )
    rep.store.deals.move(deal_id, "needs_diagnosis", "客户重新评估需求")
    rep.sync()
    moved = rep.store.get("deal", deal_id)
    assert moved is not None
    assert [h["stage"] for h in moved["stage_history"]][-2:] == [stage, "needs_diagnosis"]

    lead = make_device("lena-laptop", "lena")
    lead.sync()
    laptop = {
        "forecast": build(lead.store, "forecast", "2026Q4", now=NOW),
        "pipeline": build(lead.store, "pipeline", "2026Q4", now=NOW),
        "heatmap": build(lead.store, "heatmap", None, now=NOW),
    }
    central = _server_reports(server, "2026Q4")
    problems = _diff(laptop, central)
    assert problems == [], "\n".join(problems[:40])
    fc = laptop["forecast"]
    assert len(fc["reps"]) == 3 and fc["team"]["best_case"] > 0
    assert fc["team"]["commit"] == round(sum(r["commit"] for r in fc["reps"]), 2)
    # The accuracy history came with the sync: 2026Q3's closing figures for every rep.
    q3 = [p for a in fc["accuracy"] for p in a["periods"] if p["period"] == "2026Q3"]
    assert len(q3) == 3 and all(p["won"] is not None for p in q3)
    # The lead's copy counts the rep's move: its stage history ends in needs diagnosis.
    on_lead = lead.store.get("deal", deal_id)
    assert on_lead is not None and on_lead["stage_history"][-1]["stage"] == "needs_diagnosis"


def _diff(a: object, b: object, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b), key=str):
            out += _diff(a.get(k), b.get(k), f"{path}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: len {len(a)} != {len(b)}"]
        out = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            out += _diff(x, y, f"{path}[{i}]")
        return out
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]
