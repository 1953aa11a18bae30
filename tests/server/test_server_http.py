"""The HTTP API over real loopback HTTP: auth, authorisation, attachments, bad input."""

from __future__ import annotations

import hashlib
import json

import httpx
import pytest
from helpers.world import PASSWORD, World, customer, new_id, op, sign_in
from sqlalchemy import select

from server import admin
from server.db import signin_failures


def _push(client: httpx.Client, headers: dict[str, str], *ops: dict[str, object]) -> list[dict]:
    r = client.post("/sync/push", json={"device": "dev-1", "ops": list(ops)}, headers=headers)
    assert r.status_code == 200, r.text
    results: list[dict] = r.json()["results"]
    return results


def test_sign_in_refresh_rotates_and_reuse_revokes(world: World, client: httpx.Client) -> None:
    r = client.post("/auth/signin", json={"username": "ra1", "password": PASSWORD})
    assert r.status_code == 200
    tokens = r.json()
    assert tokens["user"]["role"] == "rep" and tokens["expires_in"] <= 3600
    h = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.get("/me", headers=h).json()["name"] == "ra1"

    def refresh(token: str) -> httpx.Response:
        return client.post("/auth/refresh", json={"refresh_token": token})

    t0 = tokens["refresh_token"]
    r1 = refresh(t0)
    assert r1.status_code == 200 and r1.json()["refresh_token"] != t0
    # The device lost that answer and retries with the old token: within the grace window it
    # gets the same pair again, not a new one.
    r1b = refresh(t0)
    assert r1b.status_code == 200
    assert [r1b.json()[k] for k in ("access_token", "refresh_token", "device_id")] == [
        r1.json()[k] for k in ("access_token", "refresh_token", "device_id")
    ]
    t2 = refresh(r1.json()["refresh_token"]).json()["refresh_token"]
    # Now the chain has moved on: the old token again means a copy, and the session ends.
    assert refresh(t0).status_code == 401
    assert refresh(t2).status_code == 401


def test_disable_and_password_change_revoke_tokens_at_once(
    world: World, client: httpx.Client
) -> None:
    h = sign_in(client, "ra1")
    h2 = sign_in(client, "ra2")
    assert client.get("/me", headers=h).status_code == 200
    admin.disable_user(world.engine, "ra1")
    r = client.get("/me", headers=h)
    assert r.status_code == 401 and r.json()["code"] == "device_revoked"  # a wipe order
    assert (
        client.post("/auth/signin", json={"username": "ra1", "password": PASSWORD}).status_code
        == 401
    )
    admin.set_password(world.engine, world.settings, "ra2", "a new password")
    assert client.get("/sync/pull", headers=h2).status_code == 401
    sign_in(client, "ra2", "a new password")


def test_failed_sign_ins_are_throttled(world: World, client: httpx.Client) -> None:
    for _ in range(world.settings.throttle_user_failures):
        r = client.post("/auth/signin", json={"username": "ra1", "password": "wrong guess"})
        assert r.status_code == 401
    r = client.post("/auth/signin", json={"username": "ra1", "password": PASSWORD})
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) >= 1
    assert r.json()["message"]["en"].startswith("Too many attempts")
    # Other users are not locked out by it.
    sign_in(client, "ra2")
    with world.engine.begin() as conn:
        conn.execute(signin_failures.update().values(blocked_until=0.0))
    sign_in(client, "ra1")


def test_unauthenticated_and_bogus_tokens_are_refused(client: httpx.Client) -> None:
    assert client.get("/sync/pull").status_code == 401
    r = client.get("/sync/pull", headers={"Authorization": "Bearer nonsense"})
    assert r.status_code == 401 and r.json()["message"]["zh"]
    from app import __version__

    assert client.get("/health").json() == {"status": "ok", "version": __version__}


