"""The cockpit's kept reports: a lead's sync leaves the current period's forecast and the heatmap
computed beside a signature of the data; the cockpit shows them without reading the deals, and
any change to the data (a pulled page, a local edit) makes it compute them again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from helpers.syncing import Device, Server

from app.domain.forecast import cockpit_periods, parse_period
from app.domain.reports import current_period
from app.store import cockpit_cache
from app.store.cockpit import build
from app.views import cockpit_ops
from server.reports.demo import fill_team


def test_lead_sync_keeps_reports_that_match_the_data(
    server: Server, make_device: Callable[..., Device]
) -> None:
    assert server.handle.settings is not None
    fill_team(server.engine, server.handle.settings, "华东一组", "small", 11)
    lead = make_device("lena-laptop", "lena")
    lead.sync()
    store = lead.store
    now = datetime.now(UTC)
    period = current_period(now)
    version = cockpit_cache.data_version(store)
    kept = cockpit_cache.cached(store, f"forecast:{period}", version)
    assert kept is not None and kept["team"]["best_case"] > 0
    assert kept == build(store, "forecast", period, now=now)
    assert cockpit_cache.cached(store, "heatmap", version) == build(store, "heatmap", None)

    # The cockpit opens on the kept figures without reading a deal; the heatmap tab too.
    shown = cockpit_ops.cockpit(store, period, now)
    assert shown.deals_read == "none" and shown.team.deals == []
    assert shown.forecast == kept and shown.names
    shown.ready(store, ("heatmap",))
    assert shown.deals_read == "none" and shown.heatmap["cells"]
    # The pipeline's kept parts, with its stalled deals worked out for the moment shown.
    shown.ready(store, ("pipeline",))
    assert shown.deals_read == "none"
    assert shown.pipeline == build(store, "pipeline", period, now=now)
    assert shown.pipeline["stalled"]
    later = now + timedelta(days=45)
    assert cockpit_ops.cockpit(store, period, later).ready(store, ("pipeline",)).pipeline == (
        build(store, "pipeline", period, now=later)
    )
    # Every other period the cockpit offers is kept too: choosing one reads no deal.
    for offered in cockpit_periods(now.date()):
        chosen = shown.for_period(offered.name, store).ready(store, ("pipeline",))
        assert chosen.deals_read == "none", offered.name
        assert chosen.forecast == build(store, "forecast", offered.name, now=now)
        assert chosen.pipeline == build(store, "pipeline", offered.name, now=now)
    # A period not kept reads the deals (their histories, not their checklists).
    older = "2024Q2"
    assert older not in {p.name for p in cockpit_periods(now.date())}
    elsewhere = cockpit_ops.cockpit(store, older, now)
    elsewhere.ready(store, ("pipeline",))
    assert elsewhere.deals_read == "pipeline"
    assert elsewhere.pipeline == build(store, "pipeline", older, now=now)
    # Another period nobody kept: with the pipeline shown, the stage histories are read with
    # the forecast's fields, once.
    other = shown.for_period(older, store)
    assert other.forecast == build(store, "forecast", older, now=now)
    assert other.deals_read == "pipeline"
    assert other.ready(store, ("pipeline",)).pipeline == build(store, "pipeline", older, now=now)

    # A local edit changes the signature: the kept copies no longer count, and the cockpit
    # computes figures that include the edit.
    window = parse_period(period)
    # An open deal: a won one counts its amount, whatever its commit (ids differ each run).
    deal_id, commit = next(
        (rid, amount)
        for rid, amount, close in store.connection().execute(
            "SELECT id, commit_amount, expected_close FROM deals WHERE _deleted = 0 "
            "AND stage NOT IN (?, 'lost') AND expected_close IS NOT NULL ORDER BY id",
            (store.rules.won_stage,),
        )
        if window.contains(date.fromisoformat(close[:10]))
    )
    store.update("deal", deal_id, {"commit_amount": str(float(commit or 0) + 123_456)})
    assert cockpit_cache.data_version(store) != version
    edited = cockpit_cache.data_version(store)
    assert cockpit_cache.cached(store, f"forecast:{period}", edited) is None
    fresh = cockpit_ops.cockpit(store, period, now)
    assert fresh.deals_read == "lite"
    assert fresh.forecast == build(store, "forecast", period, now=now)
    assert fresh.forecast["team"]["commit"] != kept["team"]["commit"]

    # The next sync keeps the reports of the data as it now is.
    lead.sync()
    again = cockpit_cache.data_version(store)
    assert cockpit_cache.cached(store, f"forecast:{period}", again) == build(
        store, "forecast", period, now=now
    )
