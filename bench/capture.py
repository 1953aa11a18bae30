"""Card capture benchmark: from choosing the files to the first card's fields on screen.

The real capture dialog over a real store, with the desktop's own background task runner: the
clock starts when the dialog is created for the chosen files and stops when the first card's
fields are in the form (Save is enabled). ``warm`` is the usual case (the desktop loads the OCR
models on its OCR lane at start); ``cold`` is a dialog opened before that has finished, in a
fresh process each time. Cards come from the evaluation generator's held-out seed in the clean,
office-scan and phone-photo conditions. Target: 2 s.

    .venv/bin/python -m bench.capture [--cards 12] [--cold 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _cards(outdir: Path, count: int) -> list[Path]:
    from tools import cardgen

    outdir.mkdir(parents=True, exist_ok=True)
    conditions = ("clean", "scan", "photo")
    out = []
    for i in range(count):
        layout = cardgen.LAYOUTS[i % len(cardgen.LAYOUTS)]
        condition = conditions[i % len(conditions)]
        out.append(cardgen.write_card(outdir, cardgen.EVAL_SEED, layout, condition, i))
    return out


def _context(profile: Path) -> tuple[Any, Any]:
    from app.store.service import Store
    from app.views.context import AppContext, load_context
    from app.views.tasks import TaskRunner

    store = Store(profile, actor="u-rep")
    runner = TaskRunner(store)
    found: list[AppContext] = []
    load_context(runner, found.append)
    _wait(lambda: bool(found), 30)
    return found[0], runner


def _wait(done: Any, limit: float) -> None:
    from PySide6.QtCore import QCoreApplication, QEventLoop

    end = time.monotonic() + limit
    while not done():
        if time.monotonic() > end:
            raise TimeoutError("the dialog did not show the card's fields in time")
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)


def time_dialog(ctx: Any, card: Path) -> tuple[float, float]:
    """Seconds (wall, CPU of the whole process) from creating the dialog for ``card`` to its fields
    being shown."""
    from app.views.capture import CardCaptureDialog

    wall, cpu = time.perf_counter(), time.process_time()
    dialog = CardCaptureDialog(ctx, [card])
    dialog.show()
    _wait(lambda: dialog.save_button.isEnabled(), 60)
    out = time.perf_counter() - wall, time.process_time() - cpu
    dialog.close()
    dialog.deleteLater()
    return out


def _child(card: Path, profile: Path) -> None:
    from app.views.application import qt_app

    app = qt_app()
    ctx, runner = _context(profile)
    wall, _cpu = time_dialog(ctx, card)
    print(f"{wall:.4f}", flush=True)
    runner.close()
    app.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=12)
    parser.add_argument("--cold", type=int, default=3, help="fresh processes for the cold case")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(Path(args.child[0]), Path(args.child[1]))
        return

    from app.ocr.engines import warm_up
    from app.views.application import qt_app

    with tempfile.TemporaryDirectory() as tmp:
        cards = _cards(Path(tmp) / "cards", args.cards)
        cold = []
        for i, card in enumerate(cards[: args.cold]):
            run = subprocess.run(
                [sys.executable, "-m", "bench.capture", "--child", str(card), f"{tmp}/cold{i}"],
                capture_output=True,
                text=True,
                check=True,
            )
            cold.append(float(run.stdout.strip().splitlines()[-1]))

        app = qt_app()
        ctx, runner = _context(Path(tmp) / "warm")
        t = time.perf_counter()
        engine = warm_up(ctx.config.ocr_engine)
        print(f"engine {engine}: models loaded in {time.perf_counter() - t:.2f} s")
        warm = [time_dialog(ctx, card) for card in cards]
        walls = sorted(w for w, _ in warm)
        print(
            f"warm, {len(walls)} cards: median {statistics.median(walls):.2f} s, "
            f"worst {walls[-1]:.2f} s wall; process CPU median "
            f"{statistics.median(c for _, c in warm):.2f} s  (target 2 s)"
        )
        if cold:
            print(
                f"cold (models loading when the dialog opens), {len(cold)} runs: "
                f"median {statistics.median(cold):.2f} s, worst {max(cold):.2f} s"
            )
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        runner.close()
        app.quit()


if __name__ == "__main__":
    main()
