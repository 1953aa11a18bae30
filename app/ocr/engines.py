"""Which recogniser reads: PP-OCR through ONNX Runtime first, Tesseract as the fallback.

The setting ``ocr.engine`` is ``auto`` (PP-OCR where it runs, else Tesseract), ``ppocr`` or
``tesseract``. Where PP-OCR was asked for (or left to ``auto``) but ONNX Runtime or its models
cannot be loaded, reading goes on with Tesseract: the log says so every time the process
first meets it, and :func:`take_notice` hands the user's message out once per process.
"""

from __future__ import annotations

import logging
import threading

from app.domain.messages import Msg
from app.ocr import ppocr

log = logging.getLogger(__name__)

ENGINES = ("auto", "ppocr", "tesseract")
PPOCR, TESSERACT = "ppocr", "tesseract"

_notice_lock = threading.Lock()
_notice: Msg | None = None
_notice_given = False


def fallback_message(reason: str) -> Msg:
    """What the user is told when PP-OCR cannot run and Tesseract reads instead."""
    return Msg(
        f"深度学习识别引擎(PP-OCR / ONNX Runtime)无法加载,已改用 Tesseract 识别,"
        f"准确率可能较低。原因:{reason}",
        "The deep-learning recogniser (PP-OCR / ONNX Runtime) could not be loaded, so "
        f"Tesseract reads instead and may be less accurate. Reason: {reason}",
    )


def choose(setting: str = "auto", threads: int = 1) -> str:
    """The engine that reads under ``setting``: :data:`PPOCR` or :data:`TESSERACT`.

    An unknown setting counts as ``auto``. Loads the PP-OCR models on the first call, with
    ``threads`` ONNX Runtime threads.
    """
    global _notice
    if setting == TESSERACT:
        return TESSERACT
    if ppocr.available(threads):
        return PPOCR
    reason = ppocr.failure() or "unknown"
    with _notice_lock:
        if _notice is None:
            _notice = fallback_message(reason)
            log.warning("PP-OCR is not available, Tesseract reads instead: %s", reason)
    return TESSERACT


def take_notice() -> Msg | None:
    """The fallback message the first time it is asked for after a fallback, else None."""
    global _notice_given
    with _notice_lock:
        if _notice is None or _notice_given:
            return None
        _notice_given = True
        return _notice


def warm_up(setting: str = "auto", threads: int | None = None) -> str:
    """Load the recogniser ``setting`` chooses now, so that the first card is read at once
    (the desktop calls this on its OCR lane at start); returns the engine chosen."""
    from app.ocr.engine import default_threads

    return choose(setting, default_threads() if threads is None else threads)
