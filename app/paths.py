"""Where FieldCRM keeps things: profiles, bundled resources, logs.

A *profile* is one folder per signed-in account holding the SQLite store, the content-addressed
attachment files and the log. ``--profile DIR`` or ``FIELDCRM_PROFILE`` picks one explicitly.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from platformdirs import user_cache_dir, user_data_dir

APP_NAME = "FieldCRM"
STORE_FILE = "fieldcrm.db"


def data_root() -> Path:
    """The platform's per-user data folder for FieldCRM."""
    return Path(user_data_dir(APP_NAME, appauthor=False))


def cache_root() -> Path:
    """The platform's per-user cache folder for FieldCRM (anything in it can be rebuilt)."""
    return Path(user_cache_dir(APP_NAME, appauthor=False))


def account_slug(server_url: str, user: str) -> str:
    """A folder name for one account on one server (stable, filesystem-safe)."""
    host = re.sub(r"^[a-z]+://", "", server_url.lower()).rstrip("/")
    return re.sub(r"[^a-z0-9._-]+", "_", f"{user.lower()}@{host}")


def resolve_profile(
    explicit: str | os.PathLike[str] | None = None, account: str = "default"
) -> Path:
    """The profile folder: explicit argument, then ``FIELDCRM_PROFILE``, then the default."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("FIELDCRM_PROFILE")
    if env:
        return Path(env).expanduser()
    return data_root() / "profiles" / account


def bundle_root() -> Path:
    """Root of bundled files: the PyInstaller folder when frozen, else the source checkout."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen)
    return Path(__file__).resolve().parent.parent
