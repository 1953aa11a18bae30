"""From Tesseract's words to text segments: runs of words on one line without a wide gap."""

from __future__ import annotations

import itertools
import re
import statistics
from dataclasses import dataclass

from app.domain.text import fold
from app.ocr.results import Box, Word

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def is_cjk(ch: str) -> bool:
    """True for a CJK ideograph."""
    return bool(_CJK.fullmatch(ch))


def tidy(text: str) -> str:
    """Fold and drop the spaces OCR puts next to hanzi ("扬帆路 368 号" → "扬帆路368号")."""
    t = fold(text)
    return re.sub(r"(?<=[\u3400-\u9fff]) +| +(?=[\u3400-\u9fff])", "", t)


def join_words(words: list[Word]) -> str:
    """Words joined with a space between Latin words and none beside hanzi."""
    out = ""
    for w in words:
        if out and not (is_cjk(out[-1]) or is_cjk(w.text[0])):
            out += " "
        out += w.text
    return out


@dataclass
class Segment:
    """A run of words on one text line, with its box, typical height and confidence."""

    words: list[Word]

    @property
    def text(self) -> str:
        return fold(join_words(self.words))

    @property
    def box(self) -> Box:
        box = self.words[0].box
        for w in self.words[1:]:
            box = box.union(w.box)
        return box

    @property
    def height(self) -> float:
        return float(statistics.median(w.box.height for w in self.words))

    @property
    def confidence(self) -> float:
        return float(statistics.fmean(w.confidence for w in self.words))

    @property
    def page(self) -> int:
        return self.words[0].page


def segments(words: list[Word], gap_factor: float = 2.2) -> list[Segment]:
    """Group words into lines (as Tesseract numbered them) and split lines at wide gaps.

    Two columns of a card often come back as one line; the gap between them is several
    character heights wide, much wider than any gap inside a field.
    """
    lines: dict[tuple[int, int, int, int], list[Word]] = {}
    for w in words:
        lines.setdefault((w.page, *w.line_key), []).append(w)
    out: list[Segment] = []
    for line in lines.values():
        line.sort(key=lambda w: w.box.left)
        current = [line[0]]
        for prev, w in itertools.pairwise(line):
            gap = w.box.left - prev.box.right
            # The taller of the two: a flat glyph (一, a dash) has a box a few pixels high,
            # and measured by it every ordinary gap looked wide ("第 | 一 | 条").
            h = max(prev.box.height, w.box.height)
            if gap > gap_factor * max(h, 8):
                out.append(Segment(current))
                current = []
            current.append(w)
        out.append(Segment(current))
    out.sort(key=lambda s: (s.page, s.box.top + s.box.height / 2, s.box.left))
    return out
