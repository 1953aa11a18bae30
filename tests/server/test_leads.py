"""The lead engine over real HTTP (SPEC L1–L6): intake, scoring, assignment, the response lock,
escalation, the pool and its claims, and the scheduled jobs' ticks."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers.world import World, latest, make_customer, make_deal, op, pull_all, sign_in
from sqlalchemy import Engine, func, select

from app.domain.process import stagnation_alert_id
from app.domain.rules import default_rules
from server import admin
from server.config import Settings
from server.db import jobs as jobs_table
from server.db import lead_state, loads, records, users
from server.leads import jobs, keys, reps
from server.leads.intake import store_leads

HIGH = {
    "company": "睿鼎科技有限公司",
    "title": "采购总监",
    "company_size": 800,
    "budget_stated": True,
    "timeline_urgency": 3,
}


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def _post(client: httpx.Client, key: str, body: Any) -> httpx.Response:
    return client.post("/api/v1/intake/leads", json=body, headers={"X-Intake-Key": key})


def _lead(engine: Engine, lead_id: str) -> dict[str, Any]:
    with engine.connect() as conn:
        data = conn.execute(select(records.c.data).where(records.c.id == lead_id)).scalar_one()
    out: dict[str, Any] = loads(data)
    return out


def _state(engine: Engine, lead_id: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(lead_state).where(lead_state.c.lead_id == lead_id)).one()


def _alerts(world: World, viewer_name: str, kind: str) -> list[dict[str, Any]]:
    viewer = getattr(world, viewer_name)
    changes, _ = pull_all(world.engine, viewer)
    return [
        c["fields"]
        for c in latest(changes).values()
        if c["entity"] == "alert" and c["fields"]["kind"] == kind
    ]


def _rules_with(engine: Engine, **leads: Any) -> None:
    raw = dict(default_rules().raw)
    raw["leads"] = {**raw["leads"], **leads}
    admin.load_rules(engine, json.dumps(raw))


def test_intake_scores_assigns_and_is_idempotent(world: World, client: httpx.Client) -> None:
    key = keys.add_key(world.engine, "trade_show", "A")
    batch = {
        "leads": [
            {"external_id": "ts-1", "name": "王磊", "mobile": "+86 138-1234-5678", **HIGH},
            {"external_id": "ts-2", "name": "李娜", "company": "小店", "company_size": 5},
        ]
    }
    first = _post(client, key, batch)
    assert first.status_code == 200, first.text
    out = first.json()["leads"]
    assert [o["outcome"] for o in out] == ["created", "created"]
    assert {o["owner"] for o in out} <= {"ra1", "ra2"}
    high, low = (_lead(world.engine, o["id"]) for o in out)
    assert high["score"] == 100 and low["score"] == 25 + 5
    assert high["mobile"] == "13812345678" and high["status"] == "assigned"
    assert [f["factor"] for f in high["score_reasons"]["factors"]] == [
        "channel",
        "company_size",
        "budget",
        "decision_maker",
        "timeline",
    ]
    assert high["score_reasons"]["high_intent"] and not low["score_reasons"]["high_intent"]
    # 15 minutes for high intent, 4 hours otherwise; the reasons of the choice are stored.
    s_high, s_low = _state(world.engine, out[0]["id"]), _state(world.engine, out[1]["id"])
    assert s_high.response_due - s_high.assigned_at == pytest.approx(15 * 60)
    assert s_low.response_due - s_low.assigned_at == pytest.approx(4 * 3600)
    why = high["assignment"]
    assert why["chosen"] == high["owner"] and {c["name"] for c in why["candidates"]} == {
        "ra1",
        "ra2",
    }
    assert all(0 <= c["weight"] <= 1 for c in why["candidates"])

    again = _post(client, key, batch).json()["leads"]
    assert [o["outcome"] for o in again] == ["duplicate", "duplicate"]
    assert [o["id"] for o in again] == [o["id"] for o in out]
    single = _post(client, key, {"external_id": "ts-1", "name": "王磊"}).json()["leads"]
    assert single[0]["outcome"] == "duplicate" and single[0]["id"] == out[0]["id"]
    with world.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(lead_state)).scalar_one() == 2

    # The owner's device receives the lead with its score reasons and deadline.
    owner = world.ra1 if high["owner"] == world.ra1.id else world.ra2
    changes, _ = pull_all(world.engine, owner)
    pulled = latest(changes)[out[0]["id"]]["fields"]
    assert pulled["response_due"] == high["response_due"] and pulled["score_reasons"]


def test_intake_refuses_bad_leads_one_by_one(world: World, client: httpx.Client) -> None:
    key = keys.add_key(world.engine, "web_form", "A")
    long_name = "长" * 300
    body = (
        '{"leads": ['
        '{"external_id": "x1", "name": "甲", "company_size": NaN},'
        '{"external_id": "x2", "name": "=HYPERLINK(\\"http://x\\")"},'
        '{"external_id": "x3", "name": "乙", "company_size": 1e300},'
        '{"external_id": "x4", "name": "丙", "channel": "douyin"},'
        "5,"
        f'{{"external_id": "x6", "name": "{long_name}"}},'
        '{"external_id": "x7", "name": "丁", "company": "@SUM(A1)"},'
        '{"name": "没有编号"},'
        '{"external_id": "x9", "name": "戊", "budget_stated": "maybe",'
        ' "timeline_urgency": Infinity},'
        '{"external_id": "ok", "name": "-王", "mobile": "138 1234 5678", "company": "-3 公司"}'
        "]}"
    )
    r = client.post(
        "/api/v1/intake/leads",
        content=body,
        headers={"X-Intake-Key": key, "Content-Type": "application/json"},
    )
    assert r.status_code == 200, r.text
    out = r.json()["leads"]
    errors = [sorted(o.get("errors", {})) for o in out]
    assert errors == [
        ["company_size"],
        ["name"],
        ["company_size"],
        ["channel"],
        ["lead"],
        ["name"],
        ["company"],
        ["external_id"],
        ["budget_stated", "timeline_urgency"],
        ["name"],
    ]
    assert all(o["outcome"] == "rejected" and o["id"] is None for o in out)
    assert out[1]["errors"]["name"]["en"].startswith("Must not start with")
    fine = _post(client, key, {"external_id": "ok", "name": "王", "company": "3 公司"}).json()
    assert fine["leads"][0]["outcome"] == "created"
    with world.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(lead_state)).scalar_one() == 1
        leads = conn.execute(select(func.count()).where(records.c.entity == "lead")).scalar_one()
        assert leads == 1

    assert _post(client, "fck_not-a-key", {"leads": []}).status_code == 401
    keys.revoke_key(world.engine, key)
    refused = _post(client, key, {"external_id": "y", "name": "己"})
    assert refused.status_code == 401 and refused.json()["code"] == "bad_intake_key"
    other = keys.add_key(world.engine, "web_form", "A")
    too_many = _post(client, other, {"leads": [{"name": "x"}] * 501})
    assert too_many.status_code == 413
    bad_json = client.post(
        "/api/v1/intake/leads", content=b"{not json", headers={"X-Intake-Key": other}
    )
    assert bad_json.status_code == 400


def test_a_rep_at_the_cap_gets_none_and_leave_is_respected(
    world: World, client: httpx.Client
) -> None:
    _rules_with(world.engine, load_cap=3)
    for n in range(3):
        make_customer(world.engine, world.ra1, f"满载客户{n}有限公司")
    key = keys.add_key(world.engine, "douyin", "A")
    out = _post(
        client, key, {"leads": [{"external_id": f"d{n}", "name": f"客{n}"} for n in range(2)]}
    ).json()["leads"]
    assert [o["owner"] for o in out] == ["ra2", "ra2"]
    why = _lead(world.engine, out[0]["id"])["assignment"]
    assert {"user_id": world.ra1.id, "reason": "at_cap", "name": "ra1"} in why["skipped"]

    # ra2 has 2 open leads; going on leave leaves nobody: the lead waits and the lead hears.
    reps.set_profile(world.engine, "ra2", on_leave=True)
    waiting = _post(client, key, {"external_id": "d9", "name": "等待"}).json()["leads"][0]
    assert waiting["outcome"] == "created" and waiting["owner"] is None
    assert waiting["status"] == "new"
    skipped = _lead(world.engine, waiting["id"])["assignment"]["skipped"]
    assert sorted(s["reason"] for s in skipped) == ["at_cap", "on_leave"]
    assert [a["record_id"] for a in _alerts(world, "la", "lead_unassigned")] == [waiting["id"]]
    # Back from leave: the next tick assigns it.
    reps.set_profile(world.engine, "ra2", on_leave=False)
    report = jobs.tick(world.engine, time.time() + 1)
    assert report["assign_waiting"] == 1
    assert _lead(world.engine, waiting["id"])["owner"] == world.ra2.id


def _tick_cli(settings: Settings, now: float) -> dict[str, Any]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "server.cli",
            "--db",
            settings.database_url,
            "--data-dir",
            str(settings.data_dir),
            "tick",
            "--now",
            _iso(now),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_deadline_escalation_pool_and_claim_race(
    world: World, client: httpx.Client, settings: Settings
) -> None:
    reps.set_profile(world.engine, "ra2", on_leave=True)
    key = keys.add_key(world.engine, "trade_show", "A")
    lead = _post(client, key, {"external_id": "hot", "name": "王磊", **HIGH}).json()["leads"][0]
    assert lead["owner"] == "ra1"
    state = _state(world.engine, lead["id"])

    before = jobs.tick(world.engine, state.response_due - 60)
    assert before["deadlines"] == 0
    assert jobs.tick(world.engine, state.response_due - 60)["deadlines"] == "not due"
    # As of one second after the deadline: one escalation for the team lead; run twice (once
    # by the command line), still one.
    assert _tick_cli(settings, state.response_due + 1)["deadlines"] == 1
    assert _tick_cli(settings, state.response_due + 1)["deadlines"] == "not due"
    with world.engine.begin() as conn:
        conn.execute(jobs_table.update().values(next_due=0))
    assert jobs.tick(world.engine, state.response_due + 1)["deadlines"] == 0
    escalations = _alerts(world, "la", "lead_response")
    assert [a["record_id"] for a in escalations] == [lead["id"]]
    assert "ra1" in escalations[0]["message_en"]
    assert _state(world.engine, lead["id"]).outcome == "missed"

    # Not accepted within the reclaim window: back to the team pool; ra1's device drops it.
    assert jobs.tick(world.engine, state.assigned_at + 48 * 3600 + 1)["reclaim"] == 1
    changes, _ = pull_all(world.engine, world.ra1)
    assert lead["id"] not in latest(changes)
    reps.set_profile(world.engine, "ra2", on_leave=False)
    h1, h2 = sign_in(client, "ra1"), sign_in(client, "ra2")
    pool = client.get("/api/v1/pool", headers=h2).json()
    assert [(p["id"], p["reason"], p["former_owner"]) for p in pool] == [
        (lead["id"], "not_accepted", "ra1")
    ]
    assert client.get("/api/v1/pool", headers=sign_in(client, "rb1")).json() == []
    late = client.post(f"/api/v1/leads/{lead['id']}/accept", json={}, headers=h1)
    assert late.status_code == 409 and late.json()["code"] == "pooled"

    # Two reps claim at the same moment: one wins, the other is told who.
    answers: dict[str, httpx.Response] = {}
    start = threading.Barrier(2)

    def claim(name: str, headers: dict[str, str]) -> None:
        with httpx.Client(base_url=str(client.base_url), timeout=30) as c:
            start.wait()
            answers[name] = c.post(f"/api/v1/pool/{lead['id']}/claim", headers=headers)

    threads = [threading.Thread(target=claim, args=a) for a in (("ra1", h1), ("ra2", h2))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r.status_code for r in answers.values())
    assert codes == [200, 409]
    winner = next(n for n, r in answers.items() if r.status_code == 200)
    loser = "ra2" if winner == "ra1" else "ra1"
    assert answers[loser].json()["winner"] == winner
    assert _lead(world.engine, lead["id"])["owner"] == getattr(world, winner).id
    told = _alerts(world, loser, "pool_claim_lost")
    assert len(told) == 1 and winner in told[0]["message_en"]
    assert client.get("/api/v1/pool", headers=h1).json() == []


def test_offline_acceptance_before_the_deadline_keeps_the_lead(
    world: World, client: httpx.Client
) -> None:
    reps.set_profile(world.engine, "ra2", on_leave=True)
    # Assigned an hour ago (high intent: due 45 minutes ago); escalated meanwhile.
    past = time.time() - 3600
    (lead,) = store_leads(
        world.engine,
        "trade_show",
        world.ra1.team_id or "",
        [{"external_id": "o1", "name": "甲", **HIGH}],
        now=past,
    )
    due = past + 15 * 60
    assert jobs.tick(world.engine, due + 1)["deadlines"] == 1
    assert len(_alerts(world, "la", "lead_response")) == 1
    # The rep accepted at minute 10 while offline; their laptop's clock is 7 minutes fast,
    # and the acceptance reaches the server now.
    skew = 7 * 60
    h = sign_in(client, "ra1")
    r = client.post(
        f"/api/v1/leads/{lead['id']}/accept",
        json={"acted_at": _iso(past + 600 + skew), "sent_at": _iso(time.time() + skew)},
        headers=h,
    )
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["outcome"] == "on_time" and answer["status"] == "accepted"
    accepted = datetime.fromisoformat(answer["accepted_at"]).timestamp()
    assert accepted == pytest.approx(past + 600, abs=5)
    # The escalation is resolved, and the reclaim window no longer applies.
    assert _alerts(world, "la", "lead_response")[0]["resolved_at"]
    assert jobs.tick(world.engine, past + 49 * 3600)["reclaim"] == 0
    assert _lead(world.engine, lead["id"])["owner"] == world.ra1.id
    # Someone else cannot accept it; a device claiming to act in the future counts as now.
    other = client.post(
        f"/api/v1/leads/{lead['id']}/accept", json={}, headers=sign_in(client, "ra2")
    )
    assert other.status_code == 409 and other.json()["code"] == "not_yours"


def test_three_misses_in_a_row_flag_the_rep(world: World, client: httpx.Client) -> None:
    reps.set_profile(world.engine, "ra2", on_leave=True)
    key = keys.add_key(world.engine, "trade_show", "A")
    out = _post(
        client,
        key,
        {"leads": [{"external_id": f"m{n}", "name": f"客{n}", **HIGH} for n in range(3)]},
    ).json()["leads"]
    assert {o["owner"] for o in out} == {"ra1"}
    # Accept the first in time, miss the other two: no flag yet.
    h = sign_in(client, "ra1")
    assert (
        client.post(f"/api/v1/leads/{out[0]['id']}/accept", json={}, headers=h).status_code == 200
    )
    now = time.time() + 20 * 60
    jobs.tick(world.engine, now)
    assert _alerts(world, "la", "rep_flagged") == []
    third = _post(client, key, {"external_id": "m3", "name": "客3", **HIGH}).json()["leads"][0]
    with world.engine.begin() as conn:
        conn.execute(jobs_table.update().values(next_due=0))
        # Judged after the earlier ones.
        conn.execute(
            lead_state.update()
            .where(lead_state.c.lead_id == third["id"])
            .values(response_due=now + 60)
        )
    jobs.tick(world.engine, now + 120)
    flags = _alerts(world, "la", "rep_flagged")
    assert len(flags) == 1 and flags[0]["record_id"] == world.ra1.id


def test_the_server_raises_stage_stagnation_once(world: World) -> None:
    cid = make_customer(world.engine, world.ra1)
    did = make_deal(world.engine, world.ra1, cid)
    fresh = make_deal(world.engine, world.ra1, cid, title="新商机")
    with world.engine.begin() as conn:
        # The first deal entered its stage 73 hours ago, the second just now.
        entered = _iso(time.time() - 73 * 3600)
        data = loads(conn.execute(select(records.c.data).where(records.c.id == did)).scalar_one())
        data["stage_entered_at"] = entered
        conn.execute(records.update().where(records.c.id == did).values(data=json.dumps(data)))
    report = jobs.tick(world.engine, time.time())
    assert report["stagnation"] == 1
    (alert,) = _alerts(world, "la", "stagnation")
    assert alert["record_id"] == did and alert["owner"] == world.ra1.id
    assert [a["record_id"] for a in _alerts(world, "ra1", "stagnation")] == [did]
    # The id is the one the owner's device gives the same alert.
    changes, _ = pull_all(world.engine, world.ra1)
    ids = [c["id"] for c in latest(changes).values() if c["entity"] == "alert"]
    assert ids == [stagnation_alert_id(did, entered)]
    with world.engine.begin() as conn:
        conn.execute(jobs_table.update().values(next_due=0))
    assert jobs.tick(world.engine, time.time())["stagnation"] == 0
    assert fresh not in {a["record_id"] for a in _alerts(world, "la", "stagnation")}


def test_leads_import_file_is_all_or_nothing_and_idempotent(
    world: World, settings: Settings, tmp_path: Path
) -> None:
    good = tmp_path / "leads.csv"
    good.write_text(
        "external_id,姓名,公司,手机,company_size,budget_stated\n"
        "exp-1,王磊,睿鼎科技有限公司,13812345678,800,是\n"
        ",李娜,轻鹿家居有限公司,,12,否\n",
        encoding="utf-8-sig",
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "external_id,name,company\nb-1,好的,甲公司\nb-2,=cmd|' /C calc'!A0,乙公司\n",
        encoding="utf-8",
    )

    def run(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "server.cli",
                "--db",
                settings.database_url,
                "--data-dir",
                str(settings.data_dir),
                "leads",
                "import",
                str(path),
                "--team",
                "A",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )

    refused = run(bad)
    assert refused.returncode == 1 and "row 3, column name" in refused.stderr
    first = run(good)
    assert first.returncode == 0 and first.stdout.strip() == "2 created", first.stderr
    again = run(good)
    assert again.returncode == 0 and again.stdout.strip() == "2 duplicate"
    with world.engine.connect() as conn:
        rows = [loads(r.data) for r in conn.execute(select(records.c.data))]
    leads = {r["name"]: r for r in rows if "score_reasons" in r}
    assert set(leads) == {"王磊", "李娜"}
    assert leads["王磊"]["channel"] == "import" and leads["王磊"]["score"] == 10 + 20 + 20
    assert leads["李娜"]["external_id"].startswith("row:")


def test_fairness_report_shares_and_new_hire_flag(
    world: World, client: httpx.Client, settings: Settings
) -> None:
    key = keys.add_key(world.engine, "trade_show", "A")
    posted = [{"external_id": f"f{n}", "name": f"客{n}", **HIGH} for n in range(4)]
    posted += [{"external_id": f"g{n}", "name": f"低{n}"} for n in range(2)]
    out = _post(client, key, {"leads": posted}).json()["leads"]
    assert all(o["outcome"] == "created" for o in out)
    # ra2 joined long ago: only ra1 is a new hire in the period.
    with world.engine.begin() as conn:
        conn.execute(
            users.update().where(users.c.name == "ra2").values(created_at=time.time() - 90 * 86400)
        )
    h = sign_in(client, "la")
    report = client.get("/api/v1/reports/fairness", headers=h).json()
    rows = {r["name"]: r for r in report["reps"]}
    assert rows["ra1"]["leads"] + rows["ra2"]["leads"] == 6
    assert rows["ra1"]["share_high"] + rows["ra2"]["share_high"] == pytest.approx(1)
    assert rows["ra1"]["new_hire"] and not rows["ra2"]["new_hire"]
    assert rows["ra1"]["first_week_ratio"] is not None
    forbidden = client.get("/api/v1/reports/fairness", headers=sign_in(client, "ra1"))
    assert forbidden.status_code == 403
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "server.cli",
            "--db",
            settings.database_url,
            "--data-dir",
            str(settings.data_dir),
            "report",
            "fairness",
            "--team",
            "A",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert {r["name"] for r in listed} == {"ra1", "ra2"}
    assert {"share_high", "first_week_leads", "first_week_ratio", "flagged"} <= set(listed[0])


def test_an_acceptance_synced_as_an_edit_still_counts(world: World, client: httpx.Client) -> None:
    reps.set_profile(world.engine, "ra2", on_leave=True)
    key = keys.add_key(world.engine, "trade_show", "A")
    lead = _post(client, key, {"external_id": "e1", "name": "甲", **HIGH}).json()["leads"][0]
    version = _state(world.engine, lead["id"])
    with world.engine.connect() as conn:
        base = conn.execute(select(records.c.version).where(records.c.id == lead["id"])).scalar()
    h = sign_in(client, "ra1")
    edit = op("lead", "update", lead["id"], {"status": "accepted"}, base_version=int(base or 0))
    r = client.post("/sync/push", json={"device": "dev-1", "ops": [edit]}, headers=h)
    assert r.json()["results"][0]["status"] == "applied", r.text
    assert jobs.tick(world.engine, version.response_due + 1)["deadlines"] == 0
    assert _alerts(world, "la", "lead_response") == []
    state = _state(world.engine, lead["id"])
    assert (state.status, state.outcome) == ("accepted", "on_time")
    assert jobs.tick(world.engine, version.assigned_at + 49 * 3600)["reclaim"] == 0


def test_escalations_reach_the_team_chat_robot_with_retries(
    world: World, client: httpx.Client, settings: Settings
) -> None:
    received: list[dict[str, Any]] = []
    answers = iter([500, 200])

    class Robot(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status = next(answers, 200)
            if status == 200:
                received.append(json.loads(body))
            self.send_response(status)
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    robot = ThreadingHTTPServer(("127.0.0.1", 0), Robot)
    threading.Thread(target=robot.serve_forever, daemon=True).start()
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "server.cli",
                "--db",
                settings.database_url,
                "--data-dir",
                str(settings.data_dir),
                "team",
                "webhook",
                "A",
                f"http://127.0.0.1:{robot.server_address[1]}/robot",
                "--kind",
                "feishu",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        reps.set_profile(world.engine, "ra2", on_leave=True)
        key = keys.add_key(world.engine, "trade_show", "A")
        lead = _post(client, key, {"external_id": "w1", "name": "王磊", **HIGH}).json()["leads"][0]
        due = _state(world.engine, lead["id"]).response_due
        first = jobs.tick(world.engine, due + 1)
        # The robot failed the first post: nothing delivered, retried later, delivered once.
        assert first["deadlines"] == 1 and first["webhooks"] == 0
        assert jobs.tick(world.engine, due + 120)["webhooks"] == 1
        assert jobs.tick(world.engine, due + 3600)["webhooks"] == 0
    finally:
        robot.shutdown()
        robot.server_close()
    assert len(received) == 1 and received[0]["msg_type"] == "text"
    assert "王磊" in received[0]["content"]["text"]
