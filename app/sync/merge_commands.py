"""Merge commands of the ``fieldcrm`` CLI: merge duplicates (lead/admin) and list merges."""

from __future__ import annotations

import json

import click

from app.cli_context import Context, pass_ctx
from app.domain.merges import pickable_fields
from app.domain.messages import Msg
from app.store import merging
from app.store.merging import MergeRefused


@click.command("merge")
@click.argument("kind", type=click.Choice(["customer", "contact"]))
@click.argument("survivor")
@click.argument("others", nargs=-1, required=True)
@click.option(
    "--pick",
    "picks",
    multiple=True,
    metavar="FIELD=ID",
    help="Keep this record's value of FIELD (default: the survivor's, else the first one set).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the merge as JSON.")
@pass_ctx
def merge_cmd(
    ctx: Context,
    kind: str,
    survivor: str,
    others: tuple[str, ...],
    picks: tuple[str, ...],
    as_json: bool,
) -> None:
    """Merge OTHERS into SURVIVOR (team lead or admin); sent by the next sync like any edit."""
    pick: dict[str, str] = {}
    for item in picks:
        name, sep, source = item.partition("=")
        if not sep or name not in pickable_fields(kind):
            ctx.fail(
                Msg(
                    "--pick 应为 字段=编号,字段可为:{f}",
                    "--pick takes FIELD=ID, FIELD one of: {f}",
                ).format(f=", ".join(pickable_fields(kind)))
            )
        pick[name] = source
    store = ctx.store()
    try:
        try:
            merge_id = merging.merge(store, kind, survivor, list(others), pick)
        except MergeRefused as exc:
            ctx.fail(exc.message)
        made = next(m for m in merging.list_merges(store) if m["id"] == merge_id)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(made, ensure_ascii=False))
        return
    click.echo(
        ctx.say(
            Msg(
                "已合并 {n} 条记录到 {s},下次同步时提交",
                "Merged {n} record(s) into {s}; sent at the next sync",
            ).format(n=len(made["merged_ids"]), s=survivor)
        )
    )


@click.command("merges")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_ctx
def merges_cmd(ctx: Context, as_json: bool) -> None:
    """Merges made on this device or received by sync, newest first."""
    store = ctx.store()
    try:
        rows = merging.list_merges(store)
        names = store.directory.names_by_id()
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for m in rows:
        by = names.get(m["merged_by"] or "", m["merged_by"] or "-")
        click.echo(
            f"{m['created_at'][:19]}  {m['kind']:<8} {', '.join(m['merged_ids'])} -> "
            f"{m['survivor_id']}  {by}  {m['state']}"
        )


COMMANDS = (merge_cmd, merges_cmd)
