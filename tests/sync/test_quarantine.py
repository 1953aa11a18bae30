"""Poison in a pulled page: the bad records are set aside and reported, the rest keeps syncing.

The server's database is given bad rows directly (as an older server, a migration or a hand
edit could leave them), bypassing the checks of push.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers.syncing import PASSWORD, Device, Server
from helpers.world import write_raw
from PySide6.QtCore import Qt
from sqlalchemy import text

from app.domain.derived import VERSION
from app.store.service import Store
from app.sync import local, quarantine
from app.sync.engine import SyncEngine
from app.sync.errors import ServerTrouble
from app.views.context import AppContext, load_context
from app.views.i18n import say
from app.views.status import HELD, HELD_NOW, HELD_TIP, SyncStatus
from app.views.tasks import TaskRunner
from server import admin


def _new_rep(server: Server, name: str) -> str:
    """A rep of their own, so that each test sees only the records it made."""
    assert server.handle.settings is not None
    admin.create_user(
        server.engine, server.handle.settings, name, PASSWORD, role="rep", team="华东一组"
    )
    return name


def _customers(d: Device) -> dict[str, str]:
    return {r[0]: r[1] for r in d.store.connection().execute("SELECT id, name FROM customers")}


def _poison(server: Server, a: Device) -> tuple[list[str], dict[str, str]]:
    """Five customers of alice's, three of them then poisoned on the server, one each way."""
    names = ["甲方科技有限公司", "乙方医疗有限公司", "丙方家居有限公司", "丁方贸易有限公司"]
    ids = [a.store.create("customer", {"name": n, "owner": a.store.actor}) for n in names]
    a.sync()
    owner = json.dumps(a.store.actor)
    poisons = {
        # A number JSON cannot hold: what a push of 1e400 used to leave behind.
        ids[1]: '{"name":"乙方医疗有限公司","owner":' + owner + ',"notes":"x","score":Infinity}',
        # A field of the wrong type.
        ids[2]: '{"name":{"zh":"丙方"},"owner":' + owner + "}",
        # Not JSON at all: the page around it cannot be read by a strict decoder.
        ids[3]: '{"name":"丁方贸易有限公司","owner":' + owner + ',"notes":"cut off',
    }
    for rid, data in poisons.items():
        write_raw(server.engine, rid, data)
    return ids, poisons


def test_a_poisoned_record_is_set_aside_and_sync_goes_on(make_device, server: Server) -> None:
    user = _new_rep(server, "carol")
    a = make_device("a", user)
    ids, _ = _poison(server, a)
    later = a.store.create("customer", {"name": "戊方咨询有限公司", "owner": a.store.actor})
    # A device already in sync receives the three bad copies among good changes.
    report = a.sync()
    assert report.quarantined == 3 and report.pushed == 1
    held = quarantine.held(a.store)
    assert sorted(h["record_id"] for h in held) == sorted(ids[1:])
    reasons = {h["record_id"]: h["reason"]["en"] for h in held}
    assert "infinite" in reasons[ids[1]] and "score" in reasons[ids[1]]
    assert "wrong type" in reasons[ids[2]] and "name" in reasons[ids[2]]
    assert "not valid JSON" in reasons[ids[3]]
    raw = {h["record_id"]: h["raw"] for h in held}
    assert "Infinity" in raw[ids[1]] and '"cut off' in raw[ids[3]]
    # Its earlier good copies stay as they were.
    assert _customers(a)[ids[2]] == "丙方家居有限公司"
    assert a.engine.state().quarantined == 3

    # A new device starts from nothing: everything else arrives, the cursor moves on.
    b = make_device("b", user)
    first = b.sync()
    assert first.quarantined == 3
    assert set(_customers(b)) == {ids[0], later}
    assert b.store.meta("cursor")
    again = b.sync()
    # Nothing is set aside again; what moves is this device's report of the three (pushed,
    # and echoed back with the server's stamps).
    assert (again.pushed, again.pulled, again.quarantined) == (3, 3, 0)
    # And it keeps syncing what comes after.
    newer = a.store.create("customer", {"name": "己方物流有限公司", "owner": a.store.actor})
    a.sync()
    # The new customer, and device a's own report of the three (it is in the same scope).
    assert b.sync().pulled == 4 and newer in _customers(b)

    # Once the server holds a good copy again, it takes the set-aside one's place.
    write_raw(
        server.engine,
        ids[2],
        json.dumps({"name": "丙方家居有限公司(已修复)", "owner": a.store.actor}),
    )
    assert b.sync().quarantined == 0
    assert _customers(b)[ids[2]] == "丙方家居有限公司(已修复)"
    assert sorted(h["record_id"] for h in quarantine.held(b.store)) == sorted([ids[1], ids[3]])
    assert b.engine.state().quarantined == 2


