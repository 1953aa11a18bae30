"""The team lead's cockpit at a lead's scale (SPEC T4, N-figures of the cockpit issue).

1. Back-test: a generated history of eight quarters in which each deal's outcome depends on the
   evidence it had at the quarter's start (milestones proved, decision chain mapped) and each
   rep commits with their own optimism. Per quarter, the error of the evidence-weighted
   forecast against what was won, beside the stage-weighted and the commit forecasts.
2. Scale (``--size team``: ten reps, ~50 000 customers, 200 000 contacts, 500 000 follow-ups,
   25 000 deals): a team filled on a real server (``fieldcrm-server demo-data``), the lead's
   first sync into an empty profile in a separate client process (wall time and the client's
   peak memory), then every cockpit report's first paint and search latency on that profile.

    .venv/bin/python -m bench.cockpit [--size small|rep|team] [--seed N] [--backtest-only]
        [--server-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app.domain.forecast import deal_row, forecast, forecast_rules, parse_period
from app.domain.rules import default_rules

STAGES = ("contact", "needs_diagnosis", "proposal", "negotiation")
ROLES = ("initiator", "influencer", "veto", "user", "payer")


# ---- back-test -------------------------------------------------------------------------------
def _history(seed: int, quarters: list[str], reps: int = 10, per_rep: int = 30) -> list[Any]:
    """Deals open at each quarter's start, closing in it, with the outcome drawn from their
    evidence; returns (quarter, deal values, won) triples."""
    rng = random.Random(seed)
    optimism = [rng.uniform(0.5, 1.6) for _ in range(reps)]
    out = []
    for q in quarters:
        period = parse_period(q)
        for r in range(reps):
            for i in range(per_rep):
                idx = rng.choices(range(4), (30, 28, 24, 18))[0]
                evidence = {}
                if rng.random() < 0.15 + 0.22 * idx:
                    evidence["nda"] = "yes"
                if rng.random() < 0.05 + 0.2 * idx:
                    evidence["poc"] = "yes"
                if rng.random() < 0.02 + 0.14 * idx:
                    evidence["payment_commitment"] = "yes"
                mapped = min(5, max(0, round(rng.gauss(1 + idx, 1.3))))
                weight = (
                    0.2 * ("nda" in evidence)
                    + 0.4 * ("poc" in evidence)
                    + 0.4 * ("payment_commitment" in evidence)
                )
                # What really decides: the evidence, the mapped chain, and luck.
                p_true = min(0.97, 0.04 + 0.9 * weight * (0.55 + 0.45 * mapped / 5))
                won = rng.random() < p_true
                amount = rng.randrange(50, 900) * 1000
                sure = rng.random() < 0.45 * optimism[r] * (0.3 + idx / 3) + 0.5 * weight
                close = period.start + timedelta(days=rng.randrange(0, 89))
                values = {
                    "id": f"{q}-{r}-{i}",
                    "owner": f"rep{r}",
                    "stage": STAGES[idx],
                    "amount": str(amount),
                    "commit_amount": str(amount) if sure else None,
                    "expected_close": close.isoformat(),
                    "evidence": evidence,
                    "decision_chain": dict.fromkeys(ROLES[:mapped], "c"),
                    "stage_entered_at": f"{period.start.isoformat()}T09:00:00+00:00",
                }
                out.append((q, values, amount if won else 0))
    return out


def backtest(seed: int) -> dict[str, float]:
    rules = default_rules()
    frules = forecast_rules(rules)
    quarters = [f"{y}Q{n}" for y in (2025, 2026) for n in (1, 2, 3, 4)]
    history = _history(seed, quarters)
    print("back-test: per quarter, error |forecast - won| / won (10 reps x 30 deals)")
    print(f"{'quarter':<8} {'won':>12} {'evidence':>10} {'stage':>10} {'commit':>10}")
    totals = {"evidence": 0.0, "stage": 0.0, "commit": 0.0}
    for q in quarters:
        rows = [deal_row(v) for qq, v, _w in history if qq == q]
        won = sum(w for qq, _v, w in history if qq == q)
        team = forecast(rows, parse_period(q), rules, frules).team
        errors = {
            "evidence": abs(float(team.weighted) - won) / won,
            "stage": abs(float(team.stage_weighted) - won) / won,
            "commit": abs(float(team.commit) - won) / won,
        }
        for k, v in errors.items():
            totals[k] += v / len(quarters)
        print(
            f"{q:<8} {won:>12,} {errors['evidence']:>10.1%} {errors['stage']:>10.1%} "
            f"{errors['commit']:>10.1%}"
        )
    print(
        f"{'mean':<8} {'':>12} {totals['evidence']:>10.1%} {totals['stage']:>10.1%} "
        f"{totals['commit']:>10.1%}"
    )
    return totals


# ---- the client's side (its own process, so its memory is its own) ---------------------------
def client(profile: Path, url: str, user: str, password: str) -> None:
    import keyring
    from keyrings.alt.file import PlaintextKeyring

    from app.sync.engine import SyncEngine

    keyring.set_keyring(PlaintextKeyring())
    engine = SyncEngine(profile)
    engine.sign_in(url, user, password)
    t, cpu = time.perf_counter(), time.process_time()
    report = engine.sync()
    first, cpu = time.perf_counter() - t, time.process_time() - cpu
    rss_mb = peak_rss_mb()
    assert report.error is None, report.error
    result: dict[str, Any] = {
        "first_sync_s": first,
        "first_sync_cpu_s": cpu,
        "pulled": report.pulled,
        "peak_mb": rss_mb,
    }
    result.update(paint(profile))
    print(json.dumps(result))


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB.

    On Linux it is read from /proc: ``getrusage`` there reports at least the peak of the
    process that started us (the parent's memory is carried over through fork and exec), and
    the parent here has just filled a whole team.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024  # bytes on macOS


def paint(profile: Path) -> dict[str, Any]:
    """Open the cockpit on the synced profile: its first paint, then each tab's first showing
    (kept reports are shown as they are; the pipeline's reads every deal field)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from app.store.service import Store
    from app.views.cockpit import CockpitScreen
    from app.views.context import AppContext, load_context
    from app.views.tasks import TaskRunner

    app = QApplication.instance() or QApplication([])
    store = Store(profile)
    store.actor = store.meta("user_id") or store.actor
    runner = TaskRunner(store, synchronous=True)
    found: list[AppContext] = []
    load_context(runner, found.append)
    ctx = found[0]
    ctx.clock = lambda: datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    screen = CockpitScreen(ctx)
    screen.resize(1366, 768)
    out: dict[str, Any] = {}
    # Wall and CPU time of each step: on a machine busy with other work the CPU time is the
    # steadier figure (the synchronous runner does the store's work on this thread).
    t, cpu = time.perf_counter(), time.process_time()
    screen.show()  # the kept forecast (or the deals read and it computed), drawn
    app.processEvents()
    screen.grab()
    out["forecast_paint_ms"] = (time.perf_counter() - t) * 1000
    out["forecast_paint_cpu_ms"] = (time.process_time() - cpu) * 1000
    for i, name in enumerate(("forecast", "heatmap", "pipeline", "charts")):
        t, cpu = time.perf_counter(), time.process_time()
        screen.tabs.setCurrentIndex(i)
        app.processEvents()
        screen.grab()
        out[f"{name}_tab_ms"] = (time.perf_counter() - t) * 1000
        out[f"{name}_tab_cpu_ms"] = (time.process_time() - cpu) * 1000
    t, cpu = time.perf_counter(), time.process_time()
    screen.period.setCurrentIndex(screen.period.findData("2026Q3"))
    app.processEvents()
    screen.grab()
    out["period_change_ms"] = (time.perf_counter() - t) * 1000
    out["period_change_cpu_ms"] = (time.process_time() - cpu) * 1000
    names = [r[0] for r in store.connection().execute("SELECT name FROM customers LIMIT 400")]
    rng = random.Random(1)
    times = []
    for name in rng.sample(names, min(200, len(names))):
        query = name[2 : 2 + rng.randrange(2, 4)]
        t = time.perf_counter()
        store.search(query, limit=20)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    out["search_p50_ms"] = times[len(times) // 2]
    out["search_p95_ms"] = times[int(len(times) * 0.95) - 1]
    out["deals"] = store.connection().execute("SELECT count(*) FROM deals").fetchone()[0]
    out["followups"] = store.connection().execute("SELECT count(*) FROM followups").fetchone()[0]
    screen.close()
    runner.close()
    store.close()
    return out


def duplicate_check(engine: Any, team: str, count: int = 40) -> None:
    """The server's check of a record a push creates against the rest of the team: variants
    of existing customers and contacts, owned by another rep, checked by the indexed path
    (``dedupe_keys``), beside reading the whole team as the check used to."""
    import uuid

    from sqlalchemy import select

    from app.domain.rules import default_rules
    from server.db import records, write_tx
    from server.duplicates import load_team, suspects
    from server.push.context import Batch
    from server.records import Directory, Rec, Viewer, Workspace

    with write_tx(engine) as conn:
        directory = Directory.load(conn)
        team_id = next(m.team_id for m in directory.members.values() if m.name == "demo-lead")
        assert team_id is not None
        reps = sorted(
            m.id for m in directory.members.values() if m.team_id == team_id and m.role == "rep"
        )
        rows = conn.execute(
            select(records.c.entity, records.c.data, records.c.scope_owner)
            .where(records.c.entity.in_(("customer", "contact")), records.c.deleted.is_(False))
            .order_by(records.c.id)
            .limit(count)
        ).all()
        times, found = [], 0
        for r in rows:
            data = json.loads(r.data)
            if r.entity == "customer":
                data["name"] = str(data.get("name") or "").replace("有限公司", "股份有限公司")
            owner = reps[(reps.index(r.scope_owner) + 1) % len(reps)]
            rec = Rec(str(uuid.uuid4()), r.entity, data, {}, 1, data.get("customer_id"))
            rec.scope_owner = owner
            batch = Batch(
                Workspace(conn, time.time(), directory),
                Viewer(owner, "", "", "rep", team_id),
                "bench",
                default_rules(),
            )
            t = time.perf_counter()
            matches, _book = suspects(batch, rec, team_id)
            times.append((time.perf_counter() - t) * 1000)
            found += bool(matches)
        times.sort()
        t = time.perf_counter()
        load_team(conn, directory, team_id)
        whole = time.perf_counter() - t
        conn.rollback()
    print(
        f"server duplicate check of a pushed record ({team}): p50 {times[len(times) // 2]:.1f} ms, "
        f"max {times[-1]:.0f} ms ({found} of {len(times)} with suspects); reading the whole "
        f"team instead: {whole:.1f} s"
    )


def scale(size: str, seed: int, server_dir: Path | None = None) -> None:
    from bench.sync import serve
    from server import admin
    from server.db import make_engine
    from server.embedded import DEMO_PASSWORD, DEMO_TEAM, start
    from server.reports.demo import fill_team

    tmp = Path(tempfile.mkdtemp(prefix="fieldcrm-bench-cockpit-"))
    # A kept server folder is filled once and reused: filling a full team takes minutes.
    reuse = server_dir is not None and (server_dir / "filled").exists()
    handle = start(None, data_dir=server_dir or tmp / "server")
    handle.stop()
    assert handle.settings is not None
    engine = make_engine(handle.settings.database_url, pool_size=1)
    proc = None
    try:
        if reuse:
            print(f"server: reusing the team filled in {server_dir}")
        else:
            t = time.perf_counter()
            counts = fill_team(engine, handle.settings, DEMO_TEAM, size, seed)
            print(f"server: team filled in {time.perf_counter() - t:.1f} s {counts}")
            if server_dir is not None:
                (server_dir / "filled").write_text(f"{size} {seed}\n")
        lead = next(u for u in admin.list_users(engine) if u["name"] == "demo-lead")
        assert lead["team"] == DEMO_TEAM
        duplicate_check(engine, DEMO_TEAM)
        proc, url = serve(handle.settings.database_url, handle.settings.data_dir)
        env = {**os.environ, "XDG_DATA_HOME": str(tmp / "xdg")}
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.cockpit",
                "--client",
                str(tmp / "lead"),
                url,
                "demo-lead",
                DEMO_PASSWORD,
            ],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if done.returncode != 0:
            print(done.stderr[-3000:])
            raise SystemExit("the client failed")
        r = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"lead's first sync: {r['first_sync_s']:.1f} s, {r['pulled']:,} rows, "
            f"{r['pulled'] / r['first_sync_s']:,.0f} rows/s "
            f"(client CPU {r['first_sync_cpu_s']:.1f} s); "
            f"client peak memory {r['peak_mb']:.0f} MB"
        )
        print(f"profile: {r['deals']:,} deals, {r['followups']:,} follow-ups")
        print(
            "cockpit first paint (the kept forecast, else the deals read and it computed; drawn): "
            f"{r['forecast_paint_ms']:.0f} ms (CPU {r['forecast_paint_cpu_ms']:.0f} ms); tabs: "
            + ", ".join(
                f"{n} {r[f'{n}_tab_ms']:.0f} ms (CPU {r[f'{n}_tab_cpu_ms']:.0f})"
                for n in ("forecast", "heatmap", "pipeline", "charts")
            )
            + f" (each tab's first showing computes it); another period "
            f"{r['period_change_ms']:.0f} ms (CPU {r['period_change_cpu_ms']:.0f})"
        )
        print(f"search: p50 {r['search_p50_ms']:.1f} ms, p95 {r['search_p95_ms']:.1f} ms")
    finally:
        engine.dispose()
        if proc is not None:
            proc.terminate()
            proc.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=("small", "rep", "team"), default="small")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--backtest-only", action="store_true")
    parser.add_argument(
        "--server-dir", type=Path, help="keep the filled server here and reuse it on later runs"
    )
    parser.add_argument("--client", nargs=4, metavar=("PROFILE", "URL", "USER", "PASSWORD"))
    args = parser.parse_args()
    if args.client:
        profile, url, user, password = args.client
        client(Path(profile), url, user, password)
        return
    backtest(args.seed)
    if not args.backtest_only:
        scale(args.size, args.seed, args.server_dir)


if __name__ == "__main__":
    main()
