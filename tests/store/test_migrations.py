"""Migrations upgrade an older file in place and keep every row."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from app.domain.schema import ENTITIES
from app.paths import STORE_FILE
from app.store import cipherdb
from app.store.crypto import load_key
from app.store.errors import StoreUnavailable
from app.store.migrations import LATEST, current_version, migrate
from app.store.search import index_record
from app.store.service import PAGE_SIZE, Store


def test_version_1_file_upgrades_and_keeps_rows(tmp_path: Path) -> None:
    path = tmp_path / "p" / STORE_FILE
    path.parent.mkdir()
    db = sqlite_utils.Database(sqlite3.connect(path))
    migrate(db, target=1)
    assert current_version(db) == 1
    db.execute(
        "INSERT INTO customers(id, name, owner, phone) VALUES "
        "('c1', '轻鹿家居有限公司', 'u1', '0571-88889999'), ('c2', '安泰机械', 'u1', NULL)"
    )
    db.execute(
        "INSERT INTO contacts(id, customer_id, name, mobile) VALUES "
        "('k1', 'c1', '张伟', '13812345678')"
    )
    db.execute(
        "INSERT INTO followups(id, customer_id, type, conclusion) VALUES "
        "('f1', 'c1', 'demo', '客户关注库存周转')"
    )
    db.execute(
        "INSERT INTO outbox(op_id, entity, record_id, action, fields, base, at) VALUES "
        "('op1', 'customer', 'c1', 'create', '{}', '{}', '2026-01-01')"
    )
    db.close()

    store = Store(path.parent)
    assert current_version(store.connection()) == LATEST
    assert store.require("customer", "c1")["name"] == "轻鹿家居有限公司"
    assert store.require("contact", "k1")["mobile"] == "13812345678"
    assert store.journal.pending_count() == 1
    # the new search index was backfilled from the old rows
    assert [h.record_id for h in store.search("鹿家")] == ["c1"]
    assert [h.record_id for h in store.search("库存")] == ["f1"]
    names = [
        r[0] for r in store.connection().execute("SELECT name FROM customers ORDER BY name_sort")
    ]
    assert names == ["安泰机械", "轻鹿家居有限公司"]  # pinyin order: an < qing
    # The search index merges later than FTS5's defaults (a first sync's bulk of tokens).
    config = dict(store.connection().execute("SELECT k, v FROM search_fts_config").fetchall())
    assert (config["automerge"], config["crisismerge"], config["pgsz"]) == (16, 64, 4000)
    store.create("customer", {"name": "鹿鸣文化", "owner": "u1"})
    assert sorted(h.label for h in store.search("鹿")) == ["轻鹿家居有限公司", "鹿鸣文化"]
    store.close()


def test_every_schema_field_has_a_column(store: Store) -> None:
    for ent in ENTITIES.values():
        cols = {r[1] for r in store.connection().execute(f"PRAGMA table_info({ent.table})")}
        assert set(ent.field_names) <= cols, ent.name


def test_newer_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p" / STORE_FILE
    Store(tmp_path / "p").close()
    conn = cipherdb.connect(path, load_key(path.parent))
    conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    conn.close()
    with pytest.raises(RuntimeError, match="newer FieldCRM"):
        Store(tmp_path / "p")


def test_corrupt_file_gives_a_clear_message(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / STORE_FILE).write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreUnavailable) as info:
        Store(tmp_path / "p")
    assert "damaged" in info.value.message.en and "损坏" in info.value.message.zh


def test_wal_mode(store: Store) -> None:
    assert store.connection().execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_new_file_has_big_pages_and_an_old_plain_one_gets_them_when_encrypted(
    tmp_path: Path,
) -> None:
    new = Store(tmp_path / "new")
    assert int(new.connection().execute("PRAGMA page_size").fetchone()[0]) == PAGE_SIZE
    new.close()

    path = tmp_path / "old" / STORE_FILE
    path.parent.mkdir()
    db = sqlite_utils.Database(sqlite3.connect(path))
    db.execute("PRAGMA page_size = 4096")
    migrate(db, target=1)
    db.execute("INSERT INTO customers(id, name, owner) VALUES ('c1', '安泰机械', 'u1')")
    db.conn.commit()
    db.close()
    old = Store(tmp_path / "old")
    assert int(old.connection().execute("PRAGMA page_size").fetchone()[0]) == PAGE_SIZE
    assert old.get("customer", "c1") is not None and old.key is not None
    old.close()


def test_a_version_5_index_is_rebuilt_leaner_and_keeps_finding(tmp_path: Path) -> None:
    path = tmp_path / "p" / STORE_FILE
    path.parent.mkdir()
    db = sqlite_utils.Database(sqlite3.connect(path))
    migrate(db, target=5)
    rows = [
        {"id": "c1", "name": "轻鹿家居有限公司", "owner": "u1", "phone": "0571-88889999"},
        {"id": "c2", "name": "Acme 机械", "owner": "u1", "phone": None},
    ]
    with db.atomic():
        for row in rows:
            db["customers"].insert(row)
            index_record(db, "customer", row, fresh=True)
    db.close()

    store = Store(path.parent)
    assert current_version(store.connection()) == LATEST
    fts = (
        store.connection()
        .execute("SELECT sql FROM sqlite_master WHERE name = 'search_fts'")
        .fetchone()
    )
    assert "ascii" in fts[0] and "columnsize" in fts[0]
    assert [h.record_id for h in store.search("鹿家")] == ["c1"]
    assert [h.record_id for h in store.search("8999")] == ["c1"]
    assert [h.record_id for h in store.search("qljj")] == ["c1"]
    assert [h.record_id for h in store.search("acme")] == ["c2"]
    # A record removed after the upgrade leaves the index cleanly (its tokens matched).
    store.delete("customer", "c1")
    assert store.search("鹿家") == []
    store.connection().execute("INSERT INTO search_fts(search_fts) VALUES ('integrity-check')")
    store.close()
