"""The field-level merge policy shared by client and server (SPEC S3)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from app.domain.merge import (
    APPLIED,
    CONFLICT,
    MERGED,
    MISSING,
    changed_since,
    merge_edit,
    merge_list,
    merge_object,
)


def test_untouched_fields_take_the_edit() -> None:
    r = merge_edit(
        "customer",
        {"notes": "a", "phone": "1"},
        {"notes": 1, "phone": 1},
        1,
        {"notes": "b"},
        {"notes": "a"},
    )
    assert r.changes == {"notes": "b"} and r.outcome == APPLIED


def test_different_fields_changed_meanwhile_merge() -> None:
    r = merge_edit(
        "customer",
        {"notes": "a", "phone": "2"},
        {"notes": 1, "phone": 2},
        1,
        {"notes": "b"},
        {"notes": "a"},
    )
    assert r.changes == {"notes": "b"} and r.outcome == MERGED


def test_same_field_conflict_keeps_the_server_value() -> None:
    r = merge_edit(
        "customer", {"notes": "server"}, {"notes": 2}, 1, {"notes": "device"}, {"notes": "base"}
    )
    assert r.changes == {} and r.outcome == CONFLICT
    (c,) = r.conflicts
    assert (c.field, c.kept, c.lost, c.base) == ("notes", "server", "device", "base")


def test_same_value_on_both_sides_and_value_that_came_back() -> None:
    same = merge_edit("customer", {"notes": "x"}, {"notes": 2}, 1, {"notes": "x"}, {"notes": "a"})
    assert same.changes == {} and not same.conflicts
    back = merge_edit("customer", {"notes": "a"}, {"notes": 3}, 1, {"notes": "b"}, {"notes": "a"})
    assert back.changes == {"notes": "b"} and not back.conflicts


def test_without_a_base_value_a_concurrent_change_is_a_conflict() -> None:
    r = merge_edit(
        "deal",
        {"decision_chain": {"a": 1}},
        {"decision_chain": 2},
        1,
        {"decision_chain": {"a": 1, "b": 2}},
    )
    assert r.outcome == CONFLICT


def test_object_merge_per_key() -> None:
    merged, lost = merge_object("f", {"a": 1, "b": 1}, {"a": 2, "b": 1, "c": 3}, {"a": 1, "b": 5})
    assert merged == {"a": 2, "b": 5, "c": 3} and not lost
    merged, lost = merge_object("f", {"a": 1}, {"a": 2}, {"a": 3})
    assert merged == {"a": 3} and lost[0].key == "a" and lost[0].lost == 2
    merged, lost = merge_object("f", {"a": 1, "b": 1}, {"b": 1}, {"a": 1, "b": 1})
    assert merged == {"b": 1} and not lost


def test_list_merge_per_item() -> None:
    base = [{"text": "x", "confirmed": False}]
    mine = [{"text": "x", "confirmed": True}, {"text": "y"}]
    theirs = [{"text": "x", "confirmed": False}, {"text": "z"}]
    merged, lost = merge_list("p", base, mine, theirs)
    assert merged == [{"text": "x", "confirmed": True}, {"text": "z"}, {"text": "y"}]
    assert not lost
    merged, lost = merge_list("p", ["a", "b"], ["a"], ["a", "b", "c"])
    assert merged == ["a", "c"] and not lost
    merged, lost = merge_list("p", [{"id": 1, "v": 0}], [], [{"id": 1, "v": 2}])
    assert merged == [{"id": 1, "v": 2}] and lost[0].lost is MISSING


def test_changed_since_lists_fields_newer_than_the_base() -> None:
    assert changed_since({"a": 1, "b": 3, "c": 2}, 1) == ["b", "c"]


values = st.one_of(st.none(), st.text(max_size=5), st.integers(-3, 3))
dicts = st.dictionaries(st.sampled_from("abcd"), values, max_size=4)


@given(base=dicts, mine=dicts, theirs=dicts)
def test_object_merge_loses_nothing(
    base: dict[str, Any], mine: dict[str, Any], theirs: dict[str, Any]
) -> None:
    merged, lost = merge_object("f", base, mine, theirs)
    lost_keys = {c.key for c in lost}
    for k in set(base) | set(mine) | set(theirs):
        if k in lost_keys:
            assert merged.get(k, MISSING) == theirs.get(k, MISSING)  # the server's value stays
            continue
        if mine.get(k, MISSING) != base.get(k, MISSING):
            assert merged.get(k, MISSING) == mine.get(k, MISSING)  # the device's change kept
        elif theirs.get(k, MISSING) != base.get(k, MISSING):
            assert merged.get(k, MISSING) == theirs.get(k, MISSING)


@given(base=dicts, mine=dicts, theirs=dicts)
def test_object_merge_is_deterministic_and_identity_when_unchanged(
    base: dict[str, Any], mine: dict[str, Any], theirs: dict[str, Any]
) -> None:
    assert merge_object("f", base, mine, theirs) == merge_object("f", base, mine, theirs)
    assert merge_object("f", base, base, theirs) == (theirs, [])


@given(
    st.lists(st.text(max_size=3), max_size=5, unique=True),
    st.lists(st.text(max_size=3), max_size=5, unique=True),
    st.lists(st.text(max_size=3), max_size=5, unique=True),
)
def test_list_merge_keeps_every_addition(
    base: list[str], mine: list[str], theirs: list[str]
) -> None:
    merged, _ = merge_list("p", base, mine, theirs)
    for item in (set(mine) - set(base)) | (set(theirs) - set(base)):
        assert item in merged
    for item in set(base) - set(mine) - (set(theirs) - set(base)):
        if item in theirs:
            assert item not in merged  # removed by the device, untouched on the server
