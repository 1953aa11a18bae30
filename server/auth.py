"""Sign-in, tokens, devices and throttling (SPEC S6).

* Passwords are stored as argon2id hashes.
* Sign-in returns a short-lived access token and a refresh token. Both are random strings of
  which only the SHA-256 is stored. Every request looks its access token up, so disabling a
  user or changing a password (which revokes all of the user's tokens) takes effect at once.
* Every sign-in is a *device*: a row in ``devices`` whose id is the *family* of refresh tokens
  that grows from it. An administrator lists and revokes devices; a revoked device's next
  request (any request, refresh included) raises :class:`DeviceRevoked`, which the API answers
  with a wipe order.
* A refresh token is used once: refreshing returns a new pair in the same family. The successor
  is derived from the presented token and a random salt stored with it, so the server can hand
  the *same* successor back to a client that retries within ``refresh_grace_s`` because it lost
  the answer (and only while that successor is unused). Any other reuse of a spent token means
  two parties hold the chain: the whole family is revoked, which signs out both, and the event
  is logged and kept on the device row. That is not a wipe: a thief who replays an old token
  must not be able to wipe the rightful device.
* Failed sign-ins are counted per user name and per client address, atomically in the database
  and *before* the password is checked, so parallel guesses cannot all slip past the limit; the
  blocks double. A success clears its own user name's count only. An address block does not
  apply to a user who has signed in from that address before: behind a proxy that is not
  configured as trusted every client shares one address, and the per-user counts protect them.
* Nothing secret is logged: no passwords, tokens or hashes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import logging
import secrets
import time
import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NoReturn

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
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from server.config import Argon2Params, Settings
from server.db import devices, is_postgres, signin_failures, tokens, users, write_tx
from server.records import Viewer

log = logging.getLogger("fieldcrm.server.auth")

MIN_PASSWORD_LENGTH = 8


class AuthError(Exception):
    """Sign-in or token refused (401)."""


class DeviceRevoked(AuthError):
    """The token belongs to a device an administrator revoked: the device must wipe itself."""

    def __init__(self, device_id: str) -> None:
        super().__init__("device revoked")
        self.device_id = device_id


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
    device_id: str = ""

    def as_dict(self) -> dict[str, Any]:
        v = self.viewer
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": "bearer",
            "expires_in": self.expires_in,
            "refresh_expires_in": self.refresh_expires_in,
            "device_id": self.device_id,
            "user": {
                "id": v.id,
                "name": v.name,
                "display_name": v.display_name,
                "role": v.role,
                "team_id": v.team_id,
            },
        }


def _derived_token(secret: str, salt: str, kind: str) -> str:
    mac = hmac.new(secret.encode("utf-8", "surrogatepass"), f"{kind}:{salt}".encode(), "sha256")
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode("ascii")


def _successors(refresh_token: str, salt: str) -> tuple[str, str]:
    """The access and refresh token that follow ``refresh_token``: whoever knows only the
    database (hashes and salts) or only the token cannot compute them."""
    return (
        _derived_token(refresh_token, salt, "access"),
        _derived_token(refresh_token, salt, "refresh"),
    )


def _issue(
    conn: Connection,
    s: Settings,
    viewer: Viewer,
    family: str,
    device: str,
    now: float,
    pair: tuple[str, str] | None = None,
) -> TokenPair:
    access, refresh = pair or (secrets.token_urlsafe(32), secrets.token_urlsafe(32))
    common = {
        "user_id": viewer.id,
        "family": family,
        "device": device,
        "revoked": False,
        "used_at": None,
        "created_at": now,
        "rotation_salt": None,
    }
    conn.execute(
        tokens.insert(),
        [
            {
                **common,
                "token_hash": token_digest(access),
                "kind": "access",
                "expires_at": now + s.access_ttl_s,
            },
            {
                **common,
                "token_hash": token_digest(refresh),
                "kind": "refresh",
                "expires_at": now + s.refresh_ttl_s,
            },
        ],
    )
    return TokenPair(access, refresh, s.access_ttl_s, s.refresh_ttl_s, viewer, family)


def _viewer(row: Any) -> Viewer:
    return Viewer(row.id, row.name, row.display_name, row.role, row.team_id)


# ---------------------------------------------------------------- client address


def client_address(peer: str, forwarded: list[str], trusted: tuple[str, ...]) -> str:
    """The address a sign-in is counted against: ``peer`` (the TCP peer) unless it is one of
    the ``trusted`` proxies, in which case the nearest untrusted hop of ``X-Forwarded-For``
    (its header lines in order). Hops left of an untrusted one are the client's own claims."""
    networks = [ipaddress.ip_network(n) for n in trusted]

    def is_trusted(addr: str) -> bool:
        try:
            ip = ipaddress.ip_address(addr)
        except ValueError:
            return False
        return any(ip in n for n in networks)

    if not networks or not is_trusted(peer):
        return peer
    hops = [h.strip() for line in forwarded for h in line.split(",") if h.strip()]
    nearest = peer
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return nearest  # a hop we cannot read: nothing beyond it is trustworthy
        if not is_trusted(hop):
            return hop
        nearest = hop
    return nearest


