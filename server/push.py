"""Applying a device's batch of operations (SPEC S1–S3, P2–P4, P6).

Every operation gets its own result — ``applied``, ``merged``, ``conflict`` or ``rejected``
(with a reason code and a message in Chinese and English) — so one bad operation never blocks
the rest of a device's queue. An operation id seen before returns the stored first result and
changes nothing. Nothing the device says is trusted: scope, validation, stage locks, approvals
and follow-up rules are all checked again here against the server's own data.
"""

from __future__ import annotations

import logging
import random
import re
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError
from sqlalchemy import Connection, Engine, and_, bindparam, func, select
from sqlalchemy.exc import DBAPIError

from app.domain.audit import entry_hash
from app.domain.followups import validate_followup
from app.domain.merge import MISSING, FieldConflict, changed_since, merge_edit
from app.domain.messages import Msg
from app.domain.process import DealFacts, Move, decide_move
from app.domain.rules import LOST, ProcessRules
from app.domain.schema import ENTITIES, validate_values
from server import auth, cache
from server.admin import reassign_customer
from server.db import blobs, dumps, loads, operations, records, write_tx
from server.records import Directory, Rec, Viewer, Workspace

log = logging.getLogger("fieldcrm.server.push")

ACTIONS = ("create", "update", "delete", "stage", "decide", "resolve")
CONFLICT_ENTITY = "conflict"
# Set by the server whatever the device sends; silently replaced rather than refused because an
# honest client may echo them from its local copy.
SERVER_MANAGED = frozenset(
    {
        "created_at",
        "updated_at",
        "author",
        "created_by",
        "requested_by",
        "requested_at",
        "decided_by",
        "decided_at",
        "last_followup_at",
        "stage_entered_at",
    }
)
# A user field whose change is not something a concurrent delete "did not see".
_BOOKKEEPING = frozenset({"updated_at", "last_followup_at"})
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_TEXT = 20_000
MAX_DEPTH = 8
_CONFLICT_NS = uuid.UUID("6f1c3a52-3f43-4c59-9a57-6d1a0d1f7e21")


class Operation(BaseModel):
    """One operation from a device's outbox (see docs/SYNC.md)."""

    model_config = ConfigDict(extra="forbid")

    op_id: str = Field(pattern=ID_PATTERN)
    entity: str = Field(max_length=20)
    record_id: str = Field(pattern=ID_PATTERN)
    action: str = Field(max_length=20)
    base_version: int = Field(default=0, ge=0, le=2**31)
    fields: dict[str, Any] = Field(default_factory=dict)
    base: dict[str, Any] = Field(default_factory=dict)
    device: str | None = Field(default=None, max_length=100)
    actor: str | None = Field(default=None, max_length=100)
    at: str | None = Field(default=None, max_length=40)
    audit: list[dict[str, Any]] = Field(default_factory=list, max_length=500)
    # The operation as stored in ``operations.payload``, serialised before any row is locked.
    _payload: str = PrivateAttr(default="")


