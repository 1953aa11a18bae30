"""A team lead's dashboard and alert inbox on the Leads screen, over a real server: reps' open and
overdue leads, misses in a row with the flag, fairness from the server, export to Excel; alerts
grouped, dismissed and snoozed through the real buttons, with what happened since."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers.syncing import Device, Server
from openpyxl import load_workbook
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QFileDialog, QTreeWidgetItem
from sqlalchemy import select

from app.domain.messages import Msg
from app.store import lead_board as lb
from app.store.errors import ValidationFailed
from app.sync.leads import queue_action
from app.views.context import AppContext, load_context
from app.views.i18n import say
from app.views.inboxes import LeadsScreen
from app.views.lead_board import SORT_ROLE
from app.views.tasks import TaskRunner
from server.db import loads, records
from server.leads import jobs, reps
from server.leads.common import team_id_of
from server.leads.intake import store_leads

LEFT = Qt.MouseButton.LeftButton
HIGH = {
    "company": "睿鼎科技有限公司",
    "title": "采购总监",
    "company_size": 800,
    "budget_stated": True,
    "timeline_urgency": 3,
}


@pytest.fixture
def contexts(qapp: Any) -> Iterator[Callable[[Device], AppContext]]:
    runners: list[TaskRunner] = []

    def make(device: Device) -> AppContext:
        runner = TaskRunner(device.store, synchronous=True)
        runners.append(runner)
        found: list[AppContext] = []
        load_context(runner, found.append)
        return dataclasses.replace(found[0], sync=device.engine)

    yield make
    for r in runners:
        r.close()


def _children(tree: Any) -> list[QTreeWidgetItem]:
    return [
        tree.topLevelItem(i).child(j)
        for i in range(tree.topLevelItemCount())
        for j in range(tree.topLevelItem(i).childCount())
    ]


def test_dashboard_and_alert_inbox_for_a_team_lead(
    qtbot: Any,
    server: Server,
    make_device: Callable[..., Device],
    contexts: Callable[[Device], AppContext],
    file_keyring: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reps.set_profile(server.engine, "bob", on_leave=True)
    try:
        with server.engine.connect() as conn:
            team = team_id_of(conn, "华东一组")
        assert team is not None
        # Four high-intent leads for alice, assigned 10, 8, 6 and 4 hours ago (due 15 minutes
        # after). She answered the oldest late; the other three are missed in a row.
        start = time.time()
        made = []
        for n, hours in enumerate((10, 8, 6, 4)):
            (lead,) = store_leads(
                server.engine,
                "trade_show",
                team,
                [{"external_id": f"board-{n}", "name": f"线索{n}", **HIGH}],
                now=start - hours * 3600,
            )
            made.append(lead["id"])
    finally:
        reps.set_profile(server.engine, "bob", on_leave=False)
    assert jobs.tick(server.engine, start)["deadlines"] == 4
    # alice accepts the oldest now, from her desktop: late, so its escalation stays open.
    alice = make_device("alice-board", "alice")
    alice.sync()
    queue_action(alice.store, made[0], "accepted")
    assert alice.sync().error is None

    lena = make_device("lena-board", "lena")
    lena.sync()
    ctx = contexts(lena)
    assert ctx.session.leads_team
    screen = LeadsScreen(ctx)
    qtbot.addWidget(screen)
    screen.resize(1366, 768)
    screen.show()
    dash, inbox = screen.dashboard, screen.inbox
    assert dash is not None and inbox is not None

    # ---- the dashboard
    screen.tabs.setCurrentWidget(dash)
    qtbot.waitUntil(lambda: dash.dash is not None and dash.from_server, timeout=20_000)
    assert dash.dash is not None
    names = [dash.table.item(i, 0).text() for i in range(dash.table.rowCount())]
    assert set(names) == {"张伟", "李娜"}
    row = names.index("张伟")
    cells = [dash.table.item(row, c).text() for c in range(dash.table.columnCount())]
    # 4 open, 3 overdue, 3 missed in a row: flagged; all 4 high-intent leads are hers.
    assert cells[1:4] == ["4", "3", "3"]
    assert "3" in cells[4] and cells[4].startswith("⚑")
    assert cells[5:8] == ["4", "4", "100%"]
    # alice and bob joined minutes ago, after these leads were assigned: new hires with no
    # first-week lead yet, as the server (which knows when they joined) computes.
    yes = dash.tr("Yes")
    assert cells[8:11] == ["0", "0%", yes]
    bob = [dash.table.item(1 - row, c).text() for c in range(dash.table.columnCount())]
    assert bob[1:5] == ["0", "0", "0", ""] and bob[10] == yes

    # Export through the button (the save dialog answers with a path).
    out = tmp_path / "dash.xlsx"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    qtbot.mouseClick(dash.export_button, LEFT)
    qtbot.waitUntil(out.exists, timeout=10_000)
    sheet = load_workbook(out).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == dash.headers()
    mine = next(r for r in rows[1:] if r[0] == "张伟")
    assert mine[1:4] == (4, 3, 3) and mine[4] is True and mine[7] == 1

    # ---- the alert inbox, grouped by rep
    screen.tabs.setCurrentWidget(inbox)
    qtbot.waitUntil(lambda: bool(inbox.items), timeout=10_000)
    tops = [inbox.tree.topLevelItem(i).text(0) for i in range(inbox.tree.topLevelItemCount())]
    # Four escalations and the flag; the team's daily data-health brief is about no one rep.
    assert sorted(tops) == sorted(["张伟 (5)", f"{inbox.tr('(no rep)')} (1)"])
    items = _children(inbox.tree)
    since = {i.data(0, lb_role()): i.text(4) for i in items}
    first = next(a for a, it in inbox.items.items() if it.record_id == made[0])
    assert since[first] == say(Msg("之后已接受", "Accepted since"))
    inbox.group.setCurrentIndex(1)  # by kind
    qtbot.waitUntil(lambda: inbox.tree.topLevelItemCount() == 3, timeout=10_000)
    kinds = {inbox.tree.topLevelItem(i).text(0) for i in range(3)}
    assert kinds == {
        f"{inbox.kind_name('lead_response')} (4)",
        f"{inbox.kind_name('rep_flagged')} (1)",
        f"{inbox.kind_name('health_brief')} (1)",
    }

    # Dismiss one: resolved on the lead's device (and sent to the server at the next sync).
    target = next(i for i in _children(inbox.tree) if i.data(0, lb_role()) == first)
    inbox.tree.setCurrentItem(target)
    qtbot.mouseClick(inbox.dismiss_button, LEFT)
    assert lena.store.require("alert", first)["resolved_at"]
    assert first not in inbox.items

    # Snooze another until a later day: gone from the list, back with "show snoozed".
    other = _children(inbox.tree)[0]
    other_id = str(other.data(0, lb_role()))
    inbox.tree.setCurrentItem(other)
    later = ctx.today() + timedelta(days=3)
    inbox.until.setDate(QDate(later.year, later.month, later.day))
    qtbot.mouseClick(inbox.snooze_button, LEFT)
    assert other_id not in inbox.items
    qtbot.mouseClick(inbox.snoozed, LEFT)
    assert other_id in inbox.items
    shown = next(i for i in _children(inbox.tree) if i.data(0, lb_role()) == other_id)
    assert later.isoformat() in shown.text(4)

    # Hand a third one to the rep as a task: on the rep's agenda, the alert closed.
    third_id, third = next(
        (a, it) for a, it in inbox.items.items() if a not in (first, other_id) and it.rep
    )
    target = next(i for i in _children(inbox.tree) if i.data(0, lb_role()) == third_id)
    inbox.tree.setCurrentItem(target)
    qtbot.mouseClick(inbox.task_button, LEFT)
    qtbot.waitUntil(lambda: third_id not in inbox.items, timeout=10_000)
    (task,) = list(
        lena.store.connection().query("SELECT * FROM tasks WHERE source_id = ?", [third_id])
    )
    assert task["owner"] == third.rep and task["kind"] == "alert" and task["status"] == "open"
    assert lena.store.require("alert", third_id)["resolved_at"]
    with pytest.raises(ValidationFailed):  # not into the past (the date field stops it too)
        lb.snooze_alert(lena.store, other_id, ctx.today())
    assert lena.sync().error is None
    with server.engine.connect() as conn:
        data = loads(conn.execute(select(records.c.data).where(records.c.id == first)).scalar_one())
    assert data["resolved_at"]


def lb_role() -> int:
    return int(SORT_ROLE)