def test_each_device_reports_what_it_set_aside_to_the_server_once(
    make_device, server: Server
) -> None:
    user = _new_rep(server, "fay")
    a = make_device("a", user)
    ids, _ = _poison(server, a)
    assert a.sync().quarantined == 3
    a.sync()  # the reports raised after the last pull go up with this push
    a.sync()  # nothing new set aside: nothing reported again
    with server.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, data FROM records WHERE entity = 'alert' AND NOT deleted")
        ).all()
    reports = [json.loads(r.data) for r in rows if json.loads(r.data)["kind"] == "unreadable"]
    mine = [r for r in reports if r["owner"] == a.store.actor]
    assert len(mine) == 3
    assert sorted(rid for rid in ids[1:] if any(rid in r["message_en"] for r in mine)) == sorted(
        ids[1:]
    )
    assert all("could not be read" in r["message_en"] for r in mine)


def test_full_resync_keeps_the_local_copy_of_a_set_aside_record(
    make_device, server: Server
) -> None:
    a = make_device("a", _new_rep(server, "dave"))
    ids, _ = _poison(server, a)
    a.sync()
    a.store.set_meta("cursor", None)  # what a 410 from the server leads to
    report = a.engine.sync_or_raise()
    assert report.quarantined == 3 and report.removed == 0
    assert set(ids) <= set(_customers(a))


