"""``fieldcrm tasks``, ``task add``, ``task done`` and ``agenda --ics``, run as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from icalendar import Calendar

from app.store.service import Store


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FIELDCRM_LANG": "en"},
    )


def test_task_commands(tmp_path: Path) -> None:
    profile = tmp_path / "p"
    store = Store(profile, actor="u-lead")
    store.directory.upsert_users(
        [
            {"id": "u-rep", "name": "zhangwei", "display_name": "张伟", "role": "rep"},
            {"id": "u-csm", "name": "liuyang", "display_name": "刘洋", "role": "csm"},
            {"id": "u-lead", "name": "wangjl", "display_name": "王经理", "role": "lead"},
        ]
    )
    store.set_meta("user_id", "u-lead")
    store.set_meta("time_zone", "Asia/Shanghai")
    cid = store.create("customer", {"name": "星河物流有限公司", "owner": "u-lead"})
    store.close()
    p = ("--profile", str(profile))

    soon = (datetime.now(UTC) + timedelta(hours=2)).astimezone().strftime("%Y-%m-%dT%H:%M%z")
    added = run(*p, "task", "add", "--title", "寄送报价", "--due", soon, "--customer", cid)
    assert added.returncode == 0, added.stderr
    task_id = added.stdout.strip()
    later = run(
        *p, "task", "add", "--title", "季度回访", "--due", "2031-05-06T10:00", "--owner", "liuyang"
    )
    assert later.returncode == 0, later.stderr

    listed = run(*p, "tasks", "--json", "--team")
    rows = json.loads(listed.stdout)
    assert {r["title"] for r in rows} == {"寄送报价", "季度回访"}
    mine = json.loads(run(*p, "tasks", "--json").stdout)
    (row,) = mine
    assert row["id"] == task_id and row["owner"] == "wangjl" and row["customer_id"] == cid
    assert row["kind"] == "manual" and row["status"] == "open" and row["deal_id"] is None
    other = next(r for r in rows if r["title"] == "季度回访")
    assert other["owner"] == "liuyang"
    assert other["due_at"] == "2031-05-06T02:00:00+00:00"  # 10:00 in Shanghai

    week = json.loads(run(*p, "tasks", "--json", "--due", "week", "--team").stdout)
    assert [r["id"] for r in week] == [task_id]
    assert json.loads(run(*p, "tasks", "--json", "--due", "overdue").stdout) == []

    ics = tmp_path / "agenda.ics"
    exported = run(*p, "agenda", "--ics", str(ics))
    assert exported.returncode == 0 and "1 items saved" in exported.stdout
    (event,) = Calendar.from_ical(ics.read_bytes()).walk("VEVENT")
    assert event.decoded("dtstart").utcoffset() == timedelta(hours=8)

    assert run(*p, "task", "done", task_id).returncode == 0
    assert json.loads(run(*p, "tasks", "--json").stdout) == []
    missing = run(*p, "task", "done", "no-such-task")
    assert missing.returncode == 1 and "No such task" in missing.stderr
    bad = run(*p, "task", "add", "--title", "x", "--due", "next tuesday")
    assert bad.returncode == 1 and "Times look like" in bad.stderr
    nobody = run(*p, "task", "add", "--title", "x", "--due", "2031-01-01", "--owner", "ghost")
    assert nobody.returncode == 1 and "Unknown user" in nobody.stderr
    huge = run(*p, "task", "add", "--title", "x", "--due", "9999-01-01")
    assert huge.returncode == 1 and "due_at" in huge.stderr

    # A rep keeps their tasks: giving one away is for team leads.
    store = Store(profile, actor="u-lead")
    store.set_meta("user_id", "u-rep")
    store.close()
    rep = run(*p, "task", "add", "--title", "x", "--due", "2031-01-01", "--owner", "liuyang")
    assert rep.returncode == 1 and "Only a team lead" in rep.stderr