def test_rep_cannot_read_or_write_another_reps_data_over_http(
    world: World, client: httpx.Client
) -> None:
    ha, hb = sign_in(client, "ra1"), sign_in(client, "rb1")
    c = customer(world.ra1, "私密客户")
    assert _push(client, ha, c)[0]["status"] == "applied"
    pulled = client.get("/sync/pull", headers=hb).json()
    assert pulled["changes"] == []
    res = _push(
        client, hb, op("customer", "update", str(c["record_id"]), {"name": "抢走"}, base_version=1)
    )[0]
    assert res["status"] == "rejected" and res["code"] == "not_found"
    d = client.get("/directory", headers=hb).json()
    assert {u["name"] for u in d["users"]} == {"lb", "rb1"}


def _upload(client: httpx.Client, h: dict[str, str], data: bytes, chunk: int = 1000) -> str:
    sha = hashlib.sha256(data).hexdigest()
    offset = 0
    while offset < len(data):
        part = data[offset : offset + chunk]
        r = client.put(
            f"/attachments/{sha}",
            params={"offset": offset, "size": len(data)},
            content=part,
            headers=h,
        )
        assert r.status_code == 200, r.text
        offset = r.json()["received"]
    return sha


def test_attachments_upload_resume_download_and_scope(world: World, client: httpx.Client) -> None:
    ha, ha2, hla = sign_in(client, "ra1"), sign_in(client, "ra2"), sign_in(client, "la")
    data = ("合同正文" * 1000).encode()
    sha = hashlib.sha256(data).hexdigest()
    # A first chunk, then a retry at the wrong offset, then the rest.
    r = client.put(
        f"/attachments/{sha}",
        params={"offset": 0, "size": len(data)},
        content=data[:5000],
        headers=ha,
    )
    assert r.json() == {"have": False, "received": 5000}
    r = client.put(
        f"/attachments/{sha}",
        params={"offset": 0, "size": len(data)},
        content=data[:5000],
        headers=ha,
    )
    assert r.status_code == 409 and r.json()["received"] == 5000
    state = client.get(f"/attachments/{sha}/upload", headers=ha).json()
    assert state == {"have": False, "received": 5000}
    r = client.put(
        f"/attachments/{sha}",
        params={"offset": 5000, "size": len(data)},
        content=data[5000:],
        headers=ha,
    )
    assert r.json() == {"have": True, "received": len(data)}
    # Already there: nothing is received again.
    r = client.put(
        f"/attachments/{sha}",
        params={"offset": 0, "size": len(data)},
        content=data[:10],
        headers=ha,
    )
    assert r.json()["have"] is True

    # No attachment row yet: nobody can download it, not even the uploader.
    assert client.get(f"/attachments/{sha}", headers=ha).status_code == 404
    c = customer(world.ra1)
    _push(
        client,
        ha,
        c,
        op(
            "attachment",
            "create",
            new_id(),
            {
                "customer_id": c["record_id"],
                "sha256": sha,
                "kind": "contract",
                "filename": "合同.pdf",
                "mime": "application/pdf",
            },
        ),
    )
    r = client.get(f"/attachments/{sha}", headers=ha)
    assert r.status_code == 200 and r.content == data
    assert r.headers["content-type"] == "application/pdf"
    r = client.get(f"/attachments/{sha}", headers={**hla, "Range": "bytes=100-199"})
    assert r.status_code == 206 and r.content == data[100:200]
    assert client.get(f"/attachments/{sha}", headers=ha2).status_code == 404
    unknown = hashlib.sha256(b"guess").hexdigest()
    assert client.get(f"/attachments/{unknown}", headers=ha).status_code == 404
    assert client.get("/attachments/not-a-hash", headers=ha).status_code == 422


def test_attachment_hash_mismatch_and_size_limits(world: World, client: httpx.Client) -> None:
    h = sign_in(client, "ra1")
    wrong = hashlib.sha256(b"something else").hexdigest()
    r = client.put(
        f"/attachments/{wrong}", params={"offset": 0, "size": 4}, content=b"abcd", headers=h
    )
    assert r.status_code == 422 and r.json()["code"] == "hash_mismatch"
    assert client.get(f"/attachments/{wrong}/upload", headers=h).json()["received"] == 0
    limit = world.settings.max_attachment_bytes
    r = client.put(
        f"/attachments/{wrong}", params={"offset": 0, "size": limit + 1}, content=b"x", headers=h
    )
    assert r.status_code == 413 and r.json()["code"] == "too_large"
    assert "MB" in r.json()["message"]["en"]
    big = b"x" * (world.settings.max_chunk_bytes + 1)
    r = client.put(
        f"/attachments/{wrong}", params={"offset": 0, "size": len(big)}, content=big, headers=h
    )
    assert r.status_code == 413


