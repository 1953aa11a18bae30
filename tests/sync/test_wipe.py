"""Remote wipe: an administrator revokes a device with the server's CLI, and the real client's
next contact with the real server wipes its profile and pushes nothing more."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import keyring
from click.testing import CliRunner
from helpers.syncing import PASSWORD, Device, Server
from PySide6.QtCore import Qt
from sqlalchemy import select

from app.paths import STORE_FILE
from app.store.crypto import KEY_SERVICE, profile_id
from app.store.service import Store
from app.sync import wipe
from app.sync.errors import DeviceRevoked
from app.sync.session import keyring_service
from app.views.context import AppContext, load_context
from app.views.i18n import say
from app.views.status import SyncStatus
from app.views.tasks import TaskRunner
from server import admin
from server.cli import main as server_cli
from server.db import operations, records


def _server_device(server: Server, device: Device) -> str:
    """The server's id for this profile's sign-in (the label is the profile's device id)."""
    label = device.store.device
    return next(d.id for d in admin.list_devices(server.engine, "alice") if d.label == label)


def _revoke(server: Server, device_id: str) -> None:
    assert server.handle.settings is not None
    db = server.handle.settings.database_url
    out = CliRunner().invoke(server_cli, ["--db", db, "device", "revoke", device_id, "--yes"])
    assert out.exit_code == 0, out.output


def _on_server(server: Server, record_id: str) -> bool:
    with server.engine.connect() as conn:
        rec = conn.execute(select(records.c.id).where(records.c.id == record_id)).first()
        op = conn.execute(
            select(operations.c.op_id).where(operations.c.record_id == record_id)
        ).first()
    return rec is not None or op is not None


def test_a_revoked_device_is_wiped_at_its_next_sync(
    make_device, server: Server, tmp_path: Path
) -> None:
    a = make_device("a")
    profile = a.engine.profile_dir
    synced = a.store.create("customer", {"name": "已同步客户", "owner": a.store.actor})
    scan = tmp_path / "contract.pdf"
    scan.write_bytes(b"%PDF-1.4 signed contract" * 100)
    a.store.files.attach(scan, "contract", customer_id=synced)
    a.sync()
    assert list((profile / "files").rglob("*")) and (profile / STORE_FILE).exists()
    unsynced = a.store.create("customer", {"name": "未同步客户", "owner": a.store.actor})
    assert keyring.get_password(keyring_service(server.url), "alice")
    store_key_id = profile_id(profile)
    assert store_key_id and keyring.get_password(KEY_SERVICE, store_key_id)

    device_id = _server_device(server, a)
    _revoke(server, device_id)
    pushes = a.transport.counts.get("POST /sync/push", 0)
    report = a.engine.sync()

    assert report.error == DeviceRevoked.message
    assert "revoked" in report.error.en and "管理员已停用此设备" in report.error.zh
    # Nothing more went out: the pending customer never reached the server.
    assert a.transport.counts.get("POST /sync/push", 0) == pushes
    assert not _on_server(server, unsynced) and _on_server(server, synced)
    # The store, its journal, the attachment files and the refresh token are gone.
    assert not profile.exists()
    assert keyring.get_password(keyring_service(server.url), "alice") is None
    assert keyring.get_password(KEY_SERVICE, store_key_id) is None
    state = a.engine.state()
    assert not state.signed_in and state.last_error == DeviceRevoked.message
    # The server knows the order went out.
    states = {d.id: d.state for d in admin.list_devices(server.engine, "alice")}
    assert states[device_id] == "revoked (wipe sent)"


def test_a_wipe_order_in_the_middle_of_a_push_stops_it(make_device, server: Server) -> None:
    a = make_device("a", push_batch=1)
    ids = [
        a.store.create("customer", {"name": f"客户{i}", "owner": a.store.actor}) for i in range(3)
    ]
    device_id = _server_device(server, a)

    def revoke_before_second_push(request: httpx.Request, n: int) -> None:
        if request.url.path == "/sync/push" and n == 2:
            _revoke(server, device_id)

    a.transport.rules.append(revoke_before_second_push)
    report = a.engine.sync()
    assert report.error == DeviceRevoked.message
    assert a.transport.counts["POST /sync/push"] == 2  # the refused one, and no more
    assert [_on_server(server, i) for i in ids] == [True, False, False]
    assert not a.engine.profile_dir.exists()


def test_a_wipe_cut_short_is_finished_before_anything_else(make_device, server: Server) -> None:
    a = make_device("a")
    profile = a.engine.profile_dir
    a.store.create("customer", {"name": "客户", "owner": a.store.actor})
    # As if the power went right after the wipe began: only the marker is written.
    (profile / wipe.MARKER).write_text(
        json.dumps({"server_url": server.url, "user": "alice"}), "utf-8"
    )
    pushes = a.transport.counts.get("POST /sync/push", 0)
    try:
        a.engine.sync_or_raise()
    except DeviceRevoked:
        pass
    else:
        raise AssertionError("the sync went ahead on a profile ordered wiped")
    assert a.transport.counts.get("POST /sync/push", 0) == pushes
    assert not profile.exists()
    assert keyring.get_password(keyring_service(server.url), "alice") is None


def test_sync_command_says_why_and_exits_3(server: Server, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
        "FIELDCRM_LANG": "en",
    }
    profile = tmp_path / "cli"

    def fieldcrm(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "app", "--profile", str(profile), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    login = fieldcrm(
        "login",
        "--server",
        server.url,
        "--user",
        "alice",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert login.returncode == 0, login.stderr
    store = Store(profile)
    label = store.device
    store.close()
    device_id = next(d.id for d in admin.list_devices(server.engine, "alice") if d.label == label)
    _revoke(server, device_id)
    plain = fieldcrm("sync")
    assert plain.returncode == 4
    assert "An administrator revoked this device" in plain.stderr
    assert "edits that were not synced are lost" in plain.stderr
    assert not profile.exists()
    # A second run finds nothing to sync (and certainly sends nothing).
    again = fieldcrm("sync", "--json")
    assert again.returncode == 1 and json.loads(again.stdout)["ok"] is False


def test_the_desktop_says_why_in_its_status_line(qtbot: Any, make_device, server: Server) -> None:
    a = make_device("a")
    a.store.create("customer", {"name": "未同步客户", "owner": a.store.actor})
    runner = TaskRunner(a.store, synchronous=True)
    try:
        found: list[AppContext] = []
        load_context(runner, found.append)
        status = SyncStatus(found[0], a.engine)
        qtbot.addWidget(status)
        status.show()
        status.refresh()
        assert status.state is not None and status.state.signed_in
        _revoke(server, _server_device(server, a))
        with qtbot.waitSignal(status.message) as shown:
            qtbot.mouseClick(status.sync_button, Qt.MouseButton.LeftButton)
        text, is_problem = shown.args
        assert is_problem and text == say(DeviceRevoked.message)
        qtbot.waitUntil(lambda: status.state is not None and not status.state.signed_in)
        assert not a.engine.profile_dir.exists()
    finally:
        runner.close()
