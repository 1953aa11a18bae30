"""Business-card fields from OCR words (SPEC O1).

Values are recognised by their own shape first (an e-mail looks like an e-mail whatever its
label says, a number starting 13–19 with 11 digits is a mobile) and by labels second: labels
are short and often misread ("邮箱" came back as "B¥8"), so they only settle what the shape
cannot: a landline labelled 传真/Fax is not the phone, a WeChat id is whatever follows 微信.
Name, title and company have no shape; they are chosen by vocabulary (surnames, job words,
legal suffixes) and by type size: the name is the biggest line that reads as a name.

The words come in the lines :mod:`app.ocr.lines` found, each word as tall as its line's ink.
OCR slips that a closed vocabulary can catch are mended here: Latin ids against pinyin
(:mod:`app.ocr.pinyin`), provinces, cities and districts against a list (:mod:`app.ocr.places`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.domain.text import fold
from app.domain.validators import (
    normalize_landline,
    normalize_mobile,
    validate_email,
    validate_url,
)
from app.ocr.layout import Segment, is_cjk, segments, tidy
from app.ocr.pinyin import SURNAMES_BY_PINYIN, SYLLABLES, is_pinyin, mend_pinyin, surname_syllables
from app.ocr.places import mend_address
from app.ocr.results import CARD_FIELDS, Box, Fields, FieldValue, Word

# Label spellings, folded (full-width colon → ":"). Single letters need a colon after them.
_LABELS: tuple[tuple[str, str], ...] = (
    ("wechat", r"微信号?|WeChat|Wechat|WECHAT|WX|V信"),
    ("mobile", r"手机号?码?|移动电话|Mobi[l1]e|MOBILE|Mob|Cell|M(?=\s*[:;.])"),
    ("fax", r"传真|Fax|FAX|F(?=\s*[:;.])"),
    ("phone", r"电话|座机|固话|办公电话|Te[l1]|TEL|Phone|PHONE|Office|T(?=\s*[:;.])"),
    ("email", r"电子邮箱|邮箱|电邮|邮件|E-?[Mm]ai[l1]|EMAIL|Mail|E(?=\s*[:;.])"),
    ("website", r"网址|网站|主页|Website|Web|WEB|URL|Http|W(?=\s*[:;.])"),
    ("address", r"地址|Address|ADDRESS|Addr|Add|ADD|Ad[ao]|A(?=\s*[:;.])"),
)
_LABEL_RE = re.compile(
    r"(?:^|(?<=[\s\d|｜]))(?:" + "|".join(f"(?P<{k}>{p})" for k, p in _LABELS) + r")\s*[:;.]?\s*"
)
_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,10}")
_TLD = r"(?:com\.cn|net\.cn|org\.cn|gov\.cn|com|cn|net|org|biz|info|co|io|cc|top|tech|vip)"
_URL_RE = re.compile(
    r"(?:https?://)?(?:www\.)?[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    rf"(?:\.[A-Za-z0-9-]+)*\.{_TLD}(?![A-Za-z0-9])(?:/[\w./-]*)?",
    re.IGNORECASE,
)
_WECHAT_RE = re.compile(r"[A-Za-z0-9][-_A-Za-z0-9]{4,24}")
_PHONE_CHARS = re.compile(r"[+(（]?[0-9OoIl|][0-9OoIl|()（）\s.+-]{5,}[0-9OoIl|]")

SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚"
    "邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳"
    "甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解"
    "牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边"
    "卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
COMPOUND_SURNAMES = (
    "欧阳",
    "司马",
    "上官",
    "诸葛",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "令狐",
    "司徒",
    "夏侯",
    "端木",
    "长孙",
    "宇文",
)
_TITLE_WORDS = re.compile(
    r"经理|总监|主管|总裁|董事|主任|工程师|专员|顾问|代表|总经理|合伙人|创始人|会计|设计师|助理|"
    r"秘书|部长|厂长|店长|院长|教授|律师|主席|总工|总经办|负责人|销售|采购|架构师|执行官|首席|"
    r"CEO|CTO|CFO|COO|"
    r"\b(?:Manager|Director|Engineer|Sales|President|Consultant|Officer|Head|Lead|Specialist|"
    r"Supervisor|Executive|Representative|Partner|Founder|Assistant|Chairman|Architect)\b",
    re.IGNORECASE,
)
_COMPANY_CJK = re.compile(
    r"股份有限公司|有限责任公司|有限公司|集团|公司|事务所|研究院|研究所|工作室|商行|银行|厂$"
)
_COMPANY_EN = re.compile(
    r"\b(?:Co\.?,?\s*Ltd\.?|Co\.|Ltd\.?|Limited|Inc\.?|Corporation|Corp\.?|Group|LLC|GmbH|"
    r"Company|Technology|Technologies)\b",
    re.IGNORECASE,
)
_LEGAL_EN_END = re.compile(r"\b(?:Co\.?,?\s*Ltd|Ltd|Limited|Inc|Corp|LLC|GmbH)\W*$", re.IGNORECASE)
# What follows a Chinese label before the value: its English twin and a separator bar
# ("微信 WeChat | id", "电话Tel+86…"), or the bar alone.
_EN_LABEL_AFTER = re.compile(
    r"^(?:(?:WeChat|Wechat|WECHAT|Mobi[l1]e|Mob|Te[l1]|Phone|Fax|E-?mai[l1]|Web(?:site)?|"
    r"Add(?:ress)?)\b\s*[:：]?\s*)?[|｜丨]?\s*"
)
_MAIL_HOSTS = r"(?:qq|foxmail|163|126|sina|sohu|gmail|outlook|hotmail|yahoo|aliyun)\.com(?:\.cn)?"
# Mailbox names that are English words ending in o, not a name and a 0 ("info126").
_O_WORDS = frozenset({"info", "hello", "demo", "photo", "video", "studio", "expo", "logo", "pro"})
_JUNK = re.compile(r"[^\u3400-\u9fffA-Za-z]")
_ADDRESS_CJK = re.compile(r"[省市区县镇乡村路街道巷弄号楼室座层栋园厦场]")
_ADDRESS_EN = re.compile(
    r"\b(?:Road|Rd|Street|St|Avenue|Ave|Room|Rm|No|Floor|Fl|Building|Bldg|District|"
    r"Province|China|Park|Tower|Block|Suite)\b\.?",
    re.IGNORECASE,
)


@dataclass
class _Piece:
    """A labelled or unlabelled part of a segment."""

    seg: Segment
    label: str | None
    text: str


def _pieces(seg: Segment) -> list[_Piece]:
    text = seg.text
    matches = list(_LABEL_RE.finditer(text))
    if not matches:
        return [_Piece(seg, None, text)]
    out: list[_Piece] = []
    head = text[: matches[0].start()].strip()
    if len(matches) == 1 and head and not text[matches[0].end() :].strip():
        # The label after its value ("Masiyao05 微信", "138 1234 5678 手机").
        label = next(k for k, v in matches[0].groupdict().items() if v)
        return [_Piece(seg, label, head)]
    if matches[0].start() > 0 and head:
        out.append(_Piece(seg, None, head))
    for m, nxt in zip(matches, [*matches[1:], None], strict=True):
        label = next(k for k, v in m.groupdict().items() if v)
        end = nxt.start() if nxt else len(text)
        out.append(_Piece(seg, label, _EN_LABEL_AFTER.sub("", text[m.end() : end].strip())))
    return out


def _fv(value: str, conf: float, seg: Segment | None, factor: float = 1.0) -> FieldValue:
    box = seg.box if seg else None
    return FieldValue(value, max(0.0, min(1.0, conf * factor)), box, seg.page if seg else 0)


def _fix_digits(text: str) -> str:
    """Letters OCR puts in place of digits inside a number."""

    def fix(m: re.Match[str]) -> str:
        return m.group(0).translate(str.maketrans("OoIl|", "00111"))

    return _PHONE_CHARS.sub(fix, text)


@dataclass
class _Phone:
    kind: str  # "mobile" or "landline"
    value: str
    piece: _Piece


_PHONE_SPAN = re.compile(
    r"(?:[(（]\s*)?(?P<intl>\+\s*86|0086)?(?:\s*[)）])?[\s-]*[(（]?\s*\d[\d\s()（）.-]{5,}\d"
    r"(?:\s*[^\w\s]{0,2}\s*(?:转|ext\.?|x|#|分机)\s*[^\w\s]{0,2}\s*(?P<ext>\d{1,5}))?",
    re.IGNORECASE,
)


def _phones(piece: _Piece) -> list[_Phone]:
    """Mobiles and landlines in a piece of text, normalised by the domain validators."""
    text = _fix_digits(piece.text).replace("=", "-")
    # Quote marks and commas that specks between digit groups were read as.
    text = re.sub(r"(?<=[\d\s-])[“”‘’'\"`,，](?=[\s\d])", "", text)
    # A colon between figures is a gap between digit groups ("7867:2513"), never a label.
    text = re.sub(r"(?<=\d)\s*[:：]\s*(?=\d)", " ", text)
    found: list[_Phone] = []
    for m in _PHONE_SPAN.finditer(text):
        span = m.group(0)
        ext = m.group("ext") or ""
        body = span[: m.start("ext") - m.start()] if ext else span
        groups = re.findall(r"\d+", body)
        if m.group("intl"):
            # The country code is a group of its own, or glued to the number ("+8613912345678").
            groups = groups[1:] if groups[0] == "86" else [groups[0][2:], *groups[1:]]
            groups = [g for g in groups if g]
            if not groups:
                continue
        digits = "".join(groups)
        if m.group("intl") and not normalize_mobile(digits) and not digits.startswith("0"):
            digits = "0" + digits  # +86 10 5571 5021: the area code loses its 0
        elif digits.startswith("00") and not m.group("intl"):
            digits = digits[1:]  # a speck before the area code read as O
        if digits.startswith("10") and normalize_landline(digits[1:3] + "-" + digits[3:]):
            digits = digits[1:]  # the bar after a label read as a 1 ("电话107693426315")
        mobile = normalize_mobile(digits)
        if mobile:
            found.append(_Phone("mobile", mobile, piece))
            continue
        if not digits.startswith("0"):
            continue
        area_len = 3 if digits[1:2] in ("1", "2") else 4
        area, local = digits[:area_len], digits[area_len:]
        if not ext and len(local) > 8 and len(groups) > 1:
            # "0571-88889999-801": a short last group after a full number is an extension.
            last = groups[-1]
            if len(local) - len(last) in (7, 8) and len(last) <= 5:
                local, ext = local[: -len(last)], last
        landline = normalize_landline(f"{area}-{local}" + (f" 转 {ext}" if ext else ""))
        if landline:
            found.append(_Phone("landline", landline, piece))
    return found


def _latin_id(text: str) -> str:
    """Latin ids with the Latin model's slips mended: a bar for l (or beside an l, extra),
    pinyin syllables broken by one misread letter."""
    t = re.sub(r"\|(?=[l1I])|(?<=[l1I])\|", "", text)
    t = re.sub(r"(?<=[a-z])I|I(?=[a-z])", "l", t)  # capital I inside a lower-case id is an l
    # A word starts with a letter: 1 before letters is an l ("1etu" is letu); 0 between
    # lower-case letters is an o.
    for _ in range(2):  # "1i1y": each 1 settled leaves the next one between letters
        t = re.sub(r"(?<![A-Za-z0-9])1(?=[a-z]{2})|(?<=[a-z])1(?=[a-z])", "l", t)
    t = re.sub(r"(?<=[a-z])0(?=[a-z])", "o", t)
    t = re.sub(r"\b[Ww]{4,}\.|\bWww\.", "www.", t)
    # One letter read twice in two cases ("WxX", "Ssales") is one letter.
    out: list[str] = []
    for ch in t:
        if out and ch != out[-1] and ch.lower() == out[-1].lower() and ch.isalpha():
            if ch.islower():
                out[-1] = ch
            continue
        out.append(ch)
    t = "".join(out)
    t = re.sub(r"(?<=[A-Za-z.])\|(?=[A-Za-z])", "l", t)
    return mend_pinyin(t)


def _wechat_text(text: str) -> str:
    """A WeChat id as printed: OCR drops the underscore ("wx _li" / "wx li") and reads 1 as l."""
    # A comma inside an id is a speck: ids have letters, figures, _ and - only.
    t = re.sub(r"(?<=[A-Za-z0-9])[,，](?=[A-Za-z0-9])", "", text.strip())
    t = re.sub(r"\s*_\s*", "_", _latin_id(t))
    t = re.sub(r"(?<=[A-Za-z0-9])\s+(?=[A-Za-z0-9])", "_", t)
    # A label's colon read as a letter or digit and glued on: "t_wanfeng45", "1_ruifeng".
    t = re.sub(r"^[^A-Za-z0-9]*[A-Za-z0-9]_(?=[A-Za-z0-9]{4})", "", t)
    return _digits_after_letters(t)


def _digits_after_letters(text: str) -> str:
    """Ids end in figures ("hanbo1998", "jiamin1984"); a glyph between the letters and the
    figures that can be a letter or a digit (o/0, l/1, i/1) is settled by pinyin: it is a
    letter when it ends a pinyin syllable, else a digit when the letters are pinyin without
    it."""

    def settle(m: re.Match[str]) -> str:
        if m.group(4) is not None:  # read as a figure: o or l when pinyin says so
            letters, read, figures = m.group(4), m.group(5), m.group(6)
            letter = "o" if read == "0" else "l"
            word = (letters + letter).lower()
            # An initial or two may come first ("dqiao28": d + qiao); ids end in two or four
            # figures, so a glyph that leaves three or five of them is rather a letter.
            spelled = any(is_pinyin(word[k:]) for k in range(min(3, len(letters))))
            # An English name before a pinyin one ("danielqia087": daniel + qiao): the
            # letters' last syllable, of three letters or more, spelled with the glyph.
            spelled = spelled or (
                letter == "o" and any(word[k:] in SYLLABLES for k in range(3, len(word) - 2))
            )
            odd = len(figures) in (2, 4) and not is_pinyin(letters.lower())
            if spelled and (odd or len(figures) + 1 in (3, 5)):
                return letters + letter + figures
            return m.group(0)
        letters, glyph, figures = m.group(1), m.group(2), m.group(3)
        digit = "0" if glyph in "Oo" else "1"
        year = re.fullmatch(r"(?:19|20)\d\d", figures)
        if digit == "1" and year and not is_pinyin((letters + glyph).lower()):
            return letters + figures  # a speck before a year ("jianjunl1984")
        if digit == "1" and re.fullmatch(r"9\d\d", figures):
            return letters + digit + figures  # a year of birth: "jiamini984" is jiamin1984
        if (letters + glyph).lower() in _O_WORDS:
            return m.group(0)
        # An initial or two may come first here too ("hxiao197": h + xiao).
        spelled_with = (letters + glyph).lower()
        with_glyph = any(is_pinyin(spelled_with[k:]) for k in range(min(3, len(letters) + 1)))
        without = is_pinyin(letters.lower())
        if with_glyph:
            return m.group(0)
        if without:
            return letters + digit + figures
        # Neither: an o before a year is a letter, l/I/| next to figures a 1.
        if glyph in "Oo" and re.fullmatch(r"(?:19|20)\d\d", figures):
            return m.group(0)
        return letters + digit + figures

    t = re.sub(r"([A-Za-z]*)([OoIil|])(\d+)|([A-Za-z]+)([01])(\d+)", settle, text)
    return re.sub(r"(?<=\d)[lI|]|(?<=\d)[Oo]", lambda m: "1" if m.group(0) in "lI|" else "0", t)


def known_surname(name: str) -> bool:
    """True when ``name`` starts with one of the common (or compound) Chinese surnames."""
    return name[:2] in COMPOUND_SURNAMES or name[:1] in SURNAMES


def _name_in(text: str) -> str | None:
    t = re.sub(r"\s+", "", text)
    if not 2 <= len(t) <= 4 or not all(is_cjk(c) for c in t):
        return None
    return t if known_surname(t) else None


_NOT_NAME = re.compile(r"[省市区县路街道号室楼层座]")


def chinese_name(text: str) -> str | None:
    """The 2–4 hanzi of a line that could be a Chinese name (OCR specks ignored), or None."""
    hanzi = "".join(c for c in text if is_cjk(c))
    latin = sum(c.isascii() and c.isalnum() for c in text)
    if not 2 <= len(hanzi) <= 4 or latin > 1:
        return None
    if _TITLE_WORDS.search(hanzi) or _COMPANY_CJK.search(hanzi) or _NOT_NAME.search(hanzi[1:]):
        return None
    return hanzi


def _english_name(text: str) -> bool:
    words = text.split()
    return (
        2 <= len(words) <= 3
        and all(re.fullmatch(r"[A-Z][a-z]+|[A-Z]{2,}", w) for w in words)
        and not _TITLE_WORDS.search(text)
        and not _COMPANY_EN.search(text)
        and not _ADDRESS_EN.search(text)
    )


def extract_card_fields(words: list[Word]) -> Fields:
    """Pick the card fields out of Tesseract's words (boxes are used for sizes and lines)."""
    # Words come in lines already cut at column gaps; Tesseract's word boxes are too rough
    # to cut them again except at very wide gaps.
    segs = segments(words, gap_factor=6.0)
    fields: Fields = dict.fromkeys(CARD_FIELDS)
    used: set[int] = set()  # ids of segments that hold a contact value
    pieces = [p for s in segs for p in _pieces(s)]

    # E-mail and web address, by shape.
    for p in pieces:
        compact = _latin_id(re.sub(r"\s*([@.])\s*", r"\1", p.text))
        # Specks beside a dot read as a comma or a second dot ("126,.com", "wanxiang..cn").
        compact = re.sub(r"[,，]*\.[.,，]*", ".", compact)
        # In an e-mail name, 1 between letters is an l and l after figures a 1.
        compact = re.sub(r"(?<=[a-z])1(?=[a-z])", "l", compact)
        compact = re.sub(r"(?<=\d)[lI](?=[\d@])", "1", compact)
        # A gap read inside the domain ("david@de yuan.com"), a 7 read as a slash before the
        # figures that end an e-mail name ("qiangangyi/9@").
        compact = re.sub(r"(?<=@)([a-z0-9-]+) (?=[a-z0-9-]+\.[a-z])", r"\1", compact)
        compact = re.sub(r"(?<=[a-z0-9])/(?=\d*@)", "7", compact)
        # The label read glued to the address, its colon lost ("Emailjiancheng.zhong@…"):
        # capitalised as labels are, where a name that starts with "email" is lower-case.
        compact = re.sub(
            r"(?<![\w.%+-])(?:E-?[Mm]ai[l1]|EMAIL)[:：.]?(?=[a-z0-9._%+-]+@)", "", compact
        )
        if "@" not in compact and p.label == "email":
            compact = re.sub(r"[©®]", "@", compact)
        if "@" not in compact and p.label == "email":
            # The @ read as o or a before a public mail host ("hxiao197ofoxmail.com").
            compact = re.sub(r"mai1\.", "mail.", compact)
            compact = re.sub(rf"(?<=[a-z0-9])[oa@]({_MAIL_HOSTS})$", r"@\1", compact)
        # A glyph between the letters and the figures that end the name, as in WeChat ids
        # (after the @ is put back: "hxiaol97ofoxmail.com" is hxiao197@foxmail.com).
        compact = re.sub(r"[\w.-]+(?=@)", lambda m: _digits_after_letters(m.group(0)), compact)
        m = _EMAIL_RE.search(compact)
        if m and fields["email"] is None:
            checked = validate_email(m.group(0).strip("."))
            if checked.ok:
                fields["email"] = _fv(checked.value, p.seg.confidence, p.seg)
                used.add(id(p.seg))
                continue
        if m:
            continue
        # An English label glued on after a Chinese one ("网址 Webwww.x.cn").
        compact = re.sub(r"(?i)\b(?:web(?:site)?|url|w)[:：]?\s*(?=www\.)", "", compact)
        for u in _URL_RE.finditer(compact):
            if fields["website"] is not None:
                break
            value = u.group(0)
            bare = value == compact.strip()
            if not (p.label == "website" or bare or value.lower().startswith(("www.", "http"))):
                continue
            checked = validate_url(value)
            if checked.ok:
                fields["website"] = _fv(checked.value.lower(), p.seg.confidence, p.seg)
                used.add(id(p.seg))

    # Phones by shape; the label only rules out fax and tells a WeChat id.
    for p in pieces:
        if p.label == "wechat":
            value_seg = p.seg if p.text else _value_after(p.seg, segs)
            text = p.text or (value_seg.text if value_seg else "")
            m = _WECHAT_RE.search(_wechat_text(text))
            if m and value_seg is not None and fields["wechat"] is None:
                fields["wechat"] = _fv(m.group(0), value_seg.confidence, value_seg)
                used.add(id(p.seg))
            continue
        if p.label in ("email", "website", "address"):
            continue
        for ph in _phones(p):
            used.add(id(p.seg))
            if ph.kind == "mobile" and fields["mobile"] is None:
                fields["mobile"] = _fv(ph.value, p.seg.confidence, p.seg)
            elif ph.kind == "landline" and p.label != "fax" and fields["phone"] is None:
                fields["phone"] = _fv(
                    ph.value, p.seg.confidence, p.seg, 1.0 if p.label in ("phone", None) else 0.8
                )

    # Address: the labelled piece or the line that reads like one, plus wrapped lines.
    fields["address"] = _address(pieces, segs, used)

    free = [s for s in segs if id(s) not in used]
    fields["company"] = _company(free)
    company = fields["company"]
    if company is not None:
        used.update(id(s) for s in free if company.box is not None and _inside(s.box, company.box))
        # The brand set large as a logo is part of the company's name, not a person's.
        brand = re.sub(r"\W", "", company.value)
        used.update(
            id(s) for s in free if len(t := tidy(s.text)) >= 2 and t in brand and t != brand
        )
    free = [s for s in segs if id(s) not in used]
    name, title = _name_and_title(free)
    if name is not None and not known_surname(name.value):
        name = _surname_from_pinyin(name, name_hints(fields, free))
    fields["name"], fields["title"] = name, title
    return grade(fields)


