"""Text lines found from the ink itself, read one normalised line at a time.

Tesseract estimates one text size per block and reads glyphs far from its favourite size
badly: the big name on a card came back as junk, or as a wrong but plausible hanzi. So the card
is cut into lines here (runs of ink joined across small gaps, then grouped by height and
baseline), every line is scaled to one height, and the lines are stacked on a blank canvas and
read in one Tesseract call. A second call reads the Latin parts again with ``eng`` alone: mixing
``eng`` into Chinese lines produced Latin junk, and ``chi_sim`` spells e-mails and ids worse.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
from PIL import Image, ImageFilter

from app.ocr.engine import (
    Prestarted,
    TesseractInstall,
    cjk_languages,
    ocr_images,
    ocr_words,
    run_calls,
)
from app.ocr.errors import Cancelled
from app.ocr.layout import is_cjk
from app.ocr.results import Box, CancelCheck, Word

LINE_HEIGHT = 40  # px a line box is scaled to before reading
LATIN_HEIGHT = 64  # Latin runs again, a little bigger: eng likes an x-height of 20-30 px
MAX_BIG = 4
BIG_FACTOR = 1.15
BIG_SIZES = (0.75, 1.1)
# More sizes for a short big line (a name) whose reading is in doubt: the fast model misreads
# a rare surname in big type (廖 as 雇, 崔 as 得) at most sizes but not at all of them.
SHORT_SIZES = (0.6, 0.9, 1.3, 1.6)
SHORT_ASPECT = 5.5  # width / height of a line of at most four hanzi
MAX_SKIPPED = 3  # lines read again one by one (a Tesseract call each)
# A line the stack read with less confidence than this is read alone as well. In one block,
# Tesseract expects one size of type: a line of figures without descenders is scaled up more
# than its neighbours and came back as nonsense at low confidence ("MSORE2A003953635" for
# "M: +86 172 6633 3635"), while alone it read right.
GARBLED_CONF = 0.5
GARBLED_MARGIN = 0.2  # how much surer the reading alone must be to replace the block's
FIGURES_MARGIN = 0.15  # how much surer eng must be to replace chi_sim's figures
LATIN_LANG = "eng"

_PAD = 24
STACK_PSM = 6  # one uniform block: psm 4 and 11 read the stacked lines worse


@dataclass
class Line:
    """A line of text found in the ink: its box and the boxes of its pieces."""

    box: Box
    parts: list[Box]

    @property
    def height(self) -> int:
        return self.box.height


def _threshold(gray: np.ndarray) -> int:
    """Otsu's threshold, kept in a sane range for light paper with dark or coloured print."""
    hist = np.bincount(gray.ravel(), minlength=256).astype(np.float64)
    p = hist / max(1.0, hist.sum())
    omega = np.cumsum(p)
    mu = np.cumsum(p * np.arange(256))
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma = (mu[-1] * omega - mu) ** 2 / (omega * (1 - omega))
    t = int(np.argmax(np.nan_to_num(sigma)))
    return max(100, min(190, t))


@dataclass
class _Blobs:
    """Connected blobs of ink as row runs: run ``i`` covers ``[start, end)`` of ``row``."""

    rows: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    labels: np.ndarray  # blob index of each run
    boxes: list[Box]
    counts: list[int]  # inked pixels per blob

    def erase(self, blob: int, ink: np.ndarray, gray: np.ndarray) -> None:
        """Clear one blob from ``ink`` and paint it white in ``gray``, with its soft edge."""
        sel = self.labels == blob
        for r, s, e in zip(
            self.rows[sel].tolist(), self.starts[sel].tolist(), self.ends[sel].tolist(), strict=True
        ):
            ink[r, s:e] = False
            gray[max(0, r - 2) : r + 3, max(0, s - 2) : e + 2] = 255


