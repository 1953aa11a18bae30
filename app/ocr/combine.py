"""PP-OCR with Tesseract as a second reader of the Latin fields (e-mail, web, WeChat id).

Evaluated by ``bench/ocr.py --engines ppocr,combined``: Tesseract reads the lines PP-OCR took
these values from again, and the two readings vote. The value stays PP-OCR's (the better
reader of these lines too); the vote only sets its confidence: when both read the same value
it is sure, when they differ it is highlighted. It costs a Tesseract call a card.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.ocr.engine import LANGUAGES, check_engine
from app.ocr.imaging import ImageSource, open_image, prepare_card
from app.ocr.lines import read_boxes
from app.ocr.reader import PP_CARD_WIDTH, read_card
from app.ocr.results import Box, CardResult, FieldValue

LATIN_FIELDS = ("email", "website", "wechat")
# The size Tesseract reads the lines at: PP-OCR's prepared card has small type for Tesseract.
SCALE = 2.0
AGREED = 0.95
DISAGREED = 0.6


def read_card_combined(
    source: ImageSource, *, threads: int = 1, languages: Sequence[str] = LANGUAGES
) -> CardResult:
    """:func:`~app.ocr.reader.read_card` with PP-OCR, its Latin fields voted on with a
    Tesseract reading of the same lines. Without PP-OCR, Tesseract's result as it is."""
    result = read_card(source, engine="ppocr", threads=threads)
    if result.engine != "ppocr":
        return result
    targets = [k for k in LATIN_FIELDS if (fv := result.fields[k]) is not None and fv.box]
    if not targets:
        return result
    install = check_engine(languages=languages)
    gray = prepare_card(open_image(source), width=PP_CARD_WIDTH).image.convert("L")
    boxes = [b for k in targets if (b := _box(result.fields[k])) is not None]
    read = read_boxes(gray, boxes, install, "eng", SCALE)
    fields = dict(result.fields)
    for i, key in enumerate(targets):
        words = read.get(i, [])
        fv = result.fields[key]
        assert fv is not None
        # The label may come back as Latin garbage: the value is looked for in the reading.
        again = "".join(w.text for w in words).replace(" ", "").casefold()
        same = bool(again) and fv.value.casefold() in again
        conf = max(fv.confidence, AGREED) if same else min(fv.confidence, DISAGREED)
        fields[key] = FieldValue(fv.value, conf, fv.box, fv.page)
    result.fields = fields
    return result


def _box(fv: FieldValue | None) -> Box | None:
    return fv.box if fv is not None else None
