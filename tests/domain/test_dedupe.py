"""The duplicate matcher (SPEC C1): each normalisation, each trap, the masked mobile, grouping."""

from __future__ import annotations

import gc
import itertools

import pytest

from app.domain.dedupe import ContactIn, ContactIndex, CustomerIn, CustomerIndex
from app.domain.dedupe.match import (
    compare_customers,
    customer_features,
    customer_keys,
    email_keys,
)
from app.domain.dedupe.names import parse_company, parse_person
from app.domain.validators import (
    credit_code_check_char,
    is_masked_mobile,
    validate_mobile,
    validate_phone,
)


def code(body17: str) -> str:
    return body17 + credit_code_check_char(body17)


CODE_A = code("91330100MA2AAAAA1")
CODE_B = code("91330100MA2BBBBB2")


def verdict(a: str, b: str, **kw: str | None) -> float:
    fa = customer_features(
        CustomerIn("a", a, kw.get("ca"), kw.get("pa"), kw.get("ea"))  # type: ignore[arg-type]
    )
    fb = customer_features(
        CustomerIn("b", b, kw.get("cb"), kw.get("pb"), kw.get("eb"))  # type: ignore[arg-type]
    )
    return compare_customers(fa, fb).score


@pytest.mark.parametrize(
    ("variant", "what"),
    [
        ("杭州某某科技", "legal form dropped"),
        ("杭州某某科技股份有限公司", "股份有限公司"),
        ("杭州某某科技有限责任公司", "有限责任公司"),
        ("杭州某某科技(集团)", "(集团) half-width"),
        ("杭州某某科技（集团）", "（集团） full-width"),
        ("杭州某某科技集团有限公司", "集团有限公司"),
        ("某某科技(杭州)有限公司", "bracketed region"),
        ("浙江省杭州市某某科技有限公司", "province and city"),
        ("杭州市西湖区某某科技有限公司", "city and district"),
        ("某某科技有限公司", "no region"),
        ("杭州某某科技發展有限公司", "traditional + padding word"),
        ("杭州 某某 科技 有限公司", "spaces"),
        ("杭州·某某科技,有限公司。", "punctuation"),
    ],
)
def test_company_spellings_fold_to_one(variant: str, what: str) -> None:
    assert parse_company(variant).core == "某某科技", what
    assert verdict("杭州某某科技有限公司", variant) >= 0.9, what


def test_full_width_latin_folds() -> None:
    assert parse_company("ＡＢＣ科技（深圳）有限公司").core == "abc科技"
    assert verdict("ABC科技有限公司", "深圳ＡＢＣ科技") >= 0.9


def test_traditional_company_names() -> None:
    assert parse_company("華為技術有限公司").core == "华为技术"
    assert verdict("华为技术有限公司", "華為技術有限公司") >= 0.9


def test_homophone_typo_needs_a_tie() -> None:
    # 华新 sounds like 华信: a typo, or another company; the name alone does not decide…
    assert verdict("杭州华信科技有限公司", "杭州华新科技有限公司") < 0.7
    # …the same phone number does.
    assert verdict("杭州华信科技", "华新科技", pa="0571-88886666", pb="0571 8888 6666") >= 0.7


def test_one_character_slip_with_a_tie() -> None:
    assert verdict("明远达科技", "明远迭科技") < 0.7
    assert verdict("明远达科技", "明远迭科技", ea="info@mingyuan.cn", eb="INFO@mingyuan.cn") >= 0.7


def test_exact_credit_code_whatever_the_name() -> None:
    assert verdict("甲公司", "完全不同的名字", ca=CODE_A, cb=CODE_A.lower()) == 1.0


def test_trap_two_valid_credit_codes_are_two_entities() -> None:
    assert verdict("杭州某某科技有限公司", "杭州某某科技有限公司", ca=CODE_A, cb=CODE_B) == 0


def test_trap_another_explicit_region() -> None:
    assert verdict("杭州某某科技有限公司", "苏州某某科技有限公司") == 0
    assert verdict("杭州某某科技有限公司", "某某科技(江苏)有限公司") == 0
    # A city within the named province agrees with it.
    assert verdict("杭州某某科技有限公司", "浙江某某科技有限公司") >= 0.9
    # …and a phone ties two cities' names back together.
    assert verdict("杭州某某科技", "苏州某某科技", pa="0571-88886666", pb="0571-88886666") >= 0.7


def test_trap_a_branch_is_its_own_customer() -> None:
    assert parse_company("某某科技有限公司上海分公司").branch == "上海分公司"
    assert verdict("某某科技有限公司", "某某科技有限公司上海分公司") == 0
    assert verdict("某某科技有限公司上海分公司", "某某科技有限公司北京分公司") == 0
    assert verdict("某某科技有限公司上海分公司", "某某科技(上海分公司)") >= 0.9


