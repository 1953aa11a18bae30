"""What the agenda, renewals, reminders and the success manager's start page ask of the store
(in the style of :mod:`app.views.operations`): each function runs on the store worker, takes
the :class:`Store` first and returns plain data; writes go through :mod:`app.store.todo`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from app.domain.tasks import JOURNEY_KINDS, JourneyIssue, as_utc, journey_rules
from app.store import todo
from app.store.service import Store


@dataclass
class AgendaData:
    """The agenda of one period: its items, the user's zone and (for the month) its days."""

    period: str  # overdue, today, week, month
    items: list[todo.AgendaItem]
    zone: Any
    today: date
    now: datetime
    month: date | None = None  # first day of the month shown
    counts: dict[str, int] = field(default_factory=dict)


def _month_bounds(first: date, zone: Any) -> tuple[datetime, datetime]:
    """The six weeks the month grid shows (Monday first), as UTC bounds."""
    start = first - timedelta(days=first.weekday())
    end = start + timedelta(days=42)
    return (
        datetime.combine(start, time(0), zone).astimezone(UTC),
        datetime.combine(end, time(0), zone).astimezone(UTC),
    )


def load_agenda(store: Store, owner: str | None, period: str, month: date | None) -> AgendaData:
    """The items of ``period`` for ``owner`` (None: the team), and how many each list has."""
    zone = todo.user_zone(store)
    now = store.clock()
    today = now.astimezone(zone).date()
    counts = {}
    for name in ("overdue", "today", "week"):
        start, end = todo.period_bounds(store, name)
        counts[name] = len(todo.agenda(store, owner=owner, start=start, end=end))
    if period == "month":
        first = (month or today).replace(day=1)
        start, end = _month_bounds(first, zone)
        items = todo.agenda(store, owner=owner, start=start, end=end)
        return AgendaData(period, items, zone, today, now, first, counts)
    start, end = todo.period_bounds(store, period)
    items = todo.agenda(store, owner=owner, start=start, end=end)
    return AgendaData(period, items, zone, today, now, None, counts)


def badges(store: Store, user_id: str) -> dict[str, int]:
    """The navigation's counts: my open tasks due by the end of today."""
    _start, end = todo.period_bounds(store, "today")
    return {"agenda": len(todo.tasks(store, owner=user_id, due_before=end))}


def add_task(store: Store, values: dict[str, Any]) -> str:
    return todo.add_task(store, values)


def update_task(store: Store, task_id: str, values: dict[str, Any]) -> None:
    todo.update_task(store, task_id, values)


def task(store: Store, task_id: str) -> dict[str, Any] | None:
    return store.get("task", task_id)


def complete_task(store: Store, task_id: str) -> None:
    todo.complete_task(store, task_id)


def move_task(store: Store, task_id: str, day: date) -> str:
    return todo.move_task_to_day(store, task_id, day)


def shift_task(store: Store, task_id: str, days: int) -> str:
    """Move a task ``days`` days later (earlier when negative), same time of day."""
    row = store.require("task", task_id)
    due = as_utc(row.get("due_at")) or store.clock()
    local = due.astimezone(todo.user_zone(store)).date()
    return todo.move_task_to_day(store, task_id, local + timedelta(days=days))


def task_from_followup(store: Store, followup_id: str) -> str:
    return todo.task_from_followup(store, followup_id)


def task_from_alert(
    store: Store, alert_id: str, owner: str, lang: str, due_at: str | None = None
) -> str:
    """A lead hands an alert to ``owner`` (a rep) as a task; the alert is closed, the task now
    carrying it. A second hand-over returns the same task."""
    return todo.task_from_alert(store, alert_id, owner, due_at=due_at, lang=lang, resolve=True)


def export_ics(store: Store, owner: str, path: Path, lang: str) -> int:
    data = todo.agenda_ics(store, owner, lang=lang)
    path.write_bytes(data)
    return data.count(b"BEGIN:VEVENT")


def customer_choices(store: Store, limit: int = 5000) -> list[tuple[str, str]]:
    """(id, name) of the customers this device holds, by name, for a task's customer."""
    return todo.customer_choices(store, limit)


@dataclass
class ReminderSettings:
    minutes: int
    zone: str
    keep_in_tray: bool


def reminder_settings(store: Store) -> ReminderSettings:
    return ReminderSettings(
        todo.reminder_minutes(store),
        todo.user_zone_name(store),
        store.meta("keep_in_tray") == "1",
    )


def save_reminder_settings(store: Store, settings: ReminderSettings) -> None:
    todo.set_reminder_minutes(store, settings.minutes)
    todo.set_user_zone(store, settings.zone)
    store.set_meta("keep_in_tray", "1" if settings.keep_in_tray else "0")


# A reminder missed by more than this (the app was closed) is not shown any more: the agenda
# lists the task as overdue, and a first start would otherwise announce every old task.
MISSED_GRACE = timedelta(hours=12)


@dataclass
class DueReminders:
    due: list[todo.Reminder]
    next_at: datetime | None
    zone: Any


def take_reminders(store: Store, owner: str) -> DueReminders:
    """The reminders due now (marked fired in the same step, so each shows once) and when
    the next one comes; ones missed long ago are not shown."""
    now = store.clock()
    due = todo.pending_reminders(store, owner, now, missed_after=MISSED_GRACE)
    if due:
        todo.mark_fired(store, due, now)
    return DueReminders(due, todo.next_reminder_at(store, owner, now), todo.user_zone(store))


@dataclass
class RenewalsData:
    renewals: list[todo.Renewal]
    issues: list[JourneyIssue]
    window_days: int
    zone: Any


def renewals(store: Store, owner: str | None) -> RenewalsData:
    window = journey_rules(store.rules.raw).renewal_window_days
    return RenewalsData(
        todo.renewals(store, owner=owner), todo.journey_scan(store), window, todo.user_zone(store)
    )


def renew(store: Store, deal_id: str, lang: str) -> str:
    return todo.renew(store, deal_id, lang)


@dataclass
class SuccessHome:
    """The success manager's start page."""

    tasks: list[dict[str, Any]]
    health: list[todo.CustomerHealth]
    renewals: list[todo.Renewal]
    issues: list[JourneyIssue]
    now: datetime
    zone: Any


def success_home(store: Store, owner: str) -> SuccessHome:
    return SuccessHome(
        todo.tasks(store, owner=owner, kinds=JOURNEY_KINDS),
        todo.customer_health(store, owner),
        todo.renewals(store),
        [i for i in todo.journey_scan(store) if i.state == "stalled" or i.owner == owner],
        store.clock(),
        todo.user_zone(store),
    )
