"""Instant search over customers, contacts, leads and follow-ups (SPEC D4).

SQLite's FTS5 has no tokenizer that finds a two-character Chinese word inside a longer one
("鹿家" in "轻鹿家居"), and people mostly type two-character names. So the index is fed
pre-split tokens: every CJK character pair, every suffix of every digit run (which turns
substring search into FTS5 prefix search: "1234" finds "13812341234"), every Latin word (found
by its beginning), and the pinyin initials of names. Candidates from FTS5 are then checked
against the folded text, so a hit always really contains what was typed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from app.domain.text import ALNUM_RUN, CJK_RUN, fold_key, pinyin_initials

# What is indexed per entity: (text fields, the field that labels a hit, has pinyin initials).
INDEXED: dict[str, tuple[tuple[str, ...], str, bool]] = {
    "customer": (("name", "credit_code", "phone", "email", "address", "industry"), "name", True),
    "contact": (("name", "title", "mobile", "phone", "email", "wechat"), "name", True),
    "lead": (("name", "company", "mobile", "email"), "name", True),
    "followup": (("conclusion", "next_action", "competitor_comparison"), "conclusion", False),
}
TABLES = {"customer": "customers", "contact": "contacts", "lead": "leads", "followup": "followups"}
ENTITY_ORDER = {"customer": 0, "contact": 1, "lead": 2, "followup": 3}
_MAX_SUFFIXES = 24


@dataclass(frozen=True)
class SearchHit:
    entity: str
    record_id: str
    customer_id: str | None
    label: str


def tokens_for(text: str) -> list[str]:
    """Index tokens of already-folded text.

    A CJK run gives its character pairs plus its last character: a one-character query is a
    prefix query ("鹿"*) that finds the pairs starting with it, so the other single
    characters need no tokens of their own (half the index of indexing them all).
    """
    out: list[str] = []
    for run in CJK_RUN.findall(text):
        out.extend(run[i : i + 2] for i in range(len(run) - 1))
        out.append(run[-1])
    for word in ALNUM_RUN.findall(text):
        if word.isdigit():
            # People search phone numbers by any part ("1234" of 13812341234): every suffix
            # makes a substring a prefix query. Words are found by their beginning.
            out.extend(word[i:] for i in range(min(len(word), _MAX_SUFFIXES)))
        else:
            out.append(word)
    return out


def _document(entity: str, row: Mapping[str, Any]) -> tuple[str, str, str]:
    fields, label_field, with_initials = INDEXED[entity]
    body = " \u2029 ".join(fold_key(str(row[f])) for f in fields if row.get(f))
    label = str(row.get(label_field) or "")
    initials = pinyin_initials(label) if with_initials else ""
    return body, label, initials


def _doc_tokens(body: str, initials: str) -> str:
    tokens = tokens_for(body)
    if initials:
        tokens.append(initials)
    return " ".join(tokens)


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
    doc = document(entity, row)
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
            (rowid, _doc_tokens(body, initials or "")),
        )
        db.execute("DELETE FROM search_docs WHERE rowid = ?", (rowid,))


# A record ready for the index: (entity, record_id, customer_id, label, body, initials, tokens).
Document = tuple[str, str, Any, str, str, str, str]


def document(entity: str, row: Mapping[str, Any]) -> Document | None:
    """What :func:`insert_documents` writes for a record; None for what is not indexed.

    Pure, so sync can build documents on its download thread while the last page is written.
    """
    if entity not in INDEXED or row.get("_deleted"):
        return None
    body, label, initials = _document(entity, row)
    customer_id = row["id"] if entity == "customer" else row.get("customer_id")
    return (entity, row["id"], customer_id, label, body, initials, _doc_tokens(body, initials))


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
    insert_documents(db, [d for row in rows if (d := document(entity, row)) is not None])


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
        terms.append(f'"{word[:_MAX_SUFFIXES]}"*')
    return " AND ".join(terms) if terms else None


def _really_matches(parts: list[str], body: str, initials: str) -> bool:
    return all(p in body or (initials and initials.startswith(p)) for p in parts)


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
