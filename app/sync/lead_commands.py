"""Lead commands of the ``fieldcrm`` CLI: leads, lead accept/convert, pool, pool claim, alerts."""

from __future__ import annotations

import json
from typing import Any

import click

from app.cli_context import Context, pass_ctx
from app.domain.messages import Msg
from app.store.leads import ALREADY_CONVERTED, convert, lead_duplicates
from app.store.service import Store
from app.sync import leads as lead_ops
from app.sync.commands import _engine
from app.sync.errors import Offline, ServerTrouble, SyncError

SAVED_OFFLINE = Msg("已离线记录,下次同步时提交", "Saved offline; sent at the next sync")
LEAD_COLUMNS = (
    "id",
    "external_id",
    "name",
    "company",
    "owner",
    "status",
    "score",
    "response_due",
    "assigned_at",
    "accepted_at",
    "channel",
)


def lead_rows(store: Store, *, include_closed: bool = False) -> list[dict[str, Any]]:
    """Local leads with the owner's login name, soonest deadline first."""
    where = (
        "" if include_closed else "AND coalesce(l.status, 'new') NOT IN ('converted', 'discarded')"
    )
    rows = store.connection().query(
        f"""SELECT l.id, l.external_id, l.name, l.company, u.name AS owner, l.status, l.score,
                   l.response_due, l.assigned_at, l.accepted_at, l.channel,
                   EXISTS (SELECT 1 FROM lead_actions a
                           WHERE a.lead_id = l.id AND a.state = 'pending') AS pending
            FROM leads l LEFT JOIN users u ON u.id = l.owner
            WHERE l._deleted = 0 {where}
            ORDER BY coalesce(l.response_due, '9999'), l.id"""
    )
    return [{**r, "pending": bool(r["pending"])} for r in rows]


@click.command("leads")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option("--all", "include_closed", is_flag=True, help="Include converted and discarded.")
@pass_ctx
def leads_cmd(ctx: Context, as_json: bool, include_closed: bool) -> None:
    """Leads on this device (as of the last sync), soonest response deadline first."""
    store = ctx.store()
    try:
        rows = lead_rows(store, include_closed=include_closed)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        due = r["response_due"] or "-"
        click.echo(
            f"{r['id']}  {r['name']:<10} {r['company'] or '':<16} {r['status'] or 'new':<10} "
            f"{r['score'] if r['score'] is not None else '-':>3}  {due}"
            + ("  (pending)" if r["pending"] else "")
        )


@click.group("lead")
def lead_group() -> None:
    """Act on one lead."""


@lead_group.command("accept")
@click.argument("lead_id")
@click.option("--contacted", is_flag=True, help="Mark it contacted (已联系) rather than accepted.")
@pass_ctx
def lead_accept(ctx: Context, lead_id: str, contacted: bool) -> None:
    """Accept a lead now; offline, it is sent by the next sync and still counts from now."""
    store = ctx.store()
    try:
        if store.get("lead", lead_id) is None:
            ctx.fail(Msg("本机没有该线索", "No such lead on this device"))
        lead_ops.queue_action(store, lead_id, "contacted" if contacted else "accepted")
    finally:
        store.close()
    engine = _engine(ctx)
    try:
        api = engine.online_api()
    except SyncError as exc:
        # Kept either way: offline or signed out, the next sync sends it.
        if not isinstance(exc, Offline | ServerTrouble):
            click.echo(ctx.say(exc.message), err=True)
        click.echo(ctx.say(SAVED_OFFLINE))
        return
    store = ctx.store()
    try:
        sent, refused = lead_ops.send_actions(api, store)
    finally:
        api.close()
        store.close()
    for item in refused:
        if item["lead_id"] == lead_id:
            ctx.fail(Msg(item["message"]["zh"], item["message"]["en"]))
    if sent:
        click.echo(ctx.say(Msg("已接受", "Accepted")))
    else:
        click.echo(ctx.say(SAVED_OFFLINE))


