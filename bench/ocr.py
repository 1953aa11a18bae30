"""OCR benchmark: both recognisers side by side on cards no reader was tuned on (SPEC N4, O1, O2).

    .venv/bin/python -m bench.ocr [--n 2] [--contracts 30] [--seed 52019] [--out DIR]
                                  [--engines ppocr,tesseract,combined]

Cards come from :mod:`tools.cardgen` with its evaluation seed (ten layouts × four conditions,
``--n`` of each); contracts from :mod:`tools.evalset`. ``--out DIR`` keeps the generated set; a
later run with the same arguments reads it again.

Prints, for each engine: field F1 per condition and per field (exact match after
normalisation), F1 per layout, seconds a card on one core after warm-up (wall and CPU), the
rate of confident-but-wrong fields (a value shown without highlighting that is not the true
one), and contract field accuracy with seconds a page. Also the PP-OCR model load time and
memory. ``combined`` is PP-OCR with Tesseract reading the e-mail, web and WeChat lines again
(see :mod:`app.ocr.combine`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

from app.ocr import CARD_FIELDS, CONTRACT_FIELDS, ppocr, read_card, read_contract
from app.ocr.results import CardResult
from tools import cardgen
from tools.evalset import generate as generate_contracts
from tools.evalset import load_truth, normalise_value

LOW_CONFIDENCE = 0.8  # the capture dialog highlights values below this


def f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0


class Score:
    """Field counts for F1 and the confident-but-wrong rate."""

    def __init__(self) -> None:
        self.tp: Counter[str] = Counter()
        self.fp: Counter[str] = Counter()
        self.fn: Counter[str] = Counter()
        self.shown = 0  # values shown (found)
        self.confident_wrong = 0  # shown without highlight, and wrong
        self.wrong = 0
        self.wrong_flagged = 0
        self.right_flagged = 0  # right values highlighted all the same

    def add(self, result: CardResult | None, want: dict[str, str | None]) -> None:
        for k in CARD_FIELDS:
            fv = result.fields[k] if result else None
            g = normalise_value(k, fv.value if fv else None)
            w = normalise_value(k, want[k])
            if g is not None:
                self.shown += 1
            if w is not None and g == w:
                self.tp[k] += 1
                self.right_flagged += fv is not None and fv.confidence < LOW_CONFIDENCE
                continue
            self.fp[k] += g is not None
            self.fn[k] += w is not None
            if fv is not None and g is not None:
                self.wrong += 1
                if fv.confidence >= LOW_CONFIDENCE:
                    self.confident_wrong += 1
                else:
                    self.wrong_flagged += 1

    def field(self, k: str) -> float:
        return f1(self.tp[k], self.fp[k], self.fn[k])

    def overall(self) -> float:
        return f1(sum(self.tp.values()), sum(self.fp.values()), sum(self.fn.values()))


def _cards(out: Path, n: int, seed: int) -> dict[str, list[str]]:
    made = {"n": n, "seed": seed, "gen": "cardgen-1"}
    stamp = out / "cards-set.json"
    if stamp.exists() and json.loads(stamp.read_text()) == made:
        manifest: dict[str, list[str]] = json.loads((out / "manifest.json").read_text())
        return manifest
    manifest = cardgen.generate(out, n, seed)
    stamp.write_text(json.dumps(made))
    return manifest


def _cpu() -> float:
    """CPU seconds of this process and of the Tesseract runs it started and waited for."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def run_cards(
    name: str, reader: Callable[[Path], CardResult], out: Path, manifest: dict[str, list[str]]
) -> None:
    by_cond: dict[str, Score] = defaultdict(Score)
    by_layout: dict[str, Score] = defaultdict(Score)
    total = Score()
    wall = cpu = 0.0
    count = 0
    first = out / manifest[cardgen.CONDITIONS[0]][0]
    reader(first)  # warm-up: models loaded, caches filled
    for cond in manifest:
        for fname in manifest[cond]:
            path = out / fname
            truth = load_truth(path)
            t0, c0 = time.perf_counter(), _cpu()
            try:
                result: CardResult | None = reader(path)
            except Exception as exc:  # a failed card scores as all fields missed
                print(f"  {fname}: {type(exc).__name__}: {exc}")
                result = None
            wall += time.perf_counter() - t0
            cpu += _cpu() - c0
            count += 1
            for score in (by_cond[cond], by_layout[truth["layout"]], total):
                score.add(result, truth["fields"])
    conds = list(manifest)
    print(f"\n== {name}: field F1 by condition ({count} cards)")
    print(f"{'field':<10}" + "".join(f"{c:>9}" for c in conds) + f"{'all':>9}")
    for k in CARD_FIELDS:
        row = "".join(f"{by_cond[c].field(k):>9.3f}" for c in conds)
        print(f"{k:<10}{row}{total.field(k):>9.3f}")
    row = "".join(f"{by_cond[c].overall():>9.3f}" for c in conds)
    print(f"{'OVERALL':<10}{row}{total.overall():>9.3f}")
    print(f"-- {name}: F1 by layout")
    for layout, score in sorted(by_layout.items()):
        print(f"   {layout:<14}{score.overall():.3f}")
    print(
        f"-- {name}: {wall / count:.2f} s/card wall, {cpu / count:.2f} s/card CPU, one thread; "
        f"wrong values {total.wrong} of {total.shown} shown: {total.confident_wrong} "
        f"with high confidence ({total.confident_wrong / max(1, total.shown):.1%} of shown "
        f"values), {total.wrong_flagged} highlighted; {total.right_flagged} right values "
        "highlighted"
    )