class Rejected(Exception):
    """Ends one operation with a ``rejected`` result."""

    def __init__(self, code: str, message: Msg, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.message = message
        self.extra = extra


def _reject(code: str, zh: str, en: str, **extra: Any) -> Rejected:
    return Rejected(code, Msg(zh, en), **extra)


NOT_FOUND = (
    "not_found",
    "记录不存在或无权访问",
    "The record does not exist or is not yours to see",
)


# NUL and lone surrogates: PostgreSQL text cannot hold them, and UTF-8 cannot encode the latter.
_INVALID_TEXT = re.compile("[\x00\ud800-\udfff]")


def check_json(value: Any, depth: int = 0) -> None:
    """Refuse values a database cannot store or that are absurdly deep or long."""
    if depth > MAX_DEPTH:
        raise ValueError("nested too deeply")
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise ValueError("text too long")
        if value.isascii():
            if "\x00" in value:
                raise ValueError("text with invalid characters")
        elif _INVALID_TEXT.search(value):
            raise ValueError("text with invalid characters")
    elif isinstance(value, dict):
        for k, v in value.items():
            check_json(k, depth + 1)
            check_json(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            check_json(v, depth + 1)
    elif isinstance(value, float) and value != value:
        raise ValueError("not a number")


@dataclass
class Batch:
    """State shared by the operations of one push."""

    ws: Workspace
    viewer: Viewer
    device: str
    rules: ProcessRules
    deal_files: dict[str, set[tuple[str, str | None]]] = field(default_factory=dict)
    approvals: dict[str, list[Rec]] = field(default_factory=dict)
    blobs_present: set[str] = field(default_factory=set)

    @property
    def directory(self) -> Directory:
        return self.ws.directory


class TooManyOperations(Exception):
    """The batch is larger than the server accepts (checked after the token)."""


class Outcome:
    """One operation's result, as a dict, as stored JSON text, or both (built on demand)."""

    __slots__ = ("_data", "_text")

    def __init__(self, data: dict[str, Any] | None = None, text: str | None = None) -> None:
        self._data, self._text = data, text

    def as_dict(self) -> dict[str, Any]:
        if self._data is None:
            self._data = loads(self._text)
        return self._data

    def as_text(self) -> str:
        if self._text is None:
            self._text = dumps(self._data)
        return self._text

    def replayed(self) -> Outcome:
        """The same result marked ``"replayed": true`` (spliced into the stored text)."""
        return Outcome(text=self.as_text()[:-1] + ',"replayed":true}')


_TOKEN_AND_VERSIONS = auth.token_query(*cache.version_columns())
# (rules version, directory version) read with the token, or None to read them separately.
Versions = tuple[int | None, int | None] | None
Identify = Callable[[Connection], tuple[Viewer, Versions]]


def prepare(raw_ops: list[Any]) -> list[Operation | dict[str, Any]]:
    """Parse and check a batch before any database work (and before any row is locked): an
    :class:`Operation` per well-formed entry, a ``malformed`` result for the others."""
    parsed: list[Operation | dict[str, Any]] = []
    for raw in raw_ops:
        try:
            if not isinstance(raw, dict):
                raise ValueError("an operation must be an object")
            check_json(raw)
            op = Operation.model_validate(raw)
            op._payload = dumps(op.model_dump())
            parsed.append(op)
        except (ValidationError, ValueError) as exc:
            parsed.append(_malformed(raw, exc))
    return parsed


def push(
    engine: Engine,
    viewer: Viewer,
    device: str,
    raw_ops: list[Any],
    *,
    attempts: int = 6,
) -> list[dict[str, Any]]:
    """Apply a batch in one transaction; retried whole when the database reports a deadlock,
    a serialisation failure or a concurrent duplicate (the retry then finds the first result).
    """
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


def _push(
    engine: Engine, identify: Identify, device: str, raw_ops: list[Any], *, attempts: int
) -> list[Outcome]:
    parsed = prepare(raw_ops)
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


def apply_push(
    conn: Connection,
    viewer: Viewer,
    device: str,
    raw_ops: list[Any],
    *,
    now: float,
    before_flush: Callable[[], None] | None = None,
) -> list[dict[str, Any]]:
    """Apply operations inside the caller's transaction and return one result per operation.

    ``before_flush`` is a test hook that runs after the records are locked and changed in
    memory but before anything is written.
    """
    outcomes = _apply(
        conn, viewer, device, prepare(raw_ops), now=now, versions=None, before_flush=before_flush
    )
    return [o.as_dict() for o in outcomes]


def _apply(
    conn: Connection,
    viewer: Viewer,
    device: str,
    parsed: list[Operation | dict[str, Any]],
    *,
    now: float,
    versions: Versions,
    before_flush: Callable[[], None] | None = None,
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
                results.append(
                    Outcome(
                        _rejected_result(
                            op,
                            _reject(
                                "op_id_taken",
                                "操作编号已被使用",
                                "This operation id is already taken",
                            ),
                        )
                    )
                )
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
                "payload": op._payload,
                "received_at": now,
            }
        )
    ws.insert_later(operations, op_rows)
    if before_flush is not None:
        before_flush()
    ws.flush()
    return results


def _malformed(raw: Any, exc: Exception) -> dict[str, Any]:
    op_id = raw.get("op_id") if isinstance(raw, dict) else None
    if isinstance(exc, ValidationError):
        where = "; ".join(
            ".".join(str(p) for p in e["loc"]) + ": " + e["msg"] for e in exc.errors()[:5]
        )
    else:
        where = str(exc)
    return {
        "op_id": op_id if isinstance(op_id, str) and len(op_id) <= 64 else None,
        "status": "rejected",
        "code": "malformed",
        "message": Msg("操作格式错误:{w}", "Malformed operation: {w}").format(w=where).as_dict(),
    }


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
    """Lock every record the batch touches, and its parents, in one id-ordered sweep."""
    ws = batch.ws
    ids: set[str] = set()
    for op in ops:
        ids.add(op.record_id)
        for key in ("customer_id", "deal_id"):
            value = op.fields.get(key)
            if isinstance(value, str) and len(value) <= 64:
                ids.add(value)
    ws.lock_with_parents(ids)
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
            records.c.entity.in_(("attachment", "approval")),
            records.c.deleted.is_(False),
            lock=False,
        ):
            _index_child(batch, rec)
    shas = {r.blob_sha256 for r in ws.recs.values() if r.blob_sha256}
    shas |= {
        str(op.fields["sha256"])
        for op in ops
        if op.entity == "attachment" and isinstance(op.fields.get("sha256"), str)
    }
    if shas:
        rows = ws.conn.execute(select(blobs.c.sha256).where(blobs.c.sha256.in_(sorted(shas))))
        batch.blobs_present = {r.sha256 for r in rows}


