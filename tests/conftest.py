"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Widgets render offscreen in tests; set before any Qt import.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from helpers.keyrings import file_keyring

from app.store.service import Store

__all__ = ["file_keyring"]  # a fixture: every test requests it through _keys_in_a_file

# Property tests check what holds, not how fast examples are made: on a busy machine (CI beside
# an OCR batch) the speed checks would fail tests that are right.
settings.register_profile("fieldcrm", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("fieldcrm")


@pytest.fixture(autouse=True)
def _keys_in_a_file(file_keyring: None) -> None:
    """Every profile a test makes is encrypted, its key in keyring's file backend under the
    test's folder (see helpers.keyrings), never in the machine's keyring."""


class FakeClock:
    """A controllable clock: tests move time instead of sleeping."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Iterator[Store]:
    s = Store(tmp_path / "profile", actor="u-rep", clock=clock)
    s.directory.upsert_users(
        [
            {"id": "u-rep", "name": "zhangwei", "display_name": "张伟", "role": "rep"},
            {"id": "u-lead", "name": "wangjl", "display_name": "王经理", "role": "lead"},
        ]
    )
    yield s
    s.close()


@pytest.fixture
def customer_id(store: Store) -> str:
    return store.create(
        "customer",
        {
            "name": "轻鹿家居有限公司",
            "credit_code": "91350100M000100Y43",
            "phone": "0571-8888 9999",
            "owner": "u-rep",
            "address": "浙江省杭州市文一西路1号",
        },
    )
