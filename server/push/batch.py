"""One push as one transaction (docs/SYNC.md §2 and §8): operation ids seen before answer with
their stored first result; every record the batch touches is locked up front in id order; each
operation is judged on its own; everything is written in one flush; and the whole batch is
retried when the database reports a deadlock, a serialisation failure or a concurrent
duplicate (the retry then finds the first results)."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, select
from sqlalchemy.exc import DBAPIError

from app.domain.merges import MAX_CHAIN
from app.domain.schema import ENTITIES
from server import auth, cache
from server.attachments import usable_blobs
from server.db import blobs, dumps, operations, records, write_tx
from server.push import rejections as R
from server.push.approvals import decide
from server.push.context import CONFLICT_ENTITY, Batch
from server.push.create import create
from server.push.delete import delete
from server.push.merge import merge
from server.push.redirect import redirect
from server.push.rejections import Rejected
from server.push.resolve import resolve
from server.push.results import Outcome, rejected
from server.push.stage import stage
from server.push.update import update
from server.push.wire import ACTIONS, Operation, prepare
from server.records import Viewer, Workspace

log = logging.getLogger("fieldcrm.server.push")

_HANDLERS: dict[str, Callable[[Batch, Operation], dict[str, Any]]] = {
    "create": create,
    "update": update,
    "delete": delete,
    "stage": stage,
    "decide": decide,
    "resolve": resolve,
    "merge": merge,
}
assert set(_HANDLERS) == set(ACTIONS)


class TooManyOperations(Exception):
    """The batch is larger than the server accepts (checked after the token)."""


_TOKEN_AND_VERSIONS = auth.token_query(*cache.version_columns())
# (rules version, directory version) read with the token, or None to read them separately.
Versions = tuple[int | None, int | None] | None
Identify = Callable[[Connection], tuple[Viewer, Versions]]


def push(
    engine: Engine,
    viewer: Viewer,
    device: str,
    raw_ops: list[Any],
    *,
    attempts: int = 6,
) -> list[dict[str, Any]]:
    """Apply a batch in one transaction, retried whole when the database asks for it."""
    outcomes = _push(engine, lambda _conn: (viewer, None), device, raw_ops, attempts=attempts)
    return [o.as_dict() for o in outcomes]


def push_json(
    engine: Engine,
    access_token: str,
    device: str,
    raw_ops: list[Any],
    *,
    max_ops: int,
    attempts: int = 6,
) -> str:
    """:func:`push` for the HTTP API: the token is checked inside the push's transaction (in
    the query that also reads the directory and rule versions) and the answer is the response
    body, built from the results' stored JSON text.

    Raises :class:`server.auth.AuthError` for a refused token and :class:`TooManyOperations`.
    """

    def identify(conn: Connection) -> tuple[Viewer, Versions]:
        row = auth.authenticate_in(conn, access_token, _TOKEN_AND_VERSIONS)
        if len(raw_ops) > max_ops:
            raise TooManyOperations
        return auth.viewer_of(row), (row.rules_version, row.directory_version)

    outcomes = _push(engine, identify, device, raw_ops, attempts=attempts)
    return '{"results":[' + ",".join(o.as_text() for o in outcomes) + "]}"


def apply_push(
    conn: Connection, viewer: Viewer, device: str, raw_ops: list[Any], *, now: float
) -> list[dict[str, Any]]:
    """Apply operations inside the caller's transaction and return one result per operation."""
    outcomes = _apply(conn, viewer, device, prepare(raw_ops), now=now, versions=None)
    return [o.as_dict() for o in outcomes]


