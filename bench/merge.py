"""How long merging a large duplicate takes (SPEC C2): on the server, on the merging device,
and on a device that pulls the merge.

    .venv/bin/python -m bench.merge [--contacts 200] [--deals 200] [--followups 2000]
                                    [--pg URL]

One customer with the given rows under it is merged into another by a team lead: the server
applies the ``merge`` operation (one transaction: every row moved, audited and rescoped), the
lead's device applies the merge locally (rows redirected, search documents rewritten, one
operation queued), and another device applies the pulled merge to its copy of the rows
(:func:`app.store.merging.apply_pulled`). Prints the rows moved and the time of each.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from app.store import merging
from app.store.service import Store
from app.sync.local import RemoteRecord
from server import admin, migrate
from server.config import Settings, sqlite_url
from server.db import make_engine
from server.push import push

FOLLOWUP = {
    "type": "demo",
    "due_on": "2026-11-20",
    "conclusion": "客户认可方案,要求补充报价细节",
    "next_action": "周五前发报价单",
}


def _op(entity: str, action: str, record_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "op_id": str(uuid.uuid4()),
        "entity": entity,
        "record_id": record_id,
        "action": action,
        "fields": fields,
    }


def _rows(args: argparse.Namespace, y: str) -> list[tuple[str, str, dict[str, Any]]]:
    rows: list[tuple[str, str, dict[str, Any]]] = []
    contacts = [str(uuid.uuid4()) for _ in range(args.contacts)]
    for i, cid in enumerate(contacts):
        rows.append(("contact", cid, {"customer_id": y, "name": f"联系人{i}"}))
    for i in range(args.deals):
        rows.append(("deal", str(uuid.uuid4()), {"customer_id": y, "title": f"商机{i}"}))
    for i in range(args.followups):
        ids = [contacts[i % len(contacts)]] if contacts else []
        rows.append(
            ("followup", str(uuid.uuid4()), {"customer_id": y, **FOLLOWUP, "contact_ids": ids})
        )
    return rows


def server_side(args: argparse.Namespace, root: Path) -> None:
    url = args.pg or sqlite_url(root / "server.db")
    settings = Settings(database_url=url, data_dir=root)
    engine = make_engine(url, pool_size=2)
    migrate.upgrade(engine)
    admin.create_team(engine, "华东一组")
    for name, role in (("lena", "lead"), ("alice", "rep"), ("bob", "rep")):
        admin.create_user(engine, settings, name, "bench pw 42", role=role, team="华东一组")
    lead, alice, bob = (admin.viewer_for(engine, n) for n in ("lena", "alice", "bob"))
    x, y = str(uuid.uuid4()), str(uuid.uuid4())
    push(engine, alice, "d", [_op("customer", "create", x, {"name": "甲公司"})])
    push(engine, bob, "d", [_op("customer", "create", y, {"name": "甲公司(杭州)"})])
    ops = [_op(e, "create", rid, f) for e, rid, f in _rows(args, y)]
    for i in range(0, len(ops), 500):
        push(engine, bob, "d", ops[i : i + 500])
    started = time.perf_counter()
    (res,) = push(engine, lead, "d", [_op("customer", "merge", x, {"merged": [y]})])
    took = time.perf_counter() - started
    assert res["status"] == "applied", res
    kind = "PostgreSQL" if args.pg else "SQLite"
    print(f"server ({kind}): merged a customer with {res['moved']} rows in {took * 1000:.0f} ms")
    engine.dispose()


def device_side(args: argparse.Namespace, root: Path) -> None:
    lead = Store(root / "lead", actor="u-lead")
    other = Store(root / "other", actor="u-rep")
    for store in (lead, other):
        store.directory.upsert_users(
            [
                {"id": "u-lead", "name": "lena", "display_name": "王经理", "role": "lead"},
                {"id": "u-rep", "name": "alice", "display_name": "张伟", "role": "rep"},
            ]
        )
    x, y = str(uuid.uuid4()), str(uuid.uuid4())
    rows = _rows(args, y)
    for store in (lead, other):
        store.create("customer", {"name": "甲公司", "owner": "u-rep"}, record_id=x)
        store.create("customer", {"name": "甲公司(杭州)", "owner": "u-rep"}, record_id=y)
        for kind in ("contact", "deal", "followup"):
            store.bulk_create(kind, [{"id": rid, **f} for e, rid, f in rows if e == kind])
    started = time.perf_counter()
    merging.merge(lead, "customer", x, [y])
    took = time.perf_counter() - started
    print(f"merging device: {len(rows)} rows redirected and queued in {took * 1000:.0f} ms")
    started = time.perf_counter()
    with other.connection().atomic():
        merging.apply_pulled(other, [RemoteRecord("customer", y, 2, True, {"merged_into": x})])
    took = time.perf_counter() - started
    print(f"pulling device: {len(rows)} rows redirected in {took * 1000:.0f} ms")
    lead.close()
    other.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=200)
    parser.add_argument("--deals", type=int, default=200)
    parser.add_argument("--followups", type=int, default=2000)
    parser.add_argument("--pg", default=None, help="a PostgreSQL URL (an empty database)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fieldcrm-bench-merge-") as tmp:
        server_side(args, Path(tmp))
        device_side(args, Path(tmp))


if __name__ == "__main__":
    main()
