"""The embedded demo server keeps time for the lead engine as ``serve`` does: a lead whose
deadline and reclaim window have passed is escalated and returned to the pool by the server on
its own, and the signed-in device hears of it (SPEC L3, L5)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.demo.session import start_demo
from app.domain.rules import default_rules
from app.store.service import Store
from app.sync.live import ChangeWatcher
from server import admin
from server.db import jobs, lead_state, make_engine
from server.embedded import DEMO_TEAM
from server.leads import reps
from server.leads.common import team_id_of
from server.leads.intake import store_leads


def test_the_demo_server_runs_the_scheduled_jobs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIELDCRM_DEMO_DIR", str(tmp_path / "demo"))
    session = start_demo("demo-rep", size="small")
    settings = session.server.settings
    assert settings is not None and settings.job_tick_s > 0
    engine = make_engine(settings.database_url, pool_size=1)
    woke = threading.Event()
    watcher = ChangeWatcher(session.engine, woke.set, poll_timeout_s=5, retry_s=0.5)
    try:
        # The demo comes with a past: the rep's own forecast snapshots of the last four
        # quarters reached the profile with the first sync.
        store = Store(session.profile)
        try:
            kept = (
                store.connection()
                .execute("SELECT count(*), count(DISTINCT period) FROM forecast_snapshots")
                .fetchone()
            )
        finally:
            store.close()
        assert tuple(kept) == (8, 4)  # 4 quarters x (opening, closing)
        reps.set_profile(engine, "demo-rep2", on_leave=True)
        # The demo rep holds more customers than the default cap.
        raw = dict(default_rules().raw)
        raw["leads"] = {**raw["leads"], "load_cap": 100_000}
        admin.load_rules(engine, json.dumps(raw))
        with engine.connect() as conn:
            team_id = team_id_of(conn, DEMO_TEAM)
        assert team_id is not None
        # Assigned three days ago and never answered: past its deadline and reclaim window.
        (lead,) = store_leads(
            engine,
            "trade_show",
            team_id,
            [{"external_id": "demo-late", "name": "迟到的线索"}],
            now=time.time() - 3 * 86400,
        )
        assert lead["owner"] == "demo-rep"
        # Every job due now (the first ticks ran before the lead existed).
        with engine.begin() as conn:
            conn.execute(jobs.update().values(next_due=0))
        watcher.start()
        assert watcher.ready.wait(60)

        def status() -> str:
            with engine.connect() as conn:
                q = select(lead_state.c.status).where(lead_state.c.lead_id == lead["id"])
                return str(conn.execute(q).scalar_one())

        # Nobody ticks by hand: the server's scheduler escalates and reclaims the lead, and
        # each change wakes the rep's watcher.
        deadline = time.monotonic() + 90
        while status() != "pooled":
            assert time.monotonic() < deadline, "the demo server did not run its jobs"
            woke.wait(5)
            woke.clear()
        with engine.connect() as conn:
            row = conn.execute(select(lead_state).where(lead_state.c.lead_id == lead["id"])).one()
        assert row.outcome == "missed" and row.escalated_at is not None

        def least_runs() -> int:
            with engine.connect() as conn:
                return int(conn.execute(select(func.min(jobs.c.runs))).scalar_one())

        # Every job runs on its own, not only the lead jobs (a tick may still be under way).
        while least_runs() < 1:
            assert time.monotonic() < deadline, "a scheduled job never ran"
            time.sleep(0.2)
        # The rep's device drops the reclaimed lead at its next sync.
        session.engine.sync()
        store = Store(session.profile)
        try:
            assert store.get("lead", lead["id"]) is None
        finally:
            store.close()
    finally:
        watcher.stop()
        engine.dispose()
        session.stop()
