from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.validators import (
    CREDIT_CODE_CHARS,
    credit_code_check_char,
    validate_credit_code,
    validate_email,
    validate_landline,
    validate_mobile,
    validate_phone,
    validate_url,
)


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",  # published sample
        "  91350100m000100y43 ",  # lower case and spaces are normalised
        "９１３５０１００Ｍ０００１００Ｙ４３",  # full-width
    ],
)
def test_credit_code_accepts_valid(code: str) -> None:
    checked = validate_credit_code(code)
    assert checked.ok, checked.error
    assert len(checked.value) == 18 and checked.value == checked.value.upper()


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("91350100M000100Y44", "check character"),
        ("91350100M000100Y4", "18 characters"),
        ("91350100M0001O0Y43", "Invalid characters"),  # letter O is never used
        ("", "18 characters"),
    ],
)
def test_credit_code_rejects_with_message(code: str, fragment: str) -> None:
    checked = validate_credit_code(code)
    assert not checked.ok
    assert checked.error is not None and fragment in checked.error.en and checked.error.zh


@given(st.text(alphabet=CREDIT_CODE_CHARS, min_size=17, max_size=17))
def test_credit_code_check_char_round_trip(first17: str) -> None:
    code = first17 + credit_code_check_char(first17)
    assert validate_credit_code(code).ok
    wrong = next(c for c in CREDIT_CODE_CHARS if c != code[-1])
    assert not validate_credit_code(first17 + wrong).ok


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("+86-138-1234-5678", "13812345678"),
        ("0086 13812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("１３８ １２３４ ５６７８", "13812345678"),
        ("199-0000-1111", "19900001111"),
    ],
)
def test_mobile_accepts_tricky_good_cases(raw: str, expected: str) -> None:
    assert validate_mobile(raw).value == expected


@pytest.mark.parametrize(
    "raw", ["12812345678", "1381234567", "138123456789", "abc", "010-62345678"]
)
def test_mobile_rejects(raw: str) -> None:
    checked = validate_mobile(raw)
    assert not checked.ok and checked.error is not None and "11" in checked.error.en


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0571-88889999", "0571-88889999"),
        ("(0571) 8888 9999", "0571-88889999"),
        ("0571 8888 9999", "0571-88889999"),
        ("010 6234 5678", "010-62345678"),
        ("+86 10 62345678", "010-62345678"),
        ("021-5555 6666 转 801", "021-55556666-801"),
        ("0571-88889999-123", "0571-88889999-123"),
        ("０７５５－２３４５６７８", "0755-2345678"),
    ],
)
def test_landline_accepts(raw: str, expected: str) -> None:
    assert validate_landline(raw).value == expected


@pytest.mark.parametrize("raw", ["88889999", "010-12345678", "0571-888", "13812345678"])
def test_landline_rejects(raw: str) -> None:
    assert not validate_landline(raw).ok


def test_phone_takes_either_kind() -> None:
    assert validate_phone("138 1234 5678").value == "13812345678"
    assert validate_phone("0571-88889999").value == "0571-88889999"
    bad = validate_phone("12345")
    assert not bad.ok and bad.error is not None and "电话" in bad.error.zh


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Zhang.Wei@Example.COM", "Zhang.Wei@example.com"),
        ("li＠qq．com", "li@qq.com"),
        (" a+tag@sub.corp.cn ", "a+tag@sub.corp.cn"),
    ],
)
def test_email_accepts(raw: str, expected: str) -> None:
    assert validate_email(raw).value == expected


@pytest.mark.parametrize("raw", ["zhang", "a@b", "a@@b.com", "a..b@c.com", "@qq.com"])
def test_email_rejects(raw: str) -> None:
    checked = validate_email(raw)
    assert not checked.ok and checked.error is not None


def test_url() -> None:
    assert validate_url("www.qinglu.com").ok
    assert not validate_url("not a url").ok
