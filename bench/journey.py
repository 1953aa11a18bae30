"""Journey and agenda benchmarks (SPEC J1, J2).

    python -m bench.journey [--deals 2000]

Server: ``--deals`` signed deals on a SQLite server database; the ``journey`` job's first run
(three tasks each) and a second run (nothing to do), then one contract expiry moved.
Client: the tasks on a device's store; the agenda's week and month, the reminder check and the
``.ics`` export.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.domain.tasks import journey_rules, plan_journey
from app.store import todo
from app.store.service import Store
from app.sync.local import RemoteRecord, apply_remote
from app.views import agenda_ops
from server import admin, migrate
from server.config import Settings, sqlite_url
from server.db import make_engine, write_tx
from server.journey import run_journey
from server.records import Directory, Workspace

NOW = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


def _timed(label: str, fn: object) -> object:
    start = time.perf_counter()
    result = fn()  # type: ignore[operator]
    print(f"{label:<44} {1000 * (time.perf_counter() - start):9.1f} ms   ({result})")
    return result


def server_side(root: Path, deals: int) -> list[tuple[str, dict[str, object]]]:
    settings = Settings(database_url=sqlite_url(root / "server.db"), data_dir=root / "data")
    engine = make_engine(settings.database_url, pool_size=1)
    migrate.upgrade(engine)
    admin.create_team(engine, "A")
    admin.create_user(engine, settings, "rep", "bench password", role="rep", team="A")
    for i in range(3):
        admin.create_user(engine, settings, f"csm{i}", "bench password", role="csm", team="A")
    rep = admin.viewer_for(engine, "rep").id
    made: list[tuple[str, dict[str, object]]] = []
    with write_tx(engine) as conn:
        ws = Workspace(conn, NOW.timestamp(), Directory.load(conn))
        for i in range(deals):
            cid, did = str(uuid.uuid4()), str(uuid.uuid4())
            signed = (NOW - timedelta(days=i % 300)).date()
            ws.create(
                "customer",
                cid,
                {"name": f"客户{i:05d}", "owner": rep},
                customer_id=cid,
                scope_owner=rep,
                actor="bench",
                device="bench",
                op_id=None,
                audited=False,
            )
            deal = {
                "customer_id": cid,
                "title": f"合同{i}",
                "stage": "signed",
                "owner": rep,
                "signed_on": signed.isoformat(),
                "expires_on": (signed + timedelta(days=365)).isoformat(),
            }
            ws.create(
                "deal",
                did,
                deal,
                customer_id=cid,
                scope_owner=rep,
                actor="bench",
                device="bench",
                op_id=None,
                audited=False,
            )
            made.append((did, deal))
        ws.flush()

    def tick() -> int:
        with write_tx(engine) as conn:
            return run_journey(conn, NOW.timestamp())

    print(f"server: {deals} signed deals")
    _timed("journey job, first run (tasks made)", tick)
    _timed("journey job, second run (tasks made)", tick)
    with write_tx(engine) as conn:
        ws = Workspace(conn, NOW.timestamp(), Directory.load(conn))
        ws.load([made[0][0]])
        rec = ws.get(made[0][0])
        assert rec is not None
        ws.change(rec, {"expires_on": "2028-06-30"}, actor="bench", device="bench", op_id=None)
        ws.flush()
    _timed("journey job after one expiry moved (moved)", tick)
    engine.dispose()
    return made


def client_side(root: Path, made: list[tuple[str, dict[str, object]]]) -> None:
    store = Store(root / "profile", actor="u-csm", clock=lambda: NOW)
    store.directory.upsert_users(
        [{"id": "u-csm", "name": "csm", "display_name": "刘洋", "role": "csm"}]
    )
    jr = journey_rules(store.rules.raw)
    records = [
        RemoteRecord(
            "task",
            p.task_id,
            1,
            False,
            {
                "title": p.step.title.zh,
                "kind": p.step.kind,
                "status": "open",
                "owner": "u-csm",
                "due_at": p.due_at,
                "deal_id": did,
                "related_name": "客户",
                "step": p.step.key,
                "anchor": p.anchor,
            },
        )
        for did, deal in made
        for p in plan_journey(did, deal, jr)
    ]
    apply_remote(store, records)
    print(f"client: {len(records)} tasks on the device")
    _timed(
        "agenda, this week", lambda: len(agenda_ops.load_agenda(store, "u-csm", "week", None).items)
    )
    _timed(
        "agenda, month", lambda: len(agenda_ops.load_agenda(store, "u-csm", "month", None).items)
    )
    _timed(
        "reminders due (first check)", lambda: len(agenda_ops.take_reminders(store, "u-csm").due)
    )
    _timed("reminders due (next check)", lambda: len(agenda_ops.take_reminders(store, "u-csm").due))
    _timed(".ics export (bytes)", lambda: len(todo.agenda_ics(store, "u-csm")))
    _timed("renewals", lambda: len(todo.renewals(store)))
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deals", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fieldcrm-bench-journey-") as tmp:
        made = server_side(Path(tmp), args.deals)
        client_side(Path(tmp), made)


if __name__ == "__main__":
    main()
