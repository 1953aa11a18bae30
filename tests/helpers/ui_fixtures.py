"""Fixtures for tests with real widgets offscreen over the real store (imported by the UI and
rollout conftests)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from app.store.service import Store
from app.views.context import AppContext, load_context
from app.views.tasks import TaskRunner


@pytest.fixture
def runner(qapp: Any, store: Store) -> Iterator[TaskRunner]:
    """Every job runs inline: no threads, no waiting, same callbacks."""
    r = TaskRunner(store, synchronous=True)
    yield r
    r.close()


@pytest.fixture
def ctx(runner: TaskRunner) -> AppContext:
    """The application context the screens share, loaded through the runner."""
    found: list[AppContext] = []
    load_context(runner, found.append)
    return found[0]
