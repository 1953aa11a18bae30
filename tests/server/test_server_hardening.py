"""Attacks on the push path, over real loopback HTTP on SQLite and PostgreSQL: values that would
stall every device's sync, files fetched by knowing their hash, owners from another team, id
probing, and numbers out of range. Each is refused per operation, never with a 500."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers.world import World, customer, new_id, op, sign_in
from sqlalchemy import select

from app.domain.rules import default_rules
from server import admin, migrate
from server.admin import AdminError
from server.config import sqlite_url
from server.db import blob_uploaders, blobs, make_engine, records


def _push(client: httpx.Client, headers: dict[str, str], *ops: dict[str, Any]) -> list[dict]:
    r = client.post("/sync/push", json={"device": "dev-1", "ops": list(ops)}, headers=headers)
    assert r.status_code == 200, r.text
    results: list[dict] = r.json()["results"]
    return results


def _statuses(results: list[dict[str, Any]]) -> str:
    return " ".join(r["status"] for r in results)


def _refuse_constant(word: str) -> None:
    raise AssertionError(f"{word} in a JSON answer")


def _strict(text: str) -> Any:
    """Decode JSON the way a strict client does: no NaN, no Infinity."""
    return json.loads(text, parse_constant=_refuse_constant)


def _pull_all(client: httpx.Client, headers: dict[str, str]) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"cursor": cursor} if cursor else {}
        r = client.get("/sync/pull", params=params, headers=headers)
        assert r.status_code == 200, r.text
        page = _strict(r.text)
        changes += page["changes"]
        cursor = page["cursor"]
        if not page["more"]:
            return changes


def test_a_non_finite_number_is_refused_and_pull_stays_readable(
    world: World, client: httpx.Client
) -> None:
    h = sign_in(client, "ra1")
    c = customer(world.ra1)
    assert _push(client, h, c)[0]["status"] == "applied"
    cid = str(c["record_id"])
    good = op("deal", "create", new_id(), {"customer_id": cid, "title": "正常商机"})
    # The body as an attacker writes it: JSON text that Python's decoder turns into inf/nan.
    poisoned = []
    for number in ("1e400", "-1e400", "Infinity", "-Infinity", "NaN"):
        fields = {"customer_id": cid, "title": "poison", "checklist": {"a": "NUMBER"}}
        text = json.dumps(op("deal", "create", new_id(), fields))
        poisoned.append(text.replace('"NUMBER"', number))
    evidence = {"evidence": {"quote": [1, "NUMBER"]}}
    evidence_op = op("deal", "update", str(good["record_id"]), evidence, base_version=1)
    evidence_text = json.dumps(evidence_op).replace('"NUMBER"', "2e400")
    body = (
        '{"device": "dev-1", "ops": ['
        + ", ".join([json.dumps(good), *poisoned, evidence_text])
        + "]}"
    )
    r = client.post("/sync/push", content=body, headers={**h, "Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    results = _strict(r.text)["results"]
    assert results[0]["status"] == "applied"
    for res in results[1:]:
        assert res["status"] == "rejected" and res["code"] == "malformed", res
        assert "not finite" in res["message"]["en"]
    # Nothing was stored: the pull decodes strictly and holds only the good records.
    changes = _pull_all(client, h)
    assert {ch["id"] for ch in changes} == {cid, good["record_id"]}


def test_rule_data_with_a_non_finite_number_is_refused(world: World) -> None:
    rules = json.dumps(default_rules().raw, ensure_ascii=False)
    bad = rules.replace('"stagnation_hours": ', '"stagnation_hours": 1e400, "x": ', 1)
    assert bad != rules
    with pytest.raises(AdminError, match="too large"):
        admin.load_rules(world.engine, bad)
    with pytest.raises(AdminError, match="Infinity"):
        admin.load_rules(world.engine, rules[:-1] + ', "extra": Infinity}')


def test_huge_amounts_are_refused_per_operation(world: World, client: httpx.Client) -> None:
    h = sign_in(client, "ra1")
    c = customer(world.ra1)
    did = new_id()
    results = _push(
        client,
        h,
        c,
        op("deal", "create", new_id(), {"customer_id": c["record_id"], "amount": "1e30"}),
        op("deal", "create", new_id(), {"customer_id": c["record_id"], "amount": "9" * 29}),
        op("deal", "create", did, {"customer_id": c["record_id"], "title": "正常", "amount": "1"}),
        op("deal", "update", did, {"amount": 1e30}, base_version=1),
    )
    assert _statuses(results) == "applied rejected rejected applied rejected"
    for res in results[1:3] + results[4:]:
        assert res["code"] == "invalid" and "amount" in res["errors"], res
        assert res["errors"]["amount"]["en"] == "The amount is too large"


def test_lead_scores_stay_between_0_and_100(world: World, client: httpx.Client) -> None:
    h = sign_in(client, "ra1")
    lid = new_id()
    results = _push(
        client,
        h,
        op("lead", "create", new_id(), {"name": "高分", "score": 101}),
        op("lead", "create", new_id(), {"name": "负分", "score": -1}),
        op("lead", "create", new_id(), {"name": "巨大", "score": "9" * 40}),
        op("lead", "create", lid, {"name": "满分", "score": 100}),
        op("lead", "update", lid, {"score": 150}, base_version=1),
    )
    assert _statuses(results) == "rejected rejected rejected applied rejected"
    for res in results[:3] + results[4:]:
        assert res["code"] == "invalid" and "score" in res["errors"], res


def test_deal_and_alert_owners_stay_in_the_team(world: World, client: httpx.Client) -> None:
    ha, hla = sign_in(client, "ra1"), sign_in(client, "la")
    c = customer(world.ra1)
    cid = str(c["record_id"])
    did, aid = new_id(), new_id()
    alert = {"kind": "stagnation", "customer_id": cid, "record_id": did, "message_zh": "提醒"}
    results = _push(
        client,
        ha,
        c,
        op("deal", "create", did, {"customer_id": cid, "title": "商机"}),
        op("alert", "create", aid, {**alert, "owner": world.ra1.id}),
        op(
            "deal",
            "create",
            new_id(),
            {"customer_id": cid, "title": "给外组", "owner": world.rb1.id},
        ),
        op("alert", "create", new_id(), {**alert, "owner": world.rb1.id}),
        op("deal", "update", did, {"owner": world.rb1.id}, base_version=1),
        op("alert", "update", aid, {"owner": world.lb.id}, base_version=1),
    )
    assert [r["status"] for r in results[:3]] == ["applied"] * 3
    assert [r["code"] for r in results[3:]] == ["forbidden_owner"] * 4
    # The team lead may hand the deal to someone in the team, not outside it.
    results = _push(
        client,
        hla,
        op("deal", "update", did, {"owner": world.rb1.id}, base_version=1),
        op("deal", "update", did, {"owner": world.ra2.id}, base_version=1),
    )
    assert results[0]["code"] == "forbidden_owner"
    assert results[1]["status"] == "applied"
    assert results[1]["record"]["fields"]["owner"] == world.ra2.id


def test_another_scopes_id_cannot_be_probed(world: World, client: httpx.Client) -> None:
    ha, hb = sign_in(client, "ra1"), sign_in(client, "rb1")
    theirs = customer(world.ra1)
    assert _push(client, ha, theirs)[0]["status"] == "applied"
    taken, unused = str(theirs["record_id"]), new_id()
    mine = customer(world.rb1)
    assert _push(client, hb, mine)[0]["status"] == "applied"
    # Creates that fail anyway answer the same whether the id is used in another scope or not.
    for fields in (
        {"owner": world.rb1.id},  # no name
        {"name": "X", "owner": world.ra1.id},  # someone else's customer
        {"name": "X", "owner": world.rb1.id, "phone": "not a phone"},
    ):
        a, b = _push(
            client,
            hb,
            op("customer", "create", taken, fields),
            op("customer", "create", unused, fields),
        )
        assert a["code"] == b["code"] and a["message"] == b["message"], (a, b)
    contact = {"customer_id": mine["record_id"]}  # no name
    a, b = _push(
        client,
        hb,
        op("contact", "create", taken, contact),
        op("contact", "create", new_id(), contact),
    )
    assert a["code"] == b["code"] == "invalid"


def _upload(
    client: httpx.Client, h: dict[str, str], data: bytes, *, upto: int | None = None
) -> str:
    sha = hashlib.sha256(data).hexdigest()
    end = len(data) if upto is None else upto
    r = client.put(
        f"/attachments/{sha}",
        params={"offset": 0, "size": len(data)},
        content=data[:end],
        headers=h,
    )
    assert r.status_code == 200, r.text
    return sha


def _attachment(cid: str, sha: str) -> dict[str, Any]:
    fields = {"customer_id": cid, "sha256": sha, "kind": "contract", "filename": "合同.pdf"}
    return op("attachment", "create", new_id(), fields)


def test_a_file_cannot_be_taken_by_knowing_its_hash(world: World, client: httpx.Client) -> None:
    ha, hb, hla = sign_in(client, "ra1"), sign_in(client, "rb1"), sign_in(client, "la")
    secret = ("A 组的合同正文" * 500).encode()
    sha = _upload(client, ha, secret)
    ca = customer(world.ra1)
    assert [r["status"] for r in _push(client, ha, ca, _attachment(str(ca["record_id"]), sha))] == [
        "applied",
        "applied",
    ]
    assert client.get(f"/attachments/{sha}", headers=ha).content == secret
    # The status call says nothing about a file outside rb1's scope...
    never = hashlib.sha256(b"never uploaded").hexdigest()
    assert client.get(f"/attachments/{sha}/upload", headers=hb).json() == {
        "have": False,
        "received": 0,
    }
    assert client.get(f"/attachments/{never}/upload", headers=hb).json() == {
        "have": False,
        "received": 0,
    }
    # ...nor about someone else's unfinished upload.
    draft = ("A 组的草稿" * 500).encode()
    draft_sha = _upload(client, ha, draft, upto=100)
    assert client.get(f"/attachments/{draft_sha}/upload", headers=ha).json()["received"] == 100
    assert client.get(f"/attachments/{draft_sha}/upload", headers=hb).json()["received"] == 0
    # A row naming the hash is refused exactly like one naming a file nobody uploaded.
    cb = customer(world.rb1, "乙组客户")
    cbid = str(cb["record_id"])
    results = _push(client, hb, cb, _attachment(cbid, sha), _attachment(cbid, never))
    assert results[0]["status"] == "applied"
    assert results[1]["code"] == results[2]["code"] == "unknown_file"
    assert results[1]["message"] == results[2]["message"]
    assert client.get(f"/attachments/{sha}", headers=hb).status_code == 404
    # A team lead sees the file through the rep's record.
    assert client.get(f"/attachments/{sha}/upload", headers=hla).json()["have"] is True
    # Someone who really has the content proves it by uploading it, and may then attach it.
    r = client.put(
        f"/attachments/{sha}",
        params={"offset": 0, "size": len(secret)},
        content=secret,
        headers=hb,
    )
    assert r.json() == {"have": True, "received": len(secret)}
    assert _push(client, hb, _attachment(cbid, sha))[0]["status"] == "applied"
    assert client.get(f"/attachments/{sha}", headers=hb).content == secret


def test_the_upgrade_credits_existing_files_to_those_who_attached_them(tmp_path: Path) -> None:
    """Migration 0005: files already on the server stay usable by the users whose attachment
    rows name them (and by nobody else)."""
    engine = make_engine(sqlite_url(tmp_path / "old.db"), pool_size=1)
    try:
        migrate.upgrade(engine, "0003")
        sha, orphan = hashlib.sha256(b"a").hexdigest(), hashlib.sha256(b"b").hexdigest()
        data = {"sha256": sha, "kind": "contract", "created_by": "u-rep"}
        row = {
            "entity": "attachment",
            "data": json.dumps(data),
            "field_versions": "{}",
            "version": 1,
            "deleted": False,
            "created_at": 0.0,
            "updated_at": 0.0,
            "xid": 1,
            "seq": 1,
        }
        with engine.begin() as conn:
            files = [{"sha256": s, "size": 1, "created_at": 0.0} for s in (sha, orphan)]
            conn.execute(blobs.insert(), files)
            conn.execute(records.insert().values(id="att-1", blob_sha256=sha, **row))
            conn.execute(records.insert().values(id="att-2", blob_sha256=None, **row))
        migrate.upgrade(engine)
        with engine.connect() as conn:
            rows = conn.execute(select(blob_uploaders.c.sha256, blob_uploaders.c.user_id)).all()
        assert [tuple(r) for r in rows] == [(sha, "u-rep")]
    finally:
        engine.dispose()
