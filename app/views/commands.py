"""``fieldcrm ui`` and ``fieldcrm demo``: open the desktop app."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from app.cli import Context, pass_ctx
from app.domain.messages import Msg
from app.sync.errors import SyncError


def _open_window(profile: Path, lang: str) -> int:
    """Run the window with the real sync engine for this profile (offline until signed in)."""
    from app.sync.engine import SyncEngine
    from app.views.account import AccountHooks
    from app.views.application import run

    engine = SyncEngine(profile)

    def sign_in(url: str, user: str, password: str) -> None:
        engine.sign_in(url, user, password)

    account = AccountHooks(sign_in=sign_in, sign_out=engine.sign_out, preset_url=engine.server_url)
    return run(profile, lang, sync_factory=lambda _store: engine, account=account)


@click.command("ui")
@pass_ctx
def ui(ctx: Context) -> None:
    """Open the FieldCRM window on this profile (works offline; sign in from Settings)."""
    sys.exit(_open_window(ctx.profile, ctx.lang))


@click.command("demo")
@click.option(
    "--user",
    type=click.Choice(["demo-rep", "demo-rep2", "demo-lead", "demo-admin"]),
    default="demo-rep",
    show_default=True,
    help="Which demo account to use.",
)
@click.option("--no-window", is_flag=True, help="Set everything up and sync, but open no window.")
@click.pass_context
def demo(click_ctx: click.Context, user: str, no_window: bool) -> None:
    """Open FieldCRM on demo data, synced with a local demo server."""
    from app.sync.demo import start_demo

    ctx: Context = click_ctx.obj
    profile = ctx.profile if ctx.profile_given else None
    try:
        session = start_demo(user, profile)
    except SyncError as exc:
        ctx.fail(exc.message)
    try:
        state = session.engine.state()
        click.echo(
            ctx.say(
                Msg(
                    "演示服务器:{u}(账号 {n},密码 fieldcrm-demo)",
                    "Demo server: {u} (user {n}, password fieldcrm-demo)",
                ).format(u=session.server.url, n=user)
            )
        )
        click.echo(
            ctx.say(
                Msg("资料夹:{p};待同步 {n} 条", "Profile: {p}; {n} change(s) pending").format(
                    p=session.profile, n=state.pending
                )
            )
        )
        if no_window:
            return
        code = _open_window(session.profile, ctx.lang)
    finally:
        session.stop()
    sys.exit(code)


COMMANDS = (ui, demo)
