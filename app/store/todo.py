"""Tasks in the local store (SPEC J2): creating, finishing and moving them, the agenda that
joins them with the follow-ups due, reminders, renewals, the journey scan and the .ics export.

Every write goes through the :class:`~app.store.service.Store`'s write path
(``create_checked`` / ``update_checked``), so audit, outbox and search stay in one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from app.domain.messages import Msg
from app.domain.tasks import (
    CANCELLED,
    DONE,
    JOURNEY_KINDS,
    OPEN,
    JourneyIssue,
    JourneyRules,
    as_utc,
    journey_rules,
    journey_state,
    known_zone,
    scan_journeys,
    utc_text,
    validate_task,
    zone,
)
from app.store import queries
from app.store.errors import NotFound, ValidationFailed
from app.store.service import Store

_FROM_NS = uuid.UUID("a4f0c3d2-6e1b-4c5a-9b7d-2f8e1a3c5d70")
DEFAULT_REMINDER_MINUTES = 15
MAX_REMINDER_MINUTES = 7 * 24 * 60
DEFAULT_HOUR = 9  # a task made from a date alone is due at this hour, in the user's zone


# ---- settings (this device, this user) -----------------------------------------------------------
def reminder_minutes(store: Store) -> int:
    """How many minutes before a task's due time the early reminder comes (0: none)."""
    try:
        value = int(store.meta("reminder_minutes") or DEFAULT_REMINDER_MINUTES)
    except ValueError:
        return DEFAULT_REMINDER_MINUTES
    return max(0, min(value, MAX_REMINDER_MINUTES))


def set_reminder_minutes(store: Store, minutes: int) -> None:
    if not 0 <= minutes <= MAX_REMINDER_MINUTES:
        raise ValidationFailed(
            {
                "reminder_minutes": Msg(
                    "提前提醒应在 0 到 {n} 分钟之间", "Reminders come 0 to {n} minutes before"
                ).format(n=MAX_REMINDER_MINUTES)
            }
        )
    store.set_meta("reminder_minutes", str(minutes))


def user_zone_name(store: Store) -> str:
    """The user's time zone (IANA name); empty means the machine's own."""
    return store.meta("time_zone") or ""


def user_zone(store: Store) -> Any:
    return zone(user_zone_name(store))


def set_user_zone(store: Store, name: str) -> None:
    if name and not known_zone(name):
        raise ValidationFailed(
            {"time_zone": Msg("未知时区:{z}", "Unknown time zone: {z}").format(z=name)}
        )
    store.set_meta("time_zone", name)


# ---- writing -------------------------------------------------------------------------------------
def _related_name(store: Store, values: Mapping[str, Any]) -> str | None:
    for entity_name, key in (("customer", "customer_id"), ("deal", "deal_id"), ("lead", "lead_id")):
        ref = values.get(key)
        if ref:
            row = store.get(entity_name, str(ref))
            if row is None:
                raise ValidationFailed(
                    {key: Msg("找不到该记录:{r}", "No such record: {r}").format(r=ref)}
                )
            if entity_name == "deal" and not values.get("customer_id"):
                customer = store.get("customer", str(row.get("customer_id") or ""))
                if customer is not None:
                    return str(customer.get("name") or row.get("title") or "")
            return str(row.get("name") or row.get("title") or "")
    return None


def add_task(store: Store, values: Mapping[str, Any], *, record_id: str | None = None) -> str:
    """A new task (by hand or from another record); the owner defaults to the user and the
    customer to the deal's. Raises :class:`ValidationFailed`."""
    given = {k: v for k, v in values.items() if v is not None and v != ""}
    given.setdefault("owner", store.actor)
    if given.get("deal_id") and not given.get("customer_id"):
        deal = store.get("deal", str(given["deal_id"]))
        if deal is not None:
            given["customer_id"] = deal.get("customer_id")
    clean, errors = validate_task(given)
    if errors:
        raise ValidationFailed(errors)
    if clean.get("related_name") is None:
        clean["related_name"] = _related_name(store, clean)
    return store.create_checked("task", clean, record_id)


