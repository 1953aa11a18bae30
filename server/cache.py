"""Per-process copies of the user directory and the rule data, reloaded only when they change.

Every push needs both (scope checks, stage rules), and loading them cost two queries and
re-reading the rule text on every request. Each engine (that is, each database a process talks
to) keeps the last copy with its version number; a request reads the current numbers in a query
it makes anyway (the token check) and reuses the copy when they match:

* the rule data's version is the newest ``rule_sets.version`` (rule sets are only ever added);
* the directory's version is ``server_state['directory']``, which a trigger on ``users`` bumps
  whenever any user row changes (migration 0002), whoever makes the change.

A database without the directory counter (not migrated, or wiped by hand) is never cached: the
directory is then read on every push, as before.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, Label, func, select

from app.domain.rules import ProcessRules
from server.admin import parse_rule_set, shipped_rules
from server.db import DIRECTORY_VERSION, rule_sets, server_state
from server.records import Directory


@dataclass
class _Copies:
    directory: tuple[int, Directory] | None = None
    rules: tuple[int, ProcessRules] | None = None


_COPIES: WeakKeyDictionary[Engine, _Copies] = WeakKeyDictionary()
_LOCK = threading.Lock()


def _copies(engine: Engine) -> _Copies:
    copies = _COPIES.get(engine)
    if copies is None:
        with _LOCK:
            copies = _COPIES.setdefault(engine, _Copies())
    return copies


def version_columns() -> list[Label[Any]]:
    """Columns ``rules_version`` and ``directory_version`` to add to another query."""
    return [
        select(func.max(rule_sets.c.version)).scalar_subquery().label("rules_version"),
        select(server_state.c.value)
        .where(server_state.c.key == DIRECTORY_VERSION)
        .scalar_subquery()
        .label("directory_version"),
    ]


_VERSIONS = select(*version_columns())


def read_versions(conn: Connection) -> tuple[int | None, int | None]:
    """``(rules_version, directory_version)`` on their own (callers without a token check)."""
    row = conn.execute(_VERSIONS).one()
    return _int(row.rules_version), _int(row.directory_version)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def directory(conn: Connection, version: int | None) -> Directory:
    """The user directory as of ``version`` (read in the caller's transaction)."""
    copies = _copies(conn.engine)
    held = copies.directory
    if version is not None and held is not None and held[0] == version:
        return held[1]
    loaded = Directory.load(conn)
    if version is not None:
        # Loaded after the version was read: it may be newer than ``version``, never older,
        # so the copy is at least as fresh as reading it in each request.
        copies.directory = (version, loaded)
    return loaded


def rules(conn: Connection, version: int | None) -> ProcessRules:
    """The rule data in force when the newest rule set is ``version`` (None: the defaults)."""
    if version is None:
        return shipped_rules()
    copies = _copies(conn.engine)
    held = copies.rules
    if held is not None and held[0] == version:
        return held[1]
    text = conn.execute(select(rule_sets.c.data).where(rule_sets.c.version == version)).scalar_one()
    parsed = parse_rule_set(version, str(text))
    copies.rules = (version, parsed)
    return parsed
