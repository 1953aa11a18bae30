"""Versioned schema migrations for the local store (SPEC D2).

``PRAGMA user_version`` holds the version of a file. Each migration runs in its own transaction
and upgrades an older file in place; none may drop user data. Column lists are frozen here on
purpose: a migration describes the schema *as it was* at that version, not as it is today.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

from app.domain.text import pinyin_sort_key

Migration = Callable[[sqlite_utils.Database], None]

_SYNC_COLUMNS = (
    "id TEXT PRIMARY KEY",
    "_version INTEGER NOT NULL DEFAULT 0",  # server version this row was last pulled at
    "_deleted INTEGER NOT NULL DEFAULT 0",
)

# Entity tables at version 1: table → columns (name type).
_V1_TABLES: dict[str, tuple[str, ...]] = {
    "customers": (
        "name TEXT",
        "credit_code TEXT",
        "phone TEXT",
        "email TEXT",
        "address TEXT",
        "industry TEXT",
        "region TEXT",
        "website TEXT",
        "source TEXT",
        "owner TEXT",
        "notes TEXT",
        "created_at TEXT",
        "updated_at TEXT",
        "last_followup_at TEXT",
    ),
    "contacts": (
        "customer_id TEXT",
        "name TEXT",
        "title TEXT",
        "mobile TEXT",
        "phone TEXT",
        "email TEXT",
        "wechat TEXT",
        "is_key INTEGER",
        "notes TEXT",
        "created_at TEXT",
        "updated_at TEXT",
    ),
    "leads": (
        "name TEXT",
        "company TEXT",
        "title TEXT",
        "mobile TEXT",
        "email TEXT",
        "channel TEXT",
        "score INTEGER",
        "status TEXT",
        "owner TEXT",
        "assigned_at TEXT",
        "response_due TEXT",
        "customer_id TEXT",
        "notes TEXT",
        "created_at TEXT",
        "updated_at TEXT",
    ),
    "deals": (
        "customer_id TEXT",
        "title TEXT",
        "amount TEXT",
        "stage TEXT",
        "stage_entered_at TEXT",
        "owner TEXT",
        "primary_contact_id TEXT",
        "expected_close TEXT",
        "pain_points TEXT",
        "decision_chain TEXT",
        "checklist TEXT",
        "evidence TEXT",
        "commit_amount TEXT",
        "lost_reason TEXT",
        "lost_from TEXT",
        "contract_no TEXT",
        "signed_on TEXT",
        "expires_on TEXT",
        "created_at TEXT",
        "updated_at TEXT",
    ),
    "followups": (
        "customer_id TEXT",
        "deal_id TEXT",
        "type TEXT",
        "conclusion TEXT",
        "next_action TEXT",
        "due_on TEXT",
        "priority TEXT",
        "department TEXT",
        "competitor_comparison TEXT",
        "contact_ids TEXT",
        "author TEXT",
        "created_at TEXT",
    ),
    "attachments": (
        "sha256 TEXT",
        "kind TEXT",
        "filename TEXT",
        "size INTEGER",
        "mime TEXT",
        "customer_id TEXT",
        "deal_id TEXT",
        "contact_id TEXT",
        "created_by TEXT",
        "created_at TEXT",
    ),
    "approvals": (
        "deal_id TEXT",
        "customer_id TEXT",
        "from_stage TEXT",
        "to_stage TEXT",
        "status TEXT",
        "reason TEXT",
        "requested_by TEXT",
        "requested_at TEXT",
        "decided_by TEXT",
        "decided_at TEXT",
        "comment TEXT",
    ),
    "alerts": (
        "kind TEXT",
        "customer_id TEXT",
        "record_id TEXT",
        "owner TEXT",
        "message_zh TEXT",
        "message_en TEXT",
        "created_at TEXT",
        "resolved_at TEXT",
    ),
}


def _v1(db: sqlite_utils.Database) -> None:
    for table, columns in _V1_TABLES.items():
        db.execute(f"CREATE TABLE {table} ({', '.join(_SYNC_COLUMNS + columns)})")
    db.executescript(
        """
        CREATE INDEX contacts_customer ON contacts(customer_id);
        CREATE INDEX deals_customer ON deals(customer_id);
        CREATE INDEX deals_stage ON deals(stage);
        CREATE INDEX followups_customer ON followups(customer_id, created_at);
        CREATE INDEX followups_deal ON followups(deal_id, created_at);
        CREATE INDEX attachments_customer ON attachments(customer_id);
        CREATE INDEX attachments_deal ON attachments(deal_id);
        CREATE INDEX approvals_deal ON approvals(deal_id);
        CREATE INDEX customers_owner ON customers(owner);
        CREATE INDEX customers_credit_code ON customers(credit_code);
        CREATE INDEX contacts_mobile ON contacts(mobile);
        CREATE TABLE users (
            id TEXT PRIMARY KEY, name TEXT NOT NULL, display_name TEXT, role TEXT,
            team_id TEXT, active INTEGER NOT NULL DEFAULT 1
        );
        CREATE TABLE teams (id TEXT PRIMARY KEY, name TEXT NOT NULL, lead_id TEXT);
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
        CREATE TABLE audit (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            entity TEXT NOT NULL, record_id TEXT NOT NULL, field TEXT NOT NULL,
            old TEXT, new TEXT, actor TEXT, device TEXT, at TEXT NOT NULL,
            prev_hash TEXT NOT NULL, hash TEXT NOT NULL
        );
        CREATE INDEX audit_record ON audit(record_id, seq);
        CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            op_id TEXT NOT NULL UNIQUE,
            entity TEXT NOT NULL, record_id TEXT NOT NULL, action TEXT NOT NULL,
            base_version INTEGER NOT NULL DEFAULT 0,
            fields TEXT NOT NULL, base TEXT NOT NULL,
            actor TEXT, device TEXT, at TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
            result TEXT
        );
        CREATE INDEX outbox_record ON outbox(record_id);
        """
    )


def _v2(db: sqlite_utils.Database) -> None:
    """Search index (D4) and pinyin sort keys, backfilled for every existing row."""
    db.executescript(
        """
        ALTER TABLE customers ADD COLUMN name_sort TEXT;
        ALTER TABLE contacts ADD COLUMN name_sort TEXT;
        CREATE INDEX customers_name_sort ON customers(name_sort, id);
        CREATE INDEX contacts_name_sort ON contacts(name_sort, id);
        CREATE TABLE search_docs (
            rowid INTEGER PRIMARY KEY,
            entity TEXT NOT NULL, record_id TEXT NOT NULL UNIQUE, customer_id TEXT,
            label TEXT, body TEXT NOT NULL, initials TEXT
        );
        CREATE VIRTUAL TABLE search_fts USING fts5(
            tokens, content = '', detail = none, tokenize = 'unicode61 remove_diacritics 0'
        );
        """
    )
    for table in ("customers", "contacts"):
        rows = db.execute(f"SELECT id, name FROM {table}").fetchall()
        db.conn.executemany(
            f"UPDATE {table} SET name_sort = ? WHERE id = ?",
            [(pinyin_sort_key(name or ""), rid) for rid, name in rows],
        )
    # Imported lazily: the indexer depends on today's schema, which may postdate this file.
    from app.store.search import reindex_all

    reindex_all(db)


def _v3(db: sqlite_utils.Database) -> None:
    """Conflicts reported by the server (S3): both values kept until the user decides."""
    db.executescript(
        """
        CREATE TABLE conflicts (
            id TEXT PRIMARY KEY,
            entity TEXT NOT NULL, record_id TEXT NOT NULL, field TEXT NOT NULL,
            current_value TEXT, other_value TEXT,
            other_author TEXT, other_device TEXT, other_at TEXT,
            lost_here INTEGER NOT NULL DEFAULT 1,
            status TEXT NOT NULL DEFAULT 'open', created_at TEXT NOT NULL, resolved_at TEXT
        );
        CREATE INDEX conflicts_open ON conflicts(status, created_at);
        """
    )


def _v4(db: sqlite_utils.Database) -> None:
    """Audit entries name the outbox operation that carries them to the server (D5)."""
    db.execute("ALTER TABLE audit ADD COLUMN op_id TEXT")
    db.execute("CREATE INDEX audit_op ON audit(op_id)")


def _v5(db: sqlite_utils.Database) -> None:
    """Normalised company names for the duplicate check (C1), backfilled."""
    from app.domain.text import company_key

    db.execute("ALTER TABLE customers ADD COLUMN name_key TEXT")
    db.execute("CREATE INDEX customers_name_key ON customers(name_key)")
    db.execute("CREATE INDEX contacts_email ON contacts(email)")
    db.execute("CREATE INDEX customers_email ON customers(email)")
    rows = db.execute("SELECT id, name FROM customers").fetchall()
    db.conn.executemany(
        "UPDATE customers SET name_key = ? WHERE id = ?",
        [(company_key(name or ""), rid) for rid, name in rows],
    )


def _v6(db: sqlite_utils.Database) -> None:
    """A leaner full-text index, refilled from the stored documents.

    Its tokens are CJK characters and ``[0-9a-z]`` runs, already folded, so the ``ascii``
    tokenizer splits them exactly as ``unicode61`` did, at less cost; and no per-document sizes
    are kept (``columnsize = 0``: they only serve ranking, which search does not use). Both
    make indexing a record cheaper.
    """
    from app.domain.derived import search_tokens

    # Statement by statement: executescript() would commit the migration's transaction.
    db.execute("DROP TABLE search_fts")
    db.execute(
        "CREATE VIRTUAL TABLE search_fts USING fts5("
        "tokens, content = '', detail = none, columnsize = 0, tokenize = 'ascii')"
    )
    rows = db.execute("SELECT rowid, body, initials FROM search_docs").fetchall()
    db.conn.executemany(
        "INSERT INTO search_fts(rowid, tokens) VALUES (?, ?)",
        [(rowid, search_tokens(body, initials or "")) for rowid, body, initials in rows],
    )


def _v7_lists(db: sqlite_utils.Database) -> None:
    """What the lists need: search documents of derived version 2 (initials found anywhere in
    a name, phone numbers also as one run of digits), rebuilt from the records; and an index
    that lets the board mark each card's open stagnation alert."""
    from app.store.search import reindex_all

    db.execute("CREATE INDEX IF NOT EXISTS alerts_record ON alerts(record_id)")
    reindex_all(db)


