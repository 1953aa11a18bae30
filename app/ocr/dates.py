"""Dates as contracts write them: 2026年3月5日, 2026-03-05, 2026.03.05, 二〇二六年三月五日.

OCR adds spaces inside dates ("2026 年 3 月 5 日") and reads 〇 as O or 0; both are tolerated.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_CN_DIGIT = {
    "〇": 0,
    "○": 0,
    "零": 0,
    "O": 0,
    "o": 0,
    "0": 0,
    "@": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "壹": 1,
    "贰": 2,
    "叁": 3,
    "肆": 4,
    "伍": 5,
    "陆": 6,
    "柒": 7,
    "捌": 8,
    "玖": 9,
}
_CN = "〇○零Oo0@一二三四五六七八九十壹贰叁肆伍陆柒捌玖拾"
_SP = r"[\s]*"

# One alternation per written form; every branch names its groups y/m/d with a suffix.
DATE_PATTERN = re.compile(
    rf"(?P<y1>(?:19|20)\d{{2}}){_SP}年{_SP}(?P<m1>\d{{1,2}}){_SP}月{_SP}(?P<d1>\d{{1,2}}){_SP}[日号]"
    rf"|(?<!\d)(?P<y2>(?:19|20)\d{{2}})(?P<sep>[-/.．。]){_SP}(?P<m2>\d{{1,2}}){_SP}(?P=sep)"
    rf"{_SP}(?P<d2>\d{{1,2}})(?!\d)"
    rf"|(?P<y3>(?:[{_CN}]{_SP}){{3}}[{_CN}]){_SP}年{_SP}(?P<m3>[{_CN}]{{1,3}}){_SP}月{_SP}(?P<d3>[{_CN}]{{1,3}})"
    rf"{_SP}[日号]"
)


@dataclass(frozen=True)
class FoundDate:
    """A date found in text, with where it sits (character offsets)."""

    value: dt.date
    start: int
    end: int


def _cn_number(text: str) -> int | None:
    """ "十五" → 15, "二十一" → 21, "三十" → 30, "五" → 5; None when it is not a small number."""
    t = text.replace("拾", "十")
    if "十" in t:
        tens_s, _, ones_s = t.partition("十")
        tens = _CN_DIGIT.get(tens_s, -1) if tens_s else 1
        ones = _CN_DIGIT.get(ones_s, -1) if ones_s else 0
        if tens < 0 or ones < 0 or len(tens_s) > 1 or len(ones_s) > 1:
            return None
        return tens * 10 + ones
    if len(t) == 1 and t in _CN_DIGIT:
        return _CN_DIGIT[t]
    return None


def _cn_year(text: str) -> int | None:
    digits = [_CN_DIGIT.get(c) for c in text if not c.isspace()]
    if any(d is None for d in digits):
        return None
    return int("".join(str(d) for d in digits))


def _make(y: int | None, m: int | None, d: int | None) -> dt.date | None:
    if y is None or m is None or d is None or not 1900 <= y <= 2199:
        return None
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def find_dates(text: str) -> list[FoundDate]:
    """Every valid date in ``text``, in order of appearance."""
    found: list[FoundDate] = []
    # OCR reads one 〇 as two glyphs ("二@ 〇二六"); the duplicate is blanked to a space so
    # that offsets into ``text`` stay valid.
    text = re.sub(r"(?<=[一二])[@Oo○]+(?=\s*〇)", lambda m: " " * len(m.group(0)), text)
    for m in DATE_PATTERN.finditer(text):
        if m.group("y1"):
            date = _make(int(m.group("y1")), int(m.group("m1")), int(m.group("d1")))
        elif m.group("y2"):
            date = _make(int(m.group("y2")), int(m.group("m2")), int(m.group("d2")))
        else:
            date = _make(
                _cn_year(m.group("y3")), _cn_number(m.group("m3")), _cn_number(m.group("d3"))
            )
        if date is not None:
            found.append(FoundDate(date, m.start(), m.end()))
    return found


def parse_date(text: str) -> dt.date | None:
    """The first date in ``text`` or None."""
    dates = find_dates(text)
    return dates[0].value if dates else None
