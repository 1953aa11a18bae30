"""``fieldcrm-server demo-data --team T``: fill a team with generated data so an operator can try
the server and the benchmarks have a team to sync.

The generator (:func:`app.demo.generate`) makes customers, contacts, deals with evidence and
stage history (some signed, with contract dates, some lost), follow-ups and attachments; this
maps its reps onto the team's reps (creating the missing ones, with an unusable random password
until an admin sets one), gives every record an id of its own to this team (so two teams can be
filled from one seed), loads the records in batches of customers, and posts leads through the
lead engine's intake so they are scored and assigned like real ones.
"""

from __future__ import annotations

import random
import secrets
import time
import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import Engine, select

from app.demo import DemoData, generate
from app.demo.data import DEMO_USERS
from app.domain.reports import past_snapshots as past_figures
from server import admin
from server.admin import current_rules
from server.config import Settings
from server.db import records, users, write_tx
from server.demo_data import seed
from server.leads.common import team_id_of
from server.leads.intake import store_leads
from server.reports import load_team, utc
from server.reports.snapshots import insert_snapshots, snapshot_row

LEADS = {"small": 30, "rep": 200, "team": 1000}
BATCH_CUSTOMERS = 2000


def _remap(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return ids.get(value, value)
    if isinstance(value, list):
        return [_remap(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _remap(v, ids) for k, v in value.items()}
    return value


def _team_reps(
    engine: Engine, settings: Settings, team_id: str, needed: list[dict[str, Any]]
) -> dict[str, str]:
    """Generator rep id → server user id, creating the reps the team lacks."""
    with engine.connect() as conn:
        have = [
            str(r.id)
            for r in conn.execute(
                select(users.c.id)
                .where(users.c.team_id == team_id, users.c.role == "rep", users.c.active.is_(True))
                .order_by(users.c.name)
            )
        ]
    owners: dict[str, str] = {}
    for i, gen in enumerate(needed):
        if i < len(have):
            owners[gen["id"]] = have[i]
            continue
        info = admin.create_user(
            engine,
            settings,
            f"{gen['name']}-{team_id[:8]}",
            secrets.token_urlsafe(24),
            role="rep",
            team=team_id,
            display_name=str(gen["display_name"]),
        )
        owners[gen["id"]] = info.id
    return owners


def _batches(data: DemoData, size: int) -> list[DemoData]:
    by_customer: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for kind in ("contacts", "deals", "followups", "attachments"):
        for row in getattr(data, kind):
            by_customer[row["customer_id"]][kind].append(row)
    out = []
    for i in range(0, len(data.customers), size):
        chunk = DemoData(customers=data.customers[i : i + size])
        for c in chunk.customers:
            for kind, rows in by_customer[c["id"]].items():
                getattr(chunk, kind).extend(rows)
        chunk.followups.sort(key=lambda f: f["created_at"])
        out.append(chunk)
    return out


def _leads(count: int, seed_value: int, team_id: str) -> list[dict[str, Any]]:
    rng = random.Random(f"{seed_value}:{team_id}:leads")
    surnames, given = "王李张刘陈杨黄赵吴周", ["伟", "芳", "敏", "静", "磊", "洋", "杰", "婷"]
    titles = ["总经理", "采购经理", "IT经理", "运营主管", "工程师", "销售总监"]
    cities = ["杭州", "上海", "苏州", "深圳", "成都", "北京"]
    return [
        {
            "name": rng.choice(surnames) + rng.choice(given),
            "company": f"{rng.choice(cities)}{rng.choice(['恒信', '华瑞', '博远', '启明'])}"
            f"{rng.choice(['科技', '制造', '物流'])}有限公司",
            "title": rng.choice(titles),
            "mobile": f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
            "channel": rng.choice(["web_form", "trade_show", "referral", "douyin", "wechat"]),
            "region": rng.choice(cities),
            "external_id": f"demo-{team_id[:8]}-{seed_value}-{i}",
        }
        for i in range(count)
    ]


def past_snapshots(engine: Engine, team: str, now: float, count: int = 4) -> int:
    """Forecast snapshots of ``team`` (name or id) for the ``count`` quarters before ``now``,
    as the server's job would have taken them had it run then; returns the rows written.

    See :func:`app.domain.reports.past_snapshots`; snapshots already there are kept.
    """
    with write_tx(engine) as conn:
        team_id = team_id_of(conn, team)
        if team_id is None:
            return 0
        rules = current_rules(conn)
        data = load_team(conn, team_id)
        if not data.reps:
            return 0
        rows = [
            snapshot_row(team_id, rep, period, kind, figures, now)
            for rep, period, kind, figures in past_figures(data, rules, utc(now).date(), count)
        ]
        return insert_snapshots(conn, rows)


def fill_team(
    engine: Engine,
    settings: Settings,
    team: str,
    size: str = "small",
    seed_value: int = 7,
    now: float | None = None,
) -> dict[str, int]:
    """Fill ``team`` (name or id; created if missing) with demo data and the forecast snapshots
    of the four quarters before ``now`` (default: the current time); returns what was added.

    Raises ValueError when this team already holds this seed's data."""
    with engine.connect() as conn:
        team_id = team_id_of(conn, team)
    if team_id is None:
        team_id = admin.create_team(engine, team)
    data = generate(size, seed_value, owner=DEMO_USERS[1]["id"] if size == "rep" else None)
    gen_reps = [u for u in data.users if u["role"] == "rep"]
    if size == "rep":  # one rep's book of business
        gen_reps = [u for u in gen_reps if u["id"] == DEMO_USERS[1]["id"]]
    ns = uuid.UUID(team_id)
    ids: dict[str, str] = {}
    for kind in ("customers", "contacts", "deals", "followups"):
        for row in getattr(data, kind):
            ids[row["id"]] = str(uuid.uuid5(ns, f"{seed_value}:{row['id']}"))
    with engine.connect() as conn:
        first = ids[data.customers[0]["id"]]
        if conn.execute(select(records.c.id).where(records.c.id == first)).first():
            raise ValueError(f"team {team!r} already holds the demo data of seed {seed_value}")
    owners = _team_reps(engine, settings, team_id, gen_reps)
    for kind in ("customers", "contacts", "deals", "followups", "attachments"):
        rows = getattr(data, kind)
        setattr(data, kind, [_remap(r, ids) for r in rows])
    counts: dict[str, int] = defaultdict(int)
    for chunk in _batches(data, BATCH_CUSTOMERS):
        for k, n in seed(engine, settings, chunk, owners).items():
            counts[k] += n
    leads = _leads(LEADS.get(size, 30), seed_value, team_id)
    stored = store_leads(engine, "import", team_id, leads, actor_device="demo-data")
    counts["lead"] = len(stored)
    counts["forecast_snapshots"] = past_snapshots(
        engine, team_id, time.time() if now is None else now
    )
    counts["reps"] = len(owners)
    return dict(counts)


__all__ = ["fill_team", "past_snapshots"]