def test_cli_and_status_bar_report_what_was_set_aside(
    make_device, server: Server, qtbot: Any, tmp_path: Path
) -> None:
    user = _new_rep(server, "erin")
    a = make_device("a", user)
    ids, _ = _poison(server, a)
    login = _fieldcrm(
        tmp_path / "cli",
        "login",
        "--server",
        server.url,
        "--user",
        user,
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert login.returncode == 0, login.stderr
    out = _fieldcrm(tmp_path / "cli", "sync", "--json")
    assert out.returncode == 3, out.stderr
    result = json.loads(out.stdout)
    assert result["ok"] is False and result["quarantined"] == 3 and result["rejected"] == 0
    assert (
        "set aside" in result["error"]["en"] and "reported to the server" in (result["error"]["en"])
    )
    assert sorted(q["record_id"] for q in result["quarantine"]) == sorted(ids[1:])
    text_out = _fieldcrm(tmp_path / "cli", "--lang", "zh", "sync")
    assert text_out.returncode == 0, text_out.stderr  # nothing new set aside this time
    assert text_out.stderr.count("⚠ customer") == 3 and "暂存 0" in text_out.stdout

    # The desktop status bar of a fresh device, syncing by its real button.
    b = make_device("b", user)
    runner = TaskRunner(b.store, synchronous=True)
    contexts: list[AppContext] = []
    load_context(runner, contexts.append)
    status = SyncStatus(contexts[0], b.engine)
    qtbot.addWidget(status)
    status.show()
    status.refresh()
    assert status.held.isHidden()
    messages: list[tuple[str, bool]] = []
    status.message.connect(lambda text, problem: messages.append((text, problem)))
    qtbot.mouseClick(status.sync_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(messages))
    assert messages[-1] == (say(HELD_NOW.format(n=3)), True)
    qtbot.waitUntil(status.held.isVisible)
    assert status.held.text() == say(HELD.format(n=3))
    assert status.held.text() in ("⚠ 3 条记录无法读取", "⚠ 3 record(s) unreadable")
    assert status.held.toolTip() == say(HELD_TIP)
    runner.close()


def _fieldcrm(profile: Path, *args: str, stdin: str | None = None) -> Any:
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


# ---- the decoding path on its own -------------------------------------------------------
def _item(rid: str, fields: str, *, version: int = 1, derived: str | None = None) -> str:
    tail = f',"derived":{derived}' if derived is not None else ""
    return (
        f'{{"entity":"customer","id":"{rid}","version":{version},"deleted":false,'
        f'"fields":{fields}{tail}}}'
    )


def _page(*items: str, cursor: str = "7.3") -> bytes:
    return (
        '{"changes":[' + ",".join(items) + f'],"cursor":"{cursor}","more":false,"rules_version":1}}'
    ).encode()


def test_items_around_poison_are_read_in_every_position() -> None:
    good = _item("g-1", '{"name":"甲方","owner":"u"}')
    cases = [
        _item("p-1", '{"name":"乙方","notes":NaN}'),
        _item("p-1", '{"name":"乙方","checklist":{"a":-Infinity}}'),
        _item("p-1", '{"name":"乙方",,}'),
        _item("p-1", '{"name":"乙方"} trailing'),
        '{"entity":"customer","id":"p-1","version":1,"deleted":false,"fields":}',
        '"just a string"',
        _item("p-1", "[1, 2]"),
        _item("p-1", '{"name":"乙方"}', version=-1).replace('"version":-1', '"version":"2"'),
        _item("p-1", '{"name":["乙方"]}'),
        _item("p-1", '{"name":"乙方","owner":12}'),
    ]
    for poison in cases:
        for items in ((poison, good), (good, poison), (good, poison, good.replace("g-1", "g-2"))):
            page = local.decode_page(_page(*items))
            assert [r.id for r in page.records] == [
                i for i in ("g-1", "g-2") if any(f'"{i}"' in x for x in items)
            ], poison
            assert len(page.quarantined) == 1 and page.cursor == "7.3", poison
            held = page.quarantined[0]
            assert held.raw and held.reason.en and held.reason.zh
            if poison.startswith('{"entity"'):
                assert (held.entity, held.record_id) == ("customer", "p-1"), poison


def test_not_a_page_still_stops_the_sync() -> None:
    whole = _page(_item("g-1", '{"name":"甲方"}'), _item("p-1", '{"notes":Infinity}'))
    for body in (whole[:-20], b"<html>proxy login</html>", b"", whole.replace(b"cursor", b"c")):
        with pytest.raises(ServerTrouble):
            local.decode_page(body)


def test_server_extras_that_do_not_fit_are_derived_here(store: Store) -> None:
    bad = json.dumps({"v": VERSION, "sort": {"x": 1}, "key": "甲方", "doc": ["a", "b"]})
    page = local.decode_page(_page(_item("g-1", '{"name":"甲方","owner":"u"}', derived=bad)))
    assert page.records[0].derived is None and not page.quarantined
    local.apply_remote(store, page.records)
    assert store.require("customer", "g-1")["name"] == "甲方"


def test_a_record_the_store_refuses_is_set_aside_not_fatal(store: Store, tmp_path: Path) -> None:
    """The safety net behind the checks: a poison they do not know yet."""
    engine = SyncEngine(tmp_path / "unused")
    records = [
        local.RemoteRecord("customer", "g-1", 1, False, {"name": "甲方", "owner": "u-rep"}),
        # Past the checks (built by hand): SQLite cannot bind a set.
        local.RemoteRecord("customer", "p-1", 1, False, {"name": "乙方", "notes": {1, 2}}),
        local.RemoteRecord("customer", "g-2", 1, False, {"name": "丙方", "owner": "u-rep"}),
    ]
    page = local.PulledPage(records, [], [], "9.1", False, 1)
    _changes, (pulled, _removed, _conflicts, held) = engine._apply_page(store, page, set())
    assert (pulled, held) == (2, 1)
    assert {r[0] for r in store.connection().execute("SELECT id FROM customers")} == {"g-1", "g-2"}
    assert store.meta("cursor") == "9.1"
    (entry,) = quarantine.held(store)
    assert entry["record_id"] == "p-1" and "could not be stored" in entry["reason"]["en"]
    # The next good copy takes its place.
    fixed = local.RemoteRecord("customer", "p-1", 2, False, {"name": "乙方", "owner": "u-rep"})
    engine._apply_page(store, local.PulledPage([fixed], [], [], "9.2", False, 1), set())
    assert quarantine.held(store) == [] and store.require("customer", "p-1")["name"] == "乙方"


def test_a_newer_servers_kinds_are_ignored_not_fatal(store: Store, tmp_path: Path) -> None:
    body = _page(
        '{"entity":"forecast","id":"x-1","version":1,"deleted":false,"fields":{"q":1}}',
        '{"entity":"forecast","id":"x-1","removed":true}',
        _item("g-1", '{"name":"甲方","owner":"u-rep"}'),
    )
    page = local.decode_page(body)
    assert page.removals == [] and not page.quarantined
    SyncEngine(tmp_path / "unused")._apply_page(store, page, set())
    assert store.require("customer", "g-1")["name"] == "甲方"
