"""Sign-in and settings against a sign-in callable; failures keep what was typed."""

from __future__ import annotations

from typing import Any

from app.domain.messages import Msg
from app.views.account import AccountHooks, SettingsScreen, SignInDialog
from app.views.context import AppContext


class SessionRefused(Exception):
    def __init__(self, message: Msg) -> None:
        super().__init__(message.en)
        self.message = message


def test_sign_in_failure_keeps_input_then_succeeds(qtbot: Any, ctx: AppContext) -> None:
    calls: list[tuple[str, str, str]] = []

    def sign_in(url: str, user: str, password: str) -> None:
        calls.append((url, user, password))
        if password != "right":
            raise SessionRefused(Msg("用户名或密码错误", "Wrong user name or password"))

    dialog = SignInDialog(ctx, sign_in, url="https://crm.qinglu.cn", user="zhangwei")
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.focusWidget() in (dialog.password, None)
    dialog.password.setText("wrong")
    dialog.submit()
    assert "密码错误" in dialog.error.text()
    assert dialog.url.text() == "https://crm.qinglu.cn" and dialog.password.text() == "wrong"
    dialog.password.setText("right")
    with qtbot.waitSignal(dialog.signed_in):
        dialog.submit()
    assert calls[-1] == ("https://crm.qinglu.cn", "zhangwei", "right")


def test_settings_language_and_sign_out(qtbot: Any, ctx: AppContext) -> None:
    out: list[bool] = []
    screen = SettingsScreen(
        ctx, AccountHooks(sign_in=lambda *_: None, sign_out=lambda: out.append(True)), None, None
    )
    qtbot.addWidget(screen)
    screen.show()
    assert screen.sign_in_button.isVisible() and not screen.sign_out_button.isVisible()
    with qtbot.waitSignal(screen.language_chosen) as chosen:
        screen.language.setCurrentIndex(screen.language.findData("en"))
    assert chosen.args == ["en"]
    from app.sync.api import SyncState

    screen.show_state(SyncState(signed_in=True, user="zhangwei", server_url="https://x"))
    assert screen.sign_out_button.isVisible()
    with qtbot.waitSignal(screen.signed_in_or_out):
        screen.sign_out()
    assert out == [True]
