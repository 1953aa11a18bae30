"""Fixtures for the server suite: every database test runs on SQLite and on PostgreSQL.

PostgreSQL is used when ``FIELDCRM_TEST_PG_URL`` names a server (any database on it); the
suite creates a throwaway database for the session and drops it at the end.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from helpers.world import World, make_world
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from server import migrate
from server.api import create_app
from server.config import Argon2Params, Settings, sqlite_url
from server.db import make_engine, metadata, normalise_url
from server.embedded import serve_in_thread

PG_ENV = "FIELDCRM_TEST_PG_URL"
# Cheap hashing: the suite signs in hundreds of times.
FAST_ARGON2 = Argon2Params(time_cost=1, memory_cost=8 * 1024, parallelism=1)


def _pg_admin_dsn(url: str) -> tuple[str, str]:
    """A libpq DSN for the server's maintenance database, and the URL minus its database."""
    parsed = make_url(normalise_url(url))
    dsn = parsed.set(drivername="postgresql", database=parsed.database or "postgres")
    return dsn.render_as_string(hide_password=False), parsed.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A freshly created, migrated PostgreSQL database for this session."""
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"{PG_ENV} is not set")
    dsn, base = _pg_admin_dsn(url)
    name = f"fieldcrm_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    test_url = str(make_url(base).set(database=name).render_as_string(hide_password=False))
    engine = make_engine(test_url, pool_size=1)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    try:
        yield test_url
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies (faster than migrating every time)."""
    path = tmp_path_factory.mktemp("template") / "server.db"
    engine = make_engine(sqlite_url(path), pool_size=1)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    return path


def _wipe_pg(url: str) -> None:
    engine = make_engine(url, pool_size=1)
    try:
        with engine.begin() as conn:
            names = ", ".join(t.name for t in metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            conn.execute(
                text(
                    "INSERT INTO server_state (key, value) "
                    "VALUES ('xid', 0), ('seq', 0), ('directory', 0)"
                )
            )
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "postgres":
        url = str(request.getfixturevalue("pg_url"))
        _wipe_pg(url)
        return url
    template: Path = request.getfixturevalue("sqlite_template")
    target = tmp_path / "server.db"
    shutil.copy(template, target)
    return sqlite_url(target)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=db_url, data_dir=tmp_path / "data", argon2=FAST_ARGON2)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    eng = make_engine(settings.database_url, pool_size=5)
    yield eng
    eng.dispose()


@pytest.fixture
def world(engine: Engine, settings: Settings) -> World:
    return make_world(engine, settings)


@pytest.fixture
def live(settings: Settings, engine: Engine) -> Iterator[str]:
    """The API served by uvicorn on a loopback port; yields its base URL."""
    handle = serve_in_thread(create_app(settings, engine), settings=settings)
    try:
        yield handle.url
    finally:
        handle.stop()


@pytest.fixture
def client(live: str) -> Iterator[httpx.Client]:
    """An HTTP client talking to :func:`live` over real loopback HTTP."""
    with httpx.Client(base_url=live, timeout=30) as c:
        yield c
