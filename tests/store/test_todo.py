"""Tasks in the local store (SPEC J2): by hand, from a follow-up's next action and from an
alert; the agenda; reminders firing once; renewals and the journey scan; the .ics export."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from app.domain.tasks import journey_task_id
from app.store import todo
from app.store.errors import NotFound, ValidationFailed
from app.store.service import Store
from app.sync.local import RemoteRecord, apply_remote

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _followup(store: Store, customer_id: str, due: str = "2026-11-05") -> str:
    return store.followups.add(
        {
            "customer_id": customer_id,
            "type": "demo",
            "conclusion": "客户对报表模块很感兴趣,需要演示",
            "next_action": "周四上门演示报表模块",
            "due_on": due,
            "priority": "high",
        }
    )


def _signed(store: Store, customer_id: str, deal_id: str, expires: str | None, **more: str) -> None:
    """A signed deal as the server sends it (the client never signs a deal by itself)."""
    fields = {
        "customer_id": customer_id,
        "title": "ERP 二期",
        "amount": "380000.00",
        "stage": "signed",
        "owner": "u-rep",
        "signed_on": "2026-03-02",
        **({"expires_on": expires} if expires else {}),
        **more,
    }
    apply_remote(store, [RemoteRecord("deal", deal_id, 3, False, fields)])


def test_a_task_by_hand_is_validated_and_queued(store: Store, customer_id: str) -> None:
    tid = todo.add_task(
        store,
        {"title": "寄送合同", "due_at": "2026-11-03T10:00:00+08:00", "customer_id": customer_id},
    )
    task = store.require("task", tid)
    assert task["owner"] == "u-rep" and task["status"] == "open" and task["kind"] == "manual"
    assert task["due_at"] == "2026-11-03T02:00:00+00:00"
    assert task["related_name"] == "轻鹿家居有限公司"
    (op,) = [o for o in store.journal.pending() if o["record_id"] == tid]
    assert op["entity"] == "task" and op["action"] == "create"
    with pytest.raises(ValidationFailed) as bad:
        todo.add_task(store, {"title": "x", "due_at": "9999-01-01T00:00:00"})
    assert "due_at" in bad.value.errors
    with pytest.raises(ValidationFailed):
        todo.add_task(store, {"title": "x", "due_at": "2026-11-03T10:00", "customer_id": "nope"})
    todo.complete_task(store, tid)
    done = store.require("task", tid)
    assert done["status"] == "done" and done["done_at"] == "2026-11-02T09:00:00+00:00"


def test_a_followups_next_action_becomes_a_task_in_one_click(
    store: Store, customer_id: str
) -> None:
    todo.set_user_zone(store, "Asia/Shanghai")
    fid = _followup(store, customer_id)
    start, end = todo.period_bounds(store, "week")
    before = todo.agenda(store, owner="u-rep", start=start, end=end)
    assert [(i.kind, i.id) for i in before] == [("followup", fid)]

    tid = todo.task_from_followup(store, fid)
    assert todo.task_from_followup(store, fid) == tid  # a second click makes no second task
    task = store.require("task", tid)
    assert task["title"] == "周四上门演示报表模块"
    assert task["kind"] == "followup" and task["source_id"] == fid and task["priority"] == "high"
    assert task["customer_id"] == customer_id and task["owner"] == "u-rep"
    assert task["due_at"] == "2026-11-05T01:00:00+00:00"  # 09:00 in Shanghai
    after = todo.agenda(store, owner="u-rep", start=start, end=end)
    assert [(i.kind, i.id) for i in after] == [("task", tid)]  # one line, not two


def test_a_lead_hands_an_alert_to_a_rep_as_a_task(store: Store, customer_id: str) -> None:
    alert_id = store.create(
        "alert",
        {
            "kind": "stagnation",
            "customer_id": customer_id,
            "owner": "u-lead",
            "message_zh": "商机停滞超过 72 小时",
            "message_en": "Deal stalled for over 72 hours",
        },
    )
    tid = todo.task_from_alert(store, alert_id, "u-rep", lang="en", resolve=True)
    assert todo.task_from_alert(store, alert_id, "u-rep") == tid
    task = store.require("task", tid)
    assert task["title"] == "Deal stalled for over 72 hours" and task["kind"] == "alert"
    assert task["owner"] == "u-rep" and task["source_id"] == alert_id
    assert task["customer_id"] == customer_id
    assert store.require("alert", alert_id)["resolved_at"]
    with pytest.raises(NotFound):
        todo.task_from_alert(store, alert_id + "-x", "u-rep")
    other = store.create("alert", {"kind": "journey", "owner": "u-lead", "message_zh": "x"})
    with pytest.raises(ValidationFailed):
        todo.task_from_alert(store, other, "u-nobody")


def test_reminders_fire_once_and_again_after_a_move(
    store: Store, customer_id: str, clock: Any
) -> None:
    todo.set_reminder_minutes(store, 10)
    tid = todo.add_task(store, {"title": "电话回访", "due_at": "2026-11-02T10:00:00Z"})
    assert todo.pending_reminders(store, "u-rep", clock()) == []
    assert todo.next_reminder_at(store, "u-rep", clock()) == datetime(
        2026, 11, 2, 9, 50, tzinfo=UTC
    )
    clock.advance(minutes=50)
    (early,) = todo.pending_reminders(store, "u-rep", clock())
    assert early.kind == "before"
    todo.mark_fired(store, [early], clock())
    assert todo.pending_reminders(store, "u-rep", clock()) == []
    clock.advance(minutes=10)
    (due,) = todo.pending_reminders(store, "u-rep", clock())
    assert due.kind == "due"
    todo.mark_fired(store, [due], clock())
    assert todo.pending_reminders(store, "u-rep", clock() + timedelta(days=1)) == []
    # Moved to tomorrow: reminded of again, at the new time.
    todo.move_task_to_day(store, tid, date(2026, 11, 3))
    assert store.require("task", tid)["due_at"].startswith("2026-11-03")
    assert todo.next_reminder_at(store, "u-rep", clock()) is not None
    with pytest.raises(ValidationFailed):
        todo.set_reminder_minutes(store, -5)


def test_ics_export_has_the_right_times_in_the_users_zone(
    store: Store, customer_id: str, tmp_path: object
) -> None:
    todo.set_user_zone(store, "Asia/Shanghai")
    todo.add_task(
        store, {"title": "签约回访", "due_at": "2026-11-04T06:30:00Z", "customer_id": customer_id}
    )
    fid = _followup(store, customer_id, "2026-11-06")
    cal = Calendar.from_ical(todo.agenda_ics(store, "u-rep"))
    events = {str(e["uid"]): e for e in cal.walk("VEVENT")}
    assert len(events) == 2
    task_event = next(e for uid, e in events.items() if uid.startswith("task-"))
    start = task_event.decoded("dtstart")
    assert start.tzinfo is not None and start.utcoffset() == timedelta(hours=8)
    assert (start.hour, start.minute) == (14, 30)
    assert start.astimezone(UTC) == datetime(2026, 11, 4, 6, 30, tzinfo=UTC)
    assert "签约回访" in str(task_event["summary"]) and "轻鹿家居" in str(task_event["summary"])
    assert cal.walk("VTIMEZONE") and str(cal.walk("VTIMEZONE")[0]["tzid"]) == "Asia/Shanghai"
    follow = events[f"followup-{fid}@fieldcrm"]
    assert follow.decoded("dtstart") == date(2026, 11, 6)


def test_renewals_and_the_journey_scan(store: Store, customer_id: str) -> None:
    _signed(store, customer_id, "deal-soon", "2027-01-15")
    _signed(store, customer_id, "deal-far", "2028-06-30")
    _signed(store, customer_id, "deal-none", None)
    welcome = journey_task_id("deal-soon", "welcome")
    apply_remote(
        store,
        [
            RemoteRecord(
                "task",
                welcome,
                1,
                False,
                {
                    "title": "欢迎电话",
                    "kind": "journey-welcome",
                    "status": "open",
                    "owner": "u-rep",
                    "due_at": "2026-03-03T01:00:00+00:00",
                    "customer_id": customer_id,
                    "deal_id": "deal-soon",
                    "step": "welcome",
                },
            )
        ],
    )
    (row,) = todo.renewals(store)
    assert (
        row.deal_id == "deal-soon" and row.days_left == (date(2027, 1, 15) - date(2026, 11, 2)).days
    )
    assert row.journey == "stalled" and row.owner_name == "张伟" and str(row.amount) == "380000.00"
    issues = {i.deal_id: i.state for i in todo.journey_scan(store)}
    assert issues == {"deal-soon": "stalled", "deal-far": "not_started", "deal-none": "not_started"}

    new_deal = todo.renew(store, "deal-soon", "en")
    assert todo.renew(store, "deal-soon", "en") == new_deal
    deal = store.require("deal", new_deal)
    assert deal["title"] == "Renewal: ERP 二期" and deal["stage"] == "contact"
    assert deal["expected_close"] == "2027-01-15" and deal["amount"] == "380000.00"
    assert todo.renewals(store)[0].renewed_by == new_deal

    health = {h.customer_id: h for h in todo.customer_health(store, "u-rep")}
    assert health[customer_id].open_tasks == 1 and health[customer_id].overdue_tasks == 1
    assert health[customer_id].expires_on == "2027-01-15"


def test_task_json_has_the_fields_scripts_rely_on(store: Store, customer_id: str) -> None:
    todo.add_task(
        store, {"title": "A", "due_at": "2026-11-02T12:00:00Z", "customer_id": customer_id}
    )
    (row,) = todo.tasks(store)
    out = todo.task_json(row)
    assert {"id", "title", "owner", "due_at", "status", "customer_id", "deal_id", "kind"} <= set(
        out
    )
    assert out["owner"] == "zhangwei"
    json.dumps(out)


def test_a_success_managers_renewals_come_from_their_renewal_tasks(
    store: Store, customer_id: str
) -> None:
    """A csm owns the journey tasks of a customer whose deals they cannot see."""
    apply_remote(
        store,
        [
            RemoteRecord(
                "task",
                journey_task_id("deal-unseen", "renewal"),
                1,
                False,
                {
                    "title": "续约资料包",
                    "kind": "journey-renewal",
                    "status": "open",
                    "owner": "u-rep",
                    "due_at": "2026-12-01T01:00:00+00:00",
                    "deal_id": "deal-unseen",
                    "customer_id": "customer-unseen",
                    "related_name": "远山建材",
                    "step": "renewal",
                    "anchor": "2027-03-01",
                },
            )
        ],
    )
    (row,) = todo.renewals(store)
    assert row.deal_id == "deal-unseen" and row.customer_name == "远山建材"
    assert row.expires_on == "2027-03-01" and not row.deal_known and row.journey == "on_track"
    assert todo.renewals(store, owner="u-lead") == []
    (health,) = [h for h in todo.customer_health(store, "u-rep") if h.name == "远山建材"]
    assert not health.known and health.expires_on == "2027-03-01" and health.open_tasks == 1


def test_a_followup_due_today_is_not_overdue(store: Store, customer_id: str) -> None:
    todo.set_user_zone(store, "Asia/Shanghai")
    today = _followup(store, customer_id, "2026-11-02")
    assert todo.agenda(store, owner="u-rep", start=None, end=store.clock()) == []
    start, end = todo.period_bounds(store, "today")
    assert [i.id for i in todo.agenda(store, owner="u-rep", start=start, end=end)] == [today]
    late = store.create("customer", {"name": "远山建材", "owner": "u-rep"})
    yesterday = _followup(store, late, "2026-11-01")
    overdue = todo.agenda(store, owner="u-rep", start=None, end=store.clock())
    assert [i.id for i in overdue] == [yesterday]
