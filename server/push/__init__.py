"""Applying a device's batch of operations (SPEC S1–S3, P2–P4, P6; docs/SYNC.md §2–§4).

Every operation gets its own result — ``applied``, ``merged``, ``conflict`` or ``rejected``
(with a reason code and a message in Chinese and English) — so one bad operation never blocks
the rest of a device's queue. An operation id seen before returns the stored first result and
changes nothing. Nothing the device says is trusted: scope, validation, stage locks, approvals
and follow-up rules are all checked again here against the server's own data.

The modules follow the protocol:

* :mod:`~server.push.wire` — the operation format and the checks on every JSON value;
* :mod:`~server.push.batch` — one push as one transaction: replay, locking, retry;
* :mod:`~server.push.create`, :mod:`~server.push.update`, :mod:`~server.push.delete`,
  :mod:`~server.push.stage`, :mod:`~server.push.approvals` (``decide``),
  :mod:`~server.push.resolve`, :mod:`~server.push.merge` — one module per action;
* :mod:`~server.push.redirect` — operations naming a merged record go to its survivor;
* :mod:`~server.push.entities` — each kind of record's own create and update rules;
* :mod:`~server.push.context` — what the operations of a batch share (scope, references,
  audit, conflict records); :mod:`~server.push.fields` — value validation;
* :mod:`~server.push.results` — the answer per operation;
  :mod:`~server.push.rejections` — every rejection code with its texts.
"""

from server.push.batch import TooManyOperations, apply_push, push, push_json
from server.push.wire import ID_PATTERN, Operation, check_json, prepare

__all__ = [
    "ID_PATTERN",
    "Operation",
    "TooManyOperations",
    "apply_push",
    "check_json",
    "prepare",
    "push",
    "push_json",
]
