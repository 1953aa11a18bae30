"""PP-OCR (ONNX Runtime) as the card and contract reader: every layout of the varied card
generator, the repairs by field grammar, confidence, engine choice and the fallback to
Tesseract where ONNX Runtime cannot be imported.

Cards come from :mod:`tools.cardgen` with its tuning seed only; the evaluation seed is left to
``bench/ocr.py``. The model is loaded once for the module and stays warm across tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from app.ocr import ppocr, read_card, read_contract
from app.ocr.cards import extract_card_fields
from app.ocr.results import Box, FieldValue, Word
from tests.ocr.conftest import SAMPLES, needs_tesseract, truth
from tools import cardgen
from tools.evalset import normalise_value

ROOT = Path(__file__).resolve().parents[2]
# What each layout is there to test, read exactly on its clean card.
LAYOUT_FIELDS = {
    "classic": ("name", "company", "mobile", "address"),
    "labels_after": ("mobile", "email", "address"),
    "no_labels": ("name", "company", "mobile", "email", "address"),
    "english": ("name", "company", "mobile", "address"),
    "bilingual": ("name", "company", "mobile", "address"),
    "vertical": ("name", "company", "mobile", "address"),
    "two_column": ("name", "mobile", "phone", "address"),
    "logo_split": ("name", "company", "mobile"),
    "wrapped": ("name", "company", "mobile", "phone", "address"),
    "back_english": ("name", "company", "mobile", "email", "address"),
}


@pytest.fixture(scope="module")
def cards(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One clean card of each layout (tuning seed), read by PP-OCR with a warm model."""
    assert cardgen.TUNE_SEED != cardgen.EVAL_SEED
    folder = tmp_path_factory.mktemp("cardgen")
    ppocr.engine(1)
    return {
        layout: cardgen.write_card(folder, cardgen.TUNE_SEED, layout, "clean", 0)
        for layout in cardgen.LAYOUTS
    }


def _same(field: str, got: FieldValue | None, want: str | None) -> bool:
    return normalise_value(field, got.value if got else None) == normalise_value(field, want)


@pytest.mark.parametrize("layout", cardgen.LAYOUTS)
def test_every_layout_is_read(cards: dict[str, Path], layout: str) -> None:
    path = cards[layout]
    want = truth(path)
    result = read_card(path, engine="ppocr", threads=1)
    assert result.engine == "ppocr" and result.notice is None
    wrong = {k: (result.fields[k], want[k]) for k in LAYOUT_FIELDS[layout]}
    wrong = {k: v for k, v in wrong.items() if not _same(k, *v)}
    assert not wrong, f"{layout}: {wrong}\n{result.text}"
    right = sum(_same(k, result.fields[k], want[k]) for k in want)
    assert right >= len(want) - 1, result.text


def test_a_photo_and_a_webcam_shot_are_read(tmp_path: Path) -> None:
    for condition in ("photo", "webcam"):
        path = cardgen.write_card(tmp_path, cardgen.TUNE_SEED, "classic", condition, 1)
        want = truth(path)
        got = read_card(path, engine="ppocr", threads=1)
        assert _same("mobile", got.fields["mobile"], want["mobile"]), got.text
        assert _same("company", got.fields["company"], want["company"]), got.text


def _line_image(lines: list[str], path: Path) -> Path:
    """A plain white card with ``lines`` in black hei type, saved as PNG."""
    font = ImageFont.truetype(
        cardgen.FAMILIES["hei"][0][0], 34, index=cardgen.FAMILIES["hei"][0][1]
    )
    img = Image.new("RGB", (1060, 90 + 62 * len(lines)), "white")
    draw = ImageDraw.Draw(img)
    for k, line in enumerate(lines):
        draw.text((60, 50 + 62 * k), line, fill="black", font=font)
    img.save(path)
    return path


def test_repairs_on_a_real_image(tmp_path: Path) -> None:
    """The bar after a label, +86 glued to the figures, a label after its value and two
    phones on one line, read from a rendered image by the real recogniser."""
    path = _line_image(
        [
            "杭州青禾数据科技有限公司",
            "手机|(+86)13912345678电话|(0571)88776655",
            "info33@qinghe.com.cn 邮箱",
            "Qinghe_lily 微信",
        ],
        tmp_path / "repairs.png",
    )
    got = read_card(path, engine="ppocr", threads=1).values()
    assert got["mobile"] == "13912345678"
    assert got["phone"] == "0571-88776655"
    assert got["email"] == "info33@qinghe.com.cn"
    assert got["wechat"] == "Qinghe_lily"
    assert got["company"] == "杭州青禾数据科技有限公司"