def test_bad_input_gets_4xx_never_500(world: World, client: httpx.Client) -> None:
    h = sign_in(client, "ra1")
    jh = {**h, "Content-Type": "application/json"}
    cases = [
        client.post("/sync/push", content=b"{not json", headers=jh),
        client.post("/sync/push", json={"device": "d", "ops": [], "extra": 1}, headers=h),
        client.post("/sync/push", json={"device": "d"}, headers=h),
        client.post("/sync/push", json={"device": "d", "ops": "x"}, headers=h),
        client.post("/sync/push", json=[1, 2], headers=h),
        client.get("/sync/pull", params={"cursor": "abc"}, headers=h),
        client.get("/sync/pull", params={"limit": 0}, headers=h),
        client.post("/auth/signin", json={"username": "ra1"}),
        client.post(
            "/auth/signin", content=b"\xff\xfe", headers={"Content-Type": "application/json"}
        ),
        client.post("/sync/push", content=b"x" * (world.settings.max_body_bytes + 10), headers=jh),
    ]
    assert [r.status_code for r in cases] == [422, 422, 422, 422, 422, 400, 422, 422, 422, 413]
    for r in cases:
        assert r.json()["message"]["en"]
    weird = [
        op("customer", "create", new_id(), {"name": "a\x00b", "owner": world.ra1.id}),
        op("customer", "create", new_id(), {"name": "\ud800", "owner": world.ra1.id}),
        op("customer", "create", new_id(), {"name": "x" * 30000, "owner": world.ra1.id}),
        {**op("customer", "create", new_id(), {"name": "n"}), "base_version": -1},
        {**op("customer", "create", new_id(), {"name": "n"}), "record_id": "../../etc"},
        op("deal", "stage", new_id(), {"stage": 5}),
    ]
    body = json.dumps({"device": "d", "ops": weird})
    r = client.post("/sync/push", content=body.encode(), headers=jh)
    assert r.status_code == 200
    assert [x["status"] for x in r.json()["results"]] == ["rejected"] * len(weird)


def test_rules_and_directory_are_served(world: World, client: httpx.Client) -> None:
    h = sign_in(client, "la")
    rules = client.get("/rules", headers=h).json()
    assert rules["version"] == 1 and rules["rules"]["approval_gates"] == [
        ["proposal", "negotiation"]
    ]
    text = json.dumps({**rules["rules"], "approval_gates": []})
    version = admin.load_rules(world.engine, text)
    assert version == 2
    assert client.get("/rules", headers=h).json()["version"] == 2
    assert client.get("/sync/pull", headers=h).json()["rules_version"] == 2
    with pytest.raises(admin.AdminError):
        admin.load_rules(world.engine, '{"stages": []}')
    d = client.get("/directory", headers=sign_in(client, "admin")).json()
    assert len(d["users"]) == 6 and {t["name"] for t in d["teams"]} == {"A", "B"}


def test_openapi_schema_is_published(client: httpx.Client) -> None:
    schema = client.get("/openapi.json").json()
    assert {"/sync/push", "/sync/pull", "/auth/signin", "/attachments/{sha256}"} <= set(
        schema["paths"]
    )


def test_sign_out_ends_the_session(world: World, client: httpx.Client) -> None:
    tokens = client.post("/auth/signin", json={"username": "ra1", "password": PASSWORD}).json()
    h = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (
        client.post("/auth/signout", json={"refresh_token": tokens["refresh_token"]}).status_code
        == 204
    )
    assert client.get("/me", headers=h).status_code == 401
    with world.engine.connect() as conn:
        assert conn.execute(select(signin_failures)).all() == []