# A value below this is highlighted for checking (the capture dialog's threshold).
DOUBT = 0.7
_AMBIGUOUS_EDGE = re.compile(r"[a-z][01oil]\d|[a-z]\d*[01][a-z]|\d[oil][a-z]?\d", re.IGNORECASE)


def _doubt(fv: FieldValue | None, limit: float = DOUBT) -> FieldValue | None:
    if fv is None or fv.confidence <= limit:
        return fv
    return FieldValue(fv.value, limit, fv.box, fv.page)


def _domain(value: str) -> str:
    host = value.split("@")[-1].lower()
    host = re.sub(r"^(?:https?://)?(?:www\.)?", "", host).split("/")[0]
    return host


def _brand_spelled(company: str, host: str) -> bool:
    """Whether two hanzi next to each other in ``company`` are spelled in ``host``."""
    from pypinyin import lazy_pinyin

    letters = re.sub(r"[^a-z]", "", host.split(".")[0])
    hanzi = [c for c in company if is_cjk(c)]
    sounds = lazy_pinyin(hanzi)
    return any(sounds[k] + sounds[k + 1] in letters for k in range(len(sounds) - 1))


def grade(fields: Fields) -> Fields:
    """Lower the confidence of values their own grammar or the other fields put in doubt, so
    that they are highlighted: ids whose letters and figures meet at a glyph OCR confuses
    (o/0, l/1/i), an e-mail domain that is not the website's, a Chinese company whose name
    the website or e-mail domain does not spell."""
    out = dict(fields)
    for key in ("email", "wechat"):
        fv = out[key]
        if fv is not None and _AMBIGUOUS_EDGE.search(fv.value.split("@")[0]):
            out[key] = _doubt(fv, 0.75)
    email, web, company = out["email"], out["website"], out["company"]
    hosts = [
        _domain(v.value)
        for v in (web, email)
        if v is not None and not re.search(_MAIL_HOSTS + "$", _domain(v.value))
    ]
    apart = len(hosts) == 2 and not (hosts[0].endswith(hosts[1]) or hosts[1].endswith(hosts[0]))
    if web is not None and email is not None and apart:
        out["email"], out["website"] = _doubt(email), _doubt(web)
    chinese = company is not None and sum(is_cjk(c) for c in company.value) >= 4
    spelled = company is not None and any(_brand_spelled(company.value, h) for h in hosts)
    if company is not None and chinese and hosts and not spelled:
        out["company"] = _doubt(company)
    return out