def update_task(store: Store, task_id: str, changes: Mapping[str, Any]) -> None:
    clean, errors = validate_task(changes, partial=True)
    if errors:
        raise ValidationFailed(errors)
    store.update_checked("task", task_id, clean)


def complete_task(store: Store, task_id: str) -> None:
    """Mark a task done (now); done again is nothing."""
    task = store.require("task", task_id)
    if task.get("status") != DONE:
        update_task(store, task_id, {"status": DONE, "done_at": utc_text(store.clock())})


def cancel_task(store: Store, task_id: str) -> None:
    update_task(store, task_id, {"status": CANCELLED})


def reopen_task(store: Store, task_id: str) -> None:
    update_task(store, task_id, {"status": OPEN, "done_at": None})


def move_task_to_day(store: Store, task_id: str, day: date) -> str:
    """Move a task to another day at the same time of day (in the user's zone); returns the
    new due time."""
    task = store.require("task", task_id)
    tz = user_zone(store)
    due = as_utc(task.get("due_at")) or store.clock()
    local = due.astimezone(tz)
    moved = datetime.combine(day, local.timetz().replace(tzinfo=None), tz)
    text = utc_text(moved)
    update_task(store, task_id, {"due_at": text})
    return text


def local_due(store: Store, day: date, hour: int = DEFAULT_HOUR) -> str:
    """A due time for a date alone: ``hour`` o'clock in the user's zone, stored in UTC."""
    return utc_text(datetime.combine(day, time(hour), user_zone(store)))


def task_from_followup(store: Store, followup_id: str) -> str:
    """The follow-up's next action as a task for the customer's owner, due on its due date
    (one click; a second click returns the same task)."""
    f = store.require("followup", followup_id)
    record_id = str(uuid.uuid5(_FROM_NS, f"followup:{followup_id}"))
    if store.get("task", record_id) is not None:
        return record_id
    customer = store.get("customer", str(f["customer_id"]))
    due = date.fromisoformat(str(f["due_on"])[:10])
    return add_task(
        store,
        {
            "title": str(f.get("next_action") or "")[:200],
            "kind": "followup",
            "priority": f.get("priority") or "medium",
            "due_at": local_due(store, due),
            "customer_id": f["customer_id"],
            "deal_id": f.get("deal_id"),
            "owner": (customer or {}).get("owner") or store.actor,
            "source_id": followup_id,
            "notes": f.get("conclusion"),
        },
        record_id=record_id,
    )


def task_from_alert(
    store: Store,
    alert_id: str,
    owner: str,
    *,
    due_at: str | None = None,
    title: str | None = None,
    lang: str = "zh",
    resolve: bool = False,
) -> str:
    """An alert handed to ``owner`` (a lead assigning it to a rep) as a task about the same
    record; due the next working morning unless ``due_at`` is given. ``resolve`` also closes
    the alert, the task now carrying it. A second hand-over returns the same task."""
    alert = store.get("alert", alert_id)
    if alert is None:
        raise NotFound("alert", alert_id)
    record_id = str(uuid.uuid5(_FROM_NS, f"alert:{alert_id}"))
    if store.get("task", record_id) is None:
        text = alert.get("message_en") if lang == "en" else alert.get("message_zh")
        values: dict[str, Any] = {
            "title": (title or str(text or alert.get("message_zh") or alert_id))[:200],
            "kind": "alert",
            "priority": "high",
            "due_at": due_at
            or local_due(
                store, store.clock().astimezone(user_zone(store)).date() + timedelta(days=1)
            ),
            "owner": owner,
            "source_id": alert_id,
        }
        related = alert.get("record_id")
        if alert.get("customer_id"):
            values["customer_id"] = alert["customer_id"]
        if related and store.get("deal", str(related)) is not None:
            values["deal_id"] = related
        elif related and store.get("lead", str(related)) is not None:
            values["lead_id"] = related
        if owner not in store.directory.names_by_id() and owner != store.actor:
            raise ValidationFailed(
                {"owner": Msg("未知用户:{u}", "Unknown user: {u}").format(u=owner)}
            )
        add_task(store, values, record_id=record_id)
    if resolve and not alert.get("resolved_at"):
        store.alerts.resolve(alert_id)
    return record_id


