"""Sign-in, tokens and throttling (SPEC S6).

* Passwords are stored as argon2id hashes.
* Sign-in returns a short-lived access token and a refresh token. Both are random strings of
  which only the SHA-256 is stored. Every request looks its access token up, so disabling a
  user or changing a password (which revokes all of the user's tokens) takes effect at once.
* A refresh token is used once: refreshing returns a new pair in the same *family*. A used
  token presented again is accepted only while the token it was swapped for has never been
  used (the device lost the answer); otherwise it was copied, and the whole family is revoked.
* Repeated failures are throttled per user name and per client address, with a doubling block.
* Nothing secret is logged: no passwords, tokens or hashes.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Float,
    Row,
    Select,
    bindparam,
    delete,
    select,
    update,
)

from server.config import Argon2Params, Settings
from server.db import signin_failures, tokens, users, write_tx
from server.records import Viewer

log = logging.getLogger("fieldcrm.server.auth")

MIN_PASSWORD_LENGTH = 8


class AuthError(Exception):
    """Sign-in or token refused (401)."""


class Throttled(Exception):
    """Too many failures: try again after ``retry_after`` seconds (429)."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"retry after {retry_after:.0f} s")
        self.retry_after = retry_after


@lru_cache(maxsize=8)
def hasher(params: Argon2Params) -> PasswordHasher:
    return PasswordHasher(
        time_cost=params.time_cost,
        memory_cost=params.memory_cost,
        parallelism=params.parallelism,
        type=Type.ID,
    )


@lru_cache(maxsize=8)
def _dummy_hash(params: Argon2Params) -> str:
    # Verifying against this for unknown users keeps their sign-in as slow as a real one.
    return hasher(params).hash(secrets.token_urlsafe(16))


def hash_password(password: str, params: Argon2Params) -> str:
    return hasher(params).hash(password)


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


def verify_password(stored: str, password: str, params: Argon2Params) -> bool:
    try:
        return hasher(params).verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int
    viewer: Viewer

    def as_dict(self) -> dict[str, Any]:
        v = self.viewer
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": "bearer",
            "expires_in": self.expires_in,
            "refresh_expires_in": self.refresh_expires_in,
            "user": {
                "id": v.id,
                "name": v.name,
                "display_name": v.display_name,
                "role": v.role,
                "team_id": v.team_id,
            },
        }


def _issue(conn: Connection, s: Settings, viewer: Viewer, family: str, device: str) -> TokenPair:
    now = time.time()
    access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    conn.execute(
        tokens.insert(),
        [
            {
                "token_hash": token_digest(access),
                "user_id": viewer.id,
                "kind": "access",
                "family": family,
                "device": device,
                "expires_at": now + s.access_ttl_s,
                "revoked": False,
                "used_at": None,
                "created_at": now,
            },
            {
                "token_hash": token_digest(refresh),
                "user_id": viewer.id,
                "kind": "refresh",
                "family": family,
                "device": device,
                "expires_at": now + s.refresh_ttl_s,
                "revoked": False,
                "used_at": None,
                "created_at": now,
            },
        ],
    )
    return TokenPair(access, refresh, s.access_ttl_s, s.refresh_ttl_s, viewer)


def _viewer(row: Any) -> Viewer:
    return Viewer(row.id, row.name, row.display_name, row.role, row.team_id)


def _throttle_keys(name: str, ip: str) -> list[str]:
    return [f"user:{name.casefold()[:200]}", f"ip:{ip[:80]}"]


def _check_throttle(conn: Connection, keys: list[str], now: float) -> None:
    rows = conn.execute(
        select(signin_failures.c.blocked_until).where(signin_failures.c.key.in_(keys))
    )
    until = max((r.blocked_until or 0.0 for r in rows), default=0.0)
    if until > now:
        raise Throttled(until - now)


def _record_failure(conn: Connection, s: Settings, keys: list[str], now: float) -> None:
    for key in keys:
        limit = s.throttle_user_failures if key.startswith("user:") else s.throttle_ip_failures
        row = conn.execute(
            select(signin_failures.c.failures).where(signin_failures.c.key == key)
        ).first()
        failures = (row.failures if row else 0) + 1
        blocked = None
        if failures >= limit:
            blocked = now + min(s.throttle_max_s, s.throttle_base_s * 2 ** (failures - limit))
        values = {"failures": failures, "blocked_until": blocked, "updated_at": now}
        if row:
            conn.execute(update(signin_failures).where(signin_failures.c.key == key).values(values))
        else:
            conn.execute(signin_failures.insert().values(key=key, **values))


def sign_in(
    engine: Engine, s: Settings, name: str, password: str, *, device: str, ip: str
) -> TokenPair:
    """Check a user name and password; raise :class:`Throttled` or :class:`AuthError`."""
    now = time.time()
    keys = _throttle_keys(name, ip)
    with engine.connect() as conn:
        _check_throttle(conn, keys, now)
        row = conn.execute(select(users).where(users.c.name == name)).first()
    stored = row.password_hash if row is not None else _dummy_hash(s.argon2)
    ok = verify_password(stored, password, s.argon2) and row is not None and bool(row.active)
    if not ok:
        with write_tx(engine) as conn:
            _record_failure(conn, s, keys, now)
        log.info("sign-in refused for a user name from %s", ip)
        raise AuthError("wrong user name or password")
    assert row is not None
    with write_tx(engine) as conn:
        conn.execute(delete(signin_failures).where(signin_failures.c.key.in_(keys)))
        if hasher(s.argon2).check_needs_rehash(row.password_hash):
            conn.execute(
                update(users)
                .where(users.c.id == row.id)
                .values(password_hash=hash_password(password, s.argon2))
            )
        return _issue(conn, s, _viewer(row), str(uuid.uuid4()), device)