def _inside(inner: Box, outer: Box) -> bool:
    return (
        inner.left >= outer.left
        and inner.top >= outer.top
        and inner.right <= outer.right
        and inner.bottom <= outer.bottom
    )


def name_hints(fields: Fields, segs: list[Segment]) -> list[str]:
    """Latin texts on a card that may spell its holder's name: the e-mail name, the WeChat
    id and English names among ``segs``."""
    hints = [v.value.split("@")[0] for v in (fields["email"], fields["wechat"]) if v]
    return hints + [s.text for s in segs if _english_name(s.text)]


def _surname_from_pinyin(name: FieldValue, hints: list[str]) -> FieldValue:
    """``name`` with a misread surname put right from the pinyin the card spells it in.

    Chinese cards spell the name again in an e-mail or WeChat id ("xuexuelei",
    "haipeng.qiu") or an English name ("Leo Cui"). When those agree on one surname syllable
    and the read first glyph is no known surname, the commonest surname of that spelling
    replaces it (at a confidence that asks for a look).
    """
    if not 2 <= len(name.value) <= 4 or not all(is_cjk(c) for c in name.value):
        return name
    syllables = set().union(*(surname_syllables(h, len(name.value)) for h in hints))
    options = [SURNAMES_BY_PINYIN[s][0] for s in syllables if s in SURNAMES_BY_PINYIN]
    if len(options) != 1:
        return name  # no spelling, or several that disagree
    return FieldValue(options[0] + name.value[1:], min(name.confidence, 0.6), name.box, name.page)