def _v8_followup_snoozes(db: sqlite_utils.Database) -> None:
    """Snoozed next actions of the follow-ups-due worklist (this device's own reminders):
    a follow-up's next action stays off the list until the given date."""
    db.execute("CREATE TABLE followup_snoozes (followup_id TEXT PRIMARY KEY, until TEXT NOT NULL)")


def _v9_quarantine(db: sqlite_utils.Database) -> None:
    """Pulled records this device could not read, set aside with their text and the reason.

    One row per record (the newest bad copy); ``record_id`` is NULL when not even the id could
    be read. A good copy of the record arriving later removes its row.
    """
    db.execute(
        """CREATE TABLE quarantine (
            id INTEGER PRIMARY KEY,
            entity TEXT,
            record_id TEXT,
            version INTEGER,
            raw TEXT NOT NULL,
            reason TEXT NOT NULL,
            received_at TEXT NOT NULL,
            UNIQUE (entity, record_id)
        )"""
    )


def _v10_leads(db: sqlite_utils.Database) -> None:
    """What the server's lead engine sets on a lead (its external id, region and product, the
    score's reasons, why it went to its owner, when the owner accepted it), and the queue of
    acceptances not yet sent."""
    for column in ("external_id", "region", "product", "score_reasons", "assignment"):
        db.execute(f"ALTER TABLE leads ADD COLUMN {column} TEXT")
    db.execute("ALTER TABLE leads ADD COLUMN accepted_at TEXT")
    # Acceptances made here wait in this queue until the server has them (app.sync.leads).
    db.execute(
        "CREATE TABLE lead_actions (id INTEGER PRIMARY KEY, lead_id TEXT NOT NULL, "
        "action TEXT NOT NULL, acted_at TEXT NOT NULL, state TEXT NOT NULL, result TEXT)"
    )


