"""Attachment files: content-addressed by the sha256 of their plain bytes, sealed at rest.

A file lives at ``files/<first two hex digits>/<sha256>``. In an encrypted profile it is
sealed with AES-256-GCM in segments of 1 MiB (so a big contract never sits whole in memory):

    "FCRMSEAL" | 7-byte random prefix | segment 0 | segment 1 | … (each: ciphertext + 16-byte tag)

Segment ``i``'s nonce is the prefix, ``i`` (4 bytes) and a last-segment flag (1 byte), so
segments cannot be reordered, dropped or cut off unnoticed; the file's sha256 is the associated
data, so a sealed file cannot pass for another. The name stays the hash of the plain bytes:
the server and other devices address content the same way, and what is uploaded is the plain
file (over TLS) as before. A plain profile (no keyring) keeps plain files, and a plain file met
in an encrypted profile (from before encryption, or a download cut short) is still read.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import io
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.domain.messages import Msg
from app.store.crypto import PRIVATE_FILE, file_key, make_private, private_dir
from app.store.errors import StoreUnavailable

MAGIC = b"FCRMSEAL"
PREFIX_BYTES = 7
SEGMENT = 1 << 20
TAG_BYTES = 16
# A half-written copy older than this was left by a crash, not by a process writing it now.
STALE_S = 600
# Set in the store's meta table once every file of the folder is sealed.
SEALED_META = "files_sealed"

DAMAGED = Msg(
    "附件文件已损坏或无法解密:{p}。请删除它,它会从服务器重新下载",
    "The attachment file is damaged or cannot be unlocked: {p}. "
    "Delete it and it is downloaded from the server again",
)

_open_copies: list[Path] = []


def _open_copy_root() -> Path:
    """A folder for plain copies handed to other programs; private, removed at exit."""
    if not _open_copies:
        root = Path(tempfile.mkdtemp(prefix="fieldcrm-open-"))
        _open_copies.append(root)
        atexit.register(shutil.rmtree, root, True)
    return _open_copies[0]


def _segments(f: BinaryIO, size: int) -> Iterator[tuple[bytes, bool]]:
    """Blocks of ``size`` bytes, each with whether it is the last (an empty file gives one)."""
    current = f.read(size)
    while True:
        following = f.read(size)
        yield current, not following
        if not following:
            return
        current = following


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + index.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


def seal(source: BinaryIO, target: BinaryIO, key: bytes, digest: str) -> None:
    """Write ``source``'s bytes sealed into ``target`` (``digest`` names the content)."""
    aead = AESGCM(key)
    prefix = os.urandom(PREFIX_BYTES)
    target.write(MAGIC + prefix)
    ad = digest.encode("ascii")
    for i, (block, last) in enumerate(_segments(source, SEGMENT)):
        target.write(aead.encrypt(_nonce(prefix, i, last), block, ad))


def unseal(source: BinaryIO, target: BinaryIO, key: bytes, digest: str) -> None:
    """Write the plain bytes of a sealed ``source`` into ``target``; InvalidTag if tampered."""
    head = source.read(len(MAGIC) + PREFIX_BYTES)
    if head[: len(MAGIC)] != MAGIC or len(head) != len(MAGIC) + PREFIX_BYTES:
        raise InvalidTag()
    prefix = head[len(MAGIC) :]
    aead = AESGCM(key)
    ad = digest.encode("ascii")
    for i, (block, last) in enumerate(_segments(source, SEGMENT + TAG_BYTES)):
        target.write(aead.decrypt(_nonce(prefix, i, last), block, ad))


