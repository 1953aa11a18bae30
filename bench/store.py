"""Local-store benchmark on the N1 data set (5 000 customers, 20 000 contacts, 50 000 follow-ups).

Prints: demo load time, store open time, first customer page (50 rows by name, with and without
filters), search latency p50/p95 over 200 typed queries (every keystroke of Chinese, digit,
Latin and pinyin-initial queries), and import of 5 000 customers from CSV (create and no-change).

    .venv/bin/python -m bench.store [--seed N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import keyring
from keyrings.alt.file import PlaintextKeyring

from app.demo import generate
from app.demo.local import load_into
from app.store.queries import CustomerFilter, customer_page
from app.store.service import Store
from app.store.transfer import export_file, import_file


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def typed_queries(store: Store, rng: random.Random, n: int) -> list[str]:
    """Keystroke-by-keystroke queries a user would type, drawn from the data itself."""
    names = [r[0] for r in store.connection().execute("SELECT name FROM customers")]
    people = [r[0] for r in store.connection().execute("SELECT name FROM contacts")]
    mobiles = [
        r[0]
        for r in store.connection().execute("SELECT mobile FROM contacts WHERE mobile IS NOT NULL")
    ]
    texts = [
        r[0] for r in store.connection().execute("SELECT conclusion FROM followups LIMIT 2000")
    ]
    from app.domain.text import pinyin_initials

    out: list[str] = []
    while len(out) < n:
        kind = rng.randrange(5)
        if kind == 0:
            name = rng.choice(names)
            start = rng.randrange(0, 4)
            word = name[start : start + rng.randrange(2, 5)]
        elif kind == 1:
            word = rng.choice(people)
        elif kind == 2:
            m = rng.choice(mobiles)
            start = rng.randrange(0, 7)
            word = m[start : start + 4]
        elif kind == 3:
            t = rng.choice(texts)
            start = rng.randrange(0, max(1, len(t) - 4))
            word = t[start : start + 3]
        else:
            word = pinyin_initials(rng.choice(names))[:4]
        out.extend(word[: i + 1] for i in range(len(word)))
    return out[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=int(time.time()) % 10_000)
    parser.add_argument("--keep", type=Path, help="reuse/keep this profile folder")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="fieldcrm-bench-"))
    # The profiles' keys go to a file keyring in the temp folder (or beside --keep), not the
    # user's own keyring; the key is read once per process either way.
    os.environ["XDG_DATA_HOME"] = str((args.keep.parent if args.keep else root) / "xdg")
    keyring.set_keyring(PlaintextKeyring())
    profile = args.keep or root / "rep"
    print(f"seed {args.seed}")
    try:
        if not (profile / "fieldcrm.db").exists():
            t = time.perf_counter()
            data = generate("rep", args.seed, owner="00000000-0000-4000-8000-000000000002")
            store = Store(profile)
            counts = load_into(store, data)
            store.close()
            print(f"demo load: {time.perf_counter() - t:.1f} s {counts}")

        t = time.perf_counter()
        store = Store(profile)
        print(f"open store: {ms(time.perf_counter() - t)} (encrypted: {store.key is not None})")
        now = datetime.now(UTC)

        def page(f: CustomerFilter, **kw: object) -> float:
            t = time.perf_counter()
            rows = customer_page(store.connection(), f, now, limit=50, **kw)  # type: ignore[arg-type]
            elapsed = time.perf_counter() - t
            assert len(rows) == 50 or f.stale_days is not None
            return elapsed

        print(f"first page by name (50 rows): {ms(page(CustomerFilter()))}")
        print(f"first page, stage=proposal: {ms(page(CustomerFilter(stage='proposal')))}")
        print(f"first page, no follow-up 30 days: {ms(page(CustomerFilter(stale_days=30)))}")
        print(f"page 60 by name: {ms(page(CustomerFilter(), offset=3000))}")

        queries = typed_queries(store, random.Random(args.seed), 200)
        cpu = time.process_time()
        times, hits = [], 0
        for q in queries:
            t = time.perf_counter()
            hits += len(store.search(q))
            times.append(time.perf_counter() - t)
        times.sort()
        p95 = times[int(len(times) * 0.95) - 1]
        print(
            f"search over {len(queries)} typed queries: p50 {ms(statistics.median(times))}, "
            f"p95 {ms(p95)}, max {ms(times[-1])} (avg hits {hits / len(queries):.1f}; "
            f"CPU {time.process_time() - cpu:.2f} s in all)"
        )

        csv_path = root / "customers.csv"
        export_file(store, "customer", csv_path)
        store.close()
        fresh = Store(root / "import")
        fresh.directory.upsert_users(generate("small").users)
        # CPU time beside the wall clock: steadier on a machine busy with other work.
        t, cpu = time.perf_counter(), time.process_time()
        result = import_file(fresh, "customer", csv_path)
        print(
            f"import {result.created} customers (create): {time.perf_counter() - t:.2f} s "
            f"(CPU {time.process_time() - cpu:.2f} s)"
        )
        t = time.perf_counter()
        result = import_file(fresh, "customer", csv_path)
        print(f"re-import {result.unchanged} unchanged customers: {time.perf_counter() - t:.2f} s")
        fresh.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
