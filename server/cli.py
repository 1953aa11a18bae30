"""``fieldcrm-server``: set up, run and administer the central server.

The database is chosen by ``--db URL`` (before the subcommand), else ``FIELDCRM_DATABASE_URL``,
else a SQLite file in the data folder (``--data-dir``, ``FIELDCRM_SERVER_DATA`` or the platform's
data directory).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

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
from server.leads import imports, jobs, keys, reps, webhooks
from server.leads.common import parse_time, team_id_of
from server.leads.report import fairness_report
from server.maintenance import purge as run_purge
from server.merges import list_merges


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
@click.option("--tags", default=None, help="Region/product tags for lead assignment: a,b,c.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_ctx
def user_add(
    ctx: Context,
    name: str,
    role: str,
    team: str | None,
    display_name: str | None,
    tags: str | None,
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
        if tags is not None:
            reps.set_profile(ctx.engine, info.id, tags=reps.parse_tags(tags))
    except admin.AdminError as exc:
        _fail(str(exc))
        return
    click.echo(f"user {info.name} ({info.role}) added: {info.id}")


@user.command(name="edit")
@click.argument("name")
@click.option("--tags", default=None, help="Region/product tags (replaces them; '' for none).")
@click.option(
    "--leave/--back", "on_leave", default=None, help="On leave (gets no leads) or back at work."
)
@pass_ctx
def user_edit(ctx: Context, name: str, tags: str | None, on_leave: bool | None) -> None:
    """Change what lead assignment knows about a user: tags and leave."""
    _needs_schema(ctx)
    try:
        reps.set_profile(
            ctx.engine,
            name,
            tags=None if tags is None else reps.parse_tags(tags),
            on_leave=on_leave,
        )
    except admin.AdminError as exc:
        _fail(str(exc))
    click.echo(f"user {name} updated")


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


@team.command(name="webhook")
@click.argument("name")
@click.argument("url", required=False)
@click.option(
    "--kind", type=click.Choice(["wecom", "dingtalk", "feishu"]), default="wecom", show_default=True
)
@pass_ctx
def team_webhook(ctx: Context, name: str, url: str | None, kind: str) -> None:
    """Send the team's lead escalations to a chat robot URL (no URL: stop)."""
    _needs_schema(ctx)
    try:
        webhooks.set_webhook(ctx.engine, name, kind, url)
    except admin.AdminError as exc:
        _fail(str(exc))
    click.echo(f"team {name}: {'escalations go to the ' + kind + ' robot' if url else 'no robot'}")


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


@main.group(name="intake-key")
def intake_key() -> None:
    """Keys with which channels post leads (POST /api/v1/intake/leads)."""


@intake_key.command(name="add")
@click.argument("channel")
@click.option("--team", required=True, help="The team whose reps get the channel's leads.")
@pass_ctx
def intake_key_add(ctx: Context, channel: str, team: str) -> None:
    """Make a key for CHANNEL; prints the key alone (it is not stored and not shown again)."""
    _needs_schema(ctx)
    try:
        key = keys.add_key(ctx.engine, channel, team)
    except admin.AdminError as exc:
        _fail(str(exc))
        return
    click.echo(key)


@intake_key.command(name="revoke")
@click.argument("key_or_id")
@pass_ctx
def intake_key_revoke(ctx: Context, key_or_id: str) -> None:
    """Revoke a key (give the key itself or its id from `intake-key list`)."""
    try:
        keys.revoke_key(ctx.engine, key_or_id)
    except admin.AdminError as exc:
        _fail(str(exc))
    click.echo("intake key revoked")


@intake_key.command(name="list")
@pass_ctx
def intake_key_list(ctx: Context) -> None:
    """List keys (ids, channels, teams; never the keys)."""
    for k in keys.list_keys(ctx.engine):
        state = "revoked" if k["revoked_at"] else "active"
        click.echo(f"{k['id']}  {k['channel']:<12} {k['team']:<20} {state}")


@main.group(name="leads")
def leads_group() -> None:
    """Leads."""


