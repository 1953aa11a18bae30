"""Rollout fixtures: real widgets offscreen over the real store, jobs run inline."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from app.store.service import Store
from app.views.context import AppContext, load_context
from app.views.tasks import TaskRunner


@pytest.fixture
def runner(qapp: Any, store: Store) -> Iterator[TaskRunner]:
    r = TaskRunner(store, synchronous=True)
    yield r
    r.close()


@pytest.fixture
def ctx(runner: TaskRunner) -> AppContext:
    found: list[AppContext] = []
    load_context(runner, found.append)
    return found[0]
