"""Typing into real widgets: Latin text as key presses, Chinese as an input method commits it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QWidget


def type_text(qtbot: Any, widget: QWidget, text: str) -> None:
    """Type ``text`` at the cursor: key clicks for ASCII runs, an input-method commit for the
    rest (QTest cannot press keys for hanzi, and real users type them through an IME)."""
    widget.setFocus()
    run = ""
    for ch in text:
        if ch.isascii() == (run[:1].isascii() if run else ch.isascii()):
            run += ch
            continue
        _send(qtbot, widget, run)
        run = ch
    _send(qtbot, widget, run)


def _send(qtbot: Any, widget: QWidget, run: str) -> None:
    if not run:
        return
    if run.isascii():
        qtbot.keyClicks(widget, run)
        return
    event = QInputMethodEvent()
    event.setCommitString(run)
    QCoreApplication.sendEvent(widget, event)
