"""Mending Latin ids by pinyin and place names by the list of districts."""

import pytest

from app.ocr.pinyin import is_pinyin, mend_pinyin
from app.ocr.places import DISTRICTS, mend_address


@pytest.mark.parametrize("word", ["jinqiao", "zhangxiaoming", "lv", "qianxiaze", "er"])
def test_pinyin_words(word: str) -> None:
    assert is_pinyin(word)


@pytest.mark.parametrize("word", ["kevin", "helen", "sales", "group", "jingiao", "gi"])
def test_not_pinyin(word: str) -> None:
    assert not is_pinyin(word)


@pytest.mark.parametrize(
    ("read", "meant"),
    [
        ("jingiao", "jinqiao"),
        ("gianxiaze@qiming.cn", "qianxiaze@qiming.cn"),
        ("llianchuang", "lianchuang"),
        ("jianggiangchun58", "jiangqiangchun58"),
        ("Jingiao", "Jinqiao"),  # a capital first letter is mended and kept
    ],
)
def test_one_slip_is_mended(read: str, meant: str) -> None:
    assert mend_pinyin(read) == meant


@pytest.mark.parametrize("text", ["kevin.su", "helen", "sales82", "grace.ding", "www", "tech"])
def test_english_is_left_alone(text: str) -> None:
    assert mend_pinyin(text) == text


@pytest.mark.parametrize(
    ("read", "meant"),
    [
        ("南京市建邮区江东中路714号", "南京市建邺区江东中路714号"),
        ("浙江省宁波市都州区扬帆路428号", "浙江省宁波市鄞州区扬帆路428号"),
        ("疡江省宁波市海曙区中山东路", "浙江省宁波市海曙区中山东路"),
        ("湖北省式汉市式昌区中南路49号", "湖北省武汉市武昌区中南路49号"),
        ("上海市浦东新区南京西路", "上海市浦东新区南京西路"),
    ],
)
def test_places_are_mended(read: str, meant: str) -> None:
    assert mend_address(read) == meant


def test_unknown_or_ambiguous_places_stay_as_read() -> None:
    assert mend_address("某某市某某区某路1号") == "某某市某某区某路1号"
    assert mend_address("杭州市西湖区文三路") == "杭州市西湖区文三路"
    assert all(len(d) >= 2 for names in DISTRICTS.values() for d in names)
