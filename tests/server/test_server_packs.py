"""The feed as packs (app.sync.pack): the same records as the JSON feed, laid out in the
device store's columns, on SQLite and PostgreSQL; what cannot be laid out goes as feed items."""

from __future__ import annotations

import json
import secrets
import tempfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers.world import (
    PASSWORD,
    World,
    latest,
    make_customer,
    make_deal,
    new_id,
    one,
    op,
    pull_all,
    settle,
    sign_in,
    write_raw,
)
from sqlalchemy import create_engine, text
from sqlcipher3 import dbapi2 as sqlcipher

from app.domain.derived import INDEXED
from app.domain.schema import ENTITIES
from app.sync import pack as packs
from server import admin, auth
from server.db import make_engine
from server.packs import PackMaker
from server.pull import Cursor, _sqlite_file, pack
from server.records import Viewer


def _read(path: Path, key: bytes) -> tuple[dict[str, dict[str, Any]], list[Any]]:
    """The rows of a pack by id (with their entity) and its feed items."""
    conn = sqlcipher.connect(":memory:")
    packs.attach(conn, path, key)
    rows: dict[str, dict[str, Any]] = {}
    for ent in ENTITIES.values():
        cur = conn.execute(f"SELECT * FROM pack.{packs.table(ent)}")
        names = [d[0] for d in cur.description]
        for values in cur:
            rows[values[0]] = {"_entity": ent.name, **dict(zip(names, values, strict=True))}
    feed: list[Any] = []
    for (item,) in conn.execute("SELECT item FROM pack.feed ORDER BY pos"):
        try:
            feed.append(json.loads(item))
        except ValueError:
            feed.append(item)  # sent as stored, for the device to set aside
    conn.close()
    return rows, feed


def _all_packs(
    world: World, viewer: Viewer, tmp_path: Path, limit: int
) -> tuple[dict[str, dict[str, Any]], list[Any], int]:
    rows: dict[str, dict[str, Any]] = {}
    feed: list[Any] = []
    cursor: Cursor | None = None
    n = 0
    while True:
        key = secrets.token_bytes(32)
        path = tmp_path / f"p{n}"
        page = pack(world.engine, viewer, cursor, limit, key, path)
        got, items = _read(path, key)
        rows |= got
        feed += items
        n += 1
        cursor = Cursor.parse(page["cursor"])
        if not page["more"]:
            return rows, feed, n


def _fill(world: World) -> dict[str, str]:
    e = world.engine
    ids = {
        "a1": make_customer(e, world.ra1, "杭州轻鹿家居有限公司"),
        "a2": make_customer(e, world.ra2, "北京云杉科技有限公司"),
        "b1": make_customer(e, world.rb1, "深圳海纳贸易有限公司"),
        "gone": make_customer(e, world.ra1, "已删除客户有限公司"),
    }
    ids["contact"] = new_id()
    contact = {"customer_id": ids["a1"], "name": "张伟", "mobile": "13812341234", "is_key": 1}
    assert one(e, world.ra1, op("contact", "create", ids["contact"], contact))["status"] == (
        "applied"
    )
    ids["deal"] = make_deal(e, world.ra2, ids["a2"])
    ids["followup"] = new_id()
    followup = {
        "customer_id": ids["a1"],
        "type": "demo",
        "conclusion": "客户认可方案,约定下周演示",
        "next_action": "准备演示环境",
        "due_on": "2026-12-10",
        "contact_ids": [ids["contact"]],
    }
    assert one(e, world.ra1, op("followup", "create", ids["followup"], followup))["status"] == (
        "applied"
    )
    gone = op("customer", "delete", ids["gone"], base_version=1)
    assert one(e, world.ra1, gone)["status"] == "applied"
    return ids


@pytest.mark.parametrize("viewer", ["la", "ra1", "admin"])
def test_packs_hold_the_records_of_the_json_feed_laid_out(
    world: World, tmp_path: Path, viewer: str
) -> None:
    ids = _fill(world)
    who: Viewer = getattr(world, viewer)
    settle(world.engine)
    changes = pull_all(world.engine, who)[0]
    feed = latest(changes)
    rows, items, pages = _all_packs(world, who, tmp_path, limit=3)
    assert pages > 1
    assert set(rows) == set(feed)
    for rid, change in feed.items():
        ent = ENTITIES[change["entity"]]
        row = rows[rid]
        assert row["_entity"] == ent.name
        derived = change.get("derived")
        expected = packs.insert_row(ent, rid, change["version"], change["fields"], derived)
        for column, want in zip(packs.columns(ent), expected, strict=True):
            got = row[column]
            field = next((f for f in ent.fields if f.name == column), None)
            if field is not None and field.kind == "json" and got is not None:
                got, want = json.loads(got), json.loads(want)
            assert got == want, (rid, column)
        if ent.name in INDEXED:
            body, initials, tokens = change["derived"]["doc"]
            assert (row["_body"], row["_initials"], row["_tokens"]) == (body, initials, tokens)
    # Tombstones come as feed items, exactly as the JSON feed sends them.
    tombstones = [i for i in items if isinstance(i, dict) and i.get("deleted")]
    assert tombstones and tombstones == [c for c in changes if c.get("deleted")]
    if viewer == "la":
        assert ids["b1"] not in rows and {ids["a1"], ids["a2"], ids["deal"]} <= set(rows)
    if viewer == "ra1":
        assert ids["a2"] not in rows and ids["contact"] in rows


