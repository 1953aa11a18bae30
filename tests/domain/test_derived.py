"""Derived values: the same whether the server or the device computes them."""

from __future__ import annotations

from app.domain.derived import VERSION, derive, search_text, search_tokens, tokens_for, usable
from app.domain.text import company_key, pinyin_initials, pinyin_sort_key
from app.store import search


def test_derive_matches_what_the_device_computes_for_each_entity() -> None:
    customer = {"name": "杭州轻鹿家居有限公司", "phone": "0571-88886666", "industry": "家居"}
    got = derive("customer", customer)
    assert got is not None and got["v"] == VERSION
    assert got["sort"] == pinyin_sort_key(customer["name"])
    assert got["key"] == company_key(customer["name"]) == "轻鹿家居"
    body, initials, tokens = got["doc"]
    assert initials == pinyin_initials(customer["name"])
    assert tokens == search_tokens(body, initials)
    assert {"轻鹿", "88886666", "6666", initials} <= set(tokens.split())

    contact = derive("contact", {"name": "Amy 王", "email": "Amy@Example.com"})
    assert contact is not None and set(contact) == {"v", "sort", "doc"}
    assert "amy@example.com" in contact["doc"][0]  # folded
    followup = derive("followup", {"conclusion": "客户认可方案", "next_action": "报价"})
    assert followup is not None and set(followup) == {"v", "doc"}
    assert followup["doc"][1] == ""  # follow-ups have no name, so no initials
    assert derive("deal", {"title": "ERP 项目"}) is None


def test_a_document_from_derived_values_equals_one_built_on_the_device() -> None:
    fields = {"customer_id": "k-1", "name": "张伟", "mobile": "138 1234 1234", "title": "总监"}
    built = search.document("contact", "c-1", fields)
    assert built == search.document("contact", "c-1", fields, derive("contact", fields))
    assert built is not None and built[:4] == ("contact", "c-1", "k-1", "张伟")


def test_only_derived_values_of_this_version_are_used() -> None:
    derived = derive("customer", {"name": "轻鹿家居"})
    assert usable(derived) is derived
    assert usable({**(derived or {}), "v": VERSION + 1}) is None
    assert usable(None) is None and usable(["v", VERSION]) is None


def test_search_text_keeps_fields_apart() -> None:
    body, _ = search_text("customer", {"name": "轻鹿", "address": "家居路"})
    # "鹿家" spans two fields, so it must not become a token.
    assert "鹿家" not in tokens_for(body)
