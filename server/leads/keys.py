"""Per-channel intake keys (SPEC L6): an admin makes one per channel and team; revoking it stops
that channel at once. Only the key's SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass

from sqlalchemy import Engine, select, update

from app.domain.schema import LEAD_CHANNELS
from server.admin import AdminError
from server.db import intake_keys, teams, write_tx
from server.leads.common import team_id_of

PREFIX = "fck_"


@dataclass(frozen=True)
class IntakeKey:
    id: str
    channel: str
    team_id: str


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def add_key(engine: Engine, channel: str, team: str) -> str:
    """A new key for ``channel`` feeding ``team``; the key itself is returned once, never
    stored."""
    if channel not in LEAD_CHANNELS:
        raise AdminError(f"channel must be one of {', '.join(LEAD_CHANNELS)}")
    key = PREFIX + secrets.token_urlsafe(32)
    with write_tx(engine) as conn:
        team_id = team_id_of(conn, team)
        if team_id is None:
            raise AdminError(f"no team called {team!r} (create it with `team add`)")
        conn.execute(
            intake_keys.insert().values(
                id=str(uuid.uuid4()),
                channel=channel,
                team_id=team_id,
                key_hash=_digest(key),
                created_at=time.time(),
                revoked_at=None,
            )
        )
    return key


def revoke_key(engine: Engine, key_or_id: str) -> int:
    """Revoke a key given as the key itself or its id; returns how many were revoked."""
    with write_tx(engine) as conn:
        n = conn.execute(
            update(intake_keys)
            .where(
                (intake_keys.c.key_hash == _digest(key_or_id)) | (intake_keys.c.id == key_or_id),
                intake_keys.c.revoked_at.is_(None),
            )
            .values(revoked_at=time.time())
        ).rowcount
    if not n:
        raise AdminError("no such active intake key")
    return int(n)


def list_keys(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                intake_keys.c.id,
                intake_keys.c.channel,
                teams.c.name.label("team"),
                intake_keys.c.created_at,
                intake_keys.c.revoked_at,
            )
            .join(teams, teams.c.id == intake_keys.c.team_id)
            .order_by(intake_keys.c.created_at)
        )
        return [dict(r._mapping) for r in rows]


def check_key(engine: Engine, key: str) -> IntakeKey | None:
    """The active key ``key`` is, or None."""
    if not key.startswith(PREFIX) or len(key) > 200:
        return None
    with engine.connect() as conn:
        row = conn.execute(
            select(intake_keys.c.id, intake_keys.c.channel, intake_keys.c.team_id).where(
                intake_keys.c.key_hash == _digest(key), intake_keys.c.revoked_at.is_(None)
            )
        ).first()
    return None if row is None else IntakeKey(str(row.id), str(row.channel), str(row.team_id))
