"""IT's settings in the window: presets, read-only locks, the user's own changes, problems."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from app import __version__
from app.config import Config, load_config
from app.store.service import Store
from app.sync.api import OfflineSync, SyncState
from app.sync.errors import SyncError
from app.views.account import AccountHooks, SettingsScreen
from app.views.application import desktop_account
from app.views.context import AppContext
from app.views.main_window import MainWindow

IT_FILE = """\
locked = ["server.url"]

[server]
url = "https://crm.example.cn"

[sync]
interval_minutes = 10
"""


@pytest.fixture
def config(tmp_path: Path) -> Config:
    it = tmp_path / "etc" / "fieldcrm.toml"
    it.parent.mkdir()
    it.write_text(IT_FILE, "utf-8")
    return load_config(it_files=[it], user_file=tmp_path / "user" / "settings.toml")


def make_window(
    qtbot: Any, ctx: AppContext, store: Store, config: Config, account: AccountHooks | None = None
) -> MainWindow:
    sync = OfflineSync(lambda: (store.journal.pending_count(), store.conflicts.count(), 0))
    window = MainWindow(ctx, sync, config=config, account=account)
    qtbot.addWidget(window)
    window.show()
    return window


def test_locked_settings_are_read_only_and_say_so(
    qtbot: Any, ctx: AppContext, store: Store, config: Config
) -> None:
    window = make_window(qtbot, ctx, store, config)
    settings = window.settings
    window.show_screen("settings")
    assert settings.server_url.text() == "https://crm.example.cn"
    assert not settings.server_url.isEnabled() and settings.server_url.isReadOnly()
    assert settings.lock_labels["server.url"].isVisible()
    assert settings.sync_minutes.isEnabled() and settings.sync_minutes.value() == 10
    assert not settings.lock_labels["sync.interval_minutes"].isVisible()
    assert window.sync_status.auto.interval() == 10 * 60_000
    assert settings.version.text() == f"FieldCRM {__version__}"


def test_saved_settings_go_to_the_user_file_and_apply_at_once(
    qtbot: Any, ctx: AppContext, store: Store, config: Config
) -> None:
    applied: list[Config] = []
    account = AccountHooks(apply_config=applied.append)
    window = make_window(qtbot, ctx, store, config, account)
    settings = window.settings
    settings.sync_minutes.setValue(12)
    settings.ocr_languages.setText("eng + chi_sim")
    with qtbot.waitSignal(window.config_changed) as changed:
        settings.save_settings_button.click()
    assert config.user_file is not None
    saved = tomllib.loads(config.user_file.read_text("utf-8"))
    # Only what the user changed; the server address stays IT's business.
    assert saved == {
        "sync": {"interval_minutes": 12},
        "ocr": {"languages": ["eng", "chi_sim"]},
    }
    new: Config = changed.args[0]
    assert new.sync_interval_minutes == 12 and new.server_url == "https://crm.example.cn"
    assert window.sync_status.auto.interval() == 12 * 60_000
    assert applied == [new]
    assert ctx.config is new  # what OCR and other screens read from now on
    assert settings.settings_note.text() == "Saved."


def test_clearing_a_field_returns_to_it_value(
    qtbot: Any, ctx: AppContext, store: Store, tmp_path: Path
) -> None:
    it = tmp_path / "fieldcrm.toml"
    it.write_text('[server]\nurl = "https://it.example.cn"\n', "utf-8")
    user = tmp_path / "settings.toml"
    user.write_text('[server]\nurl = "https://mine.example.cn"\n', "utf-8")
    config = load_config(it_files=[it], user_file=user)
    screen = SettingsScreen(ctx, AccountHooks(), None, None, config=config)
    qtbot.addWidget(screen)
    assert screen.server_url.text() == "https://mine.example.cn"
    screen.server_url.clear()
    with qtbot.waitSignal(screen.config_changed):
        screen.save_settings()
    assert "server" not in tomllib.loads(user.read_text("utf-8"))
    assert screen.server_url.text() == "https://it.example.cn"


@pytest.fixture
def plain_screen(qtbot: Any, ctx: AppContext, tmp_path: Path) -> SettingsScreen:
    """The settings screen with no IT file and no user settings yet."""
    config = load_config(it_files=[], user_file=tmp_path / "settings.toml")
    screen = SettingsScreen(ctx, AccountHooks(), None, None, config=config)
    qtbot.addWidget(screen)
    screen.show()
    return screen


def test_a_bad_value_is_refused_before_anything_is_written(
    plain_screen: SettingsScreen, tmp_path: Path
) -> None:
    screen = plain_screen
    screen.server_url.setText("crm.example.cn")
    screen.save_settings()
    assert "server.url" in screen.settings_error.text()
    assert "https://" in screen.settings_error.text()
    assert not (tmp_path / "settings.toml").exists()


def test_ocr_languages_tesseract_lacks_are_refused_with_the_package_to_install(
    qtbot: Any, plain_screen: SettingsScreen, tmp_path: Path
) -> None:
    screen = plain_screen
    screen.ocr_languages.setText("chi_sim+eng+xx_nowhere")
    screen.save_settings()
    qtbot.waitUntil(lambda: screen.save_settings_button.isEnabled())
    assert "xx_nowhere" in screen.settings_error.text()
    assert "tesseract-ocr-xx-nowhere" in screen.settings_error.text()
    assert not (tmp_path / "settings.toml").exists()


def test_problems_in_it_file_show_in_banner_and_settings(
    qtbot: Any, ctx: AppContext, store: Store, tmp_path: Path
) -> None:
    it = tmp_path / "fieldcrm.toml"
    it.write_text("[sync]\ninterval_minutes = 0\n", "utf-8")
    config = load_config(it_files=[it], user_file=tmp_path / "settings.toml")
    window = make_window(qtbot, ctx, store, config)
    assert window.problem.isVisible()
    for shown in (window.problem.text(), window.settings.config_problems.text()):
        assert str(it) in shown and "interval_minutes" in shown
    assert window.sync_status.auto.interval() == 5 * 60_000  # the safe default


def test_sign_in_dialog_keeps_a_locked_server_address(
    qtbot: Any, ctx: AppContext, config: Config, tmp_path: Path
) -> None:
    engine, account = desktop_account(tmp_path / "profile", config)
    screen = SettingsScreen(ctx, account, None, None, config=config)
    qtbot.addWidget(screen)
    dialog = screen.open_sign_in()
    qtbot.addWidget(dialog)
    assert dialog.url.text() == "https://crm.example.cn" and dialog.url.isReadOnly()
    assert account.sign_in is not None
    with pytest.raises(SyncError) as refused:
        account.sign_in("https://other.example.cn", "zhangwei", "secret")
    assert "https://crm.example.cn" in refused.value.message.en
    assert engine.server_url is None  # nothing was bound to the other server


def test_settings_name_the_ocr_languages_and_the_server_signed_in_to(
    qtbot: Any, plain_screen: SettingsScreen, tmp_path: Path
) -> None:
    screen = plain_screen
    assert screen.ocr_languages.text() == "简体中文 + English"  # not chi_sim+eng
    screen.show_state(
        SyncState(signed_in=True, user="zhangwei", server_url="https://crm.qinglu.cn")
    )
    assert screen.signed_in_server.text() == "https://crm.qinglu.cn"
    assert screen.server_url.placeholderText() == "https://crm.qinglu.cn"

    screen.ocr_languages.setText("English")  # a name is understood
    with qtbot.waitSignal(screen.config_changed):
        qtbot.mouseClick(screen.save_settings_button, Qt.MouseButton.LeftButton)
    saved = tomllib.loads((tmp_path / "settings.toml").read_text("utf-8"))
    assert saved["ocr"]["languages"] == ["eng"]
    assert screen.ocr_languages.text() == "English"
