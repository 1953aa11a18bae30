"""The sync cycle (SPEC S1–S7): push the outbox, then pull the change feed until caught up.

Every step can be interrupted (network, kill -9, cancel) and simply run again: operations carry
ids the server deduplicates, an operation leaves the outbox only in the transaction that records
the server's answer, and a pulled page is applied in the same transaction that advances the
cursor. One sync runs at a time per profile, across processes (a lock file).
"""

from __future__ import annotations

import contextlib
import gc
import json
import queue
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import filelock

from app.domain.bulk import without_cycle_collector
from app.domain.messages import Msg
from app.domain.schema import ENTITIES, entity
from app.paths import STORE_FILE
from app.store import cipherdb, cockpit_cache, merging
from app.store import search as search_index
from app.store.errors import StoreLocked
from app.store.files import is_sealed
from app.store.service import BUILT_FIRST, DEFERRED_META, Change, Store, _encode, utc_now
from app.sync import bulk, local, quarantine, wipe
from app.sync import leads as lead_ops
from app.sync.api import CancelCheck, ProgressCallback, SyncProgress, SyncReport, SyncState
from app.sync.errors import (
    Cancelled,
    DeviceRevoked,
    NotSignedIn,
    Refused,
    ResyncRequired,
    SessionExpired,
    SyncBusy,
    SyncError,
)
from app.sync.forecasts import pull_snapshots
from app.sync.http import ApiClient
from app.sync.leads import send_actions
from app.sync.quarantine import Quarantined
from app.sync.session import Session

ApiFactory = Callable[..., ApiClient]
PUSH_BATCH = 200
# Big pages mean few requests and few statements; a page still fits in memory comfortably.
PULL_PAGE = 10_000
# Records per pack, the pages of a first sync (app.sync.bulk): each is stored in one
# transaction (a pack is attached to the store, which SQLite allows only outside one).
PACK_PAGE = 100_000
FIRST_PACK = 10_000
# Packs downloaded ahead of the one being stored, at most.
PACKS_AHEAD = 1
# Pulled records written per commit. Each commit writes every page an insert touched, and ids
# are random, so a commit dirties pages all over every id index: committing every page of a
# first sync rewrote those indexes once per page. A resumed sync refetches at most this many.
COMMIT_EVERY = 150_000
# ...but a group is committed after this many seconds all the same: while it is open, an edit
# the user saves waits for the write lock (the store gives up after 10 s).
COMMIT_SECONDS = 5.0


