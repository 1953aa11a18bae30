"""Money amounts in contracts: Arabic figures and Chinese financial uppercase (大写).

Contracts state the price twice, "人民币壹拾贰万叁仟元整(¥123,000.00)", and the uppercase form
is the binding one. OCR misreads the rarer uppercase numerals as look-alike characters (壹 → 过,
叁 → 参, 仟 → 什), so the parser maps those back before it reads the number.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UNITS = {"拾": 10, "佰": 100, "仟": 1000}

# Every character the parser accepts, with its canonical meaning. Lower-case numerals and
# traditional forms are valid spellings; the rest are OCR look-alikes seen on real scans.
CANONICAL: dict[str, str] = {
    **{c: c for c in _DIGITS + "拾佰仟万亿元角分整"},
    # lower-case and traditional spellings
    "〇": "零",
    "○": "零",
    "O": "零",
    "o": "零",
    "0": "零",
    "一": "壹",
    "二": "贰",
    "两": "贰",
    "三": "叁",
    "四": "肆",
    "五": "伍",
    "六": "陆",
    "七": "柒",
    "八": "捌",
    "九": "玖",
    "十": "拾",
    "百": "佰",
    "千": "仟",
    "萬": "万",
    "億": "亿",
    "貳": "贰",
    "參": "叁",
    "陸": "陆",
    "圆": "元",
    "圓": "元",
    "園": "元",
    "正": "整",
}
# OCR confusions: counted separately because a reading that needed them is less certain.
CONFUSIONS: dict[str, str] = {
    "过": "壹",
    "査": "壹",
    "壶": "壹",
    "莹": "壹",
    "意": "壹",
    "武": "贰",
    "贡": "贰",
    "弍": "贰",
    "式": "贰",
    "戴": "贰",
    "参": "叁",
    "垒": "叁",
    "鑫": "叁",
    "鏊": "叁",
    "律": "肆",
    "肄": "肆",
    "建": "肆",
    "肃": "肆",
    "位": "伍",
    "仵": "伍",
    "吾": "伍",
    "际": "陆",
    "陇": "陆",
    "险": "陆",
    "染": "柒",
    "桨": "柒",
    "梁": "柒",
    "柴": "柒",
    "别": "捌",
    "拥": "捌",
    "捆": "捌",
    "娴": "捌",
    "坎": "玖",
    "玫": "玖",
    "政": "玖",
    "玻": "玖",
    "恰": "拾",
    "抬": "拾",
    "给": "拾",
    "拴": "拾",
    "伯": "佰",
    "陌": "佰",
    "估": "佰",
    "什": "仟",
    "任": "仟",
    "仞": "仟",
    "雫": "零",
    "雾": "零",
    "霉": "零",
    "无": "元",
    "兀": "元",
    "园": "元",
    "甬": "角",
    "份": "分",
    "赘": "整",
    "螯": "整",
    "藝": "整",
    "敕": "整",
    # seen with the "fast" chi_sim model on 150–250 dpi scans
    "沫": "柒",
    "业": "柒",
    "抽": "捌",
    "倩": "佰",
    "会": "叁",
    "僚": "叁",
    "提": "捌",
    "类": "柒",
    "项": "贰",
    "仔": "仟",
}
# Look-alikes counted on the "fast" chi_sim model by ``bench/amount_glyphs.py`` (synthetic
# amount lines in the evaluation set's CJK fonts, at several resolutions and reading sizes),
# which prints this table again for any model. read → {meant: times}; the counts rank the
# readings of a glyph.
# The model hardly ever produces 仟, 叁, 捌 or 柒 themselves; several glyphs stand for more
# than one numeral (吉 for 壹 or 贰), which the grammar and the Arabic figures then settle.
LOOKALIKES: dict[str, dict[str, int]] = {
    "什": {"仟": 1205},
    "参": {"叁": 562},
    "过": {"壹": 367, "柒": 3},
    "抽": {"捌": 348},
    "业": {"柒": 313},
    "喜": {"壹": 224},
    "拥": {"捌": 184},
    "类": {"柒": 174},
    "会": {"叁": 163},
    "吉": {"壹": 92, "贰": 33},
    "制": {"捌": 121},
    "融": {"贰": 85},
    "染": {"柒": 72},
    "沫": {"柒": 60},
    "提": {"捌": 56},
    "个": {"佰": 56},
    "索": {"壹": 48},
    "撞": {"捌": 42},
    "娄": {"柒": 34},
    "揭": {"捌": 32},
    "下": {"贰": 29},
    "迷": {"柒": 28},
    "需": {"贰": 27},
    "僚": {"叁": 26},
    "起": {"贰": 24},
    "仔": {"仟": 23},
    "于": {"贰": 23},
    "信": {"佰": 22},
    "任": {"仟": 21},
    "侠": {"叁": 20},
    "押": {"捌": 16},
    "傅": {"叁": 16},
    "击": {"捌": 15},
    "碌": {"柒": 14},
    "倩": {"佰": 13},
    "抬": {"拾": 12},
    "揽": {"捌": 12},
    "全": {"佰": 7, "叁": 5},
    "担": {"捌": 11},
    "拓": {"捌": 11},
    "项": {"贰": 11},
    "持": {"肆": 10},
    "佐": {"叁": 10},
    "佑": {"叁": 9},
    "峙": {"肆": 9},
    "乱": {"贰": 9},
    "直": {"贰": 8},
    "岩": {"肆": 7},
    "作": {"仟": 7},
    "灶": {"柒": 7},
    "汪": {"柒": 7},
    "数": {"柒": 6},
    "米": {"柒": 6},
    "他": {"仟": 5},
    "大": {"柒": 5},
    "律": {"肆": 5},
    "健": {"肆": 5},
    "哇": {"肆": 5},
    "拉": {"捌": 4},
    "振": {"肆": 4},
    "所": {"捌": 4},
    "未": {"柒": 4},
    "俩": {"佰": 4},
    "当": {"柒": 3},
    "臣": {"贰": 3},
    "壶": {"壹": 3},
}
AMOUNT_CHARS = "".join(sorted(set(CANONICAL) | set(CONFUSIONS) | set(LOOKALIKES)))
_NUMERAL_MARKERS = (
    set(_DIGITS[1:] + "拾佰仟")
    | {k for k, v in (CONFUSIONS | CANONICAL).items() if v in _DIGITS[1:] + "拾佰仟"}
    | {k for k, v in LOOKALIKES.items() if any(m in _DIGITS[1:] + "拾佰仟" for m in v)}
)
MAX_READINGS = 512  # combinations of ambiguous glyphs tried before giving up


@dataclass(frozen=True)
class Uppercase:
    """A parsed uppercase amount and how many characters had to be corrected."""

    value: Decimal
    corrections: int


def _choices(ch: str) -> list[str] | None:
    """The numerals a glyph may stand for, likeliest first; None for a glyph that is not one."""
    if ch in CANONICAL:
        return [CANONICAL[ch]]
    out: list[str] = []
    if ch in CONFUSIONS:
        out.append(CONFUSIONS[ch])
    seen = LOOKALIKES.get(ch, {})
    out += [m for m in sorted(seen, key=lambda m: -seen[m]) if m not in out]
    return out or None


def uppercase_readings(text: str) -> Iterator[tuple[str, int]]:
    """Canonical 大写 strings ``text`` may stand for, fewest unlikely choices first, each with
    the number of glyphs that were not canonical; nothing when a glyph is not a numeral."""
    options: list[list[str]] = []
    fixes = 0
    for ch in text.replace("人参", "参"):
        if ch.isspace():
            continue
        got = _choices(ch)
        if got is None:
            return
        fixes += ch not in CANONICAL
        options.append(got)
    if math.prod(len(o) for o in options) > MAX_READINGS:
        options = [o[:1] for o in options]
    combos = sorted(itertools.product(*(range(len(o)) for o in options)), key=lambda idx: sum(idx))
    for idx in combos:
        yield "".join(o[i] for o, i in zip(options, idx, strict=True)), fixes


def canonical_uppercase(text: str) -> tuple[str, int] | None:
    """Map OCR look-alikes and lower-case numerals to canonical 大写 (the likeliest meaning of
    each glyph); None for other text."""
    return next(uppercase_readings(text), None)


def parse_uppercase(text: str) -> Uppercase | None:
    """Read a Chinese uppercase amount such as "壹拾贰万叁仟元整" or "伍角"; None if malformed.

    The grammar is checked strictly (no two numerals without a unit between them, units in
    falling order inside a section) so that a misread rarely yields a plausible wrong number.
    """
    for s, fixes in uppercase_readings(text):
        parsed = _parse_canonical(s, fixes)
        if parsed is not None:
            return parsed
    return None


def _parse_canonical(s: str, fixes: int) -> Uppercase | None:
    s = s.rstrip("整")
    if not s or "整" in s:
        return None
    yuan_part, sep, frac_part = s.partition("元")
    if not sep and not re.fullmatch(
        r"零?[壹贰叁肆伍陆柒捌玖]角(零?[壹贰叁肆伍陆柒捌玖]分)?|"
        r"零?[壹贰叁肆伍陆柒捌玖]分",
        s,
    ):
        return None
    if not sep:
        yuan_part, frac_part = "", s
    integer = _parse_integer(yuan_part) if yuan_part else 0
    if integer is None:
        return None
    fen = _parse_fraction(frac_part)
    if fen is None:
        return None
    if not yuan_part and not frac_part:
        return None  # "元整" alone says nothing
    if integer == 0 and fen == 0 and yuan_part != "零":
        return None
    return Uppercase(Decimal(integer) + Decimal(fen) / 100, fixes)


def _parse_integer(s: str) -> int | None:
    total = 0
    section = 0
    digit: int | None = None
    last_unit = 10_000
    for ch in s:
        if ch in _DIGITS:
            d = _DIGITS.index(ch)
            if d == 0:
                if digit not in (None, 0):
                    return None  # "伍零" without a unit between
                digit = 0
                continue
            if digit not in (None, 0):
                return None
            digit = d
        elif ch in _UNITS:
            unit = _UNITS[ch]
            if unit >= last_unit or digit == 0:
                return None
            if digit is None:
                if section or total:
                    return None  # a bare "拾" only starts a number ("拾万" = 100 000)
                digit = 1
            section += digit * unit
            last_unit = unit
            digit = None
        elif ch in "万亿":
            scale = 10_000 if ch == "万" else 100_000_000
            part = section + (digit or 0)
            if part == 0 or (ch == "万" and total % 100_000_000 >= 10_000):
                return None
            total = total * 100_000_000 + part * scale if ch == "亿" else total + part * scale
            section, digit, last_unit = 0, None, 10_000
        else:
            return None
    return total + section + (digit or 0)


def _parse_fraction(s: str) -> int | None:
    if not s:
        return 0
    m = re.fullmatch(r"零?(?:([壹贰叁肆伍陆柒捌玖])角)?零?(?:([壹贰叁肆伍陆柒捌玖])分)?", s)
    if not m or not (m.group(1) or m.group(2)):
        return None
    jiao = _DIGITS.index(m.group(1)) if m.group(1) else 0
    fen = _DIGITS.index(m.group(2)) if m.group(2) else 0
    return jiao * 10 + fen


def to_uppercase(amount: Decimal | int | str, *, zheng: bool = True) -> str:
    """Write an amount in financial uppercase: 123000 → "壹拾贰万叁仟元整".

    Zeros follow the usual rules: one 零 for any run of zeros inside the number, none at the
    end of a section, 零 before 分 when there are yuan but no 角.
    """
    value = Decimal(str(amount)).quantize(Decimal("0.01"))
    if value < 0:
        raise ValueError("negative amounts have no uppercase form")
    fen_total = int(value * 100)
    integer, fen = divmod(fen_total, 100)
    jiao, fen = divmod(fen, 10)
    out = ""
    if integer:
        out = _integer_uppercase(integer) + "元"
    if jiao:
        out += _DIGITS[jiao] + "角"
    elif fen and integer:
        out += "零"
    if fen:
        out += _DIGITS[fen] + "分"
    if not out:
        return "零元整"
    if not fen and zheng:
        out += "整"
    return out


def _integer_uppercase(n: int) -> str:
    sections: list[int] = []
    while n:
        n, r = divmod(n, 10_000)
        sections.append(r)
    big = ["", "万", "亿", "万亿"]
    out = ""
    need_zero = False
    for i in range(len(sections) - 1, -1, -1):
        sec = sections[i]
        if sec == 0:
            need_zero = bool(out)
            continue
        if out and (need_zero or sec < 1000):
            out += "零"
        out += _section_uppercase(sec) + big[i]
        need_zero = False
    return out


def _section_uppercase(sec: int) -> str:
    out = ""
    zero = False
    for unit, name in ((1000, "仟"), (100, "佰"), (10, "拾"), (1, "")):
        d, sec = divmod(sec, unit)
        if d:
            if zero and out:
                out += "零"
            out += _DIGITS[d] + name
            zero = False
        else:
            zero = True
    return out


_ARABIC = re.compile(r"\d{1,3}(?:[,，]\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?")


def parse_arabic(text: str) -> Decimal | None:
    """Read "123,000.00", "123000" or "1,234.5"; None when the figure is malformed."""
    t = text.replace(" ", "").replace("，", ",")
    # A figure never starts with 0 and another digit: "01,420.00" is "¥501,420.00" whose ¥
    # and 5 were read as one glyph.
    if not _ARABIC.fullmatch(t) or re.match(r"0\d", t):
        return None
    return Decimal(t.replace(",", "")).quantize(Decimal("0.01"))


def format_amount(value: Decimal) -> str:
    """The canonical decimal string used in results: "123456.00"."""
    return f"{value.quantize(Decimal('0.01')):f}"


def has_numeral(text: str) -> bool:
    """True when ``text`` holds at least one uppercase numeral or unit (or a look-alike)."""
    return any(ch in _NUMERAL_MARKERS for ch in text)