def _words(*lines: str) -> list[Word]:
    return [
        Word(text, Box(40, 40 + 50 * k, 20 * len(text), 36), 0.99, 0, (0, 0, k))
        for k, text in enumerate(lines)
    ]


def test_character_class_repairs_by_field_grammar() -> None:
    fields = extract_card_fields(
        _words(
            "邮箱:1i1y.qin@boyuan.com.cn",
            "微信:renjiaya074",
            "Emai1:x",
            "网址 Webwww.1etutech.com.cn",
            "Te1:+862223654630",
        )
    )
    assert fields["email"] is not None and fields["email"].value == "lily.qin@boyuan.com.cn"
    # Ids end in two or four figures: the 0 that leaves three is the o of "jiayao".
    assert fields["wechat"] is not None and fields["wechat"].value == "renjiayao74"
    assert fields["website"] is not None and fields["website"].value == "www.letutech.com.cn"
    assert fields["phone"] is not None and fields["phone"].value == "022-23654630"
    mail = extract_card_fields(_words("邮箱:hxiao197ofoxmai1.com"))["email"]
    assert mail is not None and mail.value == "hxiao197@foxmail.com"
    words = extract_card_fields(_words("E:info126@zhixing.cn"))["email"]
    assert words is not None and words.value == "info126@zhixing.cn"  # "info" is a word


def test_doubtful_values_are_highlighted_and_sure_ones_are_not() -> None:
    sure = extract_card_fields(
        _words("森垚化工有限公司", "邮箱:info@senyao.com", "网址:www.senyao.com")
    )
    assert sure["company"] is not None and sure["company"].confidence >= 0.8
    assert sure["email"] is not None and sure["email"].confidence >= 0.8
    # A glyph dropped from the name: the domain does not spell what is left.
    dropped = extract_card_fields(_words("森化工有限公司", "网址:www.senyao.com"))
    assert dropped["company"] is not None and dropped["company"].confidence < 0.8
    # Domains that disagree, and an id where letters meet figures at an o/0.
    apart = extract_card_fields(_words("邮箱:li@senyao.com", "网址:www.qinghe.cn", "微信:chenxo12"))
    assert apart["email"] is not None and apart["email"].confidence < 0.8
    assert apart["website"] is not None and apart["website"].confidence < 0.8
    assert apart["wechat"] is not None and apart["wechat"].confidence < 0.8


def test_model_is_loaded_once_and_measured() -> None:
    assert ppocr.engine(1) is ppocr.engine(1)
    info = ppocr.load_info()
    assert info is not None and info.seconds > 0 and info.memory_mib > 0


def test_contract_with_ppocr() -> None:
    path = SAMPLES / "contract-0000.png"
    result = read_contract(path, engine="ppocr", threads=1)
    assert result.engine == "ppocr"
    assert result.values() == truth(path)


@needs_tesseract
def test_tesseract_is_chosen_by_the_setting(samples: Path) -> None:
    result = read_card(samples / "card-clean-0000.png", engine="tesseract")
    assert result.engine == "tesseract" and result.notice is None
    assert result.values()["mobile"] == truth(samples / "card-clean-0000.png")["mobile"]


_BLOCKED = """
import json, sys
sys.modules["onnxruntime"] = None  # import onnxruntime now raises ImportError
from app.ocr import read_card
first = read_card(sys.argv[1])
second = read_card(sys.argv[1])
print(json.dumps({
    "engines": [first.engine, second.engine],
    "notices": [n.en if n else None for n in (first.notice, second.notice)],
    "mobile": first.values()["mobile"],
}))
"""


@needs_tesseract
@pytest.mark.slow
def test_without_onnxruntime_tesseract_reads_and_says_so_once(samples: Path) -> None:
    card = samples / "card-clean-0000.png"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", _BLOCKED, str(card)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["engines"] == ["tesseract", "tesseract"]
    first, second = out["notices"]
    assert first is not None and "Tesseract reads instead" in first and "onnxruntime" in first
    assert second is None  # said once
    assert out["mobile"] == truth(card)["mobile"]
    assert proc.stderr.count("PP-OCR is not available") <= 1
