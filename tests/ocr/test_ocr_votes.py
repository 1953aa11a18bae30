"""Readings at several sizes outvoting one misread glyph (no Tesseract): a card name's
surname, a contract's parties and number; and the pinyin a card spells a name in."""

from __future__ import annotations

import pytest

from app.ocr.cards import known_surname
from app.ocr.contracts import extract_contract_fields
from app.ocr.layout import segments
from app.ocr.lines import vote_short_line
from app.ocr.pinyin import SURNAMES_BY_PINYIN, surname_syllables, syllable_splits
from app.ocr.results import Box, Word

from .test_ocr_card_fields import line, values


def reading(text: str, conf: float) -> list[Word]:
    return [Word(text, Box(100, 50, 60 * len(text), 60), conf, 0, (3, 0, 0))]


def texts(words: list[Word]) -> str:
    return "".join(w.text for w in words)


def test_a_misread_surname_is_outvoted_by_readings_at_other_sizes() -> None:
    options = [reading("雇晓明", 0.72), reading("雇晓明", 0.68)]
    extra = [reading("廖晓明", 0.77), reading("廖晓明", 0.6), reading("雇晓明", 0.75)]
    got = vote_short_line(options, extra, known_surname)
    assert texts(got) == "廖晓明"
    assert got[0].box == options[0][0].box  # the surest reading's boxes are kept


def test_only_the_surname_is_voted_on() -> None:
    # The given name stays as the surest of the main readings read it, even when more of the
    # extra readings (at extreme sizes) agree on another glyph.
    options = [reading("将平飞", 0.77), reading("禁平飞", 0.68)]
    extra = [reading("蔡平习", 0.69), reading("蔡平习", 0.42), reading("禁平飞", 0.83)]
    assert texts(vote_short_line(options, extra, known_surname)) == "蔡平飞"


def test_an_accepted_reading_is_kept_as_it_is() -> None:
    options = [reading("邓雷宇", 0.83), reading("邓雷字", 0.81)]
    extra = [reading("邓雷字", 0.85), reading("邓雷字", 0.84)]
    assert texts(vote_short_line(options, extra, known_surname)) == "邓雷宇"


def test_no_plausible_reading_or_a_long_line_keeps_the_surest() -> None:
    options = [reading("局朋", 0.66), reading("局阴", 0.39)]
    assert texts(vote_short_line(options, [reading("己表", 0.1)], known_surname)) == "局朋"
    # Only readings with as many hanzi vote: a dropped glyph is no evidence.
    assert texts(vote_short_line(options, [reading("高", 0.9)], known_surname)) == "局朋"
    company = [reading("深圳凯达贸易有限公司", 0.9), reading("深圳电达贸易有限公司", 0.6)]
    assert texts(vote_short_line(company, [], known_surname)) == "深圳凯达贸易有限公司"


def test_a_flat_glyph_does_not_split_its_line() -> None:
    # "一" has a box a few pixels high; gaps beside it are judged by its neighbours' height.
    words = [
        Word("第", Box(100, 100, 40, 40), 0.9, 0, (1, 1, 1)),
        Word("一", Box(150, 118, 40, 4), 0.9, 0, (1, 1, 1)),
        Word("条", Box(200, 100, 40, 40), 0.9, 0, (1, 1, 1)),
    ]
    assert [s.text for s in segments(words)] == ["第一条"]
    far = [words[0], Word("条", Box(400, 100, 40, 40), 0.9, 0, (1, 1, 1))]
    assert len(segments(far)) == 2  # a real column gap still splits


PAGE = (
    "合同编号:X9-2025-4331\n"
    "甲方(采购方):武汉瑞丰物流有限公司\n"
    "乙方:佛山轻库医疗器械股份有限公司\n"
    "甲方(盖章):武汉瑞丰物流有限公司\n"
    "乙方(盖章):佛山轻鹿医疗器械股份有限公司\n"
)


