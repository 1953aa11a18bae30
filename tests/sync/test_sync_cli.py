"""The sync commands of the ``fieldcrm`` CLI as a real process against the real server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import keyring
from helpers.syncing import PASSWORD, Server, user_id

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
    listed = json.loads(fieldcrm(b, "conflicts", "--json").stdout)  # one array, as documented
    assert isinstance(listed, list) and len(listed) == 1
    conflict = listed[0]
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


def test_sync_json_counts_rejections_and_exits_non_zero(server: Server, tmp_path: Path) -> None:
    p = tmp_path / "r"
    login = fieldcrm(
        p,
        "login",
        "--server",
        server.url,
        "--user",
        "alice",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert login.returncode == 0, login.stderr
    assert json.loads(fieldcrm(p, "conflicts", "--json").stdout) == []
    store = Store(p)
    store.actor = store.meta("user_id") or "?"
    # A rep may not hand customers to another rep: the server refuses both creates.
    bob = user_id(server, "bob")
    for name in ("越权客户甲有限公司", "越权客户乙有限公司"):
        store.create("customer", {"name": name, "owner": bob})
    store.close()
    out = fieldcrm(p, "sync", "--json")
    assert out.returncode == 3, out.stderr
    result = json.loads(out.stdout)
    assert result["ok"] is False and (result["pushed"], result["rejected"]) == (2, 2)
    assert "rejected 2 change(s)" in result["error"]["en"]
    assert [r["code"] for r in result["rejections"]] == ["forbidden_owner"] * 2
    assert all(r["entity"] == "customer" and r["message"]["en"] for r in result["rejections"])
    text = fieldcrm(p, "sync")
    # Nothing new was refused this time: the earlier refusals are still listed, exit 0.
    assert text.returncode == 0 and text.stderr.count("✗ customer") == 2, text.stderr
    again = json.loads(fieldcrm(p, "sync", "--json").stdout)
    assert again["ok"] is True and again["rejected"] == 0 and len(again["rejections"]) == 2
