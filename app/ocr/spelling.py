"""Names and brands a card states twice: in hanzi and again in pinyin.

The fast chi_sim model misreads a glyph of a given name or a brand in big type (霞 as 起,
睿 as 害) at one size and not at another, and a Chinese card often spells the same words in
Latin letters, which the Latin model reads far more reliably: an e-mail or WeChat id
("xiaoxia.li", "lixiaoxia88", "wx_xiaoxia"), an English name ("Li Xiaoxia"), a domain
("ruida-tech.com"). When the hanzi disagree with every such spelling, the box is read again
at a few sizes and a reading that spells what the card spells replaces the glyphs it
accounts for; when no reading does, the first one stands.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from functools import lru_cache

from PIL import Image

from app.ocr.engine import TesseractInstall
from app.ocr.layout import is_cjk
from app.ocr.lines import LINE_HEIGHT, read_box_variants
from app.ocr.pinyin import SYLLABLES, syllable_splits
from app.ocr.results import Box, Fields, FieldValue, Word

# (size factor, page segmentation) of the extra readings, likeliest to help first; the first
# that spells what the card spells is taken. Read alone as one line (psm 7/13),
# the small sizes misread other glyphs than the stacked reading at LINE_HEIGHT does; several
# sizes stacked in one call (psm 6) ran lines together and helped far less.
NAME_READINGS: tuple[tuple[float, int], ...] = ((0.5, 7), (0.6, 7), (1.2, 13), (0.75, 7), (1.5, 13))
COMPANY_READINGS: tuple[tuple[float, int], ...] = ((1.0, 7), (0.75, 7), (1.5, 13))
# A confidence that asks the user to look: the glyphs came from a second reading.
RESPELLED_CONFIDENCE = 0.75
# English words glued to pinyin in ids and domains; never part of a name or a brand.
_AFFIXES = ("group", "tech", "soft", "info", "china", "global", "home", "www", "wx", "vx")
_COMPOUND_SURNAME_LEN = 2
# Public mail services (and their paid tiers): "sina" and "aliyun" read as pinyin, but an
# address there says nothing about the holder's company.
_MAIL_SERVICES = frozenset(
    {"sina", "sohu", "aliyun", "yeah", "foxmail", "hotmail", "outlook", "gmail", "yahoo"}
    | {"icloud", "live", "msn", "tom", "vip", "wo"}
)


@lru_cache(maxsize=8192)
def glyph_syllables(glyph: str) -> frozenset[str]:
    """Every toneless pinyin of one hanzi (heteronyms too), with ü spelled v and u."""
    from pypinyin import Style, pinyin

    found: set[str] = set()
    for group in pinyin(glyph, style=Style.NORMAL, heteronym=True, errors="ignore"):
        for syllable in group:
            found.add(syllable)
            found.add(syllable.replace("v", "u"))
    return frozenset(s for s in found if s in SYLLABLES or s.replace("u", "v") in SYLLABLES)


def spells(hanzi: str, letters: str) -> bool:
    """True when the lower-case ``letters`` are the pinyin of ``hanzi``, glyph by glyph."""
    if not hanzi or not letters:
        return False
    reach = {0}
    for glyph in hanzi:
        reach = {
            i + len(s) for i in reach for s in glyph_syllables(glyph) if letters.startswith(s, i)
        }
        if not reach:
            return False
    return len(letters) in reach


def spelled_span(hanzi: str, letters: str) -> tuple[int, int] | None:
    """The first run of glyphs of ``hanzi`` that ``letters`` spell, as (start, end)."""
    for start in range(len(hanzi)):
        for end in range(start + 1, len(hanzi) + 1):
            if spells(hanzi[start:end], letters):
                return start, end
    return None


def _tokens(hint: str) -> list[str]:
    return [t for t in re.findall(r"[a-z]+", hint.lower()) if t not in _AFFIXES]


def name_spellings(hints: Iterable[str]) -> list[str]:
    """The letter strings in ``hints`` (e-mail names, WeChat ids, English names) that may
    spell a Chinese name: each word, and the words joined in either order ("Li Xiaoxia",
    "xiaoxia.li" and "lixiaoxia" all give "lixiaoxia")."""
    out: list[str] = []
    for hint in hints:
        tokens = _tokens(hint)
        out += tokens
        if len(tokens) == 2:
            out += [tokens[0] + tokens[1], tokens[1] + tokens[0]]
    return [t for t in dict.fromkeys(out) if len(t) >= 2]


def _surname_len(name: str, is_compound: Callable[[str], bool]) -> int:
    return _COMPOUND_SURNAME_LEN if is_compound(name[:_COMPOUND_SURNAME_LEN]) else 1


def name_agrees(name: str, spelling: str, surname_len: int = 1) -> bool:
    """True when ``spelling`` is ``name`` in pinyin: the whole name, or the given name alone."""
    return spells(name, spelling) or spells(name[surname_len:], spelling)


def _could_be_name(spelling: str, glyphs: int) -> bool:
    return any(syllable_splits(spelling, n) for n in (glyphs, glyphs - 1) if n >= 1)


def respell_name(
    name: str,
    spellings: list[str],
    readings: Iterable[str],
    *,
    is_compound: Callable[[str], bool] = lambda _: False,
) -> str | None:
    """The name from the first of ``readings`` (of the name's box) that spells one of
    ``spellings``, or None. ``readings`` may be lazy: later ones are not read.

    A reading that spells a whole-name spelling replaces the name; one whose given name
    spells a given-name spelling replaces only the given name (the surname was read in the
    main pass and already checked against the surname spellings). A spelling of the
    surname alone ("cindy.cai") says nothing about the given name and is skipped.
    """
    for reading in readings:
        if not 2 <= len(reading) <= 4:
            continue
        k = _surname_len(reading, is_compound)
        for spelling in spellings:
            if spells(reading, spelling):
                choice = reading
            elif spells(reading[k:], spelling) and not spells(reading[:k], spelling):
                choice = name[: _surname_len(name, is_compound)] + reading[k:]
            else:
                continue
            return choice
    return None


def needs_name_check(name: str, spellings: list[str], surname_len: int = 1) -> bool:
    """True when some spelling on the card looks like a name of this many glyphs but none
    is this name."""
    if not 2 <= len(name) <= 4 or not all(is_cjk(c) for c in name):
        return False
    candidates = [
        s for s in spellings if _could_be_name(s, len(name)) and not spells(name[:surname_len], s)
    ]
    return bool(candidates) and not any(name_agrees(name, s, surname_len) for s in candidates)


def brand_spellings(fields: Fields) -> list[str]:
    """Pinyin words of two or more syllables in the card's domains and ids ("ruida" in
    "ruida-tech.com.cn", "www.ruidagroup.cn", "ruida_leo"): how the company's brand is
    spelled, when it is."""
    hints: list[str] = []
    for key in ("website", "email"):
        fv = fields[key]
        if fv is not None:
            host = fv.value.split("@")[-1].lower()
            host = re.sub(r"^(?:https?://)?(?:www\.)?", "", host)
            if host.split(".")[0] not in _MAIL_SERVICES:
                hints.append(host.split(".")[0])
    if fields["wechat"] is not None:
        hints.append(fields["wechat"].value)
    out: list[str] = []
    for hint in hints:
        for token in re.findall(r"[a-z]+", hint.lower()):
            for affix in _AFFIXES:
                if token.endswith(affix) and len(token) > len(affix):
                    token = token[: -len(affix)]
            if any(syllable_splits(token, n) for n in (2, 3, 4)):
                out.append(token)
    return list(dict.fromkeys(out))


def respell_company(company: str, spellings: list[str], readings: Iterable[str]) -> str | None:
    """``company`` with the glyphs of its brand taken from a reading that spells the brand
    as the card does (the first of ``readings`` that does), or None. Only readings with as
    many hanzi as the first one count, so that the glyphs around the brand are kept as
    first read."""
    hanzi_at = [i for i, c in enumerate(company) if is_cjk(c)]
    first = "".join(company[i] for i in hanzi_at)
    for reading in readings:
        if len(reading) != len(first):
            continue
        for spelling in spellings:
            span = spelled_span(reading, spelling)
            if span is None:
                continue
            chars = list(company)
            for k in range(*span):
                chars[hanzi_at[k]] = reading[k]
            return "".join(chars)
    return None


def company_needs_check(company: str, spellings: list[str]) -> bool:
    """True when the card spells a brand and no run of the company's hanzi spells it."""
    hanzi = "".join(c for c in company if is_cjk(c))
    if len(hanzi) < 4 or not spellings:
        return False
    return not any(spelled_span(hanzi, s) for s in spellings)


