"""Reading one card or one contract: load, prepare, OCR, extract, with progress and cancel.

Both functions are plain blocking calls with no Qt; the desktop runs them on its OCR worker and
sets a flag that the ``cancel`` callable reads. Cancellation is checked between steps and
between pages, so it takes effect within one Tesseract call (about a second).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from app.domain.messages import Msg
from app.ocr import engines, ppocr
from app.ocr.cards import COMPOUND_SURNAMES, extract_card_fields, known_surname, name_hints
from app.ocr.contracts import extract_contract_fields
from app.ocr.engine import (
    LANGUAGES,
    Prestarted,
    TesseractInstall,
    check_engine,
    default_threads,
    plan_languages,
    run_calls,
)
from app.ocr.errors import Cancelled, InputError
from app.ocr.imaging import ImageSource, open_image, prepare_card, prepare_page
from app.ocr.layout import join_words, segments, tidy
from app.ocr.lines import LineOptions, read_boxes, read_lines
from app.ocr.pdf import is_pdf, pdf_pages
from app.ocr.results import (
    Box,
    CancelCheck,
    CardResult,
    ContractResult,
    Progress,
    ProgressCallback,
    Word,
)
from app.ocr.spelling import check_spellings

# Lines worth a second look: an amount in words, and dates (a 一 or 十 at the start of a
# wrapped date line was often dropped at the page's size); these are read with the next line.
# A stated total in figures alone is read again too: the ¥ and the first digit were often read
# as one glyph at the page's size ("¥8,678,800.00" as "型,678,800.00").
_KEY_LINE = re.compile(
    r"人民币|大写|有效期|日期|起至|[年月]$|(?:金额|价款|总价)[^\d的，,。]{0,6}?[为:：]"
)
# The contract number and the parties, read alone: a rare glyph in a company name (睿, 鹿)
# is misread at one size and not at another, so the readings can outvote the page.
_NAME_LINE = re.compile(r"^.{0,3}[甲乙]方.{0,8}[:：;；]|编号\s*[:：;；]|合同编\S\s*[:：;；]")
MAX_KEY_LINES = 14
# PP-OCR reads cards prepared to this width: the smallest type on a card is still far above
# what its recogniser needs, and detection time grows with the area.
PP_CARD_WIDTH = 840
# Reading sizes as a share of the page's 300 dpi: 0.5–0.8 gave the most distinct misreads.
AMOUNT_SIZES = (0.5, 0.65, 0.8)


def _check(cancel: CancelCheck | None) -> None:
    if cancel is not None and cancel():
        raise Cancelled()


def _report(progress: ProgressCallback | None, done: int, total: int, stage: str) -> None:
    if progress is not None:
        progress(Progress(done, total, stage))


def page_text(words: list[Word]) -> str:
    """Plain text of words, one segment per line."""
    return "\n".join(join_words(s.words) for s in segments(words))


def read_card(
    source: ImageSource,
    *,
    languages: Sequence[str] = LANGUAGES,
    engine: str = "auto",
    cancel: CancelCheck | None = None,
    progress: ProgressCallback | None = None,
    threads: int | None = None,
) -> CardResult:
    """Read a business card photo or scan (path, bytes or PIL image).

    ``engine`` is the setting ``ocr.engine`` (see :mod:`app.ocr.engines`): PP-OCR reads
    where it can, else Tesseract in ``languages`` (Tesseract names; ``ocr.languages``).
    Up to ``threads`` Tesseract calls or ONNX Runtime threads run at once (default: one per
    core; batches, which run a card per core, pass 1).

    Raises:
        InputError: the file cannot be read as an image.
        EngineMissing: Tesseract or the data of one of ``languages`` is missing (only when
            Tesseract reads).
        Cancelled: ``cancel()`` returned True.
    """
    total = 4
    threads = default_threads() if threads is None else threads
    _report(progress, 0, total, "load")
    if engines.choose(engine, threads) == engines.PPOCR:
        return _read_card_ppocr(source, cancel, progress, threads)
    notice = engines.take_notice() if engine != engines.TESSERACT else None
    install = check_engine(languages=languages)
    plan = plan_languages(install, languages)
    image = open_image(source)
    _check(cancel)
    with Prestarted(install) as pre:
        # The two passes every card needs load their models while the card is prepared.
        pre.start(plan.lines)
        if plan.latin is not None:
            pre.start(plan.latin)
        _report(progress, 1, total, "prepare")
        prepared = prepare_card(image)
        _check(cancel)
        _report(progress, 2, total, "ocr")
        options = LineOptions(
            cjk_lang=plan.lines, latin_lang=plan.latin, prefer=known_surname, threads=threads
        )
        words = read_lines(prepared.image, install, options, cancel=cancel, pre=pre)
    _check(cancel)
    _report(progress, 3, total, "extract")
    fields = extract_card_fields(words)
    if plan.latin is not None:  # without a Latin pass the ids are no surer than the hanzi
        fields = check_spellings(
            fields,
            prepared.image,
            words,
            install,
            plan.lines,
            name_hints(fields, segments(words, gap_factor=6.0)),
            is_compound=lambda t: t in COMPOUND_SURNAMES,
            threads=threads,
        )
    _report(progress, 4, total, "done")
    return CardResult(
        fields,
        page_text(words),
        words,
        prepared.image.size,
        prepared.card_found,
        engine=engines.TESSERACT,
        notice=notice,
    )


def _light_on_dark(image: Image.Image) -> Image.Image:
    """``image`` made dark on light when the card's middle is dark: light type on dark stock
    reads as well as any other card then, and not at all as it is."""
    gray = image.convert("L")
    w, h = gray.size
    middle = gray.crop((w // 4, h // 4, 3 * w // 4, 3 * h // 4))
    if float(np.median(np.asarray(middle.resize((64, 64))))) < 100:  # most of it is dark
        return ImageOps.invert(image.convert("RGB"))
    return image


def _read_card_ppocr(
    source: ImageSource,
    cancel: CancelCheck | None,
    progress: ProgressCallback | None,
    threads: int,
) -> CardResult:
    total = 4
    image = open_image(source)
    _check(cancel)
    _report(progress, 1, total, "prepare")
    prepared = prepare_card(_light_on_dark(image), width=PP_CARD_WIDTH)
    _check(cancel)
    _report(progress, 2, total, "ocr")
    words = ppocr.read_words(prepared.image, threads=threads)
    _check(cancel)
    _report(progress, 3, total, "extract")
    fields = extract_card_fields(words)
    _report(progress, 4, total, "done")
    return CardResult(
        fields,
        page_text(words),
        words,
        prepared.image.size,
        prepared.card_found,
        engine=engines.PPOCR,
    )


def reread_amounts(
    page: Image.Image,
    words: list[Word],
    install: TesseractInstall,
    lang: str = "chi_sim",
    *,
    threads: int = 1,
    pre: Prestarted | None = None,
) -> list[str]:
    """The lines that state an amount in words, a date, a party or the contract number, read
    again at other sizes: one text per size, a line of text per line read.

    The fast model misreads the rare uppercase numerals (柒 as 业, 沫, 类…) differently at each
    size, so the amount parser can vote over several readings. A line is read together with
    the next one, where a long amount or a date often ends. The sizes are independent calls,
    up to ``threads`` at a time, taking runs from ``pre`` where it has them.
    """
    segs = segments(words)
    boxes: list[Box] = []
    for k, seg in enumerate(segs):
        if len(boxes) >= MAX_KEY_LINES:
            break
        if _NAME_LINE.search(tidy(seg.text)):
            boxes.append(seg.box)
            continue
        if not _KEY_LINE.search(tidy(seg.text)):
            continue
        boxes.append(seg.box)
        nxt = segs[k + 1] if k + 1 < len(segs) else None
        if nxt is not None and 0 <= nxt.box.top - seg.box.bottom < seg.box.height:
            boxes.append(nxt.box)
    if not boxes:
        return []
    gray = page.convert("L")
    calls = [partial(read_boxes, gray, boxes, install, lang, f, pre=pre) for f in AMOUNT_SIZES]
    return [
        "\n".join(tidy(join_words(got.get(j, []))) for j in range(len(boxes)))
        for got in run_calls(calls, threads)
    ]


def _one_image(source: ImageSource) -> tuple[Image.Image, float | None]:
    img = open_image(source)
    info = img.info.get("dpi")
    dpi = float(info[0]) if info and float(info[0]) > 0 else None
    return img, dpi


def _pages(
    source: ImageSource | Sequence[str | Path],
) -> tuple[int, Iterator[tuple[Image.Image, float | None]], str | None]:
    """Page count, a lazy page iterator and the text layer (PDFs that have one)."""
    if isinstance(source, str | Path) and is_pdf(Path(source)):
        pdf = pdf_pages(Path(source))
        if pdf.text is not None:
            return pdf.count, iter(()), pdf.text
        return pdf.count, ((img, pdf.dpi) for img in pdf.render()), None
    if isinstance(source, list | tuple):
        sources: list[ImageSource] = [Path(s) for s in source]
    else:
        sources = [source]  # type: ignore[list-item]
    if not sources:
        raise InputError(Msg("没有可识别的页面", "No pages to read"))
    return len(sources), (_one_image(s) for s in sources), None


def read_contract(
    source: ImageSource | Sequence[str | Path],
    *,
    languages: Sequence[str] = LANGUAGES,
    engine: str = "auto",
    cancel: CancelCheck | None = None,
    progress: ProgressCallback | None = None,
    threads: int | None = None,
) -> ContractResult:
    """Read a contract: a PDF (its text layer when it has one, else OCR of each page), one
    image, or a list of page images. ``engine`` and ``threads`` as for :func:`read_card`.

    Raises:
        InputError, EngineMissing, Cancelled: as for :func:`read_card`.
    """
    _report(progress, 0, 1, "load")
    count, pages, text_layer = _pages(source)
    if text_layer is not None:
        fields = extract_contract_fields(text_layer)
        _report(progress, 1, 1, "done")
        return ContractResult(fields, text_layer, count, [], text_layer=True, engine="text")
    threads = default_threads() if threads is None else threads
    if engines.choose(engine, threads) == engines.PPOCR:
        return _read_contract_ppocr(count, pages, cancel, progress, threads)
    notice = engines.take_notice() if engine != engines.TESSERACT else None
    install = check_engine(languages=languages)
    lang = plan_languages(install, languages).document
    total = count + 1
    texts: list[str] = []
    rereads: list[str] = []
    words_all: list[Word] = []
    with Prestarted(install) as pre:
        for i, (img, dpi) in enumerate(pages):
            _check(cancel)
            _report(progress, i, total, f"page {i + 1}/{count}")
            pre.start(lang)  # loads while the page is prepared
            page_img = prepare_page(img, dpi=dpi)
            reader = pre.take(lang)
            if threads > 1:
                # The re-reads load their models on the other core while the page is read.
                for _ in AMOUNT_SIZES:
                    pre.start(lang)
            words = reader.words(page_img, page=i)
            words_all.extend(words)
            texts.append(page_text(words))
            rereads += reread_amounts(page_img, words, install, lang, threads=threads, pre=pre)
            pre.close()  # re-reads a page without key lines did not need
    _check(cancel)
    _report(progress, count, total, "extract")
    text = "\n\f".join(texts)
    fields = extract_contract_fields(text, words_all, rereads)
    _report(progress, total, total, "done")
    return ContractResult(fields, text, count, words_all, engine=engines.TESSERACT, notice=notice)


def _read_contract_ppocr(
    count: int,
    pages: Iterator[tuple[Image.Image, float | None]],
    cancel: CancelCheck | None,
    progress: ProgressCallback | None,
    threads: int,
) -> ContractResult:
    total = count + 1
    texts: list[str] = []
    words_all: list[Word] = []
    for i, (img, dpi) in enumerate(pages):
        _check(cancel)
        _report(progress, i, total, f"page {i + 1}/{count}")
        page_img = prepare_page(img, dpi=dpi)
        words = ppocr.read_words(page_img, page=i, threads=threads, upright=True)
        words_all.extend(words)
        texts.append(page_text(words))
    _check(cancel)
    _report(progress, count, total, "extract")
    text = "\n\f".join(texts)
    fields = extract_contract_fields(text, words_all)
    _report(progress, total, total, "done")
    return ContractResult(fields, text, count, words_all, engine=engines.PPOCR)