def _stored_derived(world: World, record_id: str) -> str:
    with world.engine.connect() as conn:
        return str(
            conn.execute(
                text("SELECT derived FROM records WHERE id = :id"), {"id": record_id}
            ).scalar()
        )


def test_what_cannot_be_laid_out_goes_as_feed_items(world: World, tmp_path: Path) -> None:
    e = world.engine
    owner = json.dumps(world.ra1.id)
    ok = make_customer(e, world.ra1, "好客户有限公司")
    bad = {name: make_customer(e, world.ra1, f"{name}客户有限公司") for name in "甲乙丙丁戊"}
    derived = _stored_derived(world, ok)
    write_raw(e, bad["甲"], '{"name":"甲","owner":' + owner + ',"notes":"cut off', derived)
    write_raw(e, bad["乙"], '{"name":{"zh":"乙"},"owner":' + owner + "}", derived)
    write_raw(e, bad["丙"], '{"name":"丙","owner":' + owner + "}", None)
    stale = json.loads(derived) | {"v": 0}
    write_raw(e, bad["丁"], '{"name":"丁","owner":' + owner + "}", json.dumps(stale))
    # A value of a scalar type the column does not take is laid out as it is: the device
    # checks the types of what it copies (tests/sync/test_packs.py).
    write_raw(e, bad["戊"], '{"name":12345,"owner":' + owner + "}", derived)
    settle(e)
    rows, items, _ = _all_packs(world, world.ra1, tmp_path, limit=50)
    assert ok in rows and bad["戊"] in rows and rows[bad["戊"]]["name"] == 12345
    fed = {i.get("id"): i for i in items if isinstance(i, dict)}
    for name in "乙丙丁":
        assert bad[name] in fed and bad[name] not in rows
    # Text that is not JSON is sent as it is stored, for the device to set aside.
    with sqlcipher.connect(":memory:") as conn:
        key = secrets.token_bytes(32)
        pack(e, world.ra1, None, 50, key, tmp_path / "raw")
        packs.attach(conn, tmp_path / "raw", key)
        texts = [t for (t,) in conn.execute("SELECT item FROM pack.feed")]
    assert any('"cut off' in t for t in texts) and bad["甲"] not in rows


def test_a_pack_is_unreadable_without_its_key(world: World, tmp_path: Path) -> None:
    make_customer(world.engine, world.ra1, "保密客户有限公司")
    key = secrets.token_bytes(32)
    path = tmp_path / "p"
    pack(world.engine, world.ra1, None, 100, key, path)
    body = path.read_bytes()
    assert "保密客户".encode() not in body and b"SQLite format 3" not in body
    conn = sqlcipher.connect(":memory:")
    with pytest.raises(sqlcipher.DatabaseError):
        packs.attach(conn, path, secrets.token_bytes(32))
        conn.execute("SELECT count(*) FROM pack.meta").fetchone()
    conn.close()