@leads_group.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--team", required=True, help="The team whose reps get the leads.")
@click.option("--channel", default="import", show_default=True)
@pass_ctx
def leads_import(ctx: Context, file: Path, team: str, channel: str) -> None:
    """Import leads from a .csv or .xlsx FILE: scored and assigned like posted leads; one bad
    row refuses the file; rows seen before (same external_id) are not stored twice."""
    _needs_schema(ctx)
    with ctx.engine.connect() as conn:
        team_id = team_id_of(conn, team)
    if team_id is None:
        _fail(f"no team called {team!r}")
        return
    problems, outcomes = imports.import_leads(ctx.engine, file, team_id, channel)
    if problems:
        for line in problems:
            click.echo(line, err=True)
        _fail(f"{len(problems)} problem(s); nothing was imported")
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o["outcome"]] = counts.get(o["outcome"], 0) + 1
    click.echo(", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "no rows")


@main.command()
@click.option("--now", "now_text", default=None, help="Run as of this ISO time (default: now).")
@pass_ctx
def tick(ctx: Context, now_text: str | None) -> None:
    """Run every scheduled job that is due (deadlines, reclaims, pool, stats) once."""
    _needs_schema(ctx)
    try:
        now = parse_time(now_text) if now_text else time.time()
    except ValueError:
        _fail(f"not an ISO time: {now_text}")
        return
    click.echo(json.dumps(jobs.tick(ctx.engine, now), ensure_ascii=False, sort_keys=True))


@main.group(name="journey")
def journey_group() -> None:
    """The customer-success journey (SPEC J1)."""


@journey_group.command(name="scan")
@click.option("--team", default=None, help="Only this team's signed customers.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_ctx
def journey_scan(ctx: Context, team: str | None, as_json: bool) -> None:
    """Signed customers whose journey never started or stalled."""
    from server.journey import scan

    _needs_schema(ctx)
    team_id = None
    if team is not None:
        with ctx.engine.connect() as conn:
            team_id = team_id_of(conn, team)
        if team_id is None:
            _fail(f"no team called {team!r}")
            return
    issues = scan(ctx.engine, time.time(), team_id)
    rows = [
        {
            "deal_id": i.deal_id,
            "customer_id": i.customer_id,
            "customer": i.customer_name,
            "state": i.state,
            "signed_on": i.signed_on,
            "late_step": None if i.late_task is None else i.late_task.get("step"),
        }
        for i in issues
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        click.echo(
            f"{r['state']:<12} {r['signed_on'] or '':<10}  {r['customer']}"
            + (f"  (late: {r['late_step']})" if r["late_step"] else "")
        )


@main.command(name="duplicates")
@click.argument("kind", type=click.Choice(["customers", "contacts"]))
@click.option("--team", required=True)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def duplicates_cmd(ctx: Context, kind: str, team: str, as_json: bool) -> None:
    """Scan a team's customers or contacts for suspected duplicates, largest groups first."""
    from server.duplicates import scan_team

    _needs_schema(ctx)
    with ctx.engine.connect() as conn:
        team_id = team_id_of(conn, team)
        if team_id is None:
            _fail(f"no team called {team!r}")
            return
        groups, book = scan_team(conn, team_id, kind)
    if as_json:
        out = [
            {"ids": list(g.ids), "score": g.score, "reasons": [r.en for r in g.reasons]}
            for g in groups
        ]
        click.echo(json.dumps(out, ensure_ascii=False, indent=1))
        return
    for g in groups:
        click.echo(f"{g.score:.2f}  " + "; ".join(r.en for r in g.reasons))
        for rid in g.ids:
            click.echo(f"      {rid}  {book.names.get(rid, '')}")
    click.echo(f"{len(groups)} suspect group(s)")


@main.group()
def report() -> None:
    """Reports."""


@report.command(name="fairness")
@click.option("--team", required=True)
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 366))
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def report_fairness(ctx: Context, team: str, days: int, as_json: bool) -> None:
    """Each rep's share of high-intent leads; new hires' first week against the team mean."""
    _needs_schema(ctx)
    now = time.time()
    try:
        figures = fairness_report(ctx.engine, team, now - days * 86400, now)
    except LookupError:
        _fail(f"no team called {team!r}")
        return
    if as_json:
        click.echo(json.dumps(figures["reps"], ensure_ascii=False, indent=2))
        return
    click.echo(f"team {team}, {figures['from']} - {figures['to']}")
    click.echo(f"{'rep':<16} {'leads':>6} {'high':>5} {'share':>7} {'1st week':>9} {'ratio':>6}")
    for r in figures["reps"]:
        ratio = "-" if r["first_week_ratio"] is None else f"{r['first_week_ratio']:.2f}"
        week = "-" if r["first_week_leads"] is None else str(r["first_week_leads"])
        flag = "  below " + str(figures["flag_below"]) if r["flagged"] else ""
        click.echo(
            f"{r['name']:<16} {r['leads']:>6} {r['high_intent']:>5} "
            f"{r['share_high']:>7.1%} {week:>9} {ratio:>6}{flag}"
        )


@main.command(name="merges")
@click.option("--team", default=None, help="Only merges in this team's scope.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def merges_cmd(ctx: Context, team: str | None, as_json: bool) -> None:
    """Merges of duplicate customers and contacts, newest first."""
    _needs_schema(ctx)
    try:
        rows = list_merges(ctx.engine, team)
    except LookupError:
        _fail(f"no team called {team!r}")
        return
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for m in rows:
        click.echo(
            f"{m['created_at']}  {m['kind']:<8} {', '.join(m['merged_ids'])} -> "
            f"{m['survivor_id']}  by {m['merged_by']}  ({m['moved']} moved)"
        )


def _team_report(
    ctx: Context, team: str, kind: str, period: str | None, now_text: str | None
) -> dict[str, Any]:
    from app.domain.forecast import parse_period
    from app.domain.reports import current_period, forecast_report, pipeline_report
    from server.admin import current_rules
    from server.records import Viewer
    from server.reports import load_team, utc
    from server.reports.snapshots import visible_snapshots

    _needs_schema(ctx)
    try:
        now = parse_time(now_text) or time.time()
        if period is not None:
            parse_period(period)
    except ValueError as exc:
        _fail(str(exc))
        raise
    with ctx.engine.connect() as conn:
        team_id = team_id_of(conn, team)
        if team_id is None:
            _fail(f"no team called {team!r}")
            raise LookupError(team)
        data, rules = load_team(conn, team_id), current_rules(conn)
        if kind == "pipeline":
            return pipeline_report(data, rules, period, utc(now))
        viewer = Viewer("", "", "", "lead", team_id)
        return forecast_report(
            data, rules, period or current_period(utc(now)), visible_snapshots(conn, viewer)
        )


@report.command(name="forecast")
@click.option("--team", required=True)
@click.option("--period", default=None, help="2026Q4 or 2026-11 (default: this quarter).")
@click.option("--now", "now_text", default=None, help="Compute as of this ISO time.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def report_forecast(
    ctx: Context, team: str, period: str | None, now_text: str | None, as_json: bool
) -> None:
    """Each rep's commit, evidence-weighted forecast, best case and won amount for a period."""
    data = _team_report(ctx, team, "forecast", period, now_text)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    click.echo(f"team {team}, {data['period']}")
    click.echo(f"{'rep':<20} {'commit':>14} {'weighted':>14} {'best case':>14} {'won':>14}  gap")
    for r in [*data["reps"], {**data["team"], "rep": "TEAM"}]:
        flag = "  LARGE GAP" if r["gap_flag"] else ""
        click.echo(
            f"{r['rep']:<20} {r['commit']:>14,.2f} {r['weighted']:>14,.2f} "
            f"{r['best_case']:>14,.2f} {r['won']:>14,.2f}  {r['gap']:,.2f}{flag}"
        )


@report.command(name="pipeline")
@click.option("--team", required=True)
@click.option("--period", default=None, help="2026Q4 or 2026-11 (default: all time).")
@click.option("--now", "now_text", default=None, help="Compute as of this ISO time.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def report_pipeline(
    ctx: Context, team: str, period: str | None, now_text: str | None, as_json: bool
) -> None:
    """Conversion, win rates, time in stage, stalled deals, loss reasons and open value."""
    data = _team_report(ctx, team, "pipeline", period, now_text)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    click.echo(f"team {team}, {data['period'] or 'all time'}")
    for c in data["conversion"]:
        rate = "-" if c["rate"] is None else f"{c['rate']:.1%}"
        click.echo(f"{c['from']:>16} -> {c['to']:<16} {c['entered']:>6} {c['moved_on']:>6} {rate}")
    w = data["win_rate"]
    click.echo(f"win rate: {w['won']} won, {w['lost']} lost, {w['rate']}")
    for stage, t in data["time_in_stage"].items():
        click.echo(f"{stage:>16}: median {t['median_days']} d, p90 {t['p90_days']} d")
    click.echo(f"stalled deals: {len(data['stalled'])}")


@main.command(name="demo-data")
@click.option("--team", required=True, help="Team name or id (created if missing).")
@click.option(
    "--size", type=click.Choice(["small", "rep", "team"]), default="small", show_default=True
)
@click.option("--seed", "seed_value", type=int, default=7, show_default=True)
@click.option(
    "--now",
    "now_text",
    default=None,
    help="Take the past forecast snapshots as of this ISO time (default: now).",
)
@pass_ctx
def demo_data(ctx: Context, team: str, size: str, seed_value: int, now_text: str | None) -> None:
    """Fill a team with generated reps, customers, contacts, deals (evidence, stage history,
    signed and lost ones), follow-ups, attachments and leads, and the last four quarters'
    forecast snapshots."""
    from server.reports.demo import fill_team

    _needs_schema(ctx)
    try:
        now = parse_time(now_text) if now_text else time.time()
    except ValueError:
        _fail(f"not an ISO time: {now_text}")
        return
    try:
        counts = fill_team(ctx.engine, ctx.settings, team, size, seed_value, now)
    except (ValueError, admin.AdminError) as exc:
        _fail(str(exc))
        return
    click.echo(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))


if __name__ == "__main__":  # pragma: no cover
    main()
