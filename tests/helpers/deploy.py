"""Helpers for tests that run real ``fieldcrm-server`` processes on a throwaway PostgreSQL
database (tests/deploy)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def throwaway_database(prefix: str) -> Iterator[str]:
    """Create a database on the server named by FIELDCRM_TEST_PG_URL, yield its URL, drop it."""
    url = os.environ.get("FIELDCRM_TEST_PG_URL")
    if not url:
        pytest.skip("FIELDCRM_TEST_PG_URL is not set")
    base = make_url(url)
    admin_dsn = base.set(drivername="postgresql", database=base.database or "postgres")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_dsn.render_as_string(hide_password=False), autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    yield base.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn.render_as_string(hide_password=False), autocommit=True) as c:
        c.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def server_cli(db: str, data: Path, *args: str, stdin: str | None = None) -> str:
    """Run ``fieldcrm-server`` on ``db`` and return its output (it must succeed)."""
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", "--db", db, "--data-dir", str(data), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
