"""Task commands of the ``fieldcrm`` CLI: ``tasks``, ``task add``, ``task done``, ``agenda``.

Times typed without a zone are in the user's zone (``time_zone`` of the profile, else the
machine's); a date alone means 09:00 that day.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import click

from app.cli_context import Context, pass_ctx
from app.domain.messages import Msg
from app.domain.tasks import utc_text
from app.store import todo
from app.store.errors import NotFound
from app.store.service import Store

_BAD_TIME = Msg(
    "时间格式应为 2026-03-05T09:30 或 2026-03-05", "Times look like 2026-03-05T09:30 or 2026-03-05"
)


def parse_due(store: Store, text: str) -> str | None:
    """A due time typed by the user, stored in UTC; None when it cannot be read."""
    text = text.strip()
    try:
        if len(text) == 10:
            return todo.local_due(store, date.fromisoformat(text))
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=todo.user_zone(store))
    return utc_text(stamp)


@click.command("tasks")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option("--due", type=click.Choice(["today", "week", "overdue"]), default=None)
@click.option("--team", is_flag=True, help="Everyone's tasks this device holds (team leads).")
@click.option("--all", "include_closed", is_flag=True, help="Include done and cancelled tasks.")
@pass_ctx
def tasks_cmd(
    ctx: Context, as_json: bool, due: str | None, team: bool, include_closed: bool
) -> None:
    """Your open tasks, soonest first."""
    store = ctx.store()
    try:
        start, end = todo.period_bounds(store, due) if due else (None, None)
        rows = todo.tasks(
            store,
            owner=None if team else store.actor,
            status=None if include_closed else ("open",),
            due_from=start,
            due_before=end,
        )
        zone = todo.user_zone(store)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps([todo.task_json(r) for r in rows], ensure_ascii=False))
        return
    for r in rows:
        when = datetime.fromisoformat(r["due_at"]).astimezone(zone).strftime("%Y-%m-%d %H:%M")
        click.echo(
            f"{r['id']}  {when}  {r['status'] or 'open':<9} {r['title']}"
            + (f"  · {r['customer_name']}" if r["customer_name"] else "")
            + (f"  ({r['owner_name']})" if team else "")
        )


@click.group("task")
def task_group() -> None:
    """Add or finish a task."""


@task_group.command("add")
@click.option("--title", required=True)
@click.option("--due", "due_text", required=True, help="ISO time or date (your zone if none).")
@click.option("--customer", "customer_id", default=None)
@click.option("--deal", "deal_id", default=None)
@click.option("--owner", "owner_name", default=None, help="Login name (team leads).")
@click.option("--priority", type=click.Choice(["high", "medium", "low"]), default="medium")
@click.option("--notes", default=None)
@pass_ctx
def task_add(
    ctx: Context,
    title: str,
    due_text: str,
    customer_id: str | None,
    deal_id: str | None,
    owner_name: str | None,
    priority: str,
    notes: str | None,
) -> None:
    """Add a task; prints its id."""
    store = ctx.store()
    try:
        due = parse_due(store, due_text)
        if due is None:
            ctx.fail(_BAD_TIME)
        owner = store.actor
        if owner_name:
            ids = store.directory.ids_by_name()
            if owner_name not in ids:
                ctx.fail(Msg("未知用户:{u}", "Unknown user: {u}").format(u=owner_name))
            owner = ids[owner_name]
            if owner != store.actor and store.directory.role_of(store.actor) not in (
                None,
                "lead",
                "admin",
            ):
                ctx.fail(
                    Msg(
                        "只有销售主管可以把任务交给别人",
                        "Only a team lead can give a task to someone else",
                    )
                )
        tid = todo.add_task(
            store,
            {
                "title": title,
                "due_at": due,
                "customer_id": customer_id,
                "deal_id": deal_id,
                "owner": owner,
                "priority": priority,
                "notes": notes,
            },
        )
    finally:
        store.close()
    click.echo(tid)


@task_group.command("done")
@click.argument("task_id")
@pass_ctx
def task_done(ctx: Context, task_id: str) -> None:
    """Mark a task done."""
    store = ctx.store()
    try:
        todo.complete_task(store, task_id)
    except NotFound:
        ctx.fail(Msg("找不到任务:{t}", "No such task: {t}").format(t=task_id))
    finally:
        store.close()
    click.echo(ctx.say(Msg("已完成", "Done")))


@click.command("agenda")
@click.option("--ics", "ics_file", type=click.Path(dir_okay=False, path_type=Path), default=None)
@pass_ctx
def agenda_cmd(ctx: Context, ics_file: Path | None) -> None:
    """Your agenda for the week (tasks and follow-ups due), or save it as an .ics file."""
    store = ctx.store()
    try:
        if ics_file is not None:
            data = todo.agenda_ics(store, store.actor, lang=ctx.lang)
            ics_file.write_bytes(data)
            count = data.count(b"BEGIN:VEVENT")
            click.echo(
                ctx.say(
                    Msg("已导出 {n} 项到 {f}", "{n} items saved to {f}").format(n=count, f=ics_file)
                )
            )
            return
        _start, end = todo.period_bounds(store, "week")
        items = todo.agenda(store, owner=store.actor, start=None, end=end)
        zone = todo.user_zone(store)
    finally:
        store.close()
    for item in items:
        local = item.due_at.astimezone(zone)
        when = local.strftime("%Y-%m-%d") + ("      " if item.all_day else local.strftime(" %H:%M"))
        click.echo(f"{when}  {item.kind:<8} {item.title}  · {item.customer_name}")


COMMANDS = (tasks_cmd, task_group, agenda_cmd)
