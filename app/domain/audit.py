"""Tamper-evident audit entries (SPEC D5).

Each field change is one entry; the entries of one record form a hash chain: an entry's hash
covers its content and the previous entry's hash, so editing, removing or reordering any entry
breaks every hash after it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

GENESIS = "0" * 64
CHAINED_KEYS = ("entity", "record_id", "field", "old", "new", "actor", "device", "at")


def entry_hash(entry: Mapping[str, Any], prev_hash: str) -> str:
    """SHA-256 over the entry's content (canonical JSON) and the previous hash."""
    body = json.dumps(
        [prev_hash, *(entry.get(k) for k in CHAINED_KEYS)],
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def broken_links(entries: Iterable[Mapping[str, Any]]) -> list[int]:
    """Positions (0-based, in chain order) whose stored hash does not verify.

    An empty list means the chain is intact.
    """
    bad: list[int] = []
    prev = GENESIS
    for i, e in enumerate(entries):
        if e.get("prev_hash") != prev or entry_hash(e, prev) != e.get("hash"):
            bad.append(i)
        prev = str(e.get("hash"))
    return bad
