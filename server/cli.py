"""``fieldcrm-server``: set up, run and administer the central server.

The database is chosen by ``--db URL`` (before the subcommand), else ``FIELDCRM_DATABASE_URL``,
else a SQLite file in the data folder (``--data-dir``, ``FIELDCRM_SERVER_DATA`` or the platform's
data directory).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from server import admin, migrate
from server.config import (
    ENV_DATA_DIR,
    ENV_DATABASE_URL,
    ENV_TRUSTED_PROXIES,
    Settings,
    load_settings,
    parse_networks,
)
from server.db import make_engine, normalise_url
from server.maintenance import purge as run_purge


class Context:
    def __init__(self, db: str | None, data_dir: Path | None) -> None:
        try:
            self.settings = load_settings(db, data_dir)
        except ValueError as exc:
            _fail(f"{ENV_TRUSTED_PROXIES}: {exc}")
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            if self.settings.database_url.startswith("sqlite"):
                self.settings.data_dir.mkdir(parents=True, exist_ok=True)
            self._engine = make_engine(self.settings.database_url, pool_size=2)
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


pass_ctx = click.make_pass_decorator(Context)


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def _password(stdin: bool) -> str:
    if stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    value: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


def _needs_schema(ctx: Context) -> None:
    if not migrate.is_current(ctx.engine):
        _fail("the database schema is not current: run `fieldcrm-server migrate`")


@click.group()
@click.option(
    "--db",
    "db",
    metavar="URL",
    help=f"Database URL (default: ${ENV_DATABASE_URL} or SQLite in the data folder).",
)
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    default=None,
    help=f"Data folder for SQLite and attachments (default: ${ENV_DATA_DIR}).",
)
@click.pass_context
def main(click_ctx: click.Context, db: str | None, data_dir: Path | None) -> None:
    """FieldCRM central sync server."""
    ctx = Context(db, data_dir)
    click_ctx.obj = ctx
    click_ctx.call_on_close(ctx.close)


@main.command()
@pass_ctx
def init(ctx: Context) -> None:
    """Create the data folder and the database schema."""
    ctx.settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(ctx.engine)
    click.echo(f"database ready at revision {migrate.head_revision()}")


@main.command(name="migrate")
@pass_ctx
def migrate_cmd(ctx: Context) -> None:
    """Upgrade the database schema to this version of the server."""
    before = migrate.current_revision(ctx.engine)
    migrate.upgrade(ctx.engine)
    click.echo(f"schema {before or '(empty)'} -> {migrate.head_revision()}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8765, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    multiple=True,
    metavar="ADDRESS[/BITS]",
    help=f"A reverse proxy whose X-Forwarded-For names the client (repeatable; default: "
    f"${ENV_TRUSTED_PROXIES}, else none).",
)
@pass_ctx
def serve(
    ctx: Context, host: str, port: int, workers: int, trusted_proxies: tuple[str, ...]
) -> None:
    """Run the HTTP service."""
    import uvicorn

    _needs_schema(ctx)
    if trusted_proxies:
        try:
            proxies = parse_networks(" ".join(trusted_proxies))
        except ValueError as exc:
            _fail(f"--trusted-proxy: {exc}")
        os.environ[ENV_TRUSTED_PROXIES] = " ".join(proxies)
    # Workers are separate processes: they read their settings from the environment.
    os.environ[ENV_DATABASE_URL] = ctx.settings.database_url
    os.environ[ENV_DATA_DIR] = str(ctx.settings.data_dir)
    ctx.close()
    uvicorn.run(
        "server.asgi:app_factory",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        proxy_headers=False,
    )


@main.group()
def user() -> None:
    """Manage users."""


@user.command(name="add")
@click.argument("name")
@click.option(
    "--role", type=click.Choice(["rep", "lead", "admin", "csm"]), default="rep", show_default=True
)
@click.option("--team", default=None)
@click.option("--display-name", default=None)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_ctx
def user_add(
    ctx: Context,
    name: str,
    role: str,
    team: str | None,
    display_name: str | None,
    password_stdin: bool,
) -> None:
    """Add a user (the password is prompted for unless --password-stdin)."""
    _needs_schema(ctx)
    try:
        info = admin.create_user(
            ctx.engine,
            ctx.settings,
            name,
            _password(password_stdin),
            role=role,
            team=team,
            display_name=display_name,
        )
    except admin.AdminError as exc:
        _fail(str(exc))
        return
    click.echo(f"user {info.name} ({info.role}) added: {info.id}")


@user.command(name="disable")
@click.argument("name")
@pass_ctx
def user_disable(ctx: Context, name: str) -> None:
    """Disable a user and revoke all their devices at once (each is wiped when it next
    contacts the server)."""
    try:
        revoked = admin.disable_user(ctx.engine, name)
    except admin.AdminError as exc:
        _fail(str(exc))
        return
    click.echo(f"user {name} disabled; {revoked} device(s) revoked, each wiped at its next sync")


@user.command(name="passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True)
@pass_ctx
def user_passwd(ctx: Context, name: str, password_stdin: bool) -> None:
    """Set a new password (ends all the user's sessions)."""
    try:
        admin.set_password(ctx.engine, ctx.settings, name, _password(password_stdin))
    except admin.AdminError as exc:
        _fail(str(exc))
    click.echo(f"password of {name} changed")


@user.command(name="team")
@click.argument("name")
@click.argument("team", required=False)
@pass_ctx
def user_team(ctx: Context, name: str, team: str | None) -> None:
    """Move a user to TEAM (no TEAM: out of any team)."""
    try:
        admin.set_team(ctx.engine, name, team)
    except admin.AdminError as exc:
        _fail(str(exc))
    click.echo(f"{name} is now in {team or 'no team'}")


@user.command(name="list")
@pass_ctx
def user_list(ctx: Context) -> None:
    """List users."""
    for u in admin.list_users(ctx.engine):
        state = "" if u["active"] else "  (disabled)"
        click.echo(f"{u['name']:<20} {u['role']:<6} {u['team'] or '-':<20} {u['id']}{state}")


@main.group()
def team() -> None:
    """Manage teams."""


@team.command(name="add")
@click.argument("name")
@pass_ctx
def team_add(ctx: Context, name: str) -> None:
    """Add a team."""
    _needs_schema(ctx)
    try:
        team_id = admin.create_team(ctx.engine, name)
    except admin.AdminError as exc:
        _fail(str(exc))
        return
    click.echo(f"team {name} added: {team_id}")


@main.group()
def device() -> None:
    """List and revoke the devices users signed in on."""


def _when(t: float | None) -> str:
    return "-" if t is None else time.strftime("%Y-%m-%d %H:%M", time.localtime(t))


@device.command(name="list")
@click.option("--user", "user_name", required=True, help="User name or id.")
@click.option("--all", "include_ended", is_flag=True, help="Include ended sessions too.")
@pass_ctx
def device_list(ctx: Context, user_name: str, include_ended: bool) -> None:
    """A user's devices, newest sign-in first."""
    _needs_schema(ctx)
    try:
        found = admin.list_devices(ctx.engine, user_name, include_ended=include_ended)
    except admin.AdminError as exc:
        _fail(str(exc))
        return
    if not found:
        click.echo(f"{user_name} has no signed-in devices")
        return
    click.echo(
        f"{'DEVICE ID':<36}  {'SIGNED IN':<16}  {'LAST SEEN':<16}  {'FROM':<15}  STATE  (LABEL)"
    )
    for d in found:
        click.echo(
            f"{d.id:<36}  {_when(d.created_at):<16}  {_when(d.last_seen_at):<16}  "
            f"{d.signed_in_from:<15}  {d.state}  ({d.label})"
        )


@device.command(name="revoke")
@click.argument("device_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_ctx
def device_revoke(ctx: Context, device_id: str, yes: bool) -> None:
    """Revoke a device: it is signed out at once and wiped when it next contacts the server.
    DEVICE_ID is the id `device list` shows (or its first 8+ characters)."""
    _needs_schema(ctx)
    try:
        info = admin.find_device(ctx.engine, device_id)
    except admin.AdminError as exc:
        _fail(str(exc))
        return
    if info.revoked_at is not None:
        click.echo(f"device {info.id} of {info.user} is already revoked ({info.state})")
        return
    if not yes:
        click.echo(
            f"Device {info.id} of {info.user} ({info.label}, signed in {_when(info.created_at)}, "
            f"last seen {_when(info.last_seen_at)}) will be signed out now, and the next time it "
            "contacts the server it deletes its FieldCRM data: the local database, attachment "
            "files and stored keys.\n"
            "Edits made on it that have not been synced yet are lost, by design: a lost or "
            "stolen device must not be able to send anything more."
        )
        if not click.confirm("Revoke this device?", default=False):
            _fail("not revoked")
    try:
        admin.revoke_device(ctx.engine, info.id)
    except admin.AdminError as exc:
        _fail(str(exc))
        return
    click.echo(f"device {info.id} of {info.user} revoked; it is wiped at its next contact")


@main.group()
def assign() -> None:
    """Reassign records."""


@assign.command(name="customer")
@click.argument("customer_id")
@click.option("--to", "to_user", required=True, help="User name or id of the new owner.")
@pass_ctx
def assign_customer(ctx: Context, customer_id: str, to_user: str) -> None:
    """Move a customer with its contacts, deals, follow-ups and attachments."""
    try:
        moved = admin.assign_customer(ctx.engine, customer_id, to_user)
    except admin.AdminError as exc:
        _fail(str(exc))
        return
    click.echo(f"{moved} records moved to {to_user}")


@main.group()
def rules() -> None:
    """Stage and follow-up rule data."""


@rules.command(name="load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_ctx
def rules_load(ctx: Context, file: Path) -> None:
    """Install rule data from a JSON FILE (checked before it is stored)."""
    try:
        version = admin.load_rules(ctx.engine, file.read_text("utf-8"))
    except admin.AdminError as exc:
        _fail(str(exc))
        return
    click.echo(f"rules version {version} in force")


@main.command()
@pass_ctx
def check(ctx: Context) -> None:
    """Health check: the database answers and its schema is current."""
    url = normalise_url(ctx.settings.database_url)
    shown = url.split("@")[-1] if "@" in url else url  # never print a password
    try:
        with ctx.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        _fail(f"database unreachable ({shown}): {type(exc).__name__}")
    click.echo(f"database reachable: {shown}")
    current, head = migrate.current_revision(ctx.engine), migrate.head_revision()
    if current != head:
        _fail(f"schema at {current or '(empty)'}, this server needs {head}: run migrate")
    click.echo(f"schema current: {head}")


@main.command()
@click.option("--days", type=int, default=None, help="Retention (default from settings: 90).")
@pass_ctx
def purge(ctx: Context, days: int | None) -> None:
    """Delete tombstones and scope notices older than the retention period."""
    settings: Settings = ctx.settings if days is None else ctx.settings.with_(tombstone_days=days)
    report = run_purge(ctx.engine, settings)
    click.echo(
        f"purged {report.tombstones} tombstones, {report.notices} notices, "
        f"{report.tokens} tokens, {report.operations} operation ids"
    )


if __name__ == "__main__":  # pragma: no cover
    main()