def _components(ink: np.ndarray, gap: int) -> _Blobs:
    """Connected blobs of ``ink`` after bridging row gaps shorter than ``gap`` pixels."""
    h, w = ink.shape
    padded = np.zeros((h, w + 2), dtype=np.int8)
    padded[:, 1:-1] = ink
    d = np.diff(padded, axis=1)
    sr, sc = np.nonzero(d == 1)
    _, ec = np.nonzero(d == -1)  # exclusive ends, in the same order as the starts
    if len(sr) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return _Blobs(empty, empty, empty, empty, [], [])
    # Bridge short gaps between consecutive runs of one row.
    keep = np.ones(len(sr), dtype=bool)
    keep[1:] = ~((sr[1:] == sr[:-1]) & (sc[1:] - ec[:-1] < gap))
    group = np.cumsum(keep) - 1
    n = int(group[-1]) + 1
    rows = np.zeros(n, dtype=np.int64)
    starts = np.full(n, w, dtype=np.int64)
    ends = np.zeros(n, dtype=np.int64)
    counts = np.zeros(n, dtype=np.int64)
    rows[group] = sr
    np.minimum.at(starts, group, sc)
    np.maximum.at(ends, group, ec)
    np.add.at(counts, group, ec - sc)
    # Union-find over runs that touch (8-connected) in neighbouring rows.
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    row_first = np.searchsorted(rows, np.arange(h + 1)).tolist()
    rs, re_ = starts.tolist(), ends.tolist()
    for r in range(h - 1):
        i, a1 = row_first[r], row_first[r + 1]
        j, b1 = a1, row_first[r + 2]
        while i < a1 and j < b1:
            if rs[i] <= re_[j] and rs[j] <= re_[i]:
                pi, pj = find(i), find(j)
                if pi != pj:
                    parent[pj] = pi
            if re_[i] < re_[j]:
                i += 1
            else:
                j += 1
    roots = np.array([find(i) for i in range(n)], dtype=np.int64)
    _, labels = np.unique(roots, return_inverse=True)
    k = int(labels.max()) + 1
    x0 = np.full(k, w, dtype=np.int64)
    y0 = np.full(k, h, dtype=np.int64)
    x1 = np.zeros(k, dtype=np.int64)
    y1 = np.zeros(k, dtype=np.int64)
    c = np.zeros(k, dtype=np.int64)
    np.minimum.at(x0, labels, starts)
    np.minimum.at(y0, labels, rows)
    np.maximum.at(x1, labels, ends)
    np.maximum.at(y1, labels, rows + 1)
    np.add.at(c, labels, counts)
    boxes = [
        Box(int(a), int(b), int(cc - a), int(d_ - b))
        for a, b, cc, d_ in zip(x0, y0, x1, y1, strict=True)
    ]
    return _Blobs(rows, starts, ends, labels, boxes, c.tolist())