def _value_after(label: Segment, segs: list[Segment]) -> Segment | None:
    """The value of a label that stands alone: the unlabelled segment just right of it on
    its line, else the one just below it."""
    h = max(1.0, label.height)
    b = label.box
    for s in segs:
        o = s.box
        if s is label or s.page != label.page or _LABEL_RE.match(s.text):
            continue
        same_line = abs((o.top + o.bottom) - (b.top + b.bottom)) < h
        if same_line and 0 <= o.left - b.right < 4 * h:
            return s
    below = [
        s
        for s in segs
        if s.page == label.page
        and 0 <= s.box.top - b.bottom < 1.5 * h
        and abs(s.box.left - b.left) < 2 * h
        and not _LABEL_RE.match(s.text)
    ]
    return min(below, key=lambda s: s.box.top) if below else None


def _address_score(text: str) -> float:
    cjk = sum(1 for c in text if is_cjk(c))
    if cjk >= 4:
        markers = len(_ADDRESS_CJK.findall(text))
        has_number = bool(re.search(r"\d+号|\d+室|\d+楼|\d+层", text))
        return markers / 3 + (1.0 if has_number else 0.0)
    return len(_ADDRESS_EN.findall(text)) / 2 + (0.5 if re.search(r"\d", text) else 0)


def _address(pieces: list[_Piece], segs: list[Segment], used: set[int]) -> FieldValue | None:
    start: _Piece | None = next((p for p in pieces if p.label == "address" and p.text), None)
    if start is None:
        candidates = [
            p
            for p in pieces
            if p.label is None and id(p.seg) not in used and not _COMPANY_CJK.search(p.text)
        ]
        scored = [(s, p) for p in candidates if (s := _address_score(p.text)) >= 2.0]
        if not scored:
            return None
        start = max(scored, key=lambda sp: sp[0])[1]
    parts = [start.text]
    seg = start.seg
    used.add(id(seg))
    confs = [seg.confidence]
    box = seg.box
    # Follow the wrap: the next line just below, starting under the value, unlabelled.
    value_left = seg.box.left if start.label is None else _value_left(seg, start.text)
    for _ in range(3):
        below = [
            s
            for s in segs
            if id(s) not in used
            and s.page == seg.page
            and 0 <= s.box.top - seg.box.bottom < 1.2 * seg.height
            # Under the value, or under the label it followed.
            and seg.box.left - 1.5 * seg.height <= s.box.left <= value_left + 3 * seg.height
            and 0.7 < s.height / max(1.0, seg.height) < 1.4
        ]
        if not below:
            break
        nxt = min(below, key=lambda s: s.box.top)
        if (
            _LABEL_RE.match(nxt.text)
            or "@" in nxt.text
            or _URL_RE.search(nxt.text)
            or _COMPANY_CJK.search(nxt.text)
            or _TITLE_WORDS.search(nxt.text)
            or re.search(r"\d{7,}", nxt.text.replace(" ", "").replace("-", ""))
        ):
            break
        parts.append(nxt.text)
        used.add(id(nxt))
        confs.append(nxt.confidence)
        box = box.union(nxt.box)
        seg = nxt
    chinese = sum(is_cjk(c) for c in "".join(parts)) >= 4
    # A Chinese address wraps anywhere, even inside a number; an English one at a space.
    joined = ("" if chinese else " ").join(p.strip() for p in parts)
    value = clean_address(joined, chinese)
    if len(value) < 4:
        return None
    conf = sum(confs) / len(confs) * (1.0 if start.label else 0.85)
    return FieldValue(value, min(1.0, conf), box, start.seg.page)