# ---- reading -------------------------------------------------------------------------------------
_TASK_SQL = """SELECT t.id, t.title, t.kind, t.status, t.priority, t.owner, t.due_at,
                      t.customer_id, t.deal_id, t.lead_id, t.related_name, t.source_id, t.notes,
                      t.done_at, t.step, t.anchor, t.created_at,
                      coalesce(u.name, t.owner) AS owner_name,
                      coalesce(u.display_name, u.name, t.owner) AS owner_display,
                      coalesce(c.name, t.related_name) AS customer_name, d.title AS deal_title
               FROM tasks t LEFT JOIN users u ON u.id = t.owner
                    LEFT JOIN customers c ON c.id = t.customer_id AND c._deleted = 0
                    LEFT JOIN deals d ON d.id = t.deal_id AND d._deleted = 0
               WHERE t._deleted = 0"""


def tasks(
    store: Store,
    *,
    owner: str | None = None,
    status: Iterable[str] | None = (OPEN,),
    due_from: datetime | None = None,
    due_before: datetime | None = None,
    kinds: Iterable[str] | None = None,
    limit: int = 2000,
) -> list[dict[str, Any]]:
    """Tasks (with owner and customer names), soonest first; ``owner`` None means all the
    store holds (a lead's team)."""
    sql, params = _TASK_SQL, []
    if owner:
        sql += " AND t.owner = ?"
        params.append(owner)
    if status is not None:
        wanted = list(status)
        sql += f" AND coalesce(t.status, 'open') IN ({', '.join('?' * len(wanted))})"
        params += wanted
    if kinds is not None:
        wanted_kinds = list(kinds)
        sql += f" AND t.kind IN ({', '.join('?' * len(wanted_kinds))})"
        params += wanted_kinds
    # Due times are stored in one form (UTC, "+00:00"), so text order is time order; the
    # bounds are widened by a day and checked exactly below, for a value stored otherwise.
    if due_from is not None:
        sql += " AND t.due_at >= ?"
        params.append(utc_text(due_from - timedelta(days=1)))
    if due_before is not None:
        sql += " AND t.due_at < ?"
        params.append(utc_text(due_before + timedelta(days=1)))
    sql += " ORDER BY t.due_at, t.id"
    rows = [dict(r) for r in store.connection().query(sql, params)]
    out = []
    for r in rows:
        due = as_utc(r["due_at"])
        if due_from is not None and (due is None or due < due_from):
            continue
        if due_before is not None and (due is None or due >= due_before):
            continue
        out.append(r)
        if len(out) >= limit:
            break
    return out


def period_bounds(store: Store, which: str) -> tuple[datetime | None, datetime | None]:
    """``today``, ``week`` (today and the six days after) or ``overdue`` (before now), as UTC
    bounds in the user's zone."""
    tz = user_zone(store)
    now = store.clock()
    start = datetime.combine(now.astimezone(tz).date(), time(0), tz)
    if which == "today":
        return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)
    if which == "week":
        return start.astimezone(UTC), (start + timedelta(days=7)).astimezone(UTC)
    if which == "overdue":
        return None, now
    raise ValueError(which)


def task_json(row: Mapping[str, Any]) -> dict[str, Any]:
    """A task as the command line prints it (owner as login name)."""
    return {
        "id": row["id"],
        "title": row["title"],
        "owner": row.get("owner_name") or row.get("owner"),
        "due_at": row["due_at"],
        "status": row.get("status") or OPEN,
        "priority": row.get("priority"),
        "kind": row.get("kind") or "manual",
        "customer_id": row.get("customer_id"),
        "deal_id": row.get("deal_id"),
        "lead_id": row.get("lead_id"),
        "customer": row.get("customer_name"),
        "step": row.get("step"),
        "done_at": row.get("done_at"),
    }