# ---------------------------------------------------------------- throttling


def _user_key(name: str) -> str:
    return f"user:{name.casefold()[:200]}"


def _ip_key(ip: str) -> str:
    return f"ip:{ip[:80]}"


def _count_attempt(conn: Connection, key: str, now: float) -> tuple[int, float | None]:
    """Add one to ``key``'s count in one statement; the new count and the block in force."""
    insert = pg_insert if is_postgres(conn) else sqlite_insert
    stmt = (
        insert(signin_failures)
        .values(key=key, failures=1, blocked_until=None, updated_at=now)
        .on_conflict_do_update(
            index_elements=[signin_failures.c.key],
            set_={"failures": signin_failures.c.failures + 1, "updated_at": now},
        )
        .returning(signin_failures.c.failures, signin_failures.c.blocked_until)
    )
    row = conn.execute(stmt).one()
    return int(row.failures), row.blocked_until


@dataclass(frozen=True)
class _Claim:
    """An attempt counted before its password is checked; what to undo if it succeeds."""

    ip_key: str
    ip_block_before: float | None
    ip_block_set: float | None


def _claim_attempt(
    conn: Connection, s: Settings, name: str, ip: str, user_id: str | None, now: float
) -> _Claim:
    """Count an attempt against the user name and the address, or raise :class:`Throttled`
    (the caller's transaction then rolls the counts back: a refused attempt is not counted).

    The row locks of the two upserts make parallel attempts take their turns, so at most the
    limit's number of them ever reach the password check."""
    known_here = user_id is not None and (
        conn.execute(
            select(devices.c.id)
            .where(devices.c.user_id == user_id, devices.c.signed_in_from == ip[:80])
            .limit(1)
        ).first()
        is not None
    )
    ip_key = _ip_key(ip)
    ip_before: float | None = None
    ip_set: float | None = None
    for key, limit, exempt in (
        (_user_key(name), s.throttle_user_failures, False),
        (ip_key, s.throttle_ip_failures, known_here),
    ):
        failures, blocked = _count_attempt(conn, key, now)
        if blocked is not None and blocked > now and not exempt:
            raise Throttled(blocked - now)
        if failures >= limit:
            # Assume this attempt fails: the next one waits even while this one is checked.
            until = now + min(s.throttle_max_s, s.throttle_base_s * 2 ** (failures - limit))
            conn.execute(
                update(signin_failures)
                .where(signin_failures.c.key == key)
                .values(blocked_until=until)
            )
            if key == ip_key:
                ip_before, ip_set = blocked, until
    return _Claim(ip_key, ip_before, ip_set)


def _settle_success(conn: Connection, name: str, claim: _Claim) -> None:
    """A right password: the user name's count starts again; the address only takes back
    this attempt, so signing in to one's own account never clears guesses at others."""
    conn.execute(delete(signin_failures).where(signin_failures.c.key == _user_key(name)))
    key = signin_failures.c.key == claim.ip_key
    conn.execute(
        update(signin_failures)
        .where(key, signin_failures.c.failures > 0)
        .values(failures=signin_failures.c.failures - 1)
    )
    if claim.ip_block_set is not None:
        # Lift the block this attempt set, unless a later failure has set another since.
        conn.execute(
            update(signin_failures)
            .where(key, signin_failures.c.blocked_until == claim.ip_block_set)
            .values(blocked_until=claim.ip_block_before)
        )
    conn.execute(delete(signin_failures).where(key, signin_failures.c.failures <= 0))


