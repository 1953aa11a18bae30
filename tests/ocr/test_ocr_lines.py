"""Line finding from the ink (no Tesseract) and reading lines one size at a time (Tesseract)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from app.ocr.engine import check_engine
from app.ocr.layout import segments
from app.ocr.lines import find_lines, read_lines
from app.ocr.results import Box
from tools.evalset import available_fonts, write_card

from .conftest import needs_tesseract, truth

FONTS = available_fonts()
pytestmark = pytest.mark.skipif(not FONTS, reason="no CJK font installed")


def _font(px: int) -> ImageFont.FreeTypeFont:
    path, index = FONTS[0]
    return ImageFont.truetype(path, px, index=index)


def _card() -> tuple[Image.Image, dict[str, Box]]:
    """A card-sized page with a bar, a logo ring, a big name beside a small title, contact
    lines and a line whose hanzi have parts one above the other."""
    img = Image.new("L", (1400, 850), 255)
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, 1400, 30), fill=60)  # colour bar across the top
    d.ellipse((1180, 60, 1320, 200), outline=40, width=9)  # logo outline
    where: dict[str, Box] = {}

    def text(key: str, x: int, baseline: int, s: str, px: int) -> None:
        d.text((x, baseline), s, font=_font(px), fill=20, anchor="ls")
        left, top, right, bottom = d.textbbox((x, baseline), s, font=_font(px), anchor="ls")
        where[key] = Box(int(left), int(top), int(right - left), int(bottom - top))

    text("name", 100, 250, "王晓明", 100)
    text("title", 100 + 330, 250, "销售经理", 44)
    text("mobile", 100, 400, "手机：138 1234 5678", 42)
    text("email", 100, 470, "邮箱：wang@example.com", 42)
    text("stacked", 100, 560, "三星昌雪", 42)
    return img, where


def _line_at(lines: list[Box], box: Box) -> list[Box]:
    cy = box.top + box.height / 2
    return [
        b for b in lines if b.top <= cy <= b.bottom and b.left < box.right and box.left < b.right
    ]


def test_lines_follow_the_text_and_skip_bars_and_logos() -> None:
    img, where = _card()
    lines, cleaned = find_lines(img)
    boxes = [ln.box for ln in lines]
    # Every text line is found once; the name and the smaller title stay separate lines.
    for key in ("mobile", "email", "stacked"):
        assert len(_line_at(boxes, where[key])) == 1, key
    name, title = _line_at(boxes, where["name"]), _line_at(boxes, where["title"])
    assert name != title and len(name) == 1
    assert name[0].height > 1.8 * title[0].height
    # Hanzi made of parts one above the other are one line, not two.
    (stacked,) = _line_at(boxes, where["stacked"])
    assert stacked.width >= 0.9 * where["stacked"].width
    # The bar and the ring are not text, and the ring is blanked in the image to be read.
    assert all(b.top > 35 for b in boxes)
    assert not any(b.left > 1150 for b in boxes)
    assert int(np.asarray(cleaned.crop((1180, 60, 1320, 200))).min()) > 200


def test_no_lines_on_a_blank_page() -> None:
    lines, _ = find_lines(Image.new("L", (800, 500), 255))
    assert lines == []


@needs_tesseract
@pytest.mark.slow
def test_read_lines_gives_one_segment_per_line(tmp_path: Path) -> None:
    img, where = _card()
    words = read_lines(img.convert("RGB"), check_engine())
    segs = segments(words, gap_factor=6.0)
    texts = [s.text for s in segs]
    assert any("wang@example.com" in t for t in texts), texts  # the Latin part, read by eng
    assert any("13812345678" in t.replace(" ", "") for t in texts), texts
    name = next(s for s in segs if s.box.top < where["name"].bottom < s.box.bottom + 5)
    assert name.height > 1.8 * min(s.height for s in segs)
    # Words carry their line's ink height, so a line's words all share one height.
    for s in segs:
        assert len({w.box.height for w in s.words}) == 1
    del tmp_path


@needs_tesseract
@pytest.mark.slow
def test_generated_scan_card_fields(tmp_path: Path) -> None:
    from app.ocr import read_card

    path = write_card(tmp_path, 31, 1, "scan")
    got = read_card(path, engine="tesseract").values()
    want = truth(path)
    right = sum(got[k] == want[k] for k in want)
    assert right >= len(want) - 2, (got, want)


@needs_tesseract
@pytest.mark.slow
def test_a_line_the_block_reading_garbles_is_read_again_alone() -> None:
    """On this office scan the mobile line, figures without descenders scaled up beside
    smaller lines, comes back from the block reading as nonsense at confidence 0."""
    from app.ocr import read_card

    path = Path(__file__).parent / "data" / "card-scan-figures-line.jpg"
    got = read_card(path, engine="tesseract").values()
    assert got["mobile"] == truth(path)["mobile"] == "17266333635"
    assert got["email"] == truth(path)["email"]