def clean_address(text: str, chinese: bool) -> str:
    """An address without OCR specks: in a Chinese one, stray marks and Latin letters that
    are not a building or block letter (A座, B栋) are dropped."""
    t = tidy(text)
    if not chinese:
        t = re.sub(r"^[^A-Za-z0-9]+", "", t)
        t = re.sub(r"\bNo[,:]\s", "No. ", t)
        # A recogniser that reads a line whole drops the narrow spaces after , and No.
        t = re.sub(r"\bNo\.(?=\d)", "No. ", t)
        t = re.sub(r",(?=[A-Za-z0-9])", ", ", t)
        t = re.sub(r"\bChin[a-z]?\.?$", "China", t.strip(" ,，;|"))
        return re.sub(r"\s+", " ", t)
    label = re.match(r"^.{0,6}?(?:地址|[A-Za-z]{1,8})\s*[:;]", t)
    if label and sum(is_cjk(c) for c in t[label.end() :]) >= 4:
        t = t[label.end() :]
    t = t[next((i for i, c in enumerate(t) if is_cjk(c)), 0) :].lstrip("丨丿亅")
    t = re.sub(r"[\s|;:'\"`~^_!?,，。、‘’“”{}\[\]<>]+", "", t)
    t = re.sub(r"[A-Za-z](?![A-Za-z]*[座栋幢区号楼单元\d-])", "", t)
    return mend_address(t)


