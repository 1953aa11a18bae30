"""Instant search finds Chinese substrings, digits inside numbers and pinyin initials."""

from __future__ import annotations

import pytest

from app.domain.derived import tokens_for
from app.store.service import Store


@pytest.fixture
def filled(store: Store, customer_id: str) -> Store:
    other = store.create(
        "customer",
        {"name": "安泰精工机械股份有限公司", "owner": "u-rep", "email": "sales@antai-jg.cn"},
    )
    store.create(
        "contact",
        {"customer_id": customer_id, "name": "张伟", "title": "采购经理", "mobile": "13812341234"},
    )
    store.create("contact", {"customer_id": other, "name": "李娜", "mobile": "13955556666"})
    store.followups.add(
        {
            "customer_id": other,
            "type": "demo",
            "next_action": "发送报价",
            "conclusion": "客户关注设备停机率,希望两周内试点",
            "due_on": "2026-11-06",
        }
    )
    return store


@pytest.mark.parametrize(
    ("query", "labels"),
    [
        ("鹿家", ["轻鹿家居有限公司"]),
        ("轻鹿家居", ["轻鹿家居有限公司"]),
        ("家", ["轻鹿家居有限公司"]),
        ("司", ["轻鹿家居有限公司", "安泰精工机械股份有限公司"]),  # last character of a run
        ("轻", ["轻鹿家居有限公司"]),  # first character
        ("张伟", ["张伟"]),
        ("1234", ["张伟"]),
        ("５５５６", ["李娜"]),  # full-width digits typed
        ("antai", ["安泰精工机械股份有限公司"]),
        ("ATJ", ["安泰精工机械股份有限公司"]),  # pinyin initials, any case
        ("qljj", ["轻鹿家居有限公司"]),
        ("停机", ["客户关注设备停机率,希望两周内试点"]),
        ("采购 张", ["张伟"]),  # several words: all must match
    ],
)
def test_finds(filled: Store, query: str, labels: list[str]) -> None:
    assert [h.label for h in filled.search(query)] == labels


def test_no_false_positive_from_scattered_bigrams(filled: Store) -> None:
    filled.create("customer", {"name": "鹿家小店与轻鹿", "owner": "u-rep"})
    assert [h.label for h in filled.search("轻鹿家")] == ["轻鹿家居有限公司"]


def test_customers_rank_first_and_limit(filled: Store) -> None:
    hits = filled.search("a")
    assert hits and hits[0].entity == "customer"
    assert len(filled.search("1", limit=1)) == 1


def test_index_follows_edits(filled: Store, customer_id: str) -> None:
    filled.update("customer", customer_id, {"name": "青鸟家具有限公司"})
    assert filled.search("鹿家") == []
    assert [h.record_id for h in filled.search("青鸟")] == [customer_id]


def test_empty_and_punctuation_queries(filled: Store) -> None:
    assert filled.search("") == [] and filled.search("  ,,;  ") == []
    assert filled.search('"OR" AND NOT *') == []  # FTS syntax is never passed through


def test_tokens() -> None:
    assert tokens_for("轻鹿家 ab1 138") == ["轻鹿", "鹿家", "家", "ab1", "138", "38", "8"]


@pytest.mark.parametrize("query", ["qlhx", "QLHXKJ", "lhx", "0215915", "02159151234", "5915"])
def test_initials_anywhere_and_phone_digits_across_the_area_code(store: Store, query: str) -> None:
    store.create(
        "customer", {"name": "上海轻鹿恒信科技有限公司", "phone": "021-59151234", "owner": "u-rep"}
    )
    assert [h.label for h in store.search(query)] == ["上海轻鹿恒信科技有限公司"]
