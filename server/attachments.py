"""Attachment files (SPEC S5): content-addressed by SHA-256, uploaded in resumable chunks.

A file is uploaded with ``PUT /attachments/{sha256}?offset=N&size=TOTAL``, one chunk per request.
The server appends a chunk only at the offset it already has, so an interrupted upload resumes
where the server says it stopped. When the last byte arrives the server hashes the whole file; a
mismatch discards it. A file the server already holds is never received again.

Files live under ``<data dir>/blobs/ab/abcdef…``; the ``blobs`` table lists the complete ones
and ``blob_uploaders`` who uploaded each. Knowing a hash gives nothing: a user learns whether the
server holds a file only for files they uploaded or that are attached to records they see; for
any other hash they are asked to upload it (in their own partial file) like a new one, which
proves they have it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock
from sqlalchemy import Connection, Engine, and_, select
from sqlalchemy.exc import IntegrityError

from server.db import blob_uploaders, blobs, records, write_tx
from server.pull import scope_clause
from server.records import Viewer

_MIME = re.compile(r"^[A-Za-z0-9.+-]{1,60}/[A-Za-z0-9.+-]{1,100}$")


class UploadError(Exception):
    """An upload request that cannot be accepted; ``status`` is the HTTP status to answer."""

    def __init__(self, status: int, code: str, zh: str, en: str, **extra: object) -> None:
        super().__init__(code)
        self.status, self.code, self.zh, self.en, self.extra = status, code, zh, en, extra


@dataclass(frozen=True)
class UploadState:
    have: bool
    received: int


class BlobStore:
    """Files on disk plus the ``blobs`` table that says which are complete."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def path(self, sha: str) -> Path:
        return self.root / sha[:2] / sha

    def _part(self, sha: str, user_id: str | None) -> Path:
        # One partial file per uploader, so one user's progress says nothing to another.
        who = hashlib.sha256((user_id or "").encode()).hexdigest()[:16]
        return self.root / "partial" / f"{sha}.{who}.part"

    def have(self, engine: Engine, sha: str) -> bool:
        """Whether the server holds the file (for the server's own use, never told to users)."""
        with engine.connect() as conn:
            row = conn.execute(select(blobs.c.sha256).where(blobs.c.sha256 == sha)).first()
        return row is not None and self.path(sha).exists()

    def have_for(self, engine: Engine, viewer: Viewer, sha: str) -> bool:
        """Whether the server holds the file and the user uploaded it or sees a record it is
        attached to."""
        with engine.connect() as conn:
            usable = sha in usable_blobs(conn, viewer, [sha])
        return usable and self.path(sha).exists()

    def state(self, engine: Engine, viewer: Viewer, sha: str) -> UploadState:
        """How much of the file the server has, as far as this user may know."""
        if self.have_for(engine, viewer, sha):
            return UploadState(True, self.path(sha).stat().st_size)
        part = self._part(sha, viewer.id)
        return UploadState(False, part.stat().st_size if part.exists() else 0)

    def append(
        self,
        engine: Engine,
        sha: str,
        offset: int,
        size: int,
        chunk: bytes,
        *,
        viewer: Viewer | None = None,
    ) -> UploadState:
        """Add one chunk; completes, verifies and registers the file on its last byte, and
        records ``viewer`` (if any) as one of its uploaders."""
        if size > self.max_bytes:
            mib = self.max_bytes / (1024 * 1024)
            raise UploadError(
                413,
                "too_large",
                f"附件超过大小上限({mib:.0f} MB)",
                f"The file is larger than the limit of {mib:.0f} MB",
                limit=self.max_bytes,
            )
        if self.have_for(engine, viewer, sha) if viewer else self.have(engine, sha):
            return UploadState(True, size)
        user_id = viewer.id if viewer else None
        part = self._part(sha, user_id)
        part.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(part) + ".lock", timeout=30):
            received = part.stat().st_size if part.exists() else 0
            if offset != received:
                raise UploadError(
                    409,
                    "wrong_offset",
                    "上传位置不对,请从服务器给出的位置继续",
                    "Resume the upload at the offset the server has",
                    received=received,
                )
            if offset + len(chunk) > size:
                raise UploadError(
                    400,
                    "beyond_size",
                    "数据超过声明的文件大小",
                    "The data goes past the declared file size",
                )
            with part.open("ab") as fh:
                fh.write(chunk)
                fh.flush()
                os.fsync(fh.fileno())
            received += len(chunk)
            if received < size:
                return UploadState(False, received)
            digest = hashlib.sha256()
            with part.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
            if digest.hexdigest() != sha:
                part.unlink()
                raise UploadError(
                    422,
                    "hash_mismatch",
                    "文件内容与摘要不符,已丢弃",
                    "The file does not match its SHA-256 and was discarded",
                )
            final = self.path(sha)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(part, final)  # the same bytes when another user uploaded them first
        try:
            _register(engine, sha, size, user_id)
        except IntegrityError:
            # Another user's upload of the same file finished at the same moment (PostgreSQL
            # does not serialise the check and the insert): the second try finds its row.
            _register(engine, sha, size, user_id)
        return UploadState(True, size)

    def readable(self, engine: Engine, viewer: Viewer, sha: str) -> tuple[Path, str, str] | None:
        """The file, its type and name, if an attachment in the viewer's scope refers to it.

        Anything else — unknown hash, out-of-scope record — is the same "not found".
        """
        with engine.connect() as conn:
            row = conn.execute(
                select(records.c.data)
                .where(
                    and_(
                        records.c.entity == "attachment",
                        records.c.blob_sha256 == sha,
                        records.c.deleted.is_(False),
                        scope_clause(viewer),
                    )
                )
                .limit(1)
            ).first()
            known = conn.execute(select(blobs.c.sha256).where(blobs.c.sha256 == sha)).first()
        if row is None or known is None or not self.path(sha).exists():
            return None
        data = json.loads(row.data)
        mime = str(data.get("mime") or "")
        if not _MIME.match(mime):
            mime = "application/octet-stream"
        return self.path(sha), mime, str(data.get("filename") or sha)


