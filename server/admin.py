"""Administration used by the CLI, the embedded demo server and tests.

Users, teams, stage rules, and moving a customer (with everything under it) to another owner.
Each function runs in its own transaction and raises :class:`AdminError` with a plain message
when the request makes no sense (unknown user, duplicate name, …).
"""

from __future__ import annotations

import json
import math
import time
import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from app.domain.rules import ProcessRules, RulesError, default_rules, parse_rules
from server import auth
from server.config import Settings
from server.db import devices, dumps, records, rule_sets, teams, users, write_tx
from server.records import ROLES, Directory, Rec, Viewer, Workspace


class AdminError(ValueError):
    """An administrative request that cannot be carried out; the message says why."""


SYSTEM = "system"


@dataclass(frozen=True)
class UserInfo:
    id: str
    name: str
    role: str
    team_id: str | None


def _team_id(conn: Connection, team: str | None) -> str | None:
    if team is None:
        return None
    row = conn.execute(
        select(teams.c.id).where((teams.c.name == team) | (teams.c.id == team))
    ).first()
    if row is None:
        raise AdminError(f"no team called {team!r} (create it with `team add`)")
    return str(row.id)


def _user_row(conn: Connection, user: str) -> Any:
    row = conn.execute(select(users).where((users.c.name == user) | (users.c.id == user))).first()
    if row is None:
        raise AdminError(f"no user called {user!r}")
    return row


def create_team(engine: Engine, name: str) -> str:
    """Add a team; returns its id."""
    name = name.strip()
    if not name:
        raise AdminError("a team needs a name")
    with write_tx(engine) as conn:
        if conn.execute(select(teams.c.id).where(teams.c.name == name)).first():
            raise AdminError(f"team {name!r} exists already")
        team_id = str(uuid.uuid4())
        conn.execute(teams.insert().values(id=team_id, name=name, created_at=time.time()))
    return team_id


def create_user(
    engine: Engine,
    s: Settings,
    name: str,
    password: str,
    *,
    role: str = "rep",
    team: str | None = None,
    display_name: str | None = None,
    user_id: str | None = None,
) -> UserInfo:
    """Add a user with an argon2id password hash."""
    name = name.strip()
    if not name:
        raise AdminError("a user needs a name")
    if role not in ROLES:
        raise AdminError(f"role must be one of {', '.join(ROLES)}")
    try:
        auth.check_password_policy(password)
    except ValueError as exc:
        raise AdminError(str(exc)) from None
    digest = auth.hash_password(password, s.argon2)
    now = time.time()
    with write_tx(engine) as conn:
        team_id = _team_id(conn, team)
        if role == "lead" and team_id is None:
            raise AdminError("a team lead needs a team")
        if conn.execute(select(users.c.id).where(users.c.name == name)).first():
            raise AdminError(f"user {name!r} exists already")
        uid = user_id or str(uuid.uuid4())
        conn.execute(
            users.insert().values(
                id=uid,
                name=name,
                display_name=display_name or name,
                role=role,
                team_id=team_id,
                password_hash=digest,
                active=True,
                created_at=now,
                updated_at=now,
            )
        )
    return UserInfo(uid, name, role, team_id)


def disable_user(engine: Engine, user: str) -> int:
    """Disable a user and revoke their devices at once: each one's next contact with the
    server wipes it (their records stay on the server, owned by them). Returns how many
    devices were revoked."""
    with write_tx(engine) as conn:
        row = _user_row(conn, user)
        conn.execute(
            update(users).where(users.c.id == row.id).values(active=False, updated_at=time.time())
        )
        revoked = auth.revoke_devices(conn, by="user disabled", user_id=row.id)
        auth.revoke_user(conn, row.id, reason="user disabled")
    return revoked


def set_password(engine: Engine, s: Settings, user: str, password: str) -> None:
    """Change a password; every session of the user ends."""
    try:
        auth.check_password_policy(password)
    except ValueError as exc:
        raise AdminError(str(exc)) from None
    digest = auth.hash_password(password, s.argon2)
    with write_tx(engine) as conn:
        row = _user_row(conn, user)
        conn.execute(
            update(users)
            .where(users.c.id == row.id)
            .values(password_hash=digest, active=True, updated_at=time.time())
        )
        auth.revoke_user(conn, row.id)


