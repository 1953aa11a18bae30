"""Sign-in and settings (SPEC S6, I2): server URL (prefilled when IT preset it), user, password,
sign out, language.

The UI does not know how signing in works. It calls the ``sign_in(url, user, password)`` it is
given, on the network lane; the sync engine stores the refresh token in the OS keyring. An error
carrying a :class:`Msg` (``.message`` or ``.msg``) is shown under the form and the typed values
stay; the password field is cleared only after a success.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
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
    QVBoxLayout,
    QWidget,
)

from app.sync.api import SyncState
from app.views.context import AppContext
from app.views.errors import known_message
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
    """Account (sign in / out), language, and where this profile keeps its files."""

    language_chosen = Signal(str)
    signed_in_or_out = Signal()

    def __init__(
        self,
        ctx: AppContext,
        account: AccountHooks,
        profile_dir: Path | None,
        log_path: Path | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.account = account
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

        layout = QVBoxLayout(self)
        layout.addWidget(heading(self.tr("Settings")))
        layout.addWidget(box)
        layout.addWidget(lang_box)
        layout.addWidget(data_box)
        layout.addStretch(1)
        self.show_state(None)

    def show_state(self, state: SyncState | None) -> None:
        self.state = state
        signed_in = bool(state and state.signed_in)
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
            url=(state.server_url if state else None) or self.account.preset_url,
            user=(state.user if state else None) or self.account.preset_user,
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
