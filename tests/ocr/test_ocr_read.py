"""End-to-end reading with the real Tesseract on generated cards and contracts."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.ocr import CARD_FIELDS, read_card, read_cards, read_contract
from tools.evalset import normalise_value, write_card, write_contract

from .conftest import needs_tesseract, truth

pytestmark = [needs_tesseract, pytest.mark.slow]


def score(got: dict[str, str | None], want: dict[str, str | None]) -> tuple[int, int]:
    """(fields right, fields present in the truth or the result)."""
    right = total = 0
    for k in want:
        g, w = normalise_value(k, got[k]), normalise_value(k, want[k])
        if g is None and w is None:
            continue
        total += 1
        right += g == w
    return right, total


def test_clean_sample_card_is_read_exactly(samples: Path) -> None:
    path = samples / "card-clean-0000.png"
    result = read_card(path)
    assert result.values() == truth(path)
    assert set(result.fields) == set(CARD_FIELDS)
    assert all(0 <= v.confidence <= 1 for v in result.fields.values() if v)
    assert result.words and result.text


def test_photo_sample_card_is_found_and_straightened(samples: Path) -> None:
    path = samples / "card-photo-0000.jpg"
    result = read_card(path)
    assert result.card_found
    right, total = score(result.values(), truth(path))
    assert right >= total - 1


def test_generated_cards_clean_and_photo(tmp_path: Path) -> None:
    paths = [write_card(tmp_path, 99, i, cond) for cond in ("clean", "photo") for i in range(3)]
    items = list(read_cards(paths, workers=2))
    assert sorted(i.path for i in items) == sorted(str(p) for p in paths)
    right = total = 0
    for item in items:
        assert item.error is None and item.result is not None
        r, t = score(item.result.values(), truth(Path(item.path)))
        right, total = right + r, total + t
    assert right / total >= 0.8, f"{right}/{total} fields right"


def test_contract_image_sample(samples: Path) -> None:
    path = samples / "contract-0000.png"
    result = read_contract(path)
    assert result.values() == truth(path)
    assert result.pages == 1 and not result.text_layer


def test_contract_pdf(samples: Path, tmp_path: Path) -> None:
    path = samples / "contract-0002.pdf"
    result = read_contract(path)
    want = truth(path)
    got = result.values()
    assert sum(got[k] == want[k] for k in want) >= len(want) - 1
    assert got["amount"] == want["amount"]
    generated = write_contract(tmp_path, 5, 2)  # index 2 is a PDF
    assert generated.suffix == ".pdf"
    result = read_contract(generated)
    assert result.pages >= 1
    assert result.values()["contract_no"] == truth(generated)["contract_no"]


def test_contract_pages_as_images(samples: Path) -> None:
    path = samples / "contract-0000.png"
    result = read_contract([path, path])
    assert result.pages == 2
    assert result.values()["party_a"] == truth(path)["party_a"]


@pytest.mark.parametrize("amount", ["1713707", "8037.50"])
def test_uppercase_only_amount_is_read(amount: str) -> None:
    """Amounts in words alone, full of the numerals the fast model misreads (柒 叁 仟 捌)."""
    from decimal import Decimal

    from app.ocr.amounts import format_amount, to_uppercase
    from tools.evalset import available_fonts, render_contract_page

    value = Decimal(amount)
    paragraphs = [
        ("title", "设备采购合同"),
        ("body", "甲方：杭州轻鹿家居有限公司"),
        ("body", "乙方：宁波恒泰科技有限公司"),
        ("para", f"本合同总金额为人民币{to_uppercase(value)}，含13%增值税。"),
        ("para", "付款方式：合同签订后五个工作日内支付。"),
    ]
    page = render_contract_page(paragraphs, available_fonts()[0], 300)
    result = read_contract(page.convert("L"))
    assert result.values()["amount"] == format_amount(value)


def test_stated_totals_in_figures_are_read_again_but_not_payment_clauses() -> None:
    from app.ocr.reader import _KEY_LINE

    assert _KEY_LINE.search("合同总金额:型,678,800.00元(含税)。")
    assert _KEY_LINE.search("合同总价(含税):¥1,000.00")
    assert not _KEY_LINE.search("甲方向乙方支付合同总金额的30%作为预付")
