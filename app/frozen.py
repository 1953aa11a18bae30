"""Entry point of the PyInstaller bundle (``build.spec``); ``python -m app`` is the source one.

OCR reads cards on "spawn" worker processes. In a frozen app a worker is the app's own
executable started with multiprocessing's arguments, so ``freeze_support()`` must run before
anything else parses the command line; it returns at once in the main process.

Started without a command (a double click, a desktop shortcut) the bundle opens the window.
"""

from __future__ import annotations

import multiprocessing
import sys


def main() -> None:
    multiprocessing.freeze_support()
    from app.cli import main as cli_main

    cli_main(sys.argv[1:] or ["ui"])


if __name__ == "__main__":
    main()
