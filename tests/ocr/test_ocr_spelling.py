"""Hanzi checked against the pinyin a card spells them in: the name against e-mail and WeChat
ids and English names, the company's brand against its domain; a misread glyph read again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PIL import Image, ImageDraw, ImageFont

from app.ocr.engine import check_engine, cjk_languages
from app.ocr.results import CARD_FIELDS, Box, Fields, FieldValue, Word
from app.ocr.spelling import (
    brand_spellings,
    check_spellings,
    company_needs_check,
    glyph_syllables,
    name_spellings,
    needs_name_check,
    respell_company,
    respell_name,
    spelled_span,
    spells,
)
from tools.evalset import available_fonts

from .conftest import needs_tesseract


def fields(**values: str) -> Fields:
    out: Fields = dict.fromkeys(CARD_FIELDS)
    for k, v in values.items():
        out[k] = FieldValue(v, 0.9)
    return out


def test_pinyin_of_glyphs_with_heteronyms_and_u_umlaut() -> None:
    assert spells("李晓霞", "lixiaoxia")
    assert not spells("李晓起", "lixiaoxia")
    assert spells("曾丹", "zengdan") and spells("曾丹", "cengdan")  # 曾 has two readings
    assert "lv" in glyph_syllables("吕") and "lu" in glyph_syllables("吕")
    assert spelled_span("杭州睿达科技有限公司", "ruida") == (2, 4)
    assert spelled_span("杭州害达科技有限公司", "ruida") is None


def test_spellings_come_from_ids_and_english_names_in_either_order() -> None:
    got = name_spellings(["xiaoxia.li88", "wx_xuyang1990", "Li Xiaoxia"])
    assert "lixiaoxia" in got  # "xiaoxia.li" and "Li Xiaoxia" joined
    assert "xuyang" in got and "wx" not in got


def test_a_name_is_checked_only_when_a_spelling_could_be_it_and_is_not() -> None:
    assert needs_name_check("李晓起", ["lixiaoxia"])
    assert needs_name_check("李晓起", ["xiaoxia"])  # the given name alone
    assert not needs_name_check("李晓霞", ["xiaoxia"])
    assert not needs_name_check("李晓霞", ["li"])  # the surname says nothing of the rest
    assert not needs_name_check("李晓起", ["sales", "cindy"])  # not pinyin
    assert not needs_name_check("Lily Li", ["lily"])


def test_the_first_reading_that_spells_the_name_wins() -> None:
    readings = ["李晓起", "李晓急", "李晓霞", "李小霞"]
    assert respell_name("李晓起", ["lixiaoxia"], readings) == "李晓霞"
    assert respell_name("李晓起", ["lixiaoxia"], ["李晓起", "李晓急"]) is None


def test_a_given_name_spelling_replaces_only_the_given_name() -> None:
    # The surname was settled in the main pass; a re-read that misreads it does not undo it.
    assert respell_name("方咒完", ["liangliang"], ["万亮亮"]) == "方亮亮"


def test_readings_are_taken_lazily() -> None:
    read: list[str] = []

    def readings() -> Iterator[str]:
        for r in ("方完完", "方亮亮", "方亮完"):
            read.append(r)
            yield r

    assert respell_name("方完完", ["fangliangliang"], readings()) == "方亮亮"
    assert read == ["方完完", "方亮亮"]


def test_brand_spellings_from_domains_and_ids() -> None:
    card = fields(website="www.ruidagroup.com.cn", email="amy@ruida-tech.com", wechat="ruida_amy")
    assert brand_spellings(card) == ["ruida"]
    assert brand_spellings(fields(email="amy.li@163.com")) == []
    # Public mail services spell pinyin too, but no company's brand.
    for host in ("sina.com", "vip.sina.com", "aliyun.com", "sohu.com"):
        assert brand_spellings(fields(email=f"amy.li@{host}")) == [], host


def test_only_the_brand_glyphs_are_taken_from_a_reading() -> None:
    assert company_needs_check("杭州害达科技有限公司", ["ruida"])
    assert not company_needs_check("杭州睿达科技有限公司", ["ruida"])
    readings = ["杭州睿达科技有限公证", "杭州豁达科技有限公司"]
    # The misread last glyph of the re-read does not replace the right one.
    assert respell_company("杭州害达科技有限公司", ["ruida"], readings) == "杭州睿达科技有限公司"
    assert respell_company("杭州害达科技有限公司", ["ruida"], ["杭州睿达科技公司"]) is None


def _name_card(text: str) -> tuple[Image.Image, Box]:
    fonts = available_fonts()
    if not fonts:
        pytest.skip("no CJK font installed")
    path, index = fonts[0]
    font = ImageFont.truetype(path, 64, index=index)
    img = Image.new("L", (700, 200), 255)
    draw = ImageDraw.Draw(img)
    draw.text((60, 60), text, font=font, fill=20)
    left, top, right, bottom = draw.textbbox((60, 60), text, font=font)
    return img, Box(left, top, right - left, bottom - top)


@needs_tesseract
def test_a_misread_name_is_read_again_and_spelled_as_the_e_mail_says() -> None:
    install = check_engine()
    img, box = _name_card("方亮亮")
    card = fields(email="liangliang.fang@boyuan.com")
    card["name"] = FieldValue("方咒完", 0.5, box)
    words = [Word("方咒完", box, 0.5)]
    got = check_spellings(card, img, words, install, cjk_languages(install), ["liangliang.fang"])
    name = got["name"]
    assert name is not None and name.value == "方亮亮"
    assert name.confidence <= 0.75  # asks for a look
    # No reading spells a name the card does not spell: the first reading stands.
    card["name"] = FieldValue("方咒完", 0.5, box)
    got = check_spellings(card, img, words, install, cjk_languages(install), ["wangxiaoming"])
    assert got["name"] == card["name"]