def _v11_journey(db: sqlite_utils.Database) -> None:
    """Tasks (SPEC J2) and the reminders this device has shown, so each fires once.

    A reminder is keyed by the task, the due time it was for and its kind ("before" or
    "due"): a task moved to another time is reminded of again.
    """
    columns = (
        "title TEXT",
        "kind TEXT",
        "status TEXT",
        "priority TEXT",
        "owner TEXT",
        "due_at TEXT",
        "customer_id TEXT",
        "deal_id TEXT",
        "lead_id TEXT",
        "related_name TEXT",
        "source_id TEXT",
        "notes TEXT",
        "done_at TEXT",
        "step TEXT",
        "anchor TEXT",
        "created_by TEXT",
        "created_at TEXT",
        "updated_at TEXT",
    )
    db.execute(f"CREATE TABLE tasks ({', '.join(_SYNC_COLUMNS + columns)})")
    db.execute("CREATE INDEX tasks_due ON tasks(status, due_at)")
    db.execute("CREATE INDEX tasks_owner ON tasks(owner, due_at)")
    db.execute("CREATE INDEX tasks_customer ON tasks(customer_id)")
    db.execute("CREATE INDEX tasks_deal ON tasks(deal_id)")
    db.execute(
        "CREATE TABLE task_reminders (task_id TEXT NOT NULL, due_at TEXT NOT NULL, "
        "kind TEXT NOT NULL, fired_at TEXT NOT NULL, PRIMARY KEY (task_id, due_at, kind))"
    )