@dataclass(frozen=True)
class AgendaItem:
    """One line of the agenda: a task, or a follow-up's next action not yet made a task."""

    kind: str  # "task" or "followup"
    id: str
    title: str
    due_at: datetime  # aware, UTC
    all_day: bool
    owner: str | None
    owner_name: str
    customer_id: str | None
    customer_name: str
    priority: str
    task_kind: str
    status: str
    deal_id: str | None = None
    step: str | None = None


def agenda(
    store: Store,
    *,
    owner: str | None,
    start: datetime | None,
    end: datetime | None,
    include_followups: bool = True,
) -> list[AgendaItem]:
    """Open tasks and follow-ups due in ``[start, end)`` (``start`` None: everything overdue
    too), for one owner or the whole team the store holds, soonest first."""
    tz = user_zone(store)
    items: list[AgendaItem] = []
    sources: set[str] = set()
    for r in tasks(store, owner=owner, due_from=start, due_before=end):
        due = as_utc(r["due_at"])
        assert due is not None
        items.append(
            AgendaItem(
                "task",
                r["id"],
                str(r["title"]),
                due,
                False,
                r["owner"],
                str(r["owner_display"] or ""),
                r["customer_id"],
                str(r["customer_name"] or ""),
                str(r["priority"] or "medium"),
                str(r["kind"] or "manual"),
                str(r["status"] or OPEN),
                r["deal_id"],
                r["step"],
            )
        )
    for r in store.connection().query("SELECT source_id FROM tasks WHERE source_id IS NOT NULL"):
        sources.add(str(r["source_id"]))
    if include_followups:
        until = (end or store.clock()).astimezone(tz).date()
        today = store.clock().astimezone(tz).date().isoformat()
        for f in queries.followups_due(
            store.connection(), owner=owner, until=until.isoformat(), today=today
        ):
            if f["id"] in sources:
                continue
            day = date.fromisoformat(str(f["due_on"])[:10])
            due = datetime.combine(day, time(0), tz).astimezone(UTC)
            # Due all day: overdue only once the day is over.
            last = datetime.combine(day + timedelta(days=1), time(0), tz).astimezone(UTC)
            if start is not None and due < start:
                continue
            if end is not None and last > end:
                continue
            items.append(
                AgendaItem(
                    "followup",
                    str(f["id"]),
                    str(f["next_action"] or ""),
                    due,
                    True,
                    f["owner"],
                    str(f["owner_name"] or ""),
                    f["customer_id"],
                    str(f["customer_name"] or ""),
                    str(f["priority"] or "medium"),
                    "followup",
                    OPEN,
                    f["deal_id"],
                )
            )
    items.sort(key=lambda i: (i.due_at, i.kind, i.title))
    return items


# ---- reminders -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Reminder:
    task_id: str
    title: str
    customer_name: str
    due_at: str
    kind: str  # "before" or "due"
    fire_at: datetime


def _reminders_of(row: Mapping[str, Any], minutes: int) -> list[Reminder]:
    due = as_utc(row["due_at"])
    if due is None:
        return []
    out = [
        Reminder(
            row["id"], str(row["title"]), str(row["customer_name"] or ""), row["due_at"], "due", due
        )
    ]
    if minutes > 0:
        out.append(
            Reminder(
                row["id"],
                str(row["title"]),
                str(row["customer_name"] or ""),
                row["due_at"],
                "before",
                due - timedelta(minutes=minutes),
            )
        )
    return out


def _fired(store: Store) -> set[tuple[str, str, str]]:
    return {
        (str(r[0]), str(r[1]), str(r[2]))
        for r in store.connection().execute("SELECT task_id, due_at, kind FROM task_reminders")
    }


