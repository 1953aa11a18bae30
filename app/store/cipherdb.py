"""Connections to the store file: SQLCipher under the profile's key (SPEC S8).

:func:`unlock` decides, once per open, which key a profile's store takes: an encrypted file
needs its key from the keyring; a new file gets a new key; a plain file from an earlier
FieldCRM is encrypted in place first (:func:`encrypt_in_place`). Without a keyring on the
machine a profile stays plain. Every connection to the store goes through :func:`connect`, so
the key is given before anything is read, and every SQLite error has this module's types.

Moving a plain file to an encrypted one is crash-safe: the encrypted copy is written beside the
old file, flushed to disk, and renamed over it in one step; a half-written copy left by a crash
is deleted next time, so the store is always either the old plain file or the new encrypted one.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import filelock
from sqlcipher3 import dbapi2 as sqlcipher

from app.domain.messages import Msg
from app.store.crypto import create_key, keyring_available, load_key, make_private, write_private
from app.store.errors import StoreLocked

if TYPE_CHECKING:
    # sqlcipher3 ships no type information; its module mirrors the standard sqlite3 one.
    from sqlite3 import (
        Connection,
        DatabaseError,
        Error,
        IntegrityError,
        InterfaceError,
        OperationalError,
        ProgrammingError,
    )
else:
    Connection = sqlcipher.Connection
    Error = sqlcipher.Error
    DatabaseError = sqlcipher.DatabaseError
    OperationalError = sqlcipher.OperationalError
    IntegrityError = sqlcipher.IntegrityError
    InterfaceError = sqlcipher.InterfaceError
    ProgrammingError = sqlcipher.ProgrammingError

# Database pages of 16 KiB instead of SQLite's 4 KiB: the id indexes hold random uuids, and
# bigger pages split and are written back less often (a first sync is faster, reads as fast).
# An encrypted file is always written with it; a plain one takes it only when new.
PAGE_SIZE = 16 * 1024
PLAIN_HEADER = b"SQLite format 3\x00"
LOCK_FILE = "store.lock"
ENCRYPTING_SUFFIX = ".encrypting"
# Held while SQLCipher's process-wide defaults are changed (app.sync.pack.attach), and by every
# open here, so that no file is opened with another file's settings.
DEFAULTS_LOCK = threading.RLock()

FileState = Literal["missing", "plain", "encrypted"]

KEY_MISSING = Msg(
    "数据文件已损坏,或已加密而本机钥匙串中没有它的密钥:{p}。请重新登录同步以恢复数据",
    "The data file is damaged, or encrypted with a key this computer's keyring does not "
    "hold: {p}. Sign in again to restore it from the server",
)
KEY_WRONG = Msg(
    "无法解密数据文件:钥匙串中的密钥与它不符,或文件已损坏:{p}。请重新登录同步以恢复数据",
    "Cannot unlock the data file: the key in the keyring does not match it, or the file is "
    "damaged: {p}. Sign in again to restore it from the server",
)


def file_state(path: Path) -> FileState:
    """Whether the store file is absent (or empty), a plain SQLite file, or anything else."""
    try:
        with path.open("rb") as f:
            head = f.read(len(PLAIN_HEADER))
    except FileNotFoundError:
        return "missing"
    if not head:
        return "missing"
    return "plain" if head == PLAIN_HEADER else "encrypted"


def connect(
    path: Path,
    key: bytes | None,
    *,
    readonly: bool = False,
    check_same_thread: bool = True,
    timeout: float = 10,
) -> Connection:
    """A connection to ``path`` (encrypted when ``key`` is given), checked to read.

    The key is a raw 256-bit key (``x'…'``): SQLCipher then skips its passphrase stretching,
    which would otherwise run on every open. Raises :data:`DatabaseError` for a wrong key.
    """
    target = f"{path.resolve().as_uri()}?mode=ro" if readonly else str(path)
    conn: Connection = sqlcipher.connect(
        target, uri=readonly, check_same_thread=check_same_thread, timeout=timeout
    )
    try:
        with DEFAULTS_LOCK:  # the file is read here, with SQLCipher's defaults
            if key is not None:
                conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
                conn.execute(f"PRAGMA cipher_page_size = {PAGE_SIZE}")
                # Wiping every freed buffer costs time and guards only against reading this
                # process's memory, which a program running as the user can do anyway.
                conn.execute("PRAGMA cipher_memory_security = OFF")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except BaseException:
        conn.close()
        raise
    return conn


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    if os.name == "posix":
        _fsync(path)


def encrypt_in_place(path: Path, key: bytes) -> bool:
    """Replace the plain store at ``path`` by an encrypted copy; False if it is in use.

    The copy is complete and on disk before the rename, so a crash leaves the plain file (and a
    stray ``.encrypting`` copy that the next attempt deletes) or the encrypted one.
    """
    tmp = path.with_name(path.name + ENCRYPTING_SUFFIX)
    tmp.unlink(missing_ok=True)
    # Everything in the WAL goes into the file first; closing the last connection removes the
    # WAL. A WAL still there belongs to another program using the file: try again next time.
    plain: Connection = sqlcipher.connect(str(path), timeout=10)
    try:
        plain.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        version = int(plain.execute("PRAGMA user_version").fetchone()[0])
    finally:
        plain.close()
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return False
    conn = connect(tmp, key)
    try:
        conn.execute("ATTACH DATABASE ? AS plain KEY ''", (str(path),))
        conn.execute("SELECT sqlcipher_export('main', 'plain')").fetchone()
        conn.execute("DETACH DATABASE plain")
        conn.execute(f"PRAGMA main.user_version = {version}")
        conn.commit()
    finally:
        conn.close()
    make_private(tmp)
    _fsync(tmp)
    for stale in (wal, path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    os.replace(tmp, path)
    _fsync_dir(path.parent)
    return True


def unlock(path: Path) -> bytes | None:
    """The key to open the store at ``path`` with (None: plain), encrypting a plain one first.

    Raises :class:`StoreLocked` when the file is encrypted and its key is not in the keyring.
    """
    profile = path.parent
    state = file_state(path)
    if state == "encrypted":
        key = load_key(profile)
        if key is None:
            raise StoreLocked(KEY_MISSING.format(p=path))
        return key
    if not keyring_available():
        return None
    lock = profile / LOCK_FILE
    if not lock.exists():
        write_private(lock, b"")
    # One process at a time makes the key and encrypts: two would make two keys.
    with filelock.FileLock(str(lock), timeout=30):
        key = load_key(profile)
        state = file_state(path)
        if state == "encrypted":
            if key is None:
                raise StoreLocked(KEY_MISSING.format(p=path))
            return key
        if key is None:
            key = create_key(profile)
        if state == "plain" and not encrypt_in_place(path, key):
            return None  # in use by an older FieldCRM: stays plain until the next open
        with contextlib.suppress(FileNotFoundError):
            path.with_name(path.name + ENCRYPTING_SUFFIX).unlink()
    return key


def open_existing(path: Path, *, readonly: bool = True, timeout: float = 5) -> Connection:
    """A connection to an existing store for a quick look (no key made, nothing migrated)."""
    key = load_key(path.parent) if file_state(path) == "encrypted" else None
    if key is None and file_state(path) == "encrypted":
        raise StoreLocked(KEY_MISSING.format(p=path))
    try:
        return connect(path, key, readonly=readonly, timeout=timeout)
    except DatabaseError as exc:
        if key is not None and "not a database" in str(exc).lower():
            raise StoreLocked(KEY_WRONG.format(p=path)) from exc
        raise


__all__ = [
    "KEY_MISSING",
    "KEY_WRONG",
    "PAGE_SIZE",
    "Connection",
    "DatabaseError",
    "Error",
    "IntegrityError",
    "InterfaceError",
    "OperationalError",
    "ProgrammingError",
    "connect",
    "encrypt_in_place",
    "file_state",
    "open_existing",
    "unlock",
]
