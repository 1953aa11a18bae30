"""The ``fieldcrm`` command line: for IT, for scripts and for tests.

Every command works on one profile (``--profile DIR`` or ``FIELDCRM_PROFILE``, else the default
profile in the user-data folder) and goes through the same services as the desktop app. The
settings IT preset (:mod:`app.config`) are read first; ``--set KEY=VALUE`` overrides one for a
run unless IT locked it, and problems in the files are printed (on stderr) but never fatal.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from app import __version__
from app.cli_context import Context, pass_ctx, ui_language
from app.config import SETTINGS, load_config
from app.domain.messages import Msg
from app.paths import resolve_profile
from app.store import queries
from app.store.errors import StoreError, StoreUnavailable, ValidationFailed
from app.sync.commands import COMMANDS as SYNC_COMMANDS
from app.sync.lead_commands import COMMANDS as LEAD_COMMANDS
from app.sync.merge_commands import COMMANDS as MERGE_COMMANDS
from app.task_commands import COMMANDS as TASK_COMMANDS
from app.views.commands import COMMANDS as WINDOW_COMMANDS
from app.views.report_commands import COMMANDS as REPORT_COMMANDS

ENTITY_WORDS = {
    "customers": "customer",
    "contacts": "contact",
    "leads": "lead",
    "deals": "deal",
    "followups": "followup",
}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fieldcrm")
@click.option(
    "--profile",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Profile folder (default: $FIELDCRM_PROFILE or the per-user data folder).",
)
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None, help="Message language.")
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help=f"Change a setting for this run unless IT locked it ({', '.join(SETTINGS)}).",
)
@click.pass_context
def cli(
    ctx: click.Context, profile: Path | None, lang: str | None, overrides: tuple[str, ...]
) -> None:
    """FieldCRM: offline-first sales client."""
    given = profile is not None or bool(os.environ.get("FIELDCRM_PROFILE"))
    lang = lang or ui_language()
    config = load_config(overrides)
    for problem in config.problems:
        click.echo(problem.message().text(lang), err=True)
    ctx.obj = Context(resolve_profile(profile), lang, profile_given=given, config=config)


@cli.command("import")
@click.argument("kind", type=click.Choice(["customers", "contacts", "leads"]))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--convert-traditional",
    is_flag=True,
    help="Accept a Big5 (traditional Chinese) .csv file, converted to simplified characters.",
)
@click.option(
    "--duplicates",
    type=click.Choice(["refuse", "skip", "keep"]),
    default="refuse",
    show_default=True,
    help="Rows that look like an existing record: refuse the file, skip them or keep them.",
)
@pass_ctx
def import_cmd(
    ctx: Context, kind: str, file: Path, convert_traditional: bool, duplicates: str
) -> None:
    """Import (upsert by id) customers, contacts or leads from .csv or .xlsx; all or nothing."""
    from app.store.transfer import ImportFailed, import_file

    store = ctx.store()
    try:
        result = import_file(
            store,
            ENTITY_WORDS[kind],
            file,
            convert_traditional=convert_traditional,
            duplicates=duplicates,
        )
    except ImportFailed as exc:
        for problem in exc.problems:
            click.echo(problem.text(ctx.lang), err=True)
        ctx.fail(
            Msg(
                "导入失败:{n}处问题,未写入任何数据",
                "Import refused: {n} problem(s); nothing was written",
            ).format(n=len(exc.problems))
        )
    finally:
        store.close()
    for suspect in result.suspects:
        click.echo(suspect.text(ctx.lang))
    if result.skipped:
        click.echo(
            ctx.say(
                Msg("跳过疑似重复 {n} 行", "skipped {n} suspected duplicate row(s)").format(
                    n=result.skipped
                )
            )
        )
    if result.encoding not in (None, "UTF-8"):
        click.echo(ctx.say(Msg("按 {e} 编码读取", "read as {e}").format(e=result.encoding)))
    click.echo(
        ctx.say(
            Msg(
                "新建 {c} 条,更新 {u} 条,未变 {n} 条", "created {c}, updated {u}, unchanged {n}"
            ).format(c=result.created, u=result.updated, n=result.unchanged)
        )
    )


@cli.command("export")
@click.argument("kind", type=click.Choice(["customers", "contacts", "deals", "followups", "leads"]))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--encoding",
    type=click.Choice(["utf-8-sig", "utf-8", "gb18030"]),
    default="utf-8-sig",
    show_default=True,
    help="Text encoding of a .csv file (ignored for .xlsx).",
)
@pass_ctx
def export_cmd(ctx: Context, kind: str, file: Path, encoding: str) -> None:
    """Export every record of a kind to .csv or .xlsx."""
    from app.store.transfer import export_file

    if file.suffix.lower() not in (".csv", ".xlsx"):
        ctx.fail(Msg("请使用 .csv 或 .xlsx 文件名", "Use a .csv or .xlsx file name"))
    store = ctx.store()
    try:
        count = export_file(store, ENTITY_WORDS[kind], file, encoding)
    finally:
        store.close()
    click.echo(
        ctx.say(Msg("已导出 {n} 条到 {f}", "exported {n} rows to {f}").format(n=count, f=file))
    )


@cli.command("demo-data")
@click.option("--size", type=click.Choice(["small", "rep"]), default="small", show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@pass_ctx
def demo_data_cmd(ctx: Context, size: str, seed: int) -> None:
    """Fill the profile with realistic demo data (small: ~200 customers; rep: 5 000)."""
    from app.demo import DEMO_USERS, generate
    from app.demo.local import load_into

    store = ctx.store()
    try:
        if store.query(queries.record_count, "customers", include_deleted=True):
            ctx.fail(
                Msg(
                    "该资料夹已有数据,请换一个空的 --profile",
                    "This profile already has data; use an empty --profile",
                )
            )
        # The "rep" set is one representative's own book of business (SPEC N1).
        owner = DEMO_USERS[1]["id"] if size == "rep" else None
        counts = load_into(store, generate(size, seed, owner=owner))
    finally:
        store.close()
    click.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))


@cli.command("duplicates")
@click.argument("kind", type=click.Choice(["customers", "contacts"]))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of suspect groups.")
@pass_ctx
def duplicates_cmd(ctx: Context, kind: str, as_json: bool) -> None:
    """Scan the local copy for suspected duplicates, the largest groups first."""
    import json

    from app.store.duplicates import describe, scan

    store = ctx.store()
    try:
        groups = scan(store, kind)
        if as_json:
            out = [
                {
                    "ids": list(g.ids),
                    "score": g.score,
                    "reasons": [r.text(ctx.lang) for r in g.reasons],
                }
                for g in groups
            ]
            click.echo(json.dumps(out, ensure_ascii=False, indent=1))
            return
        for g in groups:
            click.echo(f"{g.score:.2f}  " + ";".join(r.text(ctx.lang) for r in g.reasons))
            for rid in g.ids:
                click.echo(f"      {rid}  {describe(store, kind, rid)}")
        click.echo(ctx.say(Msg("疑似重复 {n} 组", "{n} suspect group(s)").format(n=len(groups))))
    finally:
        store.close()


@cli.command("health")
@click.option("--xlsx", "xlsx", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--pdf", "pdf", type=click.Path(dir_okay=False, path_type=Path), default=None)
@pass_ctx
def health_cmd(ctx: Context, xlsx: Path | None, pdf: Path | None) -> None:
    """The data-health brief of the local copy (a lead's copy: the team), per rep."""
    from app.domain.health import COLUMNS
    from app.store.health import export_xlsx, local_brief

    store = ctx.store()
    try:
        brief = local_brief(store)
    finally:
        store.close()
    click.echo(brief.summary().text(ctx.lang))
    click.echo("\t".join(label.text(ctx.lang) for _, label in COLUMNS))
    for row in brief.reps:
        click.echo("\t".join(str(v) for v in row.values()))
    if xlsx is not None:
        export_xlsx(brief, xlsx, ctx.lang)
        click.echo(str(xlsx))
    if pdf is not None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # printing needs no screen
        from app.views.application import qt_app
        from app.views.health import write_pdf

        qt_app()
        write_pdf(brief, pdf, ctx.lang)
        click.echo(str(pdf))


@cli.command("search")
@click.argument("query")
@click.option("--limit", type=int, default=20, show_default=True)
@pass_ctx
def search_cmd(ctx: Context, query: str, limit: int) -> None:
    """Find customers, contacts, leads and follow-ups containing QUERY (or its pinyin initials)."""
    store = ctx.store()
    try:
        for hit in store.search(query, limit=limit):
            click.echo(f"{hit.entity:9} {hit.record_id}  {hit.label}")
    finally:
        store.close()


@cli.command("info")
@pass_ctx
def info_cmd(ctx: Context) -> None:
    """Where the profile is and what it holds."""
    store = ctx.store()
    try:
        click.echo(f"profile: {ctx.profile}")
        for table in ("customers", "contacts", "leads", "deals", "followups", "attachments"):
            n = store.query(queries.record_count, table)
            click.echo(f"{table}: {n}")
        click.echo(f"pending changes: {store.journal.pending_count()}")
        click.echo(f"encrypted: {'yes' if store.key is not None else 'no (no system keyring)'}")
    finally:
        store.close()


def _mount_optional(group: click.Group, module: str, attr: str) -> None:
    """Add a command group that lives in its own package, if that package imports."""
    import importlib

    try:
        command = getattr(importlib.import_module(module), attr)
    except ImportError:
        return
    group.add_command(command)


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point."""
    try:
        return cli.main(args=argv, prog_name="fieldcrm")
    except ValidationFailed as exc:
        for name, msg in exc.errors.items():
            click.echo(f"{name}: {msg.text(ui_language())}", err=True)
        sys.exit(1)
    except StoreUnavailable as exc:  # a locked or unusable store, met past ctx.store()
        click.echo(exc.message.text(ui_language()), err=True)
        sys.exit(2)
    except StoreError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)


# The other command modules build on app.cli_context, never on this module.
for _command in (
    *SYNC_COMMANDS,
    *LEAD_COMMANDS,
    *TASK_COMMANDS,
    *MERGE_COMMANDS,
    *WINDOW_COMMANDS,
    *REPORT_COMMANDS,
):
    cli.add_command(_command)
_mount_optional(cli, "app.ocr.commands", "ocr")