def set_team(engine: Engine, user: str, team: str | None) -> None:
    """Move a user to another team: the old team's leads lose sight of the user's records and
    the new team's leads receive them (and a lead who moves swaps teams' records)."""
    now = time.time()
    with write_tx(engine) as conn:
        row = _user_row(conn, user)
        new_team = _team_id(conn, team)
        if row.role == "lead" and new_team is None:
            raise AdminError("a team lead needs a team")
        before = Directory.load(conn)
        if before.team_of(row.id) == new_team:
            return
        conn.execute(
            update(users).where(users.c.id == row.id).values(team_id=new_team, updated_at=now)
        )
        after = Directory.load(conn)
        ws = Workspace(conn, now, after)
        owners = set(before.members) | set(after.members)
        # Only owners whose watchers changed need notices: the mover, and for a lead, the
        # members of both teams.
        if row.role == "lead":
            affected = {
                m.id
                for m in before.members.values()
                if m.team_id in {before.team_of(row.id), new_team} and m.team_id is not None
            } | {row.id}
        else:
            affected = {row.id}
        for owner in sorted(affected & owners):
            gone = before.watchers(owner) - after.watchers(owner)
            came = after.watchers(owner) - before.watchers(owner)
            if not gone and not came:
                continue
            for rec_id, entity_name in conn.execute(
                select(records.c.id, records.c.entity).where(records.c.scope_owner == owner)
            ):
                for u in sorted(gone):
                    ws.notice(u, rec_id, entity_name, "remove")
                for u in sorted(came):
                    ws.notice(u, rec_id, entity_name, "add")
        ws.flush()