def _index_child(batch: Batch, rec: Rec) -> None:
    if rec.deal_id is None or rec.deleted:
        return
    if rec.entity == "attachment":
        batch.deal_files.setdefault(rec.deal_id, set()).add(
            (str(rec.data.get("kind")), rec.blob_sha256)
        )
    elif rec.entity == "approval":
        bucket = batch.approvals.setdefault(rec.deal_id, [])
        if rec not in bucket:
            bucket.append(rec)


def _deal_attachment_kinds(batch: Batch, deal_id: str) -> set[str]:
    """Kinds of the deal's attachments whose file the server holds (a row alone proves
    nothing: the lock is about a document, not a claim that one exists)."""
    return {
        kind for kind, sha in batch.deal_files.get(deal_id, set()) if sha in batch.blobs_present
    }


# ---------------------------------------------------------------- results


def _result(op: Operation, status: str, rec: Rec | None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "op_id": op.op_id,
        "status": status,
        "entity": op.entity,
        "record_id": op.record_id,
    }
    if rec is not None:
        out["version"] = rec.version
        out["record"] = rec.view()
    out.update(extra)
    return out


def _rejected_result(op: Operation, err: Rejected) -> dict[str, Any]:
    out = _result(op, "rejected", None, code=err.code, message=err.message.as_dict())
    out.update(err.extra)
    return out


def _apply_one(batch: Batch, op: Operation) -> dict[str, Any]:
    try:
        if op.action not in ACTIONS:
            raise _reject(
                "unknown_action",
                "未知操作类型:" + op.action[:20],
                "Unknown action: " + op.action[:20],
            )
        if op.entity == CONFLICT_ENTITY:
            if op.action != "resolve":
                raise _reject(
                    "not_allowed",
                    "冲突记录只能标记为已处理",
                    "A conflict can only be marked resolved",
                )
            return _resolve(batch, op)
        if op.entity not in ENTITIES:
            raise _reject(
                "unknown_entity",
                "未知数据类型:" + op.entity,
                "Unknown kind of record: " + op.entity,
            )
        handler = _HANDLERS[op.action]
        return handler(batch, op)
    except Rejected as err:
        return _rejected_result(op, err)


# ---------------------------------------------------------------- helpers


def _visible(batch: Batch, rec: Rec | None) -> Rec:
    """The record if it exists and the user may see it; otherwise the same "not found" for
    both cases, so ids cannot be probed."""
    if rec is None or not batch.directory.can_see(batch.viewer, rec.scope_owner):
        raise _reject(*NOT_FOUND)
    return rec


def _validation_error(errors: Mapping[str, Msg]) -> Rejected:
    first = next(iter(errors.values()))
    return Rejected(
        "invalid",
        Msg("数据校验未通过:{zh}", "Validation failed: {en}").format(zh=first.zh, en=first.en),
        errors={k: v.as_dict() for k, v in errors.items()},
    )


