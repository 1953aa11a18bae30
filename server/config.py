"""Server settings: where the data lives and the limits the service enforces.

Everything has a default that works for a single office server on SQLite; production sets
``FIELDCRM_DATABASE_URL`` (or ``--db``) to PostgreSQL.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import platformdirs

ENV_DATABASE_URL = "FIELDCRM_DATABASE_URL"
ENV_DATA_DIR = "FIELDCRM_SERVER_DATA"
ENV_TRUSTED_PROXIES = "FIELDCRM_TRUSTED_PROXIES"


def default_data_dir() -> Path:
    """The server's data folder: ``$FIELDCRM_SERVER_DATA`` or the platform's site data dir."""
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return Path(env)
    return Path(platformdirs.user_data_dir("fieldcrm-server", appauthor=False))


def sqlite_url(path: Path) -> str:
    return f"sqlite+pysqlite:///{path}"


@dataclass(frozen=True)
class Argon2Params:
    """argon2id cost; tests lower it so that their many sign-ins stay cheap."""

    time_cost: int = 3
    memory_cost: int = 64 * 1024  # KiB
    parallelism: int = 2


@dataclass(frozen=True)
class Settings:
    database_url: str
    data_dir: Path
    access_ttl_s: int = 15 * 60
    refresh_ttl_s: int = 30 * 24 * 3600
    # A refresh token presented again this soon after it was swapped, while its successor is
    # unused, is a client retrying a lost answer: it gets the same successor back. Any other
    # reuse ends the session (see server.auth).
    refresh_grace_s: float = 60.0
    # Sign-in throttling: after this many failures in a row the key is blocked, doubling.
    throttle_user_failures: int = 5
    throttle_ip_failures: int = 20
    throttle_base_s: float = 30.0
    throttle_max_s: float = 15 * 60.0
    # Reverse proxies (addresses or networks) whose X-Forwarded-For names the client; the
    # header is ignored from anyone else.
    trusted_proxies: tuple[str, ...] = ()
    # Tombstones and scope-exit notices live this long; older cursors must resync.
    tombstone_days: int = 90
    max_attachment_bytes: int = 50 * 1024 * 1024
    max_chunk_bytes: int = 8 * 1024 * 1024
    max_body_bytes: int = 16 * 1024 * 1024
    max_ops_per_push: int = 500
    max_pull_limit: int = 10_000
    # Records per pack (a first sync's pages, app.sync.pack): each is one file built in memory.
    max_pack_limit: int = 100_000
    pool_size: int = 10
    # Seconds between runs of the scheduled jobs (server.leads.jobs) in a serving process;
    # 0 runs none (tests and tools tick by hand). ``serve`` sets it.
    job_tick_s: float = 0.0
    argon2: Argon2Params = field(default_factory=Argon2Params)

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    def with_(self, **changes: Any) -> Settings:
        """A copy with some settings changed (tests, embedded server)."""
        return replace(self, **changes)


def parse_networks(text: str) -> tuple[str, ...]:
    """Addresses or networks (``10.0.0.5``, ``10.0.0.0/8``, ``::1``) separated by commas or
    spaces, normalised; :class:`ValueError` names the first one that is neither."""
    found = []
    for item in text.replace(",", " ").split():
        try:
            found.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ValueError(f"not an IP address or network: {item!r}") from None
    return tuple(found)


def load_settings(db_url: str | None = None, data_dir: Path | None = None) -> Settings:
    """Settings from arguments, then the environment, then defaults (SQLite in the data dir)."""
    folder = data_dir or default_data_dir()
    url = db_url or os.environ.get(ENV_DATABASE_URL) or sqlite_url(folder / "fieldcrm-server.db")
    proxies = parse_networks(os.environ.get(ENV_TRUSTED_PROXIES, ""))
    return Settings(database_url=url, data_dir=folder, trusted_proxies=proxies)