def _value_left(seg: Segment, value: str) -> int:
    """Left edge of the first word that belongs to the value (after the label)."""
    head = value[:1]
    for w in seg.words:
        text = fold(w.text)
        if head and head in text:
            # A recogniser that reads a line as one word puts the label in it too: the value
            # starts as far in as the text before it is long.
            at = text.find(value[:4]) if value[:4] in text else text.find(head)
            return w.box.left + round(w.box.width * at / max(1, len(text)))
    return seg.box.left


def _last_suffix(text: str) -> re.Match[str] | None:
    matches = list(_COMPANY_CJK.finditer(text))
    return matches[-1] if matches else None


# The long legal forms that end many Chinese company names; one glyph of them misread
# ("有限资任公司") is put back, as places are. Shorter ends are left alone: "集成有限公司"
# is a real name one glyph away from "集团有限公司".
_LEGAL_FORMS = ("股份有限公司", "有限责任公司")


def mend_legal_form(text: str) -> str:
    """``text`` with a legal form at its end that OCR got one glyph wrong spelled right."""
    for form in _LEGAL_FORMS:
        tail = text[-len(form) :]
        if len(tail) < len(form) or tail == form:
            continue
        wrong = [i for i, (a, b) in enumerate(zip(tail, form, strict=True)) if a != b]
        # The last two glyphs (公司) must be right: they are what says this is a company.
        if len(wrong) == 1 and wrong[0] < len(form) - 2 and is_cjk(tail[wrong[0]]):
            return text[: -len(form)] + form
    return text