def _v12_merge(db: sqlite_utils.Database) -> None:
    """Merges of duplicates (C2): the merges this device made or heard of, and where each merged
    record went (a chain is followed link by link)."""
    db.execute(
        """CREATE TABLE merges (
            id TEXT PRIMARY KEY,
            op_id TEXT,
            kind TEXT NOT NULL,
            survivor_id TEXT NOT NULL,
            merged_ids TEXT NOT NULL,
            pick TEXT NOT NULL DEFAULT '{}',
            discarded TEXT NOT NULL DEFAULT '{}',
            merged_by TEXT,
            created_at TEXT NOT NULL,
            state TEXT NOT NULL,
            undo TEXT,
            result TEXT
        )"""
    )
    db.execute(
        "CREATE TABLE merge_links (merged_id TEXT PRIMARY KEY, survivor_id TEXT NOT NULL, "
        "kind TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX merge_links_survivor ON merge_links(survivor_id)")


def _v13_leads2(db: sqlite_utils.Database) -> None:
    """Alerts a team lead snoozed on this device, until a date (app.store.lead_board)."""
    db.execute("CREATE TABLE alert_snoozes (alert_id TEXT PRIMARY KEY, until TEXT NOT NULL)")


def _v14_cockpit(db: sqlite_utils.Database) -> None:
    """A deal's stage history (set with each stage move), and the team forecasts the server
    snapshots at each period's end, as pulled by a team lead's device (app.sync.forecasts)."""
    db.execute("ALTER TABLE deals ADD COLUMN stage_history TEXT")
    db.execute(
        """CREATE TABLE forecast_snapshots (
            id TEXT PRIMARY KEY,
            team_id TEXT,
            rep_id TEXT NOT NULL,
            period TEXT NOT NULL,
            kind TEXT NOT NULL,
            taken_at TEXT NOT NULL,
            figures TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX forecast_snapshots_period ON forecast_snapshots(period, rep_id)")


def _v15_search_merging(db: sqlite_utils.Database) -> None:
    """The search index merges its segments later and writes bigger pages: a first sync fills
    it with some 30 million tokens, and merging at FTS5's defaults took a third longer than
    the inserts themselves, while searches stay as fast (bench/cockpit.py)."""
    for option, value in (("automerge", 16), ("crisismerge", 64), ("pgsz", 4000)):
        db.execute("INSERT INTO search_fts(search_fts, rank) VALUES (?, ?)", (option, value))


MIGRATIONS: tuple[Migration, ...] = (
    _v1,
    _v2,
    _v3,
    _v4,
    _v5,
    _v6,
    _v7_lists,
    _v8_followup_snoozes,
    _v9_quarantine,
    _v10_leads,
    _v11_journey,
    _v12_merge,
    _v13_leads2,
    _v14_cockpit,
    _v15_search_merging,
)
LATEST = len(MIGRATIONS)


def current_version(db: sqlite_utils.Database) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite_utils.Database, target: int = LATEST) -> list[int]:
    """Bring the file up to ``target``; return the versions applied (each atomically)."""
    applied = []
    version = current_version(db)
    if version > LATEST:
        raise RuntimeError(
            f"this store was written by a newer FieldCRM (schema {version} > {LATEST})"
        )
    while version < target:
        with db.atomic():
            MIGRATIONS[version](db)
            version += 1
            db.execute(f"PRAGMA user_version = {version}")
        applied.append(version)
    return applied