def refresh(engine: Engine, s: Settings, refresh_token: str) -> TokenPair:
    """Swap a refresh token for a new pair; a second use revokes its whole family."""
    now = time.time()
    digest = token_digest(refresh_token)
    with write_tx(engine) as conn:
        row = conn.execute(
            select(tokens, users.c.active)
            .join(users, users.c.id == tokens.c.user_id)
            .where(tokens.c.token_hash == digest, tokens.c.kind == "refresh")
        ).first()
        if row is None or row.revoked or row.expires_at <= now or not row.active:
            raise AuthError("session expired")
        claimed = conn.execute(
            update(tokens)
            .where(tokens.c.token_hash == digest, tokens.c.used_at.is_(None))
            .values(used_at=now)
        ).rowcount
        if claimed or _retry_of_unanswered_refresh(conn, digest, row.family, now):
            user = conn.execute(select(users).where(users.c.id == row.user_id)).one()
            return _issue(conn, s, _viewer(user), row.family, row.device)
        family = str(row.family)
    # A second use: revoke outside the block above so the revocation commits though we refuse.
    revoke_family(engine, family)
    log.warning("a used refresh token was presented again; its session was revoked")
    raise AuthError("session expired")


def _retry_of_unanswered_refresh(conn: Connection, digest: str, family: str, now: float) -> bool:
    """Whether a used refresh token may be used once more: only when the token it was swapped
    for has never been used. That is a device that crashed or lost the connection before it
    stored the answer; refusing it would sign the user out for nothing. If the successor has
    been used, two parties hold the chain: that is theft, and the family is revoked."""
    used_at = conn.execute(
        select(tokens.c.used_at).where(tokens.c.token_hash == digest)
    ).scalar_one()
    later = conn.execute(
        select(tokens.c.token_hash, tokens.c.used_at, tokens.c.revoked).where(
            tokens.c.family == family,
            tokens.c.kind == "refresh",
            tokens.c.token_hash != digest,
            tokens.c.created_at >= used_at,
        )
    ).all()
    if len(later) != 1 or later[0].used_at is not None or later[0].revoked:
        return False
    conn.execute(
        update(tokens).where(tokens.c.token_hash == later[0].token_hash).values(revoked=True)
    )
    conn.execute(update(tokens).where(tokens.c.token_hash == digest).values(used_at=now))
    return True


def revoke_family(engine: Engine, family: str) -> None:
    with write_tx(engine) as conn:
        conn.execute(update(tokens).where(tokens.c.family == family).values(revoked=True))


def revoke_user(conn: Connection, user_id: str) -> None:
    """Revoke every token of a user (disable, password change)."""
    conn.execute(update(tokens).where(tokens.c.user_id == user_id).values(revoked=True))


def sign_out(engine: Engine, refresh_token: str) -> None:
    """End the session the refresh token belongs to (unknown tokens are ignored)."""
    with engine.connect() as conn:
        family = conn.execute(
            select(tokens.c.family).where(tokens.c.token_hash == token_digest(refresh_token))
        ).scalar_one_or_none()
    if family is not None:
        revoke_family(engine, family)


def token_query(*extra: ColumnElement[Any]) -> Select[Any]:
    """The access-token check as one statement (bound: ``digest``, ``now``) that also returns
    ``extra`` columns, for state a request needs anyway. Build it once and pass it to
    :func:`authenticate_in`: hot paths then skip building and compiling it per request."""
    return (
        select(
            users.c.id, users.c.name, users.c.display_name, users.c.role, users.c.team_id, *extra
        )
        .join(tokens, tokens.c.user_id == users.c.id)
        .where(
            tokens.c.token_hash == bindparam("digest"),
            tokens.c.kind == "access",
            tokens.c.revoked.is_(False),
            tokens.c.expires_at > bindparam("now", type_=Float),
            users.c.active.is_(True),
        )
    )


_TOKEN_QUERY = token_query()


def authenticate(engine: Engine, access_token: str) -> Viewer:
    """The user an access token belongs to; :class:`AuthError` if revoked or expired."""
    with engine.connect() as conn:
        return _viewer(authenticate_in(conn, access_token, _TOKEN_QUERY))


def authenticate_in(conn: Connection, access_token: str, query: Select[Any]) -> Row[Any]:
    """Check an access token inside the caller's transaction with a :func:`token_query`;
    :class:`AuthError` if refused. The row has the user's ``id``, ``name``, ``display_name``,
    ``role`` and ``team_id``, then the query's extra columns."""
    row = conn.execute(query, {"digest": token_digest(access_token), "now": time.time()}).first()
    if row is None:
        raise AuthError("not signed in")
    return row


def viewer_of(row: Any) -> Viewer:
    """The :class:`Viewer` in a row returned by :func:`authenticate_in`."""
    return _viewer(row)