def pending_reminders(
    store: Store, owner: str, now: datetime, missed_after: timedelta | None = None
) -> list[Reminder]:
    """Reminders of ``owner``'s open tasks whose time has come and that have not fired here;
    with ``missed_after``, none older than that (the agenda shows those tasks as overdue).

    An early reminder whose due time has also passed is dropped: the due one says it all.
    """
    minutes = reminder_minutes(store)
    fired = _fired(store)
    out = []
    since = None if missed_after is None else now - missed_after
    for row in tasks(
        store,
        owner=owner,
        due_from=since,
        due_before=now + timedelta(minutes=minutes, seconds=1),
    ):
        for r in _reminders_of(row, minutes):
            if (r.task_id, r.due_at, r.kind) in fired or r.fire_at > now:
                continue
            if since is not None and r.fire_at < since:
                continue
            due = as_utc(r.due_at)
            if r.kind == "before" and due is not None and due <= now:
                continue
            out.append(r)
    return out


def next_reminder_at(store: Store, owner: str, now: datetime) -> datetime | None:
    """When the next reminder not yet fired comes, if any."""
    minutes = reminder_minutes(store)
    fired = _fired(store)
    # The next reminder belongs to one of the next few tasks due.
    soon = tasks(store, owner=owner, due_from=now, limit=20)
    times = [
        r.fire_at
        for row in soon
        for r in _reminders_of(row, minutes)
        if (r.task_id, r.due_at, r.kind) not in fired and r.fire_at > now
    ]
    return min(times, default=None)


def mark_fired(store: Store, reminders: Iterable[Reminder], at: datetime) -> None:
    """Remember that these reminders were shown, so they never fire again on this device."""
    with store.connection().atomic():
        store.connection().conn.executemany(
            "INSERT OR IGNORE INTO task_reminders(task_id, due_at, kind, fired_at) "
            "VALUES (?, ?, ?, ?)",
            [(r.task_id, r.due_at, r.kind, utc_text(at)) for r in reminders],
        )


def fired_reminders(store: Store) -> list[tuple[str, str, str]]:
    return sorted(_fired(store))


# ---- the journey, renewals and the csm's customers -----------------------------------------------
def _journey(store: Store) -> JourneyRules:
    return journey_rules(store.rules.raw)


def _signed_deals(store: Store, owner: str | None = None) -> list[dict[str, Any]]:
    sql = """SELECT d.id, d.customer_id, d.title, d.amount, d.owner, d.signed_on, d.expires_on,
                    d.stage_entered_at, d.contract_no, c.name AS customer_name,
                    coalesce(u.display_name, u.name, d.owner) AS owner_name
             FROM deals d JOIN customers c ON c.id = d.customer_id AND c._deleted = 0
                  LEFT JOIN users u ON u.id = d.owner
             WHERE d._deleted = 0 AND d.stage = ?"""
    params: list[Any] = [store.rules.won_stage]
    if owner:
        sql += " AND d.owner = ?"
        params.append(owner)
    return [dict(r) for r in store.connection().query(sql, params)]


def _journey_tasks(store: Store) -> list[dict[str, Any]]:
    return tasks(store, status=None, kinds=JOURNEY_KINDS)


def journey_scan(store: Store) -> list[JourneyIssue]:
    """Signed customers (that this store holds) whose journey never started or stalled."""
    return scan_journeys(
        _signed_deals(store), _journey_tasks(store), store.clock(), _journey(store)
    )


@dataclass(frozen=True)
class Renewal:
    deal_id: str
    customer_id: str
    customer_name: str
    title: str
    amount: Decimal | None
    owner: str | None
    owner_name: str
    expires_on: str
    days_left: int
    journey: str  # a state of app.domain.tasks
    renewed_by: str | None  # the renewal deal made from it, if any
    # False for a contract known only from its renewal task (a success manager's, about a
    # customer someone else owns): it cannot be renewed from here.
    deal_known: bool = True


def renewal_deal_id(deal_id: str, expires_on: str) -> str:
    """The id of the deal that renews a contract: the same on every click and device."""
    return str(uuid.uuid5(_FROM_NS, f"renewal:{deal_id}:{expires_on}"))