def test_trap_same_brand_other_trade() -> None:
    assert verdict("杭州某某科技有限公司", "杭州某某食品有限公司") < 0.7
    assert verdict("杭州某某科技有限公司", "杭州某某信息技术有限公司") >= 0.9  # one family


def test_generic_names_match_nothing() -> None:
    assert verdict("杭州科技有限公司", "苏州科技有限公司") == 0
    assert not [k for k, _ in customer_keys(customer_features(CustomerIn("x", "科技有限公司")))]


def contacts(*rows: ContactIn, customers: tuple[CustomerIn, ...] = ()) -> ContactIndex:
    cu = CustomerIndex()
    for c in customers:
        cu.add(c)
    index = ContactIndex(cu)
    for r in rows:
        index.add(r)
    return index


ACME = CustomerIn("c1", "杭州某某科技有限公司")
ACME_DUP = CustomerIn("c2", "某某科技(杭州)股份有限公司")
OTHER = CustomerIn("c3", "宁波安泰机械有限公司")


def test_person_names_fold_traditional_and_pinyin() -> None:
    assert parse_person("張三").text == "张三"
    assert parse_person("张 三").text == "张三"
    assert parse_person("Zhang San").sound == parse_person("张三").sound


def test_mobile_normalised_plus86_and_spacing() -> None:
    index = contacts(ContactIn("k1", "c1", "陈静怡", mobile="13912345678"), customers=(ACME,))
    hits = index.check(ContactIn("new", None, "陳靜怡", mobile="+86 139 1234 5678"))
    assert [h.id for h in hits] == ["k1"]
    assert hits[0].score >= 0.95


def test_masked_mobile_is_a_partial_number() -> None:
    assert validate_mobile("138****1234").value == "138****1234"
    assert validate_mobile("+86 138 **** 1234").ok
    assert validate_phone("138****1234").ok
    assert is_masked_mobile("138****1234") and not is_masked_mobile("13812341234")
    assert not validate_mobile("138***1234").ok


def test_masked_mobile_matches_with_another_signal_only() -> None:
    index = contacts(
        ContactIn("k1", "c1", "陈静怡", mobile="13812341234"), customers=(ACME, ACME_DUP, OTHER)
    )
    # Same visible digits and the same name at the same company: a suspect.
    hit = index.check(ContactIn("n", "c2", "陳靜怡", mobile="138****1234"))
    assert [h.id for h in hit] == ["k1"]
    assert any("masked" in r.en for r in hit[0].reasons)
    # Same visible digits, another name: not the same person.
    assert index.check(ContactIn("n", "c2", "王建华", mobile="138****1234")) == []
    # Other visible digits: not a match even with the name.
    assert index.check(ContactIn("n", "c2", "陈静怡", mobile="138****9999")) == []


def test_full_mobiles_sharing_visible_digits_are_not_compared_in_a_scan() -> None:
    """Only a masked number gives those digits meaning: a scan pairs it with each full number
    that shows them, and never the full numbers with one another."""
    people = [
        ContactIn(f"k{i:03d}", "c1", f"联系人{i}", mobile=f"138{i:04d}1234") for i in range(50)
    ]
    masked = ContactIn("m", "c1", "联系人7", mobile="138****1234")
    index = contacts(*people, masked, customers=(ACME, ACME_DUP, OTHER))
    pairs = set(index.blocks.pairs({"k:": {"m"}}))
    assert len(pairs) == 50 and all("m" in p for p in pairs)
    # The scan still finds the masked number's owner.
    assert any({"k007", "m"} <= set(g.ids) for g in index.groups())


@pytest.mark.parametrize(
    ("a", "b", "strict_equal"),
    [
        ("zhangsan@gmail.com", "zhang.san@gmail.com", True),
        ("ZhangSan@QQ.com", "zhangsan@qq.com", True),
        ("zhangsan+crm@163.com", "zhangsan@163.com", True),
        ("zhangsan@googlemail.com", "zhang.san@gmail.com", True),
        ("zhang.san@acme.cn", "zhangsan@acme.cn", False),  # a company domain keeps dots…
    ],
)
def test_email_aliases(a: str, b: str, strict_equal: bool) -> None:
    ka, kb = email_keys(a), email_keys(b)
    assert (ka[0] == kb[0]) is strict_equal
    assert ka[1] == kb[1]


def test_company_domain_dots_fold_when_the_names_agree() -> None:
    index = contacts(
        ContactIn("k1", "c1", "张三", email="zhangsan@acme.cn"),
        customers=(ACME, ACME_DUP),
    )
    hits = index.check(ContactIn("n", "c2", "張三", email="zhang.san@acme.cn"))
    assert [h.id for h in hits] == ["k1"]
    assert index.check(ContactIn("n", "c2", "李四", email="zhang.san@acme.cn")) == []


