"""Reading many files in parallel on worker processes, with progress and cancellation.

Tesseract is CPU-bound and single-threaded per call (OMP_THREAD_LIMIT=1), so one process per
core is the fastest arrangement. Workers are started with "spawn": forking a process that runs
Qt threads is unsafe, and spawn is what Windows and macOS do anyway. A frozen app must call
``multiprocessing.freeze_support()`` first thing in ``main``.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Generic, TypeVar

from app.ocr.engine import LANGUAGES
from app.ocr.errors import Cancelled, EngineMissing, OcrError
from app.ocr.reader import read_card, read_contract
from app.ocr.results import CancelCheck, CardResult, ContractResult, Progress, ProgressCallback

R = TypeVar("R", CardResult, ContractResult)


@dataclass
class BatchItem(Generic[R]):
    """The outcome for one input: a result or the error that stopped it."""

    path: str
    result: R | None = None
    error: OcrError | None = None


def _init_worker() -> None:
    os.environ["OMP_THREAD_LIMIT"] = "1"


def _workers(workers: int | None, total: int) -> int:
    return max(1, min(workers or os.cpu_count() or 1, total))


def _run(
    func: Callable[[str], R],
    paths: Sequence[str | Path],
    workers: int | None,
    cancel: CancelCheck | None,
    progress: ProgressCallback | None,
) -> Iterator[BatchItem[R]]:
    names = [str(p) for p in paths]
    total = len(names)
    if total == 0:
        return
    workers = _workers(workers, total)
    if progress:
        progress(Progress(0, total, "start"))
    if workers == 1:
        for done, name in enumerate(names, 1):
            if cancel and cancel():
                raise Cancelled()
            try:
                yield BatchItem(name, result=func(name))
            except EngineMissing:
                raise
            except OcrError as exc:
                yield BatchItem(name, error=exc)
            if progress:
                progress(Progress(done, total, name))
        return
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker) as pool:
        pending: dict[Future[R], str] = {}
        queue = list(reversed(names))
        done = 0
        try:
            while queue or pending:
                # Keep only a few files in flight so that cancelling stops quickly.
                while queue and len(pending) < 2 * workers:
                    name = queue.pop()
                    pending[pool.submit(func, name)] = name
                finished, _ = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                if cancel and cancel():
                    raise Cancelled()
                for fut in finished:
                    name = pending.pop(fut)
                    done += 1
                    failure = fut.exception()
                    if isinstance(failure, EngineMissing):
                        raise failure
                    if isinstance(failure, OcrError):
                        yield BatchItem(name, error=failure)
                    elif failure is not None:
                        raise failure
                    else:
                        yield BatchItem(name, result=fut.result())
                    if progress:
                        progress(Progress(done, total, name))
        finally:
            for fut in pending:
                fut.cancel()


def read_cards(
    paths: Sequence[str | Path],
    *,
    languages: Sequence[str] = LANGUAGES,
    engine: str = "auto",
    workers: int | None = None,
    cancel: CancelCheck | None = None,
    progress: ProgressCallback | None = None,
) -> Iterator[BatchItem[CardResult]]:
    """Read many cards on ``workers`` processes (default: one per core), yielding each
    outcome as it completes (not in input order).

    A file that cannot be read yields an item with ``error``; a missing engine raises
    EngineMissing, and ``cancel()`` returning True raises Cancelled.
    """
    # A partial of a module-level function pickles, so spawned workers can run it.
    # One card per core already keeps the cores busy: then a card's own calls run one by
    # one; a lone card (or one worker) runs them side by side.
    threads = 1 if _workers(workers, len(paths)) > 1 else None
    func = partial(read_card, languages=tuple(languages), engine=engine, threads=threads)
    return _run(func, paths, workers, cancel, progress)


def read_contracts(
    paths: Sequence[str | Path],
    *,
    languages: Sequence[str] = LANGUAGES,
    engine: str = "auto",
    workers: int | None = None,
    cancel: CancelCheck | None = None,
    progress: ProgressCallback | None = None,
) -> Iterator[BatchItem[ContractResult]]:
    """Read many contracts in parallel; see :func:`read_cards`."""
    threads = 1 if _workers(workers, len(paths)) > 1 else None
    func = partial(read_contract, languages=tuple(languages), engine=engine, threads=threads)
    return _run(func, paths, workers, cancel, progress)