def renewals(store: Store, *, owner: str | None = None, days: int | None = None) -> list[Renewal]:
    """Signed contracts expiring in the next ``days`` (the journey rules' window by default),
    soonest first, with their journey's state."""
    jr = _journey(store)
    window = jr.renewal_window_days if days is None else days
    now = store.clock()
    today = now.astimezone(user_zone(store)).date()
    by_deal: dict[str, list[dict[str, Any]]] = {}
    for t in _journey_tasks(store):
        by_deal.setdefault(str(t["deal_id"]), []).append(t)
    out = []
    for d in _signed_deals(store, owner):
        if not d["expires_on"]:
            continue
        expires = date.fromisoformat(str(d["expires_on"])[:10])
        left = (expires - today).days
        if not 0 <= left <= window:
            continue
        state, _late = journey_state(by_deal.get(d["id"], []), now, jr)
        renewal_id = renewal_deal_id(d["id"], str(d["expires_on"]))
        out.append(
            Renewal(
                d["id"],
                d["customer_id"],
                str(d["customer_name"] or ""),
                str(d["title"] or ""),
                Decimal(d["amount"]) if d["amount"] else None,
                d["owner"],
                str(d["owner_name"] or ""),
                str(d["expires_on"]),
                left,
                state,
                renewal_id if store.get("deal", renewal_id) is not None else None,
            )
        )
    known = {r.deal_id for r in out} | {d["id"] for d in _signed_deals(store)}
    for deal_id, steps in by_deal.items():
        renewal_task = next((t for t in steps if t["kind"] == "journey-renewal"), None)
        anchor = _anchor_of(renewal_task)
        if deal_id in known or renewal_task is None or anchor is None:
            continue
        if owner is not None and renewal_task["owner"] != owner:
            continue
        left = (anchor - today).days
        if not 0 <= left <= window:
            continue
        state, _late = journey_state(steps, now, jr)
        out.append(
            Renewal(
                deal_id,
                str(renewal_task["customer_id"] or ""),
                str(renewal_task["customer_name"] or ""),
                "",
                None,
                renewal_task["owner"],
                str(renewal_task["owner_display"] or ""),
                anchor.isoformat(),
                left,
                state,
                None,
                deal_known=False,
            )
        )
    out.sort(key=lambda r: (r.days_left, r.customer_name))
    return out


def _anchor_of(task: Mapping[str, Any] | None) -> date | None:
    """A renewal task's contract expiry (the date its due time was computed from)."""
    if task is None or not task.get("anchor"):
        return None
    try:
        return date.fromisoformat(str(task["anchor"])[:10])
    except ValueError:
        return None


RENEWAL_TITLE = Msg("续约:{t}", "Renewal: {t}")


def renew(store: Store, deal_id: str, lang: str = "zh") -> str:
    """A new deal renewing a signed contract (same customer, owner and amount; expected to
    close when the contract expires). A second click returns the same deal."""
    deal = store.require("deal", deal_id)
    expires = str(deal.get("expires_on") or "")
    record_id = renewal_deal_id(deal_id, expires)
    if store.get("deal", record_id) is not None:
        return record_id
    values = {
        "customer_id": deal["customer_id"],
        "title": RENEWAL_TITLE.format(t=deal.get("title") or "").text(lang)[:200],
        "amount": deal.get("amount"),
        "owner": deal.get("owner"),
        "primary_contact_id": deal.get("primary_contact_id"),
        "expected_close": expires or None,
    }
    return store.deals.create(
        {k: v for k, v in values.items() if v is not None}, record_id=record_id
    )


@dataclass(frozen=True)
class CustomerHealth:
    customer_id: str
    name: str
    last_contact: str | None
    open_tasks: int
    overdue_tasks: int
    open_alerts: int
    expires_on: str | None
    # False for a customer known only from a task (someone else owns it): no contact history.
    known: bool = True


