"""Faster single cards: Tesseract runs started ahead, independent calls side by side, and a
cheaper card search. Every path must read exactly what the plain one reads."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from app.domain.messages import Msg
from app.ocr import read_card, read_contract
from app.ocr.engine import (
    OcrProcess,
    Prestarted,
    check_engine,
    default_threads,
    ocr_images,
    ocr_words,
    run_calls,
)
from app.ocr.errors import OcrError
from app.ocr.imaging import _dilate, _whiten_bars
from tools.evalset import available_fonts

from .conftest import needs_tesseract, truth


def test_calls_run_side_by_side_and_keep_their_order() -> None:
    meet = threading.Barrier(2, timeout=30)

    def call(k: int) -> int:
        meet.wait()  # breaks (and raises) unless both calls run at the same time
        return k * k

    assert run_calls([lambda: call(2), lambda: call(3)], threads=2) == [4, 9]
    assert run_calls([lambda: 1, lambda: 2, lambda: 3], threads=1) == [1, 2, 3]
    assert 1 <= default_threads() <= 4


def test_the_first_failure_of_a_call_is_raised() -> None:
    def bad() -> int:
        raise OcrError(Msg("坏了", "broken"))

    with pytest.raises(OcrError):
        run_calls([lambda: 1, bad], threads=2)


def _line_image(text: str) -> Image.Image:
    font = ImageFont.truetype(available_fonts()[0][0], 40, index=available_fonts()[0][1])
    img = Image.new("L", (900, 80), 255)
    ImageDraw.Draw(img).text((20, 15), text, font=font, fill=0)
    return img


@needs_tesseract
def test_a_run_started_ahead_reads_what_a_plain_call_reads() -> None:
    install = check_engine()
    img = _line_image("手机 138 0013 8000 wang.li@example.com")
    plain = ocr_words(img, psm=6, install=install, lang="chi_sim")
    with Prestarted(install) as pre:
        pre.start("chi_sim")
        pre.start("eng")
        ahead = pre.take("chi_sim").words(img)
        other = pre.take("chi_sim", psm=7)  # none started: a fresh run
        assert (other.lang, other.psm) == ("chi_sim", 7)
        other.close()
    assert [(w.text, w.box, w.line_key) for w in ahead] == [
        (w.text, w.box, w.line_key) for w in plain
    ]
    assert "138" in "".join(w.text for w in ahead)


@needs_tesseract
def test_several_images_read_in_one_run_as_each_alone() -> None:
    install = check_engine()
    texts = ["手机 138 0013 8000", "wang.li@example.com", "北京明德网络科技有限公司"]
    images = [_line_image(t) for t in texts]
    together = ocr_images(images, install, "chi_sim", psm=7)
    alone = [OcrProcess(install, "chi_sim", psm=7).words(img) for img in images]
    assert len(together) == 3
    assert [[(w.text, w.box) for w in ws] for ws in together] == [
        [(w.text, w.box) for w in ws] for ws in alone
    ]
    assert "8000" in "".join(w.text for w in together[0])
    assert "明德" in "".join(w.text for w in together[2])
    assert ocr_images([], install, "eng") == []
    with pytest.raises(OcrError):  # a model that does not load fails the run, clearly
        ocr_images(images[:2], install, "xx_nowhere")


@needs_tesseract
def test_a_run_reads_one_image_and_unused_runs_end() -> None:
    install = check_engine()
    proc = OcrProcess(install, "eng")
    proc.words(_line_image("Hello 2026"))
    with pytest.raises(RuntimeError):
        proc.words(_line_image("again"))
    pre = Prestarted(install)
    pre.start("eng")
    started = pre._ready[0]._proc
    assert started is not None
    pre.close()
    assert started.poll() is not None  # killed, not left waiting on stdin


@needs_tesseract
@pytest.mark.slow
def test_cards_read_the_same_with_one_thread_or_several(samples: Path) -> None:
    for name in ("card-clean-0000.png", "card-photo-0000.jpg"):
        one = read_card(samples / name, engine="tesseract", threads=1).values()
        two = read_card(samples / name, engine="tesseract", threads=2).values()
        assert one == two
    assert read_card(
        samples / "card-clean-0000.png", engine="tesseract", threads=2
    ).values() == truth(samples / "card-clean-0000.png")


@needs_tesseract
@pytest.mark.slow
def test_contracts_read_the_same_with_one_thread_or_several(samples: Path) -> None:
    page = samples / "contract-0000.png"
    assert read_contract(page, threads=1).values() == read_contract(page, threads=2).values()


def test_dilation_matches_a_square_max_filter() -> None:
    rng = np.random.default_rng(7)
    for shape in ((40, 64), (17, 5), (3, 90)):
        mask = rng.random(shape) > 0.93
        want = (
            np.asarray(
                Image.fromarray(mask.astype(np.uint8) * 255).filter(ImageFilter.MaxFilter(7))
            )
            > 0
        )
        assert (_dilate(mask, 3) == want).all()


def test_bars_are_whitened_and_bold_text_rows_kept() -> None:
    arr = np.full((60, 200), 255, dtype=np.uint8)
    arr[10:14, :] = 0  # a rule across the card
    arr[30:40, ::3] = 0  # dense but broken strokes: text, more than half ink
    arr[30:40, 1::3] = 0
    out = np.asarray(_whiten_bars(Image.fromarray(arr)))
    assert (out[10:14] == 255).all()
    assert (out[30:40] == arr[30:40]).all()