def test_parties_and_number_go_to_the_reading_most_agree_on() -> None:
    rereads = [
        "合同编号:XS-2025-4331\n乙方:佛山轻鹿医疗器械股份有限公司",
        "合同编号:XS-2025-4331\n乙方:佛山轻鹿医疗器械股份有限公司",
        "合同编号:XS-2025-4331\n乙方:佛山轻库医疗器械股份有限公司",
    ]
    fields = extract_contract_fields(PAGE, rereads=rereads)
    assert fields["party_a"] is not None and fields["party_a"].value == "武汉瑞丰物流有限公司"
    assert fields["party_a"].confidence == pytest.approx(0.95)
    party_b = fields["party_b"]
    assert party_b is not None and party_b.value == "佛山轻鹿医疗器械股份有限公司"
    assert party_b.confidence < 0.95  # the readings were split
    number = fields["contract_no"]
    assert number is not None and number.value == "XS-2025-4331"


def test_contract_number_with_a_misread_label_or_separator() -> None:
    def number(page: str, rereads: list[str]) -> str | None:
        fv = extract_contract_fields(page, rereads=rereads)["contract_no"]
        return fv.value if fv else None

    assert number("合同编呈: CG20240126-22\n", []) == "CG20240126-22"  # 号 read as 呈
    # A hyphen read as a dot on the page, the other sizes read it right.
    reread = "合同编号: JS-2024-0533"
    assert number("合同编号: JS.2024-0533\n", [reread] * 3) == "JS-2024-0533"
    # A tie leaves the page reading, whose dot beside a hyphen is a misread hyphen too.
    assert number("合同编号: JS.2024-0533\n", [reread]) == "JS-2024-0533"
    assert number("合同编号: JS20240533\n", ["合同编号: JS.2024.0533"]) == "JS20240533"
    assert number("合同编号: HT.2024.0533\n", []) == "HT.2024.0533"  # dots alone are kept
    # The page lost the line; the re-reads still have it, at a lower confidence.
    fv = extract_contract_fields("设备采购合同\n", rereads=[reread])["contract_no"]
    assert fv is not None and fv.value == "JS-2024-0533" and fv.confidence < 0.9
    assert number("本合同一式两份 No. 3\n", []) is None


def test_scattered_readings_leave_the_page_reading() -> None:
    page = "乙方(供应方):深圳鼎盛教育科技集团有限公司\n乙方(盖章):深圳电盛教育科技集团有限公司"
    rereads = [
        "乙方:深圳昂盛教育科技集团有限公司\n乙方:深圳电盛教育科技集团有限公司",
        "乙方:深圳易盛教育科技集团有限公司\n乙方:深圳瞻盛教育科技集团有限公司",
        "乙方:深圳易盛教育科技集团有限公司",
    ]
    party_b = extract_contract_fields(page, rereads=rereads)["party_b"]
    assert party_b is not None and party_b.value == "深圳鼎盛教育科技集团有限公司"
    assert party_b.confidence < 0.6  # nothing agreed: worth a look


def test_without_rereads_the_page_states_the_parties() -> None:
    fields = extract_contract_fields(PAGE)
    # A tie between header and signature block: the header, read first, wins.
    assert (
        fields["party_b"] is not None and fields["party_b"].value == "佛山轻库医疗器械股份有限公司"
    )
    assert fields["contract_no"] is not None and fields["contract_no"].value == "X9-2025-4331"


def test_syllable_splits() -> None:
    assert syllable_splits("xuexuelei", 3) == [("xue", "xue", "lei")]
    assert ("xi", "an") in syllable_splits("xian", 2)
    assert syllable_splits("sales", 2) == []


@pytest.mark.parametrize(
    ("hint", "glyphs", "syllables"),
    [
        ("xuexuelei", 3, {"xue"}),
        ("haipeng.qiu", 3, {"qiu"}),
        ("qiu_haipeng", 3, {"qiu"}),
        ("Leo Cui", 3, {"cui"}),
        ("Jason Liao", 3, {"liao"}),
        ("xia.fu", 2, {"xia", "fu"}),  # either order fits: ambiguous
        ("sales80", 3, set()),
        ("wx_jianjun1984", 3, set()),
    ],
)
def test_surname_syllables(hint: str, glyphs: int, syllables: set[str]) -> None:
    assert surname_syllables(hint, glyphs) == syllables


