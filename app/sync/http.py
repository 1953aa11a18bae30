"""The HTTP side of sync: one small client for the server's API.

Network errors and 5xx answers are retried with exponential backoff and jitter (a fleet of
laptops coming back online must not hammer the server in step); 4xx answers are final. A server
that cannot be reached at all (refused, unreachable, no name, no answer to the handshake within
:data:`CONNECT_TIMEOUT`) is not retried: the user is told "offline" at once, and the next
automatic sync tries again. Every failure becomes a :mod:`app.sync.errors` exception with a
message for the user.
"""

from __future__ import annotations

import functools
import random
import ssl
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from app import __version__
from app.domain.messages import Msg
from app.sync.errors import (
    DeviceRevoked,
    Offline,
    Refused,
    ResyncRequired,
    ServerTrouble,
    SessionExpired,
    SyncError,
)
from app.sync.pack import MEDIA_TYPE as PACK_MEDIA_TYPE

RETRYABLE_STATUS = frozenset({500, 502, 503, 504})
CHUNK = 1 << 20  # upload chunk size; the server's per-chunk limit is larger
# Seconds to wait for a connection. Generous for a slow mobile link, short enough that a
# laptop whose network dropped silently hears "offline" soon.
CONNECT_TIMEOUT = 3.0
PACK_TIMEOUT = httpx.Timeout(120.0, connect=CONNECT_TIMEOUT)


def _message(response: httpx.Response) -> tuple[str, Msg]:
    try:
        body = response.json()
        msg = body.get("message") or {}
        return str(body.get("code") or response.status_code), Msg(
            str(msg.get("zh") or "请求被拒绝"), str(msg.get("en") or response.reason_phrase)
        )
    except ValueError:
        return str(response.status_code), Msg(
            f"服务器拒绝了请求({response.status_code})",
            f"The server refused the request ({response.status_code})",
        )


WIPE_CODE = "device_revoked"


def _unauthorised(response: httpx.Response) -> SyncError:
    """A 401: the server's wipe order for a revoked device, else an expired session."""
    code, _msg = _message(response)
    return DeviceRevoked() if code == WIPE_CODE else SessionExpired()


@functools.cache
def _usual_cas() -> ssl.SSLContext:
    """httpx's default verification, built once per process: loading the CA bundle takes
    longer than a sync with nothing to do, and every sync opens a new client."""
    return httpx.create_ssl_context()