def _company(free: list[Segment]) -> FieldValue | None:
    best: tuple[float, FieldValue] | None = None
    for s in free:
        text = mend_legal_form(tidy(s.text))
        # "Co., Ltd." with the L read as a dash or a bar.
        text = re.sub(r"(\bCo\.?,?\s*)[-_|Il1]td\b", r"\1Ltd", text)
        m = _last_suffix(text)
        box = s.box
        if m is not None and _address_score(text) < 2.0:
            text = _left_neighbour(s, free) + text
            above = _line_above(s, free)
            if above is not None:  # a legal name set over two lines
                text = tidy(above.text) + text
                box = box.union(above.box)
            m = _last_suffix(text)
            assert m is not None
            # From the first hanzi to the end of the legal suffix: drops logo noise around it.
            start = next((i for i, c in enumerate(text) if is_cjk(c) or c in "(（"), 0)
            value = text[start : m.end()]
            value = value.strip()
            if sum(is_cjk(c) for c in value) < 4:
                continue
            score = 2.0 + (1.0 if m.group(0).endswith("公司") else 0) + s.height / 100
            fv = FieldValue(value, s.confidence, box, s.page)
        elif _COMPANY_EN.search(text) and (
            not _ADDRESS_EN.search(text) or _LEGAL_EN_END.search(text)
        ):
            score = 1.0 + s.height / 100
            # "Co., Ltd" at the very edge of a card loses its full stop (or gains a speck).
            value = re.sub(r"\bLtd\W*$", "Ltd.", text.strip())
            fv = FieldValue(value, s.confidence * 0.9, s.box, s.page)
        else:
            continue
        if best is None or score > best[0]:
            best = (score, fv)
    return best[1] if best else None


