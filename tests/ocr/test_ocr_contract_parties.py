"""Contract parties however the contract names them: a role word before or instead of 甲方/乙方,
"（以下简称“甲方”）", a branch of a company, a seat in brackets, and the signature block in two
columns; on text, and read by PP-OCR from a rendered page."""

from __future__ import annotations

import pytest

from app.ocr import read_contract
from app.ocr.contracts import extract_contract_fields
from tools.evalset import available_fonts, render_contract_page


def parties(text: str) -> tuple[str | None, str | None]:
    fields = extract_contract_fields(text)
    a, b = fields["party_a"], fields["party_b"]
    return (a.value if a else None, b.value if b else None)


def test_a_branch_is_the_party_not_its_parent() -> None:
    text = "甲方：南京信诚科技股份有限公司杭州分公司\n乙方（卖方）：佛山卓越软件有限公司\n"
    assert parties(text) == ("南京信诚科技股份有限公司杭州分公司", "佛山卓越软件有限公司")


def test_role_word_first_and_side_in_brackets() -> None:
    text = "采购方(甲方):青岛金桥网络科技有限公司\n供应方（乙方）：苏州华宇环保科技有限公司\n"
    assert parties(text) == ("青岛金桥网络科技有限公司", "苏州华宇环保科技有限公司")


def test_the_side_a_name_is_called_wins_over_the_role_word() -> None:
    # A 委托方 is usually 甲方, but here the contract calls it 乙方.
    text = (
        "委托方：苏州轻鹿信息技术研究院（以下简称“乙方”）\n"
        "受托方：杭州恒泰物流有限公司（以下简称“甲方”）\n"
    )
    assert parties(text) == ("杭州恒泰物流有限公司", "苏州轻鹿信息技术研究院")


def test_a_seat_in_brackets_is_kept_in_full_width_brackets() -> None:
    text = "甲方:盛世(深圳)网络科技有限责任公司\n乙方：华创（上海）电子有限公司\n"
    assert parties(text) == ("盛世（深圳）网络科技有限责任公司", "华创（上海）电子有限公司")


def test_two_column_signature_labels_state_no_name() -> None:
    text = (
        "甲方：杭州轻鹿家居有限公司\n乙方：宁波恒泰科技有限公司\n"
        "甲方(盖章): 乙方(盖章):\n杭州轻鹿家居有限公司 宁波恒泰科技有限公司\n"
    )
    assert parties(text) == ("杭州轻鹿家居有限公司", "宁波恒泰科技有限公司")


@pytest.mark.parametrize(
    ("head_a", "head_b", "want_a", "want_b"),
    [
        (
            "买方：南京信诚科技股份有限公司杭州分公司（以下简称“甲方”）",
            "卖方：盛世（深圳）网络科技有限公司（以下简称“乙方”）",
            "南京信诚科技股份有限公司杭州分公司",
            "盛世（深圳）网络科技有限公司",
        ),
        (
            "需方（甲方）：苏州轻鹿信息技术研究院",
            "供方（乙方）：杭州金桥软件有限责任公司成都分公司",
            "苏州轻鹿信息技术研究院",
            "杭州金桥软件有限责任公司成都分公司",
        ),
    ],
)
def test_parties_read_by_ppocr_from_a_page(
    head_a: str, head_b: str, want_a: str, want_b: str
) -> None:
    paragraphs = [
        ("title", "设备采购合同"),
        ("right", "合同编号：CG-2025-0417"),
        ("body", head_a),
        ("body", head_b),
        ("para", "本合同总金额为人民币（大写）壹拾万元整（小写：¥100,000.00），含税。"),
        ("pair", "甲方（盖章）：\t乙方（盖章）："),
        ("pair", f"{want_a}\t{want_b}"),
        ("sign", "签订日期：2025-04-17"),
    ]
    page = render_contract_page(paragraphs, available_fonts()[0], 300)
    got = read_contract(page.convert("L"), engine="ppocr", threads=1).values()
    assert (got["party_a"], got["party_b"]) == (want_a, want_b)
    assert got["contract_no"] == "CG-2025-0417" and got["amount"] == "100000.00"


def test_long_amount_and_term_lines_are_not_turned_upside_down() -> None:
    """Lines the direction classifier flipped on a 200-dpi page (and lost): the contract
    pages are read upright."""
    from app.ocr import ppocr

    paragraphs = [
        ("title", "购销合同"),
        ("body", "第二条 合同金额"),
        (
            "para",
            "合同总价款：人民币肆拾伍万元整（￥450,000.00元），该价格已包含增值税及运输费用。",
        ),
        ("body", "第三条 合同期限"),
        ("para", "本合同有效期自二〇二五年十二月四日起至二〇二六年十二月三日止。"),
    ]
    page = render_contract_page(paragraphs, available_fonts()[0], 200).convert("L")
    text = "".join(w.text for w in ppocr.read_words(page, upright=True))
    assert "肆拾伍万元整" in text and "450,000.00" in text
    assert "二〇二六年十二月三日" in text
    fields = read_contract(page, engine="ppocr", threads=1).values()
    assert fields["amount"] == "450000.00" and fields["expires_on"] == "2026-12-03"
