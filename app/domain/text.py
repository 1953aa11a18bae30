"""Unicode normalisation shared by validation, search and duplicate detection.

Chinese users type with full-width digits and punctuation, paste traditional characters from
Hong Kong or Taiwan partners and write the same company with or without its legal suffix. These
helpers fold all of that to one comparable form.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

_SPACES = re.compile(r"\s+")
# Runs of CJK ideographs (basic block plus extension A and compatibility ideographs).
CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
ALNUM_RUN = re.compile(r"[0-9a-z]+")

LEGAL_SUFFIXES = (
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "集团股份有限公司",
    "有限公司",
    "分公司",
    "集团",
    "公司",
    "coltd",
    "limited",
    "ltd",
    "inc",
    "corp",
    "co",
)

# Province, municipality and common city prefixes that people drop or add at will.
REGION_PREFIXES = tuple(
    sorted(
        [
            "北京市",
            "北京",
            "上海市",
            "上海",
            "天津市",
            "天津",
            "重庆市",
            "重庆",
            "河北省",
            "河北",
            "山西省",
            "山西",
            "辽宁省",
            "辽宁",
            "吉林省",
            "吉林",
            "黑龙江省",
            "黑龙江",
            "江苏省",
            "江苏",
            "浙江省",
            "浙江",
            "安徽省",
            "安徽",
            "福建省",
            "福建",
            "江西省",
            "江西",
            "山东省",
            "山东",
            "河南省",
            "河南",
            "湖北省",
            "湖北",
            "湖南省",
            "湖南",
            "广东省",
            "广东",
            "海南省",
            "海南",
            "四川省",
            "四川",
            "贵州省",
            "贵州",
            "云南省",
            "云南",
            "陕西省",
            "陕西",
            "甘肃省",
            "甘肃",
            "青海省",
            "青海",
            "台湾省",
            "台湾",
            "内蒙古自治区",
            "内蒙古",
            "广西壮族自治区",
            "广西",
            "西藏自治区",
            "西藏",
            "宁夏回族自治区",
            "宁夏",
            "新疆维吾尔自治区",
            "新疆",
            "香港",
            "澳门",
            "深圳市",
            "深圳",
            "广州市",
            "广州",
            "杭州市",
            "杭州",
            "南京市",
            "南京",
            "苏州市",
            "苏州",
            "宁波市",
            "宁波",
            "成都市",
            "成都",
            "武汉市",
            "武汉",
            "西安市",
            "西安",
            "厦门市",
            "厦门",
            "青岛市",
            "青岛",
            "东莞市",
            "东莞",
            "佛山市",
            "佛山",
            "无锡市",
            "无锡",
            "长沙市",
            "长沙",
            "郑州市",
            "郑州",
            "合肥市",
            "合肥",
            "济南市",
            "济南",
            "大连市",
            "大连",
            "沈阳市",
            "沈阳",
            "福州市",
            "福州",
            "昆明市",
            "昆明",
        ],
        key=len,
        reverse=True,
    )
)


def fold(text: str) -> str:
    """NFKC-fold (full-width → half-width, compatibility forms) and collapse white space."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def fold_key(text: str) -> str:
    """Case-folded :func:`fold`, for comparisons and the search index."""
    return fold(text).casefold()


@lru_cache(maxsize=1)
def _t2s() -> object:
    import opencc  # the pure-Python port: no native build needed on any platform

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _traditional_marks() -> frozenset[str]:
    """Every character that traditional → simplified conversion can change.

    A text with none of them converts to itself, so most names never reach the converter,
    which is slow for each name and slower still to load.
    """
    import opencc

    marks: set[str] = set()
    folder = Path(opencc.__file__).parent / "dictionary"
    for name in ("TSPhrases.txt", "TSCharacters.txt"):  # what the t2s configuration reads
        for line in (folder / name).read_text("utf-8").splitlines():
            key, _, values = line.partition("\t")
            for value in values.split():
                if len(value) == len(key):
                    marks.update(k for k, v in zip(key, value, strict=True) if k != v)
                else:
                    marks.update(key)
    return frozenset(marks)


def to_simplified(text: str) -> str:
    """Traditional → simplified Chinese characters; other text is returned unchanged."""
    if not CJK_RUN.search(text) or _traditional_marks().isdisjoint(text):
        return text
    return str(_t2s().convert(text))  # type: ignore[attr-defined]


def company_key(name: str) -> str:
    """A comparison key for company names (SPEC C1).

    "杭州某某科技股份有限公司", "杭州某某科技(集团)" and "某某科技" all give "某某科技".
    """
    key = to_simplified(fold_key(name))
    key = re.sub(r"[()（）\[\]【】]", " ", key)
    key = re.sub(r"[\s\W_]+", "", key)
    for _ in range(2):  # "…集团有限公司" style stacks of suffixes
        for suffix in LEGAL_SUFFIXES:
            if key.endswith(suffix) and len(key) > len(suffix) + 1:
                key = key[: -len(suffix)]
                break
    stripped = True
    while stripped:  # "浙江省杭州市…": province, then city
        stripped = False
        for prefix in REGION_PREFIXES:
            if key.startswith(prefix) and len(key) > len(prefix) + 1:
                key = key[len(prefix) :]
                stripped = True
                break
    return key


def same_company(a: str | None, b: str | None) -> bool:
    """Whether two company names (as typed or as read from paper) name the same company."""
    if not a or not b:
        return False
    ka, kb = company_key(a), company_key(b)
    if not ka or not kb:
        return False
    if ka == kb:
        return True
    # A read name may carry a stray character or miss a prefix the key does not strip.
    shorter, longer = sorted((ka, kb), key=len)
    return len(shorter) >= 4 and shorter in longer


@lru_cache(maxsize=65536)
def _word_pinyin(word: str) -> tuple[str, ...]:
    from pypinyin import lazy_pinyin

    return tuple(lazy_pinyin(word))


def _syllables(cjk_run: str) -> list[str]:
    # Segment into words first so phrases keep their reading (厦门 is "xia men", not
    # "sha men"), then convert word by word: names share most words, so the cache hits.
    from pypinyin.seg.mmseg import seg

    return [p for word in seg.cut(cjk_run) for p in _word_pinyin(word)]


@lru_cache(maxsize=8192)
def pinyin_keys(text: str) -> tuple[str, str]:
    """(sort key, initials) of a name: "轻鹿家居 Ltd" → ("qing lu jia ju ltd", "qljj")."""
    folded = fold_key(text)
    parts: list[str] = []
    initials: list[str] = []
    pos = 0
    for m in CJK_RUN.finditer(folded):
        if m.start() > pos and folded[pos : m.start()].strip():
            parts.append(folded[pos : m.start()].strip())
        syllables = _syllables(m.group())
        parts.extend(syllables)
        initials.extend(s[:1] for s in syllables)
        pos = m.end()
    if folded[pos:].strip():
        parts.append(folded[pos:].strip())
    return " ".join(parts), "".join(initials)


def pinyin_initials(text: str) -> str:
    """Lower-case pinyin initials of the CJK characters in ``text`` ("轻鹿家居" → "qljj")."""
    return pinyin_keys(text)[1]


def pinyin_sort_key(text: str) -> str:
    """Key that sorts Chinese names by pinyin and Latin names alphabetically."""
    return pinyin_keys(text)[0]


def load_tables() -> None:
    """Load the pinyin and character-conversion tables now rather than on first use.

    The pinyin segmenter builds its phrase index on first use, which takes a noticeable
    moment; the server does this on a spare thread at start-up, so that no user's push
    waits for it.
    """
    pinyin_sort_key("张伟")
    _traditional_marks()