def sign_in(
    engine: Engine, s: Settings, name: str, password: str, *, device: str, ip: str
) -> TokenPair:
    """Check a user name and password; raise :class:`Throttled` or :class:`AuthError`.
    A success registers a new device (see the module docstring)."""
    now = time.time()
    with write_tx(engine) as conn:
        row = conn.execute(select(users).where(users.c.name == name)).first()
        claim = _claim_attempt(conn, s, name, ip, None if row is None else row.id, now)
    stored = row.password_hash if row is not None else _dummy_hash(s.argon2)
    ok = verify_password(stored, password, s.argon2) and row is not None and bool(row.active)
    if not ok:
        log.info("sign-in refused for a user name from %s", ip)
        raise AuthError("wrong user name or password")
    assert row is not None
    with write_tx(engine) as conn:
        _settle_success(conn, name, claim)
        if hasher(s.argon2).check_needs_rehash(row.password_hash):
            conn.execute(
                update(users)
                .where(users.c.id == row.id)
                .values(password_hash=hash_password(password, s.argon2))
            )
        family = str(uuid.uuid4())
        conn.execute(
            devices.insert().values(
                id=family,
                user_id=row.id,
                label=device[:100],
                signed_in_from=ip[:80],
                created_at=now,
                last_seen_at=now,
            )
        )
        return _issue(conn, s, _viewer(row), family, device, now)


# ---------------------------------------------------------------- refresh


@dataclass(frozen=True)
class _Refusal:
    family: str | None = None  # set: a spent token came back, the family is revoked
    wipe: str | None = None  # set: the device was revoked


def refresh(engine: Engine, s: Settings, refresh_token: str, *, ip: str = "unknown") -> TokenPair:
    """Swap a refresh token for a new pair. A retry within the grace window gets the same pair;
    any other second use revokes the whole family. :class:`DeviceRevoked` for a revoked
    device, :class:`AuthError` for anything else refused."""
    now = time.time()
    with write_tx(engine) as conn:
        outcome = _rotate(conn, s, refresh_token, now)
    if isinstance(outcome, TokenPair):
        return outcome
    if outcome.wipe is not None:
        raise DeviceRevoked(outcome.wipe)
    if outcome.family is not None:
        log.warning(
            "a spent refresh token of device %s was presented again from %s: the device's "
            "session is revoked",
            outcome.family,
            ip,
        )
    raise AuthError("session expired")


def _rotate(conn: Connection, s: Settings, token: str, now: float) -> TokenPair | _Refusal:
    digest = token_digest(token)
    row = conn.execute(
        select(tokens, users.c.active, devices.c.revoked_at)
        .join(users, users.c.id == tokens.c.user_id)
        .outerjoin(devices, devices.c.id == tokens.c.family)
        .where(tokens.c.token_hash == digest, tokens.c.kind == "refresh")
    ).first()
    if row is None:
        return _Refusal()
    if row.revoked_at is not None:
        return _Refusal(wipe=str(row.family))
    if row.revoked or row.expires_at <= now or not row.active:
        return _Refusal()
    user = _viewer(conn.execute(select(users).where(users.c.id == row.user_id)).one())
    salt = secrets.token_hex(16)
    # The claim is one conditional UPDATE: of two parallel requests with the same token, the
    # second waits for the first's row lock, then finds the token spent (and takes the grace
    # path below with the first one's salt).
    claimed = conn.execute(
        update(tokens)
        .where(tokens.c.token_hash == digest, tokens.c.used_at.is_(None))
        .values(used_at=now, rotation_salt=salt)
    ).rowcount
    if claimed:
        conn.execute(update(devices).where(devices.c.id == row.family).values(last_seen_at=now))
        return _issue(conn, s, user, row.family, row.device, now, _successors(token, salt))
    spent = conn.execute(
        select(tokens.c.used_at, tokens.c.rotation_salt).where(tokens.c.token_hash == digest)
    ).one()
    again = _same_successor(conn, token, spent.used_at, spent.rotation_salt, s, now)
    if again is not None:
        access, refresh, expires_in, refresh_expires_in = again
        return TokenPair(access, refresh, expires_in, refresh_expires_in, user, str(row.family))
    _end_family(conn, str(row.family), now, "refresh token reused")
    return _Refusal(family=str(row.family))