def _register(engine: Engine, sha: str, size: int, user_id: str | None) -> None:
    with write_tx(engine) as conn:
        now = time.time()
        if conn.execute(select(blobs.c.sha256).where(blobs.c.sha256 == sha)).first() is None:
            conn.execute(blobs.insert().values(sha256=sha, size=size, created_at=now))
        if user_id is not None and not _uploaded(conn, user_id, [sha]):
            conn.execute(
                blob_uploaders.insert().values(sha256=sha, user_id=user_id, created_at=now)
            )


def _uploaded(conn: Connection, user_id: str, shas: Iterable[str]) -> set[str]:
    rows = conn.execute(
        select(blob_uploaders.c.sha256).where(
            and_(blob_uploaders.c.user_id == user_id, blob_uploaders.c.sha256.in_(sorted(shas)))
        )
    )
    return {r.sha256 for r in rows}


def usable_blobs(conn: Connection, viewer: Viewer, shas: Iterable[str]) -> set[str]:
    """Of ``shas``, the files the server holds that ``viewer`` uploaded or that are attached to
    a record in their scope: the only files an attachment row of theirs may name."""
    wanted = set(shas)
    if not wanted:
        return set()
    held = {
        r.sha256
        for r in conn.execute(select(blobs.c.sha256).where(blobs.c.sha256.in_(sorted(wanted))))
    }
    if not held:
        return set()
    mine = _uploaded(conn, viewer.id, held)
    rest = held - mine
    if rest:
        rows = conn.execute(
            select(records.c.blob_sha256).where(
                and_(
                    records.c.entity == "attachment",
                    records.c.blob_sha256.in_(sorted(rest)),
                    records.c.deleted.is_(False),
                    scope_clause(viewer),
                )
            )
        )
        mine |= {r.blob_sha256 for r in rows}
    return mine