def _line_above(seg: Segment, free: list[Segment]) -> Segment | None:
    """The start of a company name set over two lines: hanzi only, just above ``seg``, of
    the same type size, aligned with it on the left or the right, and no title or address."""
    h = max(1.0, seg.height)
    b = seg.box
    for other in free:
        o = other.box
        text = tidy(other.text)
        if (
            other is not seg
            and 0 <= b.top - o.bottom < 1.0 * h
            and 0.75 < other.height / h < 1.33
            and (abs(o.left - b.left) < h or abs(o.right - b.right) < h)
            and len(text) >= 2
            and all(is_cjk(c) for c in text)
            and not _COMPANY_CJK.search(text)
            and not _TITLE_WORDS.search(text)
            and _address_score(text) < 1.0
            and not (chinese_name(text) and known_surname(text))
        ):
            return other
    return None


def _left_neighbour(seg: Segment, free: list[Segment]) -> str:
    """CJK text just left of ``seg`` on the same line (a company name split by OCR)."""
    for other in free:
        if other is seg:
            continue
        b, o = seg.box, other.box
        same_line = abs((b.top + b.bottom) - (o.top + o.bottom)) < b.height
        if (
            same_line
            and 0 <= b.left - o.right < 2 * seg.height
            and all(is_cjk(c) for c in tidy(other.text))
        ):
            return tidy(other.text)
    return ""


def _title_text(text: str) -> str | None:
    t = tidy(text).strip(" |/,，")
    if not t or not _TITLE_WORDS.search(t) or len(t) > 30:
        return None
    if any(is_cjk(c) for c in t):
        # Logo and name remnants before a Chinese title: keep from the first hanzi.
        t = t[next(i for i, c in enumerate(t) if is_cjk(c)) :]
    return t


def _name_and_title(free: list[Segment]) -> tuple[FieldValue | None, FieldValue | None]:
    """The name is the biggest line that reads as a name; the title the job words nearest.

    A line of 2–4 hanzi starting with a common surname is a name; one whose first glyph is not
    a known surname (often a misread one) still is when nothing bigger is, at a lower score.
    """
    cands: list[tuple[float, FieldValue, Segment, list[Word]]] = []
    for s in free:
        name = chinese_name(s.text)
        if name:
            known = known_surname(name)
            conf = s.confidence * (0.95 if known else 0.6)
            fv = FieldValue(name, conf, s.box, s.page)
            cands.append((s.height * (1.0 if known else 0.7), fv, s, s.words))
            continue
        if _english_name(s.text):
            fv = FieldValue(s.text, s.confidence * 0.85, s.box, s.page)
            cands.append((s.height * 0.9, fv, s, s.words))
            continue
        # A name and a title set close together on one baseline can come back as one line.
        if not _TITLE_WORDS.search(s.text):
            continue
        latin_head = re.match(
            r"((?:[A-Z][a-z]+|[A-Z]{2,})(?: (?:[A-Z][a-z]+|[A-Z]{2,})){1,2}) ", s.text
        )
        if latin_head:
            for k in (2, 3):  # "Given Family" first; a middle name is rarer than a two-word title
                head_text = " ".join(latin_head.group(1).split()[:k])
                tail = s.text[len(head_text) :]
                if _english_name(head_text) and _TITLE_WORDS.search(tail):
                    head = s.words[: len(head_text.split())]
                    fv = FieldValue(head_text, s.confidence * 0.8, s.box, s.page)
                    cands.append((s.height * 0.9, fv, s, head))
                    break
            continue
        for k in range(min(len(s.words) - 1, 4), 0, -1):
            head = s.words[:k]
            name = _name_in(_JUNK.sub("", "".join(w.text for w in head)))
            if name and _TITLE_WORDS.search("".join(w.text for w in s.words[k:])):
                box = head[0].box
                for w in head[1:]:
                    box = box.union(w.box)
                conf = sum(w.confidence for w in head) / k * 0.9
                cands.append((s.height, FieldValue(name, conf, box, s.page), s, head))
                break
    if not cands:
        return None, _best_title(free, None)
    _, name_fv, seg, name_words = max(cands, key=lambda c: c[0])
    rest = [w for w in seg.words if w not in name_words]
    title: FieldValue | None = None
    if rest:
        t = _title_text(" ".join(w.text for w in rest))
        if t:
            conf = sum(w.confidence for w in rest) / len(rest)
            title = FieldValue(t, conf, None, seg.page)
    if title is None:
        title = _best_title([s for s in free if s is not seg], name_fv.box)
    return name_fv, title


def _best_title(free: list[Segment], near: Box | None) -> FieldValue | None:
    best: tuple[float, FieldValue] | None = None
    for s in free:
        t = _title_text(s.text)
        if t is None or _COMPANY_CJK.search(t):
            continue
        dist = 0.0
        if near is not None:
            dist = abs(s.box.top - near.bottom) + abs(s.box.left - near.left) * 0.2
        score = -dist
        if best is None or score > best[0]:
            best = (score, FieldValue(t, s.confidence, s.box, s.page))
    return best[1] if best else None