def _push(
    engine: Engine, identify: Identify, device: str, raw_ops: list[Any], *, attempts: int
) -> list[Outcome]:
    parsed = prepare(raw_ops)  # before any row is locked
    for attempt in range(attempts):
        try:
            with write_tx(engine) as conn:
                viewer, versions = identify(conn)
                return _apply(conn, viewer, device, parsed, now=time.time(), versions=versions)
        except DBAPIError as exc:
            if attempt == attempts - 1 or not _retryable(exc):
                raise
            log.info("push retried after %s", type(exc.orig).__name__)
            time.sleep(random.uniform(0.005, 0.05) * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


def _retryable(exc: DBAPIError) -> bool:
    if exc.connection_invalidated:
        # The connection broke (database restarted): whether or not the batch committed, the
        # retry is safe, since operations already stored answer with their first result.
        return True
    code = getattr(exc.orig, "sqlstate", None)
    if code in ("40001", "40P01", "23505"):
        return True
    text = str(exc.orig).lower()
    return "database is locked" in text or "unique constraint failed" in text


def _apply(
    conn: Connection,
    viewer: Viewer,
    device: str,
    parsed: list[Operation | dict[str, Any]],
    *,
    now: float,
    versions: Versions,
) -> list[Outcome]:
    rules_version, directory_version = versions if versions else cache.read_versions(conn)
    ws = Workspace(conn, now, cache.directory(conn, directory_version))
    batch = Batch(ws, viewer, device, cache.rules(conn, rules_version))
    ops = [op for op in parsed if isinstance(op, Operation)]
    # Operation ids seen before are looked up before any row is locked. A concurrent push of
    # the same id is not visible yet, but its operations row is: inserting ours then fails
    # with a duplicate key, and the retry of the whole batch finds the first result.
    seen = _first_results(conn, [op.op_id for op in ops])
    _prefetch(batch, [op for op in ops if op.op_id not in seen])

    results: list[Outcome] = []
    op_rows: list[dict[str, Any]] = []
    in_batch: dict[str, Outcome] = {}
    for item in parsed:
        if not isinstance(item, Operation):
            results.append(Outcome(item))
            continue
        op = item
        if op.op_id in in_batch:
            results.append(in_batch[op.op_id].replayed())
            continue
        if op.op_id in seen:
            owner, stored = seen[op.op_id]
            if owner == viewer.id:
                results.append(Outcome(text=stored).replayed())
            else:
                results.append(Outcome(rejected(op, R.OP_ID_TAKEN())))
            continue
        result = _apply_one(batch, op)
        # Serialised now: later operations of the batch may change the same record.
        outcome = Outcome(result, dumps(result))
        in_batch[op.op_id] = outcome
        results.append(outcome)
        op_rows.append(
            {
                "op_id": op.op_id,
                "user_id": viewer.id,
                "device": op.device or device,
                "entity": op.entity[:20],
                "record_id": op.record_id,
                "action": op.action[:10],
                "status": result["status"],
                "result": outcome.as_text(),
                "payload": op.payload,
                "received_at": now,
            }
        )
    ws.insert_later(operations, op_rows)
    ws.flush()
    return results


def _apply_one(batch: Batch, op: Operation) -> dict[str, Any]:
    """One operation's result; a rejection ends only this operation."""
    try:
        if op.action not in ACTIONS:
            raise R.UNKNOWN_ACTION.format(action=op.action[:20])()
        if op.entity == CONFLICT_ENTITY:
            return resolve(batch, op)
        if op.entity not in ENTITIES:
            raise R.UNKNOWN_ENTITY.format(entity=op.entity)()
        sent = op
        op, origin = redirect(batch, op)
        out = _HANDLERS[op.action](batch, op)
    except Rejected as err:
        return rejected(op, err)
    if origin is not None:
        out["redirected_from"] = origin
    if origin is not None or op is not sent or batch.granted:
        # A record outside the user's scope (a survivor, a row a merge moved) is acted on,
        # never shown.
        rec = batch.ws.get(str(out.get("record_id")))
        if rec is not None and not batch.directory.can_see(batch.viewer, rec.scope_owner):
            out.pop("record", None)
            out.pop("version", None)
    return out


_FIRST_RESULTS = select(operations.c.op_id, operations.c.user_id, operations.c.result).where(
    operations.c.op_id.in_(bindparam("ids", expanding=True))
)


def _first_results(conn: Connection, op_ids: list[str]) -> dict[str, tuple[str, str]]:
    """The owner and stored result (JSON text) of operation ids seen before."""
    out: dict[str, tuple[str, str]] = {}
    unique = sorted(set(op_ids))
    for i in range(0, len(unique), 500):
        rows = conn.execute(_FIRST_RESULTS, {"ids": unique[i : i + 500]})
        out.update({r.op_id: (r.user_id, r.result) for r in rows})
    return out


def _prefetch(batch: Batch, ops: list[Operation]) -> None:
    """Lock every record the batch touches, and its parents, in one id-ordered sweep; read the
    deals' attachments, approvals and tasks and which of the named files the server holds."""
    ws = batch.ws
    ids: set[str] = set()
    for op in ops:
        ids.add(op.record_id)
        for key in ("customer_id", "deal_id"):
            value = op.fields.get(key)
            if isinstance(value, str) and len(value) <= 64:
                ids.add(value)
        merged = op.fields.get("merged") if op.action == "merge" else None
        if isinstance(merged, list):
            ids.update(x for x in merged[:50] if isinstance(x, str) and len(x) <= 64)
    ws.lock_with_parents(ids)
    # Merged records' survivors (along chains): operations naming them are redirected.
    for _ in range(MAX_CHAIN):
        targets = {
            str(r.data["merged_into"])
            for r in ws.recs.values()
            if r.deleted and isinstance(r.data.get("merged_into"), str)
        } - set(ws.recs)
        if not targets:
            break
        ws.lock_with_parents(targets)
    # Parents discovered only now (a row moved meanwhile) are locked in a second, rare sweep.
    extra = {x for r in ws.recs.values() for x in (r.customer_id, r.deal_id) if x}
    ws.load(extra - set(ws.recs))

    deal_ids = {r.id for r in ws.recs.values() if r.entity == "deal"}
    deal_ids |= {
        r.deal_id for r in ws.recs.values() if r.entity == "approval" and r.deal_id is not None
    }
    if deal_ids:
        for rec in ws.load_where(
            records.c.deal_id.in_(sorted(deal_ids)),
            # Tasks too: a ``task_done`` lock asks which of the deal's tasks are done.
            records.c.entity.in_(("attachment", "approval", "task")),
            records.c.deleted.is_(False),
            lock=False,
        ):
            batch.index_child(rec)
    named = {
        str(op.fields["sha256"])
        for op in ops
        if op.entity == "attachment" and isinstance(op.fields.get("sha256"), str)
    }
    batch.usable_blobs = usable_blobs(ws.conn, batch.viewer, named)
    shas = named | {r.blob_sha256 for r in ws.recs.values() if r.blob_sha256}
    if shas:
        rows = ws.conn.execute(select(blobs.c.sha256).where(blobs.c.sha256.in_(sorted(shas))))
        batch.blobs_present = {r.sha256 for r in rows}