def customer_health(store: Store, owner: str) -> list[CustomerHealth]:
    """The customers a success manager looks after (those they own, and those their tasks are
    about): last contact, open and overdue tasks, open alerts, the nearest contract expiry."""
    now = store.clock()
    ids: dict[str, str] = {}
    for r in store.connection().query(
        "SELECT id, name FROM customers WHERE owner = ? AND _deleted = 0", [owner]
    ):
        ids[str(r["id"])] = str(r["name"] or "")
    mine = tasks(store, owner=owner, status=None)
    for t in mine:
        if t["customer_id"] and t["customer_id"] not in ids:
            ids[str(t["customer_id"])] = str(t["customer_name"] or "")
    out = []
    for cid, name in ids.items():
        row = (
            store.connection()
            .execute("SELECT last_followup_at FROM customers WHERE id = ? AND _deleted = 0", [cid])
            .fetchone()
        )
        expiry = (
            store.connection()
            .execute(
                "SELECT min(expires_on) FROM deals WHERE customer_id = ? AND _deleted = 0 "
                "AND stage = ? AND expires_on >= ?",
                [cid, store.rules.won_stage, now.date().isoformat()],
            )
            .fetchone()
        )
        alerts = (
            store.connection()
            .execute(
                "SELECT count(*) FROM alerts WHERE customer_id = ? AND _deleted = 0 "
                "AND resolved_at IS NULL",
                [cid],
            )
            .fetchone()
        )
        open_tasks = [t for t in mine if t["customer_id"] == cid and (t["status"] or OPEN) == OPEN]
        expires_on = expiry[0] if expiry else None
        if expires_on is None:  # the contract is someone else's: its renewal task knows
            anchors = [
                a
                for t in mine
                if t["customer_id"] == cid and t["kind"] == "journey-renewal"
                if (a := _anchor_of(t)) is not None and a >= now.date()
            ]
            expires_on = min(anchors).isoformat() if anchors else None
        overdue = [t for t in open_tasks if (as_utc(t["due_at"]) or now) < now]
        out.append(
            CustomerHealth(
                cid,
                name,
                row[0] if row else None,
                len(open_tasks),
                len(overdue),
                int(alerts[0]) if alerts else 0,
                expires_on,
                row is not None,
            )
        )
    out.sort(key=lambda h: (-h.overdue_tasks, h.expires_on or "9999", h.name))
    return out


# ---- calendar export -----------------------------------------------------------------------------
def agenda_ics(store: Store, owner: str, *, lang: str = "zh") -> bytes:
    """The user's open tasks and follow-ups due as an iCalendar file (RFC 5545): times carry
    the user's zone, so Outlook and phone calendars show them at the right hour."""
    from icalendar import Calendar, Event

    tz = user_zone(store)
    cal = Calendar()
    cal.add("prodid", "-//FieldCRM//Agenda//ZH")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "FieldCRM")
    now = store.clock()
    for item in agenda(store, owner=owner, start=None, end=now + timedelta(days=366)):
        event = Event()
        event.add("uid", f"{item.kind}-{item.id}@fieldcrm")
        event.add("dtstamp", now.astimezone(UTC))
        summary = item.title if not item.customer_name else f"{item.title} · {item.customer_name}"
        event.add("summary", summary)
        if item.all_day:
            event.add("dtstart", item.due_at.astimezone(tz).date())
        else:
            start = item.due_at.astimezone(tz)
            event.add("dtstart", start)
            event.add("dtend", start + timedelta(minutes=30))
        event.add("priority", {"high": 1, "medium": 5, "low": 9}.get(item.priority, 5))
        event.add("categories", [item.task_kind])
        cal.add_component(event)
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


def customer_choices(store: Store, limit: int = 5000) -> list[tuple[str, str]]:
    """(id, name) of the customers this device holds, by name, for a task's customer."""
    rows = store.connection().execute(
        "SELECT id, name FROM customers WHERE _deleted = 0 ORDER BY name_sort LIMIT ?", [limit]
    )
    return [(str(r[0]), str(r[1] or "")) for r in rows]