@lead_group.command("convert")
@click.argument("lead_id")
@click.option("--force", is_flag=True, help="Create the customer even if it may be a duplicate.")
@pass_ctx
def lead_convert(ctx: Context, lead_id: str, force: bool) -> None:
    """Turn a lead into a customer with a contact and a deal (duplicate check first)."""
    store = ctx.store()
    try:
        lead = store.get("lead", lead_id)
        if lead is None:
            ctx.fail(Msg("本机没有该线索", "No such lead on this device"))
        if lead.get("customer_id"):
            ctx.fail(ALREADY_CONVERTED)
        hits = lead_duplicates(store, lead)
        if hits and not force:
            for h in hits:
                why = ";".join(ctx.say(r) for r in h.reasons or (h.reason,))
                click.echo(f"  {h.entity} {h.record_id} {h.label} ({h.score:.0%}): {why}", err=True)
            ctx.fail(
                Msg(
                    "可能与已有记录重复;确认不是同一客户后加 --force",
                    "It may duplicate existing records; add --force if it does not",
                )
            )
        done = convert(store, lead_id)
    finally:
        store.close()
    click.echo(
        json.dumps(
            {
                "customer_id": done.customer_id,
                "contact_id": done.contact_id,
                "deal_id": done.deal_id,
            },
            ensure_ascii=False,
        )
    )


@click.group("pool", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.pass_context
def pool_group(click_ctx: click.Context, as_json: bool) -> None:
    """The team pool (公海), as the server has it now."""
    if click_ctx.invoked_subcommand is not None:
        return
    ctx = click_ctx.find_object(Context)
    assert ctx is not None  # the root command always makes one
    api = _online(ctx)
    try:
        rows = lead_ops.pool(api)
    except SyncError as exc:
        ctx.fail(exc.message)
    finally:
        api.close()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        click.echo(
            f"{r['id']}  {r['entity']:<8} {r['name'] or '':<12} {r['company'] or '':<16} "
            f"{r['reason']:<12} {r['former_owner'] or '-'}  {r['pooled_at']}"
        )


@pool_group.command("claim")
@click.argument("record_id")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def pool_claim(ctx: Context, record_id: str, as_json: bool) -> None:
    """Claim a lead or customer from the pool; the first claim wins."""
    api = _online(ctx)
    try:
        answer = lead_ops.claim(api, record_id)
    except SyncError as exc:
        ctx.fail(exc.message)
    finally:
        api.close()
    if as_json:
        click.echo(json.dumps(answer, ensure_ascii=False))
    if answer["outcome"] != "won":
        message = answer["message"]
        ctx.fail(Msg(message["zh"], message["en"]), code=2)
    if not as_json:
        click.echo(
            ctx.say(Msg("认领成功,下次同步后可见", "Claimed; it arrives with the next sync"))
        )


def _online(ctx: Context) -> Any:
    try:
        return _engine(ctx).online_api()
    except SyncError as exc:
        ctx.fail(exc.message)


@click.command("alerts")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option("--all", "include_resolved", is_flag=True, help="Include resolved alerts.")
@pass_ctx
def alerts_cmd(ctx: Context, as_json: bool, include_resolved: bool) -> None:
    """Alerts on this device: escalations, flags, stagnation, lost claims."""
    store = ctx.store()
    try:
        where = "" if include_resolved else "AND resolved_at IS NULL"
        rows = list(
            store.connection().query(
                f"""SELECT id, kind, record_id, customer_id, owner, message_zh, message_en,
                           created_at, resolved_at
                    FROM alerts WHERE _deleted = 0 {where} ORDER BY created_at DESC, id"""
            )
        )
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        text = r["message_zh"] if ctx.lang == "zh" else r["message_en"]
        click.echo(f"{r['created_at']}  {r['kind']:<16} {text}")


COMMANDS = (leads_cmd, lead_group, pool_group, alerts_cmd)
