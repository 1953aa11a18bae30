"""The Leads screen acts, against the real server over HTTP: a lead's page (score reasons, why
assigned, the deadline counting down on an injected clock), accepting offline, converting after
the duplicate check, logging the first contact, the team pool and its claims, live updates."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers.syncing import Device, Server
from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import QTableWidget
from sqlalchemy import select

from app.store.service import Change, Store
from app.views import i18n
from app.views.application import DesktopApp, wait_until_ready
from app.views.context import AppContext, load_context
from app.views.i18n import say
from app.views.inboxes import LeadsScreen
from app.views.leads import NO_NETWORK
from app.views.live import LiveUpdates
from app.views.operations import Session
from app.views.tasks import TaskRunner
from app.views.widgets import RECORD_ID
from server.db import lead_state, loads, records, teams
from server.leads import jobs, keys, reps
from server.leads.intake import store_leads

HIGH = {
    "company": "睿鼎科技有限公司",
    "title": "采购总监",
    "company_size": 800,
    "budget_stated": True,
    "timeline_urgency": 3,
}


@pytest.fixture
def only_alice(server: Server) -> Iterator[None]:
    """Every new lead goes to alice: bob, the team's other rep, is on leave."""
    reps.set_profile(server.engine, "bob", on_leave=True)
    yield
    reps.set_profile(server.engine, "bob", on_leave=False)


@pytest.fixture
def language_kept(qapp: Any) -> Iterator[None]:
    """A window built in English leaves the language as the other tests expect it."""
    before, locale = dict(i18n._state), QLocale()
    yield
    for t in i18n._state["translators"]:  # type: ignore[attr-defined]
        qapp.removeTranslator(t)
    for t in before["translators"]:  # type: ignore[attr-defined]
        qapp.installTranslator(t)
    i18n._state.update(before)
    QLocale.setDefault(locale)


@pytest.fixture
def contexts(qapp: Any) -> Iterator[Callable[..., AppContext]]:
    runners: list[TaskRunner] = []

    def make(device: Device, clock: Callable[[], datetime] | None = None) -> AppContext:
        runner = TaskRunner(device.store, synchronous=True)
        runners.append(runner)
        found: list[AppContext] = []
        load_context(runner, found.append)
        ctx = dataclasses.replace(found[0], sync=device.engine)
        return dataclasses.replace(ctx, clock=clock) if clock else ctx

    yield make
    for r in runners:
        r.close()


def intake(server: Server, external_id: str, name: str, **fields: Any) -> str:
    key = keys.add_key(server.engine, "trade_show", "华东一组")
    r = httpx.post(
        f"{server.url}/api/v1/intake/leads",
        json={"leads": [{"external_id": external_id, "name": name, **fields}]},
        headers={"X-Intake-Key": key},
    )
    assert r.status_code == 200, r.text
    return str(r.json()["leads"][0]["id"])


def screen_for(qtbot: Any, ctx: AppContext) -> LeadsScreen:
    screen = LeadsScreen(ctx)
    ctx.runner.changed.connect(screen.on_changed)
    qtbot.addWidget(screen)
    screen.resize(1366, 768)
    screen.show()
    return screen


def row_of(table: QTableWidget, record_id: str) -> int:
    for i in range(table.rowCount()):
        if table.item(i, 0).data(RECORD_ID) == record_id:
            return i
    raise AssertionError(f"{record_id} is not listed")


def click_row(qtbot: Any, table: QTableWidget, record_id: str, double: bool = False) -> int:
    row = row_of(table, record_id)
    pos = table.visualItemRect(table.item(row, 0)).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    if double:
        qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    return row


def server_lead(server: Server, lead_id: str) -> dict[str, Any]:
    with server.engine.connect() as conn:
        data = conn.execute(select(records.c.data).where(records.c.id == lead_id)).scalar_one()
    return dict(loads(data))


