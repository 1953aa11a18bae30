"""``fieldcrm merge`` and ``fieldcrm merges`` as real processes against the real server, and
``fieldcrm-server merges``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from helpers.syncing import PASSWORD, Server

from app.store.service import Store
from server.cli import main as server_main


def fieldcrm(profile: Path, *args: str, stdin: str | None = None) -> Any:
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"}
    return subprocess.run(
        [sys.executable, "-m", "app", "--lang", "en", "--profile", str(profile), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def _login(profile: Path, server: Server, user: str) -> None:
    args = ("login", "--server", server.url, "--user", user, "--password-stdin")
    done = fieldcrm(profile, *args, stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr


def _json(done: Any) -> Any:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _customer(profile: Path, name: str, **values: str) -> str:
    store = Store(profile)
    try:
        store.actor = store.meta("user_id") or "?"
        return store.create("customer", {"name": name, "owner": store.actor, **values})
    finally:
        store.close()


def test_merge_from_the_command_line(server: Server, tmp_path: Path) -> None:
    alice, lena = tmp_path / "alice", tmp_path / "lena"
    _login(alice, server, "alice")
    x = _customer(alice, "庚网络科技有限公司", industry="互联网")
    y = _customer(alice, "庚网络科技", industry="软件", phone="0571-87654321")
    _json(fieldcrm(alice, "sync", "--json"))

    refused = fieldcrm(alice, "merge", "customer", x, y)
    assert refused.returncode == 1 and "Only a team lead" in refused.stderr
    bad = fieldcrm(alice, "merge", "customer", x, y, "--pick", "owner_name=" + y)
    assert bad.returncode == 1 and "--pick takes FIELD=ID" in bad.stderr

    _login(lena, server, "lena")
    _json(fieldcrm(lena, "sync", "--json"))
    itself = fieldcrm(lena, "merge", "customer", x, x)
    assert itself.returncode == 1 and "itself" in itself.stderr
    made = _json(fieldcrm(lena, "merge", "customer", x, y, "--pick", f"industry={y}", "--json"))
    assert isinstance(made, dict)
    assert (made["survivor_id"], made["merged_ids"], made["state"]) == (x, [y], "pending")
    assert made["pick"]["industry"] == y
    assert made["discarded"] == {y: {"name": "庚网络科技"}}
    listed = _json(fieldcrm(lena, "merges", "--json"))
    assert isinstance(listed, list) and [m["id"] for m in listed] == [made["id"]]
    report = _json(fieldcrm(lena, "sync", "--json"))
    assert isinstance(report, dict) and report["ok"] and report["rejected"] == 0
    (synced,) = _json(fieldcrm(lena, "merges", "--json"))
    assert synced["state"] == "synced"

    # The rep's device follows at its next sync; the survivor holds both values picked.
    _json(fieldcrm(alice, "sync", "--json"))
    (seen,) = _json(fieldcrm(alice, "merges", "--json"))
    assert seen["id"] == made["id"] and seen["state"] == "synced"
    store = Store(alice)
    try:
        row = store.require("customer", x)
        assert (row["industry"], row["phone"]) == ("软件", "0571-87654321")
        assert store.get("customer", y) is None
    finally:
        store.close()
    text = fieldcrm(alice, "merges")
    assert text.returncode == 0 and f"{y} -> {x}" in text.stdout

    assert server.handle.settings is not None
    url = server.handle.settings.database_url
    out = CliRunner().invoke(server_main, ["--db", url, "merges", "--team", "华东一组", "--json"])
    assert out.exit_code == 0, out.output
    on_server = [m for m in json.loads(out.output) if m["id"] == made["id"]]
    assert len(on_server) == 1 and on_server[0]["merged_by"] == "lena"
    assert on_server[0]["discarded"] == {y: {"name": "庚网络科技"}}
    nowhere = CliRunner().invoke(server_main, ["--db", url, "merges", "--team", "无此组"])
    assert nowhere.exit_code == 1 and "no team" in nowhere.output
