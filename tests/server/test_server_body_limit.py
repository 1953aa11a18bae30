"""The request-body limit over real HTTP: declared and streamed bodies both answer 413."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
from helpers.world import World, sign_in

CHUNK = b"x" * (1 << 20)


def _chunks(total: int) -> Iterator[bytes]:
    """A body sent with ``Transfer-Encoding: chunked``: a generator has no length to declare."""
    for _ in range(total // len(CHUNK)):
        yield CHUNK


def test_streamed_body_over_the_limit_is_413(world: World, client: httpx.Client) -> None:
    h = {**sign_in(client, "ra1"), "Content-Type": "application/json"}
    r = client.post("/sync/push", content=_chunks(100 << 20), headers=h)
    assert r.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in r.request.headers
    assert r.status_code == 413, r.text
    assert r.json()["code"] == "too_large" and r.json()["message"]["zh"] == "请求过大"
    # The same limit with a declared length, and the server still serves the next request.
    declared = client.post(
        "/sync/push", content=b"x" * (world.settings.max_body_bytes + 1), headers=h
    )
    assert declared.status_code == 413 and declared.json()["code"] == "too_large"
    ok = client.post("/sync/push", json={"device": "d", "ops": []}, headers=h)
    assert ok.status_code == 200, ok.text


def test_streamed_body_under_the_limit_is_read(world: World, client: httpx.Client) -> None:
    h = {**sign_in(client, "ra1"), "Content-Type": "application/json"}
    body = b'{"device": "d", "ops": []}'
    r = client.post("/sync/push", content=iter([body[:5], body[5:]]), headers=h)
    assert r.request.headers.get("transfer-encoding") == "chunked"
    assert r.status_code == 200 and r.json()["results"] == []