def _ring(ink: np.ndarray, box: Box, count: int) -> np.ndarray | None:
    """The pixels of a logo outline (a circle, maybe with text touching it) in ``box``, or
    None when the blob is not one."""
    if box.height < 60 or not 0.7 < box.width / box.height < 2.5:
        return None
    if count > 0.35 * box.height * box.height:
        return None
    sub = ink[box.top : box.bottom, box.left : box.right]
    top_cols = np.nonzero(sub[: max(2, box.height // 30)].any(axis=0))[0]
    if len(top_cols) == 0:
        return None
    r = box.height / 2
    cx, cy = float(top_cols.mean()), box.height / 2
    ys, xs = np.nonzero(sub)
    dist = np.hypot(xs - cx, ys - cy)
    col = sub[:, int(cx)] if 0 <= int(cx) < sub.shape[1] else sub[:, 0]
    rows = np.nonzero(col)[0]
    thick = 1
    while thick < len(rows) and rows[thick] == rows[0] + thick:
        thick += 1
    on = (dist >= r - thick - 2) & (dist <= r + 1)
    annulus = np.pi * ((r + 1) ** 2 - max(0.0, r - thick - 2) ** 2)
    if on.sum() < 0.5 * len(xs) or on.sum() < 0.5 * annulus or thick > 0.25 * r:
        return None
    mask = np.zeros_like(sub)
    mask[ys[on], xs[on]] = True
    return mask


def _overlap(a: Box, b: Box) -> int:
    return min(a.bottom, b.bottom) - max(a.top, b.top)


def _merge_stacked(blobs: list[Box]) -> list[Box]:
    """Join the separate upper and lower parts of one glyph (三, 吕, the two halves of 雪)."""
    blobs = sorted(blobs, key=lambda b: b.top)
    merged = True
    while merged:
        merged = False
        for i, a in enumerate(blobs):
            for j in range(i + 1, len(blobs)):
                b = blobs[j]
                if b.top - a.bottom > 0.3 * max(a.height, b.height):
                    continue
                overlap = min(a.right, b.right) - max(a.left, b.left)
                union = a.union(b)
                if (
                    overlap > 0.7 * min(a.width, b.width)
                    and max(a.width, b.width) < 1.5 * min(a.width, b.width)
                    and b.top - a.bottom <= 0.25 * min(a.height, b.height)
                    and union.width < 1.3 * union.height
                ):
                    blobs[i] = union
                    del blobs[j]
                    merged = True
                    break
            if merged:
                break
    return blobs


def _group(blobs: list[Box], width: int) -> list[list[Box]]:
    """Blobs on one baseline with a similar size and a small gap form a line; a smaller blob
    inside a taller line's band and close to it is a piece of a glyph of that line."""
    lines: list[list[Box]] = []
    boxes: list[Box] = []
    for b in sorted(blobs, key=lambda b: b.left):
        best: int | None = None
        for i, parts in enumerate(lines):
            box = boxes[i]
            right = max(p.right for p in parts)
            hi, lo = max(box.height, b.height), min(box.height, b.height)
            gap = b.left - right
            # Words of one size continue a line across a gap of a few spaces; a smaller word
            # (x-height letters after capitals or hanzi) only across a narrow one, so that a
            # title set beside a big name stays a line of its own.
            small_type = hi < width / 25
            reach = 1.5 * hi if hi < 1.35 * lo or small_type else min(0.8 * hi, width / 36)
            similar = hi < 2.2 * lo and _overlap(box, b) > 0.5 * lo and -0.3 * hi < gap < reach
            inside = (
                b.top >= box.top - 0.15 * box.height
                and b.bottom <= box.bottom + 0.15 * box.height
                and b.left > box.left - 0.3 * box.height
                and gap < 0.35 * box.height
            )
            if similar or inside:
                best = i
                break
        if best is None:
            lines.append([b])
            boxes.append(b)
        else:
            lines[best].append(b)
            boxes[best] = boxes[best].union(b)
    return lines


def find_lines(image: Image.Image) -> tuple[list[Line], Image.Image]:
    """Text lines of a prepared card, top to bottom, and the grey image with logo outlines,
    bars and rules blanked out (what the lines should be read from)."""
    gray = np.array(image.convert("L"))
    ink = gray < _threshold(gray)
    h, w = ink.shape
    raw = _components(ink, gap=1)
    for i, (box, count) in enumerate(zip(raw.boxes, raw.counts, strict=True)):
        fill = count / max(1, box.width * box.height)
        if (
            box.height > 0.3 * h
            or box.width > 0.97 * w
            # A rule or a colour bar; strokes of hanzi are far shorter.
            or (box.width > 0.15 * w and (box.height <= 4 or fill > 0.75))
        ):
            raw.erase(i, ink, gray)
            continue
        ring = _ring(ink, box, count)
        if ring is not None:
            # Blank the outline and its soft edge; text that touched it stays.
            grown = (
                np.asarray(
                    Image.fromarray(ring.astype(np.uint8) * 255).filter(ImageFilter.MaxFilter(3))
                )
                > 0
            )
            region = (slice(box.top, box.bottom), slice(box.left, box.right))
            ink[region][grown] = False
            gray[region][grown] = 255
    blobs_all = _components(ink, gap=max(8, w // 56))
    blobs = [b for b in blobs_all.boxes if b.height <= 0.3 * h and b.width <= 0.97 * w]
    big = _merge_stacked([b for b in blobs if b.height >= 12])
    # Specks (dots of i and j, colons, noise) join the blob they sit on or next to.
    for s in (b for b in blobs if b.height < 12):
        best: tuple[float, int] | None = None
        for i, b in enumerate(big):
            reach = 0.5 * b.height
            if s.right < b.left - reach or s.left > b.right + reach:
                continue
            vgap = max(b.top - s.bottom, s.top - b.bottom)
            if vgap > 0.25 * b.height:
                continue
            score = max(0, vgap) + max(0, b.left - s.right, s.left - b.right)
            if best is None or score < best[0]:
                best = (score, i)
        if best is not None:
            big[best[1]] = big[best[1]].union(s)
    out: list[Line] = []
    for parts in _group(big, w):
        box = parts[0]
        for p in parts[1:]:
            box = box.union(p)
        if box.height < 10 or (box.width < 10 and box.height < 20):
            continue
        out.append(Line(box, parts))
    out.sort(key=lambda ln: (ln.box.top, ln.box.left))
    return out, Image.fromarray(gray)


@dataclass
class _Crop:
    """A piece of a line cut out and scaled, and the part of the prepared image it covers."""

    image: Image.Image
    origin: tuple[int, int]  # prepared-image point at the crop's top-left corner
    scale: float
    bounds: Box  # the text it holds, in prepared-image pixels
    key: int


def _crop(gray: Image.Image, box: Box, others: list[Box], scale: float, key: int) -> _Crop:
    margin = max(4, box.height // 5)
    x0, y0 = max(0, box.left - margin), max(0, box.top - margin)
    x1, y1 = min(gray.width, box.right + margin), min(gray.height, box.bottom + margin)
    crop = gray.crop((x0, y0, x1, y1))
    # Ink of neighbouring lines that reaches into the margin is blanked out.
    arr: np.ndarray | None = None
    for o in others:
        ox0, oy0 = max(o.left, x0), max(o.top, y0)
        ox1, oy1 = min(o.right, x1), min(o.bottom, y1)
        if ox0 < ox1 and oy0 < oy1:
            if arr is None:
                arr = np.array(crop)
            own = arr[box.top - y0 : box.bottom - y0, box.left - x0 : box.right - x0].copy()
            arr[oy0 - y0 : oy1 - y0, ox0 - x0 : ox1 - x0] = 255
            arr[box.top - y0 : box.bottom - y0, box.left - x0 : box.right - x0] = own
    if arr is not None:
        crop = Image.fromarray(arr)
    if abs(scale - 1) > 0.05:
        crop = crop.resize(
            (max(1, round(crop.width * scale)), max(1, round(crop.height * scale))),
            Image.Resampling.LANCZOS,
        )
    return _Crop(crop, (x0, y0), scale, box, key)


def _canvas(crops: list[_Crop]) -> tuple[Image.Image, list[tuple[int, int, _Crop]]]:
    """The crops pasted one per row on white, with the rows each occupies."""
    width = max(c.image.width for c in crops) + 2 * _PAD
    height = sum(c.image.height + _PAD for c in crops) + _PAD
    canvas = Image.new("L", (width, height), 255)
    spans: list[tuple[int, int, _Crop]] = []
    y = _PAD
    for c in crops:
        canvas.paste(c.image, (_PAD, y))
        spans.append((y, y + c.image.height, c))
        y += c.image.height + _PAD
    return canvas, spans


def _place(
    read: list[Word], spans: list[tuple[int, int, _Crop]], page: int, out: dict[int, list[Word]]
) -> None:
    """Put the words read on a canvas into ``out`` by crop key, in prepared-image pixels.

    A word's box takes its line's top and bottom from the ink: Tesseract's own boxes for
    hanzi are loose, and the field logic compares line heights and gaps.
    """
    for wd in read:
        cy = wd.box.top + wd.box.height / 2
        for y0, y1, c in spans:
            if y0 - _PAD / 2 <= cy < y1 + _PAD / 2:
                b = c.bounds
                left = round((wd.box.left - _PAD) / c.scale) + c.origin[0]
                right = round((wd.box.right - _PAD) / c.scale) + c.origin[0]
                left, right = max(b.left, left), min(b.right, right)
                box = Box(left, b.top, max(1, right - left), b.height)
                out.setdefault(c.key, []).append(
                    Word(wd.text, box, wd.confidence, page, (c.key, 0, 0))
                )
                break


def _read_stack(
    crops: list[_Crop],
    install: TesseractInstall,
    lang: str,
    page: int,
    psm: int = STACK_PSM,
    pre: Prestarted | None = None,
) -> dict[int, list[Word]]:
    """OCR crops stacked one per row in one call; words by crop key, in prepared-image pixels.
    With ``pre``, the call uses a run started ahead when there is one."""
    out: dict[int, list[Word]] = {}
    if not crops:
        return out
    canvas, spans = _canvas(crops)
    if pre is not None:
        read = pre.take(lang, psm).words(canvas)
    else:
        read = ocr_words(canvas, psm=psm, install=install, lang=lang)
    _place(read, spans, page, out)
    return _left_to_right(out)


def _read_each(
    crops: list[_Crop], install: TesseractInstall, lang: str, page: int, psm: int
) -> dict[int, list[Word]]:
    """OCR crops one image each, all in one Tesseract run; words as :func:`_read_stack`."""
    out: dict[int, list[Word]] = {}
    canvases = [_canvas([c]) for c in crops]
    images = [canvas for canvas, _ in canvases]
    for (_, spans), read in zip(canvases, ocr_images(images, install, lang, psm), strict=True):
        _place(read, spans, page, out)
    return _left_to_right(out)


def _left_to_right(by_key: dict[int, list[Word]]) -> dict[int, list[Word]]:
    for words in by_key.values():
        words.sort(key=lambda w: w.box.left)
    return by_key


def _latin_runs(words: list[Word]) -> list[tuple[list[Word], bool]]:
    """Runs of consecutive words with no hanzi that hold Latin letters or figures (the parts
    ``eng`` may read better), each with whether it is mostly figures (a phone number)."""
    runs: list[list[Word]] = [[]]
    for w in words:
        if any(is_cjk(c) for c in w.text):
            runs.append([])
        else:
            runs[-1].append(w)
    out: list[tuple[list[Word], bool]] = []
    for r in runs:
        letters = sum(c.isascii() and c.isalpha() for w in r for c in w.text)
        digits = sum(c.isdigit() for w in r for c in w.text)
        if letters >= 2 and letters >= 0.4 * (letters + digits):
            out.append((r, False))
        elif digits >= 6:
            out.append((r, True))
    return out


def _letter_in_figures(words: list[Word]) -> bool:
    return any(re.search(r"\d[A-Za-z]|[A-Za-z]\d", w.text) for w in words)


def _mean_conf(words: list[Word]) -> float:
    return statistics.fmean(w.confidence for w in words) if words else 0.0


def _covered(box: Box, words: list[Word]) -> bool:
    """True when most of the narrower of ``box`` and a word's box lie one over the other."""
    for w in words:
        shared = min(box.right, w.box.right) - max(box.left, w.box.left)
        if shared > 0.5 * min(box.width, w.box.width):
            return True
    return False


def _hanzi(words: list[Word]) -> str:
    return "".join(c for w in words for c in w.text if is_cjk(c))


def vote_short_line(
    options: list[list[Word]],
    extra: Sequence[list[Word]] = (),
    prefer: Callable[[str], bool] | None = None,
) -> list[Word]:
    """The surest of ``options`` (readings of one line at a few sizes), with its first glyph
    put right by a vote when ``prefer`` rejects the reading and a reading among ``options``
    and ``extra`` (more sizes) of the same number of hanzi is accepted.

    For a name, ``prefer`` accepts a known surname: the fast model misreads a rare surname in
    big type (廖 as 雇) at most sizes but not at all, while a misread surname is seldom one.
    Each accepted reading votes for its surname with its confidence.
    """
    best = max(options, key=_mean_conf)
    text = _hanzi(best)
    if prefer is None or not 2 <= len(text) <= 4 or prefer(text):
        return best
    tally: dict[str, float] = {}
    for o in [*options, *extra]:
        t = _hanzi(o)
        if len(t) == len(text) and prefer(t):
            tally[t[0]] = tally.get(t[0], 0.0) + _mean_conf(o) + 0.05
    if not tally:
        return best
    head = max(tally, key=lambda h: tally[h])
    out: list[Word] = []
    for w in best:
        k = next((k for k, c in enumerate(w.text) if is_cjk(c)), None)
        if k is not None and head:
            w = Word(w.text[:k] + head + w.text[k + 1 :], w.box, w.confidence, w.page, w.line_key)
            head = ""
        out.append(w)
    return out


@dataclass(frozen=True)
class LineOptions:
    """How :func:`read_lines` reads a card's lines.

    Every line is read with ``cjk_lang`` (None: chi_sim, with the Han script model where
    installed), scaled to ``target`` pixels high; the Latin runs are read again with
    ``latin_lang`` unless it is None. ``prefer`` tells which readings of a short big line are
    plausible (see :func:`vote_short_line`). Up to ``threads`` Tesseract calls run at once.
    """

    cjk_lang: str | None = None
    latin_lang: str | None = LATIN_LANG
    target: int = LINE_HEIGHT
    prefer: Callable[[str], bool] | None = None
    threads: int = 1


def read_lines(
    image: Image.Image,
    install: TesseractInstall,
    options: LineOptions | None = None,
    *,
    page: int = 0,
    cancel: CancelCheck | None = None,
    pre: Prestarted | None = None,
) -> list[Word]:
    """Words of every text line of a prepared card, read as ``options`` say. A word's
    ``line_key`` is its line's index. ``pre`` holds runs started ahead (see
    :class:`~app.ocr.engine.Prestarted`).

    The lines are read in two rounds. The first reads them all in one stacked call, the big
    ones at more sizes too. The second runs side by side the calls that need the first
    reading but not each other: doubted names at more sizes, lines the stack dropped or
    garbled read alone, and the Latin runs again.

    Raises:
        Cancelled: ``cancel()`` returned True after the first reading of the lines.
    """
    options = options or LineOptions()
    cjk_lang = options.cjk_lang or cjk_languages(install)
    lines, gray = find_lines(image)
    if not lines:
        return []
    reader = _LineReader(lines, gray, install, cjk_lang, options, page, pre)
    reader.read_all()
    doubted = reader.settle_big_lines()
    if cancel is not None and cancel():
        raise Cancelled()
    reader.read_again(doubted)
    return [w for i in sorted(reader.by_line) for w in reader.by_line[i]]


Reading = dict[int, list[Word]]  # words by crop key (a line's index, or a key of its own)


def _run_named(
    calls: dict[tuple[str, int], Callable[[], Reading]], threads: int
) -> dict[tuple[str, int], Reading]:
    """:func:`~app.ocr.engine.run_calls` with each result under its call's name."""
    return dict(zip(calls, run_calls(list(calls.values()), threads), strict=True))


class _LineReader:
    """One card's lines and what has been read of them so far (see :func:`read_lines`)."""

    def __init__(
        self,
        lines: list[Line],
        gray: Image.Image,
        install: TesseractInstall,
        cjk_lang: str,
        options: LineOptions,
        page: int,
        pre: Prestarted | None,
    ) -> None:
        self.lines, self.gray, self.install, self.page, self.pre = lines, gray, install, page, pre
        self.cjk_lang, self.latin_lang = cjk_lang, options.latin_lang
        self.prefer, self.threads = options.prefer, options.threads
        self.target = options.target or LINE_HEIGHT
        self.boxes = [ln.box for ln in lines]
        self.scales = [min(2.5, max(0.2, self.target / max(1, ln.height))) for ln in lines]
        self.by_line: Reading = {}  # the current reading of each line
        self.big: list[int] = []  # the lines in big type, biggest first
        self.hanzi_readings: dict[int, list[list[Word]]] = {}  # of each big line, by size

    def others(self, i: int) -> list[Box]:
        """The boxes of every line but ``i``."""
        return [b for j, b in enumerate(self.boxes) if j != i]

    def crop(self, i: int, factor: float = 1.0, key: int | None = None) -> _Crop:
        """Line ``i`` cut out at ``factor`` times its usual scale, under ``key`` (else ``i``)."""
        return _crop(
            self.gray,
            self.lines[i].box,
            self.others(i),
            self.scales[i] * factor,
            i if key is None else key,
        )

    def stack(self, crops: list[_Crop], lang: str, psm: int = STACK_PSM) -> Callable[[], Reading]:
        """A call reading ``crops`` stacked on one canvas."""
        return partial(_read_stack, crops, self.install, lang, self.page, psm=psm, pre=self.pre)

    def read_all(self) -> None:
        """The first round: every line in one stacked call.

        The few lines in big type (the name, often bold) are read at two more sizes in the
        same call: the fast models misread big bold hanzi at any one size, but rarely at both
        with confidence.
        """
        crops = [self.crop(i) for i in range(len(self.lines))]
        usual = float(np.median([ln.height for ln in self.lines]))
        self.big = sorted(
            (i for i, ln in enumerate(self.lines) if ln.height > BIG_FACTOR * usual),
            key=lambda i: -self.lines[i].height,
        )[:MAX_BIG]
        sizes: dict[int, list[int]] = {}
        for i in self.big:
            for factor in BIG_SIZES:
                key = len(crops)  # past the line indices
                crops.append(self.crop(i, factor, key))
                sizes.setdefault(i, []).append(key)
        self.by_line = self.stack(crops, self.cjk_lang)()
        for i, keys in sizes.items():
            readings = [self.by_line.pop(k, []) for k in keys] + [self.by_line.get(i, [])]
            # Only readings in hanzi compete: a Latin line's runs are read again anyway.
            self.hanzi_readings[i] = [o for o in readings if len(_hanzi(o)) >= 2]

    def doubtful(self, i: int) -> bool:
        """True when no reading of big line ``i`` is plausible to ``prefer`` (a short line)."""
        line = self.lines[i]
        if self.prefer is None or line.box.width > SHORT_ASPECT * line.height:
            return False
        options = self.hanzi_readings[i]
        if not options:  # no reading in hanzi: doubt it unless it reads as Latin
            return not any(
                c.isascii() and c.isalpha() for w in self.by_line.get(i, []) for c in w.text
            )
        text = _hanzi(max(options, key=_mean_conf))
        return 2 <= len(text) <= 4 and not self.prefer(text)

    def settle(self, i: int, more: list[list[Word]]) -> None:
        """Big line ``i`` takes the reading the sizes vote for (``more``: further sizes)."""
        options = self.hanzi_readings[i] or more
        if options:
            self.by_line[i] = [
                Word(w.text, w.box, w.confidence, self.page, (i, 0, 0))
                for w in vote_short_line(options, more, self.prefer)
            ]

    def settle_big_lines(self) -> list[int]:
        """Settle the big lines whose reading is plausible; the others, returned, wait for
        more sizes."""
        doubted = [i for i in self.big if self.doubtful(i)]
        for i in self.big:
            if i not in doubted:
                self.settle(i, [])
        return doubted

    def more_sizes(self, doubted: list[int]) -> tuple[list[_Crop], dict[int, int]]:
        """Crops of the doubted lines at :data:`SHORT_SIZES`, and the line of each crop key.

        Short lines whose surest reading the caller doubts (a name with no known surname) are
        read at more sizes, in a stack of their own: added to the main stack they changed how
        other lines read, and most cards need no such call.
        """
        crops: list[_Crop] = []
        owner: dict[int, int] = {}
        for i in doubted:
            for factor in SHORT_SIZES:
                owner[len(crops)] = i
                crops.append(self.crop(i, factor, len(crops)))
        return crops, owner

    def dropped(self) -> list[int]:
        """Lines the stack read nothing of that look like text.

        Now and then Tesseract's layout analysis drops a short line of well-spaced hanzi
        ("余龙", "技术总监") at every size; read alone as a raw line (psm 13) it comes back.
        """
        return [
            i
            for i, ln in enumerate(self.lines)
            if i not in self.by_line and ln.height >= 15 and ln.box.width >= 1.2 * ln.height
        ][:MAX_SKIPPED]

    def garbled(self) -> list[int]:
        """Lines of usual size the stack read with little confidence (see :data:`GARBLED_CONF`)."""
        return [
            i
            for i, words in self.by_line.items()
            if i not in self.big and _mean_conf(words) < GARBLED_CONF
        ][:MAX_SKIPPED]

    def read_again(self, doubted: list[int]) -> None:
        """The second round: its calls need the first reading but not each other, so up to
        ``threads`` of them run side by side."""
        by_line = self.by_line
        sizes, owner = self.more_sizes(doubted)
        dropped, garbled = self.dropped(), self.garbled()
        block_conf = {i: _mean_conf(by_line[i]) for i in garbled}
        latin = _LatinPass(self)
        if self.latin_lang is not None:
            # A doubted line may still change below; its runs are only replaced if it does not.
            # A garbled line mostly stays as the block read it: its runs are read here too.
            latin.add([i for i in by_line if i not in doubted])
        calls = {("sizes", 0): self.stack(sizes, self.cjk_lang)}
        for i in dropped:
            calls["dropped", i] = self.stack([self.crop(i)], self.cjk_lang, psm=13)
        for i in garbled:
            calls["garbled", i] = self.stack([self.crop(i)], self.cjk_lang, psm=7)
        if self.latin_lang is not None:
            calls["latin", 0] = self.stack(latin.crops, self.latin_lang)
        got = _run_named(calls, self.threads)

        more: dict[int, list[list[Word]]] = {}
        for key, words in got["sizes", 0].items():
            if len(_hanzi(words)) >= 2:
                more.setdefault(owner[key], []).append(words)
        for i in doubted:
            self.settle(i, more.get(i, []))
        for i in dropped:
            for line, words in got["dropped", i].items():
                by_line.setdefault(line, words)  # a doubted line its extra sizes settled stays so
        alone: Reading = {}
        for i in garbled:
            for line, words in got["garbled", i].items():
                if _mean_conf(words) > block_conf[line] + GARBLED_MARGIN:
                    alone[line] = words
        if self.latin_lang is None:
            by_line.update(alone)
            return
        latin.apply(got["latin", 0])
        by_line.update(alone)
        # The lines that changed since (a doubted name, a line read alone) get their own pass;
        # most cards have none.
        rest = [i for i in dict.fromkeys([*doubted, *dropped, *alone]) if i in by_line]
        if rest:
            latin = _LatinPass(self)
            latin.add(rest)
            if latin.crops:
                latin.apply(self.stack(latin.crops, self.latin_lang)())


class _LatinPass:
    """The Latin runs of some lines, cut out for ``eng`` to read, and how the readings
    replace what ``chi_sim`` read."""

    def __init__(self, reader: _LineReader) -> None:
        self.reader = reader
        self.by_line = reader.by_line
        self.crops: list[_Crop] = []
        self.runs: dict[int, tuple[int, list[Word], bool]] = {}

    def add(self, indices: Sequence[int]) -> None:
        """Cut out the Latin runs of the lines ``indices``."""
        reader = self.reader
        for i in indices:
            ln = reader.lines[i]
            for run, figures_only in _latin_runs(self.by_line[i]):
                pad = ln.height // 3
                left = max(ln.box.left, run[0].box.left - pad)
                right = min(ln.box.right, run[-1].box.right + pad)
                box = Box(left, ln.box.top, max(1, right - left), ln.box.height)
                key = len(self.crops)
                scale = reader.scales[i] * LATIN_HEIGHT / reader.target
                self.crops.append(_crop(reader.gray, box, reader.others(i), scale, key))
                self.runs[key] = (i, run, figures_only)

    def apply(self, read: dict[int, list[Word]]) -> None:
        """Put the surer of the two readings of each run into ``by_line``."""
        for key, fresh in read.items():
            i, run, figures_only = self.runs[key]
            current = {id(w) for w in self.by_line.get(i, [])}
            if not all(id(w) in current for w in run):
                continue  # the line was read again meanwhile; its runs are out of date
            page = self.reader.page
            new = [Word(w.text, w.box, w.confidence, page, (i, 0, 0)) for w in fresh]
            if figures_only:
                # chi_sim read digits better than eng on these fonts, except where it was
                # unsure (small, noisy scans) or put a letter inside a digit group ("159
                # Y201 6968"): there the surer reading, or the one without, wins.
                mended = _letter_in_figures(run) and not _letter_in_figures(new)
                if not mended and _mean_conf(new) < _mean_conf(run) + FIGURES_MARGIN:
                    continue
                old = {id(w) for w in run}
            else:
                # Figures inside a Latin run stay as chi_sim read them, unless an eng word
                # with letters covers them ("Tel:(0571)").
                figures = [w for w in run if not any(c.isalpha() for c in w.text)]
                new = [
                    w
                    for w in new
                    if any(c.isalpha() for c in w.text) or not _covered(w.box, figures)
                ]
                old = {id(w) for w in run if w not in figures or _covered(w.box, new)}
            self.by_line[i] = sorted(
                [w for w in self.by_line[i] if id(w) not in old] + new, key=lambda w: w.box.left
            )


def read_boxes(
    gray: Image.Image,
    boxes: list[Box],
    install: TesseractInstall,
    lang: str,
    scale: float,
    pre: Prestarted | None = None,
) -> dict[int, list[Word]]:
    """Words of each box of ``gray`` read at ``scale``, by the box's index (one call)."""
    crops = [_crop(gray, b, [o for o in boxes if o != b], scale, i) for i, b in enumerate(boxes)]
    return _read_stack(crops, install, lang, 0, pre=pre)


def read_box_variants(
    gray: Image.Image,
    box: Box,
    others: list[Box],
    install: TesseractInstall,
    lang: str,
    variants: Sequence[tuple[float, int]],
    threads: int = 1,
) -> list[list[Word]]:
    """Words of one box of ``gray`` read once per (scale, page segmentation) in ``variants``,
    in their order. Readings at psm 6 share one stacked call; psm 7 and 13 read one line per
    image, so those of each psm are the images of one call. Up to ``threads`` of these calls
    run side by side."""
    by_psm: dict[int, list[_Crop]] = {}
    for k, (scale, psm) in enumerate(variants):
        by_psm.setdefault(psm, []).append(_crop(gray, box, others, scale, k))
    calls = [
        partial(_read_stack, group, install, lang, 0)
        if psm == STACK_PSM
        else partial(_read_each, group, install, lang, 0, psm)
        for psm, group in by_psm.items()
    ]
    got: dict[int, list[Word]] = {}
    for found in run_calls(calls, threads):
        got.update(found)
    return [got.get(k, []) for k in range(len(variants))]