def test_trap_colleagues_on_one_switchboard() -> None:
    index = contacts(
        ContactIn("k1", "c1", "陈静怡", phone="0571-88886666"),
        ContactIn("k2", "c1", "刘海涛", phone="0571-88886666"),
        customers=(ACME,),
    )
    assert index.groups() == []
    assert index.check(ContactIn("n", "c1", "周明", phone="0571-88886666")) == []


def test_trap_common_name_at_other_companies() -> None:
    index = contacts(
        ContactIn("k1", "c1", "王伟", mobile="13912345678"),
        customers=(ACME, OTHER),
    )
    assert index.check(ContactIn("n", "c3", "王伟", mobile="13698765432")) == []
    assert index.check(ContactIn("n", "c3", "王伟")) == []


def test_scores_and_reasons_in_words() -> None:
    cu = CustomerIndex()
    for rec in (ACME, ACME_DUP, OTHER, CustomerIn("c4", "杭州某某科技(集团)")):
        cu.add(rec)
    groups = cu.groups()
    assert [set(g.ids) for g in groups] == [{"c1", "c2", "c4"}]
    g = groups[0]
    assert 0.7 <= g.score <= 1
    assert any("legal form" in r.en for r in g.reasons)
    assert all(r.zh and r.en for r in g.reasons)


def test_candidates_come_from_blocks_not_all_pairs() -> None:
    cu = CustomerIndex()
    for i in range(400):
        cu.add(CustomerIn(f"c{i}", f"杭州{chr(0x4E00 + 7 * i)}{chr(0x4E00 + 11 * i + 3)}科技"))
    pairs = list(cu.blocks.pairs())
    assert len(pairs) < 400  # all pairs would be 79 800
    assert cu.groups() == []


def test_one_character_slip_found_by_a_scan_through_its_tie() -> None:
    cu = CustomerIndex()
    cu.add(CustomerIn("a", "明远达科技", email="info@mingyuan.cn"))
    cu.add(CustomerIn("b", "明远迭科技有限公司", email="sales@mingyuan.cn"))
    cu.add(CustomerIn("c", "明远逃科技"))  # no tie: a slip alone is no suspect
    assert [g.ids for g in cu.groups()] == [("a", "b")]
    assert [m.id for m in cu.check(CustomerIn("new", "明远送科技", email="x@mingyuan.cn"))] == [
        "a",
        "b",
    ]


def test_brands_sharing_characters_do_not_share_blocks() -> None:
    # 1 000 brands written with 10 characters: any two of them share characters, and blocks of
    # "the brand less one character" would hold 30 brands each (about 14 000 pairs).
    chars = "甲乙丙丁戊己庚辛壬癸"
    cu = CustomerIndex()
    for i, (x, y, z) in enumerate(itertools.product(chars, repeat=3)):
        cu.add(CustomerIn(f"c{i}", f"{x}{y}{z}科技有限公司"))
    assert len(cu.features) == 1000
    assert len(list(cu.blocks.pairs())) < 1000
    assert cu.groups() == []


def test_a_discarded_or_changed_record_leaves_its_blocks() -> None:
    cu = CustomerIndex()
    cu.add(CustomerIn("a", "杭州某某科技有限公司", phone="0571-88886666"))
    cu.add(CustomerIn("b", "某某科技(杭州)有限公司"))
    cu.add(CustomerIn("c", "明远达贸易", phone="0571-88886666"))
    assert {m.id for m in cu.check(CustomerIn("n", "某某科技"))} == {"a", "b"}
    cu.discard("b")
    assert [m.id for m in cu.check(CustomerIn("n", "某某科技"))] == ["a"]
    cu.add(CustomerIn("a", "明远达贸易有限公司", phone="0571-88886666"))  # renamed: old keys go
    assert cu.check(CustomerIn("n", "某某科技")) == []
    assert [set(g.ids) for g in cu.groups()] == [{"a", "c"}]
    cu.discard("a")
    cu.discard("c")
    assert cu.groups() == [] and cu.check(CustomerIn("n", "明远达贸易")) == []


def test_a_whole_book_indexed_at_once_matches_one_by_one() -> None:
    rows = [ACME, ACME_DUP, OTHER, CustomerIn("c4", "杭州某某科技(集团)")]
    one, many = CustomerIndex(), CustomerIndex()
    for rec in rows:
        one.add(rec)
    many.add_all(rows)
    people = [
        ContactIn("k1", "c1", "张三", mobile="13812341234"),
        ContactIn("k2", "c2", "張三", mobile="+86 138 1234 1234"),
    ]
    c_one, c_many = ContactIndex(one), ContactIndex(many)
    for p in people:
        c_one.add(p)
    c_many.add_all(people)
    assert many.groups(c_many) == one.groups(c_one) and many.groups(c_many)
    assert c_many.groups() == c_one.groups() and c_many.groups()
    assert gc.isenabled()