def test_surnames_by_pinyin_are_commonest_first() -> None:
    assert SURNAMES_BY_PINYIN["xue"] == ("薛",)
    assert SURNAMES_BY_PINYIN["lu"][:2] == ("吕", "卢")
    assert "吕" in SURNAMES_BY_PINYIN["lv"]


def card(name: str, *contact: str) -> dict[str, str | None]:
    words = [*line(100, ("杭州轻鹿家居有限公司", 40)), *line(200, (name, 80))]
    for k, text in enumerate(contact):
        words += line(300 + 50 * k, (text, 30))
    return values(words)


def test_a_misread_surname_is_put_right_from_the_pinyin_on_the_card() -> None:
    assert card("诈雪雷", "xuexuelei@dingsheng.cn")["name"] == "薛雪雷"
    assert card("印海鹏", "haipeng.qiu@tongda.com.cn")["name"] == "邱海鹏"
    assert card("鹤怡秀", "Leo Cui")["name"] == "崔怡秀"


def test_the_pinyin_does_not_overrule_a_known_surname_or_an_ambiguous_spelling() -> None:
    assert card("付起", "xia.fu@huitong.com")["name"] == "付起"  # 付 is a surname
    assert card("局霞", "xia.fu@huitong.com")["name"] == "局霞"  # xia or fu: unknown
    assert card("局朋", "sales@kaida.net")["name"] == "局朋"  # no pinyin at all


def test_figures_the_page_cut_short_are_taken_from_the_other_sizes() -> None:
    def amount(page: str, rereads: list[str]) -> str | None:
        fv = extract_contract_fields(page, rereads=rereads)["amount"]
        return fv.value if fv else None

    # The ¥ and the first digit read as one glyph: a comma or a 0 starts what is left.
    right = "合同总金额:¥8,678,800.00元(含税)。"
    assert amount("合同总金额:型,678,800.00元(含税)。\n", [right, right]) == "8678800.00"
    assert amount(
        "合同总金额:苗01,420.00元〈含税)。\n", [right.replace("8,678,800", "501,420")] * 2
    ) == ("501420.00")
    # One size alone will do when the rest were cut short too, at a confidence that asks.
    cut = "合同总金额:型,678,800.00元(含税)。"
    fv = extract_contract_fields(cut + "\n", rereads=[right, cut, cut])["amount"]
    assert fv is not None and fv.value == "8678800.00" and fv.confidence < 0.7
    # One other size alone does not overrule the page, nor two against a page they share.
    page = "合同总金额:¥8,678,800.00元(含税)。\n"
    wrong = "合同总金额:¥8,676,800.00元(含税)。"
    assert amount(page, [wrong]) == "8678800.00"
    assert amount(page, [wrong, wrong, right]) == "8678800.00"
    # A figure after a clause's comma is money.
    assert amount("合同总金额为下列两项之和，5,000.00元\n", []) == "5000.00"
    # A clause's percentage is no total.
    assert amount(page, ["支付合同总金额的30%作为预付"] * 3) == "8678800.00"


def test_signing_date_from_a_misread_label_or_the_term_of_a_reread() -> None:
    signed = extract_contract_fields("签订目期:2025年11月26日\n")["signed_on"]
    assert signed is not None and signed.value == "2025-11-26"
    page = "合同有效期:二名三五年下月至一辐一乒年\n签订目期:二名三五年二二月三十六日\n"
    term = "合同有效期:二〇二五年十一月二十六日至二〇二七年十一月二十五日。"
    fields = extract_contract_fields(page, rereads=[term])
    assert fields["expires_on"] is not None and fields["expires_on"].value == "2027-11-25"
    assert fields["signed_on"] is not None and fields["signed_on"].value == "2025-11-26"
    assert fields["signed_on"].confidence < 0.6  # inferred from the term: worth a look