def test_a_lead_page_shows_why_and_counts_down(
    qtbot: Any,
    server: Server,
    make_device: Callable[..., Device],
    contexts: Callable[..., AppContext],
    only_alice: None,
    file_keyring: None,
) -> None:
    lead_id = intake(server, "ui-page-1", "王磊", mobile="13812345678", **HIGH)
    alice = make_device("alice-page", "alice")
    alice.sync()
    due = datetime.fromisoformat(str(alice.store.require("lead", lead_id)["response_due"]))
    due = due if due.tzinfo else due.replace(tzinfo=UTC)
    now = [due - timedelta(minutes=10, seconds=5)]
    ctx = contexts(alice, clock=lambda: now[0])
    screen = screen_for(qtbot, ctx)

    row = row_of(screen.table, lead_id)
    headers = [screen.table.horizontalHeaderItem(c).text() for c in range(8)]
    assert headers[2:4] == ["Mobile", "Channel"]
    cells = [screen.table.item(row, c).text() for c in range(8)]
    assert cells[2] == "13812345678" and cells[3] == "Trade show"
    assert cells[5] == "Assigned" and cells[7] == "10 min"

    click_row(qtbot, screen.table, lead_id, double=True)
    page = screen.lead_dialog
    assert page is not None and page.lead_id == lead_id
    assert page.values["mobile"].text() == "13812345678"
    assert page.values["owner"].text() == "张伟"
    assert "100" in page.score.text() and "High intent" in page.score.text()
    factors = [page.factors.item(r, 0).text() for r in range(page.factors.rowCount())]
    assert len(factors) >= 3 and all(factors)
    assert "张伟" in page.why.text() and "李娜 (on leave)" in page.why.text()
    assert page.candidates.item(0, 0).text() == "★ 张伟"
    # The countdown: a timer ticks each second; the text follows the (injected) clock.
    assert page.ticker.isActive() and page.ticker.interval() == 1000
    assert page.countdown.text() == "10:05 left"
    now[0] = due - timedelta(seconds=59)
    page.ticker.timeout.emit()
    assert page.countdown.text() == "00:59 left"
    now[0] = due + timedelta(minutes=3, seconds=1)
    page.refresh_countdown()
    assert page.countdown.text() == "overdue by 3 min"
    screen._tick()
    assert screen.table.item(row, 7).text() == "overdue by 3 min"
    page.close()

    # Enter on the selected row opens it too.
    screen.table.setFocus()
    qtbot.keyClick(screen.table, Qt.Key.Key_Return)
    assert screen.lead_dialog is not None and screen.lead_dialog.lead_id == lead_id


def test_accept_offline_shows_at_once_and_syncs_later(
    qtbot: Any,
    server: Server,
    make_device: Callable[..., Device],
    contexts: Callable[..., AppContext],
    only_alice: None,
    file_keyring: None,
) -> None:
    lead_id = intake(server, "ui-accept-1", "陈静", company="远帆物流有限公司")
    other_id = intake(server, "ui-accept-2", "周强", company="青禾家居有限公司")
    alice = make_device("alice-accept", "alice")
    alice.sync()
    ctx = contexts(alice)
    # Someone else's lead (a team lead looking at the team's): they cannot accept it.
    other = screen_for(qtbot, dataclasses.replace(ctx, session=Session("u-x", "王经理", "lead")))
    click_row(qtbot, other.table, lead_id)
    assert other.open_button.isEnabled() and not other.accept_button.isEnabled()
    screen = screen_for(qtbot, ctx)
    alice.transport.rules.append(lambda _req, _n: "timeout")  # the network is gone

    click_row(qtbot, screen.table, lead_id)
    assert screen.accept_button.isEnabled()
    qtbot.mouseClick(screen.accept_button, Qt.MouseButton.LeftButton)
    row = row_of(screen.table, lead_id)
    assert screen.table.item(row, 5).text() == "Accepted (not sent yet)"
    assert "next sync" in screen.notice.text()
    assert not screen.accept_button.isEnabled()
    assert alice.store.require("lead", lead_id)["status"] == "accepted"

    # Mark contacted from the lead's page.
    click_row(qtbot, screen.table, other_id, double=True)
    page = screen.lead_dialog
    assert page is not None
    qtbot.mouseClick(page.contacted_button, Qt.MouseButton.LeftButton)
    assert alice.store.require("lead", other_id)["status"] == "contacted"
    assert page.values["status"].text() == "Contacted (not sent yet)"
    assert page.countdown.text() == "Responded"

    assert alice.engine.sync().error is not None  # offline: nothing sent, nothing lost
    pending = (
        alice.store.connection()
        .execute("SELECT lead_id, action FROM lead_actions WHERE state = 'pending' ORDER BY id")
        .fetchall()
    )
    assert pending == [(lead_id, "accepted"), (other_id, "contacted")]

    alice.transport.rules.clear()
    alice.sync()
    with server.engine.connect() as conn:
        outcomes = dict(
            conn.execute(
                select(lead_state.c.lead_id, lead_state.c.outcome).where(
                    lead_state.c.lead_id.in_([lead_id, other_id])
                )
            ).all()
        )
    assert outcomes == {lead_id: "on_time", other_id: "on_time"}
    screen.reload()
    assert screen.table.item(row_of(screen.table, lead_id), 5).text() == "Accepted"


