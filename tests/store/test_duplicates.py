"""Duplicate check (C1) on the local copy, before a customer or contact is created."""

from __future__ import annotations

import pytest

from app.store.duplicates import find_duplicates
from app.store.service import Store


@pytest.fixture
def book(store: Store) -> dict[str, str]:
    c = store.create(
        "customer",
        {
            "name": "杭州某某科技股份有限公司",
            "owner": "u-rep",
            "credit_code": "91350100M000100Y43",
            "email": "Info@MouMou.cn",
        },
    )
    k = store.create(
        "contact",
        {"customer_id": c, "name": "张伟", "mobile": "13812345678", "email": "zhangwei@moumou.cn"},
    )
    other = store.create("customer", {"name": "宁波安泰机械有限公司", "owner": "u-rep"})
    return {"customer": c, "contact": k, "other": other}


@pytest.mark.parametrize(
    "company",
    [
        "杭州某某科技(集团)",
        "某某科技",
        "浙江省杭州市某某科技有限责任公司",
        "杭州某某科技有限公司",
        "杭州某某科技（集团）有限公司",
    ],
)
def test_same_company_under_other_spellings(
    store: Store, book: dict[str, str], company: str
) -> None:
    hits = find_duplicates(store, company=company)
    assert [(h.record_id, h.exact) for h in hits] == [(book["customer"], True)]


def test_padding_words_fold_away(store: Store, book: dict[str, str]) -> None:
    hits = find_duplicates(store, company="某某科技发展有限公司")
    assert [h.record_id for h in hits] == [book["customer"]]
    assert "legal form" in hits[0].reason.en
    assert 0.7 <= hits[0].score < 1


@pytest.mark.parametrize(
    ("kw", "entity"),
    [
        ({"credit_code": "91350100m000100y43"}, "customer"),
        ({"mobile": "+86 138-1234-5678"}, "contact"),
        ({"email": "ZhangWei@moumou.cn"}, "contact"),
        ({"email": "info@moumou.cn"}, "customer"),
    ],
)
def test_exact_matches(store: Store, book: dict[str, str], kw: dict[str, str], entity: str) -> None:
    hits = find_duplicates(store, **kw)
    assert [(h.entity, h.exact) for h in hits] == [(entity, True)]
    assert hits[0].customer_id == book["customer"]


def test_person_at_the_same_company(store: Store, book: dict[str, str]) -> None:
    # 张伟 is among the commonest names: the name and the company alone are not enough…
    hits = find_duplicates(store, company="某某科技", person="张伟")
    assert [h.entity for h in hits] == ["customer"]
    # …a masked mobile showing the same digits is the second signal.
    hits = find_duplicates(store, company="某某科技", person="張偉", mobile="138****5678")
    assert [h.entity for h in hits] == ["customer", "contact"] or [h.entity for h in hits] == [
        "contact",
        "customer",
    ]
    contact = next(h for h in hits if h.entity == "contact")
    assert contact.record_id == book["contact"]
    assert any("masked" in r.en for r in contact.reasons)


def test_no_false_alarms(store: Store, book: dict[str, str]) -> None:
    assert find_duplicates(store, company="杭州科技有限公司") == []  # only generic words left
    assert (
        find_duplicates(
            store, company="上海青鸟贸易", mobile="13900000000", email="x@y.cn", credit_code="bad"
        )
        == []
    )


def test_the_index_follows_every_change(store: Store, book: dict[str, str]) -> None:
    assert [h.record_id for h in find_duplicates(store, company="安泰机械")] == [book["other"]]
    store.update("customer", book["other"], {"name": "宁波远航物流有限公司"})
    assert find_duplicates(store, company="安泰机械") == []
    assert [h.record_id for h in find_duplicates(store, company="远航物流")] == [book["other"]]
    store.delete("customer", book["other"])
    assert find_duplicates(store, company="远航物流") == []
    # A write behind the store's back (as a sync's pull is) is seen as well.
    store.connection().execute(
        "UPDATE contacts SET mobile = '13900001111' WHERE id = ?", (book["contact"],)
    )
    hits = find_duplicates(store, mobile="13900001111")
    assert [h.record_id for h in hits] == [book["contact"]]
