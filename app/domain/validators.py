"""Field validation at the edge (SPEC D3).

Every validator takes what the user typed and returns a :class:`Checked`: the normalised value
and, when the input is not acceptable, a bilingual message for the field. Validators never raise
on bad input; the caller decides whether an error blocks a save.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from app.domain.messages import Msg
from app.domain.text import fold

# GB 32100-2015: 31 symbols (no I, O, Z, S, V) and the weights 3^(i) mod 31.
CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


@dataclass(frozen=True)
class Checked:
    """Result of validating one field: the normalised value and an error, if any."""

    value: str
    error: Msg | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


# Compiled once: numbers are normalised for every record of a book that is indexed.
_NUMBER_NOISE = re.compile(r"[\s\-–—()（）.·]")
_MASK_NOISE = re.compile(r"[\s\-–—()（）.]")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{9,11}")
_LOCAL_NUMBER = re.compile(r"[2-9]\d{6,7}")
_EXTENSION = re.compile(r"(?:转|ext\.?|x|#)\s*(\d{1,6})\s*$", re.IGNORECASE)


def _digits_only(raw: str) -> str:
    return _NUMBER_NOISE.sub("", fold(raw))


def credit_code_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a credit code."""
    total = sum(
        CREDIT_CODE_CHARS.index(c) * w for c, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def validate_credit_code(raw: str) -> Checked:
    """Unified social credit code (统一社会信用代码): 18 characters with a GB 32100 check."""
    value = re.sub(r"\s+", "", fold(raw)).upper()
    if len(value) != 18:
        return Checked(
            value,
            Msg(
                "统一社会信用代码应为18位,当前{n}位",
                "The unified social credit code must have 18 characters, not {n}",
            ).format(n=len(value)),
        )
    bad = sorted({c for c in value if c not in CREDIT_CODE_CHARS})
    if bad:
        return Checked(
            value,
            Msg(
                "统一社会信用代码含无效字符:{chars}(不使用 I、O、S、V、Z)",
                "Invalid characters in the credit code: {chars} (I, O, S, V and Z are never used)",
            ).format(chars=" ".join(bad)),
        )
    expected = credit_code_check_char(value[:17])
    if value[17] != expected:
        return Checked(
            value,
            Msg(
                "统一社会信用代码校验位错误,请核对是否录错",
                "The credit code's check character is wrong; please check for a typo",
            ),
        )
    return Checked(value)


def normalize_mobile(raw: str) -> str | None:
    """A mainland mobile number as 11 digits, or None when it is not one."""
    digits = _digits_only(raw)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits if _MOBILE.fullmatch(digits) else None


_MASKED = re.compile(r"(1[3-9]\d)[*＊xX×•·]{4}(\d{4})")


def normalize_masked_mobile(raw: str) -> str | None:
    """A masked mobile ("138****1234", as printed on forms and exports) in that canonical
    form, or None. It is kept as a partial number: never dialled, matched by its digits."""
    text = _MASK_NOISE.sub("", fold(raw))
    for prefix in ("+86", "0086"):
        text = text.removeprefix(prefix)
    m = _MASKED.fullmatch(text)
    return f"{m.group(1)}****{m.group(2)}" if m else None


def is_masked_mobile(value: str | None) -> bool:
    """Whether a stored number is a masked (partial) mobile, which cannot be called."""
    return bool(value) and "*" in str(value)


def validate_mobile(raw: str) -> Checked:
    """Mainland mobile: +86/0086 prefixes, spaces, dashes and full-width digits are accepted;
    so is a masked mobile (138****1234), stored as the partial number it is."""
    value = normalize_mobile(raw) or normalize_masked_mobile(raw)
    if value is None:
        return Checked(
            fold(raw),
            Msg(
                "手机号应为11位,以13–19开头(可带+86)",
                "A mobile number has 11 digits starting with 13–19 (+86 allowed)",
            ),
        )
    return Checked(value)


def _landline_digits(text: str) -> str | None:
    digits = _digits_only(text)
    if digits.startswith("+86"):
        digits = "0" + digits[3:]
    elif digits.startswith("0086"):
        digits = "0" + digits[4:]
    if not _LANDLINE.fullmatch(digits):
        return None
    area_len = 3 if digits[1] in "12" else 4
    area, local = digits[:area_len], digits[area_len:]
    if not _LOCAL_NUMBER.fullmatch(local):
        return None
    return f"{area}-{local}"


def normalize_landline(raw: str) -> str | None:
    """A mainland landline as "0AA-LLLLLLLL[-EXT]", or None when it is not one."""
    text = fold(raw)
    m = _EXTENSION.search(text)
    if m:
        number = _landline_digits(text[: m.start()])
        return f"{number}-{m.group(1)}" if number else None
    number = _landline_digits(text)
    if number:
        return number
    # "0571-88889999-123": a short trailing group after a complete number is an extension.
    head, sep, tail = text.rpartition("-")
    if sep and tail.strip().isdigit() and len(tail.strip()) <= 5:
        number = _landline_digits(head)
        if number:
            return f"{number}-{tail.strip()}"
    return None


def validate_landline(raw: str) -> Checked:
    """Landline with area code, e.g. 010-12345678, (0571) 8888 9999, 021-5555 6666 转 801."""
    value = normalize_landline(raw)
    if value is None:
        return Checked(
            fold(raw),
            Msg(
                "座机号应含区号,如 010-12345678 或 0571-88889999",
                "A landline needs its area code, e.g. 010-12345678 or 0571-88889999",
            ),
        )
    return Checked(value)


def validate_phone(raw: str) -> Checked:
    """A mobile or a landline, whichever the input is."""
    mobile = normalize_mobile(raw) or normalize_masked_mobile(raw)
    if mobile is not None:
        return Checked(mobile)
    landline = normalize_landline(raw)
    if landline is not None:
        return Checked(landline)
    return Checked(
        fold(raw),
        Msg(
            "电话号码无效:请填写11位手机号或带区号的座机号",
            "Not a valid phone number: use an 11-digit mobile or a landline with area code",
        ),
    )


_EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z]{2,63}"
)