class SyncEngine:
    """Syncs one profile with its server. Open with :meth:`for_profile`.

    The engine opens its own store connection (SQLite in WAL mode lets it write while the UI's
    connection reads); call :meth:`sync` from a worker thread, never the GUI thread.
    """

    def __init__(
        self,
        profile_dir: Path,
        *,
        api_factory: ApiFactory = ApiClient,
        session: Session | None = None,
        push_batch: int = PUSH_BATCH,
        pull_page: int = PULL_PAGE,
        pack_page: int = PACK_PAGE,
        commit_every: int = COMMIT_EVERY,
        commit_seconds: float = COMMIT_SECONDS,
    ) -> None:
        self.profile_dir = Path(profile_dir)
        self._api_factory = api_factory
        self.push_batch = push_batch
        self.pull_page = pull_page
        self.pack_page = pack_page
        self.commit_every = commit_every
        self.commit_seconds = commit_seconds
        self._session = session
        self.last_error: Msg | None = None
        self.running = False
        self.listeners: list[Callable[[list[Change]], None]] = []

    # ---- account ---------------------------------------------------------------------------
    def _meta(self) -> dict[str, str]:
        path = self.profile_dir / STORE_FILE
        if not path.exists():
            return {}
        # A store whose key is missing says so (StoreLocked) rather than "not signed in".
        try:
            conn = cipherdb.open_existing(path)
        except cipherdb.Error:
            return {}
        try:
            return dict(conn.execute("SELECT key, value FROM meta").fetchall())
        except cipherdb.Error:
            return {}
        finally:
            conn.close()

    @property
    def server_url(self) -> str | None:
        return self._meta().get("server_url")

    def session(self) -> Session:
        meta = self._meta()
        url, user = meta.get("server_url"), meta.get("user_name")
        if not url or not user:
            raise NotSignedIn()
        if self._session is None or self._session.server_url != url.rstrip("/"):
            self._session = Session(url, user)
        return self._session

    def _api(self, url: str, session: Session | None) -> ApiClient:
        return self._api_factory(url, token=(session.access if session else lambda: None))

    def sign_in(self, server_url: str, user: str, password: str) -> dict[str, Any]:
        """Sign in and bind this profile to the account; returns the user record.

        A profile belongs to one account: signing in as someone else is refused, so one
        person's unsynced edits never go out under another's name.
        """
        url = server_url.rstrip("/")
        wipe.finish_pending_wipe(self.profile_dir)
        store = Store(self.profile_dir)
        try:
            bound_url, bound_user = store.meta("server_url"), store.meta("user_name")
            if bound_user and (bound_user != user or (bound_url or "").rstrip("/") != url):
                raise SyncError(
                    Msg(
                        "该资料夹属于 {u}@{s},请为其他账号使用另一个资料夹",
                        "This profile belongs to {u} at {s}; "
                        "use another profile for other accounts",
                    ).format(u=bound_user, s=bound_url)
                )
            api = self._api(url, None)
            try:
                tokens = api.sign_in(user, password, store.device)
            finally:
                api.close()
            session = Session(url, user)
            session.store_tokens(tokens)
            self._session = session
            info = dict(tokens["user"])
            for key, value in (
                ("server_url", url),
                ("user_name", user),
                ("user_id", info["id"]),
                ("role", info.get("role")),
                ("team_id", info.get("team_id")),
                ("display_name", info.get("display_name")),
            ):
                store.set_meta(key, None if value is None else str(value))
            store.directory.upsert_users(
                [{k: info.get(k) for k in ("id", "name", "display_name", "role", "team_id")}]
            )
            self.last_error = None
            return info
        finally:
            store.close()

    def sign_out(self) -> None:
        """Revoke the session on the server (best effort) and forget every token."""
        session = self.session()
        token = session.refresh_token()
        if token:
            api = self._api(session.server_url, None)
            try:
                api.sign_out(token)
            except SyncError:
                pass  # offline: the token still expires on its own, and it is deleted here
            finally:
                api.close()
        session.forget()

    def history(self, record_ids: list[str]) -> list[dict[str, Any]]:
        """Every device's changes to these records, from the server (raises SyncError when
        it cannot be reached: the caller shows this device's entries alone)."""
        session = self.session()
        api = self._api(session.server_url, session)
        try:
            self._ensure_access(api, session)
            return api.history(record_ids)
        finally:
            api.close()

    def pool(self) -> list[dict[str, Any]]:
        """The team pool as the server has it now (raises SyncError when it cannot be reached)."""
        api = self.online_api()
        try:
            return lead_ops.pool(api)
        finally:
            api.close()

    def fairness(self, days: int) -> dict[str, Any]:
        """The server's fairness report for the signed-in lead's team over ``days`` (raises
        SyncError when it cannot be reached or the user is not a lead)."""
        api = self.online_api()
        try:
            return dict(
                api.request("GET", "/api/v1/reports/fairness", params={"days": days}).json()
            )
        finally:
            api.close()

    def claim(self, record_id: str) -> dict[str, Any]:
        """Claim a pool entry; ``outcome`` is ``won`` or ``lost`` (with who won)."""
        api = self.online_api()
        try:
            return lead_ops.claim(api, record_id)
        finally:
            api.close()

    # ---- state -----------------------------------------------------------------------------
    def state(self) -> SyncState:
        meta = self._meta()
        counts = (0, 0, 0)
        held = 0
        path = self.profile_dir / STORE_FILE
        if path.exists():
            with contextlib.suppress(cipherdb.Error, StoreLocked):
                conn = cipherdb.open_existing(path)
                try:
                    counts = conn.execute(
                        "SELECT (SELECT count(*) FROM outbox WHERE state = 'pending'),"
                        " (SELECT count(*) FROM conflicts WHERE status = 'open'),"
                        " (SELECT count(*) FROM outbox WHERE state = 'rejected')"
                    ).fetchone()
                    with contextlib.suppress(cipherdb.Error):  # a profile from before the table
                        held = int(conn.execute("SELECT count(*) FROM quarantine").fetchone()[0])
                finally:
                    conn.close()
        last = meta.get("last_synced")
        return SyncState(
            signed_in=bool(meta.get("user_name")),
            server_url=meta.get("server_url"),
            user=meta.get("display_name") or meta.get("user_name"),
            online=None if self.last_error is None and not last else self.last_error is None,
            running=self.running,
            pending=int(counts[0]),
            conflicts=int(counts[1]),
            rejected=int(counts[2]),
            quarantined=held,
            last_synced=datetime.fromisoformat(last) if last else None,
            last_error=self.last_error,
        )

    # ---- the cycle -------------------------------------------------------------------------
    def sync(
        self,
        progress: ProgressCallback = lambda p: None,
        cancelled: CancelCheck = lambda: False,
    ) -> SyncReport:
        """One full cycle; errors come back in the report (and :attr:`last_error`)."""
        try:
            report = self.sync_or_raise(progress, cancelled)
        except SyncError as exc:
            self.last_error = exc.message
            return SyncReport(error=exc.message)
        self.last_error = None
        return report

    def sync_or_raise(
        self,
        progress: ProgressCallback = lambda p: None,
        cancelled: CancelCheck = lambda: False,
    ) -> SyncReport:
        """Like :meth:`sync` but raises the :class:`SyncError` that stopped it.

        A wipe order from the server (:class:`DeviceRevoked`) stops the cycle where it came:
        nothing more is pushed, the profile is wiped, and the error is raised."""
        if wipe.finish_pending_wipe(self.profile_dir):
            raise DeviceRevoked()
        session = self.session()
        lock = filelock.FileLock(str(self.profile_dir / "sync.lock"), timeout=0)
        try:
            lock.acquire()
        except filelock.Timeout:
            raise SyncBusy() from None
        self.running = True
        # Everything sync writes can be fetched or sent again (ids make it idempotent), so its
        # connection need not wait for the disk on each commit.
        store = Store(self.profile_dir, durable=False)
        store.actor = store.meta("user_id") or store.actor
        api = self._api(session.server_url, session)
        revoked = False
        try:
            self._ensure_access(api, session)
            self._refresh_directory(api, store)
            # Lead acceptances first: they are judged by when they were made (app.sync.leads).
            send_actions(api, store)
            pushed, rejected = self._push_all(api, store, progress, cancelled)
            try:
                pulled, removed, conflicts, held = self._pull_all(api, store, progress, cancelled)
            except ResyncRequired:
                store.set_meta("cursor", None)
                pulled, removed, conflicts, held = self._pull_all(
                    api, store, progress, cancelled, full=True
                )
            removed += self._retry_evictions(store)
            pull_snapshots(api, store)
            # A team lead's verdict on this user's request has just arrived: say so.
            raised = store.alerts.refresh_approvals()
            # Records set aside are reported through an alert the next push carries.
            raised += quarantine.report(store)
            if raised:
                self._notify([Change("alert", "*", "create", ())])
            store.set_meta("last_synced", utc_now().isoformat())
            # The bulk cache has done its work: the reports below need their memory.
            store.shrink_cache()
            # The cockpit's reports are computed once here, on the sync's thread, not when the
            # lead opens it; one that cannot be computed now is computed when shown. After a
            # first sync, the indexes it put off are built on a second connection meanwhile
            # (the reports are only read then, and kept once the indexes are in).
            computed = None
            with store.restoring_indexes():
                if cockpit_cache.is_lead(store):
                    with contextlib.suppress(ValueError, TypeError, KeyError, ArithmeticError):
                        computed = cockpit_cache.compute(store, utc_now())
            if computed is not None:
                cockpit_cache.remember(store, *computed)
            return SyncReport(
                pushed=pushed,
                pulled=pulled,
                conflicts=conflicts,
                rejected=rejected,
                removed=removed,
                quarantined=held,
            )
        except SessionExpired:
            session.forget()
            raise
        except DeviceRevoked:
            revoked = True
            raise
        finally:
            api.close()
            if not revoked:
                store.checkpoint()
            store.close()
            self.running = False
            lock.release()
            if revoked:
                self._obey_wipe_order(session)

    def _obey_wipe_order(self, session: Session) -> None:
        """The server revoked this device: forget the session and wipe the profile."""
        session.forget()
        self._session = None
        wipe.wipe_profile(self.profile_dir, session.server_url, session.user)

    def online_api(self) -> ApiClient:
        """A client signed in as this profile's user, for calls outside a sync (the caller
        closes it). Raises the SyncError that prevents it (not signed in, session expired)."""
        session = self.session()
        api = self._api(session.server_url, session)
        try:
            self._ensure_access(api, session)
        except SessionExpired:
            api.close()
            session.forget()
            raise
        except BaseException:
            api.close()
            raise
        return api

    def _ensure_access(self, api: ApiClient, session: Session) -> None:
        if session.access():
            return
        token = session.refresh_token()
        if not token:
            raise SessionExpired(session.warning) if session.warning else SessionExpired()
        session.store_tokens(api.refresh(token))  # rotation: the old token is now spent

    def _refresh_directory(self, api: ApiClient, store: Store) -> None:
        directory = api.directory()
        store.directory.upsert_users(
            {k: u.get(k) for k in ("id", "name", "display_name", "role", "team_id")}
            for u in directory.get("users", [])
        )
        store.directory.upsert_teams(directory.get("teams", []))

    # ---- push ------------------------------------------------------------------------------
    def _payload(self, store: Store, op: dict[str, Any]) -> dict[str, Any]:
        audit = [
            {
                k: e[k]
                for k in (
                    "entity",
                    "record_id",
                    "field",
                    "old",
                    "new",
                    "actor",
                    "device",
                    "at",
                    "prev_hash",
                    "hash",
                )
            }
            for e in store.connection().query(
                "SELECT * FROM audit WHERE op_id = ? ORDER BY seq", (op["op_id"],)
            )
        ]
        return {
            "op_id": op["op_id"],
            "entity": op["entity"],
            "record_id": op["record_id"],
            "action": op["action"],
            "base_version": op["base_version"],
            "fields": op["fields"],
            "base": op["base"],
            "device": op["device"],
            "actor": op["actor"],
            "at": op["at"],
            "audit": audit,
        }

    def _push_all(
        self, api: ApiClient, store: Store, progress: ProgressCallback, cancelled: CancelCheck
    ) -> tuple[int, int]:
        total = store.journal.pending_count()
        done = rejected = 0
        progress(SyncProgress("push", 0, total))
        while True:
            if cancelled():
                raise Cancelled()
            batch = store.journal.pending(limit=self.push_batch)
            if not batch:
                return done, rejected
            for op in batch:
                if op["entity"] == "attachment" and op["action"] == "create":
                    self._upload_file(api, store, str(op["fields"].get("sha256", "")))
            results = api.push(store.device, [self._payload(store, op) for op in batch])
            rejected += self._record_results(store, batch, results)
            done += len(batch)
            progress(SyncProgress("push", done, total))

    def _upload_file(self, api: ApiClient, store: Store, sha256: str) -> None:
        # The server gets the plain file (over TLS); only the copy on this disk is sealed.
        if store.files.has(sha256):
            with store.files.plain_file(sha256) as path:
                api.upload(sha256, path)

    def _record_results(
        self, store: Store, batch: list[dict[str, Any]], results: list[dict[str, Any]]
    ) -> int:
        by_id = {op["op_id"]: op for op in batch}
        answered = [r for r in results if r.get("op_id") in by_id]
        records = []
        rejected = 0
        with store.connection().atomic():
            local.confirm_operations(store, answered)
            for res in answered:
                rec = res.get("record")
                op = by_id[str(res["op_id"])]
                if op["action"] == "merge":
                    if res.get("status") == "rejected":
                        merging.refused(store, op, res)
                    else:
                        merging.confirmed(store, str(op["op_id"]))
                if res.get("status") == "rejected":
                    rejected += 1
                    self._undo_rejected(store, op)
                elif isinstance(rec, dict) and isinstance(res.get("version"), int):
                    records.append(
                        local.RemoteRecord(
                            str(res["entity"]),
                            str(res["record_id"]),
                            int(res["version"]),
                            bool(rec.get("deleted")),
                            rec.get("fields", rec),
                        )
                    )
            changes = local.apply_remote(store, records)
        self._notify(changes)
        return rejected

    def _undo_rejected(self, store: Store, op: dict[str, Any]) -> None:
        """Put back what the server refused, unless a later edit touched the same fields.

        The refused values stay in the outbox entry (state ``rejected``) for the user to see.
        """
        db = store.connection()
        if op["action"] not in ("update", "stage", "decide"):
            return
        later = local.pending_fields(store, str(op["record_id"]))
        base = {k: v for k, v in op["base"].items() if k not in later}
        if op["action"] == "stage" and "stage" in base:
            base = {"stage": base["stage"]}
        if not base:
            return
        ent = entity(str(op["entity"]))
        sets = ", ".join(f"{k} = ?" for k in base)
        db.execute(
            f"UPDATE {ent.table} SET {sets} WHERE id = ?",
            [*(_encode(v) for v in base.values()), op["record_id"]],
        )
        row = store.get(str(op["entity"]), str(op["record_id"]))
        if row is not None:
            search_index.index_record(db, str(op["entity"]), row)

    # ---- pull ------------------------------------------------------------------------------
    def _pull_all(
        self,
        api: ApiClient,
        store: Store,
        progress: ProgressCallback,
        cancelled: CancelCheck,
        *,
        full: bool = False,
    ) -> tuple[int, int, int, int]:
        pulled = removed = conflicts = held = 0
        # Only a full resync needs every id it was sent (to drop what the server no longer
        # has); a first sync would otherwise hold the whole data set's ids in memory.
        seen: set[str] | None = set() if full else None
        cursor = None if full else store.meta("cursor")
        limit = self.pull_page

        if cursor is None and not full:
            # A first sync: the secondary indexes are built once, when it ends (below, or in
            # the sync that resumes it).
            store.defer_indexes()
        if not full and self.pack_page > 0 and store.meta(DEFERRED_META) is not None:
            # A first sync (or one resumed) takes the feed as packs while the server makes
            # them, then goes on as JSON from wherever they stopped.
            pulled, removed, conflicts, held = self._pull_packs(api, store, progress, cancelled)
            cursor = store.meta("cursor")

        def fetch(after: str | None) -> bytes:
            return api.pull(after, limit)

        # The next page downloads while this one is written: the server's time and ours
        # overlap. The download thread only waits on the socket; decoding the page, building
        # rows and search documents all happen here, on the writing thread. SQLite lets go of
        # the GIL for every row it inserts, and a second thread busy with Python code then
        # holds the writer up for longer than the work it would save.
        with (
            store.checkpointing() as after_commit,
            ThreadPoolExecutor(1, thread_name_prefix="fieldcrm-pull") as pool,
            without_cycle_collector(),
            _Grouped(
                store, self.commit_every, self.commit_seconds, after_commit, self._notify
            ) as group,
        ):
            upcoming: Future[bytes] | None = pool.submit(fetch, cursor)
            while upcoming is not None:
                if cancelled():
                    upcoming.cancel()
                    raise Cancelled()
                page = local.decode_page(upcoming.result())
                upcoming = pool.submit(fetch, page.cursor) if page.more else None
                try:
                    group.begin()
                    changes, counts = self._apply_page(store, page, seen)
                    group.done(changes, len(page.records), final=not page.more)
                except BaseException:
                    if upcoming is not None:
                        upcoming.cancel()
                    raise
                n_records, n_removed, n_conflicts, n_held = counts
                # The young generations only: what a page left in reference cycles (the HTTP
                # response, futures) is freed at once, so memory stays bounded over a long
                # first sync, while the old generation (the heap) is never walked.
                gc.collect(1)
                pulled += n_records
                removed += n_removed
                conflicts += n_conflicts
                held += n_held
                if page.rules_version != int(store.meta("rules_version") or 0):
                    rules = api.rules()
                    store.set_rules_json(json.dumps(rules["rules"], ensure_ascii=False))
                    store.set_meta("rules_version", str(rules["version"]))
                progress(SyncProgress("pull", pulled, 0))
        if seen is not None:
            removed += self._drop_unseen(store, seen)
        # The rest are built beside the work that follows the pull (sync_or_raise).
        store.restore_indexes(only=BUILT_FIRST)
        return pulled, removed, conflicts, held

    def _pull_packs(
        self, api: ApiClient, store: Store, progress: ProgressCallback, cancelled: CancelCheck
    ) -> tuple[int, int, int, int]:
        """Pull packs (app.sync.bulk) until the feed's end, or until the server or this device
        cannot use them. A thread downloads them ahead while they are stored; each is stored
        in its own transaction (a few seconds at most: an edit the user saves meanwhile waits
        for the write lock), with its cursor."""
        totals = [0, 0, 0, 0]
        profile = store.profile_dir
        bulk.discard_leftovers(profile)
        downloads = _Downloads(api, profile, store.meta("cursor"), self.pack_page)
        try:
            with store.checkpointing() as after_commit, without_cycle_collector():
                while True:
                    arrived = downloads.take(cancelled)
                    if arrived is None:
                        break
                    try:
                        result = bulk.apply(
                            store,
                            arrived.path,
                            arrived.key,
                            lambda page: self._apply_page(store, page, None),
                        )
                    except bulk.NotAPack:
                        break  # nothing of it was stored: the JSON feed takes over
                    finally:
                        arrived.path.unlink(missing_ok=True)
                    after_commit()
                    self._notify(result.changes)
                    gc.collect(1)
                    totals = [t + n for t, n in zip(totals, result.counts, strict=True)]
                    if result.rules_version != int(store.meta("rules_version") or 0):
                        rules = api.rules()
                        store.set_rules_json(json.dumps(rules["rules"], ensure_ascii=False))
                        store.set_meta("rules_version", str(rules["version"]))
                    progress(SyncProgress("pull", totals[0], 0))
                    if not result.more:
                        break
        finally:
            downloads.stop()
            bulk.discard_leftovers(profile)
        return totals[0], totals[1], totals[2], totals[3]

    def _apply_page(
        self, store: Store, page: local.PulledPage, seen: set[str] | None
    ) -> tuple[list[Change], tuple[int, int, int, int]]:
        """Write one pulled page and advance the cursor, in one transaction; returns its
        changes (for the listeners, once committed) and the counts of records stored,
        removed, conflicts and records set aside.

        Records this device cannot read or store are set aside (app.sync.quarantine) and the
        cursor moves past them all the same: one bad record never stops the sync.
        """
        if seen is not None:
            seen.update(r.id for r in page.records)
            # A record set aside is still on the server: a full resync must not drop our copy.
            seen.update(q.record_id for q in page.quarantined if q.record_id)
        with store.connection().atomic():
            # Merges first: pending edits of a merged record are redirected before its
            # tombstone is stored (app.store.merging).
            merged_away = merging.apply_pulled(store, page.records)
            changes, failed = self._apply_records(store, page.records)
            gone = {q.record_id for q in failed}
            quarantine.release(
                store,
                [r.id for r in page.records if r.id not in gone]
                + [rid for _kind, rid in page.removals],
            )
            held = quarantine.hold(store, [*page.quarantined, *failed])
            conflicts = self._store_conflicts(store, page.conflicts)
            deferred = self._evict(store, page.removals)
            later = deferred + self._evict(store, merged_away)
            if later:
                self._defer_evictions(store, later)
            store.set_meta("cursor", page.cursor)
        return changes, (
            len(page.records) - len(failed),
            len(page.removals) - len(deferred),
            conflicts,
            held,
        )

    def _apply_records(
        self, store: Store, records: list[local.RemoteRecord]
    ) -> tuple[list[Change], list[Quarantined]]:
        """Store a page's records; if that fails on their values, store them one at a time and
        return those that fail as set aside. (Each attempt is a savepoint: a failed one
        leaves nothing behind.)"""
        try:
            return local.apply_remote(store, records), []
        except local.UNSTORABLE:
            pass
        changes: list[Change] = []
        failed: list[Quarantined] = []
        for rec in records:
            try:
                changes += local.apply_remote(store, [rec])
            except local.UNSTORABLE as exc:
                failed.append(
                    Quarantined(
                        rec.entity,
                        rec.id,
                        rec.version,
                        json.dumps(dict(rec.values), ensure_ascii=False, default=str),
                        Msg("无法保存该记录:{e}", "The record could not be stored: {e}").format(
                            e=f"{type(exc).__name__}: {str(exc)[:200]}"
                        ),
                    )
                )
        return changes, failed

    def _store_conflicts(self, store: Store, items: Iterable[dict[str, Any]]) -> int:
        db = store.connection()
        new = 0
        for item in items:
            data = item.get("fields") or {}
            if item.get("deleted"):
                continue
            if data.get("resolved"):
                db.execute(
                    "UPDATE conflicts SET status = 'resolved', resolved_at = coalesce("
                    "resolved_at, ?) WHERE id = ?",
                    (utc_now().isoformat(), item["id"]),
                )
                continue
            exists = db.execute("SELECT 1 FROM conflicts WHERE id = ?", (item["id"],)).fetchone()
            if exists:
                continue
            field = str(data.get("field"))
            if data.get("key"):
                field = f"{field}.{data['key']}"
            store.conflicts.record(
                str(data.get("entity")),
                str(data.get("record_id")),
                field,
                data.get("kept"),
                data.get("lost"),
                other_author=data.get("lost_by"),
                other_device=data.get("lost_device"),
                other_at=data.get("created_at"),
                lost_here=data.get("lost_device") == store.device,
                conflict_id=str(item["id"]),
            )
            new += 1
        return new

    def _evict(self, store: Store, removals: list[tuple[str, str]]) -> list[tuple[str, str]]:
        deferred = []
        for entity_name, record_id in removals:
            if entity_name == "conflict":
                continue
            if not local.evict_record(store, entity_name, record_id):
                deferred.append((entity_name, record_id))
        return deferred

    def _defer_evictions(self, store: Store, items: list[tuple[str, str]]) -> None:
        old = json.loads(store.meta("deferred_evictions") or "[]")
        store.set_meta("deferred_evictions", json.dumps(old + [list(i) for i in items]))

    def _retry_evictions(self, store: Store) -> int:
        """Records that left the scope while edits to them were pending, once pushed."""
        items = [tuple(i) for i in json.loads(store.meta("deferred_evictions") or "[]")]
        if not items:
            return 0
        still = self._evict(store, [(str(e), str(r)) for e, r in items])
        store.set_meta("deferred_evictions", json.dumps([list(i) for i in still]))
        return len(items) - len(still)

    def _drop_unseen(self, store: Store, seen: set[str]) -> int:
        """After a full resync, remove synced records the server no longer sends."""
        gone = 0
        for ent in ENTITIES.values():
            ids = [
                r[0]
                for r in store.connection().execute(
                    f"SELECT id FROM {ent.table} WHERE _version > 0"
                )
            ]
            for rid in ids:
                if rid not in seen and local.evict_record(store, ent.name, rid):
                    gone += 1
        return gone

    def _notify(self, changes: list[Change]) -> None:
        if changes:
            for listener in list(self.listeners):
                listener(changes)

    # ---- files -----------------------------------------------------------------------------
    def fetch_file(self, sha256: str, filename: str | None = None) -> Path:
        """A plain copy of an attachment's file to open, downloading it first if missing.

        The download lands beside the kept files and is sealed once its hash is checked.
        """
        store = Store(self.profile_dir)
        try:
            if not store.files.has(sha256) or not is_sealed(store.files.path(sha256)):
                self._download(store, sha256)
            return store.files.open_copy(sha256, filename)
        finally:
            store.close()

    def _download(self, store: Store, sha256: str) -> None:
        if not store.files.has(sha256):
            session = self.session()
            api = self._api(session.server_url, session)
            try:
                self._ensure_access(api, session)
                api.download(sha256, store.files.download_target(sha256))
            except DeviceRevoked:
                self._obey_wipe_order(session)
                raise
            finally:
                api.close()
        if not store.files.adopt(sha256):
            raise SyncError(
                Msg("下载的附件校验失败,请重试", "The downloaded file failed its check; try again")
            )


