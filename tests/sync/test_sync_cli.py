"""The sync commands of the ``fieldcrm`` CLI as a real process against the real server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import keyring
from helpers.syncing import PASSWORD, Server

from app.store.crypto import KEY_SERVICE, profile_id
from app.store.service import Store


def fieldcrm(
    profile: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
        "FIELDCRM_LANG": "en",
    }
    return subprocess.run(
        [sys.executable, "-m", "app", "--profile", str(profile), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_login_sync_conflicts_logout(server: Server, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    wrong = fieldcrm(
        a, "login", "--server", server.url, "--user", "alice", "--password-stdin", stdin="nope\n"
    )
    assert wrong.returncode == 1 and "Wrong user name or password" in wrong.stderr
    for p in (a, b):
        done = fieldcrm(
            p,
            "login",
            "--server",
            server.url,
            "--user",
            "alice",
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
        assert done.returncode == 0 and "Signed in as 张伟" in done.stdout, done.stderr
    store = Store(a)
    store.actor = store.meta("user_id") or "?"
    cid = store.create("customer", {"name": "命令行客户有限公司", "owner": store.actor})
    store.close()
    pushed = json.loads(fieldcrm(a, "sync", "--json").stdout)
    assert pushed["ok"] and pushed["pushed"] == 1
    assert json.loads(fieldcrm(b, "sync", "--json").stdout)["pulled"] >= 1
    for p, note in ((a, "甲的备注"), (b, "乙的备注")):
        s = Store(p)
        s.actor = s.meta("user_id") or "?"
        s.update("customer", cid, {"notes": note})
        s.close()
    fieldcrm(a, "sync", "--json")
    fieldcrm(b, "sync", "--json")
    lines = fieldcrm(b, "conflicts", "--json").stdout.splitlines()
    conflict = json.loads(lines[0])
    assert (conflict["field"], conflict["current"], conflict["other"], conflict["lost_here"]) == (
        "notes",
        "甲的备注",
        "乙的备注",
        True,
    )
    # Online, logout syncs first, then signs out and wipes the profile and its key.
    pid = profile_id(a)
    assert pid and keyring.get_password(KEY_SERVICE, pid)
    out = fieldcrm(a, "logout", "--yes")
    assert out.returncode == 0 and not a.exists(), out.stderr
    assert keyring.get_password(KEY_SERVICE, pid) is None
    # Offline with unsynced work: a plain logout refuses; --discard drops it and wipes.
    s = Store(b)
    s.update("customer", cid, {"industry": "待同步"})
    s.set_meta("server_url", "http://127.0.0.1:9")  # nothing listens there
    s.close()
    kept = fieldcrm(b, "logout", "--yes")
    assert kept.returncode == 1 and "Not signed out" in kept.stderr and b.exists()
    gone = fieldcrm(b, "logout", "--discard")
    assert gone.returncode == 0 and not b.exists()


def test_sync_without_login_is_a_clear_failure(tmp_path: Path) -> None:
    out = fieldcrm(tmp_path / "p", "sync", "--json")
    assert out.returncode == 1
    assert json.loads(out.stdout)["error"]["en"].startswith("Not signed in")
