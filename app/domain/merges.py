"""Merging duplicates (SPEC C2): what client and server agree on (docs/SYNC.md §11).

A merge names the record that stays (the survivor), the records merged into it, and for each
field the record whose value stays. The server applies it in one transaction; every device that
held either record redirects its references to the survivor.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from app.domain.messages import Msg
from app.domain.schema import ENTITIES

MERGE_ENTITY = "merge"
MERGEABLE = ("customer", "contact")
MAX_MERGED = 20
# How far a chain of merges is followed (A into B, then B into C…).
MAX_CHAIN = 32
MERGER_ROLES = ("lead", "admin")
_MERGE_NS = uuid.UUID("0b8c7f53-5a0e-4a4e-9d7c-3c9f2f61e1a4")
# Where a contact belongs stays the survivor's: contacts of one customer only are merged.
_FIXED = frozenset({"customer_id"})
# Fields naming a customer or a contact, redirected to a merge's survivor.
REFERENCE_FIELDS = ("customer_id", "contact_id", "primary_contact_id")

ROLE_REFUSED = Msg(
    "只有主管或管理员可以合并重复记录",
    "Only a team lead or an admin can merge duplicates",
)


def merge_record_id(op_id: str) -> str:
    """The id of the ``merge`` record an operation makes (the same on every retry)."""
    return str(uuid.uuid5(_MERGE_NS, op_id))


def pickable_fields(kind: str) -> tuple[str, ...]:
    """The fields whose value a merge chooses, in form order."""
    return tuple(f.name for f in ENTITIES[kind].user_fields if f.name not in _FIXED)


def choose(name: str, source_id: str, records: Sequence[tuple[str, Mapping[str, Any]]]) -> Any:
    """The value of ``name`` a merge keeps: the picked record's, or, when that is empty, the
    first value among the records (survivor first), so an empty pick never discards a value."""
    by_id = dict(records)
    value = by_id[source_id].get(name)
    if value in (None, "", [], {}):
        return next(
            (v for _rid, data in records if (v := data.get(name)) not in (None, "", [], {})),
            value,
        )
    return value