def _hanzi_of(words: list[Word]) -> str:
    return "".join(c for w in words for c in w.text if is_cjk(c))


def _others(box: Box, words: list[Word]) -> list[Box]:
    return [
        w.box
        for w in words
        if min(box.right, w.box.right) <= max(box.left, w.box.left)
        or min(box.bottom, w.box.bottom) <= max(box.top, w.box.top)
    ]


def check_spellings(
    fields: Fields,
    image: Image.Image,
    words: list[Word],
    install: TesseractInstall,
    lang: str,
    name_hints: list[str],
    is_compound: Callable[[str], bool] = lambda _: False,
    threads: int = 1,
) -> Fields:
    """``fields`` with the name and the company read again where the card's pinyin says
    a glyph was misread (see the module docstring). ``name_hints`` are the Latin texts that
    may spell the name; ``words`` are the card's words (their boxes keep neighbouring lines
    out of a re-read box). Up to ``threads`` readings of a box are read at once."""
    out = dict(fields)
    gray = image.convert("L")
    name = fields["name"]
    brands = brand_spellings(fields)
    # An id made of the brand ("ruida_amy") spells no part of the holder's name.
    spellings = [s for s in name_spellings(name_hints) if s not in brands]
    if (
        name is not None
        and name.box is not None
        and needs_name_check(name.value, spellings, _surname_len(name.value, is_compound))
    ):
        texts = _read(gray, name.box, words, install, lang, NAME_READINGS, threads)
        better = respell_name(name.value, spellings, texts, is_compound=is_compound)
        if better is not None and better != name.value:
            out["name"] = _respelled(name, better)
    company = fields["company"]
    if (
        company is not None
        and company.box is not None
        and company_needs_check(company.value, brands)
    ):
        texts = _read(gray, company.box, words, install, lang, COMPANY_READINGS, threads)
        better = respell_company(company.value, brands, texts)
        if better is not None and better != company.value:
            out["company"] = _respelled(company, better)
    return out


def _respelled(fv: FieldValue, value: str) -> FieldValue:
    return replace(fv, value=value, confidence=min(fv.confidence, RESPELLED_CONFIDENCE))


def _read(
    gray: Image.Image,
    box: Box,
    words: list[Word],
    install: TesseractInstall,
    lang: str,
    readings: tuple[tuple[float, int], ...],
    threads: int = 1,
) -> Iterator[str]:
    """The hanzi of ``box`` read as each of ``readings`` says, in their order. The readings of
    one page segmentation are the images of one Tesseract run (the models load once), and
    up to ``threads`` such runs go side by side: cheaper than a run per reading, even when
    the first reading would have done."""
    scale = LINE_HEIGHT / max(1, box.height)
    variants = [(scale * f, psm) for f, psm in readings]
    found = read_box_variants(gray, box, _others(box, words), install, lang, variants, threads)
    for got in found:
        yield _hanzi_of(got)
