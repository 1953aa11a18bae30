"""``fieldcrm report``: the documented JSON shape, xlsx with numbers as numbers, PDF, refusals."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from helpers.cockpit_data import seed_team
from openpyxl import load_workbook

from app.cli import cli
from app.store.service import Store


def _profile(tmp_path: Path) -> Path:
    profile = tmp_path / "p"
    store = Store(profile, actor="u-lead")
    try:
        seed_team(store)
        store.set_meta("user_id", "u-lead")
    finally:
        store.close()
    return profile


def test_report_forecast_json_xlsx_pdf(tmp_path: Path) -> None:
    profile = _profile(tmp_path)
    xlsx, pdf = tmp_path / "f.xlsx", tmp_path / "f.pdf"
    args = ["--profile", str(profile), "--lang", "en", "report", "forecast", "--period", "2026Q4"]
    result = CliRunner().invoke(cli, [*args, "--json", "--xlsx", str(xlsx), "--pdf", str(pdf)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["period"] == "2026Q4"
    reps = {r["rep"]: r for r in data["reps"]}
    assert set(reps) == {"zhangwei", "lina"}
    z = reps["zhangwei"]
    assert (z["commit"], z["weighted"], z["best_case"], z["won"], z["gap_flag"]) == (
        80000.0,
        60000.0,
        100000.0,
        0.0,
        True,
    )
    team = data["team"]
    assert (team["commit"], team["weighted"], team["best_case"], team["won"]) == (
        130000.0,
        110000.0,
        180000.0,
        50000.0,
    )
    sheet = load_workbook(xlsx).worksheets[0]
    rows = {r[0].value: [c.value for c in r] for r in sheet.iter_rows(min_row=2)}
    assert rows["李娜"][1:5] == [50000, 50000, 80000, 50000]
    assert pdf.read_bytes().startswith(b"%PDF")


def test_report_heatmap_and_pipeline(tmp_path: Path) -> None:
    profile = _profile(tmp_path)
    base = ["--profile", str(profile), "--lang", "en", "report"]
    heat = CliRunner().invoke(cli, [*base, "heatmap", "--json"])
    assert heat.exit_code == 0, heat.output
    cell = next(
        c
        for c in json.loads(heat.output)["cells"]
        if (c["stage"], c["lock"]) == ("proposal", "quote")
    )
    assert (cell["deals"], cell["missing"], cell["deal_ids"]) == (2, 2, ["d-a", "d-c"])
    pipe = CliRunner().invoke(cli, [*base, "pipeline", "--period", "2026Q4"])
    assert pipe.exit_code == 0, pipe.output
    assert "Conversion" in pipe.output and "Win rate" in pipe.output


def test_report_refuses_a_bad_period_and_writes_nothing(tmp_path: Path) -> None:
    profile = _profile(tmp_path)
    out = tmp_path / "f.xlsx"
    result = CliRunner().invoke(
        cli,
        [
            "--profile",
            str(profile),
            "--lang",
            "en",
            "report",
            "forecast",
            "--period",
            "2026Q5",
            "--xlsx",
            str(out),
        ],
    )
    assert result.exit_code == 1
    assert "2026Q4" in result.output and not out.exists()