def test_convert_checks_duplicates_first(
    qtbot: Any,
    server: Server,
    make_device: Callable[..., Device],
    contexts: Callable[..., AppContext],
    only_alice: None,
    file_keyring: None,
) -> None:
    lead_id = intake(
        server, "ui-convert-1", "刘洋", company="杭州睿鼎科技有限公司", mobile="13900001111"
    )
    alice = make_device("alice-convert", "alice")
    existing = alice.store.create(
        "customer", {"name": "睿鼎科技(杭州)有限公司", "owner": alice.store.actor}
    )
    alice.sync()
    screen = screen_for(qtbot, contexts(alice))

    click_row(qtbot, screen.table, lead_id)
    qtbot.mouseClick(screen.convert_button, Qt.MouseButton.LeftButton)
    dupes = screen.duplicates_dialog
    assert dupes is not None and dupes.list.count() >= 1
    assert dupes.open_existing.isDefault() and not dupes.create_anyway.isDefault()
    with qtbot.waitSignal(screen.open_record) as opened:
        qtbot.mouseClick(dupes.open_existing, Qt.MouseButton.LeftButton)
    assert opened.args == ["customer", existing]
    assert alice.store.connection().execute("SELECT count(*) FROM customers").fetchone()[0] == 1
    assert alice.store.require("lead", lead_id)["customer_id"] is None

    qtbot.mouseClick(screen.convert_button, Qt.MouseButton.LeftButton)
    dupes = screen.duplicates_dialog
    assert dupes is not None
    with qtbot.waitSignal(screen.open_record) as opened:
        qtbot.mouseClick(dupes.create_anyway, Qt.MouseButton.LeftButton)
    lead = alice.store.require("lead", lead_id)
    assert lead["status"] == "converted" and opened.args == ["customer", lead["customer_id"]]
    customer = alice.store.require("customer", lead["customer_id"])
    assert customer["name"] == "杭州睿鼎科技有限公司" and customer["owner"] == alice.store.actor
    (contact,) = alice.store.connection().query(
        "SELECT * FROM contacts WHERE customer_id = ?", [customer["id"]]
    )
    assert contact["name"] == "刘洋" and contact["mobile"] == "13900001111" and contact["is_key"]
    (deal,) = alice.store.connection().query(
        "SELECT * FROM deals WHERE customer_id = ?", [customer["id"]]
    )
    assert deal["primary_contact_id"] == contact["id"]
    with pytest.raises(AssertionError):
        row_of(screen.table, lead_id)  # converted leads leave the list
    alice.sync()
    data = server_lead(server, lead_id)
    assert data["status"] == "converted" and data["customer_id"] == customer["id"]


def test_log_first_contact_converts_then_opens_the_follow_up_form(
    qtbot: Any,
    server: Server,
    make_device: Callable[..., Device],
    contexts: Callable[..., AppContext],
    only_alice: None,
    file_keyring: None,
) -> None:
    lead_id = intake(server, "ui-first-1", "赵敏", company="宁波澄湖电子有限公司")
    alice = make_device("alice-first", "alice")
    alice.sync()
    screen = screen_for(qtbot, contexts(alice))
    click_row(qtbot, screen.table, lead_id)
    qtbot.mouseClick(screen.log_button, Qt.MouseButton.LeftButton)
    assert screen.duplicates_dialog is None  # nothing like it here: converted directly
    form = screen.followup_form
    assert form is not None and form.isVisible()
    customer_id = alice.store.require("lead", lead_id)["customer_id"]
    assert customer_id and form.customer_id == customer_id
    form.conclusion.setPlainText("电话沟通:客户确认需求,下周安排上门演示")
    form.next_action.setPlainText("预约上门演示")
    with qtbot.waitSignal(form.saved):
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert (
        alice.store.connection()
        .execute("SELECT count(*) FROM followups WHERE customer_id = ?", [customer_id])
        .fetchone()[0]
        == 1
    )
    lead = alice.store.require("lead", lead_id)
    assert lead["status"] == "converted" and lead["accepted_at"]
    assert alice.store.connection().execute(
        "SELECT action FROM lead_actions WHERE lead_id = ?", [lead_id]
    ).fetchall() == [("contacted",)]
    alice.sync()
    with server.engine.connect() as conn:
        outcome = conn.execute(
            select(lead_state.c.outcome).where(lead_state.c.lead_id == lead_id)
        ).scalar_one()
    assert outcome == "on_time"
    assert server_lead(server, lead_id)["customer_id"] == customer_id


