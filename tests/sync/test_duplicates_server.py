"""The server checks new customers and contacts again across the team's scopes (SPEC C1)."""

from __future__ import annotations

from collections.abc import Callable

from helpers.syncing import Device

from server.duplicates import scan_team
from server.leads.common import team_id_of


def _alerts(device: Device) -> list[dict[str, object]]:
    return list(
        device.store.connection().query(
            "SELECT kind, record_id, message_en, owner FROM alerts "
            "WHERE kind = 'duplicate' AND _deleted = 0 ORDER BY message_en"
        )
    )


def test_a_duplicate_in_another_reps_scope_is_kept_and_reported(
    make_device: Callable[..., Device], server: object
) -> None:
    alice = make_device("alice-laptop", "alice")
    bob = make_device("bob-laptop", "bob")
    lena = make_device("lena-laptop", "lena")
    first = alice.store.create(
        "customer",
        {"name": "杭州云峰科技股份有限公司", "owner": alice.store.actor, "phone": "0571-88881234"},
    )
    alice.store.create("contact", {"customer_id": first, "name": "陈静怡", "mobile": "13912345678"})
    unrelated = alice.store.create(
        "customer", {"name": "苏州云峰科技有限公司", "owner": alice.store.actor}
    )
    alice.sync()
    # Bob cannot see Alice's customers: his device's own check finds nothing…
    assert bob.store.get("customer", first) is None
    second = bob.store.create(
        "customer", {"name": "雲峰科技(杭州)有限公司", "owner": bob.store.actor}
    )
    bob.store.create("contact", {"customer_id": second, "name": "陳靜怡", "mobile": "139****5678"})
    bob.sync()
    # …the server accepts Bob's records (nothing thrown away) and flags them.
    assert bob.store.get("customer", second) is not None
    assert bob.store.journal.pending_count() == 0
    lena.sync()
    lead_alerts = [a for a in _alerts(lena) if a["owner"] == lena.store.actor]
    messages = " | ".join(str(a["message_en"]) for a in lead_alerts)
    assert len(lead_alerts) == 2, messages
    assert "雲峰科技(杭州)有限公司" in messages and "杭州云峰科技股份有限公司" in messages
    assert "苏州" not in messages  # another city is another company
    assert "legal form" in messages and "masked" in messages
    # Both owners are told, neither learns the other's record.
    alice.sync()
    bob.sync()
    for device, own in ((alice, first), (bob, second)):
        told = [a for a in _alerts(device) if a["record_id"] == own]
        assert told, device
        assert all("colleague" in str(a["message_en"]) for a in told)
    assert bob.store.get("customer", first) is None
    assert alice.store.get("customer", second) is None
    assert unrelated
    # The server's scan of the team finds the same pair.
    srv = server
    with srv.engine.connect() as conn:  # type: ignore[attr-defined]
        team = team_id_of(conn, "华东一组")
        assert team is not None
        groups, _ = scan_team(conn, team, "customers")
    assert any(set(g.ids) == {first, second} for g in groups)
    # …and so does the command line.
    import json

    from click.testing import CliRunner

    from server.cli import main

    url = srv.handle.settings.database_url  # type: ignore[attr-defined]
    result = CliRunner().invoke(
        main, ["--db", url, "duplicates", "customers", "--team", "华东一组", "--json"]
    )
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    pair = next(g for g in printed if set(g["ids"]) == {first, second})
    assert 0.7 <= pair["score"] <= 1 and pair["reasons"]
    result = CliRunner().invoke(
        main, ["--db", url, "duplicates", "contacts", "--team", "华东一组", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert any(len(g["ids"]) == 2 for g in json.loads(result.output))


def test_the_daily_brief_reaches_the_lead_once(
    make_device: Callable[..., Device], server: object
) -> None:
    import time

    from server.leads import jobs

    alice = make_device("alice-2", "alice")
    lena = make_device("lena-2", "lena")
    cid = alice.store.create(
        "customer", {"name": "温州明达贸易有限公司", "owner": alice.store.actor}
    )
    alice.store.create("contact", {"customer_id": cid, "name": "周明", "mobile": "139****0000"})
    alice.sync()
    engine = server.engine  # type: ignore[attr-defined]
    now = time.time()
    first = jobs.tick(engine, now)
    assert first["health_brief"] >= 1
    again = jobs.tick(engine, now + 60)
    assert again["health_brief"] == "not due"
    # A second process ticking the same day finds the job done; the alert id is per day too.
    from server.health import run_health_briefs

    with engine.begin() as conn:
        assert run_health_briefs(conn, now + 120) == 0
    lena.sync()
    briefs = list(
        lena.store.connection().query(
            "SELECT message_en FROM alerts WHERE kind = 'health_brief' AND owner = ?",
            (lena.store.actor,),
        )
    )
    assert len(briefs) == 1
    from server.health import team_brief
    from server.records import Directory

    with engine.connect() as conn:
        team = team_id_of(conn, "华东一组")
        assert team is not None
        brief = team_brief(conn, Directory.load(conn), team, now)
    assert briefs[0]["message_en"] == brief.summary().en
    assert "温州明达贸易有限公司" in {i.label for i in brief.no_phone}
    assert "139****0000" in {i.detail for i in brief.masked}
    assert brief.total.masked >= 1