class ApiClient:
    """Calls the FieldCRM server; ``token`` supplies the current access token (or None)."""

    def __init__(
        self,
        base_url: str,
        *,
        token: Callable[[], str | None] = lambda: None,
        transport: httpx.BaseTransport | None = None,
        verify: ssl.SSLContext | bool = True,  # a context with IT's CA bundle (app.config)
        timeout: float = 20.0,
        retries: int = 4,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.retries = retries
        self._sleep = sleep
        self.http = httpx.Client(
            base_url=self.base_url,
            transport=transport,
            verify=_usual_cas() if verify is True else verify,
            timeout=httpx.Timeout(timeout, connect=min(timeout, CONNECT_TIMEOUT)),
            headers={"User-Agent": f"FieldCRM/{__version__}"},
        )

    def close(self) -> None:
        self.http.close()

    def _backoff(self, attempt: int) -> float:
        return float(min(30.0, 0.5 * 2**attempt) * (0.5 + random.random()))

    def request(self, method: str, path: str, *, auth: bool = True, **kw: Any) -> httpx.Response:
        """Send a request, retrying transient failures; raise a SyncError on a final failure."""
        headers = dict(kw.pop("headers", {}) or {})
        for attempt in range(self.retries + 1):
            if auth:
                token = self._token()
                if token:
                    headers["Authorization"] = f"Bearer {token}"
            try:
                response = self.http.request(method, path, headers=headers, **kw)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                # Nothing was sent: the server is out of reach, and waiting will not bring it
                # back within this sync. (A connection lost mid-request is retried below.)
                raise Offline() from exc
            except httpx.TransportError as exc:
                if attempt == self.retries:
                    raise Offline() from exc
                self._sleep(self._backoff(attempt))
                continue
            if response.status_code in RETRYABLE_STATUS:
                if attempt == self.retries:
                    raise ServerTrouble()
                self._sleep(self._backoff(attempt))
                continue
            if response.status_code == 401 and auth:
                raise _unauthorised(response)
            if response.status_code == 410:
                raise ResyncRequired()
            if response.status_code >= 400:
                code, msg = _message(response)
                raise Refused(response.status_code, code, msg)
            return response
        raise AssertionError("unreachable")  # the loop always returns or raises

    # ---- endpoints -------------------------------------------------------------------------
    def sign_in(self, user: str, password: str, device: str) -> dict[str, Any]:
        """Tokens and the user record; a wrong password is a :class:`Refused` (401)."""
        r = self.request(
            "POST",
            "/auth/signin",
            auth=False,
            json={"username": user, "password": password, "device": device},
        )
        return dict(r.json())

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        try:
            r = self.request(
                "POST", "/auth/refresh", auth=False, json={"refresh_token": refresh_token}
            )
        except Refused as exc:
            if exc.status == 401:
                raise (DeviceRevoked() if exc.code == WIPE_CODE else SessionExpired()) from None
            raise
        return dict(r.json())

    def sign_out(self, refresh_token: str) -> None:
        self.request("POST", "/auth/signout", auth=False, json={"refresh_token": refresh_token})

    def directory(self) -> dict[str, Any]:
        return dict(self.request("GET", "/directory").json())

    def history(self, record_ids: list[str]) -> list[dict[str, Any]]:
        """Every device's audit entries for these records, as the server keeps them."""
        entries = self.request("POST", "/history", json={"ids": record_ids}).json()["entries"]
        return list(entries)

    def rules(self) -> dict[str, Any]:
        return dict(self.request("GET", "/rules").json())

    def push(self, device: str, ops: list[dict[str, Any]]) -> list[dict[str, Any]]:
        r = self.request("POST", "/sync/push", json={"device": device, "ops": ops})
        return list(r.json()["results"])

    def pull(self, cursor: str | None, limit: int) -> bytes:
        """One page of the change feed, as the JSON body the server sent (see
        :func:`app.sync.local.decode_page`): the caller decodes it on its own thread."""
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        return self.request("GET", "/sync/pull", params=params).content

    def pull_pack(
        self,
        cursor: str | None,
        limit: int,
        key: bytes,
        target: Path,
        ahead: tuple[int, bytes] | None = None,
    ) -> bool:
        """Download the same page as a pack encrypted with ``key`` (see :mod:`app.sync.pack`)
        into ``target``, as it arrives; False from a server that does not make packs.

        ``ahead``: the size and key of the pack to ask for next, which the server then makes
        while this one is stored."""
        body: dict[str, Any] = {"cursor": cursor, "limit": limit, "key": key.hex()}
        if ahead is not None:
            body |= {"next_limit": ahead[0], "next_key": ahead[1].hex()}
        for attempt in range(self.retries + 1):
            headers = {}
            token = self._token()
            if token:
                headers["Authorization"] = f"Bearer {token}"
            try:
                # The server answers once the pack is made, which may take a while when it
                # is busy: a longer wait for the first byte than other calls have.
                with self.http.stream(
                    "POST", "/sync/pack", json=body, headers=headers, timeout=PACK_TIMEOUT
                ) as r:
                    if r.status_code not in RETRYABLE_STATUS:
                        return self._receive_pack(r, target)
                    if attempt == self.retries:
                        raise ServerTrouble()
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                raise Offline() from exc
            except httpx.TransportError as exc:
                if attempt == self.retries:
                    raise Offline() from exc
            self._sleep(self._backoff(attempt))
        raise AssertionError("unreachable")  # the loop always returns or raises

    def _receive_pack(self, r: httpx.Response, target: Path) -> bool:
        if r.status_code in (404, 405):
            return False
        if r.status_code >= 400:
            r.read()
            if r.status_code == 401:
                raise _unauthorised(r)
            if r.status_code == 410:
                raise ResyncRequired()
            code, msg = _message(r)
            raise Refused(r.status_code, code, msg)
        if r.headers.get("content-type", "").split(";")[0].strip() != PACK_MEDIA_TYPE:
            raise ServerTrouble()  # a proxy's or captive portal's page in the server's place
        with target.open("wb") as f:
            for chunk in r.iter_bytes(CHUNK):
                f.write(chunk)
        return True

    def upload(self, sha256: str, path: Path) -> None:
        """Upload a file, resuming where the server's copy ends; skip files it already has."""
        size = path.stat().st_size
        state = self.request("GET", f"/attachments/{sha256}/upload").json()
        if state.get("have"):
            return
        offset = int(state.get("received") or 0)
        with path.open("rb") as f:
            f.seek(offset)
            while offset < size:
                chunk = f.read(CHUNK)
                r = self.request(
                    "PUT",
                    f"/attachments/{sha256}",
                    params={"offset": offset, "size": size},
                    content=chunk,
                    headers={"Content-Type": "application/octet-stream"},
                )
                offset = int(r.json().get("received", offset + len(chunk)))
                if r.json().get("have"):
                    return

    def download(self, sha256: str, target: Path) -> None:
        """Download a file into ``target``, resuming a partial ``.part`` file by HTTP range."""
        part = target.with_name(target.name + ".part")
        have = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={have}-"} if have else {}
        for attempt in range(self.retries + 1):
            try:
                self._download_into(sha256, part, headers)
                break
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                raise Offline() from exc
            except (httpx.TransportError, ServerTrouble) as exc:
                if attempt == self.retries:
                    raise Offline() from exc
                self._sleep(self._backoff(attempt))
                have = part.stat().st_size if part.exists() else 0
                headers = {"Range": f"bytes={have}-"} if have else {}
        part.replace(target)

    def _download_into(self, sha256: str, part: Path, headers: dict[str, str]) -> None:
        token = self._token()
        if token:
            headers = {**headers, "Authorization": f"Bearer {token}"}
        with self.http.stream("GET", f"/attachments/{sha256}", headers=headers) as r:
            if r.status_code in RETRYABLE_STATUS:
                raise ServerTrouble()
            if r.status_code == 401:
                r.read()
                raise _unauthorised(r)
            if r.status_code >= 400:
                r.read()
                code, msg = _message(r)
                raise Refused(r.status_code, code, msg)
            mode = "ab" if r.status_code == 206 else "wb"
            with part.open(mode) as f:
                for block in _iter(r):
                    f.write(block)


def _iter(response: httpx.Response) -> Iterator[bytes]:
    yield from response.iter_bytes(CHUNK)
