"""What a device sends: the operation format of docs/SYNC.md §2 and the checks every JSON value
passes before any database work (and before any row is locked)."""

from __future__ import annotations

import math
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from server.db import dumps
from server.push.rejections import MALFORMED

ACTIONS = ("create", "update", "delete", "stage", "decide", "resolve", "merge")
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
MAX_TEXT = 20_000
MAX_DEPTH = 8


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

    @property
    def payload(self) -> str:
        """The operation as stored in the ``operations`` table."""
        return self._payload


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
    elif isinstance(value, float) and not math.isfinite(value):
        # NaN, ±Infinity and numbers too large for a double (1e400): JSON has no way to say
        # them, so a stored one would make every device's decoder refuse its pull page.
        raise ValueError("a number that is not finite (NaN, Infinity or too large)")


def prepare(raw_ops: list[Any]) -> list[Operation | dict[str, Any]]:
    """Parse and check a batch: an :class:`Operation` per well-formed entry, a ``malformed``
    result for the others."""
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
            parsed.append(malformed(raw, exc))
    return parsed


def malformed(raw: Any, exc: Exception) -> dict[str, Any]:
    """The result of an entry that is not an operation (not stored: sent again, it is judged
    again)."""
    op_id = raw.get("op_id") if isinstance(raw, dict) else None
    if isinstance(exc, ValidationError):
        where = "; ".join(
            ".".join(str(p) for p in e["loc"]) + ": " + e["msg"] for e in exc.errors()[:5]
        )
    else:
        where = str(exc)
    reason = MALFORMED.format(w=where)
    return {
        "op_id": op_id if isinstance(op_id, str) and len(op_id) <= 64 else None,
        "status": "rejected",
        "code": reason.code,
        "message": reason.message.as_dict(),
    }
