"""Desktop UI benchmark over the N1 data set (5 000 customers, 20 000 contacts, 50 000 follow-ups).

Prints: cold start to the first painted window (a fresh process, as a user starts the app),
customer list first paint, one search keystroke (typed → list repainted), and opening a deal
page. Targets: start < 1.5 s, list < 300 ms, search < 50 ms.

    .venv/bin/python -m bench.ui [--profile DIR]   # DIR: made by `fieldcrm demo-data --size rep`
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

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

CHILD = """
import sys, time
t0 = float(sys.argv[2])
from PySide6.QtCore import QObject, QEvent, QTimer
from app.views.application import DesktopApp, qt_app
app = qt_app()
class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and obj.objectName() == "mainWindow":
            print(f"{time.time() - t0:.4f}", flush=True)
            app.exit(0)
        return False
spy = FirstPaint()
app.installEventFilter(spy)
desktop = DesktopApp(__import__("pathlib").Path(sys.argv[1]), "zh")
desktop.start()
QTimer.singleShot(20000, lambda: app.exit(1))
app.exec()
desktop.close()
"""


def cold_start(profile: Path) -> float:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(profile), repr(time.time())],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", type=Path, help="an existing rep-size profile")
    args = parser.parse_args()
    profile = args.profile
    if profile is None:
        profile = Path(tempfile.mkdtemp(prefix="fieldcrm-uibench-")) / "rep"
        print("building the rep data set (~15 s)…")
        from app.demo import DEMO_USERS, generate
        from app.demo.local import load_into
        from app.store.service import Store

        store = Store(profile)
        load_into(store, generate("rep", 7, owner=DEMO_USERS[1]["id"]))
        store.close()

    starts = [cold_start(profile) for _ in range(3)]
    print(f"cold start → first painted window: median {statistics.median(starts) * 1000:.0f} ms")

    from PySide6.QtCore import QEventLoop, QTimer

    from app.store.service import Store
    from app.views.application import DesktopApp, qt_app, wait_until_ready
    from app.views.tasks import TaskRunner

    app = qt_app()
    runner = TaskRunner(lambda: Store(profile))  # real worker thread, as in the app
    desktop = DesktopApp(profile, "zh", runner=runner)
    window = wait_until_ready(desktop)
    screen = window.customers
    model = screen.model

    def until_loaded(action: object) -> float:
        loop = QEventLoop()
        model.loaded.connect(loop.quit)
        start = time.perf_counter()
        action()  # type: ignore[operator]
        QTimer.singleShot(10_000, loop.quit)
        loop.exec()
        screen.table.viewport().repaint()
        elapsed = time.perf_counter() - start
        model.loaded.disconnect(loop.quit)
        return elapsed

    lists = [until_loaded(model.reload) for _ in range(5)]
    print(
        f"customer list first paint ({model.rowCount()} rows): "
        f"median {statistics.median(lists) * 1000:.1f} ms"
    )
    keystrokes: list[float] = []
    for query in ("杭", "杭州", "鹿", "鹿家", "138", "1381", "hz", "轻鹿家居"):
        keystrokes.append(until_loaded(lambda q=query: screen.search.setText(q)))
    print(
        f"search keystroke → list repainted: median {statistics.median(keystrokes) * 1000:.1f} ms,"
        f" max {max(keystrokes) * 1000:.1f} ms"
    )
    screen.search.clear()

    deal_ids: list[str] = []
    runner.read(
        lambda s: [r[0] for r in s.connection().execute("SELECT id FROM deals LIMIT 5")],
        deal_ids.extend,
    )
    while not deal_ids:
        app.processEvents()
    opens = []
    for deal_id in deal_ids:
        start = time.perf_counter()
        page = window.open_record("deal", deal_id)
        while getattr(page, "card", None) is None:
            app.processEvents()
        page.repaint()
        opens.append(time.perf_counter() - start)
        window.go_back()
    print(f"open a deal page: median {statistics.median(opens) * 1000:.1f} ms")
    desktop.close()


if __name__ == "__main__":
    main()
