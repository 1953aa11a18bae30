"""A second look at the parts of a card Tesseract read badly, in one extra Tesseract call.

The commonest failure on cards is a big name beside a small title on one baseline: Tesseract
estimates one text size for the line and misreads the name (or drops the line). Low-confidence
lines and ink that no word covers are cut out, split where the type size changes, stacked one
piece per line on a blank canvas and read again; a piece's new words replace the old ones when
Tesseract is surer of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from app.ocr.engine import TesseractInstall, ocr_words
from app.ocr.layout import Segment, segments
from app.ocr.results import Box, Word

SUSPECT_CONF = 0.8
MAX_PIECES = 12
TARGET_HEIGHT = 40


@dataclass
class _Piece:
    box: Box  # in the prepared image
    source: Segment | None  # the segment it replaces, None for ink no word covered


def _ink(gray: np.ndarray) -> np.ndarray:
    return gray < 140


def _split_by_height(ink: np.ndarray, box: Box) -> list[Box]:
    """Cut a line box where the type size changes (a big name followed by a small title)."""
    sub = ink[box.top : box.bottom, box.left : box.right]
    if sub.size == 0:
        return []
    cols = np.nonzero(sub.any(axis=0))[0]
    if len(cols) == 0:
        return []
    rows_all = np.nonzero(sub.any(axis=1))[0]
    line_h = max(8, int(rows_all[-1] - rows_all[0] + 1))
    # Runs of inked columns, bridging the small gaps inside characters and words.
    runs: list[list[int]] = [[int(cols[0]), int(cols[0])]]
    for c in cols[1:]:
        if c - runs[-1][1] > max(4, 0.25 * line_h):
            runs.append([int(c), int(c)])
        else:
            runs[-1][1] = int(c)
    pieces: list[tuple[int, int, int, int]] = []  # left, right, top, bottom within sub
    for left, right in runs:
        rows = np.nonzero(sub[:, left : right + 1].any(axis=1))[0]
        top, bottom = int(rows[0]), int(rows[-1]) + 1
        if pieces:
            pl, pr, pt, pb = pieces[-1]
            h_prev, h_new = pb - pt, bottom - top
            ratio = max(h_prev, h_new) / max(1, min(h_prev, h_new))
            if ratio < 1.45 and left - pr < 1.5 * max(h_prev, h_new):
                pieces[-1] = (pl, right, min(pt, top), max(pb, bottom))
                continue
        pieces.append((left, right, top, bottom))
    return [
        Box(box.left + left, box.top + top, right - left + 1, bottom - top)
        for left, right, top, bottom in pieces
        if bottom - top >= 8 and right - left >= 8
    ]


def _uncovered(ink: np.ndarray, words: list[Word]) -> list[Box]:
    """Boxes of sizeable inked areas that no word covers (a dropped line)."""
    covered = np.zeros_like(ink)
    for w in words:
        b = w.box
        pad = max(3, b.height // 3)
        covered[max(0, b.top - pad) : b.bottom + pad, max(0, b.left - pad) : b.right + pad] = True
    rest = ink & ~covered
    h, w = rest.shape
    margin = int(0.02 * w)
    rest[:margin, :] = False
    rest[-margin:, :] = False
    rest[:, :margin] = False
    rest[:, -margin:] = False
    rows = rest.sum(axis=1) > 2
    boxes: list[Box] = []
    r = 0
    while r < h:
        if not rows[r]:
            r += 1
            continue
        start = r
        while r < h and rows[r]:
            r += 1
        band = rest[start:r]
        if r - start < 14:
            continue
        cols = np.nonzero(band.any(axis=0))[0]
        if len(cols) == 0:
            continue
        box = Box(int(cols[0]), start, int(cols[-1] - cols[0] + 1), r - start)
        fill = float(band[:, cols[0] : cols[-1] + 1].mean())
        # Text is sparse ink; a solid bar or a logo disc is not worth a second read.
        if box.width >= 20 and 0.03 < fill < 0.6 and box.height < 0.25 * h:
            boxes.append(box)
    return boxes


def suspects(words: list[Word], image: Image.Image) -> list[_Piece]:
    """Pieces worth reading again: doubtful lines, mixed type sizes, ink nobody read."""
    gray = np.asarray(image.convert("L"))
    ink = _ink(gray)
    out: list[_Piece] = []
    for seg in segments(words):
        heights = [w.box.height for w in seg.words]
        mixed = len(heights) > 1 and max(heights) > 1.6 * min(heights)
        weak = seg.confidence < SUSPECT_CONF or min(w.confidence for w in seg.words) < 0.5
        if not (mixed or weak):
            continue
        pad = max(4, seg.box.height // 4)
        box = Box(
            max(0, seg.box.left - pad),
            max(0, seg.box.top - pad),
            seg.box.width + 2 * pad,
            seg.box.height + 2 * pad,
        )
        out.extend(_Piece(b, seg) for b in _split_by_height(ink, box))
    for box in _uncovered(ink, words):
        out.extend(_Piece(b, None) for b in _split_by_height(ink, box))
    return out[:MAX_PIECES]


def reread(
    words: list[Word],
    image: Image.Image,
    install: TesseractInstall,
    psm: int = 6,
    lang: str = "chi_sim",
) -> list[Word]:
    """Words with the doubtful parts read again (one Tesseract call on a stacked image)."""
    pieces = suspects(words, image)
    if not pieces:
        return words
    gray = image.convert("L")
    pad = 16
    crops: list[tuple[tuple[int, int, int, int], float, Image.Image]] = []
    for p in pieces:
        m = max(6, p.box.height // 3)
        crop_box = (
            max(0, p.box.left - m),
            max(0, p.box.top - m),
            min(gray.width, p.box.right + m),
            min(gray.height, p.box.bottom + m),
        )
        # chi_sim misreads hanzi much taller than ~50 px, and with eng loaded it prefers
        # Latin garbage for short lines of big glyphs: every piece is scaled to one size.
        scale = min(2.0, max(0.25, TARGET_HEIGHT / max(1, p.box.height)))
        crop = gray.crop(crop_box)
        if abs(scale - 1) > 0.1:
            crop = crop.resize(
                (max(1, round(crop.width * scale)), max(1, round(crop.height * scale))),
                Image.Resampling.LANCZOS,
            )
        crops.append((crop_box, scale, crop))
    width = max(c.width for _, _, c in crops) + 2 * pad
    height = sum(c.height + pad for _, _, c in crops) + pad
    canvas = Image.new("L", (width, height), 255)
    spans: list[tuple[int, int, tuple[int, int, int, int], float]] = []
    y = pad
    for crop_box, scale, crop in crops:
        canvas.paste(crop, (pad, y))
        spans.append((y, y + crop.height, crop_box, scale))
        y += crop.height + pad
    new_words = ocr_words(canvas, psm=psm, install=install, lang=lang)
    by_piece: dict[int, list[Word]] = {}
    for w in new_words:
        cy = w.box.top + w.box.height / 2
        for i, (y0, y1, crop_box, scale) in enumerate(spans):
            if y0 <= cy < y1:
                box = Box(
                    round((w.box.left - pad) / scale) + crop_box[0],
                    round((w.box.top - y0) / scale) + crop_box[1],
                    round(w.box.width / scale),
                    round(w.box.height / scale),
                )
                by_piece.setdefault(i, []).append(
                    Word(w.text, box, w.confidence, w.page, (9000 + i, 0, 0))
                )
                break
    # Decide per source segment: replace all its words when the new reading is surer.
    result = list(words)
    groups: dict[int, list[int]] = {}
    for i, p in enumerate(pieces):
        groups.setdefault(id(p.source) if p.source else -1 - i, []).append(i)
    for key, idxs in groups.items():
        fresh = [w for i in idxs for w in by_piece.get(i, [])]
        if not fresh:
            continue
        new_conf = sum(w.confidence for w in fresh) / len(fresh)
        source = pieces[idxs[0]].source
        if source is None:
            if new_conf >= 0.6:
                result.extend(fresh)
            continue
        if new_conf > source.confidence + 0.02 or key is None:
            old = {id(w) for w in source.words}
            result = [w for w in result if id(w) not in old] + fresh
    return result
