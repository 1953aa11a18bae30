"""UI fixtures: real widgets offscreen over the real store, with the task runner inline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.keyrings import file_keyring
from helpers.server_fixtures import make_device, server
from helpers.ui_fixtures import ctx, runner

from app.store.service import Store
from app.sync.api import OfflineSync
from app.views.context import AppContext
from app.views.i18n import english_plurals
from app.views.main_window import MainWindow

__all__ = [
    "contacts",
    "ctx",
    "deal_id",
    "file_keyring",
    "make_device",
    "runner",
    "server",
    "window",
]


@pytest.fixture(autouse=True, scope="session")
def plurals(qapp: Any) -> Iterator[None]:
    """Screens read in English as the app shows them: "1 customer", "2 customers"."""
    translator = english_plurals(qapp)
    assert translator is not None, "run python -m tools.i18n_update"
    qapp.installTranslator(translator)
    yield
    qapp.removeTranslator(translator)


@pytest.fixture
def contacts(store: Store, customer_id: str) -> list[str]:
    names = [("陈思远", "总经理"), ("王海燕", "采购经理"), ("刘洋", "财务总监")]
    return [
        store.create("contact", {"customer_id": customer_id, "name": n, "title": t})
        for n, t in names
    ]


@pytest.fixture
def deal_id(store: Store, customer_id: str) -> str:
    return store.create("deal", {"customer_id": customer_id, "title": "全屋定制样板间"})


@pytest.fixture
def window(qtbot: Any, ctx: AppContext, store: Store, tmp_path: Path) -> MainWindow:
    sync = OfflineSync(lambda: (store.journal.pending_count(), store.conflicts.count(), 0))
    w = MainWindow(ctx, sync, profile_dir=tmp_path)
    qtbot.addWidget(w)
    w.show()
    return w
