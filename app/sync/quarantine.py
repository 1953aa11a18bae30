"""Pulled records this device cannot read, set aside so that the pull goes on (SPEC S2).

A server is trusted to send well-formed pages, but one bad value in one record (a number JSON
cannot hold, a field of the wrong type, text that is not JSON at all, written by an older
server or by hand into its database) must not stop every device that sees the record. Such a
record is kept here with the text it came as and the reason, shown to the user (``fieldcrm
sync``, the status bar), and skipped; the cursor moves past it. A good copy arriving later
takes its place. Each bad copy is also reported through the ordinary channel: an alert of kind
``unreadable`` owned by the user, which the next push carries to the server (see :func:`report`).
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from app.domain.messages import Msg
from app.domain.schema import ENTITIES
from app.store.service import Store, utc_now

_INT64 = 2**63
# How the server starts every item of a page (server.pull): enough to name a record whose
# remaining text cannot be read.
_HEAD = re.compile(rb'\{"entity":("(?:[^"\\]|\\.)*"),"id":("(?:[^"\\]|\\.)*")(?:,"version":(\d+))?')
_PAGE_START = b'{"changes":['
_PAGE_END = re.compile(
    rb'\],"cursor":("(?:[^"\\]|\\.)*"),"more":(true|false),"rules_version":(-?\d+)\}\s*$'
)


@dataclass(frozen=True)
class Quarantined:
    """A record set aside: what could be read of who it is, its text, and why."""

    entity: str | None
    record_id: str | None
    version: int | None
    raw: str
    reason: Msg


class NotAPage(ValueError):
    """The body is not a page of the change feed at all (a proxy's page, a cut-off body)."""


# ---- reading a page that strict JSON refuses ---------------------------------------------
def salvage(body: bytes) -> tuple[dict[str, Any], list[Quarantined]]:
    """The page in ``body`` item by item: items that read (even with a number strict JSON
    refuses) are returned for checking, the rest as quarantined text.

    Raises :class:`NotAPage` when the page's own frame cannot be found.
    """
    end = _PAGE_END.search(body)
    if not body.startswith(_PAGE_START) or end is None:
        raise NotAPage()
    try:
        cursor = json.loads(end[1])
    except ValueError:
        raise NotAPage() from None
    middle = body[len(_PAGE_START) : end.start()].decode("utf-8", errors="replace")
    items: list[Any] = []
    held: list[Quarantined] = []
    for text in _split_items(middle):
        try:
            items.append(json.loads(text))  # the standard module reads Infinity and NaN
        except ValueError:
            held.append(unreadable(text))
    page = {
        "changes": items,
        "cursor": cursor,
        "more": end[2] == b"true",
        "rules_version": int(end[3]),
    }
    return page, held


def _split_items(middle: str) -> Iterator[str]:
    """The items of a page's ``changes`` list as texts; an item that is not JSON runs up to
    where the next item starts."""
    decoder = json.JSONDecoder()
    pos, n = 0, len(middle)
    while pos < n:
        try:
            _, stop = decoder.raw_decode(middle, pos)
        except ValueError:
            following = middle.find(',{"entity":', pos + 1)
            stop = n if following < 0 else following
        else:
            if stop < n and middle[stop] != ",":
                following = middle.find(',{"entity":', stop)
                stop = n if following < 0 else following
        yield middle[pos:stop]
        pos = stop + 1  # past the comma


def unreadable(text: str) -> Quarantined:
    """A feed item that is not JSON at all, set aside as the text it came as."""
    head = _HEAD.match(text.encode("utf-8"))
    entity = record_id = None
    version = None
    if head is not None:
        try:
            entity, record_id = json.loads(head[1]), json.loads(head[2])
            version = int(head[3]) if head[3] else None
        except ValueError:
            entity = record_id = None
    return Quarantined(
        entity if isinstance(entity, str) else None,
        record_id if isinstance(record_id, str) else None,
        version,
        text,
        Msg("记录不是有效的 JSON", "The record is not valid JSON"),
    )


# ---- checking one item -------------------------------------------------------------------
def check(item: Any, *, lenient_json: bool = False) -> Msg | None:
    """Why this device cannot store a feed item as it is, or None when it can.

    ``lenient_json``: the item was read by a decoder that accepts Infinity and NaN (see
    :func:`salvage`), so every value is searched for them, named fields or not.
    """
    if not isinstance(item, dict):  # what a JSON decoder makes
        return Msg("条目不是对象", "The item is not an object")
    kind, rid = item.get("entity"), item.get("id")
    if not isinstance(kind, str) or not isinstance(rid, str) or not rid:
        return Msg("条目缺少类型或 id", "The item has no kind or id")
    if item.get("removed"):
        return None
    fields = item.get("fields")
    if kind == "conflict":
        if not isinstance(fields, dict):
            return _wrong("fields")
        return _not_finite(fields, "fields") if lenient_json else None
    version = item.get("version", 0)
    if not isinstance(version, int) or isinstance(version, bool) or not 0 <= version < _INT64:
        return _wrong("version")
    if item.get("deleted"):
        return None
    if fields is None:
        fields = {}
    if not isinstance(fields, dict):
        return _wrong("fields")
    if lenient_json:
        for name, value in fields.items():
            problem = _not_finite(value, str(name))
            if problem is not None:
                return problem
    expected = _EXPECTED.get(kind)
    if expected is None:
        return None  # a newer server's entity: ignored when stored, not poison
    # One pass over the values (this runs for every pulled record); None fits every field,
    # and a field this version does not store fits ``object``.
    fits = expected.get
    wrong = [n for n, v in fields.items() if v is not None and not isinstance(v, fits(n, object))]
    if wrong:
        name = str(wrong[0])
        return _not_finite(fields[wrong[0]], name) or _wrong(name)
    for name in _NUMERIC[kind]:  # a few names, often none
        value = fields.get(name)
        if isinstance(value, (int, float)) and not (
            math.isfinite(value) and -_INT64 <= value < _INT64
        ):
            return _not_finite(value, name) or _wrong(name)
    return None


# What each field kind may hold in a feed item (None aside): the store's column types.
_TEXT: tuple[type, ...] = (str,)
_WHOLE: tuple[type, ...] = (int,)  # bool is an int: 0/1 flags arrive as either
_AMOUNT: tuple[type, ...] = (str, int, float)
_STRUCTURED: tuple[type, ...] = (dict, list)
_BY_KIND = {"int": _WHOLE, "bool": _WHOLE, "decimal": _AMOUNT, "json": _STRUCTURED}
_EXPECTED: dict[str, dict[str, tuple[type, ...]]] = {
    ent.name: {f.name: _BY_KIND.get(f.kind, _TEXT) for f in ent.fields} for ent in ENTITIES.values()
}
_NUMERIC: dict[str, frozenset[str]] = {
    ent.name: frozenset(f.name for f in ent.fields if f.kind in ("int", "bool", "decimal"))
    for ent in ENTITIES.values()
}


def _wrong(name: str) -> Msg:
    return Msg("字段 {f} 的类型不对", "Field {f} has the wrong type").format(f=name)


def _not_finite(value: Any, name: str) -> Msg | None:
    """A message naming ``name`` when ``value`` holds an infinite or NaN number anywhere."""
    for number in _floats(value):
        if not math.isfinite(number):
            return Msg(
                "字段 {f} 含有无穷大或 NaN 的数值", "Field {f} holds an infinite or NaN number"
            ).format(f=name)
    return None


def _floats(value: Any) -> Iterator[float]:
    if isinstance(value, float):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _floats(v)
    elif isinstance(value, list):
        for v in value:
            yield from _floats(v)


def sound_derived(derived: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """``derived`` when its values have the shapes the store writes, else None (the device
    then derives them itself: the record is fine, only the server's extra is not)."""
    if derived is None:
        return None
    for key in ("sort", "key"):
        if key in derived and not isinstance(derived[key], str):
            return None
    doc = derived.get("doc")
    if "doc" in derived and not (
        isinstance(doc, list) and len(doc) == 3 and all(isinstance(d, str) for d in doc)
    ):
        return None
    return derived


def held_item(item: Any, reason: Msg) -> Quarantined:
    """A checked item that failed, as it will be kept."""
    entity = item.get("entity") if isinstance(item, Mapping) else None
    rid = item.get("id") if isinstance(item, Mapping) else None
    version = item.get("version") if isinstance(item, Mapping) else None
    return Quarantined(
        entity if isinstance(entity, str) else None,
        rid if isinstance(rid, str) else None,
        version if isinstance(version, int) and not isinstance(version, bool) else None,
        json.dumps(item, ensure_ascii=False, default=str),  # Infinity stays readable
        reason,
    )


# ---- the local list --------------------------------------------------------------------
def hold(store: Store, items: Iterable[Quarantined]) -> int:
    """Keep ``items`` (the newest bad copy of a record replaces an older one); return how many."""
    rows = [
        (
            q.entity,
            q.record_id,
            q.version if q.version is None or q.version < _INT64 else None,
            q.raw,
            json.dumps(q.reason.as_dict(), ensure_ascii=False),
            utc_now().isoformat(),
        )
        for q in items
    ]
    if rows:
        store.connection().conn.executemany(
            "INSERT OR REPLACE INTO quarantine "
            "(entity, record_id, version, raw, reason, received_at) VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
    return len(rows)


def release(store: Store, record_ids: Iterable[str]) -> None:
    """Forget set-aside copies of records that have now arrived readable (or left the scope)."""
    db = store.connection()
    if not db.execute("SELECT EXISTS(SELECT 1 FROM quarantine)").fetchone()[0]:
        return  # the usual case: nothing set aside, nothing to look up
    ids = list(record_ids)
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        db.execute(
            f"DELETE FROM quarantine WHERE record_id IN ({', '.join('?' * len(chunk))})", chunk
        )


def held(store: Store) -> list[dict[str, Any]]:
    """Every record set aside, oldest first, its reason as ``{"zh", "en"}``."""
    rows = store.connection().query("SELECT * FROM quarantine ORDER BY id")
    return [{**r, "reason": json.loads(r["reason"])} for r in rows]


# Alerts about unreadable records get ids derived from the device and what it held, so a bad
# copy is reported once per device however often it arrives, and a new bad version again.
_REPORT_NS = uuid.UUID("2d0f3b57-8a61-4c1e-9d2a-5b7e0c4f9a13")


def report(store: Store) -> int:
    """Raise one ``unreadable`` alert per record set aside and not yet reported; return how
    many. The alert syncs like any edit, so the server (and the user's lead) learn of it."""
    raised = 0
    for row in held(store):
        key = f"{store.device}:{row['entity']}:{row['record_id']}:{row['version']}"
        alert_id = str(uuid.uuid5(_REPORT_NS, key))
        if store.get("alert", alert_id) is not None:
            continue
        reason = row["reason"]
        what = f"{row['entity'] or '?'} {row['record_id'] or '?'}"
        store.create_checked(
            "alert",
            {
                "kind": "unreadable",
                "owner": store.actor,
                "message_zh": f"收到的记录无法读取,已暂存一旁:{what}({reason['zh']})",
                "message_en": f"A received record could not be read and was set aside: {what} "
                f"({reason['en']})",
            },
            alert_id,
        )
        raised += 1
    return raised