def validate_email(raw: str) -> Checked:
    """E-mail address; full-width ＠ and dots are folded, the domain is lower-cased."""
    value = re.sub(r"\s+", "", fold(raw)).replace("。", ".")
    if not _EMAIL.fullmatch(value) or ".." in value:
        return Checked(
            value,
            Msg(
                "邮箱格式不正确,如 name@example.com",
                "Not a valid e-mail address, e.g. name@example.com",
            ),
        )
    local, domain = value.rsplit("@", 1)
    return Checked(f"{local}@{domain.lower()}")


def validate_url(raw: str) -> Checked:
    """Website; a missing scheme is accepted and kept as typed."""
    value = re.sub(r"\s+", "", fold(raw))
    if not re.fullmatch(r"(https?://)?[A-Za-z0-9.-]+\.[A-Za-z]{2,63}(/\S*)?", value):
        return Checked(value, Msg("网址格式不正确", "Not a valid web address"))
    return Checked(value)


def validate_text(raw: str) -> Checked:
    """Free text: folded and trimmed."""
    return Checked(fold(raw))


def validate_prose(raw: str) -> Checked:
    """Free text people write (notes, conclusions, reasons): kept as typed, full-width
    punctuation (，。：) and line breaks included; only the ends are trimmed. Search and
    duplicate checks fold their own copy."""
    return Checked(unicodedata.normalize("NFC", raw).strip())


VALIDATORS: dict[str, Callable[[str], Checked]] = {
    "text": validate_text,
    "prose": validate_prose,
    "credit_code": validate_credit_code,
    "mobile": validate_mobile,
    "landline": validate_landline,
    "phone": validate_phone,
    "email": validate_email,
    "url": validate_url,
}