def is_sealed(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(len(MAGIC)) == MAGIC


def _sync_replace(tmp: Path, target: Path) -> None:
    """Flush ``tmp`` to disk, then rename it over ``target`` (never a half file under a hash)."""
    with tmp.open("rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, target)


class Files:
    """The attachment files of one profile; ``key`` is the store key (None: plain profile)."""

    def __init__(self, root: Path, key: bytes | None) -> None:
        self.root = root
        self._key = file_key(key) if key is not None else None

    @property
    def sealed(self) -> bool:
        return self._key is not None

    def path(self, sha256: str) -> Path:
        """Where the (sealed) file of ``sha256`` is kept; it may not be there yet."""
        return self.root / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def _folder(self, sha256: str) -> Path:
        private_dir(self.root)
        return private_dir(self.root / sha256[:2])

    def download_target(self, sha256: str) -> Path:
        """Where a download of ``sha256`` goes (its folders made private) before :meth:`adopt`."""
        return self._folder(sha256) / sha256

    def _write(self, source: BinaryIO, sha256: str) -> None:
        target = self._folder(sha256) / sha256
        # A name of its own: another process may be keeping the same content right now.
        tmp = target.with_name(f"{target.name}.{os.getpid()}-{os.urandom(4).hex()}.seal")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
        with os.fdopen(fd, "wb") as out:
            if self._key is None:
                shutil.copyfileobj(source, out, SEGMENT)
            else:
                seal(source, out, self._key, sha256)
        make_private(tmp)
        _sync_replace(tmp, target)

    def keep(self, source: Path) -> tuple[str, int]:
        """Keep a copy of ``source`` under its hash; return (sha256, size)."""
        h = hashlib.sha256()
        with source.open("rb") as f:
            for chunk in iter(lambda: f.read(SEGMENT), b""):
                h.update(chunk)
        digest = h.hexdigest()
        if not self.has(digest):
            with source.open("rb") as f:
                self._write(f, digest)
        return digest, source.stat().st_size

    def keep_bytes(self, content: bytes) -> str:
        """Keep ``content`` under its hash; return the hash."""
        digest = hashlib.sha256(content).hexdigest()
        if not self.has(digest):
            self._write(io.BytesIO(content), digest)
        return digest

    def copy_to(self, sha256: str, target: BinaryIO) -> None:
        """Write the plain bytes of a kept file into ``target``."""
        path = self.path(sha256)
        with path.open("rb") as f:
            if f.read(len(MAGIC)) != MAGIC:
                f.seek(0)
                shutil.copyfileobj(f, target, SEGMENT)
                return
            if self._key is None:
                raise StoreUnavailable(DAMAGED.format(p=path))
            f.seek(0)
            try:
                unseal(f, target, self._key, sha256)
            except InvalidTag as exc:
                raise StoreUnavailable(DAMAGED.format(p=path)) from exc

    def read(self, sha256: str) -> bytes:
        """The plain bytes of a kept file (for small files: thumbnails, OCR)."""
        buf = io.BytesIO()
        self.copy_to(sha256, buf)
        return buf.getvalue()

    def export(self, sha256: str, target: Path) -> Path:
        """Write a plain copy of a kept file to ``target`` (for the user's own use)."""
        tmp = target.with_name(target.name + ".part")
        with tmp.open("wb") as out:
            self.copy_to(sha256, out)
        os.replace(tmp, target)
        return target

    def open_copy(self, sha256: str, filename: str | None = None) -> Path:
        """A plain copy of a kept file that another program can open.

        The copies live in a private temporary folder removed when FieldCRM exits; the same
        file asked for twice is decrypted once.
        """
        if not self.sealed and not is_sealed(self.path(sha256)):
            return self.path(sha256)
        name = Path(filename).name if filename else sha256
        target = private_dir(_open_copy_root() / sha256[:16]) / (name or sha256)
        if not target.exists():
            self.export(sha256, target)
        return target

    def open_copies(self, rows: Iterable[Mapping[str, Any]]) -> dict[str, Path]:
        """Plain copies to show or open of the attachments (rows with ``sha256`` and
        ``filename``) whose files are here."""
        return {
            str(r["sha256"]): self.open_copy(str(r["sha256"]), r.get("filename"))
            for r in rows
            if r.get("sha256") and self.has(str(r["sha256"]))
        }

    @contextlib.contextmanager
    def plain_file(self, sha256: str) -> Iterator[Path]:
        """A plain copy of a kept file for the length of a ``with`` block (an upload)."""
        if not self.sealed and not is_sealed(self.path(sha256)):
            yield self.path(sha256)
            return
        with tempfile.TemporaryDirectory(prefix="fieldcrm-") as tmp:
            yield self.export(sha256, Path(tmp) / sha256)

    def adopt(self, sha256: str) -> bool:
        """Seal a plain file just downloaded to :meth:`path` if it has the right hash.

        False (and the file removed) when its bytes do not match ``sha256``.
        """
        path = self.path(sha256)
        if is_sealed(path):
            return True
        h = hashlib.sha256()
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(SEGMENT), b""):
                h.update(chunk)
        if h.hexdigest() != sha256:
            path.unlink(missing_ok=True)
            return False
        if self._key is None:
            make_private(path)
        else:
            with path.open("rb") as f:
                self._write(f, sha256)
        return True

    def seal_all(self) -> int:
        """Seal every plain file in the folder (a profile encrypted in place); return how many.

        Each file is replaced atomically, so a crash leaves each one plain or sealed, and the
        next call finishes the job.
        """
        if self._key is None or not self.root.exists():
            return 0
        done = 0
        private_dir(self.root)
        for folder in self.root.iterdir():
            if not folder.is_dir():
                continue
            make_private(folder)
            for path in folder.iterdir():
                if path.suffix in (".seal", ".part") or not path.is_file():
                    if path.suffix == ".seal" and time.time() - path.stat().st_mtime > STALE_S:
                        path.unlink(missing_ok=True)  # a copy a crash cut short
                    continue
                if not is_sealed(path):
                    with path.open("rb") as f:
                        self._write(f, path.name)
                    done += 1
                else:
                    make_private(path)
        return done


__all__ = ["Files", "is_sealed", "seal", "unseal"]