def _clean_fields(entity_name: str, fields: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    """Validated values of a create or update (server-managed fields dropped)."""
    ent = ENTITIES[entity_name]
    given = {k: v for k, v in fields.items() if k not in SERVER_MANAGED}
    if "stage" in given:
        raise _reject(
            "stage_via_stage_op",
            "阶段只能通过阶段推进操作变更",
            "The stage changes only through a stage move",
        )
    errors: dict[str, Msg] = {}
    for name, value in given.items():
        try:
            kind = ent.field(name).kind
        except KeyError:
            continue  # validate_values reports it
        if kind != "json" and isinstance(value, dict | list):
            errors[name] = Msg("应为单个值", "Must be a single value")
    clean, more = validate_values(entity_name, given, partial=partial)
    errors = {**more, **errors}
    if errors:
        raise _validation_error(errors)
    return clean


def _clean_base(entity_name: str, base: Mapping[str, Any]) -> dict[str, Any]:
    """The device's old values, normalised like new ones so equal values compare equal."""
    known = set(ENTITIES[entity_name].field_names)
    base = {k: v for k, v in base.items() if k in known}
    clean, errors = validate_values(entity_name, base, partial=True, allow_system=True)
    return {k: (base[k] if k in errors else v) for k, v in clean.items()}


def _customer(batch: Batch, customer_id: Any) -> Rec:
    rec = batch.ws.get(customer_id if isinstance(customer_id, str) else None)
    rec = _visible(batch, rec)
    if rec.entity != "customer":
        raise _reject(*NOT_FOUND)
    if rec.deleted:
        raise _reject("deleted", "客户已被删除", "The customer has been deleted")
    return rec


def _same_customer(batch: Batch, ref: Any, entity_name: str, customer_id: str, label: Msg) -> None:
    if ref is None:
        return
    rec = batch.ws.get(str(ref))
    if rec is None:
        batch.ws.load([str(ref)], lock=False)
        rec = batch.ws.get(str(ref))
    if rec is None or rec.entity != entity_name or rec.customer_id != customer_id or rec.deleted:
        raise _reject(
            "bad_reference",
            f"{label.zh}不属于该客户",
            f"The {label.en.lower()} does not belong to this customer",
        )


def _owner_for_new(batch: Batch, requested: Any) -> str:
    owner = requested if isinstance(requested, str) and requested else batch.viewer.id
    if not batch.directory.can_assign_to(batch.viewer, owner):
        raise _reject(
            "forbidden_owner", "不能把记录分配给该负责人", "You cannot make that user the owner"
        )
    return owner


def _conflict_record(
    batch: Batch, op: Operation, rec: Rec, c: FieldConflict, kind: str
) -> dict[str, Any]:
    """Keep a losing value as a ``conflict`` record that syncs to everyone who sees ``rec``."""
    key = f"{op.op_id}:{c.field}:{c.key}"
    conflict_id = str(uuid.uuid5(_CONFLICT_NS, key))
    data = {
        "kind": kind,
        "entity": rec.entity,
        "record_id": rec.id,
        "field": c.field,
        "key": c.key,
        "kept": None if c.kept is MISSING else c.kept,
        "kept_missing": c.kept is MISSING,
        "lost": None if c.lost is MISSING else c.lost,
        "lost_missing": c.lost is MISSING,
        "base": None if c.base is MISSING else c.base,
        "lost_by": batch.viewer.id,
        "lost_device": op.device or batch.device,
        "op_id": op.op_id,
        "record_version": rec.version,
        "resolved": False,
        "resolved_by": None,
        "created_at": batch.ws.stamp,
    }
    batch.ws.create(
        CONFLICT_ENTITY,
        conflict_id,
        data,
        customer_id=rec.customer_id,
        scope_owner=rec.scope_owner,
        actor=batch.viewer.id,
        device=op.device or batch.device,
        op_id=op.op_id,
        audited=False,  # derived from the operation, which is kept itself
    )
    return {
        "conflict_id": conflict_id,
        "field": c.field,
        "key": c.key,
        "kept": data["kept"],
        "lost": data["lost"],
    }


def _store_device_audit(batch: Batch, op: Operation, rec: Rec) -> None:
    rows = []
    for e in op.audit:
        ok = isinstance(e.get("hash"), str) and entry_hash(e, str(e.get("prev_hash"))) == e["hash"]
        ok = ok and e.get("record_id") == rec.id
        rows.append(
            {
                "source": "device",
                "entity": rec.entity,
                "record_id": rec.id,
                "field": str(e.get("field"))[:64],
                "old": dumps(e.get("old")),
                "new": dumps(e.get("new")),
                "actor": str(e.get("actor"))[:64],
                "device": str(e.get("device"))[:100],
                "at": str(e.get("at"))[:40],
                "prev_hash": str(e.get("prev_hash"))[:64],
                "hash": str(e.get("hash"))[:64],
                "valid": ok,
                "op_id": op.op_id,
                "received_at": batch.ws.now,
            }
        )
    batch.ws.device_audit(rows)


def _actor(batch: Batch, op: Operation) -> dict[str, Any]:
    return {"actor": batch.viewer.id, "device": op.device or batch.device, "op_id": op.op_id}


# ---------------------------------------------------------------- create


def _create(batch: Batch, op: Operation) -> dict[str, Any]:
    ws, viewer, name = batch.ws, batch.viewer, op.entity
    if ws.get(op.record_id) is not None:
        raise _reject("id_taken", "该编号已有记录", "A record with this id exists already")
    fields = dict(op.fields)
    first_stage = batch.rules.stages[0].key
    if name == "deal" and fields.get("stage") in (None, first_stage):
        fields.pop("stage", None)
    if name == "approval":
        status = fields.pop("status", None)
        if status not in (None, "pending"):
            raise _reject(
                "not_allowed",
                "审批请求只能以待审批状态提交",
                "An approval request starts as pending",
            )
        fields.pop("comment", None)
    if name == "lead" or name == "customer" or (name == "alert" and not fields.get("customer_id")):
        fields["owner"] = _owner_for_new(batch, fields.get("owner"))

    if name == "followup":
        clean, errors = validate_followup(
            {k: v for k, v in fields.items() if k not in SERVER_MANAGED}, batch.rules
        )
        if errors:
            raise _validation_error(errors)
    else:
        clean = _clean_fields(name, fields, partial=False)

    now = ws.stamp
    customer: Rec | None = None
    if name == "customer":
        customer_id, scope_owner = op.record_id, clean["owner"]
    elif name == "lead" or (name == "alert" and not clean.get("customer_id")):
        customer_id, scope_owner = None, clean["owner"]
    else:
        customer = _customer(batch, clean.get("customer_id"))
        customer_id, scope_owner = customer.id, customer.scope_owner

    if name in ("customer", "contact", "lead", "deal", "alert"):
        clean["created_at"] = now
        if name != "alert":
            clean["updated_at"] = now
    if name == "deal":
        assert customer is not None
        clean["stage"] = first_stage
        clean["stage_entered_at"] = now
        if clean.get("owner") is None:
            clean["owner"] = customer.data.get("owner")
        elif not batch.directory.can_assign_to(viewer, str(clean["owner"])) and clean[
            "owner"
        ] != customer.data.get("owner"):
            raise _reject(
                "forbidden_owner",
                "不能把商机分配给该负责人",
                "You cannot make that user the deal's owner",
            )
        _same_customer(
            batch,
            clean.get("primary_contact_id"),
            "contact",
            customer.id,
            Msg("主要联系人", "Primary contact"),
        )
    elif name == "followup":
        assert customer is not None
        _same_customer(batch, clean.get("deal_id"), "deal", customer.id, Msg("商机", "Deal"))
        clean["author"] = viewer.id
        clean["created_at"] = now
    elif name == "attachment":
        assert customer is not None
        if not SHA256.match(str(clean.get("sha256"))):
            raise _reject(
                "invalid",
                "附件摘要应为64位小写十六进制",
                "sha256 must be 64 lower-case hex digits",
                errors={"sha256": {"zh": "格式错误", "en": "Malformed"}},
            )
        _same_customer(batch, clean.get("deal_id"), "deal", customer.id, Msg("商机", "Deal"))
        _same_customer(
            batch, clean.get("contact_id"), "contact", customer.id, Msg("联系人", "Contact")
        )
        clean["created_by"] = viewer.id
        clean["created_at"] = now
    elif name == "approval":
        assert customer is not None
        _approval_request(batch, clean, customer.id)
    elif name == "lead" and clean.get("customer_id") is not None:
        _customer(batch, clean["customer_id"])

    rec = ws.create(
        name,
        op.record_id,
        clean,
        customer_id=customer_id,
        scope_owner=scope_owner,
        **_actor(batch, op),
    )
    _index_child(batch, rec)
    if name == "followup" and customer is not None:
        ws.change(customer, {"last_followup_at": now}, **_actor(batch, op))
    _store_device_audit(batch, op, rec)
    return _result(op, "applied", rec)


def _approval_request(batch: Batch, clean: dict[str, Any], customer_id: str) -> None:
    deal = batch.ws.get(str(clean.get("deal_id")))
    if deal is None or deal.entity != "deal" or deal.customer_id != customer_id or deal.deleted:
        raise _reject(
            "bad_reference", "商机不属于该客户", "The deal does not belong to this customer"
        )
    current = deal.data.get("stage")
    if clean.get("from_stage") != current:
        raise _reject(
            "stale_request",
            "商机已不在申请时的阶段",
            "The deal is no longer in the stage the request was made from",
        )
    if (clean.get("from_stage"), clean.get("to_stage")) not in batch.rules.approval_gates:
        raise _reject("not_gated", "该阶段变更无需审批", "That stage change needs no approval")
    clean["status"] = "pending"
    clean["requested_by"] = batch.viewer.id
    clean["requested_at"] = batch.ws.stamp


# ---------------------------------------------------------------- update


def _update(batch: Batch, op: Operation) -> dict[str, Any]:
    ws, viewer, name = batch.ws, batch.viewer, op.entity
    if ENTITIES[name].append_only:
        raise _reject(
            "append_only",
            "跟进记录和附件只能新增,不能修改",
            "Follow-ups and attachments are append-only; add a new one instead",
        )
    if name == "approval":
        raise _reject(
            "not_allowed", "审批请只通过审批操作处理", "Approvals change only by a decision"
        )
    rec = _visible(batch, ws.get(op.record_id))
    if rec.entity != name:
        raise _reject(*NOT_FOUND)
    clean = _clean_fields(name, op.fields, partial=True)
    if not clean:
        raise _reject("empty", "没有要修改的字段", "The operation changes no field")
    if op.base_version > rec.version:
        raise _reject(
            "bad_base_version",
            "基准版本比服务器版本还新",
            "The base version is newer than the server's",
        )
    if (
        "customer_id" in clean
        and clean["customer_id"] != rec.data.get("customer_id")
        and name in ("contact", "deal", "alert")
    ):
        raise _reject(
            "immutable_field",
            "不能修改所属客户;请由主管重新分配客户",
            "A record cannot move to another customer; reassign the customer instead",
        )
    if name == "lead" and clean.get("customer_id") is not None:
        _customer(batch, clean["customer_id"])
    new_owner = clean.get("owner")
    owner_moves = (
        name in ("customer", "lead") and "owner" in clean and new_owner != rec.data.get("owner")
    )
    if owner_moves:
        if viewer.role not in ("lead", "admin"):
            raise _reject(
                "forbidden_owner",
                "只有主管或管理员可以重新分配",
                "Only a team lead or an admin can reassign",
            )
        if not batch.directory.can_assign_to(viewer, str(new_owner)):
            raise _reject("forbidden_owner", "不能分配给该用户", "You cannot assign to that user")
    if name == "deal" and "primary_contact_id" in clean:
        _same_customer(
            batch,
            clean["primary_contact_id"],
            "contact",
            str(rec.customer_id),
            Msg("主要联系人", "Primary contact"),
        )

    base = _clean_base(name, op.base)
    if rec.deleted:
        conflicts = [
            _conflict_record(
                batch, op, rec, FieldConflict(f, MISSING, v, base.get(f, MISSING)), "deleted"
            )
            for f, v in clean.items()
        ]
        return _result(
            op,
            "conflict",
            rec,
            code="deleted",
            conflicts=conflicts,
            message=Msg(
                "记录已被删除,修改已保存在冲突列表中",
                "The record was deleted; your change is kept in the conflict list",
            ).as_dict(),
        )
    merged = merge_edit(name, rec.data, rec.field_versions, op.base_version, clean, base)
    changes = dict(merged.changes)
    conflicts = [_conflict_record(batch, op, rec, c, "edit") for c in merged.conflicts]
    if changes:
        changes["updated_at"] = ws.stamp if "updated_at" in ENTITIES[name].field_names else None
        if changes["updated_at"] is None:
            del changes["updated_at"]
        if owner_moves and "owner" in changes and name == "customer":
            rest = {k: v for k, v in changes.items() if k != "owner"}
            ws.change(rec, rest, **_actor(batch, op))
            reassign_customer(ws, rec, str(changes["owner"]), **_actor(batch, op))
        else:
            ws.change(rec, changes, **_actor(batch, op))
            if owner_moves and "owner" in changes:
                ws.rescope(rec, str(changes["owner"]))
    _store_device_audit(batch, op, rec)
    extra: dict[str, Any] = {}
    if conflicts:
        extra["conflicts"] = conflicts
        extra["code"] = "conflict"
        extra["message"] = Msg(
            "字段同时被他人修改:服务器保留先到达的值,你的值已存入冲突列表",
            "Someone else changed the same field first: their value stays and yours is kept in "
            "the conflict list",
        ).as_dict()
    return _result(op, merged.outcome, rec, **extra)


# ---------------------------------------------------------------- delete


def _delete(batch: Batch, op: Operation) -> dict[str, Any]:
    ws, name = batch.ws, op.entity
    if ENTITIES[name].append_only:
        raise _reject(
            "append_only",
            "跟进记录和附件只能新增,不能删除",
            "Follow-ups and attachments are append-only",
        )
    if name in ("approval", "alert"):
        raise _reject("not_allowed", "该类记录不能删除", "This kind of record cannot be deleted")
    rec = _visible(batch, ws.get(op.record_id))
    if rec.entity != name:
        raise _reject(*NOT_FOUND)
    if rec.deleted:
        return _result(op, "merged", rec)
    if op.base_version > rec.version:
        raise _reject(
            "bad_base_version",
            "基准版本比服务器版本还新",
            "The base version is newer than the server's",
        )
    if name in ("customer", "deal"):
        column = records.c.customer_id if name == "customer" else records.c.deal_id
        live = ws.conn.execute(
            select(func.count())
            .select_from(records)
            .where(
                and_(
                    column == rec.id,
                    records.c.id != rec.id,
                    records.c.deleted.is_(False),
                    records.c.entity != CONFLICT_ENTITY,
                )
            )
        ).scalar_one()
        if live:
            raise _reject(
                "has_children",
                "请先删除其下的联系人、商机、跟进和附件",
                "Delete its contacts, deals, follow-ups and attachments first",
                children=int(live),
            )
    unseen = [
        f
        for f in changed_since(rec.field_versions, op.base_version)
        if f not in _BOOKKEEPING and f in rec.data
    ]
    if unseen:
        # First arrival wins: the later edits stay and the delete is what is kept aside.
        conflicts = [
            _conflict_record(batch, op, rec, FieldConflict(f, rec.data.get(f), MISSING), "delete")
            for f in unseen
        ]
        return _result(
            op,
            "conflict",
            rec,
            code="stale_delete",
            conflicts=conflicts,
            message=Msg(
                "删除前记录已被他人修改,未删除;请查看后再删",
                "The record changed after you last saw it and was not "
                "deleted; review it and delete again",
            ).as_dict(),
        )
    ws.tombstone(rec, **_actor(batch, op))
    _store_device_audit(batch, op, rec)
    return _result(op, "applied", rec)


# ---------------------------------------------------------------- stage and approvals


def _approved(batch: Batch, deal: Rec, target: str) -> bool:
    """An approval counts for the move it names, once decided after the deal entered its
    current stage (so an old approval cannot be reused after the deal moved back)."""
    since = str(deal.data.get("stage_entered_at") or "")
    for a in batch.approvals.get(deal.id, []):
        d = a.data
        if (
            d.get("status") == "approved"
            and d.get("from_stage") == deal.data.get("stage")
            and d.get("to_stage") == target
            and str(d.get("decided_at") or "") >= since
        ):
            return True
    return False


def _move(batch: Batch, op: Operation, deal: Rec, target: str, reason: str | None) -> list[Any]:
    """Judge and, if allowed, apply a stage move; returns the problems (empty when moved)."""
    data = deal.data
    facts = DealFacts(
        stage=str(data.get("stage")),
        fields=data,
        attachment_kinds=frozenset(_deal_attachment_kinds(batch, deal.id)),
        lost_from=data.get("lost_from"),
    )
    decision = decide_move(
        facts, target, batch.rules, reason=reason, approved=_approved(batch, deal, target)
    )
    if not decision.allowed:
        return list(decision.problems)
    changes: dict[str, Any] = {
        "stage": target,
        "stage_entered_at": batch.ws.stamp,
        "updated_at": batch.ws.stamp,
    }
    if decision.move is Move.LOST:
        changes.update(lost_reason=(reason or "").strip(), lost_from=facts.stage)
    elif decision.move is Move.REOPEN:
        changes.update(lost_reason=None, lost_from=None)
    batch.ws.change(deal, changes, **_actor(batch, op))
    return []


def _stage(batch: Batch, op: Operation) -> dict[str, Any]:
    if op.entity != "deal":
        raise _reject("not_allowed", "只有商机有阶段", "Only deals have stages")
    deal = _visible(batch, batch.ws.get(op.record_id))
    if deal.entity != "deal":
        raise _reject(*NOT_FOUND)
    if deal.deleted:
        raise _reject("deleted", "商机已被删除", "The deal has been deleted")
    target, reason = op.fields.get("stage"), op.fields.get("reason")
    if set(op.fields) - {"stage", "reason"}:
        raise _reject(
            "malformed",
            "阶段操作只能包含 stage 和 reason",
            "A stage move carries only stage and reason",
        )
    if not isinstance(target, str) or (target != LOST and target not in batch.rules.stage_keys):
        raise _reject("unknown_stage", "未知阶段", "Unknown stage")
    if reason is not None and not isinstance(reason, str):
        raise _reject("malformed", "原因应为文字", "The reason must be text")
    if deal.data.get("stage") == target:
        return _result(op, "merged", deal)  # another device made the same move first
    problems = _move(batch, op, deal, target, reason)
    if problems:
        first = problems[0]
        return _rejected_result(
            op,
            Rejected(
                first.code,
                Msg(
                    "；".join(p.message.zh for p in problems),
                    "; ".join(p.message.en for p in problems),
                ),
                problems=[{"code": p.code, "message": p.message.as_dict()} for p in problems],
            ),
        )
    _store_device_audit(batch, op, deal)
    return _result(op, "applied", deal)


def _decide(batch: Batch, op: Operation) -> dict[str, Any]:
    viewer = batch.viewer
    if op.entity != "approval":
        raise _reject("not_allowed", "只有审批可以审批", "Only approvals can be decided")
    appr = _visible(batch, batch.ws.get(op.record_id))
    if appr.entity != "approval":
        raise _reject(*NOT_FOUND)
    if viewer.role not in ("lead", "admin"):
        raise _reject(
            "forbidden_role", "只有主管或管理员可以审批", "Only a team lead or an admin can decide"
        )
    if appr.data.get("requested_by") == viewer.id and viewer.role != "admin":
        raise _reject("forbidden_role", "不能审批自己的申请", "You cannot decide your own request")
    status, comment = op.fields.get("status"), op.fields.get("comment")
    if status not in ("approved", "rejected") or set(op.fields) - {"status", "comment"}:
        raise _reject(
            "malformed",
            "审批结果应为 approved 或 rejected",
            "A decision is approved or rejected, with a comment",
        )
    if comment is not None and not isinstance(comment, str):
        raise _reject("malformed", "审批意见应为文字", "The comment must be text")
    comment = (comment or "").strip()
    current = appr.data.get("status")
    if current != "pending":
        if current == status:
            return _result(op, "merged", appr)
        raise _reject("already_decided", "该申请已被处理", "The request has already been decided")
    if status == "rejected" and not comment:
        raise _reject("comment_required", "驳回时请填写审批意见", "Say why when rejecting")
    batch.ws.change(
        appr,
        {
            "status": status,
            "comment": comment or None,
            "decided_by": viewer.id,
            "decided_at": batch.ws.stamp,
        },
        **_actor(batch, op),
    )
    moved = False
    deal = batch.ws.get(appr.deal_id)
    if (
        status == "approved"
        and deal is not None
        and not deal.deleted
        and deal.data.get("stage") == appr.data.get("from_stage")
    ):
        # The request was for this move: make it now if the locks still hold.
        moved = not _move(batch, op, deal, str(appr.data.get("to_stage")), None)
    _store_device_audit(batch, op, appr)
    return _result(op, "applied", appr, deal_moved=moved)


def _resolve(batch: Batch, op: Operation) -> dict[str, Any]:
    rec = _visible(batch, batch.ws.get(op.record_id))
    if rec.entity != CONFLICT_ENTITY:
        raise _reject(*NOT_FOUND)
    if rec.data.get("resolved"):
        return _result(op, "merged", rec)
    batch.ws.change(rec, {"resolved": True, "resolved_by": batch.viewer.id}, **_actor(batch, op))
    return _result(op, "applied", rec)


_HANDLERS: dict[str, Callable[[Batch, Operation], dict[str, Any]]] = {
    "create": _create,
    "update": _update,
    "delete": _delete,
    "stage": _stage,
    "decide": _decide,
    "resolve": lambda b, o: _reject_resolve(o),
}


def _reject_resolve(op: Operation) -> dict[str, Any]:
    return _rejected_result(
        op, _reject("not_allowed", "只有冲突记录可以标记为已处理", "Only conflicts can be resolved")
    )


def ops_of(results: Iterable[dict[str, Any]], status: str) -> list[str]:
    """Operation ids with a given status (a convenience for tests and the benchmark)."""
    return [str(r.get("op_id")) for r in results if r.get("status") == status]
