"""The team lead's lead dashboard and alert inbox over the local copy (SPEC L3, L4, P5).

Reads the synced leads, alerts and deals and hands them to :mod:`app.domain.lead_board`;
dismissing an alert resolves it through the store's write path (it leaves every device's list);
snoozing is this device's (``alert_snoozes``), like a snoozed follow-up.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from app.domain import lead_board as board
from app.domain.messages import Msg
from app.store.errors import ValidationFailed
from app.store.service import Store
from app.store.sheets import Sheet, write_sheet

PERIODS = (7, 30, 90)


@dataclass
class Dashboard:
    """Per-rep lines and the names to show them with."""

    rows: list[board.RepRow]
    names: dict[str, str]
    days: int
    misses_to_flag: int
    flag_below: float


def _users(store: Store) -> dict[str, dict[str, Any]]:
    return {
        str(u["id"]): u
        for u in store.connection().query(
            "SELECT id, name, display_name, role, team_id, active FROM users"
        )
    }


def _names(users: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    return {k: str(u.get("display_name") or u.get("name") or k) for k, u in users.items()}


def _leads(store: Store) -> list[dict[str, Any]]:
    return list(
        store.connection().query(
            "SELECT id, owner, status, score, assigned_at, response_due, accepted_at, name "
            "FROM leads WHERE _deleted = 0"
        )
    )


def dashboard(store: Store, days: int = 30, joined: Mapping[str, float] | None = None) -> Dashboard:
    """Each rep of the signed-in lead's team (every rep on this device otherwise): open and
    overdue leads, misses in a row, the flag, and the high-intent share over ``days``."""
    now = store.clock().timestamp()
    users = _users(store)
    me = users.get(store.actor or "")
    team = me.get("team_id") if me else None
    reps = [
        uid
        for uid, u in users.items()
        if u.get("role") == "rep" and (team is None or u.get("team_id") == team)
    ]
    flagged = [
        str(a["record_id"])
        for a in store.connection().query(
            "SELECT record_id FROM alerts WHERE _deleted = 0 AND kind = 'rep_flagged' "
            "AND resolved_at IS NULL"
        )
    ]
    rules = store.rules.leads
    rows = board.rep_rows(
        reps,
        _leads(store),
        now=now,
        start=now - days * 86400,
        rules=rules,
        flagged_reps=flagged,
        joined=joined,
    )
    return Dashboard(rows, _names(users), days, rules.misses_to_flag, rules.fairness_flag_below)


def with_server_fairness(store: Store, dash: Dashboard, report: Mapping[str, Any]) -> Dashboard:
    """The dashboard with the new hires' first-week figures of the server's fairness report
    (it knows when each rep joined; the directory on a device does not)."""
    by_login = {str(u["name"]): uid for uid, u in _users(store).items()}
    server = {by_login.get(str(r.get("name")), ""): r for r in report.get("reps", [])}
    rows = []
    for row in dash.rows:
        r = server.get(row.user_id)
        if r is None:
            rows.append(row)
            continue
        rows.append(
            replace(
                row,
                new_hire=bool(r.get("new_hire")),
                first_week_leads=r.get("first_week_leads"),
                first_week_ratio=r.get("first_week_ratio"),
                first_week_flagged=bool(r.get("flagged")),
            )
        )
    return replace(dash, rows=rows)


def dashboard_sheet(dash: Dashboard, headers: list[str]) -> Sheet:
    """The dashboard as a sheet (numbers stay numbers)."""
    return Sheet(
        "leads",
        headers,
        [
            [
                dash.names.get(r.user_id, r.user_id),
                r.open_leads,
                r.overdue,
                r.misses_in_row,
                r.flagged,
                r.leads,
                r.high_intent,
                round(r.share_high, 4),
                r.first_week_leads,
                None if r.first_week_ratio is None else round(r.first_week_ratio, 4),
                r.first_week_flagged,
            ]
            for r in dash.rows
        ],
    )


def export_dashboard(store: Store, path: Path, headers: list[str], days: int = 30) -> int:
    """Write the dashboard to an .xlsx file; returns the rows written."""
    return write_sheet(path, dashboard_sheet(dashboard(store, days), headers))


# ---------------------------------------------------------------- the alert inbox


def _snoozes(store: Store) -> dict[str, str]:
    return {
        str(r["alert_id"]): str(r["until"])
        for r in store.connection().query("SELECT alert_id, until FROM alert_snoozes")
    }


def alert_inbox(
    store: Store,
    *,
    sort: str = "days",
    group: str = "rep",
    show_snoozed: bool = False,
) -> list[tuple[str | None, list[board.InboxItem]]]:
    """Open alerts grouped by ``rep`` or ``kind``, sorted by ``days`` or ``amount``."""
    alerts = list(
        store.connection().query("SELECT * FROM alerts WHERE _deleted = 0 AND resolved_at IS NULL")
    )
    ids = [str(a["record_id"]) for a in alerts if a.get("record_id")]
    leads: dict[str, dict[str, Any]] = {}
    deals: dict[str, dict[str, Any]] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        for row in store.connection().query(
            f"SELECT id, owner, status, accepted_at, assigned_at FROM leads "
            f"WHERE _deleted = 0 AND id IN ({marks})",
            chunk,
        ):
            leads[str(row["id"])] = row
        for row in store.connection().query(
            f"SELECT id, owner, customer_id, amount, stage, stage_entered_at FROM deals "
            f"WHERE _deleted = 0 AND id IN ({marks})",
            chunk,
        ):
            deals[str(row["id"])] = row
    rules = store.rules
    now = store.clock()
    items = board.inbox(
        alerts,
        leads=leads,
        deals=deals,
        snoozes=_snoozes(store),
        now=now.timestamp(),
        today=now.date().isoformat(),
        stage_names={s.key: s.label for s in rules.stages},
        user_names=_names(_users(store)),
        show_snoozed=show_snoozed,
    )
    return board.group_items(board.sort_items(items, sort), group)


def dismiss_alert(store: Store, alert_id: str) -> None:
    """Take the alert off the list on every device (resolved through the write path)."""
    store.alerts.resolve(alert_id)
    store.connection().execute("DELETE FROM alert_snoozes WHERE alert_id = ?", [alert_id])


SNOOZE_IN_PAST = Msg("推迟到的日期应晚于今天", "Snooze until a day after today")


def snooze_alert(store: Store, alert_id: str, until: date) -> None:
    """Keep the alert off this device's inbox until ``until`` (a later day)."""
    store.require("alert", alert_id)
    if until <= store.clock().date():
        raise ValidationFailed({"until": SNOOZE_IN_PAST})
    with store.connection().atomic():
        store.connection().execute(
            "INSERT INTO alert_snoozes(alert_id, until) VALUES (?, ?) "
            "ON CONFLICT(alert_id) DO UPDATE SET until = excluded.until",
            [alert_id, until.isoformat()],
        )


NO_REP = Msg("这条提醒没有对应的销售", "This alert names no rep to give a task to")


def make_task(store: Store, alert_id: str, lang: str = "zh") -> str:
    """Turn the alert into a task for the rep it is about (closing the alert, which the task
    now carries); a second hand-over returns the same task."""
    from app.store import todo

    alert = store.require("alert", alert_id)
    related = str(alert.get("record_id") or "")
    lead = store.get("lead", related) if related else None
    deal = store.get("deal", related) if related else None
    owner = board.rep_of(alert, lead, deal)
    if owner is None:
        raise ValidationFailed({"owner": NO_REP})
    return todo.task_from_alert(store, alert_id, owner, lang=lang, resolve=True)


def as_json(groups: list[tuple[str | None, list[board.InboxItem]]]) -> str:
    """The inbox as JSON (for scripts and tests)."""
    return json.dumps(
        [
            {
                "group": key,
                "items": [
                    {
                        **i.__dict__,
                        "message": i.message.as_dict(),
                        "since": [m.as_dict() for m in i.since],
                    }
                    for i in items
                ],
            }
            for key, items in groups
        ],
        ensure_ascii=False,
    )
