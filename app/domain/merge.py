"""Field-level merge of concurrent edits (SPEC S3), shared by the client and the server.

An edit names the record version it was based on and, per field, the new value and the value
the device saw. The server keeps, per field, the record version at which the field last
changed, so "changed on both sides since the base" is decided field by field:

* a field the server has not changed since the base takes the edit's value;
* a field both sides changed to the same value needs nothing;
* a field the server changed but whose current value equals the device's base value (it went
  away and came back) takes the edit's value;
* a JSON object field (decision chain, checklist, evidence) merges key by key against the base;
  a JSON list field (pain points, contact ids) merges item by item, items matched by their
  ``id``, else their ``text``, else their whole value;
* anything else is a conflict. **Policy: the value that reached the server first stays** (it is
  the one other users may already have pulled and acted on); the incoming value loses and is
  returned as a :class:`FieldConflict` so the caller can keep it where the affected users see
  it and can restore it. No clock takes part: "first" is the server's own order of arrival.

Stage fields never pass through here: stage moves are judged by :mod:`app.domain.process`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from app.domain.schema import entity

APPLIED: Final = "applied"
MERGED: Final = "merged"
CONFLICT: Final = "conflict"


class _Missing:
    """Marks an absent key or base value (``None`` is a real value)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()


def canonical(value: Any) -> str:
    """Canonical JSON text of a value: equal values give equal text."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


# JSON scalars whose canonical texts differ whenever the values differ (not floats: NaN).
_PLAIN = frozenset({str, int, bool, type(None)})


def same(a: Any, b: Any) -> bool:
    """Value equality that ignores key order and int/float or tuple/list differences."""
    if a is MISSING or b is MISSING:
        return a is b
    if a == b:
        return True
    if type(a) in _PLAIN and type(b) in _PLAIN:
        return False  # the common case, decided without encoding both sides
    return canonical(a) == canonical(b)


@dataclass(frozen=True)
class FieldConflict:
    """One value that lost: ``kept`` stays on the record, ``lost`` is the rejected edit.

    ``key`` names the object key or list item inside a JSON field, or is None for a whole field.
    ``MISSING`` in ``kept``/``lost`` means "absent" (removed key or item).
    """

    field: str
    kept: Any
    lost: Any
    base: Any = MISSING
    key: str | None = None


@dataclass(frozen=True)
class MergeResult:
    """The fields to write (already merged) and the conflicts that lost."""

    changes: dict[str, Any]
    conflicts: tuple[FieldConflict, ...]
    # True when the record changed on the server after the edit's base version.
    concurrent: bool

    @property
    def outcome(self) -> str:
        """``applied`` (record unchanged since the base), ``merged`` (combined with changes
        made meanwhile) or ``conflict`` (some value lost)."""
        if self.conflicts:
            return CONFLICT
        return MERGED if self.concurrent else APPLIED


def item_key(item: Any) -> str:
    """Identity of a list item for three-way list merges."""
    if isinstance(item, Mapping):
        for k in ("id", "text", "name"):
            if item.get(k) not in (None, ""):
                return f"{k}:{canonical(item[k])}"
    return "v:" + canonical(item)


def merge_object(
    field: str, base: Mapping[str, Any], mine: Mapping[str, Any], theirs: Mapping[str, Any]
) -> tuple[dict[str, Any], list[FieldConflict]]:
    """Three-way merge of JSON objects; ``theirs`` is the server's (winning) side."""
    result = dict(theirs)
    conflicts: list[FieldConflict] = []
    for k in sorted({*base, *mine, *theirs}):
        b, m, t = base.get(k, MISSING), mine.get(k, MISSING), theirs.get(k, MISSING)
        if same(m, b) or same(m, t):
            continue  # the device left this key alone, or both agree
        if same(t, b):
            if m is MISSING:
                result.pop(k, None)
            else:
                result[k] = m
            continue
        conflicts.append(FieldConflict(field, t, m, b, k))
    return result, conflicts


def merge_list(
    field: str, base: Sequence[Any], mine: Sequence[Any], theirs: Sequence[Any]
) -> tuple[list[Any], list[FieldConflict]]:
    """Three-way merge of JSON lists: additions from both sides are kept, in server order
    first; an item removed on one side and untouched on the other is removed."""
    bk = {item_key(i): i for i in base}
    mk = {item_key(i): i for i in mine}
    tk = {item_key(i): i for i in theirs}
    result: list[Any] = []
    conflicts: list[FieldConflict] = []
    for k, t in tk.items():
        b, m = bk.get(k, MISSING), mk.get(k, MISSING)
        if m is MISSING:
            if b is MISSING:
                result.append(t)  # added on the server only
            elif same(t, b):
                continue  # removed by the device, untouched on the server
            else:
                result.append(t)  # server edited what the device removed: keep the edit
                conflicts.append(FieldConflict(field, t, MISSING, b, k))
            continue
        if same(m, t) or same(m, b):
            result.append(t)
        elif b is not MISSING and same(t, b):
            result.append(m)
        else:
            result.append(t)
            conflicts.append(FieldConflict(field, t, m, b, k))
    for k, m in mk.items():
        if k in tk:
            continue
        b = bk.get(k, MISSING)
        if b is MISSING:
            result.append(m)  # added on the device
        elif not same(m, b):
            # The server removed an item the device edited: the removal stays.
            conflicts.append(FieldConflict(field, MISSING, m, b, k))
    return result, conflicts


def merge_edit(
    entity_name: str,
    current: Mapping[str, Any],
    field_versions: Mapping[str, int],
    base_version: int,
    edits: Mapping[str, Any],
    base: Mapping[str, Any] | None = None,
) -> MergeResult:
    """Merge an edit made against ``base_version`` into the record's ``current`` values.

    ``field_versions`` maps each field to the record version that last changed it; ``edits``
    holds clean new values; ``base`` the values the device saw (may be partial or absent, in
    which case a concurrently changed field cannot be reconciled and is a conflict).
    """
    ent = entity(entity_name)
    base = base or {}
    changes: dict[str, Any] = {}
    conflicts: list[FieldConflict] = []
    concurrent = any(v > base_version for v in field_versions.values())
    for name, new in edits.items():
        cur = current.get(name)
        if field_versions.get(name, 0) <= base_version:
            if not same(new, cur):
                changes[name] = new
            continue
        old = base.get(name, MISSING)
        if same(new, cur):
            continue
        if old is not MISSING and same(old, cur):
            changes[name] = new
            continue
        kind = ent.field(name).kind
        if kind == "json" and old is not MISSING:
            if isinstance(cur, Mapping) and isinstance(new, Mapping):
                merged_obj, lost = merge_object(
                    name, old if isinstance(old, Mapping) else {}, new, cur
                )
                if not same(merged_obj, cur):
                    changes[name] = merged_obj
                conflicts.extend(lost)
                continue
            if isinstance(cur, list) and isinstance(new, list):
                merged_list, lost = merge_list(name, old if isinstance(old, list) else [], new, cur)
                if not same(merged_list, cur):
                    changes[name] = merged_list
                conflicts.extend(lost)
                continue
        conflicts.append(FieldConflict(name, cur, new, old))
    return MergeResult(changes, tuple(conflicts), concurrent)


def changed_since(field_versions: Mapping[str, int], base_version: int) -> list[str]:
    """Fields the server changed after ``base_version`` (what a stale delete did not see)."""
    return sorted(f for f, v in field_versions.items() if v > base_version)
