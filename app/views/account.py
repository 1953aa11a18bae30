"""Sign-in and settings (SPEC S6, I2): server URL (prefilled when IT preset it), user, password,
sign out, language, the settings IT may preset or lock (server, CA bundle, sync interval, OCR
languages; :mod:`app.config`), and the version.

The UI does not know how signing in works. It calls the ``sign_in(url, user, password)`` it is
given, on the network lane; the sync engine stores the refresh token in the OS keyring. An error
carrying a :class:`Msg` (``.message`` or ``.msg``) is shown under the form and the typed values
stay; the password field is cleared only after a success.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app import __version__
from app.config import (
    MAX_INTERVAL_MIN,
    Config,
    InvalidSetting,
    check_value,
    save_user_settings,
    user_values,
)
from app.domain.messages import Msg
from app.paths import bundle_root
from app.sync.api import SyncState
from app.views.context import AppContext
from app.views.errors import join_messages, known_message
from app.views.i18n import current, say
from app.views.widgets import ErrorLabel, heading, when

SignIn = Callable[[str, str, str], None]
SignOut = Callable[[], None]


@dataclass
class AccountHooks:
    """What the sync engine provides for accounts; all optional until it exists."""

    sign_in: SignIn | None = None
    sign_out: SignOut | None = None
    preset_url: str | None = None  # from the IT config file (I2)
    preset_user: str | None = None
    url_locked: bool = False  # IT locked the server address: the field is read-only
    # Called with the new settings after the user saved them (CA bundle for the next sync).
    apply_config: Callable[[Config], None] | None = None


class SignInDialog(QDialog):
    """Server URL, user name, password; a failure says why and keeps what was typed."""

    signed_in = Signal(str, str)  # url, user

    def __init__(
        self,
        ctx: AppContext,
        sign_in: SignIn,
        *,
        url: str | None = None,
        user: str | None = None,
        url_locked: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.sign_in = sign_in
        self.setObjectName("signInDialog")
        self.setWindowTitle(self.tr("Sign in to FieldCRM"))
        self.setMinimumWidth(440)
        self.url = QLineEdit(url or "")
        self.url.setObjectName("serverUrl")
        self.url.setPlaceholderText("https://crm.example.com")
        if url_locked:
            self.url.setReadOnly(True)
            self.url.setToolTip(self.tr("Set by your IT department"))
        self.user = QLineEdit(user or "")
        self.user.setObjectName("userName")
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = ErrorLabel()
        self.error.setObjectName("signInError")
        form = QFormLayout()
        form.addRow(self.tr("Server"), self.url)
        form.addRow(self.tr("User name"), self.user)
        form.addRow(self.tr("Password"), self.password)
        note = QLabel(
            self.tr(
                "Your password is not stored. FieldCRM keeps a sign-in token in the system "
                "keyring; work done offline is never lost when the session expires."
            )
        )
        note.setWordWrap(True)
        note.setStyleSheet("color:#757575;")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(self.tr("Sign in"))
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading(self.tr("Sign in")))
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(note)
        layout.addWidget(self.buttons)
        # Focus goes to the first empty field: with a preset URL and user, the password.
        for field in (self.url, self.user, self.password):
            if not field.text():
                field.setFocus()
                break

    def submit(self) -> None:
        url, user, password = (
            self.url.text().strip(),
            self.user.text().strip(),
            self.password.text(),
        )
        if not url or not user or not password:
            self.error.show_message(self.tr("Fill in the server, your user name and password."))
            return
        self.ok.setEnabled(False)
        self.error.show_message(None)
        sign_in = self.sign_in
        self.ctx.runner.background(
            "network",
            lambda _p, _c: sign_in(url, user, password),
            lambda _r: self._done(url, user),
            on_error=self._failed,
            owner=self,
            label=self.tr("Signing in"),
        )

    def _done(self, url: str, user: str) -> None:
        self.password.clear()
        self.signed_in.emit(url, user)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.ok.setEnabled(True)
        msg = known_message(exc)
        if msg is None:
            self.ctx.runner.report_error(exc)
            return
        self.error.show_message(say(msg))


class SettingsScreen(QWidget):
    """Account (sign in / out), language, the settings IT may preset or lock, where this
    profile keeps its files, and the version."""

    language_chosen = Signal(str)
    signed_in_or_out = Signal()
    config_changed = Signal(object)  # Config, after the user saved settings

    def __init__(
        self,
        ctx: AppContext,
        account: AccountHooks,
        profile_dir: Path | None,
        log_path: Path | None,
        parent: QWidget | None = None,
        *,
        config: Config | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.account = account
        self.config = config or Config()
        self.setObjectName("settingsScreen")
        self.state: SyncState | None = None

        self.account_text = QLabel(self.tr("Not signed in."))
        self.account_text.setObjectName("accountText")
        self.account_text.setWordWrap(True)
        self.sign_in_button = QPushButton(self.tr("Sign in…"))
        self.sign_in_button.setObjectName("signInButton")
        self.sign_in_button.clicked.connect(self.open_sign_in)
        self.sign_out_button = QPushButton(self.tr("Sign out"))
        self.sign_out_button.setObjectName("signOutButton")
        self.sign_out_button.clicked.connect(self.sign_out)
        self.account_error = ErrorLabel()
        box = QGroupBox(self.tr("Account"))
        al = QVBoxLayout(box)
        al.addWidget(self.account_text)
        buttons = QHBoxLayout()
        buttons.addWidget(self.sign_in_button)
        buttons.addWidget(self.sign_out_button)
        buttons.addStretch(1)
        al.addLayout(buttons)
        al.addWidget(self.account_error)
        if account.sign_in is None:
            hint = QLabel(
                self.tr(
                    "This installation has no server connection configured yet; everything "
                    "you do is kept on this device."
                )
            )
            hint.setWordWrap(True)
            hint.setStyleSheet("color:#757575;")
            al.addWidget(hint)

        self.language = QComboBox()
        self.language.setObjectName("languageChoice")
        self.language.addItem("简体中文", "zh")
        self.language.addItem("English", "en")
        self.language.setCurrentIndex(max(0, self.language.findData(current())))
        self.language.currentIndexChanged.connect(
            lambda: self.language_chosen.emit(str(self.language.currentData()))
        )
        lang_box = QGroupBox(self.tr("Language"))
        ll = QFormLayout(lang_box)
        ll.addRow(self.tr("Display language"), self.language)

        data_box = QGroupBox(self.tr("This device"))
        dl = QFormLayout(data_box)
        for label, value in (
            (self.tr("Profile folder"), profile_dir),
            (self.tr("Log file"), log_path),
        ):
            text = QLabel(str(value) if value else "—")
            text.setWordWrap(True)
            dl.addRow(label, text)

        about_box = QGroupBox(self.tr("About FieldCRM"))
        about = QFormLayout(about_box)
        self.version = QLabel(f"FieldCRM {__version__}")
        self.version.setObjectName("versionLabel")
        about.addRow(self.tr("Version"), self.version)
        notices = bundle_root() / "THIRD_PARTY.md"
        about.addRow(
            self.tr("Bundled components"),
            QLabel(
                self.tr("Their licences are listed in %1").replace("%1", str(notices))
                if notices.exists()
                else "—"
            ),
        )

        layout = QVBoxLayout(self)
        layout.addWidget(heading(self.tr("Settings")))
        layout.addWidget(box)
        layout.addWidget(self._build_preset_box())
        layout.addWidget(lang_box)
        layout.addWidget(data_box)
        layout.addWidget(about_box)
        layout.addStretch(1)
        self.show_state(None)
        self.show_config(self.config)

    # ---- settings IT may preset (SPEC I2) --------------------------------------------------------
    def _build_preset_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Server and OCR"))
        form = QFormLayout(box)
        self.server_url = QLineEdit()
        self.server_url.setObjectName("settingServerUrl")
        self.server_url.setPlaceholderText("https://crm.example.com")
        self.ca_bundle = QLineEdit()
        self.ca_bundle.setObjectName("settingCaBundle")
        self.ca_bundle.setPlaceholderText(self.tr("The system's certificates"))
        self.sync_minutes = QSpinBox()
        self.sync_minutes.setObjectName("settingSyncMinutes")
        self.sync_minutes.setRange(1, MAX_INTERVAL_MIN)
        self.sync_minutes.setSuffix(" " + self.tr("min"))
        self.ocr_languages = QLineEdit()
        self.ocr_languages.setObjectName("settingOcrLanguages")
        self.ocr_languages.setPlaceholderText(language_names(("chi_sim", "eng")))
        self.ocr_languages.setToolTip(
            self.tr("Languages joined with +: %1, or Tesseract's codes (chi_sim, eng…)").replace(
                "%1", ", ".join(OCR_LANGUAGE_NAMES.values())
            )
        )
        self.ocr_engine = QComboBox()
        self.ocr_engine.setObjectName("settingOcrEngine")
        for code, text in (
            ("auto", self.tr("Automatic (PP-OCR, else Tesseract)")),
            ("ppocr", self.tr("PP-OCR (deep learning)")),
            ("tesseract", self.tr("Tesseract")),
        ):
            self.ocr_engine.addItem(text, code)
        self.signed_in_server = QLabel()
        self.signed_in_server.setObjectName("signedInServer")
        self.signed_in_server.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setting_widgets: dict[str, QLineEdit | QSpinBox | QComboBox] = {
            "server.url": self.server_url,
            "server.ca_bundle": self.ca_bundle,
            "sync.interval_minutes": self.sync_minutes,
            "ocr.languages": self.ocr_languages,
            "ocr.engine": self.ocr_engine,
        }
        self.lock_labels: dict[str, QLabel] = {}
        labels = {
            "server.url": self.tr("Server address"),
            "server.ca_bundle": self.tr("CA certificates (PEM file)"),
            "sync.interval_minutes": self.tr("Sync automatically every"),
            "ocr.languages": self.tr("OCR languages"),
            "ocr.engine": self.tr("OCR engine"),
        }
        form.addRow(self.tr("Signed in to"), self.signed_in_server)
        for key, widget in self.setting_widgets.items():
            lock = QLabel(self.tr("Set by your IT department"))
            lock.setObjectName("locked:" + key)
            lock.setStyleSheet("color:#757575;")
            row = QHBoxLayout()
            row.addWidget(widget, 1)
            row.addWidget(lock)
            self.lock_labels[key] = lock
            form.addRow(labels[key], row)
        self.save_settings_button = QPushButton(self.tr("Save settings"))
        self.save_settings_button.setObjectName("saveSettings")
        self.save_settings_button.clicked.connect(self.save_settings)
        self.settings_error = ErrorLabel()
        self.settings_error.setObjectName("settingsError")
        self.settings_note = QLabel()
        self.settings_note.setObjectName("settingsNote")
        self.settings_note.setWordWrap(True)
        self.config_problems = ErrorLabel()
        self.config_problems.setObjectName("configProblems")
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_settings_button)
        buttons.addWidget(self.settings_note, 1)
        form.addRow(buttons)
        form.addRow(self.settings_error)
        form.addRow(self.config_problems)
        return box

    def _shown(self, config: Config) -> dict[str, object]:
        """Each setting as its widget shows it."""
        return {
            "server.url": config.server_url or "",
            "server.ca_bundle": str(config.ca_bundle) if config.ca_bundle else "",
            "sync.interval_minutes": config.sync_interval_minutes,
            "ocr.languages": language_names(config.ocr_languages),
            "ocr.engine": config.ocr_engine,
        }

    def show_config(self, config: Config) -> None:
        """Fill the fields; what IT locked is read-only and says so."""
        self.config = config
        self.shown = self._shown(config)
        for key, widget in self.setting_widgets.items():
            value = self.shown[key]
            locked = config.is_locked(key)
            if isinstance(widget, QSpinBox):
                widget.setValue(int(str(value)))
                widget.setReadOnly(locked)
            elif isinstance(widget, QComboBox):
                widget.setCurrentIndex(max(0, widget.findData(value)))
            else:
                widget.setText(str(value))
                widget.setReadOnly(locked)
            widget.setEnabled(not locked)
            self.lock_labels[key].setVisible(locked)
            self.lock_labels[key].setToolTip(config.origins.get(key, ""))
        self.save_settings_button.setEnabled(len(config.locked) < len(self.setting_widgets))
        self.config_problems.show_message(
            join_messages([p.message() for p in config.problems]) if config.problems else None
        )

    def _typed(self, key: str) -> object:
        widget = self.setting_widgets[key]
        if isinstance(widget, QSpinBox):
            return widget.value()
        if isinstance(widget, QComboBox):
            return str(widget.currentData())
        return widget.text().strip()

    def save_settings(self) -> None:
        """Keep what the user changed in their own settings file; IT's locks stay untouched."""
        config = self.config
        values = user_values(config)
        for key in self.setting_widgets:
            typed = self._typed(key)
            if config.is_locked(key) or typed == self.shown[key]:
                continue  # unchanged: whichever layer set it still does
            if typed == "":
                values.pop(key, None)  # cleared: back to IT's value or the default
                continue
            raw: object = typed
            if key == "ocr.languages":
                raw = language_codes(str(typed))
            try:
                values[key] = check_value(key, raw)
            except InvalidSetting as exc:
                self.settings_error.show_message(
                    Msg(f"{key}:{exc.reason.zh}", f"{key}: {exc.reason.en}")
                )
                self.setting_widgets[key].setFocus()
                return
        self.settings_error.show_message(None)
        path = config.user_file
        if path is None:
            return
        self.save_settings_button.setEnabled(False)

        languages = values.get("ocr.languages")

        def save(_progress: Any, _cancelled: Any) -> Config:
            if languages is not None and tuple(languages) != config.ocr_languages:
                _check_ocr_languages(languages)
            save_user_settings(path, values)
            return config.reload()

        self.ctx.runner.background(
            "files", save, self._saved, on_error=self._save_failed, owner=self
        )

    def _saved(self, config: Config) -> None:
        self.show_config(config)
        self.settings_note.setText(self.tr("Saved."))
        self.config_changed.emit(config)

    def _save_failed(self, exc: BaseException) -> None:
        self.save_settings_button.setEnabled(True)
        msg = known_message(exc)
        if msg is None:
            self.ctx.runner.report_error(exc)
        else:
            self.settings_error.show_message(msg)

    def show_state(self, state: SyncState | None) -> None:
        self.state = state
        signed_in = bool(state and state.signed_in)
        server = state.server_url if state is not None and signed_in else None
        self.signed_in_server.setText(server or self.tr("Not signed in"))
        self.server_url.setPlaceholderText(server or "https://crm.example.com")
        if state is not None and signed_in:
            self.account_text.setText(
                self.tr("Signed in as %1 on %2. Last synced: %3.")
                .replace("%1", state.user or "")
                .replace("%2", state.server_url or "")
                .replace(
                    "%3",
                    when(state.last_synced.isoformat()) if state.last_synced else self.tr("never"),
                )
            )
        else:
            self.account_text.setText(
                self.tr("Not signed in. Your work is kept on this device until you sign in.")
            )
        self.sign_in_button.setEnabled(self.account.sign_in is not None)
        self.sign_in_button.setVisible(not signed_in)
        self.sign_out_button.setVisible(signed_in and self.account.sign_out is not None)

    def open_sign_in(self) -> Any:
        if self.account.sign_in is None:
            return None
        state = self.state
        dialog = SignInDialog(
            self.ctx,
            self.account.sign_in,
            url=(
                self.account.preset_url
                if self.account.url_locked
                else (state.server_url if state else None) or self.account.preset_url
            ),
            user=(state.user if state else None) or self.account.preset_user,
            url_locked=self.account.url_locked,
            parent=self,
        )
        dialog.signed_in.connect(lambda _u, _n: self.signed_in_or_out.emit())
        dialog.open()
        return dialog

    def sign_out(self) -> None:
        sign_out = self.account.sign_out
        if sign_out is None:
            return
        self.ctx.runner.background(
            "network",
            lambda _p, _c: sign_out(),
            lambda _r: self.signed_in_or_out.emit(),
            on_error=self._sign_out_failed,
            owner=self,
        )

    def _sign_out_failed(self, exc: BaseException) -> None:
        msg = known_message(exc)
        if msg is None:
            self.ctx.runner.report_error(exc)
        else:
            self.account_error.show_message(msg)


# Tesseract's language codes by the name each language has in itself (what people recognise).
OCR_LANGUAGE_NAMES = {
    "chi_sim": "简体中文",
    "chi_tra": "繁體中文",
    "eng": "English",
    "jpn": "日本語",
    "kor": "한국어",
}


def language_names(codes: Sequence[str]) -> str:
    """OCR languages as the Settings field shows them: "简体中文 + English"."""
    return " + ".join(OCR_LANGUAGE_NAMES.get(c, c) for c in codes)


def language_codes(text: str) -> list[str]:
    """What the user typed (names or codes, joined with + or ,) as Tesseract's codes."""
    by_name = {name.casefold(): code for code, name in OCR_LANGUAGE_NAMES.items()}
    parts = [p.strip() for p in text.replace(",", "+").replace("，", "+").split("+")]
    return [by_name.get(p.casefold(), p) for p in parts if p]


def _check_ocr_languages(languages: list[str]) -> None:
    """Refuse languages Tesseract lacks, naming the package; with no Tesseract at all the
    setting is still saved (the OCR screens say what to install)."""
    from app.ocr import EngineMissing, LanguageMissing, check_engine

    try:
        check_engine(languages=languages)
    except LanguageMissing:
        raise
    except EngineMissing:
        return
