"""``fieldcrm-server demo-data`` and ``report forecast|pipeline``; forecast snapshots taken once
by the scheduled job and shown to whom they concern (SQLite and PostgreSQL)."""

from __future__ import annotations

import json

from click.testing import CliRunner
from sqlalchemy import Engine, select

from server.cli import main
from server.config import Settings
from server.db import forecast_snapshots, users
from server.leads.common import team_id_of
from server.records import Viewer
from server.reports.snapshots import visible_snapshots


def _run(settings: Settings, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(main, ["--db", settings.database_url, *args])
    assert result.exit_code == code, result.output
    return result.output


def test_demo_data_reports_and_snapshots(settings: Settings, engine: Engine) -> None:
    now = ("--now", "2026-11-20T09:00:00")
    out = _run(settings, "demo-data", "--team", "华南一组", "--size", "small", "--seed", "5", *now)
    assert "deal: " in out and "lead: 30" in out and "reps: 3" in out
    # The four quarters before 2026Q4, opening and closing, for each of the three reps.
    assert "forecast_snapshots: 24" in out
    again = _run(settings, "demo-data", "--team", "华南一组", "--seed", "5", code=1)
    assert "already holds" in again
    _run(settings, "demo-data", "--team", "华北一组", "--seed", "5", *now)  # same seed, other team
    _run(settings, "demo-data", "--team", "华北一组", "--seed", "6", "--now", "noon", code=1)

    report = json.loads(
        _run(
            settings,
            "report",
            "forecast",
            "--team",
            "华南一组",
            "--period",
            "2026Q4",
            "--now",
            "2026-11-20T09:00:00",
            "--json",
        )
    )
    assert report["period"] == "2026Q4" and len(report["reps"]) == 3
    for key in ("commit", "weighted", "best_case", "won"):
        assert report["team"][key] == round(sum(r[key] for r in report["reps"]), 2)
    assert report["team"]["best_case"] >= report["team"]["weighted"] >= report["team"]["won"]
    pipeline = json.loads(
        _run(settings, "report", "pipeline", "--team", "华南一组", "--now", "2026-11-20", "--json")
    )
    assert pipeline["conversion"][0]["entered"] > 0
    _run(settings, "report", "forecast", "--team", "nobody", code=1)
    _run(settings, "report", "forecast", "--team", "华南一组", "--period", "2026Q7", code=1)

    # The demo's closing figures of a quarter are what the report gives for it.
    q3 = json.loads(
        _run(settings, "report", "forecast", "--team", "华南一组", "--period", "2026Q3", "--json")
    )
    with engine.connect() as conn:
        south = team_id_of(conn, "华南一组")
        demo = {
            (r.rep_id, r.kind): json.loads(r.figures)
            for r in conn.execute(
                select(forecast_snapshots).where(
                    forecast_snapshots.c.team_id == south, forecast_snapshots.c.period == "2026Q3"
                )
            )
        }
    assert sum(r["won"] for r in q3["reps"]) > 0
    for r in q3["reps"]:
        assert demo[r["rep_id"], "closing"]["won"] == r["won"]
        # The opening commit only counts deals the rep was still working when the quarter began.
        assert demo[r["rep_id"], "opening"]["commit"] <= r["best_case"]
    assert q3["accuracy"] and any(
        p["commit_error"] is not None for a in q3["accuracy"] for p in a["periods"]
    )

    first = json.loads(_run(settings, "tick", "--now", "2026-10-01T00:10:00"))
    later = json.loads(_run(settings, "tick", "--now", "2026-10-01T03:10:00"))
    # 2026Q3's closing rows came with the demo data: only 2026Q4's openings are new.
    assert first["forecast_snapshots"] == 6  # 2 teams x 3 reps
    assert later["forecast_snapshots"] == 0
    with engine.connect() as conn:
        rows = conn.execute(
            select(forecast_snapshots).where(forecast_snapshots.c.period >= "2026Q3")
        ).all()
        south = team_id_of(conn, "华南一组")
        rep = conn.execute(
            select(users.c.id).where(users.c.team_id == south, users.c.role == "rep")
        ).first()
        assert rep is not None
        as_lead = visible_snapshots(conn, Viewer("x", "x", "x", "lead", south))
        as_rep = visible_snapshots(conn, Viewer(rep.id, "r", "r", "rep", south))
        as_admin = visible_snapshots(conn, Viewer("a", "a", "a", "admin", None))
    assert len(rows) == 18 and {(r.period, r.kind) for r in rows} == {
        ("2026Q3", "closing"),
        ("2026Q3", "opening"),
        ("2026Q4", "opening"),
    }
    # Each team: 24 from the demo data and 3 from the job.
    assert len(as_lead) == 27 and {s["team_id"] for s in as_lead} == {south}
    assert len(as_rep) == 9 and {s["rep_id"] for s in as_rep} == {rep.id}
    assert len(as_admin) == 54
