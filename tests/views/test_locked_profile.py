"""A profile whose key is gone: the desktop app says why and opens nothing (SPEC S8)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from app.store.crypto import forget_key
from app.store.errors import StoreLocked
from app.store.service import Store
from app.views.application import DesktopApp
from app.views.tasks import TaskRunner


def test_a_profile_without_its_key_gives_a_clear_message(qtbot: Any, tmp_path: Path) -> None:
    profile = tmp_path / "locked"
    Store(profile).close()
    forget_key(profile)
    shown: list[str] = []

    def answer_the_box() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            shown.append(box.text())
            box.button(QMessageBox.StandardButton.Ok).click()

    timer = QTimer()
    timer.timeout.connect(answer_the_box)
    timer.start(20)
    desktop = DesktopApp(profile, "en", runner=TaskRunner(lambda: Store(profile), synchronous=True))
    try:
        desktop.start()
        qtbot.waitUntil(lambda: desktop.failure is not None)
    finally:
        timer.stop()
        desktop.close()
    assert isinstance(desktop.failure, StoreLocked) and desktop.window is None
    # Before any window the message comes in the default language (Chinese).
    assert shown and "钥匙串中没有它的密钥" in shown[0] and "Traceback" not in shown[0]