@dataclass(frozen=True)
class _Arrived:
    path: Path
    key: bytes
    meta: bulk.PackMeta


class _Downloads:
    """Packs downloaded one after another on a thread of their own, a few ahead of the
    writer, each streamed into a file (encrypted) in the profile folder until it is stored."""

    _END = object()

    def __init__(self, api: ApiClient, profile: Path, cursor: str | None, limit: int) -> None:
        self._api = api
        self._profile = profile
        self._limit = limit
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=PACKS_AHEAD)
        self._stopped = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(cursor,), name="fieldcrm-packs", daemon=True
        )
        self._thread.start()

    def _run(self, cursor: str | None) -> None:
        # The first packs are small, so that storing starts soon; then they grow to the limit.
        limit = min(self._limit, FIRST_PACK)
        key = secrets.token_bytes(32)  # each pack's own, never written down
        try:
            while not self._stopped.is_set():
                next_limit, next_key = min(self._limit, limit * 2), secrets.token_bytes(32)
                got = self._fetch(cursor, limit, key, (next_limit, next_key))
                self._put(got if got is not None else self._END)
                if got is None or not got.meta.more:
                    return
                cursor, limit, key = got.meta.cursor, next_limit, next_key
        except BaseException as exc:  # handed to the writer, which raises it
            self._put(exc)

    def _put(self, item: Any) -> None:
        while not self._stopped.is_set():
            with contextlib.suppress(queue.Full):
                self._queue.put(item, timeout=0.2)
                return
        if isinstance(item, _Arrived):
            item.path.unlink(missing_ok=True)

    def _fetch(
        self, cursor: str | None, limit: int, key: bytes, ahead: tuple[int, bytes]
    ) -> _Arrived | None:
        path = bulk.new_file(self._profile, uuid.uuid4().hex)
        try:
            if not self._api.pull_pack(cursor, limit, key, path, ahead):
                path.unlink(missing_ok=True)
                return None  # a server without packs
            return _Arrived(path, key, bulk.read_meta(path, key))
        except bulk.NotAPack:
            path.unlink(missing_ok=True)
            return None
        except BaseException:
            path.unlink(missing_ok=True)
            raise

    def take(self, cancelled: CancelCheck) -> _Arrived | None:
        """The next pack, waiting for it; None at the end. Raises what stopped the downloads,
        or :class:`Cancelled`."""
        while True:
            if cancelled():
                raise Cancelled()
            try:
                item = self._queue.get(timeout=0.2)
                break
            except queue.Empty:
                continue
        if isinstance(item, BaseException):
            raise item
        return None if item is self._END else cast(_Arrived, item)

    def stop(self) -> None:
        """Stop downloading; remove what was downloaded and not taken."""
        self._stopped.set()
        self._drain()
        # A download under way ends by itself (its file is removed when it cannot be queued,
        # or by the next sync's discard_leftovers): nobody waits for it.
        self._thread.join(timeout=1.0)
        self._drain()

    def _drain(self) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, _Arrived):
                item.path.unlink(missing_ok=True)


