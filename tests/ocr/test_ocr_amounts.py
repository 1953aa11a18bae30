from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.ocr.amounts import format_amount, parse_arabic, parse_uppercase, to_uppercase


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("壹拾贰万叁仟元整", "123000"),
        ("拾贰万叁仟元整", "123000"),
        ("壹拾万零伍佰元整", "100500"),
        ("壹佰万元整", "1000000"),
        ("壹万零伍元整", "10005"),
        ("壹仟零壹拾元整", "1010"),
        ("壹亿零壹元整", "100000001"),
        ("壹亿贰仟万元整", "120000000"),
        ("壹佰贰拾叁元肆角伍分", "123.45"),
        ("壹佰贰拾叁元零伍分", "123.05"),
        ("壹拾元叁角", "10.3"),
        ("伍角", "0.5"),
        ("伍角整", "0.5"),
        ("叁分", "0.03"),
        ("壹拾贰万叁仟圆整", "123000"),
        ("壹拾贰萬叁仟元正", "123000"),
        ("一十二万三千元整", "123000"),
    ],
)
def test_parse_uppercase(text: str, value: str) -> None:
    parsed = parse_uppercase(text)
    assert parsed is not None
    assert parsed.value == Decimal(value)
    assert parsed.corrections == 0


def test_confusions_are_mapped_and_counted() -> None:
    parsed = parse_uppercase("过拾武万参什元整")  # 壹拾贰万叁仟元整 as the fast model reads it
    assert parsed is not None
    assert parsed.value == Decimal("123000")
    assert parsed.corrections == 4
    assert parse_uppercase("壹拾贰万叁任元整").value == Decimal("123000")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "元整",
        "伍零元整",
        "壹贰元整",
        "伍佰叁仟元整",
        "叁拾拾元",
        "壹拾万万元",
        "人民币",
        "壹角贰角",
        "壹元零整伍",
    ],
)
def test_malformed_uppercase_is_rejected(text: str) -> None:
    assert parse_uppercase(text) is None


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("123000", "壹拾贰万叁仟元整"),
        ("100500", "壹拾万零伍佰元整"),
        ("1000000", "壹佰万元整"),
        ("10005", "壹万零伍元整"),
        ("1000.05", "壹仟元零伍分"),
        ("10.30", "壹拾元叁角整"),
        ("0", "零元整"),
        ("100000001", "壹亿零壹元整"),
    ],
)
def test_to_uppercase(value: str, text: str) -> None:
    assert to_uppercase(Decimal(value)) == text


@given(st.integers(min_value=1, max_value=999_999_999_999))
def test_uppercase_round_trip(fen: int) -> None:
    value = Decimal(fen) / 100
    parsed = parse_uppercase(to_uppercase(value))
    assert parsed is not None
    assert parsed.value == value


def test_arabic() -> None:
    assert parse_arabic("123,000.00") == Decimal("123000.00")
    assert parse_arabic("1，234.5") == Decimal("1234.50")
    assert parse_arabic("123000") == Decimal("123000")
    assert parse_arabic("12,34") is None
    assert parse_arabic("0.50") == Decimal("0.50")
    # A leading 0 before more digits: the first digit went into the ¥ ("¥501,420" as "苗01,420").
    assert parse_arabic("01,420.00") is None and parse_arabic("0123") is None
    assert format_amount(Decimal("123456")) == "123456.00"


def test_fast_model_lookalikes() -> None:
    # 壹佰柒拾壹万叁仟柒佰零柒元整 as the fast chi_sim model read it on a 300-dpi page
    parsed = parse_uppercase("喜佰沫拾过万人参什沫佰零汪元整")
    assert parsed is not None and parsed.value == Decimal("1713707")
    assert parsed.corrections >= 6


def test_grammar_settles_an_ambiguous_glyph() -> None:
    # 全 stands for 佰 more often than for 叁; only 叁 makes "全拾元整" a valid amount.
    parsed = parse_uppercase("全拾元整")
    assert parsed is not None and parsed.value == Decimal("30")


def test_other_readings_outvote_the_page_reading() -> None:
    from app.ocr.contracts import extract_contract_fields

    page = "本合同总金额为人民币喜佰吉拾元整,含税。"  # 吉 taken as 壹: 110, but it was 贰
    good = "本合同总金额为人民币壹佰贰拾元整,含税。"
    amount = extract_contract_fields(page, rereads=[good, good])["amount"]
    assert amount is not None and amount.value == "120.00"
    unreadable = "本合同总金额为人民币壹佰贰某元整,含税。"
    amount = extract_contract_fields(unreadable, rereads=[good])["amount"]
    assert amount is not None and amount.value == "120.00" and amount.confidence < 0.9