def test_pool_claim_first_wins_loser_is_told_offline_says_so(
    qtbot: Any,
    server: Server,
    make_device: Callable[..., Device],
    contexts: Callable[..., AppContext],
    file_keyring: None,
) -> None:
    engine = server.engine
    with engine.connect() as conn:
        team = conn.execute(select(teams.c.id).where(teams.c.name == "华东一组")).scalar_one()
    reps.set_profile(engine, "bob", on_leave=True)
    try:
        (old,) = store_leads(
            engine,
            "trade_show",
            team,
            [{"external_id": "ui-pool-1", "name": "孙悦"}],
            now=time.time() - 50 * 3600,
        )
    finally:
        reps.set_profile(engine, "bob", on_leave=False)
    assert jobs.tick(engine, time.time())["reclaim"] >= 1
    alice, bob = make_device("alice-pool", "alice"), make_device("bob-pool", "bob")
    alice.sync()
    bob.sync()
    alice_screen = screen_for(qtbot, contexts(alice))
    bob_screen = screen_for(qtbot, contexts(bob))
    for s in (alice_screen, bob_screen):
        s.tabs.setCurrentWidget(s.pool)  # opening the tab asks the server
        assert s.pool.loaded
        row_of(s.pool.table, old["id"])

    click_row(qtbot, bob_screen.pool.table, old["id"])
    qtbot.mouseClick(bob_screen.pool.claim_button, Qt.MouseButton.LeftButton)
    assert "Claimed" in bob_screen.pool.result.text()
    click_row(qtbot, alice_screen.pool.table, old["id"])  # alice's list is older
    qtbot.mouseClick(alice_screen.pool.claim_button, Qt.MouseButton.LeftButton)
    assert alice_screen.pool.problem.isVisible()
    assert "李娜" in alice_screen.pool.problem.text()
    with pytest.raises(AssertionError):
        row_of(alice_screen.pool.table, old["id"])  # the list is asked again
    bob.sync()
    assert bob.store.require("lead", old["id"])["owner"] == bob.store.actor

    # Offline, or not signed in: the pool says why it is empty.
    bob.transport.rules.append(lambda _req, _n: "timeout")
    bob_screen.pool.load()
    assert bob_screen.pool.problem.isVisible()
    assert bob_screen.pool.problem.text() == say(NO_NETWORK)
    assert not bob_screen.pool.claim_button.isEnabled()
    signed_out = screen_for(qtbot, dataclasses.replace(contexts(alice), sync=None))
    signed_out.tabs.setCurrentWidget(signed_out.pool)
    assert signed_out.pool.problem.text() == say(NO_NETWORK)


def test_a_new_lead_syncs_within_seconds_and_is_announced(
    qtbot: Any,
    server: Server,
    make_device: Callable[..., Device],
    contexts: Callable[..., AppContext],
    only_alice: None,
    file_keyring: None,
) -> None:
    alice = make_device("alice-live", "alice")
    alice.sync()
    ctx = contexts(alice)
    synced: list[Any] = []

    def sync_now() -> None:
        synced.append(alice.engine.sync())
        ctx.runner.changed.emit([Change("sync", "*", "sync", ())])  # as the status bar does

    live = LiveUpdates(ctx, alice.engine, sync_now, poll_timeout_s=2)
    ctx.runner.changed.connect(live.on_changed)
    try:
        assert live.start()
        watcher = live.watcher
        assert watcher is not None
        qtbot.waitUntil(watcher.ready.is_set, timeout=20_000)
        assert live.last_notice is None  # what was assigned before is not news
        intake(server, "ui-live-1", "吴昊", company="苏州启明软件有限公司")
        qtbot.waitUntil(lambda: live.last_notice is not None, timeout=20_000)
        assert synced and synced[-1].error is None
        title, text = live.last_notice or ("", "")
        assert title == "New lead: 吴昊" and "苏州启明软件有限公司" in text
        assert "respond within" in text
        assert live.tray is None  # offscreen has no tray; nothing breaks
    finally:
        live.stop()
    assert live.watcher is None


def test_the_signed_in_window_watches_and_stops_on_close(
    qtbot: Any,
    server: Server,
    make_device: Callable[..., Device],
    only_alice: None,
    file_keyring: None,
    tmp_path: Path,
    language_kept: None,
) -> None:
    alice = make_device("alice-window", "alice")
    alice.sync()
    profile = alice.engine.profile_dir
    store = Store(profile)
    store.actor = alice.store.actor
    runner = TaskRunner(store, synchronous=True)  # closes its own store
    desktop = DesktopApp(profile, "en", sync_factory=lambda _s: alice.engine, runner=runner)
    try:
        window = wait_until_ready(desktop)
        live = window.live
        assert live is not None and live.watcher is not None
        qtbot.waitUntil(live.watcher.ready.is_set, timeout=20_000)
        lead_id = intake(server, "ui-window-1", "郑凯", company="无锡恒拓机械有限公司")
        qtbot.waitUntil(lambda: live.last_notice is not None, timeout=20_000)
        assert alice.store.require("lead", lead_id)["owner"] == alice.store.actor
        assert "郑凯" in window.statusBar().currentMessage()
        window.close()
        assert live.watcher is None  # closing the window stops watching
    finally:
        desktop.close()

    # A profile that is not signed in watches nothing.
    plain = tmp_path / "plain"
    offline = DesktopApp(plain, "en", runner=TaskRunner(Store(plain), synchronous=True))
    try:
        assert wait_until_ready(offline).live is None
    finally:
        offline.close()