def run_contracts(name: str, engine: str, out: Path, paths: list[Path]) -> None:
    right: Counter[str] = Counter()
    pages = 0
    t0 = time.perf_counter()
    for path in paths:
        want = load_truth(path)["fields"]
        try:
            got = read_contract(path, engine=engine, threads=1)
        except Exception as exc:
            print(f"  {path.name}: {type(exc).__name__}: {exc}")
            continue
        pages += got.pages
        for k in CONTRACT_FIELDS:
            right[k] += got.values()[k] == want[k]
    elapsed = time.perf_counter() - t0
    print(f"\n== {name}: contract field accuracy ({len(paths)} contracts)")
    for k in CONTRACT_FIELDS:
        print(f"   {k:<13}{right[k] / len(paths):.3f}")
    overall = sum(right.values()) / (len(paths) * len(CONTRACT_FIELDS))
    print(f"   {'OVERALL':<13}{overall:.3f}   {elapsed / max(1, pages):.2f} s/page")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2, help="cards per layout and condition")
    parser.add_argument("--contracts", type=int, default=30)
    parser.add_argument("--seed", type=int, default=cardgen.EVAL_SEED)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--engines", default="ppocr,tesseract")
    args = parser.parse_args()
    engines = [e for e in args.engines.split(",") if e]
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        t0 = time.perf_counter()
        manifest = _cards(out / "cards", args.n, args.seed)
        print(
            f"cards: {sum(map(len, manifest.values()))} (seed {args.seed}), made or reused in "
            f"{time.perf_counter() - t0:.0f} s"
        )
        t0 = time.perf_counter()
        ppocr.engine(1)
        info = ppocr.load_info()
        if info:
            print(f"PP-OCR models: loaded in {info.seconds:.2f} s, +{info.memory_mib:.0f} MiB")
        readers: dict[str, Callable[[Path], CardResult]] = {
            "ppocr": lambda p: read_card(p, engine="ppocr", threads=1),
            "tesseract": lambda p: read_card(p, engine="tesseract", threads=1),
        }
        if "combined" in engines:
            from app.ocr.combine import read_card_combined

            readers["combined"] = lambda p: read_card_combined(p, threads=1)
        for name in engines if args.n > 0 else ():  # --n 0: contracts only
            run_cards(name, readers[name], out / "cards", manifest)
        if args.contracts:
            cdir = out / "contracts"
            made = {"contracts": args.contracts, "seed": args.seed, "gen": "contracts-2"}
            stamp = cdir / "contracts-set.json"
            if stamp.exists() and json.loads(stamp.read_text()) == made:
                cman = json.loads((cdir / "manifest.json").read_text())
            else:
                cman = generate_contracts(cdir, 0, args.contracts, args.seed)
                stamp.write_text(json.dumps(made))
            paths = [cdir / p for p in cman["contracts"]]
            for name in engines:
                if name != "combined":
                    run_contracts(name, name, cdir, paths)
    return 0


if __name__ == "__main__":
    sys.exit(main())