class _Grouped:
    """Several pulled pages in one transaction, committed once ``every`` records have been
    written or ``seconds`` have passed since it began (and after the last page).

    Each page still advances the cursor inside the transaction, so whatever is committed is
    consistent and a sync cut off in between resumes from the last commit. Listeners hear of
    a group's changes once it is committed, when other connections can read them.
    """

    def __init__(
        self,
        store: Store,
        every: int,
        seconds: float,
        after_commit: Callable[[], None],
        notify: Callable[[list[Change]], None],
    ) -> None:
        self._db = store.connection()
        self._every = every
        self._seconds = seconds
        self._began = 0.0
        self._after_commit = after_commit
        self._notify = notify
        self._open: contextlib.ExitStack | None = None
        self._written = 0
        self._changes: list[Change] = []

    def __enter__(self) -> _Grouped:
        return self

    def begin(self) -> None:
        """Open the group's transaction unless one is open."""
        if self._open is None:
            stack = contextlib.ExitStack()
            stack.enter_context(self._db.atomic())
            self._open = stack
            self._began = time.monotonic()

    def done(self, changes: list[Change], written: int, *, final: bool) -> None:
        """A page is written; commit when the group is full or the page was the last."""
        self._changes += changes
        self._written += written
        if final or self._written >= self._every or time.monotonic() - self._began >= self._seconds:
            self._commit()

    def _commit(self) -> None:
        if self._open is None:
            return
        stack, self._open = self._open, None
        stack.close()
        self._after_commit()
        changes, self._changes, self._written = self._changes, [], 0
        self._notify(changes)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: Any
    ) -> None:
        # Stopped by an error or a cancel: a page that failed was rolled back to its own
        # savepoint, so the pages before it are whole and are kept. (SQLite may have ended
        # the transaction itself, on a full disk say: then there is nothing to keep.)
        if self._open is not None and self._db.conn.in_transaction:
            self._commit()
        elif self._open is not None:
            stack, self._open = self._open, None
            stack.__exit__(kind, error, tb)


__all__ = ["Refused", "SyncEngine"]