def test_on_sqlite_a_pack_reads_the_database_file_beside_its_writers(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A SQLite server's packs copy rows from the database file inside SQLite, through the
    same copy of SQLite the server writes with, so a write right after leaves it sound."""
    staged: list[int] = []
    real = packs.PackWriter.stage_query

    def counted(self: packs.PackWriter, *args: Any) -> list[Any]:
        rows = real(self, *args)
        staged.append(len(rows))
        return rows

    monkeypatch.setattr(packs.PackWriter, "stage_query", counted)
    sqlite = world.engine.dialect.name == "sqlite"
    first = make_customer(world.engine, world.ra1, "同库读取客户有限公司")
    rows, _feed, _n = _all_packs(world, world.ra1, tmp_path, limit=100)
    assert first in rows
    assert (world.engine.dialect.dbapi is sqlcipher) == sqlite
    assert staged == ([1] if sqlite else [])
    # The server goes on writing the file the packs read, and it stays sound.
    second = make_customer(world.engine, world.ra1, "之后写入客户有限公司")
    (tmp_path / "again").mkdir()
    rows, _feed, _n = _all_packs(world, world.ra1, tmp_path / "again", limit=100)
    assert {first, second} <= set(rows)
    if sqlite:
        with world.engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"


def test_packs_read_only_a_file_the_writers_own_sqlite_has_open(tmp_path: Path) -> None:
    """Rows are copied from the file inside SQLite only when the server opened it through
    SQLCipher's SQLite: another copy in the same process would release its locks."""
    path = tmp_path / "server.db"
    ours = make_engine(f"sqlite:///{path}", pool_size=1)
    with ours.connect() as conn:
        conn.execute(text("CREATE TABLE t (x)"))
        conn.commit()
    other = create_engine(f"sqlite:///{path}")
    assert _sqlite_file(ours) == path.resolve()
    assert _sqlite_file(other) is None
    ours.dispose()
    other.dispose()


def test_the_next_pack_is_made_ahead_for_its_request(world: World) -> None:
    for i in range(7):
        make_customer(world.engine, world.ra1, f"预取客户{i}有限公司")
    settle(world.engine)
    token = auth.sign_in(
        world.engine, world.settings, "ra1", PASSWORD, device="test", ip="127.0.0.1"
    ).access_token
    maker = PackMaker(world.engine)
    try:
        keys = [secrets.token_bytes(32) for _ in range(4)]
        cursor, names = None, []
        for i in range(3):
            body = maker.make(token, cursor, 3, keys[i], (3, keys[i + 1]))
            path = Path(maker._dir) / f"got{i}"
            path.write_bytes(body)
            rows, _ = _read(path, keys[i])
            names += [r["name"] for r in rows.values()]
            conn = sqlcipher.connect(":memory:")
            packs.attach(conn, path, keys[i])
            cursor = dict(conn.execute("SELECT key, value FROM pack.meta").fetchall())["cursor"]
            conn.close()
        assert (maker.made_on_request, maker.ahead_used) == (1, 2)
        assert sorted(names) == sorted(f"预取客户{i}有限公司" for i in range(7))
        # A pack made ahead goes only to its own user, with its own key.
        other = auth.sign_in(
            world.engine, world.settings, "ra2", PASSWORD, device="test", ip="127.0.0.1"
        ).access_token
        maker.make(other, cursor, 3, keys[3])
        assert maker.made_on_request == 2
        # One made ahead for a lead whose team then changes is not served: it is made again,
        # for the team they lead now.
        lead = auth.sign_in(
            world.engine, world.settings, "la", PASSWORD, device="test", ip="127.0.0.1"
        ).access_token
        more = [secrets.token_bytes(32) for _ in range(2)]
        body = maker.make(lead, None, 2, more[0], (2, more[1]))
        path = Path(maker._dir) / "lead0"
        path.write_bytes(body)
        conn = sqlcipher.connect(":memory:")
        packs.attach(conn, path, more[0])
        cursor = dict(conn.execute("SELECT key, value FROM pack.meta").fetchall())["cursor"]
        conn.close()
        for _, made in list(maker._ahead.values()):
            made.result()  # made ahead while "la" still led team A
        admin.set_team(world.engine, "la", "B")
        maker.make(lead, cursor, 2, more[1])
        assert (maker.made_on_request, maker.ahead_used) == (4, 2)
    finally:
        maker.close()
    assert not maker._dir.exists()


def test_the_pack_endpoint_refuses_what_it_cannot_use(world: World, client: httpx.Client) -> None:
    make_customer(world.engine, world.ra1, "接口客户有限公司")
    key = secrets.token_bytes(32).hex()
    assert client.post("/sync/pack", json={"key": key}).status_code == 401
    auth_header = sign_in(client, "ra1")
    for body in (
        {"key": "00" * 31},  # too short
        {"key": key.upper()},
        {"key": key, "limit": 0},
        {"key": key, "limit": 10**9},
        {"key": key, "next_key": "zz" * 32},
        {"key": key, "cursor": "1.2.3"},
        {"key": key, "extra": 1},
    ):
        r = client.post("/sync/pack", json=body, headers=auth_header)
        assert r.status_code in (400, 422), (body, r.status_code)
    r = client.post("/sync/pack", json={"key": key, "cursor": "1.x"}, headers=auth_header)
    assert r.status_code in (400, 422)
    r = client.post("/sync/pack", json={"key": key}, headers=auth_header)
    assert r.status_code == 200 and r.headers["content-type"] == packs.MEDIA_TYPE
    path = Path(tempfile.mkdtemp()) / "p"
    path.write_bytes(r.content)
    rows, _ = _read(path, bytes.fromhex(key))
    assert [row["name"] for row in rows.values()] == ["接口客户有限公司"]