def _same_successor(
    conn: Connection,
    token: str,
    used_at: float | None,
    salt: str | None,
    s: Settings,
    now: float,
) -> tuple[str, str, int, int] | None:
    """The pair a spent token was swapped for, if a retry may have it again: within the grace
    window, and only while that pair's refresh token is unused (once it is used, the rightful
    device has the pair, so whoever asks again holds a copy)."""
    if used_at is None or salt is None or now - used_at > s.refresh_grace_s:
        return None
    access, refresh = _successors(token, salt)
    rows = {
        r.kind: r
        for r in conn.execute(
            select(tokens.c.kind, tokens.c.expires_at, tokens.c.used_at, tokens.c.revoked).where(
                tokens.c.token_hash.in_([token_digest(access), token_digest(refresh)])
            )
        )
    }
    nxt, acc = rows.get("refresh"), rows.get("access")
    if nxt is None or acc is None or nxt.used_at is not None or nxt.revoked or acc.revoked:
        return None
    return access, refresh, max(1, int(acc.expires_at - now)), max(1, int(nxt.expires_at - now))


# ---------------------------------------------------------------- ending sessions and devices


def _end_family(conn: Connection, family: str, now: float, reason: str) -> None:
    conn.execute(update(tokens).where(tokens.c.family == family).values(revoked=True))
    conn.execute(
        update(devices)
        .where(devices.c.id == family, devices.c.ended_at.is_(None))
        .values(ended_at=now, ended_reason=reason)
    )


def revoke_family(engine: Engine, family: str, reason: str = "signed out") -> None:
    """End one session (its device stays listed, marked ended)."""
    with write_tx(engine) as conn:
        _end_family(conn, family, time.time(), reason)


def revoke_user(conn: Connection, user_id: str, reason: str = "password changed") -> None:
    """Revoke every token of a user (disable, password change)."""
    conn.execute(update(tokens).where(tokens.c.user_id == user_id).values(revoked=True))
    conn.execute(
        update(devices)
        .where(devices.c.user_id == user_id, devices.c.ended_at.is_(None))
        .values(ended_at=time.time(), ended_reason=reason)
    )


def revoke_devices(
    conn: Connection, *, by: str, user_id: str | None = None, device_id: str | None = None
) -> int:
    """Revoke one device or every live device of a user: their tokens stop working and their
    next request gets a wipe order. Returns how many devices were revoked."""
    now = time.time()
    where: list[ColumnElement[bool]] = [devices.c.revoked_at.is_(None)]
    if device_id is not None:
        where.append(devices.c.id == device_id)
    if user_id is not None:
        where += [devices.c.user_id == user_id, devices.c.ended_at.is_(None)]
    ids = [str(r.id) for r in conn.execute(select(devices.c.id).where(*where))]
    if not ids:
        return 0
    conn.execute(
        update(devices).where(devices.c.id.in_(ids)).values(revoked_at=now, revoked_by=by[:100])
    )
    conn.execute(update(tokens).where(tokens.c.family.in_(ids)).values(revoked=True))
    return len(ids)


def note_wipe_sent(engine: Engine, device_id: str) -> None:
    """Record that a revoked device was told to wipe itself (the first time counts)."""
    with write_tx(engine) as conn:
        first = conn.execute(
            update(devices)
            .where(devices.c.id == device_id, devices.c.wipe_sent_at.is_(None))
            .values(wipe_sent_at=time.time())
        ).rowcount
    if first:
        log.warning("revoked device %s contacted the server and was told to wipe", device_id)


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
    digest = token_digest(access_token)
    row = conn.execute(query, {"digest": digest, "now": time.time()}).first()
    if row is None:
        _refuse(conn, digest)
    return row


def _refuse(conn: Connection, digest: str) -> NoReturn:
    """Raise :class:`DeviceRevoked` when a refused token belongs to a revoked device (however
    old the token), else :class:`AuthError`."""
    device = conn.execute(
        select(devices.c.id)
        .join(tokens, tokens.c.family == devices.c.id)
        .where(tokens.c.token_hash == digest, devices.c.revoked_at.is_not(None))
    ).first()
    if device is not None:
        raise DeviceRevoked(str(device.id))
    raise AuthError("not signed in")


def viewer_of(row: Any) -> Viewer:
    """The :class:`Viewer` in a row returned by :func:`authenticate_in`."""
    return _viewer(row)