def list_users(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        team_names = {r.id: r.name for r in conn.execute(select(teams.c.id, teams.c.name))}
        return [
            {
                "id": r.id,
                "name": r.name,
                "role": r.role,
                "team": team_names.get(r.team_id),
                "active": bool(r.active),
            }
            for r in conn.execute(select(users).order_by(users.c.name))
        ]


# ---------------------------------------------------------------- devices


@dataclass(frozen=True)
class DeviceInfo:
    id: str
    user: str
    label: str
    signed_in_from: str
    created_at: float
    last_seen_at: float
    state: str  # "active", "ended: <reason>", "revoked (wipe pending)", "revoked (wipe sent)"
    revoked_at: float | None


def _device_state(r: Any) -> str:
    if r.revoked_at is not None:
        return "revoked (wipe sent)" if r.wipe_sent_at is not None else "revoked (wipe pending)"
    if r.ended_at is not None:
        return f"ended: {r.ended_reason or 'signed out'}"
    return "active"


def list_devices(engine: Engine, user: str, *, include_ended: bool = False) -> list[DeviceInfo]:
    """A user's devices, newest sign-in first; ended sessions only with ``include_ended``
    (revoked devices always show, so that an administrator sees whether the wipe went out)."""
    with engine.connect() as conn:
        row = _user_row(conn, user)
        query = select(devices).where(devices.c.user_id == row.id)
        if not include_ended:
            query = query.where(devices.c.ended_at.is_(None) | devices.c.revoked_at.is_not(None))
        return [
            DeviceInfo(
                str(r.id),
                str(row.name),
                str(r.label),
                str(r.signed_in_from),
                float(r.created_at),
                float(r.last_seen_at),
                _device_state(r),
                r.revoked_at,
            )
            for r in conn.execute(query.order_by(devices.c.created_at.desc()))
        ]


def find_device(engine: Engine, device_id: str) -> DeviceInfo:
    """One device by its id or an unambiguous beginning of it (at least 8 characters)."""
    device_id = device_id.strip().lower()
    if len(device_id) < 8:
        raise AdminError("give at least the first 8 characters of the device id")
    with engine.connect() as conn:
        rows = conn.execute(
            select(devices, users.c.name.label("user_name"))
            .join(users, users.c.id == devices.c.user_id)
            .where(devices.c.id.startswith(device_id, autoescape=True))
            .limit(2)
        ).all()
    if not rows:
        raise AdminError(f"no device {device_id!r} (see `device list --user NAME`)")
    if len(rows) > 1:
        raise AdminError(f"{device_id!r} names more than one device: give more of its id")
    r = rows[0]
    return DeviceInfo(
        str(r.id),
        str(r.user_name),
        str(r.label),
        str(r.signed_in_from),
        float(r.created_at),
        float(r.last_seen_at),
        _device_state(r),
        r.revoked_at,
    )


def revoke_device(engine: Engine, device_id: str, *, by: str = "admin") -> DeviceInfo:
    """Revoke a device: its tokens stop working at once and its next request is answered
    with a wipe order. Edits it has not pushed yet are lost. Returns the device as it was."""
    info = find_device(engine, device_id)
    with write_tx(engine) as conn:
        auth.revoke_devices(conn, by=by, device_id=info.id)
    return info


def reassign_customer(
    ws: Workspace, customer: Rec, new_owner: str, *, actor: str, device: str, op_id: str | None
) -> list[Rec]:
    """Give a customer, and every row under it, to ``new_owner`` inside ``ws``.

    Users who could see the old owner's records but not the new owner's are told to remove
    them at their next pull; deals still owned by the old owner follow the customer.
    """
    old_owner = customer.data.get("owner")
    children = ws.load_where(records.c.customer_id == customer.id, records.c.id != customer.id)
    ws.change(
        customer,
        {"owner": new_owner, "updated_at": ws.stamp},
        actor=actor,
        device=device,
        op_id=op_id,
    )
    ws.rescope(customer, new_owner)
    for rec in children:
        if rec.entity == "deal" and not rec.deleted and rec.data.get("owner") == old_owner:
            ws.change(
                rec,
                {"owner": new_owner, "updated_at": ws.stamp},
                actor=actor,
                device=device,
                op_id=op_id,
            )
        ws.rescope(rec, new_owner)
        ws.touch(rec)
    ws.touch(customer)
    return children


def assign_customer(engine: Engine, customer_id: str, to_user: str) -> int:
    """Move a customer with its contacts, deals, follow-ups and attachments; returns the number
    of rows moved."""
    now = time.time()
    with write_tx(engine) as conn:
        target = _user_row(conn, to_user)
        if not target.active:
            raise AdminError(f"user {to_user!r} is disabled")
        ws = Workspace(conn, now, Directory.load(conn))
        ws.load([customer_id])
        customer = ws.get(customer_id)
        if customer is None or customer.entity != "customer" or customer.deleted:
            raise AdminError(f"no customer with id {customer_id!r}")
        if customer.data.get("owner") == target.id and customer.scope_owner == target.id:
            return 0
        children = reassign_customer(
            ws, customer, target.id, actor=SYSTEM, device="server", op_id=None
        )
        ws.flush()
    return 1 + len(children)


# ---------------------------------------------------------------- rules


@lru_cache(maxsize=16)
def parse_rule_set(version: int, text: str) -> ProcessRules:
    """A stored rule set, parsed once per process (rule sets never change once stored)."""
    return parse_rules(json.loads(text))


@lru_cache(maxsize=1)
def shipped_rules() -> ProcessRules:
    """The defaults shipped with the app, read and parsed once per process."""
    return default_rules()


def current_rules(conn: Connection) -> ProcessRules:
    """The rule data in force: the newest loaded set, or the defaults shipped with the app."""
    row = conn.execute(
        select(rule_sets.c.version, rule_sets.c.data).order_by(rule_sets.c.version.desc()).limit(1)
    ).first()
    if row is None:
        return shipped_rules()
    return parse_rule_set(int(row.version), str(row.data))


def _not_finite(word: str) -> float:
    raise RulesError(f"{word} is not a number JSON can carry")


def _finite(text: str) -> float:
    # Clients could not read a rule set holding Infinity (1e400 parses to it).
    value = float(text)
    if not math.isfinite(value):
        raise RulesError(f"{text} is too large")
    return value


def load_rules(engine: Engine, text: str, *, loaded_by: str = "admin") -> int:
    """Check and install new rule data; returns the version clients will see."""
    try:
        data = json.loads(text, parse_constant=_not_finite, parse_float=_finite)
        if not isinstance(data, dict):
            raise RulesError("rule data must be a JSON object")
        parse_rules(data)
    except (json.JSONDecodeError, RulesError) as exc:
        raise AdminError(f"rules not loaded: {exc}") from None
    with write_tx(engine) as conn:
        current = current_rules(conn).version
        version = max(int(data.get("version", 1)), current + 1)
        data["version"] = version
        conn.execute(
            rule_sets.insert().values(
                version=version,
                data=dumps(data),
                loaded_at=time.time(),
                loaded_by=loaded_by,
            )
        )
    return version


def viewer_for(engine: Engine, user: str) -> Viewer:
    """The :class:`Viewer` of a user (tests and tools acting as a user)."""
    with engine.connect() as conn:
        row = _user_row(conn, user)
    return Viewer(row.id, row.name, row.display_name, row.role, row.team_id)
