"""What the server answers for each operation (docs/SYNC.md §2, "Result")."""

from __future__ import annotations

from typing import Any

from app.domain.messages import Msg
from server.db import dumps, loads
from server.push.rejections import Rejected
from server.push.wire import Operation
from server.records import Rec


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


def result(op: Operation, status: str, rec: Rec | None, **extra: Any) -> dict[str, Any]:
    """A result carrying the record as this operation left it."""
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


def rejected(op: Operation, err: Rejected) -> dict[str, Any]:
    """A ``rejected`` result: the reason's code and text, and its details."""
    out = result(op, "rejected", None, code=err.code, message=err.message.as_dict())
    out.update(err.extra)
    return out


def conflicted(
    op: Operation, rec: Rec, code: str, conflicts: list[dict[str, Any]], note: Msg
) -> dict[str, Any]:
    """A ``conflict`` result: the record as it stays, and the values kept aside."""
    return result(op, "conflict", rec, code=code, conflicts=conflicts, message=note.as_dict())
