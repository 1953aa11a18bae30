"""Instant search over customers, contacts, leads and follow-ups (SPEC D4).

Each searchable record has a document (see :mod:`app.domain.derived`): its folded text, the
pinyin initials of its name and the tokens FTS5 is fed. Candidates from FTS5 are checked
against the folded text, so a hit always really contains what was typed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from app.domain.derived import INDEXED, MAX_SUFFIXES, search_text, search_tokens
from app.domain.text import ALNUM_RUN, CJK_RUN, fold_key

TABLES = {"customer": "customers", "contact": "contacts", "lead": "leads", "followup": "followups"}
ENTITY_ORDER = {"customer": 0, "contact": 1, "lead": 2, "followup": 3}


@dataclass(frozen=True)
class SearchHit:
    entity: str
    record_id: str
    customer_id: str | None
    label: str


def index_record(
    db: sqlite_utils.Database, entity: str, row: Mapping[str, Any], *, fresh: bool = False
) -> None:
    """Add or refresh one record in the index (call inside the write's transaction).

    ``fresh`` says the record was just inserted, so there is no older entry to remove.
    """
    if entity not in INDEXED:
        return
    if not fresh or row.get("_deleted"):
        unindex_record(db, str(row["id"]))
    doc = document(entity, str(row["id"]), row)
    if doc is not None:
        insert_documents(db, [doc])


def unindex_record(db: sqlite_utils.Database, record_id: str) -> None:
    """Remove a record from the index.

    The FTS table is contentless (it keeps no copy of the text), so removing an entry means
    handing it the exact tokens it was given; they are rebuilt from the stored document.
    """
    row = db.execute(
        "SELECT rowid, body, initials FROM search_docs WHERE record_id = ?", (record_id,)
    ).fetchone()
    if row:
        rowid, body, initials = row
        db.execute(
            "INSERT INTO search_fts(search_fts, rowid, tokens) VALUES ('delete', ?, ?)",
            (rowid, search_tokens(body, initials or "")),
        )
        db.execute("DELETE FROM search_docs WHERE rowid = ?", (rowid,))


# A record ready for the index: (entity, record_id, customer_id, label, body, initials, tokens).
Document = tuple[str, str, Any, str, str, str, str]


def document(
    entity: str,
    record_id: str,
    fields: Mapping[str, Any],
    derived: Mapping[str, Any] | None = None,
) -> Document | None:
    """What :func:`insert_documents` writes for a record; None for what is not indexed.

    ``derived`` is what the server derived for the record (see
    :func:`app.domain.derived.usable`); without it the document is built here.
    """
    if entity not in INDEXED or fields.get("_deleted"):
        return None
    if derived is not None and "doc" in derived:
        body, initials, tokens = derived["doc"]
    else:
        body, initials = search_text(entity, fields)
        tokens = search_tokens(body, initials)
    label = str(fields.get(INDEXED[entity][1]) or "")
    customer_id = record_id if entity == "customer" else fields.get("customer_id")
    return (entity, record_id, customer_id, label, body, initials, tokens)


def insert_documents(db: sqlite_utils.Database, docs: list[Document]) -> None:
    """Index records that are not in the index yet (one insert per table)."""
    if not docs:
        return
    # Row ids are handed out here so both tables can be filled with one executemany each.
    first = db.execute("SELECT coalesce(max(rowid), 0) + 1 FROM search_docs").fetchone()[0]
    db.conn.executemany(
        "INSERT INTO search_docs(rowid, entity, record_id, customer_id, label, body, initials) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(first + i, *doc[:6]) for i, doc in enumerate(docs)],
    )
    db.conn.executemany(
        "INSERT INTO search_fts(rowid, tokens) VALUES (?, ?)",
        [(first + i, doc[6]) for i, doc in enumerate(docs)],
    )


def index_many(db: sqlite_utils.Database, entity: str, rows: Iterable[Mapping[str, Any]]) -> None:
    """Bulk variant of :func:`index_record` for records not in the index yet."""
    docs = (document(entity, str(row["id"]), row) for row in rows)
    insert_documents(db, [d for d in docs if d is not None])


def reindex_all(db: sqlite_utils.Database) -> None:
    """Rebuild the whole index from the entity tables."""
    db.execute("INSERT INTO search_fts(search_fts) VALUES ('delete-all')")
    db.execute("DELETE FROM search_docs")
    for entity, table in TABLES.items():
        index_many(db, entity, db.query(f"SELECT * FROM {table} WHERE _deleted = 0"))


def _fts_query(folded: str) -> str | None:
    terms: list[str] = []
    for run in CJK_RUN.findall(folded):
        if len(run) == 1:
            terms.append(f'"{run}"*')
        else:
            grams = [run[i : i + 2] for i in range(len(run) - 1)]
            terms.extend(f'"{g}"' for g in dict.fromkeys(grams))
    for word in ALNUM_RUN.findall(folded):
        terms.append(f'"{word[:MAX_SUFFIXES]}"*')
    return " AND ".join(terms) if terms else None


def _really_matches(parts: list[str], body: str, initials: str) -> bool:
    return all(p in body or (initials and p in initials) for p in parts)


def search(
    db: sqlite_utils.Database,
    query: str,
    *,
    limit: int = 50,
    entities: Iterable[str] | None = None,
) -> list[SearchHit]:
    """Records whose text contains every word of ``query`` (customers first)."""
    folded = fold_key(query)
    match = _fts_query(folded)
    if match is None:
        return []
    parts = CJK_RUN.findall(folded) + ALNUM_RUN.findall(folded)
    wanted = set(entities) if entities is not None else None
    # Over-fetch: a few FTS candidates fail the exact check or belong to other entities.
    rows = db.execute(
        """SELECT d.entity, d.record_id, d.customer_id, d.label, d.body, d.initials
           FROM search_fts JOIN search_docs d ON d.rowid = search_fts.rowid
           WHERE search_fts MATCH ? LIMIT ?""",
        (match, limit * 8),
    ).fetchall()
    hits = [
        SearchHit(entity, rid, cid, label)
        for entity, rid, cid, label, body, initials in rows
        if (wanted is None or entity in wanted) and _really_matches(parts, body, initials or "")
    ]
    first = parts[0] if parts else ""
    hits.sort(
        key=lambda h: (ENTITY_ORDER.get(h.entity, 9), not fold_key(h.label).startswith(first))
    )
    return hits[:limit]
