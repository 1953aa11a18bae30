"""Helpers for tests that run a real server and real client profiles."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import Engine

from app.store.service import Store
from app.sync.engine import SyncEngine
from server import admin
from server.embedded import EmbeddedServer

PASSWORD = "correct horse 42"


@dataclass
class Server:
    handle: EmbeddedServer
    engine: Engine

    @property
    def url(self) -> str:
        return self.handle.url


class FaultyTransport(httpx.BaseTransport):
    """Forwards to the real server, but can fail chosen requests the way networks do."""

    def __init__(self) -> None:
        self.inner: httpx.HTTPTransport | None = None
        self.rules: list[Callable[[httpx.Request, int], str | None]] = []
        self.counts: dict[str, int] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        key = f"{request.method} {request.url.path}"
        n = self.counts[key] = self.counts.get(key, 0) + 1
        action = next((a for r in self.rules if (a := r(request, n))), None)
        if action == "500":
            return httpx.Response(500, json={"code": "boom", "message": {"zh": "错", "en": "boom"}})
        if action == "timeout":
            raise httpx.ReadTimeout("injected timeout", request=request)
        if action == "404":  # a server from before the endpoint existed
            return httpx.Response(404, json={"detail": "Not Found"})
        if action == "garbled":  # a captive portal or a proxy answering in the server's place
            return httpx.Response(200, text="<html><body>请先登录酒店网络</body></html>")
        if self.inner is None:
            self.inner = httpx.HTTPTransport()
        response = self.inner.handle_request(request)
        if action == "drop-response":
            response.read()
            response.close()
            raise httpx.RemoteProtocolError(
                "connection lost after the server answered", request=request
            )
        return response

    def close(self) -> None:
        # Each sync makes a new client that closes its transport; reopen on the next request.
        if self.inner is not None:
            self.inner.close()
            self.inner = None


@dataclass
class Device:
    """One client profile: its sync engine and its local store (used like the UI would)."""

    engine: SyncEngine
    store: Store
    transport: FaultyTransport

    def sync(self) -> Any:
        report = self.engine.sync()
        assert report.error is None, report.error
        return report


def snapshot(store: Store, table: str = "customers") -> dict[str, dict[str, Any]]:
    """Visible rows of a table without device-local columns, for comparing devices."""
    rows = store.connection().query(f"SELECT * FROM {table} WHERE _deleted = 0")
    skip = {"name_sort", "last_followup_at"}
    return {r["id"]: {k: v for k, v in r.items() if k not in skip} for r in rows}


def user_id(server: Server, name: str) -> str:
    return str(next(u["id"] for u in admin.list_users(server.engine) if u["name"] == name))
