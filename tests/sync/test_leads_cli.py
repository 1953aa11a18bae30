"""The lead commands of the ``fieldcrm`` CLI as real processes against the real server:
listing leads, accepting offline, the pool and its claims, alerts, converting a lead."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from helpers.syncing import PASSWORD, Server
from sqlalchemy import select

from app.store.service import Store
from server.db import lead_state, loads, records
from server.leads import jobs, keys, reps
from server.leads.intake import store_leads

HIGH = {
    "company": "睿鼎科技有限公司",
    "title": "采购总监",
    "company_size": 800,
    "budget_stated": True,
    "timeline_urgency": 3,
}


def fieldcrm(
    profile: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
        "FIELDCRM_LANG": "en",
    }
    return subprocess.run(
        [sys.executable, "-m", "app", "--lang", "en", "--profile", str(profile), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def _login(profile: Path, server: Server, user: str) -> None:
    done = fieldcrm(
        profile,
        "login",
        "--server",
        server.url,
        "--user",
        user,
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert done.returncode == 0, done.stderr


def _json(done: subprocess.CompletedProcess[str]) -> object:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _set_server(profile: Path, url: str) -> None:
    store = Store(profile)
    store.set_meta("server_url", url)
    store.close()


def test_leads_accept_offline_pool_claim_alerts_convert(server: Server, tmp_path: Path) -> None:
    engine = server.engine
    reps.set_profile(engine, "bob", on_leave=True)
    key = keys.add_key(engine, "trade_show", "华东一组")
    r = httpx.post(
        f"{server.url}/api/v1/intake/leads",
        json={"leads": [{"external_id": "cli-1", "name": "王磊", **HIGH}]},
        headers={"X-Intake-Key": key},
    )
    lead_id = r.json()["leads"][0]["id"]
    alice, bob, lena = tmp_path / "alice", tmp_path / "bob", tmp_path / "lena"
    _login(alice, server, "alice")
    _json(fieldcrm(alice, "sync", "--json"))
    (row,) = _json(fieldcrm(alice, "leads", "--json"))  # type: ignore[misc]
    assert {k: row[k] for k in ("id", "external_id", "name", "owner", "status", "score")} == {
        "id": lead_id,
        "external_id": "cli-1",
        "name": "王磊",
        "owner": "alice",
        "status": "assigned",
        "score": 100,
    }
    assert row["response_due"] and row["company"] == "睿鼎科技有限公司"

    # Offline: the acceptance is kept and shown, then sent by the next sync.
    _set_server(alice, "http://127.0.0.1:9")
    offline = fieldcrm(alice, "lead", "accept", lead_id)
    assert offline.returncode == 0 and "Saved offline" in offline.stdout, offline.stderr
    (row,) = _json(fieldcrm(alice, "leads", "--json"))  # type: ignore[misc]
    assert row["status"] == "accepted" and row["pending"]
    _set_server(alice, server.url)
    _json(fieldcrm(alice, "sync", "--json"))
    (row,) = _json(fieldcrm(alice, "leads", "--json"))  # type: ignore[misc]
    assert row["status"] == "accepted" and not row["pending"] and row["accepted_at"]
    with engine.connect() as conn:
        state = conn.execute(select(lead_state).where(lead_state.c.lead_id == lead_id)).one()
    assert state.outcome == "on_time"

    # A lead assigned 50 hours ago that alice never accepted: escalated, then pooled.
    team = str(state.team_id)
    (old,) = store_leads(
        engine,
        "trade_show",
        team,
        [{"external_id": "cli-2", "name": "李娜"}],
        now=time.time() - 50 * 3600,
    )
    assert jobs.tick(engine, time.time())["reclaim"] == 1
    reps.set_profile(engine, "bob", on_leave=False)
    _login(bob, server, "bob")
    pool = _json(fieldcrm(bob, "pool", "--json"))
    assert [(p["id"], p["former_owner"]) for p in pool] == [(old["id"], "alice")]  # type: ignore[union-attr]
    won = fieldcrm(bob, "pool", "claim", old["id"])
    assert won.returncode == 0, won.stderr
    lost = fieldcrm(alice, "pool", "claim", old["id"])
    assert lost.returncode == 2 and "Already claimed by 李娜" in lost.stderr
    _json(fieldcrm(bob, "sync", "--json"))
    assert [r["id"] for r in _json(fieldcrm(bob, "leads", "--json"))] == [old["id"]]  # type: ignore[union-attr]

    # The team lead's device lists the escalation; alice's the lost claim.
    _login(lena, server, "lena")
    _json(fieldcrm(lena, "sync", "--json"))
    alerts = _json(fieldcrm(lena, "alerts", "--json"))
    escalation = [a for a in alerts if a["kind"] == "lead_response"]  # type: ignore[union-attr]
    assert [a["record_id"] for a in escalation] == [old["id"]]
    assert {"id", "kind", "record_id", "created_at"} <= set(escalation[0])
    _json(fieldcrm(alice, "sync", "--json"))
    told = _json(fieldcrm(alice, "alerts", "--json"))
    assert [a["kind"] for a in told] == ["pool_claim_lost"]  # type: ignore[union-attr]

    # Convert: customer, key contact and deal; the lead closes.
    made = _json(fieldcrm(alice, "lead", "convert", lead_id))
    assert set(made) == {"customer_id", "contact_id", "deal_id"}  # type: ignore[arg-type]
    _json(fieldcrm(alice, "sync", "--json"))
    with engine.connect() as conn:
        data = loads(
            conn.execute(select(records.c.data).where(records.c.id == lead_id)).scalar_one()
        )
    assert data["status"] == "converted" and data["customer_id"] == made["customer_id"]  # type: ignore[index]
    assert _json(fieldcrm(alice, "leads", "--json")) == []
    again = fieldcrm(alice, "lead", "convert", lead_id)
    assert again.returncode == 1 and "converted already" in again.stderr
