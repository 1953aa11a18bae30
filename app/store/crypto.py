"""The profile's secret key and its private files (SPEC S8).

Each profile has one random 256-bit key, kept in the operating system's keyring (Windows
Credential Manager, macOS Keychain, Secret Service on Linux) under the profile's id, never on
disk beside the data. The store file is a SQLCipher database opened with that key as a raw key
(no passphrase stretching: the key is already random), and attachment files are sealed with
AES-256-GCM under a key derived from it (see :mod:`app.store.files`).

This protects a profile whose disk or folder is copied without the signed-in session: a lost or
stolen laptop, a backup, a folder sent somewhere. It does not protect against a program running
as the signed-in user, an unlocked session, or a compromised keyring: those can ask for the key.

Where the machine has no keyring at all, a profile cannot keep a key, so it stays unencrypted
(its folders still private to the user) and :func:`keyring_available` says so.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
import uuid
from pathlib import Path

import keyring
import keyring.errors
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.domain.messages import Msg
from app.store.errors import StoreLocked

KEY_SERVICE = "FieldCRM store key"
# The keyring entry's name; a plain id, so a profile folder can be moved on the same machine.
ID_FILE = "store.id"
KEY_BYTES = 32
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600

NO_KEYRING_STORE = Msg(
    "本机没有可用的系统钥匙串,本地数据未加密(资料夹仅本人可读)",
    "No system keyring is available: the local data is not encrypted "
    "(its folder is readable by you only)",
)

# Keys read once per process: opening the store is frequent, a keyring look-up is not free.
_cache: dict[str, bytes] = {}
_lock = threading.Lock()


def keyring_available() -> bool:
    """False when only keyring's "fail" backend is there (no keyring to keep a key in)."""
    kr = keyring.get_keyring()
    return float(getattr(kr, "priority", 0)) > 0 and "fail" not in type(kr).__module__


def make_private(path: Path) -> None:
    """Restrict a folder to 0700 or a file to 0600 (POSIX; Windows profiles are per-user)."""
    if os.name != "posix" or not path.exists():
        return
    mode = PRIVATE_DIR if path.is_dir() else PRIVATE_FILE
    if path.stat().st_mode & 0o777 != mode:
        os.chmod(path, mode)


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) private to the user; tighten it if it exists."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    make_private(path)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Create or replace a small file readable by the user only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    make_private(path)


def profile_id(profile_dir: Path, *, create: bool = False) -> str | None:
    """The id the profile's key is filed under in the keyring (made on first use)."""
    path = profile_dir / ID_FILE
    if path.exists():
        text = path.read_text(encoding="ascii", errors="replace").strip()
        if text:
            return text
    if not create:
        return None
    new = str(uuid.uuid4())
    write_private(path, new.encode("ascii"))
    return new


def _keyring_failed(exc: Exception) -> StoreLocked:
    return StoreLocked(
        Msg(
            "无法读取系统钥匙串中的数据密钥({e})。请解锁钥匙串后重试",
            "Cannot read the data key from the system keyring ({e}). "
            "Unlock the keyring and try again",
        ).format(e=exc)
    )


def load_key(profile_dir: Path) -> bytes | None:
    """The profile's key, or None when it has none (a new or unencrypted profile)."""
    pid = profile_id(profile_dir)
    if pid is None:
        return None
    with _lock:
        if pid in _cache:
            return _cache[pid]
    try:
        text = keyring.get_password(KEY_SERVICE, pid)
    except keyring.errors.KeyringError as exc:
        raise _keyring_failed(exc) from exc
    if not text:
        return None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        return None
    if len(key) != KEY_BYTES:
        return None
    with _lock:
        _cache[pid] = key
    return key


def create_key(profile_dir: Path) -> bytes:
    """Make and keep a new random key for the profile (call under the profile's lock)."""
    pid = profile_id(profile_dir, create=True)
    assert pid is not None
    key = secrets.token_bytes(KEY_BYTES)
    try:
        keyring.set_password(KEY_SERVICE, pid, key.hex())
    except keyring.errors.KeyringError as exc:
        raise _keyring_failed(exc) from exc
    with _lock:
        _cache[pid] = key
    return key


def forget_key(profile_dir: Path) -> None:
    """Delete the profile's key from the keyring and from memory.

    Without it the store file and the sealed attachments are unreadable, so a wipe calls this
    (before or after deleting the folder's files, but while the folder's ``store.id`` is still
    there). Nothing stored, or no keyring, means there is nothing to forget.
    """
    pid = profile_id(profile_dir)
    if pid is None:
        return
    with _lock:
        _cache.pop(pid, None)
    with contextlib.suppress(keyring.errors.KeyringError):
        keyring.delete_password(KEY_SERVICE, pid)


def file_key(store_key: bytes) -> bytes:
    """The attachments' key: derived, so one keyring entry unlocks the whole profile."""
    return HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=b"FieldCRM attachments v1"
    ).derive(store_key)


__all__ = [
    "KEY_SERVICE",
    "NO_KEYRING_STORE",
    "create_key",
    "file_key",
    "forget_key",
    "keyring_available",
    "load_key",
    "make_private",
    "private_dir",
    "profile_id",
    "write_private",
]
