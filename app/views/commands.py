"""``fieldcrm ui`` and ``fieldcrm demo``: open the desktop app; ``fieldcrm selftest`` (hidden):
check an installed bundle."""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from app import __version__
from app.cli_context import Context, pass_ctx
from app.config import Config
from app.demo.session import DEMO_LOGINS, DemoUnavailable, start_demo
from app.domain.messages import Msg
from app.sync.errors import SyncError


def _open_window(profile: Path, lang: str, config: Config) -> int:
    """Run the window with the real sync engine for this profile (offline until signed in)."""
    from app.views.application import desktop_account, run

    engine, account = desktop_account(profile, config)
    return run(profile, lang, sync_factory=lambda _store: engine, account=account, config=config)


@click.command("ui")
@pass_ctx
def ui(ctx: Context) -> None:
    """Open the FieldCRM window on this profile (works offline; sign in from Settings)."""
    sys.exit(_open_window(ctx.profile, ctx.lang, ctx.config))


@click.command("demo")
@click.option(
    "--user",
    type=click.Choice(DEMO_LOGINS),
    default="demo-rep",
    show_default=True,
    help="Which demo account to use.",
)
@click.option("--no-window", is_flag=True, help="Set everything up and sync, but open no window.")
@click.pass_context
def demo(click_ctx: click.Context, user: str, no_window: bool) -> None:
    """Open FieldCRM on demo data, synced with a local demo server."""
    ctx: Context = click_ctx.obj
    profile = ctx.profile if ctx.profile_given else None
    try:
        session = start_demo(user, profile)
    except (SyncError, DemoUnavailable) as exc:
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
        code = _open_window(session.profile, ctx.lang, ctx.config)
    finally:
        session.stop()
    sys.exit(code)


# ---- selftest --------------------------------------------------------------------------------
Check = Callable[[], dict[str, Any]]


def _check_version() -> dict[str, Any]:
    import app

    return {"ok": bool(app.__version__) and app.__version__ == __version__, "version": __version__}


def _check_resources() -> dict[str, Any]:
    from PySide6.QtCore import QLibraryInfo, QTranslator

    from app.domain.rules import default_rules
    from app.domain.text import pinyin_initials
    from app.views.i18n import translations_dir

    rules = default_rules()
    ours, qt = QTranslator(), QTranslator()
    ours_ok = ours.load(str(translations_dir() / "fieldcrm_zh_CN.qm"))
    qt_ok = qt.load("qtbase_zh_CN", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))
    # Pinyin initials come from pypinyin's data files: missing data would only show in search.
    pinyin = pinyin_initials("张伟")
    return {
        "ok": bool(rules.stages) and ours_ok and qt_ok and pinyin == "zw",
        "stages": len(rules.stages),
        "translation": ours_ok,
        "qt_translation": qt_ok,
        "pinyin": pinyin,
    }


def _check_tesseract() -> dict[str, Any]:
    from app.ocr.engine import STANDARD_MODEL, check_engine, plan_languages

    install = check_engine()
    frozen = bool(getattr(sys, "frozen", False))
    card_model = plan_languages(install).lines.split("+")[0]
    return {
        # A bundle must use its own copy, not whatever the machine has on PATH, and read
        # cards with the model it ships.
        "ok": not frozen or (install.source == "bundle" and card_model == STANDARD_MODEL),
        "cmd": str(install.cmd),
        "source": install.source,
        "frozen": frozen,
        "card_model": card_model,
    }


def _check_window(config: Config, lang: str, report: Callable[[dict[str, Any]], None]) -> bool:
    """Open the real window on an empty profile (offscreen in CI), then close it."""
    from app.views.application import DesktopApp, wait_until_ready

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fieldcrm-selftest-") as folder:
        desktop = DesktopApp(Path(folder) / "profile", lang, config=config)
        try:
            window = wait_until_ready(desktop)
            shown = window.isVisible()
            preset = window.settings.server_url.text()
            locked = not window.settings.server_url.isEnabled()
            interval_min = window.sync_status.auto.interval() // 60_000
            report(
                {
                    "check": "window",
                    "ok": shown
                    and preset == (config.server_url or "")
                    and interval_min == config.sync_interval_minutes,
                    "shown": shown,
                    "title": window.windowTitle(),
                    "ms": round((time.perf_counter() - started) * 1000),
                    "server_url": preset,
                    "server_url_locked": locked,
                    "sync_interval_minutes": interval_min,
                }
            )
            window.close()
            desktop.app.processEvents()
            closed = not window.isVisible()
        finally:
            desktop.close()
    report({"check": "window_closed", "ok": closed})
    return shown and closed


@click.command("selftest", hidden=True)
@click.option("--window/--no-window", default=True, help="Also open and close the main window.")
@pass_ctx
def selftest(ctx: Context, window: bool) -> None:
    """Check that an installed app is whole: version, resources, OCR engine, the window.

    Prints one JSON object per check as it completes (the build smoke test times the window
    line) and exits 1 when any check fails.
    """
    failed: list[str] = []

    def report(result: dict[str, Any]) -> None:
        if not result.get("ok"):
            failed.append(str(result["check"]))
        click.echo(json.dumps(result, ensure_ascii=False))
        sys.stdout.flush()

    checks: dict[str, Check] = {
        "version": _check_version,
        "resources": _check_resources,
        "tesseract": _check_tesseract,
    }
    for name, check in checks.items():
        try:
            report({"check": name, **check()})
        except Exception as exc:  # a selftest reports every failure, then exits 1
            report({"check": name, "ok": False, "error": repr(exc)})
    report(
        {
            "check": "config",
            "ok": True,
            "server_url": ctx.config.server_url,
            "locked": sorted(ctx.config.locked),
            "origins": dict(ctx.config.origins),
            "problems": [p.message().en for p in ctx.config.problems],
        }
    )
    if window and not _check_window(ctx.config, ctx.lang, report):
        failed.append("window")
    if failed:
        click.echo(f"selftest failed: {', '.join(dict.fromkeys(failed))}", err=True)
        sys.exit(1)


COMMANDS = (ui, demo, selftest)
