import datetime as dt

import pytest

from app.ocr.contracts import extract_contract_fields
from app.ocr.dates import find_dates, parse_date


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2026年3月5日", "2026-03-05"),
        ("2026 年 3 月 5 日", "2026-03-05"),
        ("2026-03-05", "2026-03-05"),
        ("2026/3/5", "2026-03-05"),
        ("2026.03.05", "2026-03-05"),
        ("二〇二六年三月五日", "2026-03-05"),
        ("二O二六年十二月三十一日", "2026-12-31"),
        ("二〇二六年三月十五日", "2026-03-15"),
        ("二〇二六年十月二十日", "2026-10-20"),
    ],
)
def test_parse_date(text: str, iso: str) -> None:
    assert parse_date(text) == dt.date.fromisoformat(iso)


def test_invalid_dates_are_skipped() -> None:
    assert find_dates("2026-02-30 与 2026年13月1日") == []


def test_term_and_signing_date_from_text() -> None:
    text = (
        "合同编号:HT-2026-0042\n甲方(买方):杭州轻鹿家居有限公司\n乙方:宁波恒泰科技有限公司\n"
        "本合同总金额为人民币壹拾贰万叁仟元整(¥123,000.00)。\n"
        "本合同有效期自2026年3月5日起至2027年3月4日止。\n签订日期:二〇二六年三月一日"
    )
    fields = extract_contract_fields(text)
    values = {k: (v.value if v else None) for k, v in fields.items()}
    assert values == {
        "contract_no": "HT-2026-0042",
        "party_a": "杭州轻鹿家居有限公司",
        "party_b": "宁波恒泰科技有限公司",
        "amount": "123000.00",
        "signed_on": "2026-03-01",
        "expires_on": "2027-03-04",
    }
    assert fields["amount"] is not None and fields["amount"].confidence > 0.95


def test_amount_cross_check_disagreement_lowers_confidence() -> None:
    fields = extract_contract_fields("合同总金额:人民币壹拾贰万叁仟元整(¥128,000.00)")
    amount = fields["amount"]
    assert amount is not None
    assert amount.value == "128000.00"
    assert amount.confidence <= 0.6


def test_uppercase_only_and_term_without_start() -> None:
    fields = extract_contract_fields(
        "甲 方:北京某某科技有限公司\n合同总价:人民币伍万元整。有效期至2027-06-30。"
    )
    assert fields["amount"] is not None and fields["amount"].value == "50000.00"
    assert fields["expires_on"] is not None and fields["expires_on"].value == "2027-06-30"
    assert fields["party_a"] is not None and fields["party_a"].value == "北京某某科技有限公司"


def test_lost_leading_digit_of_the_figures_and_a_doubled_label_mark() -> None:
    text = (
        "本合同总金额为人民币(大写)伍拾玖万伍仟元叁角陆分(小写:区95,000.36)\n"
        "签订日期;: 2026-11-06\n合同有效期:二O@ 〇二六年三月五日至二〇二七年三月四日。"
    )
    values = {k: (v.value if v else None) for k, v in extract_contract_fields(text).items()}
    assert values["amount"] == "595000.36"  # ¥5 read as one glyph: the words keep the 5
    assert values["signed_on"] == "2026-11-06"
    assert values["expires_on"] == "2027-03-04"
