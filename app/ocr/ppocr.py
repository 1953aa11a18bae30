"""PP-OCR (PaddleOCR's text detector and recogniser) run through ONNX Runtime by RapidOCR.

The models ship inside the ``rapidocr-onnxruntime`` wheel (and the frozen bundle), so nothing is
downloaded at run time. Loading them takes about a second, so each process loads them once,
on first use, and keeps them: the desktop's OCR lane and every batch worker read all their
cards with one loaded model.

:func:`read_words` gives one :class:`~app.ocr.results.Word` per detected text box, each on a
line of its own (``line_key``), in the same form as Tesseract's words, so the field readers do
not depend on the engine.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from app.ocr.results import Box, Word

log = logging.getLogger(__name__)

# Images are scaled to at most this many pixels on their longer side before detection: a
# 300-dpi A4 page comes down to about 170 dpi, where body text is still well above the
# detector's smallest line. Cards are prepared smaller than this by the caller.
MAX_SIDE = 2000


@dataclass(frozen=True)
class LoadInfo:
    """How long the models took to load, and the process's resident memory growth (MiB)."""

    seconds: float
    memory_mib: float


class Unavailable(Exception):
    """ONNX Runtime or RapidOCR cannot be imported or cannot load the models."""


_lock = threading.Lock()
_call_lock = threading.Lock()
_engine: Any = None
_load_info: LoadInfo | None = None
_failure: str | None = None


def _rss_mib() -> float:
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            pages = int(f.read().split()[1])
        import os

        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, AttributeError):
        return 0.0


def _load(threads: int) -> Any:
    global _load_info, _failure
    if _failure is not None:
        raise Unavailable(_failure)
    before, t0 = _rss_mib(), time.perf_counter()
    try:
        from rapidocr_onnxruntime import RapidOCR
    except Exception as exc:  # ImportError, or a native library that fails to load
        _failure = f"{type(exc).__name__}: {exc}"
        raise Unavailable(_failure) from exc
    try:
        engine = RapidOCR(
            intra_op_num_threads=threads,
            inter_op_num_threads=1,
            det_limit_type="max",
            max_side_len=MAX_SIDE,
            # One line at a time: a batch pads every line to the widest one in it, and a
            # card's lines differ in width so much that batches cost more than they save.
            rec_batch_num=1,
        )
    except Exception as exc:  # a model file missing from a broken installation
        _failure = f"{type(exc).__name__}: {exc}"
        raise Unavailable(_failure) from exc
    if _load_info is None:
        _load_info = LoadInfo(time.perf_counter() - t0, max(0.0, _rss_mib() - before))
        log.info("PP-OCR models loaded in %.2f s", _load_info.seconds)
    return engine


def engine(threads: int = 1) -> Any:
    """The process's RapidOCR instance, loaded on the first call with ``threads`` ONNX
    Runtime threads (one per core on the desktop's OCR lane, one in each batch worker);
    later calls get the same instance whatever they ask.

    Raises:
        Unavailable: ONNX Runtime or the models cannot be loaded.
    """
    global _engine
    with _lock:
        if _engine is None:
            _engine = _load(threads)
        return _engine


def available(threads: int = 1) -> bool:
    """Whether PP-OCR can run in this process (loads the models on the first call)."""
    try:
        engine(threads)
    except Unavailable:
        return False
    return True


def failure() -> str | None:
    """Why PP-OCR could not be loaded, once it was tried and failed."""
    return _failure


def load_info() -> LoadInfo | None:
    """Load time and memory of the first model load in this process, if one happened."""
    return _load_info


def _box(quad: Any) -> Box:
    pts = np.asarray(quad, dtype=float)
    left, top = pts.min(axis=0)
    right, bottom = pts.max(axis=0)
    return Box(round(left), round(top), max(1, round(right - left)), max(1, round(bottom - top)))


def calibrated(score: float) -> float:
    """The recogniser's line score on the scale the field readers use.

    The score of a line read right is nearly always above 0.97 and one glyph wrong costs a
    few hundredths, so the scale is stretched: 0.95 becomes 0.8, the highlighting threshold.
    """
    return max(0.0, min(1.0, 1.0 - 4.0 * (1.0 - score)))


def read_words(
    image: Image.Image,
    *,
    page: int = 0,
    threads: int = 1,
    first_key: int = 0,
    upright: bool = False,
) -> list[Word]:
    """Text boxes of ``image`` as words, top to bottom: one word per box, its own line.

    Box coordinates are those of ``image``; ``confidence`` is the recogniser's score.
    ``upright``: every line is known to stand upright, so the line direction classifier is
    skipped; on a page it turns a long line upside down now and then (a dense line of
    uppercase numerals read as "十二二十"), and the whole line is lost.

    Raises:
        Unavailable: ONNX Runtime or the models cannot be loaded.
    """
    ocr = engine(threads)
    arr = np.asarray(image.convert("RGB"))[:, :, ::-1]  # RapidOCR takes OpenCV's BGR order
    with _call_lock:  # RapidOCR keeps per-call state on the instance
        result, _elapsed = ocr(np.ascontiguousarray(arr), use_cls=not upright)
    words: list[Word] = []
    for k, (quad, text, score) in enumerate(result or []):
        text = str(text).strip()
        if not text:
            continue
        key = first_key + k
        words.append(Word(text, _box(quad), calibrated(float(score)), page, (0, 0, key)))
    return words
