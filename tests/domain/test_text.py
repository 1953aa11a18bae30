from __future__ import annotations

from pathlib import Path

import pytest

from app.domain.text import company_key, fold, pinyin_initials, pinyin_sort_key, to_simplified


@pytest.mark.parametrize(
    "name",
    [
        "杭州某某科技股份有限公司",
        "杭州某某科技(集团)",
        "某某科技",
        "杭州某某科技有限公司",
        "浙江省杭州市某某科技有限责任公司",
        "杭州某某科技（集团）有限公司",
        "杭州某某科技 有限公司",
    ],
)
def test_company_key_folds_suffixes_regions_and_brackets(name: str) -> None:
    assert company_key(name) == "某某科技"


def test_company_key_traditional_and_full_width() -> None:
    assert company_key("輕鹿傢居有限公司") == company_key("轻鹿家居有限公司") == "轻鹿家居"
    assert company_key("ＡＢＣ Trading Co., Ltd.") == company_key("abc trading")


def test_company_key_keeps_distinct_companies_apart() -> None:
    assert company_key("杭州轻鹿家居有限公司") != company_key("杭州轻鹿科技有限公司")


def test_fold_and_simplified() -> None:
    assert fold("１２３　ＡＢＣ") == "123 ABC"
    assert to_simplified("輕鹿") == "轻鹿"
    assert pinyin_initials("轻鹿家居") == "qljj"
    names = ["张伟", "安娜", "李娜"]
    assert sorted(names, key=pinyin_sort_key) == ["安娜", "李娜", "张伟"]


def test_only_text_with_traditional_marks_reaches_the_converter() -> None:
    import opencc

    converter = opencc.OpenCC("t2s")
    # Every hanzi alone, and the phrases the converter knows, convert as the converter does.
    samples = [chr(cp) for cp in range(0x4E00, 0xA000)]
    folder = Path(opencc.__file__).parent / "dictionary"
    samples += [
        line.split("\t")[0] for line in (folder / "TSPhrases.txt").read_text("utf-8").splitlines()
    ]
    assert [to_simplified(s) for s in samples] == [converter.convert(s) for s in samples]
    assert to_simplified("香港東方實業") == "香港东方实业"
    assert to_simplified("反覆") == "反复"  # changed only inside a phrase
