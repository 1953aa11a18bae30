"""Duplicate benchmarks (SPEC C1): a full scan, and one check while typing.

Scan: ``--customers`` customers (default 500 000) with their contacts, written the way the
evaluation set writes them (variants, traps), indexed and scanned on one core for suspect
groups of customers and of contacts. Check: the rep data set (5 000 customers, 20 000 contacts)
indexed once, then every keystroke of typing new customers' and contacts' names and numbers is
checked; p50/p95/max per check.

    .venv/bin/python -m bench.duplicates [--customers N] [--seed S]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from app.demo.data import generate
from app.domain.dedupe import ContactIndex, CustomerIndex
from tools.dedupe_eval import Generator


class Clock:
    """Wall time and this process's CPU time: on a busy machine the CPU time is what one core
    spends, the wall time what the user would wait there and then."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def lap(self) -> str:
        wall, cpu = time.perf_counter(), time.process_time()
        out = f"{cpu - self.cpu:.1f} s CPU ({wall - self.wall:.1f} s wall)"
        self.wall, self.cpu = wall, cpu
        return out


def bench_scan(customers: int, seed: int) -> None:
    clock = Clock()
    gen = Generator(seed)
    book, _ = gen.book(int(customers / 1.45))  # duplicates and traps add about 45 %
    while len(book.customers) < customers:
        more, _ = gen.book(max(1, int((customers - len(book.customers)) / 1.45)))
        book.customers.extend(more.customers)
        book.contacts.extend(more.contacts)
    del book.customers[customers:]
    kept = {r.id for r, _ in book.customers}
    contacts = [(r, t) for r, t in book.contacts if r.customer_id in kept]
    print(f"generated {len(book.customers)} customers, {len(contacts)} contacts: {clock.lap()}")
    total = Clock()
    cu = CustomerIndex()
    cu.add_all(rec for rec, _ in book.customers)
    co = ContactIndex(cu)
    co.add_all(crec for crec, _ in contacts)
    print(f"index (fold, parse, blocking keys): {clock.lap()}")
    contact_groups = co.groups()
    print(f"contact scan: {clock.lap()}, {len(contact_groups)} suspect groups")
    customer_groups = cu.groups(co)
    print(f"customer scan: {clock.lap()}, {len(customer_groups)} suspect groups")
    print(f"total (index + both scans): {total.lap()}")


def bench_check(seed: int) -> None:
    import keyring
    from keyrings.alt.file import PlaintextKeyring

    from app.demo.local import load_into
    from app.store.duplicates import find_duplicates, local_book
    from app.store.service import Store

    data = generate("rep", seed)
    with tempfile.TemporaryDirectory(prefix="fieldcrm-bench-") as tmp:
        # The profile's key goes to a file keyring in the temp folder, not the user's own.
        os.environ["XDG_DATA_HOME"] = str(Path(tmp) / "xdg")
        keyring.set_keyring(PlaintextKeyring())
        store = Store(Path(tmp) / "p")
        try:
            load_into(store, data)
            clock = Clock()
            local_book(store)
            print(
                f"rep set: {len(data.customers)} customers, {len(data.contacts)} contacts; "
                f"first index of the local copy: {clock.lap()} (once a session)"
            )
            owner = data.customers[0]["owner"]
            store.create("customer", {"name": "温州明达贸易有限公司", "owner": owner})
            clock = Clock()
            find_duplicates(store, company="温州明达")
            print(f"first check after a save (compares every row, re-indexes one): {clock.lap()}")
            times: list[float] = []
            cpu = time.process_time()
            for c in data.customers[:100]:
                name = c["name"]
                for i in range(1, len(name) + 1):
                    s = time.perf_counter()
                    find_duplicates(store, company=name[:i])
                    times.append(time.perf_counter() - s)
            for k in data.contacts[:100]:
                mobile = k.get("mobile") or ""
                for i in range(1, len(mobile) + 1):
                    s = time.perf_counter()
                    find_duplicates(
                        store, person=k["name"], mobile=mobile[:i], customer_id=k["customer_id"]
                    )
                    times.append(time.perf_counter() - s)
            cpu = time.process_time() - cpu
        finally:
            store.close()
    times.sort()
    ms = [t * 1000 for t in times]
    print(
        f"check while typing (store, index kept): {len(ms)} keystrokes, "
        f"p50 {statistics.median(ms):.2f} ms, p95 {ms[int(len(ms) * 0.95)]:.2f} ms, "
        f"max {ms[-1]:.2f} ms (wall); {cpu / len(ms) * 1000:.2f} ms CPU per keystroke on average"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=500_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--only", choices=("check", "scan"), default=None)
    args = parser.parse_args()
    if args.only != "scan":
        bench_check(args.seed)
    if args.only != "check":
        bench_scan(args.customers, args.seed)


if __name__ == "__main__":
    main()
