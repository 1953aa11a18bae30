"""Wiping a profile from this device, when the server orders it (a revoked device).

An administrator who revokes a lost or stolen laptop wants nothing of the account left on it:
the store, the attachment files, and every secret in the OS keyring that opens them or the
server. :func:`wipe_profile` is the one place that does this. It is crash-safe: a marker
written first names the account, so a wipe cut short (power loss, a file another program
holds open) is finished by :func:`finish_pending_wipe` the next time sync starts.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path

from app.paths import STORE_FILE
from app.store.crypto import forget_key
from app.sync.session import Session

MARKER = "wipe-ordered.json"


def forget_store_key(profile_dir: Path) -> None:
    """Delete the key that opens this profile's store and files from the OS keyring (the
    folder's ``store.id`` names it, so this runs before the folder is emptied)."""
    forget_key(profile_dir)


def forget_secrets(profile_dir: Path, server_url: str | None, user: str | None) -> None:
    """Delete every keyring entry of the profile: its refresh token and its store key."""
    if server_url and user:
        Session(server_url, user).forget()
    forget_store_key(profile_dir)


def _write_marker(profile_dir: Path, server_url: str | None, user: str | None) -> None:
    marker = profile_dir / MARKER
    tmp = marker.with_name(MARKER + ".tmp")
    tmp.write_text(json.dumps({"server_url": server_url, "user": user}), "utf-8")
    with tmp.open("rb") as f:
        os.fsync(f.fileno())
    tmp.replace(marker)


def wipe_profile(profile_dir: Path, server_url: str | None, user: str | None) -> list[Path]:
    """Delete the profile's keyring secrets, then its store (with its journal files), its
    attachment files and everything else in its folder. Returns what could not be deleted
    (a file another program holds open on Windows); the marker then stays for a next try."""
    profile_dir = Path(profile_dir)
    if not profile_dir.exists():
        forget_secrets(profile_dir, server_url, user)
        return []
    with contextlib.suppress(OSError):  # a full or read-only disk must not stop the deleting
        _write_marker(profile_dir, server_url, user)
    forget_secrets(profile_dir, server_url, user)
    left: list[Path] = []
    # The customer data first, so that little else matters if the rest is cut short.
    first = [profile_dir / (STORE_FILE + s) for s in ("", "-wal", "-shm", "-journal")]
    for path in [*first, profile_dir / "files"]:
        left += _remove(path)
    try:
        rest = sorted(profile_dir.iterdir())
    except OSError:
        rest = []
    for path in rest:
        if path.name != MARKER:
            left += _remove(path)
    if left:
        return left
    (profile_dir / MARKER).unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        profile_dir.rmdir()
    return []


def _remove(path: Path) -> list[Path]:
    failed: list[Path] = []
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, onerror=lambda _f, p, _e: failed.append(Path(p)))
        return failed
    try:
        path.unlink(missing_ok=True)
    except OSError:
        return [path]
    return []


def pending_wipe(profile_dir: Path) -> bool:
    """Whether a wipe of this profile was ordered and has not finished."""
    return (Path(profile_dir) / MARKER).exists()


def finish_pending_wipe(profile_dir: Path) -> bool:
    """Finish a wipe that was cut short; True if there was one."""
    marker = Path(profile_dir) / MARKER
    if not marker.exists():
        return False
    try:
        named = json.loads(marker.read_text("utf-8"))
    except (OSError, ValueError):
        named = {}
    if not isinstance(named, dict):
        named = {}
    wipe_profile(Path(profile_dir), named.get("server_url"), named.get("user"))
    return True
