"""Values a device derives from a record's fields and stores beside them.

A customer's or contact's pinyin sort key, a customer's company key and the search document of
every searchable record depend on the fields alone. The server computes them once, when it
writes a record, and sends them with it; a device on the same :data:`VERSION` stores them as
they come, so a first sync does not compute tens of thousands of them on the device. Records
without them, or from a server on another version, are derived on the device with this same
code, so both ways give the same result.

The search document feeds SQLite's FTS5, which has no tokenizer that finds a two-character
Chinese word inside a longer one ("鹿家" in "轻鹿家居"), and people mostly type two-character
names. So the index is fed pre-split tokens: every CJK character pair, every suffix of every
digit run (which turns substring search into FTS5 prefix search: "1234" finds "13812341234"),
every Latin word (found by its beginning), and every suffix of the pinyin initials of names
("qlhx" finds 上海轻鹿恒信…). A phone number with separators is also indexed as one run of
digits, so digits typed across the area code ("0215915") find "021-5915…".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from operator import add
from typing import Any

from app.domain.text import ALNUM_RUN, CJK_RUN, company_key, fold_key, pinyin_keys

# Bump whenever any function here changes what it returns: devices then stop trusting what
# the server stored and derive for themselves until the server has derived everything again.
VERSION = 2

# The columns a device stores beside a record's name, per entity.
NAME_COLUMNS: dict[str, tuple[str, ...]] = {
    "customer": ("name_sort", "name_key"),
    "contact": ("name_sort",),
}
# What is indexed per entity: (text fields, the field that labels a hit, has pinyin initials).
INDEXED: dict[str, tuple[tuple[str, ...], str, bool]] = {
    "customer": (("name", "credit_code", "phone", "email", "address", "industry"), "name", True),
    "contact": (("name", "title", "mobile", "phone", "email", "wechat"), "name", True),
    "lead": (("name", "company", "mobile", "email"), "name", True),
    "followup": (("conclusion", "next_action", "competitor_comparison"), "conclusion", False),
}
# Every field a record's search document depends on: a change to any other field leaves it as
# it is (the customer id goes into the document too, to show a hit under its customer).
SEARCHED_FIELDS: dict[str, frozenset[str]] = {
    name: frozenset((*fields, label, "customer_id")) for name, (fields, label, _) in INDEXED.items()
}
DERIVED_ENTITIES = NAME_COLUMNS.keys() | INDEXED.keys()
MAX_SUFFIXES = 24
_FIELD_BREAK = " \u2029 "
# Fields holding phone numbers, which people type with or without the separators.
PHONE_FIELDS = frozenset(("phone", "mobile"))
_DIGITS = re.compile(r"\d+")


def tokens_for(text: str) -> list[str]:
    """Index tokens of already-folded text.

    A CJK run gives its character pairs plus its last character: a one-character query is a
    prefix query ("鹿"*) that finds the pairs starting with it, so the other single
    characters need no tokens of their own (half the index of indexing them all).
    """
    out: list[str] = []
    for run in CJK_RUN.findall(text):
        out += map(add, run, run[1:])
        out.append(run[-1])
    for word in ALNUM_RUN.findall(text):
        if word.isdigit():
            # People search phone numbers by any part ("1234" of 13812341234): every suffix
            # makes a substring a prefix query. Words are found by their beginning.
            out += [word[i:] for i in range(min(len(word), MAX_SUFFIXES))]
        else:
            out.append(word)
    return out


def search_text(entity: str, fields: Mapping[str, Any]) -> tuple[str, str]:
    """(body, initials) of a searchable record: its folded text and its name's initials."""
    names, label_field, with_initials = INDEXED[entity]
    texts = []
    for f in names:
        if not fields.get(f):
            continue
        text = fold_key(str(fields[f]))
        runs = _DIGITS.findall(text) if f in PHONE_FIELDS else []
        if len(runs) > 1:
            text += " " + "".join(runs)  # typed without the separators
        texts.append(text)
    body = _FIELD_BREAK.join(texts)
    initials = pinyin_keys(str(fields.get(label_field) or ""))[1] if with_initials else ""
    return body, initials


def search_tokens(body: str, initials: str) -> str:
    """What the FTS table is given for a document (and must be given again to remove it)."""
    tokens = tokens_for(body)
    # Initials are found anywhere in a name: every suffix makes a substring a prefix query.
    tokens += [initials[i:] for i in range(min(len(initials), MAX_SUFFIXES))]
    return " ".join(tokens)


def name_columns(
    entity: str, name: str, derived: Mapping[str, Any] | None = None
) -> dict[str, str]:
    """The :data:`NAME_COLUMNS` of ``entity`` for ``name``: taken from what the server
    ``derived`` (see :func:`usable`) when given, else computed here."""
    out: dict[str, str] = {}
    for column in NAME_COLUMNS.get(entity, ()):
        if column == "name_sort":
            out[column] = derived["sort"] if derived else pinyin_keys(name)[0]
        else:
            out[column] = derived["key"] if derived else company_key(name)
    return out


def derive(entity: str, fields: Mapping[str, Any]) -> dict[str, Any] | None:
    """Everything derived from a live record's fields, stamped with :data:`VERSION`.

    Keys: ``sort`` (customers, contacts), ``key`` (customers), ``doc`` = [body, initials,
    tokens] (searchable entities). None for entities with nothing derived.
    """
    if entity not in DERIVED_ENTITIES:
        return None
    out: dict[str, Any] = {"v": VERSION}  # first, so a stored copy shows its version up front
    names = name_columns(entity, str(fields.get("name") or ""))
    if "name_sort" in names:
        out["sort"] = names["name_sort"]
    if "name_key" in names:
        out["key"] = names["name_key"]
    if entity in INDEXED:
        body, initials = search_text(entity, fields)
        out["doc"] = [body, initials, search_tokens(body, initials)]
    return out


def usable(derived: Any) -> Mapping[str, Any] | None:
    """``derived`` as sent by a server if this device can store it as it is, else None."""
    if isinstance(derived, Mapping) and derived.get("v") == VERSION:
        return derived
    return None
