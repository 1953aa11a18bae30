"""Start the desktop app on a profile: Qt application, language, crash handling, store worker,
sync service and the main window."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from app.config import URL_LOCKED, Config
from app.store.service import Store
from app.sync.api import OfflineSync, SyncService
from app.sync.engine import SyncEngine
from app.sync.errors import SyncError
from app.sync.http import ApiClient
from app.views import i18n
from app.views import operations as ops
from app.views.account import AccountHooks
from app.views.context import AppContext, load_context
from app.views.errors import CrashReporter, install_crash_handler, known_message, setup_logging
from app.views.live import LiveUpdates
from app.views.main_window import MainWindow
from app.views.tasks import TaskRunner

SyncFactory = Callable[[Store], SyncService]


def offline_sync(store: Store) -> SyncService:
    """The sync service of a profile that is not signed in (counts read on the store worker)."""
    return OfflineSync(lambda: ops.outbox_counts(store))


def desktop_account(profile: Path, config: Config) -> tuple[SyncEngine, AccountHooks]:
    """The sync engine of this profile and the account hooks the window uses, with IT's
    settings applied: the preset (maybe locked) server address and the CA bundle."""
    # Read at each connection, so a CA bundle saved in Settings is used from the next sync on.
    current = {"config": config}

    def api(url: str, **kw: Any) -> ApiClient:
        return ApiClient(url, verify=current["config"].tls_verify(), **kw)

    engine = SyncEngine(profile, api_factory=api)

    def sign_in(url: str, user: str, password: str) -> None:
        now = current["config"]
        if now.is_locked("server.url") and url.rstrip("/") != now.server_url:
            raise SyncError(URL_LOCKED.format(u=now.server_url))
        engine.sign_in(url, user, password)

    account = AccountHooks(
        sign_in=sign_in,
        sign_out=engine.sign_out,
        preset_url=config.server_url or engine.server_url,
        url_locked=config.is_locked("server.url") and config.server_url is not None,
    )

    def apply_config(new: Config) -> None:
        current["config"] = new
        account.preset_url = new.server_url or engine.server_url

    account.apply_config = apply_config
    return engine, account


def qt_app() -> QApplication:
    """The one QApplication (created on first use) with a font that has hanzi."""
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    app = QApplication(sys.argv[:1])
    app.setApplicationName("FieldCRM")
    app.setOrganizationName("FieldCRM")
    i18n.use_cjk_font(app)
    return app


class DesktopApp:
    """Owns the runner and the window; rebuilds the window when the language changes."""

    def __init__(
        self,
        profile: Path,
        lang: str,
        *,
        sync_factory: SyncFactory = offline_sync,
        account: AccountHooks | None = None,
        runner: TaskRunner | None = None,
        config: Config | None = None,
    ) -> None:
        self.profile = profile
        self.lang = lang
        self.sync_factory = sync_factory
        self.account = account or AccountHooks()
        self.config = config or Config()
        self.app = qt_app()
        self.runner = runner or TaskRunner(lambda: Store(profile))
        self.window: MainWindow | None = None
        self.sync: SyncService | None = None
        self.ctx: AppContext | None = None
        self.failure: BaseException | None = None
        # Set by ``run`` once the application's event loop is about to run: quitting before
        # that would leave Qt's quit flag set for every later event loop in the process.
        self.quit_on_failure = False
        self._ocr_warmed = False

    def start(self, on_ready: Callable[[MainWindow], None] | None = None) -> None:
        """Open the store and build the window when it is ready (asynchronously)."""
        factory = self.sync_factory

        def have_context(ctx: AppContext) -> None:
            self.ctx = ctx
            self.runner.read(factory, lambda service: have_sync(ctx, service), on_error=self.fail)

        def have_sync(ctx: AppContext, service: SyncService) -> None:
            self.sync = service
            if ctx.ui_lang in i18n.LANGUAGES:
                self.lang = str(ctx.ui_lang)
            self.build_window()
            if on_ready is not None and self.window is not None:
                on_ready(self.window)

        load_context(self.runner, have_context, on_error=self.fail)

    def build_window(self) -> MainWindow:
        assert self.ctx is not None and self.sync is not None
        i18n.install(self.app, self.lang)
        old = self.window
        window = MainWindow(
            self.ctx, self.sync, account=self.account, profile_dir=self.profile, config=self.config
        )
        window.language_chosen.connect(self.switch_language)
        window.config_changed.connect(self._config_changed)
        if old is not None:
            window.setGeometry(old.geometry())
            old.close()
            old.deleteLater()
        self.window = window
        window.show()
        if not self.runner.synchronous:
            window.sync_status.start_timers()
            self._warm_ocr()
        if isinstance(self.sync, SyncEngine):
            # Signed in: a newly assigned lead syncs within seconds (the watcher waits out
            # being offline by itself); a profile that is not signed in starts nothing.
            live = LiveUpdates(self.ctx, self.sync, window.sync_status.sync_now, parent=window)
            window.attach_live(live)
            live.start()
        return window

    def _warm_ocr(self) -> None:
        """Load the OCR models on the OCR lane now, once, so the first card reads at once."""
        if self._ocr_warmed or self.config.ocr_engine == "tesseract":
            return
        self._ocr_warmed = True

        def warm(_progress: Any, _cancelled: Any) -> str:
            from app.ocr.engines import warm_up

            return warm_up(self.config.ocr_engine)

        self.runner.background("ocr", warm, on_error=lambda _exc: None)

    def _config_changed(self, config: Config) -> None:
        self.config = config  # a window rebuilt for another language keeps the new settings

    def switch_language(self, lang: str) -> None:
        """Remember the choice in the profile and rebuild the window in that language."""
        if lang == self.lang:
            return
        self.lang = lang
        self.runner.write(lambda s: ops.remember_language(s, lang))
        # Rebuild after the combo box that asked has finished its signal.
        QTimer.singleShot(0, self.build_window)

    def fail(self, exc: BaseException) -> None:
        """The store cannot be opened: say why (locked, read-only, damaged) and stop."""
        self.failure = exc
        msg = known_message(exc)
        if msg is None:
            self.runner.report_error(exc)
            return
        QMessageBox.critical(None, "FieldCRM", i18n.say(msg))
        if self.quit_on_failure:
            QCoreApplication.exit(2)

    def close(self) -> None:
        if self.window is not None:
            self.window.close()
        self.runner.close()


def run(
    profile: Path,
    lang: str,
    *,
    sync_factory: SyncFactory = offline_sync,
    account: AccountHooks | None = None,
    config: Config | None = None,
) -> int:
    """Show FieldCRM on ``profile`` until the user quits; return the exit code."""
    setup_logging(profile)
    app = qt_app()
    reporter = CrashReporter()
    install_crash_handler(reporter)
    i18n.install(app, lang)
    desktop = DesktopApp(profile, lang, sync_factory=sync_factory, account=account, config=config)
    desktop.start()
    if desktop.failure is not None and known_message(desktop.failure) is not None:
        desktop.close()  # refused before the loop ran (a store opened on this thread)
        return 2
    desktop.quit_on_failure = True
    try:
        code = app.exec()
    finally:
        desktop.close()
    return int(code)


def wait_until_ready(desktop: DesktopApp, timeout_ms: int = 20_000) -> MainWindow:
    """Start ``desktop`` and spin the event loop until its window exists (scripts, bench)."""
    loop = QEventLoop()
    desktop.start(lambda _w: loop.quit())
    if desktop.window is None and desktop.failure is None:
        QTimer.singleShot(timeout_ms, loop.quit)
        loop.exec()
    if desktop.window is None:
        raise RuntimeError(f"the window did not open: {desktop.failure!r}")
    return desktop.window


__all__ = [
    "DesktopApp",
    "SyncFactory",
    "desktop_account",
    "offline_sync",
    "qt_app",
    "run",
    "wait_until_ready",
]
