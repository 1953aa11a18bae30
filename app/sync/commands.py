"""Sync commands of the ``fieldcrm`` CLI: login, sync, conflicts, logout."""

from __future__ import annotations

import functools
import json
import shutil
import sys
from typing import Any

import click

from app.cli_context import Context, pass_ctx
from app.config import URL_LOCKED
from app.domain.messages import Msg
from app.store.crypto import forget_key
from app.store.service import Store
from app.sync import quarantine
from app.sync.api import SyncProgress
from app.sync.engine import SyncEngine
from app.sync.errors import DeviceRevoked, SyncError
from app.sync.http import ApiClient

# Exit status of ``sync`` when the cycle ran but left something for the user to look at:
# operations the server rejected, records set aside as unreadable (1 means it did not run; 2,
# the store could not be opened).
SYNCED_WITH_PROBLEMS = 3


def _engine(ctx: Context) -> SyncEngine:
    """The profile's engine, trusting IT's CA bundle (TLS-inspecting proxies) if one is set."""
    return SyncEngine(
        ctx.profile, api_factory=functools.partial(ApiClient, verify=ctx.config.tls_verify())
    )


# `fieldcrm sync` exits with this when the server revoked the device and the profile was wiped.
WIPED_EXIT = 4


@click.command("login")
@click.option(
    "--server", "server_url", required=True, help="Server address, e.g. https://crm.example.cn"
)
@click.option("--user", required=True, help="Your user name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_ctx
def login(ctx: Context, server_url: str, user: str, password_stdin: bool) -> None:
    """Sign in; the refresh token goes to the system keyring, never to a file."""
    if ctx.config.is_locked("server.url") and server_url.rstrip("/") != ctx.config.server_url:
        ctx.fail(URL_LOCKED.format(u=ctx.config.server_url))
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(ctx.say(Msg("密码", "Password")), hide_input=True)
    engine = _engine(ctx)
    try:
        info = engine.sign_in(server_url, user, password)
    except SyncError as exc:
        ctx.fail(exc.message)
    session = engine.session()
    if session.warning:
        click.echo(ctx.say(session.warning), err=True)
    click.echo(
        ctx.say(Msg("已登录:{n}", "Signed in as {n}").format(n=info.get("display_name") or user))
    )


@click.command("sync")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--quiet", is_flag=True, help="No progress lines.")
@pass_ctx
def sync_cmd(ctx: Context, as_json: bool, quiet: bool) -> None:
    """Push local changes and pull the server's; non-zero exit with the reason on failure
    (3: an administrator revoked this device and its data was deleted)."""
    engine = _engine(ctx)

    def progress(p: SyncProgress) -> None:
        if not quiet and not as_json:
            total = f"/{p.total}" if p.total else ""
            click.echo(f"{p.phase}: {p.done}{total}", err=True)

    try:
        report = engine.sync_or_raise(progress)
    except SyncError as exc:
        # A wipe order has its own exit code, so scripts can tell it from a passing failure.
        code = WIPED_EXIT if isinstance(exc, DeviceRevoked) else 1
        if as_json:
            answer: dict[str, Any] = {"ok": False, "error": exc.message.as_dict()}
            if code == WIPED_EXIT:
                answer["wiped"] = True
            click.echo(json.dumps(answer, ensure_ascii=False))
            sys.exit(code)
        ctx.fail(exc.message, code)
    store = Store(ctx.profile)
    try:
        refused = [_rejection(op) for op in store.journal.rejected()]
        held = [_held(item) for item in quarantine.held(store)]
    finally:
        store.close()
    result: dict[str, Any] = {
        "ok": not report.rejected and not report.quarantined,
        "pushed": report.pushed,
        "pulled": report.pulled,
        "conflicts": report.conflicts,
        "rejected": report.rejected,
        "removed": report.removed,
        "quarantined": report.quarantined,
    }
    problems = []
    if report.rejected:
        problems.append(
            Msg(
                "服务器拒绝了 {n} 项修改,其余已同步",
                "The server rejected {n} change(s); the rest synced",
            ).format(n=report.rejected)
        )
    if report.quarantined:
        problems.append(
            Msg(
                "{n} 条收到的记录无法读取,已暂存一旁(下次同步时报告服务器),其余已同步",
                "{n} received record(s) could not be read and were set aside on this device "
                "(reported to the server at the next sync); the rest synced",
            ).format(n=report.quarantined)
        )
    if as_json:
        if problems:
            result["error"] = Msg(
                ";".join(m.zh for m in problems), "; ".join(m.en for m in problems)
            ).as_dict()
        click.echo(
            json.dumps({**result, "rejections": refused, "quarantine": held}, ensure_ascii=False)
        )
    else:
        click.echo(
            ctx.say(
                Msg(
                    "已推送 {pushed},已拉取 {pulled},新冲突 {conflicts},"
                    "被拒 {rejected},移除 {removed},暂存 {quarantined}",
                    "pushed {pushed}, pulled {pulled}, conflicts {conflicts}, rejected {rejected}, "
                    "removed {removed}, set aside {quarantined}",
                ).format(**result)
            )
        )
        lang = "zh" if ctx.lang == "zh" else "en"
        for item in refused:
            reason = item["message"].get(lang) or item["code"]
            click.echo(f"  ✗ {item['entity']} {item['record_id']}: {reason}", err=True)
        for item in held:
            where = f"{item['entity'] or '?'} {item['record_id'] or '?'}"
            click.echo(f"  ⚠ {where}: {item['reason'][lang]}", err=True)
    if problems:
        if not as_json:
            for msg in problems:
                click.echo(ctx.say(msg), err=True)
        sys.exit(SYNCED_WITH_PROBLEMS)


def _held(item: dict[str, Any]) -> dict[str, Any]:
    """A record set aside, as ``sync --json`` lists it (``raw``: the text it came as)."""
    return {
        "entity": item["entity"],
        "record_id": item["record_id"],
        "version": item["version"],
        "reason": item["reason"],
        "received_at": item["received_at"],
        "raw": item["raw"],
    }


def _rejection(op: dict[str, Any]) -> dict[str, Any]:
    """An operation the server refused, as ``sync --json`` lists it."""
    answer = op["result"]
    message = answer.get("message") or {}
    return {
        "op_id": op["op_id"],
        "entity": op["entity"],
        "record_id": op["record_id"],
        "action": op["action"],
        "code": answer.get("code"),
        "message": {"zh": message.get("zh", ""), "en": message.get("en", "")},
    }


@click.command("conflicts")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array.")
@click.option("--all", "include_resolved", is_flag=True, help="Include resolved conflicts.")
@pass_ctx
def conflicts_cmd(ctx: Context, as_json: bool, include_resolved: bool) -> None:
    """Values that lost a conflict, kept so they can be restored."""
    store = ctx.store()
    try:
        names = store.directory.names_by_id()
        rows = store.conflicts.rows(include_resolved=include_resolved)
    finally:
        store.close()
    items: list[dict[str, Any]] = [
        {
            "id": c["id"],
            "entity": c["entity"],
            "record_id": c["record_id"],
            "field": c["field"],
            "current": c["current_value"],
            "other": c["other_value"],
            "other_author": names.get(c["other_author"], c["other_author"]),
            "at": c["other_at"],
            "lost_here": bool(c["lost_here"]),
            "status": c["status"],
        }
        for c in rows
    ]
    if as_json:
        click.echo(json.dumps(items, ensure_ascii=False))
        return
    for item in items:
        click.echo(
            f"{item['entity']} {item['record_id']} {item['field']}: "
            f"{item['current']!r} ← {item['other']!r} "
            f"({item['other_author']}, {item['at']})"
        )


@click.command("logout")
@click.option("--discard", is_flag=True, help="Discard edits that could not be synced.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_ctx
def logout(ctx: Context, discard: bool, yes: bool) -> None:
    """Sync once more, sign out and wipe this profile from the device."""
    engine = _engine(ctx)
    report = engine.sync()
    pending = engine.state().pending
    if report.error is not None:
        click.echo(ctx.say(report.error), err=True)
    if pending and not discard:
        # Without --discard, unsynced edits are only dropped after an explicit "yes" here;
        # --yes alone never throws them away.
        question = Msg(
            "还有 {n} 条修改未同步,登出将丢弃它们。确定吗?",
            "{n} change(s) are not synced and would be lost. Sign out anyway?",
        ).format(n=pending)
        if yes or not click.confirm(ctx.say(question), default=False):
            ctx.fail(
                Msg(
                    "未登出:还有未同步的修改(使用 --discard 丢弃)",
                    "Not signed out: changes are not synced (use --discard to drop them)",
                )
            )
    try:
        engine.sign_out()
    except SyncError as exc:
        click.echo(ctx.say(exc.message), err=True)
    forget_key(ctx.profile)  # the keyring entry goes with the data it unlocks
    shutil.rmtree(ctx.profile, ignore_errors=True)
    click.echo(ctx.say(Msg("已登出,本机数据已清除", "Signed out; local data removed")))


COMMANDS = (login, sync_cmd, conflicts_cmd, logout)
