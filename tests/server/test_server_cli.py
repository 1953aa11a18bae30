"""The ``fieldcrm-server`` command line, the embedded server and the migrations."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import Engine

from server import migrate
from server.cli import main
from server.config import Settings
from server.db import metadata
from server.embedded import DEMO_PASSWORD, start


def _run(settings: Settings, *args: str, stdin: str | None = None) -> str:
    result = CliRunner().invoke(main, ["--db", settings.database_url, *args], input=stdin)
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_sets_up_users_teams_rules_and_assignment(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    assert "schema current" in _run(settings, "check")
    _run(settings, "migrate")
    _run(settings, "team", "add", "华东")
    _run(
        settings,
        "user",
        "add",
        "wang",
        "--role",
        "rep",
        "--team",
        "华东",
        "--password-stdin",
        stdin="long enough pw\n",
    )
    _run(
        settings,
        "user",
        "add",
        "li",
        "--role",
        "rep",
        "--team",
        "华东",
        "--password-stdin",
        stdin="long enough pw\n",
    )
    bad = CliRunner().invoke(
        main,
        [
            "--db",
            settings.database_url,
            "user",
            "add",
            "x",
            "--team",
            "nowhere",
            "--password-stdin",
        ],
        input="pw12345678\n",
    )
    assert bad.exit_code == 1 and "no team" in bad.output
    short = CliRunner().invoke(
        main,
        ["--db", settings.database_url, "user", "add", "y", "--password-stdin"],
        input="short\n",
    )
    assert short.exit_code == 1
    _run(settings, "user", "passwd", "li", "--password-stdin", stdin="another long pw\n")
    _run(settings, "user", "disable", "li")
    listing = _run(settings, "user", "list")
    assert "wang" in listing and "(disabled)" in listing
    rules = json.loads((Path(__file__).parents[2] / "resources" / "rules.json").read_text())
    rules["stagnation_hours"] = 48
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(rules), "utf-8")
    assert "version 2" in _run(settings, "rules", "load", str(path))
    missing = CliRunner().invoke(
        main, ["--db", settings.database_url, "assign", "customer", "nope", "--to", "wang"]
    )
    assert missing.exit_code == 1
    assert "purged 0 tombstones" in _run(settings, "purge")


def test_check_reports_an_unmigrated_database(tmp_path: Path) -> None:
    url = f"sqlite+pysqlite:///{tmp_path / 'empty.db'}"
    result = CliRunner().invoke(main, ["--db", url, "check"])
    assert result.exit_code == 1 and "run migrate" in result.output
    assert CliRunner().invoke(main, ["--db", url, "init"]).exit_code == 0
    assert CliRunner().invoke(main, ["--db", url, "check"]).exit_code == 0


def test_migrated_schema_matches_the_table_definitions(engine: Engine) -> None:
    assert migrate.is_current(engine)
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), metadata
        )
    assert diff == []


def test_embedded_demo_server_end_to_end(tmp_path: Path) -> None:
    """The demo-mode entry point: real HTTP, demo users, push then pull on another device."""
    with start(data_dir=tmp_path / "demo") as server, httpx.Client(base_url=server.url) as http:

        def login(name: str) -> dict[str, str]:
            r = http.post("/auth/signin", json={"username": name, "password": DEMO_PASSWORD})
            assert r.status_code == 200, r.text
            return {"Authorization": f"Bearer {r.json()['access_token']}"}

        rep, lead = login("demo-rep"), login("demo-lead")
        me = http.get("/me", headers=rep).json()
        op = {
            "op_id": "op-1",
            "entity": "customer",
            "record_id": "c-1",
            "action": "create",
            "base_version": 0,
            "fields": {"name": "轻鹿家居", "owner": me["id"]},
        }
        r = http.post("/sync/push", json={"device": "laptop", "ops": [op]}, headers=rep)
        assert r.json()["results"][0]["status"] == "applied"
        pulled = http.get("/sync/pull", headers=lead).json()
        assert [c["id"] for c in pulled["changes"]] == ["c-1"]
        assert (
            http.get("/sync/pull", params={"cursor": pulled["cursor"]}, headers=lead).json()[
                "changes"
            ]
            == []
        )
