"""OCR benchmark on an unseen generated set (SPEC N4, O1, O2).

    .venv/bin/python -m bench.ocr [--n 60] [--contracts 20] [--seed 4242] [--out DIR]

``--out DIR`` keeps the generated set; a later run with the same arguments reads it again
instead of generating it anew.

Prints per-field and overall field-level F1 (exact match after normalisation) for clean,
scanned and photographed cards, contract field accuracy, seconds per card (batch on all cores
and one at a time) and seconds per contract page. The seed differs from the samples and tests.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from app.ocr import CARD_FIELDS, CONTRACT_FIELDS, read_card, read_cards, read_contracts
from tools.evalset import CONDITIONS, generate, load_truth, normalise_value


def f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=60, help="cards per condition")
    parser.add_argument("--contracts", type=int, default=20)
    parser.add_argument("--seed", type=int, default=4242)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--single", type=int, default=10, help="cards timed one at a time")
    args = parser.parse_args()
    workers = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        t0 = time.perf_counter()
        # A set kept with --out is used again when it was made with the same arguments.
        made = {"n": args.n, "contracts": args.contracts, "seed": args.seed}
        stamp = out / "bench-set.json"
        if stamp.exists() and json.loads(stamp.read_text()) == made:
            manifest = json.loads((out / "manifest.json").read_text())
            verb = "reused"
        else:
            manifest = generate(out, args.n, args.contracts, args.seed)
            stamp.write_text(json.dumps(made))
            verb = "generated"
        print(
            f"{verb} {args.n}×{len(CONDITIONS)} cards, {args.contracts} contracts "
            f"(seed {args.seed}) in {time.perf_counter() - t0:.0f} s"
        )
        print(f"\n{'field':<10}" + "".join(f"{c:>9}" for c in CONDITIONS))
        table: dict[str, dict[str, float]] = {}
        overall: dict[str, float] = {}
        batch_time = 0.0
        n_cards = 0
        for cond in CONDITIONS:
            paths = [out / name for name in manifest[cond]]
            tp: Counter[str] = Counter()
            fp: Counter[str] = Counter()
            fn: Counter[str] = Counter()
            t0 = time.perf_counter()
            for item in read_cards(paths, workers=workers):
                want = load_truth(Path(item.path))["fields"]
                got = item.result.values() if item.result else dict.fromkeys(CARD_FIELDS)
                for k in CARD_FIELDS:
                    g, w = normalise_value(k, got[k]), normalise_value(k, want[k])
                    if w is not None and g == w:
                        tp[k] += 1
                        continue
                    fp[k] += g is not None
                    fn[k] += w is not None
            batch_time += time.perf_counter() - t0
            n_cards += len(paths)
            for k in CARD_FIELDS:
                table.setdefault(k, {})[cond] = f1(tp[k], fp[k], fn[k])
            overall[cond] = f1(sum(tp.values()), sum(fp.values()), sum(fn.values()))
        for k in CARD_FIELDS:
            print(f"{k:<10}" + "".join(f"{table[k][c]:>9.3f}" for c in CONDITIONS))
        print(f"{'OVERALL':<10}" + "".join(f"{overall[c]:>9.3f}" for c in CONDITIONS))
        single_paths = [out / name for c in CONDITIONS for name in manifest[c][: args.single]]
        t0 = time.perf_counter()
        for p in single_paths:
            read_card(p)
        single = (time.perf_counter() - t0) / max(1, len(single_paths))
        print(
            f"\ncards: {batch_time / n_cards:.2f} s/card in a batch on {workers} cores, "
            f"{single:.2f} s/card one at a time"
        )

        paths = [out / name for name in manifest["contracts"]]
        if not paths:  # --contracts 0: cards only
            return 0
        right: Counter[str] = Counter()
        pages = 0
        t0 = time.perf_counter()
        for item in read_contracts(paths, workers=1):
            want = load_truth(Path(item.path))["fields"]
            got = item.result.values() if item.result else dict.fromkeys(CONTRACT_FIELDS)
            pages += item.result.pages if item.result else 0
            for k in CONTRACT_FIELDS:
                right[k] += got[k] == want[k]
        elapsed = time.perf_counter() - t0
        print(f"\n{'contract field':<15}accuracy")
        for k in CONTRACT_FIELDS:
            print(f"{k:<15}{right[k] / len(paths):.3f}")
        total = sum(right.values()) / (len(paths) * len(CONTRACT_FIELDS))
        print(f"{'OVERALL':<15}{total:.3f}")
        print(f"contracts: {elapsed / max(1, pages):.2f} s/page one at a time ({pages} pages)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
