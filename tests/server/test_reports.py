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
    out = _run(settings, "demo-data", "--team", "华南一组", "--size", "small", "--seed", "5")
    assert "deal: " in out and "lead: 30" in out and "reps: 3" in out
    again = _run(settings, "demo-data", "--team", "华南一组", "--seed", "5", code=1)
    assert "already holds" in again
    _run(settings, "demo-data", "--team", "华北一组", "--seed", "5")  # same seed, other team

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

    first = json.loads(_run(settings, "tick", "--now", "2026-10-01T00:10:00"))
    later = json.loads(_run(settings, "tick", "--now", "2026-10-01T03:10:00"))
    assert first["forecast_snapshots"] == 12  # 2 teams x 3 reps x (closing, opening)
    assert later["forecast_snapshots"] == 0
    with engine.connect() as conn:
        rows = conn.execute(select(forecast_snapshots)).all()
        south = team_id_of(conn, "华南一组")
        rep = conn.execute(
            select(users.c.id).where(users.c.team_id == south, users.c.role == "rep")
        ).first()
        assert rep is not None
        as_lead = visible_snapshots(conn, Viewer("x", "x", "x", "lead", south))
        as_rep = visible_snapshots(conn, Viewer(rep.id, "r", "r", "rep", south))
        as_admin = visible_snapshots(conn, Viewer("a", "a", "a", "admin", None))
    assert len(rows) == 12 and {(r.period, r.kind) for r in rows} == {
        ("2026Q3", "closing"),
        ("2026Q4", "opening"),
    }
    assert len(as_lead) == 6 and {s["team_id"] for s in as_lead} == {south}
    assert len(as_rep) == 2 and {s["rep_id"] for s in as_rep} == {rep.id}
    assert len(as_admin) == 12
