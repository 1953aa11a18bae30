"""Pausing Python's cycle collector around bulk work (a scan, a report, a sync page).

Such work makes millions of objects and no reference cycles (reference counting frees them),
but their number sets off full collections that walk the whole heap again and again. Cycles
made meanwhile are collected once the collector is back on.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def without_cycle_collector() -> Iterator[None]:
    """Run the block with the cycle collector off, and on again after it if it was on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
